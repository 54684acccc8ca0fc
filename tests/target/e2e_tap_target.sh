#!/usr/bin/env bash
# End to end: tap-postgres | target-postgres from a source database into a second one, then
# source and target compared row by row.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
src=target_e2e_src
dst=target_e2e_dst
fresh_db "$src"
fresh_db "$dst"
psql_q "$src" "CREATE TABLE public.items (id bigint PRIMARY KEY, name text, price numeric(12,2),
  qty integer, seen timestamptz, day date, doc jsonb, flag boolean, note text)" >/dev/null
psql_q "$src" "INSERT INTO public.items SELECT i, 'item ' || i || E'\t\\\\ é', i * 1.25, i % 7,
  timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute', date '2024-01-01' + i,
  jsonb_build_object('k', i, 'a', jsonb_build_array(i, 'x')), i % 2 = 0,
  CASE WHEN i % 3 = 0 THEN NULL WHEN i % 3 = 1 THEN '' ELSE 'n' END
  FROM generate_series(1, 5000) i" >/dev/null
tap_config "$src" >"$TEST_TMP/tap.json"
target_config "$dst" '"default_target_schema":"public","batch_size_rows":1000' >"$TEST_TMP/target.json"
"$TAP_BIN" --config "$TEST_TMP/tap.json" --discover >"$TEST_TMP/catalog.json"
# select every stream
sed -E 's/"breadcrumb":\[\],"metadata":\{/"breadcrumb":[],"metadata":{"selected":true,"replication-method":"FULL_TABLE",/g' "$TEST_TMP/catalog.json" >"$TEST_TMP/selected.json"
set +e
"$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/selected.json" |
    "$TARGET_BIN" --config "$TEST_TMP/target.json" >"$TEST_TMP/states.jsonl" 2>"$TEST_TMP/target.err"
rc=$?
set -e
assert_eq 0 "$rc" "tap | target: exit code"
cols="id, name, price, qty, seen, day::timestamptz AS day, doc, flag, note"
psql_q "$src" "COPY (SELECT $cols FROM public.items ORDER BY id) TO STDOUT" >"$TEST_TMP/src.tsv"
psql_q "$dst" "COPY (SELECT $cols FROM public.items ORDER BY id) TO STDOUT" >"$TEST_TMP/dst.tsv"
assert_files_eq "$TEST_TMP/src.tsv" "$TEST_TMP/dst.tsv" "source and target rows are equal (both ways)"
assert_contains "$(tail -n 1 "$TEST_TMP/states.jsonl")" '"bookmarks"' "the last line is a state"
finish
