title='a line cut short followed by more lines (a writer that lost bytes)'
message="line 6: malformed JSON at byte 51: expected ':'"
input() {
    prefix
    echo '{"type":"RECORD","stream":"public-t","record":{"id"'
    suffix
}
