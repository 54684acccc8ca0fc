#!/usr/bin/env bash
# Inheritance and partition trees with $PLUGIN, tap | target (hard_delete) into a second database:
# (a) an inheritance parent selected with one of its children (the parent's copy holds every
# child's rows, so it must get every child's changes); (b) a three-level partition tree with root,
# intermediate partition and leaf all selected, one with its root only, one with its intermediate
# partition only; (c) a partition selected with its root. After the copy, after inserts, updates
# (some moving rows to another partition), deletes, new columns and a new partition, and after
# TRUNCATEs of children, leaves and intermediate partitions, every stream's table in the target
# equals the source table as a plain SELECT reads it.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

src=log_parts_src_$PLUGIN
dst=log_parts_dst_$PLUGIN
fresh_db "$src"
fresh_db "$dst"
psql_f "$src" "$LOG_TESTS_DIR/sql/partitions.sql" >/dev/null
log_config "$src" >"$TEST_TMP/tap.json"
target_config "$dst" '"default_target_schema":"public","hard_delete":true' >"$TEST_TMP/target.json"
streams="ip ic ra ma la1 rb mc rd ld1"
ids=()
for s in $streams; do ids+=("public-$s"); done
log_catalog "$TEST_TMP/tap.json" "${ids[@]}" >"$TEST_TMP/catalog.json"
assert_eq 9 "$(grep -c '"tap_stream_id"' "$TEST_TMP/catalog.json")" "discovery lists the parents, children and partitions"

pipeline() { # N STATE_IN
    set +e
    "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" ${2:+--state "$2"} 2>"$TEST_TMP/tap$1.err" |
        "$TARGET_BIN" --config "$TEST_TMP/target.json" >"$TEST_TMP/states$1.jsonl" 2>"$TEST_TMP/target$1.err"
    RC=$?
    set -e
    tail -n 1 "$TEST_TMP/states$1.jsonl" >"$TEST_TMP/state.json"
}

# the columns of each stream's table, as the source has them now
cols() {
    psql_q "$src" "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                   WHERE attrelid = 'public.$1'::regclass AND attnum > 0 AND NOT attisdropped"
}

compare() { # WHEN
    local s c
    for s in $streams; do
        c=$(cols "$s")
        psql_q "$src" "COPY (SELECT $c FROM public.$s ORDER BY 1, 2) TO STDOUT" >"$TEST_TMP/src.tsv"
        if ! psql_q "$dst" "COPY (SELECT $c FROM public.$s ORDER BY 1, 2) TO STDOUT" >"$TEST_TMP/dst.tsv" 2>"$TEST_TMP/dst.err"; then
            not_ok "$1: $s: $(cat "$TEST_TMP/dst.err")"
            continue
        fi
        assert_files_eq "$TEST_TMP/src.tsv" "$TEST_TMP/dst.tsv" "$1: $s equal in source and target"
    done
}

pipeline 1 ""
assert_eq 0 "$RC" "run 1 (initial copies): tap | target exits 0"
compare "after the copy"

psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
INSERT INTO ip VALUES (3, 'p3');
INSERT INTO ic VALUES (12, 'c12', 'e12');
INSERT INTO ic2 VALUES (22, 'd22', 22);
UPDATE ip SET v = 'p1u' WHERE id = 1;
UPDATE ic SET v = 'c10u', extra = 'e10u' WHERE id = 10;
UPDATE ic2 SET v = 'd20u' WHERE id = 20;
DELETE FROM ip WHERE id = 2;
DELETE FROM ic WHERE id = 11;
DELETE FROM ic2 WHERE id = 21;
ALTER TABLE ic ADD COLUMN extra2 int;
UPDATE ic SET extra2 = 5 WHERE id = 12;
ALTER TABLE ip ADD COLUMN w int;
UPDATE ip SET w = id * 2;
CREATE TABLE ic3 (PRIMARY KEY (id)) INHERITS (ip);
INSERT INTO ic3 VALUES (40, 'e40', 80), (41, 'e41', 82);
DELETE FROM ic3 WHERE id = 41;
DO $$
DECLARE x text;
BEGIN
  FOREACH x IN ARRAY ARRAY['a', 'b', 'c', 'd'] LOOP
    EXECUTE format('INSERT INTO r%s SELECT i, i %% 200, ''n'' || i FROM generate_series(401, 450) i', x);
    EXECUTE format('UPDATE r%s SET v = ''u'' || id WHERE id %% 10 = 0', x);
    EXECUTE format('UPDATE r%s SET k = k + 50 WHERE id %% 17 = 0 AND k < 150', x);
    EXECUTE format('DELETE FROM r%s WHERE id %% 13 = 0', x);
    EXECUTE format('UPDATE l%s1 SET v = ''leaf'' WHERE id %% 7 = 0', x);
    EXECUTE format('CREATE TABLE n%s PARTITION OF r%s FOR VALUES FROM (200) TO (300)', x, x);
    EXECUTE format('INSERT INTO r%s SELECT i, 200 + i %% 100, ''new'' || i FROM generate_series(1, 30) i', x);
  END LOOP;
END $$;
SQL
pipeline 2 "$TEST_TMP/state.json"
assert_eq 0 "$RC" "run 2 (changes): tap | target exits 0"
compare "after the changes"
assert_not_contains "$(cat "$TEST_TMP/tap2.err")" "dropped since" "a child's own column is not taken for a dropped one"
if [ "$PLUGIN" = pgoutput ]; then
    # the new child's changes before this run were never published: the parent is copied again
    assert_contains "$(cat "$TEST_TMP/tap2.err")" 'stream "public-ip": table "public"."ic3" was not in publication' \
        "a child new since the last run is added to the publication, and its parent copied again"
    assert_eq 1 "$(psql_q "$src" "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'pipelinewise_$src' AND tablename = 'ic3'")" \
        "the new child is published"
fi

psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
TRUNCATE ic2;
INSERT INTO ic2 (id, v, n, w) VALUES (30, 'd30', 30, 1);
TRUNCATE ic;
INSERT INTO ic (id, v, extra, extra2, w) VALUES (31, 'c31', 'e31', 7, 2);
TRUNCATE la2;
INSERT INTO ra VALUES (1000, 60, 'after la2');
TRUNCATE ma;
INSERT INTO ra VALUES (1001, 10, 'after ma'), (1002, 70, 'after ma');
TRUNCATE mb;
TRUNCATE lc1;
INSERT INTO rc VALUES (1003, 20, 'after lc1');
TRUNCATE ld1;
INSERT INTO rd VALUES (1004, 30, 'after ld1');
TRUNCATE ONLY ip;
INSERT INTO ip (id, v, w) VALUES (5, 'p5', 10);
SQL
pipeline 3 "$TEST_TMP/state.json"
assert_eq 0 "$RC" "run 3 (truncates): tap | target exits 0"
compare "after the truncates"
assert_contains "$(cat "$TEST_TMP/tap3.err")" 'stream "public-ip": TRUNCATE of "public"."ic2" empties only part of the stream'"'"'s rows' \
    "a child's TRUNCATE empties part of the parent's stream, and says so"

pipeline 4 "$TEST_TMP/state.json"
assert_eq 0 "$RC" "run 4 (nothing new): exit 0"
compare "after a run without changes"
assert_eq 0 "$(grep -c '^{"type":"RECORD"' <("$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state.json" 2>/dev/null) || true)" \
    "the copies at the end of run 3 are not repeated"

# TRUNCATE of the parent with its children, and of a root: whole new versions, nothing copied again
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
TRUNCATE ip;
INSERT INTO ip (id, v, w) VALUES (6, 'p6', 1);
INSERT INTO ic (id, v, extra, extra2, w) VALUES (32, 'c32', 'e32', 8, 3);
TRUNCATE ra;
INSERT INTO ra VALUES (2000, 5, 'after ra'), (2001, 150, 'after ra');
SQL
pipeline 5 "$TEST_TMP/state.json"
assert_eq 0 "$RC" "run 5 (TRUNCATE of a parent and of a root): exit 0"
compare "after the whole truncates"
assert_not_contains "$(cat "$TEST_TMP/tap5.err")" "empties only part" "a TRUNCATE of the parent with its children empties the whole streams"

if [ "$PLUGIN" = pgoutput ]; then
    psql_q "$src" "ALTER PUBLICATION pipelinewise_$src SET (publish_via_partition_root = true)"
    run_cmd "$TEST_TMP/ov" "$TEST_TMP/ev" "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state.json"
    assert_eq 3 "$RC" "publish_via_partition_root = true with a partition selected with its root: exit 3"
    assert_contains "$(cat "$TEST_TMP/ev")" "publication \"pipelinewise_$src\" has publish_via_partition_root = true: the changes of partition \"public\".\"ma\" reach the slot under the name of its root only" \
        "the message names the partition and the setting"
    psql_q "$src" "ALTER PUBLICATION pipelinewise_$src SET (publish_via_partition_root = false)"
fi

# a child whose replica identity does not hold the parent stream's key: refused at the start
psql_q "$src" "CREATE TABLE kp (id int PRIMARY KEY, v text);
  CREATE TABLE kc (code text PRIMARY KEY) INHERITS (kp);
  INSERT INTO kc VALUES (1, 'x', 'c1')" >/dev/null
log_catalog "$TEST_TMP/tap.json" public-kp >"$TEST_TMP/catalog_k.json"
run_cmd "$TEST_TMP/ok" "$TEST_TMP/ek" "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog_k.json"
assert_eq 3 "$RC" "a child whose replica identity lacks the parent's key: exit 3"
assert_contains "$(cat "$TEST_TMP/ek")" 'stream "public-kp" reads the rows of "public"."kc" (a partition or inheritance child of its table), whose replica identity does not hold the stream'"'"'s key column "id"' \
    "the message names the stream, the child and the key column"
assert_eq 0 "$(grep -c '"type":"RECORD"' "$TEST_TMP/ok" || true)" "nothing is copied"
psql_q "$src" "ALTER TABLE kc REPLICA IDENTITY FULL" >/dev/null
run_cmd "$TEST_TMP/ok2" "$TEST_TMP/ek2" "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog_k.json"
assert_eq 0 "$RC" "with REPLICA IDENTITY FULL on the child: exit 0"

drop_slots "$src"
finish
