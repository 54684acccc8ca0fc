#!/usr/bin/env bash
# Continuous CDC benchmark (not a test): a writer at RATE transactions/s (pgbench -R: inserts,
# updates, deletes) for SECONDS while a continuous tap | target (pgoutput, hard_delete,
# state_feedback_file, batch_wait_limit_seconds 1) streams into a second database.
#
#   tests/bench/cdc_stream.sh                       RATE=2000 CDC_SECONDS=300 (the goal's figures)
#   RATE=500 CDC_SECONDS=60 tests/bench/cdc_stream.sh   a shorter run
# (CDC_SECONDS, not SECONDS: bash keeps its own SECONDS)
#
# Reported (and written to build/bench-cdc-stream/report.txt):
#   - latency: target commit minus source commit, p50 / p99 / max, over the inserted rows: the
#     source row carries clock_timestamp() of its transaction (the writer commits at once), the
#     target table a column loaded_at DEFAULT clock_timestamp() added after the tap's first
#     SCHEMA (the merge's insert takes it: the time of the load, just before its commit);
#   - the slot's confirmed lag (pg_current_wal_lsn() - confirmed_flush_lsn), sampled every
#     second: median and max;
#   - the RSS of both programs, sampled every second: min and max (flat = max close to min);
#   - transactions the writer made (pgbench's count) and rows compared at the end (source and
#     target equal over every column, EXCEPT both ways).
# A cluster in build/pgbench (started and stopped again, or the one in PGTEST_PORT).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
tap=$build/tap-postgres/tap-postgres
target=$build/target-postgres/target-postgres
rate=${RATE:-2000}
secs=${CDC_SECONDS:-300}
work=$build/bench-cdc-stream
rm -rf "$work"
mkdir -p "$work"
"$root/tests/deps.sh"
[ -x "$tap" ] && [ -x "$target" ] || { echo "build first: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j" >&2; exit 1; }
if [ -z "${PGTEST_PORT:-}" ]; then
    "$root/tests/pg_cluster.sh" start "$build/pgbench"
    trap '"$root/tests/pg_cluster.sh" stop "$build/pgbench" >/dev/null 2>&1 || true' EXIT
    # shellcheck disable=SC1091
    . "$build/pgbench/env"
fi
export PGHOST=${PGTEST_HOST:-127.0.0.1} PGPORT=$PGTEST_PORT PGUSER=${PGTEST_USER:-postgres}
export PGOPTIONS="-c client_min_messages=warning"
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
src=bench_stream_src dst=bench_stream_dst
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
for d in $src $dst; do
    q postgres "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$d'" >/dev/null
    q postgres "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null
    q postgres "CREATE DATABASE $d" >/dev/null
done
q $src "CREATE TABLE events (id bigserial PRIMARY KEY, account int NOT NULL, amount numeric(12,2),
          note text, src_at timestamptz NOT NULL DEFAULT clock_timestamp());
        INSERT INTO events (account, amount, note) SELECT i % 1000, i, 'seed ' || i FROM generate_series(1, 100000) i"
# the writer: 60% inserts, 30% updates, 10% deletes, one statement a transaction
cat >"$work/writer.sql" <<'SQL'
\set r random(1, 100)
\set k random(1, 100000)
\if :r <= 60
INSERT INTO events (account, amount, note) VALUES (:k % 1000, :k, 'w');
\elif :r <= 90
UPDATE events SET amount = amount + 1, note = 'u' WHERE id = :k;
\else
DELETE FROM events WHERE id = :k;
\endif
SQL

conf='"host":"'$PGHOST'","port":'$PGPORT',"user":"'$PGUSER'","password":""'
printf '{%s,"dbname":"%s","logical_decoding_plugin":"pgoutput","break_at_end_lsn":false,"max_run_seconds":0,"logical_poll_total_seconds":0,"state_feedback_file":"%s","state_interval_seconds":1}\n' \
    "$conf" "$src" "$work/states.jsonl" >"$work/tap.json"
printf '{%s,"dbname":"%s","default_target_schema":"public","hard_delete":true,"batch_wait_limit_seconds":1,"batch_size_rows":100000}\n' \
    "$conf" "$dst" >"$work/target.json"
"$tap" --config "$work/tap.json" --discover 2>/dev/null |
    awk 'NR == 1 || /"tap_stream_id":"public-events"/ || /^\]\}/' | sed -E '2s/,$//' |
    sed -E 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"LOG_BASED",/' >"$work/catalog.json"
grep -q '"selected":true' "$work/catalog.json" || { echo "discovery did not find public.events" >&2; exit 1; }

echo "== the pipeline: initial copy of 100,000 rows, then streaming"
: >"$work/states.jsonl"
"$tap" --config "$work/tap.json" --catalog "$work/catalog.json" 2>"$work/tap.err" |
    "$target" --config "$work/target.json" >>"$work/states.jsonl" 2>"$work/target.err" &
pipe=$!
for _ in $(seq 1 600); do
    [ "$(q $dst "SELECT count(*) FROM pg_class WHERE relname = 'events'")" = 1 ] &&
        [ "$(q $dst "SELECT count(*) FROM events")" -ge 100000 ] && break
    sleep 0.2
done
q $dst "ALTER TABLE events ADD COLUMN IF NOT EXISTS loaded_at timestamptz DEFAULT clock_timestamp()"
tap_pid=$(pgrep -n -f "$tap --config $work/tap.json" || true)
tgt_pid=$(pgrep -n -f "$target --config $work/target.json" || true)
slot=$(q postgres "SELECT slot_name FROM pg_replication_slots WHERE database = '$src'")
echo "== writer: $rate transactions/s for $secs s (pgbench -R); slot $slot"
"$PGBIN/pgbench" -n -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -c 4 -j 2 -R "$rate" -T "$secs" \
    -f "$work/writer.sql" "$src" >"$work/pgbench.out" 2>&1 &
bench=$!
: >"$work/samples.tsv"
while kill -0 "$bench" 2>/dev/null; do
    lag=$(q postgres "SELECT coalesce((pg_current_wal_lsn() - confirmed_flush_lsn)::bigint, -1) FROM pg_replication_slots WHERE slot_name = '$slot'")
    rss_tap=$(awk '/^VmRSS/ {print $2}' "/proc/$tap_pid/status" 2>/dev/null || echo 0)
    rss_tgt=$(awk '/^VmRSS/ {print $2}' "/proc/$tgt_pid/status" 2>/dev/null || echo 0)
    printf '%s\t%s\t%s\n' "$lag" "$rss_tap" "$rss_tgt" >>"$work/samples.tsv"
    sleep 1
done
wait "$bench" || true
# the rest arrives, then the pipeline ends with a signal (a continuous run's end, exit 0)
end=$(q $src "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 120); do
    [ "$(q postgres "SELECT confirmed_flush_lsn >= '$end' FROM pg_replication_slots WHERE slot_name = '$slot'")" = t ] && break
    sleep 0.5
done
kill -TERM "$tap_pid" 2>/dev/null || true
wait "$pipe" || true

src_cols="id, account, amount, note, src_at"
diff_a=$(q $dst "SELECT count(*) FROM events")
q $src "COPY (SELECT $src_cols FROM events ORDER BY id) TO STDOUT" >"$work/src.tsv"
q $dst "COPY (SELECT $src_cols FROM events ORDER BY id) TO STDOUT" >"$work/dst.tsv"
if cmp -s "$work/src.tsv" "$work/dst.tsv"; then same="equal"; else same="DIFFERENT"; fi
lat=$(q $dst "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s)::numeric, 3) || ' / ' ||
                     round(percentile_cont(0.99) WITHIN GROUP (ORDER BY s)::numeric, 3) || ' / ' ||
                     round(max(s)::numeric, 3) || ' s over ' || count(*) || ' inserted rows'
              FROM (SELECT extract(epoch FROM loaded_at - src_at) AS s FROM events WHERE loaded_at IS NOT NULL AND id > 100000) x")
lagline=$(sort -n -k1,1 "$work/samples.tsv" | awk -F'\t' '{a[NR] = $1} END {printf "median %.1f MB, max %.1f MB (%d samples)", a[int((NR + 1) / 2)] / 1048576, a[NR] / 1048576, NR}')
rssline=$(awk -F'\t' 'NR == 1 {tmin = tmax = $2; gmin = gmax = $3} {if ($2 < tmin) tmin = $2; if ($2 > tmax) tmax = $2; if ($3 < gmin) gmin = $3; if ($3 > gmax) gmax = $3} END {printf "tap %.1f-%.1f MB, target %.1f-%.1f MB", tmin / 1024, tmax / 1024, gmin / 1024, gmax / 1024}' "$work/samples.tsv")
tps=$(grep -E '^tps' "$work/pgbench.out" | head -n 1 || true)
{
    echo "cdc_stream: RATE=$rate for ${secs}s ($(nproc) cores)"
    echo "  writer: ${tps:-see $work/pgbench.out}"
    echo "  latency (target load - source commit) p50 / p99 / max: $lat"
    echo "  slot confirmed lag: $lagline"
    echo "  RSS: $rssline"
    echo "  source and target after the run: $same ($diff_a rows in the target)"
} | tee "$work/report.txt"
q postgres "SELECT pg_drop_replication_slot('$slot')" >/dev/null 2>&1 || true
