# Helpers for the tap scenarios (on top of tests/lib.sh). Source it first:
#   . "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"
# (ctest sets TESTS_DIR to the directory of the calling CMakeLists, tests/tap here, so paths
# are taken from this file's location instead.)
TAP_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1091
. "$TAP_TESTS_DIR/../lib.sh"

JSONL_CHECK=${JSONL_CHECK:-$(dirname "$(dirname "$TAP_BIN")")/tests/tap/jsonl_check}
TAP_GOLDEN=$TAP_TESTS_DIR/golden

# select_streams METHOD < catalog > catalog: select every stream with METHOD
select_streams() {
    sed -E "s/\"breadcrumb\":\[\],\"metadata\":\{/&\"selected\":true,\"replication-method\":\"$1\",/"
}

# stream_metadata STREAM_ID JSON_MEMBERS < catalog > catalog: add members to one stream's metadata
stream_metadata() {
    local id=$1 extra=$2
    sed -E "/\"tap_stream_id\":\"$id\"/ s/\"breadcrumb\":\[\],\"metadata\":\{/&$extra,/"
}

# only_stream STREAM_ID < catalog > catalog: keep the catalog lines of one stream
only_stream() {
    awk -v id="\"tap_stream_id\":\"$1\"" 'NR == 1 || index($0, id) || /^\]\}/ { print }' |
        sed -E '2s/,$//'
}

# check_jsonl FILE MESSAGE: every stdout line is a whole Singer message
check_jsonl() {
    local n
    if n=$("$JSONL_CHECK" "$1" 2>"$TEST_TMP/jsonl.err"); then
        ok "$2 ($n lines)"
    else
        not_ok "$2"
        cat "$TEST_TMP/jsonl.err" >&2
    fi
}

# last_state FILE: the value of the last STATE message in FILE
last_state() {
    grep '^{"type":"STATE"' "$1" | tail -n 1 | sed -E 's/^\{"type":"STATE","value":(.*)\}$/\1/'
}

# record_ids FILE STREAM: the "id" of each RECORD of STREAM, one per line
record_ids() {
    grep "^{\"type\":\"RECORD\",\"stream\":\"$2\"" "$1" | sed -E 's/.*"record":\{"id":([0-9]+).*/\1/'
}
