title='a record without its key property'
message='line 6: stream "public-t": key property "id" is missing'
input() {
    prefix
    echo '{"type":"RECORD","stream":"public-t","record":{"s":"no id"}}'
    suffix
}
