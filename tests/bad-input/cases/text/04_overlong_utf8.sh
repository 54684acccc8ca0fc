title='an overlong UTF-8 sequence ("/" as "\xc0\xaf")'
message='line 6: stream "public-t": property "s": the string is not valid UTF-8'
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"s":"..\xc0\xaf.."}}\n'
    suffix
}
