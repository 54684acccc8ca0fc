title='a number for a string property with validate_records: an error'
message='line 6: stream "public-t": record does not match the schema: s: expected string or null, got number 42'
config='"batch_size_rows":2,"async_flush":false,"validate_records":true'
input() {
    prefix
    rec 5 '"s":42'
    suffix
}
