#!/usr/bin/env bash
# A continuous LOG_BASED run (README "Running continuously"): break_at_end_lsn false with
# max_run_seconds and logical_poll_total_seconds 0 runs until SIGTERM / SIGINT, which end it
# after the current transaction with a final STATE and exit 0; STATE goes out at least every
# state_interval_seconds while changes flow, and while idle once the server's position moved;
# a TRUNCATE of part of a stream's rows pauses the stream for its copy, then it goes on.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_cont_${PLUGIN:-pgoutput}
slot=pipelinewise_$db
fresh_db "$db"
psql_q "$db" "CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a');
  CREATE TABLE par (id bigint PRIMARY KEY, v text); CREATE TABLE kid (PRIMARY KEY (id)) INHERITS (par);
  INSERT INTO par VALUES (1, 'p1'); INSERT INTO kid VALUES (2, 'k2');
  CREATE TABLE other (id bigint)"
CONT='"break_at_end_lsn":false,"max_run_seconds":0,"logical_poll_total_seconds":0,"state_interval_seconds":1'
log_config "$db" "$CONT" >"$TEST_TMP/config.json"
log_catalog "$TEST_TMP/config.json" public-t public-par >"$TEST_TMP/catalog.json"

# run 1: the copy, then streaming with a writer; a STATE arrives while the writer still writes
"$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" \
    >"$TEST_TMP/o1" 2>"$TEST_TMP/e1" &
tap=$!
writer=""
trap 'kill "$tap" $writer 2>/dev/null || true' EXIT
wait_for "$TEST_TMP/e1" "logical replication started" 60
copy_states=$(grep -c '^{"type":"STATE"' "$TEST_TMP/o1" || true)
psql -X -q -d "$db" -c "DO \$\$ BEGIN FOR i IN 1000..2999 LOOP
  INSERT INTO t VALUES (i, 'w'); COMMIT; PERFORM pg_sleep(0.005); END LOOP; END \$\$" >/dev/null 2>&1 &
writer=$!
wait_for "$TEST_TMP/o1" '"record":{"id":1000,' 30
# a STATE after the first streamed record, while the writer is still writing (itersize is
# 20000: only state_interval_seconds can have sent it)
for _ in $(seq 1 300); do
    [ "$(grep -c '^{"type":"STATE"' "$TEST_TMP/o1")" -gt "$copy_states" ] && break
    sleep 0.1
done
if kill -0 "$writer" 2>/dev/null; then
    assert_eq true "$([ "$(grep -c '^{"type":"STATE"' "$TEST_TMP/o1")" -gt "$copy_states" ] && echo true)" \
        "a STATE while changes flow (state_interval_seconds), before the writer ended"
else
    not_ok "the writer ended before the check (machine too slow?)"
fi
wait "$writer"
writer=""
wait_for "$TEST_TMP/o1" '"record":{"id":2999,' 60
# idle: writes elsewhere move the server's position; a STATE with a later lsn follows
n_before=$(grep -c '^{"type":"STATE"' "$TEST_TMP/o1")
lsn_before=$(last_state "$TEST_TMP/o1" | grep -o '"lsn":[0-9]*' | head -n 1 | cut -d: -f2)
psql_q "$db" "INSERT INTO other SELECT generate_series(1, 1000)" >/dev/null
for _ in $(seq 1 300); do
    [ "$(grep -c '^{"type":"STATE"' "$TEST_TMP/o1")" -gt "$n_before" ] && break
    sleep 0.1
done
lsn_idle=$(last_state "$TEST_TMP/o1" | grep -o '"lsn":[0-9]*' | head -n 1 | cut -d: -f2)
assert_eq true "$([ "${lsn_idle:-0}" -gt "${lsn_before:-0}" ] && echo true)" \
    "idle: a STATE with the server's later position ($lsn_before -> $lsn_idle)"

# a TRUNCATE ONLY of the inheritance parent empties part of stream public-par: the stream
# pauses for its copy again, then goes on
psql_q "$db" "TRUNCATE ONLY par"
wait_for "$TEST_TMP/e1" "copying again 1 stream" 60
wait_for "$TEST_TMP/e1" "logical replication started.*" 60
sleep 1
psql_q "$db" "INSERT INTO par VALUES (3, 'after'); INSERT INTO t VALUES (5000, 'after')"
wait_for "$TEST_TMP/o1" '"stream":"public-par","record":{"id":3,' 60
wait_for "$TEST_TMP/o1" '"record":{"id":5000,' 60
assert_eq 2 "$(grep -c "logical replication started" "$TEST_TMP/e1")" "the stream went on after the copy"
assert_contains "$(grep '"stream":"public-par","record":{"id":2,' "$TEST_TMP/o1" | tail -n 1)" '"k2"' \
    "the copy again has the child's row"

# SIGTERM: a final STATE, exit 0
kill -TERM "$tap"
set +e
wait "$tap"
RC=$?
set -e
trap - EXIT
assert_eq 0 "$RC" "SIGTERM ends a continuous run with exit 0"
assert_contains "$(cat "$TEST_TMP/e1")" "LOG_BASED: stopped by a signal" "the reason is logged"
assert_contains "$(tail -n 1 "$TEST_TMP/o1")" '{"type":"STATE"' "a final STATE"
check_jsonl "$TEST_TMP/o1" "whole Singer lines"
assert_eq 2000 "$(record_ids "$TEST_TMP/o1" public-t | awk '$1 >= 1000 && $1 < 3000' | sort -u | wc -l)" \
    "every row of the writer arrived"
last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"

# run 2 from that state: SIGINT while idle, exit 0; nothing from before is sent again
"$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s1" \
    >"$TEST_TMP/o2" 2>"$TEST_TMP/e2" &
tap=$!
trap 'kill "$tap" 2>/dev/null || true' EXIT
wait_for "$TEST_TMP/e2" "logical replication started" 60
psql_q "$db" "INSERT INTO t VALUES (6000, 'run 2')"
wait_for "$TEST_TMP/o2" '"record":{"id":6000,' 60
kill -INT "$tap"
set +e
wait "$tap"
RC=$?
set -e
trap - EXIT
assert_eq 0 "$RC" "SIGINT ends it with exit 0 too"
assert_eq "6000" "$(record_ids "$TEST_TMP/o2" public-t | tr '\n' ' ' | sed 's/ $//')" "run 2: only the new row"

# a bounded run still exits 130 on a signal
log_config "$db" '"break_at_end_lsn":false,"logical_poll_total_seconds":60' >"$TEST_TMP/bounded.json"
last_state "$TEST_TMP/o2" >"$TEST_TMP/s2"
"$TAP_BIN" --config "$TEST_TMP/bounded.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s2" \
    >"$TEST_TMP/o3" 2>"$TEST_TMP/e3" &
tap=$!
trap 'kill "$tap" 2>/dev/null || true' EXIT
wait_for "$TEST_TMP/e3" "logical replication started" 60
kill -TERM "$tap"
set +e
wait "$tap"
RC=$?
set -e
trap - EXIT
assert_eq 130 "$RC" "a bounded run exits 130 on SIGTERM"
drop_slots "$db"

# a signal before the stream (the slot's creation waits for a transaction left open): a run
# without bounds ends with exit 0 there too, and leaves no slot; the next run copies
db2=log_cont_setup_${PLUGIN:-pgoutput}
fresh_db "$db2"
psql_q "$db2" "CREATE TABLE t (id bigint PRIMARY KEY); INSERT INTO t VALUES (1)"
log_config "$db2" "$CONT" >"$TEST_TMP/c2.json"
log_catalog "$TEST_TMP/c2.json" public-t >"$TEST_TMP/cat2.json"
psql -X -q -d "$db2" -c "BEGIN; SELECT txid_current(); SELECT pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
trap 'kill "$holder" 2>/dev/null || true' EXIT
sleep 0.5
"$TAP_BIN" --config "$TEST_TMP/c2.json" --catalog "$TEST_TMP/cat2.json" >"$TEST_TMP/o4" 2>"$TEST_TMP/e4" &
tap=$!
wait_for "$TEST_TMP/e4" "creating replication slot" 30
sleep 0.5
kill -TERM "$tap"
set +e
wait "$tap"
RC=$?
set -e
psql_q "$db2" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db2' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null || true
trap - EXIT
assert_eq 0 "$RC" "a run without bounds stopped by a signal before its stream (slot creation): exit 0"
assert_eq 0 "$(psql_q postgres "SELECT count(*) FROM pg_replication_slots WHERE database = '$db2'")" "no slot is left"
finish
