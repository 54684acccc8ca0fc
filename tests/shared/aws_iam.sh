#!/usr/bin/env bash
# aws_iam_auth: the password each connection sends is the RDS IAM token, exactly the one
# botocore's generate_db_auth_token makes for the same credentials, region, host, port, user and
# time. A cluster of its own with TLS on accepts only TLS connections with a scram password; the
# role's password is set to botocore's token for a fixed time (the programs' clock is fixed with
# SINGER_POSTGRES_TEST_NOW), so connecting proves the token is byte for byte botocore's and that
# it went over TLS. The tap (discovery, a FULL_TABLE sync) and the target (a load) connect;
# a token of another time does not; weak TLS modes and a second password are config errors.
# shellcheck disable=SC1091
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"

command -v openssl >/dev/null || {
    echo "FAIL: openssl is missing (tests/deps.sh installs it)" >&2
    exit 1
}
# Debian's python3-botocore (tests/deps.sh), not whatever python3 comes first in PATH
py=/usr/bin/python3
"$py" -c 'import botocore' 2>/dev/null || {
    echo "FAIL: python3-botocore is missing (tests/deps.sh installs it)" >&2
    exit 1
}

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

cluster=$TEST_TMP/iam_cluster
stop_iam() { "$SOURCE_DIR/tests/pg_cluster.sh" stop "$cluster" || true; }
trap stop_iam EXIT
"$SOURCE_DIR/tests/pg_cluster.sh" start "$cluster" 2>"$TEST_TMP/cluster.log" || {
    cat "$TEST_TMP/cluster.log" >&2
    exit 1
}
port=$(. "$cluster/env" && echo "$PGTEST_PORT")
srv=$(. "$cluster/env" && echo "$PGTEST_DIR")
sock=$(. "$cluster/env" && echo "$PGTEST_SOCKET_DIR")
tq() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d "$1" -c "$2"; }

certs=$TEST_TMP/certs
mkdir -p "$certs"
openssl req -new -x509 -days 2 -nodes -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
    -keyout "$certs/server.key" -out "$certs/server.crt" 2>/dev/null
as_pg tee "$srv/server.crt" <"$certs/server.crt" >/dev/null
as_pg tee "$srv/server.key" <"$certs/server.key" >/dev/null
as_pg chmod 600 "$srv/server.key"
as_pg tee "$srv/data/pg_hba.conf" >/dev/null <<HBA
local   all   all                    trust
hostssl all   all   127.0.0.1/32     scram-sha-256
hostssl all   all   ::1/128          scram-sha-256
HBA
tq postgres "ALTER SYSTEM SET ssl = on" >/dev/null
tq postgres "ALTER SYSTEM SET ssl_cert_file = '$srv/server.crt'" >/dev/null
tq postgres "ALTER SYSTEM SET ssl_key_file = '$srv/server.key'" >/dev/null
tq postgres "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 50); do
    [ "$(tq postgres "SHOW ssl")" = on ] && break
    sleep 0.1
done
assert_eq on "$(tq postgres "SHOW ssl")" "the cluster has ssl on"
tq postgres "CREATE ROLE iam_user LOGIN SUPERUSER" >/dev/null
tq postgres "CREATE DATABASE iamdb OWNER iam_user" >/dev/null
tq iamdb "CREATE TABLE public.src (id int PRIMARY KEY, name text); INSERT INTO public.src VALUES (1, 'a'), (2, 'b')" >/dev/null

# the credentials: a profile of a shared credentials file, with a session token
now=1796223845 # 2026-12-02T15:04:05Z
ak=ASIAIAMTESTEXAMPLE
sk='iam/secret+key/EXAMPLE'
st='FwoGZXIvYXdzE+/session=token'
printf '[default]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = wrong\n[rds]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' \
    "$ak" "$sk" "$st" >"$TEST_TMP/credentials"
export AWS_SHARED_CREDENTIALS_FILE=$TEST_TMP/credentials
token=$("$py" "$TESTS_DIR/tools/rds_token.py" localhost "$port" iam_user eu-central-1 "$ak" "$sk" "$st" "$now")
assert_contains "$token" "localhost:$port/?Action=connect&DBUser=iam_user&" "botocore made a token"
tq postgres "ALTER ROLE iam_user PASSWORD '${token//\'/\'\'}'" >/dev/null

iam="\"host\":\"localhost\",\"port\":$port,\"user\":\"iam_user\",\"dbname\":\"iamdb\",\"aws_iam_auth\":true,\"aws_profile\":\"rds\",\"aws_region\":\"eu-central-1\",\"connect_timeout\":5"

# --- the tap: discovery, then a FULL_TABLE sync (sslmode unset: require)
printf '{%s}\n' "$iam" >"$TEST_TMP/tap.json"
run_cmd "$TEST_TMP/catalog.json" "$TEST_TMP/tap.err" env SINGER_POSTGRES_TEST_NOW=$now \
    "$TAP_BIN" --config "$TEST_TMP/tap.json" --discover
assert_eq 0 "$RC" "tap: discovery connects with botocore's token as the password"
assert_contains "$(cat "$TEST_TMP/catalog.json")" '"tap_stream_id":"public-src"' "tap: discovery sees the table"
assert_contains "$(cat "$TEST_TMP/tap.err")" "SINGER_POSTGRES_TEST_NOW is set" "tap: the fixed clock is said"
assert_not_contains "$(cat "$TEST_TMP/tap.err")" "X-Amz-Signature" "tap: the token is not logged"
assert_not_contains "$(cat "$TEST_TMP/tap.err")" "$sk" "tap: the secret key is not logged"
sed -E 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"FULL_TABLE",/' \
    "$TEST_TMP/catalog.json" >"$TEST_TMP/catalog_sel.json"
run_cmd "$TEST_TMP/sync.out" "$TEST_TMP/sync.err" env SINGER_POSTGRES_TEST_NOW=$now \
    "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog_sel.json"
assert_eq 0 "$RC" "tap: a FULL_TABLE sync connects"
assert_eq 2 "$(grep -c '"type":"RECORD"' "$TEST_TMP/sync.out" || true)" "tap: both rows read"

# LOG_BASED: the replication connection (slot, changes) gets a token too
sed -E 's/"breadcrumb":\[\],"metadata":\{/&"selected":true,"replication-method":"LOG_BASED",/' \
    "$TEST_TMP/catalog.json" >"$TEST_TMP/catalog_log.json"
run_cmd "$TEST_TMP/log1.out" "$TEST_TMP/log1.err" env SINGER_POSTGRES_TEST_NOW=$now \
    "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog_log.json"
assert_eq 0 "$RC" "tap: LOG_BASED first run (initial copy, slot) connects"
tail -n 1 "$TEST_TMP/log1.out" | sed -E 's/^\{"type":"STATE","value":(.*)\}$/\1/' >"$TEST_TMP/state.json"
tq iamdb "INSERT INTO public.src VALUES (3, 'c')" >/dev/null
run_cmd "$TEST_TMP/log2.out" "$TEST_TMP/log2.err" env SINGER_POSTGRES_TEST_NOW=$now \
    "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog_log.json" --state "$TEST_TMP/state.json"
assert_eq 0 "$RC" "tap: LOG_BASED second run streams over a replication connection"
assert_contains "$(grep '"type":"RECORD"' "$TEST_TMP/log2.out" || true)" '"id":3' "tap: the change is read"

# a token for the real time is not the role's password: the token is what is sent
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/tap.json" --discover
assert_eq 4 "$RC" "tap: a token of another time is refused (exit 4)"
assert_contains "$(cat "$TEST_TMP/err")" 'password authentication failed for user "iam_user"' "tap: refused by the server"

# --- the target: every connection with a token
cat >"$TEST_TMP/in.jsonl" <<'JSON'
{"type":"SCHEMA","stream":"public-iam","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":["null","string"]}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-iam","record":{"id":1,"v":"via iam"}}
{"type":"STATE","value":{"n":1}}
JSON
printf '{%s,"default_target_schema":"tgt","sslmode":"require"}\n' "$iam" >"$TEST_TMP/target.json"
run_cmd "$TEST_TMP/t.out" "$TEST_TMP/t.err" env SINGER_POSTGRES_TEST_NOW=$now \
    timeout -k 5 120 "$TARGET_BIN" --config "$TEST_TMP/target.json" <"$TEST_TMP/in.jsonl"
assert_eq 0 "$RC" "target: loads with the IAM token"
assert_eq "1|via iam" "$(tq iamdb "SELECT id, v FROM tgt.iam")" "target: the row is there"
assert_eq '{"n":1}' "$(tail -n 1 "$TEST_TMP/t.out")" "target: the STATE after the load"

# --- config errors: exit 3, one line naming the key, no connection
printf '{%s,"sslmode":"prefer"}\n' "$iam" >"$TEST_TMP/weak.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/weak.json" --discover
assert_eq 3 "$RC" "tap: sslmode prefer with aws_iam_auth: exit 3"
assert_contains "$(cat "$TEST_TMP/err")" 'key "sslmode" is prefer, but aws_iam_auth sends its token only over TLS: set sslmode to require, verify-ca or verify-full' "tap: the error names sslmode"
printf '{%s,"default_target_schema":"tgt","ssl_enable":true,"ssl_mode":"allow"}\n' "$iam" >"$TEST_TMP/weak_t.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TARGET_BIN" --config "$TEST_TMP/weak_t.json" <"$TEST_TMP/in.jsonl"
assert_eq 3 "$RC" "target: ssl_mode allow with aws_iam_auth: exit 3"
assert_contains "$(cat "$TEST_TMP/err")" 'key "ssl_mode" is allow, but aws_iam_auth' "target: the error names ssl_mode"
assert_eq "" "$(cat "$TEST_TMP/out")" "target: config error: no STATE"
printf '{%s,"password":"pw"}\n' "$iam" >"$TEST_TMP/two.json"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" "$TAP_BIN" --config "$TEST_TMP/two.json" --discover
assert_eq 3 "$RC" "tap: a password with aws_iam_auth: exit 3"
assert_contains "$(cat "$TEST_TMP/err")" 'keys "aws_iam_auth" and "password" are both set' "tap: the error names both keys"

finish
