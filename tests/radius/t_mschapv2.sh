#!/usr/bin/env bash
# MS-CHAPv2 through RADIUS (ppp.auth_backend radius) against a real FreeRADIUS 3.2, with
# p2s_client as the VPN client: the gateway relays the Response (MS-CHAP-Challenge +
# MS-CHAP2-Response), relays MS-CHAP2-Success, takes the MPPE keys for the SSTP crypto
# binding; a wrong password is E=691; a server that never answers and a wrong shared secret
# end in the no-answer error (E=812 by default) after radius.timeout; the secret is never shown.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/radius-lib.sh"
: "${P2S_CLIENT:?path of p2s_client}"
CA=$(root_of selfsigned-gateway)

# scenario FILE SERVER SECRET [TIMEOUT]: the default scenario signing in through RADIUS
scenario() {
	cat >"$1" <<YAML
name: radius-mschapv2
base: azure-2018-tls12
sstp:
  negotiation_timeout: 20s
ppp:
  auth_backend: radius
$(radius_yaml "${4:-10s}" 2 "$2" "$3")
YAML
}

radius_start
SC=$TEST_TMP/radius.yaml
scenario "$SC" "127.0.0.1:$RADIUS_PORT" "$RADIUS_SECRET"
start_gw "$SC"
MSCHAP=(--user "$RADIUS_USER" --password "$RADIUS_USER_PASSWORD")

client "${MSCHAP[@]}" --ping 172.16.201.1
rc_is 0 "tunnel up with a password FreeRADIUS checks"
check_out '^ping 172\.16\.201\.1: reply' "traffic through the tunnel"
expect_event '"event":"radius_request".*"server":"127.0.0.1:'"$RADIUS_PORT"'"' "radius_request to FreeRADIUS"
expect_event '"event":"radius_reply".*"latency_ms":[0-9]+.*"result":"accept"' "radius_reply accept with its latency"
expect_event '"event":"sstp_call_connected".*"ok":true' "crypto binding verified with the HLAK from the MPPE keys"
expect_event '"event":"tunnel_up".*"identity":"'"$RADIUS_USER"'"' "tunnel_up for the RADIUS user"
grep -qE 'Sent Access-Accept Id [0-9]+ .* length [0-9]{3}' "$RADIUS_LOG" && pass "FreeRADIUS logged its Access-Accept" \
	|| rfail "no Access-Accept in FreeRADIUS' log"

client --user "$RADIUS_USER" --password 'wrong-password'
[ "$RC" -ne 0 ] && pass "wrong password refused (exit $RC)" || rfail "wrong password accepted"
check_out 'E=691' "the client gets E=691"
expect_event '"event":"radius_reply".*"result":"reject"' "radius_reply reject"
expect_event '"event":"close".*"reason":"ppp_auth_failed"' "close: ppp_auth_failed"
stop_gw

# a server that never answers: a port nobody listens on (picked, then released)
DEAD=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
scenario "$SC" "127.0.0.1:$DEAD" "$RADIUS_SECRET" 3s
start_gw "$SC"
t0=$(date +%s%N)
client "${MSCHAP[@]}"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$RC" -ne 0 ] && pass "no RADIUS answer: sign-in fails (exit $RC, ${ms} ms)" || rfail "signed in without RADIUS"
check_out 'E=812' "the client gets the no-answer error E=812 (radius.no_answer_error)"
expect_event '"event":"radius_reply".*"result":"timeout"' "radius_reply timeout"
[ "$ms" -ge 2500 ] && pass "the gateway waited radius.timeout (3 s) first" || fail "gave up after $ms ms"
stop_gw

# failover: the first server never answers, the second is FreeRADIUS
cat >"$SC" <<YAML
name: radius-failover
base: azure-2018-tls12
sstp:
  negotiation_timeout: 20s
ppp:
  auth_backend: radius
radius:
  servers:
    - {address: "127.0.0.1:$DEAD", secret: "$RADIUS_SECRET"}
    - {address: "127.0.0.1:$RADIUS_PORT", secret: "$RADIUS_SECRET"}
  timeout: 8s
  retries: 1
YAML
start_gw "$SC"
client "${MSCHAP[@]}"
rc_is 0 "first server silent, second answers: signed in"
expect_event '"event":"radius_request".*"server":"127.0.0.1:'"$DEAD"'"' "asked the first server"
expect_event '"event":"radius_failover"' "radius_failover event"
expect_event '"event":"radius_reply".*"server":"127.0.0.1:'"$RADIUS_PORT"'".*"result":"accept"' "the second server's Accept"
expect_event '"event":"sstp_call_connected".*"ok":true' "crypto binding verified after failover"
stop_gw

# the wrong shared secret: FreeRADIUS drops the request (bad Message-Authenticator)
scenario "$SC" "127.0.0.1:$RADIUS_PORT" "not-the-secret" 3s
start_gw "$SC"
client "${MSCHAP[@]}"
[ "$RC" -ne 0 ] && pass "wrong shared secret: sign-in fails (exit $RC)" || rfail "signed in with a wrong secret"
check_out 'E=812' "the client gets E=812 again"
grep -q 'Message-Authenticator' "$RADIUS_LOG" && pass "FreeRADIUS logged the bad Message-Authenticator" \
	|| rfail "FreeRADIUS did not complain about the secret"
stop_gw

for s in "$RADIUS_SECRET" not-the-secret; do
	! grep -qF -- "$s" "$EVENTS" "$TEST_TMP"/gw*.err 2>/dev/null \
		&& pass "the shared secret '${s:0:3}...' is in no event or log line" \
		|| fail "shared secret printed"
done
finish
