#!/usr/bin/env bash
# failover_slot across a promotion (PostgreSQL 17+; label "standby": tests/run.sh runs it on the
# server of a minimal Debian root, tests/pg_root.sh). The test makes its own primary from that
# root (it changes synchronized_standby_slots, and promotes the standby away from it) and a
# standby of it configured for slot synchronization (tests/pg_root.sh standby --sync-slots: a
# physical slot in primary_slot_name, dbname in primary_conninfo, hot_standby_feedback and
# sync_replication_slots on; synchronized_standby_slots names the physical slot on the primary).
#
# For each plugin the tap copies a table on the primary with failover_slot, streams a change,
# and runs again with that state so that the slot's confirmed position moves past the point
# where the standby's copy can start (the standby persists a synced slot only then); the slot
# is waited for on the standby (synced, not temporary, at the primary's confirmed position).
# Then changes are made on the primary, the standby is promoted, and the tap, pointed at the
# promoted server with the last state, gets exactly those changes (no copy, nothing twice,
# nothing missing, the same table version). A third database has a slot made without
# failover_slot: not on the standby, so on the promoted server on_lost_position fail stops
# (exit 4) and recopy warns that the slot was not synced to this server (naming failover_slot)
# and copies the table again as a new table version.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

if [ -z "${PGTEST_ROOT:-}" ] || [ -z "${PGTEST_MAJOR:-}" ]; then
    echo "FAIL: needs a PostgreSQL 17+ server of tests/pg_root.sh (PGTEST_ROOT unset): run" >&2
    echo "      PG_MAJORS=17 tests/run.sh -R logical_failover" >&2
    exit 1
fi
if [ "$PGTEST_MAJOR" -lt 17 ]; then
    echo "FAIL: failover slots need PostgreSQL 17 or later (this root is $PGTEST_MAJOR)" >&2
    exit 1
fi
pri=$TEST_TMP/primary
sb=$TEST_TMP/standby
trap '"$SOURCE_DIR/tests/pg_root.sh" stop "$PGTEST_MAJOR" "$sb"; "$SOURCE_DIR/tests/pg_root.sh" stop "$PGTEST_MAJOR" "$pri"' EXIT
"$SOURCE_DIR/tests/pg_root.sh" start "$PGTEST_MAJOR" "$pri"
PGPORT=$(. "$pri/env" && echo "$PGTEST_PORT")
export PGPORT
"$SOURCE_DIR/tests/pg_root.sh" standby "$PGTEST_MAJOR" "$sb" "$pri" --sync-slots fo_standby
standby_port=$(. "$sb/env" && echo "$PGTEST_PORT")
standby_log=$(. "$sb/env" && echo "$PGTEST_DIR")/server.log
psql_q postgres "ALTER SYSTEM SET synchronized_standby_slots = 'fo_standby'" >/dev/null
psql_q postgres "SELECT pg_reload_conf()" >/dev/null

# sb_q SQL: a query on the standby
sb_q() {
    PGPORT=$standby_port psql_q postgres "$1"
}
assert_eq t "$(sb_q 'SELECT pg_is_in_recovery()')" "the standby is in recovery"
assert_eq "t|t" "$(psql_q postgres "SELECT active, slot_type = 'physical' FROM pg_replication_slots WHERE slot_name = 'fo_standby'")" \
    "the standby streams through its physical slot on the primary"

# wait_replayed: until the standby has replayed everything the primary has written
wait_replayed() {
    local lsn
    lsn=$(psql_q postgres "SELECT pg_current_wal_insert_lsn()")
    for _ in $(seq 1 300); do
        [ "$(sb_q "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
        sleep 0.1
    done
    echo "the standby did not replay up to $lsn" >&2
    return 1
}

plugins="pgoutput wal2json"
# the table of each database, copied on the primary (run 1)
for PLUGIN in $plugins plain; do
    db=fo_$PLUGIN
    fresh_db "$db"
    psql_q "$db" "CREATE TABLE items (id integer PRIMARY KEY, name text);
        INSERT INTO items VALUES (1, 'one'), (2, 'two')"
    if [ "$PLUGIN" = plain ]; then
        PLUGIN=pgoutput log_config "$db" >"$TEST_TMP/$db.json"
    else
        log_config "$db" '"failover_slot":true' >"$TEST_TMP/$db.json"
    fi
    log_catalog "$TEST_TMP/$db.json" public-items >"$TEST_TMP/$db.catalog"
    run_cmd "$TEST_TMP/$db.out1" "$TEST_TMP/$db.err1" "$TAP_BIN" --config "$TEST_TMP/$db.json" \
        --catalog "$TEST_TMP/$db.catalog"
    assert_eq 0 "$RC" "$db: run 1 on the primary exits 0"
    assert_eq "1 2" "$(record_ids "$TEST_TMP/$db.out1" public-items | tr '\n' ' ' | sed 's/ $//')" \
        "$db: run 1 copies the table"
    last_state "$TEST_TMP/$db.out1" >"$TEST_TMP/$db.state1"
done
for PLUGIN in $plugins; do
    assert_eq "t|$PLUGIN" "$(psql_q postgres "SELECT failover, plugin FROM pg_replication_slots WHERE slot_name = 'pipelinewise_fo_$PLUGIN'")" \
        "fo_$PLUGIN: a failover slot on the primary"
done
assert_eq f "$(psql_q postgres "SELECT failover FROM pg_replication_slots WHERE slot_name = 'pipelinewise_fo_plain'")" \
    "fo_plain: a slot without failover"

# run 2 streams a change; run 3, with run 2's state, confirms it: the slot moves forward (past
# a running-xacts record, from which the standby's copy can build its snapshot)
psql_q postgres "SELECT pg_log_standby_snapshot()" >/dev/null
for PLUGIN in $plugins; do
    db=fo_$PLUGIN
    psql_q "$db" "INSERT INTO items VALUES (3, 'three')"
    run_cmd "$TEST_TMP/$db.out2" "$TEST_TMP/$db.err2" "$TAP_BIN" --config "$TEST_TMP/$db.json" \
        --catalog "$TEST_TMP/$db.catalog" --state "$TEST_TMP/$db.state1"
    assert_eq 0 "$RC" "$db: run 2 on the primary exits 0"
    assert_eq 3 "$(record_ids "$TEST_TMP/$db.out2" public-items | tr '\n' ' ' | sed 's/ $//')" \
        "$db: run 2 streams the insert"
    last_state "$TEST_TMP/$db.out2" >"$TEST_TMP/$db.state2"
done
psql_q postgres "SELECT pg_log_standby_snapshot()" >/dev/null
for PLUGIN in $plugins; do
    db=fo_$PLUGIN
    run_cmd "$TEST_TMP/$db.out3" "$TEST_TMP/$db.err3" "$TAP_BIN" --config "$TEST_TMP/$db.json" \
        --catalog "$TEST_TMP/$db.catalog" --state "$TEST_TMP/$db.state2"
    assert_eq 0 "$RC" "$db: run 3 on the primary exits 0"
    assert_eq "" "$(record_ids "$TEST_TMP/$db.out3" public-items)" "$db: run 3 has no new change"
    last_state "$TEST_TMP/$db.out3" >"$TEST_TMP/$db.state3"
done

# the slots on the standby: synced and persisted (not temporary), at the primary's confirmed
# position (the slotsync worker naps up to 30 s between rounds)
want=""
for PLUGIN in $plugins; do
    lsn=$(psql_q postgres "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'pipelinewise_fo_$PLUGIN'")
    want="$want${want:+ OR }(slot_name = 'pipelinewise_fo_$PLUGIN' AND confirmed_flush_lsn >= '$lsn')"
done
synced=""
for i in $(seq 1 180); do
    synced=$(sb_q "SELECT count(*) FROM pg_replication_slots WHERE synced AND NOT temporary AND failover AND ($want)")
    [ "$synced" = 2 ] && break
    [ $((i % 10)) = 0 ] && psql_q postgres "SELECT pg_log_standby_snapshot()" >/dev/null
    sleep 0.5
done
if [ "$synced" != 2 ]; then
    echo "the failover slots were not synced to the standby within 90 s (want: $want)" >&2
    echo "standby: $(sb_q "SELECT slot_name, synced, temporary, restart_lsn, confirmed_flush_lsn, catalog_xmin FROM pg_replication_slots")" >&2
    echo "primary: $(psql_q postgres "SELECT slot_name, failover, restart_lsn, confirmed_flush_lsn, catalog_xmin FROM pg_replication_slots")" >&2
    grep -i 'slot' "$standby_log" | tail -n 20 >&2 || true
fi
assert_eq 2 "$synced" "the failover slots are synced to the standby (synced, persisted, caught up)"
assert_eq 0 "$(sb_q "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pipelinewise_fo_plain'")" \
    "the slot without failover is not on the standby"

# changes after the last state, made on the primary only; then the standby is promoted
for PLUGIN in $plugins plain; do
    psql_q "fo_$PLUGIN" "INSERT INTO items VALUES (4, 'four'); UPDATE items SET name = 'TWO' WHERE id = 2;
        DELETE FROM items WHERE id = 1"
done
wait_replayed
"$SOURCE_DIR/tests/pg_root.sh" promote "$PGTEST_MAJOR" "$sb"
for _ in $(seq 1 100); do
    [ "$(sb_q 'SELECT pg_is_in_recovery()')" = f ] && break
    sleep 0.1
done
assert_eq f "$(sb_q 'SELECT pg_is_in_recovery()')" "the standby is promoted"

# the synced slots on the promoted server: exactly the changes after the state
for PLUGIN in $plugins; do
    db=fo_$PLUGIN
    PGPORT=$standby_port log_config "$db" '"failover_slot":true' >"$TEST_TMP/$db.promoted.json"
    run_cmd "$TEST_TMP/$db.out4" "$TEST_TMP/$db.err4" "$TAP_BIN" --config "$TEST_TMP/$db.promoted.json" \
        --catalog "$TEST_TMP/$db.catalog" --state "$TEST_TMP/$db.state3"
    assert_eq 0 "$RC" "$db: the run on the promoted server exits 0"
    assert_eq '{"id":4,"name":"four"}
{"id":2,"name":"TWO"}
{"id":1}' "$(records_only "$TEST_TMP/$db.out4" public-items |
        sed -E -e '/"_sdc_deleted_at":"/ s/,"name":null//' -e 's/,"_sdc_deleted_at":"[^"]*"//')" \
        "$db: the promoted server's synced slot gives exactly the changes after the state (insert, update, delete)"
    err=$(cat "$TEST_TMP/$db.err4")
    assert_not_contains "$err" "copied again" "$db: no copy"
    assert_not_contains "$err" "WARNING" "$db: no warning"
    assert_eq 0 "$(grep -c '"type":"ACTIVATE_VERSION"' "$TEST_TMP/$db.out4" || true)" "$db: no new table version"
    v1=$(grep -o '"version":[0-9]*' "$TEST_TMP/$db.out1" | head -n 1)
    assert_eq "$v1" "$(grep '"type":"RECORD"' "$TEST_TMP/$db.out4" | grep -o '"version":[0-9]*' | sort -u)" \
        "$db: the records keep the table version of the copy"
    assert_eq t "$(sb_q "SELECT synced AND failover FROM pg_replication_slots WHERE slot_name = 'pipelinewise_$db'")" \
        "$db: the run used the synced slot (none was made)"
done

# the slot made without failover_slot: not synced, so not on the promoted server
db=fo_plain
slot=pipelinewise_$db
PGPORT=$standby_port PLUGIN=pgoutput log_config "$db" '"on_lost_position":"fail"' >"$TEST_TMP/$db.fail.json"
PGPORT=$standby_port PLUGIN=pgoutput log_config "$db" >"$TEST_TMP/$db.promoted.json"
why="replication slot \"$slot\" does not exist on this server, which was promoted (timeline 2): the slot was not synced to it before the promotion (only a slot made with failover_slot, on PostgreSQL 17 or later, is synchronized to a standby with sync_replication_slots = on)"
run_cmd "$TEST_TMP/$db.out4" "$TEST_TMP/$db.err4" "$TAP_BIN" --config "$TEST_TMP/$db.fail.json" \
    --catalog "$TEST_TMP/$db.catalog" --state "$TEST_TMP/$db.state1"
assert_eq 4 "$RC" "$db: on_lost_position fail: exit 4"
assert_contains "$(cat "$TEST_TMP/$db.err4")" "ERROR tap-postgres: stream \"public-items\": its lsn bookmark cannot be honoured on slot \"$slot\": $why; on_lost_position is fail" \
    "$db: on_lost_position fail: the error says the slot was not synced"
assert_eq "" "$(record_ids "$TEST_TMP/$db.out4" public-items)" "$db: on_lost_position fail: nothing copied"
assert_eq 0 "$(sb_q "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'")" \
    "$db: on_lost_position fail: no slot made"
run_cmd "$TEST_TMP/$db.out5" "$TEST_TMP/$db.err5" "$TAP_BIN" --config "$TEST_TMP/$db.promoted.json" \
    --catalog "$TEST_TMP/$db.catalog" --state "$TEST_TMP/$db.state1"
assert_eq 0 "$RC" "$db: recopy: exit 0"
assert_contains "$(cat "$TEST_TMP/$db.err5")" "WARNING tap-postgres: stream \"public-items\": its lsn bookmark cannot be honoured because $why: the table is copied again as a new table version" \
    "$db: recopy: the warning names the slot, says it was not synced and names failover_slot"
assert_eq '{"id":2,"name":"TWO"}
{"id":4,"name":"four"}' "$(records_only "$TEST_TMP/$db.out5" public-items | sort)" \
    "$db: recopy: the table as it is on the promoted server, copied again"
v1=$(grep -o '"version":[0-9]*' "$TEST_TMP/$db.out1" | head -n 1)
v5=$(grep '"type":"RECORD"' "$TEST_TMP/$db.out5" | grep -o '"version":[0-9]*' | sort -u)
assert_not_contains "$v5" "$v1" "$db: recopy: a new table version"
assert_eq 1 "$(grep -c '"type":"ACTIVATE_VERSION"' "$TEST_TMP/$db.out5")" "$db: recopy: the new version is activated"
assert_eq f "$(sb_q "SELECT failover FROM pg_replication_slots WHERE slot_name = '$slot'")" \
    "$db: recopy: the slot is made on the promoted server"
finish
