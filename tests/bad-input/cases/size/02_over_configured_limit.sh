title='a line past a configured max_line_bytes'
message='line 6: the line is longer than max_line_bytes (4096 bytes)'
config='"batch_size_rows":2,"async_flush":false,"max_line_bytes":4096'
input() {
    prefix
    rec 5 "\"s\":\"$(head -c 5000 /dev/zero | tr '\0' y)\""
    suffix
}
