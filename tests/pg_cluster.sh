#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and the demo.
#
#   tests/pg_cluster.sh start DIR   initdb into DIR/data (if needed), start on a free port,
#                                   write DIR/env (source it to reach the cluster)
#   tests/pg_cluster.sh stop DIR    stop it (does nothing when it is not running)
#
# initdb refuses to run as root, so as root the cluster belongs to the postgres system user.
# That user must reach DIR: when it cannot (DIR under /root, which is private), the data, socket
# and log live in a folder of their own under /tmp instead (one per DIR path), whose path
# DIR/location keeps.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop DIR" >&2
    exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

PGBIN=${PGBIN:-}
if [ -z "$PGBIN" ]; then
    for v in 15 16 17 14 13; do
        if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then
            PGBIN=/usr/lib/postgresql/$v/bin
            break
        fi
    done
fi
if [ -z "$PGBIN" ]; then
    echo "pg_cluster: no PostgreSQL server programs found in /usr/lib/postgresql/*/bin" >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# srv: the folder of the server's files (data, sock, server.log): DIR, or as root the folder
# named in DIR/location when the postgres user cannot reach DIR
srv=$dir
if [ "$(id -u)" = 0 ]; then
    if [ -s "$dir/location" ]; then
        srv=$(cat "$dir/location")
    elif [ "$cmd" = start ]; then
        chown postgres: "$dir"
        if ! as_owner test -x "$dir" -a -w "$dir"; then
            # one folder per DIR path: a DIR deleted and made again (a test's scratch folder)
            # gets a fresh cluster in the same place instead of leaving the old one behind
            srv=/tmp/pg_cluster.$(printf '%s' "$dir" | md5sum | cut -c1-16)
            if [ -d "$srv" ]; then
                if [ -f "$srv/data/postmaster.pid" ]; then
                    as_owner "$PGBIN/pg_ctl" -D "$srv/data" -m immediate -w stop >/dev/null 2>&1 || true
                fi
                rm -rf "$srv"
            fi
            echo "$srv" >"$dir/location"
            echo "pg_cluster: the postgres user cannot reach $dir; the cluster lives in $srv" >&2
        fi
    fi
    if [ "$cmd" = start ]; then
        mkdir -p "$srv"
        chown postgres: "$srv"
    fi
fi

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

case "$cmd" in
start)
    data="$srv/data"
    if [ -f "$data/postmaster.pid" ] && [ -f "$dir/env" ]; then
        # shellcheck disable=SC1091
        . "$dir/env"
        if as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
            echo "pg_cluster: already running on port $PGPORT" >&2
            exit 0
        fi
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        rm -rf "$data"
        as_owner "$PGBIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >"$srv/initdb.log" 2>&1 || {
            cat "$srv/initdb.log" >&2
            exit 1
        }
        as_owner mkdir -p "$srv/sock"
        extra=""
        # PostgreSQL minor releases from 2026 only load the output plugins listed here
        settings=$("$PGBIN/postgres" --describe-config 2>/dev/null || true)
        if grep -q '^output_plugin_libraries' <<<"$settings"; then
            extra="output_plugin_libraries = 'pgoutput, test_decoding, wal2json'"
        fi
        as_owner tee -a "$data/postgresql.conf" >/dev/null <<CONF

# throwaway test cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$srv/sock'
wal_level = logical
max_replication_slots = 40
max_wal_senders = 40
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
max_wal_size = 4GB
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
$extra
CONF
        as_owner tee "$data/pg_hba.conf" >/dev/null <<HBA
local   all          all                       trust
local   replication  all                       trust
host    all          pw_user    127.0.0.1/32   scram-sha-256
host    all          all        127.0.0.1/32   trust
host    replication  pw_user    127.0.0.1/32   scram-sha-256
host    replication  all        127.0.0.1/32   trust
HBA
    fi
    base=$((20000 + RANDOM % 20000))
    for try in $(seq 0 50); do
        port=$((base + try))
        port_in_use "$port" && continue
        if as_owner "$PGBIN/pg_ctl" -D "$data" -l "$srv/server.log" -o "-p $port" -w -t 60 start >/dev/null; then
            cat >"$dir/env" <<ENV
export PGHOST=127.0.0.1
export PGPORT=$port
export PGUSER=postgres
export PGDATABASE=postgres
export PGTEST_HOST=127.0.0.1
export PGTEST_PORT=$port
export PGTEST_USER=postgres
export PGTEST_SOCKET_DIR=$srv/sock
export PGTEST_DIR=$srv
export PGBIN=$PGBIN
ENV
            echo "pg_cluster: PostgreSQL running on 127.0.0.1:$port (data in $data)" >&2
            exit 0
        fi
        tail -n 5 "$srv/server.log" >&2 || true
    done
    echo "pg_cluster: could not start PostgreSQL" >&2
    exit 1
    ;;
stop)
    if [ -f "$srv/data/postmaster.pid" ]; then
        as_owner "$PGBIN/pg_ctl" -D "$srv/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
