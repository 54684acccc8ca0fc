title='a number for a string property: stored as its text without validate_records (as pipelinewise)'
code=0
config=''
rows='1,2,3,5|42'
rows_sql="SELECT string_agg(id::text, ',' ORDER BY id) || '|' || max(s) FROM tgt.t"
states='{"s":5}'
input() {
    prefix
    rec 5 '"s":42'
    state 5
}
