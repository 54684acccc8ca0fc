#!/usr/bin/env bash
# FULL_TABLE: every type, views (view-key-properties), composite keys, partitions, a deselected
# column; output compared line by line to a golden file (versions and times masked); a second
# run with the first run's state.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_ft
fresh_db "$db"
psql_f "$db" "$TAP_TESTS_DIR/sql/types.sql"
tap_config "$db" '"itersize":2' >"$TEST_TMP/config.json"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null |
    select_streams FULL_TABLE |
    stream_metadata public-orders_view '"view-key-properties":["region","order_no"]' |
    sed -E '/"tap_stream_id":"public-orders"/ s/("breadcrumb":\["properties","note"\],"metadata":\{)/\1"selected":false,/' \
        >"$TEST_TMP/catalog.json"

# the first run's statements are logged (log_statement=all for this database only)
psql_q postgres "ALTER DATABASE $db SET log_statement = 'all'"
log_before=$(wc -l <"$PGTEST_DIR/server.log")
run_cmd "$TEST_TMP/out1.jsonl" "$TEST_TMP/err1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
psql_q postgres "ALTER DATABASE $db RESET log_statement"
assert_eq 0 "$RC" "FULL_TABLE run exits 0"
tail -n +"$((log_before + 1))" "$PGTEST_DIR/server.log" | grep -F "@$db LOG:  statement: " >"$TEST_TMP/statements" || true
n_streams=$(grep -c '^{"type":"SCHEMA"' "$TEST_TMP/out1.jsonl")
assert_eq "$n_streams" "$(grep -c 'statement: BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY$' "$TEST_TMP/statements")" \
    "one REPEATABLE READ, READ ONLY transaction per table"
assert_eq "$n_streams" "$(grep -c 'statement: COPY (SELECT ' "$TEST_TMP/statements")" "one COPY per table"
assert_contains "$(cat "$TEST_TMP/statements")" "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3" \
    "the session settings the conversions rely on"
check_jsonl "$TEST_TMP/out1.jsonl" "stdout holds whole Singer messages only"
mask_volatile <"$TEST_TMP/out1.jsonl" >"$TEST_TMP/out1.masked"
assert_files_eq "$TAP_GOLDEN/types_full_table.jsonl" "$TEST_TMP/out1.masked" "FULL_TABLE output equals the golden file"
err=$(cat "$TEST_TMP/err1")
assert_contains "$err" 'stream "public-alltypes": 5 NaN or Infinity numeric/float values were written as null' \
    "NaN/Infinity are counted in a warning"
assert_contains "$err" 'stream "public-alltypes": 3 +infinity and 1 -infinity dates/timestamps' \
    "infinite timestamps are counted in a warning"
# the version of the records is the one activated
v_act=$(grep -m1 '^{"type":"ACTIVATE_VERSION","stream":"public-orders"' "$TEST_TMP/out1.jsonl" | sed -E 's/.*"version":([0-9]+).*/\1/')
v_rec=$(grep -m1 '^{"type":"RECORD","stream":"public-orders"' "$TEST_TMP/out1.jsonl" | sed -E 's/.*"version":([0-9]+).*/\1/')
assert_eq "$v_act" "$v_rec" "records carry the activated version"
assert_eq 2 "$(grep -c '^{"type":"ACTIVATE_VERSION","stream":"public-orders"' "$TEST_TMP/out1.jsonl")" \
    "first run: ACTIVATE_VERSION before and after the records"

# second run from the first run's state: a new version, activated only after the records
last_state "$TEST_TMP/out1.jsonl" >"$TEST_TMP/state1.json"
assert_contains "$(cat "$TEST_TMP/state1.json")" '"currently_syncing":null' "the final state has no currently_syncing"
assert_not_contains "$(cat "$TEST_TMP/state1.json")" 'last_pk_fetched' "the final state has no resume key"
psql_q "$db" "UPDATE orders SET amount = 99.99 WHERE region = 'eu' AND order_no = 2"
sleep 0.01
run_cmd "$TEST_TMP/out2.jsonl" "$TEST_TMP/err2" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state1.json"
assert_eq 0 "$RC" "second run exits 0"
grep '"stream":"public-orders"' "$TEST_TMP/out2.jsonl" | grep -v '^{"type":"STATE"' | mask_volatile >"$TEST_TMP/orders2"
cat >"$TEST_TMP/orders2.expected" <<'EXP'
{"type":"SCHEMA","stream":"public-orders","schema":{"type":"object","properties":{"region":{"type":["string"]},"order_no":{"type":["integer"],"minimum":-9223372036854775808,"maximum":9223372036854775807},"amount":{"type":["null","number"],"exclusiveMaximum":true,"maximum":1e8,"multipleOf":1e-2,"exclusiveMinimum":true,"minimum":-1e8}},"definitions":{"sdc_recursive_integer_array":{"type":["null","integer","array"],"items":{"$ref":"#/definitions/sdc_recursive_integer_array"}},"sdc_recursive_number_array":{"type":["null","number","array"],"items":{"$ref":"#/definitions/sdc_recursive_number_array"}},"sdc_recursive_string_array":{"type":["null","string","array"],"items":{"$ref":"#/definitions/sdc_recursive_string_array"}},"sdc_recursive_boolean_array":{"type":["null","boolean","array"],"items":{"$ref":"#/definitions/sdc_recursive_boolean_array"}},"sdc_recursive_timestamp_array":{"type":["null","string","array"],"format":"date-time","items":{"$ref":"#/definitions/sdc_recursive_timestamp_array"}},"sdc_recursive_object_array":{"type":["null","object","array"],"items":{"$ref":"#/definitions/sdc_recursive_object_array"}},"sdc_recursive_json_array":{"type":["null","object","array","string","number","boolean"],"items":{"$ref":"#/definitions/sdc_recursive_json_array"}}}},"key_properties":["region","order_no"],"bookmark_properties":[]}
{"type":"RECORD","stream":"public-orders","record":{"region":"eu","order_no":1,"amount":10.00},"version":"<V>","time_extracted":"<T>"}
{"type":"RECORD","stream":"public-orders","record":{"region":"eu","order_no":2,"amount":99.99},"version":"<V>","time_extracted":"<T>"}
{"type":"RECORD","stream":"public-orders","record":{"region":"us","order_no":1,"amount":5.25},"version":"<V>","time_extracted":"<T>"}
{"type":"ACTIVATE_VERSION","stream":"public-orders","version":"<V>"}
EXP
assert_files_eq "$TEST_TMP/orders2.expected" "$TEST_TMP/orders2" "second run: no ACTIVATE_VERSION before the records, deselected column absent"
v2=$(grep -m1 '^{"type":"RECORD","stream":"public-orders"' "$TEST_TMP/out2.jsonl" | sed -E 's/.*"version":([0-9]+).*/\1/')
if [ "$v2" -gt "$v_rec" ]; then ok "second run has a newer version"; else not_ok "second run has a newer version ($v2 <= $v_rec)"; fi

# use_secondary: FULL_TABLE reads from secondary_host/secondary_port (here the primary is down)
printf '{"host":"127.0.0.1","port":1,"user":"%s","password":"","dbname":"%s","use_secondary":true,"secondary_host":"%s","secondary_port":%s}\n' \
    "$PGUSER" "$db" "$PGHOST" "$PGPORT" >"$TEST_TMP/config_secondary.json"
only_stream public-nokey <"$TEST_TMP/catalog.json" >"$TEST_TMP/cat_nokey.json"
run_cmd "$TEST_TMP/out3.jsonl" "$TEST_TMP/err3" "$TAP_BIN" --config "$TEST_TMP/config_secondary.json" --catalog "$TEST_TMP/cat_nokey.json"
assert_eq 0 "$RC" "use_secondary reads from the secondary"
assert_eq 2 "$(grep -c '^{"type":"RECORD","stream":"public-nokey"' "$TEST_TMP/out3.jsonl")" "the secondary's rows are sent"
finish
