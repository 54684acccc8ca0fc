#!/usr/bin/env bash
# MeltanoLabs target-postgres configs: their keys with their meaning (sqlalchemy_url alone,
# add_record_metadata, activate_version, load_method upsert / append-only / overwrite,
# flattening_*, process_activate_version_messages), and the keys we refuse with an error naming
# them (stream maps, an enabled ssh_tunnel, contradicting settings).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"
db=target_meltano
fresh_db "$db"
in=$TEST_TMP/in.jsonl

# mload NAME CONFIG_JSON: run the target with exactly this config; RC, OUT, ERR
mload() {
    printf '%s\n' "$2" >"$TEST_TMP/$1.json"
    OUT=$TEST_TMP/$1.out
    ERR=$TEST_TMP/$1.err
    run_cmd "$OUT" "$ERR" timeout -k 5 300 "$TARGET_BIN" --config "$TEST_TMP/$1.json" <"$in"
}
url="postgresql+psycopg2://$PGUSER:@$PGHOST:$PGPORT/$db"

cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-av","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":["null","string"]}}},"key_properties":["id"]}
{"type":"ACTIVATE_VERSION","stream":"public-av","version":100}
{"type":"RECORD","stream":"public-av","record":{"id":1,"v":"a"},"version":100}
{"type":"RECORD","stream":"public-av","record":{"id":2,"v":"b"},"version":100}
{"type":"ACTIVATE_VERSION","stream":"public-av","version":100}
{"type":"ACTIVATE_VERSION","stream":"public-av","version":200}
{"type":"RECORD","stream":"public-av","record":{"id":1,"v":"a2"},"version":200}
{"type":"ACTIVATE_VERSION","stream":"public-av","version":200}
{"type":"STATE","value":{"v":200}}
JSON

# --- sqlalchemy_url alone (no dbname) and add_record_metadata: ACTIVATE_VERSION takes effect
mload meta "{\"sqlalchemy_url\":\"$url\",\"default_target_schema\":\"m1\",\"add_record_metadata\":true}"
assert_eq 0 "$RC" "sqlalchemy_url alone + add_record_metadata: exit 0"
assert_not_contains "$(cat "$ERR")" 'required key "dbname"' "sqlalchemy_url alone: no dbname needed"
assert_eq '{"v":200}' "$(cat "$OUT")" "add_record_metadata: the STATE"
assert_eq '1|a2|200|f
2|b|100|t' "$(q $db "SELECT id, v, _sdc_table_version, _sdc_deleted_at IS NOT NULL FROM m1.av ORDER BY id")" \
    "add_record_metadata: metadata columns, rows of the older version marked deleted"

# a MeltanoLabs config that only says activate_version: true (their defaults: metadata on)
mload av "{\"sqlalchemy_url\":\"$url\",\"default_target_schema\":\"m2\",\"activate_version\":true,\"hard_delete\":true}"
assert_eq 0 "$RC" "activate_version true + hard_delete: exit 0"
assert_eq '1|a2|200' "$(q $db "SELECT id, v, _sdc_table_version FROM m2.av ORDER BY id")" \
    "activate_version true turns the metadata on; hard_delete deletes the older version"
# the SDK's newer spelling, false: ACTIVATE_VERSION ignored
mload pavm "{\"sqlalchemy_url\":\"$url\",\"default_target_schema\":\"m3\",\"add_record_metadata\":true,\"process_activate_version_messages\":false}"
assert_eq 0 "$RC" "process_activate_version_messages false: exit 0"
assert_eq '1|a2|200|f
2|b|100|f' "$(q $db "SELECT id, v, _sdc_table_version, _sdc_deleted_at IS NOT NULL FROM m3.av ORDER BY id")" \
    "process_activate_version_messages false: nothing marked deleted"
# activate_version true with the metadata turned off: their assertion, our error
mload av_off "{\"sqlalchemy_url\":\"$url\",\"default_target_schema\":\"m4\",\"activate_version\":true,\"add_record_metadata\":false}"
assert_eq 3 "$RC" "activate_version true + add_record_metadata false: exit 3"
assert_contains "$(cat "$ERR")" 'key "activate_version" is true but the metadata columns are turned off' \
    "activate_version without metadata: the keys are named"

# --- load_method
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-lm","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":["null","string"]}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-lm","record":{"id":1,"v":"a"}}
{"type":"RECORD","stream":"public-lm","record":{"id":2,"v":"b"}}
{"type":"RECORD","stream":"public-lm","record":{"id":1,"v":"a2"}}
{"type":"STATE","value":{"n":1}}
JSON
base="\"host\":\"$PGHOST\",\"port\":$PGPORT,\"user\":\"$PGUSER\",\"database\":\"$db\""
mload upsert "{$base,\"default_target_schema\":\"lm_up\",\"load_method\":\"upsert\"}"
mload upsert "{$base,\"default_target_schema\":\"lm_up\",\"load_method\":\"upsert\"}"
assert_eq 0 "$RC" "load_method upsert: exit 0"
assert_eq '1|a2
2|b' "$(q $db "SELECT id, v FROM lm_up.lm ORDER BY id")" "load_method upsert: merged by key, twice"
mload append "{$base,\"default_target_schema\":\"lm_app\",\"load_method\":\"append-only\",\"use_copy\":true,\"validate_records\":true,\"batch_size_rows\":2}"
assert_eq 0 "$RC" "load_method append-only: exit 0"
mload append "{$base,\"default_target_schema\":\"lm_app\",\"load_method\":\"append-only\",\"use_copy\":false}"
assert_eq 0 "$RC" "load_method append-only, second run: exit 0"
assert_eq '1|a
1|a
1|a2
1|a2
2|b
2|b' "$(q $db "SELECT id, v FROM lm_app.lm ORDER BY id, v")" "load_method append-only: every record of both runs is a row"
assert_eq 0 "$(q $db "SELECT count(*) FROM pg_index WHERE indrelid = 'lm_app.lm'::regclass")" \
    "load_method append-only: the table has no primary key"
mload app_hd "{$base,\"default_target_schema\":\"lm_app\",\"load_method\":\"append-only\",\"hard_delete\":true}"
assert_eq 3 "$RC" "load_method append-only + hard_delete: exit 3"
assert_contains "$(cat "$ERR")" "load_method append-only with hard_delete true is not supported" \
    "append-only + hard_delete: named"

mload over1 "{$base,\"default_target_schema\":\"lm_ov\",\"load_method\":\"overwrite\"}"
assert_eq 0 "$RC" "load_method overwrite: exit 0"
psql_q $db "INSERT INTO lm_ov.lm (id, v) VALUES (99, 'from before')" >/dev/null
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-lm","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":["null","string"]}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-lm","record":{"id":3,"v":"c"}}
{"type":"RECORD","stream":"public-lm","record":{"id":4,"v":"d"}}
{"type":"RECORD","stream":"public-lm","record":{"id":5,"v":"e"}}
{"type":"STATE","value":{"n":2}}
JSON
mload over2 "{$base,\"default_target_schema\":\"lm_ov\",\"load_method\":\"overwrite\",\"batch_size_rows\":1}"
assert_eq 0 "$RC" "load_method overwrite, second run: exit 0"
assert_eq '{"n":2}' "$(tail -n 1 "$OUT")" "load_method overwrite: the STATE"
assert_eq '3|c
4|d
5|e' "$(q $db "SELECT id, v FROM lm_ov.lm ORDER BY id")" \
    "load_method overwrite: this run's rows (three batches) replace the table's"
head -n 1 "$in" >"$TEST_TMP/schema_only.jsonl"
cp "$TEST_TMP/schema_only.jsonl" "$in"
mload over3 "{$base,\"default_target_schema\":\"lm_ov\",\"load_method\":\"overwrite\"}"
assert_eq 0 "$RC" "load_method overwrite, a run without records: exit 0"
assert_eq 0 "$(q $db "SELECT count(*) FROM lm_ov.lm")" "load_method overwrite: a run without records empties the table"
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"east-same","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}
{"type":"SCHEMA","stream":"west-same","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}
{"type":"RECORD","stream":"east-same","record":{"id":1}}
JSON
mload over_shared "{$base,\"default_target_schema\":\"lm_ov\",\"load_method\":\"overwrite\"}"
assert_eq 6 "$RC" "load_method overwrite, two streams on one table: exit 6"
assert_contains "$(cat "$ERR")" "load_method overwrite: streams" "overwrite on a shared table: said"
mload lm_bad "{$base,\"default_target_schema\":\"x\",\"load_method\":\"merge\"}"
assert_eq 3 "$RC" "load_method merge: exit 3"
assert_contains "$(cat "$ERR")" 'key "load_method" must be upsert, append-only or overwrite, got "merge"' "bad load_method: named"

# --- flattening_enabled / flattening_max_depth = data_flattening_max_level
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-fl","schema":{"type":"object","properties":{"id":{"type":"integer"},"a":{"type":["null","object"],"properties":{"b":{"type":["null","string"]},"c":{"type":["null","object"],"properties":{"d":{"type":["null","integer"]}}}}}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-fl","record":{"id":1,"a":{"b":"x","c":{"d":7}}}}
JSON
mload flat "{$base,\"default_target_schema\":\"fl\",\"flattening_enabled\":true,\"flattening_max_depth\":1}"
assert_eq 0 "$RC" "flattening_enabled: exit 0"
assert_eq '1|x|{"d": 7}' "$(q $db "SELECT id, a__b, a__c FROM fl.fl")" "flattening_max_depth 1: one level flattened"
mload flat_nodepth "{$base,\"default_target_schema\":\"fl\",\"flattening_enabled\":true}"
assert_eq 3 "$RC" "flattening_enabled without flattening_max_depth: exit 3"
assert_contains "$(cat "$ERR")" '"flattening_max_depth" is not set' "flattening without depth: named"

# --- refused: stream maps, an ssh tunnel with a bad key; accepted when empty / disabled
mload maps "{$base,\"default_target_schema\":\"x\",\"stream_maps\":{\"public-fl\":{\"a\":\"__NULL__\"}}}"
assert_eq 3 "$RC" "stream_maps: exit 3"
assert_contains "$(cat "$ERR")" 'key "stream_maps" is set, but Singer SDK stream maps are not supported' "stream_maps: named"
mload mapcfg "{$base,\"default_target_schema\":\"x\",\"stream_map_config\":{\"k\":\"v\"}}"
assert_eq 3 "$RC" "stream_map_config: exit 3"
mload faker "{$base,\"default_target_schema\":\"x\",\"faker_config\":{\"seed\":1}}"
assert_eq 3 "$RC" "faker_config: exit 3"
mload ssh "{$base,\"default_target_schema\":\"x\",\"ssh_tunnel\":{\"enable\":true,\"host\":\"bastion\",\"port\":22,\"username\":\"u\",\"private_key\":\"k\"}}"
assert_eq 3 "$RC" "ssh_tunnel with a bad private_key: exit 3"
assert_contains "$(cat "$ERR")" 'key "ssh_tunnel": private_key is neither PEM text' "ssh_tunnel: named"
assert_not_contains "$(cat "$ERR")" "unknown key" "MeltanoLabs keys are known keys"
mload empty_sdk "{$base,\"default_target_schema\":\"fl2\",\"stream_maps\":{},\"stream_map_config\":{},\"ssh_tunnel\":{\"enable\":false},\"ssl_enable\":false,\"dialect+driver\":\"postgresql+psycopg2\",\"ssl_storage_directory\":\".secrets\"}"
assert_eq 0 "$RC" "empty stream maps, ssh_tunnel disabled: exit 0"
assert_not_contains "$(cat "$ERR")" "unknown key" "no unknown-key warning for MeltanoLabs keys"
mload bad_url "{\"sqlalchemy_url\":\"postgresql://u:pw@h:x/d\",\"default_target_schema\":\"x\"}"
assert_eq 3 "$RC" "a malformed sqlalchemy_url: exit 3"

finish
