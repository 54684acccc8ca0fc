#!/usr/bin/env bash
# Faults of the pipes (README "Faults and recovery"): standard output closed early by its
# reader, a write error on standard output, standard input cut in the middle of a line; for
# the tap and the target. Each: the exit code, the message, the last STATE the target wrote
# true of the target (check_state), and a clean run from it ends with source == target.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/rel_lib.sh"

METHOD=FULL_TABLE
ROWS=${ROWS:-5000}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
SRC=fault_io_src
DST=fault_io_dst
STATE=$TEST_TMP/state.json
TABLES="items pairs"
rel_setup
tap_config "$SRC" '"itersize":200' >"$TEST_TMP/tap.json"
log_catalog "$TEST_TMP/tap.json" public-items public-pairs |
    sed 's/"replication-method":"LOG_BASED"/"replication-method":"FULL_TABLE"/' >"$TEST_TMP/catalog.json"
target_config "$DST" '"default_target_schema":"public","hard_delete":true,"primary_key_required":false,"batch_size_rows":500' >"$TEST_TMP/target.json"
TAP=("$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json")
TGT=("$TARGET_BIN" --config "$TEST_TMP/target.json")

# --- the tap: its reader closes the pipe after a few lines
set +e
"${TAP[@]}" 2>"$TEST_TMP/tap.err" | head -n 3 >/dev/null
rc=${PIPESTATUS[0]}
set -e
assert_eq 7 "$rc" "tap, stdout closed early: exit 7"
assert_contains "$(cat "$TEST_TMP/tap.err")" "cannot write to standard output: the reading side closed the pipe" \
    "tap, stdout closed early: said"

# --- the tap: a write error on stdout
run_cmd /dev/null "$TEST_TMP/tap.err" bash -c '"$@" >/dev/full' _ "${TAP[@]}"
assert_eq 7 "$RC" "tap, write error on stdout: exit 7"
assert_contains "$(cat "$TEST_TMP/tap.err")" "cannot write to standard output: No space left on device" \
    "tap, write error on stdout: said"

# the tap's whole output, for the target cases
run_cmd "$TEST_TMP/tap.out" "$TEST_TMP/tap.err" "${TAP[@]}"
assert_eq 0 "$RC" "a whole tap run"
lines=$(wc -l <"$TEST_TMP/tap.out")

# --- the target: its reader closes the pipe after the first STATE
set +e
"${TGT[@]}" <"$TEST_TMP/tap.out" 2>"$TEST_TMP/target.err" | head -n 1 >"$TEST_TMP/head.out"
rc=${PIPESTATUS[0]}
set -e
assert_eq 7 "$rc" "target, stdout closed early: exit 7"
assert_contains "$(cat "$TEST_TMP/target.err")" "cannot write to standard output" "target, stdout closed early: said"
RUN=stdout-closed VIOLATIONS=0 CHECKS=0
note_versions "$TEST_TMP/head.out" 0
check_state "$TEST_TMP/head.out"
assert_eq 0 "$VIOLATIONS" "target, stdout closed early: the STATE it wrote covers committed data only"

# --- the target: a write error on stdout
psql_q "$DST" "DROP TABLE IF EXISTS public.items, public.pairs" >/dev/null
run_cmd /dev/null "$TEST_TMP/target.err" bash -c '"$@" <"'"$TEST_TMP/tap.out"'" >/dev/full' _ "${TGT[@]}"
assert_eq 7 "$RC" "target, write error on stdout: exit 7"
assert_contains "$(cat "$TEST_TMP/target.err")" "cannot write to standard output: No space left on device" \
    "target, write error on stdout: said"

# --- the target: stdin cut in the middle of a line (a third of the way in)
psql_q "$DST" "DROP TABLE IF EXISTS public.items, public.pairs; TRUNCATE chk.versions" >/dev/null
cut_at=$(($(wc -c <"$TEST_TMP/tap.out") / 3))
cut_line=$(head -c "$cut_at" "$TEST_TMP/tap.out" | wc -l)
cut_line=$((cut_line + 1))
[ "$(head -c "$cut_at" "$TEST_TMP/tap.out" | tail -c 1 | od -An -c | tr -d ' ')" != '\n' ] ||
    { cut_at=$((cut_at + 1)); cut_line=$((cut_line + 1)); }
run_cmd "$TEST_TMP/cut.out" "$TEST_TMP/target.err" bash -c 'head -c '"$cut_at"' "'"$TEST_TMP/tap.out"'" | "$@"' _ "${TGT[@]}"
assert_eq 6 "$RC" "target, stdin cut mid-line: exit 6"
assert_contains "$(cat "$TEST_TMP/target.err")" "line $cut_line" "target, stdin cut mid-line: the line is named ($cut_line of $lines)"
note_versions "$TEST_TMP/cut.out" 0
tail -n 1 "$TEST_TMP/cut.out" >"$STATE"
RUN=stdin-cut VIOLATIONS=0 CHECKS=0
check_state "$STATE"
assert_eq 0 "$VIOLATIONS" "target, stdin cut mid-line: the last STATE covers committed data only ($CHECKS checks)"
assert_eq yes "$([ -s "$STATE" ] && echo yes || echo no)" "target, stdin cut mid-line: the records before the cut are loaded and their STATE written"

# the next runs from that state: source == target
RUN=clean
run_pipeline clean none 0
assert_eq "0 0" "$TAP_RC $TGT_RC" "the next run exits 0"
run_pipeline clean2 none 0
assert_eq "0 0" "$TAP_RC $TGT_RC" "a second run (a new version) exits 0"
final_compare
finish
