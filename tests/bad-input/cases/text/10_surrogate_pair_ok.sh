title='a proper surrogate pair is loaded as its character (not an error)'
code=0
config=''
rows='1,2,3,5|😀'
rows_sql="SELECT string_agg(id::text, ',' ORDER BY id) || '|' || max(s) FROM tgt.t"
states='{"s":5}'
input() {
    prefix
    rec 5 '"s":"\ud83d\ude00"'
    state 5
}
