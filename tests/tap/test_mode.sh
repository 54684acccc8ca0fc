#!/usr/bin/env bash
# --test (the Singer SDK's connection test): SCHEMA and one RECORD of each stream, exit 0, no
# STATE and no ACTIVATE_VERSION; --test=schema: the SCHEMA messages only; a connection or a
# stream read that fails exits 4 naming what failed.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_test_mode
fresh_db $db
psql_q $db "CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, 'v' || g FROM generate_series(1, 50) g;
            CREATE TABLE b (k text PRIMARY KEY); INSERT INTO b VALUES ('x'), ('y');
            CREATE TABLE empty (id int PRIMARY KEY);" >/dev/null
tap_config $db >"$TEST_TMP/config.json"

# the definitions every SCHEMA carries (pipelinewise's)
defs=',"definitions":{"sdc_recursive_integer_array":{"type":["null","integer","array"],"items":{"$ref":"#/definitions/sdc_recursive_integer_array"}},"sdc_recursive_number_array":{"type":["null","number","array"],"items":{"$ref":"#/definitions/sdc_recursive_number_array"}},"sdc_recursive_string_array":{"type":["null","string","array"],"items":{"$ref":"#/definitions/sdc_recursive_string_array"}},"sdc_recursive_boolean_array":{"type":["null","boolean","array"],"items":{"$ref":"#/definitions/sdc_recursive_boolean_array"}},"sdc_recursive_timestamp_array":{"type":["null","string","array"],"format":"date-time","items":{"$ref":"#/definitions/sdc_recursive_timestamp_array"}},"sdc_recursive_object_array":{"type":["null","object","array"],"items":{"$ref":"#/definitions/sdc_recursive_object_array"}},"sdc_recursive_json_array":{"type":["null","object","array","string","number","boolean"],"items":{"$ref":"#/definitions/sdc_recursive_json_array"}}}'

# without --catalog: every discovered stream, as the SDK does
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --test
assert_eq 0 "$RC" "--test exits 0"
check_jsonl "$TEST_TMP/out" "--test writes whole Singer messages"
expected='{"type":"SCHEMA","stream":"public-a","schema":{"type":"object","properties":{"id":{"type":["integer"],"minimum":-2147483648,"maximum":2147483647},"v":{"type":["null","string"]}}'"$defs"'},"key_properties":["id"],"bookmark_properties":[]}
{"type":"RECORD","stream":"public-a","record":{"id":1,"v":"v1"},"time_extracted":"<T>"}
{"type":"SCHEMA","stream":"public-b","schema":{"type":"object","properties":{"k":{"type":["string"]}}'"$defs"'},"key_properties":["k"],"bookmark_properties":[]}
{"type":"RECORD","stream":"public-b","record":{"k":"x"},"time_extracted":"<T>"}
{"type":"SCHEMA","stream":"public-empty","schema":{"type":"object","properties":{"id":{"type":["integer"],"minimum":-2147483648,"maximum":2147483647}}'"$defs"'},"key_properties":["id"],"bookmark_properties":[]}'
assert_eq "$expected" "$(mask_volatile <"$TEST_TMP/out")" "--test: SCHEMA and one RECORD per stream, no STATE, no ACTIVATE_VERSION"
assert_contains "$(cat "$TEST_TMP/err")" '--test: connected; read 2 records from 3 streams (1 empty)' "--test: the summary on stderr"

# --test=schema: SCHEMA only
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --test=schema
assert_eq 0 "$RC" "--test=schema exits 0"
assert_eq "SCHEMA SCHEMA SCHEMA" "$(sed -E 's/^\{"type":"([A-Z_]+)".*/\1/' "$TEST_TMP/out" | tr '\n' ' ' | sed 's/ $//')" "--test=schema: the SCHEMA messages only"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --test=records
assert_eq 2 "$RC" "an unknown --test value exits 2"
assert_contains "$(cat "$TEST_TMP/err")" 'unknown --test value "records" (all or schema)' "the unknown --test value is named"

# with --catalog: the selected streams only
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | only_stream public-b | select_streams FULL_TABLE >"$TEST_TMP/catalog.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --test
assert_eq 0 "$RC" "--test --catalog exits 0"
assert_eq '{"type":"SCHEMA","stream":"public-b","schema":{"type":"object","properties":{"k":{"type":["string"]}}'"$defs"'},"key_properties":["k"],"bookmark_properties":[]}
{"type":"RECORD","stream":"public-b","record":{"k":"x"},"time_extracted":"<T>"}' "$(mask_volatile <"$TEST_TMP/out")" "--test --catalog: the selected stream only"

# a stream that cannot be read (its query fails while rows are read): exit 4, the stream and
# the error named
tap_config $db '"stream_options":{"public-b":{"custom_where_clauses":["1 / (length(k) - 1) = 1"]}}' >"$TEST_TMP/failing.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/failing.json" --test
assert_eq 4 "$RC" "--test: a stream that cannot be read exits 4"
assert_contains "$(cat "$TEST_TMP/err")" 'stream "public-b": reading the table failed after 0 rows with SQLSTATE 22012: ERROR:  division by zero' "the read error is named"
assert_contains "$(cat "$TEST_TMP/err")" '--test failed: stream "public-b" cannot be read (see above)' "the failing stream is named"
assert_eq "SCHEMA RECORD SCHEMA" "$(sed -E 's/^\{"type":"([A-Z_]+)".*/\1/' "$TEST_TMP/out" | tr '\n' ' ' | sed 's/ $//')" "--test stops at the failing stream"

# a connection that fails: exit 4
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"no_such_db"}\n' "$PGHOST" "$PGPORT" "$PGUSER" >"$TEST_TMP/bad.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/bad.json" --test
assert_eq 4 "$RC" "--test: a failed connection exits 4"
assert_contains "$(cat "$TEST_TMP/err")" '--test failed: cannot connect to the source database' "the failed connection is said"
assert_contains "$(cat "$TEST_TMP/err")" 'no_such_db' "the connection error names the database"
assert_eq "" "$(cat "$TEST_TMP/out")" "nothing on stdout after a failed connection"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --test --discover
assert_eq 2 "$RC" "--test with --discover exits 2"
# --test applies the config's transformations: the record it shows is what a sync would send
tap_config $db '"transformations":[{"tap_stream_name":"public-a","field_id":"v","type":"HASH"}]' >"$TEST_TMP/xf.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/xf.json" --test
assert_eq 0 "$RC" "--test with a transformation exits 0"
assert_contains "$(grep '"stream":"public-a"' "$TEST_TMP/out" | grep RECORD)" "\"v\":\"$(printf v1 | sha256sum | cut -d' ' -f1)\"" "--test: the record's v is hashed"
assert_not_contains "$(cat "$TEST_TMP/out")" '"v":"v1"' "--test: v not in the clear"
finish
