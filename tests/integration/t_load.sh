#!/usr/bin/env bash
# p2sload (tests/tools/p2sload, an independent event-driven client) against
# the real gateway, briefly, in every mode.  Each figure p2sload prints is
# checked, and where the gateway logs the same thing (handshakes, resumed
# handshakes, tunnels up) the two counts are compared, so a p2sload that
# miscounts fails here.  After each abuse kind a fresh p2s_client session
# must still connect and ping through the tunnel.
. "$(dirname "$0")/lib.sh"
: "${P2SLOAD:?path of p2sload}"
: "${P2S_CLIENT:?path of p2s_client}"
CA=$(root_of selfsigned-gateway)

# load MODE ARGS...: run p2sload; output in $OUT, stderr in $ERR, status in $RC
load() {
	OUT=$TEST_TMP/load.out
	ERR=$TEST_TMP/load.err
	RC=0
	timeout 60 "$P2SLOAD" "$@" --servername "$HOST" --ca "$CA" "127.0.0.1:$PORT" \
		>"$OUT" 2>"$ERR" || RC=$?
	if [ "$RC" -ne 0 ]; then
		fail "p2sload $* exited $RC"
		sed 's/^/    /' "$OUT" "$ERR" | tail -20
	fi
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$ERR"; then
		cat "$ERR"
		fail "sanitizer report in p2sload stderr"
	fi
}
# val KEY: the value of one `key value` line of the last run (empty if absent)
val() { awk -v k="$1" '$1 == k { print $2; exit }' "$OUT"; }
# expect EXPR DESCRIPTION: awk expression over the named figures, e.g. 'handshakes > 0'
expect() {
	local expr=$1 what=$2 vars="" k
	for k in $(echo "$expr" | grep -oE '[a-z_][a-z0-9_]*' | sort -u); do
		local v
		v=$(val "$k")
		[ -n "$v" ] && vars="$vars -v $k=$v"
	done
	# shellcheck disable=SC2086
	if awk $vars "BEGIN { exit !($expr) }"; then
		pass "$what ($expr)"
	else
		fail "$what: not ($expr)"
		sed 's/^/    /' "$OUT"
	fi
}
events_since() { tail -n +"$(( $1 + 1 ))" "$EVENTS" | grep -cE -- "$2" || true; }
mark() { wc -l <"$EVENTS"; }
# settle MARK REGEX MIN: wait (5 s at most) until at least MIN events since MARK match
settle() { local i; for i in $(seq 1 100); do [ "$(events_since "$1" "$2")" -ge "$3" ] && return 0; sleep 0.05; done; }

# a fresh client still gets a tunnel and a ping through it
still_serves() {
	local out=$TEST_TMP/client.out rc=0
	timeout 30 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA" \
		--user p2s-user --password p2s-password --ping 10.1.0.4 >"$out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] && grep -q '^ping 10\.1\.0\.4: reply' "$out"; then
		pass "after $1: a fresh p2s_client session connects and pings"
	else
		fail "after $1: p2s_client exit $rc"
		tail -8 "$out"
	fi
}

# Short gateway timeouts, so that abuse connections are ended within the run.
start_gw azure-2018-tls12 P2SGW_TLS_HANDSHAKE_TIMEOUT=1s P2SGW_SSTP_NEGOTIATION_TIMEOUT=2s

# --- usage errors and an unreachable gateway ---------------------------------
RC=0; "$P2SLOAD" sessions 127.0.0.1:1 >/dev/null 2>&1 || RC=$?
[ "$RC" -eq 2 ] && pass "sessions without -n is a usage error (exit 2)" || fail "usage error exit $RC"
RC=0; "$P2SLOAD" handshake --cipher NO_SUCH_SUITE 127.0.0.1:1 >/dev/null 2>&1 || RC=$?
[ "$RC" -eq 2 ] && pass "unknown cipher is a usage error (exit 2)" || fail "unknown cipher exit $RC"
RC=0; timeout 20 "$P2SLOAD" handshake -d 0.3 -c 2 127.0.0.1:1 >"$TEST_TMP/refused.out" 2>/dev/null || RC=$?
[ "$RC" -eq 1 ] && pass "nothing listening: exit 1" || fail "nothing listening: exit $RC"
grep -q '^error "TCP connect failed: Connection refused" [1-9]' "$TEST_TMP/refused.out" &&
	pass "refused connects are listed as an error cause" || fail "no refused error line"

# --- handshake, full and resumed ----------------------------------------------
m=$(mark)
load handshake -d 2 -c 4
expect 'handshakes > 0 && failures == 0 && errors == 0' "full handshakes"
expect 'resumed == 0' "no resumption without --resume"
expect 'handshakes_per_s > 0 && latency_ms_p50 > 0 && latency_ms_p99 >= latency_ms_p50' "rate and latency"
HS=$(val handshakes)
settle "$m" '"event":"tls_result","conn":[0-9]+,"result":"ok".*"resumed":false' "$HS"
GW_FULL=$(events_since "$m" '"event":"tls_result","conn":[0-9]+,"result":"ok".*"resumed":false')
# the gateway may finish a few handshakes p2sload gave up on at the deadline (at most -c)
if [ "$GW_FULL" -ge "$HS" ] && [ "$GW_FULL" -le $((HS + 4)) ]; then
	pass "gateway logged $GW_FULL full handshakes for p2sload's $HS"
else
	fail "gateway logged $GW_FULL full handshakes, p2sload reported $HS"
fi

m=$(mark)
load handshake -d 2 -c 4 --resume
expect 'handshakes > 0 && failures == 0 && errors == 0' "resumed handshakes"
expect 'resumed > 0 && resumed <= handshakes && handshakes - resumed <= 4' "one full handshake per slot, then resumption"
RES=$(val resumed)
settle "$m" '"event":"tls_result".*"result":"ok".*"resumed":true' "$RES"
GW_RES=$(events_since "$m" '"event":"tls_result".*"result":"ok".*"resumed":true')
if [ "$GW_RES" -ge "$RES" ] && [ "$GW_RES" -le $((RES + 4)) ]; then
	pass "gateway logged $GW_RES resumed handshakes for p2sload's $RES"
else
	fail "gateway logged $GW_RES resumed handshakes, p2sload reported $RES"
fi

# --- sessions with echo ---------------------------------------------------------
m=$(mark)
load sessions -n 50 --hold 2 --echo-interval 0.5
expect 'sessions_up == 50 && sessions_failed == 0 && errors == 0' "50 sessions up"
expect 'echo_sent >= 150 && echo_sent <= 260' "about 4 echo requests per session"
expect 'echo_answered == echo_sent && sessions_lost_during_hold == 0' "every echo answered"
expect 'echo_rtt_ms_p50 > 0 && echo_rtt_ms_p99 >= echo_rtt_ms_p50 && echo_rtt_ms_max >= echo_rtt_ms_p99' "echo round-trip figures"
expect 'setup_seconds > 0 && sessions_per_s > 0 && setup_ms_p99 >= setup_ms_p50' "setup figures"
grep -qE '^ESTABLISHED 50 0 [0-9.]+$' "$ERR" && pass "ESTABLISHED line on stderr" ||
	{ fail "no ESTABLISHED line"; cat "$ERR"; }
UPS=$(events_since "$m" '"event":"tunnel_up"')
[ "$UPS" -eq 50 ] && pass "gateway logged 50 tunnels up" || fail "gateway logged $UPS tunnels up"

load storm -n 20 --resume
expect 'clients == 20 && established == 20 && failed == 0 && errors == 0' "storm of 20"
expect 'tls_resumed == 20 && all_established_s > 0' "storm clients resume"

# --- throughput -------------------------------------------------------------------
load throughput -d 2 -n 2 --size 1000
expect 'sessions == 2 && packets_echoed > 0 && packets_echoed <= packets_sent' "UDP echoed through the tunnel"
expect 'loss_pct < 1 && payload_mbit_s_each_way > 0 && packets_per_s > 0' "little loss"
expect 'payload_mbit_s_each_way * 1e6 / 8 / 1000 <= packets_per_s * 1.01 && payload_mbit_s_each_way * 1e6 / 8 / 1000 >= packets_per_s * 0.99' "bit rate consistent with packet rate"
load throughput -d 1 --proto icmp
expect 'packets_echoed > 0 && loss_pct < 1' "ICMP echoed through the tunnel"

# --- the same client on OpenSSL (--tls-lib openssl) ----------------------------------
# The benchmarks use it so that the client's record crypto is not the pace; it must
# count, resume, verify and carry data exactly like the mbedTLS client.
m=$(mark)
load handshake -d 1 -c 4 --resume --tls-lib openssl
expect 'handshakes > 0 && failures == 0 && errors == 0' "OpenSSL client: handshakes"
expect 'resumed > 0 && handshakes - resumed <= 4' "OpenSSL client: one full handshake per slot, then resumption"
RES=$(val resumed)
settle "$m" '"event":"tls_result".*"result":"ok".*"resumed":true' "$RES"
GW_RES=$(events_since "$m" '"event":"tls_result".*"result":"ok".*"resumed":true')
[ "$GW_RES" -ge "$RES" ] && [ "$GW_RES" -le $((RES + 4)) ] &&
	pass "OpenSSL client: gateway logged $GW_RES resumed handshakes for p2sload's $RES" ||
	fail "OpenSSL client: gateway logged $GW_RES resumed handshakes, p2sload reported $RES"
m=$(mark)
load sessions -n 10 --hold 1 --echo-interval 0.5 --resume --tls-lib openssl
expect 'sessions_up == 10 && sessions_failed == 0 && errors == 0 && echo_answered == echo_sent' "OpenSSL client: 10 sessions up (MS-CHAPv2 and the crypto binding over OpenSSL's view of the certificate)"
UPS=$(events_since "$m" '"event":"tunnel_up"')
[ "$UPS" -eq 10 ] && pass "OpenSSL client: gateway logged 10 tunnels up" || fail "OpenSSL client: gateway logged $UPS tunnels up"
for dir in both up down; do
	load throughput -d 1 --dir "$dir" --tls-lib openssl
	expect 'sessions == 1 && data_mbit_s > 0 && loss_pct < 1 && errors == 0' "OpenSSL client: throughput --dir $dir"
done
# a wrong name and a wrong trust store fail verification, as with mbedTLS (the run
# itself ends normally: a failed session is a figure, not an exit status)
RC=0; timeout 20 "$P2SLOAD" sessions -n 1 --tls-lib openssl --servername wrong.example --ca "$CA" \
	"127.0.0.1:$PORT" >"$TEST_TMP/ossl-name.out" 2>&1 || RC=$?
grep -q '^sessions_failed 1$' "$TEST_TMP/ossl-name.out" &&
	grep -q 'certificate verify failed: hostname mismatch' "$TEST_TMP/ossl-name.out" &&
	pass "OpenSSL client: a wrong server name fails verification" ||
	{ fail "OpenSSL client: wrong name exit $RC"; tail -5 "$TEST_TMP/ossl-name.out"; }
RC=0; timeout 20 "$P2SLOAD" sessions -n 1 --tls-lib openssl --servername "$HOST" \
	--ca "$(root_of digicert-global-root-g2)" "127.0.0.1:$PORT" >"$TEST_TMP/ossl-ca.out" 2>&1 || RC=$?
grep -q '^sessions_failed 1$' "$TEST_TMP/ossl-ca.out" &&
	grep -q 'certificate verify failed: unable to get local issuer' "$TEST_TMP/ossl-ca.out" &&
	pass "OpenSSL client: another root fails verification" ||
	{ fail "OpenSSL client: wrong root exit $RC"; tail -5 "$TEST_TMP/ossl-ca.out"; }
RC=0; "$P2SLOAD" abuse --kind idle -n 1 --tls-lib openssl 127.0.0.1:1 >/dev/null 2>&1 || RC=$?
[ "$RC" -eq 2 ] && pass "abuse with --tls-lib openssl is a usage error" || fail "abuse + openssl exit $RC"
RC=0; "$P2SLOAD" handshake --tls-lib gnutls 127.0.0.1:1 >/dev/null 2>&1 || RC=$?
[ "$RC" -eq 2 ] && pass "an unknown --tls-lib is a usage error" || fail "--tls-lib gnutls exit $RC"

# --- abuse --------------------------------------------------------------------------
load abuse --kind idle -n 20 -d 2.5
expect 'connections >= 40 && ended_fin + ended_rst + ended_alert >= 20' "idle clients ended by the 1 s handshake timeout"
still_serves idle
load abuse --kind slow -n 10 -d 2.5 --interval 100
expect 'connections >= 20 && ended_fin + ended_rst + ended_alert >= 10' "slow ClientHellos ended by the handshake timeout"
still_serves slow
load abuse --kind malformed-tls -n 5 -d 1
expect 'connections > 5 && ended_fin + ended_rst + ended_alert > 5 && errors == 0' "garbage TLS refused"
still_serves malformed-tls
load abuse --kind malformed-sstp -n 12 -d 1.5
expect 'connections > 12 && ended_fin + ended_rst + ended_alert >= 8' "bad HTTP/SSTP ended by the gateway"
still_serves malformed-sstp
load abuse --kind malformed-ppp -n 6 -d 6 --interval 200
expect 'connections >= 6 && errors == 0' "malformed PPP frames sent"
# CALL_ABORT at the 2 s negotiation timeout, the close 3 s later
expect 'ended_fin + ended_rst + ended_alert >= 6' "ended by the negotiation timeout"
still_serves malformed-ppp
load abuse --kind early-close -n 10 -d 1.5
expect 'connections > 10 && closed_by_client > 10 && errors == 0' "early closes"
still_serves early-close

stop_gw
finish
