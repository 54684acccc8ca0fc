#!/usr/bin/env bash
# target-postgres STATE semantics: interleaved streams and states (the Singer SDK "multiple
# state messages" case), exact stdout; asynchronous flushes; time-based flushes; early flushes
# (early_flush_rows).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_states
fresh_db "$db"
in=$TEST_TMP/in.jsonl

cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"test_multiple_state_messages_a","schema":{"type":"object","properties":{"id":{"type":"integer"},"metric":{"type":"integer"}}},"key_properties":["id"]}
{"type":"SCHEMA","stream":"test_multiple_state_messages_b","schema":{"type":"object","properties":{"id":{"type":"integer"},"metric":{"type":"integer"}}},"key_properties":["id"]}
{"type":"RECORD","stream":"test_multiple_state_messages_a","record":{"id":1,"metric":100}}
{"type":"RECORD","stream":"test_multiple_state_messages_a","record":{"id":2,"metric":200}}
{"type":"STATE","value":{"test_multiple_state_messages_a":2,"test_multiple_state_messages_b":0}}
{"type":"RECORD","stream":"test_multiple_state_messages_b","record":{"id":1,"metric":110}}
{"type":"RECORD","stream":"test_multiple_state_messages_a","record":{"id":3,"metric":300}}
{"type":"STATE","value":{"test_multiple_state_messages_a":3,"test_multiple_state_messages_b":1}}
{"type":"RECORD","stream":"test_multiple_state_messages_b","record":{"id":2,"metric":220}}
{"type":"STATE","value":{"test_multiple_state_messages_a":3,"test_multiple_state_messages_b":2}}
{"type":"RECORD","stream":"test_multiple_state_messages_a","record":{"id":4,"metric":400}}
{"type":"STATE","value":{"test_multiple_state_messages_a":4, "test_multiple_state_messages_b":2}}
{"type":"RECORD","stream":"test_multiple_state_messages_b","record":{"id":3,"metric":330}}
{"type":"STATE","value":{"test_multiple_state_messages_a":4,"test_multiple_state_messages_b":3}}
{"type":"STATE","value":{"test_multiple_state_messages_a":4,"test_multiple_state_messages_b":3}}
JSON
# batches of 2 rows per stream, each flush waited for: the output is fixed.
# a{1,2} commits -> S1 (nothing else read yet); b{1,2} commits while a{3} is pending -> S2, S3
# wait; a{3,4} commits -> S3 (S2 covered); S4 arrives with everything committed -> at once;
# b{3} commits at the end -> S5, and its duplicate is not written again.
load "$db" '"batch_size_rows":2,"async_flush":false' "$in"
assert_eq 0 "$RC" "interleaved (sync): exit code"
cat >"$TEST_TMP/expected" <<'JSON'
{"test_multiple_state_messages_a":2,"test_multiple_state_messages_b":0}
{"test_multiple_state_messages_a":3,"test_multiple_state_messages_b":2}
{"test_multiple_state_messages_a":4,"test_multiple_state_messages_b":2}
{"test_multiple_state_messages_a":4,"test_multiple_state_messages_b":3}
JSON
assert_files_eq "$TEST_TMP/expected" "$OUT" "interleaved (sync): exactly the states whose records are committed"
assert_eq '4|3' "$(q $db "SELECT (SELECT count(*) FROM tgt.test_multiple_state_messages_a), (SELECT count(*) FROM tgt.test_multiple_state_messages_b)")" \
    "interleaved (sync): rows"

# the same with flush_all_streams (a full stream flushes both) and one worker (flushes commit
# in order): b{1,2} + a{3} commit -> S2; S3 at once; at the end a{4} commits -> S4, then b{3} -> S5
psql_q $db "DROP SCHEMA tgt CASCADE" >/dev/null
load "$db" '"batch_size_rows":2,"async_flush":false,"flush_all_streams":true,"parallelism":1' "$in"
cat >"$TEST_TMP/expected" <<'JSON'
{"test_multiple_state_messages_a":2,"test_multiple_state_messages_b":0}
{"test_multiple_state_messages_a":3,"test_multiple_state_messages_b":1}
{"test_multiple_state_messages_a":3,"test_multiple_state_messages_b":2}
{"test_multiple_state_messages_a":4,"test_multiple_state_messages_b":2}
{"test_multiple_state_messages_a":4,"test_multiple_state_messages_b":3}
JSON
assert_eq 0 "$RC" "flush_all_streams: exit code"
assert_files_eq "$TEST_TMP/expected" "$OUT" "flush_all_streams: states"

# the Singer SDK's multiple-state-messages sequence: its standard test expects exactly the
# states a1/b0, a3/b2, a5/b6; with 3-row batches (sync) those are the states whose records are
# committed after each commit (a1/b0 once a{1,2,3} commits; a3/b2 once b{1,2,3}; a5/b6 at the end)
psql_q $db "DROP SCHEMA tgt CASCADE" >/dev/null
sa='"stream":"test_multiple_state_messages_a"' sb='"stream":"test_multiple_state_messages_b"'
st() { echo '{"type":"STATE","value":{"test_multiple_state_messages_a":'$1',"test_multiple_state_messages_b":'$2'}}'; }
rec() { echo '{"type":"RECORD",'$1',"record":{"id":'$2',"metric":'$3'}}'; }
{
    head -n 2 "$in"
    rec "$sa" 1 100; st 1 0
    rec "$sa" 2 200; rec "$sb" 1 110; st 2 1
    rec "$sa" 3 300; rec "$sb" 2 220; st 3 2
    rec "$sa" 4 400; rec "$sa" 5 500; rec "$sb" 3 330; st 5 3
    rec "$sb" 4 440; rec "$sb" 5 550; rec "$sb" 6 660; st 5 6
    rec "$sa" 6 600
} >"$TEST_TMP/sdk.jsonl"
load "$db" '"batch_size_rows":3,"async_flush":false' "$TEST_TMP/sdk.jsonl"
assert_eq 0 "$RC" "SDK multiple state messages: exit code"
assert_eq '{"test_multiple_state_messages_a":1,"test_multiple_state_messages_b":0}
{"test_multiple_state_messages_a":3,"test_multiple_state_messages_b":2}
{"test_multiple_state_messages_a":5,"test_multiple_state_messages_b":6}' "$(cat "$OUT")" \
    "SDK multiple state messages: the SDK's expected states"
assert_eq '6|6' "$(q $db "SELECT (SELECT count(*) FROM tgt.test_multiple_state_messages_a), (SELECT count(*) FROM tgt.test_multiple_state_messages_b)")" \
    "SDK multiple state messages: rows"

# asynchronous flushes (the default): which intermediate states appear depends on timing, but
# they keep their order, the last one is written, and none twice in a row
psql_q $db "DROP SCHEMA tgt CASCADE" >/dev/null
load "$db" '"batch_size_rows":1' "$in"
assert_eq 0 "$RC" "interleaved (async): exit code"
assert_eq '{"test_multiple_state_messages_a":4,"test_multiple_state_messages_b":3}' "$(tail -n 1 "$OUT")" \
    "interleaved (async): the last state is written last"
assert_eq "" "$(uniq -d "$OUT")" "interleaved (async): never the same state twice in a row"
grep '"type":"STATE"' "$in" | sed -E 's/.*"value":(.*)}$/\1/; s/ //g' | uniq >"$TEST_TMP/all_states"
assert_eq "" "$(grep -vxFf "$TEST_TMP/all_states" "$OUT")" "interleaved (async): only states that were sent"
assert_eq '4|3' "$(q $db "SELECT (SELECT count(*) FROM tgt.test_multiple_state_messages_a), (SELECT count(*) FROM tgt.test_multiple_state_messages_b)")" \
    "interleaved (async): rows"

# a STATE with nothing pending is written at once; a time limit flushes an idle batch
fifo=$TEST_TMP/fifo
rm -f "$fifo"
mkfifo "$fifo"
target_config "$db" '"default_target_schema":"tgt","batch_wait_limit_seconds":0.3' >"$TEST_TMP/config.json"
"$TARGET_BIN" --config "$TEST_TMP/config.json" <"$fifo" >"$TEST_TMP/live.out" 2>"$TEST_TMP/live.err" &
pid=$!
exec 7>"$fifo"
echo '{"type":"STATE","value":{"early":1}}' >&7
head -n 1 "$in" >&7
echo '{"type":"RECORD","stream":"test_multiple_state_messages_a","record":{"id":9,"metric":900}}' >&7
echo '{"type":"STATE","value":{"late":1}}' >&7
for _ in $(seq 1 50); do
    [ "$(wc -l <"$TEST_TMP/live.out")" -ge 2 ] && break
    sleep 0.1
done
assert_eq '{"early":1}
{"late":1}' "$(cat "$TEST_TMP/live.out")" "time limit: states written while stdin stays open"
assert_eq '900' "$(q $db "SELECT metric FROM tgt.test_multiple_state_messages_a WHERE id = 9")" \
    "time limit: the idle batch was committed before its state was written"
exec 7>&-
wait "$pid"
assert_eq 0 "$?" "time limit: exit code"


# --- early_flush_rows: the first batch goes at 10,000 rows (nothing of the stream is loading
# then), not at batch_size_rows; 0 keeps whole batches; every row and the STATE either way
{
    echo '{"type":"SCHEMA","stream":"early","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":"string"}}},"key_properties":["id"]}'
    seq 1 25000 | awk '{ printf "{\"type\":\"RECORD\",\"stream\":\"early\",\"record\":{\"id\":%d,\"v\":\"r%d\"}}\n", $1, $1 }'
    echo '{"type":"STATE","value":{"early":25000}}'
} >"$TEST_TMP/early.jsonl"
for mode in default off; do
    q $db "SET client_min_messages = warning; DROP TABLE IF EXISTS tgt.early" >/dev/null
    extra=
    [ $mode = off ] && extra='"early_flush_rows":0'
    TARGET_POSTGRES_LOGLEVEL=info load "$db" "$extra" "$TEST_TMP/early.jsonl"
    assert_eq 0 "$RC" "early_flush_rows $mode: exit code"
    assert_eq '{"early":25000}' "$(cat "$OUT")" "early_flush_rows $mode: the STATE"
    assert_eq '25000|25000|r25000' "$(q $db "SELECT count(*), count(DISTINCT id), max(v) FILTER (WHERE id = 25000) FROM tgt.early")" \
        "early_flush_rows $mode: every row once"
    first=$(grep -o 'stream "early": batch 1: loaded [0-9]* rows' "$ERR")
    if [ $mode = default ]; then
        assert_eq 'stream "early": batch 1: loaded 10000 rows' "$first" "early_flush_rows default: the first batch at 10,000 rows"
    else
        assert_eq 'stream "early": batch 1: loaded 25000 rows' "$first" "early_flush_rows 0: one batch of all rows"
    fi
done

finish
