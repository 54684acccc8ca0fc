title='100,000 levels of nesting in a RECORD value (generated)'
message='line 6: malformed JSON at byte 572: nested deeper than 512 levels'
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"j":{"x":'
    nest 100000 '[' ']'
    printf '}}}\n'
    suffix
}
