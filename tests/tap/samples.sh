#!/usr/bin/env bash
# samples/ stays true: samples/catalog.json and catalog_log_based.json are catalogs of
# samples/demo.sql (same schemas as discovery finds); catalog.json runs with samples/state.json.
# samples/sync.sh (the state-file loop) is run end to end by tests/target/sync_loop.sh.
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
schemas "$SOURCE_DIR/samples/catalog_log_based.json" >"$TEST_TMP/sample_log.schemas"
assert_files_eq "$TEST_TMP/discovered.schemas" "$TEST_TMP/sample_log.schemas" "samples/catalog_log_based.json has the schemas discovery finds"
run_cmd "$TEST_TMP/out.jsonl" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" \
    --catalog "$SOURCE_DIR/samples/catalog.json" --state "$SOURCE_DIR/samples/state.json"
assert_eq 0 "$RC" "a sync with samples/catalog.json and samples/state.json exits 0"
check_jsonl "$TEST_TMP/out.jsonl" "its stdout holds whole Singer messages only"
assert_eq "6" "$(grep -c '^{"type":"SCHEMA"' "$TEST_TMP/out.jsonl")" "every sample stream is synced"

# samples/meltano.yml names only settings the programs know (their --about lists every key)
setting_names() { # SECTION_START SECTION_END: the setting names of one plugin in meltano.yml
    sed -n "/^  $1:/,/^  $2:/p" "$SOURCE_DIR/samples/meltano.yml" |
        sed -n -E 's/^ *- \{name: ([a-z_+]+),.*/\1/p; s/^ *- name: ([a-z_+]+)$/\1/p' | grep -v -x -e tap-postgres -e target-postgres
}
"$TAP_BIN" --about >"$TEST_TMP/tap_about.json"
"$TARGET_BIN" --about >"$TEST_TMP/target_about.json" 2>/dev/null
n=0
for name in $(setting_names extractors loaders); do
    n=$((n + 1))
    grep -q "\"$name\":{" "$TEST_TMP/tap_about.json" || not_ok "meltano.yml: tap setting $name is in tap-postgres --about"
done
for name in $(setting_names loaders zzz); do
    n=$((n + 1))
    grep -q "\"$name\":{" "$TEST_TMP/target_about.json" || not_ok "meltano.yml: target setting $name is in target-postgres --about"
done
[ "$n" -gt 30 ] && ok "the $n settings of samples/meltano.yml are known to the programs" || not_ok "meltano.yml settings found ($n)"
finish
