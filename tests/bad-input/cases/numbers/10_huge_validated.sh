title='1e999999 for a number property with a maximum, validate_records'
message='line 6: stream "public-v": record does not match the schema: n: inf is greater than maximum 1000'
config='"batch_size_rows":2,"async_flush":false,"validate_records":true'
rows_sql="SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM tgt.v"
rows_table=tgt.v
input() {
    { prefix; rec 5 '"n":1e999999'; suffix; } |
        sed 's/"n":{"type":\["null","number"\]}/"n":{"type":["null","number"],"maximum":1000}/; s/public-t/public-v/'
}
