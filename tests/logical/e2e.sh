#!/usr/bin/env bash
# End to end with $PLUGIN: tap-postgres LOG_BASED | target-postgres (hard_delete) into a second
# database, over an initial copy and then a run of changes (inserts, updates, deletes, a key
# change, an unchanged TOAST value, a TRUNCATE, a new column); source and target are then
# compared with SQL both ways.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

src=log_e2e_src_$PLUGIN
dst=log_e2e_dst_$PLUGIN
fresh_db "$src"
fresh_db "$dst"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(12,2), seen timestamptz, day date,
                    doc jsonb, flag boolean, tags text[]);
INSERT INTO items SELECT i, 'item ' || i || E'\t\\ é', i * 1.25, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute',
  date '2024-01-01' + i, jsonb_build_object('k', i), i % 2 = 0, ARRAY['a' || i, NULL]
  FROM generate_series(1, 2000) i;
CREATE TABLE docs (id int PRIMARY KEY, big text, n int);
ALTER TABLE docs ALTER COLUMN big SET STORAGE EXTERNAL;
INSERT INTO docs SELECT d, (SELECT string_agg(md5((i * d)::text), '') FROM generate_series(1, 100) i), 0
  FROM generate_series(1, 20) d;
CREATE TABLE gone (id int PRIMARY KEY, v text);
INSERT INTO gone SELECT i, 'old' FROM generate_series(1, 100) i;
SQL
log_config "$src" >"$TEST_TMP/tap.json"
target_config "$dst" '"default_target_schema":"public","hard_delete":true,"batch_size_rows":500' >"$TEST_TMP/target.json"
log_catalog "$TEST_TMP/tap.json" public-items public-docs public-gone >"$TEST_TMP/catalog.json"

pipeline() { # STATE_IN STATES_OUT
    set +e
    "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" ${1:+--state "$1"} 2>"$TEST_TMP/tap.err" |
        "$TARGET_BIN" --config "$TEST_TMP/target.json" >"$2" 2>"$TEST_TMP/target.err"
    RC=$?
    set -e
    tail -n 1 "$2" >"$TEST_TMP/state.json"
}

# the target stores dates as timestamptz and arrays as jsonb: compare in those forms
compare() { # MESSAGE
    local items="id, name, price, seen, day, doc, flag, tags"
    local items_src="id, name, price, seen, day::timestamptz AS day, doc, flag, to_jsonb(tags) AS tags"
    for t in "items|$items_src|$items" "docs|id, big, n|id, big, n" "gone|id, v|id, v"; do
        local table=${t%%|*} rest=${t#*|}
        psql_q "$src" "COPY (SELECT ${rest%%|*} FROM public.$table ORDER BY 1) TO STDOUT" >"$TEST_TMP/src.tsv"
        psql_q "$dst" "COPY (SELECT ${rest#*|} FROM public.$table ORDER BY 1) TO STDOUT" >"$TEST_TMP/dst.tsv"
        assert_files_eq "$TEST_TMP/src.tsv" "$TEST_TMP/dst.tsv" "$1: $table equal in source and target"
    done
}

pipeline "" "$TEST_TMP/states1.jsonl"
assert_eq 0 "$RC" "run 1 (initial copy): tap | target exits 0"
compare "after the initial copy"

psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
INSERT INTO items SELECT i, 'new ' || i, i, now(), current_date, '{"n": true}', NULL, '{}' FROM generate_series(2001, 2100) i;
UPDATE items SET price = price * 2, doc = doc || '{"u": 1}' WHERE id % 10 = 0;
DELETE FROM items WHERE id % 7 = 0;
UPDATE items SET id = id + 100000 WHERE id BETWEEN 1 AND 5;
UPDATE docs SET n = n + 1 WHERE id <= 10;
UPDATE docs SET id = id + 100 WHERE id IN (19, 20);
TRUNCATE gone;
INSERT INTO gone VALUES (1, 'new one'), (500, 'five hundred');
ALTER TABLE items ADD COLUMN extra text;
UPDATE items SET extra = 'x' || id WHERE id BETWEEN 6 AND 9;
SQL
pipeline "$TEST_TMP/state.json" "$TEST_TMP/states2.jsonl"
assert_eq 0 "$RC" "run 2 (changes): tap | target exits 0"
compare "after the changes"
psql_q "$src" "COPY (SELECT id, extra FROM items WHERE extra IS NOT NULL ORDER BY id) TO STDOUT" >"$TEST_TMP/src.tsv"
psql_q "$dst" "COPY (SELECT id, extra FROM items WHERE extra IS NOT NULL ORDER BY id) TO STDOUT" >"$TEST_TMP/dst.tsv"
assert_files_eq "$TEST_TMP/src.tsv" "$TEST_TMP/dst.tsv" "the new column arrives in the target"
assert_eq 0 "$(psql_q "$dst" "SELECT count(*) FROM items WHERE id IN (1, 2, 3, 4, 5, 7, 14, 2002)")" "deleted keys are gone from the target"
assert_contains "$(tail -n 1 "$TEST_TMP/states2.jsonl")" '"lsn":' "the target's last state carries the lsn"
drop_slots "$src"
finish
