#!/usr/bin/env bash
# MeltanoLabs tap-postgres configs: stream_options custom_where_clauses (each clause in
# parentheses, ANDed, FULL_TABLE and INCREMENTAL; LOG_BASED: tests/logical/where_clauses.sh), max_record_count
# (INCREMENTAL: a LIMIT in key order, the bookmark at the last row sent; FULL_TABLE: the next
# run continues after the last key with the same version, ACTIVATE_VERSION only when the table
# is done; an error without a primary key), default_replication_method FULL_TABLE, and the
# Singer SDK settings we do not implement (an error naming the key, exit 3).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_meltano
fresh_db "$db"
psql_q "$db" "CREATE TABLE t (id int PRIMARY KEY, a int, b text);
  INSERT INTO t SELECT i, i * 10, 'r' || i FROM generate_series(1, 10) i;
  CREATE TABLE nk (id int, v text); INSERT INTO nk VALUES (1, 'x'), (2, 'y')"
# a MeltanoLabs config: database, not dbname
meltano_config() {
    printf '{"host":"%s","port":%s,"user":"%s","password":"","database":"%s"%s}\n' \
        "$PGHOST" "$PGPORT" "$PGUSER" "$db" "${1:+,$1}"
}
meltano_config >"$TEST_TMP/plain.json"
"$TAP_BIN" --config "$TEST_TMP/plain.json" --discover 2>/dev/null >"$TEST_TMP/discovered.json"
only_stream public-t <"$TEST_TMP/discovered.json" | select_streams FULL_TABLE >"$TEST_TMP/cat_ft.json"
only_stream public-t <"$TEST_TMP/discovered.json" | select_streams INCREMENTAL |
    stream_metadata public-t '"replication-key":"a"' >"$TEST_TMP/cat_inc.json"
ids() { record_ids "$1" "$2" | tr '\n' ' ' | sed 's/ $//'; }

# custom_where_clauses, FULL_TABLE: each clause is put in parentheses (the SDK pastes them
# bare: "id > 7 OR id = 1 AND id < 9" would also send 9 and 10)
meltano_config '"stream_options":{"public-t":{"custom_where_clauses":["id > 7 OR id = 1","id < 9"]}}' >"$TEST_TMP/where.json"
run_cmd "$TEST_TMP/o1" "$TEST_TMP/e1" "$TAP_BIN" --config "$TEST_TMP/where.json" --catalog "$TEST_TMP/cat_ft.json"
assert_eq 0 "$RC" "FULL_TABLE with custom_where_clauses: exit 0"
assert_eq "1 8" "$(ids "$TEST_TMP/o1" public-t)" "FULL_TABLE: only the rows matching every clause"
assert_eq 2 "$(grep -c '^{"type":"ACTIVATE_VERSION"' "$TEST_TMP/o1")" "FULL_TABLE: ACTIVATE_VERSION before and after"

# custom_where_clauses, INCREMENTAL: with the bookmark condition
meltano_config '"stream_options":{"public-t":{"custom_where_clauses":["id % 2 = 0"]}}' >"$TEST_TMP/where_inc.json"
run_cmd "$TEST_TMP/o2" "$TEST_TMP/e2" "$TAP_BIN" --config "$TEST_TMP/where_inc.json" --catalog "$TEST_TMP/cat_inc.json"
assert_eq 0 "$RC" "INCREMENTAL with custom_where_clauses: exit 0"
assert_eq "2 4 6 8 10" "$(ids "$TEST_TMP/o2" public-t)" "INCREMENTAL: only the even ids"
last_state "$TEST_TMP/o2" >"$TEST_TMP/s2"
psql_q "$db" "INSERT INTO t VALUES (11, 110, 'r11'), (12, 120, 'r12')"
run_cmd "$TEST_TMP/o3" "$TEST_TMP/e3" "$TAP_BIN" --config "$TEST_TMP/where_inc.json" --catalog "$TEST_TMP/cat_inc.json" --state "$TEST_TMP/s2"
assert_eq "10 12" "$(ids "$TEST_TMP/o3" public-t)" "INCREMENTAL with the state: key >= the bookmark AND the clause"
psql_q "$db" "DELETE FROM t WHERE id > 10"

# a typo in stream_options is warned about
meltano_config '"stream_options":{"t":{"custom_where_clauses":["id = 1"]}}' >"$TEST_TMP/typo.json"
run_cmd "$TEST_TMP/o4" "$TEST_TMP/e4" "$TAP_BIN" --config "$TEST_TMP/typo.json" --catalog "$TEST_TMP/cat_ft.json"
assert_contains "$(cat "$TEST_TMP/e4")" 'config key stream_options names stream "t", which is not a selected stream' \
    "a stream_options key naming no selected stream is warned about"

# LOG_BASED with custom_where_clauses: tests/logical/where_clauses.sh (the copy and the changes)

# max_record_count, FULL_TABLE: 4 rows per run, continuing after the last key, one version
meltano_config '"max_record_count":4' >"$TEST_TMP/max.json"
run_cmd "$TEST_TMP/f1" "$TEST_TMP/fe1" "$TAP_BIN" --config "$TEST_TMP/max.json" --catalog "$TEST_TMP/cat_ft.json"
assert_eq 0 "$RC" "FULL_TABLE max_record_count, run 1: exit 0"
assert_eq "1 2 3 4" "$(ids "$TEST_TMP/f1" public-t)" "run 1: the first 4 rows in key order"
assert_eq 1 "$(grep -c '^{"type":"ACTIVATE_VERSION"' "$TEST_TMP/f1")" \
    "run 1: no ACTIVATE_VERSION after a part of the table (the target would drop the rest)"
assert_contains "$(last_state "$TEST_TMP/f1")" '"last_pk_fetched":{"id":"4"}' "run 1: the state says where to continue"
last_state "$TEST_TMP/f1" >"$TEST_TMP/fs1"
run_cmd "$TEST_TMP/f2" "$TEST_TMP/fe2" "$TAP_BIN" --config "$TEST_TMP/max.json" --catalog "$TEST_TMP/cat_ft.json" --state "$TEST_TMP/fs1"
assert_eq "5 6 7 8" "$(ids "$TEST_TMP/f2" public-t)" "run 2: the next 4 rows"
assert_eq 0 "$(grep -c '^{"type":"ACTIVATE_VERSION"' "$TEST_TMP/f2")" "run 2: no ACTIVATE_VERSION"
last_state "$TEST_TMP/f2" >"$TEST_TMP/fs2"
run_cmd "$TEST_TMP/f3" "$TEST_TMP/fe3" "$TAP_BIN" --config "$TEST_TMP/max.json" --catalog "$TEST_TMP/cat_ft.json" --state "$TEST_TMP/fs2"
assert_eq "9 10" "$(ids "$TEST_TMP/f3" public-t)" "run 3: the rest"
v1=$(grep -m1 '^{"type":"RECORD"' "$TEST_TMP/f1" | sed -E 's/.*"version":([0-9]+).*/\1/')
assert_eq "$v1" "$(grep '^{"type":"ACTIVATE_VERSION"' "$TEST_TMP/f3" | sed -E 's/.*"version":([0-9]+).*/\1/')" \
    "run 3: the table is done: ACTIVATE_VERSION of the version run 1 started"
assert_not_contains "$(last_state "$TEST_TMP/f3")" 'last_pk_fetched' "run 3: the resume key is gone"
only_stream public-nk <"$TEST_TMP/discovered.json" | select_streams FULL_TABLE >"$TEST_TMP/cat_nk.json"
run_cmd "$TEST_TMP/f4" "$TEST_TMP/fe4" "$TAP_BIN" --config "$TEST_TMP/max.json" --catalog "$TEST_TMP/cat_nk.json"
assert_eq 3 "$RC" "FULL_TABLE max_record_count without a primary key: exit 3"
assert_contains "$(cat "$TEST_TMP/fe4")" 'stream "public-nk": max_record_count needs a primary key for FULL_TABLE' "the error names the stream"
assert_eq 0 "$(grep -c '^{"type":"RECORD"' "$TEST_TMP/f4" || true)" "no record of it is sent"

# max_record_count, INCREMENTAL: a LIMIT in key order, the bookmark at the last row sent
run_cmd "$TEST_TMP/i1" "$TEST_TMP/ie1" "$TAP_BIN" --config "$TEST_TMP/max.json" --catalog "$TEST_TMP/cat_inc.json"
assert_eq "1 2 3 4" "$(ids "$TEST_TMP/i1" public-t)" "INCREMENTAL run 1: the 4 smallest keys"
assert_contains "$(last_state "$TEST_TMP/i1")" '"replication_key_value":"40"' "the bookmark is the last key sent"
last_state "$TEST_TMP/i1" >"$TEST_TMP/is1"
run_cmd "$TEST_TMP/i2" "$TEST_TMP/ie2" "$TAP_BIN" --config "$TEST_TMP/max.json" --catalog "$TEST_TMP/cat_inc.json" --state "$TEST_TMP/is1"
assert_eq "4 5 6 7" "$(ids "$TEST_TMP/i2" public-t)" "INCREMENTAL run 2: from the bookmark (inclusive), 4 rows"
# a Singer SDK INCREMENTAL state (their record's value, no last_replication_method, SDK extras)
printf '{"bookmarks":{"public-t":{"replication_key":"a","replication_key_value":60,"starting_replication_value":null,"replication_key_signpost":null}}}\n' >"$TEST_TMP/sdk_inc.json"
run_cmd "$TEST_TMP/i5" "$TEST_TMP/ie5" "$TAP_BIN" --config "$TEST_TMP/plain.json" --catalog "$TEST_TMP/cat_inc.json" --state "$TEST_TMP/sdk_inc.json"
assert_eq "6 7 8 9 10" "$(ids "$TEST_TMP/i5" public-t)" "a Singer SDK INCREMENTAL state: from its bookmark"
# limit (pipelinewise) and max_record_count: the smaller one
meltano_config '"max_record_count":4,"limit":2' >"$TEST_TMP/max_limit.json"
run_cmd "$TEST_TMP/i3" "$TEST_TMP/ie3" "$TAP_BIN" --config "$TEST_TMP/max_limit.json" --catalog "$TEST_TMP/cat_inc.json"
assert_eq "1 2" "$(ids "$TEST_TMP/i3" public-t)" "limit and max_record_count: the smaller one wins"
# a LIMIT that cannot move past rows sharing one key value is warned about
psql_q "$db" "UPDATE t SET a = 0 WHERE id <= 3"
printf '{"bookmarks":{"public-t":{"replication_key":"a","replication_key_value":"0"}}}\n' >"$TEST_TMP/is4"
run_cmd "$TEST_TMP/i4" "$TEST_TMP/ie4" "$TAP_BIN" --config "$TEST_TMP/max_limit.json" --catalog "$TEST_TMP/cat_inc.json" --state "$TEST_TMP/is4"
assert_contains "$(cat "$TEST_TMP/ie4")" 'stream "public-t": all 2 rows of the LIMIT (max_record_count / limit) have a = 0, the bookmark' \
    "a LIMIT stuck on one key value is warned about"

# default_replication_method: FULL_TABLE (MeltanoLabs) when neither the metadata nor the config
# names a method
sed -E 's/"replication-method":"FULL_TABLE",//' "$TEST_TMP/cat_ft.json" >"$TEST_TMP/cat_nomethod.json"
run_cmd "$TEST_TMP/d1" "$TEST_TMP/de1" "$TAP_BIN" --config "$TEST_TMP/plain.json" --catalog "$TEST_TMP/cat_nomethod.json"
assert_eq 0 "$RC" "no replication method anywhere: exit 0"
assert_contains "$(last_state "$TEST_TMP/d1")" '"last_replication_method":"FULL_TABLE"' "the default is FULL_TABLE"
assert_eq 10 "$(record_ids "$TEST_TMP/d1" public-t | wc -l)" "every row"

# Singer SDK settings we do not implement (and an ssh_tunnel whose private_key is no key): an
# error naming the key, before anything is sent
for setting in '"stream_maps":{"public-t":{"b":"__NULL__"}}' '"stream_map_config":{"salt":"x"}' \
    '"faker_config":{"seed":1}' '"flattening_enabled":true' \
    '"batch_config":{"encoding":{"format":"jsonl"},"storage":{"root":"file:///tmp"}}' \
    '"ssh_tunnel":{"enable":true,"host":"bastion","username":"u","private_key":"KEY"}'; do
    key=$(sed -E 's/^"([a-z_]+)".*/\1/' <<<"$setting")
    meltano_config "$setting" >"$TEST_TMP/sdk.json"
    run_cmd "$TEST_TMP/x" "$TEST_TMP/xe" "$TAP_BIN" --config "$TEST_TMP/sdk.json" --catalog "$TEST_TMP/cat_ft.json"
    assert_eq 3 "$RC" "$key: exit 3"
    assert_contains "$(cat "$TEST_TMP/xe")" "key \"$key\"" "$key: the error names the key"
    assert_eq 0 "$(wc -c <"$TEST_TMP/x")" "$key: nothing is sent"
done
assert_not_contains "$(cat "$TEST_TMP/xe")" 'KEY' "the ssh private key is not logged"
# their settings at their "off" values are accepted without a warning
meltano_config '"stream_maps":{},"flattening_enabled":false,"flattening_max_depth":2,"ssh_tunnel":{"enable":false},"batch_config":null' >"$TEST_TMP/off.json"
run_cmd "$TEST_TMP/y" "$TEST_TMP/ye" "$TAP_BIN" --config "$TEST_TMP/off.json" --catalog "$TEST_TMP/cat_ft.json"
assert_eq 0 "$RC" "SDK settings switched off: exit 0"
assert_not_contains "$(cat "$TEST_TMP/ye")" 'unknown key' "no unknown-key warning"
finish
