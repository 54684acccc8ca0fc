#!/usr/bin/env bash
# End to end: tap-postgres LOG_BASED | target-postgres (hard_delete, primary_key_required
# false) of a table without a primary key under REPLICA IDENTITY FULL, with equal rows and
# NULLs: after the initial copy and a run of inserts and deletes, source and target hold the
# same rows (as multisets: EXCEPT ALL both ways, and the counts).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../logical/log_lib.sh"

src=target_keyless_src
dst=target_keyless_dst
fresh_db "$src"
fresh_db "$dst"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
CREATE TABLE nk (a int, b text, c numeric(10,2));
ALTER TABLE nk REPLICA IDENTITY FULL;
INSERT INTO nk SELECT i % 1000, CASE WHEN i % 5 = 0 THEN NULL WHEN i % 7 = 0 THEN '' ELSE 'v' || (i % 3) END,
  CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 4) * 1.5 END FROM generate_series(1, 4000) i;
SQL
log_config "$src" >"$TEST_TMP/tap.json"
target_config "$dst" '"default_target_schema":"public","hard_delete":true,"primary_key_required":false,"batch_size_rows":700' >"$TEST_TMP/target.json"
log_catalog "$TEST_TMP/tap.json" public-nk >"$TEST_TMP/catalog.json"

pipeline() { # STATE_IN STATES_OUT
    set +e
    "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" ${1:+--state "$1"} 2>"$TEST_TMP/tap.err" |
        "$TARGET_BIN" --config "$TEST_TMP/target.json" >"$2" 2>"$TEST_TMP/target.err"
    RC=$?
    set -e
    tail -n 1 "$2" >"$TEST_TMP/state.json"
}
compare() { # MESSAGE
    psql_q "$src" "COPY (SELECT a, b, c FROM public.nk ORDER BY 1, 2, 3) TO STDOUT" >"$TEST_TMP/src.tsv"
    psql_q "$dst" "COPY (SELECT a, b, c FROM public.nk ORDER BY 1, 2, 3) TO STDOUT" >"$TEST_TMP/dst.tsv"
    assert_files_eq "$TEST_TMP/src.tsv" "$TEST_TMP/dst.tsv" "$1: the same rows, each as often, in source and target"
    assert_eq "$(psql_q "$src" "SELECT count(*) FROM nk")" "$(psql_q "$dst" "SELECT count(*) FROM nk")" "$1: row counts"
}

pipeline "" "$TEST_TMP/states1.jsonl"
assert_eq 0 "$RC" "run 1 (initial copy): tap | target exits 0"
compare "after the initial copy"

# deletes of rows that have equal twins, of rows with NULLs and '', of every copy of a row, an
# insert of a row equal to existing ones and its delete in the same run
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
DELETE FROM nk WHERE ctid = (SELECT min(ctid) FROM nk WHERE a = 1 AND b = 'v1');
DELETE FROM nk WHERE ctid = (SELECT min(ctid) FROM nk WHERE b IS NULL AND c IS NULL);
DELETE FROM nk WHERE ctid = (SELECT min(ctid) FROM nk WHERE b = '');
DELETE FROM nk WHERE a = 2;
INSERT INTO nk VALUES (3, 'v0', 0), (3, 'v0', 0), (4000, NULL, NULL);
DELETE FROM nk WHERE ctid = (SELECT max(ctid) FROM nk WHERE a = 3 AND b = 'v0' AND c = 0);
SQL
pipeline "$TEST_TMP/state.json" "$TEST_TMP/states2.jsonl"
assert_eq 0 "$RC" "run 2 (deletes): tap | target exits 0"
compare "after the deletes"
assert_not_contains "$(cat "$TEST_TMP/target.err")" "found no row" "run 2: every delete found its row"
drop_slots "$src"
finish
