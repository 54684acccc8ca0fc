#!/usr/bin/env bash
# inline_array_schemas: SCHEMA messages without "$ref" and "definitions" (for Singer SDK targets
# that mis-resolve them): array columns carry their items inline. Off by default (pipelinewise's
# definitions). The records validate against the inline schema (the target's validate_records),
# and LOG_BASED SCHEMAs follow the setting too.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_inline_arrays
fresh_db $db
psql_q $db "CREATE TABLE t (id int PRIMARY KEY, ints int[], texts text[], amounts numeric(5,2)[],
                            ts timestamptz[], docs json[], grid int[][], n int);
            INSERT INTO t VALUES (1, '{1,NULL,3}', '{a,b}', '{1.25,-3.5}', '{2024-01-02 03:04:05+00}',
                                  ARRAY['{\"a\":1}'::json, '2'::json], '{{1,2},{3,4}}', 7)" >/dev/null
tap_config $db '"inline_array_schemas":true' >"$TEST_TMP/config.json"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | select_streams FULL_TABLE >"$TEST_TMP/catalog.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "a sync with inline_array_schemas exits 0"
expected='{"type":"SCHEMA","stream":"public-t","schema":{"type":"object","properties":{"id":{"type":["integer"],"minimum":-2147483648,"maximum":2147483647},"ints":{"type":["null","array"],"items":{"type":["null","integer","array"]}},"texts":{"type":["null","array"],"items":{"type":["null","string","array"]}},"amounts":{"type":["null","array"],"items":{"type":["null","number","array"],"exclusiveMaximum":true,"maximum":1e3,"multipleOf":1e-2,"exclusiveMinimum":true,"minimum":-1e3}},"ts":{"type":["null","array"],"items":{"type":["null","string","array"],"format":"date-time"}},"docs":{"type":["null","array"],"items":{"type":["null","object","array","string","number","boolean"]}},"grid":{"type":["null","array"],"items":{"type":["null","integer","array"]}},"n":{"type":["null","integer"],"minimum":-2147483648,"maximum":2147483647}}},"key_properties":["id"],"bookmark_properties":[]}'
assert_eq "$expected" "$(grep '^{"type":"SCHEMA"' "$TEST_TMP/out")" "inline_array_schemas: the exact SCHEMA line, no \$ref, no definitions"
assert_eq 0 "$(grep -c '\$ref\|definitions' "$TEST_TMP/out" || true)" "inline_array_schemas: no \$ref anywhere"
assert_contains "$(grep '^{"type":"RECORD"' "$TEST_TMP/out")" '"grid":[[1,2],[3,4]]' "the values are unchanged"

# the records validate against the inline schema (our target's validator resolves no $ref)
dst=tap_inline_arrays_dst
fresh_db $dst
target_config $dst '"default_target_schema":"tgt","validate_records":true' >"$TEST_TMP/target.json"
run_cmd "$TEST_TMP/tout" "$TEST_TMP/terr" "$TARGET_BIN" --config "$TEST_TMP/target.json" --input "$TEST_TMP/out"
assert_eq 0 "$RC" "the target validates and loads the records of the inline schema"
assert_eq '[1, null, 3]|[[1, 2], [3, 4]]' "$(psql_q $dst "SELECT ints::text, grid::text FROM tgt.t")" "the arrays are loaded (jsonb)"

# off (the default): pipelinewise's definitions and $ref
tap_config $db >"$TEST_TMP/default.json"
run_cmd "$TEST_TMP/out2" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/default.json" --catalog "$TEST_TMP/catalog.json"
assert_contains "$(grep '^{"type":"SCHEMA"' "$TEST_TMP/out2")" '"ints":{"type":["null","array"],"items":{"$ref":"#/definitions/sdc_recursive_integer_array"}}' "default: arrays refer to the definitions"
assert_contains "$(grep '^{"type":"SCHEMA"' "$TEST_TMP/out2")" '"sdc_recursive_decimal_5_2_array":{' "default: the column's decimal definition"

# LOG_BASED: the SCHEMA follows the setting too
tap_config $db '"inline_array_schemas":true,"logical_poll_total_seconds":2' >"$TEST_TMP/log.json"
"$TAP_BIN" --config "$TEST_TMP/log.json" --discover 2>/dev/null | select_streams LOG_BASED >"$TEST_TMP/log_catalog.json"
run_cmd "$TEST_TMP/out3" "$TEST_TMP/err3" "$TAP_BIN" --config "$TEST_TMP/log.json" --catalog "$TEST_TMP/log_catalog.json"
assert_eq 0 "$RC" "LOG_BASED with inline_array_schemas exits 0"
assert_eq 0 "$(grep -c '\$ref\|definitions' "$TEST_TMP/out3" || true)" "LOG_BASED: no \$ref in its SCHEMA messages"
assert_contains "$(grep -m1 '^{"type":"SCHEMA"' "$TEST_TMP/out3")" '"ints":{"type":["null","array"],"items":{"type":["null","integer","array"]}}' "LOG_BASED: inline items"
psql_q $db "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$db'" >/dev/null
finish
