#!/usr/bin/env bash
# PII transformations in the tap (pipelinewise-transform-field's `transformations`): each type
# with its exact output, `when` conditions (equals, regex_match), null values, FULL_TABLE,
# INCREMENTAL and LOG_BASED alike; a hashed key through tap | target, where a LOG_BASED delete
# removes the right row; the SCHEMA of a transformed varchar; errors at start (exit 3) for an
# unknown type, a missing column or stream, a type that does not fit, a key that would collapse.
# Expected hashes come from sha256sum, not from our code.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../logical/log_lib.sh"

src=tap_transform
dst=tap_transform_dst
fresh_db "$src"
fresh_db "$dst"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
CREATE TABLE users (id int PRIMARY KEY, email text, name varchar(3), phone text, born date,
                    seen timestamptz, salary numeric(10,2), score int, country text, note text,
                    code text);
INSERT INTO users VALUES
  (1, 'a@x.io', 'Ann', '+44123456', '1990-05-21', '2024-03-04 05:06:07.25+00', 1234.50, 7, 'DE', 'do!maskme!', 'AB123'),
  (2, 'b@x.io', 'Bob', NULL, NULL, NULL, NULL, NULL, 'FR', 'nomask', 'ÄÖ12'),
  (3, NULL, 'Cy', '1', '2000-12-31', '1999-12-31 23:59:59+00', -5, -1, 'US', 'short', 'x');
CREATE TABLE accounts (email text PRIMARY KEY, v int);
INSERT INTO accounts VALUES ('one@x.io', 1), ('two@x.io', 2), ('three@x.io', 3);
ALTER TABLE users REPLICA IDENTITY DEFAULT;
SQL

h() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
rules='"transformations":[
 {"tap_stream_name":"public-users","field_id":"email","type":"HASH"},
 {"tap_stream_name":"public-users","field_id":"name","type":"MASK-HIDDEN"},
 {"tap_stream_name":"public-users","field_id":"phone","type":"SET-NULL","safe_field_id":"\"PHONE\""},
 {"tap_stream_name":"public-users","field_id":"born","type":"MASK-DATE"},
 {"tap_stream_name":"public-users","field_id":"seen","type":"MASK-DATE"},
 {"tap_stream_name":"public-users","field_id":"salary","type":"MASK-NUMBER"},
 {"tap_stream_name":"public-users","field_id":"score","type":"MASK-NUMBER"},
 {"tap_stream_name":"public-users","field_id":"note","type":"MASK-STRING-SKIP-ENDS-3","when":[{"column":"country","equals":"DE"},{"column":"score","equals":7}]},
 {"tap_stream_name":"public-users","field_id":"code","type":"HASH-SKIP-FIRST-2","when":[{"column":"country","regex_match":"^(D|F)\\w$"}]},
 {"tap_stream_name":"public-users","field_id":"country","type":"MASK-HIDDEN","when":[{"column":"phone","regex_match":"^\\+\\d{2}"}]},
 {"tap_stream_name":"public-accounts","field_id":"email","type":"HASH"}]'
rules=$(tr -d '\n' <<<"$rules")
tap_config "$src" "$rules" >"$TEST_TMP/tap.json"
"$TAP_BIN" --config "$TEST_TMP/tap.json" --discover 2>/dev/null >"$TEST_TMP/discovered.json"

# the expected records: row 1 (DE, score 7, phone +44...): every rule applies; row 2 (FR, nulls):
# nulls stay null except MASK-HIDDEN ("hidden") and MASK-NUMBER (0), as pipelinewise; the code is
# its first 2 characters and the hash of the bytes after its first 2 bytes (pipelinewise's
# slicing: "ÄÖ12" keeps "ÄÖ" and hashes "Ö12"); row 3 (US): no condition holds
cat >"$TEST_TMP/expected" <<EOF
{"id":1,"email":"$(h a@x.io)","name":"hidden","phone":null,"born":"1990-01-01T00:00:00+00:00","seen":"2024-01-01T05:06:07.250000+00:00","salary":0,"score":0,"country":"hidden","note":"do!****me!","code":"AB$(h 123)"}
{"id":2,"email":"$(h b@x.io)","name":"hidden","phone":null,"born":null,"seen":null,"salary":0,"score":0,"country":"FR","note":"nomask","code":"ÄÖ$(h Ö12)"}
{"id":3,"email":null,"name":"hidden","phone":null,"born":"2000-01-01T00:00:00+00:00","seen":"1999-01-01T23:59:59+00:00","salary":0,"score":0,"country":"US","note":"short","code":"x"}
EOF
# select_one STREAM METHOD < catalog: the whole catalog (every stream listed), one stream selected
select_one() {
    sed -E "/\"tap_stream_id\":\"$1\"/ s/\"breadcrumb\":\[\],\"metadata\":\{/&\"selected\":true,\"replication-method\":\"$2\",/"
}
body() { grep "^{\"type\":\"RECORD\",\"stream\":\"$2\"" "$1" | sed -E -e 's/^.*"record":(\{.*\}),"version".*$/\1/' -e 's/^.*"record":(\{.*\}),"time_extracted".*$/\1/' -e 's/,"_sdc_deleted_at":null\}$/}/'; }

# FULL_TABLE
select_one public-users FULL_TABLE <"$TEST_TMP/discovered.json" >"$TEST_TMP/cat_ft.json"
run_cmd "$TEST_TMP/ft.out" "$TEST_TMP/ft.err" "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/cat_ft.json"
assert_eq 0 "$RC" "FULL_TABLE with transformations: exit 0"
body "$TEST_TMP/ft.out" public-users >"$TEST_TMP/ft.records"
assert_files_eq "$TEST_TMP/expected" "$TEST_TMP/ft.records" "FULL_TABLE: each transformation's exact output"
schema=$(grep '^{"type":"SCHEMA"' "$TEST_TMP/ft.out")
assert_contains "$schema" '"name":{"type":["null","string"]}' "SCHEMA: a masked varchar(3) loses its maxLength"
assert_contains "$schema" '"salary":{"type":["null","number"]' "SCHEMA: MASK-NUMBER keeps number"
assert_contains "$schema" '"born":{"type":["null","string"],"format":"date-time"}' "SCHEMA: MASK-DATE keeps date-time"
assert_not_contains "$(cat "$TEST_TMP/ft.out")" 'a@x.io' "no e-mail address leaves the tap"

# without transformations the same rows come out as they are (the fast path)
tap_config "$src" >"$TEST_TMP/plain.json"
run_cmd "$TEST_TMP/plain.out" "$TEST_TMP/plain.err" "$TAP_BIN" --config "$TEST_TMP/plain.json" --catalog "$TEST_TMP/cat_ft.json"
assert_eq '{"id":1,"email":"a@x.io","name":"Ann","phone":"+44123456","born":"1990-05-21T00:00:00+00:00","seen":"2024-03-04T05:06:07.250000+00:00","salary":1234.50,"score":7,"country":"DE","note":"do!maskme!","code":"AB123"}' \
    "$(body "$TEST_TMP/plain.out" public-users | head -n 1)" "without transformations: the source values"

# with custom_where_clauses: the filter and the transformations together
tap_config "$src" "$rules,\"stream_options\":{\"public-users\":{\"custom_where_clauses\":[\"id >= 2\"]}}" >"$TEST_TMP/where.json"
run_cmd "$TEST_TMP/w.out" "$TEST_TMP/w.err" "$TAP_BIN" --config "$TEST_TMP/where.json" --catalog "$TEST_TMP/cat_ft.json"
tail -n 2 "$TEST_TMP/expected" >"$TEST_TMP/expected_where"
body "$TEST_TMP/w.out" public-users >"$TEST_TMP/w.records"
assert_files_eq "$TEST_TMP/expected_where" "$TEST_TMP/w.records" "custom_where_clauses and transformations: rows 2 and 3, transformed"

# INCREMENTAL
select_one public-users INCREMENTAL <"$TEST_TMP/discovered.json" |
    stream_metadata public-users '"replication-key":"id"' >"$TEST_TMP/cat_inc.json"
run_cmd "$TEST_TMP/inc.out" "$TEST_TMP/inc.err" "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/cat_inc.json"
assert_eq 0 "$RC" "INCREMENTAL with transformations: exit 0"
body "$TEST_TMP/inc.out" public-users >"$TEST_TMP/inc.records"
assert_files_eq "$TEST_TMP/expected" "$TEST_TMP/inc.records" "INCREMENTAL: the same records"

# LOG_BASED through the target: the initial copy, then changes; a hashed key stays a key
log_config "$src" "$rules" >"$TEST_TMP/log.json"
log_catalog "$TEST_TMP/log.json" public-users public-accounts >"$TEST_TMP/cat_log.json"
target_config "$dst" '"default_target_schema":"public","hard_delete":true' >"$TEST_TMP/target.json"
pipeline() { # STATE_IN STATES_OUT TAP_OUT
    set +e
    "$TAP_BIN" --config "$TEST_TMP/log.json" --catalog "$TEST_TMP/cat_log.json" ${1:+--state "$1"} 2>"$TEST_TMP/tap.err" |
        tee "$3" | "$TARGET_BIN" --config "$TEST_TMP/target.json" >"$2" 2>"$TEST_TMP/target.err"
    RC=$?
    set -e
    tail -n 1 "$2" >"$TEST_TMP/state.json"
}
pipeline "" "$TEST_TMP/s1.jsonl" "$TEST_TMP/log1.out"
assert_eq 0 "$RC" "LOG_BASED run 1 (initial copy) through the target: exit 0"
body "$TEST_TMP/log1.out" public-users >"$TEST_TMP/log1.records"
assert_files_eq "$TEST_TMP/expected" "$TEST_TMP/log1.records" "LOG_BASED initial copy: the same records"
assert_eq "$(printf '%s 3\n%s 1\n%s 2' "$(h three@x.io)" "$(h one@x.io)" "$(h two@x.io)" | sort)" \
    "$(psql_q "$dst" "SELECT email || ' ' || v FROM public.accounts ORDER BY 1")" "target: the accounts under their hashed keys"

psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
INSERT INTO users VALUES (4, 'd@x.io', 'Dan', '+3312', '2010-07-08', '2011-02-03 04:05:06+00', 9.99, 7, 'DE', 'abcdefgh', 'DE99');
UPDATE users SET email = 'b2@x.io', phone = '+49 1' WHERE id = 2;
DELETE FROM accounts WHERE email = 'two@x.io';
UPDATE accounts SET v = 10 WHERE email = 'one@x.io';
SQL
pipeline "$TEST_TMP/state.json" "$TEST_TMP/s2.jsonl" "$TEST_TMP/log2.out"
assert_eq 0 "$RC" "LOG_BASED run 2 (changes) through the target: exit 0"
cat >"$TEST_TMP/expected2" <<EOF
{"id":4,"email":"$(h d@x.io)","name":"hidden","phone":null,"born":"2010-01-01T00:00:00+00:00","seen":"2011-01-01T04:05:06+00:00","salary":0,"score":0,"country":"hidden","note":"abc**fgh","code":"DE$(h 99)"}
{"id":2,"email":"$(h b2@x.io)","name":"hidden","phone":null,"born":null,"seen":null,"salary":0,"score":0,"country":"hidden","note":"nomask","code":"ÄÖ$(h Ö12)"}
EOF
body "$TEST_TMP/log2.out" public-users >"$TEST_TMP/log2.records"
assert_files_eq "$TEST_TMP/expected2" "$TEST_TMP/log2.records" "LOG_BASED changes: inserts and updates transformed"
del=$(grep '^{"type":"RECORD","stream":"public-accounts"' "$TEST_TMP/log2.out" | grep -v '"_sdc_deleted_at":null')
assert_contains "$del" "\"record\":{\"email\":\"$(h two@x.io)\",\"_sdc_deleted_at\":" "the delete carries the hashed key"
assert_eq "$(printf '%s 3\n%s 10' "$(h three@x.io)" "$(h one@x.io)" | sort)" \
    "$(psql_q "$dst" "SELECT email || ' ' || v FROM public.accounts ORDER BY 1")" \
    "target: the deleted account is gone, the updated one updated (hashed keys)"
assert_eq 0 "$(psql_q "$dst" "SELECT count(*) FROM public.users WHERE email LIKE '%@%' OR country IN ('DE') OR phone IS NOT NULL")" \
    "target: no clear e-mail, masked country or phone"
assert_not_contains "$(cat "$TEST_TMP/log1.out" "$TEST_TMP/log2.out")" '@x.io' "no e-mail address leaves the tap (LOG_BASED)"
drop_slots "$src"

# errors at start: exit 3, the rule named, nothing sent
bad() { # MESSAGE EXPECTED_TEXT RULES
    tap_config "$src" "\"transformations\":[$3]" >"$TEST_TMP/bad.json"
    run_cmd "$TEST_TMP/bad.out" "$TEST_TMP/bad.err" "$TAP_BIN" --config "$TEST_TMP/bad.json" --catalog "$TEST_TMP/cat_ft.json"
    assert_eq 3 "$RC" "$1: exit 3"
    assert_contains "$(cat "$TEST_TMP/bad.err")" "$2" "$1: the error names it"
    assert_eq 0 "$(grep -c '"type":"RECORD"' "$TEST_TMP/bad.out" || true)" "$1: no record sent"
}
bad "an unknown type" 'unknown type "HASH-ALL"' '{"tap_stream_name":"public-users","field_id":"email","type":"HASH-ALL"}'
bad "n out of 1..9" 'unknown type "HASH-SKIP-FIRST-12"' '{"tap_stream_name":"public-users","field_id":"email","type":"HASH-SKIP-FIRST-12"}'
bad "a column the table does not have" 'stream "public-users" has no column "emial"' '{"tap_stream_name":"public-users","field_id":"emial","type":"HASH"}'
bad "a stream the catalog does not have" 'names stream "users", which the catalog does not have' '{"tap_stream_name":"users","field_id":"email","type":"HASH"}'
bad "HASH of an integer" 'HASH needs a string column (a schema of type string without a format), but column "score" of stream "public-users" is integer' '{"tap_stream_name":"public-users","field_id":"score","type":"HASH"}'
bad "MASK-DATE of a string" 'MASK-DATE needs a date, timestamp or timestamptz column, but column "email"' '{"tap_stream_name":"public-users","field_id":"email","type":"MASK-DATE"}'
bad "MASK-NUMBER of a string" 'MASK-NUMBER needs an integer or number column' '{"tap_stream_name":"public-users","field_id":"note","type":"MASK-NUMBER"}'
bad "MASK-NUMBER of the key" 'MASK-NUMBER of key column "id" of stream "public-users": a key may only be hashed' '{"tap_stream_name":"public-users","field_id":"id","type":"MASK-NUMBER"}'
bad "a condition on a column the table does not have" 'the condition on column "land" of stream "public-users": the table has no such column' '{"tap_stream_name":"public-users","field_id":"email","type":"HASH","when":[{"column":"land","equals":"DE"}]}'
bad "field_paths" 'field_paths (fields inside JSON columns) is not supported' '{"tap_stream_name":"public-users","field_id":"email","type":"HASH","field_paths":["a/b"]}'
bad "a Python-only regex" 'has a (?...) group' '{"tap_stream_name":"public-users","field_id":"email","type":"HASH","when":[{"column":"country","regex_match":"(?i)de"}]}'
bad "an unknown key in a rule" 'unknown key "when_"' '{"tap_stream_name":"public-users","field_id":"email","type":"HASH","when_":[]}'
bad "equals and regex_match in one condition" 'needs exactly one of "equals" and "regex_match"' '{"tap_stream_name":"public-users","field_id":"email","type":"HASH","when":[{"column":"country","equals":"DE","regex_match":"D"}]}'
finish
