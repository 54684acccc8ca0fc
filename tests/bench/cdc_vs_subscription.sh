#!/usr/bin/env bash
# Benchmark (not a test): changes applied end to end, tap-postgres LOG_BASED (pgoutput) |
# target-postgres (hard_delete) against PostgreSQL's own logical replication (a subscription),
# both on the same WAL, in one run.
#
#   tests/bench/cdc_vs_subscription.sh        3 rounds; two clusters of its own, started in
#                                             build/bench-sub/{source,dest} and stopped again
#   ROUNDS=5 tests/bench/cdc_vs_subscription.sh
#   TARGET_EXTRA='"batch_size_rows":50000' tests/bench/cdc_vs_subscription.sh
#                                             more target config members
#   TARGET_EXTRA_B='"early_flush_rows":0' tests/bench/cdc_vs_subscription.sh
#                                             a second target config (TARGET_EXTRA, then
#                                             these members), run after the first in every
#                                             round: two settings compared on the same noise
#
# 1. The source cluster, database bench_sub_src: public.bench (1,000,000 rows, bench_table.sql)
#    and a publication of it and of public.bench_marker (one row). The destination cluster (a
#    second server, as in real use: the WAL the source decodes is the workload's only) holds
#    the subscriber database bench_sub_dst, given the same table (bench_table.sql is
#    deterministic), and the target database bench_sub_tgt, given its 1,000,000 rows by a first
#    tap | target run (the LOG_BASED copy), whose last STATE is where every round of ours starts.
# 2. Before the workload: one pgoutput slot per round for the subscription (its apply confirms
#    what it applied, so each round needs a fresh slot; the tap never confirms past its input
#    state, so its slot serves every round).
# 3. The workload: tests/bench/updates_workload.sql (200,000 single-row updates in 200
#    transactions), then one transaction setting bench_marker to the round count.
# 4. Per round, alternating: (a) the subscription, created disabled on that round's slot
#    (copy_data off), enabled; the time until the subscriber's bench_marker holds the value
#    of the last transaction, i.e. every transaction before it is applied (the apply worker is
#    serial, so the marker is the last applied). (b) tap --state S | target, the tap ending at
#    the server's end position as usual; its wall time.
# 5. Both sides are compared with the source at the end (count and md5 over the ordered rows
#    of the columns the workload changes), and the medians and the ratio printed
#    (goal: ours / subscription < 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
tap=$build/tap-postgres/tap-postgres
target=$build/target-postgres/target-postgres
rounds=${ROUNDS:-3}
work=$build/bench-sub
src=bench_sub_src dst=bench_sub_dst tgt=bench_sub_tgt
mkdir -p "$work"

"$root/tests/deps.sh"   # /usr/bin/time, bc
[ -x "$tap" ] && [ -x "$target" ] || {
    echo "build first: cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2" >&2
    exit 1
}
stop_all() {
    "$root/tests/pg_cluster.sh" stop "$work/dest" >/dev/null 2>&1 || true
    "$root/tests/pg_cluster.sh" stop "$work/source" >/dev/null 2>&1 || true
}
trap stop_all EXIT
rm -rf "$work/source" "$work/dest"
for c in source dest; do "$root/tests/pg_cluster.sh" start "$work/$c" >/dev/null; done
sport=$(. "$work/source/env" && echo "$PGTEST_PORT")
dport=$(. "$work/dest/env" && echo "$PGTEST_PORT")
export PGHOST=127.0.0.1 PGUSER=${PGTEST_USER:-postgres}
# port_of DB: the source cluster's port for bench_sub_src, else the destination's
port_of() { if [ "$1" = "$src" ]; then echo "$sport"; else echo "$dport"; fi; }
# q DB SQL: a query in DB, on its cluster
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -p "$(port_of "$1")" -d "$1" -c "$2"; }
now() { date +%s.%N; }

echo "== databases (source on port $sport, destination on port $dport)"
psql -X -q -p "$sport" -d postgres -c "CREATE DATABASE $src"
psql -X -q -p "$dport" -d postgres -c "CREATE DATABASE $dst" -c "CREATE DATABASE $tgt"
echo "loading 1,000,000 rows into $src and $dst"
for d in $src $dst; do
    psql -X -q -v ON_ERROR_STOP=1 -p "$(port_of "$d")" -d "$d" -f "$root/tests/bench/bench_table.sql" >/dev/null
    q "$d" "CREATE TABLE public.bench_marker (id int PRIMARY KEY, v int); INSERT INTO public.bench_marker VALUES (1, 0)"
done
q $src "CREATE PUBLICATION bench_pub FOR TABLE public.bench, public.bench_marker"
q $src "CHECKPOINT"

printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s","logical_decoding_plugin":"pgoutput","publication_name":"bench_pub","slot_name":"bench_sub_tap","max_run_seconds":3600,"logical_poll_total_seconds":600}\n' \
    "$PGHOST" "$sport" "$PGUSER" "$src" >"$work/tap.json"
# target_json MEMBERS: the target's config with more members (may be empty)
target_json() {
    printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s","default_target_schema":"public","hard_delete":true%s}\n' \
        "$PGHOST" "$dport" "$PGUSER" "$tgt" "${1:+,$1}"
}
target_json "${TARGET_EXTRA:-}" >"$work/target.json"
variants=(target.json)
if [ -n "${TARGET_EXTRA_B:-}" ]; then
    target_json "${TARGET_EXTRA:+$TARGET_EXTRA,}$TARGET_EXTRA_B" >"$work/target_b.json"
    variants+=(target_b.json)
fi
"$tap" --config "$work/tap.json" --discover 2>/dev/null |
    awk 'NR == 1 || /"tap_stream_id":"public-bench"/ || /^\]\}/' | sed -E '2s/,$//' |
    sed -E 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"LOG_BASED",/' >"$work/catalog.json"
grep -q '"selected":true' "$work/catalog.json" || { echo "discovery did not find public.bench" >&2; exit 1; }

echo "== the target's first load (tap | target, LOG_BASED copy)"
t0=$(now)
"$tap" --config "$work/tap.json" --catalog "$work/catalog.json" 2>"$work/tap0.err" |
    "$target" --config "$work/target.json" >"$work/state0.jsonl" 2>"$work/target0.err"
echo "   $(echo "$(now) - $t0" | bc) s, $(q $tgt "SELECT count(*) FROM public.bench") rows"
tail -n 1 "$work/state0.jsonl" >"$work/state.json"
grep -q '"lsn"' "$work/state.json" || { echo "no LOG_BASED state after the first load" >&2; exit 1; }

echo "== slots (before the workload)"
for r in $(seq 1 "$rounds"); do
    q $src "SELECT count(*) FROM pg_create_logical_replication_slot('bench_sub_$r', 'pgoutput')" >/dev/null
done

echo "== workload: 200,000 single-row updates in 200 transactions"
t0=$(now)
psql -X -q -v ON_ERROR_STOP=1 -p "$sport" -d $src -f "$root/tests/bench/updates_workload.sql" >/dev/null
q $src "UPDATE public.bench_marker SET v = $rounds WHERE id = 1"
echo "   $(echo "$(now) - $t0" | bc) s, WAL end $(q $src "SELECT pg_current_wal_insert_lsn()")"

conninfo="host=$PGHOST port=$sport user=$PGUSER dbname=$src"
declare -a T_SUB T_OURS T_B
for r in $(seq 1 "$rounds"); do
    # (a) the subscription
    q $dst "UPDATE public.bench_marker SET v = 0"
    q $dst "CREATE SUBSCRIPTION bench_sub_$r CONNECTION '$conninfo' PUBLICATION bench_pub
            WITH (create_slot = false, slot_name = 'bench_sub_$r', copy_data = false, enabled = false)"
    t0=$(now)
    q $dst "ALTER SUBSCRIPTION bench_sub_$r ENABLE"
    until [ "$(q $dst "SELECT v FROM public.bench_marker")" = "$rounds" ]; do sleep 0.05; done
    T_SUB+=("$(echo "$(now) - $t0" | bc)")
    q $dst "DROP SUBSCRIPTION bench_sub_$r"
    # (b) tap | target from the state after the first load (and again with target_b.json)
    line=$(printf '   round %d: subscription %.2f s' "$r" "${T_SUB[-1]}")
    for v in "${variants[@]}"; do
        t0=$(now)
        "$tap" --config "$work/tap.json" --catalog "$work/catalog.json" --state "$work/state.json" 2>"$work/tap.err" |
            "$target" --config "$work/$v" >"$work/state_$r.jsonl" 2>"$work/target.err" || {
            echo "tap | target failed ($v)" >&2
            tail -n 5 "$work/tap.err" "$work/target.err" >&2
            exit 1
        }
        el=$(echo "$(now) - $t0" | bc)
        if [ "$v" = target.json ]; then T_OURS+=("$el"); else T_B+=("$el"); fi
        line+=$(printf ', tap | target (%s) %.2f s' "$v" "$el")
    done
    echo "$line"
done

sum() { q "$1" "SELECT count(*) || ' ' || md5(string_agg(id || ':' || c_int || ':' || c_ts::text || ':' || c_text, ',' ORDER BY id)) FROM public.bench"; }
s=$(sum $src) d=$(sum $dst) t=$(sum $tgt)
[ "$s" = "$d" ] || { echo "the subscriber differs from the source: $d vs $s" >&2; exit 1; }
[ "$s" = "$t" ] || { echo "the target differs from the source: $t vs $s" >&2; exit 1; }
echo "   source = subscriber = target ($s)"

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms=$(median "${T_SUB[@]}") mo=$(median "${T_OURS[@]}")
echo
echo "== 200,000 updates in 200 transactions into a 1,000,000-row table, median of $rounds round(s)"
printf '%-36s %8.2f s\n' "subscription (pgoutput apply)" "$ms"
printf '%-36s %8.2f s   ratio %.2f\n' "tap-postgres | target-postgres" "$mo" "$(echo "$mo / $ms" | bc -l)"
if [ "${#T_B[@]}" -gt 0 ]; then
    mb=$(median "${T_B[@]}")
    printf '%-36s %8.2f s   ratio %.2f\n' "the same with $TARGET_EXTRA_B" "$mb" "$(echo "$mb / $ms" | bc -l)"
fi
