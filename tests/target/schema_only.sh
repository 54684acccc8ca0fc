#!/usr/bin/env bash
# target-postgres: a SCHEMA without RECORDs creates its table (and adds its new columns), at
# the end of input or after SIGTERM; ACTIVATE_VERSION before its stream's SCHEMA is accepted:
# applied to the table of an earlier run when it can be, else ignored with a line saying so.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_schema_only
fresh_db "$db"
in=$TEST_TMP/in.jsonl

# assert_err_line LINE MESSAGE: stderr holds LINE (after the time stamp), exactly
assert_err_line() {
    if sed -E 's/^[0-9T:.Z-]+ //' "$ERR" | grep -Fxq -- "$1"; then
        ok "$2"
    else
        not_ok "$2"
        echo "  expected the line: $1" >&2
        sed -E 's/^[0-9T:.Z-]+ //' "$ERR" | grep -v ' DEBUG ' | head -20 >&2
    fi
}
cols() {
    q $db "SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = to_regclass('$1') AND attnum > 0 AND NOT attisdropped"
}

# --- a SCHEMA and no RECORD: the empty table exists, with its key and columns
printf '%s\n' '{"type":"SCHEMA","stream":"public-empty","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":["null","string"]}}},"key_properties":["id"]}' \
    '{"type":"SCHEMA","stream":"public-full","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-full","record":{"id":1}}' \
    '{"type":"STATE","value":{"s":1}}' >"$in"
load "$db" '' "$in"
assert_eq 0 "$RC" "schema only: exit code"
assert_eq '{"s":1}' "$(cat "$OUT")" "schema only: state"
assert_eq 'id:bigint v:text' "$(cols tgt.empty)" "schema only: the table is created"
assert_eq 0 "$(q $db "SELECT count(*) FROM tgt.empty")" "schema only: empty"
assert_eq 'id' "$(q $db "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'tgt.empty'::regclass AND i.indisprimary")" \
    "schema only: its primary key"
assert_eq 1 "$(q $db "SELECT count(*) FROM tgt.full")" "schema only: the other stream loaded"

# a later SCHEMA without records adds its new columns; metadata columns too
printf '%s\n' '{"type":"SCHEMA","stream":"public-empty","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":["null","string"]},"w":{"type":["null","boolean"]}}},"key_properties":["id"]}' >"$in"
load "$db" '"add_metadata_columns":true' "$in"
assert_eq 0 "$RC" "schema only, new column: exit code"
assert_eq 'id:bigint v:text w:boolean _sdc_extracted_at:timestamp with time zone _sdc_received_at:timestamp with time zone _sdc_batched_at:timestamp with time zone _sdc_deleted_at:timestamp with time zone _sdc_sequence:bigint _sdc_table_version:bigint' \
    "$(cols tgt.empty)" "schema only: new columns added without records"

# records, then a SCHEMA with a new column and no more records: the column is added
printf '%s\n' '{"type":"SCHEMA","stream":"public-full","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-full","record":{"id":2}}' \
    '{"type":"SCHEMA","stream":"public-full","schema":{"type":"object","properties":{"id":{"type":"integer"},"later":{"type":["null","string"]}}},"key_properties":["id"]}' >"$in"
load "$db" '' "$in"
assert_eq 0 "$RC" "records then a wider SCHEMA: exit code"
assert_eq 'id:bigint later:text' "$(cols tgt.full)" "records then a wider SCHEMA: its new column added"
assert_eq 2 "$(q $db "SELECT count(*) FROM tgt.full")" "records then a wider SCHEMA: rows"

# --- ACTIVATE_VERSION before the SCHEMA, metadata columns off: ignored, exit 0
printf '%s\n' '{"type":"ACTIVATE_VERSION","stream":"public-av","version":1}' \
    '{"type":"SCHEMA","stream":"public-av","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-av","record":{"id":1},"version":1}' \
    '{"type":"STATE","value":{"v":1}}' >"$in"
load "$db" '' "$in"
assert_eq 0 "$RC" "early ACTIVATE_VERSION, no metadata columns: exit code"
assert_eq '{"v":1}' "$(cat "$OUT")" "early ACTIVATE_VERSION, no metadata columns: state"
assert_eq 1 "$(q $db "SELECT count(*) FROM tgt.av")" "early ACTIVATE_VERSION, no metadata columns: rows loaded"
assert_err_line 'INFO target-postgres: ACTIVATE_VERSION ignored (needs add_metadata_columns or hard_delete)' \
    "early ACTIVATE_VERSION, no metadata columns: ignored, said"

# metadata columns, the table of an earlier run has no _sdc_table_version: ignored with a warning
load "$db" '"add_metadata_columns":true' "$in"
assert_eq 0 "$RC" "early ACTIVATE_VERSION, table without _sdc_table_version: exit code"
assert_err_line 'WARNING target-postgres: stream "public-av": ACTIVATE_VERSION 1 before its SCHEMA ignored: table "tgt"."av" has no _sdc_table_version column' \
    "early ACTIVATE_VERSION, table without _sdc_table_version: said"
assert_eq '1|1' "$(q $db "SELECT id, _sdc_table_version FROM tgt.av")" \
    "early ACTIVATE_VERSION, table without _sdc_table_version: the run's rows loaded"

# the table exists with _sdc_table_version: rows of older versions are marked, then deleted
printf '%s\n' '{"type":"ACTIVATE_VERSION","stream":"public-av","version":2}' \
    '{"type":"SCHEMA","stream":"public-av","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-av","record":{"id":2},"version":2}' \
    '{"type":"ACTIVATE_VERSION","stream":"public-av","version":2}' >"$in"
load "$db" '"add_metadata_columns":true' "$in"
assert_eq 0 "$RC" "early ACTIVATE_VERSION (marks): exit code"
assert_eq '1|1|t
2|2|f' "$(q $db "SELECT id, _sdc_table_version, _sdc_deleted_at IS NOT NULL FROM tgt.av ORDER BY id")" \
    "early ACTIVATE_VERSION (marks): older version marked, the new rows not"
assert_err_line 'INFO target-postgres: stream "public-av": version 2 activated: 1 older rows marked deleted' \
    "early ACTIVATE_VERSION (marks): applied before the SCHEMA"
sed -i 's/"version":2/"version":3/g' "$in"
load "$db" '"hard_delete":true' "$in"
assert_eq 0 "$RC" "early ACTIVATE_VERSION (hard_delete): exit code"
assert_eq '2|3' "$(q $db "SELECT id, _sdc_table_version FROM tgt.av ORDER BY id")" \
    "early ACTIVATE_VERSION (hard_delete): older versions deleted"

# no table yet, and a stream that never gets its SCHEMA
printf '%s\n' '{"type":"ACTIVATE_VERSION","stream":"public-nothing","version":5}' \
    '{"type":"STATE","value":{"n":5}}' >"$in"
load "$db" '"hard_delete":true' "$in"
assert_eq 0 "$RC" "early ACTIVATE_VERSION, no table: exit code"
assert_eq '{"n":5}' "$(cat "$OUT")" "early ACTIVATE_VERSION, no table: state"
assert_err_line 'INFO target-postgres: stream "public-nothing": ACTIVATE_VERSION 5 before its SCHEMA: table "tgt"."nothing" does not exist, so no older rows to remove' \
    "early ACTIVATE_VERSION, no table: said"
assert_eq '' "$(q $db "SELECT to_regclass('tgt.nothing')")" "early ACTIVATE_VERSION, no table: none created"

# a bad version is still bad input
printf '%s\n' '{"type":"ACTIVATE_VERSION","stream":"public-nothing","version":"x"}' >"$in"
load "$db" '"hard_delete":true' "$in"
assert_eq 6 "$RC" "early ACTIVATE_VERSION, bad version: exit code"
assert_err_line 'ERROR target-postgres: line 1: stream "public-nothing": ACTIVATE_VERSION without an integer "version"' \
    "early ACTIVATE_VERSION, bad version: said"

# --- SIGTERM with input open: the table of a SCHEMA without records is created too
fifo=$TEST_TMP/fifo
rm -f "$fifo"
mkfifo "$fifo"
target_config "$db" '"default_target_schema":"tgt"' >"$TEST_TMP/config.json"
ERR=$TEST_TMP/err.txt
"$TARGET_BIN" --config "$TEST_TMP/config.json" --log-level debug <"$fifo" >"$TEST_TMP/out.txt" 2>"$ERR" &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true' EXIT
exec 7>"$fifo"
{
    echo '{"type":"SCHEMA","stream":"public-sig_a","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}'
    echo '{"type":"SCHEMA","stream":"public-sig_b","schema":{"type":"object","properties":{"id":{"type":"integer"},"x":{"type":"string"}}},"key_properties":["id"]}'
    echo '{"type":"RECORD","stream":"public-sig_a","record":{"id":1}}'
    echo '{"type":"STATE","value":{"sig":1}}'
    echo '{"type":"ACTIVATE_VERSION","stream":"ping","version":1}'
} >&7
for _ in $(seq 1 400); do
    grep -q 'ACTIVATE_VERSION ignored' "$ERR" && break
    sleep 0.05
done
kill -TERM "$pid"
set +e
wait "$pid"
RC=$?
set -e
exec 7>&-
assert_eq 130 "$RC" "SIGTERM: exit code"
assert_eq '{"sig":1}' "$(cat "$TEST_TMP/out.txt")" "SIGTERM: state"
assert_eq 1 "$(q $db "SELECT count(*) FROM tgt.sig_a")" "SIGTERM: the rows read loaded"
assert_eq 'id:bigint x:text' "$(cols tgt.sig_b)" "SIGTERM: the table of the SCHEMA without records created"

finish
