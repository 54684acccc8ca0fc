title='100,000 levels of nested objects in a RECORD value (generated)'
message='line 6: malformed JSON at byte 2608: nested deeper than 512 levels'
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"j":'
    nest 100000 '{"a":' '}'
    printf '}}\n'
    suffix
}
