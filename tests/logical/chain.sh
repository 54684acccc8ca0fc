#!/usr/bin/env bash
# LOG_BASED runs chained by their state with $PLUGIN: no change missing, none twice; a table
# added to an existing slot (copied in chunks during the stream) while rows are being
# inserted into it (every row exactly once); the flush position confirmed to the slot is the
# input state's and nothing more; an idle run carries the server's WAL position, which the next
# run confirms; kill -9 in the middle of a run, then a run from the last STATE that reached the
# target: nothing lost.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_chain_$PLUGIN
slot=pipelinewise_$db
fresh_db "$db"
psql_q "$db" "CREATE TABLE ev (id bigint PRIMARY KEY, v int);
  INSERT INTO ev SELECT i, i FROM generate_series(1, 100) i;
  CREATE TABLE hand (id bigint PRIMARY KEY, v text);
  INSERT INTO hand SELECT i, md5(i::text) FROM generate_series(1, 50000) i;" >/dev/null
log_config "$db" '"itersize":100' >"$TEST_TMP/config.json"
log_catalog "$TEST_TMP/config.json" public-ev >"$TEST_TMP/cat_ev.json"
log_catalog "$TEST_TMP/config.json" public-ev public-hand >"$TEST_TMP/cat_both.json"

tap() { # OUT ERR CATALOG [STATE]
    local out=$1 err=$2 cat=$3 state=${4:-}
    run_cmd "$out" "$err" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$cat" ${state:+--state "$state"}
}

# run 1: copy of ev; run 2: the changes made since, exactly once
tap "$TEST_TMP/o1" "$TEST_TMP/e1" "$TEST_TMP/cat_ev.json"
assert_eq 0 "$RC" "run 1 exits 0"
assert_eq 100 "$(record_ids "$TEST_TMP/o1" public-ev | sort -u | wc -l)" "run 1 copies 100 rows"
last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"
psql_q "$db" "DO \$\$ BEGIN FOR t IN 0..4 LOOP
  INSERT INTO ev SELECT i, i FROM generate_series(101 + t * 10, 110 + t * 10) i; COMMIT; END LOOP; END \$\$"
tap "$TEST_TMP/o2" "$TEST_TMP/e2" "$TEST_TMP/cat_ev.json" "$TEST_TMP/s1"
assert_eq 0 "$RC" "run 2 exits 0"
assert_eq "$(seq 101 150)" "$(record_ids "$TEST_TMP/o2" public-ev)" "run 2 sends the 50 new rows once, in order"
last_state "$TEST_TMP/o2" >"$TEST_TMP/s2"
assert_eq "$(state_lsns "$TEST_TMP/s1")" "$(slot_lsn "$slot" confirmed_flush_lsn)" \
    "the slot confirmed exactly the input state's lsn, not what run 2 read"

# run 3: hand joins the existing slot while rows are inserted into it, one per transaction
psql -X -q -d "$db" -c "DO \$\$ BEGIN FOR i IN 50001..50400 LOOP
  INSERT INTO hand VALUES (i, 'w' || i); COMMIT; PERFORM pg_sleep(0.005); END LOOP; END \$\$" \
    >"$TEST_TMP/writer.out" 2>&1 &
writer=$!
trap 'kill "$writer" 2>/dev/null || true' EXIT
sleep 0.3
tap "$TEST_TMP/o3" "$TEST_TMP/e3" "$TEST_TMP/cat_both.json" "$TEST_TMP/s2"
assert_eq 0 "$RC" "run 3 (new table, concurrent writes) exits 0"
if [ "$PLUGIN" = pgoutput ] && [ "$(psql_q "$db" "SHOW server_version_num")" -lt 140000 ]; then
    # pgoutput before 14 sends no logical messages (the chunks' watermarks)
    assert_contains "$(cat "$TEST_TMP/e3")" "creating temporary replication slot" "the new table is copied in a temporary slot's snapshot"
else
    assert_contains "$(cat "$TEST_TMP/e3")" 'stream "public-hand": initial copy in chunks of' "the new table is copied in chunks during the stream"
fi
wait "$writer"
last_state "$TEST_TMP/o3" >"$TEST_TMP/s3"
tap "$TEST_TMP/o4" "$TEST_TMP/e4" "$TEST_TMP/cat_both.json" "$TEST_TMP/s3"
assert_eq 0 "$RC" "run 4 exits 0"
cat <(record_ids "$TEST_TMP/o3" public-hand) <(record_ids "$TEST_TMP/o4" public-hand) | sort -n >"$TEST_TMP/hand.ids"
assert_eq 50400 "$(wc -l <"$TEST_TMP/hand.ids")" "runs 3 and 4 send 50,400 hand rows"
assert_eq "" "$(uniq -d "$TEST_TMP/hand.ids" | head -n 3)" "no hand row twice (copy and stream meet exactly)"
assert_eq "$(seq 1 50400)" "$(cat "$TEST_TMP/hand.ids")" "no hand row missing"
assert_eq 0 "$(record_ids "$TEST_TMP/o3" public-ev | wc -l)" "ev sends nothing again"
last_state "$TEST_TMP/o4" >"$TEST_TMP/s4"

# run 5 is idle: its state carries the server's WAL position; run 6 confirms it to the slot
psql_q postgres "CREATE TABLE IF NOT EXISTS log_chain_noise_$PLUGIN (x int); INSERT INTO log_chain_noise_$PLUGIN SELECT generate_series(1, 1000)"
tap "$TEST_TMP/o5" "$TEST_TMP/e5" "$TEST_TMP/cat_both.json" "$TEST_TMP/s4"
assert_eq 0 "$RC" "run 5 (idle) exits 0"
last_state "$TEST_TMP/o5" >"$TEST_TMP/s5"
before=$(state_lsns "$TEST_TMP/s4" | sort -n | head -n 1)
idle=$(state_lsns "$TEST_TMP/s5" | sort -n | head -n 1)
if [ "$idle" -gt "$before" ]; then ok "an idle run moves the bookmarks to the server's position"; else not_ok "idle run: $idle <= $before"; fi
tap "$TEST_TMP/o6" "$TEST_TMP/e6" "$TEST_TMP/cat_both.json" "$TEST_TMP/s5"
assert_eq 0 "$RC" "run 6 exits 0"
assert_eq "$idle" "$(slot_lsn "$slot" confirmed_flush_lsn)" "the next run confirms it: the slot moves forward"
last_state "$TEST_TMP/o6" >"$TEST_TMP/s6"

# kill -9 in the middle of a run (its stdout goes to a reader that stops reading, as a slow
# target would), then a run from the last STATE that reached the reader
psql_q "$db" "DO \$\$ BEGIN FOR t IN 0..199 LOOP
  INSERT INTO ev SELECT i, i FROM generate_series(1001 + t * 100, 1100 + t * 100) i; COMMIT; END LOOP; END \$\$"
mkfifo "$TEST_TMP/fifo"
(head -n 3000 >"$TEST_TMP/o7"; exec sleep 60) <"$TEST_TMP/fifo" >/dev/null 2>&1 &
reader=$!
"$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/cat_both.json" --state "$TEST_TMP/s6" \
    >"$TEST_TMP/fifo" 2>"$TEST_TMP/e7" &
victim=$!
trap 'kill -9 "$victim" "$reader" 2>/dev/null || true' EXIT
wait_for "$TEST_TMP/e7" "logical replication started" 30
for _ in $(seq 1 100); do [ "$(wc -l <"$TEST_TMP/o7")" -ge 3000 ] && break; sleep 0.1; done
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
kill "$reader" 2>/dev/null || true
wait "$reader" 2>/dev/null || true
got=$(record_ids "$TEST_TMP/o7" public-ev | wc -l)
if [ "$got" -gt 0 ] && [ "$got" -lt 20000 ]; then ok "run 7 was killed mid-run ($got of 20000 records read)"; else not_ok "run 7 read $got records"; fi
last_state "$TEST_TMP/o7" >"$TEST_TMP/s7"
assert_contains "$(cat "$TEST_TMP/s7")" '"lsn":' "a STATE reached the reader before the kill"
tap "$TEST_TMP/o8" "$TEST_TMP/e8" "$TEST_TMP/cat_both.json" "$TEST_TMP/s7"
assert_eq 0 "$RC" "run 8 (after kill -9) exits 0"
# rows written after the last STATE the reader got are sent again (at-least-once); none is lost
sed -n "1,$(grep -n '^{"type":"STATE"' "$TEST_TMP/o7" | tail -n 1 | cut -d: -f1)p" "$TEST_TMP/o7" >"$TEST_TMP/o7.committed"
cat <(record_ids "$TEST_TMP/o7.committed" public-ev) <(record_ids "$TEST_TMP/o8" public-ev) | sort -n >"$TEST_TMP/ev.ids"
assert_eq "$(seq 1001 21000)" "$(cat "$TEST_TMP/ev.ids")" "after kill -9 and resume every row arrives, once past the last STATE"
# the slot dropped behind the tap's back: the bookmarks cannot be honoured, every table is
# copied again as a new table version (ACTIVATE_VERSION after the copy removes older rows)
drop_slots "$db"
last_state "$TEST_TMP/o8" >"$TEST_TMP/s8"
tap "$TEST_TMP/o9" "$TEST_TMP/e9" "$TEST_TMP/cat_both.json" "$TEST_TMP/s8"
assert_eq 0 "$RC" "run 9 (slot dropped) exits 0"
assert_contains "$(cat "$TEST_TMP/e9")" "because replication slot \"$slot\" does not exist" "run 9 says why it copies again"
assert_eq "$(psql_q "$db" "SELECT count(*) FROM ev")" "$(record_ids "$TEST_TMP/o9" public-ev | wc -l)" "run 9 copies ev again"
v_old=$(grep -o '"public-ev":{[^}]*' "$TEST_TMP/s8" | grep -o '"version":[0-9]*' | cut -d: -f2)
v_new=$(grep '^{"type":"ACTIVATE_VERSION","stream":"public-ev"' "$TEST_TMP/o9" | tail -n 1 | grep -o '"version":[0-9]*' | cut -d: -f2)
if [ -n "$v_new" ] && [ "$v_new" -gt "$v_old" ]; then ok "run 9 activates a new table version"; else not_ok "versions $v_old -> $v_new"; fi
drop_slots "$db"
psql_q postgres "DROP TABLE log_chain_noise_$PLUGIN"
finish
