#!/usr/bin/env bash
# Progress and metrics of FULL_TABLE and INCREMENTAL runs: periodic METRIC lines in the Singer
# SDK's shape when stderr is not a terminal (record_count deltas that add up to the rows,
# sync_progress against pg_class.reltuples), the summary at the end, metrics_format json, the
# live line on a terminal (util-linux script gives the run a pty), and bad settings.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

# pts FILE FILTER OUTPUT: for each JSON line p of FILE where the Python expression FILTER holds,
# print the Python expression OUTPUT (python3 comes with python3-botocore: tests/deps.sh)
pts() {
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    p = json.loads(line)
    if eval(sys.argv[2]):
        print(eval(sys.argv[3]))' "$@"
}

db=tap_progress
fresh_db "$db"
psql_q "$db" "CREATE TABLE big (id int PRIMARY KEY, v text);
  INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 60000) g;
  CREATE TABLE small (id int PRIMARY KEY, at timestamptz);
  INSERT INTO small SELECT g, '2024-01-01'::timestamptz + g * interval '1 day' FROM generate_series(1, 7) g;
  ANALYZE big; ANALYZE small" >/dev/null

# a very short interval: several points during the copy of big
tap_config "$db" '"metrics_interval_seconds":0.001' >"$TEST_TMP/config.json"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | select_streams FULL_TABLE |
    stream_metadata public-small '"replication-method":"INCREMENTAL","replication-key":"at"' >"$TEST_TMP/catalog.json"
run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "run with metrics every millisecond exits 0"
check_jsonl "$TEST_TMP/o1" "stdout holds whole Singer messages only"
assert_eq 60000 "$(record_ids "$TEST_TMP/o1" public-big | wc -l)" "all rows of big are sent"

# every METRIC line is the SDK's: 'METRIC: ' then {"type": ..., "metric": ..., "value": ..., "tags": {...}}
grep -o 'METRIC: .*' "$TEST_TMP/e1" | cut -c9- >"$TEST_TMP/points"
assert_eq 0 "$(pts "$TEST_TMP/points" 'list(p) != ["type", "metric", "value", "tags"]' p | wc -l)" \
    "every METRIC line is JSON with type, metric, value, tags in the SDK's order"
assert_contains "$(cat "$TEST_TMP/e1")" 'METRIC: {"type": "counter", "metric": "record_count", "value": ' \
    "the SDK's separators (json.dumps)"
sum=$(pts "$TEST_TMP/points" 'p["metric"] == "record_count" and p["tags"]["stream"] == "public-big"' 'p["value"]' | paste -sd+ | bc)
assert_eq 60000 "$sum" "the record_count points of big add up to its rows (the SDK's counter deltas)"
n_prog=$(pts "$TEST_TMP/points" 'p["metric"] == "sync_progress" and p["tags"]["stream"] == "public-big"' 'p["value"]' | wc -l)
if [ "$n_prog" -ge 2 ]; then ok "sync_progress points during the copy ($n_prog)"; else not_ok "sync_progress points during the copy ($n_prog)"; fi
assert_eq "60000" "$(pts "$TEST_TMP/points" 'p["metric"] == "sync_progress" and p["tags"]["stream"] == "public-big"' 'p["tags"]["estimated_rows"]' | sort -u)" \
    "the estimate is pg_class.reltuples"
assert_eq "ok" "$(pts "$TEST_TMP/points" 'p["metric"] == "sync_progress" and p["tags"]["stream"] == "public-big"' '"ok" if 0 < p["value"] <= 100 and abs(p["value"] - p["tags"]["rows"] / 600) < 0.06 else p' | sort -u)" \
    "sync_progress is the percent of the estimate the rows reached"
assert_eq 1 "$(pts "$TEST_TMP/points" 'p["metric"] == "sync_duration" and p["tags"] == {"stream": "public-big", "status": "succeeded"}' 'p["type"]' | grep -c '^timer$')" \
    "one sync_duration timer per stream, with the SDK's status tag"
assert_eq 7 "$(pts "$TEST_TMP/points" 'p["metric"] == "record_count" and p["tags"]["stream"] == "public-small"' 'p["value"]' | paste -sd+ | bc)" \
    "INCREMENTAL: record_count adds up to the rows"
grep -o 'summary: .*' "$TEST_TMP/e1" | sed -E 's/ in [0-9.]+ s \([0-9]+ (rows|records)\/s\)/ in <S> s (<R> \1\/s)/' >"$TEST_TMP/summary"
assert_files_eq - "$TEST_TMP/summary" "the summary: rows, seconds, rows/s per stream and in all" <<'S'
summary: stream "public-big" FULL_TABLE: 60000 rows in <S> s (<R> rows/s)
summary: stream "public-small" INCREMENTAL: 7 rows in <S> s (<R> rows/s)
summary: 60007 records in <S> s (<R> records/s)
S

# metrics_interval_seconds 0: no periodic point, the end-of-stream points and the summary stay
tap_config "$db" '"metrics_interval_seconds":0' >"$TEST_TMP/config0.json"
run_cmd "$TEST_TMP/o2" "$TEST_TMP/e2" "$TAP_BIN" --config "$TEST_TMP/config0.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "run with metrics_interval_seconds 0 exits 0"
assert_not_contains "$(cat "$TEST_TMP/e2")" '"sync_progress"' "no periodic point with metrics_interval_seconds 0"
assert_contains "$(cat "$TEST_TMP/e2")" 'METRIC: {"type": "counter", "metric": "record_count", "value": 60000, "tags": {"stream": "public-big"}}' \
    "one record_count at the end of the stream"
assert_contains "$(cat "$TEST_TMP/e2")" 'summary: 60007 records in ' "the summary is written"

# metrics_format json: a JSON object per METRIC line, the rest of the log as it is
tap_config "$db" '"metrics_interval_seconds":0,"metrics_format":"json"' >"$TEST_TMP/configj.json"
run_cmd "$TEST_TMP/o3" "$TEST_TMP/e3" "$TAP_BIN" --config "$TEST_TMP/configj.json" --catalog "$TEST_TMP/catalog.json"
assert_eq 0 "$RC" "run with metrics_format json exits 0"
grep '^{' "$TEST_TMP/e3" >"$TEST_TMP/jpoints" || true
assert_eq 4 "$(pts "$TEST_TMP/jpoints" 'p["level"] == "INFO" and p["program"] == "tap-postgres" and p["time"][:2] == "20"' 'p["metric"]' | wc -l)" \
    "metrics_format json: one JSON object per point (2 streams x record_count, sync_duration)"
assert_eq 60000 "$(pts "$TEST_TMP/jpoints" 'p["metric"] == "record_count" and p["tags"]["stream"] == "public-big"' 'p["value"]')" \
    "the JSON point carries the value and tags"
assert_not_contains "$(cat "$TEST_TMP/e3")" 'METRIC: ' "no METRIC text line with metrics_format json"

# a terminal: the live line, redrawn in place, with the log above it; stdout stays clean
run_cmd "$TEST_TMP/o4" "$TEST_TMP/e4" script -q -e -c "'$TAP_BIN' --config '$TEST_TMP/config0.json' --catalog '$TEST_TMP/catalog.json' >'$TEST_TMP/o4.jsonl'" "$TEST_TMP/typescript"
assert_eq 0 "$RC" "run on a pty exits 0"
check_jsonl "$TEST_TMP/o4.jsonl" "on a terminal stdout still holds Singer messages only"
assert_eq 60000 "$(record_ids "$TEST_TMP/o4.jsonl" public-big | wc -l)" "on a terminal all rows are sent"
ts=$(cat -v "$TEST_TMP/typescript")
assert_contains "$ts" '^M^[[Kpublic-big FULL_TABLE: 0 rows, 0 rows/s, 0.0% of ~60000' \
    "the live line: carriage return, erase, stream, rows, rows/s, percent of the estimate"
assert_contains "$ts" '^M^[[Kpublic-small INCREMENTAL: 0 rows' "a live line per stream"
assert_contains "$ts" 'summary: 60007 records in ' "the summary on a terminal too"
assert_not_contains "$(grep -a 'METRIC' "$TEST_TMP/typescript" | grep -a sync_progress || true)" 'sync_progress' \
    "no periodic METRIC lines on a terminal"
# progress off: no live line on a terminal
tap_config "$db" '"metrics_interval_seconds":0,"progress":"off"' >"$TEST_TMP/configoff.json"
run_cmd "$TEST_TMP/o5" "$TEST_TMP/e5" script -q -e -c "'$TAP_BIN' --config '$TEST_TMP/configoff.json' --catalog '$TEST_TMP/catalog.json' >/dev/null" "$TEST_TMP/typescript2"
assert_eq 0 "$RC" "progress off on a pty exits 0"
assert_not_contains "$(cat -v "$TEST_TMP/typescript2")" '^[[K' "progress off: no live line"

# bad settings are errors naming the key
for bad in '"metrics_format":"xml"|key "metrics_format" must be "singer" or "json"' \
    '"progress":"yes"|key "progress" must be "auto", "on" or "off"' \
    '"metrics_interval_seconds":-1|key "metrics_interval_seconds" must be a number of seconds'; do
    tap_config "$db" "${bad%%|*}" >"$TEST_TMP/bad.json"
    run_cmd "$TEST_TMP/ob" "$TEST_TMP/eb" "$TAP_BIN" --config "$TEST_TMP/bad.json" --catalog "$TEST_TMP/catalog.json"
    assert_eq 3 "$RC" "${bad%%|*}: exit 3"
    assert_contains "$(cat "$TEST_TMP/eb")" "${bad#*|}" "${bad%%|*}: the error names the key"
done
finish
