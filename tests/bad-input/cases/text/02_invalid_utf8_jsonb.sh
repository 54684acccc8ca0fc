title='a byte that is not UTF-8 inside a jsonb value'
message='line 6: stream "public-t": property "j": the string is not valid UTF-8'
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"j":{"k":["\xff"]}}}\n'
    suffix
}
