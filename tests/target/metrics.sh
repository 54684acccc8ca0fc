#!/usr/bin/env bash
# target-postgres: the summary at the end (records, then rows inserted, updated, deleted per
# stream, from the table's transaction counters around each merge; hard and soft deletes; a
# table without a unique index on the keys; append-only), and the periodic METRIC points (the
# age of the oldest uncommitted record, the commit rate) while the input is idle.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_metrics
fresh_db "$db"
in=$TEST_TMP/in.jsonl

# summary_of STREAM: the summary line of STREAM, after "summary: "
summary_of() {
    grep -o "summary: stream \"$1\": .*" "$ERR" | sed 's/^summary: //'
}

S='{"type":"SCHEMA","stream":"public-u","schema":{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":["null","string"]}}},"key_properties":["id"]}'
rec() { printf '{"type":"RECORD","stream":"public-u","record":{"id":%s,"name":"%s"}}\n' "$1" "$2"; }
del() { printf '{"type":"RECORD","stream":"public-u","record":{"id":%s,"_sdc_deleted_at":"2020-01-01T00:00:00Z"}}\n' "$1"; }

# --- first load: 5 inserts
{
    echo "$S"
    for i in 1 2 3 4 5; do rec $i a; done
} >"$in"
load "$db" '"hard_delete":true' "$in"
assert_eq 0 "$RC" "first load: exit code"
assert_eq 'stream "public-u": 5 records committed: 5 rows inserted, 0 updated, 0 deleted (1 batches)' \
    "$(summary_of public-u)" "first load: 5 inserted"
assert_contains "$(cat "$ERR")" "summary: 5 records in 1 commits in " "first load: the total"

# --- second load: 2 updates (one key twice: the last record wins, one row updated), 1 delete,
# 1 insert
{
    echo "$S"
    rec 1 b
    rec 2 b
    rec 2 c
    del 3
    rec 6 a
} >"$in"
load "$db" '"hard_delete":true' "$in"
assert_eq 0 "$RC" "second load: exit code"
assert_eq 'stream "public-u": 5 records committed: 1 rows inserted, 3 updated, 1 deleted (1 batches)' \
    "$(summary_of public-u)" "hard_delete: inserted, updated (the deleted row is updated first) and deleted rows"
assert_eq '1|b
2|c
4|a
5|a
6|a' "$(q $db "SELECT id, name FROM tgt.u ORDER BY id")" "hard_delete: the table matches the counts"

# --- soft delete (metadata columns, no hard_delete): the row is kept and marked; counted as
# deleted
{
    echo "$S"
    del 4
    rec 7 a
} >"$in"
load "$db" '"add_metadata_columns":true' "$in"
assert_eq 0 "$RC" "soft delete: exit code"
assert_eq 'stream "public-u": 2 records committed: 1 rows inserted, 1 updated, 0 deleted, 1 records marked deleted (1 batches)' \
    "$(summary_of public-u)" "soft delete: the marked row is an update, and counted as marked"
assert_eq 1 "$(q $db "SELECT count(*) FROM tgt.u WHERE id = 4 AND _sdc_deleted_at IS NOT NULL")" \
    "soft delete: the row is marked"

# --- a table without a unique index on the key (made by someone else): UPDATE, then INSERT
q "$db" "CREATE TABLE tgt.w (id bigint, name text)" >/dev/null
q "$db" "INSERT INTO tgt.w VALUES (1, 'x')" >/dev/null
SW=${S//public-u/public-w}
{
    echo "$SW"
    printf '{"type":"RECORD","stream":"public-w","record":{"id":1,"name":"y"}}\n'
    printf '{"type":"RECORD","stream":"public-w","record":{"id":2,"name":"y"}}\n'
} >"$in"
load "$db" '' "$in"
assert_eq 0 "$RC" "table without a unique index: exit code"
assert_eq 'stream "public-w": 2 records committed: 1 rows inserted, 1 updated, 0 deleted (1 batches)' \
    "$(summary_of public-w)" "without a unique index (UPDATE, then INSERT): counted alike"
assert_eq '1|y
2|y' "$(q $db "SELECT id, name FROM tgt.w ORDER BY id")" "without a unique index: updated and inserted"

# --- append-only (a stream of its own: its table has no primary key): every record is a row
SA=${S//public-u/public-a}
{
    echo "$SA"
    printf '{"type":"RECORD","stream":"public-a","record":{"id":1,"name":"y"}}\n'
    printf '{"type":"RECORD","stream":"public-a","record":{"id":1,"name":"z"}}\n'
} >"$in"
load "$db" '"load_method":"append-only"' "$in"
assert_eq 0 "$RC" "append-only: exit code"
assert_eq 'stream "public-a": 2 records committed: 2 rows inserted, 0 updated, 0 deleted (1 batches)' \
    "$(summary_of public-a)" "append-only: inserted"
assert_eq 2 "$(q $db "SELECT count(*) FROM tgt.a")" "append-only: two rows"

# --- periodic points while the input is idle: one record read and not committed
fifo=$TEST_TMP/fifo
rm -f "$fifo"
mkfifo "$fifo"
target_config "$db" '"default_target_schema":"tgt","metrics_interval_seconds":0.3' >"$TEST_TMP/config_p.json"
"$TARGET_BIN" --config "$TEST_TMP/config_p.json" <"$fifo" >"$TEST_TMP/out_p" 2>"$TEST_TMP/err_p" &
pid=$!
{
    echo "$S"
    rec 9 p
    sleep 2.5
} >"$fifo"
wait "$pid"
RC=$?
assert_eq 0 "$RC" "periodic points: exit code"
ERR=$TEST_TMP/err_p
line=$(grep -o 'METRIC: {"type": "gauge", "metric": "target_oldest_uncommitted_seconds", .*' "$ERR" | tail -n 1)
assert_contains "$line" '"tags": {"records": 1}}' "while idle: the oldest uncommitted record is reported with the records pending"
age=$(sed -E 's/.*"value": ([0-9.]+),.*/\1/' <<<"$line")
assert_eq t "$(q $db "SELECT $age > 0")" "while idle: its age is positive ($age s)"
assert_contains "$(cat "$ERR")" 'METRIC: {"type": "gauge", "metric": "target_commits_per_second", "value": 0.00, "tags": {"records_per_second": 0}}' \
    "while idle: no commits per second"
assert_eq 'stream "public-u": 1 records committed: 1 rows inserted, 0 updated, 0 deleted (1 batches)' \
    "$(summary_of public-u)" "the pending record is committed at the end"
finish
