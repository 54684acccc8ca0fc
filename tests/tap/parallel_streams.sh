#!/usr/bin/env bash
# parallel_streams: FULL_TABLE and INCREMENTAL streams synced several at once. With 3: every
# table's rows once, each stream's messages in their order (SCHEMA first, RECORDs, STATEs
# between them, ACTIVATE_VERSION after the last RECORD of a FULL_TABLE stream), the streams'
# lines interleaved (they ran at once), whole lines only, and every STATE claiming for every
# stream only rows written before it (last_pk_fetched / replication_key_value / version);
# tap | target equal to the source; the same with snapshot_workers 2 in each stream. A kill -9
# in the middle, then a resumed run: source = target. SIGTERM: exit 130, STATEs true. A
# failing stream fails the run (exit 4, named), no STATE past what was written. The setting at
# 1 writes what no setting writes; out-of-range values are exit 3 naming the key.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_pstreams
tdb=tap_pstreams_target
fresh_db "$db"
psql_q "$db" "CREATE TABLE a (id int PRIMARY KEY, v text, n numeric);
  INSERT INTO a SELECT i, md5(i::text), i / 7.0 FROM generate_series(1, 40000) i;
  CREATE TABLE b (id int PRIMARY KEY, v text);
  INSERT INTO b SELECT i, repeat(md5(i::text), 2) FROM generate_series(1, 40000) i;
  CREATE TABLE c (id int PRIMARY KEY, v text);
  INSERT INTO c SELECT i, 'c' || i FROM generate_series(1, 40000) i;
  CREATE TABLE d (id int PRIMARY KEY, v text);
  INSERT INTO d SELECT i, 'd' || i FROM generate_series(1, 3000) i;
  ANALYZE"
tap_config "$db" '"itersize":1000' >"$TEST_TMP/tap1.json"
# a, b, d FULL_TABLE; c INCREMENTAL on its key
"$TAP_BIN" --config "$TEST_TMP/tap1.json" --discover 2>/dev/null | select_streams FULL_TABLE |
    stream_metadata public-c '"replication-method":"INCREMENTAL","replication-key":"id"' >"$TEST_TMP/cat.json"
target_config "$tdb" '"default_target_schema":"tgt"' >"$TEST_TMP/target.json"

# check.py OUT [partial]: the stream checks on a tap output, one "ok - " / "not ok - " line each
cat >"$TEST_TMP/check.py" <<'PY'
import json, os, sys
path, partial = sys.argv[1], len(sys.argv) > 2
n = {"public-a": 40000, "public-b": 40000, "public-c": 40000, "public-d": 3000}
inc = {"public-c"}
msgs = [json.loads(l) for l in open(path)]
fails = []
def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
seen = {s: {} for s in n}       # stream -> id -> count, so far
first = {}; last_rec = {}; schema_at = {}; av_at = {}; states_in = {s: 0 for s in n}
bad_claims = []; bad_cs = []; versions = {}
for i, m in enumerate(msgs):
    t = m["type"]
    s = m.get("stream")
    if t == "SCHEMA":
        schema_at.setdefault(s, i)
    elif t == "RECORD":
        if s not in schema_at:
            fails.append("%s: RECORD before SCHEMA at line %d" % (s, i + 1))
        k = m["record"]["id"]
        seen[s][k] = seen[s].get(k, 0) + 1
        first.setdefault(s, i); last_rec[s] = i
        versions.setdefault(s, set()).add(m["version"])
    elif t == "ACTIVATE_VERSION":
        av_at[s] = i
    elif t == "STATE":
        v = m["value"]
        for st in n:
            if st in first and last_rec.get(st, -1) >= first[st] and av_at.get(st, -1) < first[st]:
                states_in[st] += 1
        for st, bm in v.get("bookmarks", {}).items():
            if st not in n:
                continue
            if "last_pk_fetched" in bm:
                k = int(bm["last_pk_fetched"]["id"])
                got = sum(1 for x in seen[st] if x <= k)
                if got != k:
                    bad_claims.append("%s last_pk_fetched %d at line %d: %d written" % (st, k, i + 1, got))
            if st in inc and "replication_key_value" in bm:
                k = int(bm["replication_key_value"])
                got = sum(1 for x in seen[st] if x < k)
                if got != k - 1:
                    bad_claims.append("%s replication_key_value %d at line %d: %d below written" % (st, k, i + 1, got))
            if "version" in bm and st in versions and bm["version"] not in versions[st] and not partial:
                bad_claims.append("%s version %s at line %d is not its records'" % (st, bm["version"], i + 1))
        cs = v.get("currently_syncing")
        if cs is not None and cs not in schema_at:
            bad_cs.append("line %d names %s before its SCHEMA" % (i + 1, cs))
check(not fails, "RECORDs after their SCHEMA " + "; ".join(fails[:3]))
check(not bad_claims, "every STATE claims only rows written before it " + "; ".join(bad_claims[:3]))
check(not bad_cs, "currently_syncing names a stream in flight " + "; ".join(bad_cs[:3]))
if not partial:
    for s in n:
        ids = seen[s]
        check(len(ids) == n[s] and all(c == 1 for c in ids.values()) and min(ids) == 1 and max(ids) == n[s],
              "%s: each of its %d rows once (%d distinct, %d records)" % (s, n[s], len(ids), sum(ids.values())))
        check(schema_at[s] < first[s], "%s: SCHEMA before its first RECORD" % s)
        if s in inc:
            check(av_at[s] < first[s], "%s: INCREMENTAL: ACTIVATE_VERSION before its records" % s)
        else:
            check(av_at[s] > last_rec[s], "%s: ACTIVATE_VERSION after its last RECORD" % s)
        if n[s] > 1000:
            check(states_in[s] > 0, "%s: STATEs between its RECORDs (%d)" % (s, states_in[s]))
    spans = sorted((first[s], last_rec[s], s) for s in n)
    overlap = [(x[2], y[2]) for x in spans for y in spans if x[2] < y[2] and x[0] < y[1] and y[0] < x[1]]
    big = [p for p in overlap if "public-d" not in p]
    want = int(os.environ.get("MIN_OVERLAP", "1"))
    check(len(big) >= want, "the streams' RECORDs interleave (overlapping pairs: %s, at least %d)" % (big, want))
    final = msgs[-1]
    check(final["type"] == "STATE" and final["value"].get("currently_syncing") is None and
          all("last_pk_fetched" not in b for b in final["value"]["bookmarks"].values()),
          "the last message is a STATE with currently_syncing null and no resume key")
PY

# check OUT LABEL [partial]: check.py's lines as assertions (MIN_OVERLAP: pairs of the large
# streams whose RECORDs interleave, default 1)
check_out() {
    local line
    while IFS= read -r line; do
        case $line in
        "ok - "*) ok "$2: ${line#ok - }" ;;
        *) not_ok "$2: ${line#not ok - }" ;;
        esac
    done < <(python3 "$TEST_TMP/check.py" "$1" ${3:+partial} 2>&1 || echo "not ok - check.py failed")
}

# same_tables LABEL: source = target for every table
same_tables() {
    local t
    for t in a b c d; do
        same_rows "$db" "SELECT * FROM $t" "$tdb" "SELECT * FROM tgt.$t" "$1: $t"
    done
}

fresh_db "$tdb"
tap_config "$db" '"itersize":1000,"parallel_streams":3' >"$TEST_TMP/tap3.json"
run_cmd "$TEST_TMP/out3.jsonl" "$TEST_TMP/err3" "$TAP_BIN" --config "$TEST_TMP/tap3.json" --catalog "$TEST_TMP/cat.json"
assert_eq 0 "$RC" "parallel_streams 3: tap exit code"
check_jsonl "$TEST_TMP/out3.jsonl" "parallel_streams 3: whole Singer lines"
assert_contains "$(cat "$TEST_TMP/err3")" "syncing 4 FULL_TABLE/INCREMENTAL streams 3 at a time (parallel_streams), each on its own connection" "parallel_streams 3: logged"
assert_contains "$(grep -c 'sync of' "$TEST_TMP/err3")" "4" "parallel_streams 3: every stream synced"
assert_eq 4 "$(grep -c '^{"type":"SCHEMA"' "$TEST_TMP/out3.jsonl")" "parallel_streams 3: one SCHEMA per stream"
check_out "$TEST_TMP/out3.jsonl" "parallel_streams 3"
# the three large streams were all started before the first one ended
started=$(sed -n '1,/stream "public-[a-d]": [0-9]* rows$/p' "$TEST_TMP/err3" | grep -c 'FULL_TABLE sync of\|INCREMENTAL sync of')
assert_eq 3 "$started" "parallel_streams 3: three streams started before the first one ended"
assert_contains "$(cat "$TEST_TMP/err3")" 'summary: 123000 records in' "parallel_streams 3: the summary counts every stream's rows"
run_cmd "$TEST_TMP/st3" "$TEST_TMP/terr3" "$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/out3.jsonl"
assert_eq 0 "$RC" "parallel_streams 3: target exit code"
same_tables "parallel_streams 3"

# the setting at 1 writes exactly what no setting writes (versions and times aside)
norm() {
    sed -E 's/"version":[0-9]+/"version":V/g; s/"time_extracted":"[^"]*"/"time_extracted":T/g' "$1"
}
tap_config "$db" '"itersize":1000,"parallel_streams":1' >"$TEST_TMP/tap1p.json"
run_cmd "$TEST_TMP/out1.jsonl" "$TEST_TMP/err1" "$TAP_BIN" --config "$TEST_TMP/tap1.json" --catalog "$TEST_TMP/cat.json"
assert_eq 0 "$RC" "no setting: tap exit code"
run_cmd "$TEST_TMP/out1p.jsonl" "$TEST_TMP/err1p" "$TAP_BIN" --config "$TEST_TMP/tap1p.json" --catalog "$TEST_TMP/cat.json"
assert_eq 0 "$RC" "parallel_streams 1: tap exit code"
norm "$TEST_TMP/out1.jsonl" >"$TEST_TMP/n1"
norm "$TEST_TMP/out1p.jsonl" >"$TEST_TMP/n1p"
assert_files_eq "$TEST_TMP/n1" "$TEST_TMP/n1p" "parallel_streams 1: the same output as without it"
assert_not_contains "$(cat "$TEST_TMP/err1p")" "at a time" "parallel_streams 1: one stream after another"

# start_until ERR OUT N: the tap (tap3.json) read until N records have come (tap_read_until)
start_until() {
    tap_read_until "$TEST_TMP/$2" "$3" '{"type":"RECORD"*' "$TEST_TMP/$1" \
        --config "$TEST_TMP/tap3.json" --catalog "$TEST_TMP/cat.json"
}

# kill -9 in the middle: the target loads what arrived and writes the last STATE it committed;
# a resumed run (parallel_streams 3) finishes every interrupted stream
fresh_db "$tdb"
start_until errk part.jsonl 45000
kill -9 "$TAP_PID"
wait "$TAP_PID" 2>/dev/null || true
exec 3<&-
check_out "$TEST_TMP/part.jsonl" "killed run" partial
in_flight=$(grep '^{"type":"STATE"' "$TEST_TMP/part.jsonl" | tail -n 1 | grep -o '"last_pk_fetched"' | wc -l)
if [ "$in_flight" -ge 2 ]; then ok "kill -9: its last STATE has $in_flight streams in flight"; else not_ok "kill -9: its last STATE has $in_flight streams in flight"; fi
run_cmd "$TEST_TMP/stk" "$TEST_TMP/terrk" "$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/part.jsonl"
assert_eq 0 "$RC" "kill -9: the target loads what arrived"
tail -n 1 "$TEST_TMP/stk" >"$TEST_TMP/state.json"
assert_contains "$(cat "$TEST_TMP/state.json")" '"last_pk_fetched":{"id":"' "kill -9: the committed state holds a resume key"
run_cmd "$TEST_TMP/resumed.jsonl" "$TEST_TMP/errr" "$TAP_BIN" --config "$TEST_TMP/tap3.json" --catalog "$TEST_TMP/cat.json" --state "$TEST_TMP/state.json"
assert_eq 0 "$RC" "resumed: tap exit code"
assert_contains "$(cat "$TEST_TMP/errr")" "resuming after the key of the last record sent" "resumed: a stream goes on after its last_pk_fetched"
n2=$(grep -c '^{"type":"RECORD"' "$TEST_TMP/resumed.jsonl")
if [ "$n2" -lt 123000 ]; then ok "resumed: only what was left of the interrupted streams ($n2 records)"; else not_ok "resumed: only what was left of the interrupted streams ($n2 records)"; fi
run_cmd "$TEST_TMP/str" "$TEST_TMP/terrr" "$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/resumed.jsonl"
assert_eq 0 "$RC" "resumed: target exit code"
same_tables "kill -9 and resumed"
assert_contains "$(tail -n 1 "$TEST_TMP/str")" '"currently_syncing":null' "resumed: the final state has currently_syncing null"

# with snapshot_workers: each FULL_TABLE stream in flight is read by 2 connections of its own
fresh_db "$tdb"
tap_config "$db" '"itersize":1000,"parallel_streams":2,"snapshot_workers":2' >"$TEST_TMP/tapw.json"
run_cmd "$TEST_TMP/outw.jsonl" "$TEST_TMP/errw" "$TAP_BIN" --config "$TEST_TMP/tapw.json" --catalog "$TEST_TMP/cat.json"
assert_eq 0 "$RC" "with snapshot_workers 2: tap exit code"
assert_contains "$(grep public-a "$TEST_TMP/errw")" "read by 2 connections sharing snapshot" "with snapshot_workers 2: a table read by ranges"
MIN_OVERLAP=1 check_out "$TEST_TMP/outw.jsonl" "with snapshot_workers 2"
run_cmd "$TEST_TMP/stw" "$TEST_TMP/terrw" "$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/outw.jsonl"
assert_eq 0 "$RC" "with snapshot_workers 2: target exit code"
same_tables "with snapshot_workers 2"

# SIGTERM in the middle: whole lines, exit 130, every STATE still true
start_until errt term.jsonl 30000
kill -TERM "$TAP_PID"
cat <&3 >>"$TEST_TMP/term.jsonl"
exec 3<&-
set +e
wait "$TAP_PID"
RC=$?
set -e
assert_eq 130 "$RC" "SIGTERM: exit code"
assert_contains "$(cat "$TEST_TMP/errt")" "ERROR tap-postgres: interrupted" "SIGTERM: logged"
check_jsonl "$TEST_TMP/term.jsonl" "SIGTERM: whole Singer lines"
check_out "$TEST_TMP/term.jsonl" "SIGTERM" partial
nt=$(grep -c '^{"type":"RECORD"' "$TEST_TMP/term.jsonl")
if [ "$nt" -lt 123000 ]; then ok "SIGTERM: the run stopped early ($nt records)"; else not_ok "SIGTERM: the run stopped early ($nt records)"; fi

# a stream that fails in its middle (division by zero at id 20000) fails the run with its name;
# nothing after the failure claims more than was written
tap_config "$db" '"itersize":1000,"parallel_streams":3,"stream_options":{"public-b":{"custom_where_clauses":["id < 20000 OR 1 / (id - 20000) = 1"]}}' >"$TEST_TMP/tapf.json"
run_cmd "$TEST_TMP/outf.jsonl" "$TEST_TMP/errf" "$TAP_BIN" --config "$TEST_TMP/tapf.json" --catalog "$TEST_TMP/cat.json"
assert_eq 4 "$RC" "a failing stream: source database exit code"
assert_contains "$(cat "$TEST_TMP/errf")" 'stream "public-b": reading the table failed after' "a failing stream: the error names it"
assert_contains "$(cat "$TEST_TMP/errf")" 'stream "public-b" failed: the run stops, the other streams in flight were stopped (parallel_streams)' "a failing stream: the run stops"
check_jsonl "$TEST_TMP/outf.jsonl" "a failing stream: whole Singer lines"
check_out "$TEST_TMP/outf.jsonl" "a failing stream" partial
nav=$(grep -c '^{"type":"ACTIVATE_VERSION","stream":"public-b"' "$TEST_TMP/outf.jsonl" || true)
if [ "$nav" -le 1 ]; then ok "a failing stream: no ACTIVATE_VERSION at its end ($nav in all)"; else not_ok "a failing stream: no ACTIVATE_VERSION at its end ($nav in all)"; fi
assert_eq 0 "$(grep '^{"type":"STATE"' "$TEST_TMP/outf.jsonl" | grep -c '"public-b":{[^}]*"last_pk_fetched":{"id":"2[0-9][0-9][0-9][0-9]"' || true)" "a failing stream: no STATE claims its rows from the failing one on"

# out-of-range values are config errors naming the key
for bad in 0 65 -1; do
    tap_config "$db" "\"parallel_streams\":$bad" >"$TEST_TMP/bad.json"
    run_cmd "$TEST_TMP/o" "$TEST_TMP/e" "$TAP_BIN" --config "$TEST_TMP/bad.json" --catalog "$TEST_TMP/cat.json"
    assert_eq 3 "$RC" "parallel_streams $bad: bad config exit code"
    assert_contains "$(cat "$TEST_TMP/e")" "key \"parallel_streams\" must be an integer from 1 to 64, got $bad" "parallel_streams $bad: named"
    assert_eq 0 "$(wc -c <"$TEST_TMP/o")" "parallel_streams $bad: nothing on stdout"
done
finish
