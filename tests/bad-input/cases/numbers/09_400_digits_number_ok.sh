title='a 400-digit integer and 1e400 (beyond a double) for number properties: loaded exactly (not an error)'
code=0
config=''
rows='1,2,3,5,6|400|401|400'
rows_sql="SELECT string_agg(id::text, ',' ORDER BY id) || '|' || max(length(n::text)) FILTER (WHERE id = 5)
    || '|' || max(length(n::text)) FILTER (WHERE id = 6) || '|' || max(length(j->>'k')) FILTER (WHERE id = 5) FROM tgt.t"
states='{"s":6}'
input() {
    prefix
    d400=$(for _ in $(seq 40); do printf 1234567890; done)
    rec 5 "\"n\":$d400,\"j\":{\"k\":$d400}"
    rec 6 '"n":1e400'
    state 6
}
