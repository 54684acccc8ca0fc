title='a JSON array instead of a message object'
message='line 6: a message must be a JSON object'
input() {
    prefix
    echo '["RECORD","public-t",{"id":5}]'
    suffix
}
