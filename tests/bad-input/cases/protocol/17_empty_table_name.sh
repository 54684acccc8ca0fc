title='a stream id that gives an empty table name ("public-")'
message='line 6: stream "public-": the stream id gives an empty table name'
input() {
    prefix
    echo '{"type":"SCHEMA","stream":"public-","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}'
    suffix
}
