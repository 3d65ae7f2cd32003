#!/usr/bin/env bash
# The layering check catches what it must: each case breaks one rule in a
# copy of server/src and expects check-layers.py to fail naming the line.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CHECK=$SRC/tests/layers/check-layers.py
T=$(mktemp -d "${TMPDIR:-/tmp}/p2sgw-layers.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0

# case NAME FILE LINE-TO-ADD EXPECTED-OUTPUT-REGEX
case_() {
	local name=$1 file=$2 line=$3 want=$4
	rm -rf "$T/src" && cp -r "$SRC/server/src" "$T/src"
	printf '%s\n' "$line" >> "$T/src/$file"
	local out rc
	out=$(python3 "$CHECK" "$T/src" 2>&1); rc=$?
	if [ $rc -eq 1 ] && grep -qE "$want" <<<"$out"; then
		echo "ok: $name"
	else
		echo "FAIL: $name: rc=$rc, output: $out"
		fails=$((fails + 1))
	fi
}

out=$(python3 "$CHECK" "$SRC/server/src") && echo "ok: the tree passes ($out)" ||
	{ echo "FAIL: the tree itself: $out"; fails=$((fails + 1)); }
case_ "net/ including control/" net/conn.c '#include "control/control.h"' \
	'^net/conn.c:[0-9]+: net/ \(layer 3\) includes control/control.h of control/ \(layer 5\)'
case_ "config/ including app/" config/snapshot.c '#include "app/server.h"' \
	'^config/snapshot.c:[0-9]+: .*app/server.h'
case_ "a core including another core" tls/policy.c '#include "pki/pki.h"' \
	'^tls/policy.c:[0-9]+: core tls/ includes pki/pki.h'
case_ "a private header from outside" app/server.c '#include "sstp/sstp_int.h"' \
	'^app/server.c:[0-9]+: includes sstp/sstp_int.h, private to sstp/'
case_ "mbedTLS internals" net/conn.c '#include <mbedtls/ssl_internal.h>' \
	'^net/conn.c:[0-9]+: includes mbedtls/ssl_internal.h'
case_ "TLS calls outside the transport" app/session.c 'static int f(mbedtls_ssl_context *s) { return mbedtls_ssl_read(s, 0, 0); }' \
	'^app/session.c:[0-9]+: calls mbedtls_ssl_read outside net/tls_conn.c'
case_ "an unranked folder" net/conn.c '#include "nosuch/nosuch.h"' \
	"unknown folder 'nosuch'"
[ $fails -eq 0 ] && echo "all cases passed" || { echo "$fails case(s) failed"; exit 1; }
