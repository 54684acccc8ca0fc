title='a 200 MB line (generated), past the default max_line_bytes of 128 MiB'
message='line 6: the line is longer than max_line_bytes (134217728 bytes)'
# the reader stops at the limit: memory stays near max_line_bytes, not the line's size
max_rss_mb=200
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"s":"'
    head -c 209715200 /dev/zero | tr '\0' x
    printf '"}}\n'
    suffix
}
