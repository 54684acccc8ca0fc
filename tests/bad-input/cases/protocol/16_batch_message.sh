title='a Singer SDK BATCH message (records in files)'
message='line 6: stream "public-t": BATCH messages (records in files) are not supported'
input() {
    prefix
    echo '{"type":"BATCH","stream":"public-t","encoding":{"format":"jsonl"},"manifest":["file:///tmp/x.jsonl"]}'
    suffix
}
