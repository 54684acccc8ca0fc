#!/usr/bin/env bash
# Another PostgreSQL major for the tests: a minimal Debian root (debootstrap --variant=minbase)
# holding that major's server and wal2json, and throwaway clusters started from it.
#
#   tests/pg_root.sh make MAJOR            make the root when missing; print its path
#   tests/pg_root.sh start MAJOR DIR       initdb (if needed) and start a cluster of MAJOR on a
#                                          free 127.0.0.1 port; write DIR/env (as pg_cluster.sh)
#   tests/pg_root.sh standby MAJOR DIR PRIMARY_DIR [--sync-slots SLOT]
#                                          a streaming standby of the cluster of PRIMARY_DIR
#                                          (pg_basebackup -R, hot_standby_feedback); DIR/env.
#                                          --sync-slots (17+): it streams through the physical
#                                          slot SLOT made on the primary, primary_conninfo
#                                          names dbname=postgres and sync_replication_slots =
#                                          on: the primary's failover slots are synced to it
#   tests/pg_root.sh promote MAJOR DIR     promote the standby of DIR (pg_ctl promote, waits)
#   tests/pg_root.sh stop MAJOR DIR        stop the cluster of DIR (nothing when not running)
#   tests/pg_root.sh refresh MAJOR         make the root again now (unless a server runs from it)
#   tests/pg_root.sh age MAJOR             "MAJOR missing", or "MAJOR N days fresh|due" (no root needed)
#
# MAJOR and the Debian release that carries it: 13 bullseye, 15 bookworm, 17 trixie, 18 sid.
# The roots live in ${PG_ROOTS:-$HOME/.cache/tap-postgres-pgroots}/MAJOR, outside the clone,
# and are made again when missing (a lock keeps two runs from making the same root at once),
# and when older than PG_ROOT_MAX_AGE_DAYS (default 30; 0: never), so that the point releases
# and security fixes published since reach the tests; a root a server still runs from is kept
# until a later run (its clusters' data live inside it).
# The mirror is the one this machine's apt uses (PG_ROOT_MIRROR overrides it). Its Release
# files for sid can be past their Valid-Until date: the root's apt does not check it.
#
# The server runs chrooted into the root as the root's postgres user (so this needs root),
# listening on 127.0.0.1 only, trust for local and 127.0.0.1 connections, wal_level=logical,
# wal2json allowed where the server has output_plugin_libraries. Its data, socket and log are
# in the root's /var/tmp/pgroot.<hash of DIR>; DIR/env names them as seen from outside.
set -euo pipefail

cmd=${1:-}
major=${2:-}
dir=${3:-}
usage() {
    echo "usage: $0 make|refresh|age MAJOR | start|stop|promote MAJOR DIR | standby MAJOR DIR PRIMARY_DIR [--sync-slots SLOT]" >&2
    exit 2
}
[ -n "$cmd" ] && [ -n "$major" ] || usage
case "$major" in
13) suite=bullseye ;;
15) suite=bookworm ;;
17) suite=trixie ;;
18) suite=sid ;;
*)
    echo "pg_root: no Debian release known for PostgreSQL $major (13, 15, 17 or 18)" >&2
    exit 2
    ;;
esac
cache=${PG_ROOTS:-$HOME/.cache/tap-postgres-pgroots}
root=$cache/$major
max_age=${PG_ROOT_MAX_AGE_DAYS:-30}
case "$max_age" in '' | *[!0-9]*)
    echo "pg_root: PG_ROOT_MAX_AGE_DAYS must be a number of days (0: never made again), not \"$max_age\"" >&2
    exit 2
    ;;
esac

# root_age_days: whole days since the root was made (its .pg_root_ready), -1 when missing
root_age_days() {
    if [ -f "$root/.pg_root_ready" ]; then
        echo $((($(date +%s) - $(stat -c %Y "$root/.pg_root_ready")) / 86400))
    else
        echo -1
    fi
}
# root_due: the root exists and is older than max_age days (or refresh is asked for)
refresh=0
root_due() {
    local age
    age=$(root_age_days)
    [ "$age" -ge 0 ] || return 1
    [ "$refresh" = 1 ] && return 0
    [ "$max_age" -gt 0 ] && [ "$age" -ge "$max_age" ]
}
# root_in_use: a process runs chrooted into the root (a server of a cluster inside it)
root_in_use() {
    local real p
    real=$(readlink -f "$root")
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$real" ] && return 0
    done
    return 1
}

if [ "$cmd" = age ]; then
    age=$(root_age_days)
    if [ "$age" -lt 0 ]; then
        echo "$major missing"
    elif root_due; then
        echo "$major $age days due"
    else
        echo "$major $age days fresh"
    fi
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "pg_root: needs root (debootstrap, chroot)" >&2
    exit 1
fi
bin=/usr/lib/postgresql/$major/bin

# mirror: PG_ROOT_MIRROR, else the first Debian URI of this machine's apt sources
mirror() {
    if [ -n "${PG_ROOT_MIRROR:-}" ]; then
        echo "$PG_ROOT_MIRROR"
        return
    fi
    local m=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

# in_root CMD...: run CMD in the root as its postgres user, with an empty environment
in_root() {
    chroot --userspec=postgres:postgres "$root" /usr/bin/env -i HOME=/var/lib/postgresql \
        PATH="$bin:/usr/bin:/bin" LANG=C.UTF-8 "$@"
}

make_root() {
    [ -f "$root/.pg_root_ready" ] && ! root_due && return 0
    mkdir -p "$cache"
    exec 9>"$cache/$major.lock"
    if ! flock -n 9; then
        echo "pg_root: waiting for another run making the PostgreSQL $major root" >&2
        flock 9
    fi
    if [ -f "$root/.pg_root_ready" ] && ! root_due; then
        exec 9>&-
        return 0
    fi
    if [ -f "$root/.pg_root_ready" ]; then
        local why="older than PG_ROOT_MAX_AGE_DAYS=$max_age"
        [ "$refresh" = 1 ] && why="refresh asked for"
        if root_in_use; then
            echo "pg_root: the PostgreSQL $major root is $(root_age_days) days old ($why) but a server runs from it: kept until a later run" >&2
            exec 9>&-
            return 0
        fi
        echo "pg_root: the PostgreSQL $major root is $(root_age_days) days old ($why): making it again" >&2
    fi
    local need=()
    command -v debootstrap >/dev/null || need+=(debootstrap)
    if [ ${#need[@]} -gt 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    local mk=$root.mk log=$cache/$major.log m t0=$SECONDS
    m=$(mirror)
    echo "pg_root: making the PostgreSQL $major root ($suite, minbase) in $root (log: $log)" >&2
    rm -rf "$mk" "$root"
    # sid's postgresql-common runs systemd-tmpfiles, which needs /proc: mounted while apt runs
    trap 'mountpoint -q "$mk/proc" && umount -l "$mk/proc"' EXIT
    {
        # sid's keys may be newer than this machine's keyring: debian-archive-keyring of the
        # suite is installed in the root, but debootstrap checks with ours
        debootstrap --variant=minbase "$suite" "$mk" "$m" &&
            mkdir -p "$mk/etc/postgresql-common" "$mk/dev/shm" &&
            echo 'create_main_cluster = false' >"$mk/etc/postgresql-common/createcluster.conf" &&
            printf '#!/bin/sh\nexit 101\n' >"$mk/usr/sbin/policy-rc.d" &&
            chmod 755 "$mk/usr/sbin/policy-rc.d" &&
            echo 'Acquire::Check-Valid-Until "false";' >"$mk/etc/apt/apt.conf.d/99pg-root" &&
            mount -t proc proc "$mk/proc" &&
            chroot "$mk" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
                DEBIAN_FRONTEND=noninteractive sh -c \
                "apt-get update -qq && apt-get install -y -qq --no-install-recommends \
                 postgresql-$major postgresql-$major-wal2json" &&
            umount "$mk/proc" &&
            chroot "$mk" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get clean &&
            [ -x "$mk$bin/postgres" ] &&
            chroot "$mk" "$bin/postgres" --version >"$mk/.pg_root_ready"
    } >"$log" 2>&1 || {
        tail -n 20 "$log" >&2
        echo "pg_root: could not make the PostgreSQL $major root (log: $log)" >&2
        exit 1
    }
    trap - EXIT
    mv "$mk" "$root"
    echo "pg_root: $(cat "$root/.pg_root_ready") in $root, made in $((SECONDS - t0)) s" >&2
    exec 9>&-
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# srv_of DIR: the server folder (inside the root) of DIR's cluster
srv_of() {
    echo "/var/tmp/pgroot.$(printf '%s' "$1" | md5sum | cut -c1-16)"
}

# start_server: start $srv's cluster on a free port, write $dir/env
start_server() {
    local base port try
    base=$((20000 + RANDOM % 20000))
    for try in $(seq 0 50); do
        port=$((base + try))
        port_in_use "$port" && continue
        if in_root pg_ctl -D "$srv/data" -l "$srv/server.log" -o "-p $port" -w -t 120 start >/dev/null; then
            cat >"$dir/env" <<ENV
export PGHOST=127.0.0.1
export PGPORT=$port
export PGUSER=postgres
export PGDATABASE=postgres
export PGTEST_HOST=127.0.0.1
export PGTEST_PORT=$port
export PGTEST_USER=postgres
export PGTEST_SOCKET_DIR=$root$srv/sock
export PGTEST_DIR=$root$srv
export PGTEST_MAJOR=$major
export PGTEST_ROOT=$root
export PGTEST_CLUSTER_DIR=$dir
ENV
            echo "pg_root: PostgreSQL $major running on 127.0.0.1:$port (data in $root$srv/data)" >&2
            return 0
        fi
        tail -n 5 "$root$srv/server.log" >&2 || true
    done
    echo "pg_root: could not start PostgreSQL $major" >&2
    return 1
}

case "$cmd" in
make | refresh)
    [ "$cmd" = refresh ] && refresh=1
    make_root
    echo "$root"
    ;;
start | standby | stop | promote)
    [ -n "$dir" ] || usage
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    srv=$(srv_of "$dir")
    if [ "$cmd" = stop ]; then
        if [ -f "$root$srv/data/postmaster.pid" ]; then
            in_root pg_ctl -D "$srv/data" -m fast -w stop >/dev/null 2>&1 || true
        fi
        exit 0
    fi
    if [ "$cmd" = promote ]; then
        in_root pg_ctl -D "$srv/data" -w -t 120 promote >/dev/null || {
            tail -n 20 "$root$srv/server.log" >&2
            echo "pg_root: could not promote the standby of $dir" >&2
            exit 1
        }
        echo "pg_root: the standby of $dir is promoted" >&2
        exit 0
    fi
    # a shared hold on the lock while the server starts: a refresh (exclusive) waits, then sees
    # the server in the root and keeps it
    while :; do
        make_root
        exec 8>>"$cache/$major.lock"
        flock -s 8
        [ -f "$root/.pg_root_ready" ] && break
        exec 8>&- # made again meanwhile (or being made): wait for it
    done
    if [ -f "$root$srv/data/postmaster.pid" ] && in_root pg_ctl -D "$srv/data" status >/dev/null 2>&1; then
        in_root pg_ctl -D "$srv/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "${root:?}$srv"
    mkdir -p "$root$srv/sock"
    chroot "$root" chown -R postgres:postgres "$srv"
    if [ "$cmd" = start ]; then
        in_root initdb -D "$srv/data" -U postgres --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >"$root$srv/initdb.log" 2>&1 || {
            cat "$root$srv/initdb.log" >&2
            exit 1
        }
        extra=""
        # minor releases from 2026 only load the output plugins listed here
        # (read whole first: grep -q leaving early would fail the pipe under pipefail)
        settings=$(in_root postgres --describe-config 2>/dev/null || true)
        if grep -q '^output_plugin_libraries' <<<"$settings"; then
            extra="output_plugin_libraries = 'pgoutput, test_decoding, wal2json'"
        fi
        cat >>"$root$srv/data/postgresql.conf" <<CONF

# throwaway test cluster (tests/pg_root.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$srv/sock'
wal_level = logical
max_replication_slots = 40
max_wal_senders = 40
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
max_wal_size = 4GB
log_min_messages = warning
password_encryption = 'scram-sha-256'
log_line_prefix = '%m [%p] %q%u@%d '
$extra
CONF
        cat >"$root$srv/data/pg_hba.conf" <<HBA
local   all          all                       trust
local   replication  all                       trust
host    all          pw_user    127.0.0.1/32   scram-sha-256
host    all          all        127.0.0.1/32   trust
host    replication  pw_user    127.0.0.1/32   scram-sha-256
host    replication  all        127.0.0.1/32   trust
HBA
        chroot "$root" chown postgres:postgres "$srv/data/postgresql.conf" "$srv/data/pg_hba.conf"
    else
        primary=${4:-}
        [ -n "$primary" ] && [ -f "$primary/env" ] || {
            echo "pg_root: standby: no $primary/env (start the primary first)" >&2
            exit 2
        }
        sync_slot=""
        if [ "${5:-}" = --sync-slots ]; then
            sync_slot=${6:-}
            [ -n "$sync_slot" ] && [ "$major" -ge 17 ] || {
                echo "pg_root: standby: --sync-slots needs a slot name and PostgreSQL 17 or later" >&2
                exit 2
            }
        elif [ -n "${5:-}" ]; then
            usage
        fi
        pport=$(. "$primary/env" && echo "$PGTEST_PORT")
        # with --sync-slots: -C -S make the physical slot and name it in primary_slot_name, and
        # the dbname of -d goes into primary_conninfo (pg_basebackup 17), as slot sync needs
        slot_args=()
        [ -n "$sync_slot" ] && slot_args=(-C -S "$sync_slot")
        in_root pg_basebackup -d "host=127.0.0.1 port=$pport user=postgres dbname=postgres" \
            -D "$srv/data" -R -X stream --no-sync -c fast "${slot_args[@]}" \
            >"$root$srv/basebackup.log" 2>&1 || {
            cat "$root$srv/basebackup.log" >&2
            exit 1
        }
        cat >>"$root$srv/data/postgresql.conf" <<CONF

# streaming standby of 127.0.0.1:$pport (tests/pg_root.sh standby)
unix_socket_directories = '$srv/sock'
hot_standby = on
hot_standby_feedback = on
CONF
        if [ -n "$sync_slot" ]; then
            grep -q "^primary_conninfo = .*dbname=postgres" "$root$srv/data/postgresql.auto.conf" &&
                grep -q "^primary_slot_name = '$sync_slot'" "$root$srv/data/postgresql.auto.conf" || {
                cat "$root$srv/data/postgresql.auto.conf" >&2
                echo "pg_root: standby: pg_basebackup -R did not write primary_slot_name and a dbname" >&2
                exit 1
            }
            echo "sync_replication_slots = on" >>"$root$srv/data/postgresql.conf"
        fi
    fi
    start_server
    ;;
*)
    usage
    ;;
esac
