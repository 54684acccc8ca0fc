#!/usr/bin/env bash
# The command line: --help, --version, --about (json, markdown), bad arguments.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --help
assert_eq 0 "$RC" "--help exits 0"
assert_contains "$(cat "$TEST_TMP/out")" "--catalog FILE" "--help lists the options"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --version
assert_eq 0 "$RC" "--version exits 0"
assert_contains "$(cat "$TEST_TMP/out")" "tap-postgres " "--version prints the name and version"

run_cmd "$TEST_TMP/about.json" "$TEST_TMP/err" "$TAP_BIN" --about
assert_eq 0 "$RC" "--about exits 0"
sed -E 's/^\{"name"/{"type":"ABOUT","name"/' "$TEST_TMP/about.json" >"$TEST_TMP/about.check"
check_jsonl "$TEST_TMP/about.check" "--about prints one JSON document"
about=$(cat "$TEST_TMP/about.json")
assert_contains "$about" '"capabilities":["catalog","discover","state","about","properties","test","activate-version","log-based"]' "capabilities"
assert_contains "$about" '"dbname":{"type":"string","description":"database to extract (required unless sqlalchemy_url is set)","aliases":["database"]}' "settings carry aliases"
assert_contains "$about" '"itersize":{"type":["integer","string"],"description":"rows between STATE messages in FULL_TABLE and INCREMENTAL","default":20000}' "settings carry defaults"
# host, user and dbname are required unless sqlalchemy_url is set (the tap checks that itself)
assert_contains "$about" '"required":[]' "required settings"
# schemas/tap_config.schema.json lists every setting (and alias) of --about
missing=""
for k in $(python3 -c 'import json,sys
for k, v in json.load(open(sys.argv[1]))["settings"]["properties"].items():
    print(k, *v.get("aliases", []))' "$TEST_TMP/about.json" | tr ' ' '\n' | grep -E '^[a-z_]+$'); do
    grep -q "^    \"$k\": {" "$SOURCE_DIR/schemas/tap_config.schema.json" || missing="$missing $k"
done
assert_eq "" "$missing" "schemas/tap_config.schema.json has every setting"
run_cmd "$TEST_TMP/about.md" "$TEST_TMP/err" "$TAP_BIN" --about --format=markdown
assert_eq 0 "$RC" "--about --format=markdown exits 0"
assert_contains "$(cat "$TEST_TMP/about.md")" '| `filter_schemas` | string or array | no |' "markdown settings table"
assert_contains "$(cat "$TEST_TMP/about.md")" '| interval | string | ISO 8601' "markdown type mapping"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --about --format yaml
assert_eq 2 "$RC" "an unknown --format exits 2"

run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --bogus
assert_eq 2 "$RC" "an unknown option exits 2"
assert_contains "$(cat "$TEST_TMP/err")" 'unknown argument "--bogus"' "the unknown option is named"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --discover
assert_eq 2 "$RC" "no --config exits 2"
assert_contains "$(cat "$TEST_TMP/err")" "--config FILE is required" "the missing option is named"
tap_config postgres >"$TEST_TMP/config.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json"
assert_eq 2 "$RC" "neither --discover nor --catalog exits 2"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config
assert_eq 2 "$RC" "an option without its value exits 2"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --discover --log-level loud
assert_eq 2 "$RC" "an unknown log level exits 2"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" --discover --log-level error
assert_eq 0 "$RC" "--log-level error runs"
assert_eq "" "$(cat "$TEST_TMP/err")" "--log-level error silences info lines"
finish
