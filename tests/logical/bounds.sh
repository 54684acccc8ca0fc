#!/usr/bin/env bash
# LOG_BASED run bounds and failures: logical_poll_total_seconds, max_run_seconds (under a
# constant stream of writes), debug_lsn, a lost replication connection (non-zero exit, no
# STATE after the failure), and wal_sender_timeout (status updates keep an idle stream alive).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_bounds
slot=pipelinewise_$db
fresh_db "$db"
psql_q "$db" "CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')"
log_config "$db" '"debug_lsn":"true"' >"$TEST_TMP/config.json"
log_catalog "$TEST_TMP/config.json" public-t >"$TEST_TMP/catalog.json"
run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "run 1 exits 0"
assert_contains "$(head -n 1 "$TEST_TMP/o1")" '"_sdc_lsn":{"type":["null","string"]}' "debug_lsn: the SCHEMA has _sdc_lsn"
last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"

# logical_poll_total_seconds: no data for that long ends the run cleanly
psql_q "$db" "INSERT INTO t VALUES (2, 'b')"
log_config "$db" '"debug_lsn":"true","break_at_end_lsn":false,"logical_poll_total_seconds":1' >"$TEST_TMP/poll.json"
start=$(date +%s)
run_cmd "$TEST_TMP/o2" "$TEST_TMP/e2" "$TAP_BIN" --config "$TEST_TMP/poll.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s1"
took=$(($(date +%s) - start))
assert_eq 0 "$RC" "logical_poll_total_seconds: exit 0"
assert_contains "$(cat "$TEST_TMP/e2")" "no new data for logical_poll_total_seconds" "logical_poll_total_seconds: the reason is logged"
if [ "$took" -le 8 ]; then ok "logical_poll_total_seconds: ended after ${took}s"; else not_ok "took ${took}s"; fi
assert_contains "$(grep '"id":2' "$TEST_TMP/o2")" '"_sdc_lsn":"' "debug_lsn: records carry _sdc_lsn"
last_state "$TEST_TMP/o2" >"$TEST_TMP/s2"

# max_run_seconds: the run ends at a transaction boundary although changes keep coming
psql -X -q -d "$db" -c "DO \$\$ BEGIN FOR i IN 1000..60000 LOOP
  INSERT INTO t VALUES (i, 'w'); COMMIT; PERFORM pg_sleep(0.001); END LOOP; END \$\$" >/dev/null 2>&1 &
writer=$!
trap 'kill "$writer" 2>/dev/null || true' EXIT
log_config "$db" '"break_at_end_lsn":false,"logical_poll_total_seconds":60,"max_run_seconds":2' >"$TEST_TMP/max.json"
start=$(date +%s)
run_cmd "$TEST_TMP/o3" "$TEST_TMP/e3" "$TAP_BIN" --config "$TEST_TMP/max.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s2"
took=$(($(date +%s) - start))
assert_eq 0 "$RC" "max_run_seconds: exit 0"
assert_contains "$(cat "$TEST_TMP/e3")" "max_run_seconds reached" "max_run_seconds: the reason is logged"
if [ "$took" -le 8 ]; then ok "max_run_seconds: ended after ${took}s"; else not_ok "took ${took}s"; fi
assert_contains "$(tail -n 1 "$TEST_TMP/o3")" '{"type":"STATE"' "max_run_seconds: a final STATE"
psql_q "$db" "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = '$db' AND query LIKE 'DO %'" >/dev/null
wait "$writer" || true

# a lost replication connection with reconnect_attempts 0 (no retry within the run; the
# reconnect itself: tests/reliability/faults.sh): exit 4, nothing written after the failure
log_config "$db" '"break_at_end_lsn":false,"logical_poll_total_seconds":60,"reconnect_attempts":0' >"$TEST_TMP/live.json"
last_state "$TEST_TMP/o3" >"$TEST_TMP/s3"
"$TAP_BIN" --config "$TEST_TMP/live.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s3" \
    >"$TEST_TMP/o4" 2>"$TEST_TMP/e4" &
victim=$!
trap 'kill "$victim" 2>/dev/null || true' EXIT
wait_for "$TEST_TMP/e4" "logical replication started" 30
psql_q "$db" "INSERT INTO t VALUES (100000, 'last')"
wait_for "$TEST_TMP/o4" '"record":{"id":100000,' 30
wait_for "$TEST_TMP/o4" '^{"type":"STATE"' 30
lines=$(wc -l <"$TEST_TMP/o4")
psql_q postgres "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '$slot'" >/dev/null
set +e
wait "$victim"
RC=$?
set -e
assert_eq 4 "$RC" "a lost connection exits 4"
assert_contains "$(cat "$TEST_TMP/e4")" "the replication stream ended unexpectedly" "a lost connection is reported"
assert_eq "$lines" "$(wc -l <"$TEST_TMP/o4")" "nothing is written after the failure (no STATE past what was written)"

# break_at_end_lsn with a transaction left open after a change (its WAL is never flushed while
# nothing else commits): the run ends once the server has sent all flushed WAL, not after
# logical_poll_total_seconds; the change arrives with the run after its commit
log_config "$db" '"logical_poll_total_seconds":30' >"$TEST_TMP/open.json"
last_state "$TEST_TMP/o3" >"$TEST_TMP/s3"
coproc OPEN { psql -X -q -A -t -d "$db"; }
echo "BEGIN; INSERT INTO t VALUES (200000, 'open'); SELECT 'inserted';" >&"${OPEN[1]}"
read -r -t 10 line <&"${OPEN[0]}"
assert_eq inserted "$line" "a transaction is left open after an insert"
start=$(date +%s)
run_cmd "$TEST_TMP/o7" "$TEST_TMP/e7" "$TAP_BIN" --config "$TEST_TMP/open.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s3"
took=$(($(date +%s) - start))
assert_eq 0 "$RC" "an open transaction: exit 0"
if [ "$took" -le 6 ]; then ok "an open transaction does not hold the run until logical_poll_total_seconds (${took}s)"; else not_ok "took ${took}s"; fi
echo "COMMIT; SELECT 'committed';" >&"${OPEN[1]}"
read -r -t 10 line <&"${OPEN[0]}"
exec {OPEN[1]}>&-
last_state "$TEST_TMP/o7" >"$TEST_TMP/s7"
run_cmd "$TEST_TMP/o8" "$TEST_TMP/e8" "$TAP_BIN" --config "$TEST_TMP/open.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s7"
assert_eq 0 "$RC" "after the commit: exit 0"
assert_contains "$(cat "$TEST_TMP/o8")" '"record":{"id":200000,' "the change arrives with the run after its commit"

# creating a slot waits for the transactions running on the server to end: a session idle in
# a transaction holds it up, and SIGTERM must still end the run at once (exit 130)
coproc HOLD { psql -X -q -A -t -d "$db"; }
echo "BEGIN; SELECT txid_current() > 0;" >&"${HOLD[1]}"
read -r -t 10 line <&"${HOLD[0]}"
assert_eq t "$line" "a session holds a transaction id"
log_config "$db" '"slot_name":"log_bounds_held"' >"$TEST_TMP/held.json"
"$TAP_BIN" --config "$TEST_TMP/held.json" --catalog "$TEST_TMP/catalog.json" >"$TEST_TMP/o9" 2>"$TEST_TMP/e9" &
victim=$!
trap 'kill -9 "$victim" 2>/dev/null || true' EXIT
wait_for "$TEST_TMP/e9" 'creating replication slot "log_bounds_held"' 30
sleep 0.5
kill -TERM "$victim"
for _ in $(seq 1 50); do kill -0 "$victim" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$victim" 2>/dev/null; then
    not_ok "SIGTERM while the slot creation waits: the tap is still running after 5 s"
    echo "ROLLBACK;" >&"${HOLD[1]}"
fi
set +e
wait "$victim"
RC=$?
set -e
assert_eq 130 "$RC" "SIGTERM while the slot creation waits: exit 130"
assert_contains "$(cat "$TEST_TMP/e9")" "interrupted while creating replication slot \"log_bounds_held\"" "the interruption is named"
exec {HOLD[1]}>&-
assert_eq 0 "$(psql_q postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'log_bounds_held'")" "no slot is left behind"

# wal_sender_timeout: set on the replication connection, and the status updates keep an idle
# stream alive well beyond it (a third of it apart); a tap that cannot answer (stopped) is cut
# off by the server after it
log_config "$db" '"wal_sender_timeout":1000,"break_at_end_lsn":false,"logical_poll_total_seconds":2' >"$TEST_TMP/wst.json"
last_state "$TEST_TMP/o3" >"$TEST_TMP/s3"
run_cmd "$TEST_TMP/o5" "$TEST_TMP/e5" "$TAP_BIN" --config "$TEST_TMP/wst.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s3"
assert_eq 0 "$RC" "wal_sender_timeout 1 s, idle for 2 s: status updates keep the stream alive (exit 0)"
assert_contains "$(cat "$TEST_TMP/e5")" "no new data for logical_poll_total_seconds" "wal_sender_timeout: the run ends by its poll bound"
log_config "$db" '"wal_sender_timeout":1000,"break_at_end_lsn":false,"logical_poll_total_seconds":30,"reconnect_attempts":0' >"$TEST_TMP/wst30.json"
"$TAP_BIN" --config "$TEST_TMP/wst30.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s3" \
    >"$TEST_TMP/o6" 2>"$TEST_TMP/e6" &
victim=$!
trap 'kill -CONT "$victim" 2>/dev/null || true; kill "$victim" 2>/dev/null || true' EXIT
wait_for "$TEST_TMP/e6" "logical replication started" 30
kill -STOP "$victim"
sleep 2
kill -CONT "$victim"
set +e
wait "$victim"
RC=$?
set -e
assert_eq 4 "$RC" "wal_sender_timeout 1 s applies: a tap stopped for 2 s is cut off (exit 4)"
drop_slots "$db"
finish
