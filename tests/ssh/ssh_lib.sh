# Helpers for the ssh_tunnel scenarios (on top of tests/logical/log_lib.sh): an OpenSSH server started by
# the test as a plain process on a free loopback port, with host and client keys made here.
#   . "$(dirname "${BASH_SOURCE[0]}")/ssh_lib.sh"
#   sshd_start [sshd_config lines...]   start (again) with extra config lines; sets SSHD_PORT
#   sshd_stop                           stop it (also at exit)
# Keys in $SSH_DIR: host_ed25519 (the server's), host_ecdsa (the server's too when started with
# "HostKey $SSH_DIR/host_ecdsa"), id_ed25519 and id_ecdsa (authorized), id_pass (authorized,
# passphrase "open sesame"), id_rsa_pem (authorized, RSA in the old PEM format), id_wrong (not
# authorized), other_host (a host key the server does not have), known_hosts (the server's
# Ed25519 key for [127.0.0.1]:$SSHD_PORT).
SSH_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1091
. "$SSH_TESTS_DIR/../logical/log_lib.sh"

SSHD=${SSHD:-/usr/sbin/sshd}
if [ ! -x "$SSHD" ] || ! command -v ssh-keygen >/dev/null; then
    echo "FAIL: $SSHD or ssh-keygen missing (tests/deps.sh installs openssh-server)" >&2
    exit 1
fi
SSH_DIR=$TEST_TMP/ssh
mkdir -p "$SSH_DIR"
chmod 700 "$SSH_DIR"
SSH_USER=$(id -un)
SSHD_PID=
SSHD_LOG=$SSH_DIR/sshd.log

ssh-keygen -q -t ed25519 -N '' -C host -f "$SSH_DIR/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C other -f "$SSH_DIR/other_host"
ssh-keygen -q -t ecdsa -N '' -C host -f "$SSH_DIR/host_ecdsa"
ssh-keygen -q -t ecdsa -N '' -C ecdsa -f "$SSH_DIR/id_ecdsa"
ssh-keygen -q -t ed25519 -N '' -C client -f "$SSH_DIR/id_ed25519"
ssh-keygen -q -t ed25519 -N 'open sesame' -C pass -f "$SSH_DIR/id_pass"
ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C rsa -f "$SSH_DIR/id_rsa_pem"
ssh-keygen -q -t ed25519 -N '' -C wrong -f "$SSH_DIR/id_wrong"
cat "$SSH_DIR/id_ed25519.pub" "$SSH_DIR/id_pass.pub" "$SSH_DIR/id_rsa_pem.pub" \
    "$SSH_DIR/id_ecdsa.pub" >"$SSH_DIR/authorized_keys"
chmod 600 "$SSH_DIR"/host_* "$SSH_DIR"/id_* "$SSH_DIR/authorized_keys"

# as root, sshd separates privileges into an empty folder it insists on
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
    mkdir -p /run/sshd
    chmod 755 /run/sshd
fi
if [ "$(id -u)" = 0 ] && grep -q '^root:!' /etc/shadow 2>/dev/null; then
    echo "FAIL: the root account is locked ('!' in /etc/shadow): sshd without PAM refuses it" >&2
    exit 1
fi

# children_of PID: the processes PID forked (from /proc: a minimal Debian has no ps)
children_of() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(sed -E 's/^.*\) [A-Za-z] ([0-9]+) .*$/\1/' "$p/stat" 2>/dev/null)" = "$1" ] &&
            echo "${p#/proc/}"
    done
    return 0
}

sshd_stop() {
    if [ -n "$SSHD_PID" ]; then
        # the listener and the per-connection processes it forked (the test's own)
        local kids
        kids=$(children_of "$SSHD_PID")
        # shellcheck disable=SC2086
        kill "$SSHD_PID" $kids 2>/dev/null || true
        wait "$SSHD_PID" 2>/dev/null || true
        SSHD_PID=
    fi
}
trap sshd_stop EXIT

# sshd_kill_sessions: end the connections the server serves, leaving the listener (a bastion
# that went away under a running program)
sshd_kill_sessions() {
    local kids
    kids=$(children_of "$SSHD_PID")
    # shellcheck disable=SC2086
    [ -n "$kids" ] && kill $kids 2>/dev/null
    return 0
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

sshd_start() {
    sshd_stop
    : >"$SSHD_LOG"
    local base=$((40000 + RANDOM % 20000)) try
    for try in $(seq 0 30); do
        SSHD_PORT=$((base + try))
        port_free "$SSHD_PORT" || continue
        {
            echo "ListenAddress 127.0.0.1:$SSHD_PORT"
            echo "HostKey $SSH_DIR/host_ed25519"
            echo "PidFile $SSH_DIR/sshd.pid"
            echo "AuthorizedKeysFile $SSH_DIR/authorized_keys"
            echo "StrictModes no"
            echo "UsePAM no"
            echo "PasswordAuthentication no"
            echo "KbdInteractiveAuthentication no"
            echo "PubkeyAuthentication yes"
            echo "PermitRootLogin prohibit-password"
            echo "LogLevel DEBUG1"
            for line in "$@"; do
                echo "$line"
            done
        } >"$SSH_DIR/sshd_config"
        "$SSHD" -D -e -f "$SSH_DIR/sshd_config" 2>>"$SSHD_LOG" &
        SSHD_PID=$!
        local i
        for i in $(seq 1 50); do
            grep -q "Server listening on 127.0.0.1 port $SSHD_PORT" "$SSHD_LOG" && break
            kill -0 "$SSHD_PID" 2>/dev/null || break
            sleep 0.1
        done
        if grep -q "Server listening on 127.0.0.1 port $SSHD_PORT" "$SSHD_LOG"; then
            printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$SSH_DIR/host_ed25519.pub")" \
                >"$SSH_DIR/known_hosts"
            return 0
        fi
        wait "$SSHD_PID" 2>/dev/null || true
        SSHD_PID=
    done
    echo "FAIL: sshd did not start:" >&2
    cat "$SSHD_LOG" >&2
    exit 1
}

# json_text FILE: the file's content as a JSON string (PEM text in a config)
json_text() {
    awk 'BEGIN { ORS = "" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); print $0 "\\n" }' "$1" |
        sed 's/^/"/; s/$/"/'
}

# tunnel_json [KEY_FILE [CHECK [MEMBERS]]]: an ssh_tunnel object for the test server: the key
# (default the authorized id_ed25519) as PEM text, the host key check CHECK (default
# "known_hosts":"<the server's>"; "-" for none), and more members
tunnel_json() {
    local key=${1:-$SSH_DIR/id_ed25519} check=${2:-\"known_hosts\":\"$SSH_DIR/known_hosts\"}
    local extra=${3:-}
    [ "$check" = - ] && check=
    printf '{"enable":true,"host":"127.0.0.1","port":%s,"username":"%s","private_key":%s%s%s}' \
        "$SSHD_PORT" "$SSH_USER" "$(json_text "$key")" "${check:+,$check}" "${extra:+,$extra}"
}

# forwards_to PORT: how many direct-tcpip channels the server opened to 127.0.0.1:PORT so far
forwards_to() {
    tr -d '\r' <"$SSHD_LOG" |
        grep -c "server_request_direct_tcpip: originator 127.0.0.1 port [0-9]*, target 127.0.0.1 port $1\$" ||
        true
}
