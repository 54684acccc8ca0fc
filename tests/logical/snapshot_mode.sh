#!/usr/bin/env bash
# snapshot_mode (global, or a stream's snapshot-mode metadata): never (no copy, stream from
# now), initial_only (copy, then no streaming; its bookmark does not hold the slot back; with
# only such streams no slot is made), and on_lost_position: fail (slot gone, state behind the
# slot: exit 4 naming stream and slot, nothing copied); bad values are config errors.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_snap
slot=pipelinewise_$db
fresh_db "$db"
psql_q "$db" "CREATE TABLE a (id bigint PRIMARY KEY, v text); CREATE TABLE b (id bigint PRIMARY KEY, v text);
  INSERT INTO a VALUES (1, 'a1'), (2, 'a2'); INSERT INTO b VALUES (1, 'b1'), (2, 'b2')"
run_tap() { # OUT ERR CONFIG [STATE]
    run_cmd "$1" "$2" "$TAP_BIN" --config "$3" --catalog "$TEST_TMP/catalog.json" ${4:+--state "$4"}
}

# never (global): nothing copied, the changes from now on are streamed
log_config "$db" '"snapshot_mode":"never"' >"$TEST_TMP/never.json"
log_catalog "$TEST_TMP/never.json" public-a public-b >"$TEST_TMP/catalog.json"
run_tap "$TEST_TMP/o1" "$TEST_TMP/e1" "$TEST_TMP/never.json"
assert_eq 0 "$RC" "never: exit 0"
assert_eq 0 "$(grep -c '"type":"RECORD"' "$TEST_TMP/o1" || true)" "never: no row is copied"
assert_eq 0 "$(grep -c '"type":"ACTIVATE_VERSION"' "$TEST_TMP/o1" || true)" "never: no ACTIVATE_VERSION"
assert_contains "$(cat "$TEST_TMP/e1")" 'stream "public-a": snapshot_mode never: not copied' "never: logged"
last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"
assert_eq 2 "$(state_lsns "$TEST_TMP/s1" | wc -l)" "never: both streams have an lsn bookmark"
psql_q "$db" "INSERT INTO a VALUES (3, 'a3'); UPDATE b SET v = 'b1u' WHERE id = 1"
run_tap "$TEST_TMP/o2" "$TEST_TMP/e2" "$TEST_TMP/never.json" "$TEST_TMP/s1"
assert_eq 0 "$RC" "never, run 2: exit 0"
assert_eq "3" "$(record_ids "$TEST_TMP/o2" public-a | tr '\n' ' ' | sed 's/ $//')" "never, run 2: the new row of a"
assert_eq "1" "$(record_ids "$TEST_TMP/o2" public-b | tr '\n' ' ' | sed 's/ $//')" "never, run 2: the update of b"
last_state "$TEST_TMP/o2" >"$TEST_TMP/s2"

# initial_only in a's metadata (b: the config's initial): a new tap_id, so a new slot
stream_metadata public-a '"snapshot-mode":"initial_only"' <"$TEST_TMP/catalog.json" >"$TEST_TMP/c2.json"
mv "$TEST_TMP/c2.json" "$TEST_TMP/catalog.json"
log_config "$db" '"slot_name":"snap_mixed","publication_name":"snap_mixed"' >"$TEST_TMP/mixed.json"
run_tap "$TEST_TMP/o3" "$TEST_TMP/e3" "$TEST_TMP/mixed.json"
assert_eq 0 "$RC" "initial_only + initial: exit 0"
assert_eq "1 2 3" "$(record_ids "$TEST_TMP/o3" public-a | sort -n | tr '\n' ' ' | sed 's/ $//')" "initial_only: a is copied"
assert_eq "1 2" "$(record_ids "$TEST_TMP/o3" public-b | sort -n | tr '\n' ' ' | sed 's/ $//')" "initial: b is copied"
last_state "$TEST_TMP/o3" >"$TEST_TMP/s3"
a_lsn=$(grep -o '"public-a":{[^}]*"lsn":[0-9]*' "$TEST_TMP/s3" | grep -o '[0-9]*$')
psql_q "$db" "INSERT INTO a VALUES (4, 'a4'); INSERT INTO b VALUES (4, 'b4')"
run_tap "$TEST_TMP/o4" "$TEST_TMP/e4" "$TEST_TMP/mixed.json" "$TEST_TMP/s3"
assert_eq 0 "$RC" "initial_only, run 2: exit 0"
assert_eq "" "$(record_ids "$TEST_TMP/o4" public-a | tr '\n' ' ' | sed 's/ $//')" "initial_only: no change of a is streamed"
assert_eq "4" "$(record_ids "$TEST_TMP/o4" public-b | tr '\n' ' ' | sed 's/ $//')" "initial: b's change is"
last_state "$TEST_TMP/o4" >"$TEST_TMP/s4"
assert_eq "$a_lsn" "$(grep -o '"public-a":{[^}]*"lsn":[0-9]*' "$TEST_TMP/s4" | grep -o '[0-9]*$')" \
    "initial_only: a's bookmark stays where its copy was"
psql_q "$db" "INSERT INTO b VALUES (5, 'b5')"
run_tap "$TEST_TMP/o5" "$TEST_TMP/e5" "$TEST_TMP/mixed.json" "$TEST_TMP/s4"
assert_eq 0 "$RC" "initial_only, run 3: exit 0"
confirmed=$(slot_lsn snap_mixed confirmed_flush_lsn)
assert_eq true "$([ "$confirmed" -gt "$a_lsn" ] && echo true)" \
    "initial_only: a's bookmark does not hold the slot back (confirmed $confirmed > $a_lsn)"

# only initial_only streams: copied in a temporary slot's snapshot, no slot is left
log_config "$db" '"slot_name":"snap_only","snapshot_mode":"initial_only"' >"$TEST_TMP/only.json"
log_catalog "$TEST_TMP/only.json" public-a public-b >"$TEST_TMP/catalog.json"
run_tap "$TEST_TMP/o6" "$TEST_TMP/e6" "$TEST_TMP/only.json"
assert_eq 0 "$RC" "only initial_only: exit 0"
assert_eq 8 "$(grep -c '"type":"RECORD"' "$TEST_TMP/o6")" "only initial_only: both tables copied"
assert_eq 0 "$(psql_q postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'snap_only'")" \
    "only initial_only: no slot is made (it would pin WAL)"
last_state "$TEST_TMP/o6" >"$TEST_TMP/s6"
run_tap "$TEST_TMP/o7" "$TEST_TMP/e7" "$TEST_TMP/only.json" "$TEST_TMP/s6"
assert_eq 0 "$RC" "only initial_only, run 2: exit 0"
assert_eq 0 "$(grep -c '"type":"RECORD"' "$TEST_TMP/o7" || true)" "only initial_only, run 2: nothing copied again"

# on_lost_position fail: the slot dropped
log_catalog "$TEST_TMP/never.json" public-a public-b >"$TEST_TMP/catalog.json"
log_config "$db" '"on_lost_position":"fail"' >"$TEST_TMP/fail.json"
psql_q postgres "SELECT pg_drop_replication_slot('$slot')" >/dev/null
run_tap "$TEST_TMP/o8" "$TEST_TMP/e8" "$TEST_TMP/fail.json" "$TEST_TMP/s2"
assert_eq 4 "$RC" "on_lost_position fail, slot gone: exit 4"
assert_contains "$(cat "$TEST_TMP/e8")" "stream \"public-a\": its lsn bookmark cannot be honoured on slot \"$slot\": replication slot \"$slot\" does not exist (dropped?); on_lost_position is fail" \
    "the error names the stream and the slot"
assert_eq 0 "$(grep -c '"type":"RECORD"' "$TEST_TMP/o8" || true)" "nothing copied"
assert_eq 0 "$(psql_q postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'")" "no slot made"
# recopy (the default) makes the slot again and copies; the old state is then behind it
log_config "$db" '"on_lost_position":"recopy"' >"$TEST_TMP/recopy.json"
run_tap "$TEST_TMP/o9" "$TEST_TMP/e9" "$TEST_TMP/recopy.json" "$TEST_TMP/s2"
assert_eq 0 "$RC" "on_lost_position recopy: exit 0"
assert_eq 8 "$(grep -c '"type":"RECORD"' "$TEST_TMP/o9")" "recopy: both tables copied again"
run_tap "$TEST_TMP/o10" "$TEST_TMP/e10" "$TEST_TMP/fail.json" "$TEST_TMP/s2"
assert_eq 4 "$RC" "on_lost_position fail, state behind the slot: exit 4"
assert_contains "$(cat "$TEST_TMP/e10")" "stream \"public-a\": its lsn bookmark cannot be honoured on slot \"$slot\": the state's lsn" \
    "the error names the stream and the slot"
assert_contains "$(cat "$TEST_TMP/e10")" "is behind the slot's confirmed position" "and the cause"
assert_eq 0 "$(grep -c '"type":"RECORD"' "$TEST_TMP/o10" || true)" "nothing copied"

# bad values
log_config "$db" '"snapshot_mode":"sometimes"' >"$TEST_TMP/bad.json"
run_tap "$TEST_TMP/o11" "$TEST_TMP/e11" "$TEST_TMP/bad.json"
assert_eq 3 "$RC" "snapshot_mode sometimes: exit 3"
assert_contains "$(cat "$TEST_TMP/e11")" 'key "snapshot_mode" must be initial, never or initial_only, got "sometimes"' "named"
log_config "$db" '"on_lost_position":"ignore"' >"$TEST_TMP/bad.json"
run_tap "$TEST_TMP/o12" "$TEST_TMP/e12" "$TEST_TMP/bad.json"
assert_eq 3 "$RC" "on_lost_position ignore: exit 3"
stream_metadata public-b '"snapshot-mode":"later"' <"$TEST_TMP/catalog.json" >"$TEST_TMP/badcat.json"
run_cmd "$TEST_TMP/o13" "$TEST_TMP/e13" "$TAP_BIN" --config "$TEST_TMP/recopy.json" --catalog "$TEST_TMP/badcat.json"
assert_eq 3 "$RC" "a catalog snapshot-mode later: exit 3"
assert_contains "$(cat "$TEST_TMP/e13")" 'stream "public-b": snapshot-mode must be initial, never or initial_only, got "later"' "named"
drop_slots "$db"
finish
