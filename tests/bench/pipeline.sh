#!/usr/bin/env bash
# Benchmark (not a test): the whole pipeline, tap-postgres FULL_TABLE of public.bench
# (1,000,000 rows, bench_table.sql) piped into target-postgres loading an empty database,
# against `psql \copy (SELECT ...) TO STDOUT | psql \copy t FROM STDIN` into an identical
# empty keyed table, alternating in the same run. Prints each run, the medians and the ratio
# (goal <= 1.0, PERF.md).
#
#   tests/bench/pipeline.sh                      reuse the cluster of PGTEST_PORT, or start one
#   RUNS=5 tests/bench/pipeline.sh
#   EXTRA='"hard_delete":true' tests/bench/pipeline.sh    more target config members
#   TAP_EXTRA='"snapshot_workers":2' tests/bench/pipeline.sh   more tap config members
#   SERVER_LOG=build/pgman/server.log tests/bench/pipeline.sh   also the server's CPU seconds
#       (log_statement_stats on both databases, summed from that log file of the cluster):
#       on a shared machine wall times move a lot, CPU seconds much less
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=${RUNS:-3}
db=${BENCH_DB:-bench}
tdb=pipeline_target
tap=${TAP_BIN:-$build/tap-postgres/tap-postgres}
target=${TARGET_BIN:-$build/target-postgres/target-postgres}
extra=${EXTRA:-}
tap_extra=${TAP_EXTRA:-}
work=$build/bench-pipeline
mkdir -p "$work"

if [ ! -x "$tap" ] || [ ! -x "$target" ]; then
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
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $tdb" -c "CREATE DATABASE $tdb"

printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s"%s}\n' \
    "$PGHOST" "$PGPORT" "$PGUSER" "$db" "${tap_extra:+,$tap_extra}" >"$work/tap.json"
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s","default_target_schema":"tgt"%s}\n' \
    "$PGHOST" "$PGPORT" "$PGUSER" "$tdb" "${extra:+,$extra}" >"$work/target.json"
"$tap" --config "$work/tap.json" --discover 2>/dev/null |
    sed -E 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"FULL_TABLE",/' >"$work/catalog.json"
cols=id,c_int,c_numeric,c_text,c_varchar,c_bool,c_ts,c_date,c_json,c_uuid,c_double,c_nullable
# the table target-postgres creates, for the baseline (same types, same primary key)
ddl="CREATE TABLE public.baseline (id bigint PRIMARY KEY, c_int integer, c_numeric numeric,
  c_text text, c_varchar text, c_bool boolean, c_ts timestamptz, c_date timestamptz, c_json jsonb,
  c_uuid text, c_double numeric, c_nullable text)"

now() { date +%s.%N; }
# CPU seconds (user + sys) of our children that ended so far (this shell's times)
server_log=${SERVER_LOG:-}
if [ -n "$server_log" ]; then
    psql -X -q -d postgres -c "ALTER DATABASE $db SET log_statement_stats = on" -c "ALTER DATABASE $tdb SET log_statement_stats = on"
fi
# server CPU seconds of the statements logged since byte offset $1 of the server log
server_cpu() {
    [ -n "$server_log" ] || { echo "-"; return; }
    tail -c +$(($1 + 1)) "$server_log" | awk '/s user, .* s system, .* s elapsed/ && !/total/ {
        for (i = 1; i < NF; i++) { if ($(i+1) == "s" && $(i+2) == "user,") u += $i; if ($(i+1) == "s" && $(i+2) == "system,") s += $i } }
        END {printf "%.2f", u + s}'
}
log_size() { if [ -n "$server_log" ]; then stat -c %s "$server_log"; else echo 0; fi; }
# (into the variable named $1: a command substitution would run `times` in a subshell)
self_cpu() {
    times >"$work/times"
    printf -v "$1" '%s' "$(awk 'NR == 2 {gsub(/[ms]/, " "); split($0, a, " "); print a[1] * 60 + a[2] + a[3] * 60 + a[4]}' "$work/times")"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ours=() base=() ocpu=() bcpu=()
for i in $(seq 1 "$runs"); do
    psql -X -q -d "$tdb" -c "DROP SCHEMA IF EXISTS tgt CASCADE" -c "DROP TABLE IF EXISTS public.baseline" -c "$ddl" -c CHECKPOINT 2>/dev/null
    l0=$(log_size)
    self_cpu c0
    t0=$(now)
    psql -X -q -d "$db" -c "\\copy (SELECT $cols FROM public.bench) TO STDOUT" |
        psql -X -q -d "$tdb" -c "\\copy public.baseline FROM STDIN"
    t1=$(now)
    self_cpu c1
    sleep 1   # the log lines of the statements that just ended
    bs=$(server_cpu "$l0")
    psql -X -q -d "$tdb" -c CHECKPOINT
    l2=$(log_size)
    self_cpu c2
    t2=$(now)
    "$tap" --config "$work/tap.json" --catalog "$work/catalog.json" 2>"$work/tap.log" |
        "$target" --config "$work/target.json" >"$work/states.out" 2>"$work/target.log"
    t3=$(now)
    self_cpu c3
    sleep 1
    os=$(server_cpu "$l2")
    n=$(psql -X -q -A -t -d "$tdb" -c "SELECT count(*) FROM tgt.bench")
    [ "$n" = "$rows" ] || { echo "target loaded $n rows, expected $rows" >&2; tail -5 "$work/target.log" >&2; exit 1; }
    b=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
    o=$(awk -v a="$t2" -v b="$t3" 'BEGIN {printf "%.2f", b - a}')
    bc=$(awk -v c="$c0" -v d="$c1" 'BEGIN {printf "%.2f", d - c}')
    oc=$(awk -v c="$c2" -v d="$c3" 'BEGIN {printf "%.2f", d - c}')
    echo "run $i: tap | target ${o}s (CPU: clients ${oc}s, server ${os}s)   psql | psql ${b}s (CPU: clients ${bc}s, server ${bs}s)" >&2
    ours+=("$o") base+=("$b") ocpu+=("$oc") bcpu+=("$bc")
done
mo=$(printf '%s\n' "${ours[@]}" | median)
mb=$(printf '%s\n' "${base[@]}" | median)
ratio=$(awk -v a="$mo" -v b="$mb" 'BEGIN {printf "%.2f", a / b}')
echo "client CPU seconds (user+sys of both programs), per run: tap | target ${ocpu[*]}; psql | psql ${bcpu[*]}"
echo "pipeline of $rows rows: median tap | target ${mo}s, psql | psql ${mb}s, ratio $ratio (goal <= 1.0), $runs runs"
