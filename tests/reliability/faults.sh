#!/usr/bin/env bash
# Fault scenarios (README "Faults and recovery"): one tap | target run from the writer's
# tables (rel_lib.sh) meets FAULT while a concurrent writer changes the source; the run must
# end with the expected exit codes and a message naming what failed, the last STATE the target
# wrote must be true of the target (check_state), and a clean run from it must end with
# source == target over every column (final_compare).
#   FAULT=freeze_source METHOD=FULL_TABLE tests/reliability/faults.sh
# FAULT is one of
#   restart_source   the source server restarted (pg_ctl -m immediate) mid-run (its own cluster)
#   restart_target   the target server restarted mid-run, during the loads (its own cluster)
#   terminate_source pg_terminate_backend on the tap's copy or replication connection
#   terminate_target pg_terminate_backend on every target worker's connection
#   drop_source, freeze_source, drop_target, freeze_target
#                    tests/tools/tcp_proxy between us and the server resets every connection,
#                    or stops forwarding while keeping the sockets open
#   role_timeouts    the roles have statement_timeout and idle_in_transaction_session_timeout
# CHUNKS=1 (LOG_BASED, restart_source / terminate_source / drop_source): no first run; the
# fault meets the initial copy in chunks (snapshot_chunk_rows 100) while the stream runs, and
# both connections are lost (terminate_source ends the chunk reader's backend too): the tap
# reads the chunk again on a new connection and streams on within the run
# ONE_SNAPSHOT=1 (LOG_BASED, terminate_source): no first run; the fault meets the initial copy
# in one snapshot (snapshot_chunk_rows 0), exported by the slot's walsender, and both
# connections are lost: not retried (the snapshot died with the walsender), the tap exits 4
# and the next run copies again
# (needs the environment tests/run.sh gives: PGTEST_PORT, TAP_BIN, TARGET_BIN, TCP_PROXY)
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/rel_lib.sh"

FAULT=${FAULT:?FAULT unset}
: "${TCP_PROXY:?TCP_PROXY unset}"
tag=$(tr "A-Z" "a-z" <<<"$METHOD")
[ "$METHOD" = LOG_BASED ] && tag="log_${PLUGIN:-wal2json}"
[ "$METHOD" = LOG_BASED ] || PLUGIN=""
# FREEZE_IDLE=1 (freeze_source, LOG_BASED): the writer stops before the freeze, so that the
# stream is idle when it freezes (and read_timeout is longer than the idle bound, below)
[ "${FREEZE_IDLE:-0}" = 1 ] && tag="${tag}_idle"
CHUNKS=${CHUNKS:-0}
[ "$CHUNKS" = 1 ] && tag="${tag}_chunks"
ONE_SNAPSHOT=${ONE_SNAPSHOT:-0}
[ "$ONE_SNAPSHOT" = 1 ] && tag="${tag}_snapshot"
ROWS=${ROWS:-20000}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
STATE=$TEST_TMP/state.json
SRC=fault_${FAULT}_${tag}_src
DST=fault_${FAULT}_${tag}_dst
SRC_PORT=$PGPORT
DST_PORT=$PGPORT
echo "# fault $FAULT: METHOD=$METHOD${PLUGIN:+ PLUGIN=$PLUGIN} ROWS=$ROWS SEED=$SEED"

# a database of another cluster is named by a conninfo string, which psql -d takes as it is;
# fresh_db (rel_setup) gets it too
fresh_db() {
    local spec=$1 port=$PGPORT db=$1
    if [[ "$spec" == *=* ]]; then
        port=$(sed -E 's/.*port=([0-9]+).*/\1/' <<<"$spec")
        db=$(sed -E 's/.*dbname=([^ ]+).*/\1/' <<<"$spec")
    fi
    PGPORT=$port psql_q postgres "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$db' AND NOT active" >/dev/null
    PGPORT=$port psql_q postgres "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    PGPORT=$port psql_q postgres "CREATE DATABASE \"$db\"" >/dev/null
}

# own_cluster: a cluster of this test's own, for the faults that restart the server
OWN=$TEST_TMP/pg
own_cluster() {
    "$SOURCE_DIR/tests/pg_cluster.sh" start "$OWN" 2>"$TEST_TMP/own_cluster.err" ||
        { cat "$TEST_TMP/own_cluster.err" >&2; exit 1; }
    OWN_PORT=$(sed -n 's/^export PGPORT=//p' "$OWN/env")
    OWN_DIR=$(sed -n 's/^export PGTEST_DIR=//p' "$OWN/env")
    trap '"$SOURCE_DIR/tests/pg_cluster.sh" stop "$OWN" || true; [ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2>/dev/null || true' EXIT
}
restart_own() {
    local as=()
    [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    (cd / && "${as[@]}" "$PGBIN/pg_ctl" -D "$OWN_DIR/data" -m immediate -w -t 60 restart -l "$OWN_DIR/server.log") >/dev/null
}

# the proxy, for the network faults
PROXY_PID=""
start_proxy() {
    rm -f "$TEST_TMP/proxy.port"
    "$TCP_PROXY" "$TEST_TMP/proxy.port" 127.0.0.1 "$1" 2>>"$TEST_TMP/proxy.err" &
    PROXY_PID=$!
    local i
    for i in $(seq 1 100); do
        [ -s "$TEST_TMP/proxy.port" ] && break
        sleep 0.05
    done
    PROXY_PORT=$(cat "$TEST_TMP/proxy.port")
    trap '[ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2>/dev/null || true' EXIT
}

case "$FAULT" in
restart_source)
    own_cluster
    SRC_PORT=$OWN_PORT
    SRC="host=127.0.0.1 port=$OWN_PORT dbname=$SRC"
    ;;
restart_target)
    own_cluster
    DST_PORT=$OWN_PORT
    DST="host=127.0.0.1 port=$OWN_PORT dbname=$DST"
    ;;
esac
dbname_of() { if [[ "$1" == *=* ]]; then sed -E 's/.*dbname=([^ ]+).*/\1/' <<<"$1"; else echo "$1"; fi; }

rel_setup
if [ "$FAULT" = role_timeouts ]; then
    # the roles of both programs: a second is more than a copy into a slow target takes
    for r in fault_tap fault_tgt; do
        psql_q postgres "DROP ROLE IF EXISTS $r; CREATE ROLE $r LOGIN SUPERUSER REPLICATION;
            ALTER ROLE $r SET statement_timeout = '1s';
            ALTER ROLE $r SET idle_in_transaction_session_timeout = '1s'" >/dev/null
    done
    psql_q postgres "ALTER ROLE fault_tgt SET statement_timeout = '20ms'" >/dev/null
fi

# the configs: the programs reach the servers directly, or through the proxy
TAP_PORT=$SRC_PORT
TGT_PORT=$DST_PORT
case "$FAULT" in
drop_source | freeze_source)
    start_proxy "$SRC_PORT"
    TAP_PORT=$PROXY_PORT
    ;;
drop_target | freeze_target)
    start_proxy "$DST_PORT"
    TGT_PORT=$PROXY_PORT
    ;;
esac
TAP_USER=$PGUSER
TGT_USER=$PGUSER
if [ "$FAULT" = role_timeouts ]; then
    TAP_USER=fault_tap
    TGT_USER=fault_tgt
fi
# a frozen connection is noticed within read_timeout plus connect_timeout (the check)
TIMEOUTS='"read_timeout":3,"connect_timeout":3'
# FREEZE_IDLE: read_timeout longer than logical_poll_total_seconds, so that the run's idle
# bound comes first and the freeze is met while the stream is ended
[ "${FREEZE_IDLE:-0}" = 1 ] && TIMEOUTS='"read_timeout":8,"connect_timeout":3'
# a server restarted in immediate mode recovers first: on a loaded machine that can take longer
# than the default three attempts wait (1 + 2 + 4 s)
ATTEMPTS=3
if [ "$FAULT" = restart_source ]; then
    ATTEMPTS=5
    TIMEOUTS="$TIMEOUTS,\"reconnect_attempts\":$ATTEMPTS"
fi
CHUNK_JSON=""
[ "$CHUNKS" = 1 ] && CHUNK_JSON=',"snapshot_chunk_rows":100'
[ "$ONE_SNAPSHOT" = 1 ] && CHUNK_JSON=',"snapshot_chunk_rows":0'
tap_json() {
    printf '{"host":"127.0.0.1","port":%s,"user":"%s","password":"","dbname":"%s","itersize":200,%s%s}\n' \
        "$TAP_PORT" "$TAP_USER" "$(dbname_of "$SRC")" "$TIMEOUTS" \
        "${PLUGIN:+,\"logical_decoding_plugin\":\"$PLUGIN\",\"logical_poll_total_seconds\":5,\"break_at_end_lsn\":false}${CHUNK_JSON:-}${1:+,$1}"
}
tgt_json() {
    printf '{"host":"127.0.0.1","port":%s,"user":"%s","password":"","dbname":"%s",%s,"default_target_schema":"public","hard_delete":true,"primary_key_required":false,"batch_size_rows":%s%s}\n' \
        "$TGT_PORT" "$TGT_USER" "$(dbname_of "$DST")" "$TIMEOUTS" "${BATCH_ROWS:-500}" "${1:+,$1}"
}
tap_json >"$TEST_TMP/tap.json"
tgt_json >"$TEST_TMP/target.json"
case "$METHOD" in
LOG_BASED) TABLES="items pairs events" ;;
*) TABLES="items pairs" ;;
esac
discover_port=$SRC_PORT
TAP_PORT_SAVE=$TAP_PORT
TAP_PORT=$SRC_PORT tap_json >"$TEST_TMP/discover.json"
streams=""
for t in $TABLES; do streams="$streams public-$t"; done
# shellcheck disable=SC2086
log_catalog "$TEST_TMP/discover.json" $streams >"$TEST_TMP/catalog.json"
if [ "$METHOD" = FULL_TABLE ]; then
    sed -i 's/"replication-method":"LOG_BASED"/"replication-method":"FULL_TABLE"/' "$TEST_TMP/catalog.json"
fi
if [ "$METHOD" = INCREMENTAL ]; then
    sed -i 's/"replication-method":"LOG_BASED"/"replication-method":"INCREMENTAL","replication-key":"seq"/' "$TEST_TMP/catalog.json"
    # distinct key values below the writer's (1, 2, ...), in key order: a resume by the last
    # value written skips what was sent before it
    psql_q "$SRC" "UPDATE items SET seq = id - $ROWS - 1; UPDATE pairs SET seq = n - $ROWS - 1" >/dev/null
fi
[ "$(grep -o '"selected":true' "$TEST_TMP/catalog.json" | wc -l)" = "$(wc -w <<<"$TABLES")" ] ||
    { echo "bad catalog" >&2; cat "$TEST_TMP/catalog.json" >&2; exit 1; }
: "$discover_port" "$TAP_PORT_SAVE"

rm -f "$STATE"
if { [ "$METHOD" = LOG_BASED ] && [ "$CHUNKS" = 0 ] && [ "$ONE_SNAPSHOT" = 0 ]; } || [ "$FAULT" = role_timeouts ]; then
    # a first run copies the tables and sets the slot up: the fault meets the stream
    RUN=setup
    run_pipeline setup none 0
    assert_eq "0 0" "$TAP_RC $TGT_RC" "setup run (the copy) exits 0"
fi

# fault_pids WHO: the backends of our connections on the server of WHO (tap: copy, or
# walsender with LOG_BASED; target: every worker)
fault_pids() {
    if [ "$1" = tap ]; then
        local kind="backend_type = 'client backend'"
        [ "$METHOD" = LOG_BASED ] && kind="backend_type = 'walsender'"
        # the copy in chunks: the walsender and the connection that reads the chunks
        [ "$CHUNKS" = 1 ] && kind="backend_type IN ('walsender', 'client backend')"
        # the copy in one snapshot: the walsender (its snapshot) and the connection that copies
        [ "$ONE_SNAPSHOT" = 1 ] && kind="backend_type IN ('walsender', 'client backend')"
        PGPORT=$SRC_PORT psql_q postgres "SELECT pid FROM pg_stat_activity WHERE application_name = 'tap-postgres'
            AND datname = '$(dbname_of "$SRC")' AND $kind"
    else
        PGPORT=$DST_PORT psql_q postgres "SELECT pid FROM pg_stat_activity WHERE application_name = 'target-postgres'
            AND datname = '$(dbname_of "$DST")'"
    fi
}

# the moment of the fault: the target has committed a batch (FULL_TABLE: the copy is under
# way; LOG_BASED: the stream is; CHUNKS: the copy in chunks is, a STATE of it committed), and the
# connection to break is there
await_moment() {
    local who=$1 i
    for i in $(seq 1 $((RUN_TIMEOUT * 10))); do
        if [ "$CHUNKS" = 1 ] && [ "$(grep -o '"chunked_copy"' "$TEST_TMP/out.fault" 2>/dev/null | wc -l)" -lt 1 ]; then
            sleep 0.02
            continue
        fi
        # the copy in one snapshot writes no STATE before its end: the target has loaded a batch
        if [ "$ONE_SNAPSHOT" = 1 ] && [ "$(psql_q "$DST" "SELECT to_regclass('public.items') IS NOT NULL
                AND EXISTS (SELECT FROM public.items)" 2>/dev/null)" != t ]; then
            sleep 0.02
            continue
        fi
        if { [ -s "$TEST_TMP/out.fault" ] || [ "$ONE_SNAPSHOT" = 1 ]; } && [ -n "$(fault_pids "$who")" ]; then
            return 0
        fi
        sleep 0.1
    done
    not_ok "$FAULT: the moment of the fault never came"
    return 1
}

# hold_lock DB TABLE SECONDS: a session holds an exclusive lock on TABLE for SECONDS, so that
# statements on it wait (returns once the lock is granted)
hold_lock() {
    psql -X -q -d "$1" -c "BEGIN; LOCK TABLE $2 IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($3); COMMIT" >/dev/null 2>&1 &
    local i
    for i in $(seq 1 100); do
        [ "$(psql_q "$1" "SELECT count(*) FROM pg_locks WHERE relation = '$2'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && return 0
        sleep 0.05
    done
    not_ok "$FAULT: could not lock $2"
}

# release_hold DB TABLE: end the session hold_lock started on TABLE (the lock goes with it)
release_hold() {
    psql_q "$1" "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE relation = '$2'::regclass
        AND mode = 'AccessExclusiveLock' AND granted AND pid <> pg_backend_pid()" >/dev/null
}

# the fault, run by run_pipeline's hook once both programs are started
fault_action() {
    case "$FAULT" in
    restart_source) await_moment tap && restart_own && echo "# the source server restarted" ;;
    restart_target) await_moment target && restart_own && echo "# the target server restarted" ;;
    terminate_source)
        await_moment tap
        echo "# terminated: $(PGPORT=$SRC_PORT psql_q postgres "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid IN ($(fault_pids tap | paste -sd,))")"
        ;;
    terminate_target)
        await_moment target
        echo "# terminated: $(PGPORT=$DST_PORT psql_q postgres "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid IN ($(fault_pids target | paste -sd,))")"
        ;;
    drop_source) await_moment tap && kill -USR1 "$PROXY_PID" && echo "# the proxy dropped the connections" ;;
    drop_target) await_moment target && kill -USR1 "$PROXY_PID" ;;
    freeze_source)
        await_moment tap || return 0
        if [ "${FREEZE_IDLE:-0}" = 1 ]; then
            psql_q "$SRC" "INSERT INTO wctl VALUES (true)" >/dev/null
            wait "$WRITER_PID" || true
            WRITER_PID=""
            sleep 1.5
        fi
        kill -USR2 "$PROXY_PID"
        echo "# the proxy froze the connections at $(date -u +%T.%3N)"
        ;;
    freeze_target) await_moment target && kill -USR2 "$PROXY_PID" ;;
    esac
    # the tap waited on the lock of its second table (see below); it goes on now
    [[ "$FAULT" == *_target ]] && release_hold "$SRC" public.pairs
    if [ "$RECONNECT" = 1 ] && [ "$METHOD" = LOG_BASED ]; then
        # the stream goes on after the reconnect until the writer stops and the server idles
        # (logical_poll_total_seconds)
        local i
        local again="LOG_BASED: reconnected"
        [ "$CHUNKS" = 1 ] && again="reconnected; reading the chunk again"
        for i in $(seq 1 $((RUN_TIMEOUT * 10))); do
            grep -q "$again" "$TEST_TMP/tap.err" && break
            sleep 0.1
        done
        sleep 2
        psql_q "$SRC" "INSERT INTO wctl VALUES (true)" >/dev/null 2>&1 || true
    fi
}

# expected: which program fails (exit code) and what it says
case "$FAULT" in
restart_source | terminate_source | drop_source | freeze_source)
    # the tap fails; the target loads what came before and ends normally
    WANT_TAP=4 WANT_TGT=0
    ;;
restart_target | terminate_target | drop_target | freeze_target)
    # the target fails; the tap finds its reader gone, or has finished (LOG_BASED: it waits
    # for the next change, so its reader is gone)
    WANT_TAP=7 WANT_TGT=5
    ;;
role_timeouts) WANT_TAP=0 WANT_TGT=0 ;;
esac
RECONNECT=0
case "$FAULT-$METHOD" in
restart_source-FULL_TABLE | terminate_source-FULL_TABLE | drop_source-FULL_TABLE | \
    restart_source-INCREMENTAL | terminate_source-INCREMENTAL | drop_source-INCREMENTAL | \
    restart_source-LOG_BASED | terminate_source-LOG_BASED | drop_source-LOG_BASED)
    # the tap reconnects within the run and resumes from its last STATE (FULL_TABLE: after the
    # last key; INCREMENTAL: from the last replication key value; LOG_BASED: after the last
    # transaction written)
    WANT_TAP=0 RECONNECT=1
    ;;
esac
# the copy in one snapshot is not retried: its snapshot is gone
[ "$ONE_SNAPSHOT" = 1 ] && WANT_TAP=4 RECONNECT=0
case "$FAULT" in
restart_*) WANT_MSG="terminating connection|server closed the connection|connection to server" ;;
# (a backend terminated while blocked sending COPY data cannot send its FATAL: the socket closes)
terminate_*) WANT_MSG="terminating connection due to administrator command|server closed the connection unexpectedly" ;;
drop_*) WANT_MSG="server closed the connection unexpectedly|Connection reset by peer|connection to server" ;;
freeze_source) WANT_MSG="the connection is frozen or dead" ;;
freeze_target) WANT_MSG="the connection is frozen or dead" ;;
esac

writer_start
RUN=fault
: >"$TEST_TMP/tap.err"
: >"$TEST_TMP/target.err"
t0=$(date +%s)
if [ "$FAULT" = role_timeouts ]; then
    # the tap's copy waits 2 s for a lock, the target's loads 4 s: longer than the roles'
    # statement_timeout (1 s, 20 ms)
    hold_lock "$SRC" public.items 2
    hold_lock "$DST" public.items 4
    run_pipeline fault none 0
else
    if [[ "$FAULT" == *_target ]]; then
        # the target must meet the fault while it has work left: the tap's copy of its second
        # table waits on a lock until the fault is done (otherwise a fast run can end first)
        hold_lock "$SRC" public.pairs 120
    fi
    run_pipeline fault fault_action 0
fi
took=$(($(date +%s) - t0))
sed 's/^/  tap: /' "$TEST_TMP/tap.err" | tail -n 8
sed 's/^/  target: /' "$TEST_TMP/target.err" | tail -n 8
if [[ "$FAULT" == freeze_* ]]; then
    # the frozen connections stay frozen until the programs have given up; then the proxy
    # forwards again, sees them closed and closes the server's side
    kill -HUP "$PROXY_PID"
    assert_eq yes "$([ "$took" -lt 40 ] && echo yes || echo "no: ${took}s")" "$FAULT: noticed within a bounded time"
fi
if [ "$FAULT" = restart_source ]; then
    # the writer's session died with the server: start it again
    wait "$WRITER_PID" 2>/dev/null || true
    writer_start
    sleep 1
fi
if [ "$WANT_TAP" = 7 ] && [ "$TAP_RC" = 0 ] && [ "$METHOD" = FULL_TABLE ]; then
    WANT_TAP=0 # the tap had sent everything before the target failed
fi
assert_eq "$WANT_TAP $WANT_TGT" "$TAP_RC $TGT_RC" "$FAULT: exit codes (tap, target)"
if [ -n "${WANT_MSG:-}" ]; then
    failed_err=$TEST_TMP/tap.err
    [ "$WANT_TGT" != 0 ] && failed_err=$TEST_TMP/target.err
    if grep -qE "$WANT_MSG" "$failed_err"; then
        ok "$FAULT: the failing program says what failed"
    else
        not_ok "$FAULT: the failing program says what failed (/$WANT_MSG/)"
        tail -n 5 "$failed_err" >&2
    fi
fi
if [ "$RECONNECT" = 1 ] && [ "$CHUNKS" = 1 ]; then
    # which connection meets the fault first depends on timing: the one reading a chunk makes
    # itself again and reads the chunk again; while a chunk waits for its high watermark, the
    # stream meets it and makes the chunks' connection again with its own
    if grep -q "lost the connection that reads the chunks" "$TEST_TMP/tap.err"; then
        assert_contains "$(cat "$TEST_TMP/tap.err")" "lost the connection that reads the chunks; reconnecting in 1 s (attempt 1 of $ATTEMPTS" \
            "$FAULT: the tap says it lost the connection reading the chunks and reconnects"
        assert_contains "$(cat "$TEST_TMP/tap.err")" "reconnected; reading the chunk again" \
            "$FAULT: the tap reads the chunk again within the run"
    else
        assert_contains "$(cat "$TEST_TMP/tap.err")" "LOG_BASED: the metadata connection was lost too and is made again" \
            "$FAULT: the stream met the fault first and makes the chunks' connection again"
    fi
    assert_contains "$(cat "$TEST_TMP/tap.err")" "initial copy in chunks done" \
        "$FAULT: the copy in chunks ends within the run"
fi
if [ "$RECONNECT" = 1 ] && [ "$METHOD" = LOG_BASED ]; then
    assert_contains "$(cat "$TEST_TMP/tap.err")" "LOG_BASED: lost the replication connection; reconnecting in 1 s (attempt 1 of $ATTEMPTS" \
        "$FAULT: the tap says it lost the replication connection and reconnects"
    assert_contains "$(cat "$TEST_TMP/tap.err")" "LOG_BASED: reconnected; streaming again from" \
        "$FAULT: the tap streams again within the run"
elif [ "$RECONNECT" = 1 ]; then
    assert_contains "$(cat "$TEST_TMP/tap.err")" "lost the connection to the source; reconnecting in 1 s (attempt 1 of $ATTEMPTS" \
        "$FAULT: the tap says it lost the connection and reconnects"
    assert_contains "$(cat "$TEST_TMP/tap.err")" "reconnected; syncing again from the last STATE written" \
        "$FAULT: the tap resumes within the run"
fi
if [ "$FAULT" = role_timeouts ]; then
    assert_eq 0 "$(grep -cE "statement timeout|idle-in-transaction timeout" "$TEST_TMP/tap.err" "$TEST_TMP/target.err" | awk -F: '{ n += $NF } END { print n + 0 }')" \
        "role timeouts: no statement cancelled, no session ended"
fi

# the state the target wrote last covers committed data only
VIOLATIONS=0 CHECKS=0
check_state "$STATE"
assert_eq 0 "$VIOLATIONS" "$FAULT: the last STATE covers only what the target committed ($CHECKS checks)"

# the clean run(s), straight to the servers
writer_stop
if [ -n "$PROXY_PID" ]; then
    TAP_PORT=$SRC_PORT tap_json >"$TEST_TMP/tap.json"
    TGT_PORT=$DST_PORT tgt_json >"$TEST_TMP/target.json"
fi
load_state "$STATE" 2>/dev/null || true
resumed=0
[ -s "$STATE" ] && resumed=$(dst_count "SELECT count(*) FROM chk.state, jsonb_each(v -> 'bookmarks') b WHERE b.value ? 'last_pk_fetched'")
RUN=clean
run_pipeline clean none 0
assert_eq "0 0" "$TAP_RC $TGT_RC" "$FAULT: the next run exits 0"
if [ "$TAP_RC $TGT_RC" != "0 0" ]; then
    tail -n 5 "$TEST_TMP/tap.err" "$TEST_TMP/target.err" >&2
fi
if [ "$METHOD" = FULL_TABLE ] && [ "${resumed:-0}" != 0 ]; then
    # a resumed version keeps rows deleted since it started; a new version removes them
    run_pipeline clean2 none 0
    assert_eq "0 0" "$TAP_RC $TGT_RC" "$FAULT: the second clean run exits 0"
fi
final_compare
if [ "$ONE_SNAPSHOT" = 1 ]; then
    assert_contains "$(cat "$TEST_TMP/tap.err")" 'stream "public-items": reading the table failed after' \
        "$FAULT: the copy in one snapshot fails naming its stream"
    assert_not_contains "$(cat "$TEST_TMP/tap.err")" "reconnecting in" \
        "$FAULT: the copy in one snapshot is not retried within the run"
    assert_eq 2 "$(grep -c 'stream "public-items": initial copy inside the snapshot of the slot' "$TEST_TMP/tap.err")" \
        "$FAULT: the next run copies the table again"
fi

if [ "$FAULT" = role_timeouts ]; then
    # the check can fail: with -1 the role's statement_timeout stays, and a copy into a slow
    # reader is cancelled
    tap_json '"statement_timeout":-1' >"$TEST_TMP/tap_keep.json"
    hold_lock "$SRC" public.items 2
    run_cmd "$TEST_TMP/keep.out" "$TEST_TMP/keep.err" "$TAP_BIN" --config "$TEST_TMP/tap_keep.json" --catalog "$TEST_TMP/catalog.json"
    assert_eq 4 "$RC" "role timeouts: statement_timeout -1: the cancelled copy exits 4"
    assert_contains "$(cat "$TEST_TMP/keep.err")" "canceling statement due to statement timeout" \
        "role timeouts: statement_timeout -1 keeps the role's, and a long copy is cancelled"
    # idle_in_transaction_session_timeout: a small table (its COPY ends at once, 110 kB) whose
    # RECORD lines (about 2.6 MB) fill the pipe (1 MiB) to a reader that waits 3 s: the copy's
    # REPEATABLE READ transaction is idle on the server while the tap writes out what it got,
    # longer than the role's 1 s. With 0 (the default) the run completes; with -1 the server
    # ends the session
    psql_q "$SRC" "CREATE TABLE idle_t (id integer PRIMARY KEY);
        INSERT INTO idle_t SELECT generate_series(1, 20000)" >/dev/null
    TAP_PORT=$SRC_PORT tap_json >"$TEST_TMP/discover.json"
    log_catalog "$TEST_TMP/discover.json" public-idle_t |
        sed 's/"replication-method":"LOG_BASED"/"replication-method":"FULL_TABLE"/' >"$TEST_TMP/idle_catalog.json"
    slow_reader() { bash -c 'set -o pipefail; "$@" | { sleep 3; cat >/dev/null; }' _ "$@"; }
    tap_json '"reconnect_attempts":0' >"$TEST_TMP/tap_idle0.json"
    run_cmd /dev/null "$TEST_TMP/idle0.err" slow_reader "$TAP_BIN" --config "$TEST_TMP/tap_idle0.json" \
        --catalog "$TEST_TMP/idle_catalog.json"
    assert_eq 0 "$RC" "role timeouts: idle in transaction past the role's limit, our 0: the copy completes"
    assert_not_contains "$(cat "$TEST_TMP/idle0.err")" "idle-in-transaction timeout" \
        "role timeouts: idle_in_transaction_session_timeout 0: the session is not ended"
    tap_json '"reconnect_attempts":0,"idle_in_transaction_session_timeout":-1' >"$TEST_TMP/tap_idle_keep.json"
    run_cmd /dev/null "$TEST_TMP/idle_keep.err" slow_reader "$TAP_BIN" --config "$TEST_TMP/tap_idle_keep.json" \
        --catalog "$TEST_TMP/idle_catalog.json"
    assert_eq 4 "$RC" "role timeouts: idle_in_transaction_session_timeout -1: the ended session exits 4"
    assert_contains "$(cat "$TEST_TMP/idle_keep.err")" "terminating connection due to idle-in-transaction timeout" \
        "role timeouts: idle_in_transaction_session_timeout -1 keeps the role's, and the server ends the idle copy"
fi
[ "$METHOD" = LOG_BASED ] && drop_slots "$(dbname_of "$SRC")"
finish
