#!/usr/bin/env bash
# recopy_streams with LOG_BASED ($PLUGIN; README "Re-copying one stream"): tap | target into a
# second database.
#   1. three tables copied and streamed; rows deleted in the source then reach the target as
#      soft deletes (a run with hard_delete false), and a row is added to the target by hand:
#      rows the target holds but the source does not;
#   2. a re-copy of a (primary key: in chunks) and n (no key: in one snapshot) while b keeps
#      streaming the changes made before and during the run (a writer): b's records are its
#      changes only, a and n get new table versions, and after ACTIVATE_VERSION (hard_delete)
#      the rows the source does not hold are gone: the target equals the source;
#   3. the same config again: no re-copy (the token is in the bookmark);
#   4. a new token, kill -9 between two chunks of the re-copy: the next run resumes the chunks
#      (the token and the chunked_copy bookmark in the committed state; its position not lost
#      to the slot), and the target ends equal to the source;
#   5. snapshot_mode never: a stream named in recopy_streams is copied all the same;
#   6. and when that re-copy (no key) was interrupted, the next run copies it again.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

src=log_recopy_src_$PLUGIN
dst=log_recopy_dst_$PLUGIN
fresh_db "$src"
fresh_db "$dst"
writer=
stop_writer() {
    if [ -n "$writer" ]; then
        psql_q postgres "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE datname = '$src' AND query LIKE 'DO %'" >/dev/null
        wait "$writer" 2>/dev/null || true
        writer=
    fi
}
trap 'stop_writer; [ -n "${tap_pid:-}" ] && kill -9 "$tap_pid" 2>/dev/null; drop_slots "$src"' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
CREATE TABLE a (id bigint PRIMARY KEY, v int NOT NULL, pad text);
INSERT INTO a SELECT g, 0, 'row ' || g FROM generate_series(1, 3000) g;
CREATE TABLE b (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO b SELECT g, 0 FROM generate_series(1, 200) g;
CREATE TABLE n (x int, v text);
ALTER TABLE n REPLICA IDENTITY FULL;
INSERT INTO n SELECT g, 'n' || g FROM generate_series(1, 100) g;
CREATE TABLE m (y int, w text);
ALTER TABLE m REPLICA IDENTITY FULL;
INSERT INTO m SELECT g, 'm' || g FROM generate_series(1, 40) g;
SQL

# the writer: single-row transactions on a and b until cancelled
start_writer() {
    psql -X -q -d "$src" -c "DO \$\$ DECLARE r int; BEGIN
      FOR i IN 1..1000000 LOOP
        r := 1 + floor(random() * 200)::int;
        UPDATE b SET v = v + 1 WHERE id = r;
        IF i % 3 = 0 THEN UPDATE a SET v = v + 1 WHERE id = 1 + (i * 7919) % 3000; END IF;
        COMMIT;
        PERFORM pg_sleep(0.003);
      END LOOP; END \$\$" >/dev/null 2>&1 &
    writer=$!
}

old_pgoutput=
if [ "$PLUGIN" = pgoutput ] && [ "$(psql_q "$src" "SHOW server_version_num")" -lt 140000 ]; then
    psql_q "$src" "CREATE TABLE tap_watermarks (slot_name text PRIMARY KEY, watermark text)"
    old_pgoutput='"snapshot_watermark_table":"public.tap_watermarks"'
fi
tap_cfg() { # FILE [extra]
    log_config "$src" "\"tap_id\":\"r\",\"snapshot_chunk_rows\":100${old_pgoutput:+,$old_pgoutput}${2:+,$2}" >"$1"
}
target_config "$dst" '"default_target_schema":"public","hard_delete":true,"primary_key_required":false,"batch_size_rows":500' >"$TEST_TMP/target.json"
target_config "$dst" '"default_target_schema":"public","add_metadata_columns":true,"primary_key_required":false,"batch_size_rows":500' >"$TEST_TMP/target_soft.json"
tap_cfg "$TEST_TMP/tap0.json"
log_catalog "$TEST_TMP/tap0.json" public-a public-b public-n public-m >"$TEST_TMP/catalog.json"

pipeline() { # TAP_CONFIG STATE_IN NAME [TARGET_CONFIG]: tap output in NAME.out, logs NAME.err
    set +e
    "$TAP_BIN" --config "$1" --catalog "$TEST_TMP/catalog.json" ${2:+--state "$2"} 2>"$TEST_TMP/$3.err" |
        tee "$TEST_TMP/$3.out" | "$TARGET_BIN" --config "${4:-$TEST_TMP/target.json}" >"$TEST_TMP/$3.states" 2>"$TEST_TMP/$3.target"
    RC=$?
    set -e
    tail -n 1 "$TEST_TMP/$3.states" >"$TEST_TMP/$3.state"
}
compare() { # MESSAGE
    local t cols
    for t in "a|id, v, pad" "b|id, v" "n|x, v" "m|y, w"; do
        cols=${t#*|}
        t=${t%%|*}
        same_rows "$src" "SELECT $cols FROM public.$t" "$dst" "SELECT $cols FROM public.$t" "$1: $t"
    done
}
count() { # FILE STREAM TYPE: the number of TYPE messages of STREAM
    grep -c "^{\"type\":\"$3\",\"stream\":\"$2\"" "$1" || true
}
version_of() { # FILE STREAM: the version of the stream's first RECORD
    { grep -m1 "^{\"type\":\"RECORD\",\"stream\":\"$2\"" "$1" || true; } | sed -E 's/.*"version":([0-9]+).*/\1/'
}

# 1. the first copy, a catch-up run; then deletes that reach the target as soft deletes only
pipeline "$TEST_TMP/tap0.json" "" r0
assert_eq 0 "$RC" "run 0 (the first copy) exits 0"
pipeline "$TEST_TMP/tap0.json" "$TEST_TMP/r0.state" r1
assert_eq 0 "$RC" "run 1 (catching up) exits 0"
psql_q "$src" "DELETE FROM a WHERE id % 50 = 0; DELETE FROM n WHERE x <= 10"
pipeline "$TEST_TMP/tap0.json" "$TEST_TMP/r1.state" r2 "$TEST_TMP/target_soft.json"
assert_eq 0 "$RC" "run 2 (the deletes, into a target without hard_delete) exits 0"
psql_q "$dst" "INSERT INTO a (id, v, pad) VALUES (999999, 0, 'only in the target')"
# (a keyless stream's delete is a row of its own with _sdc_deleted_at)
assert_eq "$((3000 + 1)) $((100 + 10))" "$(psql_q "$dst" "SELECT (SELECT count(*) FROM a) || ' ' || (SELECT count(*) FROM n)")" \
    "the target holds rows the source does not (soft-deleted ones, one added by hand)"
v_a_old=$(version_of "$TEST_TMP/r0.out" public-a)
v_n_old=$(version_of "$TEST_TMP/r0.out" public-n)

# 2. the re-copy of a and n; b streams the changes made before and during the run
psql_q "$src" "UPDATE b SET v = -1 WHERE id <= 20; DELETE FROM b WHERE id > 195; INSERT INTO b VALUES (201, 5), (202, 5)"
tap_cfg "$TEST_TMP/tap3.json" '"recopy_streams":{"public-a":"2026-12-03","public-n":"2026-12-03"}'
start_writer
sleep 0.3
pipeline "$TEST_TMP/tap3.json" "$TEST_TMP/r2.state" r3
stop_writer
assert_eq 0 "$RC" "run 3 (the re-copy while the writer runs) exits 0"
e3=$(cat "$TEST_TMP/r3.err")
assert_contains "$e3" 'stream "public-a": recopy_streams asks for a re-copy (token "2026-12-03", the bookmark has none): copied again from the start as a new table version' \
    "the re-copy of a is logged with its token"
assert_contains "$e3" 'stream "public-n": recopy_streams asks for a re-copy (token "2026-12-03"' "the re-copy of n is logged"
assert_not_contains "$e3" 'stream "public-b": recopy' "b is not copied again"
assert_contains "$e3" 'stream "public-a": initial copy in chunks of 100 rows, interleaved with the stream' "a (primary key) is copied again in chunks"
assert_contains "$e3" 'stream "public-n": copied inside the exported snapshot of the slot in one transaction, not in chunks: it has no primary key' \
    "n (no key) is copied again in one snapshot"
assert_not_contains "$e3" "behind the slot" "no position is found lost"
# (a's stream starts at the slot's confirmed position: run 2's deletes come again, as deletes)
assert_eq "$(psql_q "$src" "SELECT count(*) FROM a")" "$(grep '^{"type":"RECORD","stream":"public-a"' "$TEST_TMP/r3.out" | grep -v '"_sdc_deleted_at":"' |
    sed -E 's/.*"record":\{"id":([0-9]+).*/\1/' | sort -u | wc -l | tr -d ' ')" "every row of a is sent again"
assert_eq 90 "$(count "$TEST_TMP/r3.out" public-n RECORD)" "every row of n is sent again (once)"
nb=$(count "$TEST_TMP/r3.out" public-b RECORD)
assert_eq 1 "$([ "$nb" -ge 27 ] && echo 1 || echo 0)" "b streams the changes made before the run and during it ($nb records)"
assert_contains "$(record_ids "$TEST_TMP/r3.out" public-b | tr '\n' ' ')" " 201 " "b's insert made before the run is streamed"
assert_eq 0 "$(grep '^{"type":"RECORD","stream":"public-b"' "$TEST_TMP/r3.out" | grep -c '"record":{"id":1[0-9][0-9],"v":0[,}]' || true)" \
    "b is not copied: no record of an unchanged row"
assert_eq 0 "$(count "$TEST_TMP/r3.out" public-b ACTIVATE_VERSION)" "b gets no ACTIVATE_VERSION"
v_a=$(version_of "$TEST_TMP/r3.out" public-a)
v_n=$(version_of "$TEST_TMP/r3.out" public-n)
assert_eq 1 "$([ "${v_a:-0}" -gt "$v_a_old" ] && [ "${v_n:-0}" -gt "$v_n_old" ] && echo 1 || echo 0)" \
    "a and n are new table versions (a $v_a_old -> $v_a, n $v_n_old -> $v_n)"
assert_eq "{\"type\":\"ACTIVATE_VERSION\",\"stream\":\"public-a\",\"version\":$v_a}" \
    "$(grep '^{"type":"ACTIVATE_VERSION","stream":"public-a"' "$TEST_TMP/r3.out")" "one ACTIVATE_VERSION of a, at the end of its copy"
assert_eq "{\"type\":\"ACTIVATE_VERSION\",\"stream\":\"public-n\",\"version\":$v_n}" \
    "$(grep '^{"type":"ACTIVATE_VERSION","stream":"public-n"' "$TEST_TMP/r3.out")" "one ACTIVATE_VERSION of n, at the end of its copy"
first_state=$(grep -m1 '^{"type":"STATE"' "$TEST_TMP/r3.out" || true)
assert_contains "$first_state" '"public-a":{' "the first STATE has a's bookmark"
assert_contains "$(grep -o '"public-a":{[^}]*' <<<"$first_state")" '"recopy_token":"2026-12-03"' "the first STATE already holds a's token"
st3=$(cat "$TEST_TMP/r3.state")
assert_contains "$(grep -o '"public-n":{[^}]*}' <<<"$st3")" '"recopy_token":"2026-12-03"' "the committed state holds n's token"
assert_not_contains "$st3" '"chunked_copy"' "the committed state holds no copy in progress"
pipeline "$TEST_TMP/tap3.json" "$TEST_TMP/r3.state" r4
assert_eq 0 "$RC" "run 4 (the same config again) exits 0"
e4=$(cat "$TEST_TMP/r4.err")
assert_not_contains "$e4" "asks for a re-copy" "3. the same token asks for no re-copy"
assert_not_contains "$e4" "initial copy" "3. nothing is copied"
assert_eq 0 "$(($(count "$TEST_TMP/r4.out" public-a ACTIVATE_VERSION) + $(count "$TEST_TMP/r4.out" public-n ACTIVATE_VERSION)))" "3. no ACTIVATE_VERSION"
compare "after the re-copy"
assert_eq 0 "$(psql_q "$dst" "SELECT count(*) FROM a WHERE id % 50 = 0 OR id = 999999")" \
    "the soft-deleted rows and the one added by hand are gone from the target"

# 4. a new token for a, kill -9 between two chunks, then resume. The tap writes into a pipe
#    that is read until the third STATE after a chunk of a and then no more: the tap blocks on
#    the full pipe (a's rows are far more than a pipe holds) and is killed there, however fast
#    the chunks go; what was read up to that STATE is what a target would have committed.
tap_cfg "$TEST_TMP/tap5.json" '"recopy_streams":{"public-a":"second"},"snapshot_chunk_rows":10'
tap_read_until "$TEST_TMP/r5.out" 3 '{"type":"STATE"*"public-a":{*"chunked_copy":{"key":\["id"\],"after":\["*' \
    "$TEST_TMP/r5.err" --config "$TEST_TMP/tap5.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/r4.state"
tap_pid=$TAP_PID chunk_states=$SEEN
kill -9 "$tap_pid" 2>/dev/null || true
exec 3<&-
set +e
wait "$tap_pid" 2>/dev/null
rc=$?
set -e
tap_pid=
assert_eq "137 3" "$rc $chunk_states" "the tap is killed (kill -9) in the middle of the re-copy of a, after 3 chunks read"
assert_contains "$(cat "$TEST_TMP/r5.err")" 'stream "public-a": recopy_streams asks for a re-copy (token "second", the bookmark'"'"'s is "2026-12-03")' \
    "a new token asks for another re-copy"
# the slot is confirmed past no position of a in the run's STATEs (its copy began at the slot's
# confirmed position, behind b's bookmark): a run stopped after any of them resumes the chunks
min_a=$(grep '^{"type":"STATE"' "$TEST_TMP/r5.out" | python3 -c '
import json, sys
bms = (json.loads(l)["value"]["bookmarks"]["public-a"] for l in sys.stdin)
print(min((b["lsn"] for b in bms if "lsn" in b), default=0))')
confirmed=$(psql_q postgres "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM pg_replication_slots WHERE database = '$src' AND NOT temporary")
assert_eq 1 "$([ "$confirmed" -le "$min_a" ] && echo 1 || echo 0)" \
    "the slot's confirmed position ($confirmed) is not past a's lsn in any STATE of the run (at least $min_a)"
last=$(grep -n '^{"type":"STATE"' "$TEST_TMP/r5.out" | tail -n 1 | cut -d: -f1)
head -n "${last:-0}" "$TEST_TMP/r5.out" | "$TARGET_BIN" --config "$TEST_TMP/target.json" >"$TEST_TMP/r5.states" 2>"$TEST_TMP/r5.target" || true
tail -n 1 "$TEST_TMP/r5.states" >"$TEST_TMP/r5.state"
bm=$(grep -o '"public-a":{[^}]*}[^}]*}' "$TEST_TMP/r5.state" || true)
assert_contains "$bm" '"recopy_token":"second"' "the committed state holds the new token"
assert_contains "$bm" '"chunked_copy":{"key":["id"],"after":["' "the committed state holds the re-copy's last chunk"
after_rows=$({ grep -o '"rows":[0-9]*' <<<"$bm" || true; } | cut -d: -f2)
pipeline "$TEST_TMP/tap5.json" "$TEST_TMP/r5.state" r6
assert_eq 0 "$RC" "the run after kill -9 exits 0"
e6=$(cat "$TEST_TMP/r6.err")
assert_not_contains "$e6" "asks for a re-copy" "the run after kill -9 starts no other re-copy"
assert_not_contains "$e6" "behind the slot" "the killed run's position of a is not lost to the slot"
assert_contains "$e6" "stream \"public-a\": resuming its copy in chunks after ${after_rows:-?} rows" "it resumes the chunks after the last one committed"
assert_eq "$(version_of "$TEST_TMP/r5.out" public-a)" "$(version_of "$TEST_TMP/r6.out" public-a)" "with the killed run's version"
assert_eq 1 "$(count "$TEST_TMP/r6.out" public-a ACTIVATE_VERSION)" "and ACTIVATE_VERSION at the end of the copy"
pipeline "$TEST_TMP/tap5.json" "$TEST_TMP/r6.state" r7
assert_eq 0 "$RC" "the catch-up run after the resume exits 0"
assert_not_contains "$(cat "$TEST_TMP/r7.err")" "initial copy" "the catch-up run copies nothing"
compare "after kill -9 in the re-copy and its resume"

# 5. snapshot_mode never: a stream asked for is copied all the same
tap_cfg "$TEST_TMP/tap8.json" '"snapshot_mode":"never","recopy_streams":{"public-n":"third"}'
pipeline "$TEST_TMP/tap8.json" "$TEST_TMP/r7.state" r8
assert_eq 0 "$RC" "5. the re-copy with snapshot_mode never exits 0"
assert_not_contains "$(cat "$TEST_TMP/r8.err")" 'stream "public-n": snapshot_mode never: not copied' "5. snapshot_mode never does not cancel the re-copy"
assert_eq "90 1" "$(count "$TEST_TMP/r8.out" public-n RECORD) $(count "$TEST_TMP/r8.out" public-n ACTIVATE_VERSION)" \
    "5. every row of n is sent again, then ACTIVATE_VERSION"
compare "after the re-copy with snapshot_mode never"

# 6. snapshot_mode never, an interrupted re-copy of streams without a key: n and m asked again,
#    the tap killed (kill -9) after the run's first STATE, written when m's copy is done and
#    before n's is (the streams are copied in the order of their names): it holds n's new token
#    and no position of n. The next run copies n again (its re-copy was not done),
#    snapshot_mode never notwithstanding.
tap_cfg "$TEST_TMP/tap9.json" '"snapshot_mode":"never","recopy_streams":{"public-n":"fourth","public-m":"fourth"}'
tap_read_until "$TEST_TMP/r9.out" 1 '{"type":"STATE"*' "$TEST_TMP/r9.err" \
    --config "$TEST_TMP/tap9.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/r8.state"
tap_pid=$TAP_PID
kill -9 "$tap_pid" 2>/dev/null || true
exec 3<&-
wait "$tap_pid" 2>/dev/null || true
tap_pid=
assert_eq "40 1 0" "$(count "$TEST_TMP/r9.out" public-m RECORD) $(count "$TEST_TMP/r9.out" public-m ACTIVATE_VERSION) $(count "$TEST_TMP/r9.out" public-n ACTIVATE_VERSION)" \
    "6. the killed run copied m, not n to its end"
"$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/r9.out" >"$TEST_TMP/r9.states" 2>"$TEST_TMP/r9.target" || true
tail -n 1 "$TEST_TMP/r9.states" >"$TEST_TMP/r9.state"
bm_n=$(grep -o '"public-n":{[^}]*}' "$TEST_TMP/r9.state" || true)
assert_contains "$bm_n" '"recopy_token":"fourth"' "6. the killed run's state holds n's new token"
assert_not_contains "$bm_n" '"lsn"' "6. and no position of n (its re-copy is not done)"
pipeline "$TEST_TMP/tap9.json" "$TEST_TMP/r9.state" r10
assert_eq 0 "$RC" "6. the run after the interrupted re-copy exits 0"
e10=$(cat "$TEST_TMP/r10.err")
assert_not_contains "$e10" 'snapshot_mode never: not copied' "6. snapshot_mode never does not drop the interrupted re-copy"
assert_contains "$e10" 'stream "public-n": its re-copy (recopy_streams token "fourth") was interrupted: copied again from the start' \
    "6. the interrupted re-copy is logged"
assert_not_contains "$e10" 'stream "public-m": its re-copy' "6. m's finished re-copy is not made again"
assert_eq "0 90 1" "$(count "$TEST_TMP/r10.out" public-m RECORD) $(count "$TEST_TMP/r10.out" public-n RECORD) $(count "$TEST_TMP/r10.out" public-n ACTIVATE_VERSION)" \
    "6. every row of n is sent again, then ACTIVATE_VERSION; m is not copied"
compare "after the interrupted re-copy with snapshot_mode never"
finish
