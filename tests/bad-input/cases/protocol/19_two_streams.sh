title='a bad record in one stream while another has an open batch: neither open batch is loaded'
message='line 8: stream "public-u": property "i": a string "abc" does not fit column type bigint'
rows='1,2|no table'
rows_sql="SELECT (SELECT string_agg(id::text, ',' ORDER BY id) FROM tgt.t) || '|' || CASE WHEN to_regclass('tgt.u') IS NULL THEN 'no table' ELSE 'u' END"
input() {
    prefix
    schema_t | sed 's/public-t/public-u/'
    rec 10 | sed 's/public-t/public-u/'
    rec 11 '"i":"abc"' | sed 's/public-t/public-u/'
    suffix
}
