title='a stream name that is not UTF-8'
message='line 6: SCHEMA message: "stream" is not a valid string'
input() {
    prefix
    printf '{"type":"SCHEMA","stream":"public-caf\xe9","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}\n'
    suffix
}
