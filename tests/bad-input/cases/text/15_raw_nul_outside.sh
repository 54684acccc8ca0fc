title='a raw NUL byte between tokens'
message='line 6: malformed JSON at byte 52: unexpected character'
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":\0005}}\n'
    suffix
}
