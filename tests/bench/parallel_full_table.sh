#!/usr/bin/env bash
# Benchmark (not a test): tap-postgres FULL_TABLE of public.bench (1,000,000 rows,
# bench_table.sql) to /dev/null with snapshot_workers 2 (WORKERS), against one psql COPY of the
# same columns and against the tap with one connection, alternating in the same run; RUNS runs,
# medians compared (goal for 2 workers: < 0.8x psql, PERF.md).
#
#   tests/bench/parallel_full_table.sh            reuse the cluster of PGTEST_PORT, or start one
#   RUNS=5 WORKERS=3 tests/bench/parallel_full_table.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=${RUNS:-5}
workers=${WORKERS:-2}
db=${BENCH_DB:-bench}
tap=${TAP_BIN:-$build/tap-postgres/tap-postgres}
work=$build/bench-parallel
mkdir -p "$work"
"$root/tests/deps.sh"   # /usr/bin/time
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
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s"}\n' "$PGHOST" "$PGPORT" "$PGUSER" "$db" >"$work/one.json"
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s","snapshot_workers":%s}\n' "$PGHOST" "$PGPORT" "$PGUSER" "$db" "$workers" >"$work/par.json"
"$tap" --config "$work/one.json" --discover 2>/dev/null |
    sed -E 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"FULL_TABLE",/' >"$work/catalog.json"
cols=id,c_int,c_numeric,c_text,c_varchar,c_bool,c_ts,c_date,c_json,c_uuid,c_double,c_nullable

# once, untimed (it also warms the cache): the parallel copy writes every row once
"$tap" --config "$work/par.json" --catalog "$work/catalog.json" 2>"$work/par.log" | grep -c '"type":"RECORD"' >"$work/n" || true
[ "$(cat "$work/n")" = "$rows" ] || { echo "the tap wrote $(cat "$work/n") records, expected $rows" >&2; tail -5 "$work/par.log" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
: >"$work/psql.t"; : >"$work/one.t"; : >"$work/par.t"; : >"$work/par.rss"
for i in $(seq 1 "$runs"); do
    /usr/bin/time -f '%e %M' -o "$work/t" psql -X -q -d "$db" -c "\\copy (SELECT $cols FROM public.bench) TO '/dev/null'"
    cut -d' ' -f1 "$work/t" >>"$work/psql.t"
    # all three to /dev/null (a file would add the page cache's copy to the tap's time only)
    /usr/bin/time -f '%e %M' -o "$work/t" "$tap" --config "$work/par.json" --catalog "$work/catalog.json" >/dev/null 2>"$work/par.log"
    cut -d' ' -f1 "$work/t" >>"$work/par.t"
    cut -d' ' -f2 "$work/t" >>"$work/par.rss"
    grep -q "summary: $rows records" "$work/par.log" || { echo "the tap did not report $rows records" >&2; tail -5 "$work/par.log" >&2; exit 1; }
    /usr/bin/time -f '%e %M' -o "$work/t" "$tap" --config "$work/one.json" --catalog "$work/catalog.json" >/dev/null 2>"$work/one.log"
    cut -d' ' -f1 "$work/t" >>"$work/one.t"
    echo "run $i: psql $(tail -n 1 "$work/psql.t") s, tap with $workers workers $(tail -n 1 "$work/par.t") s, tap with 1 $(tail -n 1 "$work/one.t") s" >&2
done
p=$(median <"$work/psql.t"); t=$(median <"$work/par.t"); o=$(median <"$work/one.t")
rss=$(sort -n "$work/par.rss" | tail -n 1)
echo "FULL_TABLE of $rows rows: median tap with $workers workers ${t} s, one connection ${o} s, psql COPY ${p} s;" \
    "ratio to psql $(awk -v t="$t" -v p="$p" 'BEGIN {printf "%.2f", t / p}') (goal < 0.8), one connection" \
    "$(awk -v t="$o" -v p="$p" 'BEGIN {printf "%.2f", t / p}'); peak RSS $((rss / 1024)) MB; $runs runs"
