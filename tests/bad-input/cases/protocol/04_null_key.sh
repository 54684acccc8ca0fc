title='a record whose key property is null'
message='line 6: stream "public-t": key property "id" is null'
input() {
    prefix
    echo '{"type":"RECORD","stream":"public-t","record":{"id":null}}'
    suffix
}
