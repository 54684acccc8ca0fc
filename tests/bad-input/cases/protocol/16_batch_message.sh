title='a Singer SDK BATCH message naming a file that does not exist'
message='line 6: stream "public-t": BATCH manifest: cannot open "/nonexistent/tap-postgres-batch/x.jsonl": No such file or directory'
input() {
    prefix
    echo '{"type":"BATCH","stream":"public-t","encoding":{"format":"jsonl","compression":"none"},"manifest":["file:///nonexistent/tap-postgres-batch/x.jsonl"]}'
    suffix
}
