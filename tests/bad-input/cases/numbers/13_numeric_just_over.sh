title='1e131072 for a number property: one digit past numeric'"'"'s 131072 before the point'
message='line 6: stream "public-t": property "n": value 1e131072 is outside the range of PostgreSQL'"'"'s numeric'
input() {
    prefix
    rec 5 '"n":1e131072'
    suffix
}
