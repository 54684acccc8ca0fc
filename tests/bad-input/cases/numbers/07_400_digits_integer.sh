title='a 400-digit integer for an integer (bigint) property'
message='line 6: stream "public-t": property "i": value 1234567890123456789012345678901234567890123456789012345678901234567890123456... does not fit column type bigint'
input() {
    prefix
    rec 5 "\"i\":$(for _ in $(seq 40); do printf 1234567890; done)"
    suffix
}
