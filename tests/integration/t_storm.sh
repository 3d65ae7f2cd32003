#!/usr/bin/env bash
# Behaviour under abuse: while sessions are held, STORM_N idle TCP
# connections, STORM_N slow handshakes and a malformed-input storm run at
# once. New clients must keep connecting, the held sessions must keep
# answering, and the limits (half-open, per address, total) must do what
# the scenario says. The ASan build runs a short form (STORM_N is set by
# tests/integration/CMakeLists.txt).
. "$(dirname "$0")/lib.sh"
: "${P2SLOAD:?path of p2sload}"
: "${P2S_CLIENT:?path of p2s_client}"
N=${STORM_N:-1000}
DUR=${STORM_SECONDS:-10}
CA=$(root_of selfsigned-gateway)
MSCHAP=(--user p2s-user --password p2s-password)
ulimit -n "$(ulimit -Hn)"

metric() { curl -s "http://$CTL/metrics" | awk -v k="$1" '$1 == k { print $2; found=1 } END { if (!found) print 0 }'; }
# bg_load NAME ARGS...: p2sload in the background, output in $TEST_TMP/NAME.out
bg_load() {
	local name=$1; shift
	timeout $((DUR + 40)) "$P2SLOAD" "$@" --servername "$HOST" "127.0.0.1:$PORT" \
		>"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" &
}
val() { awk -v k="$2" '$1 == k { print $2; exit }' "$TEST_TMP/$1.out"; }

HALF=$N
start_gw azure-2018-tls12 P2SGW_WORKERS=2 P2SGW_GATEWAY_MAX_HALF_OPEN=$HALF \
	P2SGW_TLS_HANDSHAKE_TIMEOUT=60s P2SGW_GATEWAY_MAX_CONNECTIONS=$((3 * N))

# Sessions held through the storm: p2sload's echo keepalive and the oracle client.
bg_load held sessions -n 4 --hold $((DUR + 6)) --echo-interval 0.2 --ca "$CA"
HELD_LOAD=$!
( timeout $((DUR + 40)) "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA" \
	"${MSCHAP[@]}" --hold $((DUR + 4)) >"$TEST_TMP/held-client.out" 2>&1 ) &
HELD_CLIENT=$!
for i in $(seq 1 100); do
	[ "$(grep -c '"event":"tunnel_up"' "$EVENTS")" -ge 5 ] && break
	sleep 0.1
done
[ "$(grep -c '"event":"tunnel_up"' "$EVENTS")" -ge 5 ] && pass "5 sessions held before the storm" \
	|| fail "only $(grep -c '"event":"tunnel_up"' "$EVENTS") sessions up before the storm"

log "storm: $N idle, $N slow, malformed TLS/SSTP/PPP and early closes for ${DUR}s; half-open limit $HALF"
# 2N idle and slow clients for N half-open places: evicted ones come back
# after 1 s, so N of them are always waiting for a place (without p2sload
# spinning the two cores the gateway and the real clients need).
bg_load idle abuse --kind idle -n "$N" -d "$DUR" --reconnect-delay 1 --source 127.0.1.1-127.0.1.250
bg_load slow abuse --kind slow -n "$N" -d "$DUR" --interval 500 --reconnect-delay 1 \
	--source 127.0.2.1-127.0.2.250
bg_load mtls abuse --kind malformed-tls -n 16 -d "$DUR" --source 127.0.3.1-127.0.3.50
bg_load msstp abuse --kind malformed-sstp -n 16 -d "$DUR" --source 127.0.3.51-127.0.3.100
bg_load mppp abuse --kind malformed-ppp -n 16 -d "$DUR" --source 127.0.3.101-127.0.3.150
bg_load early abuse --kind early-close -n 16 -d "$DUR" --source 127.0.3.151-127.0.3.200
STORM=$(jobs -p | tail -6)

# While it runs: real clients keep getting through, and the half-open
# count stays at its limit.
t_end=$(( $(date +%s) + DUR - 1 ))
tries=0 ok=0 worst=0 max_half=0
while [ "$(date +%s)" -lt "$t_end" ]; do
	t0=$(date +%s%N)
	if timeout 30 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA" \
		"${MSCHAP[@]}" --ping 10.1.0.4 >"$TEST_TMP/new.out" 2>&1; then
		ok=$((ok + 1))
	else
		log "client failed: $(tail -2 "$TEST_TMP/new.out" | tr '\n' ' ')"
	fi
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$ms" -gt "$worst" ] && worst=$ms
	tries=$((tries + 1))
	h=$(metric p2sgw_connections_half_open)
	[ "$h" -gt "$max_half" ] && max_half=$h
done
[ "$tries" -gt 0 ] && [ "$ok" -eq "$tries" ] \
	&& pass "$ok of $tries new sessions (TLS+SSTP+PPP+ping) got through during the storm, slowest ${worst} ms" \
	|| fail "$ok of $tries new sessions got through during the storm"
[ "$max_half" -le "$HALF" ] && pass "half-open connections peaked at $max_half (limit $HALF)" \
	|| fail "half-open connections reached $max_half, limit $HALF"
ossl -tls1_2 -CAfile "$CA" -verify_return_error
check_out 'Verify return code: 0' "openssl s_client connects during the storm"

for p in $STORM; do wait "$p" || true; done
idle=$(val idle connections); slow=$(val slow connections)
[ "${idle:-0}" -ge "$N" ] && pass "the idle flood opened $idle connections" || fail "idle flood: $(cat "$TEST_TMP/idle.out" "$TEST_TMP/idle.err" | tail -5)"
[ "${slow:-0}" -ge "$N" ] && pass "the slow-handshake flood opened $slow connections" || fail "slow flood: $(tail -5 "$TEST_TMP/slow.out")"
for m in mtls msstp mppp early; do
	c=$(val $m connections)
	[ "${c:-0}" -gt 0 ] && pass "$m storm: $c connections" || fail "$m storm: $(tail -5 "$TEST_TMP/$m.out" "$TEST_TMP/$m.err")"
done
ev=$(metric 'p2sgw_closes_total{reason="half_open_evicted"}')
[ "$ev" -gt 0 ] && pass "$ev unfinished handshakes evicted to make room" || fail "no half_open_evicted closes"

wait "$HELD_CLIENT" && pass "the held p2s_client session survived the storm" \
	|| fail "held p2s_client session: $(tail -3 "$TEST_TMP/held-client.out")"
wait "$HELD_LOAD" || true
up=$(val held sessions_up); lost=$(val held sessions_lost_during_hold)
sent=$(val held echo_sent); got=$(val held echo_answered); p99=$(val held echo_rtt_ms_p99)
[ "$up" = 4 ] && [ "$lost" = 0 ] && pass "4 held p2sload sessions, none lost" \
	|| fail "held p2sload sessions: up=$up lost=$lost $(tail -5 "$TEST_TMP/held.err")"
[ "${sent:-0}" -gt 0 ] && [ "$got" = "$sent" ] \
	&& pass "held sessions answered $got of $sent SSTP echoes during the storm (p99 ${p99} ms)" \
	|| fail "echoes answered $got of $sent"
stop_gw

# Per address: one source address gets at most max_per_address; others are not affected.
start_gw azure-2018-tls12 P2SGW_GATEWAY_MAX_PER_ADDRESS=20
timeout 30 "$P2SLOAD" abuse --kind idle -n 40 -d 3 --source 127.0.4.1 --servername "$HOST" \
	"127.0.0.1:$PORT" >"$TEST_TMP/pa.out" 2>&1 || true
wait_count '"reason":"refused_per_address"' 20 || true
n=$(grep -c '"reason":"refused_per_address"' "$EVENTS" || true)
[ "$n" -ge 20 ] && pass "$n connections over the per-address limit reset (refused_per_address)" \
	|| fail "refused_per_address: $n, expected >= 20"
grep -q '"detail":"20 connections open from this address, limit 20"' "$EVENTS" \
	&& pass "the refusal says how many and the limit" || fail "refusal detail missing"
timeout 30 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA" "${MSCHAP[@]}" \
	--ping 10.1.0.4 >"$TEST_TMP/pa-client.out" 2>&1 && pass "a client from another address connects" \
	|| fail "client: $(tail -3 "$TEST_TMP/pa-client.out")"
stop_gw

# Total: past max_connections new connections are reset; once the flood
# ends, clients connect again.
start_gw azure-2018-tls12 P2SGW_GATEWAY_MAX_CONNECTIONS=30
timeout 30 "$P2SLOAD" abuse --kind idle -n 50 -d 2 --source 127.0.5.1-127.0.5.50 --servername "$HOST" \
	"127.0.0.1:$PORT" >"$TEST_TMP/tot.out" 2>&1 || true
wait_count '"reason":"refused_capacity"' 20 || true
n=$(grep -c '"reason":"refused_capacity"' "$EVENTS" || true)
[ "$n" -ge 20 ] && pass "$n connections over max_connections reset (refused_capacity)" \
	|| fail "refused_capacity: $n, expected >= 20"
for i in $(seq 1 50); do [ "$(metric p2sgw_connections_open)" -eq 0 ] && break; sleep 0.1; done
timeout 30 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA" "${MSCHAP[@]}" \
	--ping 10.1.0.4 >"$TEST_TMP/tot-client.out" 2>&1 && pass "after the flood a client connects again" \
	|| fail "client after the flood: $(tail -3 "$TEST_TMP/tot-client.out")"
stop_gw
finish
