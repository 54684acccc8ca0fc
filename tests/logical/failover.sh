#!/usr/bin/env bash
# failover_slot: on PostgreSQL 17+ the slot is made with FAILOVER (pg_replication_slots.failover),
# and an existing slot made without it is altered; on older servers it is an error naming the
# setting (exit 3). (PG_MAJORS=17 tests/run.sh -R logical_failover runs it on 17.)
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_failover
slot=pipelinewise_$db
fresh_db "$db"
psql_q "$db" "CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')"
log_config "$db" '"failover_slot":true' >"$TEST_TMP/fo.json"
log_config "$db" >"$TEST_TMP/plain.json"
log_catalog "$TEST_TMP/plain.json" public-t >"$TEST_TMP/catalog.json"
version=$(psql_q postgres "SHOW server_version_num")
if [ "$version" -lt 170000 ]; then
    run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/fo.json" --catalog "$TEST_TMP/catalog.json"
    assert_eq 3 "$RC" "failover_slot before PostgreSQL 17: exit 3"
    assert_contains "$(cat "$TEST_TMP/e1")" "failover_slot: failover slots need PostgreSQL 17 or later (this is $((version / 10000))): remove failover_slot" \
        "the error names the setting"
    assert_eq 0 "$(psql_q postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'")" "no slot is made"
else
    run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/fo.json" --catalog "$TEST_TMP/catalog.json"
    assert_eq 0 "$RC" "failover_slot: exit 0"
    assert_eq t "$(psql_q postgres "SELECT failover FROM pg_replication_slots WHERE slot_name = '$slot'")" "the slot is a failover slot"
    assert_eq 1 "$(record_ids "$TEST_TMP/o1" public-t | wc -l)" "the copy as usual"
    last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"
    psql_q "$db" "INSERT INTO t VALUES (2, 'b')"
    run_cmd "$TEST_TMP/o2" "$TEST_TMP/e2" "$TAP_BIN" --config "$TEST_TMP/fo.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s1"
    assert_eq 0 "$RC" "failover slot, run 2: exit 0"
    assert_eq 2 "$(record_ids "$TEST_TMP/o2" public-t | tr -d '\n')" "run 2 streams the change"
    # an existing slot made without it is altered
    drop_slots "$db"
    run_cmd "$TEST_TMP/o3" "$TEST_TMP/e3" "$TAP_BIN" --config "$TEST_TMP/plain.json" --catalog "$TEST_TMP/catalog.json"
    assert_eq f "$(psql_q postgres "SELECT failover FROM pg_replication_slots WHERE slot_name = '$slot'")" "without the setting: no failover"
    last_state "$TEST_TMP/o3" >"$TEST_TMP/s3"
    run_cmd "$TEST_TMP/o4" "$TEST_TMP/e4" "$TAP_BIN" --config "$TEST_TMP/fo.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s3"
    assert_eq 0 "$RC" "failover_slot on an existing slot: exit 0"
    assert_contains "$(cat "$TEST_TMP/e4")" "replication slot \"$slot\" is now a failover slot" "logged"
    assert_eq t "$(psql_q postgres "SELECT failover FROM pg_replication_slots WHERE slot_name = '$slot'")" "the existing slot is altered"
fi
drop_slots "$db"
finish
