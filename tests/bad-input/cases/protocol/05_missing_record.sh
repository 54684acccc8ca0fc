title='a RECORD without "record"'
message='line 6: stream "public-t": RECORD without a "record" object'
input() {
    prefix
    echo '{"type":"RECORD","stream":"public-t"}'
    suffix
}
