title='a surrogate pair in the wrong order'
message='line 6: stream "public-t": property "s": invalid \u escape (lone surrogate) in "\ude00\ud83d"'
input() {
    prefix
    rec 5 '"s":"\ude00\ud83d"'
    suffix
}
