title='1e999999 for a number (numeric) property: beyond what PostgreSQL numeric holds'
message='line 6: stream "public-t": property "n": value 1e999999 is outside the range of PostgreSQL'"'"'s numeric'
input() {
    prefix
    rec 5 '"n":1e999999'
    suffix
}
