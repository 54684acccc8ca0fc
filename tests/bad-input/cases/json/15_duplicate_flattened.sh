title='a flattened object given twice in one record'
message='line 2: stream "public-f": property "o" is given twice in the record'
config='"data_flattening_max_level":1'
rows='no table'
states=''
input() {
    echo '{"type":"SCHEMA","stream":"public-f","schema":{"type":"object","properties":{"id":{"type":"integer"},"o":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}}}}},"key_properties":["id"]}'
    echo '{"type":"RECORD","stream":"public-f","record":{"id":1,"o":{"a":1},"o":{"b":2}}}'
    state 1
}
