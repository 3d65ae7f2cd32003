#!/usr/bin/env bash
# Faults on the RADIUS path through the control API (POST /faults {"radius": ...}), with a real
# FreeRADIUS that keeps answering: slow (replies held), lossy (replies dropped), down (requests
# not sent); DELETE /faults heals; /metrics counts it all. No change to the RADIUS server.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/radius-lib.sh"
: "${P2S_CLIENT:?path of p2s_client}"
CA=$(root_of selfsigned-gateway)

MSCHAP=(--user "$RADIUS_USER" --password "$RADIUS_USER_PASSWORD")
# faults JSON -> HTTP status in $CODE, body in $BODY
faults() {
	BODY=$TEST_TMP/faults.json
	CODE=$(curl -s -o "$BODY" -w '%{http_code}' -X "$1" ${2:+-d "$2"} "http://$CTL/faults")
}
# the latency_ms of the last radius_reply
last_latency() { grep '"event":"radius_reply"' "$EVENTS" | tail -1 | jq -r .latency_ms; }

radius_start
SC=$TEST_TMP/radius.yaml
cat >"$SC" <<YAML
name: radius-faults
base: azure-2018-tls12
sstp:
  negotiation_timeout: 20s
ppp:
  auth_backend: radius
$(radius_yaml 3s 3)
YAML
start_gw "$SC"

client "${MSCHAP[@]}"
[ "$RC" -eq 0 ] && pass "no fault: signed in" || rfail "no fault: exit $RC"
base=$(last_latency)

faults POST '{"radius": {"delay_ms": 700}}'
[ "$CODE" = 200 ] && jq -e '.radius.delay_ms == 700 and .radius.drop_percent == 0 and .radius.down == false' "$BODY" >/dev/null \
	&& pass "POST /faults radius.delay_ms 700 accepted and shown" || fail "delay fault: HTTP $CODE $(cat "$BODY")"
client "${MSCHAP[@]}"
lat=$(last_latency)
[ "$RC" -eq 0 ] && [ "$lat" -ge 700 ] && pass "slow RADIUS: signed in, latency ${lat} ms (was ${base} ms)" \
	|| rfail "slow RADIUS: exit $RC latency $lat"

faults POST '{"radius": {"drop_percent": 100}}'
client "${MSCHAP[@]}"
[ "$RC" -ne 0 ] && pass "lossy RADIUS (100 % of replies dropped): sign-in fails (exit $RC)" || rfail "signed in"
check_out 'E=812' "the client gets the no-answer error E=812"
expect_event '"event":"radius_reply_dropped".*"reason":"fault: drop_percent"' "dropped replies are logged as the fault"
grep -q 'Sent Access-Accept Id [0-9]* .* length [0-9][0-9][0-9]' "$RADIUS_LOG" && pass "FreeRADIUS did answer (the loss is the gateway's fault)" || rfail "no Accept from FreeRADIUS"

faults POST '{"radius": {"down": true}}'
n0=$(grep -c 'Received Access-Request' "$RADIUS_LOG" || true)
client "${MSCHAP[@]}"
n1=$(grep -c 'Received Access-Request' "$RADIUS_LOG" || true)
[ "$RC" -ne 0 ] && pass "RADIUS down: sign-in fails (exit $RC)" || rfail "signed in while down"
expect_event '"event":"radius_request".*"fault":"down: not sent"' "requests are not sent while down"
[ "$n1" -eq "$n0" ] && pass "FreeRADIUS received nothing while down" || fail "FreeRADIUS got $((n1 - n0)) requests"
expect_event '"event":"radius_reply".*"result":"timeout"' "radius_reply timeout"

faults POST '{"radius": {"drop_percent": 101}}'
[ "$CODE" = 400 ] && jq -e '.error | test("drop_percent")' "$BODY" >/dev/null && pass "drop_percent 101: 400 naming the field" || fail "HTTP $CODE $(cat "$BODY")"
faults POST '{"radius": {"slow": 1}}'
[ "$CODE" = 400 ] && pass "unknown radius fault field: 400 ($(jq -r .error "$BODY"))" || fail "HTTP $CODE"

faults DELETE
jq -e '.radius.down == false and .radius.delay_ms == 0' "$BODY" >/dev/null && pass "DELETE /faults clears the RADIUS faults" || fail "$(cat "$BODY")"
client "${MSCHAP[@]}"
[ "$RC" -eq 0 ] && pass "healed: signed in again" || rfail "after DELETE: exit $RC"

M=$TEST_TMP/metrics.txt
curl -s "http://$CTL/metrics" >"$M"
for re in '^p2sgw_radius_replies_total\{result="accept"\} [3-9]' '^p2sgw_radius_replies_total\{result="timeout"\} [2-9]' \
	'^p2sgw_radius_dropped_total [1-9]' '^p2sgw_radius_requests_total [1-9]' \
	'^p2sgw_radius_latency_seconds_bucket\{le="\+Inf"\} [3-9]' '^p2sgw_radius_latency_seconds_count [3-9]'; do
	grep -qE "$re" "$M" && pass "metrics: $re" || { fail "metrics lack /$re/"; grep radius "$M" | head -20; }
done
stop_gw

# the same from the scenario's timeline: down at once
cat >>"$SC" <<YAML
timeline:
  - {at: 0s, action: radius, down: true, delay: 200ms}
YAML
"$P2SGW" check "$SC" >/dev/null && pass "timeline action radius checks" || fail "p2sgw check: $("$P2SGW" check "$SC" 2>&1)"
start_gw "$SC"
expect_event '"event":"timeline".*"action":"radius".*"delay_ms":200.*"down":true.*"result":"ok"' "timeline entry radius applied"
client "${MSCHAP[@]}"
[ "$RC" -ne 0 ] && pass "RADIUS down from the timeline: sign-in fails (exit $RC)" || rfail "signed in"
curl -s "http://$CTL/faults" | jq -e '.radius.down == true and .radius.delay_ms == 200' >/dev/null \
	&& pass "GET /faults shows the timeline's RADIUS faults" || fail "GET /faults: $(curl -s "http://$CTL/faults")"
stop_gw
printf 'name: bad\nbase: azure-2018-tls12\ntimeline:\n  - {at: 1s, action: radius, duration: 5s}\n' >"$TEST_TMP/bad.yaml"
msg=$("$P2SGW" check "$TEST_TMP/bad.yaml" 2>&1) && fail "duration accepted for action radius" || {
	grep -q "'duration' does not apply to action radius" <<<"$msg" && pass "a wrong key for action radius: $msg" || fail "message: $msg"; }
finish
