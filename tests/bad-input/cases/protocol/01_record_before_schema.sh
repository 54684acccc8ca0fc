title='a RECORD of a stream whose SCHEMA has not come'
message='line 6: stream "public-x": RECORD before its SCHEMA'
input() {
    prefix
    echo '{"type":"RECORD","stream":"public-x","record":{"id":5}}'
    suffix
}
