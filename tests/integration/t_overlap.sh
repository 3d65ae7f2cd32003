#!/usr/bin/env bash
# Two chains at once (certificate.overlap): the G2 chain for most connections
# and DigiCert Global Root CA (standing in for a new root) for half of them by
# turns, for a client address range and for an SNI. openssl clients that
# trust one root or both see exactly what their store allows; every
# connection's chain is in its tls_result event and the audit. Then the
# shipped rotation-overlap scenario played ten times faster: G2 only, the
# overlap from its timeline, the rotation that ends it.
. "$(dirname "$0")/lib.sh"
require jq
: "${P2S_CLIENT:?path of p2s_client}"

OLD=$(root_of digicert-global-root-g2)
NEW=$(root_of digicert-global-root-ca)
cat "$OLD" "$NEW" >"$TEST_TMP/both.pem"
# conn SNI CAFILE [SOURCE]: one openssl client with a request; sets RC
conn() {
	local src=()
	[ -n "${3:-}" ] && src=(-bind "$3:0")
	RC=0
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 openssl s_client -ign_eof \
		-connect "127.0.0.1:$PORT" -servername "$1" -CAfile "$2" -verify_return_error "${src[@]}" \
		>"$TEST_TMP/ossl.out" 2>&1 || RC=$?
}
chains() { grep '"event":"tls_result"' "$EVENTS" | jq -r 'select(.result == "ok") | .chain'; }

start_gw azure-2018-tls12 P2SGW_CERTIFICATE_CHAIN=digicert-global-root-g2 \
	P2SGW_CERTIFICATE_OVERLAP_CHAIN=digicert-global-root-ca P2SGW_CERTIFICATE_OVERLAP_SHARE=50 \
	P2SGW_CERTIFICATE_OVERLAP_CLIENTS=127.0.9.0/24 P2SGW_CERTIFICATE_OVERLAP_SNI=new.overlap.test
curl -sf "http://$CTL/status" | jq -e '.overlap.chain == "digicert-global-root-ca" and .overlap.share == 50
	and .overlap.clients == "127.0.9.0/24" and .overlap.sni == ["new.overlap.test"]' >/dev/null \
	&& pass "GET /status shows the overlap" || fail "status: $(curl -s "http://$CTL/status" | jq -c .overlap)"

# both roots: every connection succeeds, half of them on each chain
for i in $(seq 1 20); do
	conn both.overlap.test "$TEST_TMP/both.pem"
	[ "$RC" -eq 0 ] || fail "both roots: connection $i failed: $(grep -m1 'verify error' "$TEST_TMP/ossl.out")"
done
wait_count '"event":"tls_result"' 20 || true
[ "$(chains | grep -c '^digicert-global-root-ca$')" = 10 ] && [ "$(chains | grep -c '^digicert-global-root-g2$')" = 10 ] \
	&& pass "20 connections: 10 on each chain (share 50, by turns)" || fail "chains: $(chains | sort | uniq -c | tr '\n' ' ')"
# SSTP through both chains: the crypto binding hashes the certificate each
# session was served (two sessions in turn: one on each chain)
for i in 1 2; do
	RC=0
	timeout 60 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$TEST_TMP/both.pem" \
		--user p2s-user --password p2s-password >"$TEST_TMP/client.$i.out" 2>&1 || RC=$?
	[ "$RC" -eq 0 ] || fail "SSTP session $i: rc=$RC $(tail -2 "$TEST_TMP/client.$i.out")"
done
wait_count '"event":"tls_result"' 22 || true
[ "$(chains | tail -2 | sort | tr '\n' ' ')" = "digicert-global-root-ca digicert-global-root-g2 " ] \
	&& pass "an SSTP session up on each chain (crypto binding of the served certificate)" \
	|| fail "SSTP chains: $(chains | tail -2 | tr '\n' ' ')"
# only the old root: every second connection fails with an unknown CA
fails=0
for i in $(seq 1 10); do
	conn old.overlap.test "$OLD"
	[ "$RC" -ne 0 ] && fails=$((fails + 1))
done
[ "$fails" = 5 ] && pass "old root only: 5 of 10 connections fail" || fail "old root only: $fails of 10 failed"
# the SNI and the address range always get the new chain
ok=0
for i in 1 2 3; do conn new.overlap.test "$NEW"; [ "$RC" -eq 0 ] && ok=$((ok + 1)); done
[ "$ok" = 3 ] && pass "SNI new.overlap.test: always the new chain" || fail "SNI: $ok of 3"
ok=0
for i in 1 2 3; do conn range.overlap.test "$NEW" 127.0.9.7; [ "$RC" -eq 0 ] && ok=$((ok + 1)); done
[ "$ok" = 3 ] && pass "clients 127.0.9.0/24: always the new chain" || fail "range: $ok of 3"
curl -sf "http://$CTL/report?format=json&sni=new.overlap.test" | jq -e '.rows[0].last_chain == "digicert-global-root-ca"' \
	>/dev/null && pass "the audit records the chain the connection got" || fail "audit chain"
# a rotation ends the overlap
curl -sf -X POST -d '{"chain":"digicert-global-root-ca"}' "http://$CTL/rotate" >/dev/null
curl -sf "http://$CTL/status" | jq -e 'has("overlap") | not' >/dev/null && pass "POST /rotate ends the overlap" \
	|| fail "overlap after rotate: $(curl -s "http://$CTL/status" | jq -c .overlap)"
stop_gw

# the shipped scenario, ten times faster: overlap at 3 s, rotation at 6 s
start_gw rotation-overlap P2SGW_GATEWAY_CLOCK_SPEED=10
conn t0.overlap.test "$OLD"
[ "$RC" -eq 0 ] && pass "rotation-overlap before 3 s: the old root verifies" || fail "before the overlap"
expect_event '"event":"overlap"' "the overlap starts (timeline, 3 s)"
curl -sf "http://$CTL/status" | jq -e '.overlap.share == 50' >/dev/null && pass "GET /status: share 50" \
	|| fail "status during the overlap"
fails=0
for i in $(seq 1 6); do conn t1.overlap.test "$OLD"; [ "$RC" -ne 0 ] && fails=$((fails + 1)); done
[ "$fails" = 3 ] && pass "during the overlap: 3 of 6 old-root connections fail" || fail "overlap: $fails of 6 failed"
for i in $(seq 1 200); do
	curl -sf "http://$CTL/status" | jq -e '.chain == "digicert-global-root-ca" and (has("overlap") | not)' \
		>/dev/null && break
	sleep 0.05
done
conn t2.overlap.test "$OLD"
[ "$RC" -ne 0 ] && pass "after the rotation: the old root fails" || fail "old root still verifies after the rotation"
conn t2.overlap.test "$TEST_TMP/both.pem"
[ "$RC" -eq 0 ] && pass "after the rotation: both roots verify" || fail "both roots after the rotation"
stop_gw
finish
