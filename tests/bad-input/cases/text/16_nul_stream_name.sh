title='\u0000 in a stream name (it would be cut there)'
message='line 6: SCHEMA message: "stream" holds a NUL character (\u0000)'
input() {
    prefix
    echo '{"type":"SCHEMA","stream":"public-x\u0000y","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}'
    suffix
}
