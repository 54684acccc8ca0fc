#!/usr/bin/env bash
# LOG_BASED with $PLUGIN: the initial copy, then a live run that sees every kind of change --
# every type (each all-types row updated in place and inserted again under another key,
# compared with FULL_TABLE's records of the same rows), insert, update, delete, a key change, unchanged TOAST with and without REPLICA
# IDENTITY FULL, a delete under REPLICA IDENTITY FULL (the key only), a row moving between
# partitions (reported under the root), odd names,
# TRUNCATE (a new table version), a column added and a column altered mid-stream (a new
# SCHEMA before the next record), ended by SIGTERM (a final STATE, exit 130). The same golden
# files serve both plugins: a value looks the same whichever way it came.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_chg_$PLUGIN
fresh_db "$db"
psql_f "$db" "$LOG_TESTS_DIR/../tap/sql/types.sql"
psql_f "$db" "$LOG_TESTS_DIR/sql/changes.sql"
# the golden output is the copy inside the slot's snapshot (chunks.sh tests the copy in chunks)
log_config "$db" '"snapshot_chunk_rows":0' >"$TEST_TMP/config.json"
log_catalog "$TEST_TMP/config.json" public-alltypes public-events public-orders \
    "Odd Schema-Mixed Case" public-items public-docs >"$TEST_TMP/catalog.json"
assert_eq 6 "$(grep -c '"replication-method":"LOG_BASED"' "$TEST_TMP/catalog.json")" "six LOG_BASED streams selected"

# run 1: the slot is created and every table copied inside its exported snapshot
run_cmd "$TEST_TMP/out1.jsonl" "$TEST_TMP/err1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "run 1 (initial copy) exits 0"
check_jsonl "$TEST_TMP/out1.jsonl" "run 1 writes whole Singer messages only"
mask_cdc <"$TEST_TMP/out1.jsonl" >"$TEST_TMP/out1.masked"
assert_files_eq "$LOG_GOLDEN/changes_copy.jsonl" "$TEST_TMP/out1.masked" "run 1 output equals the golden file"
assert_contains "$(cat "$TEST_TMP/err1")" "replication slot \"pipelinewise_$db\" created" "the slot is created"
last_state "$TEST_TMP/out1.jsonl" >"$TEST_TMP/state1.json"

# run 2, live: it runs until SIGTERM while the changes happen
log_config "$db" '"break_at_end_lsn":false,"logical_poll_total_seconds":120' >"$TEST_TMP/config_live.json"
"$TAP_BIN" --config "$TEST_TMP/config_live.json" --catalog "$TEST_TMP/catalog.json" \
    --state "$TEST_TMP/state1.json" >"$TEST_TMP/out2.jsonl" 2>"$TEST_TMP/err2" &
tap_pid=$!
trap 'kill "$tap_pid" 2>/dev/null || true' EXIT
wait_for "$TEST_TMP/err2" "logical replication started" 30
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
UPDATE alltypes SET c_text = c_text;
DO $$ DECLARE cols text; BEGIN
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
   WHERE attrelid = 'alltypes'::regclass AND attnum > 1 AND NOT attisdropped;
  EXECUTE format('INSERT INTO alltypes SELECT id + 10, %s FROM alltypes', cols);
END $$;
INSERT INTO items VALUES (4, 'four', 4.40, '2024-04-04 04:04:04+00');
UPDATE items SET c_vc = 'ONE', c_num = NULL WHERE id = 1;
UPDATE items SET id = 20 WHERE id = 2;
DELETE FROM items WHERE id = 3;
BEGIN;
INSERT INTO items VALUES (7, 'seven', 7.00, NULL);
UPDATE items SET c_vc = 'SEVEN' WHERE id = 7;
DELETE FROM items WHERE id = 7;
COMMIT;
UPDATE docs SET n = 2 WHERE id = 1;
ALTER TABLE docs REPLICA IDENTITY FULL;
UPDATE docs SET n = 3 WHERE id = 2;
DELETE FROM docs WHERE id = 1;
UPDATE orders SET order_no = 3 WHERE region = 'eu' AND order_no = 2;
INSERT INTO events VALUES (3, '2023-12-31', 'c'), (4, '2024-01-01', 'd');
UPDATE events SET at = '2024-07-01' WHERE id = 1;
DELETE FROM events WHERE id = 2;
UPDATE "Odd Schema"."Mixed Case" SET "quote""col" = 'it''s' WHERE "Id" = 1;
TRUNCATE docs;
INSERT INTO docs VALUES (3, 'small', 3);
SQL
psql_q "$db" "INSERT INTO items VALUES (100, 'marker', 0, NULL)"
wait_for "$TEST_TMP/out2.jsonl" '"record":{"id":100,' 30
psql_q "$db" "ALTER TABLE items ADD COLUMN c_new text; INSERT INTO items VALUES (5, 'five', 5.00, NULL, 'new')"
wait_for "$TEST_TMP/out2.jsonl" '"record":{"id":5,' 30
psql_q "$db" "ALTER TABLE items ALTER COLUMN c_vc TYPE varchar(20); INSERT INTO items VALUES (6, 'twenty characters!!', 6.00, NULL, 'x')"
wait_for "$TEST_TMP/out2.jsonl" '"record":{"id":6,' 30
kill -TERM "$tap_pid"
set +e
wait "$tap_pid"
RC=$?
set -e
assert_eq 130 "$RC" "run 2 ends on SIGTERM after the current transaction (exit 130)"
assert_contains "$(cat "$TEST_TMP/err2")" "stopped by a signal" "run 2 says why it stopped"
check_jsonl "$TEST_TMP/out2.jsonl" "run 2 writes whole Singer messages only"
assert_contains "$(tail -n 1 "$TEST_TMP/out2.jsonl")" '{"type":"STATE"' "run 2 ends with a STATE"
grep -v '^{"type":"STATE"' "$TEST_TMP/out2.jsonl" | mask_cdc >"$TEST_TMP/out2.masked"
assert_files_eq "$LOG_GOLDEN/changes_stream.jsonl" "$TEST_TMP/out2.masked" "run 2 output equals the golden file"

# every type: the rows as CDC sent them equal FULL_TABLE's records of the same rows
tap_config "$db" >"$TEST_TMP/config_ft.json"
"$TAP_BIN" --config "$TEST_TMP/config_ft.json" --discover 2>/dev/null | only_stream public-alltypes |
    select_streams FULL_TABLE >"$TEST_TMP/catalog_ft.json"
run_cmd "$TEST_TMP/ft.jsonl" "$TEST_TMP/err_ft" "$TAP_BIN" --config "$TEST_TMP/config_ft.json" --catalog "$TEST_TMP/catalog_ft.json"
assert_eq 0 "$RC" "FULL_TABLE run of public-alltypes exits 0"
records_only "$TEST_TMP/ft.jsonl" public-alltypes | sort >"$TEST_TMP/ft.records"
records_only "$TEST_TMP/out2.jsonl" public-alltypes | sort >"$TEST_TMP/cdc.records"
assert_eq 8 "$(wc -l <"$TEST_TMP/cdc.records")" "CDC sent the four all-types rows updated and four inserted"
assert_files_eq "$TEST_TMP/ft.records" "$TEST_TMP/cdc.records" "CDC values equal FULL_TABLE values for every type"

# run 3 from run 2's final state: nothing is sent again
last_state "$TEST_TMP/out2.jsonl" >"$TEST_TMP/state2.json"
run_cmd "$TEST_TMP/out3.jsonl" "$TEST_TMP/err3" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state2.json"
assert_eq 0 "$RC" "run 3 exits 0"
assert_eq 0 "$(grep -c '^{"type":"RECORD"' "$TEST_TMP/out3.jsonl" || true)" "run 3 sends no record twice"
drop_slots "$db"
finish
