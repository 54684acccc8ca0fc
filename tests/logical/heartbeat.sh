#!/usr/bin/env bash
# Heartbeats (README "Running continuously"): on a database where nothing is written, a
# continuous tap | target >> states.jsonl with heartbeat_seconds keeps moving the slot's
# confirmed position (logical messages, read by the stream: pgoutput's "messages" option);
# heartbeat_action_query writes the user's table instead; a failing heartbeat stops the run
# naming the setting; heartbeat_action_query without heartbeat_seconds is a config error.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/log_lib.sh"

src=log_hb_src_${PLUGIN:-pgoutput}
dst=log_hb_dst_${PLUGIN:-pgoutput}
slot=pipelinewise_$src
fresh_db "$src"
fresh_db "$dst"
psql_q "$src" "CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a');
  CREATE TABLE hb (id int PRIMARY KEY, n bigint, at timestamptz)"
states=$TEST_TMP/states.jsonl
CONT='"break_at_end_lsn":false,"max_run_seconds":0,"logical_poll_total_seconds":0,"state_interval_seconds":0.5,"state_feedback_file":"'"$states"'"'
target_config "$dst" '"default_target_schema":"public","batch_wait_limit_seconds":0.5' >"$TEST_TMP/target.json"

# run_until_moved CONFIG TAG: a continuous pipeline; the slot's confirmed position must move
# by itself (nothing else writes); then SIGTERM. Sets MOVED_FROM / MOVED_TO.
run_until_moved() {
    local config=$1 tag=$2 c0 c i
    ("$TAP_BIN" --config "$config" --catalog "$TEST_TMP/catalog.json" ${STATE_ARG:+--state "$STATE_ARG"} \
        2>"$TEST_TMP/$tag.err"; echo $? >"$TEST_TMP/$tag.rc") |
        "$TARGET_BIN" --config "$TEST_TMP/target.json" >>"$states" 2>"$TEST_TMP/$tag.target.err" &
    local pipe=$!
    wait_for "$TEST_TMP/$tag.err" "logical replication started" 60
    local tap
    tap=$(pgrep -n -f "tap-postgres --config $config")
    # the position of the start confirmed, then nothing written by anyone but the heartbeats
    sleep 2
    c0=$(slot_lsn "$slot" confirmed_flush_lsn)
    c=$c0
    for i in $(seq 1 100); do
        sleep 0.2
        c=$(slot_lsn "$slot" confirmed_flush_lsn)
        [ "$c" -gt "$((c0 + 0))" ] && [ "$i" -gt 10 ] && break
    done
    MOVED_FROM=$c0 MOVED_TO=$c
    kill -TERM "$tap"
    wait "$pipe" || true
}

log_config "$src" "$CONT,\"heartbeat_seconds\":0.5" >"$TEST_TMP/msg.json"
log_catalog "$TEST_TMP/msg.json" public-t >"$TEST_TMP/catalog.json"
STATE_ARG=""
run_until_moved "$TEST_TMP/msg.json" msg
assert_eq 0 "$(cat "$TEST_TMP/msg.rc")" "logical messages: SIGTERM, exit 0"
assert_eq true "$([ "$MOVED_TO" -gt "$MOVED_FROM" ] && echo true)" \
    "logical messages: the confirmed position moves on a database without writes ($MOVED_FROM -> $MOVED_TO)"
received=$(grep -o "heartbeats written, [0-9]* logical messages received" "$TEST_TMP/msg.err" | grep -o "[0-9]* logical" | cut -d' ' -f1)
if [ "$PLUGIN" = pgoutput ] && [ "$(psql_q postgres "SHOW server_version_num")" -lt 140000 ]; then
    assert_eq 0 "${received:-0}" "logical messages: pgoutput before 14 has no messages option (the positions come from keepalives)"
else
    assert_eq true "$([ "${received:-0}" -gt 0 ] && echo true)" "logical messages: the stream received them ($received)"
fi
tail -n 1 "$states" >"$TEST_TMP/s1"

# heartbeat_action_query: the user's statement
log_config "$src" "$CONT,\"heartbeat_seconds\":0.5,\"heartbeat_action_query\":\"INSERT INTO hb VALUES (1, 1, now()) ON CONFLICT (id) DO UPDATE SET n = hb.n + 1, at = now()\"" \
    >"$TEST_TMP/query.json"
STATE_ARG=$TEST_TMP/s1
run_until_moved "$TEST_TMP/query.json" query
assert_eq 0 "$(cat "$TEST_TMP/query.rc")" "heartbeat_action_query: SIGTERM, exit 0"
assert_eq true "$([ "$MOVED_TO" -gt "$MOVED_FROM" ] && echo true)" \
    "heartbeat_action_query: the confirmed position moves ($MOVED_FROM -> $MOVED_TO)"
assert_eq true "$([ "$(psql_q "$src" "SELECT n FROM hb WHERE id = 1")" -gt 2 ] && echo true)" \
    "heartbeat_action_query: the statement ran every heartbeat_seconds"
tail -n 1 "$states" >"$TEST_TMP/s2"

# a heartbeat that fails: the run stops (exit 4) naming the setting
psql_q "$src" "CREATE ROLE hb_reader_$PLUGIN LOGIN REPLICATION; GRANT SELECT ON ALL TABLES IN SCHEMA public TO hb_reader_$PLUGIN" >/dev/null 2>&1 ||
    psql_q "$src" "GRANT SELECT ON ALL TABLES IN SCHEMA public TO hb_reader_$PLUGIN" >/dev/null
sed -E "s/\"user\":\"[^\"]*\"/\"user\":\"hb_reader_$PLUGIN\"/" "$TEST_TMP/query.json" >"$TEST_TMP/denied.json"
run_cmd "$TEST_TMP/o3" "$TEST_TMP/e3" timeout 60 "$TAP_BIN" --config "$TEST_TMP/denied.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/s2"
assert_eq 4 "$RC" "a heartbeat the role may not write: exit 4"
assert_contains "$(cat "$TEST_TMP/e3")" 'heartbeat_action_query failed: permission denied for table hb' "the failure names the setting and the cause"

# heartbeat_action_query alone: a config error
log_config "$src" '"heartbeat_action_query":"SELECT 1"' >"$TEST_TMP/bad.json"
run_cmd "$TEST_TMP/o4" "$TEST_TMP/e4" "$TAP_BIN" --config "$TEST_TMP/bad.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 3 "$RC" "heartbeat_action_query without heartbeat_seconds: exit 3"
assert_contains "$(cat "$TEST_TMP/e4")" 'key "heartbeat_action_query" needs heartbeat_seconds' "the error names the keys"
psql_q postgres "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '$slot' AND active" >/dev/null
sleep 0.5
drop_slots "$src"
psql_q "$src" "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM hb_reader_$PLUGIN" >/dev/null
psql_q postgres "DROP ROLE IF EXISTS hb_reader_$PLUGIN" >/dev/null 2>&1 || true
finish
