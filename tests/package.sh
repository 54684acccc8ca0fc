#!/usr/bin/env bash
# Build the Debian package (CPack) and prove it installs on a fresh Debian 12: a minimal root
# (debootstrap --variant=minbase, kept as a tarball in the cache folder) gets the .deb with
# `apt-get install ./singer-postgres_*.deb`, which must pull the runtime libraries by itself;
# then both programs run there, and their man pages and the samples are where the README says.
# Not part of ctest (it needs root for chroot and the package mirror); run as root:
#
#   tests/package.sh                   the package lands in build-pkg/
#   PKG_CACHE=/var/tmp tests/package.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-pkg}
cache=${PKG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/singer-postgres}
[ "$(id -u)" = 0 ] || { echo "tests/package.sh: run as root (chroot, apt-get)" >&2; exit 2; }

"$root/tests/deps.sh"
need=()
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)     # CPack's dependency list
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== build and package ($build)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target tap-postgres target-postgres -- --no-print-directory >/dev/null
rm -f "$build"/singer-postgres_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/singer-postgres_*.deb)
echo "$deb"
dpkg-deb -f "$deb" Package Version Depends | sed 's/^/  /'

echo "== install it on a fresh minimal Debian 12"
mkdir -p "$cache"
base=$cache/bookworm-minbase.tar
if [ ! -f "$base" ]; then
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    rm -rf "$cache/mk"
    debootstrap --variant=minbase bookworm "$cache/mk" ${mirror:+"$mirror"} >"$cache/debootstrap.log" 2>&1 ||
        { echo "debootstrap failed: $cache/debootstrap.log" >&2; exit 1; }
    tar -C "$cache/mk" -cf "$base" . && rm -rf "$cache/mk"
fi
chr=$(mktemp -d /tmp/singer-postgres-pkg.XXXXXX)
cleanup() {
    for m in dev proc; do mountpoint -q "$chr/$m" && umount -l "$chr/$m"; done
    rm -rf "$chr"
}
trap cleanup EXIT
tar -C "$chr" -xf "$base"
mount -t proc proc "$chr/proc"
mount --bind /dev "$chr/dev"
cp /etc/resolv.conf "$chr/etc/resolv.conf" 2>/dev/null || true
cp "$deb" "$chr/tmp/"
in_root() { chroot "$chr" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 bash -c "$1"; }
in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/$(basename "$deb")" >"$build/install.log" 2>&1 ||
    { tail -n 20 "$build/install.log" >&2; echo "apt-get install of the package failed" >&2; exit 1; }
fail=0
check() { # DESCRIPTION COMMAND: run in the fresh root
    if out=$(in_root "$2" 2>&1); then
        echo "ok - $1"
    else
        echo "not ok - $1: $out" >&2
        fail=1
    fi
}
check "tap-postgres runs ($(in_root 'tap-postgres --version' 2>&1 || true))" "tap-postgres --version"
check "target-postgres runs" "target-postgres --version"
check "tap-postgres --about lists its settings" "tap-postgres --about | grep -q '\"settings\"'"
check "the man pages are installed" "test -s /usr/share/man/man1/tap-postgres.1 && test -s /usr/share/man/man1/target-postgres.1"
check "the README and samples are installed" "test -s /usr/share/doc/singer-postgres/README.md && test -x /usr/share/doc/singer-postgres/samples/sync.sh"
check "the runtime libraries came with it" "dpkg -s libpq5 libcjson1 libcurl4 >/dev/null"
check "no build tool came with it" "! command -v cc && ! command -v cmake"
[ "$fail" = 0 ] && echo "== the package installs and runs on a fresh Debian 12" || exit 1
