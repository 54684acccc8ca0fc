title='a target config with a key given twice (Python'"'"'s json takes the last, cJSON the first)'
code=3
message='key "batch_size_rows" is given twice'
config='"batch_size_rows":2,"batch_size_rows":100000'
rows='no table'
states=''
input() {
    prefix
    suffix
}
