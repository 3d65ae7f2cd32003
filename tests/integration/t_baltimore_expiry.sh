#!/usr/bin/env bash
# The Baltimore CyberTrust Root expiry on the gateway clock
# (scenarios/baltimore-expiry.yaml, started five seconds before 2025-05-12
# 23:59:00 UTC): the lookalike root ends exactly when the real one did; a
# client checking at the gateway's time connects before and gets
# "certificate has expired" after, with nothing changed on the gateway.
. "$(dirname "$0")/lib.sh"
require jq

start_gw baltimore-expiry P2SGW_GATEWAY_CLOCK=2025-05-12T23:58:55Z
ROOT=$(root_of baltimore-cybertrust-root-2025)
openssl x509 -in "$ROOT" -noout -enddate | grep -q 'notAfter=May 12 23:59:00 2025 GMT' \
	&& pass "the root ends on 2025-05-12 23:59:00 UTC" || fail "root: $(openssl x509 -in "$ROOT" -noout -enddate)"
epoch() { curl -sf "http://$CTL/status" | jq .gateway_clock_epoch; }
# client: openssl checking the chain at the gateway's time
client() {
	RC=0
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 openssl s_client -ign_eof \
		-connect "127.0.0.1:$PORT" -servername "$1" -CAfile "$ROOT" -verify_return_error \
		-attime "$(epoch)" >"$TEST_TMP/ossl.out" 2>&1 || RC=$?
}
client before.baltimore.test
[ "$RC" -eq 0 ] && grep -q 'Verify return code: 0 (ok)' "$TEST_TMP/ossl.out" \
	&& pass "before 23:59:00 on the gateway clock: the Baltimore chain verifies" \
	|| fail "before: $(grep -m1 -E 'verify error|Verify return' "$TEST_TMP/ossl.out")"
for i in $(seq 1 400); do [ "$(epoch)" -ge 1747094340 ] && break; sleep 0.05; done
client after.baltimore.test
[ "$RC" -ne 0 ] && grep -q 'certificate has expired' "$TEST_TMP/ossl.out" \
	&& pass "from 23:59:00 on the gateway clock: certificate has expired (0x800B0101 on Windows)" \
	|| fail "after: $(grep -m1 -E 'verify error|Verify return' "$TEST_TMP/ossl.out")"
curl -sf "http://$CTL/status" | jq -e '.chain == "baltimore-cybertrust-root-2025" and .policy_generation == 1' \
	>/dev/null && pass "nothing changed on the gateway" || fail "status changed"
stop_gw
finish
