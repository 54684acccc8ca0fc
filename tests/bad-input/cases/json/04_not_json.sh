title='a line of text, not JSON'
message='line 6: malformed JSON at byte 0: unexpected character'
input() {
    prefix
    echo 'Traceback (most recent call last):'
    suffix
}
