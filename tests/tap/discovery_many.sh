#!/usr/bin/env bash
# Discovery of 2,000 tables: every table is found, in a handful of catalog queries (counted in
# the server log with log_statement=all), whatever the number of tables. Then a sync of all of
# them: the STATE lines, each carrying the whole state, are held to a bounded rate instead of
# two per stream (which would write ~700 MB here), and the last one has every stream.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_many
n=${TAP_MANY_TABLES:-2000}
fresh_db "$db"
psql_q "$db" "DO \$\$ BEGIN FOR i IN 1..$n LOOP
  EXECUTE format('CREATE TABLE t_%s (id bigint PRIMARY KEY, name text, amount numeric(10,2), at timestamptz, tags text[])', i);
END LOOP; END \$\$" >/dev/null
psql_q postgres "ALTER DATABASE $db SET log_statement = 'all'" >/dev/null
tap_config "$db" >"$TEST_TMP/config.json"
log=$PGTEST_DIR/server.log
before=$(wc -l <"$log")
start=$(date +%s.%N)
run_cmd "$TEST_TMP/catalog.json" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --discover
end=$(date +%s.%N)
psql_q postgres "ALTER DATABASE $db RESET log_statement" >/dev/null
assert_eq 0 "$RC" "discovery exits 0"
assert_eq "$n" "$(grep -c '"tap_stream_id":"public-t_' "$TEST_TMP/catalog.json")" "all $n tables are discovered"
assert_eq "$((n * 5))" "$(grep -o '"sql-datatype"' "$TEST_TMP/catalog.json" | wc -l)" "all columns are discovered"
queries=$(tail -n +"$((before + 1))" "$log" | grep -cE "@$db LOG:  (statement|execute [^:]*):" || true)
if [ "$queries" -ge 1 ] && [ "$queries" -le 8 ]; then
    ok "discovery ran $queries statements for $n tables"
else
    not_ok "discovery ran $queries statements for $n tables (expected 1..8)"
fi
sed -E 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"FULL_TABLE",/' \
    "$TEST_TMP/catalog.json" >"$TEST_TMP/selected.json"
run_cmd "$TEST_TMP/out.jsonl" "$TEST_TMP/sync.err" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/selected.json"
assert_eq 0 "$RC" "a sync of $n tables exits 0"
assert_eq "$((2 * n))" "$(grep -c '^{"type":"ACTIVATE_VERSION"' "$TEST_TMP/out.jsonl")" "every table gets its two ACTIVATE_VERSIONs (before and after its rows)"
states=$(grep -c '^{"type":"STATE"' "$TEST_TMP/out.jsonl")
if [ "$states" -ge 2 ] && [ "$states" -le 400 ]; then
    ok "$states STATE lines for $n streams (not $((2 * n)))"
else
    not_ok "$states STATE lines for $n streams (expected 2..400)"
fi
assert_eq "$n" "$(grep '^{"type":"STATE"' "$TEST_TMP/out.jsonl" | tail -n 1 | grep -o '"last_replication_method":"FULL_TABLE","version":[0-9]*}' | wc -l)" \
    "the last STATE has every stream with its version"
assert_contains "$(grep '^{"type":"STATE"' "$TEST_TMP/out.jsonl" | tail -n 1)" '"currently_syncing":null' "the last STATE syncs nothing"
echo "# discovery of $n tables took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s" >&2
psql_q postgres "DROP DATABASE $db" >/dev/null
finish
