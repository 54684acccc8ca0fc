title='\u0000 with sanitize_null_text_characters (MeltanoLabs): replaced, loaded'
code=0
config='"sanitize_null_text_characters":true'
rows='1,2,3,5|a�b'
rows_sql="SELECT string_agg(id::text, ',' ORDER BY id) || '|' || max(s) FROM tgt.t"
states='{"s":5}'
input() {
    prefix
    rec 5 '"s":"a\u0000b"'
    state 5
}
