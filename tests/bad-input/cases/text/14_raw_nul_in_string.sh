title='a raw NUL byte inside a string (not allowed unescaped in JSON)'
message='line 6: malformed JSON at byte 60: control character in string'
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"s":"a\0b"}}\n'
    suffix
}
