#!/usr/bin/env bash
# azure-2018-tls12 (the default): TLS 1.2 with the documented suites works and
# the chain verifies against the lab root; TLS 1.0/1.1 clients get a TCP reset;
# RC4, 3DES and SHA-1-MAC suites are refused.
. "$(dirname "$0")/lib.sh"
start_gw azure-2018-tls12
ROOT=$(root_of selfsigned-gateway)

ossl -tls1_2 -CAfile "$ROOT" -verify_hostname "$HOST" -verify_return_error
check_out 'Verify return code: 0 \(ok\)' "openssl TLS 1.2 verifies the chain against the lab root and host name"
check_out 'Cipher is ECDHE-RSA-AES128-GCM-SHA256' "server picks its first usable azure-2018 suite (ECDHE-RSA AES-128-GCM)"
check_out '^HTTP/1.1 404' "HTTP request over TLS is answered"
expect_event '"event":"tls_result".*"result":"ok".*"version":"TLSv1.2".*"suite":"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"' "tls_result event names version and suite"

ossl -tls1_2 -CAfile "$(root_of p2s-client-root)" -verify_return_error
[ "$RC" -ne 0 ] && has 'unable to get local issuer certificate|self-signed certificate' \
	&& pass "verification fails against a different root" || fail "verify against another root: rc=$RC"
expect_event '"reason":"client_alert".*unknown_ca' "client's unknown_ca alert is logged as such"

for v in tls1 tls1_1; do
	ossl -$v -cipher 'DEFAULT:@SECLEVEL=0'
	check_out 'errno=104|Connection reset by peer' "$v client sees ECONNRESET"
done
expect_event '"event":"verdict".*"action":"reset".*"why":"client offers at most TLS 1.0, policy requires TLS 1.2"' "refusal is logged in plain words"
expect_event '"event":"close".*"reason":"refused_version".*"client_error":"0x80072746' "close event maps to 0x80072746"
expect_event '"why":"client offers at most TLS 1.1, policy requires TLS 1.2"' "TLS 1.1 refusal logged"

for c in AES128-SHA AES256-SHA ECDHE-RSA-AES128-SHA; do
	ossl -tls1_2 -cipher "$c"
	check_out 'errno=104|Connection reset by peer' "SHA-1 MAC suite $c is refused with a reset"
done
expect_event '"reason":"refused_cipher".*"why":"no cipher suite in common at TLS 1.2: client offers TLS_RSA_WITH_AES_128_CBC_SHA' "cipher refusal names the offered suites"

# RC4 and 3DES: OpenSSL 3 has neither, GnuTLS has both.
for c in ARCFOUR-128 3DES-CBC; do
	gnutls --insecure --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+$c:-KX-ALL:+RSA:+ECDHE-RSA:%NO_TICKETS"
	check_out 'reset by peer|Error in the push function|Error in the pull function|The TLS connection was non-properly terminated' "GnuTLS $c client is refused"
done
expect_event '"why":"no cipher suite in common at TLS 1.2: client offers TLS_ECDHE_RSA_WITH_RC4_128_SHA|"why":"no cipher suite in common at TLS 1.2: client offers TLS_RSA_WITH_RC4_128_SHA' "RC4 offer named in the refusal"

# gnutls-cli and curl verify the chain too.
gnutls --x509cafile "$ROOT" --verify-hostname "$HOST"
check_out 'Handshake was completed' "gnutls-cli completes and verifies"
check_out 'Description: \(TLS1.2' "gnutls-cli negotiates TLS 1.2"
OUT=$TEST_TMP/curl.out
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ROOT" --resolve "$HOST:$PORT:127.0.0.1" "https://$HOST:$PORT/") || true
[ "$code" = 404 ] && pass "curl verifies and gets the gateway's 404" || fail "curl got '$code'"
rc=0; curl -s -o /dev/null --tlsv1.0 --tls-max 1.0 --ciphers 'DEFAULT:@SECLEVEL=0' -k "https://127.0.0.1:$PORT/" || rc=$?
[ "$rc" -eq 35 ] && pass "curl TLS 1.0 fails with a connect error (35)" || fail "curl TLS 1.0 exit $rc"

stop_gw
finish
