#!/usr/bin/env bash
# target-postgres: deletes whatever the SCHEMA says. A record's _sdc_deleted_at deletes
# (hard_delete) or marks (metadata columns) its row when the SCHEMA does not declare it; other
# properties a SCHEMA does not declare are ignored and counted in a warning per stream; a
# stream without keys (REPLICA IDENTITY FULL) deletes one equal row per delete, in order.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_deletes
fresh_db "$db"
in=$TEST_TMP/in.jsonl

# assert_err_line LINE MESSAGE: stderr holds LINE (after the time stamp), exactly
assert_err_line() {
    if sed -E 's/^[0-9T:.Z-]+ //' "$ERR" | grep -Fxq -- "$1"; then
        ok "$2"
    else
        not_ok "$2"
        echo "  expected the line: $1" >&2
        sed -E 's/^[0-9T:.Z-]+ //' "$ERR" | grep -v ' INFO \| DEBUG ' | head -20 >&2
    fi
}

S='{"type":"SCHEMA","stream":"public-u","schema":{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":["null","string"]}}},"key_properties":["id"]}'

# --- hard_delete: _sdc_deleted_at deletes its row although the SCHEMA does not declare it
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-u","record":{"id":1,"name":"a"}}' \
    '{"type":"RECORD","stream":"public-u","record":{"id":2,"name":"b"}}' >"$in"
load "$db" '"hard_delete":true' "$in"
assert_eq 0 "$RC" "undeclared _sdc_deleted_at: first run exit code"
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-u","record":{"id":1,"_sdc_deleted_at":"2020-01-01T00:00:00Z"}}' \
    '{"type":"RECORD","stream":"public-u","record":{"id":2,"name":"b2","extra":5,"more":{"x":1}}}' \
    '{"type":"RECORD","stream":"public-u","record":{"id":3,"name":"c","extra":null}}' \
    '{"type":"STATE","value":{"s":1}}' >"$in"
load "$db" '"hard_delete":true' "$in"
assert_eq 0 "$RC" "undeclared _sdc_deleted_at (hard_delete): exit code"
assert_eq '{"s":1}' "$(cat "$OUT")" "undeclared _sdc_deleted_at (hard_delete): state"
assert_eq '2|b2
3|c' "$(q $db "SELECT id, name FROM tgt.u ORDER BY id")" \
    "undeclared _sdc_deleted_at (hard_delete): row 1 deleted, the others loaded"
assert_err_line 'WARNING target-postgres: stream "public-u": properties not in its SCHEMA were ignored (not loaded): "extra" in 2 records, "more" in 1 record' \
    "properties not in the SCHEMA: one warning for the stream, counted per name"
assert_not_contains "$(cat "$ERR")" '"_sdc_deleted_at" in' "_sdc_deleted_at taken by its column is not counted as ignored"

# --- metadata columns without hard_delete: the row is marked
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-u","record":{"id":2,"_sdc_deleted_at":"2020-01-02T00:00:00Z"}}' >"$in"
load "$db" '"add_metadata_columns":true' "$in"
assert_eq 0 "$RC" "undeclared _sdc_deleted_at (metadata columns): exit code"
assert_eq '2|b2|2020-01-02 00:00:00+00
3|c|' "$(q $db "SELECT id, name, _sdc_deleted_at FROM tgt.u ORDER BY id")" \
    "undeclared _sdc_deleted_at (metadata columns): the row is marked, not deleted"
assert_not_contains "$(cat "$ERR")" "WARNING" "undeclared _sdc_deleted_at (metadata columns): no warning"

# --- no metadata columns: no column can take it; said, not silent
printf '%s\n' '{"type":"SCHEMA","stream":"public-n","schema":{"type":"object","properties":{"id":{"type":"integer"},"o":{"type":"object","properties":{"p":{"type":"integer"}}}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-n","record":{"id":1,"o":{"p":1,"q":2}}}' \
    '{"type":"RECORD","stream":"public-n","record":{"id":1,"_sdc_deleted_at":"2020-01-01T00:00:00Z"}}' \
    '{"type":"RECORD","stream":"public-n","record":{"id":2,"_sdc_deleted_at":null}}' >"$in"
load "$db" '"data_flattening_max_level":1' "$in"
assert_eq 0 "$RC" "no metadata columns: exit code"
assert_eq '1|1
2|' "$(q $db "SELECT id, o__p FROM tgt.n ORDER BY id")" "no metadata columns: rows loaded"
assert_err_line 'WARNING target-postgres: stream "public-n": properties not in its SCHEMA were ignored (not loaded): "o.q" in 1 record, "_sdc_deleted_at" in 2 records' \
    "no metadata columns: ignored properties named with their path"
assert_err_line 'WARNING target-postgres: stream "public-n": 1 records carry _sdc_deleted_at, which its SCHEMA does not declare: without add_metadata_columns or hard_delete the table has no column for it, so these deletes were not applied (each was loaded like any other record)' \
    "no metadata columns: the deletes not applied are said"

# more than eight names: the rest are counted together
printf '%s\n' "$S" '{"type":"RECORD","stream":"public-u","record":{"id":9,"a1":1,"a2":1,"a3":1,"a4":1,"a5":1,"a6":1,"a7":1,"a8":1,"a9":1,"a10":1}}' >"$in"
load "$db" '' "$in"
assert_err_line 'WARNING target-postgres: stream "public-u": properties not in its SCHEMA were ignored (not loaded): "a1" in 1 record, "a2" in 1 record, "a3" in 1 record, "a4" in 1 record, "a5" in 1 record, "a6" in 1 record, "a7" in 1 record, "a8" in 1 record, and 2 more of other names' \
    "many ignored properties: eight named, the rest counted"

# a long name is cut on a UTF-8 boundary (63 bytes at most: 31 two-byte characters)
long=$(printf 'é%.0s' $(seq 1 40))
printf '%s\n' "$S" "{\"type\":\"RECORD\",\"stream\":\"public-u\",\"record\":{\"id\":9,\"$long\":1}}" >"$in"
load "$db" '' "$in"
assert_err_line "WARNING target-postgres: stream \"public-u\": properties not in its SCHEMA were ignored (not loaded): \"$(printf 'é%.0s' $(seq 1 31))\" in 1 record" \
    "a long ignored property: its name cut on a UTF-8 boundary"

# --- a stream without keys (REPLICA IDENTITY FULL) with hard_delete: a delete removes exactly
# one row equal in every column (NULL matches NULL, '' only ''), _sdc_* columns aside (the
# LOG_BASED _sdc_lsn differs between a row's insert and its delete)
K='{"type":"SCHEMA","stream":"public-kl","schema":{"type":"object","properties":{"a":{"type":["null","integer"]},"b":{"type":["null","string"]},"_sdc_lsn":{"type":["null","integer"]},"_sdc_deleted_at":{"type":["null","string"],"format":"date-time"}}},"key_properties":[]}'
rec() { printf '{"type":"RECORD","stream":"public-kl","record":%s,"time_extracted":"2024-01-01T00:00:0%sZ"}\n' "$1" "${2:-0}"; }
D='"_sdc_deleted_at":"2024-02-01T00:00:00Z"'
{
    echo "$K"
    rec '{"a":1,"b":"x","_sdc_lsn":1}'
    rec '{"a":1,"b":"x","_sdc_lsn":2}'
    rec '{"a":2,"b":null,"_sdc_lsn":3}'
    rec '{"a":3,"b":"","_sdc_lsn":4}'
    rec '{"a":8,"b":"keep","_sdc_lsn":5}'
} >"$in"
load "$db" '"hard_delete":true,"primary_key_required":false' "$in"
assert_eq 0 "$RC" "keyless: first run exit code"
assert_eq 5 "$(q $db "SELECT count(*) FROM tgt.kl")" "keyless: first run rows"
{
    echo "$K"
    rec "{\"a\":1,\"b\":\"x\",\"_sdc_lsn\":10,$D}"         # one of the two (1,x) goes
    rec "{\"a\":2,\"b\":null,\"_sdc_lsn\":11,$D}"         # NULL matches NULL
    rec "{\"a\":3,\"_sdc_lsn\":12,$D}"                    # b absent = NULL: '' is not NULL, no row
    rec '{"a":4,"b":"y","_sdc_lsn":13}'                   # inserted and deleted in one batch
    rec "{\"a\":4,\"b\":\"y\",\"_sdc_lsn\":14,$D}"
    rec "{\"a\":5,\"b\":\"z\",\"_sdc_lsn\":15,$D}"         # a delete before its insert: no row yet
    rec '{"a":5,"b":"z","_sdc_lsn":16}'
    rec '{"a":6,"b":"w","_sdc_lsn":17}'                   # two equal rows, one deleted
    rec '{"a":6,"b":"w","_sdc_lsn":18}'
    rec "{\"a\":6,\"b\":\"w\",\"_sdc_lsn\":19,$D}"
    rec '{"a":7,"b":"v","_sdc_lsn":20}' 1                 # insert, delete, insert: the last stays
    rec "{\"a\":7,\"b\":\"v\",\"_sdc_lsn\":21,$D}" 2
    rec '{"a":7,"b":"v","_sdc_lsn":22}' 3
    echo '{"type":"STATE","value":{"lsn":22}}'
} >"$in"
load "$db" '"hard_delete":true,"primary_key_required":false' "$in"
assert_eq 0 "$RC" "keyless deletes: exit code"
assert_eq '{"lsn":22}' "$(cat "$OUT")" "keyless deletes: state"
assert_eq '1:x 3: 5:z 6:w 7:v 8:keep' "$(q $db "SELECT string_agg(a || ':' || coalesce(b, 'NULL'), ' ' ORDER BY a, b) FROM tgt.kl")" \
    "keyless deletes: one equal row removed per delete, in arrival order"
assert_eq '5|16|2024-01-01 00:00:00+00
7|22|2024-01-01 00:00:03+00' "$(q $db "SELECT a, _sdc_lsn, _sdc_extracted_at FROM tgt.kl WHERE a IN (5, 7) ORDER BY a")" \
    "keyless deletes: the rows that stay are the latest inserts (their metadata)"
assert_eq 0 "$(q $db "SELECT count(*) FROM tgt.kl WHERE _sdc_deleted_at IS NOT NULL")" "keyless deletes: no delete record stored"
assert_err_line 'WARNING target-postgres: stream "public-kl": batch 1: 2 deletes found no row equal in every column in "tgt"."kl" (a stream without key_properties deletes one such row per delete)' \
    "keyless deletes: deletes that found no row are said"
assert_err_line 'INFO target-postgres: stream "public-kl": batch 1: deleted 2 rows' "keyless deletes: rows deleted from the table counted"

# the same across batches of one row each
psql_q $db "TRUNCATE tgt.kl" >/dev/null
{
    echo "$K"
    rec '{"a":1,"b":"x"}'
    rec '{"a":1,"b":"x"}'
    rec "{\"a\":1,\"b\":\"x\",$D}"
    rec "{\"a\":1,\"b\":\"x\",$D}"
    rec "{\"a\":1,\"b\":\"x\",$D}"
    rec '{"a":1,"b":"x"}'
} >"$in"
load "$db" '"hard_delete":true,"primary_key_required":false,"batch_size_rows":1' "$in"
assert_eq 0 "$RC" "keyless deletes, one row per batch: exit code"
assert_eq 1 "$(q $db "SELECT count(*) FROM tgt.kl")" "keyless deletes, one row per batch: two inserts, three deletes, one insert leave one row"
assert_err_line 'WARNING target-postgres: stream "public-kl": batch 5: 1 deletes found no row equal in every column in "tgt"."kl" (a stream without key_properties deletes one such row per delete)' \
    "keyless deletes, one row per batch: the third delete found no row"

# metadata columns without hard_delete: the delete is appended with _sdc_deleted_at set (as
# pipelinewise does), also when the SCHEMA does not declare _sdc_deleted_at
psql_q $db "DROP TABLE tgt.kl" >/dev/null
{
    echo '{"type":"SCHEMA","stream":"public-kl","schema":{"type":"object","properties":{"a":{"type":["null","integer"]},"b":{"type":["null","string"]}}},"key_properties":[]}'
    rec '{"a":1,"b":"x"}'
    rec "{\"a\":1,\"b\":\"x\",$D}"
} >"$in"
load "$db" '"add_metadata_columns":true,"primary_key_required":false' "$in"
assert_eq 0 "$RC" "keyless, metadata columns: exit code"
assert_eq '1|x|
1|x|2024-02-01 00:00:00+00' "$(q $db "SELECT a, b, _sdc_deleted_at FROM tgt.kl ORDER BY _sdc_sequence")" \
    "keyless, metadata columns: the delete is appended, marked"

finish
