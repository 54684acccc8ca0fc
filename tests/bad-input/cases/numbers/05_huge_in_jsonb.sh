title='1e999999 inside a jsonb value (jsonb numbers are numeric)'
message='line 6: stream "public-t": property "j": a number in {"k":[1,1e999999]} is outside the range of PostgreSQL'"'"'s numeric, which jsonb numbers are'
input() {
    prefix
    rec 5 '"j":{"k":[1,1e999999]}'
    suffix
}
