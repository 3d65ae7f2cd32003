#!/usr/bin/env bash
# azure-pre-2018: TLS 1.0/1.1 and the legacy suites (RC4, 3DES) are accepted.
. "$(dirname "$0")/lib.sh"
start_gw azure-pre-2018
ROOT=$(root_of selfsigned-gateway)

ossl -tls1 -cipher 'AES128-SHA:@SECLEVEL=0' -CAfile "$ROOT"
check_out 'Protocol *: TLSv1$' "openssl TLS 1.0 connects"
check_out 'Verify return code: 0' "TLS 1.0 chain verifies"
ossl -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
check_out 'Protocol *: TLSv1.1' "openssl TLS 1.1 connects"

gnutls --x509cafile "$ROOT" --verify-hostname "$HOST" --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.0:-CIPHER-ALL:+ARCFOUR-128:-KX-ALL:+RSA:+MD5:+SHA1:%NO_TICKETS'
check_out '\(TLS1.0[^)]*\)-\(RSA\)-\(ARCFOUR-128\)' "GnuTLS TLS 1.0 with RC4 connects"
gnutls --x509cafile "$ROOT" --verify-hostname "$HOST" --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.0:-CIPHER-ALL:+3DES-CBC:-KX-ALL:+RSA:%NO_TICKETS'
check_out '\(TLS1.0[^)]*\)-\(RSA\)-\(3DES-CBC\)' "GnuTLS TLS 1.0 with 3DES connects"
expect_event '"suite":"TLS_RSA_WITH_RC4_128_SHA"|"suite":"TLS_RSA_WITH_RC4_128_MD5"' "RC4 suite in the tls_result event"
expect_event '"suite":"TLS_RSA_WITH_3DES_EDE_CBC_SHA"' "3DES suite in the tls_result event"
stop_gw
finish
