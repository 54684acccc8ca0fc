#!/usr/bin/env bash
# CDC benchmark (not a test): tap-postgres LOG_BASED against pg_recvlogical over the same WAL.
#
#   tests/bench/cdc.sh                 build/ binaries, a cluster in build/pgbench (started and
#                                      stopped again, or the one in PGPORT when PGTEST_PORT is set)
#   ROUNDS=5 tests/bench/cdc.sh        rounds per consumer (median reported)
#   SKIP_BIG=1 tests/bench/cdc.sh      skip the 1,000,000-row transaction
#
# 1. public.bench (1,000,000 rows, tests/bench/bench_table.sql), slots created before the
#    workload: one wal2json and one pgoutput slot for the tap, one wal2json slot per round for
#    pg_recvlogical (it confirms what it reads, so each round needs a fresh slot; the tap never
#    confirms past its input state, so its slots serve every round).
# 2. tests/bench/updates_workload.sql: 200,000 single-row updates in 200 transactions.
# 3. Per round: pg_recvlogical --start --endpos=<end> -f /dev/null with wal2json
#    format-version 2 and the options the tap asks for, then the tap (wal2json slot, then
#    pgoutput slot) to /dev/null from a state at the slot's start; wall time and peak RSS
#    (/usr/bin/time). Prints medians and the ratios tap / pg_recvlogical.
# 4. One UPDATE of all 1,000,000 rows in one transaction, streamed by the tap with each
#    plugin: peak RSS (goal < 50 MB) and the record count.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
tap=$build/tap-postgres/tap-postgres
rounds=${ROUNDS:-3}
work=$build/bench-cdc
mkdir -p "$work"

"$root/tests/deps.sh"   # /usr/bin/time (peak RSS), bc
[ -x "$tap" ] || { echo "build first: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j" >&2; exit 1; }

if [ -z "${PGTEST_PORT:-}" ]; then
    "$root/tests/pg_cluster.sh" start "$build/pgbench"
    trap '"$root/tests/pg_cluster.sh" stop "$build/pgbench" >/dev/null 2>&1 || true' EXIT
    # shellcheck disable=SC1091
    . "$build/pgbench/env"
fi
export PGHOST=${PGTEST_HOST:-127.0.0.1} PGPORT=$PGTEST_PORT PGUSER=${PGTEST_USER:-postgres}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
db=bench_cdc
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }

echo "== database $db"
psql -X -q -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$db' AND NOT active" >/dev/null
if [ "$(psql -X -A -t -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 0 ]; then
    psql -X -q -d postgres -c "CREATE DATABASE $db"
fi
if [ "$(q "SELECT count(*) FROM pg_class WHERE relname = 'bench'")" = 0 ] || [ "${REBUILD:-0}" = 1 ]; then
    echo "loading 1,000,000 rows"
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$root/tests/bench/bench_table.sql" >/dev/null
fi
q "DROP PUBLICATION IF EXISTS bench_pub; CREATE PUBLICATION bench_pub FOR TABLE public.bench"
q "CHECKPOINT"

base=$(printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s","max_run_seconds":3600,"logical_poll_total_seconds":600,"itersize":20000}' \
    "$PGHOST" "$PGPORT" "$PGUSER" "$db")
echo "$base" >"$work/base.json"
"$tap" --config "$work/base.json" --discover 2>/dev/null |
    awk 'NR == 1 || /"tap_stream_id":"public-bench"/ || /^\]\}/' | sed -E '2s/,$//' |
    sed -E 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"LOG_BASED",/' >"$work/catalog.json"
grep -q '"selected":true' "$work/catalog.json" || { echo "discovery did not find public.bench" >&2; exit 1; }
echo "${base%\}},\"slot_name\":\"bench_tap_w2j\",\"logical_decoding_plugin\":\"wal2json\"}" >"$work/tap_w2j.json"
echo "${base%\}},\"slot_name\":\"bench_tap_pgo\",\"publication_name\":\"bench_pub\",\"logical_decoding_plugin\":\"pgoutput\"}" >"$work/tap_pgo.json"

echo "== slots (before the workload)"
q "SELECT count(*) FROM pg_create_logical_replication_slot('bench_tap_w2j', 'wal2json')" >/dev/null
q "SELECT count(*) FROM pg_create_logical_replication_slot('bench_tap_pgo', 'pgoutput')" >/dev/null
for r in $(seq 1 "$rounds"); do
    q "SELECT count(*) FROM pg_create_logical_replication_slot('bench_base_$r', 'wal2json')" >/dev/null
done
state_for() { # SLOT -> a state whose bookmark is the slot's start
    local lsn
    lsn=$(q "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM pg_replication_slots WHERE slot_name = '$1'")
    printf '{"currently_syncing":null,"bookmarks":{"public-bench":{"last_replication_method":"LOG_BASED","lsn":%s,"version":1}}}\n' "$lsn"
}
state_for bench_tap_w2j >"$work/state_w2j.json"
state_for bench_tap_pgo >"$work/state_pgo.json"

echo "== workload: 200,000 single-row updates in 200 transactions"
t0=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$root/tests/bench/updates_workload.sql" >/dev/null
echo "   $(echo "$(date +%s.%N) - $t0" | bc) s"
end=$(q "SELECT pg_current_wal_insert_lsn()")
echo "   end LSN $end"

timed() { # OUTFILE CMD... : "<seconds> <peak RSS kB> <CPU seconds>"
    local out=$1
    shift
    /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$@" >"$out" 2>"$work/err.txt" || {
        echo "FAILED: $*" >&2
        tail -n 5 "$work/err.txt" >&2
        exit 1
    }
    awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$work/time.txt"
}

w2j_opts=(-o format-version=2 -o include-xids=1 -o include-timestamp=1 -o include-lsn=1
          -o include-type-oids=1 -o include-transaction=1 -o add-tables=public.bench)
declare -a T_BASE T_W2J T_PGO M_BASE M_W2J M_PGO C_BASE C_W2J C_PGO
for r in $(seq 1 "$rounds"); do
    read -r t m c < <(timed /dev/null "$PGBIN/pg_recvlogical" -d "$db" -S "bench_base_$r" --start \
        --endpos="$end" -f /dev/null "${w2j_opts[@]}" --no-loop)
    T_BASE+=("$t"); M_BASE+=("$m"); C_BASE+=("$c")
    read -r t m c < <(timed /dev/null "$tap" --config "$work/tap_w2j.json" --catalog "$work/catalog.json" --state "$work/state_w2j.json")
    T_W2J+=("$t"); M_W2J+=("$m"); C_W2J+=("$c")
    read -r t m c < <(timed /dev/null "$tap" --config "$work/tap_pgo.json" --catalog "$work/catalog.json" --state "$work/state_pgo.json")
    T_PGO+=("$t"); M_PGO+=("$m"); C_PGO+=("$c")
    echo "   round $r: pg_recvlogical ${T_BASE[-1]} s, tap wal2json ${T_W2J[-1]} s, tap pgoutput ${T_PGO[-1]} s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }
b=$(median "${T_BASE[@]}"); w=$(median "${T_W2J[@]}"); p=$(median "${T_PGO[@]}")

# the tap really streamed every change (a separate run, counted)
n_w2j=$("$tap" --config "$work/tap_w2j.json" --catalog "$work/catalog.json" --state "$work/state_w2j.json" 2>/dev/null | grep -c '^{"type":"RECORD"')
n_pgo=$("$tap" --config "$work/tap_pgo.json" --catalog "$work/catalog.json" --state "$work/state_pgo.json" 2>/dev/null | grep -c '^{"type":"RECORD"')

echo
echo "== 200,000 changes, median of $rounds round(s)"
printf '%-34s %8s %8s %10s %9s %8s\n' consumer seconds ratio "peak RSS" "CPU s" records
printf '%-34s %8.2f %8s %7d kB %9.2f %8s\n' "pg_recvlogical (wal2json v2)" "$b" "1.00" "$(maxof "${M_BASE[@]}")" "$(median "${C_BASE[@]}")" "-"
printf '%-34s %8.2f %8.2f %7d kB %9.2f %8d\n' "tap-postgres (wal2json)" "$w" "$(echo "$w / $b" | bc -l)" "$(maxof "${M_W2J[@]}")" "$(median "${C_W2J[@]}")" "$n_w2j"
printf '%-34s %8.2f %8.2f %7d kB %9.2f %8d\n' "tap-postgres (pgoutput)" "$p" "$(echo "$p / $b" | bc -l)" "$(maxof "${M_PGO[@]}")" "$(median "${C_PGO[@]}")" "$n_pgo"

if [ "${SKIP_BIG:-0}" != 1 ]; then
    echo
    echo "== one transaction of 1,000,000 updated rows"
    state_at() { printf '{"currently_syncing":null,"bookmarks":{"public-bench":{"last_replication_method":"LOG_BASED","lsn":%s,"version":1}}}\n' \
        "$(q "SELECT ('$1'::pg_lsn - '0/0'::pg_lsn)::bigint")"; }
    state_at "$end" >"$work/state_big.json"
    q "UPDATE public.bench SET c_int = c_int + 1"
    for plugin in w2j pgo; do
        /usr/bin/time -f "%e %M" -o "$work/time.txt" "$tap" --config "$work/tap_$plugin.json" \
            --catalog "$work/catalog.json" --state "$work/state_big.json" 2>"$work/err.txt" |
            grep -c '^{"type":"RECORD"' >"$work/count.txt" || true
        read -r t m <"$work/time.txt"
        printf '%-34s %8.2f s %7d kB %8d records\n' "tap-postgres ($plugin)" "$t" "$m" "$(cat "$work/count.txt")"
    done
fi
psql -X -q -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$db' AND NOT active" >/dev/null
