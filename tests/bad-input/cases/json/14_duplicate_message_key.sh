title='"stream" given twice in one message'
message='line 6: the message has the key "stream" twice'
input() {
    prefix
    echo '{"type":"RECORD","stream":"public-t","stream":"public-other","record":{"id":5}}'
    suffix
}
