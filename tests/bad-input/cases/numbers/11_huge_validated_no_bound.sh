title='1e999999 for a number property without bounds, validate_records: the schema allows it, numeric does not'
message='line 6: stream "public-t": property "n": value 1e999999 is outside the range of PostgreSQL'"'"'s numeric'
config='"batch_size_rows":2,"async_flush":false,"validate_records":true'
input() {
    prefix
    rec 5 '"n":1e999999'
    suffix
}
