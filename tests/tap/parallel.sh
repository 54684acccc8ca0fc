#!/usr/bin/env bash
# FULL_TABLE with snapshot_workers: 2 and 3 connections sharing one exported snapshot read a
# table by ranges of an integer key, of a composite key (pg_stats histogram) and of ctid blocks
# (no key); tap | target gives exactly the source rows (SQL both ways, with multiplicity). A
# kill -9 in the middle of the copy resumes per range from the last STATE the target
# committed, with 2 workers and with 1 (the single-connection last_pk_fetched).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_parallel
tdb=tap_parallel_target
fresh_db "$db"
psql_q "$db" "CREATE TABLE big (id bigint PRIMARY KEY, v text, n numeric);
  INSERT INTO big SELECT i * 3 - 40000, md5(i::text), i / 7.0 FROM generate_series(1, 30000) i;
  CREATE TABLE comp (region text, n int, v text, PRIMARY KEY (region, n));
  INSERT INTO comp SELECT 'r' || (i % 37), i, 'v' || i FROM generate_series(1, 6000) i;
  INSERT INTO comp VALUES ('o''brien', 1, E'tab\there'), ('zz', 1, NULL);
  CREATE TABLE kl (a int, b text);
  INSERT INTO kl SELECT i % 500, 'row ' || (i % 500) FROM generate_series(1, 20000) i;
  ANALYZE"
tap_config "$db" '"itersize":500' >"$TEST_TMP/tap1.json"
"$TAP_BIN" --config "$TEST_TMP/tap1.json" --discover 2>/dev/null | select_streams FULL_TABLE >"$TEST_TMP/all.json"
only_stream public-big <"$TEST_TMP/all.json" >"$TEST_TMP/big.json"

# same SRC_TABLE COLUMNS: the target's rows of the table equal the source's, both ways, counted
same() {
    local t=$1 cols=$2
    psql_q "$db" "DROP TABLE IF EXISTS cmp_$t; CREATE TABLE cmp_$t AS SELECT $cols FROM $t WHERE false" >/dev/null
    psql -X -q -d "$tdb" -c "\\copy (SELECT $cols FROM tgt.$t) TO STDOUT" | psql -X -q -d "$db" -c "\\copy cmp_$t FROM STDIN"
    psql_q "$db" "SELECT (SELECT count(*) FROM (SELECT $cols FROM $t EXCEPT ALL SELECT $cols FROM cmp_$t) x)
                  + (SELECT count(*) FROM (SELECT $cols FROM cmp_$t EXCEPT ALL SELECT $cols FROM $t) y)"
}
target_config "$tdb" '"default_target_schema":"tgt","primary_key_required":false' >"$TEST_TMP/target.json"

for w in 2 3; do
    fresh_db "$tdb"
    tap_config "$db" "\"itersize\":500,\"snapshot_workers\":$w" >"$TEST_TMP/tapw.json"
    run_cmd "$TEST_TMP/out$w.jsonl" "$TEST_TMP/err$w" "$TAP_BIN" --config "$TEST_TMP/tapw.json" --catalog "$TEST_TMP/all.json"
    assert_eq 0 "$RC" "$w workers: tap exit code"
    check_jsonl "$TEST_TMP/out$w.jsonl" "$w workers: whole Singer lines"
    run_cmd "$TEST_TMP/st$w" "$TEST_TMP/terr$w" "$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/out$w.jsonl"
    assert_eq 0 "$RC" "$w workers: target exit code"
    assert_contains "$(cat "$TEST_TMP/err$w")" "stream \"public-big\": $((w * 4)) ranges (the key's min and max) read by $w connections sharing snapshot" "$w workers: integer key split by min and max"
    assert_contains "$(cat "$TEST_TMP/err$w")" "stream \"public-comp\": " "$w workers: composite key"
    assert_contains "$(grep public-comp "$TEST_TMP/err$w")" "ranges (the statistics of the first key column) read by $w connections" "$w workers: composite key split by its statistics"
    assert_contains "$(grep public-kl "$TEST_TMP/err$w")" "ranges (ctid blocks) read by $w connections" "$w workers: keyless table split by ctid blocks"
    assert_eq 0 "$(same big 'id, v, n')" "$w workers: big: exact rows"
    assert_eq 0 "$(same comp 'region, n, v')" "$w workers: comp (composite key): exact rows"
    assert_eq 0 "$(same kl 'a, b')" "$w workers: kl (no key): exact rows, duplicates counted"
    assert_eq 30000 "$(grep -c '^{"type":"RECORD","stream":"public-big"' "$TEST_TMP/out$w.jsonl")" "$w workers: each row of big once"
    assert_not_contains "$(last_state "$TEST_TMP/out$w.jsonl")" "snapshot_ranges" "$w workers: the final state has no ranges"
    assert_not_contains "$(last_state "$TEST_TMP/out$w.jsonl")" "last_pk_fetched" "$w workers: the final state has no resume key"
done

# kill -9 in the middle of the copy: the target loads what arrived (the lines before the cut)
# and writes the last STATE it committed; the next run resumes per range from it.
# interrupted N_RECORDS WORKERS: run 1 on public-big, killed after N records; sets $TEST_TMP/state.json
interrupted() {
    local n=$1 w=$2
    fresh_db "$tdb"
    tap_config "$db" "\"itersize\":500,\"snapshot_workers\":$w" >"$TEST_TMP/tapk.json"
    tap_read_until "$TEST_TMP/part.jsonl" "$n" '{"type":"RECORD"*' "$TEST_TMP/errk" \
        --config "$TEST_TMP/tapk.json" --catalog "$TEST_TMP/big.json"
    kill -9 "$TAP_PID"
    wait "$TAP_PID" 2>/dev/null || true
    exec 3<&-
    run_cmd "$TEST_TMP/stk" "$TEST_TMP/terrk" "$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/part.jsonl"
    tail -n 1 "$TEST_TMP/stk" >"$TEST_TMP/state.json"
}

interrupted 6000 2
assert_eq 0 "$RC" "kill -9: the target loads what arrived"
assert_contains "$(cat "$TEST_TMP/state.json")" '"snapshot_ranges":[' "kill -9: the committed state holds the ranges"
assert_contains "$(cat "$TEST_TMP/state.json")" '"last_pk_fetched":{"id":"' "kill -9: and a single-connection resume key"
loaded=$(psql_q "$tdb" "SELECT count(*) FROM tgt.big")
if [ "$loaded" -gt 0 ] && [ "$loaded" -lt 30000 ]; then ok "kill -9: part of the table loaded ($loaded rows)"; else not_ok "kill -9: part of the table loaded ($loaded rows)"; fi
v1=$(grep -m 1 -o '"version":[0-9]*' "$TEST_TMP/part.jsonl")
tap_config "$db" '"itersize":500,"snapshot_workers":2' >"$TEST_TMP/tapk.json"
run_cmd "$TEST_TMP/resumed.jsonl" "$TEST_TMP/errr" "$TAP_BIN" --config "$TEST_TMP/tapk.json" --catalog "$TEST_TMP/big.json" --state "$TEST_TMP/state.json"
assert_eq 0 "$RC" "resume with 2 workers: tap exit code"
assert_contains "$(cat "$TEST_TMP/errr")" "ranges after the key of the last record written from each" "resume with 2 workers: per range"
n2=$(grep -c '^{"type":"RECORD"' "$TEST_TMP/resumed.jsonl")
if [ "$n2" -lt 30000 ]; then ok "resume with 2 workers: only what was left is read ($n2 records)"; else not_ok "resume with 2 workers: only what was left is read ($n2 records)"; fi
assert_eq "0" "$(grep '^{"type":"RECORD"' "$TEST_TMP/resumed.jsonl" | grep -vc "$v1," || true)" "resume with 2 workers: the interrupted version is kept"
run_cmd "$TEST_TMP/st_r" "$TEST_TMP/terr_r" "$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/resumed.jsonl"
assert_eq 0 "$RC" "resume with 2 workers: target exit code"
assert_eq 0 "$(same big 'id, v, n')" "resume with 2 workers: exact rows"

# the same interruption resumed by a run with one connection (from last_pk_fetched). The
# single-connection key covers only the first range's rows sent so far: a run killed before
# that range sent any (a slow backend on a loaded machine) has none, so kill again until a
# committed state holds one
for try in 1 2 3 4 5; do
    interrupted 9000 2
    grep -q '"last_pk_fetched":{"id":"' "$TEST_TMP/state.json" && break
    echo "# try $try: the committed state has no single-connection key yet; again"
done
assert_contains "$(cat "$TEST_TMP/state.json")" '"last_pk_fetched":{"id":"' "resume with 1 connection: the committed state holds a single-connection key"
tap_config "$db" '"itersize":500' >"$TEST_TMP/tapk.json"
run_cmd "$TEST_TMP/resumed1.jsonl" "$TEST_TMP/errr1" "$TAP_BIN" --config "$TEST_TMP/tapk.json" --catalog "$TEST_TMP/big.json" --state "$TEST_TMP/state.json"
assert_eq 0 "$RC" "resume with 1 connection: tap exit code"
assert_contains "$(cat "$TEST_TMP/errr1")" "resuming after the key of the last record sent" "resume with 1 connection: after last_pk_fetched"
run_cmd "$TEST_TMP/st_r1" "$TEST_TMP/terr_r1" "$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/resumed1.jsonl"
assert_eq 0 "$RC" "resume with 1 connection: target exit code"
assert_eq 0 "$(same big 'id, v, n')" "resume with 1 connection: exact rows"
assert_not_contains "$(last_state "$TEST_TMP/resumed1.jsonl")" "snapshot_ranges" "resume with 1 connection: the ranges are dropped"

# the workers' records go through the stream's transformations (a HASH of v) and count in the
# summary at the end
tap_config "$db" '"itersize":500,"snapshot_workers":2,"transformations":[{"tap_stream_name":"public-big","field_id":"v","type":"HASH"}]' >"$TEST_TMP/tapx.json"
run_cmd "$TEST_TMP/outx.jsonl" "$TEST_TMP/errx" "$TAP_BIN" --config "$TEST_TMP/tapx.json" --catalog "$TEST_TMP/big.json"
assert_eq 0 "$RC" "workers with a HASH: tap exit code"
want=$(printf '%s' "$(psql_q "$db" "SELECT md5(1::text)")" | sha256sum | cut -d' ' -f1)
assert_contains "$(grep -m1 '"id":-39997,' "$TEST_TMP/outx.jsonl")" "\"v\":\"$want\"" "workers with a HASH: v hashed"
assert_eq 0 "$(grep -c "\"v\":\"$(psql_q "$db" "SELECT md5(1::text)")\"" "$TEST_TMP/outx.jsonl")" "workers with a HASH: no value in the clear"
assert_contains "$(cat "$TEST_TMP/errx")" "public-big" "workers with a HASH: summary names the stream"
assert_contains "$(cat "$TEST_TMP/errx")" "summary: stream \"public-big\" FULL_TABLE: 30000 rows in" "workers with a HASH: summary counts the workers' rows"

# a bad setting is an error naming it
tap_config "$db" '"snapshot_workers":0' >"$TEST_TMP/bad.json"
run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TAP_BIN" --config "$TEST_TMP/bad.json" --catalog "$TEST_TMP/big.json"
assert_eq 3 "$RC" "snapshot_workers 0: bad config exit code"
assert_contains "$(cat "$TEST_TMP/e")" 'key "snapshot_workers" must be an integer from 1 to 64, got 0' "snapshot_workers 0: named"
finish
