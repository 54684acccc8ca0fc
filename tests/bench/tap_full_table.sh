#!/usr/bin/env bash
# Benchmark: tap-postgres FULL_TABLE of public.bench (1,000,000 rows, bench_table.sql) to
# /dev/null against psql's raw COPY of the same columns, in the same run; RUNS runs each,
# alternating, medians compared. Prints the ratio and the tap's peak RSS. Not part of ctest.
#
#   tests/bench/tap_full_table.sh                 reuse the cluster of PGTEST_PORT, or start one
#   RUNS=7 TAP_BIN=... tests/bench/tap_full_table.sh
#   EXTRA_CONFIG='"transformations":[...]' tests/bench/tap_full_table.sh   (more config keys)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=${RUNS:-5}
db=${BENCH_DB:-bench}
tap=${TAP_BIN:-$build/tap-postgres/tap-postgres}
work=$build/bench-tap
mkdir -p "$work"

"$root/tests/deps.sh"   # /usr/bin/time (peak RSS)
if [ ! -x "$tap" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j 2 >/dev/null
fi

started=""
if [ -z "${PGTEST_PORT:-}" ] || ! psql -X -q -h "${PGTEST_HOST:-127.0.0.1}" -p "$PGTEST_PORT" -U "${PGTEST_USER:-postgres}" -d postgres -c 'select 1' >/dev/null 2>&1; then
    "$root/tests/pg_cluster.sh" start "$build/bench-cluster"
    started=$build/bench-cluster
    # shellcheck disable=SC1091
    . "$build/bench-cluster/env"
fi
stop() { if [ -n "$started" ]; then "$root/tests/pg_cluster.sh" stop "$started"; fi; }
trap stop EXIT
export PGHOST=${PGTEST_HOST:-127.0.0.1} PGPORT=$PGTEST_PORT PGUSER=${PGTEST_USER:-postgres}

if ! psql -X -q -d "$db" -c 'select 1 from public.bench limit 1' >/dev/null 2>&1; then
    echo "generating public.bench (1,000,000 rows) in database $db" >&2
    psql -X -q -d postgres -c "CREATE DATABASE $db" 2>/dev/null || true
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$root/tests/bench/bench_table.sql" >/dev/null
fi
rows=$(psql -X -q -A -t -d "$db" -c 'select count(*) from public.bench')

printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s"%s}\n' "$PGHOST" "$PGPORT" "$PGUSER" "$db" "${EXTRA_CONFIG:+,$EXTRA_CONFIG}" >"$work/config.json"
"$tap" --config "$work/config.json" --discover 2>/dev/null |
    sed -E 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"FULL_TABLE",/' >"$work/catalog.json"
cols=id,c_int,c_numeric,c_text,c_varchar,c_bool,c_ts,c_date,c_json,c_uuid,c_double,c_nullable

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
: >"$work/psql.times"
: >"$work/tap.times"
: >"$work/tap.rss"
for i in $(seq 1 "$runs"); do
    /usr/bin/time -f '%e %M' -o "$work/t" psql -X -q -d "$db" -c "\\copy (SELECT $cols FROM public.bench) TO '/dev/null'"
    cut -d' ' -f1 "$work/t" >>"$work/psql.times"
    /usr/bin/time -f '%e %M' -o "$work/t" "$tap" --config "$work/config.json" --catalog "$work/catalog.json" >/dev/null 2>"$work/tap.log"
    cut -d' ' -f1 "$work/t" >>"$work/tap.times"
    cut -d' ' -f2 "$work/t" >>"$work/tap.rss"
    echo "run $i: psql $(cat "$work/psql.times" | tail -n 1) s, tap $(tail -n 1 "$work/tap.times") s" >&2
done
p=$(median <"$work/psql.times")
t=$(median <"$work/tap.times")
rss=$(sort -n "$work/tap.rss" | tail -n 1)
ratio=$(awk -v t="$t" -v p="$p" 'BEGIN { printf "%.2f", t / p }')
echo "tap-postgres FULL_TABLE of $rows rows: median ${t} s (psql COPY ${p} s), ratio ${ratio}, peak RSS $((rss / 1024)) MB ($rss KB), $runs runs"
