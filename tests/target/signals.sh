#!/usr/bin/env bash
# target-postgres while input is still open: STATE held back while a stream's flush is blocked
# (asynchronous flushes), SIGTERM (pending rows loaded, the last STATE written, exit 130), a
# second signal during that final flush, a connection lost in the middle of a flush.
# Deterministic: a table is held locked by another session, and the script waits (bounded
# polling) for the target's backend to wait on that lock before it goes on.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
# its own database per variant (target_signals_slow_start runs beside target_signals); the
# sessions it looks at or ends are those of this database only
db=target_signals${START_DELAY:+_slow}
fresh_db "$db"
psql_q $db "CREATE SCHEMA tgt; CREATE TABLE tgt.b (id bigint PRIMARY KEY, v text)" >/dev/null
SA='{"type":"SCHEMA","stream":"a","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":"string"}}},"key_properties":["id"]}'
SB='{"type":"SCHEMA","stream":"b","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":"string"}}},"key_properties":["id"]}'
fifo=$TEST_TMP/fifo
pid=
locker=

# wait_for WHAT CMD...: poll CMD until it succeeds (at most 20 s); fails the test otherwise
wait_for() {
    local what=$1
    shift
    for _ in $(seq 1 400); do
        "$@" && return 0
        sleep 0.05
    done
    not_ok "timed out waiting for: $what"
    return 1
}
target_waits_on_lock() {
    [ "$(q $db "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'target-postgres' AND wait_event_type = 'Lock'")" = 1 ]
}
b_is_locked() {
    [ "$(q $db "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND c.relname = 'b' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]
}
err_has() { grep -q -- "$1" "$TEST_TMP/err"; }
# start the target on the fifo with config EXTRA; fd 7 writes its input.
# out and err are emptied here, before the target starts: the waits below look for lines
# of THIS start (the previous scenario's err holds the same "ACTIVATE_VERSION ignored" line, and a signal
# sent on that old line could reach the target before it is ready). START_DELAY (seconds)
# delays the target between the opening of its input and of its out/err (a slow start: the
# target_signals_slow_start test).
start_target() {
    target_config "$db" "\"default_target_schema\":\"tgt\",$1" >"$TEST_TMP/config.json"
    rm -f "$fifo"
    mkfifo "$fifo"
    : >"$TEST_TMP/out"
    : >"$TEST_TMP/err"
    {
        sleep "${START_DELAY:-0}"
        exec "$TARGET_BIN" --config "$TEST_TMP/config.json" --log-level debug >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    } <"$fifo" &
    pid=$!
    exec 7>"$fifo"
}
stop_target() {
    set +e
    wait "$pid"
    RC=$?
    set -e
    pid=
    exec 7>&- || true
}
# lock tgt.b from another session until unlock
lock_b() {
    psql -X -q -d $db -c "BEGIN" -c "LOCK TABLE tgt.b IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(60)" \
        >/dev/null 2>&1 &
    locker=$!
    wait_for "the lock on tgt.b" b_is_locked
}
unlock_b() {
    q $db "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
    wait "$locker" 2>/dev/null || true
    locker=
}
cleanup() {
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
    if [ -n "$locker" ]; then kill "$locker" 2>/dev/null || true; fi
}
trap cleanup EXIT

# --- asynchronous flushes: while b's batch waits for the lock, a's batches commit and only the
# STATE that needs nothing of b is written; once b commits, the newest STATE follows
lock_b
start_target '"batch_size_rows":1'
{
    echo "$SA"
    echo "$SB"
    echo '{"type":"RECORD","stream":"a","record":{"id":1,"v":"a1"}}'
    echo '{"type":"STATE","value":{"s":0}}'
    echo '{"type":"RECORD","stream":"b","record":{"id":1,"v":"b1"}}'
    echo '{"type":"STATE","value":{"s":1}}'
    echo '{"type":"RECORD","stream":"a","record":{"id":2,"v":"a2"}}'
    echo '{"type":"STATE","value":{"s":2}}'
} >&7
wait_for "b's flush waiting on the lock" target_waits_on_lock
wait_for "a's second batch committed" err_has 'stream "a": batch 2: loaded'
wait_for "the first state" test -s "$TEST_TMP/out"
# an ACTIVATE_VERSION the target ignores (no metadata columns; said once, at info) shows that
# it has read every line before it
echo '{"type":"ACTIVATE_VERSION","stream":"ping","version":1}' >&7
wait_for "the target read every line" err_has 'ACTIVATE_VERSION ignored'
assert_eq '{"s":0}' "$(cat "$TEST_TMP/out")" "blocked stream: only the state whose records are committed"
unlock_b
wait_for "b committed" err_has 'stream "b": batch 1: loaded'
wait_for "the last state" grep -q '"s":2' "$TEST_TMP/out"
exec 7>&-
stop_target
assert_eq 0 "$RC" "blocked stream: exit code"
assert_eq '{"s":0}
{"s":2}' "$(cat "$TEST_TMP/out")" "blocked stream: the newest state once everything is committed"

# --- SIGTERM with input still open: the rows read so far are loaded, their STATE is written,
# exit 130
psql_q $db "TRUNCATE tgt.b" >/dev/null
start_target '"batch_size_rows":1000'
{
    echo "$SB"
    echo '{"type":"RECORD","stream":"b","record":{"id":10,"v":"x"}}'
    echo '{"type":"RECORD","stream":"b","record":{"id":11,"v":"y"}}'
    echo '{"type":"STATE","value":{"s":11}}'
    echo '{"type":"ACTIVATE_VERSION","stream":"ping","version":1}'
} >&7
wait_for "the target read every line" err_has 'ACTIVATE_VERSION ignored'
assert_eq '' "$(cat "$TEST_TMP/out")" "SIGTERM: nothing committed before the signal"
kill -TERM "$pid"
stop_target
assert_eq 130 "$RC" "SIGTERM: exit code 130"
assert_eq '{"s":11}' "$(cat "$TEST_TMP/out")" "SIGTERM: the state of the rows read is written"
assert_eq '10,11' "$(q $db "SELECT string_agg(id::text, ',' ORDER BY id) FROM tgt.b")" "SIGTERM: the rows read were loaded"
assert_contains "$(cat "$TEST_TMP/err")" "stopping on signal" "SIGTERM: said so"

# --- a second signal while that final flush waits: the target stops at once, nothing is
# committed and no STATE is written
lock_b
start_target '"batch_size_rows":1000'
{
    echo "$SB"
    echo '{"type":"RECORD","stream":"b","record":{"id":20,"v":"z"}}'
    echo '{"type":"STATE","value":{"s":20}}'
    echo '{"type":"ACTIVATE_VERSION","stream":"ping","version":1}'
} >&7
wait_for "the target read every line" err_has 'ACTIVATE_VERSION ignored'
kill -TERM "$pid"
wait_for "the final flush waiting on the lock" target_waits_on_lock
kill -TERM "$pid"
stop_target
assert_eq 143 "$RC" "second SIGTERM: killed by the signal"
unlock_b
assert_eq '' "$(cat "$TEST_TMP/out")" "second SIGTERM: no state"
assert_eq '10,11' "$(q $db "SELECT string_agg(id::text, ',' ORDER BY id) FROM tgt.b")" "second SIGTERM: nothing more committed"

# --- the connection is lost in the middle of a flush: rolled back, named, exit 5, no STATE
lock_b
start_target '"batch_size_rows":1'
{
    echo "$SB"
    echo '{"type":"RECORD","stream":"b","record":{"id":30,"v":"w"}}'
    echo '{"type":"STATE","value":{"s":30}}'
} >&7
wait_for "the flush waiting on the lock" target_waits_on_lock
q $db "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'target-postgres' AND wait_event_type = 'Lock'" >/dev/null
exec 7>&-
stop_target
unlock_b
assert_eq 5 "$RC" "lost connection: exit code"
# (the first statement to touch the table is the check whether it is empty: direct COPY)
assert_contains "$(cat "$TEST_TMP/err")" 'stream "b": batch 1: checking whether "tgt"."b" is empty failed: FATAL:  terminating connection' "lost connection: names stream and batch"
assert_contains "$(cat "$TEST_TMP/err")" 'stream "b": batch 1 (1 rows, input lines 2-2) rolled back' "lost connection: rolled back"
assert_eq '' "$(cat "$TEST_TMP/out")" "lost connection: no state"
assert_eq '10,11' "$(q $db "SELECT string_agg(id::text, ',' ORDER BY id) FROM tgt.b")" "lost connection: nothing committed"

# --- after a failed flush no new load starts: batches of other streams still queued (one
# worker, busy with the failing one) are dropped, not committed
psql_q $db "DROP TABLE IF EXISTS tgt.a" >/dev/null
lock_b
start_target '"batch_size_rows":1,"max_parallelism":1'
{
    echo "$SB"
    echo "$SA"
    echo '{"type":"RECORD","stream":"b","record":{"id":40,"v":"w"}}'
    echo '{"type":"RECORD","stream":"a","record":{"id":41,"v":"x"}}'
    echo '{"type":"STATE","value":{"s":41}}'
    echo '{"type":"ACTIVATE_VERSION","stream":"ping","version":1}'
} >&7
wait_for "the flush waiting on the lock" target_waits_on_lock
wait_for "the target read every line" err_has 'ACTIVATE_VERSION ignored'
q $db "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'target-postgres' AND wait_event_type = 'Lock'" >/dev/null
exec 7>&-
stop_target
unlock_b
assert_eq 5 "$RC" "queued batches after a failure: exit code"
assert_eq '' "$(cat "$TEST_TMP/out")" "queued batches after a failure: no state"
assert_eq 't' "$(q $db "SELECT to_regclass('tgt.a') IS NULL")" "queued batches after a failure: not loaded"

# --- the same after bad input: the batch queued before the bad line is not loaded either;
# the load already running (b, waiting for the lock) finishes
psql_q $db "TRUNCATE tgt.b" >/dev/null
lock_b
start_target '"batch_size_rows":1,"max_parallelism":1'
{
    echo "$SB"
    echo "$SA"
    echo '{"type":"RECORD","stream":"b","record":{"id":50,"v":"w"}}'
    echo '{"type":"RECORD","stream":"a","record":{"id":51,"v":"x"}}'
    echo '{"type":"STATE","value":{"s":51}}'
} >&7
wait_for "the flush waiting on the lock" target_waits_on_lock
echo '{"type":"RECORD","stream":"a","record":{"id":"not a number"}}' >&7
wait_for "the bad line" err_has 'line 6: stream "a": property "id"'
unlock_b
exec 7>&-
stop_target
assert_eq 6 "$RC" "queued batch, then bad input: exit code"
assert_eq '' "$(cat "$TEST_TMP/out")" "queued batch, then bad input: no state"
assert_eq '50' "$(q $db "SELECT string_agg(id::text, ',') FROM tgt.b")" "queued batch, then bad input: the running load finished"
assert_eq 't' "$(q $db "SELECT to_regclass('tgt.a') IS NULL")" "queued batch, then bad input: the queued batch was not loaded"

# --- stdout closed by its reader: the STATE cannot be written, exit 7 (SIGPIPE is ignored)
outfifo=$TEST_TMP/outfifo
rm -f "$fifo" "$outfifo"
mkfifo "$fifo" "$outfifo"
target_config "$db" '"default_target_schema":"tgt"' >"$TEST_TMP/config.json"
: >"$TEST_TMP/err"
"$TARGET_BIN" --config "$TEST_TMP/config.json" <"$fifo" >"$outfifo" 2>"$TEST_TMP/err" &
pid=$!
exec 7>"$fifo"     # the target opens its stdin first, then its stdout
exec 8<"$outfifo"
exec 8<&-          # no reader left
echo "$SB" >&7
echo '{"type":"RECORD","stream":"b","record":{"id":60,"v":"p"}}' >&7
echo '{"type":"STATE","value":{"s":60}}' >&7
exec 7>&-
stop_target
assert_eq 7 "$RC" "stdout closed: exit code 7"
assert_contains "$(cat "$TEST_TMP/err")" "cannot write to standard output" "stdout closed: said"

finish
