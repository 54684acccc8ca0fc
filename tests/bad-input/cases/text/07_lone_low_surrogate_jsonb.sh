title='a lone low surrogate escape inside a jsonb value'
message='line 6: stream "public-t": property "j": invalid \u escape (lone surrogate) in {"k":"\udc00"}'
input() {
    prefix
    rec 5 '"j":{"k":"\udc00"}'
    suffix
}
