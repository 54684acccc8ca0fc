#!/usr/bin/env bash
# Load benchmark (not a test): memory of tap | target on a big table and on a big change stream.
#
#   tests/bench/load_big.sh               10,000,000 rows; build/ binaries; a cluster in
#                                         build/pgbig (started and stopped again, or the one in
#                                         PGTEST_PORT when set)
#   ROWS=2000000 CHANGES=200000 tests/bench/load_big.sh
#
# 1. public.big: ROWS rows of the bench column mix (tests/bench/bench_table.sql), generated once
#    in database bench_big and kept.
# 2. FULL_TABLE: tap-postgres | target-postgres (default config, key id) into an empty database
#    on the same server. Peak RSS of each program (/usr/bin/time), wall time, rows loaded.
# 3. LOG_BASED: a slot made before one UPDATE of the first CHANGES rows (one transaction), then
#    tap (pgoutput) | target from a state at the slot's start: peak RSS of each, rows changed in
#    the target.
# Goals (issue "Prove it survives"): the tap under 30 MB, the target under its batch bounds
# (max_batch_memory_bytes, default 4 x 64 MiB) plus 100 MB.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
tap=${TAP_BIN:-$build/tap-postgres/tap-postgres}
target=${TARGET_BIN:-$build/target-postgres/target-postgres}
rows=${ROWS:-10000000}
changes=${CHANGES:-1000000}
work=$build/bench-big
mkdir -p "$work"

"$root/tests/deps.sh" # /usr/bin/time
[ -x "$tap" ] && [ -x "$target" ] || {
    echo "build first: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j" >&2
    exit 1
}
if [ -z "${PGTEST_PORT:-}" ]; then
    "$root/tests/pg_cluster.sh" start "$build/pgbig"
    trap '"$root/tests/pg_cluster.sh" stop "$build/pgbig" >/dev/null 2>&1 || true' EXIT
    # shellcheck disable=SC1091
    . "$build/pgbig/env"
fi
export PGHOST=${PGTEST_HOST:-127.0.0.1} PGPORT=$PGTEST_PORT PGUSER=${PGTEST_USER:-postgres}
src=bench_big dst=bench_big_target
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

if [ "$(q postgres "SELECT count(*) FROM pg_database WHERE datname = '$src'")" = 0 ]; then
    q postgres "CREATE DATABASE $src"
fi
have=-1
if [ -n "$(q "$src" "SELECT to_regclass('public.big')")" ]; then have=$(q "$src" "SELECT count(*) FROM public.big"); fi
if [ "$have" != "$rows" ]; then
    echo "generating public.big ($rows rows) in $src" >&2
    sed -e 's/public\.bench/public.big/g' -e "s/1000000::bigint/${rows}::bigint/" \
        "$root/tests/bench/bench_table.sql" | psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null
fi
q postgres "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'big_tap'" >/dev/null
q postgres "DROP DATABASE IF EXISTS $dst"
q postgres "CREATE DATABASE $dst"

conf() { printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"%s"%s}\n' "$PGHOST" "$PGPORT" "$PGUSER" "$1" "${2:-}"; }
conf "$src" >"$work/tap_full.json"
conf "$src" ',"slot_name":"big_tap","publication_name":"big_pub","logical_decoding_plugin":"pgoutput","max_run_seconds":3600' >"$work/tap_log.json"
conf "$dst" ',"default_target_schema":"public"' >"$work/target.json"
catalog() { # METHOD -> a catalog selecting public.big only
    "$tap" --config "$work/tap_full.json" --discover 2>/dev/null |
        awk 'NR == 1 || /"tap_stream_id":"public-big"/ || /^\]\}/' | sed -E '2s/,$//' |
        sed -E "s/\"breadcrumb\":\[\],\"metadata\":\{/&\"selected\":true,\"replication-method\":\"$1\",/"
}
catalog FULL_TABLE >"$work/catalog_full.json"
catalog LOG_BASED >"$work/catalog_log.json"
grep -q '"selected":true' "$work/catalog_full.json" || { echo "discovery did not find public.big" >&2; exit 1; }

# pipe TAG TAP-ARGS...: tap | target with peak RSS of each; prints "seconds tapKB targetKB"
pipe() {
    local tag=$1 t0
    shift
    t0=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$work/$tag.tap.rss" "$tap" "$@" 2>"$work/$tag.tap.log" |
        /usr/bin/time -f '%M' -o "$work/$tag.target.rss" "$target" --config "$work/target.json" \
            >"$work/$tag.states" 2>"$work/$tag.target.log" || {
        echo "FAILED ($tag); logs in $work" >&2
        tail -n 5 "$work/$tag.tap.log" "$work/$tag.target.log" >&2
        exit 1
    }
    echo "$(echo "$(date +%s.%N) - $t0" | bc) $(tail -n 1 "$work/$tag.tap.rss") $(tail -n 1 "$work/$tag.target.rss")"
}

echo "== FULL_TABLE: $rows rows, tap | target into an empty database"
read -r secs tap_kb target_kb < <(pipe full --config "$work/tap_full.json" --catalog "$work/catalog_full.json")
loaded=$(q "$dst" "SELECT count(*) FROM public.big")
printf '   %.1f s, %d rows loaded, peak RSS tap %d MB, target %d MB\n' "$secs" "$loaded" $((tap_kb / 1024)) $((target_kb / 1024))
[ "$loaded" = "$rows" ] || { echo "   rows loaded differ from $rows" >&2; exit 1; }

echo "== LOG_BASED: one transaction updating $changes rows, tap (pgoutput) | target"
q "$src" "DROP PUBLICATION IF EXISTS big_pub; CREATE PUBLICATION big_pub FOR TABLE public.big"
lsn=$(q "$src" "SELECT (lsn - '0/0'::pg_lsn)::bigint FROM pg_create_logical_replication_slot('big_tap', 'pgoutput')")
printf '{"currently_syncing":null,"bookmarks":{"public-big":{"last_replication_method":"LOG_BASED","lsn":%s,"version":1}}}\n' "$lsn" >"$work/state_log.json"
q "$src" "UPDATE public.big SET c_int = c_int + 1 WHERE id <= $changes"
read -r secs tap_kb target_kb < <(pipe log --config "$work/tap_log.json" --catalog "$work/catalog_log.json" --state "$work/state_log.json")
moved=$(q "$dst" "SELECT count(*) FROM public.big t WHERE id <= $changes AND c_int = ((id * 7919) % 2000000 - 1000000) + 1")
printf '   %.1f s, %d rows changed in the target, peak RSS tap %d MB, target %d MB\n' "$secs" "$moved" $((tap_kb / 1024)) $((target_kb / 1024))
q postgres "SELECT pg_drop_replication_slot('big_tap')" >/dev/null
[ "$moved" = "$changes" ] || { echo "   rows changed differ from $changes" >&2; exit 1; }
