#!/usr/bin/env bash
# Install the Debian packages the project needs when any is missing (as root: apt-get).
# Run by tests/run.sh, samples/demo.sh and tests/bench/*.sh. Nothing to do (no apt-get update)
# when every package is installed already.
#
# A minimal Debian 12 (debootstrap --variant=minbase) has bash, coreutils, findutils, diffutils,
# grep, sed, mawk, util-linux (runuser) and libc-bin (ldd), and nothing else the scripts call:
#   cmake (cmake, ctest), make, gcc (cc, with libc6-dev, only a recommendation of gcc),
#   pkg-config, the libraries' -dev packages, check (unit tests),
#   postgresql-15 (initdb, pg_ctl, postgres), postgresql-15-wal2json,
#   postgresql-client-15 (psql, pg_recvlogical),
#   ca-certificates (password_secret over HTTPS: only a recommendation of libcurl),
#   postgresql-15-postgis-3 (geometry arrays, whose elements are separated by ":", in
#   tests/tap/type_edges.sh), openssl (the certificates of tests/target/conn_tls.sh),
#   time (/usr/bin/time: peak RSS in target_memory and the benchmarks),
#   bc (tests/bench/cdc.sh),
#   python3-botocore (the reference RDS IAM token of tests/shared/aws_iam.sh; brings python3,
#   which also runs tests/tools/aws_stub.py), libssh2-1-dev (ssh_tunnel), zlib1g-dev (the
#   target's BATCH files, gzip), openssh-server (sshd and ssh-keygen for tests/ssh/*.sh),
#   clang-format (the style test: tests/tools/style_check.sh)
set -euo pipefail
packages=(cmake make gcc libc6-dev pkg-config postgresql-15 postgresql-15-wal2json
          postgresql-15-postgis-3
          postgresql-client-15 libpq-dev libcjson-dev libcurl4-openssl-dev check ca-certificates
          openssl time bc python3-botocore libssh2-1-dev zlib1g-dev openssh-server
          clang-format)
# one dpkg-query for all; "install ok installed" only: a removed package can leave its status
# behind
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
    sed -n 's/ install ok installed$//p' | tr '\n' ' ' || true) "
missing=()
for p in "${packages[@]}"; do
    [[ "$installed" == *" $p "* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO=sudo
        else
            echo "missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
            exit 1
        fi
    else
        SUDO=
    fi
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
