#!/usr/bin/env bash
# Benchmark (not a test): tap-postgres FULL_TABLE of 4 tables of 250,000 rows each (public.bench,
# bench_table.sql, split by id % 4 into public.bench_p0..3) to /dev/null with parallel_streams 1
# and STREAMS (default 2), alternating in the same run; RUNS runs (default 3), medians compared.
# One psql COPY of the four tables one after another is the baseline.
#
#   tests/bench/parallel_streams.sh            reuse the cluster of PGTEST_PORT, or start one
#   RUNS=5 STREAMS=4 tests/bench/parallel_streams.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=${RUNS:-3}
streams=${STREAMS:-2}
db=${BENCH_DB:-bench}
tap=${TAP_BIN:-$build/tap-postgres/tap-postgres}
work=$build/bench-parallel-streams
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
for p in 0 1 2 3; do
    if ! psql -X -q -d "$db" -c "select 1 from public.bench_p$p limit 1" >/dev/null 2>&1; then
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE TABLE public.bench_p$p (LIKE public.bench INCLUDING ALL);
          INSERT INTO public.bench_p$p SELECT * FROM public.bench WHERE id % 4 = $p; ANALYZE public.bench_p$p" >/dev/null
    fi
done
rows=$(psql -X -q -A -t -d "$db" -c 'select (select count(*) from bench_p0) + (select count(*) from bench_p1) + (select count(*) from bench_p2) + (select count(*) from bench_p3)')
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s"}\n' "$PGHOST" "$PGPORT" "$PGUSER" "$db" >"$work/one.json"
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s","parallel_streams":%s}\n' "$PGHOST" "$PGPORT" "$PGUSER" "$db" "$streams" >"$work/par.json"
"$tap" --config "$work/one.json" --discover 2>/dev/null |
    sed -E '/"tap_stream_id":"public-bench_p[0-3]"/ s/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"FULL_TABLE",/' >"$work/catalog.json"
cols=id,c_int,c_numeric,c_text,c_varchar,c_bool,c_ts,c_date,c_json,c_uuid,c_double,c_nullable

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
: >"$work/psql.t"; : >"$work/one.t"; : >"$work/par.t"; : >"$work/par.rss"
for i in $(seq 1 "$runs"); do
    /usr/bin/time -f '%e %M' -o "$work/t" sh -c "for p in 0 1 2 3; do psql -X -q -d '$db' -c \"\\\\copy (SELECT $cols FROM public.bench_p\$p) TO '/dev/null'\"; done"
    cut -d' ' -f1 "$work/t" >>"$work/psql.t"
    /usr/bin/time -f '%e %M' -o "$work/t" "$tap" --config "$work/par.json" --catalog "$work/catalog.json" >"$work/par.out" 2>"$work/par.log"
    cut -d' ' -f1 "$work/t" >>"$work/par.t"
    cut -d' ' -f2 "$work/t" >>"$work/par.rss"
    n=$(grep -c '"type":"RECORD"' "$work/par.out")
    [ "$n" = "$rows" ] || { echo "the tap wrote $n records, expected $rows" >&2; tail -5 "$work/par.log" >&2; exit 1; }
    /usr/bin/time -f '%e %M' -o "$work/t" "$tap" --config "$work/one.json" --catalog "$work/catalog.json" >/dev/null 2>"$work/one.log"
    cut -d' ' -f1 "$work/t" >>"$work/one.t"
    echo "run $i: psql x4 $(tail -n 1 "$work/psql.t") s, tap parallel_streams $streams $(tail -n 1 "$work/par.t") s, parallel_streams 1 $(tail -n 1 "$work/one.t") s" >&2
done
p=$(median <"$work/psql.t"); t=$(median <"$work/par.t"); o=$(median <"$work/one.t")
rss=$(sort -n "$work/par.rss" | tail -n 1)
echo "FULL_TABLE of 4 tables, $rows rows: median parallel_streams $streams ${t} s, parallel_streams 1 ${o} s" \
    "(ratio $(awk -v t="$t" -v o="$o" 'BEGIN {printf "%.2f", t / o}')), psql COPY of the four one after another ${p} s;" \
    "peak RSS $((rss / 1024)) MB; $runs runs on $(nproc) cores"
