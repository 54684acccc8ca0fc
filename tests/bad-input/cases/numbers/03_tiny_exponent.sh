title='1e-999999 for a number property (more decimal places than numeric holds)'
message='line 6: stream "public-t": property "n": value 1e-999999 is outside the range of PostgreSQL'"'"'s numeric'
input() {
    prefix
    rec 5 '"n":1e-999999'
    suffix
}
