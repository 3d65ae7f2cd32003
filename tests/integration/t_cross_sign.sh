#!/usr/bin/env bash
# Cross-signing (certificate.cross_signed_by): the G2 chain served with G2
# cross-signed by DigiCert Global Root CA. openssl clients that trust only
# the old root, only G2, or Baltimore: the first two validate, the last does
# not; without the cross-certificate the old-root client fails.
. "$(dirname "$0")/lib.sh"
G1=$(root_of digicert-global-root-ca)
G2=$(root_of digicert-global-root-g2)
BA=$(root_of baltimore-cybertrust-root)
client() {
	RC=0
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 openssl s_client -ign_eof -showcerts \
		-connect "127.0.0.1:$PORT" -servername "$HOST" -CAfile "$1" -verify_return_error \
		>"$TEST_TMP/ossl.out" 2>&1 || RC=$?
}
start_gw azure-2021-g2-cross-signed
client "$G1"
[ "$RC" -eq 0 ] && grep -q 'Verify return code: 0 (ok)' "$TEST_TMP/ossl.out" \
	&& pass "only DigiCert Global Root CA: validates through the cross-certificate" \
	|| fail "G1 only: $(grep -m1 -E 'verify error|Verify return' "$TEST_TMP/ossl.out")"
[ "$(grep -c 'BEGIN CERTIFICATE' "$TEST_TMP/ossl.out")" = 3 ] \
	&& grep -q 's:C = US, O = DigiCert Inc, OU = www.digicert.com, CN = DigiCert Global Root G2' "$TEST_TMP/ossl.out" \
	&& grep -q 'i:C = US, O = DigiCert Inc, OU = www.digicert.com, CN = DigiCert Global Root CA' "$TEST_TMP/ossl.out" \
	&& pass "served: leaf, intermediate, G2 issued by Global Root CA" \
	|| fail "chain: $(grep -E '^ *[0-9] s:|^ *i:' "$TEST_TMP/ossl.out" | tr '\n' ' ')"
client "$G2"
[ "$RC" -eq 0 ] && pass "only DigiCert Global Root G2: validates" || fail "G2 only: $(grep -m1 'verify error' "$TEST_TMP/ossl.out")"
client "$BA"
[ "$RC" -ne 0 ] && pass "only Baltimore: fails" || fail "Baltimore validated"
# the cross-certificate shares G2's key
openssl x509 -in "$LAB_STATE/pki/digicert-global-root-g2/cross-digicert-global-root-ca.crt" -noout -pubkey >"$TEST_TMP/x.pub"
openssl x509 -in "$G2" -noout -pubkey >"$TEST_TMP/g2.pub"
cmp -s "$TEST_TMP/x.pub" "$TEST_TMP/g2.pub" && pass "the cross-certificate carries G2's key" || fail "keys differ"
stop_gw
start_gw azure-2018-tls12 P2SGW_CERTIFICATE_CHAIN=digicert-global-root-g2
client "$G1"
[ "$RC" -ne 0 ] && pass "without the cross-certificate: only Global Root CA fails" || fail "G1 validated without it"
stop_gw
finish
