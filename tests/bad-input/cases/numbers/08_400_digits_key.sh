title='a 400-digit integer as the key'
message='line 6: stream "public-t": property "id": value 9999999999999999999999999999999999999999999999999999999999999999999999999999... does not fit column type bigint'
input() {
    prefix
    echo "{\"type\":\"RECORD\",\"stream\":\"public-t\",\"record\":{\"id\":$(printf '9%.0s' $(seq 400))}}"
    suffix
}
