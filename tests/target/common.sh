# Helpers shared by the target scenarios (sourced after lib.sh).

# load DB EXTRA_JSON INPUT_FILE: run the target; sets RC, OUT (stdout file), ERR (stderr file)
load() {
    local db=$1 extra=$2 input=$3
    target_config "$db" "\"default_target_schema\":\"tgt\"${extra:+,$extra}" >"$TEST_TMP/config.json"
    OUT=$TEST_TMP/out.txt
    ERR=$TEST_TMP/err.txt
    # a hang (a deadlock) fails the test instead of stalling the suite
    run_cmd "$OUT" "$ERR" timeout -k 5 300 "$TARGET_BIN" --config "$TEST_TMP/config.json" <"$input"
}

# q DB SQL: query result, rows on lines, columns separated by |
q() {
    psql_q "$1" "$2"
}
