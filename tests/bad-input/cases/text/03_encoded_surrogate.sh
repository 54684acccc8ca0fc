title='a surrogate encoded as UTF-8 bytes (CESU-8, "\xed\xa0\x80")'
message='line 6: stream "public-t": property "s": the string is not valid UTF-8'
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"s":"a\xed\xa0\x80b"}}\n'
    suffix
}
