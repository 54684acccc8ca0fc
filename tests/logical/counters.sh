#!/usr/bin/env bash
# The warnings about values that cannot be carried as they are (NaN / Infinity of numbers,
# infinite timestamps) name the stream whose records held them, in the initial copy and in the
# changes that follow: three number tables and an array table (which sorts first) in one run.
# pgoutput (wal2json before 2.6 sends NaN as null, which cannot be told from a NULL).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

db=log_counters
fresh_db "$db"
psql_q "$db" "CREATE TABLE a_tags (id int PRIMARY KEY, tags text[]);
  CREATE TABLE n1 (id int PRIMARY KEY, x numeric);
  CREATE TABLE n2 (id int PRIMARY KEY, y double precision);
  CREATE TABLE n3 (id int PRIMARY KEY, z real, t timestamptz);
  INSERT INTO a_tags VALUES (1, '{a,b}');
  INSERT INTO n1 VALUES (1, 'NaN'), (2, 1.5);
  INSERT INTO n2 VALUES (1, 'Infinity'), (2, '-Infinity'), (3, 2);
  INSERT INTO n3 VALUES (1, 3, 'infinity')" >/dev/null
log_config "$db" >"$TEST_TMP/config.json"
log_catalog "$TEST_TMP/config.json" public-a_tags public-n1 public-n2 public-n3 >"$TEST_TMP/catalog.json"
run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "run 1 (copies) exits 0"
grep -o 'stream "public-[a-z0-9_]*": [0-9]* [^"]*' "$TEST_TMP/e1" | grep -E 'NaN|infinity' >"$TEST_TMP/w1" || true
assert_files_eq - "$TEST_TMP/w1" "the copies' warnings name each stream" <<'W'
stream "public-n1": 1 NaN or Infinity numeric/float values were written as null
stream "public-n2": 2 NaN or Infinity numeric/float values were written as null
stream "public-n3": 1 +infinity and 0 -infinity dates/timestamps were written as 9999-12-31T23:59:59.999999+00:00 and 0001-01-01T00:00:00+00:00
W
last_state "$TEST_TMP/o1" >"$TEST_TMP/s1"

psql_q "$db" "INSERT INTO a_tags VALUES (2, '{c}'), (3, '{}');
  INSERT INTO n1 VALUES (3, 'NaN'), (4, 'NaN'), (5, 7);
  UPDATE n2 SET y = 'NaN' WHERE id = 3;
  INSERT INTO n3 VALUES (2, 'NaN', '-infinity'), (3, '-Infinity', now()), (4, 'Infinity', now())" >/dev/null
run_cmd "$TEST_TMP/o2" "$TEST_TMP/e2" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s1"
assert_eq 0 "$RC" "run 2 (changes) exits 0"
grep -o 'stream "public-[a-z0-9_]*": [0-9]* [^"]*' "$TEST_TMP/e2" | grep -E 'NaN|infinity' >"$TEST_TMP/w2" || true
assert_files_eq - "$TEST_TMP/w2" "the changes' warnings name each stream, none the array table" <<'W'
stream "public-n1": 2 NaN or Infinity numeric/float values were written as null
stream "public-n2": 1 NaN or Infinity numeric/float values were written as null
stream "public-n3": 3 NaN or Infinity numeric/float values were written as null
stream "public-n3": 0 +infinity and 1 -infinity dates/timestamps were written as 9999-12-31T23:59:59.999999+00:00 and 0001-01-01T00:00:00+00:00
W
drop_slots "$db"
finish
