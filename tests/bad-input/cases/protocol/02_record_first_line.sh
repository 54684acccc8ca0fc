title='a RECORD as the very first line'
message='line 1: stream "public-t": RECORD before its SCHEMA'
rows='no table'
states=''
input() {
    rec 1
    schema_t
    rec 2
    state 2
}
