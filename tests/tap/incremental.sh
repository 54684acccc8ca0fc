#!/usr/bin/env bash
# INCREMENTAL: two runs with the first run's state (inclusive >=, bookmark kept exactly as text,
# NULL keys never become the bookmark), limit, and a changed replication key resetting the bookmark.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_inc
fresh_db "$db"
psql_q "$db" "CREATE TABLE items (id int PRIMARY KEY, name text, updated_at timestamptz, seq bigint);
  INSERT INTO items VALUES
    (1, 'a', '2024-01-01 10:00:00.000001+00', 100),
    (2, 'b', '2024-01-01 10:00:00.000002+00', 200),
    (3, 'null key', NULL, 300),
    (4, 'd', '2024-01-01 10:00:00.000002+00', 9007199254740993)"
tap_config "$db" >"$TEST_TMP/config.json"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null |
    select_streams INCREMENTAL | stream_metadata public-items '"replication-key":"updated_at"' >"$TEST_TMP/catalog.json"

run_cmd "$TEST_TMP/out1.jsonl" "$TEST_TMP/err1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "first run exits 0"
check_jsonl "$TEST_TMP/out1.jsonl" "stdout holds whole Singer messages only"
mask_volatile <"$TEST_TMP/out1.jsonl" >"$TEST_TMP/out1.masked"
cat >"$TEST_TMP/out1.expected" <<'EXP'
{"type":"SCHEMA","stream":"public-items","schema":{"type":"object","properties":{"id":{"type":["integer"],"minimum":-2147483648,"maximum":2147483647},"name":{"type":["null","string"]},"updated_at":{"type":["null","string"],"format":"date-time"},"seq":{"type":["null","integer"],"minimum":-9223372036854775808,"maximum":9223372036854775807}},"definitions":{"sdc_recursive_integer_array":{"type":["null","integer","array"],"items":{"$ref":"#/definitions/sdc_recursive_integer_array"}},"sdc_recursive_number_array":{"type":["null","number","array"],"items":{"$ref":"#/definitions/sdc_recursive_number_array"}},"sdc_recursive_string_array":{"type":["null","string","array"],"items":{"$ref":"#/definitions/sdc_recursive_string_array"}},"sdc_recursive_boolean_array":{"type":["null","boolean","array"],"items":{"$ref":"#/definitions/sdc_recursive_boolean_array"}},"sdc_recursive_timestamp_array":{"type":["null","string","array"],"format":"date-time","items":{"$ref":"#/definitions/sdc_recursive_timestamp_array"}},"sdc_recursive_object_array":{"type":["null","object","array"],"items":{"$ref":"#/definitions/sdc_recursive_object_array"}},"sdc_recursive_json_array":{"type":["null","object","array","string","number","boolean"],"items":{"$ref":"#/definitions/sdc_recursive_json_array"}}}},"key_properties":["id"],"bookmark_properties":["updated_at"]}
{"type":"STATE","value":{"bookmarks":{"public-items":{"last_replication_method":"INCREMENTAL","replication_key":"updated_at","version":"<V>"}},"currently_syncing":"public-items"}}
{"type":"ACTIVATE_VERSION","stream":"public-items","version":"<V>"}
{"type":"RECORD","stream":"public-items","record":{"id":1,"name":"a","updated_at":"2024-01-01T10:00:00.000001+00:00","seq":100},"version":"<V>","time_extracted":"<T>"}
{"type":"RECORD","stream":"public-items","record":{"id":2,"name":"b","updated_at":"2024-01-01T10:00:00.000002+00:00","seq":200},"version":"<V>","time_extracted":"<T>"}
{"type":"RECORD","stream":"public-items","record":{"id":4,"name":"d","updated_at":"2024-01-01T10:00:00.000002+00:00","seq":9007199254740993},"version":"<V>","time_extracted":"<T>"}
{"type":"RECORD","stream":"public-items","record":{"id":3,"name":"null key","updated_at":null,"seq":300},"version":"<V>","time_extracted":"<T>"}
{"type":"STATE","value":{"bookmarks":{"public-items":{"last_replication_method":"INCREMENTAL","replication_key":"updated_at","version":"<V>","replication_key_value":"2024-01-01 10:00:00.000002+00"}},"currently_syncing":null}}
EXP
assert_files_eq "$TEST_TMP/out1.expected" "$TEST_TMP/out1.masked" "first run: all rows in key order, NULL key last and not the bookmark"

# second run with the state: inclusive comparison (the last key again) plus the new and changed rows
last_state "$TEST_TMP/out1.jsonl" >"$TEST_TMP/state1.json"
psql_q "$db" "INSERT INTO items VALUES (5, 'e', '2024-01-02 00:00:00+00', 500);
  UPDATE items SET name = 'a2', updated_at = '2024-01-03 00:00:00+00' WHERE id = 1;
  INSERT INTO items VALUES (6, 'old', '2023-01-01 00:00:00+00', 600)"
run_cmd "$TEST_TMP/out2.jsonl" "$TEST_TMP/err2" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state1.json"
assert_eq 0 "$RC" "second run exits 0"
assert_eq "2 4 5 1" "$(record_ids "$TEST_TMP/out2.jsonl" public-items | tr '\n' ' ' | sed 's/ $//')" \
    "second run: rows with key >= the bookmark, in key order"
v1=$(grep -m1 '^{"type":"RECORD"' "$TEST_TMP/out1.jsonl" | sed -E 's/.*"version":([0-9]+).*/\1/')
v2=$(grep -m1 '^{"type":"RECORD"' "$TEST_TMP/out2.jsonl" | sed -E 's/.*"version":([0-9]+).*/\1/')
assert_eq "$v1" "$v2" "INCREMENTAL keeps its version across runs"
assert_eq 1 "$(grep -c '^{"type":"ACTIVATE_VERSION"' "$TEST_TMP/out2.jsonl")" "one ACTIVATE_VERSION per run"
assert_contains "$(last_state "$TEST_TMP/out2.jsonl")" '"replication_key_value":"2024-01-03 00:00:00+00"' "the bookmark advances"

# a bigint key: exact beyond 2^53, limit
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null |
    select_streams INCREMENTAL | stream_metadata public-items '"replication-key":"seq"' >"$TEST_TMP/catalog_seq.json"
run_cmd "$TEST_TMP/out3.jsonl" "$TEST_TMP/err3" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog_seq.json" --state "$TEST_TMP/state1.json"
assert_eq 0 "$RC" "run with a changed replication key exits 0"
assert_contains "$(cat "$TEST_TMP/err3")" 'replication key changed from "updated_at" to "seq"' "the key change is logged"
assert_eq "1 2 3 5 6 4" "$(record_ids "$TEST_TMP/out3.jsonl" public-items | tr '\n' ' ' | sed 's/ $//')" \
    "a changed replication key resets the bookmark: every row again"
assert_contains "$(last_state "$TEST_TMP/out3.jsonl")" '"replication_key":"seq","version":' "the new key is recorded"
assert_contains "$(last_state "$TEST_TMP/out3.jsonl")" '"replication_key_value":"9007199254740993"' "a bigint bookmark is exact"
last_state "$TEST_TMP/out3.jsonl" >"$TEST_TMP/state3.json"
psql_q "$db" "INSERT INTO items VALUES (7, 'g', NULL, 9007199254740994), (8, 'h', NULL, 9007199254740995), (9, 'i', NULL, 9007199254740996)"
tap_config "$db" '"limit":2' >"$TEST_TMP/config_limit.json"
run_cmd "$TEST_TMP/out4.jsonl" "$TEST_TMP/err4" "$TAP_BIN" --config "$TEST_TMP/config_limit.json" --catalog "$TEST_TMP/catalog_seq.json" --state "$TEST_TMP/state3.json"
assert_eq 0 "$RC" "run with limit exits 0"
assert_eq "4 7" "$(record_ids "$TEST_TMP/out4.jsonl" public-items | tr '\n' ' ' | sed 's/ $//')" "limit bounds the rows of a run"
assert_contains "$(last_state "$TEST_TMP/out4.jsonl")" '"replication_key_value":"9007199254740994"' "the bookmark is the last row sent"
# a pipelinewise state with a number as the bookmark value
printf '{"bookmarks":{"public-items":{"last_replication_method":"INCREMENTAL","replication_key":"seq","version":1,"replication_key_value":500}}}' >"$TEST_TMP/pw_state.json"
run_cmd "$TEST_TMP/out5.jsonl" "$TEST_TMP/err5" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog_seq.json" --state "$TEST_TMP/pw_state.json"
assert_eq 0 "$RC" "a pipelinewise state with a numeric bookmark is accepted"
assert_eq "5 6 4 7 8 9" "$(record_ids "$TEST_TMP/out5.jsonl" public-items | tr '\n' ' ' | sed 's/ $//')" "the numeric bookmark is used"
assert_contains "$(grep -m1 '^{"type":"RECORD"' "$TEST_TMP/out5.jsonl")" '"version":1,' "the state's version is kept"

# replication keys whose type has a length: the bookmark is cast to char(5) / bit(4), not to
# char(1) / bit(1) (which truncated the bookmark or failed)
psql_q "$db" "CREATE TABLE sized (id int PRIMARY KEY, k char(5), b bit(4));
  INSERT INTO sized VALUES (1, 'aa', B'0001'), (2, 'ab', B'0010'), (3, 'abc', B'0100'), (4, 'b', B'1000')"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | select_streams INCREMENTAL |
    stream_metadata public-sized '"replication-key":"k"' | only_stream public-sized >"$TEST_TMP/catalog_sized.json"
printf '{"bookmarks":{"public-sized":{"last_replication_method":"INCREMENTAL","replication_key":"k","version":1,"replication_key_value":"abc  "}}}' >"$TEST_TMP/state_sized.json"
run_cmd "$TEST_TMP/out6.jsonl" "$TEST_TMP/err6" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog_sized.json" --state "$TEST_TMP/state_sized.json"
assert_eq 0 "$RC" "a char(5) replication key runs"
assert_eq "3 4" "$(record_ids "$TEST_TMP/out6.jsonl" public-sized | tr '\n' ' ' | sed 's/ $//')" "a char(5) bookmark keeps its length"
sed 's/"replication-key":"k"/"replication-key":"b"/' "$TEST_TMP/catalog_sized.json" >"$TEST_TMP/catalog_bits.json"
printf '{"bookmarks":{"public-sized":{"last_replication_method":"INCREMENTAL","replication_key":"b","version":1,"replication_key_value":"0100"}}}' >"$TEST_TMP/state_bits.json"
run_cmd "$TEST_TMP/out7.jsonl" "$TEST_TMP/err7" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog_bits.json" --state "$TEST_TMP/state_bits.json"
assert_eq 0 "$RC" "a bit(4) replication key runs"
assert_eq "3 4" "$(record_ids "$TEST_TMP/out7.jsonl" public-sized | tr '\n' ' ' | sed 's/ $//')" "a bit(4) bookmark is compared as bit(4)"

# +infinity and NaN keys sort after every other value: as the bookmark they would hide every
# row added later, so they are sent but never become the bookmark (as NULL keys)
psql_q "$db" "CREATE TABLE special (id int PRIMARY KEY, at timestamptz, score float8);
  INSERT INTO special VALUES (1, '2024-01-01 00:00:00+00', 1), (2, 'infinity', 'NaN'), (3, '2024-01-02 00:00:00+00', 'Infinity')"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | select_streams INCREMENTAL |
    stream_metadata public-special '"replication-key":"at"' | only_stream public-special >"$TEST_TMP/catalog_special.json"
sed 's/"replication-key":"at"/"replication-key":"score"/' "$TEST_TMP/catalog_special.json" >"$TEST_TMP/catalog_score.json"
for key in at score; do
    cat_file=$TEST_TMP/catalog_special.json
    [ "$key" = score ] && cat_file=$TEST_TMP/catalog_score.json
    psql_q "$db" "DELETE FROM special WHERE id >= 10"
    run_cmd "$TEST_TMP/sp1_$key.jsonl" "$TEST_TMP/sp1_$key.err" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$cat_file"
    assert_eq 0 "$RC" "$key: first run exits 0"
    assert_eq "1 3 2" "$(record_ids "$TEST_TMP/sp1_$key.jsonl" public-special | tr '\n' ' ' | sed 's/ $//')" "$key: every row is sent, infinity/NaN last"
    assert_contains "$(cat "$TEST_TMP/sp1_$key.err")" "never become the bookmark" "$key: the skipped bookmark is logged"
    last_state "$TEST_TMP/sp1_$key.jsonl" >"$TEST_TMP/sp1_$key.state"
    psql_q "$db" "INSERT INTO special VALUES (10, '2024-06-01 00:00:00+00', 50)"
    run_cmd "$TEST_TMP/sp2_$key.jsonl" "$TEST_TMP/sp2_$key.err" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$cat_file" --state "$TEST_TMP/sp1_$key.state"
    assert_contains " $(record_ids "$TEST_TMP/sp2_$key.jsonl" public-special | tr '\n' ' ')" " 10 " "$key: a row added later is read by the next run"
done
assert_contains "$(cat "$TEST_TMP/sp1_at.state")" '"replication_key_value":"2024-01-02 00:00:00+00"' "the bookmark is the greatest finite key"
finish
