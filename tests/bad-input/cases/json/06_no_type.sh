title='a message without "type"'
message='line 6: message without a string "type"'
input() {
    prefix
    echo '{"stream":"public-t","record":{"id":5}}'
    suffix
}
