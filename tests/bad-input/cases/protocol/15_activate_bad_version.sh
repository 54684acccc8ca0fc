title='an ACTIVATE_VERSION whose version is not an integer'
message='line 6: stream "public-t": ACTIVATE_VERSION without an integer "version"'
input() {
    prefix
    echo '{"type":"ACTIVATE_VERSION","stream":"public-t","version":"tomorrow"}'
    suffix
}
