#!/usr/bin/env bash
# LOG_BASED behind a busy server ($PLUGIN): the server decodes WAL that holds nothing for the
# selected table, and sends nothing while it does, for longer than logical_poll_total_seconds
# (1 s here). The run must not give up meanwhile: the server's position moves (keepalives asked
# for) and its walsender works (pg_stat_activity), which is progress. Every change committed
# behind that WAL arrives, deletes too, and the final STATE moves past them, so that the next
# run confirms it and the slot moves.
#   1. the target's own load into the same database: one transaction of 2,000,000 rows in a
#      table that is not selected (the walsender reads and spills it for seconds, then replays
#      it through the plugin, which filters every row out); break_at_end_lsn (the default)
#   2. another database of the same server writing a lot of WAL (300 MB in three transactions);
#      the slot's restart position is still before the load of 1 (it moves only up to what a
#      run confirms at its start), so the server reads that load again too. break_at_end_lsn
#      false: the run ends when the server is idle after it all.
#   3. another database writing all the time during the run: without break_at_end_lsn the run
#      still ends after logical_poll_total_seconds without changes for the selected table.
# Before the fix both runs gave up after 1 s: "no new data for logical_poll_total_seconds; 0
# transactions, 0 records", the STATE unmoved. (Another database's WAL alone decodes at about
# 1.5 GB/s here, from the page cache: too fast to outlast a 1 s poll in a test of this size.)
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_busy_$PLUGIN
nb=log_busy_nb_$PLUGIN
slot=pipelinewise_$db
fresh_db "$db"
fresh_db "$nb"
trap 'drop_slots "$db"; psql_q postgres "DROP DATABASE IF EXISTS \"$nb\" WITH (FORCE)" >/dev/null' EXIT
psql_q "$db" "CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a');
  CREATE TABLE load (id bigint, v text)"
psql_q "$nb" "CREATE TABLE w (id bigint, pad text)"
log_config "$db" '"logical_poll_total_seconds":1' >"$TEST_TMP/config.json"
log_config "$db" '"logical_poll_total_seconds":1,"break_at_end_lsn":false' >"$TEST_TMP/idle.json"
log_catalog "$TEST_TMP/config.json" public-t >"$TEST_TMP/catalog.json"
run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "run 1 (copy) exits 0"
last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"

# five_changes B: five transactions on t (B and B+1 inserted, B updated, B+1 deleted, B+2
# inserted); BEFORE_LAST: the WAL insert position before the last of them
five_changes() {
    psql_q "$db" "INSERT INTO t VALUES ($1, 'new')"
    psql_q "$db" "INSERT INTO t VALUES ($(($1 + 1)), 'new')"
    psql_q "$db" "UPDATE t SET v = 'updated' WHERE id = $1"
    psql_q "$db" "DELETE FROM t WHERE id = $(($1 + 1))"
    BEFORE_LAST=$(psql_q "$db" "SELECT (pg_current_wal_insert_lsn() - '0/0')::bigint")
    psql_q "$db" "INSERT INTO t VALUES ($(($1 + 2)), 'new')"
}

# check_run NAME OUT B STATE_FILE: the five changes of B arrived, the final STATE is past them
check_run() {
    local name=$1 out=$2 b=$3
    assert_eq "$b $((b + 1)) $b $((b + 1)) $((b + 2))" "$(record_ids "$out" public-t | tr '\n' ' ' | sed 's/ $//')" \
        "$name: the five changes behind the busy WAL arrive"
    assert_contains "$(grep "\"id\":$((b + 1))," "$out" | tail -n 1)" '"_sdc_deleted_at":"' "$name: the delete arrives"
    last_state "$out" >"$4"
    local lsn
    lsn=$(state_lsns "$4" | sort -n | head -n 1)
    if [ -n "$lsn" ] && [ "$lsn" -gt "$BEFORE_LAST" ]; then
        ok "$name: the final STATE is past the last change ($lsn > $BEFORE_LAST)"
    else
        not_ok "$name: the final STATE ($lsn) is not past the last change ($BEFORE_LAST)"
    fi
}

# 1. the target's own load into the same database, then five changes
psql_q "$db" "INSERT INTO load SELECT g, 'loaded' FROM generate_series(1, 2000000) g"
five_changes 100
run_cmd "$TEST_TMP/o2" "$TEST_TMP/e2" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s1"
assert_eq 0 "$RC" "a large transaction on a table not selected: exit 0"
assert_contains "$(grep -o "LOG_BASED: [A-Za-z_ ]*;.*" "$TEST_TMP/e2" | tail -n 1 | sed -E "s/; [0-9]+ transactions,/;/")" "LOG_BASED: reached the WAL position of the start; 5 records" \
    "a large transaction on a table not selected: the run reaches its end position"
check_run "a large transaction on a table not selected" "$TEST_TMP/o2" 100 "$TEST_TMP/s2"

# 2. another database writing a lot of WAL (several transactions), then five changes
for _ in 1 2 3; do
    psql_q "$nb" "INSERT INTO w SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, 100000) g"
done
five_changes 200
run_cmd "$TEST_TMP/o3" "$TEST_TMP/e3" "$TAP_BIN" --config "$TEST_TMP/idle.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s2"
assert_eq 0 "$RC" "another database's WAL: exit 0"
assert_contains "$(grep -o "LOG_BASED: [A-Za-z_ ]*;.*" "$TEST_TMP/e3" | tail -n 1 | sed -E "s/; [0-9]+ transactions,/;/")" "LOG_BASED: no new data for logical_poll_total_seconds; 5 records" \
    "another database's WAL: the run ends once the server is idle"
check_run "another database's WAL" "$TEST_TMP/o3" 200 "$TEST_TMP/s3"

# 3. a server that is never idle (another database writing all the time): past the end position
# only changes for the selected tables count, and without break_at_end_lsn the run still ends
# after logical_poll_total_seconds without them
psql -X -q -d "$nb" -c "DO \$\$ BEGIN FOR i IN 1..30000 LOOP
  INSERT INTO w VALUES (i, 'live'); COMMIT; PERFORM pg_sleep(0.002); END LOOP; END \$\$" >/dev/null 2>&1 &
writer=$!
trap 'kill "$writer" 2>/dev/null || true; drop_slots "$db"; psql_q postgres "DROP DATABASE IF EXISTS \"$nb\" WITH (FORCE)" >/dev/null' EXIT
sleep 1
run_cmd "$TEST_TMP/o5" "$TEST_TMP/e5" "$TAP_BIN" --config "$TEST_TMP/idle.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s3"
assert_eq 0 "$RC" "another database writing all the time: exit 0"
assert_contains "$(cat "$TEST_TMP/e5")" "LOG_BASED: no new data for logical_poll_total_seconds;" \
    "another database writing all the time: the run ends by logical_poll_total_seconds"
psql_q postgres "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = '$nb' AND query LIKE 'DO %'" >/dev/null
wait "$writer" || true

# the next run confirms the final STATE: the slot moves past the changes
run_cmd "$TEST_TMP/o4" "$TEST_TMP/e4" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s3"
assert_eq 0 "$RC" "the next run exits 0"
assert_eq "" "$(record_ids "$TEST_TMP/o4" public-t)" "the next run sends nothing again"
confirmed=$(slot_lsn "$slot" confirmed_flush_lsn)
if [ "$confirmed" -ge "$(state_lsns "$TEST_TMP/s3" | sort -n | head -n 1)" ]; then
    ok "the slot's confirmed position moved to the final STATE ($confirmed)"
else
    not_ok "the slot's confirmed position $confirmed is behind the final STATE"
fi
finish
