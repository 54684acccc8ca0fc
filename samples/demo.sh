#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts a throwaway PostgreSQL, loads demo.sql,
# discovers it, selects streams (FULL_TABLE, INCREMENTAL, a view), syncs twice (the second
# run from the first run's state), loads a warehouse with tap | target, streams changes through
# a replication slot, and shows what came out. Stops the cluster at the end.
#
#   samples/demo.sh                  everything lands in build/demo/ (the package install log in
#                                    build/demo-install.log)
#   KEEP_CLUSTER=1 samples/demo.sh   leave the database running to explore it (the last lines
#                                    say how to connect and how to stop it)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
out=$build/demo
cluster=$build/demo-cluster
tap=$build/tap-postgres/tap-postgres

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "install what is missing"
mkdir -p "$build"
install_log=$build/demo-install.log
if ! "$root/tests/deps.sh" >"$install_log" 2>&1; then
    tail -n 20 "$install_log"
    echo "installing the packages failed (whole log: $install_log)" >&2
    exit 1
fi
if grep -q '^installing: ' "$install_log"; then
    echo "installed $(sed -n 's/^installing: //p' "$install_log" | wc -w) packages (log: $install_log)"
else
    echo "nothing to install: every package is there"
fi

step "build"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j "${JOBS:-2}" -- --no-print-directory >/dev/null
echo "built $tap"

step "start a throwaway PostgreSQL"
stop_cluster() {
    if [ "${KEEP_CLUSTER:-0}" != 1 ]; then
        "$root/tests/pg_cluster.sh" stop "$cluster" || true
    fi
}
trap stop_cluster EXIT
"$root/tests/pg_cluster.sh" start "$cluster"
# shellcheck disable=SC1091
. "$cluster/env"
export PGOPTIONS='-c client_min_messages=warning' # no NOTICE from DROP ... IF EXISTS

step "load samples/demo.sql into database \"shop\""
psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS shop WITH (FORCE)' -c 'CREATE DATABASE shop'
psql -X -q -v ON_ERROR_STOP=1 -d shop -f "$root/samples/demo.sql"
rm -rf "$out"
mkdir -p "$out"
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"shop","filter_schemas":"shop","itersize":100}\n' \
    "$PGHOST" "$PGPORT" "$PGUSER" >"$out/tap_config.json"
echo "config: $out/tap_config.json"

# ---------------------------------------------------------------- tap: discovery
step "discover: tap-postgres --config tap_config.json --discover > catalog.json"
"$tap" --config "$out/tap_config.json" --discover >"$out/discovered.json"
grep -o '"tap_stream_id":"[^"]*"' "$out/discovered.json" | sed 's/"tap_stream_id":/  stream /'

# select every stream; orders by updated_at (INCREMENTAL), the view keyed by order_id,
# and leave the product images out
sed -E -e 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"FULL_TABLE",/' \
    -e '/"tap_stream_id":"shop-orders"/ s/"replication-method":"FULL_TABLE"/"replication-method":"INCREMENTAL","replication-key":"updated_at"/' \
    -e '/"tap_stream_id":"shop-order_summary"/ s/"breadcrumb":\[\],"metadata":\{/&"view-key-properties":["order_id"],/' \
    -e '/"tap_stream_id":"shop-products"/ s/("breadcrumb":\["properties","image"\],"metadata":\{)/\1"selected":false,/' \
    "$out/discovered.json" >"$out/catalog.json"
echo "selected catalog: $out/catalog.json"

# ---------------------------------------------------------------- tap: sync
step "sync: tap-postgres --config tap_config.json --catalog catalog.json > tap_output.jsonl"
"$tap" --config "$out/tap_config.json" --catalog "$out/catalog.json" >"$out/tap_output.jsonl" 2>"$out/tap.log"
if grep -E 'WARNING|ERROR' "$out/tap.log"; then
    echo "(expected: demo.sql stores NaN, Infinity and an 'infinity' timestamp on purpose; JSON cannot"
    echo " carry them, so the tap writes null or the extreme timestamp and counts them per stream)"
fi
echo "records per stream:"
grep '^{"type":"RECORD"' "$out/tap_output.jsonl" | sed -E 's/^\{"type":"RECORD","stream":"([^"]*)".*/\1/' | sort | uniq -c
echo "messages: $(grep -c '^{"type":"SCHEMA"' "$out/tap_output.jsonl") SCHEMA, $(grep -c '^{"type":"STATE"' "$out/tap_output.jsonl") STATE, $(grep -c '^{"type":"ACTIVATE_VERSION"' "$out/tap_output.jsonl") ACTIVATE_VERSION"
echo "  SCHEMA: one per stream, before its records"
echo "  STATE: the bookmarks at each stream's start and end, and every itersize (100) rows inside one"
echo "  ACTIVATE_VERSION: a FULL_TABLE stream sends one before its first copy and one after it (the"
echo "  target then removes rows the source no longer has); an INCREMENTAL stream one on its first run"
echo "a few records:"
grep -m 1 '^{"type":"RECORD","stream":"shop-customers"' "$out/tap_output.jsonl"
grep -m 1 '^{"type":"RECORD","stream":"shop-products"' "$out/tap_output.jsonl"
grep -m 1 '^{"type":"RECORD","stream":"shop-orders"' "$out/tap_output.jsonl"
grep -m 1 '^{"type":"RECORD","stream":"shop-measurements"' "$out/tap_output.jsonl"
grep '^{"type":"STATE"' "$out/tap_output.jsonl" | tail -n 1 | sed -E 's/^\{"type":"STATE","value":(.*)\}$/\1/' >"$out/state.json"
echo "state after the run ($out/state.json):"
cat "$out/state.json"

step "second sync from that state (INCREMENTAL picks up a new order)"
psql -X -q -d shop -c "INSERT INTO shop.orders (customer_id, status, total, ordered_at, updated_at) VALUES (4, 'new', 1.00, now(), now())"
"$tap" --config "$out/tap_config.json" --catalog "$out/catalog.json" --state "$out/state.json" \
    >"$out/tap_output2.jsonl" 2>"$out/tap2.log"
echo "shop-orders records in the second run (>= the bookmark, so the last one again plus the new one):"
grep '^{"type":"RECORD","stream":"shop-orders"' "$out/tap_output2.jsonl" | sed -E 's/.*"record":\{"id":([0-9]+).*"updated_at":"([^"]*)".*/  id \1 updated_at \2/'

# ---------------------------------------------------------------- target
step "load: tap-postgres ... | target-postgres --config target_config.json >> states.jsonl"
target=$build/target-postgres/target-postgres
psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS warehouse WITH (FORCE)' -c 'CREATE DATABASE warehouse'
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"warehouse","default_target_schema":"shop","add_metadata_columns":true,"primary_key_required":false}\n' \
    "$PGHOST" "$PGPORT" "$PGUSER" >"$out/target_config.json"
echo "config: $out/target_config.json"
"$tap" --config "$out/tap_config.json" --catalog "$out/catalog.json" 2>"$out/pipe_tap.log" |
    "$target" --config "$out/target_config.json" >>"$out/states.jsonl" 2>"$out/pipe_target.log"
echo "$(wc -l <"$out/states.jsonl") states written by the target, each only after the rows before it were"
echo "committed; what each one moved on (the bookmarks that differ from the state before it):"
# the state lines read by PostgreSQL itself (CSV with quote and delimiter bytes JSON never holds)
psql -X -q -A -t -F ' ' -d postgres <<SQL | sed 's/^/  /'
CREATE TEMP TABLE s (n serial, j jsonb);
\\copy s (j) FROM '$out/states.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')
SELECT 'state ' || s.n || ':',
       CASE WHEN p.j IS NULL THEN 'the bookmarks of ' || (SELECT count(*) FROM jsonb_object_keys(s.j->'bookmarks')) || ' streams'
            ELSE coalesce((SELECT string_agg(b.key || ' (' ||
                   (SELECT string_agg(f.key, ', ' ORDER BY f.key) FROM jsonb_each(b.value) f
                     WHERE p.j->'bookmarks'->b.key->f.key IS DISTINCT FROM f.value) || ')', ', ' ORDER BY b.key)
                   FROM jsonb_each(s.j->'bookmarks') b
                  WHERE p.j->'bookmarks'->b.key IS DISTINCT FROM b.value), 'the same again, at the end of the input') END
  FROM s LEFT JOIN s p ON p.n = s.n - 1 ORDER BY s.n;
SQL
tail -n 1 "$out/states.jsonl" >"$out/pipeline_state.json"
echo "the last one ($out/pipeline_state.json), the next run's --state:"
psql -X -q -A -t -F ' ' -d postgres -v st="$(cat "$out/pipeline_state.json")" \
    <<<"SELECT '  ' || key, value FROM jsonb_each((:'st')::jsonb->'bookmarks') ORDER BY key"
echo "rows per table, source (database shop) and target (database warehouse):"
for t in customers products orders order_lines measurements order_summary; do
    printf '  %-14s source %6s   target %6s\n' "$t" \
        "$(psql -X -A -t -d shop -c "SELECT count(*) FROM shop.$t")" \
        "$(psql -X -A -t -d warehouse -c "SELECT count(*) FROM shop.$t")"
done
echo "a few loaded rows (shop.customers in the warehouse, with the _sdc_ metadata columns):"
psql -X -d warehouse -c "SELECT id, email, full_name, birthday, preferences, _sdc_batched_at FROM shop.customers ORDER BY id LIMIT 3"

# ---------------------------------------------------------------- LOG_BASED
step "LOG_BASED: shop.customers through a replication slot (pgoutput): the copy, then the changes"
awk 'NR == 1 || /"tap_stream_id":"shop-customers"/ || /^\]\}/' "$out/discovered.json" | sed -E '2s/,$//' |
    sed -E 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"LOG_BASED",/' >"$out/catalog_log.json"
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"warehouse","default_target_schema":"cdc","hard_delete":true}\n' \
    "$PGHOST" "$PGPORT" "$PGUSER" >"$out/target_cdc_config.json"
"$tap" --config "$out/tap_config.json" --catalog "$out/catalog_log.json" >"$out/log1.jsonl" 2>"$out/log1.log"
grep -E 'publication|slot "' "$out/log1.log" | sed -E 's/^[^ ]+ INFO tap-postgres: /  /'
echo "first run: $(grep -c '^{"type":"RECORD"' "$out/log1.jsonl") records, copied inside the slot's exported snapshot"
"$target" --config "$out/target_cdc_config.json" <"$out/log1.jsonl" >"$out/log_states.jsonl" 2>"$out/log1_target.log"
tail -n 1 "$out/log_states.jsonl" >"$out/log_state.json"
psql -X -q -d shop -c "INSERT INTO shop.customers (email, full_name, country) VALUES ('new@example.com', 'New Customer', 'FR')" \
    -c "UPDATE shop.customers SET vip = true WHERE id = 2" \
    -c "DELETE FROM shop.customers WHERE email = 'new@example.com'" \
    -c "INSERT INTO shop.customers (email, full_name, country) VALUES ('kept@example.com', 'Kept Customer', 'DE')"
"$tap" --config "$out/tap_config.json" --catalog "$out/catalog_log.json" --state "$out/log_state.json" >"$out/log2.jsonl" 2>"$out/log2.log"
echo "second run, from the state the target wrote: the two inserts, the update and the delete"
grep '^{"type":"RECORD"' "$out/log2.jsonl" | cut -c1-150 | sed 's/^/  /'
"$target" --config "$out/target_cdc_config.json" <"$out/log2.jsonl" >>"$out/log_states.jsonl" 2>"$out/log2_target.log"
echo "cdc.customers in the warehouse (hard_delete: the deleted customer is gone):"
psql -X -d warehouse -c "SELECT id, email, full_name, vip, _sdc_deleted_at FROM cdc.customers ORDER BY id"

step "done"
cat <<EOF
What to look at next (all in $out):
  discovered.json, catalog.json     the catalog as discovered, and with streams selected
  tap_output.jsonl                  the Singer messages of the first sync (one JSON per line)
  state.json, tap_output2.jsonl     its state, and the second sync started from it
  states.jsonl, pipeline_state.json what target-postgres wrote after each commit
  log1.jsonl, log2.jsonl            LOG_BASED: the first copy and the changes after it
  *.log                             what each program said on stderr
EOF
if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
    echo "The database is still running: psql -h $PGHOST -p $PGPORT -U $PGUSER shop   (or warehouse)"
    echo "Stop it with: tests/pg_cluster.sh stop $cluster"
else
    echo "The database was stopped. To explore it: KEEP_CLUSTER=1 samples/demo.sh"
fi
