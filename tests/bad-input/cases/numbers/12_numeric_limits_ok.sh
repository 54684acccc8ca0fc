title='numbers at the edge of numeric (1e131071, 16383 decimal places) are loaded'
code=0
config=''
rows='1,2,3,5,6|131072|16385'
rows_sql="SELECT string_agg(id::text, ',' ORDER BY id) || '|' || max(length(n::text)) FILTER (WHERE id = 5)
    || '|' || max(length(n::text)) FILTER (WHERE id = 6) FROM tgt.t"
states='{"s":6}'
input() {
    prefix
    rec 5 '"n":1e131071'
    rec 6 '"n":1e-16383'
    state 6
}
