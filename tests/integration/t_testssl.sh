#!/usr/bin/env bash
# testssl.sh protocol and cipher checks against both eras. (-E uses the local
# OpenSSL, which has no RC4/3DES; -s and -4 probe those with raw sockets.)
. "$(dirname "$0")/lib.sh"
require testssl

run_testssl() {
	J=$TEST_TMP/testssl.$1.json
	timeout 600 testssl --quiet --color 0 --warnings off -p -s -4 -E --jsonfile "$J" \
		"127.0.0.1:$PORT" >"$TEST_TMP/testssl.$1.out" 2>&1 || true
}
# finding ID: the "finding" value of the JSON object with that id
finding() { grep -E "\"id\" *: *\"$1\"" -A10 "$J" | sed -n 's/.*"finding" *: *"\(.*\)".*/\1/p' | head -1; }
is() { local f; f=$(finding "$1"); if [[ "$f" =~ $2 ]]; then pass "$3 ($1: $f)"; else fail "$3 ($1: '$f')"; fi; }

start_gw azure-2018-tls12
run_testssl 2018
is TLS1 '^not offered' "2018: TLS 1.0 not offered"
is TLS1_1 '^not offered' "2018: TLS 1.1 not offered"
is TLS1_2 '^offered' "2018: TLS 1.2 offered"
is RC4 '^not vulnerable' "2018: no RC4 suite"
is cipherlist_3DES_IDEA '^not offered' "2018: no 3DES suite"
is cipherlist_LOW '^not offered' "2018: no LOW suite"
is cipher-tls1_2_xc02f 'ECDHE-RSA-AES128-GCM-SHA256' "2018: ECDHE-RSA-AES128-GCM-SHA256 offered"
grep -qE '"id" *: *"cipher-tls1_2_x(2f|35|c013|c014)"' "$J" && fail "2018: SHA-1 MAC suite offered" || pass "2018: no SHA-1 MAC suite"
stop_gw

start_gw azure-pre-2018
run_testssl pre
is TLS1 '^offered' "pre-2018: TLS 1.0 offered"
is TLS1_1 '^offered' "pre-2018: TLS 1.1 offered"
is RC4 'RC4-SHA' "pre-2018: RC4 offered"
is cipherlist_3DES_IDEA '^offered' "pre-2018: 3DES offered"
is cipher-tls1_2_x2f 'AES128-SHA' "pre-2018: SHA-1 MAC suite AES128-SHA offered"
stop_gw
finish
