title='a 3 MB value under max_line_bytes is loaded (not an error)'
code=0
config=''
rows='1,2,3,5|3145728'
rows_sql="SELECT string_agg(id::text, ',' ORDER BY id) || '|' || max(length(s)) FROM tgt.t"
states='{"s":5}'
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"s":"'
    head -c 3145728 /dev/zero | tr '\0' z
    printf '"}}\n'
    state 5
}
