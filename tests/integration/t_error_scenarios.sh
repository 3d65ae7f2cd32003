#!/usr/bin/env bash
# Every shipped TLS-level error scenario, shown from a real client.
. "$(dirname "$0")/lib.sh"

scenario() { start_gw "$1"; log "scenario $1"; }

scenario error-tls10-client-reset
ossl -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
check_out 'errno=104|Connection reset by peer' "TLS 1.0 client: connection reset (0x80072746)"
stop_gw

scenario error-tls10-client-alert
ossl -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
check_out 'alert protocol version' "TLS 1.0 client: alert protocol_version (0x80090302)"
expect_event '"action":"alert:protocol_version".*"client_error":"0x80090302' "close event maps the alert to 0x80090302"
stop_gw

scenario error-no-shared-cipher-alert
ossl -tls1_2 -cipher 'AES128-GCM-SHA256'
check_out 'alert handshake failure' "static-RSA client under the 2024 suites: alert handshake_failure (0x80090326)"
stop_gw

scenario error-untrusted-root
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_return_error
[ "$RC" -ne 0 ] && has 'unable to get local issuer certificate|certificate signature failure|self-signed' \
	&& pass "renewed gateway CA is not trusted by the old package root (0x800B0109)" || fail "untrusted root rc=$RC"
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway-renewed)" -verify_return_error
check_out 'Verify return code: 0' "the renewed root verifies"
stop_gw

scenario error-name-mismatch
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_hostname "$HOST" -verify_return_error
check_out 'hostname mismatch' "name mismatch (0x800B010F)"
rc=0; curl -s -o /dev/null --cacert "$(root_of selfsigned-gateway)" --resolve "$HOST:$PORT:127.0.0.1" "https://$HOST:$PORT/" || rc=$?
[ "$rc" -eq 60 ] && pass "curl reports the name mismatch (60)" || fail "curl exit $rc"
stop_gw

scenario error-expired
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_return_error
check_out 'certificate has expired' "expired leaf (0x800B0101)"
stop_gw

scenario error-not-yet-valid
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_return_error
check_out 'certificate is not yet valid' "not-yet-valid leaf"
stop_gw

scenario error-incomplete-chain
ROOT=$(root_of digicert-global-root-ca)
ossl -tls1_2 -CAfile "$ROOT" -verify_return_error -showcerts
check_out 'unable to (get local issuer certificate|verify the first certificate)' "chain without the intermediate does not verify"
n=$(grep -c 'BEGIN CERTIFICATE' "$OUT" || true)
[ "$n" -eq 1 ] && pass "only the leaf is served" || fail "served $n certificates"
gnutls --x509cafile "$ROOT"
check_out 'issuer.*not.*found|certificate issuer is unknown|not trusted' "gnutls-cli also fails to build the chain"
stop_gw

scenario error-no-server-auth-eku
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_return_error
check_out 'unsuitable certificate purpose|unsupported certificate purpose' "leaf without serverAuth EKU is refused by the client"
stop_gw

scenario error-sha1-leaf
ossl -tls1_2 -CAfile "$(root_of digicert-global-root-ca)" -verify_return_error
check_out 'digest algorithm too weak|md too weak' "SHA-1 signed leaf is refused by a modern client"
ossl -tls1_2 -CAfile "$(root_of digicert-global-root-ca)" -verify_return_error -cipher 'DEFAULT:@SECLEVEL=0'
check_out 'Verify return code: 0' "and accepted by a permissive (old) client"
stop_gw

# The public-CA moves, as each shipped scenario starts and as its timeline rotates (the
# rotation is asked for through the control API with the chain the shipped timeline names,
# rather than waiting 30 s for it).
rotate_to() {
	local to
	to=$(sed -n 's/.*action: rotate, chain: \([a-z0-9-]*\).*/\1/p' "$P2SGW_SOURCE_DIR/scenarios/$1.yaml" | head -1)
	[ -n "$to" ] || { fail "$1: no rotation in its timeline"; return; }
	curl -sf -X POST -d "{\"chain\":\"$to\"}" "http://$CTL/rotate" >/dev/null &&
		pass "$1: rotated to $to, the timeline's chain" || fail "$1: rotate to $to failed"
}
# transition SCENARIO OLD_ROOT NEW_ROOT WHAT ERROR: before the rotation the old root verifies;
# after it a client with only the old root fails (the client reports ERROR), the new one verifies
transition() {
	scenario "$1"
	ossl -tls1_2 -CAfile "$(root_of "$2")" -verify_return_error
	check_out 'Verify return code: 0' "$4, before: $2 verifies"
	rotate_to "$1"
	ossl -tls1_2 -CAfile "$(root_of "$2")" -verify_return_error
	[ "$RC" -ne 0 ] && has 'unable to get local issuer certificate' &&
		pass "$4, after: a client with only $2 fails ($5)" || fail "$4: $2 after the move rc=$RC"
	ossl -tls1_2 -CAfile "$(root_of "$3")" -verify_return_error
	check_out 'Verify return code: 0' "$4, after: $3 verifies"
	stop_gw
}
transition azure-2019-ca-transition selfsigned-gateway digicert-global-root-ca "2019 move" \
	"0x800B0109"
transition azure-2021-g2-transition baltimore-cybertrust-root digicert-global-root-g2 "G2 move" \
	"backup agents: socket error 10054"
# the 2020-21 policy is the 2018 one: a static-RSA GCM suite (in the 2018 list, not in 2024's)
# still connects during the G2 move
scenario azure-2021-g2-transition
ossl -tls1_2 -cipher 'AES256-GCM-SHA384'
check_out 'Cipher is AES256-GCM-SHA384' "G2 move runs the 2018 policy (a 2018-list suite the 2024 list dropped)"
stop_gw

# The default scenario (and azure-2024-policy) verify against their roots.
scenario azure-2024-policy
ossl -tls1_2 -CAfile "$(root_of digicert-global-root-g2)" -verify_return_error -verify_hostname "$HOST"
check_out 'Verify return code: 0' "azure-2024-policy chain verifies against the G2 lookalike root"
check_out 'Cipher is ECDHE-RSA-AES256-GCM-SHA384' "azure-2024-policy negotiates an ECDHE-RSA suite"
ossl -tls1_2 -cipher 'AES256-SHA256'
check_out 'errno=104|Connection reset by peer' "static RSA suite refused under the 2024 policy"
stop_gw
finish
