#!/usr/bin/env bash
# target-postgres through ssh_tunnel, against a real OpenSSH server on a loopback port:
# tap | target, both through the tunnel, with several flush workers (each worker's connection is
# forwarded by the server); sqlalchemy_url through the tunnel; a wrong key and a wrong host key
# fail with a clear message and no STATE.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/ssh_lib.sh"

src=ssh_target_src
dst=ssh_target_dst
fresh_db "$src"
fresh_db "$dst"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
CREATE TABLE a (id bigint PRIMARY KEY, name text, price numeric(12,2), doc jsonb);
INSERT INTO a SELECT i, 'a ' || i || repeat('y', i % 300), i * 0.5, jsonb_build_object('k', i) FROM generate_series(1, 20000) i;
CREATE TABLE b (id int PRIMARY KEY, v text);
INSERT INTO b SELECT i, md5(i::text) FROM generate_series(1, 3000) i;
CREATE TABLE c (id int PRIMARY KEY, n int);
INSERT INTO c SELECT i, i FROM generate_series(1, 500) i;
SQL
sshd_start

printf '{"host":"127.0.0.1","port":%s,"user":"%s","dbname":"%s","ssh_tunnel":%s}\n' \
    "$PGPORT" "$PGUSER" "$src" "$(tunnel_json)" >"$TEST_TMP/tap.json"
"$TAP_BIN" --config "$TEST_TMP/tap.json" --discover 2>/dev/null | select_streams FULL_TABLE >"$TEST_TMP/catalog.json"

# target_cfg NAME TUNNEL_JSON [extra members]
target_cfg() {
    printf '{"host":"127.0.0.1","port":%s,"user":"%s","dbname":"%s","default_target_schema":"public","batch_size_rows":2000,"parallelism":3,"ssh_tunnel":%s%s}\n' \
        "$PGPORT" "$PGUSER" "$dst" "$2" "${3:+,$3}" >"$TEST_TMP/$1.json"
}
# pipeline NAME: tap (through the tunnel) | target with config NAME
pipeline() {
    set +e
    timeout 300 "$TAP_BIN" --config "$TEST_TMP/tap.json" --catalog "$TEST_TMP/catalog.json" 2>"$TEST_TMP/tap.err" |
        timeout 300 "$TARGET_BIN" --config "$TEST_TMP/$1.json" >"$TEST_TMP/$1.out" 2>"$TEST_TMP/$1.err"
    RC=$?
    set -e
}
compare() { # MESSAGE
    local t
    for t in a b c; do
        psql_q "$src" "COPY (SELECT * FROM public.$t ORDER BY 1) TO STDOUT" >"$TEST_TMP/src.tsv"
        psql_q "$dst" "COPY (SELECT id, $(psql_q "$src" "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'public.$t'::regclass AND attnum > 1 AND NOT attisdropped") FROM public.$t ORDER BY 1) TO STDOUT" >"$TEST_TMP/dst.tsv"
        assert_files_eq "$TEST_TMP/src.tsv" "$TEST_TMP/dst.tsv" "$1: table $t equal in source and target"
    done
}

# --- tap | target, both through the tunnel
target_cfg load "$(tunnel_json)"
before=$(forwards_to "$PGPORT")
pipeline load
assert_eq 0 "$RC" "tap | target through the tunnel: exit 0"
compare "through the tunnel"
assert_contains "$(cat "$TEST_TMP/load.err")" "ssh tunnel $SSH_USER@127.0.0.1:$SSHD_PORT: host key ssh-ed25519 SHA256:" "the target checks the host key"
assert_contains "$(tail -n 1 "$TEST_TMP/load.out")" '"bookmarks":{"public-a":' "the target writes the STATE"
after=$(forwards_to "$PGPORT")
# the tap's connection, the target's own and at least one flush worker's (workers start on
# demand: how many depends on how long batches take, and a batch copied straight into an empty
# table is short)
if [ "$after" -ge $((before + 3)) ]; then
    ok "the tap's connection and the target's worker connections were all forwarded ($before -> $after)"
else
    not_ok "the server forwarded $((after - before)) connections, expected 3 or more"
fi
assert_eq 3 "$(tr -d '\r' <"$SSHD_LOG" | grep -c -E ':11: (tap|target)-postgres: done$' || true)" "each program closes its session politely (discovery, tap, target)"

# --- a server that refuses forwarding fails the target's connections
sshd_start "AllowTcpForwarding no"
printf '{"host":"127.0.0.1","port":%s,"user":"%s","dbname":"%s"}\n' "$PGPORT" "$PGUSER" "$src" >"$TEST_TMP/tap.json"
target_cfg refused "$(tunnel_json)"
pipeline refused
assert_eq 5 "$RC" "the target through a server that refuses forwarding: exit 5"
assert_contains "$(cat "$TEST_TMP/refused.err")" "the bastion did not open a connection to 127.0.0.1:$PGPORT" "the refusal is named"
assert_eq 0 "$(wc -c <"$TEST_TMP/refused.out")" "no STATE"
sshd_start

# --- sqlalchemy_url: its host part is the database as the bastion sees it
psql_q "$dst" "DROP TABLE a, b, c" >/dev/null
printf '{"sqlalchemy_url":"postgresql+psycopg2://%s@127.0.0.1:%s/%s","default_target_schema":"public","ssh_tunnel":%s}\n' \
    "$PGUSER" "$PGPORT" "$dst" "$(tunnel_json "$SSH_DIR/id_pass" "" '"private_key_password":"open sesame"')" >"$TEST_TMP/url.json"
pipeline url
assert_eq 0 "$RC" "sqlalchemy_url and a passphrase-protected key through the tunnel: exit 0"
compare "sqlalchemy_url through the tunnel"
printf '{"sqlalchemy_url":"postgresql://%s@127.0.0.1:%s/%s?host=127.0.0.1","default_target_schema":"public","ssh_tunnel":%s}\n' \
    "$PGUSER" "$PGPORT" "$dst" "$(tunnel_json)" >"$TEST_TMP/url_host.json"
pipeline url_host
assert_eq 3 "$RC" "sqlalchemy_url with a host query parameter and a tunnel: exit 3"
assert_contains "$(cat "$TEST_TMP/url_host.err")" 'key "sqlalchemy_url" has the query parameter host, which would bypass ssh_tunnel' "the bypass is named"

# --- failures: a clear message, no STATE
target_cfg wrong_key "$(tunnel_json "$SSH_DIR/id_wrong")"
pipeline wrong_key
assert_eq 5 "$RC" "the target with a key the server does not know: exit 5"
assert_contains "$(cat "$TEST_TMP/wrong_key.err")" "the bastion refused the private key for user \"$SSH_USER\"" "a wrong key: named"
assert_eq 0 "$(wc -c <"$TEST_TMP/wrong_key.out")" "a wrong key: no STATE"
other=$(cut -d' ' -f1,2 "$SSH_DIR/other_host.pub")
target_cfg wrong_hk "$(tunnel_json "" "\"host_key\":\"$other\"")"
pipeline wrong_hk
assert_eq 5 "$RC" "the target with a wrong host_key: exit 5"
assert_contains "$(cat "$TEST_TMP/wrong_hk.err")" "is not the one in ssh_tunnel.host_key: refusing to connect" "a wrong host key: named"
assert_eq 0 "$(wc -c <"$TEST_TMP/wrong_hk.out")" "a wrong host key: no STATE"
target_cfg no_key "$(tunnel_json | sed -E 's/"private_key":"[^"]*"//; s/,,/,/; s/,\}/}/')"
pipeline no_key
assert_eq 3 "$RC" "the target with ssh_tunnel and no private_key: exit 3"
assert_contains "$(cat "$TEST_TMP/no_key.err")" 'key "ssh_tunnel": enable is true, but private_key is not set' "no private_key: named"
finish
