#!/usr/bin/env bash
# Authority Information Access: the chain is served without its
# intermediate and the leaf's caIssuers URL points at p2sgw's distribution
# point. A client that follows it (done here by hand: curl the URL, then
# openssl verify with what it got) builds the chain; without it, or when the
# URL answers 404 (aia-down), the chain cannot be built.
. "$(dirname "$0")/lib.sh"
P=$LAB_STATE/pki/digicert-global-root-ca

verify() {
	OUT=$TEST_TMP/verify.out
	RC=0
	timeout 20 openssl verify -CAfile "$P/root.crt" "$@" "$TEST_TMP/srv1.pem" >"$OUT" 2>&1 || RC=$?
}

for mode in ok down; do
	start_gw "aia-$mode" P2SGW_REVOCATION_LISTEN=127.0.0.1:0
	served_chain
	[ -f "$TEST_TMP/srv1.pem" ] && [ ! -f "$TEST_TMP/srv2.pem" ] \
		&& pass "aia-$mode: only the leaf is served" || fail "aia-$mode: $(ls "$TEST_TMP"/srv*.pem)"
	aia=$(openssl x509 -in "$TEST_TMP/srv1.pem" -noout -ext authorityInfoAccess 2>/dev/null \
		| grep -o 'CA Issuers - URI:.*' | sed 's/CA Issuers - URI://')
	[ "$aia" = "http://$CRL/digicert-global-root-ca/int1.crt" ] \
		&& pass "aia-$mode: the leaf's caIssuers is $aia" || fail "aia-$mode: AIA '$aia'"
	openssl x509 -in "$TEST_TMP/srv1.pem" -noout -ext crlDistributionPoints 2>/dev/null | grep -q URI \
		&& fail "aia-$mode: a CDP too" || pass "aia-$mode: no CRL distribution point (revocation.crl off)"
	verify
	[ "$RC" -ne 0 ] && has 'unable to get local issuer certificate' \
		&& pass "aia-$mode: without the intermediate the chain cannot be built" || fail "verify: $(cat "$OUT")"
	code=$(curl -s -o "$TEST_TMP/int.der" -w '%{http_code}' "$aia")
	if [ "$mode" = ok ]; then
		[ "$code" = 200 ] && openssl x509 -inform DER -in "$TEST_TMP/int.der" -out "$TEST_TMP/int.pem" \
			&& openssl x509 -in "$TEST_TMP/int.pem" -noout -subject | grep -q 'DigiCert SHA2 Secure Server CA' \
			&& pass "aia-ok: the URL gives the issuing CA (DER)" || fail "aia-ok: fetch $code"
		verify -untrusted "$TEST_TMP/int.pem"
		[ "$RC" -eq 0 ] && has 'srv1.pem: OK' && pass "aia-ok: with what the URL gave, the chain verifies" \
			|| fail "verify: $(cat "$OUT")"
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://$CRL/digicert-global-root-ca/../../gateway-id.crt")
		[ "$code" = 404 ] && pass "aia-ok: no path traversal" || fail "traversal: $code"
	else
		[ "$code" = 404 ] && pass "aia-down: the URL answers 404 (0x800B010A [inferred])" \
			|| fail "aia-down: fetch $code"
	fi
	stop_gw
done
finish
