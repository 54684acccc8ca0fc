title='\u0000 in a property name of a SCHEMA (it would be cut there)'
message='line 6: stream "public-x": SCHEMA: a property name holds a NUL character (\u0000)'
input() {
    prefix
    echo '{"type":"SCHEMA","stream":"public-x","schema":{"type":"object","properties":{"id":{"type":"integer"},"a\u0000b":{"type":"string"}}},"key_properties":["id"]}'
    suffix
}
