#!/usr/bin/env bash
# SSTP + PPP end to end with p2s_client (tests/tools, an independent client):
# MS-CHAPv2 and EAP-TLS tunnels, pings/UDP/DNS through the responder, and
# every failure the gateway must detect: wrong password, crypto-binding
# faults, missing CALL_CONNECTED, unknown or revoked client certificates, the
# 16-byte-key HLAK of Debian's pppd, the SSTP session limit.
. "$(dirname "$0")/lib.sh"
: "${P2S_CLIENT:?path of p2s_client}"
CA=$(root_of selfsigned-gateway)
CLI=$LAB_STATE/pki/p2s-client-root
CCERT=$(ls "$CLI"/leaf-valid-*.crt | head -1)
CKEY=$CLI/leaf-rsa2048.key

# client ARGS...: run p2s_client; output in $OUT, exit status in $RC
client() {
	OUT=$TEST_TMP/client.out
	RC=0
	timeout 60 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA" "$@" \
		>"$OUT" 2>&1 || RC=$?
}
rc_is() { [ "$RC" -eq "$1" ] && pass "$2 (exit $RC)" || { fail "$2: exit $RC, expected $1"; tail -8 "$OUT"; }; }
MSCHAP=(--user p2s-user --password p2s-password)

start_gw azure-2018-tls12 P2SGW_SSTP_NEGOTIATION_TIMEOUT=2s
client "${MSCHAP[@]}" --ping 10.1.0.4 --ping 172.16.201.1 --udp-echo 10.1.0.4 --dns vm1.lab.internal@10.1.0.4
rc_is 0 "MS-CHAPv2 tunnel with pings, UDP echo and DNS"
check_out '^http: 200' "SSTP HTTP handshake answered 200"
check_out '^ipcp: address=172\.16\.201\.[0-9]+ dns=10\.1\.0\.4' "address from the pool, DNS from the scenario"
check_out '^ping 10\.1\.0\.4: reply \(3/3\)' "virtual-network host answers ping"
check_out '^ping 172\.16\.201\.1: reply' "gateway answers ping"
check_out '^udp-echo 10\.1\.0\.4: ok' "UDP echo"
check_out '^dns vm1\.lab\.internal: 10\.1\.0\.4' "DNS answer from the responder"
expect_event '"event":"sstp_call_connected".*"hash_protocol":"sha256","ok":true' "crypto binding (SHA-256) verified"
expect_event '"event":"tunnel_up".*"identity":"p2s-user"' "tunnel_up event"
expect_event '"reason":"sstp_client_disconnect|"reason":"client_close_notify' "clean end by the client"

client "${MSCHAP[@]}" --hash sha1
rc_is 0 "SHA-1 crypto binding accepted"
expect_event '"hash_protocol":"sha1","ok":true' "SHA-1 binding verified"

client --user p2s-user --password wrong-password
rc_is 3 "wrong password fails"
check_out 'auth: failed.*E=691' "client sees E=691"
expect_event '"event":"close".*"reason":"ppp_auth_failed".*"client_error":"691' "close: ppp_auth_failed, 691"

for f in mac certhash nonce; do
	client "${MSCHAP[@]}" --bad-binding $f --hold 3
	rc_is 4 "bad $f in CALL_CONNECTED: the gateway aborts"
	check_out 'sstp: abort status=4 attrib=3' "abort with status VALUE_NOT_SUPPORTED on CRYPTO_BINDING"
done
expect_event '"reason":"sstp_crypto_binding".*"detail":"certificate hash mismatch' "log explains a certificate hash mismatch"
expect_event '"reason":"sstp_crypto_binding".*"detail":"[^"]*(compound MAC|MAC)' "log explains a compound MAC mismatch"
expect_event '"reason":"sstp_crypto_binding".*"detail":"[^"]*nonce' "log explains a nonce mismatch"

client "${MSCHAP[@]}" --no-call-connected --hold 6
rc_is 4 "no CALL_CONNECTED: aborted at the negotiation timeout"
check_out 'sstp: abort status=8' "abort status NEGOTIATION_TIMEOUT"
expect_event '"reason":"sstp_negotiation_timeout"' "close: sstp_negotiation_timeout"
stop_gw

# EAP-TLS, as Azure's certificate authentication
REVOKED=$(openssl x509 -in "$(ls "$CLI"/leaf-valid-*.crt | head -1)" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
start_gw azure-2018-tls12 P2SGW_PPP_AUTH=eap-tls,mschapv2
client --cert "$CCERT" --key "$CKEY" --ping 10.1.0.4
rc_is 0 "EAP-TLS tunnel with a valid client certificate"
check_out '^auth: ok eap-tls' "EAP-TLS succeeds"
expect_event '"event":"ppp_eap_tls_handshake"' "EAP-TLS handshake logged"
expect_event '"event":"tunnel_up".*"identity":"P2SChildCert"' "identity is the certificate subject"

OTHER=$LAB_STATE/pki/digicert-global-root-ca
client --cert "$(ls "$OTHER"/leaf-valid-*.crt | head -1)" --key "$OTHER/leaf-rsa2048.key"
rc_is 3 "certificate from an unknown root is refused"
expect_event '"reason":"ppp_cert_rejected".*not issued by a trusted client root' "log: not issued by a trusted client root"

client --cert "$CCERT" --key "$CKEY" --hlak16 --hold 3
rc_is 4 "HLAK from 16-byte keys (Debian pppd 2.4.9) fails the binding"
expect_event '"reason":"sstp_crypto_binding".*16-byte' "log names the pppd 2.4.9 16-byte key case"

client "${MSCHAP[@]}"
rc_is 0 "MS-CHAPv2 still offered second (the client Naks EAP)"

# TLS inside EAP-TLS (ppp.eap_tls.tls_versions): TLS 1.2 only from 2018, as a Windows 7
# without TlsVersion (TLS 1.0 inside EAP) finds out
client --cert "$CCERT" --key "$CKEY" --eap-tls-version 1.0
rc_is 3 "EAP-TLS with TLS 1.0 inside is refused under the 2018 preset"
expect_event '"reason":"ppp_auth_failed".*TLS version inside EAP.*TlsVersion=0xfc0' "log: the inner TLS version, and the fix"
curl -sf "http://$CTL/clients" | jq -e '[.[].last_outcome.detail | select(test("inside EAP.*TlsVersion=0xfc0"))] | length == 1' >/dev/null &&
	pass "the audit shows that client's outcome with the TlsVersion fix" || fail "audit lacks the EAP-TLS fix"
client --cert "$CCERT" --key "$CKEY" --eap-tls-version 1.2
rc_is 0 "EAP-TLS with TLS 1.2 inside is accepted"
stop_gw
start_gw azure-pre-2018 P2SGW_PPP_AUTH=eap-tls
client --cert "$CCERT" --key "$CKEY" --eap-tls-version 1.0
rc_is 0 "before 2018-07-01 the same TLS 1.0 inside EAP-TLS is accepted"
stop_gw
start_gw azure-2018-tls12 P2SGW_PPP_AUTH=eap-tls P2SGW_PPP_EAP_TLS_TLS_VERSIONS=tls1.0,tls1.1,tls1.2
client --cert "$CCERT" --key "$CKEY" --eap-tls-version 1.0
rc_is 0 "ppp.eap_tls.tls_versions overrides the preset"
stop_gw

start_gw azure-2018-tls12 P2SGW_PPP_AUTH=eap-tls P2SGW_PPP_REVOKED_THUMBPRINTS=$REVOKED
client --cert "$CCERT" --key "$CKEY"
rc_is 3 "revoked client certificate is refused"
expect_event '"reason":"ppp_cert_rejected".*revoked' "log: revoked thumbprint"
stop_gw
# the shipped scenario names the lab client certificate itself (lab-client)
start_gw revoked-client
client --cert "$CCERT" --key "$CKEY"
rc_is 3 "revoked-client: the lab client certificate is refused"
expect_event '"reason":"ppp_cert_rejected".*revoked' "revoked-client: log names the revoked thumbprint"
stop_gw

# The SKU's SSTP session limit (128 on Azure), shrunk to 1
start_gw azure-2018-tls12 P2SGW_SSTP_MAX_SESSIONS=1
( timeout 60 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA" "${MSCHAP[@]}" --hold 4 \
	>"$TEST_TMP/held.out" 2>&1 ) &
HELD=$!
expect_event '"event":"tunnel_up"' "first session up"
client "${MSCHAP[@]}"
check_out '^http: 503' "second session gets HTTP 503 at the limit"
expect_event '"reason":"sstp_session_limit"' "close: sstp_session_limit"
wait "$HELD" && pass "the held session was not disturbed" || fail "held session failed: $(tail -3 "$TEST_TMP/held.out")"
stop_gw
# The gateway ends the call (SIGTERM): LCP Terminate and CALL_DISCONNECT,
# then it exits; the client sees the disconnect, not a dropped connection.
start_gw azure-2018-tls12
( timeout 60 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA" "${MSCHAP[@]}" --hold 20 \
	>"$TEST_TMP/ended.out" 2>&1; echo "exit=$?" >>"$TEST_TMP/ended.out" ) &
ENDED=$!
expect_event '"event":"tunnel_up"' "session up before the gateway stops"
t0=$(date +%s%N)
stop_gw
t1=$(date +%s%N)
wait "$ENDED" || true
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -lt 3000 ] && pass "gateway stopped in ${ms} ms with a call up" || fail "stop took ${ms} ms"
grep -qiE 'sstp: .*disconnect' "$TEST_TMP/ended.out" && pass "the client saw the gateway's CALL_DISCONNECT" \
	|| fail "client output: $(tail -4 "$TEST_TMP/ended.out")"
# the close carries the reason the gateway ended the call for (its stop),
# through LCP Terminate and CALL_DISCONNECT
expect_event '"event":"sstp_disconnect".*"direction":"sent","reason":"server_shutdown"' \
	"CALL_DISCONNECT sent for server_shutdown"
expect_event '"event":"close".*"reason":"server_shutdown"' "close: server_shutdown"
finish
