#!/usr/bin/env bash
# tap-postgres through ssh_tunnel, against a real OpenSSH server on a loopback port: FULL_TABLE
# and LOG_BASED (the copy and the replication connection) go through the server (its log counts
# the forwarded connections, and a server that refuses forwarding makes the same config fail);
# host keys from known_hosts, host_key (key line or fingerprint) or unchecked when asked; keys as
# PEM text or a path, with a passphrase; a wrong key and a wrong host key fail with a clear
# message; the session lost mid-run is a clear error; SIGTERM closes the session politely.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/ssh_lib.sh"

db=ssh_tap_src
fresh_db "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(12,2));
INSERT INTO items SELECT i, 'item ' || i || repeat('x', i % 500), i * 1.25 FROM generate_series(1, 5000) i;
SQL
sshd_start

# tap_cfg NAME TUNNEL_JSON [extra members]: a config for the test database through the tunnel
tap_cfg() {
    printf '{"host":"127.0.0.1","port":%s,"user":"%s","dbname":"%s","ssh_tunnel":%s%s}\n' \
        "$PGPORT" "$PGUSER" "$db" "$2" "${3:+,$3}" >"$TEST_TMP/$1.json"
}
# run_tap NAME [args...]: run the tap with config NAME; out in NAME.out, log in NAME.err
run_tap() {
    local name=$1
    shift
    run_cmd "$TEST_TMP/$name.out" "$TEST_TMP/$name.err" timeout 120 "$TAP_BIN" \
        --config "$TEST_TMP/$name.json" "$@"
}

# --- FULL_TABLE through the tunnel (host key in known_hosts, key as PEM text)
tap_cfg ft "$(tunnel_json)"
before=$(forwards_to "$PGPORT")
run_tap ft --discover
assert_eq 0 "$RC" "discovery through the tunnel: exit 0"
assert_contains "$(cat "$TEST_TMP/ft.out")" '"tap_stream_id":"public-items"' "discovery through the tunnel: the table is found"
assert_contains "$(cat "$TEST_TMP/ft.err")" "ssh tunnel $SSH_USER@127.0.0.1:$SSHD_PORT: host key ssh-ed25519 SHA256:" "the host key is checked and logged"
assert_contains "$(cat "$TEST_TMP/ft.err")" "matches $SSH_DIR/known_hosts" "... against known_hosts"
select_streams FULL_TABLE <"$TEST_TMP/ft.out" >"$TEST_TMP/cat_ft.json"
run_tap ft --catalog "$TEST_TMP/cat_ft.json"
assert_eq 0 "$RC" "FULL_TABLE through the tunnel: exit 0"
assert_eq 5000 "$(record_ids "$TEST_TMP/ft.out" public-items | sort -u | wc -l)" "FULL_TABLE through the tunnel: every row"
check_jsonl "$TEST_TMP/ft.out" "FULL_TABLE through the tunnel: whole Singer messages only"
after=$(forwards_to "$PGPORT")
if [ "$after" -ge $((before + 2)) ]; then
    ok "the server forwarded the connections of both runs to the database ($before -> $after)"
else
    not_ok "the server forwarded $((after - before)) connections, expected 2 or more"
fi
assert_contains "$(tr -d '\r' <"$SSHD_LOG")" "Received disconnect from 127.0.0.1 port" "the tap disconnects politely at exit"
assert_contains "$(tr -d '\r' <"$SSHD_LOG")" ":11: tap-postgres: done" "... with its name"

# use_secondary: the replica's host and port go through the tunnel too (the primary is down)
printf '{"host":"127.0.0.1","port":1,"user":"%s","dbname":"%s","use_secondary":true,"secondary_host":"localhost","secondary_port":%s,"ssh_tunnel":%s}\n' \
    "$PGUSER" "$db" "$PGPORT" "$(tunnel_json)" >"$TEST_TMP/secondary.json"
run_tap secondary --catalog "$TEST_TMP/cat_ft.json"
assert_eq 0 "$RC" "use_secondary through the tunnel: exit 0"
assert_eq 5000 "$(record_ids "$TEST_TMP/secondary.out" public-items | sort -u | wc -l)" "use_secondary through the tunnel: every row"
assert_contains "$(tr -d '\r' <"$SSHD_LOG")" "target localhost port $PGPORT" "use_secondary: the server forwarded to secondary_host:secondary_port"

# --- proof that it went through the server: a server that refuses forwarding fails the same run
sshd_start "AllowTcpForwarding no"
tap_cfg noforward "$(tunnel_json)"
run_tap noforward --catalog "$TEST_TMP/cat_ft.json"
assert_eq 4 "$RC" "a server that refuses forwarding: exit 4"
assert_contains "$(cat "$TEST_TMP/noforward.err")" "the bastion did not open a connection to 127.0.0.1:$PGPORT" "... the refusal is named"
assert_eq 0 "$(grep -c '"type":"RECORD"' "$TEST_TMP/noforward.out" || true)" "... and no record is sent"
sshd_start

# --- LOG_BASED: the slot, the exported-snapshot copy and the replication stream, all through it
tap_cfg log "$(tunnel_json)" '"logical_decoding_plugin":"pgoutput","logical_poll_total_seconds":20'
run_tap log --discover
select_streams LOG_BASED <"$TEST_TMP/log.out" >"$TEST_TMP/cat_log.json"
before=$(forwards_to "$PGPORT")
run_tap log --catalog "$TEST_TMP/cat_log.json"
assert_eq 0 "$RC" "LOG_BASED run 1 (initial copy) through the tunnel: exit 0"
assert_eq 5000 "$(record_ids "$TEST_TMP/log.out" public-items | sort -u | wc -l)" "LOG_BASED run 1: every row"
last_state "$TEST_TMP/log.out" >"$TEST_TMP/state1.json"
psql_q "$db" "INSERT INTO items SELECT i, 'new', 1 FROM generate_series(5001, 5100) i; UPDATE items SET price = 0 WHERE id <= 10; DELETE FROM items WHERE id = 11" >/dev/null
run_tap log --catalog "$TEST_TMP/cat_log.json" --state "$TEST_TMP/state1.json"
assert_eq 0 "$RC" "LOG_BASED run 2 (changes) through the tunnel: exit 0"
assert_eq 111 "$(grep -c '"type":"RECORD"' "$TEST_TMP/log.out")" "LOG_BASED run 2: 100 inserts, 10 updates, 1 delete"
assert_contains "$(grep '"id":11,' "$TEST_TMP/log.out")" '"_sdc_deleted_at":"' "LOG_BASED run 2: the delete"
after=$(forwards_to "$PGPORT")
if [ "$after" -ge $((before + 4)) ]; then
    ok "LOG_BASED: every connection (copy and replication, two runs) was forwarded ($before -> $after)"
else
    not_ok "LOG_BASED: the server forwarded $((after - before)) connections, expected 4 or more"
fi
last_state "$TEST_TMP/log.out" >"$TEST_TMP/state2.json"

# --- the other ways to check the host key, and keys
pub=$(cut -d' ' -f1,2 "$SSH_DIR/host_ed25519.pub")
fp=$(ssh-keygen -l -E sha256 -f "$SSH_DIR/host_ed25519.pub" | cut -d' ' -f2)
tap_cfg hk_line "$(tunnel_json "" "\"host_key\":\"$pub\"")"
run_tap hk_line --discover
assert_eq 0 "$RC" "host_key as an OpenSSH key line: exit 0"
assert_contains "$(cat "$TEST_TMP/hk_line.err")" "matches ssh_tunnel.host_key" "host_key as a key line: checked"
tap_cfg hk_fp "$(tunnel_json "" "\"host_key\":\"$fp\"")"
run_tap hk_fp --discover
assert_eq 0 "$RC" "host_key as a SHA256 fingerprint: exit 0"
assert_contains "$(cat "$TEST_TMP/hk_fp.err")" "$fp matches ssh_tunnel.host_key" "host_key as a fingerprint: checked"
tap_cfg unchecked "$(tunnel_json "" '"host_key_check":false')"
run_tap unchecked --discover
assert_eq 0 "$RC" "host_key_check false: exit 0"
assert_contains "$(cat "$TEST_TMP/unchecked.err")" "WARN" "host_key_check false: a warning"
assert_contains "$(cat "$TEST_TMP/unchecked.err")" "ssh_tunnel.host_key_check is false: the bastion's host key (ssh-ed25519 $fp) is not checked" "host_key_check false: the warning names the unchecked key"
tap_cfg pass "$(tunnel_json "$SSH_DIR/id_pass" "" '"private_key_password":"open sesame"')"
run_tap pass --discover
assert_eq 0 "$RC" "a passphrase-protected key with private_key_password: exit 0"
tap_cfg path "$(tunnel_json "" "" | sed -E "s|\"private_key\":\"[^\"]*\"|\"private_key\":\"$SSH_DIR/id_ed25519\"|")"
run_tap path --discover
assert_eq 0 "$RC" "private_key as the path of a key file: exit 0"
# RSA: this libssh2 (1.10) signs with ssh-rsa (SHA-1), which OpenSSH refuses unless allowed
tap_cfg rsa "$(tunnel_json "$SSH_DIR/id_rsa_pem")"
run_tap rsa --discover
assert_eq 4 "$RC" "an RSA key, refused by a default OpenSSH: exit 4"
assert_contains "$(cat "$TEST_TMP/rsa.err")" "(an RSA key signs with ssh-rsa, SHA-1, in this libssh2, which OpenSSH 8.8 and later refuse by default: use an Ed25519 or ECDSA key)" "an RSA key refused: the reason is given"
sshd_start "PubkeyAcceptedAlgorithms +ssh-rsa"
tap_cfg rsa "$(tunnel_json "$SSH_DIR/id_rsa_pem")"
run_tap rsa --discover
assert_eq 0 "$RC" "an RSA key (PEM) where the server allows ssh-rsa: exit 0"
sshd_start

tap_cfg ecdsa "$(tunnel_json "$SSH_DIR/id_ecdsa")"
# (under ASan: libssh2's own leak of an ECDSA key's BIGNUM is suppressed for this run only)
ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0" \
    LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$SSH_TESTS_DIR/lsan_libssh2.supp" \
    run_tap ecdsa --discover
assert_eq 0 "$RC" "an ECDSA key: exit 0"
# known_hosts as ssh writes it: hashed names, and lines libssh2 cannot read (skipped)
{
    echo "# a comment"
    echo "@cert-authority *.example.com $pub"
    echo "otherhost sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIA== x"
    cat "$SSH_DIR/known_hosts"
} >"$SSH_DIR/known_hosts_hashed"
ssh-keygen -q -H -f "$SSH_DIR/known_hosts_hashed" >/dev/null 2>&1
rm -f "$SSH_DIR/known_hosts_hashed.old"
assert_not_contains "$(cat "$SSH_DIR/known_hosts_hashed")" "[127.0.0.1]" "(the known_hosts file is hashed)"
tap_cfg hashed "$(tunnel_json "" "\"known_hosts\":\"$SSH_DIR/known_hosts_hashed\"")"
run_tap hashed --discover
assert_eq 0 "$RC" "a hashed known_hosts with lines libssh2 cannot read: exit 0"
# a server with an ECDSA and an Ed25519 host key: libssh2 would take ECDSA first, but asks for
# the kind that known_hosts or host_key holds
sshd_start "HostKey $SSH_DIR/host_ecdsa"
tap_cfg two_kh "$(tunnel_json)"
run_tap two_kh --discover
assert_eq 0 "$RC" "two host keys, known_hosts holding the Ed25519 one: exit 0"
assert_contains "$(cat "$TEST_TMP/two_kh.err")" "host key ssh-ed25519 $fp matches" "... the Ed25519 key was asked for"
tap_cfg two_hk "$(tunnel_json "" "\"host_key\":\"$pub\"")"
run_tap two_hk --discover
assert_eq 0 "$RC" "two host keys, host_key the Ed25519 line: exit 0"
ecdsa_fp=$(ssh-keygen -l -E sha256 -f "$SSH_DIR/host_ecdsa.pub" | cut -d' ' -f2)
tap_cfg two_fp "$(tunnel_json "" "\"host_key\":\"$ecdsa_fp\"")"
run_tap two_fp --discover
assert_eq 0 "$RC" "two host keys, host_key the fingerprint of the ECDSA key offered first: exit 0"
sshd_start

# --- failures, each with a clear message and nothing on stdout
tap_cfg wrong_key "$(tunnel_json "$SSH_DIR/id_wrong")"
run_tap wrong_key --catalog "$TEST_TMP/cat_ft.json"
assert_eq 4 "$RC" "a key the server does not know: exit 4"
assert_contains "$(cat "$TEST_TMP/wrong_key.err")" "ssh tunnel $SSH_USER@127.0.0.1:$SSHD_PORT: the bastion refused the private key for user \"$SSH_USER\"" "a wrong key: the refusal is named"
assert_eq 0 "$(wc -c <"$TEST_TMP/wrong_key.out")" "a wrong key: nothing on stdout"
assert_not_contains "$(cat "$TEST_TMP/wrong_key.err")" "PRIVATE KEY" "a wrong key: the key is not logged"
tap_cfg no_pass "$(tunnel_json "$SSH_DIR/id_pass")"
run_tap no_pass --discover
assert_eq 4 "$RC" "a passphrase-protected key without private_key_password: exit 4"
assert_contains "$(cat "$TEST_TMP/no_pass.err")" "cannot use ssh_tunnel.private_key" "no passphrase: named"
tap_cfg bad_pass "$(tunnel_json "$SSH_DIR/id_pass" "" '"private_key_password":"wrong"')"
run_tap bad_pass --discover
assert_eq 4 "$RC" "a wrong private_key_password: exit 4"
assert_contains "$(cat "$TEST_TMP/bad_pass.err")" "a wrong or missing private_key_password" "a wrong passphrase: named"
assert_not_contains "$(cat "$TEST_TMP/bad_pass.err")" "wrong\"" "a wrong passphrase: not logged"
other=$(cut -d' ' -f1,2 "$SSH_DIR/other_host.pub")
tap_cfg wrong_hk "$(tunnel_json "" "\"host_key\":\"$other\"")"
run_tap wrong_hk --catalog "$TEST_TMP/cat_ft.json"
assert_eq 4 "$RC" "a wrong host_key: exit 4"
assert_contains "$(cat "$TEST_TMP/wrong_hk.err")" "the bastion's host key (ssh-ed25519 $fp) is not the one in ssh_tunnel.host_key: refusing to connect" "a wrong host_key: named, with the key offered"
assert_eq 0 "$(wc -c <"$TEST_TMP/wrong_hk.out")" "a wrong host_key: nothing on stdout"
printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$other" >"$SSH_DIR/known_hosts_wrong"
tap_cfg wrong_kh "$(tunnel_json "" "\"known_hosts\":\"$SSH_DIR/known_hosts_wrong\"")"
run_tap wrong_kh --discover
assert_eq 4 "$RC" "known_hosts with another key for the server: exit 4"
assert_contains "$(cat "$TEST_TMP/wrong_kh.err")" "does NOT match the one in $SSH_DIR/known_hosts_wrong" "known_hosts mismatch: named"
printf '[127.0.0.1]:1 %s\n' "$pub" >"$SSH_DIR/known_hosts_other"
tap_cfg unknown_kh "$(tunnel_json "" "\"known_hosts\":\"$SSH_DIR/known_hosts_other\"")"
run_tap unknown_kh --discover
assert_eq 4 "$RC" "a server not in known_hosts: exit 4"
assert_contains "$(cat "$TEST_TMP/unknown_kh.err")" "the bastion is not in the known_hosts file $SSH_DIR/known_hosts_other (it offered ssh-ed25519 $fp): after checking that fingerprint, add its key (ssh-keyscan -p $SSHD_PORT 127.0.0.1 >> $SSH_DIR/known_hosts_other)" "not in known_hosts: named, with what to do"
tap_cfg no_kh "$(tunnel_json "" "\"known_hosts\":\"$SSH_DIR/absent\"")"
run_tap no_kh --discover
assert_eq 4 "$RC" "a known_hosts file that does not exist: exit 4"
assert_contains "$(cat "$TEST_TMP/no_kh.err")" "not in the known_hosts file $SSH_DIR/absent (which cannot be read)" "a missing known_hosts: named"
tap_cfg nobody "$(tunnel_json | sed -E "s/\"port\":$SSHD_PORT/\"port\":1/")"
run_tap nobody --discover
assert_eq 4 "$RC" "no server at the bastion port: exit 4"
assert_contains "$(cat "$TEST_TMP/nobody.err")" "ssh tunnel $SSH_USER@127.0.0.1:1: cannot connect to the bastion: Connection refused" "no server: named"

# --- bad settings: exit 3 before anything is sent, the key never in the message
tap_cfg no_user "$(tunnel_json | sed -E 's/"username":"[^"]*",//')"
run_tap no_user --catalog "$TEST_TMP/cat_ft.json"
assert_eq 3 "$RC" "ssh_tunnel without username: exit 3"
assert_contains "$(cat "$TEST_TMP/no_user.err")" 'key "ssh_tunnel": enable is true, but username is not set' "no username: named"
tap_cfg bad_key "$(tunnel_json "" "" | sed -E 's|"private_key":"[^"]*"|"private_key":"AAAAsecretbody"|')"
run_tap bad_key --catalog "$TEST_TMP/cat_ft.json"
assert_eq 3 "$RC" "private_key neither PEM nor a file: exit 3"
assert_contains "$(cat "$TEST_TMP/bad_key.err")" 'private_key is neither PEM text' "bad private_key: named"
assert_not_contains "$(cat "$TEST_TMP/bad_key.err")" 'secretbody' "bad private_key: its value is not logged"
tap_cfg bad_hk "$(tunnel_json "" '"host_key":"not a key"')"
run_tap bad_hk --discover
assert_eq 3 "$RC" "a malformed host_key: exit 3"
assert_contains "$(cat "$TEST_TMP/bad_hk.err")" 'line 1 of host_key is neither an OpenSSH public key' "a malformed host_key: named"
tap_cfg both "$(tunnel_json "" "\"host_key\":\"$pub\"" '"host_key_check":false')"
run_tap both --discover
assert_eq 3 "$RC" "host_key with host_key_check false: exit 3"
assert_contains "$(cat "$TEST_TMP/both.err")" 'host_key_check is false, but host_key is set' "contradicting host key settings: named"
printf '{"host":"/tmp","port":%s,"user":"%s","dbname":"%s","ssh_tunnel":%s}\n' "$PGPORT" "$PGUSER" "$db" "$(tunnel_json)" >"$TEST_TMP/socket.json"
run_tap socket --discover
assert_eq 3 "$RC" "a Unix socket database host with a tunnel: exit 3"
assert_contains "$(cat "$TEST_TMP/socket.err")" "must be one host name or address as the bastion sees it" "a socket host: named"

# --- the session lost mid-run: a clear error, not a hang
tap_cfg live "$(tunnel_json)" '"logical_decoding_plugin":"pgoutput","break_at_end_lsn":false,"logical_poll_total_seconds":120'
"$TAP_BIN" --config "$TEST_TMP/live.json" --catalog "$TEST_TMP/cat_log.json" --state "$TEST_TMP/state2.json" \
    >"$TEST_TMP/live.out" 2>"$TEST_TMP/live.err" &
tap_pid=$!
trap 'kill "$tap_pid" 2>/dev/null || true; sshd_stop' EXIT
wait_for "$TEST_TMP/live.err" "logical replication started" 30
psql_q "$db" "INSERT INTO items VALUES (9001, 'live', 1)" >/dev/null
wait_for "$TEST_TMP/live.out" '"id":9001,' 30
sshd_kill_sessions
set +e
timeout 60 tail --pid="$tap_pid" -f /dev/null
wait "$tap_pid"
RC=$?
set -e
assert_eq 4 "$RC" "the SSH session lost mid-run: exit 4"
assert_contains "$(cat "$TEST_TMP/live.err")" "ssh tunnel $SSH_USER@127.0.0.1:$SSHD_PORT: the SSH connection to the bastion was lost (" "the lost session: named by the tunnel"

# --- SIGTERM: the run stops as usual and the session is closed politely
sshd_start
tap_cfg live "$(tunnel_json)" '"logical_decoding_plugin":"pgoutput","break_at_end_lsn":false,"logical_poll_total_seconds":120'
"$TAP_BIN" --config "$TEST_TMP/live.json" --catalog "$TEST_TMP/cat_log.json" --state "$TEST_TMP/state2.json" \
    >"$TEST_TMP/term.out" 2>"$TEST_TMP/term.err" &
tap_pid=$!
wait_for "$TEST_TMP/term.err" "logical replication started" 30
kill -TERM "$tap_pid"
set +e
wait "$tap_pid"
RC=$?
set -e
assert_eq 130 "$RC" "SIGTERM through the tunnel: exit 130"
assert_contains "$(tail -n 1 "$TEST_TMP/term.out")" '{"type":"STATE"' "SIGTERM: a final STATE"
sleep 0.5
assert_contains "$(tr -d '\r' <"$SSHD_LOG")" ":11: tap-postgres: done" "SIGTERM: the session is closed politely"
finish
