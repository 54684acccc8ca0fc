title='500 levels of nesting in a jsonb value are loaded (below the limit of 512)'
code=0
config=''
rows='1,2,3,5|500'
rows_sql="SELECT string_agg(id::text, ',' ORDER BY id) || '|' || max(length(j::text) - length(replace(j::text, '[', ''))) FROM tgt.t"
states='{"s":5}'
input() {
    prefix
    printf '{"type":"RECORD","stream":"public-t","record":{"id":5,"j":{"x":'
    nest 500 '[' ']'
    printf '}}}\n'
    state 5
}
