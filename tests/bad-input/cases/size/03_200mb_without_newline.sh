title='a 200 MB last line without a newline (generated)'
message='line 6: the line is longer than max_line_bytes (134217728 bytes)'
max_rss_mb=200
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"s":"'
    head -c 209715200 /dev/zero | tr '\0' x
}
