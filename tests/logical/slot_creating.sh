#!/usr/bin/env bash
# A run killed while the server creates its slot: the walsender goes on creating it (it waits
# for the transactions running on the server to end, and notices its client is gone only
# after), holding the slot. The next run waits past its 10 s for a holder still in
# CREATE_REPLICATION_SLOT, naming the pids it waits for, instead of failing with "in use", and
# goes on when the creation is given up; a signal in that wait is a stop, not an error. On a cluster of its own: the open transaction here
# would hold back every slot creation on the shared one.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

own=$TEST_TMP/pg
blocker=""
cleanup() {
    [ -z "$blocker" ] || kill "$blocker" 2>/dev/null || true
    "$LOG_TESTS_DIR/../pg_cluster.sh" stop "$own" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$LOG_TESTS_DIR/../pg_cluster.sh" start "$own" >/dev/null 2>&1
PGPORT=$(. "$own/env" && echo "$PGPORT")
export PGPORT PGTEST_PORT=$PGPORT

db=log_creating
slot=pipelinewise_$db
fresh_db "$db"
psql_q "$db" "CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 50) i"
log_config "$db" '"logical_poll_total_seconds":2' >"$TEST_TMP/tap.json"
log_catalog "$TEST_TMP/tap.json" public-t >"$TEST_TMP/catalog.json"

# a transaction with an xid, open until this test ends it: a slot cannot be created before
psql -X -q -d "$db" -c "BEGIN" -c "SELECT txid_current()" -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
blocker=$!
bpid=""
for _ in $(seq 1 50); do
    bpid=$(psql_q "$db" "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()")
    [ -n "$bpid" ] && break
    sleep 0.1
done
assert_eq true "$([ -n "$bpid" ] && echo true)" "the blocking transaction runs (pid $bpid)"

# run 1: killed -9 while the server creates its slot
"$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" >"$TEST_TMP/o1" 2>"$TEST_TMP/e1" &
tap=$!
wait_for "$TEST_TMP/e1" "creating replication slot" 30
sleep 0.5
kill -9 "$tap"
wait "$tap" 2>/dev/null || true
assert_eq "t" "$(psql_q postgres "SELECT active FROM pg_replication_slots WHERE slot_name = '$slot'")" \
    "run 1 killed: its walsender still holds the slot it creates"

# a signal while waiting for the slot ends the run as a stop (130; 0 for a run without bounds,
# as a continuous run ends), not as a slot in use
log_config "$db" '"break_at_end_lsn":false,"max_run_seconds":0,"logical_poll_total_seconds":0' >"$TEST_TMP/cont.json"
for conf in tap cont; do
    "$TAP_BIN" --config "$TEST_TMP/$conf.json" --catalog "$TEST_TMP/catalog.json" >"$TEST_TMP/o_$conf" 2>"$TEST_TMP/e_$conf" &
    tap=$!
    wait_for "$TEST_TMP/e_$conf" "waiting up to 10 s for it to be released" 30 || true
    kill -TERM "$tap"
    set +e
    wait "$tap"
    rc=$?
    set -e
    want=130
    [ "$conf" = cont ] && want=0
    assert_eq "$want" "$rc" "SIGTERM in the wait for the slot ($conf.json): exit $want"
    assert_contains "$(cat "$TEST_TMP/e_$conf")" "interrupted while waiting for replication slot \"$slot\" (in use by pid" \
        "SIGTERM in the wait for the slot ($conf.json): said"
    if grep -q "is in use by another process" "$TEST_TMP/e_$conf"; then not_ok "SIGTERM in the wait ($conf.json): no slot in use error"; else ok "SIGTERM in the wait ($conf.json): no slot in use error"; fi
done

# run 2: waits for that creation; the blocker ends after the 10 s wait
"$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" >"$TEST_TMP/o2" 2>"$TEST_TMP/e2" &
tap=$!
wait_for "$TEST_TMP/e2" "is still being created by pid" 30 || true
e2=$(cat "$TEST_TMP/e2")
assert_contains "$e2" "replication slot \"$slot\" is still being created by pid" \
    "run 2: past the 10 s it says the slot is still being created"
assert_contains "$e2" "now those of pids $bpid)" "run 2: it names the pid the creation waits for"
psql_q postgres "SELECT pg_terminate_backend($bpid)" >/dev/null
set +e
wait "$tap"
rc=$?
set -e
e2=$(cat "$TEST_TMP/e2")
assert_eq 0 "$rc" "run 2: exit 0 once the creation it waited for is given up"
if grep -q "is in use by another process" <<<"$e2"; then not_ok "run 2: no slot in use error"; else ok "run 2: no slot in use error"; fi
assert_contains "$e2" "replication slot \"$slot\" is gone (its creation did not finish" \
    "run 2: the creation killed with its run left no slot"
assert_eq 50 "$(grep -c '^{"type":"RECORD","stream":"public-t"' "$TEST_TMP/o2" || true)" \
    "run 2: the table is copied (50 rows)"
assert_eq "f" "$(psql_q postgres "SELECT active FROM pg_replication_slots WHERE slot_name = '$slot'")" \
    "run 2 made the slot and let it go"
drop_slots "$db"
finish
