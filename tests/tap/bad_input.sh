#!/usr/bin/env bash
# Bad input: each case gives a one-line error naming the thing, the documented exit code, and
# nothing but whole Singer lines on stdout (here: nothing at all).
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/tap_lib.sh"

db=tap_bad
fresh_db "$db"
psql_q "$db" "CREATE TABLE t (id int PRIMARY KEY, name text, at timestamptz); INSERT INTO t VALUES (1, 'a', now())"
tap_config "$db" >"$TEST_TMP/config.json"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | select_streams FULL_TABLE >"$TEST_TMP/catalog.json"

# expect CODE MESSAGE_PART TITLE -- ARGS...: run the tap, check exit code, stderr and stdout
expect() {
    local code=$1 msg=$2 title=$3
    shift 4
    run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" "$@"
    assert_eq "$code" "$RC" "$title: exit code $code"
    local err
    err=$(grep -E 'ERROR|CRITICAL' "$TEST_TMP/err" || true)
    assert_contains "$err" "$msg" "$title: the error names the thing"
    assert_eq 1 "$(grep -cE 'ERROR|CRITICAL' "$TEST_TMP/err" || true)" "$title: one error line"
    if [ -s "$TEST_TMP/out" ]; then
        check_jsonl "$TEST_TMP/out" "$title: stdout holds whole Singer messages only"
    else
        ok "$title: nothing on stdout"
    fi
}

# an unreachable server (a port nobody listens on)
printf '{"host":"127.0.0.1","port":1,"user":"postgres","password":"","dbname":"%s","connect_timeout":2}\n' "$db" >"$TEST_TMP/config_down.json"
expect 4 "cannot connect to PostgreSQL at 127.0.0.1:1/$db" "unreachable server" -- --config "$TEST_TMP/config_down.json" --discover

# a wrong password (pw_user has scram authentication in the test cluster)
psql_q postgres "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pw_user') THEN CREATE ROLE pw_user LOGIN; END IF; END \$\$; ALTER ROLE pw_user LOGIN PASSWORD 'right-pw'" >/dev/null
printf '{"host":"%s","port":%s,"user":"pw_user","password":"wrong-pw-42","dbname":"%s"}\n' "$PGHOST" "$PGPORT" "$db" >"$TEST_TMP/config_pw.json"
expect 4 'password authentication failed for user "pw_user"' "wrong password" -- --config "$TEST_TMP/config_pw.json" --catalog "$TEST_TMP/catalog.json"
assert_not_contains "$(cat "$TEST_TMP/err")" "wrong-pw-42" "the password never reaches a log line"
printf '{"host":"%s","port":%s,"user":"pw_user","password":"right-pw","dbname":"%s"}\n' "$PGHOST" "$PGPORT" "$db" >"$TEST_TMP/config_pw_ok.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config_pw_ok.json" --discover
assert_eq 0 "$RC" "the right password connects"

# the password from a secret manager (a Vault KV v2 answer served on loopback)
printf '{"data":{"data":{"password":"right-pw"},"metadata":{"version":1}}}' >"$TEST_TMP/vault.json"
"$HTTP_ONCE" 200 "$TEST_TMP/vault.json" "$TEST_TMP/vault_req.txt" >"$TEST_TMP/vault_port" &
vault_pid=$!
for _ in $(seq 100); do [ -s "$TEST_TMP/vault_port" ] && break; sleep 0.05; done
vault_port=$(cat "$TEST_TMP/vault_port")
printf '{"host":"%s","port":%s,"user":"pw_user","dbname":"%s","password_secret":{"provider":"vault","url":"http://127.0.0.1:%s","path":"secret/data/db","token":"vault-token-7"}}\n' "$PGHOST" "$PGPORT" "$db" "$vault_port" >"$TEST_TMP/config_secret.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/config_secret.json" --discover
wait "$vault_pid" || true
assert_eq 0 "$RC" "password_secret: the password from Vault connects"
assert_contains "$(head -n 1 "$TEST_TMP/vault_req.txt")" "GET /v1/secret/data/db " "password_secret: the Vault path is read"
assert_contains "$(cat "$TEST_TMP/vault_req.txt")" "X-Vault-Token: vault-token-7" "password_secret: the token is sent"
assert_not_contains "$(cat "$TEST_TMP/err")" "vault-token-7" "password_secret: the token is not logged"
printf '{"host":"%s","port":%s,"user":"pw_user","dbname":"%s","password_secret":{"provider":"vault","url":"http://127.0.0.1:9","path":"secret/data/db","token":"t"}}\n' "$PGHOST" "$PGPORT" "$db" >"$TEST_TMP/config_secret_down.json"
expect 3 'password_secret (vault)' "password_secret unreachable" -- --config "$TEST_TMP/config_secret_down.json" --discover

# a catalog naming a missing table, a missing column
sed 's/"table_name":"t"/"table_name":"gone"/' "$TEST_TMP/catalog.json" >"$TEST_TMP/cat_table.json"
expect 3 'stream "public-t": table "public"."gone" does not exist' "missing table" -- --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/cat_table.json"
sed 's/"name":{"type"/"nickname":{"type"/' "$TEST_TMP/catalog.json" >"$TEST_TMP/cat_col.json"
expect 3 'stream "public-t": column "nickname" does not exist in "public"."t"' "missing column" -- --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/cat_col.json"

# a corrupt state file
printf '{"bookmarks":{"public-t":{"version":1,}}\n' >"$TEST_TMP/state_bad.json"
expect 3 "state file \"$TEST_TMP/state_bad.json\" is not valid JSON: error at line 1" "corrupt state" -- --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state_bad.json"
printf '{"bookmarks":["x"]}\n' >"$TEST_TMP/state_shape.json"
expect 3 '"bookmarks" must be an object' "state of the wrong shape" -- --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/catalog.json" --state "$TEST_TMP/state_shape.json"

# an unknown replication method, a replication key that is not a column
sed 's/"replication-method":"FULL_TABLE"/"replication-method":"FULL_TABEL"/' "$TEST_TMP/catalog.json" >"$TEST_TMP/cat_method.json"
expect 3 'stream "public-t": unknown replication method "FULL_TABEL"' "unknown replication method" -- --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/cat_method.json"
sed 's/"replication-method":"FULL_TABLE"/"replication-method":"INCREMENTAL","replication-key":"updated"/' "$TEST_TMP/catalog.json" >"$TEST_TMP/cat_key.json"
expect 3 'stream "public-t": replication-key "updated" is not a column of "public"."t"' "replication key not a column" -- --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/cat_key.json"

# config problems
printf '{"host":"h","port":"five","user":"u","dbname":"d"}' >"$TEST_TMP/config_port.json"
expect 3 'key "port" must be an integer' "config key of the wrong type" -- --config "$TEST_TMP/config_port.json" --discover
expect 3 "cannot open config file \"$TEST_TMP/nope.json\"" "missing config file" -- --config "$TEST_TMP/nope.json" --discover
printf '{"streams":[' >"$TEST_TMP/cat_trunc.json"
expect 3 "catalog file \"$TEST_TMP/cat_trunc.json\" is not valid JSON" "truncated catalog" -- --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/cat_trunc.json"

# LOG_BASED of a view is refused before anything is sent (LOG_BASED's own errors: tests/logical)
psql_q "$db" "CREATE VIEW v_log AS SELECT * FROM t"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | select_streams LOG_BASED | only_stream public-v_log >"$TEST_TMP/cat_log.json"
expect 3 'stream "public-v_log": LOG_BASED replication is not possible for views' "LOG_BASED view" -- --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/cat_log.json"

# the source fails during the sync (a view that divides by zero): exit 4, the stream named
psql_q "$db" "CREATE VIEW boom AS SELECT id, 1 / (id - 1) AS x FROM t"
"$TAP_BIN" --config "$TEST_TMP/config.json" --discover 2>/dev/null | select_streams FULL_TABLE | only_stream public-boom >"$TEST_TMP/cat_boom.json"
expect 4 'stream "public-boom": reading the table failed after 0 rows with SQLSTATE 22012: ERROR:  division by zero' "query failure" -- --config "$TEST_TMP/config.json" --catalog "$TEST_TMP/cat_boom.json"
finish
