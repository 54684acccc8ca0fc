#!/usr/bin/env bash
# LOG_BASED from a streaming standby (PostgreSQL 16+; label "standby": tests/run.sh runs it
# against the server of a minimal Debian root, tests/pg_root.sh, which also makes the standby
# here). For each plugin: the publication is made on the primary, the slot on the standby; the
# slot creation says, before it waits, that it waits for a running-xacts record from the
# primary and that SELECT pg_log_standby_snapshot() on the primary writes one (the test runs
# it then); the initial copy comes from the standby, and the changes made on the primary
# afterwards (insert, update, delete) arrive through the standby's slot.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

if [ -z "${PGTEST_ROOT:-}" ] || [ -z "${PGTEST_CLUSTER_DIR:-}" ]; then
    echo "FAIL: needs a PostgreSQL 16+ server of tests/pg_root.sh (PGTEST_ROOT unset): run" >&2
    echo "      PG_MAJORS=17 tests/run.sh -R logical_standby" >&2
    exit 1
fi
primary_port=$PGPORT
sb=$TEST_TMP/standby
"$SOURCE_DIR/tests/pg_root.sh" standby "$PGTEST_MAJOR" "$sb" "$PGTEST_CLUSTER_DIR"
trap '"$SOURCE_DIR/tests/pg_root.sh" stop "$PGTEST_MAJOR" "$sb"; kill "${tap_pid:-}" 2>/dev/null || true' EXIT
standby_port=$(. "$sb/env" && echo "$PGTEST_PORT")
assert_eq t "$(psql -X -A -t -p "$standby_port" -d postgres -c 'SELECT pg_is_in_recovery()')" \
    "the standby is in recovery"

# wait_replayed: until the standby has replayed everything the primary has written
wait_replayed() {
    local lsn i
    # the insert position: with synchronous_commit off the last commit can be past the write
    # position (pg_current_wal_lsn) for a moment, and a wait for that would return too early
    lsn=$(psql_q postgres "SELECT pg_current_wal_insert_lsn()")
    for i in $(seq 1 300); do
        [ "$(psql -X -A -t -p "$standby_port" -d postgres -c \
            "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
        sleep 0.1
    done
    echo "the standby did not replay up to $lsn" >&2
    return 1
}

for PLUGIN in pgoutput wal2json; do
    db=log_standby_$PLUGIN
    fresh_db "$db"
    psql_q "$db" "CREATE TABLE items (id integer PRIMARY KEY, name text);
        INSERT INTO items VALUES (1, 'one'), (2, 'two');
        CREATE PUBLICATION pipelinewise_$db FOR TABLE items" >/dev/null
    wait_replayed
    PGPORT=$standby_port log_config "$db" >"$TEST_TMP/config.json"
    # discovery on the standby (again while the standby does not show the new table yet)
    for _ in $(seq 1 50); do
        PGPORT=$standby_port log_catalog "$TEST_TMP/config.json" public-items >"$TEST_TMP/catalog.json"
        grep -q '"tap_stream_id":"public-items"' "$TEST_TMP/catalog.json" && break
        sleep 0.2
    done
    assert_contains "$(cat "$TEST_TMP/catalog.json")" '"tap_stream_id":"public-items"' \
        "$PLUGIN: discovery on the standby finds the table"

    # run 1: the slot is created on the standby; its creation waits for the primary
    "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" \
        >"$TEST_TMP/out1.jsonl" 2>"$TEST_TMP/err1" &
    tap_pid=$!
    wait_for "$TEST_TMP/err1" "creating replication slot" 30
    psql_q postgres "SELECT pg_log_standby_snapshot()" >/dev/null
    set +e
    wait "$tap_pid"
    RC=$?
    set -e
    tap_pid=""
    assert_eq 0 "$RC" "$PLUGIN: run 1 on the standby exits 0"
    err=$(cat "$TEST_TMP/err1")
    assert_contains "$err" "INFO tap-postgres: the server is a standby: creating replication slot \"pipelinewise_$db\" waits for a running-xacts record from the primary (the primary writes one every 15 s while it writes other WAL); running SELECT pg_log_standby_snapshot(); on the primary writes one at once" \
        "$PLUGIN: the slot creation says what it waits for, and how to speed it up"
    assert_contains "$err" "replication slot \"pipelinewise_$db\" created" "$PLUGIN: the slot is created"
    assert_eq "pipelinewise_$db" "$(psql -X -A -t -p "$standby_port" -d postgres -c \
        "SELECT slot_name FROM pg_replication_slots WHERE database = '$db'")" \
        "$PLUGIN: the slot is on the standby"
    assert_eq "" "$(psql_q postgres "SELECT slot_name FROM pg_replication_slots WHERE database = '$db'")" \
        "$PLUGIN: no slot on the primary"
    assert_eq '{"id":1,"name":"one"}
{"id":2,"name":"two"}' "$(records_only "$TEST_TMP/out1.jsonl" public-items)" "$PLUGIN: the initial copy"
    last_state "$TEST_TMP/out1.jsonl" >"$TEST_TMP/state1.json"

    # run 2: changes made on the primary, replayed by the standby, decoded there
    psql_q "$db" "INSERT INTO items VALUES (3, 'three'); UPDATE items SET name = 'TWO' WHERE id = 2;
        DELETE FROM items WHERE id = 1" >/dev/null
    wait_replayed
    run_cmd "$TEST_TMP/out2.jsonl" "$TEST_TMP/err2" "$TAP_BIN" --config "$TEST_TMP/config.json" \
        --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state1.json"
    assert_eq 0 "$RC" "$PLUGIN: run 2 on the standby exits 0"
    assert_eq '{"id":3,"name":"three"}
{"id":2,"name":"TWO"}
{"id":1}' "$(records_only "$TEST_TMP/out2.jsonl" public-items |
        sed -E -e '/"_sdc_deleted_at":"/ s/,"name":null//' -e 's/,"_sdc_deleted_at":"[^"]*"//')" \
        "$PLUGIN: the changes made on the primary arrive (insert, update, delete: its key)"
    assert_eq 1 "$(grep -c '"_sdc_deleted_at":"' "$TEST_TMP/out2.jsonl")" "$PLUGIN: the delete has _sdc_deleted_at"
    assert_contains "$(cat "$TEST_TMP/err2")" "the source is a standby (in recovery)" "$PLUGIN: run 2 knows the standby"
    psql -X -q -A -t -p "$standby_port" -d postgres \
        -c "SELECT pg_drop_replication_slot('pipelinewise_$db')" >/dev/null
done
finish
