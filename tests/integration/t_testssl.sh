#!/usr/bin/env bash
# testssl.sh protocol and cipher checks against both eras.
. "$(dirname "$0")/lib.sh"
command -v testssl >/dev/null || { fail "testssl.sh is not installed"; finish; }

run_testssl() {
	J=$TEST_TMP/testssl.$1.json
	timeout 600 testssl --quiet --color 0 --warnings off --sneaky --fast -p -E --jsonfile "$J" \
		"127.0.0.1:$PORT" >"$TEST_TMP/testssl.$1.out" 2>&1 || true
}
finding() { grep -E "\"id\" *: *\"$2\"" -A3 "$J" | grep -E '"finding"' | head -1; }

start_gw azure-2018-tls12
run_testssl 2018
finding 2018 TLS1 | grep -q 'not offered' && pass "2018: TLS 1.0 not offered" || fail "2018 TLS1: $(finding 2018 TLS1)"
finding 2018 TLS1_1 | grep -q 'not offered' && pass "2018: TLS 1.1 not offered" || fail "2018 TLS1_1: $(finding 2018 TLS1_1)"
finding 2018 TLS1_2 | grep -q 'offered' && ! finding 2018 TLS1_2 | grep -q 'not offered' && pass "2018: TLS 1.2 offered" || fail "2018 TLS1_2"
grep -qiE '"id" *: *"cipher-tls1_2_x(05|0a|04)"' "$J" && fail "2018: RC4/3DES offered" || pass "2018: no RC4/3DES suite"
grep -qiE '"id" *: *"cipher-tls1_2_xc030"' "$J" && pass "2018: ECDHE-RSA-AES256-GCM-SHA384 offered" || fail "2018: c030 missing"
grep -qiE '"id" *: *"cipher-tls1_2_x(2f|35|c013|c014)"' "$J" && fail "2018: SHA-1 MAC suite offered" || pass "2018: no SHA-1 MAC suite"
stop_gw

start_gw azure-pre-2018
run_testssl pre
finding pre TLS1 | grep -q 'offered' && ! finding pre TLS1 | grep -q 'not offered' && pass "pre-2018: TLS 1.0 offered" || fail "pre TLS1: $(finding pre TLS1)"
grep -qiE '"id" *: *"cipher-tls1_x05"' "$J" && pass "pre-2018: RC4-SHA offered" || fail "pre: RC4-SHA not found"
grep -qiE '"id" *: *"cipher-tls1_x0a"' "$J" && pass "pre-2018: 3DES offered" || fail "pre: 3DES not found"
stop_gw
finish
