#!/usr/bin/env bash
# The long form of the kill loops: every method (FULL_TABLE, INCREMENTAL, LOG_BASED with
# pgoutput and with wal2json), KILLS kills each (default 100), one after the other, against a
# throwaway cluster of its own; builds first (into BUILD_DIR, default build/).
#   tests/reliability/long.sh                       100 kills per method, a random SEED each
#   KILLS=20 SEED=123 tests/reliability/long.sh     the same SEED for every method (replay)
#   METHODS="LOG_BASED/wal2json" tests/reliability/long.sh
# Logs go to $BUILD_DIR/reliability-long/<method>.log; the last line of each says how many
# kills it survived, in how long, with its SEED.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
export KILLS=${KILLS:-100}
methods=${METHODS:-FULL_TABLE INCREMENTAL LOG_BASED/pgoutput LOG_BASED/wal2json}

cmake -S "$root" -B "$build" -DWERROR=ON >/dev/null
cmake --build "$build" -j "${JOBS:-2}" -- --no-print-directory >/dev/null
cluster=$build/pgtest-long
stop_cluster() { "$root/tests/pg_cluster.sh" stop "$cluster" || true; }
trap stop_cluster EXIT
"$root/tests/pg_cluster.sh" start "$cluster"
# shellcheck disable=SC1091
. "$cluster/env"
export TAP_BIN=$build/tap-postgres/tap-postgres TARGET_BIN=$build/target-postgres/target-postgres \
    TESTS_DIR=$root/tests
logs=$build/reliability-long
mkdir -p "$logs"
status=0
for m in $methods; do
    name=$(tr '/' '_' <<<"$m")
    export METHOD=${m%%/*} TEST_TMP=$build/test-tmp/reliability-long-$name
    if [ "$METHOD" = LOG_BASED ]; then export PLUGIN=${m#*/}; else unset PLUGIN; fi
    start=$(date +%s)
    if bash "$root/tests/reliability/kill_loop.sh" >"$logs/$name.log" 2>&1; then
        result=passed
    else
        result=FAILED
        status=1
    fi
    echo "$m: $result in $(($(date +%s) - start))s: $(grep -E '^kill loop:' "$logs/$name.log" | tail -n 1) (log: $logs/$name.log)"
done
exit "$status"
