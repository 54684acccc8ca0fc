#!/usr/bin/env bash
# recopy_streams (README "Re-copying one stream") for FULL_TABLE and INCREMENTAL, tap | target
# (hard_delete) into a second database:
#   1. rows deleted in the source stay in the target after normal runs (INCREMENTAL never sees
#      a delete; FULL_TABLE is part way through a version under max_record_count);
#   2. a re-copy asked with a token: FULL_TABLE starts a new version from the first key (not
#      after the state's last_pk_fetched), INCREMENTAL from the first key (not from its
#      replication_key_value), both stopped by max_record_count and resumed by the next runs
#      (recopy_in_progress, the same version, the custom where clause kept) until the end,
#      where ACTIVATE_VERSION removes the deleted rows: the target equals the source;
#   3. the same config again: no re-copy (once per token); a new token: another one;
#   4. kill -9 in the middle of an INCREMENTAL re-copy: the next run goes on with it;
#   5. errors: a stream not in the catalog, one not selected, a token that is not a non-empty
#      string (exit 3, messages naming the key and the stream).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

src=tap_recopy_src
dst=tap_recopy_dst
fresh_db "$src"
fresh_db "$dst"
psql_q "$src" "CREATE TABLE ft (id int PRIMARY KEY, v text);
  INSERT INTO ft SELECT g, 'f' || g FROM generate_series(1, 300) g;
  CREATE TABLE inc (id int PRIMARY KEY, k int UNIQUE, v text);
  INSERT INTO inc SELECT g, g * 10, 'i' || g FROM generate_series(1, 300) g;
  INSERT INTO inc VALUES (1001, NULL, 'null key a'), (1002, NULL, 'null key b');
  CREATE TABLE other (id int PRIMARY KEY)"
# the where clause leaves out every row with id ending in 7: a WHERE of the re-copy that is not
# parenthesized (k >= $1 OR k IS NULL AND (clause)) would let them through
where='"stream_options":{"public-inc":{"custom_where_clauses":["id % 10 <> 7"]}}'
tap_config "$src" "\"itersize\":20,$where" >"$TEST_TMP/base.json"
"$TAP_BIN" --config "$TEST_TMP/base.json" --discover 2>/dev/null >"$TEST_TMP/discovered.json"
# public-other is in the catalog, not selected
select_streams FULL_TABLE <"$TEST_TMP/discovered.json" | stream_metadata public-inc '"replication-method":"INCREMENTAL","replication-key":"k"' |
    sed -E '/"tap_stream_id":"public-other"/ s/"selected":true,//' >"$TEST_TMP/catalog.json"
target_config "$dst" '"default_target_schema":"public","hard_delete":true' >"$TEST_TMP/target.json"
cfg() { # FILE [extra members]
    tap_config "$src" "\"itersize\":20,$where${2:+,$2}" >"$1"
}

pipeline() { # CONFIG STATE_IN NAME: tap | target; the tap's output in NAME.out, its log NAME.err
    set +e
    "$TAP_BIN" --config "$1" --catalog "$TEST_TMP/catalog.json" ${2:+--state "$2"} 2>"$TEST_TMP/$3.err" |
        tee "$TEST_TMP/$3.out" | "$TARGET_BIN" --config "$TEST_TMP/target.json" >"$TEST_TMP/$3.states" 2>"$TEST_TMP/$3.target"
    RC=$?
    set -e
    tail -n 1 "$TEST_TMP/$3.states" >"$TEST_TMP/$3.state"
}
compare() { # MESSAGE
    local t q
    for t in "ft|id, v|true" "inc|id, k, v|id % 10 <> 7"; do
        IFS='|' read -r t cols q <<<"$t"
        same_rows "$src" "SELECT $cols FROM $t WHERE $q" "$dst" "SELECT $cols FROM $t" "$1: $t"
    done
}
first_id() { # FILE STREAM
    record_ids "$1" "$2" | sed -n 1p
}
version_of() { # FILE STREAM: the version of the stream's first RECORD
    { grep -m1 "^{\"type\":\"RECORD\",\"stream\":\"$2\"" "$1" || true; } | sed -E 's/.*"version":([0-9]+).*/\1/'
}
dst_count() {
    psql_q "$dst" "SELECT count(*) FROM $1"
}

# 1. normal runs: a first full load, then deletes in the source; INCREMENTAL keeps the deleted
#    rows, FULL_TABLE (max_record_count 100) is part way through a new version
cfg "$TEST_TMP/c0.json"
pipeline "$TEST_TMP/c0.json" "" r0
assert_eq 0 "$RC" "run 0 (first load) exits 0"
psql_q "$src" "DELETE FROM ft WHERE id <= 50; DELETE FROM inc WHERE id <= 50 OR id = 1001; UPDATE inc SET v = 'changed' WHERE id = 60"
cfg "$TEST_TMP/c1.json" '"max_record_count":100'
pipeline "$TEST_TMP/c1.json" "$TEST_TMP/r0.state" r1
assert_eq 0 "$RC" "run 1 (after the deletes, max_record_count 100) exits 0"
assert_eq "$((300 - 30 + 2))" "$(dst_count inc)" "without a re-copy the rows deleted from inc stay in the target"
assert_contains "$(cat "$TEST_TMP/r1.state")" '"last_pk_fetched":{"id":"150"}' "ft is part way through a version (last_pk_fetched 150)"
v_ft_old=$(version_of "$TEST_TMP/r1.out" public-ft)
v_inc_old=$(version_of "$TEST_TMP/r1.out" public-inc)

# 2. the re-copy, under max_record_count 100: three runs each
cfg "$TEST_TMP/c2.json" '"max_record_count":100,"recopy_streams":{"public-ft":"2026-12-03","public-inc":"2026-12-03"}'
pipeline "$TEST_TMP/c2.json" "$TEST_TMP/r1.state" r2
assert_eq 0 "$RC" "run 2 (the re-copy asked) exits 0"
assert_contains "$(cat "$TEST_TMP/r2.err")" 'stream "public-ft": recopy_streams asks for a re-copy (token "2026-12-03", the bookmark has none): copied again from the start as a new table version' \
    "the re-copy of ft is logged with its token"
assert_contains "$(cat "$TEST_TMP/r2.err")" 'stream "public-inc": recopy_streams asks for a re-copy (token "2026-12-03", the bookmark has none)' \
    "the re-copy of inc is logged with its token"
assert_eq 51 "$(first_id "$TEST_TMP/r2.out" public-ft)" "ft starts again at its first key (not after last_pk_fetched 150)"
assert_eq 51 "$(first_id "$TEST_TMP/r2.out" public-inc)" "inc starts again at its first key (not at its replication_key_value)"
v_ft=$(version_of "$TEST_TMP/r2.out" public-ft)
v_inc=$(version_of "$TEST_TMP/r2.out" public-inc)
assert_eq 1 "$([ "$v_ft" -gt "$v_ft_old" ] && [ "$v_inc" -gt "$v_inc_old" ] && echo 1 || echo 0)" \
    "both re-copies are new table versions (ft $v_ft_old -> $v_ft, inc $v_inc_old -> $v_inc)"
assert_eq 0 "$(grep -c '^{"type":"ACTIVATE_VERSION","stream":"public-inc"' "$TEST_TMP/r2.out" || true)" \
    "no ACTIVATE_VERSION of inc before its re-copy is complete"
assert_contains "$(cat "$TEST_TMP/r2.err")" 'stream "public-inc": the re-copy stops at the limit (100 rows): the next run goes on with it' \
    "the limit stops the re-copy of inc, and the log says it goes on"
st2=$(cat "$TEST_TMP/r2.state")
assert_contains "$st2" '"recopy_token":"2026-12-03"' "the state records the token"
assert_contains "$st2" '"recopy_in_progress":true' "the state says the re-copy of inc is in progress"
assert_contains "$(grep '^{"type":"STATE"' "$TEST_TMP/r2.out" | sed -n 2p)" '"recopy_token":"2026-12-03"' \
    "the first STATE of the stream already holds the token"
assert_eq "$((300 - 30 + 2))" "$(dst_count inc)" "the deleted rows stay in the target until the new version is complete"
for run in r3 r4; do
    pipeline "$TEST_TMP/c2.json" "$TEST_TMP/$(sed 's/r3/r2/;s/r4/r3/' <<<$run).state" $run
    assert_eq 0 "$RC" "$run (the same token: the re-copy goes on) exits 0"
    assert_not_contains "$(cat "$TEST_TMP/$run.err")" "asks for a re-copy" "$run: no new re-copy for the same token"
    assert_eq "$v_ft $v_inc" "$(version_of "$TEST_TMP/$run.out" public-ft) $(version_of "$TEST_TMP/$run.out" public-inc)" \
        "$run: the re-copies keep their versions"
done
assert_contains "$(cat "$TEST_TMP/r3.err")" 'or null (the re-copy goes on)' "the resumed re-copy of inc reads from its position, rows without a key too"
assert_eq 0 "$(cat "$TEST_TMP"/r[234].out | grep '^{"type":"RECORD","stream":"public-inc"' | grep -c '"record":{"id":[0-9]*7,' || true)" \
    "the custom where clause holds in every run of the re-copy"
assert_contains "$(cat "$TEST_TMP/r4.err")" 'stream "public-inc": re-copy done: version' "the third run ends the re-copy of inc"
assert_eq "{\"type\":\"ACTIVATE_VERSION\",\"stream\":\"public-inc\",\"version\":$v_inc}" \
    "$(grep '^{"type":"ACTIVATE_VERSION","stream":"public-inc"' "$TEST_TMP/r4.out")" "one ACTIVATE_VERSION of inc, after its last rows"
assert_contains "$(grep '"stream":"public-inc"' "$TEST_TMP/r4.out" | tail -n 1)" "ACTIVATE_VERSION" "inc's ACTIVATE_VERSION follows its last RECORD"
assert_contains "$(record_ids "$TEST_TMP/r4.out" public-inc | tr '\n' ' ')" "1002" "the row without a key value is in the new version"
assert_not_contains "$(cat "$TEST_TMP/r4.state")" "recopy_in_progress" "the final state has no re-copy in progress"
assert_contains "$(cat "$TEST_TMP/r4.state")" '"recopy_token":"2026-12-03"' "the final state keeps the token"
compare "after the re-copies"

# 3. the same config once more: nothing copied again; a new token: copied again
cfg "$TEST_TMP/c5.json" '"recopy_streams":{"public-ft":"2026-12-03","public-inc":"2026-12-03"}'
pipeline "$TEST_TMP/c5.json" "$TEST_TMP/r4.state" r5
assert_eq 0 "$RC" "run 5 (the same token, no limit) exits 0"
assert_not_contains "$(cat "$TEST_TMP/r5.err")" "asks for a re-copy" "the same token asks for no re-copy"
assert_eq 1 "$(record_ids "$TEST_TMP/r5.out" public-inc | wc -l | tr -d ' ')" "inc sends only the bookmark's row (a normal INCREMENTAL run)"
psql_q "$src" "DELETE FROM inc WHERE id = 100"
cfg "$TEST_TMP/c6.json" '"recopy_streams":{"public-inc":"second"}'
pipeline "$TEST_TMP/c6.json" "$TEST_TMP/r5.state" r6
assert_eq 0 "$RC" "run 6 (a new token) exits 0"
assert_contains "$(cat "$TEST_TMP/r6.err")" 'stream "public-inc": recopy_streams asks for a re-copy (token "second", the bookmark'"'"'s is "2026-12-03")' \
    "a new token asks for another re-copy"
assert_eq "$(psql_q "$src" "SELECT count(*) FROM inc WHERE id % 10 <> 7")" "$(record_ids "$TEST_TMP/r6.out" public-inc | wc -l | tr -d ' ')" \
    "the new re-copy sends every row of inc"
compare "after the second re-copy"

# 4. kill -9 in the middle of a re-copy of inc (itersize 20: a STATE every 20 rows), then resume
#    (20,000 rows more: the tap blocks on the full pipe long before the end of the table)
psql_q "$src" "INSERT INTO inc SELECT g, g * 10, 'more ' || g FROM generate_series(2000, 21999) g"
cfg "$TEST_TMP/c7.json" '"recopy_streams":{"public-inc":"third"}'
tap_read_until "$TEST_TMP/r7.out" 3 '*"recopy_in_progress":true*"replication_key_value"*' "$TEST_TMP/r7.err" \
    --config "$TEST_TMP/c7.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/r6.state"
kill -9 "$TAP_PID" 2>/dev/null || true
exec 3<&-
set +e
wait "$TAP_PID" 2>/dev/null
rc=$?
set -e
assert_eq 137 "$rc" "the tap is killed (kill -9) in the middle of the re-copy"
last=$(grep -n '^{"type":"STATE"' "$TEST_TMP/r7.out" | tail -n 1 | cut -d: -f1)
head -n "$last" "$TEST_TMP/r7.out" | "$TARGET_BIN" --config "$TEST_TMP/target.json" >"$TEST_TMP/r7.states" 2>"$TEST_TMP/r7.target"
tail -n 1 "$TEST_TMP/r7.states" >"$TEST_TMP/r7.state"
assert_contains "$(cat "$TEST_TMP/r7.state")" '"recopy_in_progress":true' "killed part way: the committed state has the re-copy in progress"
assert_contains "$(cat "$TEST_TMP/r7.state")" '"recopy_token":"third"' "killed part way: the committed state has the new token"
resume_at=$({ grep -o '"replication_key_value":"[0-9]*"' "$TEST_TMP/r7.state" || true; } | grep -o '[0-9]*' || true)
pipeline "$TEST_TMP/c7.json" "$TEST_TMP/r7.state" r8
assert_eq 0 "$RC" "the run after kill -9 exits 0"
assert_not_contains "$(cat "$TEST_TMP/r8.err")" "asks for a re-copy" "the run after kill -9 starts no other re-copy"
assert_contains "$(cat "$TEST_TMP/r8.err")" "rows with k >= $resume_at or null (the re-copy goes on)" "it goes on from the committed position"
assert_eq "$(version_of "$TEST_TMP/r7.out" public-inc)" "$(version_of "$TEST_TMP/r8.out" public-inc)" "with the killed run's version"
assert_contains "$(cat "$TEST_TMP/r8.err")" 'stream "public-inc": re-copy done' "and ends the re-copy"
compare "after kill -9 in a re-copy and its resume"

# 5. errors
run_err() { # NAME EXTRA_CONFIG [CATALOG]
    tap_config "$src" "$2" >"$TEST_TMP/$1.json"
    run_cmd "$TEST_TMP/$1.out" "$TEST_TMP/$1.err" "$TAP_BIN" --config "$TEST_TMP/$1.json" --catalog "${3:-$TEST_TMP/catalog.json}"
}
run_err e1 '"recopy_streams":{"public-nope":"x"}'
assert_eq 3 "$RC" "a stream not in the catalog: exit 3"
assert_contains "$(cat "$TEST_TMP/e1.err")" "config key recopy_streams: stream \"public-nope\" is not in the catalog \"$TEST_TMP/catalog.json\" (stream ids are \"<schema>-<table>\")" \
    "a stream not in the catalog: the error names it"
run_err e2 '"recopy_streams":{"public-other":"x"}'
assert_eq 3 "$RC" "a stream not selected: exit 3"
assert_contains "$(cat "$TEST_TMP/e2.err")" "config key recopy_streams: stream \"public-other\" is not selected in the catalog \"$TEST_TMP/catalog.json\" (select it, or remove it from recopy_streams)" \
    "a stream not selected: the error names it"
for bad in '""' 5 null '["x"]'; do
    run_err e3 "\"recopy_streams\":{\"public-inc\":$bad}"
    assert_eq 3 "$RC" "token $bad: exit 3"
    assert_contains "$(cat "$TEST_TMP/e3.err")" "config \"$TEST_TMP/e3.json\": "'key "recopy_streams": stream "public-inc": the token must be a non-empty string (any text, e.g. the date of the request; a new token asks for another re-copy)' \
        "token $bad: the error names the key and the stream"
done
run_err e4 '"recopy_streams":"public-inc"'
assert_eq 3 "$RC" "recopy_streams not an object: exit 3"
assert_contains "$(cat "$TEST_TMP/e4.err")" 'key "recopy_streams" must be an object, got "public-inc"' "recopy_streams not an object: the error names the key"
finish
