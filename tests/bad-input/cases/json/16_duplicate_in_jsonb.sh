title='a key twice inside a jsonb value: PostgreSQL keeps the last, as Python json does (not an error)'
code=0
config=''
rows='{"k": 2}'
rows_sql="SELECT j FROM tgt.t WHERE id = 5"
states='{"s":5}'
input() {
    prefix
    rec 5 '"j":{"k":1,"k":2}'
    state 5
}
