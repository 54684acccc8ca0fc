#!/usr/bin/env bash
# Build everything and run every test against a throwaway PostgreSQL cluster.
#
#   tests/run.sh                 install what is missing, build, run all tests, then again under
#                                AddressSanitizer + UBSan
#   SKIP_ASAN=1 tests/run.sh     skip the sanitizer pass (faster while developing)
#   BUILD_DIR=... tests/run.sh   build elsewhere (default: build/ and build-asan/)
#   tests/run.sh -R target       extra arguments go to ctest (here: only tests matching "target")
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-2}

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
stop_cluster() { "$root/tests/pg_cluster.sh" stop "$cluster" || true; }
trap stop_cluster EXIT
echo "== start a throwaway PostgreSQL cluster"
"$root/tests/pg_cluster.sh" start "$cluster"
# shellcheck disable=SC1091
. "$cluster/env"

status=0
echo "== tests"
(cd "$build" && ctest --output-on-failure --timeout 900 -j "$jobs" "$@") || status=1

if [ "${SKIP_ASAN:-0}" != 1 ]; then
    asan="${build}-asan"
    echo "== build with AddressSanitizer + UBSan ($asan)"
    configure_and_build "$asan" -DSANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    echo "== tests under AddressSanitizer + UBSan"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    (cd "$asan" && ctest --output-on-failure --timeout 1800 -j "$jobs" "$@") || status=1
fi

if [ "$status" = 0 ]; then
    echo "== all tests passed"
else
    echo "== some tests FAILED"
fi
exit "$status"
