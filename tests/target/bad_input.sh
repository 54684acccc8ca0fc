#!/usr/bin/env bash
# target-postgres on bad input and failures: exit code, the one-line message naming line,
# stream and property, the open batch rolled back and no STATE after the failure.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_bad
fresh_db "$db"
in=$TEST_TMP/in.jsonl
S='{"type":"SCHEMA","stream":"public-t","schema":{"type":"object","properties":{"id":{"type":"integer"},"n":{"type":["null","integer"],"minimum":-32768,"maximum":32767},"s":{"type":["null","string"]},"ts":{"type":["null","string"],"format":"date-time"}}},"key_properties":["id"]}'

# bad CASE_NAME EXIT_CODE MESSAGE [EXTRA_CONFIG] -- input lines on stdin. It is the last
# command of a pipeline: lastpipe runs it in this shell, or its failures would be counted in a
# subshell and lost (every case here passed whatever the target did)
shopt -s lastpipe
bad() {
    local name=$1 code=$2 msg=$3 extra=${4:-}
    cat >"$in"
    load "$db" "$extra" "$in"
    assert_eq "$code" "$RC" "$name: exit code"
    assert_contains "$(cat "$ERR")" "$msg" "$name: message"
    assert_eq "" "$(cat "$OUT")" "$name: no STATE written"
}

printf '%s\n' "$S" '{"type":"RECORD","stream":"public-t","record":{"id":1}' |
    bad "malformed JSON" 6 'line 2: malformed JSON at byte 54: unexpected end of input'
printf '%s\n' '{"type":"RECORD","stream":"public-x","record":{"id":1}}' |
    bad "RECORD before SCHEMA" 6 'line 1: stream "public-x": RECORD before its SCHEMA'
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-t","record":{"n":1}}' |
    bad "missing key property" 6 'line 2: stream "public-t": key property "id" is missing'
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-t","record":{"id":null}}' |
    bad "null key property" 6 'line 2: stream "public-t": key property "id" is null'
printf '%s\n' '{"type":"SCHEMA","stream":"test_object_schema_no_properties","key_properties":[],"schema":{"type":"object"}}' |
    bad "SCHEMA without properties" 6 'line 1: stream "test_object_schema_no_properties": the schema has no properties' '"primary_key_required":false'
printf '%s\n' '{"type":"SCHEMA","stream":"public-nokey","key_properties":[],"schema":{"properties":{"a":{"type":"string"}}}}' |
    bad "primary key required" 6 'line 1: stream "public-nokey": no key_properties, and primary_key_required is true'
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-t","record":{"id":1,"n":40000}}' |
    bad "value out of range" 6 'line 2: stream "public-t": property "n": value 40000 does not fit column type smallint'
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-t","record":{"id":"abc"}}' |
    bad "value of the wrong type" 6 'line 2: stream "public-t": property "id": a string "abc" does not fit column type bigint'
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-t","record":{"id":1,"ts":"yesterday"}}' |
    bad "bad date-time" 6 'line 2: stream "public-t": property "ts": a string "yesterday" does not fit column type timestamp with time zone'
printf '%s\n' "$S" "{\"type\":\"RECORD\",\"stream\":\"public-t\",\"record\":{\"id\":1,\"s\":\"a$(printf '\xff')b\"}}" |
    bad "invalid UTF-8" 6 'line 2: stream "public-t": property "s": the string is not valid UTF-8'
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-t","record":{"id":1,"s":"a\u0000b"}}' |
    bad "NUL in text" 6 'line 2: stream "public-t": property "s": the string holds a NUL character'
{ echo "$S"; printf '{"type":"RECORD","stream":"public-t","record":{"id":1,"s":"%s"}}\n' "$(head -c 3000 /dev/zero | tr '\0' x)"; } |
    bad "line over the size limit" 6 'line 2: the line is longer than max_line_bytes (2048 bytes)' '"max_line_bytes":2048'
printf '%s\n' '{"type":"STATE"}' | bad "STATE without value" 6 'line 1: STATE message without "value"'
printf '%s\n' '[1,2]' | bad "not an object" 6 'line 1: a message must be a JSON object'
# a Singer SDK BATCH message whose files we cannot read (parquet) is an error naming the format:
# ignoring it would lose its records and let the next STATE claim them (tests/target/batch.sh)
printf '%s\n' "$S" '{"type":"BATCH","stream":"public-t","encoding":{"format":"parquet","compression":"gzip"},"manifest":["file:///tmp/x.parquet"]}' '{"type":"STATE","value":{"s":1}}' |
    bad "BATCH message" 6 'line 2: stream "public-t": BATCH encoding format "parquet" is not supported (only jsonl'

printf '%s\n' '{"type":"SCHEMA","stream":"public-v","schema":{"type":"object","properties":{"id":{"type":"integer"},"s":{"type":["null","string"],"maxLength":3}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-v","record":{"id":1,"s":"abc"}}' '{"type":"RECORD","stream":"public-v","record":{"id":2,"s":"abcd"}}' |
    bad "validate_records" 6 'line 3: stream "public-v": record does not match the schema: s: longer than maxLength 3' '"validate_records":true'
# a record that the tokenizer reads but the validator's parser cannot (a lone UTF-16 surrogate):
# the message says where, not nothing (it ended in "schema: "; found by fuzz_target_records)
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-t","record":{"id":1,"s":"a\ud800b"}}' |
    bad "validate_records, unreadable record" 6 'line 2: stream "public-t": record does not match the schema: it cannot be read at byte 60 (a \u escape of a lone UTF-16 surrogate?)' '"validate_records":true'

# the open batch is rolled back: rows of the same stream before the bad line are not loaded
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-t","record":{"id":1}}' '{"type":"RECORD","stream":"public-t","record":{"id":"x"}}' |
    bad "bad second record" 6 'line 3: stream "public-t": property "id"'
assert_eq "t" "$(q $db "SELECT to_regclass('tgt.t') IS NULL")" "bad input: the open batch was not loaded"

# a failed flush (constraint violation): rolled back, named, exit 5, no later STATE
psql_q $db "CREATE SCHEMA tgt; CREATE TABLE tgt.c (id bigint PRIMARY KEY, v bigint CHECK (v < 100))" >/dev/null
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-c","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":"integer"}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-c","record":{"id":1,"v":1}}
{"type":"STATE","value":{"c":1}}
{"type":"RECORD","stream":"public-c","record":{"id":2,"v":2}}
{"type":"RECORD","stream":"public-c","record":{"id":3,"v":500}}
{"type":"STATE","value":{"c":3}}
JSON
load "$db" '"batch_size_rows":2,"async_flush":false' "$in"
assert_eq 5 "$RC" "failed flush: exit code"
assert_eq '{"c":1}' "$(cat "$OUT")" "failed flush: only the state before the failed batch"
assert_contains "$(cat "$ERR")" 'stream "public-c": batch 2: merge into "tgt"."c" failed: ERROR:  new row for relation "c" violates check constraint "c_v_check" (SQLSTATE 23514)' \
    "failed flush: message names stream and batch"
assert_contains "$(cat "$ERR")" 'stream "public-c": batch 2 (1 rows, input lines 5-5) rolled back' "failed flush: rolled back"
assert_eq '1|1
2|2' "$(q $db "SELECT id, v FROM tgt.c ORDER BY id")" "failed flush: the committed batch stays, the failed one is gone"

# the same with asynchronous, pipelined flushes: nothing after the failed batch is merged
psql_q $db "TRUNCATE tgt.c" >/dev/null
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-c","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":"integer"}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-c","record":{"id":1,"v":1}}
{"type":"RECORD","stream":"public-c","record":{"id":2,"v":500}}
{"type":"RECORD","stream":"public-c","record":{"id":3,"v":3}}
{"type":"RECORD","stream":"public-c","record":{"id":4,"v":4}}
{"type":"STATE","value":{"c":4}}
JSON
load "$db" '"batch_size_rows":1' "$in"
assert_eq 5 "$RC" "failed flush (async): exit code"
assert_eq '' "$(cat "$OUT")" "failed flush (async): no state"
assert_eq '1' "$(q $db "SELECT string_agg(id::text, ',' ORDER BY id) FROM tgt.c")" "failed flush (async): later batches not merged"

# the widening and the new column belong to the load's transaction: a failed load leaves the
# table as it was
psql_q $db "CREATE TABLE tgt.w (id bigint PRIMARY KEY, n smallint CHECK (n < 1000))" >/dev/null
printf '%s\n' '{"type":"SCHEMA","stream":"public-w","schema":{"type":"object","properties":{"id":{"type":"integer"},"n":{"type":"integer"},"extra":{"type":"string"}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-w","record":{"id":1,"n":5000,"extra":"x"}}' >"$in"
load "$db" '' "$in"
assert_eq 5 "$RC" "failed load after a schema change: exit code"
assert_eq 'id:bigint n:smallint' \
    "$(q $db "SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'tgt.w'::regclass AND attnum > 0 AND NOT attisdropped")" \
    "failed load after a schema change: the widening and the new column were rolled back with it"

# a value PostgreSQL rejects in COPY names the input line
psql_q $db "CREATE TABLE tgt.vc (id bigint PRIMARY KEY, s varchar(3))" >/dev/null
printf '%s\n' '{"type":"SCHEMA","stream":"public-vc","schema":{"type":"object","properties":{"id":{"type":"integer"},"s":{"type":"string"}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-vc","record":{"id":1,"s":"ok"}}' \
    '{"type":"RECORD","stream":"public-vc","record":{"id":2,"s":"too long"}}' >"$in"
load "$db" '' "$in"
assert_eq 5 "$RC" "COPY failure: exit code"
assert_contains "$(cat "$ERR")" 'stream "public-vc": batch 1: input line 3, column s: value too long for type character varying(3) (SQLSTATE 22001)' \
    "COPY failure: names stream, batch, input line and column"

# command line and config
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TARGET_BIN" --bogus
assert_eq 2 "$RC" "unknown argument: exit 2"
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TARGET_BIN"
assert_eq 2 "$RC" "missing --config: exit 2"
echo '{"host":"127.0.0.1","dbname":"x","batch_size_rows":"many","default_target_schema":"t"}' >"$TEST_TMP/bad.json"
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TARGET_BIN" --config "$TEST_TMP/bad.json"
assert_eq 3 "$RC" "bad config: exit 3"
assert_contains "$(cat "$TEST_TMP/e")" 'key "batch_size_rows" must be an integer, got "many"' "bad config: names the key"
echo '{"host":"127.0.0.1","dbname":"x"}' >"$TEST_TMP/bad.json"
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TARGET_BIN" --config "$TEST_TMP/bad.json"
assert_eq 3 "$RC" "no target schema: exit 3"
assert_contains "$(cat "$TEST_TMP/e")" 'neither "default_target_schema" (string) nor "schema_mapping" (object) is set' "no target schema: message"
# password_secret: a secret manager that does not answer stops the target before it reads input
target_config x '"default_target_schema":"t","password_secret":{"provider":"vault","url":"http://127.0.0.1:9","path":"secret/data/db","token":"s3cr3t-token"}' >"$TEST_TMP/secret.json"
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TARGET_BIN" --config "$TEST_TMP/secret.json" </dev/null
assert_eq 3 "$RC" "password_secret unreachable: exit 3"
assert_contains "$(cat "$TEST_TMP/e")" 'password_secret (vault)' "password_secret unreachable: names the provider"
assert_not_contains "$(cat "$TEST_TMP/e")" 's3cr3t-token' "password_secret unreachable: the token is not logged"
target_config no_such_db '"default_target_schema":"t"' >"$TEST_TMP/nodb.json"
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TARGET_BIN" --config "$TEST_TMP/nodb.json" </dev/null
assert_eq 5 "$RC" "unreachable database: exit 5"
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TARGET_BIN" --about
assert_eq 0 "$RC" "--about: exit 0"
assert_contains "$(cat "$TEST_TMP/o")" '"max_parallelism":{"type":["integer","string"]' "--about lists the settings"
assert_contains "$(cat "$TEST_TMP/o")" '"aliases":["parallelism_max"]' "--about lists aliases"
# schemas/target_config.schema.json matches the settings (names with aliases, types), and the
# sample config uses only known keys (PostgreSQL's jsonb does the comparing)
about_props="SELECT k, v->'type' FROM jsonb_each(:'about'::jsonb->'settings'->'properties') e(k, v)
    UNION ALL SELECT a, e.v->'type' FROM jsonb_each(:'about'::jsonb->'settings'->'properties') e(k, v),
    jsonb_array_elements_text(coalesce(e.v->'aliases', '[]')) a"
schema_props="SELECT k, v->'type' FROM jsonb_each(:'schema'::jsonb->'properties') e(k, v)"
diff_sql="SELECT count(*) FROM (($about_props) EXCEPT ($schema_props)) a"
diff2_sql="SELECT count(*) FROM (($schema_props) EXCEPT ($about_props)) a"
sample_sql="SELECT string_agg(k, ',') FROM jsonb_object_keys(:'sample'::jsonb) k WHERE NOT (:'schema'::jsonb->'properties' ? k)"
for sql in "$diff_sql" "$diff2_sql" "$sample_sql"; do
    echo "$sql;"
done >"$TEST_TMP/schema_check.sql"
schema_check=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d $db -v about="$(cat "$TEST_TMP/o")" \
    -v schema="$(cat "$SOURCE_DIR/schemas/target_config.schema.json")" \
    -v sample="$(cat "$SOURCE_DIR/samples/target_config.json")" -f "$TEST_TMP/schema_check.sql" | tr '\n' ' ')
assert_eq '0 0  ' "$schema_check" "schemas/target_config.schema.json: the settings of --about, and every key of the sample config"
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TARGET_BIN" --version
assert_eq "0" "$RC" "--version: exit 0"
assert_contains "$(cat "$TEST_TMP/o")" "target-postgres " "--version: name and version on stdout"
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TARGET_BIN" --help
assert_contains "$(cat "$TEST_TMP/o")" "usage: target-postgres --config CONFIG" "--help: usage on stdout"
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TARGET_BIN" --about --format markdown
assert_contains "$(cat "$TEST_TMP/o")" '| `batch_size_bytes` | integer | no | 67108864 |' "--about markdown"

finish
