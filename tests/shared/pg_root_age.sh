#!/usr/bin/env bash
# tests/pg_root.sh's cache refresh rule: a root older than PG_ROOT_MAX_AGE_DAYS (default 30) is
# due to be made again, a younger one is fresh, 0 days means never, a bad value is an error
# (on a cache of fake roots: making a real one takes minutes and the network).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
export PG_ROOTS=$TEST_TMP/roots
unset PG_ROOT_MAX_AGE_DAYS
mkdir -p "$PG_ROOTS/13" "$PG_ROOTS/17"
echo "postgres (PostgreSQL) 13.16" >"$PG_ROOTS/13/.pg_root_ready"
touch -d '40 days ago' "$PG_ROOTS/13/.pg_root_ready"
echo "postgres (PostgreSQL) 17.12" >"$PG_ROOTS/17/.pg_root_ready"
touch -d '2 days ago' "$PG_ROOTS/17/.pg_root_ready"
pr=$SOURCE_DIR/tests/pg_root.sh

assert_eq "13 40 days due" "$(bash "$pr" age 13)" "a 40-day-old root is due (default 30 days)"
assert_eq "17 2 days fresh" "$(bash "$pr" age 17)" "a 2-day-old root is fresh"
assert_eq "18 missing" "$(bash "$pr" age 18)" "a missing root"
assert_eq "13 40 days fresh" "$(PG_ROOT_MAX_AGE_DAYS=60 bash "$pr" age 13)" "PG_ROOT_MAX_AGE_DAYS=60: fresh"
assert_eq "17 2 days due" "$(PG_ROOT_MAX_AGE_DAYS=1 bash "$pr" age 17)" "PG_ROOT_MAX_AGE_DAYS=1: due"
assert_eq "13 40 days fresh" "$(PG_ROOT_MAX_AGE_DAYS=0 bash "$pr" age 13)" "PG_ROOT_MAX_AGE_DAYS=0: never made again"
run_cmd "$TEST_TMP/bad.out" "$TEST_TMP/bad.err" env PG_ROOT_MAX_AGE_DAYS=soon bash "$pr" age 13
assert_eq 2 "$RC" "PG_ROOT_MAX_AGE_DAYS=soon: exit 2"
assert_contains "$(cat "$TEST_TMP/bad.err")" 'PG_ROOT_MAX_AGE_DAYS must be a number of days (0: never made again), not "soon"' \
    "PG_ROOT_MAX_AGE_DAYS=soon: the error names the setting"
finish
