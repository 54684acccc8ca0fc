title='a RECORD line that is not JSON (a brace missing)'
message='line 6: malformed JSON at byte 54: unexpected end of input'
input() {
    prefix
    echo '{"type":"RECORD","stream":"public-t","record":{"id":5}'
    suffix
}
