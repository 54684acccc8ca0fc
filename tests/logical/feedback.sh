#!/usr/bin/env bash
# state_feedback_file: a continuous tap | target >> states.jsonl with a writer; the slot's
# confirmed_flush_lsn moves while the run goes on, and never passes what the target has
# written (committed) to states.jsonl: sampled all along, while the target is stopped
# (SIGSTOP), and with a forged line far ahead (never past what the tap itself wrote). Then
# SIGTERM: both exit 0 and source and target are equal (EXCEPT both ways).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

src=log_fb_src_${PLUGIN:-pgoutput}
dst=log_fb_dst_${PLUGIN:-pgoutput}
slot=pipelinewise_$src
fresh_db "$src"
fresh_db "$dst"
psql_q "$src" "CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t SELECT i, 'c' FROM generate_series(1, 100) i"
states=$TEST_TMP/states.jsonl
rm -f "$states"
log_config "$src" '"break_at_end_lsn":false,"max_run_seconds":0,"logical_poll_total_seconds":0,"state_interval_seconds":0.5,"state_feedback_file":"'"$states"'"' \
    >"$TEST_TMP/tap.json"
log_catalog "$TEST_TMP/tap.json" public-t >"$TEST_TMP/catalog.json"
target_config "$dst" '"default_target_schema":"public","hard_delete":true,"batch_size_rows":200,"batch_wait_limit_seconds":0.5' \
    >"$TEST_TMP/target.json"

# the last whole line's lsn (0 when none)
line_lsn() {
    local l
    l=$(grep -o '"lsn":[0-9]*' <(head -n "$(wc -l <"$states" 2>/dev/null || echo 0)" "$states" 2>/dev/null | tail -n 1) | head -n 1 | cut -d: -f2)
    echo "${l:-0}"
}
confirmed() {
    local c
    c=$(slot_lsn "$slot" confirmed_flush_lsn)
    echo "${c:-0}"
}

("$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" 2>"$TEST_TMP/tap.err"
    echo $? >"$TEST_TMP/tap.rc") | tee "$TEST_TMP/tap.out" |
    ("$TARGET_BIN" --config "$TEST_TMP/target.json" >>"$states" 2>"$TEST_TMP/target.err"
        echo $? >"$TEST_TMP/target.rc") &
pipe=$!
writer=""
tap="" tgt=""
trap 'kill -CONT $tgt 2>/dev/null; kill $tap $tgt $writer 2>/dev/null || true' EXIT
wait_for "$TEST_TMP/tap.err" "logical replication started" 60
tap=$(pgrep -n -f "tap-postgres --config $TEST_TMP/tap.json")
tgt=$(pgrep -n -f "target-postgres --config $TEST_TMP/target.json")
wait_for "$states" '"lsn"' 60
c0=$(confirmed)
psql -X -q -d "$src" -c "DO \$\$ BEGIN FOR i IN 1000..40000 LOOP
  INSERT INTO t VALUES (i, 'w'); UPDATE t SET v = 'u' || i WHERE id = i - 500; COMMIT;
  PERFORM pg_sleep(0.002); END LOOP; END \$\$" >/dev/null 2>&1 &
writer=$!

# sample: the confirmed position first, then the file (which only grows): confirmed <= the
# position of the target's last whole line
bad=0 samples=0
check_sample() {
    local c l
    c=$(confirmed)
    l=$(line_lsn)
    samples=$((samples + 1))
    if [ "$c" -gt "$l" ]; then
        bad=$((bad + 1))
        echo "# confirmed $c is past the target's last line $l" >&2
    fi
}
for _ in $(seq 1 20); do
    check_sample
    sleep 0.3
done
c1=$(confirmed)
assert_eq true "$([ "$c1" -gt "$c0" ] && echo true)" "the slot's confirmed position moves while the run goes on ($c0 -> $c1)"

# the target stopped: it commits nothing, so nothing more is confirmed
kill -STOP "$tgt"
sleep 1
l_stop=$(line_lsn)
for _ in $(seq 1 10); do
    check_sample
    sleep 0.3
done
c_stop=$(confirmed)
assert_eq true "$([ "$c_stop" -le "$l_stop" ] && echo true)" "target stopped: confirmed $c_stop stays at or behind its last line $l_stop"
kill -CONT "$tgt"
for _ in $(seq 1 10); do
    check_sample
    sleep 0.3
done
assert_eq "0 of $samples" "$bad of $samples" "confirmed never passed the target's last whole line"
kill "$writer" 2>/dev/null || true
psql_q "$src" "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = '$src' AND query LIKE 'DO %'" >/dev/null
wait "$writer" 2>/dev/null || true
writer=""

# a forged line far ahead: confirmed at most what the tap wrote itself
psql_q "$src" "INSERT INTO t VALUES (100000, 'last')"
wait_for "$TEST_TMP/tap.out" '"record":{"id":100000,' 30
printf '{"bookmarks":{"public-t":{"lsn":%s}}}\n' 999999999999999 >>"$states"
sleep 2
c_forged=$(confirmed)
tap_max=$(grep '^{"type":"STATE"' "$TEST_TMP/tap.out" | grep -o '"lsn":[0-9]*' | cut -d: -f2 | sort -n | tail -n 1)
assert_eq true "$([ "$c_forged" -le "$tap_max" ] && echo true)" "a forged line: confirmed $c_forged is not past the tap's own output ($tap_max)"

kill -TERM "$tap"
wait "$pipe" || true
trap - EXIT
assert_eq "0 0" "$(cat "$TEST_TMP/tap.rc") $(cat "$TEST_TMP/target.rc")" "SIGTERM: tap and target exit 0"
cols="id, v"
psql -X -q -A -t -d "$src" -c "COPY t TO STDOUT" | sort >"$TEST_TMP/src.txt"
psql -X -q -A -t -d "$dst" -c "COPY (SELECT $cols FROM public.t) TO STDOUT" | sort >"$TEST_TMP/dst.txt"
assert_eq 0 "$(comm -3 "$TEST_TMP/src.txt" "$TEST_TMP/dst.txt" | wc -l)" "source and target are equal (both ways)"
drop_slots "$src"
finish
