#!/usr/bin/env bash
# certificate.endpoints, badssl-style (scenarios/badssl-endpoints.yaml): one
# gateway, a certificate case per SNI. openssl, trusting DigiCert Global Root
# G2 and checking the gateway's name, gets the error of each case, and the
# default chain for any other name; every tls_result event names the chain.
. "$(dirname "$0")/lib.sh"
require jq
G1=$(root_of digicert-global-root-ca)
G2=$(root_of digicert-global-root-g2)
# client SNI CAFILE: verify the chain against CAFILE and the gateway's name
client() {
	RC=0
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 openssl s_client -ign_eof \
		-connect "127.0.0.1:$PORT" -servername "$1" -CAfile "$2" -verify_return_error \
		-verify_hostname "$HOST" >"$TEST_TMP/ossl.out" 2>&1 || RC=$?
}
start_gw badssl-endpoints
curl -sf "http://$CTL/status" | jq -e '.endpoints | length == 8 and .[0].sni == "expired.p2sgw.test"
	and .[0].variant == "expired"' >/dev/null && pass "GET /status lists the 8 endpoints" \
	|| fail "status: $(curl -s "http://$CTL/status" | jq -c .endpoints)"
while IFS='|' read -r sni want; do
	client "$sni" "$G2"
	[ "$RC" -ne 0 ] && grep -q "$want" "$TEST_TMP/ossl.out" && pass "$sni: $want" \
		|| fail "$sni: rc=$RC, want '$want': $(grep -m1 -E 'verify error|Verify return' "$TEST_TMP/ossl.out")"
done <<'CASES'
expired.p2sgw.test|certificate has expired
not-yet-valid.p2sgw.test|certificate is not yet valid
wrong-host.p2sgw.test|hostname mismatch
untrusted-root.p2sgw.test|self-signed certificate in certificate chain\|unable to get local issuer certificate
incomplete-chain.p2sgw.test|unable to get local issuer certificate
sha1.p2sgw.test|too weak
no-server-auth.p2sgw.test|unsuitable certificate purpose
old-root.p2sgw.test|unable to get local issuer certificate
CASES
for sni in other.p2sgw.test "$HOST"; do
	client "$sni" "$G2"
	[ "$RC" -eq 0 ] && pass "$sni: the default chain verifies" || fail "$sni: $(grep -m1 'verify error' "$TEST_TMP/ossl.out")"
done
client OLD-ROOT.p2sgw.test "$G1"
[ "$RC" -eq 0 ] && pass "old-root (SNI in any case) verifies against DigiCert Global Root CA" \
	|| fail "old-root with G1: $(grep -m1 'verify error' "$TEST_TMP/ossl.out")"
wait_settled || true
[ "$(grep '"event":"tls_result"' "$EVENTS" | jq -r .chain | sort -u | tr '\n' ' ')" \
	= "digicert-global-root-ca digicert-global-root-g2 selfsigned-gateway " ] \
	&& pass "tls_result events name the chain of each connection" \
	|| fail "chains: $(grep '"event":"tls_result"' "$EVENTS" | jq -r .chain | sort | uniq -c | tr '\n' ' ')"
stop_gw
finish
