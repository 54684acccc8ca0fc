#!/usr/bin/env bash
# target-postgres: the COPYs (straight into the table, or into the merge's temp table) send
# the rows in COPY's binary format where every column's type has an encoder (copy_binary.h),
# and that stores exactly what COPY text stores: odd values of every encoded type loaded into
# a new table (direct, binary), into a table holding their keys (merged, binary), and with a
# column of a type without an encoder (direct and merged, text), compared both ways. A value
# the encoder does not take (a BC date) sends that batch and the stream's next ones as text; a
# column type without an encoder (time with time zone) keeps the whole stream in text.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_binary
fresh_db "$db"
in=$TEST_TMP/in.jsonl
export LOG_LEVEL=debug

S='{"type":"SCHEMA","stream":"public-t","schema":{"type":"object","properties":{
"id":{"type":"integer"},
"i2":{"type":["null","integer"],"x-sql-datatype":"smallint"},
"i4":{"type":["null","integer"],"x-sql-datatype":"integer"},
"n":{"type":["null","number"]},
"n2":{"type":["null","number"],"x-sql-datatype":"numeric(8,2)"},
"f":{"type":["null","number"],"x-sql-datatype":"double precision"},
"s":{"type":["null","string"]},
"v":{"type":["null","string"],"x-sql-datatype":"varchar(12)"},
"b":{"type":["null","boolean"]},
"ts":{"type":["null","string"],"format":"date-time"},
"d":{"type":["null","string"],"format":"date"},
"o":{"type":["null","object"]},
"a":{"type":["null","array"]},
"u":{"type":["null","string"],"x-sql-datatype":"uuid"},
"j":{"x-sql-datatype":"json"},
"h":{"type":["null","string"],"contentEncoding":"base16"}}},"key_properties":["id"]}'
S=$(printf '%s' "$S" | tr -d '\n')
cat >"$in.rows" <<'EOF'
{"id":1,"i2":-32768,"i4":2147483647,"n":123.45,"n2":-0.5,"f":0.1,"s":"plain","v":"twelve chars","b":true,"ts":"2020-01-01T00:00:37.5+00:00","d":"2024-02-29","o":{"k":1,"t":"x\ty"},"a":[1,"two",null],"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","j":{"z":1,"a":[]},"h":"0aFF"}
{"id":2,"i2":32767,"i4":-2147483648,"n":-0.0,"n2":123456.785,"f":-1.5e-300,"s":"tab\there, newline\nthere, back\\slash, quote \" and \u00e9\u4e2d\ud83d\ude00","v":"","b":false,"ts":"1999-12-31 23:59:59.999999-03","d":"0001-01-01","o":{},"a":[],"u":"A0EEBC999C0B4EF8BB6D6BB9BD380A11","j":"a json string","h":""}
{"id":3,"i2":0,"i4":7,"n":1.5e-7,"n2":1e3,"f":1E+300,"s":"\\N","v":"\\","b":null,"ts":"2024-05-01t10:11:12.123456 +0530","d":"9999-12-31","o":{"deep":{"er":[1.0,2e5]}},"a":[{"x":"\u0041-free"}],"u":null,"j":[1,2.50,"x"],"h":"abc"}
{"id":4,"i2":null,"i4":null,"n":12345678901234567890.123456789012345678901234567890,"n2":null,"f":null,"s":null,"v":null,"b":null,"ts":"2000-01-01","d":null,"o":null,"a":null,"u":null,"j":null,"h":null}
{"id":5,"n":1E-1000,"ts":"2038-01-19T03:14:08Z","s":"\u0001\u001f\u007f","n2":-999999.99,"f":-0.0,"i2":1,"i4":1,"v":"x","b":true,"d":"2000-01-01","o":{"n":1},"a":[true],"u":"00000000-0000-0000-0000-000000000000","j":{},"h":"00"}
{"id":6,"n2":null,"n":-100200300400500600700800900,"ts":"1970-01-01T00:00:00.000001+15:59","f":4.9e-300,"s":"\\\\\\t\\n","i2":1,"i4":1,"v":"x","b":true,"d":"2000-01-01","o":{"n":1},"a":[true],"u":"00000000-0000-0000-0000-000000000000","j":{},"h":"00"}
{"id":7,"n2":7.1,"n":0.000100,"ts":"2100-02-28T23:00:00-14:00","f":2.2250738585072014e-308,"s":"seven","i2":1,"i4":1,"v":"x","b":true,"d":"2000-01-01","o":{"n":1},"a":[true],"u":"00000000-0000-0000-0000-000000000000","j":{},"h":"00"}
EOF
{ echo "$S"; sed 's/^/{"type":"RECORD","stream":"public-t","record":/; s/$/}/' "$in.rows"; echo '{"type":"STATE","value":{"s":1}}'; } >"$in"
cols="id, i2, i4, n, n2, f, s, v, b, ts, d, o, a, u, j::text, h, _sdc_extracted_at, _sdc_deleted_at, _sdc_table_version, _sdc_batched_at IS NOT NULL, _sdc_received_at IS NOT NULL"
same_rows() { # schema a, schema b: the rows of a not in b and of b not in a (id 99 aside)
    q $db "(SELECT $cols FROM $1.t WHERE id <> 99 EXCEPT SELECT $cols FROM $2.t WHERE id <> 99)
           UNION ALL (SELECT $cols FROM $2.t WHERE id <> 99 EXCEPT SELECT $cols FROM $1.t WHERE id <> 99)"
}
cfg='"batch_size_rows":3,"add_metadata_columns":true,"interpret_content_encoding":true'

# --- a new table: every batch in binary
load "$db" "$cfg" "$in"
assert_eq 0 "$RC" "binary: exit code"
assert_eq '{"s":1}' "$(cat "$OUT")" "binary: state"
assert_eq 3 "$(grep -c 'COPY (binary) of [0-9]* rows straight into "tgt"."t"' "$ERR")" "binary: the 3 batches in binary"
assert_eq 0 "$(grep -c 'COPY (text)' "$ERR")" "binary: no batch as text"
assert_eq 7 "$(q $db "SELECT count(*) FROM tgt.t")" "binary: 7 rows"
assert_eq "1|-32768|2147483647|123.45|-0.50|0.1|plain|twelve chars|t|2020-01-01 00:00:37.5+00|2024-02-29|{\"k\": 1, \"t\": \"x\\ty\"}|0a ff" \
    "$(q $db "SELECT id, i2, i4, n, n2, f, s, v, b, ts, d, o, encode(h, 'hex') FROM tgt.t WHERE id = 1" | sed 's/|\\\\x/|/; s/0aff/0a ff/')" "binary: row 1"
assert_eq "2|0.0|123456.79|-1.5e-300|2000-01-01 02:59:59.999999+00|0001-01-01|" \
    "$(q $db "SELECT id, n, n2, f, ts, d, v FROM tgt.t WHERE id = 2")" "binary: row 2"
assert_eq 'tab	here, newline
there, back\slash, quote " and é中😀' "$(q $db "SELECT s FROM tgt.t WHERE id = 2")" "binary: escapes of row 2"
assert_eq '\N|\|0.00000015|1000.00|2024-05-01 04:41:12.123456+00|9999-12-31' \
    "$(q $db "SELECT s, v, n, n2, ts, d FROM tgt.t WHERE id = 3")" "binary: row 3"
assert_eq "12345678901234567890.123456789012345678901234567890|2000-01-01 00:00:00+00" \
    "$(q $db "SELECT n, ts FROM tgt.t WHERE id = 4")" "binary: row 4, 30 decimal places"
assert_eq "1000|t|2038-01-19 03:14:08+00|-0" "$(q $db "SELECT scale(n), n > 0 AND n < 1e-999, ts, f FROM tgt.t WHERE id = 5")" "binary: row 5, 1E-1000 keeps its 1000 decimal places"
assert_eq "-100200300400500600700800900|1969-12-31 08:01:00.000001+00|4.9e-300|\\\\\\t\\n" \
    "$(q $db "SELECT n, ts, f, s FROM tgt.t WHERE id = 6")" "binary: row 6"
assert_eq "0.000100|2100-03-01 13:00:00+00|2.2250738585072014e-308" \
    "$(q $db "SELECT n, ts, f FROM tgt.t WHERE id = 7")" "binary: row 7"
q $db "ALTER SCHEMA tgt RENAME TO bin" >/dev/null

# --- the merge: a table that holds a row for each key (found when the keys are looked up, so
#     every batch merges); the temp table filled in binary too
q $db "CREATE SCHEMA tgt; CREATE TABLE tgt.t (LIKE bin.t INCLUDING ALL); INSERT INTO tgt.t (id) SELECT g FROM generate_series(1, 7) g" >/dev/null
load "$db" "$cfg" "$in"
assert_eq 0 "$RC" "merge: exit code"
assert_eq 0 "$(grep -c 'straight into' "$ERR")" "merge: nothing copied straight"
assert_eq 3 "$(grep -c 'COPY (binary) into the temp table' "$ERR")" "merge: the 3 temp tables filled in binary"
assert_eq "" "$(same_rows bin tgt)" "merge: the same rows and values"
# a record lacking properties keeps their stored values (the _tgt_absent mask, a varbit)
{ echo "$S"; echo '{"type":"RECORD","stream":"public-t","record":{"id":1,"s":"changed","i2":null}}'; } >"$in.absent"
load "$db" "$cfg" "$in.absent"
assert_eq 0 "$RC" "absent properties: exit code"
assert_eq 1 "$(grep -c 'COPY (binary) into the temp table' "$ERR")" "absent properties: the temp table filled in binary"
assert_eq "changed||2147483647|123.45|2020-01-01 00:00:37.5+00" "$(q $db "SELECT s, i2, i4, n, ts FROM tgt.t WHERE id = 1")" "absent properties: kept"
q $db "DROP SCHEMA tgt CASCADE" >/dev/null

# --- an existing table whose _sdc_batched_at is text (kept as the user made it): the rows'
#     field gets the transaction's now() as text, as COPY text sends it
q $db "CREATE SCHEMA tgt; CREATE TABLE tgt.t (LIKE bin.t INCLUDING ALL); ALTER TABLE tgt.t ALTER _sdc_batched_at TYPE text" >/dev/null
load "$db" "$cfg" "$in"
assert_eq 0 "$RC" "_sdc_batched_at text: exit code"
assert_eq 3 "$(grep -c 'COPY (binary) of [0-9]* rows straight into "tgt"."t"' "$ERR")" "_sdc_batched_at text: the 3 batches in binary"
assert_eq "7|t" "$(q $db "SELECT count(*), bool_and(_sdc_batched_at ~ '^2[0-9]{3}-[0-9]{2}-[0-9]{2} [0-9:.]+[+-]00$') FROM tgt.t")" "_sdc_batched_at text: now() as text"
q $db "DROP SCHEMA tgt CASCADE" >/dev/null

# --- a value the encoder does not take (a BC date in batch 2): that batch and the next go as
#     text, the same rows as before
sed '/"id":5,/ s/"d":"2000-01-01"/"d":"-0099-01-01"/' "$in" >"$in.bc"
load "$db" "$cfg" "$in.bc"
assert_eq 0 "$RC" "BC date: exit code"
assert_eq 1 "$(grep -c 'COPY (binary) of' "$ERR")" "BC date: batch 1 in binary"
assert_eq 2 "$(grep -c 'COPY (text) of [0-9]* rows straight into "tgt"."t"' "$ERR")" "BC date: batches 2 and 3 as text"
assert_contains "$(cat "$ERR")" 'row 2 of the batch (input line 6) is not sent in binary; the stream'"'"'s batches go as text' "BC date: said at debug level"
assert_eq "0100-01-01 BC" "$(q $db "SELECT d FROM tgt.t WHERE id = 5")" "BC date: stored"
q $db "UPDATE tgt.t SET d = '2000-01-01' WHERE id = 5" >/dev/null
assert_eq "" "$(same_rows bin tgt)" "BC date: otherwise the same rows"
q $db "DROP SCHEMA tgt CASCADE" >/dev/null
# the same into a table with the keys: the merge's temp table as text from batch 2 on
q $db "CREATE SCHEMA tgt; CREATE TABLE tgt.t (LIKE bin.t INCLUDING ALL); INSERT INTO tgt.t (id) SELECT g FROM generate_series(1, 7) g" >/dev/null
load "$db" "$cfg" "$in.bc"
assert_eq 0 "$RC" "BC date, merge: exit code"
# (batch 3 may fill its temp table while batch 2 does: in either format)
assert_eq 1 "$(grep -c 'batch 1: COPY (binary) into the temp table' "$ERR")" "BC date, merge: batch 1 in binary"
assert_eq 1 "$(grep -c 'batch 2: COPY (text) into the temp table' "$ERR")" "BC date, merge: batch 2 as text"
assert_contains "$(cat "$ERR")" 'batch 2: row 2 (input line 6) is not sent in binary; the stream'"'"'s merges go as text' "BC date, merge: said at debug level"
q $db "UPDATE tgt.t SET d = '2000-01-01' WHERE id = 5" >/dev/null
assert_eq "" "$(same_rows bin tgt)" "BC date, merge: the same rows"
q $db "DROP SCHEMA tgt CASCADE" >/dev/null

# --- a column type without an encoder (time with time zone, format time): the stream as text
S2=${S/'"h":{'/'"tm":{"type":["null","string"],"format":"time"},"h":{'}
{ echo "$S2"; sed 's/^/{"type":"RECORD","stream":"public-t","record":/; s/}$/,"tm":"10:11:12+05:30"}}/' "$in.rows"; } >"$in.tm"
load "$db" "$cfg" "$in.tm"
assert_eq 0 "$RC" "time column: exit code"
assert_eq 0 "$(grep -c 'COPY (binary)' "$ERR")" "time column: nothing in binary"
assert_eq 3 "$(grep -c 'COPY (text) of [0-9]* rows straight into "tgt"."t"' "$ERR")" "time column: 3 batches straight, as text"
assert_eq "10:11:12+05:30|7" "$(q $db "SELECT min(tm::text), count(*) FROM tgt.t")" "time column: rows"
q $db "ALTER TABLE tgt.t DROP COLUMN tm" >/dev/null
assert_eq "" "$(same_rows bin tgt)" "time column: otherwise the same rows"
# and merged from COPY text: the reference the binary loads were compared with
q $db "DROP SCHEMA tgt CASCADE; CREATE SCHEMA tgt; CREATE TABLE tgt.t (LIKE bin.t INCLUDING ALL);
       ALTER TABLE tgt.t ADD COLUMN tm time with time zone; INSERT INTO tgt.t (id) SELECT g FROM generate_series(1, 7) g" >/dev/null
load "$db" "$cfg" "$in.tm"
assert_eq 0 "$RC" "time column, merge: exit code"
assert_eq 3 "$(grep -c 'COPY (text) into the temp table' "$ERR")" "time column, merge: 3 temp tables filled as text"
q $db "ALTER TABLE tgt.t DROP COLUMN tm" >/dev/null
assert_eq "" "$(same_rows bin tgt)" "time column, merge: the same rows as the binary loads"

finish
