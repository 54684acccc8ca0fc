#!/usr/bin/env bash
# samples/ stays true: samples/catalog.json is the catalog of samples/demo.sql (same schemas as
# discovery finds) and runs with samples/state.json.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_samples
fresh_db "$db"
psql_f "$db" "$SOURCE_DIR/samples/demo.sql"
tap_config "$db" '"filter_schemas":"shop"' >"$TEST_TMP/config.json"
run_cmd "$TEST_TMP/discovered.json" "$TEST_TMP/err0" "$TAP_BIN" --config "$TEST_TMP/config.json" --discover
assert_eq 0 "$RC" "discovery of the demo database exits 0"
# the schema of each stream, as discovery writes it and as the sample has it
schemas() { grep '"tap_stream_id"' "$1" | sed -E 's/^\{"tap_stream_id":("[^"]*").*("schema":\{.*\}),"metadata".*/\1 \2/' | sort; }
schemas "$TEST_TMP/discovered.json" >"$TEST_TMP/discovered.schemas"
schemas "$SOURCE_DIR/samples/catalog.json" >"$TEST_TMP/sample.schemas"
assert_files_eq "$TEST_TMP/discovered.schemas" "$TEST_TMP/sample.schemas" "samples/catalog.json has the schemas discovery finds"
run_cmd "$TEST_TMP/out.jsonl" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" \
    --catalog "$SOURCE_DIR/samples/catalog.json" --state "$SOURCE_DIR/samples/state.json"
assert_eq 0 "$RC" "a sync with samples/catalog.json and samples/state.json exits 0"
check_jsonl "$TEST_TMP/out.jsonl" "its stdout holds whole Singer messages only"
assert_eq "6" "$(grep -c '^{"type":"SCHEMA"' "$TEST_TMP/out.jsonl")" "every sample stream is synced"
finish
