#!/usr/bin/env bash
# Resume of an interrupted FULL_TABLE: a state crafted as an interruption leaves it, a real
# interruption (the reading side closes the pipe), composite and text keys, and a
# pipelinewise state interrupted by xmin (starts over with the same version).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_resume
fresh_db "$db"
psql_q "$db" "CREATE TABLE big (id int PRIMARY KEY, v text);
  INSERT INTO big SELECT i, md5(i::text) FROM generate_series(1, 20000) i;
  CREATE TABLE comp (region text, n int, v text, PRIMARY KEY (region, n));
  INSERT INTO comp VALUES ('eu', 1, 'a'), ('eu', 2, 'b'), ('eu', 3, 'c'), ('o''brien', 1, 'd'), ('us', 1, 'e')"
tap_config "$db" '"itersize":50' >"$TEST_TMP/config.json"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | select_streams FULL_TABLE >"$TEST_TMP/all.json"
only_stream public-big <"$TEST_TMP/all.json" >"$TEST_TMP/big.json"
only_stream public-comp <"$TEST_TMP/all.json" >"$TEST_TMP/comp.json"

# 1. a crafted state: resumes after id 500 with the same version
cat >"$TEST_TMP/state_crafted.json" <<'ST'
{"currently_syncing":"public-big","bookmarks":{"public-big":{"last_replication_method":"FULL_TABLE","version":1700000000123,"last_pk_fetched":{"id":"500"}}}}
ST
run_cmd "$TEST_TMP/out1.jsonl" "$TEST_TMP/err1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/big.json" --state "$TEST_TMP/state_crafted.json"
assert_eq 0 "$RC" "resumed run exits 0"
ids=$(record_ids "$TEST_TMP/out1.jsonl" public-big)
assert_eq "501" "$(head -n 1 <<<"$ids")" "records start after the last key sent"
assert_eq "19500" "$(wc -l <<<"$ids" | tr -d ' ')" "every remaining row is sent once"
assert_eq "20000" "$(tail -n 1 <<<"$ids")" "up to the end of the table"
assert_eq "0" "$(grep '^{"type":"RECORD"' "$TEST_TMP/out1.jsonl" | grep -vc '"version":1700000000123,' || true)" \
    "the interrupted run's version is kept"
assert_eq '{"type":"ACTIVATE_VERSION","stream":"public-big","version":1700000000123}' \
    "$(grep '^{"type":"ACTIVATE_VERSION"' "$TEST_TMP/out1.jsonl" | tr '\n' ' ' | sed 's/ $//')" \
    "no ACTIVATE_VERSION before the records, one after"
assert_contains "$(cat "$TEST_TMP/err1")" "resuming after the key of the last record sent" "the resume is logged"
assert_eq '{"currently_syncing":null,"bookmarks":{"public-big":{"last_replication_method":"FULL_TABLE","version":1700000000123}}}' \
    "$(last_state "$TEST_TMP/out1.jsonl")" "the final state drops the resume key"
assert_contains "$(grep '^{"type":"STATE"' "$TEST_TMP/out1.jsonl" | sed -n 2p)" '"last_pk_fetched":{"id":"550"}' \
    "each STATE names the last key sent (every itersize rows)"

# 2. a real interruption: the reader goes away after 777 lines
set +e
"$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/big.json" 2>"$TEST_TMP/err2" | head -n 777 >"$TEST_TMP/out2.jsonl"
rc=${PIPESTATUS[0]}
set -e
assert_eq 7 "$rc" "the tap stops with exit 7 when stdout closes"
check_jsonl "$TEST_TMP/out2.jsonl" "the interrupted output holds whole lines only"
last_state "$TEST_TMP/out2.jsonl" >"$TEST_TMP/state2.json"
last_pk=$(sed -E 's/.*"last_pk_fetched":\{"id":"([0-9]+)"\}.*/\1/' "$TEST_TMP/state2.json")
run_cmd "$TEST_TMP/out3.jsonl" "$TEST_TMP/err3" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/big.json" --state "$TEST_TMP/state2.json"
assert_eq 0 "$RC" "the run after the interruption exits 0"
assert_eq "$((last_pk + 1))" "$(record_ids "$TEST_TMP/out3.jsonl" public-big | head -n 1)" "it continues after the last STATE's key"
{ record_ids "$TEST_TMP/out2.jsonl" public-big | awk -v k="$last_pk" '$1 <= k'; record_ids "$TEST_TMP/out3.jsonl" public-big; } |
    sort -n | uniq >"$TEST_TMP/union"
assert_eq "20000 1 20000" "$(wc -l <"$TEST_TMP/union" | tr -d ' ') $(head -n 1 "$TEST_TMP/union") $(tail -n 1 "$TEST_TMP/union")" \
    "both runs together send every row"
v2=$(grep -m1 '^{"type":"RECORD"' "$TEST_TMP/out2.jsonl" | sed -E 's/.*"version":([0-9]+).*/\1/')
v3=$(grep -m1 '^{"type":"RECORD"' "$TEST_TMP/out3.jsonl" | sed -E 's/.*"version":([0-9]+).*/\1/')
assert_eq "$v2" "$v3" "the resumed run keeps the interrupted version"

# 3. a composite key with a quote in a text value
printf '%s\n' '{"bookmarks":{"public-comp":{"last_replication_method":"FULL_TABLE","version":5,"last_pk_fetched":{"region":"eu","n":"2"}}}}' >"$TEST_TMP/state_comp.json"
run_cmd "$TEST_TMP/out4.jsonl" "$TEST_TMP/err4" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/comp.json" --state "$TEST_TMP/state_comp.json"
assert_eq 0 "$RC" "composite key resume exits 0"
assert_eq "eu/3 o'brien/1 us/1" "$(grep '^{"type":"RECORD"' "$TEST_TMP/out4.jsonl" | sed -E 's/.*"region":"([^"]*)","n":([0-9]+).*/\1\/\2/' | tr '\n' ' ' | sed 's/ $//')" \
    "composite key resume continues after (eu, 2)"
printf '%s\n' "{\"bookmarks\":{\"public-comp\":{\"last_replication_method\":\"FULL_TABLE\",\"version\":5,\"last_pk_fetched\":{\"region\":\"o'brien\",\"n\":\"1\"}}}}" >"$TEST_TMP/state_q.json"
run_cmd "$TEST_TMP/out5.jsonl" "$TEST_TMP/err5" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/comp.json" --state "$TEST_TMP/state_q.json"
assert_eq 0 "$RC" "a key value with a quote is bound, not interpolated"
assert_eq 1 "$(grep -c '^{"type":"RECORD"' "$TEST_TMP/out5.jsonl")" "only the row after ('o''brien', 1)"

# 3b. a char(n) key: the resume value is cast to the column's own type (char(3), not char(1))
psql_q "$db" "CREATE TABLE fixed (code char(3) PRIMARY KEY, v int); INSERT INTO fixed VALUES ('aaa', 1), ('aab', 2), ('abc', 3), ('b', 4)"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | select_streams FULL_TABLE | only_stream public-fixed >"$TEST_TMP/fixed.json"
printf '%s\n' '{"bookmarks":{"public-fixed":{"last_replication_method":"FULL_TABLE","version":5,"last_pk_fetched":{"code":"aab"}}}}' >"$TEST_TMP/state_fixed.json"
run_cmd "$TEST_TMP/out_fixed.jsonl" "$TEST_TMP/err_fixed" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/fixed.json" --state "$TEST_TMP/state_fixed.json"
assert_eq 0 "$RC" "char(n) key resume exits 0"
assert_eq "abc b  " "$(grep '^{"type":"RECORD"' "$TEST_TMP/out_fixed.jsonl" | sed -E 's/.*"code":"([^"]*)".*/\1/' | tr '\n' ' ' | sed 's/ $//')" \
    "char(n) key resume continues after 'aab', not after 'a'"

# 4. a pipelinewise state interrupted by xmin: the whole table again, same version
printf '%s\n' '{"bookmarks":{"public-comp":{"last_replication_method":"FULL_TABLE","version":77,"xmin":1234}}}' >"$TEST_TMP/state_xmin.json"
run_cmd "$TEST_TMP/out6.jsonl" "$TEST_TMP/err6" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/comp.json" --state "$TEST_TMP/state_xmin.json"
assert_eq 0 "$RC" "xmin state run exits 0"
assert_eq 5 "$(grep '^{"type":"RECORD"' "$TEST_TMP/out6.jsonl" | grep -c '"version":77,')" "every row again with the same version"
assert_contains "$(cat "$TEST_TMP/err6")" "cannot be resumed" "the restart is logged"
assert_not_contains "$(last_state "$TEST_TMP/out6.jsonl")" "xmin" "the xmin bookmark is dropped at the end"

# 5. SIGTERM in the middle of the table: the tap stops after whole lines with exit 130, and its
#    last STATE resumes the table. No timing: the signal is sent once the first RECORD has been
#    read, while the tap is blocked on the full pipe (the rest of the table cannot fit in it).
tap_read_until "$TEST_TMP/out7.jsonl" 1 '{"type":"RECORD"*' "$TEST_TMP/err7" \
    --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/big.json"
kill -TERM "$TAP_PID"
cat <&3 >>"$TEST_TMP/out7.jsonl"
exec 3<&-
set +e
wait "$TAP_PID"
rc=$?
set -e
assert_eq 130 "$rc" "SIGTERM stops the tap with exit 130"
check_jsonl "$TEST_TMP/out7.jsonl" "after SIGTERM stdout holds whole lines only"
assert_contains "$(cat "$TEST_TMP/err7")" "interrupted after" "the interruption is logged"
n7=$(grep -c '^{"type":"RECORD"' "$TEST_TMP/out7.jsonl" || true)
if [ "$n7" -gt 0 ] && [ "$n7" -lt 20000 ]; then ok "the run stopped part way ($n7 records)"; else not_ok "the run stopped part way ($n7 records)"; fi
assert_contains "$(last_state "$TEST_TMP/out7.jsonl")" '"last_pk_fetched":{"id":"' "its last STATE can resume the table"
finish
