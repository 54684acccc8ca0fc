#!/usr/bin/env bash
# The Singer SDK's config conventions in both programs: several --config files merged in order
# (a later key wins), --config ENV (TAP_POSTGRES_<SETTING> / TARGET_POSTGRES_<SETTING>, typed
# from their text, lists comma-separated or JSON), the target's --input FILE, and the log level
# from <PROGRAM>_LOGLEVEL and LOGLEVEL.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
db=shared_config_src
dst=shared_config_dst
fresh_db "$db"
fresh_db "$dst"
psql_q "$db" "CREATE SCHEMA keep; CREATE SCHEMA skip; CREATE TABLE keep.t (id int PRIMARY KEY);
    CREATE TABLE skip.t (id int PRIMARY KEY); CREATE TABLE public.t (id int PRIMARY KEY)" >/dev/null
unset TAP_POSTGRES_LOGLEVEL TARGET_POSTGRES_LOGLEVEL LOGLEVEL LOG_LEVEL

# ---- several files: a later one's key wins
printf '{"host":"%s","port":%s,"user":"%s","password":""}\n' "$PGHOST" "$PGPORT" "$PGUSER" >"$TEST_TMP/conn.json"
tap_config "$db" '"filter_schemas":"skip"' | sed 's/"dbname":"[^"]*"/"dbname":"no_such_db"/' >"$TEST_TMP/a.json"
printf '{"dbname":"%s","filter_schemas":"keep"}\n' "$db" >"$TEST_TMP/b.json"
run_cmd "$TEST_TMP/d1.out" "$TEST_TMP/d1.err" "$TAP_BIN" --config "$TEST_TMP/a.json" --config "$TEST_TMP/b.json" --discover
assert_eq 0 "$RC" "tap: two --config files, the second's dbname wins: discovery exits 0"
assert_eq '"keep-t"' "$(grep -o '"tap_stream_id":"[^"]*"' "$TEST_TMP/d1.out" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')" \
    "the second file's filter_schemas wins"
run_cmd "$TEST_TMP/d2.out" "$TEST_TMP/d2.err" "$TAP_BIN" --config "$TEST_TMP/b.json" --config "$TEST_TMP/a.json" --discover
assert_eq 4 "$RC" "the other order: the first file's dbname loses (exit 4)"
assert_contains "$(cat "$TEST_TMP/d2.err")" "no_such_db" "the error names the database that won"

# ---- --config ENV
run_cmd "$TEST_TMP/e1.out" "$TEST_TMP/e1.err" env TAP_POSTGRES_HOST="$PGHOST" TAP_POSTGRES_PORT="$PGPORT" \
    TAP_POSTGRES_USER="$PGUSER" TAP_POSTGRES_PASSWORD= TAP_POSTGRES_DATABASE="$db" \
    TAP_POSTGRES_FILTER_SCHEMAS="keep,public" "$TAP_BIN" --config ENV --discover
assert_eq 0 "$RC" "tap --config ENV: discovery exits 0 (port as text, the database spelling)"
[ "$RC" = 0 ] || cat "$TEST_TMP/e1.err" >&2
assert_eq '"keep-t" "public-t"' "$(grep -o '"tap_stream_id":"[^"]*"' "$TEST_TMP/e1.out" | cut -d: -f2 | sort | tr '\n' ' ' | sed 's/ $//')" \
    "TAP_POSTGRES_FILTER_SCHEMAS is read as a comma-separated list"
run_cmd "$TEST_TMP/e2.out" "$TEST_TMP/e2.err" env TAP_POSTGRES_FILTER_SCHEMAS='["skip"]' \
    "$TAP_BIN" --config "$TEST_TMP/conn.json" --config "$TEST_TMP/b.json" --config ENV --discover
assert_eq '"skip-t"' "$(grep -o '"tap_stream_id":"[^"]*"' "$TEST_TMP/e2.out" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')" \
    "ENV after a file: its JSON array wins"
run_cmd "$TEST_TMP/e3.out" "$TEST_TMP/e3.err" env TAP_POSTGRES_DBNAME="$db" TAP_POSTGRES_FILTER_SCHEMAS=skip \
    "$TAP_BIN" --config ENV --config "$TEST_TMP/conn.json" --config "$TEST_TMP/b.json" --discover
assert_eq '"keep-t"' "$(grep -o '"tap_stream_id":"[^"]*"' "$TEST_TMP/e3.out" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')" \
    "a file after ENV wins over it"
run_cmd "$TEST_TMP/e4.out" "$TEST_TMP/e4.err" env TAP_POSTGRES_BREAK_AT_END_LSN=maybe \
    "$TAP_BIN" --config "$TEST_TMP/b.json" --config "$TEST_TMP/conn.json" --config ENV --discover
assert_eq 3 "$RC" "a boolean variable that is not true or false: exit 3"
assert_contains "$(cat "$TEST_TMP/e4.err")" 'environment variable TAP_POSTGRES_BREAK_AT_END_LSN: "maybe" is not a boolean' \
    "the message names the variable"
run_cmd "$TEST_TMP/e5.out" "$TEST_TMP/e5.err" "$TAP_BIN" --config "$TEST_TMP/conn.json" --config ENV --discover
assert_eq 3 "$RC" "ENV without the database: exit 3"
assert_contains "$(cat "$TEST_TMP/e5.err")" 'TAP_POSTGRES_* environment' "the message names the sources"

# ---- log levels
run_cmd "$TEST_TMP/l1.out" "$TEST_TMP/l1.err" env TAP_POSTGRES_LOGLEVEL=debug LOGLEVEL=error \
    "$TAP_BIN" --config "$TEST_TMP/conn.json" --config "$TEST_TMP/b.json" --discover
assert_contains "$(cat "$TEST_TMP/l1.err")" " DEBUG " "TAP_POSTGRES_LOGLEVEL=debug wins over LOGLEVEL"
run_cmd "$TEST_TMP/l2.out" "$TEST_TMP/l2.err" env LOGLEVEL=error \
    "$TAP_BIN" --config "$TEST_TMP/conn.json" --config "$TEST_TMP/b.json" --discover
assert_eq 0 "$(grep -c ' INFO ' "$TEST_TMP/l2.err")" "LOGLEVEL=error: no INFO line"

# ---- the target: ENV, several files, --input
printf '%s\n' '{"type":"SCHEMA","stream":"items","schema":{"properties":{"id":{"type":"integer"},"v":{"type":["null","string"]}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"items","record":{"id":1,"v":"a"}}' \
    '{"type":"RECORD","stream":"items","record":{"id":2,"v":"b"}}' \
    '{"type":"STATE","value":{"bookmarks":{"items":{"n":2}}}}' >"$TEST_TMP/in.jsonl"
printf '{"default_target_schema":"from_file"}\n' >"$TEST_TMP/t_schema.json"
run_cmd "$TEST_TMP/t1.out" "$TEST_TMP/t1.err" env TARGET_POSTGRES_HOST="$PGHOST" TARGET_POSTGRES_PORT="$PGPORT" \
    TARGET_POSTGRES_USER="$PGUSER" TARGET_POSTGRES_DBNAME="$dst" TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=from_env \
    TARGET_POSTGRES_ADD_METADATA_COLUMNS=true "$TARGET_BIN" --config ENV --input "$TEST_TMP/in.jsonl"
assert_eq 0 "$RC" "target --config ENV --input FILE exits 0"
[ "$RC" = 0 ] || cat "$TEST_TMP/t1.err" >&2
assert_eq '{"bookmarks":{"items":{"n":2}}}' "$(cat "$TEST_TMP/t1.out")" "it writes the state of the file's messages"
assert_eq "2" "$(psql_q "$dst" "SELECT count(*) FROM from_env.items WHERE _sdc_batched_at IS NOT NULL")" \
    "rows loaded into TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA, with metadata columns (a boolean from text)"
run_cmd "$TEST_TMP/t2.out" "$TEST_TMP/t2.err" env TARGET_POSTGRES_HOST="$PGHOST" TARGET_POSTGRES_PORT="$PGPORT" \
    TARGET_POSTGRES_USER="$PGUSER" TARGET_POSTGRES_DBNAME="$dst" TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=from_env \
    "$TARGET_BIN" --config ENV --config "$TEST_TMP/t_schema.json" <"$TEST_TMP/in.jsonl"
assert_eq 0 "$RC" "target: ENV then a file, from stdin: exit 0"
assert_eq "2" "$(psql_q "$dst" "SELECT count(*) FROM from_file.items")" "the file's default_target_schema wins"
run_cmd "$TEST_TMP/t3.out" "$TEST_TMP/t3.err" "$TARGET_BIN" --config "$TEST_TMP/t_schema.json" --input "$TEST_TMP/none.jsonl"
assert_eq 2 "$RC" "--input of a missing file: exit 2"
assert_contains "$(cat "$TEST_TMP/t3.err")" 'none.jsonl' "the message names the file"
finish
