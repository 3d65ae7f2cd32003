#!/usr/bin/env bash
# Builds SoftEther's vpnserver from Debian's source package softether-vpn
# (5.01.9674+git20200806+8181039, the upstream commit of Debian's binary
# package) with the upstream fix of SoftEtherVPN PR #1249 applied, for
# tests/bench/peers.sh. Debian's binary answers no SSTP_DUPLEX_POST: in
# ProtoHandleConnection() the loop that looks up the protocol by name ("SSTP",
# passed by Protocol.c) reads the still-NULL container instead of taking the
# match (introduced by upstream PR #1177, fixed by PR #1249); gcc -O2 drops
# the NULL dereference, so the function returns false at once and the
# connection hangs with no HTTP answer. See softether-pr1249.patch.
#
# usage: tests/bench/peers/softether-build.sh [OUT_DIR]   (default build/peers/softether)
# needs: the source package in /var/cache/p2sgw-bench ($P2SGW_BENCH_CACHE),
# which tests/setup-debian.sh --bench downloads (unstable's
# 5.01.9674+git20200806+8181039+dfsg3-1: bookworm's dfsg2 tarball is not on
# the mirror; the same upstream commit), and the packages that script
# installs. Installs and downloads nothing.
# Runs under nice -n 19 (a couple of minutes on 2 cores).
set -eu -o pipefail
cd "$(dirname "$0")/../../.."
OUT=$(realpath -m "${1:-build/peers/softether}")
PATCH=$(realpath tests/bench/peers/softether-pr1249.patch)
missing=""
CACHE=${P2SGW_BENCH_CACHE:-/var/cache/p2sgw-bench}
DSC=$(ls "$CACHE"/softether-vpn_*.dsc 2>/dev/null | sort -V | tail -1 || true)
[ -n "$DSC" ] || missing="$missing $CACHE/softether-vpn_*.dsc"
for t in dpkg-source cmake make cc; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
for h in openssl/ssl.h readline/readline.h ncurses.h zlib.h; do
	[ -e "/usr/include/$h" ] || missing="$missing $h"
done
if [ -n "$missing" ]; then
	echo "softether-build: missing:$missing" >&2
	echo "  run tests/setup-debian.sh --bench first (packages and the source)" >&2
	exit 1
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
if ! dpkg-source -x "$DSC" >dpkg-source.log 2>&1; then
	cat dpkg-source.log >&2
	echo "softether-build: dpkg-source -x $DSC failed" >&2
	exit 1
fi
SRC=$(find . -maxdepth 1 -type d -name 'softether-vpn-*' | head -1)
VER=$(cd "$SRC" && dpkg-parsechangelog -S Version)
cd "$SRC"
patch -p1 <"$PATCH"
grep -q 'container = tmp;' src/Cedar/Proto.c
# debian/rules: dh_auto_configure with these options, Debian's build flags
mkdir -p src/Mayaqua/3rdparty/cpu_features
touch src/Mayaqua/3rdparty/cpu_features/CMakeLists.txt
eval "$(dpkg-buildflags --export=sh)"
nice -n 19 cmake -S . -B obj -DCMAKE_BUILD_TYPE=None -DSKIP_CPU_FEATURES=ON \
	-DSE_PIDDIR=/run/softether -DSE_LOGDIR=/var/log/softether -DSE_DBDIR=/var/lib/softether \
	>cmake.log 2>&1 || { tail -30 cmake.log >&2; exit 1; }
nice -n 19 cmake --build obj -j"$(nproc)" --target vpnserver >build.log 2>&1 || { tail -40 build.log >&2; exit 1; }
mkdir -p "$OUT"
install -m 0755 "$(find obj -type f -name vpnserver -perm -u+x | head -1)" "$OUT/vpnserver.new"
mv "$OUT/vpnserver.new" "$OUT/vpnserver"
echo "softether-vpn $VER + upstream PR #1249 (tests/bench/peers/softether-pr1249.patch)" >"$OUT/VERSION"
echo "built $OUT/vpnserver: $(cat "$OUT/VERSION")"
