#!/usr/bin/env bash
# Build everything and run every test against a throwaway PostgreSQL cluster.
#
#   tests/run.sh                 install what is missing, build, run all tests, then again under
#                                AddressSanitizer + UBSan
#   SKIP_ASAN=1 tests/run.sh     skip the sanitizer pass (faster while developing)
#   BUILD_DIR=... tests/run.sh   build elsewhere (default: build/ and build-asan/)
#   JOBS=N, TEST_JOBS=M          build with N jobs (default 2), run M tests at once (default
#                                2N: most tests spend their time waiting on servers and timers)
#   tests/run.sh -R target       extra arguments go to ctest (here: only tests matching "target")
#   PG_MAJORS="15 17" tests/run.sh
#                                the PostgreSQL majors to test (default: 13 15 17 18). The
#                                major of this machine's server (tests/pg_cluster.sh) runs every
#                                test; each other major runs the tests labelled "matrix" (and
#                                "standby" from 16 on) against a server of a minimal Debian root
#                                (tests/pg_root.sh), without AddressSanitizer. PG_MAJORS= (empty)
#                                tests this machine's major only, and so does a run with ctest
#                                arguments unless PG_MAJORS is set.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-2}
test_jobs=${TEST_JOBS:-$((jobs * 2))}

"$root/tests/deps.sh"

configure_and_build() {
    local dir=$1
    shift
    cmake -S "$root" -B "$dir" -DWERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs" -- --no-print-directory
}

echo "== build ($build)"
configure_and_build "$build"

cluster="$build/pgtest"
running_major=""
stop_cluster() {
    "$root/tests/pg_cluster.sh" stop "$cluster" || true
    if [ -n "$running_major" ]; then
        "$root/tests/pg_root.sh" stop "$running_major" "$build/pgtest-$running_major" || true
    fi
}
trap stop_cluster EXIT
echo "== start a throwaway PostgreSQL cluster"
"$root/tests/pg_cluster.sh" start "$cluster"
# shellcheck disable=SC1091
. "$cluster/env"

host_major=$(psql -X -A -t -c 'SHOW server_version_num' | cut -c1-2)

status=0
echo "== tests (PostgreSQL $(psql -X -A -t -c 'SHOW server_version'))"
# "standby" tests need a second server of a root (tests/pg_root.sh standby)
(cd "$build" && ctest --output-on-failure --timeout 900 -j "$test_jobs" -LE '^standby$' "$@") || status=1

if [ -n "${PG_MAJORS+x}" ] || [ $# = 0 ]; then
    majors=${PG_MAJORS-13 15 17 18}
else
    majors=""
    echo "== other PostgreSQL majors: none (ctest arguments given and PG_MAJORS unset)"
fi
for major in $majors; do
    [ "$major" = "$host_major" ] && continue
    labels='^matrix$'
    [ "$major" -ge 16 ] && labels='^(matrix|standby)$'
    # (the list is read whole first: grep -q leaving early would fail the pipe, set -o pipefail)
    if [ $# -gt 0 ] && ! grep -q '^ *Test *#' <<<"$(cd "$build" && ctest -N -L "$labels" "$@")"; then
        echo "== PostgreSQL $major: no test matches"
        continue
    fi
    echo "== start PostgreSQL $major (tests/pg_root.sh)"
    pgdir="$build/pgtest-$major"
    running_major=$major
    if ! "$root/tests/pg_root.sh" start "$major" "$pgdir"; then
        echo "== PostgreSQL $major: the server did not start"
        status=1
        continue
    fi
    (
        # shellcheck disable=SC1091
        . "$pgdir/env"
        echo "== tests on PostgreSQL $(psql -X -A -t -c 'SHOW server_version') (labels $labels)"
        cd "$build" && ctest --output-on-failure --timeout 900 -j "$test_jobs" -L "$labels" "$@"
    ) || status=1
    "$root/tests/pg_root.sh" stop "$major" "$pgdir" || true
    running_major=""
done

if [ "${SKIP_ASAN:-0}" != 1 ]; then
    asan="${build}-asan"
    echo "== build with AddressSanitizer + UBSan ($asan)"
    configure_and_build "$asan" -DSANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    echo "== tests under AddressSanitizer + UBSan"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    (cd "$asan" && ctest --output-on-failure --timeout 1800 -j "$test_jobs" -LE '^standby$' "$@") || status=1
fi

if [ "$status" = 0 ]; then
    echo "== all tests passed"
else
    echo "== some tests FAILED"
fi
exit "$status"
