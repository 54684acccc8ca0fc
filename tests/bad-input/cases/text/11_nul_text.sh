title='\u0000 in a text value (PostgreSQL cannot store NUL)'
message='line 6: stream "public-t": property "s": the string holds a NUL character (\u0000), which PostgreSQL cannot store (set nul_character_policy to replace or strip)'
input() {
    prefix
    rec 5 '"s":"a\u0000b"'
    suffix
}
