#!/usr/bin/env bash
# LOG_BASED metrics: the initial copy's points and summary line; then a streaming run over a
# large transaction (spilled to disk: logical_decoding_work_mem 64kB for this database) and two
# small ones: record_count points that add up to the records written, changes/s and
# transactions/s, lag in bytes and seconds, the slot's confirmed lag against
# pg_replication_slots, wal_status, safe_wal_size and pg_stat_replication_slots' spill
# counters; the streaming summary; the live line on a terminal (util-linux script).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

# pts FILE FILTER OUTPUT: for each METRIC point p of the log FILE where the Python expression
# FILTER holds, print the Python expression OUTPUT (python3: tests/deps.sh)
pts() {
    python3 -c '
import json, sys
for line in open(sys.argv[1], errors="replace"):
    at = line.find("METRIC: ")
    if at < 0:
        continue
    p = json.loads(line[at + 8:])
    if eval(sys.argv[2]):
        print(eval(sys.argv[3]))' "$@"
}

db=log_metrics
slot=pipelinewise_$db
fresh_db "$db"
psql_q postgres "ALTER DATABASE $db SET logical_decoding_work_mem = '64kB'" >/dev/null
psql_q "$db" "CREATE TABLE t (id int PRIMARY KEY, v text);
  INSERT INTO t SELECT g, 'a' FROM generate_series(1, 2000) g; ANALYZE t" >/dev/null
log_config "$db" '"metrics_interval_seconds":60' >"$TEST_TMP/config.json"
log_catalog "$TEST_TMP/config.json" public-t >"$TEST_TMP/catalog.json"
run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "run 1 (initial copy) exits 0"
assert_eq 2000 "$(pts "$TEST_TMP/e1" 'p["metric"] == "record_count" and p["tags"]["stream"] == "public-t"' 'p["value"]' | paste -sd+ | bc)" \
    "the copy's record_count points add up to its rows"
assert_eq "timer succeeded" "$(pts "$TEST_TMP/e1" 'p["metric"] == "copy_duration"' 'p["type"] + " " + p["tags"]["status"]')" \
    "a copy_duration timer"
assert_contains "$(cat "$TEST_TMP/e1")" 'summary: stream "public-t" initial copy: 2000 rows in ' "the copy in the summary"
last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"

# one large transaction (spilled), one insert, one delete
psql_q "$db" "UPDATE t SET v = repeat('b', 100)" >/dev/null
psql_q "$db" "INSERT INTO t VALUES (2001, 'c')" >/dev/null
psql_q "$db" "DELETE FROM t WHERE id = 1" >/dev/null
run_cmd "$TEST_TMP/o2" "$TEST_TMP/e2" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s1"
assert_eq 0 "$RC" "run 2 (changes) exits 0"
n_rec=$(grep -c '^{"type":"RECORD","stream":"public-t"' "$TEST_TMP/o2")
assert_eq 2002 "$n_rec" "run 2 writes the 2002 changes"
assert_eq "$n_rec" "$(pts "$TEST_TMP/e2" 'p["metric"] == "record_count" and p["tags"]["stream"] == "public-t"' 'p["value"]' | paste -sd+ | bc)" \
    "the streaming record_count points add up to the records written"
for m in cdc_changes_per_second cdc_transactions_per_second cdc_lag_seconds; do
    assert_eq ok "$(pts "$TEST_TMP/e2" "p['metric'] == '$m'" '"ok" if p["type"] == "gauge" and p["value"] >= 0 and p["tags"]["slot"] == "'"$slot"'" else p' | sort -u)" \
        "$m: a gauge, a number, tagged with the slot"
done
# the lag in bytes: the server's position minus the position written, with both
read -r lag pos server end < <(pts "$TEST_TMP/e2" 'p["metric"] == "cdc_lag_bytes"' '"%s %s %s %s" % (p["value"], p["tags"]["position"], p["tags"]["server_position"], p["tags"]["end_position"])' | tail -n 1)
assert_eq "$lag" "$(psql_q postgres "SELECT greatest(pg_wal_lsn_diff('$server', '$pos'), 0)")" \
    "cdc_lag_bytes is server_position minus position"
assert_eq t "$(psql_q postgres "SELECT '$pos'::pg_lsn >= '$end'::pg_lsn")" "at the end the position reached end_position (break_at_end_lsn)"
# the slot's figures, as pg_replication_slots has them
confirmed=$(psql_q postgres "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$slot'")
read -r clag ctag < <(pts "$TEST_TMP/e2" 'p["metric"] == "replication_slot_confirmed_lag_bytes"' '"%s %s" % (p["value"], p["tags"]["confirmed_flush_lsn"])' | tail -n 1)
assert_eq "$confirmed" "$ctag" "replication_slot_confirmed_lag_bytes names the slot's confirmed_flush_lsn"
assert_eq t "$(psql_q postgres "SELECT $clag > 0 AND $clag >= pg_wal_lsn_diff('$pos', '$confirmed')")" \
    "the confirmed lag covers the WAL the run read past the confirmed position ($clag bytes)"
assert_eq reserved "$(pts "$TEST_TMP/e2" 'p["metric"] == "replication_slot_wal_status"' 'p["value"]' | tail -n 1)" "wal_status"
assert_eq None "$(pts "$TEST_TMP/e2" 'p["metric"] == "replication_slot_safe_wal_size_bytes"' 'p["value"]' | tail -n 1)" \
    "safe_wal_size is null without max_slot_wal_keep_size"
read -r sbytes stxns < <(pts "$TEST_TMP/e2" 'p["metric"] == "replication_slot_spill_bytes"' '"%s %s" % (p["value"], p["tags"]["spill_txns"])' | tail -n 1)
assert_eq t "$(psql_q postgres "SELECT $sbytes <= spill_bytes AND $stxns <= spill_txns AND spill_txns >= 1 FROM pg_stat_replication_slots WHERE slot_name = '$slot'")" \
    "the spill counters are pg_stat_replication_slots' (read at the end of the run)"
assert_eq t "$(psql_q postgres "SELECT $stxns >= 1 AND $sbytes > 0")" "the large transaction was spilled and counted"
assert_contains "$(cat "$TEST_TMP/e2")" "summary: LOG_BASED streaming: " "the streaming summary line"
assert_contains "$(grep -o 'summary: LOG_BASED streaming: .*' "$TEST_TMP/e2")" " transactions, 2002 records in " \
    "the streaming summary counts the records"
assert_contains "$(cat "$TEST_TMP/e2")" "summary: 2002 records in " "the run's summary"
last_state "$TEST_TMP/o2" >"$TEST_TMP/s2"

# on a terminal: the live line of the stream
psql_q "$db" "UPDATE t SET v = 'd' WHERE id <= 10" >/dev/null
run_cmd "$TEST_TMP/o3" "$TEST_TMP/e3" script -q -e -c "'$TAP_BIN' --config '$TEST_TMP/config.json' --catalog '$TEST_TMP/catalog.json' --state '$TEST_TMP/s2' >'$TEST_TMP/o3.jsonl'" "$TEST_TMP/typescript"
assert_eq 0 "$RC" "run 3 on a pty exits 0"
check_jsonl "$TEST_TMP/o3.jsonl" "on a terminal stdout holds Singer messages only"
ts=$(cat -v "$TEST_TMP/typescript")
assert_contains "$ts" '^M^[[KLOG_BASED: ' "the live line of the stream: carriage return, erase"
assert_contains "$ts" ' tx/s, at ' "the live line shows the position"
assert_eq 1 "$(grep -a 'METRIC' "$TEST_TMP/typescript" | grep -ac '"cdc_lag_bytes"' || true)" \
    "on a terminal no periodic METRIC lines: only the final points"
psql_q postgres "ALTER DATABASE $db RESET logical_decoding_work_mem" >/dev/null
drop_slots "$db"
finish
