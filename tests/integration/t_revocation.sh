#!/usr/bin/env bash
# Revocation: the leaf names a CRL distribution point that p2sgw serves over
# HTTP. CRL reachable -> verifies; CRL offline -> revocation cannot be checked
# (Windows: 0x80092013); the gateway's own leaf revoked -> 0x80092010.
. "$(dirname "$0")/lib.sh"
P=$LAB_STATE/pki/digicert-global-root-ca

verify() {
	OUT=$TEST_TMP/verify.out
	RC=0
	timeout 20 openssl verify "$@" -CAfile "$P/root.crt" -untrusted "$TEST_TMP/srv2.pem" \
		"$TEST_TMP/srv1.pem" >"$OUT" 2>&1 || RC=$?
}

start_gw revocation-crl-ok P2SGW_REVOCATION_LISTEN=127.0.0.1:0
[[ "$CRL" =~ ^127\.0\.0\.1:[1-9][0-9]*$ ]] && pass "READY names the CRL server's picked address ($CRL)" \
	|| fail "READY crl='$CRL'"
served_chain
cdp=$(openssl x509 -in "$TEST_TMP/srv1.pem" -noout -ext crlDistributionPoints 2>/dev/null | grep -o 'URI:.*')
[ "$cdp" = "URI:http://$CRL/digicert-global-root-ca/int1.crl" ] \
	&& pass "the leaf's CDP points at p2sgw's CRL endpoint" || fail "CDP '$cdp'"
code=$(curl -s -o "$TEST_TMP/int1.crl" -w '%{http_code}' "http://$CRL/digicert-global-root-ca/int1.crl")
[ "$code" = 200 ] && openssl crl -inform DER -in "$TEST_TMP/int1.crl" -noout -issuer | grep -q 'DigiCert SHA2 Secure Server CA' \
	&& pass "the CRL is served and issued by the intermediate" || fail "CRL fetch $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$CRL/../../etc/passwd")
[ "$code" = 404 ] && pass "no path traversal on the CRL endpoint" || fail "traversal gave $code"
verify -crl_check -crl_download
[ "$RC" -eq 0 ] && has 'srv1.pem: OK' && pass "openssl -crl_download: CRL fetched, leaf not revoked" || fail "verify rc=$RC: $(cat "$OUT")"
stop_gw

start_gw revocation-leaf-revoked P2SGW_REVOCATION_LISTEN=127.0.0.1:0
served_chain
verify -crl_check -crl_download
[ "$RC" -ne 0 ] && has 'certificate revoked' && pass "the gateway's own leaf is revoked (0x80092010)" || fail "verify rc=$RC: $(cat "$OUT")"
stop_gw

start_gw revocation-crl-offline P2SGW_REVOCATION_LISTEN=127.0.0.1:0
served_chain
rc=0; curl -sS -o /dev/null "http://$CRL/digicert-global-root-ca/int1.crl" 2>/dev/null || rc=$?
[ "$rc" -eq 7 ] && pass "the CDP does not answer (connection refused)" || fail "CRL fetch rc=$rc"
# (openssl 3.0's -crl_download spins on a refused connection, so check without it)
verify -crl_check
[ "$RC" -ne 0 ] && has 'unable to get certificate CRL' && pass "revocation cannot be checked (0x80092013)" || fail "verify rc=$RC: $(cat "$OUT")"
stop_gw
# 404 from the distribution point: revocation cannot be checked either
start_gw revocation-crl-404 P2SGW_REVOCATION_LISTEN=127.0.0.1:0
served_chain
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$CRL/digicert-global-root-ca/int1.crl")
[ "$code" = 404 ] && pass "not-found: the CDP answers 404 for the CRL" || fail "not-found: $code"
verify -crl_check -crl_download
[ "$RC" -ne 0 ] && has 'unable to get certificate CRL|error loading|404' &&
	pass "not-found: openssl -crl_download cannot check revocation (0x80092013)" || fail "verify rc=$RC: $(cat "$OUT")"
stop_gw

# A distribution point that accepts and never answers: a client's fetch times out (curl's
# own 2 s limit, exit 28), the TCP connection itself having succeeded
start_gw revocation-crl-timeout P2SGW_REVOCATION_LISTEN=127.0.0.1:0
served_chain
rc=0
curl -sS -o /dev/null --max-time 2 "http://$CRL/digicert-global-root-ca/int1.crl" 2>"$TEST_TMP/to.err" || rc=$?
[ "$rc" -eq 28 ] && grep -q 'Operation timed out' "$TEST_TMP/to.err" &&
	pass "timeout: the CDP accepts and never answers (curl times out)" || fail "timeout: curl rc=$rc $(cat "$TEST_TMP/to.err")"
rc=0; curl -sS -o /dev/null --connect-timeout 2 --max-time 3 "http://$CRL/" 2>"$TEST_TMP/to2.err" || rc=$?
[ "$rc" -eq 28 ] && ! grep -q 'Connection refused\|connect' "$TEST_TMP/to2.err" &&
	pass "timeout: the TCP connection is accepted (no refusal), only the answer never comes" ||
	fail "timeout: rc=$rc $(cat "$TEST_TMP/to2.err")"
ossl -tls1_2 -CAfile "$P/root.crt" -verify_return_error
check_out 'Verify return code: 0' "timeout: the gateway itself keeps serving TLS"
stop_gw

# A CRL that ran out (nextUpdate passed) and one not signed by the CA: the
# client holds a CRL it may not use
for mode in stale wrong-key; do
	start_gw "revocation-crl-$mode" P2SGW_REVOCATION_LISTEN=127.0.0.1:0
	served_chain
	code=$(curl -s -o "$TEST_TMP/$mode.crl" -w '%{http_code}' "http://$CRL/digicert-global-root-ca/int1.crl")
	[ "$code" = 200 ] && openssl crl -inform DER -in "$TEST_TMP/$mode.crl" -noout -issuer \
		| grep -q 'DigiCert SHA2 Secure Server CA' && pass "$mode: a CRL in the issuing CA's name is served" \
		|| fail "$mode: CRL fetch $code"
	openssl crl -inform DER -in "$TEST_TMP/$mode.crl" -out "$TEST_TMP/$mode.pem"
	verify -crl_check -CRLfile "$TEST_TMP/$mode.pem"
	case $mode in
	stale) want='CRL has expired' ;;
	wrong-key) want='CRL signature failure' ;;
	esac
	[ "$RC" -ne 0 ] && has "$want" && pass "$mode: openssl cannot check revocation: $want (0x80092013)" \
		|| fail "$mode: verify rc=$RC: $(cat "$OUT")"
	stop_gw
done
openssl crl -inform DER -in "$TEST_TMP/stale.crl" -noout -nextupdate >"$TEST_TMP/nu"
nu=$(date -u -d "$(sed 's/nextUpdate=//' "$TEST_TMP/nu")" +%s)
[ "$nu" -lt "$(date +%s)" ] && pass "stale: nextUpdate $(sed 's/nextUpdate=//' "$TEST_TMP/nu") is past" \
	|| fail "stale: nextUpdate $(cat "$TEST_TMP/nu")"

# The same events on a timeline: the leaf is revoked, then the CRL goes offline.
cat >"$TEST_TMP/tl.yaml" <<YAML
base: revocation-crl-ok
timeline:
  - {at: 1s, action: revoke}
  - {at: 4s, action: crl-offline}
YAML
start_gw "$TEST_TMP/tl.yaml" P2SGW_REVOCATION_LISTEN=127.0.0.1:0
expect_event '"event":"timeline".*"action":"revoke".*"result":"ok"' "timeline: revoke fired"
served_chain
curl -sf -o "$TEST_TMP/tl.crl" "http://$CRL/digicert-global-root-ca/int1.crl" || true
serial=$(openssl x509 -in "$TEST_TMP/srv1.pem" -noout -serial | sed 's/serial=//')
expect_event '"event":"timeline".*"action":"crl-offline".*"result":"ok"' "timeline: crl-offline fired"
openssl crl -inform DER -in "$TEST_TMP/tl.crl" -noout -text 2>/dev/null | grep -qi "$serial" \
	&& pass "after 'revoke' the served leaf ($serial) is on the CRL" || fail "serial $serial not on the CRL"
rc=0; curl -sS -o /dev/null "http://$CRL/digicert-global-root-ca/int1.crl" 2>/dev/null || rc=$?
[ "$rc" -eq 7 ] && pass "after 'crl-offline' the CDP refuses connections" || fail "CRL fetch rc=$rc"
stop_gw
finish
