#!/usr/bin/env bash
# --about in both programs, as the Singer SDK writes it: defaults typed as their settings
# (5432, false; not "5432", "false"), "secret": true and "writeOnly": true on every secret (also
# the members of ssh_tunnel and password_secret), and capabilities that are exactly what works:
# test (the tap's --test), batch (the target's BATCH messages, tests/target/batch.sh), soft-delete (the target's soft_delete setting, tested here),
# schema-flattening (flattening_enabled), target-schema (default_target_schema).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"

# about_prop FILE NAME: the compact JSON of one setting of an --about document
about_prop() {
    python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["settings"]["properties"][sys.argv[2]], separators=(",", ":"), ensure_ascii=False))' "$1" "$2"
}
# about_field FILE FIELD: a top-level member, compact
about_field() {
    python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]], separators=(",", ":")))' "$1" "$2"
}
# bad_defaults FILE: settings whose default does not have the JSON type of the setting
bad_defaults() {
    python3 - "$1" <<'PY'
import json, sys
props = json.load(open(sys.argv[1]))["settings"]["properties"]
def walk(ps, pre):
    for k, v in ps.items():
        if "default" in v:
            t = v.get("type")
            t = t if isinstance(t, list) else [t]
            d = v["default"]
            if "integer" in t and not (isinstance(d, int) and not isinstance(d, bool)) or \
               "boolean" in t and not isinstance(d, bool) or \
               "number" in t and not isinstance(d, (int, float)) or \
               t == ["string"] and not isinstance(d, str):
                print(pre + k)
        walk(v.get("properties", {}), pre + k + ".")
walk(props, "")
PY
}
# secrets FILE: the settings (and members) marked secret and writeOnly, sorted
secrets() {
    python3 - "$1" <<'PY'
import json, sys
props = json.load(open(sys.argv[1]))["settings"]["properties"]
out = []
def walk(ps, pre):
    for k, v in ps.items():
        if v.get("secret") is True and v.get("writeOnly") is True:
            out.append(pre + k)
        elif v.get("secret") or v.get("writeOnly"):
            out.append("HALF:" + pre + k)
        walk(v.get("properties", {}), pre + k + ".")
walk(props, "")
print(" ".join(sorted(out)))
PY
}

"$TAP_BIN" --about >"$TEST_TMP/tap.json"
"$TARGET_BIN" --about >"$TEST_TMP/target.json"
"$TAP_BIN" --about --format=json >"$TEST_TMP/tap2.json"
assert_files_eq "$TEST_TMP/tap.json" "$TEST_TMP/tap2.json" "tap: --format=json is the default"

assert_eq '["catalog","discover","state","about","properties","test","activate-version","log-based"]' \
    "$(about_field "$TEST_TMP/tap.json" capabilities)" "tap: capabilities"
assert_eq '["about","activate-version","batch","hard-delete","soft-delete","schema-flattening","target-schema","validate-records"]' \
    "$(about_field "$TEST_TMP/target.json" capabilities)" "target: capabilities"

assert_eq '{"type":["integer","string"],"description":"PostgreSQL port","default":5432}' \
    "$(about_prop "$TEST_TMP/tap.json" port)" "tap: port's default is the number 5432"
assert_eq '{"type":["boolean","string"],"description":"true: sslmode=require (pipelinewise'"'"'s \"true\")","default":false}' \
    "$(about_prop "$TEST_TMP/tap.json" ssl)" "tap: ssl's default is the boolean false"
assert_eq '{"type":["boolean","string"],"description":"LOG_BASED: stop at the WAL position seen at start","default":true}' \
    "$(about_prop "$TEST_TMP/tap.json" break_at_end_lsn)" "tap: a default true"
assert_eq '{"type":"string","description":"password (may be empty with trust, peer or .pgpass authentication)","secret":true,"writeOnly":true}' \
    "$(about_prop "$TEST_TMP/tap.json" password)" "tap: password is secret"
assert_eq '{"type":["integer","string"],"description":"rows per stream before a flush","default":100000}' \
    "$(about_prop "$TEST_TMP/target.json" batch_size_rows)" "target: batch_size_rows's default is a number"
assert_eq '{"type":["boolean","string"],"description":"Singer SDK: true keeps a deleted record'"'"'s row, marked with _sdc_deleted_at (turns metadata columns on; the opposite of hard_delete, which must not be true with it)","default":false}' \
    "$(about_prop "$TEST_TMP/target.json" soft_delete)" "target: soft_delete"
assert_eq '{"type":"object","description":"MeltanoLabs: {enable, host, port, username, private_key, private_key_password}: every connection goes through the SSH bastion; ours: host_key, known_hosts, host_key_check","properties":{"enable":{"type":["boolean","string"],"default":false},"host":{"type":"string"},"port":{"type":["integer","string"],"default":22},"username":{"type":"string"},"private_key":{"type":"string","description":"PEM text or a path","secret":true,"writeOnly":true},"private_key_password":{"type":"string","secret":true,"writeOnly":true},"host_key":{"type":"string","description":"the bastion'"'"'s host key (known_hosts line, or type and SHA256 fingerprint)"},"known_hosts":{"type":"string","default":"~/.ssh/known_hosts"},"host_key_check":{"type":["boolean","string"],"default":true}}}' \
    "$(about_prop "$TEST_TMP/target.json" ssh_tunnel)" "target: ssh_tunnel's members, the keys secret"

for f in tap target; do
    assert_eq "" "$(bad_defaults "$TEST_TMP/$f.json")" "$f: every default has its setting's JSON type"
done
common="password password_secret.access_token password_secret.aws_access_key_id password_secret.aws_secret_access_key password_secret.aws_session_token password_secret.token sqlalchemy_url ssh_tunnel.private_key ssh_tunnel.private_key_password ssl_client_private_key sslkey sslpassword stream_map_config"
assert_eq "$common" "$(secrets "$TEST_TMP/tap.json")" "tap: the secrets, each with secret and writeOnly"
assert_eq "$common" "$(secrets "$TEST_TMP/target.json")" "target: the secrets, each with secret and writeOnly"

run_cmd "$TEST_TMP/md" "$TEST_TMP/err" "$TAP_BIN" --about --format markdown
assert_contains "$(cat "$TEST_TMP/md")" '| `password` | string | no |  | (secret) password' "markdown: secrets marked"
assert_contains "$(cat "$TEST_TMP/md")" 'catalog, discover, state, about, properties, test, activate-version, log-based' "markdown: capabilities"

# soft-delete works: soft_delete keeps a deleted record's row, marked; with hard_delete an error
db=shared_about
fresh_db $db
printf '%s\n' '{"type":"SCHEMA","stream":"public-u","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}' \
    '{"type":"RECORD","stream":"public-u","record":{"id":1}}' \
    '{"type":"RECORD","stream":"public-u","record":{"id":2}}' \
    '{"type":"RECORD","stream":"public-u","record":{"id":1,"_sdc_deleted_at":"2020-01-01T00:00:00Z"}}' >"$TEST_TMP/in.jsonl"
target_config $db '"default_target_schema":"tgt","soft_delete":true' >"$TEST_TMP/soft.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TARGET_BIN" --config "$TEST_TMP/soft.json" --input "$TEST_TMP/in.jsonl"
assert_eq 0 "$RC" "soft_delete: exit 0"
assert_eq '1|2020-01-01 00:00:00+00
2|' "$(psql_q $db "SET TimeZone = 'UTC'; SELECT id, _sdc_deleted_at FROM tgt.u ORDER BY id")" "soft_delete: the deleted row is kept, marked"
target_config $db '"default_target_schema":"tgt","soft_delete":true,"hard_delete":true' >"$TEST_TMP/both.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TARGET_BIN" --config "$TEST_TMP/both.json" --input "$TEST_TMP/in.jsonl"
assert_eq 3 "$RC" "soft_delete with hard_delete: exit 3"
assert_contains "$(cat "$TEST_TMP/err")" 'keys "soft_delete" and "hard_delete" are both true' "soft_delete with hard_delete: named"
finish
