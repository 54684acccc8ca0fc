title='a lone surrogate escape in a stream name'
message='line 6: SCHEMA message: "stream" is not a valid string'
input() {
    prefix
    echo '{"type":"SCHEMA","stream":"public-t\ud800","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}'
    suffix
}
