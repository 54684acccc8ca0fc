title='a string for an integer property (validate_records true)'
message='line 6: stream "public-t": record does not match the schema: i: expected integer or null, got string "abc"'
config='"batch_size_rows":2,"async_flush":false,"validate_records":true'
input() {
    prefix
    rec 5 '"i":"abc"'
    suffix
}
