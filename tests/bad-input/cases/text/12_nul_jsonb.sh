title='\u0000 inside a jsonb value'
message='line 6: stream "public-t": property "j": the string holds a NUL character (\u0000)'
input() {
    prefix
    rec 5 '"j":{"k":"\u0000"}'
    suffix
}
