title='a lone high surrogate escape in a text value'
message='line 6: stream "public-t": property "s": invalid \u escape (lone surrogate) in "x\ud800y"'
input() {
    prefix
    rec 5 '"s":"x\ud800y"'
    suffix
}
