#!/usr/bin/env bash
# samples/ stays true: samples/catalog.json and catalog_log_based.json are catalogs of
# samples/demo.sql (same schemas as discovery finds); catalog.json runs with samples/state.json.
# samples/sync.sh (the state-file loop) is run end to end by tests/target/sync_loop.sh.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_samples
fresh_db "$db"
psql_f "$db" "$SOURCE_DIR/samples/demo.sql"
tap_config "$db" '"filter_schemas":"shop"' >"$TEST_TMP/config.json"
run_cmd "$TEST_TMP/discovered.json" "$TEST_TMP/err0" "$TAP_BIN" --config "$TEST_TMP/config.json" --discover
assert_eq 0 "$RC" "discovery of the demo database exits 0"
# the schema of each stream, as discovery writes it and as the sample has it
schemas() { grep '"tap_stream_id"' "$1" | sed -E 's/^\{"tap_stream_id":("[^"]*").*("schema":\{.*\}),"metadata".*/\1 \2/' | sort; }
schemas "$TEST_TMP/discovered.json" >"$TEST_TMP/discovered.schemas"
schemas "$SOURCE_DIR/samples/catalog.json" >"$TEST_TMP/sample.schemas"
assert_files_eq "$TEST_TMP/discovered.schemas" "$TEST_TMP/sample.schemas" "samples/catalog.json has the schemas discovery finds"
schemas "$SOURCE_DIR/samples/catalog_log_based.json" >"$TEST_TMP/sample_log.schemas"
assert_files_eq "$TEST_TMP/discovered.schemas" "$TEST_TMP/sample_log.schemas" "samples/catalog_log_based.json has the schemas discovery finds"
run_cmd "$TEST_TMP/out.jsonl" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config.json" \
    --catalog "$SOURCE_DIR/samples/catalog.json" --state "$SOURCE_DIR/samples/state.json"
assert_eq 0 "$RC" "a sync with samples/catalog.json and samples/state.json exits 0"
check_jsonl "$TEST_TMP/out.jsonl" "its stdout holds whole Singer messages only"
assert_eq "6" "$(grep -c '^{"type":"SCHEMA"' "$TEST_TMP/out.jsonl")" "every sample stream is synced"

# samples/meltano.yml names only settings the programs know (their --about lists every key)
setting_names() { # SECTION_START SECTION_END: the setting names of one plugin in meltano.yml
    sed -n "/^  $1:/,/^  $2:/p" "$SOURCE_DIR/samples/meltano.yml" |
        sed -n -E 's/^ *- \{name: ([a-z_+]+),.*/\1/p; s/^ *- name: ([a-z_+]+)$/\1/p' | grep -v -x -e tap-postgres -e target-postgres
}
"$TAP_BIN" --about >"$TEST_TMP/tap_about.json"
"$TARGET_BIN" --about >"$TEST_TMP/target_about.json" 2>/dev/null
n=0
for name in $(setting_names extractors loaders); do
    n=$((n + 1))
    grep -q "\"$name\":{" "$TEST_TMP/tap_about.json" || not_ok "meltano.yml: tap setting $name is in tap-postgres --about"
done
for name in $(setting_names loaders zzz); do
    n=$((n + 1))
    grep -q "\"$name\":{" "$TEST_TMP/target_about.json" || not_ok "meltano.yml: target setting $name is in target-postgres --about"
done
# ... with their capabilities, defaults and secrets as --about says them
python3 - "$SOURCE_DIR/samples/meltano.yml" "$TEST_TMP/tap_about.json" "$TEST_TMP/target_about.json" >"$TEST_TMP/meltano_check" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
about = {"extractors": json.load(open(sys.argv[2])), "loaders": json.load(open(sys.argv[3]))}
part = re.split(r"^  (extractors|loaders):$", text, flags=re.M)
for sec, body in zip(part[1::2], part[2::2]):
    a = about[sec]
    caps = re.search(r"^      capabilities: \[(.*)\]$", body, re.M).group(1).split(", ")
    if caps != a["capabilities"]:
        print(f"{sec}: capabilities {caps} are not --about's {a['capabilities']}")
    props = a["settings"]["properties"]
    for m in re.finditer(r"^        - \{name: ([a-z_+]+), (.*)\}$", body, re.M):
        name, rest = m.group(1), m.group(2)
        p = props.get(name, {})
        sensitive = "sensitive: true" in rest
        if sensitive != bool(p.get("secret")):
            print(f"{sec}: {name}: sensitive {sensitive}, --about secret {bool(p.get('secret'))}")
        v = re.search(r"value: ([^,}]+)", rest)
        if v and not v.group(1).startswith("$"):
            val = json.loads(v.group(1)) if re.fullmatch(r"-?\d+|true|false", v.group(1)) else v.group(1)
            if p.get("default") != val:
                print(f"{sec}: {name}: value {val!r}, --about default {p.get('default')!r}")
PY
assert_eq "" "$(cat "$TEST_TMP/meltano_check")" "meltano.yml: capabilities, defaults and sensitive settings as --about says"
[ "$n" -gt 30 ] && ok "the $n settings of samples/meltano.yml are known to the programs" || not_ok "meltano.yml settings found ($n)"
finish
