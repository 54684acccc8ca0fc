title='a property given twice in one record'
message='line 6: stream "public-t": property "s" is given twice in the record'
input() {
    prefix
    rec 5 '"s":"first","s":"second"'
    suffix
}
