title='a property given twice, both values valid, with validate_records (validation alone does not see it)'
message='line 6: stream "public-t": property "i" is given twice in the record'
config='"batch_size_rows":2,"async_flush":false,"validate_records":true'
input() {
    prefix
    rec 5 '"i":1,"i":2'
    suffix
}
