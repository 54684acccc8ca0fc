#!/usr/bin/env bash
# Discovery of 2,000 tables: every table is found, in a handful of catalog queries (counted in
# the server log with log_statement=all), whatever the number of tables.
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
echo "# discovery of $n tables took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s" >&2
psql_q postgres "DROP DATABASE $db" >/dev/null
finish
