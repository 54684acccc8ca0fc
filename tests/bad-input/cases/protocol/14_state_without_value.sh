title='a STATE without "value"'
message='line 6: STATE message without "value"'
input() {
    prefix
    echo '{"type":"STATE"}'
    suffix
}
