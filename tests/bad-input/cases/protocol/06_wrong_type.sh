title='a string for an integer property (validate_records false)'
message='line 6: stream "public-t": property "i": a string "abc" does not fit column type bigint'
input() {
    prefix
    rec 5 '"i":"abc"'
    suffix
}
