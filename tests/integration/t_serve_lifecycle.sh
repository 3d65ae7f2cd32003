#!/usr/bin/env bash
# READY line, health and status on the control API, SIGHUP reload that keeps
# established sessions on their policy, clean SIGTERM shutdown.
. "$(dirname "$0")/lib.sh"

# A scenario file of our own so the test can change it and reload.
SC=$TEST_TMP/lab.yaml
cat >"$SC" <<YAML
name: lab-reload
base: azure-2018-tls12
YAML
start_gw "$SC"
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -gt 0 ] && pass "READY names the picked port ($PORT)" || fail "READY port '$PORT'"
[[ "$CTL" =~ ^127\.0\.0\.1:[0-9]+$ ]] && pass "READY names the control address ($CTL)" || fail "control '$CTL'"

"$P2SGW" health --control "$CTL" >/dev/null && pass "p2sgw health exits 0" || fail "p2sgw health"
status=$(curl -sf "http://$CTL/status")
echo "$status" | grep -q '"scenario": "lab-reload"' && pass "status names the scenario" || fail "status: $status"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$CTL/nope")
[ "$code" = 404 ] && pass "unknown endpoint is 404" || fail "unknown endpoint gave $code"

# Hold a TLS session open across the reload: requests go in through a fifo.
mkfifo "$TEST_TMP/in"
openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -quiet <"$TEST_TMP/in" >"$TEST_TMP/held.out" 2>&1 &
HELD=$!
exec 7>"$TEST_TMP/in"
expect_event '"event":"tls_result".*"result":"ok"' "held session established"

# Reload into a policy that accepts TLS 1.0.
cat >"$SC" <<YAML
name: lab-reload-2
base: azure-pre-2018
YAML
kill -HUP "$GW_PID"
expect_event '"event":"reload".*"scenario":"lab-reload-2".*"policy_generation":2' "SIGHUP reloads the scenario"

ossl -tls1 -cipher 'AES128-SHA:@SECLEVEL=0'
check_out 'Protocol *: TLSv1$' "after reload a TLS 1.0 client connects"
expect_event '"event":"accept".*"scenario":"lab-reload-2"' "new connections use the new policy"

# The held session still works (it kept its snapshot).
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >&7
for i in $(seq 1 100); do grep -q 'HTTP/1.1 404' "$TEST_TMP/held.out" && break; sleep 0.05; done
grep -q 'HTTP/1.1 404' "$TEST_TMP/held.out" && pass "session established before the reload still answers" || fail "held session broken"
exec 7>&-
wait "$HELD" || true

# A broken scenario on reload keeps the running policy.
echo "tls: {versions: [tls9]}" >"$SC"
kill -HUP "$GW_PID"
expect_event '"event":"reload_failed".*lab.yaml:1' "a bad reload is refused with file:line"
ossl -tls1 -cipher 'AES128-SHA:@SECLEVEL=0'
check_out 'Protocol *: TLSv1$' "and the previous policy stays in force"

# Rotate the served chain through the API.
api() { curl -s -o "$TEST_TMP/api.out" -w '%{http_code}' "$@"; }
code=$(api -X POST -d '{"chain":"digicert-global-root-g2"}' "http://$CTL/rotate")
[ "$code" = 200 ] && grep -q '"chain": "digicert-global-root-g2"' "$TEST_TMP/api.out" \
	&& pass "POST /rotate switches the chain" || fail "rotate: $code $(cat "$TEST_TMP/api.out")"
expect_event '"event":"rotate".*"chain":"digicert-global-root-g2"' "rotate event logged"
ossl -tls1_2 -CAfile "$(root_of digicert-global-root-g2)" -verify_return_error -verify_hostname "$HOST"
check_out 'Verify return code: 0' "after rotation the chain verifies against the G2 lookalike root"
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_return_error
[ "$RC" -ne 0 ] && pass "and no longer against the old gateway CA" || fail "old root still verifies"
code=$(api "http://$CTL/root.pem")
[ "$code" = 200 ] && cmp -s "$TEST_TMP/api.out" "$(root_of digicert-global-root-g2)" \
	&& pass "GET /root.pem serves the active root" || fail "root.pem: $code"
code=$(api "http://$CTL/root.pem?chain=baltimore-cybertrust-root")
[ "$code" = 200 ] && openssl x509 -in "$TEST_TMP/api.out" -noout -subject | grep -q 'Baltimore CyberTrust Root' \
	&& pass "GET /root.pem?chain= serves another profile's root" || fail "root.pem?chain: $code"
code=$(api "http://$CTL/root.pem?chain=../../etc")
[ "$code" = 404 ] && pass "root.pem with a bad chain name: 404" || fail "root.pem bad chain: $code"
code=$(api -X POST -d '{"chain":"no-such-chain"}' "http://$CTL/rotate")
[ "$code" = 404 ] && pass "unknown chain: 404 ($(cat "$TEST_TMP/api.out" | tr -d '\n'))" || fail "unknown chain gave $code"
code=$(api -X POST -d '{"chain": 5}' "http://$CTL/rotate")
[ "$code" = 400 ] && pass "wrong type: 400" || fail "wrong type gave $code"
code=$(api -X POST -d '{"chain":"digicert-global-root-g2","colour":"red"}' "http://$CTL/rotate")
[ "$code" = 400 ] && grep -q "unknown field 'colour'" "$TEST_TMP/api.out" && pass "unknown field: 400" || fail "unknown field gave $code"
code=$(api -X POST -d '{not json' "http://$CTL/rotate")
[ "$code" = 400 ] && grep -q 'not JSON' "$TEST_TMP/api.out" && pass "bad JSON: 400" || fail "bad JSON gave $code"
code=$(api -X POST -d '{"chain":"digicert-global-root-g2","variant":"purple"}' "http://$CTL/rotate")
[ "$code" = 400 ] && pass "unknown variant: 400" || fail "unknown variant gave $code"
code=$(api "http://$CTL/rotate")
[ "$code" = 405 ] && pass "GET /rotate: 405" || fail "GET rotate gave $code"

stop_gw
finish
