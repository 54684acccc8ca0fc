title='100,000 levels of nested properties in a SCHEMA (generated)'
message='line 6: malformed JSON at byte 9024: nested deeper than 512 levels'
input() {
    prefix
    printf '{"type":"SCHEMA","stream":"public-deep","key_properties":[],"schema":'
    nest 100000 '{"type":"object","properties":{"a":' '}}'
    printf '}\n'
    suffix
}
