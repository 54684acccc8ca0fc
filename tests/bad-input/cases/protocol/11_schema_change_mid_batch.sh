title='a SCHEMA change in the middle of a batch, then a bad record of the new shape'
message='line 9: stream "public-t": property "x": a string "yes" does not fit column type boolean'
# the rows before the new SCHEMA are loaded with the old one (record 3, its STATE written); the
# record of the new shape shares the open batch with the bad one and is rolled back, and the
# new column, added in that batch's transaction, is not there
rows='1,2,3|no x'
rows_sql="SELECT string_agg(id::text, ',' ORDER BY id) || '|' || CASE WHEN EXISTS (SELECT FROM information_schema.columns
    WHERE table_schema = 'tgt' AND table_name = 't' AND column_name = 'x') THEN 'x' ELSE 'no x' END FROM tgt.t"
states='{"s":2}
{"s":3}'
input() {
    prefix
    state 3
    schema_t | sed 's/"j":{"type":\["null","object"\]}/&,"x":{"type":["null","boolean"]}/'
    rec 4 '"x":true'
    rec 5 '"x":"yes"'
    state 5
}
