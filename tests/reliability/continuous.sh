#!/usr/bin/env bash
# Kill loop of a continuous LOG_BASED pipeline (README "Running continuously"): tap (no run
# bound, state_feedback_file) | target >> states.jsonl, while the writer of rel_lib.sh writes;
# every run is SIGKILLed (the tap, the target or both) or ended by SIGTERM after a random delay
# of up to KILL_SPAN_MS (default 4000), each run starting from the last whole line of
# states.jsonl. After every run the state is checked against the target (rel_lib.sh); the slot
# is never confirmed past that line (no run copies a table again: that would be the warning of
# a state behind the slot); SIGTERM ends both programs with exit 0. Then the writer stops, a
# last run catches up and is ended by SIGTERM, and source and target are compared with SQL,
# EXCEPT both ways over every column.
# (ctest sets KILLS; CONT_KILLS overrides it: about a minute of kills with 25)
#   CONT_KILLS=25 SKIP_ASAN=1 tests/run.sh -R reliability_continuous_wal2json
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/rel_lib.sh"
KILLS=${CONT_KILLS:-$KILLS}

METHOD=LOG_BASED
PLUGIN=${PLUGIN:-pgoutput}
SRC=rel_cont_${PLUGIN}_src
DST=rel_cont_${PLUGIN}_dst
ROWS=${ROWS:-3000}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
KILL_SPAN_MS=${KILL_SPAN_MS:-4000}
STATE=$TEST_TMP/state.json
STATES_FILE=$TEST_TMP/states.jsonl
NONE_ACTION=term_tap
rm -f "$STATE" "$STATES_FILE"
echo "# continuous kill loop: PLUGIN=$PLUGIN KILLS=$KILLS SEED=$SEED ROWS=$ROWS"

rel_setup
TABLES="items pairs events"
log_config "$SRC" '"itersize":50,"break_at_end_lsn":false,"max_run_seconds":0,"logical_poll_total_seconds":0,"state_interval_seconds":0.5,"state_feedback_file":"'"$STATES_FILE"'"' \
    >"$TEST_TMP/tap.json"
log_catalog "$TEST_TMP/tap.json" public-items public-pairs public-events >"$TEST_TMP/catalog.json"
[ "$(grep -o '"selected":true' "$TEST_TMP/catalog.json" | wc -l)" = 3 ] ||
    { echo "bad catalog" >&2; cat "$TEST_TMP/catalog.json" >&2; exit 1; }
target_config "$DST" '"default_target_schema":"public","hard_delete":true,"primary_key_required":false,"batch_size_rows":100,"batch_wait_limit_seconds":0.5' \
    >"$TEST_TMP/target.json"

# the action of a run that is not killed: SIGTERM to the tap (run_pipeline's $tap); the tap
# ends after its transaction with a final STATE, the target at the end of its input. A SIGTERM
# in the tap's first milliseconds (longer under ASan), before it set its handler, would end it
# by the default action (exit 143): wait until it catches SIGTERM (bit 15 of SigCgt)
term_tap() {
    local i mask
    for i in $(seq 1 500); do
        mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$tap/status" 2>/dev/null || true)
        [ -z "$mask" ] && break # gone
        (((16#$mask >> 14) & 1)) && break
        sleep 0.01
    done
    kill -TERM "$tap" 2>/dev/null || true
}

t_start=$(date +%s)
writer_start
kill_loop
writer_stop
assert_eq 0 "$VIOLATIONS" "continuous: $KILLS_DONE kills, the state the target wrote last was true after every run"

# the last run: streams until its state covers everything the writer committed, then SIGTERM
end_lsn=$(psql_q "$SRC" "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")
# one more commit (of a table no stream reads): the server's position then passes end_lsn
psql_q "$SRC" "INSERT INTO wctl VALUES (true)" >/dev/null
catch_up() {
    local i l
    for i in $(seq 1 1200); do
        # (no line with an lsn yet: every kill came before the first state, or the copy goes on)
        l=$(grep -o '"lsn":[0-9]*' <(tail -n 1 "$STATES_FILE" 2>/dev/null) | cut -d: -f2 | sort -n | head -n 1 || true)
        [ -n "$l" ] && [ "$l" -ge "$end_lsn" ] && break
        sleep 0.1
    done
    kill -TERM "$tap" 2>/dev/null || true
}
load_state "$STATE"
RUN=clean
run_pipeline clean catch_up 0
assert_eq "0 0" "$TAP_RC $TGT_RC" "continuous: the last run, ended by SIGTERM, exits 0 (tap and target)"
final_compare
# the slot was never confirmed past the last whole state line: no run found its state behind
# the slot (which copies the table again) and no table was copied twice
assert_eq 0 "$(grep -c "is behind the slot's confirmed position\|cannot be honoured" "$TEST_TMP/tap.err" || true)" \
    "continuous: no run found its state behind the slot's confirmed position"
confirmed=$(slot_lsn "pipelinewise_$SRC" confirmed_flush_lsn)
last=$(grep -o '"lsn":[0-9]*' <(tail -n 1 "$STATES_FILE") | cut -d: -f2 | sort -n | head -n 1)
assert_eq true "$([ "${confirmed:-0}" -gt 0 ] && [ "$confirmed" -le "$last" ] && echo true)" \
    "continuous: the slot's confirmed position ($confirmed) moved and is not past the last state line ($last)"
echo "# events: $(dst_count "SELECT count(*) - count(DISTINCT id) FROM public.events") duplicate rows from replays (no key: at-least-once)"
drop_slots "$SRC"
echo "# continuous/$PLUGIN: $KILLS_DONE kills survived in $(($(date +%s) - t_start))s (SEED=$SEED)"
finish
