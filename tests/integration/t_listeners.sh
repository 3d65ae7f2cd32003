#!/usr/bin/env bash
# Several front ends in one gateway (listeners:) and a TLS policy per SNI,
# with the shipped eras-side-by-side scenario (its ports made 0): openssl
# and gnutls-cli see each port's own chain and versions, an SSTP session
# (p2s_client) comes up through a listener, events and /status name the
# listener, and a reload may change a listener's chain but not its ports.
. "$(dirname "$0")/lib.sh"
require jq
: "${P2S_CLIENT:?path of p2s_client}"
G1=$(root_of digicert-global-root-ca)
G2=$(root_of digicert-global-root-g2)
SS=$(root_of selfsigned-gateway)
SC=$TEST_TMP/eras.yaml
sed -e 's/port: [89]443/port: 0/' "$P2SGW_SOURCE_DIR/scenarios/eras-side-by-side.yaml" >"$SC"
# tls ADDR:PORT CAFILE [openssl args...]: one verified openssl client; sets RC
tls() {
	local at=$1 ca=$2
	shift 2
	RC=0
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 openssl s_client -ign_eof -connect "$at" \
		-servername "$HOST" -CAfile "$ca" -verify_return_error -verify_hostname "$HOST" "$@" \
		>"$TEST_TMP/ossl.out" 2>&1 || RC=$?
}
proto() { sed -n 's/^ *Protocol *: *//p' "$TEST_TMP/ossl.out" | head -1; }
listener_at() { grep '^READY ' "$EVENTS" | tr ' ' '\n' | sed -n "s/^listener\.$1=//p"; }

start_gw "$SC"
MAIN=127.0.0.1:$PORT
OLD=$(listener_at pre-2018)
Y19=$(listener_at 2019)
[ -n "$OLD" ] && [ -n "$Y19" ] && [ "$OLD" != "$Y19" ] && [ "${OLD##*:}" != 0 ] \
	&& pass "READY names both listeners with their bound ports ($OLD, $Y19)" || fail "READY: $(grep '^READY' "$EVENTS")"
curl -sf "http://$CTL/status" | jq -e --arg o "$OLD" '.listeners | length == 2
	and .[0].name == "pre-2018" and .[0].address == $o and .[0].chain == "selfsigned-gateway"
	and .[0].own_policy and .[0].versions == ["tls1.0","tls1.1","tls1.2"]
	and .[1].name == "2019" and .[1].versions == ["tls1.2"] and .[1].chain == "digicert-global-root-ca"' \
	>/dev/null && pass "GET /status lists the listeners, their chains and policies" \
	|| fail "status: $(curl -s "http://$CTL/status" | jq -c .listeners)"

# each front end: its own chain and versions
tls "$MAIN" "$G2" -tls1_2
[ "$RC" -eq 0 ] && pass "main port: TLS 1.2, the G2 chain verifies" || fail "main: $(grep -m1 -E 'verify error|alert' "$TEST_TMP/ossl.out")"
tls "$MAIN" "$G2" -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
[ "$RC" -ne 0 ] && pass "main port refuses TLS 1.0" || fail "main port took TLS 1.0"
tls "$OLD" "$SS" -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
[ "$RC" -eq 0 ] && [ "$(proto)" = TLSv1 ] && pass "pre-2018 port: TLS 1.0, the self-signed chain verifies" \
	|| fail "pre-2018 TLS 1.0: rc=$RC $(proto) $(grep -m1 -E 'verify error|alert' "$TEST_TMP/ossl.out")"
tls "$OLD" "$G2" -tls1_2
[ "$RC" -ne 0 ] && grep -q 'unable to get local issuer\|self-signed' "$TEST_TMP/ossl.out" \
	&& pass "pre-2018 port: a G2-only store does not trust it" || fail "pre-2018 with G2: rc=$RC"
RC=0
printf '' | timeout 20 gnutls-cli -p "${OLD##*:}" --x509cafile "$SS" --sni-hostname "$HOST" --verify-hostname "$HOST" \
	--priority 'NORMAL:-VERS-ALL:+VERS-TLS1.1' 127.0.0.1 >"$TEST_TMP/gnutls.out" 2>&1 || RC=$?
[ "$RC" -eq 0 ] && grep -q 'TLS1.1' "$TEST_TMP/gnutls.out" && pass "pre-2018 port: gnutls-cli with TLS 1.1" \
	|| fail "gnutls TLS 1.1: rc=$RC $(grep -m1 -iE 'error|fatal' "$TEST_TMP/gnutls.out")"
tls "$Y19" "$G1" -tls1_2
[ "$RC" -eq 0 ] && pass "2019 port: the DigiCert Global Root CA chain verifies" \
	|| fail "2019: $(grep -m1 -E 'verify error|alert' "$TEST_TMP/ossl.out")"
tls "$Y19" "$G1" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
[ "$RC" -ne 0 ] && pass "2019 port refuses TLS 1.1" || fail "2019 port took TLS 1.1"
wait_settled || true
n=$(grep '"event":"tls_result"' "$EVENTS" | jq -r 'select(.result == "ok") | "\(.listener // "main") \(.chain)"' | sort -u | tr '\n' ' ')
[ "$n" = "2019 digicert-global-root-ca main digicert-global-root-g2 pre-2018 selfsigned-gateway " ] \
	&& pass "tls_result events name each connection's listener and chain" || fail "tls_result: $n"
grep '"event":"tls_result"' "$EVENTS" | jq -e -s 'map(select(.listener == "pre-2018" and .version == "TLSv1.0")) | length >= 1' \
	>/dev/null && pass "the pre-2018 listener's TLS 1.0 handshake is in its event" || fail "no TLS 1.0 tls_result on pre-2018"

# a TLS policy per SNI on the main port
tls "$MAIN" "$G2" -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -servername tls-v1-0.p2sgw.test
[ "$RC" -eq 0 ] && [ "$(proto)" = TLSv1 ] && pass "SNI tls-v1-0.p2sgw.test: TLS 1.0 on the main port" \
	|| fail "tls-v1-0 with TLS 1.0: rc=$RC $(proto)"
tls "$MAIN" "$G2" -tls1_2 -servername tls-v1-0.p2sgw.test
[ "$RC" -ne 0 ] && pass "SNI tls-v1-0.p2sgw.test: TLS 1.2 refused (its own policy)" || fail "tls-v1-0 took TLS 1.2"

# SSTP and PPP through a listener
RC=0
timeout 60 "$P2S_CLIENT" --connect "$OLD" --servername "$HOST" --ca "$SS" --tls-version 1.0 \
	--user p2s-user --password p2s-password >"$TEST_TMP/client.out" 2>&1 || RC=$?
[ "$RC" -eq 0 ] && pass "an SSTP session with TLS 1.0 through the pre-2018 listener" \
	|| fail "p2s_client via pre-2018: rc=$RC $(tail -3 "$TEST_TMP/client.out")"

# reload: a listener's chain may change, its port may not
sed -i 's/chain: digicert-global-root-ca/chain: digicert-global-root-g2/' "$SC"
kill -HUP "$GW_PID"
wait_event '"event":"reload"' 20 && pass "reload with a listener's new chain applied" || fail "no reload event"
tls "$Y19" "$G2" -tls1_2
[ "$RC" -eq 0 ] && pass "after the reload the 2019 port serves the G2 chain" || fail "2019 after reload: rc=$RC"
printf '  - name: extra\n    port: 0\n' >"$TEST_TMP/extra"
sed -i "/^listeners:/r $TEST_TMP/extra" "$SC"
kill -HUP "$GW_PID"
wait_event '"event":"reload_failed".*listeners' 20 && pass "reload with another listener refused: $(grep -m1 reload_failed "$EVENTS" | jq -r .error | cut -c1-90)..." \
	|| fail "no reload_failed for a new listener"
tls "$OLD" "$SS" -tls1_2
[ "$RC" -eq 0 ] && pass "the listeners still serve after the refused reload" || fail "pre-2018 after refused reload: rc=$RC"
stop_gw

# a listener's port in use: a clear error, no gateway
python3 -c 'import signal, socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("up", s.getsockname()[1], flush=True); signal.pause()' >"$TEST_TMP/holder.out" &
HOLDER=$!
for i in $(seq 1 200); do grep -q up "$TEST_TMP/holder.out" && break; sleep 0.05; done
TAKEN=$(awk '{print $2}' "$TEST_TMP/holder.out")
busy=$TEST_TMP/busy.yaml
sed -e "0,/port: 0/s//port: $TAKEN/" "$SC" >"$busy"
RC=0
timeout 20 "$P2SGW" serve --scenario "$busy" --listen 127.0.0.1:0 --control 127.0.0.1:0 --state-dir "$LAB_STATE" \
	>"$TEST_TMP/busy.out" 2>&1 || RC=$?
kill "$HOLDER" 2>/dev/null || true
[ "$RC" -ne 0 ] && grep -q "cannot listen on 127.0.0.1:$TAKEN" "$TEST_TMP/busy.out" \
	&& pass "a listener's port in use: exit $RC, '$(grep -m1 'cannot listen' "$TEST_TMP/busy.out" | cut -c1-80)'" \
	|| fail "busy port: rc=$RC $(tail -2 "$TEST_TMP/busy.out")"
finish
