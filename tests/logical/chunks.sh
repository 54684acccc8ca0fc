#!/usr/bin/env bash
# The LOG_BASED initial copy in chunks ($PLUGIN; snapshot_chunk_rows, README "Big tables: the
# copy in chunks"): tap | target into a second database while a writer updates, deletes,
# inserts and re-keys rows of the tables being copied.
#   1. exactness: a 20,000-row table (bigint key) and a 3,000-row table with a composite key
#      copied in chunks of 1,000 while the writer runs; a keyless table copied in one snapshot
#      (the fallback); then the writer stops and a second run catches up. Source and target are
#      equal (EXCEPT both ways, and the same number of rows); the chunks' windows did replace
#      rows with the writer's changes (the reconciliation ran).
#   2. kill -9 in the middle of a chunk (a new slot, a new target database, the writer still
#      running): the next run resumes after the last chunk of the state (it does not copy the
#      table again) and the target ends equal to the source.
#   3. a watermark table (snapshot_watermark_table) instead of logical messages.
#   4. snapshot_chunk_rows = 0 keeps the copy in one snapshot; a bad value is a config error;
#   5. updates that do not carry an unchanged TOAST value, inside chunks' windows: the target
#      ends with every value;
#   6. a key of timestamptz, float8 and numeric under updates: the changes find their rows in
#      the waiting chunks.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

src=log_chunks_src_$PLUGIN
dst=log_chunks_dst_$PLUGIN
dst2=log_chunks_dst2_$PLUGIN
dst3=log_chunks_dst3_$PLUGIN
for d in "$src" "$dst" "$dst2" "$dst3"; do fresh_db "$d"; done
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
CREATE TABLE big (id bigint PRIMARY KEY, v int NOT NULL, pad text);
INSERT INTO big SELECT g, 0, 'row ' || g || E' tab\there' FROM generate_series(1, 20000) g;
CREATE TABLE pair (a int, b text, v int, PRIMARY KEY (a, b));
INSERT INTO pair SELECT g / 3, 'k' || (g % 3), 0 FROM generate_series(3, 3002) g;
CREATE TABLE nokey (x int, v text);
ALTER TABLE nokey REPLICA IDENTITY FULL;
INSERT INTO nokey SELECT g, 'n' || g FROM generate_series(1, 500) g;
CREATE TABLE tap_watermarks (slot_name text PRIMARY KEY, watermark text);
SQL

# the writer: single-row transactions on big and pair, about 2 ms apart, until cancelled
start_writer() {
    psql -X -q -d "$src" -c "DO \$\$ DECLARE r bigint; BEGIN
      FOR i IN 1..1000000 LOOP
        r := 1 + floor(random() * 26000)::bigint;
        CASE i % 6
          WHEN 0 THEN UPDATE big SET v = v + 1 WHERE id = r;
          WHEN 1 THEN DELETE FROM big WHERE id = r;
          WHEN 2 THEN INSERT INTO big VALUES (r, 1000, 'ins') ON CONFLICT (id) DO UPDATE SET v = big.v + 1000;
          WHEN 3 THEN UPDATE big SET id = id + 1000000 WHERE id = r AND NOT EXISTS (SELECT 1 FROM big WHERE id = r + 1000000);
          WHEN 4 THEN UPDATE pair SET v = v + 1 WHERE a = r % 1100 AND b = 'k' || (r % 3);
          ELSE IF r % 2 = 0 THEN DELETE FROM pair WHERE a = r % 1100 AND b = 'k' || (r % 3);
               ELSE INSERT INTO pair VALUES (r % 1100, 'k' || (r % 3), 7) ON CONFLICT (a, b) DO UPDATE SET v = pair.v + 7; END IF;
        END CASE;
        UPDATE big SET v = v + 1 WHERE id = 1 + (i * 7919) % 20000;
        COMMIT;
        PERFORM pg_sleep(0.002);
      END LOOP; END \$\$" >/dev/null 2>&1 &
    writer=$!
}

compare() { # DST MESSAGE
    local t cols
    for t in "big|id, v, pad" "pair|a, b, v" "nokey|x, v"; do
        cols=${t#*|}
        t=${t%%|*}
        same_rows "$src" "SELECT $cols FROM public.$t" "$1" "SELECT $cols FROM public.$t" "$2: $t"
    done
}

# pgoutput sends logical messages from PostgreSQL 14 on: before, the chunks need the table
old_pgoutput=
if [ "$PLUGIN" = pgoutput ] && [ "$(psql_q "$src" "SHOW server_version_num")" -lt 140000 ]; then
    old_pgoutput='"snapshot_watermark_table":"public.tap_watermarks"'
fi
tap_cfg() { # FILE TAP_ID [extra] [CHUNK_ROWS (default 1000)]
    log_config "$src" "\"tap_id\":\"$2\",\"snapshot_chunk_rows\":${4:-1000},\"break_at_end_lsn\":true${old_pgoutput:+,$old_pgoutput}${3:+,$3}" >"$1"
}
tap_cfg "$TEST_TMP/tap.json" c1
target_config "$dst" '"default_target_schema":"public","hard_delete":true,"primary_key_required":false,"batch_size_rows":2000' >"$TEST_TMP/target.json"
target_config "$dst2" '"default_target_schema":"public","hard_delete":true,"primary_key_required":false,"batch_size_rows":500' >"$TEST_TMP/target2.json"
target_config "$dst3" '"default_target_schema":"public","hard_delete":true,"primary_key_required":false,"batch_size_rows":2000' >"$TEST_TMP/target3.json"
log_catalog "$TEST_TMP/tap.json" public-big public-pair public-nokey >"$TEST_TMP/catalog.json"

pipeline() { # TAP_CONFIG TARGET_CONFIG STATE_IN STATES_OUT ERR [CATALOG]
    set +e
    "$TAP_BIN" --config "$1" --catalog "${6:-$TEST_TMP/catalog.json}" ${3:+--state "$3"} 2>"$5" |
        "$TARGET_BIN" --config "$2" >"$4" 2>"$5.target"
    RC=$?
    set -e
}

# 1. exactness under concurrent writes
start_writer
sleep 0.5
pipeline "$TEST_TMP/tap.json" "$TEST_TMP/target.json" "" "$TEST_TMP/states1" "$TEST_TMP/e1"
assert_eq 0 "$RC" "run 1 (copy in chunks while the writer runs) exits 0"
assert_contains "$(cat "$TEST_TMP/e1")" 'stream "public-big": initial copy in chunks of 1000 rows' "big goes in chunks"
assert_contains "$(cat "$TEST_TMP/e1")" 'stream "public-pair": initial copy in chunks of 1000 rows' "pair (composite key) goes in chunks"
assert_contains "$(cat "$TEST_TMP/e1")" 'stream "public-nokey": copied inside the exported snapshot of the slot in one transaction, not in chunks: it has no primary key' \
    "the keyless table is copied in one snapshot"
done_line=$(grep -o 'stream "public-big": initial copy in chunks done: .*' "$TEST_TMP/e1" || true)
taken=$(echo "$done_line" | sed -E 's/.*, ([0-9]+) of their rows replaced.*/\1/')
if [ -n "$taken" ] && [ "$taken" -gt 0 ]; then
    ok "the writer's changes replaced rows inside chunk windows ($done_line)"
else
    not_ok "no chunk row was replaced by a change in its window: the reconciliation did not run ($done_line)"
fi
chunks=$(echo "$done_line" | sed -E 's/.*; ([0-9]+) chunks in this run.*/\1/')
assert_eq 1 "$([ "${chunks:-0}" -ge 20 ] && echo 1 || echo 0)" "big took at least 20 chunks ($chunks)"
tail -n 1 "$TEST_TMP/states1" >"$TEST_TMP/s1"
assert_not_contains "$(cat "$TEST_TMP/s1")" '"chunked_copy"' "the final state holds no chunked copy in progress"
stop_writer
pipeline "$TEST_TMP/tap.json" "$TEST_TMP/target.json" "$TEST_TMP/s1" "$TEST_TMP/states2" "$TEST_TMP/e2"
assert_eq 0 "$RC" "run 2 (catching up after the writer stopped) exits 0"
compare "$dst" "after the copy in chunks under writes and a catch-up run"

# 2. kill -9 in the middle of a chunk, then resume (a new slot: tap_id c2)
# chunks of 50 rows (400 for big): a copy that lasts long enough for the kill to land inside it
# on an idle machine too (chunks of 1,000 can all be done before the test sees the first STATE;
# chunks of 100 were, once in a few runs), seen at 0.01 s
tap_cfg "$TEST_TMP/tap2.json" c2 "" 50
start_writer
# the tap writes to a file (the kill must not depend on how fast the target commits); the
# target then loads what precedes the tap's last STATE, as it would have committed it
LOG_LEVEL=debug "$TAP_BIN" --config "$TEST_TMP/tap2.json" --catalog "$TEST_TMP/catalog.json" >"$TEST_TMP/kout1" 2>"$TEST_TMP/k1" &
tap_pid=$!
# once a STATE after a chunk of big is out, kill the tap as soon as it has read its next chunk
# (before that chunk's high watermark arrives)
if wait_for "$TEST_TMP/kout1" '"public-big":{[^}]*"chunked_copy":{"key":\["id"\],"after":\["' 120 100; then
    n=$(grep -c 'stream "public-big": chunk [0-9]* read' "$TEST_TMP/k1" || true)
    if wait_for "$TEST_TMP/k1" "stream \"public-big\": chunk $((n + 1)) read" 120 100; then
        kill -9 "$tap_pid"
        ok "the tap is killed (kill -9) once chunk $((n + 1)) of big is read, before its high watermark"
    else
        not_ok "chunk $((n + 1)) of big never read"
    fi
else
    not_ok "the tap never wrote a STATE after a chunk of big"
fi
kill -9 "$tap_pid" 2>/dev/null || true
wait "$tap_pid" 2>/dev/null || true
tap_pid=
last=$(grep -n '^{"type":"STATE"' "$TEST_TMP/kout1" | tail -n 1 | cut -d: -f1)
head -n "${last:-0}" "$TEST_TMP/kout1" | "$TARGET_BIN" --config "$TEST_TMP/target2.json" >"$TEST_TMP/kstates1" 2>"$TEST_TMP/k1.target" || true
tail -n 1 "$TEST_TMP/kstates1" >"$TEST_TMP/ks1"
assert_contains "$(cat "$TEST_TMP/ks1")" '"chunked_copy":{"key":["id"],"after":["' "the last state holds big's last completed chunk"
after_rows=$(grep -o '"public-big":{[^}]*}' "$TEST_TMP/ks1" | grep -o '"rows":[0-9]*' | cut -d: -f2)
pipeline "$TEST_TMP/tap2.json" "$TEST_TMP/target2.json" "$TEST_TMP/ks1" "$TEST_TMP/kstates2" "$TEST_TMP/k2"
assert_eq 0 "$RC" "the resumed run exits 0"
assert_contains "$(cat "$TEST_TMP/k2")" "stream \"public-big\": resuming its copy in chunks after ${after_rows:-?} rows" \
    "the resumed run continues after the state's last chunk"
resumed_chunks=$(grep -o 'stream "public-big": initial copy in chunks done: .*' "$TEST_TMP/k2" | sed -E 's/.*; ([0-9]+) chunks in this run.*/\1/')
if [ -n "$resumed_chunks" ] && [ "$resumed_chunks" -lt 400 ]; then
    ok "the resumed run copies only the rest of big ($resumed_chunks chunks, not the whole table again)"
else
    not_ok "the resumed run copied ${resumed_chunks:-?} chunks of big"
fi
stop_writer
tail -n 1 "$TEST_TMP/kstates2" >"$TEST_TMP/ks2"
pipeline "$TEST_TMP/tap2.json" "$TEST_TMP/target2.json" "$TEST_TMP/ks2" "$TEST_TMP/kstates3" "$TEST_TMP/k3"
assert_eq 0 "$RC" "the catch-up run after the resume exits 0"
compare "$dst2" "after kill -9 in a chunk and a resumed copy"

# 3. watermarks in a table the user names (a new slot: tap_id c3)
old_pgoutput=
tap_cfg "$TEST_TMP/tap3.json" c3 '"snapshot_watermark_table":"public.tap_watermarks"'
start_writer
pipeline "$TEST_TMP/tap3.json" "$TEST_TMP/target3.json" "" "$TEST_TMP/wstates1" "$TEST_TMP/w1"
assert_eq 0 "$RC" "the copy with a watermark table exits 0"
assert_contains "$(cat "$TEST_TMP/w1")" 'stream "public-big": initial copy in chunks done: ' "the copy with a watermark table ends"
n=$(psql_q "$src" "SELECT count(*) FROM tap_watermarks WHERE slot_name LIKE '%_c3' AND watermark LIKE '%/high'")
assert_eq 1 "$n" "the watermark table holds the slot's last watermark"
stop_writer
tail -n 1 "$TEST_TMP/wstates1" >"$TEST_TMP/ws1"
pipeline "$TEST_TMP/tap3.json" "$TEST_TMP/target3.json" "$TEST_TMP/ws1" "$TEST_TMP/wstates2" "$TEST_TMP/w2"
assert_eq 0 "$RC" "the catch-up run with a watermark table exits 0"
compare "$dst3" "with a watermark table"

# 4. snapshot_chunk_rows 0: one snapshot as before; a bad value is refused
log_config "$src" '"tap_id":"c4","snapshot_chunk_rows":0' >"$TEST_TMP/tap4.json"
run_cmd "$TEST_TMP/z1" "$TEST_TMP/ze1" "$TAP_BIN" --config "$TEST_TMP/tap4.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "snapshot_chunk_rows 0: exit 0"
assert_not_contains "$(cat "$TEST_TMP/ze1")" "in chunks" "snapshot_chunk_rows 0: nothing goes in chunks"
assert_eq "$(psql_q "$src" "SELECT count(*) FROM big")" "$(record_ids "$TEST_TMP/z1" public-big | sort -u | wc -l | tr -d ' ')" \
    "snapshot_chunk_rows 0: every row of big copied"
assert_contains "$(cat "$TEST_TMP/ze1")" "initial copy inside the snapshot of the slot" "snapshot_chunk_rows 0: the copy is inside the slot's snapshot"
# 4b. snapshot_chunk_rows 0 with snapshot_workers 2: the copy in the slot's snapshot read by
#     two connections sharing it (its snapshot exported again), under the writer; after a
#     catch-up run the target equals the source
dst4=log_chunks_dst4_$PLUGIN
fresh_db "$dst4"
psql_q "$src" "ANALYZE big; ANALYZE pair" >/dev/null # the composite key's ranges come from pg_stats
log_config "$src" '"tap_id":"c4w","snapshot_chunk_rows":0,"snapshot_workers":2,"break_at_end_lsn":true' >"$TEST_TMP/tap4w.json"
target_config "$dst4" '"default_target_schema":"public","hard_delete":true,"primary_key_required":false,"batch_size_rows":2000' >"$TEST_TMP/target4w.json"
start_writer
sleep 0.3
pipeline "$TEST_TMP/tap4w.json" "$TEST_TMP/target4w.json" "" "$TEST_TMP/states4w" "$TEST_TMP/e4w"
assert_eq 0 "$RC" "snapshot_workers 2 in the slot's snapshot: exit 0"
assert_contains "$(cat "$TEST_TMP/e4w")" 'stream "public-big": initial copy inside the snapshot of the slot' "snapshot_workers 2: big copied inside the slot's snapshot"
assert_contains "$(grep 'stream "public-big": [0-9]* ranges' "$TEST_TMP/e4w")" 'read by 2 connections sharing snapshot' "snapshot_workers 2: big read by 2 connections"
assert_contains "$(grep 'stream "public-pair": [0-9]* ranges' "$TEST_TMP/e4w")" 'read by 2 connections sharing snapshot' "snapshot_workers 2: pair (composite key) too"
assert_not_contains "$(cat "$TEST_TMP/states4w")" 'snapshot_ranges' "snapshot_workers 2: no ranges in the LOG_BASED state"
stop_writer
tail -n 1 "$TEST_TMP/states4w" >"$TEST_TMP/s4w"
pipeline "$TEST_TMP/tap4w.json" "$TEST_TMP/target4w.json" "$TEST_TMP/s4w" "$TEST_TMP/states4w2" "$TEST_TMP/e4w2"
assert_eq 0 "$RC" "snapshot_workers 2: the catch-up run exits 0"
compare "$dst4" "after the copy in the slot's snapshot by 2 connections under writes and a catch-up run"
log_config "$src" '"tap_id":"c5","snapshot_chunk_rows":-1' >"$TEST_TMP/tap5.json"
run_cmd "$TEST_TMP/z2" "$TEST_TMP/ze2" "$TAP_BIN" --config "$TEST_TMP/tap5.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 3 "$RC" "snapshot_chunk_rows -1: exit 3 (bad config)"
assert_contains "$(cat "$TEST_TMP/ze2")" "config key snapshot_chunk_rows: expected an integer from 0" "snapshot_chunk_rows -1: the error names the key"
# copy_under_writer STEP TABLE TAP_ID DST UPDATE: TABLE (alone, a new slot TAP_ID) copied in
# chunks of 10 into DST while the statement UPDATE (over i, the loop counter) runs every 0.5 ms,
# then a catch-up run once it stopped; the changes must have taken rows of waiting chunks
copy_under_writer() {
    local step=$1 table=$2 id=$3 dst=$4 update=$5 line taken
    log_catalog "$TEST_TMP/tap.json" "public-$table" >"$TEST_TMP/catalog_$id.json"
    tap_cfg "$TEST_TMP/tap_$id.json" "$id" "" 10
    target_config "$dst" '"default_target_schema":"public","hard_delete":true,"batch_size_rows":500' >"$TEST_TMP/target_$id.json"
    psql -X -q -d "$src" -c "DO \$\$ BEGIN
      FOR i IN 1..1000000 LOOP
        $update;
        COMMIT;
        PERFORM pg_sleep(0.0005);
      END LOOP; END \$\$" >/dev/null 2>&1 &
    writer=$!
    sleep 0.3
    pipeline "$TEST_TMP/tap_$id.json" "$TEST_TMP/target_$id.json" "" "$TEST_TMP/${id}_1.states" "$TEST_TMP/${id}_1.err" "$TEST_TMP/catalog_$id.json"
    stop_writer
    assert_eq 0 "$RC" "$step. the copy in chunks of $table under updates exits 0"
    line=$(grep -o "stream \"public-$table\": initial copy in chunks done: .*" "$TEST_TMP/${id}_1.err" || true)
    taken=$(echo "$line" | sed -E 's/.*, ([0-9]+) of their rows replaced.*/\1/')
    assert_eq 1 "$([ -n "$taken" ] && [ "$taken" -gt 0 ] && echo 1 || echo 0)" "$step. the changes took rows of waiting chunks ($line)"
    tail -n 1 "$TEST_TMP/${id}_1.states" >"$TEST_TMP/${id}_1.state"
    pipeline "$TEST_TMP/tap_$id.json" "$TEST_TMP/target_$id.json" "$TEST_TMP/${id}_1.state" "$TEST_TMP/${id}_2.states" "$TEST_TMP/${id}_2.err" \
        "$TEST_TMP/catalog_$id.json"
    assert_eq 0 "$RC" "$step. the catch-up run exits 0"
}

# 5. an unchanged TOAST value inside a chunk's window: the writer changes only v of docs, whose
#    doc is stored out of line, so its changes do not carry doc (pgoutput's 'u', wal2json leaves
#    it out). A change that takes a row of a waiting chunk must not leave the target without doc
#    when the target has no row of that key yet.
dst5=log_chunks_dst5_$PLUGIN
fresh_db "$dst5"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
CREATE TABLE docs (id int PRIMARY KEY, v int NOT NULL, doc text NOT NULL);
ALTER TABLE docs ALTER COLUMN doc SET STORAGE EXTERNAL;
INSERT INTO docs SELECT g, 0, g || ':' || repeat(md5(g::text), 100) FROM generate_series(1, 600) g;
SQL
copy_under_writer 5 docs c7 "$dst5" "UPDATE docs SET v = v + 1 WHERE id % 50 = i % 50"
assert_eq 0 "$(psql_q "$dst5" "SELECT count(*) FROM docs WHERE doc IS NULL")" "5. no row of the target lacks doc"
same_rows "$src" "SELECT id, v, md5(doc) FROM public.docs" "$dst5" "SELECT id, v, md5(doc) FROM public.docs" "5. docs: source = target"

# 6. a key of timestamptz, float8 and numeric: the decoder's text of a changed row's key must
#    be the chunk SELECT's, or a change would not take its row out of the waiting chunk and the
#    chunk's older row would be written after it
dst6=log_chunks_dst6_$PLUGIN
fresh_db "$dst6"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
CREATE TABLE odd (at timestamptz, f float8, n numeric, v int NOT NULL, PRIMARY KEY (at, f, n));
INSERT INTO odd SELECT timestamptz '2024-02-29 23:59:59.123456+00' + g * interval '1 hour 0.000001 s',
  g / 7.0, g * 1.10, 0 FROM generate_series(1, 600) g;
SQL
copy_under_writer 6 odd c8 "$dst6" "UPDATE odd SET v = v + 1 WHERE (n / 1.10)::int % 50 = i % 50"
same_rows "$src" "SELECT at, f, n, v FROM public.odd" "$dst6" "SELECT at, f, n, v FROM public.odd" "6. odd: source = target"

# PostgreSQL 13 with pgoutput and no watermark table: the copy stays in one snapshot, said so
if [ "$PLUGIN" = pgoutput ] && [ "$(psql_q "$src" "SHOW server_version_num")" -lt 140000 ]; then
    log_config "$src" '"tap_id":"c6","snapshot_chunk_rows":1000' >"$TEST_TMP/tap6.json"
    run_cmd "$TEST_TMP/z3" "$TEST_TMP/ze3" "$TAP_BIN" --config "$TEST_TMP/tap6.json" --catalog "$TEST_TMP/catalog.json"
    assert_eq 0 "$RC" "pgoutput before 14 without a watermark table: exit 0"
    assert_contains "$(cat "$TEST_TMP/ze3")" "the initial copies are made in one snapshot, not in chunks: pgoutput sends" \
        "pgoutput before 14 without a watermark table: one snapshot, and the log says why"
fi
finish
