title='an unknown message type in the middle of a batch (pipelinewise and the Singer SDK stop on it too)'
message='line 6: unknown message type "METRIC"'
input() {
    prefix
    echo '{"type":"METRIC","value":1}'
    suffix
}
