#!/usr/bin/env bash
# target-postgres: batches of keys new to an empty table are COPYed straight into it (no temp
# table, no merge) and store exactly what the merge would: duplicate keys inside a batch (last
# one wins), several batches, a key of an earlier batch coming again (the unique index stops the
# COPY, the merge takes over), hard_delete, metadata columns, ACTIVATE_VERSION, absent
# properties, keyless streams; a table with rows keeps the merge.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_direct
fresh_db "$db"
in=$TEST_TMP/in.jsonl

S='{"type":"SCHEMA","stream":"public-t","schema":{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":["null","string"]},"n":{"type":["null","number"]}}},"key_properties":["id"]}'
rec() { printf '{"type":"RECORD","stream":"public-t","record":{"id":%s,"name":"%s","n":%s}}\n' "$1" "$2" "$3"; }
count_direct() { grep -c 'copied straight into the table' "$ERR" || true; }
count_batches() { grep -c 'rows into "tgt"."t" in' "$ERR" || true; }

# --- an empty (new) table, several batches, a key twice inside a batch: direct, last one wins
{
    echo "$S"
    rec 1 a 1.5; rec 2 b 2; rec 2 b2 2.25        # batch 1: id 2 twice
    rec 3 c 3; rec 4 'd\td' 4; rec 3 c2 3.5      # batch 2: id 3 twice, an escaped tab
    rec 5 e null
    echo '{"type":"STATE","value":{"s":1}}'
} >"$in"
load "$db" '"batch_size_rows":3' "$in"
assert_eq 0 "$RC" "new table: exit code"
assert_eq '{"s":1}' "$(cat "$OUT")" "new table: state"
assert_eq "1|a|1.5
2|b2|2.25
3|c2|3.5
4|d	d|4
5|e|" "$(q $db "SELECT id, name, n FROM tgt.t ORDER BY id")" "new table: rows, the last of each key"
assert_contains "$(cat "$ERR")" 'table "tgt"."t" is empty: batches of new keys are copied into it without a merge' "new table: looked once, empty"
assert_eq 3 "$(count_direct)" "new table: all 3 batches copied straight into the table"

# --- the table has rows now: a second run merges (updates and new keys)
{ echo "$S"; rec 2 B 20; rec 6 f 6; rec 1 A null; } >"$in"
load "$db" '"batch_size_rows":3' "$in"
assert_eq 0 "$RC" "table with rows: exit code"
assert_eq "1|A|
2|B|20
3|c2|3.5
4|d	d|4
5|e|
6|f|6" "$(q $db "SELECT id, name, n FROM tgt.t ORDER BY id")" "table with rows: merged"
assert_not_contains "$(cat "$ERR")" "is empty" "table with rows: not taken for empty"
# its keys are looked up: 6 is new (copied straight), 2 and 1 are there (merged); with most
# keys there, the next batch is merged without a lookup
assert_contains "$(cat "$ERR")" 'table "tgt"."t" has rows: each batch'"'"'s keys are looked up in it, the rows of keys it does not hold are copied in without a merge' "table with rows: looked up"
assert_contains "$(grep 'batch 1: loaded' "$ERR")" '(1 copied straight into the table, the rest merged)' "table with rows: key 6 straight"
assert_contains "$(cat "$ERR")" 'batch 1: 2 of its 3 keys are already in "tgt"."t": the next batch is merged without a lookup (then 2, 4 ... 64 while lookups find mostly keys already there)' "table with rows: lookups skip a batch"

# --- one run into an empty table where a later batch repeats an earlier batch's key: the
#     unique index stops the direct COPY and that batch merges; the next ones still copy the
#     rows of keys no earlier batch had straight in (batch 4: 8 only)
q $db "DROP TABLE tgt.t" >/dev/null
{ echo "$S"; rec 1 a 1; rec 2 b 2; rec 3 x 3; rec 4 d 4; rec 2 b2 22; rec 7 g 7; rec 8 h 8; } >"$in"
load "$db" '"batch_size_rows":2' "$in"
assert_eq 0 "$RC" "key of an earlier batch: exit code"
assert_eq "1|a|1
2|b2|22
3|x|3
4|d|4
7|g|7
8|h|8" "$(q $db "SELECT id, name, n FROM tgt.t ORDER BY id")" "key of an earlier batch: the later record wins"
assert_contains "$(cat "$ERR")" 'batch 3: a key of the batch is already in "tgt"."t": merging this batch; the next ones copy the rows of keys not loaded before straight in and merge the rest' "key of an earlier batch: said"
assert_eq 3 "$(count_direct)" "key of an earlier batch: batches 1, 2 and 4 direct, 3 merged"
assert_eq 4 "$(count_batches)" "key of an earlier batch: 4 batches"

# --- the same input loaded into a new table (direct) and into a table holding one other row
#     (merge), with metadata columns, hard_delete and ACTIVATE_VERSION: the same rows and values
V='{"type":"ACTIVATE_VERSION","stream":"public-t","version":100}'
vrec() { printf '{"type":"RECORD","stream":"public-t","record":{"id":%s,"name":"%s","n":%s%s},"version":100,"time_extracted":"2024-05-01T10:11:12.5Z"}\n' "$1" "$2" "$3" "${4:+,\"_sdc_deleted_at\":\"$4\"}"; }
{
    echo "$S"; echo "$V"
    vrec 1 a 1; vrec 2 b 2; vrec 2 b2 2            # batch 1: direct (a dup)
    vrec 3 c 3; vrec 1 a 1 2024-01-01T00:00:00Z; vrec 4 d 4   # batch 2: a delete (merge)
    vrec 5 e 5; vrec 6 f 6; vrec 5 e5 55           # batch 3: direct again
    echo "$V"
} >"$in"
for mode in hard soft; do
    [ $mode = hard ] && cfg='"batch_size_rows":3,"hard_delete":true' || cfg='"batch_size_rows":3,"add_metadata_columns":true'
    q $db "DROP SCHEMA IF EXISTS tgt CASCADE; DROP SCHEMA IF EXISTS m CASCADE" >/dev/null
    load "$db" "$cfg" "$in"
    assert_eq 0 "$RC" "$mode delete, new table: exit code"
    direct_n=$(count_direct)
    cp "$ERR" "$ERR.direct"
    # the merge's twin: the table exists with one row of the same version (id 99), which the
    # ACTIVATE_VERSIONs keep, and a row of that version for each key of the input (the keys are
    # looked up and found: every batch is merged)
    q $db "ALTER SCHEMA tgt RENAME TO m; CREATE SCHEMA tgt; CREATE TABLE tgt.t (LIKE m.t INCLUDING ALL);
           INSERT INTO tgt.t (id, name, _sdc_table_version) VALUES (99, 'same version', 100);
           INSERT INTO tgt.t (id, _sdc_table_version) SELECT g, 100 FROM generate_series(1, 6) g" >/dev/null
    load "$db" "$cfg" "$in"
    assert_eq 0 "$RC" "$mode delete, table with a row: exit code"
    assert_eq 0 "$(count_direct)" "$mode delete, table with a row: merged"
    cols="id, name, n, _sdc_extracted_at, _sdc_deleted_at IS NOT NULL AS del, _sdc_table_version, _sdc_batched_at IS NOT NULL AS b, _sdc_received_at IS NOT NULL AS r"
    diff=$(q $db "(SELECT $cols FROM m.t EXCEPT SELECT $cols FROM tgt.t WHERE id <> 99)
                  UNION ALL (SELECT $cols FROM tgt.t WHERE id <> 99 EXCEPT SELECT $cols FROM m.t)")
    assert_eq "" "$diff" "$mode delete: direct and merged tables hold the same rows and _sdc_ values"
    if [ $mode = hard ]; then
        assert_eq 3 "$direct_n" "hard delete: the three batches of rows direct, the second in part"
        # (batch 1 is the first ACTIVATE_VERSION's, without rows)
        assert_contains "$(grep 'batch 3: loaded' "$ERR.direct")" 'loaded 3 rows into "tgt"."t" in' "hard delete: batch 3 of 3 rows"
        assert_contains "$(grep 'batch 3: loaded' "$ERR.direct")" '(2 copied straight into the table, the rest merged)' \
            "hard delete: batch 3's new keys 3 and 4 straight, the delete of 1 merged"
        assert_eq "2|b2|t|100
3|c|t|100
4|d|t|100
5|e5|t|100
6|f|t|100" "$(q $db "SELECT id, name, _sdc_batched_at IS NOT NULL, _sdc_table_version FROM m.t ORDER BY id")" \
            "hard delete: row 1 deleted, the last of each key"
    else
        assert_eq 2 "$direct_n" "soft delete: the first and third batches of rows direct, the second (a key of the first marked deleted) merged"
        assert_eq "1|t
2|f
3|f
4|f
5|f
6|f" "$(q $db "SELECT id, _sdc_deleted_at IS NOT NULL FROM m.t ORDER BY id")" "soft delete: row 1 marked"
    fi
done

# --- rows of an older version: the first ACTIVATE_VERSION deletes them (hard_delete), so the
#     table is empty when the first batch looks: copied straight; the last ACTIVATE_VERSION
#     deletes the rows of older versions loaded before it
q $db "DELETE FROM tgt.t WHERE id <> 99; UPDATE tgt.t SET _sdc_table_version = 1" >/dev/null
{ echo "$S"; echo "$V"; vrec 1 a 1; vrec 2 b 2; echo '{"type":"RECORD","stream":"public-t","record":{"id":3,"name":"c","n":3},"version":50}'; echo "$V"; } >"$in"
load "$db" '"batch_size_rows":3,"hard_delete":true' "$in"
assert_eq 0 "$RC" "older version: exit code"
assert_eq "1|a|100
2|b|100" "$(q $db "SELECT id, name, _sdc_table_version FROM tgt.t ORDER BY id")" "older version: only the rows of version 100"
assert_eq 1 "$(count_direct)" "older version: copied straight"

# --- an absent property: merged (it would keep a stored value), the rest direct
q $db "DROP SCHEMA IF EXISTS tgt CASCADE; DROP SCHEMA IF EXISTS m CASCADE" >/dev/null
{ echo "$S"; rec 1 a 1; rec 2 b 2; echo '{"type":"RECORD","stream":"public-t","record":{"id":3,"name":"c"}}'; rec 4 d 4; } >"$in"
load "$db" '"batch_size_rows":2' "$in"
assert_eq 0 "$RC" "absent property: exit code"
assert_eq "1|a|1
2|b|2
3|c|
4|d|4" "$(q $db "SELECT id, name, n FROM tgt.t ORDER BY id")" "absent property: rows"
assert_eq 2 "$(count_direct)" "absent property: batch 1 direct, batch 2 in part"
assert_contains "$(grep 'batch 2: loaded' "$ERR")" '(1 copied straight into the table, the rest merged)' \
    "absent property: batch 2's 4 straight, 3 (absent n) merged"

# --- after a key met in the table (DIRECT_SPLIT), a batch of every kind of row: keys no
#     earlier batch had are copied straight (the last row of a key that repeats), unless a row
#     of theirs is a delete or lacks a property: every row of such a key is merged, in order.
#     The same input into a table holding one other row (all merged) stores the same rows.
del() { printf '{"type":"RECORD","stream":"public-t","record":{"id":%s,"name":null,"n":null,"_sdc_deleted_at":"2024-01-01T00:00:00Z"}}\n' "$1"; }
noname() { printf '{"type":"RECORD","stream":"public-t","record":{"id":%s,"n":%s}}\n' "$1" "$2"; }
{
    echo "$S"
    for i in $(seq 1 12); do rec "$i" "r$i" "$i"; done             # batch 1: direct
    rec 2 b2 22; for i in $(seq 13 23); do rec "$i" "s$i" "$i"; done # batch 2: 2 is in the table
    rec 30 new 30; rec 31 x 31; rec 31 x2 32; rec 1 A 100          # batch 3: 30 and 31 (its last)
    rec 32 y 1; del 32; rec 33 z 1; noname 33 330                  #   straight; 1 and 2 (seen),
    rec 34 w 34; del 34; rec 34 w2 340; del 2                      #   32, 34 (deletes), 33 (absent
    rec 35 v 35                                                    #   name) merged; batch 4 direct
} >"$in"
q $db "DROP SCHEMA IF EXISTS tgt CASCADE; DROP SCHEMA IF EXISTS m CASCADE" >/dev/null
load "$db" '"batch_size_rows":12,"hard_delete":true' "$in"
assert_eq 0 "$RC" "split: exit code"
assert_contains "$(cat "$ERR")" 'batch 2: a key of the batch is already in "tgt"."t": merging this batch; the next ones copy the rows of keys not loaded before straight in and merge the rest' \
    "split: batch 2 meets key 2"
assert_contains "$(grep 'batch 3: loaded' "$ERR")" 'loaded 12 rows into "tgt"."t" in' "split: batch 3 of 12 rows"
assert_contains "$(grep 'batch 3: loaded' "$ERR")" '(2 copied straight into the table, the rest merged)' "split: 30 and 31 straight in batch 3"
assert_contains "$(grep 'batch 4: loaded' "$ERR")" '(copied straight into the table)' "split: batch 4 (35) straight"
assert_eq "1|A|100
30|new|30
31|x2|32
33|z|330
34|w2|340
35|v|35" "$(q $db "SELECT id, name, n FROM tgt.t WHERE id = 1 OR id >= 30 ORDER BY id")" \
    "split: the last row of each key; 32 deleted; 33 keeps the name the absent one did not carry"
assert_eq "0 21" "$(q $db "SELECT count(*) FILTER (WHERE id = 2) || ' ' || count(*) FILTER (WHERE id BETWEEN 3 AND 23) FROM tgt.t")" \
    "split: 2 deleted, 3 to 23 loaded"
# (the twin holds a row for each key of the input: all found, every batch merged)
q $db "ALTER SCHEMA tgt RENAME TO m; CREATE SCHEMA tgt; CREATE TABLE tgt.t (LIKE m.t INCLUDING ALL);
       INSERT INTO tgt.t (id, name) VALUES (99, 'other');
       INSERT INTO tgt.t (id) SELECT g FROM generate_series(1, 35) g WHERE g NOT BETWEEN 24 AND 29" >/dev/null
load "$db" '"batch_size_rows":12,"hard_delete":true' "$in"
assert_eq 0 "$RC" "split, table with a row: exit code"
assert_eq 0 "$(count_direct)" "split, table with a row: all merged"
assert_eq "" "$(q $db "(SELECT id, name, n FROM m.t EXCEPT SELECT id, name, n FROM tgt.t WHERE id <> 99)
                      UNION ALL (SELECT id, name, n FROM tgt.t WHERE id <> 99 EXCEPT SELECT id, name, n FROM m.t)")" \
    "split: the same rows as the merge of every batch"
q $db "DROP SCHEMA m CASCADE; DROP TABLE tgt.t" >/dev/null

# --- a table of ours without rows whose column is timestamp without time zone (a pipelinewise
#     table): the merge converts the offsets to UTC, so it is not copied straight
q $db "CREATE TABLE tgt.ts (id bigint PRIMARY KEY, at timestamp without time zone)" >/dev/null
printf '%s\n' '{"type":"SCHEMA","stream":"public-ts","schema":{"type":"object","properties":{"id":{"type":"integer"},"at":{"type":"string","format":"date-time"}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-ts","record":{"id":1,"at":"2024-01-01T05:00:00+05:00"}}' >"$in"
load "$db" "" "$in"
assert_eq 0 "$RC" "timestamp without time zone: exit code"
assert_eq "2024-01-01 00:00:00" "$(q $db "SELECT at FROM tgt.ts")" "timestamp without time zone: UTC time stored"
assert_eq 0 "$(count_direct)" "timestamp without time zone: merged"

# --- a keyless stream: every row appended, copied straight even into a table with rows
K='{"type":"SCHEMA","stream":"public-k","schema":{"type":"object","properties":{"a":{"type":"integer"}}},"key_properties":[]}'
printf '%s\n' "$K" '{"type":"RECORD","stream":"public-k","record":{"a":1}}' '{"type":"RECORD","stream":"public-k","record":{"a":1}}' >"$in"
load "$db" '"primary_key_required":false' "$in"
load "$db" '"primary_key_required":false' "$in"
assert_eq 0 "$RC" "keyless: exit code"
assert_eq 4 "$(q $db "SELECT count(*) FROM tgt.k WHERE a = 1")" "keyless: every row of both runs"
assert_eq 1 "$(count_direct)" "keyless: copied straight into the table with rows"

# --- a table with rows (a load resumed after an interruption: keys 1 to 10 loaded before): each
#     batch's keys are looked up; the new ones go straight in, a key already there is merged. A
#     batch of mostly keys already there (the stream's catch-up before the copy goes on) makes
#     the next batch merge without a lookup; the one after is looked up again
q $db "DROP TABLE IF EXISTS tgt.t" >/dev/null
{ echo "$S"; for i in $(seq 1 10); do rec "$i" "old$i" "$i"; done; } >"$in"
load "$db" "" "$in"
{
    echo "$S"
    for i in $(seq 1 9); do rec "$i" "changed$i" "$i"; done; rec 40 new40 40                  # batch 1
    for i in $(seq 11 20); do rec "$i" "new$i" "$i"; done                                    # batch 2
    for i in $(seq 21 28); do rec "$i" "new$i" "$i"; done; rec 3 again 33; rec 29 new29 29  # batch 3
    rec 30 new30 30; rec 30 last30 300                                                       # batch 4
} >"$in"
load "$db" '"batch_size_rows":10' "$in"
assert_eq 0 "$RC" "resumed: exit code"
assert_contains "$(cat "$ERR")" 'has rows: each batch'"'"'s keys are looked up in it' "resumed: looked up"
assert_contains "$(cat "$ERR")" 'batch 1: 9 of its 10 keys are already in "tgt"."t": the next batch is merged without a lookup' "resumed: batch 1 mostly changes"
assert_contains "$(grep 'batch 1: loaded' "$ERR")" '(1 copied straight into the table, the rest merged)' "resumed: batch 1, key 40 straight"
assert_not_contains "$(grep 'batch 2: loaded' "$ERR")" 'straight' "resumed: batch 2 merged without a lookup"
assert_contains "$(grep 'batch 3: loaded' "$ERR")" '(9 copied straight into the table, the rest merged)' "resumed: batch 3 looked up again, key 3 merged"
assert_contains "$(grep 'batch 4: loaded' "$ERR")" '(copied straight into the table)' "resumed: batch 4, the last row of key 30"
assert_eq "31|changed1|again|33|last30|300|new11|new29|new40" "$(q $db "SELECT count(*), max(name) FILTER (WHERE id = 1), max(name) FILTER (WHERE id = 3), max(n) FILTER (WHERE id = 3), max(name) FILTER (WHERE id = 30), max(n) FILTER (WHERE id = 30), max(name) FILTER (WHERE id = 11), max(name) FILTER (WHERE id = 29), max(name) FILTER (WHERE id = 40) FROM tgt.t")" \
    "resumed: 31 rows, the changes applied, the new rows loaded, the last row of 30"
assert_eq "old10" "$(q $db "SELECT name FROM tgt.t WHERE id = 10")" "resumed: a row not sent again kept"

finish
