title='1e999999 for an integer (bigint) property'
message='line 6: stream "public-t": property "i": value 1e999999 does not fit column type bigint'
input() {
    prefix
    rec 5 '"i":1e999999'
    suffix
}
