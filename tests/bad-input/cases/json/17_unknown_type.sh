title='an unknown message type (pipelinewise and the Singer SDK stop on it too)'
message='line 6: unknown message type "PING"'
input() {
    prefix
    echo '{"type":"PING","stream":"public-t"}'
    suffix
}
