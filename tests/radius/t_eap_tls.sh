#!/usr/bin/env bash
# EAP-TLS through RADIUS (ppp.auth_backend radius, ppp.auth [eap-tls]) against a real
# FreeRADIUS 3.2, with p2s_client as the VPN client: the gateway does not terminate the inner
# TLS, it relays EAP (RFC 3579: EAP-Message split and joined, State echoed, one Access-Request
# per round) between the client and FreeRADIUS, which checks the client certificate against
# the lab client root and its CRL. The lab client certificate signs in and the SSTP crypto
# binding is verified with HLAK = MS-MPPE-Recv-Key (= MSK[0:32], what the client derives);
# the revoked one is refused with EAP-Failure and the close reason ppp_auth_failed.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/radius-lib.sh"
: "${P2S_CLIENT:?path of p2s_client}"

radius_start
# p2s_client checks the outer TLS (the gateway) and the inner EAP-TLS (FreeRADIUS, lab chain
# under DigiCert Global Root G2) against --ca: both roots in one file
CA=$TEST_TMP/roots.pem
cat "$(root_of selfsigned-gateway)" "$RADIUS_SERVER_ROOT" >"$CA"

SC=$TEST_TMP/radius-eap.yaml
cat >"$SC" <<YAML
name: radius-eap-tls
base: azure-2018-tls12
sstp:
  negotiation_timeout: 20s
ppp:
  auth: [eap-tls]
  auth_backend: radius
$(radius_yaml 10s 2)
YAML
"$P2SGW" check --scenario "$SC" >"$TEST_TMP/check.out" 2>&1 \
	&& pass "p2sgw check accepts auth_backend radius with eap-tls" \
	|| { cat "$TEST_TMP/check.out"; fail "p2sgw check refuses radius + eap-tls"; }
start_gw "$SC"

# ---- the lab client certificate FreeRADIUS trusts
client --cert "$RADIUS_CLIENT_CERT" --key "$RADIUS_CLIENT_KEY" --ping 172.16.201.1
rc_is 0 "tunnel up with the client certificate FreeRADIUS checks"
check_out '^auth: ok eap-tls$' "EAP-TLS succeeds end to end (client <-> FreeRADIUS)"
check_out '^eap-tls: ok TLSv1\.2 .* same-as-outer=no' "the inner TLS server is FreeRADIUS, not the gateway"
check_out '^ping 172\.16\.201\.1: reply' "traffic through the tunnel"
expect_event '"event":"ppp_eap_identity".*"identity":"P2SChildCert"' "EAP identity from the client"
expect_event '"event":"radius_reply".*"result":"challenge"' "radius_reply challenge (the EAP-TLS rounds)"
expect_event '"event":"radius_reply".*"result":"accept"' "radius_reply accept"
expect_event '"event":"ppp_auth_result".*"method":"EAP-TLS \(RADIUS\)".*"ok":true' "ppp_auth_result EAP-TLS (RADIUS) ok"
expect_event '"event":"sstp_call_connected".*"ok":true' "crypto binding verified with HLAK = MS-MPPE-Recv-Key"
expect_event '"event":"tunnel_up".*"identity":"P2SChildCert"' "tunnel_up for the certificate's identity"
if ! grep -q '"event":"sstp_call_connected".*"ok":true' "$EVENTS"; then
	grep -E '"event":"(sstp_call_connected|close)"' "$EVENTS" | tail -3 | sed 's/^/    /'
fi
n_req=$(grep -c '"event":"radius_request"' "$EVENTS" || true)
[ "$n_req" -ge 4 ] && pass "one Access-Request per EAP round ($n_req requests)" \
	|| rfail "only $n_req radius_request events for an EAP-TLS handshake"
grep -qE 'Sent Access-Accept Id [0-9]+ ' "$RADIUS_LOG" && pass "FreeRADIUS logged its Access-Accept" \
	|| rfail "no Access-Accept in FreeRADIUS' log"
# the mapping itself: the client's HLAK (MSK[0:32]) is the Accept's MS-MPPE-Recv-Key
recv_key=$(grep -oE 'MS-MPPE-Recv-Key = 0x[0-9a-f]+' "$RADIUS_LOG" | tail -1 | sed 's/.*0x//')
client_hlak=$(grep -oE 'eap-tls HLAK=[0-9A-Fa-f]{64}' "$OUT" | sed 's/.*=//' | tr 'A-F' 'a-f')
[ ${#recv_key} -eq 64 ] && [ "$recv_key" = "$client_hlak" ] \
	&& pass "the client's HLAK (MSK[0:32]) is FreeRADIUS' 32-byte MS-MPPE-Recv-Key" \
	|| rfail "HLAK mapping: client ${client_hlak:-?}, MS-MPPE-Recv-Key ${recv_key:-none}"
# State echoed verbatim: every State of an Access-Challenge comes back in the next request
states() { # states Received|Sent PACKET: the State values in FreeRADIUS' blocks of that packet
	awk -v want="$1 $2" '/(Received|Sent) Access-/ { inb = index($0, want) > 0 }
		inb && /^\([0-9]+\)   State = 0x/ { print $NF }' "$RADIUS_LOG" | sort -u
}
sent_states=$(states Sent Access-Challenge)
missing=$(comm -23 <(echo "$sent_states") <(states Received Access-Request))
[ -n "$sent_states" ] && [ -z "$missing" ] \
	&& pass "the State of each of the $(echo "$sent_states" | wc -l) Access-Challenges came back verbatim" \
	|| rfail "States sent but never echoed: ${missing:-no Access-Challenge with State}"

# ---- the revoked client certificate (in the client root's CRL)
client --cert "$RADIUS_REVOKED_CERT" --key "$RADIUS_REVOKED_KEY"
[ "$RC" -ne 0 ] && pass "revoked client certificate refused (exit $RC)" \
	|| rfail "signed in with a revoked client certificate"
check_out 'auth: failed' "the client reports the failed authentication"
check_out 'eap-failure' "the client gets EAP-Failure"
expect_event '"event":"radius_reply".*"result":"reject"' "radius_reply reject"
expect_event '"event":"ppp_auth_result".*"method":"EAP-TLS \(RADIUS\)".*"ok":false.*"identity":"P2SRevokedCert"' \
	"ppp_auth_result EAP-TLS (RADIUS) failed for P2SRevokedCert"
expect_event '"event":"close".*"reason":"ppp_auth_failed"' "close: ppp_auth_failed"
grep -q 'OpenSSL says error 23 : certificate revoked' "$RADIUS_LOG" \
	&& pass "FreeRADIUS refused it by the CRL: 'error 23 : certificate revoked'" \
	|| rfail "FreeRADIUS did not log the revocation"
grep -qE 'Sent Access-Reject Id [0-9]+ ' "$RADIUS_LOG" && pass "FreeRADIUS logged its Access-Reject" \
	|| rfail "no Access-Reject in FreeRADIUS' log"
stop_gw

! grep -qF -- "$RADIUS_SECRET" "$EVENTS" "$TEST_TMP"/stderr.*.log 2>/dev/null \
	&& pass "the shared secret is in no event or log line" || fail "shared secret printed"
[ "$FAILS" -eq 0 ] || radius_log_tail 60
finish
