#!/usr/bin/env bash
# Discovery of a database with every type: golden catalog, filter_schemas (string, array, odd
# names bound as values), kinds of relations, and only the columns the user may SELECT.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_disc
fresh_db "$db"
psql_f "$db" "$TAP_TESTS_DIR/sql/types.sql"
tap_config "$db" >"$TEST_TMP/config.json"

run_cmd "$TEST_TMP/catalog.json" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --discover
assert_eq 0 "$RC" "discovery exits 0"
# row-count is reltuples (changes with autovacuum) and the database name is the test's
sed -E -e 's/"row-count":-?[0-9]+/"row-count":"<N>"/' -e "s/\"database-name\":\"$db\"/\"database-name\":\"<DB>\"/" \
    "$TEST_TMP/catalog.json" >"$TEST_TMP/catalog.masked"
assert_files_eq "$TAP_GOLDEN/types_catalog.json" "$TEST_TMP/catalog.masked" "catalog equals the golden file"
ids=$(grep -o '"tap_stream_id":"[^"]*"' "$TEST_TMP/catalog.json" | tr '\n' ' ')
assert_contains "$ids" '"public-orders_view"' "views are streams"
assert_contains "$ids" '"public-orders_mv"' "materialized views are streams"
assert_contains "$ids" '"public-events" "tap_stream_id":"public-events_2023" "tap_stream_id":"public-events_2024"' \
    "partitioned tables and their partitions are streams"
assert_contains "$(grep '"public-orders_view"' "$TEST_TMP/catalog.json")" '"is-view":true' "a view has is-view true"
assert_contains "$(grep '"public-orders"' "$TEST_TMP/catalog.json")" '"table-key-properties":["region","order_no"]' \
    "composite primary key in key order"
assert_contains "$(grep '"public-alltypes"' "$TEST_TMP/catalog.json")" \
    '"c_posint":{"type":["null","integer"],"minimum":-2147483648,"maximum":2147483647}' "a domain maps as its base type"

# filter_schemas: a comma-separated string and an array; a name with a quote is bound, not interpolated
psql_q "$db" "CREATE SCHEMA \"it's\"; CREATE TABLE \"it's\".t (id int PRIMARY KEY); CREATE SCHEMA other; CREATE TABLE other.u (x int)"
tap_config "$db" '"filter_schemas":"other, it'"'"'s"' >"$TEST_TMP/config_fs.json"
run_cmd "$TEST_TMP/cat_fs.json" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config_fs.json" --discover
assert_eq 0 "$RC" "discovery with filter_schemas (string) exits 0"
assert_eq "\"tap_stream_id\":\"it's-t\" \"tap_stream_id\":\"other-u\" " \
    "$(grep -o '"tap_stream_id":"[^"]*"' "$TEST_TMP/cat_fs.json" | tr '\n' ' ')" "filter_schemas as a string keeps those schemas"
tap_config "$db" '"filter_schemas":["Odd Schema"]' >"$TEST_TMP/config_fa.json"
run_cmd "$TEST_TMP/cat_fa.json" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config_fa.json" --discover
assert_eq "\"tap_stream_id\":\"Odd Schema-Mixed Case\" " \
    "$(grep -o '"tap_stream_id":"[^"]*"' "$TEST_TMP/cat_fa.json" | tr '\n' ' ')" "filter_schemas as an array"
tap_config "$db" '"filter_schemas":"nope'"'"'; DROP TABLE other.u; --"' >"$TEST_TMP/config_inj.json"
run_cmd "$TEST_TMP/cat_inj.json" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config_inj.json" --discover
assert_eq 0 "$RC" "a schema name with SQL in it is only a value"
assert_eq "1" "$(psql_q "$db" "SELECT count(*) FROM pg_tables WHERE schemaname = 'other'")" "nothing was executed from it"

# only the columns the user may SELECT
psql_q "$db" "DROP ROLE IF EXISTS tap_limited; CREATE ROLE tap_limited LOGIN; GRANT USAGE ON SCHEMA public TO tap_limited; GRANT SELECT (region, order_no) ON public.orders TO tap_limited"
# SELECT on a table of a schema without USAGE is no use: reading it fails
psql_q "$db" "CREATE SCHEMA hidden; CREATE TABLE hidden.h (id int PRIMARY KEY); GRANT SELECT ON hidden.h TO tap_limited"
printf '{"host":"%s","port":%s,"user":"tap_limited","password":"","dbname":"%s"}\n' "$PGHOST" "$PGPORT" "$db" >"$TEST_TMP/config_lim.json"
run_cmd "$TEST_TMP/cat_lim.json" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config_lim.json" --discover
assert_eq 0 "$RC" "discovery as a limited user exits 0"
assert_eq '"tap_stream_id":"public-orders" ' "$(grep -o '"tap_stream_id":"[^"]*"' "$TEST_TMP/cat_lim.json" | tr '\n' ' ')" \
    "tables without a readable column, or in a schema without USAGE, are left out"
line=$(grep '"public-orders"' "$TEST_TMP/cat_lim.json")
assert_contains "$line" '"properties":{"region":' "granted columns are listed"
assert_not_contains "$line" '"amount"' "columns without SELECT privilege are left out"
psql_q "$db" "DROP OWNED BY tap_limited; DROP ROLE tap_limited"
finish
