#!/usr/bin/env bash
# The MeltanoLabs connection settings take effect, for the target and the tap: a cluster of its
# own with TLS on (a self-signed certificate for "localhost" made here with openssl) that only
# accepts TLS connections with a scram password. ssl_enable + ssl_mode verify-full + the wrong CA
# must fail; the right CA and host name must connect; verify-full (ssl_mode's default) must
# refuse a host name the certificate does not name; sqlalchemy_url alone (percent-encoded
# password, TLS in its query) must connect.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
. "$here/common.sh"

command -v openssl >/dev/null || {
    echo "FAIL: openssl is missing (tests/deps.sh installs it)" >&2
    exit 1
}

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

cluster=$TEST_TMP/tls_cluster
stop_tls() { "$SOURCE_DIR/tests/pg_cluster.sh" stop "$cluster" || true; }
trap stop_tls EXIT
"$SOURCE_DIR/tests/pg_cluster.sh" start "$cluster" 2>"$TEST_TMP/cluster.log" || {
    cat "$TEST_TMP/cluster.log" >&2
    exit 1
}
tls_port=$(. "$cluster/env" && echo "$PGTEST_PORT")
srv=$(. "$cluster/env" && echo "$PGTEST_DIR")
sock=$(. "$cluster/env" && echo "$PGTEST_SOCKET_DIR")
tq() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$sock" -p "$tls_port" -U postgres -d "$1" -c "$2"; }

# the server's certificate (its own CA, as MeltanoLabs' test set-up does) and an unrelated CA
certs=$TEST_TMP/certs
mkdir -p "$certs"
openssl req -new -x509 -days 2 -nodes -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
    -keyout "$certs/server.key" -out "$certs/server.crt" 2>/dev/null
openssl req -new -x509 -days 2 -nodes -subj "/CN=other-ca" \
    -keyout "$certs/other.key" -out "$certs/other.crt" 2>/dev/null
cp "$certs/server.crt" "$certs/root.crt"
# a client certificate for the role "certuser" (self-signed: the server trusts it as its CA)
openssl req -new -x509 -days 2 -nodes -subj "/CN=certuser" \
    -keyout "$certs/client.key" -out "$certs/client.crt" 2>/dev/null
chmod 600 "$certs/client.key"
# the server's files belong to the server's user (who may not reach this folder)
as_pg tee "$srv/server.crt" <"$certs/server.crt" >/dev/null
as_pg tee "$srv/server.key" <"$certs/server.key" >/dev/null
as_pg tee "$srv/client_ca.crt" <"$certs/client.crt" >/dev/null
as_pg chmod 600 "$srv/server.key"
# TLS only, with a password: a connection without TLS finds no pg_hba.conf line
as_pg tee "$srv/data/pg_hba.conf" >/dev/null <<HBA
local   all   all                    trust
hostssl all   certuser 127.0.0.1/32  cert
hostssl all   all   127.0.0.1/32     scram-sha-256
HBA
tq postgres "ALTER SYSTEM SET ssl = on" >/dev/null
tq postgres "ALTER SYSTEM SET ssl_cert_file = '$srv/server.crt'" >/dev/null
tq postgres "ALTER SYSTEM SET ssl_key_file = '$srv/server.key'" >/dev/null
tq postgres "ALTER SYSTEM SET ssl_ca_file = '$srv/client_ca.crt'" >/dev/null
tq postgres "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 50); do
    [ "$(tq postgres "SHOW ssl")" = on ] && break
    sleep 0.1
done
assert_eq on "$(tq postgres "SHOW ssl")" "the TLS cluster has ssl on"
# a password with every character a URL must encode
pw='p@ss:w/rd%?#&+ x'
pw_sql=${pw//\'/\'\'}
tq postgres "CREATE ROLE melt LOGIN SUPERUSER PASSWORD '$pw_sql'" >/dev/null
tq postgres "CREATE DATABASE meltdb OWNER melt" >/dev/null
tq postgres "CREATE ROLE certuser LOGIN SUPERUSER" >/dev/null
tq meltdb "CREATE TABLE public.src (id int PRIMARY KEY, name text); INSERT INTO public.src VALUES (1, 'a')" >/dev/null
pw_url='p%40ss%3Aw%2Frd%25%3F%23%26%2B%20x'

# pem_json FILE: the file's text as a JSON string body (PEM text in a config)
pem_json() { awk 'BEGIN { ORS = "" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); print $0 "\\n" }' "$1"; }

in=$TEST_TMP/in.jsonl
cat >"$in" <<'JSON'
{"type":"SCHEMA","stream":"public-tls","schema":{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":["null","string"]}}},"key_properties":["id"]}
{"type":"RECORD","stream":"public-tls","record":{"id":1,"v":"over tls"}}
{"type":"STATE","value":{"n":1}}
JSON

# tload NAME CONFIG_MEMBERS: run the target against the TLS cluster; RC, OUT, ERR
tload() {
    printf '{%s,"default_target_schema":"tgt","connect_timeout":5}\n' "$2" >"$TEST_TMP/$1.json"
    OUT=$TEST_TMP/$1.out
    ERR=$TEST_TMP/$1.err
    run_cmd "$OUT" "$ERR" timeout -k 5 120 "$TARGET_BIN" --config "$TEST_TMP/$1.json" <"$in"
}
base="\"host\":\"localhost\",\"port\":$tls_port,\"user\":\"melt\",\"password\":\"$(printf '%s' "$pw" | sed 's/\\/\\\\/g; s/"/\\"/g')\",\"database\":\"meltdb\""

# --- the target: ssl_enable with verify-full and the wrong CA must not connect
tload wrong_ca "$base,\"ssl_enable\":true,\"ssl_mode\":\"verify-full\",\"ssl_certificate_authority\":\"$certs/other.crt\""
assert_eq 5 "$RC" "target: ssl_enable verify-full with the wrong CA: exit 5"
assert_contains "$(cat "$ERR")" "certificate verify failed" "target: wrong CA: the certificate is refused"
assert_eq "" "$(cat "$OUT")" "target: wrong CA: no STATE"
assert_eq 0 "$(tq meltdb "SELECT count(*) FROM pg_tables WHERE schemaname = 'tgt'")" "target: wrong CA: nothing loaded"

# the wrong CA as PEM text: the same
tload wrong_ca_pem "$base,\"ssl_enable\":true,\"ssl_certificate_authority\":\"$(pem_json "$certs/other.crt")\""
assert_eq 5 "$RC" "target: the wrong CA as PEM text: exit 5"
assert_contains "$(cat "$ERR")" "certificate verify failed" "target: wrong CA as PEM text: refused"

# the right CA but a host name the certificate does not name: verify-full (the default) refuses
tload wrong_host "${base/\"localhost\"/\"127.0.0.1\"},\"ssl_enable\":true,\"ssl_certificate_authority\":\"$certs/root.crt\""
assert_eq 5 "$RC" "target: right CA, host 127.0.0.1: exit 5 (ssl_mode defaults to verify-full)"
assert_contains "$(cat "$ERR")" 'does not match host name "127.0.0.1"' "target: the host name is checked"
# ... which verify-ca does not check
tload verify_ca "${base/\"localhost\"/\"127.0.0.1\"},\"ssl_enable\":true,\"ssl_mode\":\"verify-ca\",\"ssl_certificate_authority\":\"$certs/root.crt\""
assert_eq 0 "$RC" "target: verify-ca with the right CA connects to 127.0.0.1"

# the right CA (PEM text) and host name: loads, over TLS
tq meltdb "DROP SCHEMA IF EXISTS tgt CASCADE" >/dev/null
tload right "$base,\"ssl_enable\":true,\"ssl_mode\":\"verify-full\",\"ssl_certificate_authority\":\"$(pem_json "$certs/root.crt")\",\"ssl_storage_directory\":\".secrets\""
assert_eq 0 "$RC" "target: the right CA and host name: exit 0"
assert_eq '{"n":1}' "$(cat "$OUT")" "target: the right CA: the STATE"
assert_eq '1|over tls' "$(tq meltdb "SELECT id, v FROM tgt.tls")" "target: the right CA: the row is loaded"

# --- a client certificate: ssl_client_certificate_enable sends ssl_client_certificate and key
cert_base="\"host\":\"localhost\",\"port\":$tls_port,\"user\":\"certuser\",\"database\":\"meltdb\",\"ssl_enable\":true,\"ssl_certificate_authority\":\"$certs/root.crt\""
tq meltdb "DROP SCHEMA IF EXISTS tgt CASCADE" >/dev/null
tload client "$cert_base,\"ssl_client_certificate_enable\":true,\"ssl_client_certificate\":\"$certs/client.crt\",\"ssl_client_private_key\":\"$(pem_json "$certs/client.key")\""
assert_eq 0 "$RC" "target: a client certificate (key as PEM text) authenticates certuser"
assert_eq '1|over tls' "$(tq meltdb "SELECT id, v FROM tgt.tls")" "target: client certificate: the row is loaded"
tload client_off "$cert_base,\"ssl_client_certificate\":\"$certs/client.crt\",\"ssl_client_private_key\":\"$certs/client.key\""
assert_eq 5 "$RC" "target: a client certificate without ssl_client_certificate_enable is not sent (exit 5)"
assert_contains "$(cat "$ERR")" 'key "ssl_client_certificate" is ignored: ssl_client_certificate_enable is not true' \
    "target: the unused client certificate is warned about"

# --- sqlalchemy_url alone: percent-encoded password, TLS verification in its query
tq meltdb "DROP SCHEMA IF EXISTS tgt CASCADE" >/dev/null
url="postgresql+psycopg2://melt:$pw_url@localhost:$tls_port/meltdb?sslmode=verify-full&sslrootcert=$certs/root.crt"
tload url "\"sqlalchemy_url\":\"$url\""
assert_eq 0 "$RC" "target: sqlalchemy_url alone connects (exit 0)"
assert_eq '1|over tls' "$(tq meltdb "SELECT id, v FROM tgt.tls")" "target: sqlalchemy_url alone: the row is loaded"
assert_not_contains "$(cat "$ERR")" "$pw" "target: the password is not logged"
# its query's sslrootcert is used: the wrong CA there fails
tload url_wrong "\"sqlalchemy_url\":\"${url/root.crt/other.crt}\""
assert_eq 5 "$RC" "target: sqlalchemy_url with the wrong CA in its query: exit 5"
assert_contains "$(cat "$ERR")" "certificate verify failed" "target: sqlalchemy_url's sslrootcert is used"
# ssl_enable beside a URL without TLS parameters still verifies (a difference from MeltanoLabs)
tload url_ssl "\"sqlalchemy_url\":\"postgresql://melt:$pw_url@localhost:$tls_port/meltdb\",\"ssl_enable\":true,\"ssl_certificate_authority\":\"$certs/other.crt\""
assert_eq 5 "$RC" "target: sqlalchemy_url + ssl_enable with the wrong CA: exit 5"
# a wrong password in the URL is refused, and not shown
tload url_pw "\"sqlalchemy_url\":\"postgresql://melt:wrong%40pw-77@localhost:$tls_port/meltdb?sslmode=require\""
assert_eq 5 "$RC" "target: sqlalchemy_url with a wrong password: exit 5"
assert_contains "$(cat "$ERR")" 'password authentication failed for user "melt"' "target: wrong URL password: refused"
assert_not_contains "$(cat "$ERR")" "wrong@pw-77" "target: the wrong password is not logged"
assert_not_contains "$(cat "$ERR")" "wrong%40pw-77" "target: the wrong password is not logged (encoded)"
# a malformed URL is a config error naming the key, without the password
tload url_bad "\"sqlalchemy_url\":\"postgresql://melt:s3cr@t@localhost:$tls_port/meltdb\""
assert_eq 3 "$RC" "target: a malformed sqlalchemy_url: exit 3"
assert_contains "$(cat "$ERR")" 'key "sqlalchemy_url" has an '"'@'"' after the user name' "target: malformed URL: the key is named"
assert_not_contains "$(cat "$ERR")" "s3cr" "target: malformed URL: no piece of the password"

# --- the tap: the same settings
tap_cfg() { printf '{%s,"connect_timeout":5}\n' "$2" >"$TEST_TMP/tap_$1.json"; }
tap_cfg wrong_ca "${base/\"database\"/\"dbname\"},\"ssl_enable\":true,\"ssl_certificate_authority\":\"$certs/other.crt\""
run_cmd "$TEST_TMP/tap.out" "$TEST_TMP/tap.err" "$TAP_BIN" --config "$TEST_TMP/tap_wrong_ca.json" --discover
assert_eq 4 "$RC" "tap: ssl_enable with the wrong CA: exit 4"
assert_contains "$(cat "$TEST_TMP/tap.err")" "certificate verify failed" "tap: wrong CA: refused"
tap_cfg right "${base/\"database\"/\"dbname\"},\"ssl_enable\":true,\"ssl_certificate_authority\":\"$(pem_json "$certs/root.crt")\""
run_cmd "$TEST_TMP/tap.out" "$TEST_TMP/tap.err" "$TAP_BIN" --config "$TEST_TMP/tap_right.json" --discover
assert_eq 0 "$RC" "tap: ssl_enable with the right CA: exit 0"
assert_contains "$(cat "$TEST_TMP/tap.out")" '"tap_stream_id":"public-src"' "tap: the right CA: discovery reads the table"
tap_cfg url "\"sqlalchemy_url\":\"$url\""
run_cmd "$TEST_TMP/tap.out" "$TEST_TMP/tap.err" "$TAP_BIN" --config "$TEST_TMP/tap_url.json" --discover
assert_eq 0 "$RC" "tap: sqlalchemy_url alone: exit 0"
assert_contains "$(cat "$TEST_TMP/tap.out")" '"database-name":"meltdb"' "tap: sqlalchemy_url alone: the URL's database is read"
tap_cfg url_wrong "\"sqlalchemy_url\":\"${url/root.crt/other.crt}\""
run_cmd "$TEST_TMP/tap.out" "$TEST_TMP/tap.err" "$TAP_BIN" --config "$TEST_TMP/tap_url_wrong.json" --discover
assert_eq 4 "$RC" "tap: sqlalchemy_url with the wrong CA: exit 4"
tap_cfg ssh "${base/\"database\"/\"dbname\"},\"ssh_tunnel\":{\"enable\":true,\"host\":\"bastion\",\"username\":\"u\",\"private_key\":\"k\"}"
run_cmd "$TEST_TMP/tap.out" "$TEST_TMP/tap.err" "$TAP_BIN" --config "$TEST_TMP/tap_ssh.json" --discover
assert_eq 3 "$RC" "tap: ssh_tunnel with a bad private_key: exit 3"
assert_contains "$(cat "$TEST_TMP/tap.err")" 'key "ssh_tunnel": private_key is neither PEM text' "tap: ssh_tunnel with a bad private_key: the key is named"

finish
