#!/usr/bin/env bash
# MeltanoLabs tap-postgres LOG_BASED states and slots: their slot "tappostgres" (wal2json), their
# state {"replication_key":"_sdc_lsn","replication_key_value":<the position of the last change
# they sent>} without last_replication_method. Switching to us copies nothing again: their
# value is taken as our lsn (the transaction holding that change is sent again in full, then
# the later ones), on their slot, whose position is confirmed from that state; the next runs
# keep using their slot. replication_slot_name names the slot.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_meltano
fresh_db "$db"
psql_q "$db" "CREATE TABLE t (id bigint PRIMARY KEY, v text);
  INSERT INTO t SELECT i, 'old' FROM generate_series(1, 10) i" >/dev/null
psql_q "$db" "SELECT 1 FROM pg_create_logical_replication_slot('tappostgres', 'wal2json')" >/dev/null
# after their last run: 11-12 (sent by them), 13-15 (their state points at 14, inside it), 16
psql_q "$db" "INSERT INTO t VALUES (11, 'a'), (12, 'a')"
psql_q "$db" "BEGIN; INSERT INTO t VALUES (13, 'b'); INSERT INTO t VALUES (14, 'b'); INSERT INTO t VALUES (15, 'b'); COMMIT"
psql_q "$db" "INSERT INTO t VALUES (16, 'c')"
psql_q "$db" "SELECT pg_switch_wal() IS NOT NULL" >/dev/null
mid=$(psql_q "$db" "SELECT (lsn - '0/0'::pg_lsn)::bigint FROM pg_logical_slot_peek_changes('tappostgres', NULL, NULL,
  'format-version', '2', 'include-lsn', '1', 'include-transaction', '0') WHERE data LIKE '%\"value\":14}%'")
if [[ $mid =~ ^[0-9]+$ ]]; then ok "the position of row 14's insert is known ($mid)"; else not_ok "row 14's position: '$mid'"; fi
# a MeltanoLabs config: database, no slot name (their default slot is tappostgres)
meltano_config() {
    printf '{"host":"%s","port":%s,"user":"%s","password":"","database":"%s","logical_poll_total_seconds":20%s}\n' \
        "$PGHOST" "$PGPORT" "$PGUSER" "$db" "${1:+,$1}"
}
meltano_config >"$TEST_TMP/config.json"
log_catalog "$TEST_TMP/config.json" public-t >"$TEST_TMP/catalog.json"
printf '{"bookmarks":{"public-t":{"replication_key":"_sdc_lsn","replication_key_value":%s}}}\n' "$mid" >"$TEST_TMP/theirs.json"

run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/theirs.json"
assert_eq 0 "$RC" "a MeltanoLabs state and slot: exit 0"
assert_contains "$(cat "$TEST_TMP/e1")" "using replication slot \"tappostgres\", MeltanoLabs tap-postgres's default" \
    "their slot is used (the state holds their bookmarks)"
assert_eq "$(seq 13 16)" "$(record_ids "$TEST_TMP/o1" public-t)" \
    "the transaction holding their position is sent again in full, then the later ones"
assert_eq 0 "$(grep -c '^{"type":"ACTIVATE_VERSION"' "$TEST_TMP/o1" || true)" "no copy: their bookmark is honoured"
assert_eq 0 "$(psql_q postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name <> 'tappostgres' AND database = '$db'")" \
    "no slot of our own is created"
assert_eq "$mid" "$(slot_lsn tappostgres confirmed_flush_lsn)" "their position (what the target committed) is confirmed to the slot"
state=$(last_state "$TEST_TMP/o1")
if grep -qE '"public-t":\{[^}]*"lsn":[0-9]+' <<<"$state"; then ok "our STATE has an lsn bookmark"; else not_ok "no lsn: $state"; fi
assert_contains "$state" '"replication_key":"_sdc_lsn"' "the mark of their slot stays"
assert_not_contains "$state" 'replication_key_value' "their position is not written again (only the lsn counts)"
last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"

# the next run, with our state: still their slot, only the new change
psql_q "$db" "INSERT INTO t VALUES (17, 'd')"
psql_q "$db" "SELECT pg_switch_wal() IS NOT NULL" >/dev/null
run_cmd "$TEST_TMP/o2" "$TEST_TMP/e2" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s1"
assert_eq 0 "$RC" "run 2: exit 0"
assert_contains "$(cat "$TEST_TMP/e2")" "using replication slot \"tappostgres\"" "run 2: their slot again"
assert_eq 17 "$(record_ids "$TEST_TMP/o2" public-t)" "run 2: only the new change"
assert_eq 0 "$(grep -c '^{"type":"ACTIVATE_VERSION"' "$TEST_TMP/o2" || true)" "run 2: no copy"

# replication_slot_name names the slot (a new one here: the table is copied into it)
meltano_config '"replication_slot_name":"melty_slot"' >"$TEST_TMP/named.json"
run_cmd "$TEST_TMP/o3" "$TEST_TMP/e3" "$TAP_BIN" --config "$TEST_TMP/named.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "replication_slot_name: exit 0"
assert_eq 1 "$(psql_q postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'melty_slot'")" \
    "replication_slot_name: the slot of that name is created"
assert_eq "$(seq 1 17)" "$(record_ids "$TEST_TMP/o3" public-t | sort -n)" "a new slot: the table is copied"
meltano_config '"replication_slot_name":"Bad Slot!"' >"$TEST_TMP/bad.json"
run_cmd "$TEST_TMP/o4" "$TEST_TMP/e4" "$TAP_BIN" --config "$TEST_TMP/bad.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 3 "$RC" "an invalid replication_slot_name: exit 3"
assert_contains "$(cat "$TEST_TMP/e4")" 'config key replication_slot_name: "Bad Slot!" may only contain' "the error names their key"
drop_slots "$db"
finish
