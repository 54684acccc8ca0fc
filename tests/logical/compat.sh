#!/usr/bin/env bash
# pipelinewise states and slots: a wal2json slot created as pipelinewise users do, and
# pipelinewise-shaped states (lsn an integer, the position of a CHANGE inside a transaction,
# version, xmin null). Nothing is lost: the transaction holding the state's position is sent
# again in full. An initial copy pipelinewise left unfinished (xmin next to the lsn) is done
# again, and so is a stream whose lsn is behind the slot's confirmed position (the changes in
# between are gone from the slot). Our STATE keeps pipelinewise's shape (integer lsn, version,
# last_replication_method). And a stream copied again never carries its old lsn in a STATE
# written before its copy is complete.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_compat
slot=pipelinewise_$db
fresh_db "$db"
psql_q "$db" "CREATE TABLE t (id bigint PRIMARY KEY, v text);
  INSERT INTO t SELECT i, 'old' FROM generate_series(1, 10) i;
  CREATE TABLE u (id bigint PRIMARY KEY, v text);
  INSERT INTO u SELECT i, 'u' FROM generate_series(1, 3000) i" >/dev/null
psql_q "$db" "SELECT 1 FROM pg_create_logical_replication_slot('$slot', 'wal2json')" >/dev/null
# three transactions after the slot: 11-12, then 13-15 (the state points inside it), then 16
psql_q "$db" "INSERT INTO t VALUES (11, 'a'), (12, 'a')"
psql_q "$db" "BEGIN; INSERT INTO t VALUES (13, 'b'); INSERT INTO t VALUES (14, 'b'); INSERT INTO t VALUES (15, 'b'); COMMIT"
psql_q "$db" "INSERT INTO t VALUES (16, 'c')"
psql_q "$db" "SELECT pg_switch_wal() IS NOT NULL" >/dev/null # flushes the WAL (synchronous_commit = off)
# the position of the insert of row 14, as pipelinewise would have stored it (data_start of
# that change message)
mid=$(psql_q "$db" "SELECT (lsn - '0/0'::pg_lsn)::bigint FROM pg_logical_slot_peek_changes('$slot', NULL, NULL,
  'format-version', '2', 'include-lsn', '1', 'include-transaction', '0') WHERE data LIKE '%\"value\":14}%'")
if [[ $mid =~ ^[0-9]+$ ]]; then ok "the position of row 14's insert is known ($mid)"; else not_ok "row 14's position: '$mid'"; fi
cfg() { PLUGIN=wal2json log_config "$db" "$1"; }
cfg '' >"$TEST_TMP/config.json"
log_catalog "$TEST_TMP/config.json" public-t public-u >"$TEST_TMP/catalog.json"
pw_state() { # LSN_T LSN_U [extra members of t's bookmark]
    printf '{"currently_syncing":null,"bookmarks":{"public-t":{"last_replication_method":"LOG_BASED","lsn":%s,"version":1700000000000%s},"public-u":{"last_replication_method":"LOG_BASED","lsn":%s,"version":1700000000001,"xmin":null}}}\n' \
        "$1" "${3:+,$3}" "$2"
}
pw_state "$mid" "$mid" '"xmin":null' >"$TEST_TMP/pw.json"

run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/pw.json"
assert_eq 0 "$RC" "a pipelinewise state and slot: exit 0"
assert_eq "$(seq 13 16)" "$(record_ids "$TEST_TMP/o1" public-t)" \
    "the transaction holding the state's position is sent again in full, then the later ones"
assert_eq 0 "$(grep -c '^{"type":"ACTIVATE_VERSION"' "$TEST_TMP/o1" || true)" "no copy: the bookmarks are honoured"
state=$(last_state "$TEST_TMP/o1")
assert_contains "$state" '"public-t":{"last_replication_method":"LOG_BASED","lsn":' "our STATE keeps pipelinewise's bookmark shape"
if grep -qE '"public-t":\{[^}]*"lsn":[0-9]+,"version":1700000000000' <<<"$state"; then
    ok "lsn and version stay integers (what pipelinewise reads back)"
else
    not_ok "bookmark shape: $state"
fi
last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"

# an initial copy pipelinewise did not finish (xmin next to the lsn): copied again
pw_state "$mid" "$mid" '"xmin":1234' >"$TEST_TMP/pw_xmin.json"
run_cmd "$TEST_TMP/o2" "$TEST_TMP/e2" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/pw_xmin.json"
assert_eq 0 "$RC" "an interrupted pipelinewise copy: exit 0"
assert_contains "$(cat "$TEST_TMP/e2")" 'stream "public-t": the state says its initial copy was interrupted' "the interrupted copy is named"
assert_eq "$(seq 1 16)" "$(record_ids "$TEST_TMP/o2" public-t | sort -n)" "the table is copied again: every row"
if grep -qE '"public-t":\{[^}]*"xmin"' <<<"$(last_state "$TEST_TMP/o2")"; then
    not_ok "the finished copy left an xmin behind: $(last_state "$TEST_TMP/o2")"
else
    ok "the finished copy leaves no xmin behind"
fi
assert_eq 0 "$(record_ids "$TEST_TMP/o2" public-u | wc -l)" "the other stream is not copied"

# a state behind the slot's confirmed position: the changes in between are gone, copy again
psql_q "$db" "INSERT INTO t VALUES (17, 'd')"
psql_q "$db" "SELECT pg_switch_wal() IS NOT NULL" >/dev/null
psql_q "$db" "SELECT 1 FROM pg_replication_slot_advance('$slot', pg_current_wal_lsn())" >/dev/null
run_cmd "$TEST_TMP/o3" "$TEST_TMP/e3" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s1"
assert_eq 0 "$RC" "a state behind the slot: exit 0"
assert_contains "$(cat "$TEST_TMP/e3")" "the changes in between are gone from the slot, so the table is copied again" "the gap is named"
assert_eq "$(seq 1 17)" "$(record_ids "$TEST_TMP/o3" public-t | sort -n)" "row 17 (skipped by the slot) arrives with the copy"

# a stream copied again does not carry its old lsn in a STATE written before its copy is done:
# the slot is dropped, both streams are copied (t first); the STATE after t's copy has no lsn
# for u, so a run interrupted during u's copy copies u again
last_state "$TEST_TMP/o3" >"$TEST_TMP/s3"
drop_slots "$db"
run_cmd "$TEST_TMP/o4" "$TEST_TMP/e4" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s3"
assert_eq 0 "$RC" "slot dropped: exit 0"
first_state=$(grep '^{"type":"STATE"' "$TEST_TMP/o4" | head -n 1)
if grep -qE '"public-t":\{[^}]*"lsn":[0-9]+' <<<"$first_state"; then
    ok "the STATE after t's copy has t's new lsn"
else
    not_ok "the STATE after t's copy: $first_state"
fi
if grep -qE '"public-u":\{[^}]*"lsn"' <<<"$first_state"; then
    not_ok "the STATE after t's copy still carries u's old lsn: $first_state"
else
    ok "the STATE after t's copy carries no lsn for u (still to be copied)"
fi
assert_eq 3000 "$(record_ids "$TEST_TMP/o4" public-u | wc -l)" "u is copied again"
drop_slots "$db"

# replica identities wal2json cannot work with: none at all (wal2json sends no UPDATE and no
# DELETE of the table: warned about at the start of every run), and an identity index without
# the key (a delete cannot name its row by the key: warned about, and such a delete is skipped
# rather than sent without its key)
psql_q "$db" "CREATE TABLE nk (a int, b text); INSERT INTO nk VALUES (1, 'x');
  CREATE TABLE ri (id int PRIMARY KEY, u int NOT NULL UNIQUE, v text); INSERT INTO ri VALUES (1, 10, 'x'), (2, 20, 'y');
  ALTER TABLE ri REPLICA IDENTITY USING INDEX ri_u_key" >/dev/null
log_catalog "$TEST_TMP/config.json" public-nk public-ri >"$TEST_TMP/cat_ri.json"
run_cmd "$TEST_TMP/o5" "$TEST_TMP/e5" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/cat_ri.json"
assert_eq 0 "$RC" "replica identities: run 1 exits 0"
assert_contains "$(last_state "$TEST_TMP/o5")" '"currently_syncing":null' \
    "a state written without an input state has currently_syncing (pipelinewise reads it without a default)"
assert_contains "$(cat "$TEST_TMP/e5")" 'table "public"."nk" has no replica identity: wal2json sends none of its UPDATEs and DELETEs' \
    "no replica identity with wal2json is warned about"
assert_contains "$(cat "$TEST_TMP/e5")" 'ALTER TABLE "public"."nk" REPLICA IDENTITY FULL;' "the warning gives the fix"
assert_contains "$(cat "$TEST_TMP/e5")" 'the replica identity of table "public"."ri" (index ri_u_key) does not hold its key column "id"' \
    "an identity index without the key is warned about"
last_state "$TEST_TMP/o5" >"$TEST_TMP/s5"
psql_q "$db" "DELETE FROM ri WHERE id = 1; INSERT INTO ri VALUES (3, 30, 'z')"
psql_q "$db" "SELECT pg_switch_wal() IS NOT NULL" >/dev/null
run_cmd "$TEST_TMP/o6" "$TEST_TMP/e6" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/cat_ri.json" --state "$TEST_TMP/s5"
assert_eq 0 "$RC" "replica identities: run 2 exits 0"
assert_eq 0 "$(grep '^{"type":"RECORD","stream":"public-ri"' "$TEST_TMP/o6" | grep -vc '"id":' || true)" "no record without its key"
assert_eq 3 "$(record_ids "$TEST_TMP/o6" public-ri)" "the insert arrives"
assert_contains "$(cat "$TEST_TMP/e6")" 'stream "public-ri": a DELETE without the key properties was skipped' "the skipped delete is named"
drop_slots "$db"

# pipelinewise looks for its older slot name (without tap_id) first and uses it when it exists:
# a config with tap_id keeps using that slot instead of leaving it behind (pinning WAL)
psql_q "$db" "SELECT 1 FROM pg_create_logical_replication_slot('$slot', 'wal2json')" >/dev/null
cfg '"tap_id":"eu"' >"$TEST_TMP/config_eu.json"
run_cmd "$TEST_TMP/o7" "$TEST_TMP/e7" "$TAP_BIN" --config "$TEST_TMP/config_eu.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "tap_id with pipelinewise's older slot: exit 0"
assert_contains "$(cat "$TEST_TMP/e7")" "using replication slot \"$slot\", pipelinewise's name without tap_id" "the older slot is used"
assert_eq 0 "$(psql_q postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '${slot}_eu'")" "no second slot is created"
drop_slots "$db"
finish
