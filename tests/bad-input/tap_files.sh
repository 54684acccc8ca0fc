#!/usr/bin/env bash
# tap-postgres on config, catalog and state files that are wrong in one way (what
# tests/tap/bad_input.sh does not cover): exit 3, one error line naming the file and where it
# went wrong, nothing on stdout.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../tap/tap_lib.sh"

db=bad_input_tap
fresh_db "$db"
psql_q "$db" "CREATE TABLE t (id int PRIMARY KEY, name text); INSERT INTO t VALUES (1, 'a')"
tap_config "$db" >"$TEST_TMP/config.json"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | select_streams FULL_TABLE >"$TEST_TMP/catalog.json"
f=$TEST_TMP

# expect CODE MESSAGE TITLE -- ARGS...: run the tap; exit code, the one error line, stdout empty
expect() {
    local code=$1 msg=$2 title=$3
    shift 4
    run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" "$@"
    assert_eq "$code" "$RC" "$title: exit code $code"
    local err
    err=$(grep -aE 'ERROR|CRITICAL' "$TEST_TMP/err" || true)
    assert_contains "$err" "$msg" "$title: the error names it"
    assert_eq 1 "$(grep -acE 'ERROR|CRITICAL' "$TEST_TMP/err" || true)" "$title: one error line"
    assert_eq 0 "$(wc -c <"$TEST_TMP/out")" "$title: nothing on stdout"
}
# nest N: N levels of [ ] (generated)
nest() {
    awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "["; for (i = 0; i < n; i++) printf "]" }'
}
cfg=(--config "$f/config.json")

# config
printf '{"host":"h",' >"$f/c_trunc.json"
expect 3 "config file \"$f/c_trunc.json\" is not valid JSON: error at line 1, column 12" "config cut short" -- --config "$f/c_trunc.json" --discover
printf '\n\n{"host":"h" "port":5432}' >"$f/c_syntax.json"
expect 3 "config file \"$f/c_syntax.json\" is not valid JSON: error at line 3, column 13" "config with a syntax error on line 3" -- --config "$f/c_syntax.json" --discover
printf '' >"$f/c_empty.json"
expect 3 "config file \"$f/c_empty.json\" is empty: expected a JSON object" "empty config" -- --config "$f/c_empty.json" --discover
printf '["host"]' >"$f/c_array.json"
expect 3 "config \"$f/c_array.json\" must be a JSON object" "config not an object" -- --config "$f/c_array.json" --discover
# a key given twice: the last value counts, as Python's json (pipelinewise, Meltano) reads the
# file, with a warning (cJSON alone would read the first, a database that does not exist)
printf '{"host":"%s","port":%s,"user":"%s","password":"","dbname":"no_such_db","dbname":"%s"}' "$PGHOST" "$PGPORT" "$PGUSER" "$db" >"$f/c_dup.json"
run_cmd "$f/out" "$f/err" "$TAP_BIN" --config "$f/c_dup.json" --discover
assert_eq 0 "$RC" "config with a key given twice: the last value is used (exit 0)"
assert_contains "$(cat "$f/err")" "WARNING tap-postgres: config \"$f/c_dup.json\": key \"dbname\" is given twice: the last value is used" \
    "config with a key given twice: said"
assert_contains "$(cat "$f/out")" '"tap_stream_id":"public-t"' "config with a key given twice: the database of the last value discovered"
{ printf '{"host":'; nest 100000; printf '}'; } >"$f/c_deep.json"
expect 3 "config file \"$f/c_deep.json\" is not valid JSON: error at line 1, column 1008" "config nested 100,000 levels" -- --config "$f/c_deep.json" --discover

# catalog
printf '' >"$f/k_empty.json"
expect 3 "catalog file \"$f/k_empty.json\" is empty: expected a JSON object" "empty catalog" -- "${cfg[@]}" --catalog "$f/k_empty.json"
head -c 200 "$f/catalog.json" >"$f/k_trunc.json"
expect 3 "catalog file \"$f/k_trunc.json\" is not valid JSON" "catalog cut short" -- "${cfg[@]}" --catalog "$f/k_trunc.json"
printf '[]' >"$f/k_array.json"
expect 3 "catalog \"$f/k_array.json\": expected an object with a \"streams\" array" "catalog not an object" -- "${cfg[@]}" --catalog "$f/k_array.json"
printf '{"streams":{}}' >"$f/k_streams.json"
expect 3 "catalog \"$f/k_streams.json\": expected an object with a \"streams\" array" "catalog streams not an array" -- "${cfg[@]}" --catalog "$f/k_streams.json"
printf '{"streams":[5]}' >"$f/k_entry.json"
expect 3 "catalog \"$f/k_entry.json\": stream #1 has no \"tap_stream_id\"" "catalog stream not an object" -- "${cfg[@]}" --catalog "$f/k_entry.json"
{ printf '{"streams":'; nest 100000; printf '}'; } >"$f/k_deep.json"
expect 3 "catalog file \"$f/k_deep.json\" is not valid JSON: error at line 1, column 1011" "catalog nested 100,000 levels" -- "${cfg[@]}" --catalog "$f/k_deep.json"
# a catalog is tool-written, but --properties is read the same way
expect 3 "catalog \"$f/k_array.json\": expected an object with a \"streams\" array" "--properties not an object" -- "${cfg[@]}" --properties "$f/k_array.json"

# state
printf '{"bookmarks":{"public-t":' >"$f/s_trunc.json"
expect 3 "state file \"$f/s_trunc.json\" is not valid JSON: error at line 1, column 25" "state cut short" -- "${cfg[@]}" --catalog "$f/catalog.json" --state "$f/s_trunc.json"
printf '[{"bookmarks":{}}]' >"$f/s_array.json"
expect 3 "state file \"$f/s_array.json\": expected a JSON object" "state not an object" -- "${cfg[@]}" --catalog "$f/catalog.json" --state "$f/s_array.json"
printf '{"bookmarks":{"public-t":5}}' >"$f/s_bookmark.json"
expect 3 "state file \"$f/s_bookmark.json\": the bookmark of stream \"public-t\" must be an object" "state bookmark not an object" -- "${cfg[@]}" --catalog "$f/catalog.json" --state "$f/s_bookmark.json"
{ nest 100000; } >"$f/s_deep.json"
expect 3 "state file \"$f/s_deep.json\" is not valid JSON: error at line 1, column 1001" "state nested 100,000 levels" -- "${cfg[@]}" --catalog "$f/catalog.json" --state "$f/s_deep.json"
printf '{"bookmarks":{"public-t":{"version":1}}}\n{"bookmarks":{}}\n' >"$f/s_two.json"
expect 3 "state file \"$f/s_two.json\" is not valid JSON: error at line 2, column 1" "state file of two documents (a whole states.jsonl)" -- "${cfg[@]}" --catalog "$f/catalog.json" --state "$f/s_two.json"
finish
