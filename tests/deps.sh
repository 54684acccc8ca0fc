#!/usr/bin/env bash
# Install the Debian packages the project needs when any is missing (as root: apt-get).
# Sourced or run by tests/run.sh and samples/demo.sh.
set -euo pipefail
# libc6-dev is only a recommendation of gcc (and ca-certificates, for password_secret over
# HTTPS, one of libcurl), and apt-get below installs no recommendations; PostGIS for the
# arrays of geometry (their elements are separated by ":") in tests/tap/type_edges.sh
packages=(cmake make gcc libc6-dev pkg-config postgresql-15 postgresql-15-wal2json
          postgresql-15-postgis-3
          postgresql-client-15 libpq-dev libcjson-dev libcurl4-openssl-dev check ca-certificates openssl)
missing=()
for p in "${packages[@]}"; do
    # "install ok installed" only: a removed package can leave its status behind
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
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
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
