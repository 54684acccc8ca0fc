#!/usr/bin/env bash
# Benchmark of target-postgres (not a test): load a 1,000,000-record Singer file (key: id)
# and compare, in the same run, with psql's \copy of the same rows as CSV into an identical
# empty keyed table. Prints each run, the medians, the ratio and the peak RSS.
#
#   tests/bench/target_load.sh                 # uses build/; starts a throwaway cluster if
#                                              # PGTEST_PORT is not set
#   ROWS=200000 RUNS=3 tests/bench/target_load.sh
#   EXTRA='"hard_delete":true' tests/bench/target_load.sh   # more target config members
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
rows=${ROWS:-1000000}
runs=${RUNS:-3}
work=${BENCH_DIR:-$build/bench}
extra=${EXTRA:-}
mkdir -p "$work"
bin=$build/target-postgres/target-postgres
"$root/tests/deps.sh"   # /usr/bin/time (peak RSS)
[ -x "$bin" ] || { echo "build first: cmake --build $build" >&2; exit 1; }

if [ -z "${PGTEST_PORT:-}" ]; then
    "$root/tests/pg_cluster.sh" start "$work/pg"
    trap '"$root/tests/pg_cluster.sh" stop "$work/pg"' EXIT
    # shellcheck disable=SC1091
    . "$work/pg/env"
fi
export PGHOST=${PGTEST_HOST:-127.0.0.1} PGPORT=$PGTEST_PORT PGUSER=${PGTEST_USER:-postgres}

if [ ! -s "$work/bench_$rows.jsonl" ]; then
    cc -O2 -o "$work/target_gen" "$root/tests/bench/target_gen.c"
    "$work/target_gen" "$rows" "$work/bench_$rows"
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS target_bench" -c "CREATE DATABASE target_bench"
cfg=$work/target_bench.json
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"target_bench","default_target_schema":"tgt"%s}\n' \
    "$PGHOST" "$PGPORT" "$PGUSER" "${extra:+,$extra}" >"$cfg"
# the table target-postgres creates, for the baseline (same types, same primary key)
ddl="CREATE TABLE public.baseline (id bigint PRIMARY KEY, c_int integer, c_numeric numeric,
  c_text text, c_varchar text, c_bool boolean, c_ts timestamptz, c_date timestamptz, c_json jsonb,
  c_uuid text, c_double numeric, c_nullable text)"

elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

ours=() base=() peak=0
for r in $(seq 1 "$runs"); do
    psql -X -q -d target_bench -c "DROP SCHEMA IF EXISTS tgt CASCADE" -c "DROP TABLE IF EXISTS public.baseline" -c "$ddl" -c CHECKPOINT 2>/dev/null
    /usr/bin/time -v psql -X -q -d target_bench -c "\\copy public.baseline FROM '$work/bench_$rows.csv' CSV" >/dev/null 2>"$work/base.time"
    b=$(elapsed "$work/base.time")
    psql -X -q -d target_bench -c CHECKPOINT
    /usr/bin/time -v "$bin" --config "$cfg" <"$work/bench_$rows.jsonl" >"$work/states.out" 2>"$work/ours.time"
    o=$(elapsed "$work/ours.time")
    m=$(rss "$work/ours.time")
    n=$(psql -X -q -A -t -d target_bench -c "SELECT count(*) FROM tgt.bench")
    [ "$n" = "$rows" ] || { echo "target loaded $n rows, expected $rows" >&2; tail -5 "$work/ours.time" >&2; exit 1; }
    [ "$m" -gt "$peak" ] && peak=$m
    echo "run $r: target-postgres ${o}s (peak RSS $((m / 1024)) MB)   psql \\copy ${b}s"
    ours+=("$o") base+=("$b")
done
mo=$(printf '%s\n' "${ours[@]}" | median)
mb=$(printf '%s\n' "${base[@]}" | median)
ratio=$(awk -v a="$mo" -v b="$mb" 'BEGIN {printf "%.2f", a / b}')
echo "rows: $rows   runs: $runs"
echo "median target-postgres: ${mo}s   median psql \\copy: ${mb}s   ratio: $ratio (goal <= 2.5)"
echo "peak RSS target-postgres: $((peak / 1024)) MB (goal < 100 MB + batch_size_bytes)"
