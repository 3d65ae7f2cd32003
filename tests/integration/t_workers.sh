#!/usr/bin/env bash
# Worker threads: connections land on both workers (SO_REUSEPORT), a
# rotation reaches new connections on every worker while held sessions on
# every worker keep their chain, and sessions listed and ended through the
# control API are found whichever worker holds them.
. "$(dirname "$0")/lib.sh"
: "${P2S_CLIENT:?path of p2s_client}"
MSCHAP=(--user p2s-user --password p2s-password)
api() { curl -s -o "$TEST_TMP/api.out" -w '%{http_code}' "$@"; }

start_gw azure-2018-tls12 P2SGW_WORKERS=2
grep -q '^READY .* workers=2$' "$EVENTS" && pass "READY says workers=2" || fail "READY: $(head -1 "$EVENTS")"

# Held sessions until both workers hold at least one (the kernel spreads
# connections by their port numbers, so a few are enough).
CA1=$(root_of selfsigned-gateway)
HELD=()
for i in $(seq 1 12); do
	( timeout 60 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA1" \
		"${MSCHAP[@]}" --hold 12 --ping 10.1.0.4 >"$TEST_TMP/held.$i.out" 2>&1 ) &
	HELD+=($!)
	wait_event "\"event\":\"tunnel_up\"" 10 || true
	if [ "$(grep -c '"event":"tunnel_up"' "$EVENTS")" -ge "$i" ] &&
	   grep -q '"event":"accept".*"worker":0' "$EVENTS" && grep -q '"event":"accept".*"worker":1' "$EVENTS"; then
		break
	fi
done
n_held=${#HELD[@]}
for wk in 0 1; do
	grep -q "\"event\":\"accept\".*\"worker\":$wk" "$EVENTS" && pass "worker $wk accepted connections" \
		|| fail "worker $wk got no connection in $n_held tries"
done
for i in $(seq 1 30); do
	[ "$(grep -c '"event":"tunnel_up"' "$EVENTS")" -ge "$n_held" ] && break
	sleep 0.1
done
[ "$(grep -c '"event":"tunnel_up"' "$EVENTS")" -ge "$n_held" ] && pass "$n_held held sessions up" \
	|| fail "only $(grep -c '"event":"tunnel_up"' "$EVENTS") of $n_held sessions up"

# The control API sees the sessions of both workers.
code=$(api "http://$CTL/sessions")
count=$(jq '.count' "$TEST_TMP/api.out" 2>/dev/null || echo -1)
[ "$code" = 200 ] && [ "$count" -ge "$n_held" ] && pass "GET /sessions lists $count connections of both workers" \
	|| fail "GET /sessions: $code count=$count"
[ "$(jq '.workers' <(curl -s "http://$CTL/status"))" = 2 ] && pass "GET /status: workers 2" \
	|| fail "status: $(curl -s "http://$CTL/status")"

# Rotate: new connections on every worker get the new chain.
code=$(api -X POST -d '{"chain":"digicert-global-root-g2"}' "http://$CTL/rotate")
[ "$code" = 200 ] && pass "POST /rotate: 200" || fail "rotate: $code $(cat "$TEST_TMP/api.out")"
CA2=$(root_of digicert-global-root-g2)
gen=$(jq '.policy_generation' <(curl -s "http://$CTL/status"))
# new connections until both workers have served some on the new
# generation (the kernel picks the worker by the connection's ports)
ok=0 tries=0
on_gen() { grep -q "\"event\":\"accept\".*\"policy_generation\":$gen.*\"worker\":$1" "$EVENTS"; }
while [ "$tries" -lt 64 ]; do
	tries=$((tries + 1))
	ossl -tls1_2 -CAfile "$CA2" -verify_return_error -verify_hostname "$HOST"
	has 'Verify return code: 0' && ok=$((ok + 1))
	[ "$tries" -ge 16 ] && on_gen 0 && on_gen 1 && break
done
[ "$ok" -eq "$tries" ] && pass "$tries new connections after the rotation all verify against the new root" \
	|| fail "$ok of $tries new connections verified against the new root"
for wk in 0 1; do
	on_gen $wk && pass "worker $wk serves generation $gen after the rotation" \
		|| fail "worker $wk: no connection on generation $gen in $tries tries"
done

# End one held session through the API, whichever worker holds it.
id=$(curl -s "http://$CTL/sessions" | jq '[.sessions[] | select(.identity != null)] | last | .id')
code=$(api -X DELETE "http://$CTL/sessions/$id")
[ "$code" = 202 ] && pass "DELETE /sessions/$id: 202" || fail "DELETE /sessions/$id: $code $(cat "$TEST_TMP/api.out")"
expect_event "\"event\":\"close\",\"conn\":$id,.*\"reason\":\"sstp_server_disconnect\"" "session $id ended by the API"

# The other held sessions kept their chain and survive the hold.
ended=0 okheld=0
for i in "${!HELD[@]}"; do
	if wait "${HELD[$i]}"; then okheld=$((okheld + 1)); else ended=$((ended + 1)); fi
done
[ "$okheld" -ge $((n_held - 1)) ] && [ "$ended" -le 1 ] \
	&& pass "$okheld held sessions on both workers survived the rotation ($ended ended by the API)" \
	|| fail "$okheld of $n_held held sessions survived, $ended failed"
stop_gw

# Bad worker counts are refused before anything starts.
for bad in 0 65 two; do
	RC=0
	P2SGW_WORKERS=$bad "$P2SGW" serve --listen 127.0.0.1:0 --control 127.0.0.1:0 \
		--state-dir "$LAB_STATE" >"$TEST_TMP/bad.out" 2>&1 || RC=$?
	[ "$RC" -eq 2 ] && grep -q "is not a number of worker threads" "$TEST_TMP/bad.out" \
		&& pass "P2SGW_WORKERS=$bad refused (exit 2)" || fail "P2SGW_WORKERS=$bad: exit $RC $(head -2 "$TEST_TMP/bad.out")"
done
finish
