#!/usr/bin/env bash
# stream_options custom_where_clauses on LOG_BASED with $PLUGIN: tap | target (hard_delete),
# the initial copy filtered in its query and every change by the clauses (row_filter.h): rows
# entering the clauses appear, rows leaving them are deleted, rows outside before and after
# are not written (REPLICA IDENTITY FULL: not even as a delete). Source rows matching the
# clauses and target rows are then compared with SQL, and the records are counted.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

src=log_where_src_$PLUGIN
dst=log_where_dst_$PLUGIN
fresh_db "$src"
fresh_db "$dst"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
CREATE TABLE orders (id int PRIMARY KEY, status text, n int, big text);
ALTER TABLE orders ALTER COLUMN big SET STORAGE EXTERNAL;
INSERT INTO orders SELECT i, CASE WHEN i % 3 = 0 THEN 'hidden' ELSE 'open' END, i,
  (SELECT string_agg(md5((k * i)::text), '') FROM generate_series(1, 100) k)
  FROM generate_series(1, 30) i;
CREATE TABLE flags (id int PRIMARY KEY, state text, v text);
ALTER TABLE flags REPLICA IDENTITY FULL;
INSERT INTO flags SELECT i, CASE WHEN i <= 5 THEN 'on' ELSE 'off' END, 'v' || i FROM generate_series(1, 10) i;
SQL
# two clauses ANDed; one names the table, one a column the decoders may leave out (big: TOAST)
where='"stream_options":{"public-orders":{"custom_where_clauses":["status <> '"'"'hidden'"'"'","orders.n < 1000 OR big IS NULL"]},"public-flags":{"custom_where_clauses":["state = '"'"'on'"'"'"]}}'
log_config "$src" "$where" >"$TEST_TMP/tap.json"
target_config "$dst" '"default_target_schema":"public","hard_delete":true,"batch_size_rows":500' >"$TEST_TMP/target.json"
log_catalog "$TEST_TMP/tap.json" public-orders public-flags >"$TEST_TMP/catalog.json"

pipeline() { # STATE_IN STATES_OUT
    set +e
    "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" ${1:+--state "$1"} \
        2>"$TEST_TMP/tap.err" | tee "$TEST_TMP/out.$2" |
        "$TARGET_BIN" --config "$TEST_TMP/target.json" >"$TEST_TMP/$2" 2>"$TEST_TMP/target.err"
    RC=$?
    set -e
    tail -n 1 "$TEST_TMP/$2" >"$TEST_TMP/state.json"
}
compare() { # MESSAGE
    psql_q "$src" "COPY (SELECT id, status, n FROM orders WHERE status <> 'hidden' AND (orders.n < 1000 OR big IS NULL) ORDER BY id) TO STDOUT" >"$TEST_TMP/src.tsv"
    psql_q "$dst" "COPY (SELECT id, status, n FROM orders ORDER BY id) TO STDOUT" >"$TEST_TMP/dst.tsv"
    assert_files_eq "$TEST_TMP/src.tsv" "$TEST_TMP/dst.tsv" "$1: orders in the target = the source rows the clauses hold for"
    psql_q "$src" "COPY (SELECT id, state, v FROM flags WHERE state = 'on' ORDER BY id) TO STDOUT" >"$TEST_TMP/src.tsv"
    psql_q "$dst" "COPY (SELECT id, state, v FROM flags ORDER BY id) TO STDOUT" >"$TEST_TMP/dst.tsv"
    assert_files_eq "$TEST_TMP/src.tsv" "$TEST_TMP/dst.tsv" "$1: flags in the target = the source rows the clause holds for"
}

pipeline "" states1.jsonl
assert_eq 0 "$RC" "run 1 (initial copy): tap | target exits 0"
assert_eq 20 "$(grep -c '^{"type":"RECORD","stream":"public-orders"' "$TEST_TMP/out.states1.jsonl")" "the copy sends the 20 orders the clauses hold for"
compare "after the initial copy"

psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
INSERT INTO orders VALUES (31, 'open', 31, NULL), (32, 'hidden', 32, NULL), (33, 'open', 5000, 'x');
UPDATE orders SET status = 'hidden' WHERE id IN (1, 2);         -- leave the clauses
UPDATE orders SET status = 'open' WHERE id IN (3, 6);           -- enter them (big unchanged: TOAST)
UPDATE orders SET n = n + 1 WHERE id IN (9, 12);                -- hidden before and after
UPDATE orders SET n = n + 1 WHERE id IN (4, 5);                 -- in before and after
UPDATE orders SET id = 100 WHERE id = 7;                        -- a key change, still in
UPDATE orders SET id = 101, status = 'hidden' WHERE id = 8;     -- a key change, out
DELETE FROM orders WHERE id IN (10, 15);                        -- in, then hidden
INSERT INTO flags VALUES (11, 'on', 'new'), (12, 'off', 'new');
UPDATE flags SET v = 'off, still off' WHERE id IN (6, 7);
UPDATE flags SET state = 'off' WHERE id = 1;
UPDATE flags SET state = 'on' WHERE id = 8;
DELETE FROM flags WHERE id IN (2, 9);
SQL
pipeline "$TEST_TMP/state.json" states2.jsonl
assert_eq 0 "$RC" "run 2 (changes): tap | target exits 0"
compare "after the changes"
out=$TEST_TMP/out.states2.jsonl
# flags (REPLICA IDENTITY FULL): records for 11 (insert), 1 (left: a delete), 8 (entered), 2 (a
# delete of a row in); none for 12, 6, 7, 9 (off before and after)
assert_eq "1 11 2 8" "$(grep '^{"type":"RECORD","stream":"public-flags"' "$out" | sed -E 's/.*"record":\{"id":([0-9]+).*/\1/' | sort | tr '\n' ' ' | sed 's/ $//')" \
    "flags: records only for the rows in the clause before or after the change"
assert_eq 0 "$(grep '^{"type":"RECORD","stream":"public-orders"' "$out" | grep -c '"id":32,')" "an insert outside the clauses is not sent"
assert_contains "$(grep '^{"type":"RECORD","stream":"public-orders"' "$out" | grep '"id":1,')" '"_sdc_deleted_at":"' \
    "an update out of the clauses is a delete"

# a clause the server refuses: the run stops, naming the stream (exit 4), no STATE past it
bad='"stream_options":{"public-orders":{"custom_where_clauses":["no_such_column = 1"]}}'
log_config "$src" "$bad" >"$TEST_TMP/bad.json"
psql_q "$src" "INSERT INTO orders VALUES (40, 'open', 40, NULL)" >/dev/null
run_cmd "$TEST_TMP/bad.out" "$TEST_TMP/bad.err" "$TAP_BIN" --config "$TEST_TMP/bad.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state.json"
assert_eq 4 "$RC" "a clause naming no column: exit 4"
assert_contains "$(cat "$TEST_TMP/bad.err")" 'stream "public-orders": custom_where_clauses do not apply to the table' \
    "the error names the stream and the setting"
drop_slots "$src"
finish
