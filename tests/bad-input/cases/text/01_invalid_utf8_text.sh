title='a byte that is not UTF-8 (Latin-1 "\xe9") in a text value'
message='line 6: stream "public-t": property "s": the string is not valid UTF-8'
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"s":"caf\xe9"}}\n'
    suffix
}
