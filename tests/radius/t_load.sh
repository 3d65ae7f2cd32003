#!/usr/bin/env bash
# 128 SSTP sessions signing in at once through RADIUS: p2sload's storm (128 clients start
# together, each TLS + SSTP + PPP MS-CHAPv2 + Call Connected with the crypto binding + IPCP)
# against p2sgw with ppp.auth_backend radius and the fixture's FreeRADIUS 3.2. Every session
# must come up: 128 tunnel_up, 128 sstp_call_connected ok (binding verified with the HLAK from
# the MPPE keys), 128 radius_reply accept, 128 Access-Accepts in FreeRADIUS' log, no error of
# p2sload, no dropped reply, no timeout or failover. The figures (sign-ins per second,
# per-session sign-in time, RADIUS latency) are printed, never checked: timing does not fail
# this test. tests/bench/radius-vs-local.sh compares them with local users.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/radius-lib.sh"
: "${P2S_CLIENT:?path of p2s_client}"
# p2sload is built next to p2s_client (tests/tools); ctest's radius tests pass only P2S_CLIENT
: "${P2SLOAD:=$(dirname "$P2S_CLIENT")/p2sload}"
[ -x "$P2SLOAD" ] || { echo "FAIL: p2sload not built ($P2SLOAD)"; exit 1; }
N=${RADIUS_LOAD_N:-128}
CA=$(root_of selfsigned-gateway)

# a descriptor per session in the gateway and in p2sload (both raise their soft limit)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

radius_start
SC=$TEST_TMP/radius-load.yaml
cat >"$SC" <<YAML
name: radius-load
base: azure-2018-tls12
gateway:
  max_connections: 4096
  max_half_open: 4096
  max_per_address: 0          # every client comes from 127.0.0.1
tls:
  handshake_timeout: 60s      # $N handshakes queue on a small machine
sstp:
  max_sessions: $(( N > 128 ? N : 128 ))
  negotiation_timeout: 60s
ppp:
  auth_backend: radius
$(radius_yaml 30s 3)
YAML
start_gw "$SC"

# count REGEX: matching lines of the gateway's event log
count() { grep -cE -- "$1" "$EVENTS" || true; }
# settle_count FILE REGEX MIN: wait (10 s at most) until FILE has MIN matching lines
settle_count() {
	local _
	for _ in $(seq 1 200); do
		[ "$(grep -cE -- "$2" "$1" || true)" -ge "$3" ] && return 0
		sleep 0.05
	done
}

OUT=$TEST_TMP/load.out
ERR=$TEST_TMP/load.err
RC=0
timeout 120 "$P2SLOAD" storm -n "$N" --timeout 30 --servername "$HOST" --ca "$CA" \
	--user "$RADIUS_USER" --password "$RADIUS_USER_PASSWORD" "127.0.0.1:$PORT" >"$OUT" 2>"$ERR" || RC=$?
val() { awk -v k="$1" '$1 == k { print $2; exit }' "$OUT"; }
[ "$RC" -eq 0 ] && pass "p2sload storm -n $N ran (exit 0)" || { rfail "p2sload exited $RC"; cat "$OUT" "$ERR"; }
[ "$(val established)" = "$N" ] && [ "$(val failed)" = 0 ] && pass "p2sload: $N of $N sessions up, 0 failed" \
	|| { rfail "p2sload: established $(val established), failed $(val failed) of $N"; sed 's/^/    /' "$OUT"; }
[ "$(val errors)" = 0 ] && [ "$(val tcp_connect_failures)" = 0 ] && pass "p2sload: no errors" \
	|| { fail "p2sload: errors $(val errors), tcp_connect_failures $(val tcp_connect_failures)"; grep '^error ' "$OUT"; }

settle_count "$EVENTS" '"event":"close"' "$N"
UP=$(count '"event":"tunnel_up".*"identity":"'"$RADIUS_USER"'"')
CB=$(count '"event":"sstp_call_connected".*"ok":true')
CBBAD=$(count '"event":"sstp_call_connected".*"ok":false')
ACC=$(count '"event":"radius_reply".*"result":"accept"')
REPLIES=$(count '"event":"radius_reply"')
[ "$UP" -eq "$N" ] && pass "gateway: $UP tunnel_up for $RADIUS_USER" || fail "gateway: $UP tunnel_up, expected $N"
[ "$CB" -eq "$N" ] && [ "$CBBAD" -eq 0 ] && pass "gateway: $CB sstp_call_connected ok (crypto binding verified)" \
	|| fail "gateway: $CB sstp_call_connected ok, $CBBAD not ok, expected $N ok"
[ "$ACC" -eq "$N" ] && [ "$REPLIES" -eq "$N" ] && pass "gateway: $ACC radius_reply accept, no other reply" \
	|| fail "gateway: $ACC radius_reply accept of $REPLIES replies, expected $N"
BAD=$(count '"event":"(radius_reply_dropped|radius_failover|radius_server_dead|radius_timeout)"')
[ "$BAD" -eq 0 ] && pass "gateway: no dropped reply, failover, dead server or timeout" \
	|| { fail "gateway: $BAD RADIUS trouble events"; grep -E '"event":"radius_(reply_dropped|failover|server_dead|timeout)"' "$EVENTS" | head -5; }
CLOSES=$(count '"event":"close"')
NORMAL=$(count '"event":"close".*"reason":"sstp_client_disconnect"')
[ "$CLOSES" -eq "$N" ] && [ "$NORMAL" -eq "$N" ] && pass "gateway: $N closes, all by the client's CALL_DISCONNECT" \
	|| { fail "gateway: $NORMAL of $CLOSES closes by CALL_DISCONNECT, expected $N"; grep '"event":"close"' "$EVENTS" | grep -v sstp_client_disconnect | head -5; }

# FreeRADIUS (-X, the fixture's debug mode) logs each Accept; the Status-Server probe's is 20 bytes
settle_count "$RADIUS_LOG" 'Sent Access-Accept Id [0-9]+ .* length [0-9]{3}' "$N"
FR_ACC=$(grep -cE 'Sent Access-Accept Id [0-9]+ .* length [0-9]{3}' "$RADIUS_LOG" || true)
FR_OK=$(grep -cF "Login OK: [$RADIUS_USER]" "$RADIUS_LOG" || true)
FR_REJ=$(grep -c 'Sent Access-Reject' "$RADIUS_LOG" || true)
[ "$FR_ACC" -eq "$N" ] && [ "$FR_OK" -eq "$N" ] && [ "$FR_REJ" -eq 0 ] \
	&& pass "FreeRADIUS logged $FR_ACC Access-Accepts ($FR_OK Login OK), no Reject" \
	|| rfail "FreeRADIUS logged $FR_ACC Access-Accepts, $FR_OK Login OK, $FR_REJ Rejects; expected $N, $N, 0"
stop_gw
! grep -qF -- "$RADIUS_SECRET" "$EVENTS" "$GW_ERR" && pass "the shared secret is in no event or log line" \
	|| fail "shared secret printed"

# the figures (printed, not checked)
# pct P: nearest-rank percentile of the numbers on stdin
pct() { sort -n | awk -v p="$1" '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit } i = int((p * NR + 99) / 100); if (i < 1) i = 1; print a[i] }'; }
LAT=$TEST_TMP/latency_ms
grep '"event":"radius_reply"' "$EVENTS" | grep -oE '"latency_ms":[0-9.]+' | cut -d: -f2 >"$LAT" || true
ALL_S=$(val all_established_s)
log "figures ($N sessions at once through FreeRADIUS -X, 1 thread; $(nproc) CPUs shared by p2sload, p2sgw and FreeRADIUS):"
log "  sign-ins per second      $(awk -v n="$(val established)" -v s="$ALL_S" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }') ($(val established) up in ${ALL_S} s, start to the last tunnel up)"
log "  sign-in time per session p50 $(val setup_ms_p50) ms, p99 $(val setup_ms_p99) ms (TCP connect to tunnel up)"
log "  RADIUS latency           p50 $(pct 50 <"$LAT") ms, p99 $(pct 99 <"$LAT") ms, max $(pct 100 <"$LAT") ms (radius_reply latency_ms, $(wc -l <"$LAT") replies)"
finish
