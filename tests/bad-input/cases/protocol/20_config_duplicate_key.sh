title='a target config with a key given twice: the last value counts, as Python'"'"'s json reads it (with a warning)'
message='line 6: stream "public-t": property "i": a string "abc" does not fit column type bigint'
# batch_size_rows 2 (the last) commits records 1 and 2 before the bad line; 100000 would not
config='"batch_size_rows":100000,"batch_size_rows":2,"async_flush":false'
input() {
    prefix
    rec 5 '"i":"abc"'
    suffix
}
