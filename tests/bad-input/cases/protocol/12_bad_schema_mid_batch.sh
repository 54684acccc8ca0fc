title='a SCHEMA change in the middle of a batch to a SCHEMA that is itself bad'
message='line 6: stream "public-t": key property "gone" is not in the schema properties'
input() {
    prefix
    schema_t | sed 's/"key_properties":\["id"\]/"key_properties":["gone"]/'
    suffix
}
