title='100,000 levels of nesting in a STATE value (generated)'
message='line 6: malformed JSON at byte 535: nested deeper than 512 levels'
input() {
    prefix
    printf '{"type":"STATE","value":'
    nest 100000 '[' ']'
    printf '}\n'
    suffix
}
