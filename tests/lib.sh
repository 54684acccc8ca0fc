# Helpers for the integration scenarios (bash). Source it first:
#   . "$TESTS_DIR/lib.sh"
# It needs the throwaway cluster started by tests/run.sh (PGTEST_PORT in the environment);
# without it the scenario fails: a test that skips itself is a test that cannot fail.
set -euo pipefail

if [ -z "${PGTEST_PORT:-}" ]; then
    echo "FAIL: no test cluster (PGTEST_PORT unset); run tests/run.sh, or start one with" >&2
    echo "      tests/pg_cluster.sh start build/pgtest && . build/pgtest/env" >&2
    exit 1
fi

: "${TAP_BIN:?TAP_BIN unset}"
: "${TARGET_BIN:?TARGET_BIN unset}"
: "${TESTS_DIR:?TESTS_DIR unset}"
TEST_TMP=${TEST_TMP:-$(mktemp -d)}
rm -rf "$TEST_TMP"
mkdir -p "$TEST_TMP"
export PGHOST=${PGTEST_HOST:-127.0.0.1} PGPORT=$PGTEST_PORT PGUSER=${PGTEST_USER:-postgres}
# the password_secret scenarios talk to a loopback stub: nothing of the caller's secret-manager
# environment (a CA bundle path that may not exist, a token, a proxy) may change the requests
unset AWS_CA_BUNDLE VAULT_CACERT VAULT_ADDR VAULT_TOKEN VAULT_NAMESPACE AZURE_ACCESS_TOKEN \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION \
    http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY \
    AWS_PROFILE AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_ROLE_SESSION_NAME AWS_ENDPOINT_URL \
    AWS_ENDPOINT_URL_STS AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
    AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \
    AWS_EC2_METADATA_SERVICE_ENDPOINT AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE SINGER_POSTGRES_TEST_NOW
# the AWS credential chain finds nothing of this machine's and never asks 169.254.169.254
export AWS_EC2_METADATA_DISABLED=true AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials \
    AWS_CONFIG_FILE=/nonexistent/config

T_PASSED=0
T_FAILED=0

# psql_q DB SQL: run SQL, print unaligned tuples-only output
psql_q() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# psql_f DB FILE: run a file
psql_f() {
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$2" >/dev/null
}

# fresh_db NAME: drop (with its slots) and create a database
fresh_db() {
    local db=$1
    # a slot still held (a walsender left by an earlier failed run) would keep DROP DATABASE
    # from working: end its holder first
    psql_q postgres "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '$db' AND active_pid IS NOT NULL" >/dev/null
    local _i
    for _i in $(seq 1 50); do
        [ "$(psql_q postgres "SELECT count(*) FROM pg_replication_slots WHERE database = '$db' AND active")" = 0 ] && break
        sleep 0.1
    done
    psql_q postgres "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$db' AND NOT active" >/dev/null
    psql_q postgres "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    psql_q postgres "CREATE DATABASE \"$db\"" >/dev/null
}

# same_rows SRC_DB SRC_QUERY DST_DB DST_QUERY MESSAGE: the rows of two queries are the same
# (EXCEPT both ways, as sorted COPY lines) and as many
same_rows() {
    psql_q "$1" "COPY ($2) TO STDOUT" >"$TEST_TMP/src.tsv"
    psql_q "$3" "COPY ($4) TO STDOUT" >"$TEST_TMP/dst.tsv"
    local only_src only_dst
    only_src=$(comm -23 <(sort "$TEST_TMP/src.tsv") <(sort "$TEST_TMP/dst.tsv") | wc -l)
    only_dst=$(comm -13 <(sort "$TEST_TMP/src.tsv") <(sort "$TEST_TMP/dst.tsv") | wc -l)
    assert_eq "0 0 $(wc -l <"$TEST_TMP/src.tsv")" "$only_src $only_dst $(wc -l <"$TEST_TMP/dst.tsv")" \
        "$5: no row only in the source, none only in the target, as many rows"
}

# tap_config DB [extra json members]: a tap config for the test cluster
tap_config() {
    local extra=${2:-}
    printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s"%s}\n' \
        "$PGHOST" "$PGPORT" "$PGUSER" "$1" "${extra:+,$extra}"
}

# target_config DB [extra json members]: a target config for the test cluster
target_config() {
    local extra=${2:-}
    printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s"%s}\n' \
        "$PGHOST" "$PGPORT" "$PGUSER" "$1" "${extra:+,$extra}"
}

ok() {
    T_PASSED=$((T_PASSED + 1))
    echo "ok - $1"
}

not_ok() {
    T_FAILED=$((T_FAILED + 1))
    echo "not ok - $1" >&2
}

# assert_eq EXPECTED ACTUAL MESSAGE
assert_eq() {
    if [ "$1" == "$2" ]; then
        ok "$3"
    else
        not_ok "$3"
        echo "  expected: $1" >&2
        echo "  actual:   $2" >&2
    fi
}

# assert_contains HAYSTACK NEEDLE MESSAGE
assert_contains() {
    if [[ "$1" == *"$2"* ]]; then
        ok "$3"
    else
        not_ok "$3"
        echo "  expected to contain: $2" >&2
        echo "  actual: ${1:0:2000}" >&2
    fi
}

# assert_not_contains HAYSTACK NEEDLE MESSAGE
assert_not_contains() {
    if [[ "$1" != *"$2"* ]]; then
        ok "$3"
    else
        not_ok "$3"
        echo "  expected not to contain: $2" >&2
        echo "  actual: ${1:0:2000}" >&2
    fi
}

# assert_files_eq EXPECTED_FILE ACTUAL_FILE MESSAGE: line-by-line comparison, diff on failure
assert_files_eq() {
    if diff -u "$1" "$2" >"$TEST_TMP/diff.out" 2>&1; then
        ok "$3"
    else
        not_ok "$3"
        head -n 60 "$TEST_TMP/diff.out" >&2
    fi
}

# run_cmd OUT ERR CMD...: run a command, keep stdout/stderr in files, set RC
run_cmd() {
    local out=$1 err=$2
    shift 2
    set +e
    "$@" >"$out" 2>"$err"
    RC=$?
    set -e
}

# tap_read_until OUT N PATTERN ERR TAP_ARGS...: the tap ("$TAP_BIN" TAP_ARGS, stderr to ERR)
# writing into a fifo read on fd 3; its lines are copied to OUT until N of them have matched the
# glob PATTERN. The tap is then blocked on the full pipe, where a slow target would hold it,
# whatever its speed. Sets TAP_PID and SEEN (the lines matched: fewer than N when the tap ended
# first). The caller signals the tap, then closes fd 3 (exec 3<&-).
tap_read_until() {
    local out=$1 n=$2 pat=$3 err=$4 line
    shift 4
    rm -f "$TEST_TMP/fifo"
    mkfifo "$TEST_TMP/fifo"
    "$TAP_BIN" "$@" >"$TEST_TMP/fifo" 2>"$err" &
    TAP_PID=$!
    exec 3<"$TEST_TMP/fifo"
    : >"$out"
    SEEN=0
    while [ "$SEEN" -lt "$n" ] && IFS= read -r line <&3; do
        printf '%s\n' "$line" >>"$out"
        # shellcheck disable=SC2254 # the pattern is a glob
        case $line in $pat) SEEN=$((SEEN + 1)) ;; esac
    done
}

# mask_volatile: replace per-run values (versions, times, lsn) in Singer output
mask_volatile() {
    sed -E -e 's/"version":[0-9]+/"version":"<V>"/g' \
        -e 's/"time_extracted":"[^"]*"/"time_extracted":"<T>"/g' \
        -e 's/"lsn":[0-9]+/"lsn":"<LSN>"/g' \
        -e 's/"xmin":[0-9]+/"xmin":"<XMIN>"/g'
}

# finish: print the summary line and exit non-zero on any failure
finish() {
    echo "${T_PASSED} passed, ${T_FAILED} failed"
    [ "$T_FAILED" = 0 ]
}
