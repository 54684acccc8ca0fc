title='a bad record with the default (asynchronous) config: the open batch is rolled back, no STATE'
message='line 6: stream "public-t": property "i": a string "abc" does not fit column type bigint'
config=''
rows='no table'
states=''
input() {
    prefix
    rec 5 '"i":"abc"'
    suffix
}
