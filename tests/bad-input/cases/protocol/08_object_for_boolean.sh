title='an object for a boolean property (validate_records false)'
message='line 6: stream "public-t": property "b": an object {"x":1} does not fit column type boolean'
input() {
    prefix
    rec 5 '"b":{"x":1}'
    suffix
}
