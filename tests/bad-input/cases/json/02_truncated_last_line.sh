title='the last line cut short, no newline (the tap died in the middle of a line)'
message='line 6: malformed JSON at byte 62: unterminated string'
input() {
    prefix
    printf '%s' '{"type":"RECORD","stream":"public-t","record":{"id":5,"s":"abc'
}
