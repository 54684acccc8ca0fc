#!/usr/bin/env bash
# TRUNCATE with $PLUGIN: several tables in one statement and CASCADE (one new table version per
# stream), a partitioned table (one new version, whichever way the plugin lists its partitions),
# and a TRUNCATE of ONE partition: the stream is neither emptied in the target (the other
# partitions keep their rows) nor left with the truncated rows: it takes no more changes and is
# copied again at the end of the same run as a new table version (the STATE written before that
# copy has no lsn for it, so an interrupted run leaves the copy to the next one).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_trunc_$PLUGIN
fresh_db "$db"
psql_q "$db" "CREATE TABLE a (id int PRIMARY KEY);
  CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id));
  CREATE TABLE c (id int PRIMARY KEY);
  CREATE TABLE p (id int, r int, PRIMARY KEY (id, r)) PARTITION BY RANGE (r);
  CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
  CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (10) TO (20);
  INSERT INTO a VALUES (1); INSERT INTO b VALUES (1, 1); INSERT INTO c VALUES (1);
  INSERT INTO p VALUES (1, 1), (2, 15)" >/dev/null
log_config "$db" >"$TEST_TMP/config.json"
log_catalog "$TEST_TMP/config.json" public-a public-b public-c public-p >"$TEST_TMP/catalog.json"
run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "run 1 (copy) exits 0"
last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"

psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null 2>&1 <<'SQL'
TRUNCATE a CASCADE;
INSERT INTO a VALUES (2); INSERT INTO b VALUES (2, 2);
TRUNCATE c, b;
INSERT INTO c VALUES (3);
INSERT INTO p VALUES (3, 3), (4, 14);
TRUNCATE p;
INSERT INTO p VALUES (5, 5), (6, 16);
TRUNCATE p1;
INSERT INTO p VALUES (7, 17);
SQL
psql_q "$db" "SELECT pg_switch_wal() IS NOT NULL" >/dev/null
run_cmd "$TEST_TMP/o2" "$TEST_TMP/e2" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s1"
assert_eq 0 "$RC" "run 2 (truncates) exits 0"
# the messages of run 2 in order, one word per message: stream:kind[:id]
grep -v '^{"type":"S' "$TEST_TMP/o2" | sed -E \
    -e 's/^\{"type":"ACTIVATE_VERSION","stream":"public-([a-z]+)".*/\1:AV/' \
    -e 's/^\{"type":"RECORD","stream":"public-([a-z]+)","record":\{"id":([0-9]+).*/\1:\2/' |
    tr '\n' ' ' >"$TEST_TMP/seq2"
assert_eq "a:AV b:AV a:2 b:2 c:AV b:AV c:3 p:3 p:4 p:AV p:5 p:6 p:6 p:7 p:AV " "$(cat "$TEST_TMP/seq2")" \
    "one ACTIVATE_VERSION per truncated stream, in place; a one-partition TRUNCATE empties nothing, and p is copied again at the end (the rows left: 6 and 7)"
assert_contains "$(cat "$TEST_TMP/e2")" 'stream "public-p": TRUNCATE of "public"."p1" empties only part of the stream'"'"'s rows: the stream takes no more changes and is copied again at the end of the run' \
    "a one-partition TRUNCATE is named"
# the STATE between the stream's end and the copy has no lsn for p
states=$(grep '^{"type":"STATE"' "$TEST_TMP/o2")
assert_contains "$(echo "$states" | tail -n 2 | head -n 1)" '"public-p":{"last_replication_method":"LOG_BASED","version":' \
    "the STATE before the copy again has no lsn for p"
last_state "$TEST_TMP/o2" >"$TEST_TMP/s2"
if grep -qE '"public-p":\{[^}]*"lsn"' "$TEST_TMP/s2"; then ok "the last state has p's lsn again (after its copy)"; else not_ok "p has no lsn: $(cat "$TEST_TMP/s2")"; fi
if grep -qE '"public-c":\{[^}]*"lsn"' "$TEST_TMP/s2"; then ok "the other streams keep their lsn"; else not_ok "c lost its lsn: $(cat "$TEST_TMP/s2")"; fi

run_cmd "$TEST_TMP/o3" "$TEST_TMP/e3" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s2"
assert_eq 0 "$RC" "run 3 exits 0"
assert_eq 0 "$(grep -c '^{"type":"RECORD"' "$TEST_TMP/o3" || true)" "run 3 sends nothing again"

if [ "$PLUGIN" = pgoutput ]; then
    assert_eq f "$(psql_q "$db" "SELECT pubviaroot FROM pg_publication WHERE pubname = 'pipelinewise_$db'")" \
        "the tap's publication lists partitions under their own names (so a one-partition TRUNCATE is published)"
    psql_q "$db" "ALTER PUBLICATION pipelinewise_$db SET (publish_via_partition_root = true)"
    last_state "$TEST_TMP/o3" >"$TEST_TMP/s3"
    run_cmd "$TEST_TMP/o4" "$TEST_TMP/e4" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s3"
    assert_eq 0 "$RC" "publish_via_partition_root = true: exit 0"
    assert_contains "$(cat "$TEST_TMP/e4")" "publication \"pipelinewise_$db\" has publish_via_partition_root = true: a TRUNCATE of a single partition of \"public\".\"p\" is not published" \
        "publish_via_partition_root = true is warned about"
fi
drop_slots "$db"
finish
