#!/usr/bin/env bash
# Control API beyond status and rotation: /sessions (list, end by
# disconnect/abort/reset), /policy (read, change for new connections),
# /faults (refuse the next handshakes, maintenance window), /events (history
# and follow), /metrics, the bearer token, and a 4xx with a JSON error for
# every bad request.
. "$(dirname "$0")/lib.sh"
: "${P2S_CLIENT:?path of p2s_client}"
CA=$(root_of selfsigned-gateway)
MSCHAP=(--user p2s-user --password p2s-password)

A=$TEST_TMP/api.out
# api ARGS...: curl; the body in $A, the status code on stdout
api() { curl -s -o "$A" -w '%{http_code}' "$@"; }
# expect CODE WHAT ARGS...: one request, its status and a JSON error for 4xx
expect() {
	local want=$1 what=$2 code
	shift 2
	code=$(api "$@")
	if [ "$code" != "$want" ]; then
		fail "$what: HTTP $code, expected $want: $(tr -d '\n' <"$A" | head -c 300)"
		return
	fi
	if [ "$want" -ge 400 ] && ! jq -e '.error | type == "string"' "$A" >/dev/null 2>&1; then
		fail "$what: $want without a JSON error: $(head -c 300 "$A")"
		return
	fi
	pass "$what ($code$( [ "$want" -ge 400 ] && printf ': %s' "$(jq -r .error "$A" | head -c 120)"))"
}
# hold SECONDS OUTFILE: a real SSTP session in the background; its pid in $HELD
hold() {
	( timeout 60 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA" \
		"${MSCHAP[@]}" --hold "$1" >"$2" 2>&1; echo "exit=$?" >>"$2" ) &
	HELD=$!
}
# the id of the newest session whose tunnel is up
up_id() { curl -s "http://$CTL/sessions" | jq -r '[.sessions[] | select(.client_address)] | last | .id'; }
require jq

start_gw azure-2018-tls12
U=http://$CTL

# ---- /sessions -----------------------------------------------------------
expect 200 "GET /sessions with none open" "$U/sessions"
[ "$(jq .count "$A")" = 0 ] && pass "no sessions listed" || fail "sessions: $(cat "$A")"
hold 20 "$TEST_TMP/s1.out"
S1=$HELD
expect_event '"event":"tunnel_up"' "first session up"
expect 200 "GET /sessions" "$U/sessions"
jq -e '.sessions[0] | .id > 0 and (.peer | startswith("127.0.0.1:")) and .state == "established"
	and (.tls_version | startswith("TLSv1")) and (.tls_suite | startswith("TLS_"))
	and .identity == "p2s-user" and (.client_address | startswith("172.16.201."))
	and .bytes_in > 0 and .bytes_out > 0 and .duration_ms >= 0
	and .scenario == "azure-2018-tls12" and .policy_generation == 1
	and (.sstp_state | type == "string")' "$A" >/dev/null \
	&& pass "session: id, peer, state, TLS, SSTP state, identity, address, bytes, duration, policy" \
	|| fail "session fields: $(cat "$A")"
ID=$(up_id)
expect 200 "GET /sessions/$ID" "$U/sessions/$ID"
expect 404 "GET /sessions/999999 (unknown id)" "$U/sessions/999999"
expect 404 "DELETE /sessions/abc" -X DELETE "$U/sessions/abc"
expect 404 "DELETE /sessions/0" -X DELETE "$U/sessions/0"
expect 404 "DELETE unknown id" -X DELETE "$U/sessions/424242"
expect 400 "DELETE with an unknown mode" -X DELETE "$U/sessions/$ID?mode=explode"
expect 400 "DELETE with an unknown query parameter" -X DELETE "$U/sessions/$ID?force=1"
expect 405 "POST /sessions" -X POST -d '{}' "$U/sessions"
expect 405 "PUT /sessions/ID" -X PUT -d '{}' "$U/sessions/$ID"

# disconnect (default): LCP Terminate + CALL_DISCONNECT, the client sees it
expect 202 "DELETE /sessions/$ID (disconnect)" -X DELETE "$U/sessions/$ID"
jq -e '.mode == "disconnect" and (.done | test("CALL_DISCONNECT"))' "$A" >/dev/null \
	&& pass "202 says what was done" || fail "disconnect reply: $(cat "$A")"
wait "$S1" || true
grep -qiE 'sstp: .*disconnect' "$TEST_TMP/s1.out" && pass "client saw CALL_DISCONNECT" \
	|| fail "client output: $(tail -4 "$TEST_TMP/s1.out")"
expect_event "\"event\":\"close\",\"conn\":$ID,.*\"reason\":\"sstp_server_disconnect\"" "close: sstp_server_disconnect"

# abort: CALL_ABORT
hold 20 "$TEST_TMP/s2.out"
S2=$HELD
expect_event "\"event\":\"tunnel_up\",\"conn\":$((ID + 1))" "second session up"
ID2=$(up_id)
expect 202 "DELETE /sessions/$ID2?mode=abort" -X DELETE "$U/sessions/$ID2?mode=abort"
jq -e '.mode == "abort" and (.done | test("CALL_ABORT"))' "$A" >/dev/null \
	&& pass "abort: 202 names CALL_ABORT" || fail "abort reply: $(cat "$A")"
wait "$S2" || true
grep -qiE 'abort' "$TEST_TMP/s2.out" && pass "client saw CALL_ABORT" \
	|| fail "client output: $(tail -4 "$TEST_TMP/s2.out")"
expect_event "\"event\":\"close\",\"conn\":$ID2,.*\"detail\":\"ended by the control API\"" "abort close event"

# reset: TCP RST now
hold 20 "$TEST_TMP/s3.out"
S3=$HELD
expect_event "\"event\":\"tunnel_up\",\"conn\":$((ID2 + 1))" "third session up"
ID3=$(up_id)
expect 202 "DELETE /sessions/$ID3?mode=reset" -X DELETE "$U/sessions/$ID3?mode=reset"
expect_event "\"event\":\"close\",\"conn\":$ID3,.*\"action\":\"reset\"" "reset close event (action reset)"
wait "$S3" || true
grep -qE 'exit=0' "$TEST_TMP/s3.out" && fail "client did not notice the reset" || pass "client lost the connection"
expect 404 "the reset session is gone" "$U/sessions/$ID3"

# ---- /policy -------------------------------------------------------------
expect 200 "GET /policy" "$U/policy"
jq -e '.versions == ["tls1.2"] and (.ciphers | length > 0) and .refuse.version == "reset"' "$A" >/dev/null \
	&& pass "policy: versions, ciphers, refusals" || fail "policy: $(cat "$A")"
ossl -tls1
[ "$RC" -ne 0 ] && pass "TLS 1.0 refused before the change" || fail "TLS 1.0 accepted"
expect 200 "PUT /policy versions tls1.0..1.2, ciphers azure-pre-2018" -X PUT \
	-d '{"versions": ["tls1.0","tls1.1","tls1.2"], "ciphers": ["azure-pre-2018"]}' "$U/policy"
jq -e '.policy_generation == 2 and .versions == ["tls1.0","tls1.1","tls1.2"]' "$A" >/dev/null \
	&& pass "new generation with TLS 1.0" || fail "PUT reply: $(cat "$A")"
expect_event '"event":"policy".*"policy_generation":2' "policy event logged"
ossl -tls1 -cipher 'AES128-SHA:@SECLEVEL=0'
check_out 'Protocol *: TLSv1$' "a TLS 1.0 client connects after PUT /policy"
expect 200 "PUT /policy refuse.version alert" -X PUT \
	-d '{"versions": ["tls1.2"], "ciphers": ["azure-2024"], "refuse": {"version": "alert:protocol_version"}}' "$U/policy"
ossl -tls1 -cipher 'AES128-SHA:@SECLEVEL=0'
check_out 'alert protocol version' "TLS 1.0 now gets alert protocol_version"
expect_event '"event":"close".*"reason":"refused_version".*"action":"alert:protocol_version"' "refusal uses the new action"
expect 400 "PUT /policy tls1.3" -X PUT -d '{"versions": ["tls1.3"]}' "$U/policy"
grep -q "tls.versions" "$A" && pass "the loader's message names tls.versions" || fail "message: $(cat "$A")"
expect 400 "PUT /policy unknown suite" -X PUT -d '{"ciphers": ["TLS_NOPE"]}' "$U/policy"
expect 400 "PUT /policy a TLS 1.3 suite" -X PUT -d '{"ciphers": ["TLS_AES_128_GCM_SHA256"]}' "$U/policy"
expect 400 "PUT /policy no curves with ECDHE suites" -X PUT -d '{"curves": []}' "$U/policy"
expect 400 "PUT /policy bad refusal" -X PUT -d '{"refuse": {"cipher": "alert:nope"}}' "$U/policy"
expect 400 "PUT /policy unknown field" -X PUT -d '{"versions": ["tls1.2"], "colour": "red"}' "$U/policy"
expect 400 "PUT /policy unknown refuse field" -X PUT -d '{"refuse": {"sslv2": "reset"}}' "$U/policy"
expect 400 "PUT /policy wrong type" -X PUT -d '{"versions": "tls1.2"}' "$U/policy"
expect 400 "PUT /policy wrong item type" -X PUT -d '{"curves": [1]}' "$U/policy"
expect 400 "PUT /policy session_resumption as a string" -X PUT -d '{"session_resumption": "no"}' "$U/policy"
expect 400 "PUT /policy empty object" -X PUT -d '{}' "$U/policy"
expect 400 "PUT /policy bad JSON" -X PUT -d '{"versions": [' "$U/policy"
expect 400 "PUT /policy no body" -X PUT "$U/policy"
expect 405 "POST /policy" -X POST -d '{}' "$U/policy"
expect 200 "GET /policy after refusals" "$U/policy"
jq -e '.policy_generation == 3' "$A" >/dev/null && pass "bad PUTs kept the policy" || fail "policy: $(cat "$A")"

# ---- /faults -------------------------------------------------------------
expect 200 "GET /faults" "$U/faults"
jq -e '.refuse_next == 0 and .maintenance_ms_left == 0' "$A" >/dev/null && pass "no faults" || fail "$(cat "$A")"
expect 200 "POST /faults refuse_next 2 alert" -X POST \
	-d '{"refuse_next": 2, "action": "alert:handshake_failure"}' "$U/faults"
ossl -tls1_2
check_out 'alert handshake failure' "first handshake refused by the fault"
ossl -tls1_2
check_out 'alert handshake failure' "second handshake refused by the fault"
ossl -tls1_2
check_out 'New, TLSv1\.2, Cipher is' "third handshake accepted again"
wait_count '"reason":"fault_injected"' 2 && pass "closes logged with reason fault_injected" \
	|| fail "no fault_injected closes"
expect 400 "POST /faults refuse_next 0" -X POST -d '{"refuse_next": 0}' "$U/faults"
expect 400 "POST /faults refuse_next as a string" -X POST -d '{"refuse_next": "2"}' "$U/faults"
expect 400 "POST /faults action alone" -X POST -d '{"action": "fin"}' "$U/faults"
expect 400 "POST /faults bad action" -X POST -d '{"refuse_next": 1, "action": "explode"}' "$U/faults"
expect 400 "POST /faults maintenance_ms too large" -X POST -d '{"maintenance_ms": 999999999999}' "$U/faults"
expect 400 "POST /faults unknown field" -X POST -d '{"refuse_next": 1, "when": "now"}' "$U/faults"
expect 400 "POST /faults empty" -X POST -d '{}' "$U/faults"
expect 405 "PUT /faults" -X PUT -d '{}' "$U/faults"
expect 200 "POST /faults refuse_next 5 then DELETE" -X POST -d '{"refuse_next": 5}' "$U/faults"
expect 200 "DELETE /faults" -X DELETE "$U/faults"
jq -e '.refuse_next == 0' "$A" >/dev/null && pass "faults cleared" || fail "$(cat "$A")"
ossl -tls1_2
check_out 'New, TLSv1\.2, Cipher is' "handshakes accepted after DELETE /faults"

# maintenance: the session is ended, new connections reset until it is over
hold 30 "$TEST_TMP/s4.out"
S4=$HELD
for i in $(seq 1 200); do [ "$(grep -c '"event":"tunnel_up"' "$EVENTS")" -gt 3 ] && break; sleep 0.05; done
[ "$(grep -c '"event":"tunnel_up"' "$EVENTS")" -gt 3 ] && pass "session up before maintenance" || fail "no session"
t0=$(date +%s%N)
expect 200 "POST /faults maintenance_ms 1500" -X POST -d '{"maintenance_ms": 1500}' "$U/faults"
jq -e '.sessions_ended >= 1 and .maintenance_ms_left > 0' "$A" >/dev/null && pass "maintenance ends the session" \
	|| fail "$(cat "$A")"
wait "$S4" || true
grep -qiE 'sstp: .*disconnect' "$TEST_TMP/s4.out" && pass "client saw CALL_DISCONNECT in maintenance" \
	|| fail "client output: $(tail -4 "$TEST_TMP/s4.out")"
ossl -tls1_2
[ "$RC" -ne 0 ] && pass "new connection refused during maintenance" || fail "accepted during maintenance"
expect_event '"detail":"maintenance window \(control API\)"' "maintenance refusal logged"
# the window is 1.5 s: poll until a handshake passes, then check when
for i in $(seq 1 50); do
	ossl -tls1_2
	has 'New, TLSv1\.2, Cipher is' && break
	sleep 0.1
done
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
has 'New, TLSv1\.2, Cipher is' && [ "$ms" -ge 1400 ] && pass "accepted again after the window (${ms} ms)" \
	|| fail "after the window: ${ms} ms, $(tail -3 "$OUT")"

# ---- /events -------------------------------------------------------------
code=$(curl -s -o "$A" -w '%{http_code}' "$U/events")
[ "$code" = 200 ] && [ "$(wc -l <"$A")" -gt 10 ] && jq -es 'all(.[]; has("event") and has("ts"))' "$A" >/dev/null \
	&& pass "GET /events: $(wc -l <"$A") JSON lines" || fail "events: $code $(head -c 200 "$A")"
grep -q '"event":"policy"' "$A" && pass "history has the policy change" || fail "history lacks policy"
expect 400 "GET /events?follow=maybe" "$U/events?follow=maybe"
expect 400 "GET /events?tail=5" "$U/events?tail=5"
F=$TEST_TMP/follow.out
curl -s -N --max-time 8 "$U/events?follow=1" >"$F" &
FOL=$!
for i in $(seq 1 100); do grep -q events_follow "$F" && break; sleep 0.05; done
grep -q events_follow "$F" && pass "follow: subscribed" || fail "follow: no first line"
ossl -tls1_2
for i in $(seq 1 100); do grep -q '"event":"tls_result"' "$F" && break; sleep 0.05; done
grep -q '"event":"accept"' "$F" && grep -q '"event":"tls_result"' "$F" \
	&& pass "follow streams new events" || fail "follow: $(head -c 300 "$F")"
kill "$FOL" 2>/dev/null || true
wait "$FOL" 2>/dev/null || true
ossl -tls1_2 # an event after the follower left: its slot is freed, nothing breaks
expect 200 "GET /health after a follower left" "$U/health"
# at most 16 followers; slots of followers that left are reused
FOLS=()
for i in $(seq 1 16); do
	curl -s -N --max-time 20 "$U/events?follow=1" >"$TEST_TMP/f$i.out" &
	FOLS+=($!)
done
for i in $(seq 1 16); do
	for j in $(seq 1 100); do grep -q events_follow "$TEST_TMP/f$i.out" && break; sleep 0.05; done
done
expect 503 "a 17th follower" "$U/events?follow=1"
kill "${FOLS[@]}" 2>/dev/null || true
wait "${FOLS[@]}" 2>/dev/null || true
ok=0
for i in $(seq 1 20); do
	ossl -tls1_2 # events let the gateway notice the closed streams
	code=$(curl -s -o "$A" -w '%{http_code}' --max-time 1 "$U/events?follow=1" || true)
	[ "$code" = 200 ] && { ok=1; break; }
done
[ "$ok" = 1 ] && pass "slots of departed followers are reused" || fail "follow still refused: $code"

# ---- /metrics ------------------------------------------------------------
code=$(curl -s -o "$A" -w '%{http_code}' "$U/metrics")
[ "$code" = 200 ] && pass "GET /metrics" || fail "metrics: $code"
for m in '^p2sgw_connections_open [0-9]+$' '^p2sgw_sstp_sessions [0-9]+$' '^p2sgw_accepted_total [1-9][0-9]*$' \
	'^p2sgw_refused_total [1-9][0-9]*$' '^p2sgw_closes_total\{reason="sstp_server_disconnect"\} [1-9]' \
	'^p2sgw_closes_total\{reason="fault_injected"\} [1-9]' '^p2sgw_policy_generation 3$' \
	'^p2sgw_info\{scenario="azure-2018-tls12",chain="selfsigned-gateway".*\} 1$' '^# TYPE p2sgw_accepted_total counter$'; do
	grep -qE "$m" "$A" && pass "metrics: /$m/" || fail "metrics lack /$m/"
done
expect 405 "POST /metrics" -X POST "$U/metrics"
stop_gw

# ---- token ---------------------------------------------------------------
start_gw azure-2018-tls12 P2SGW_TOKEN=secret
U=http://$CTL
expect 200 "/health needs no token" "$U/health"
for ep in sessions policy faults metrics events status; do
	expect 401 "GET /$ep without a token" "$U/$ep"
	expect 401 "GET /$ep with a wrong token" -H 'Authorization: Bearer wrong' "$U/$ep"
	expect 200 "GET /$ep with the token" -H 'Authorization: Bearer secret' "$U/$ep"
done
expect 401 "PUT /policy without a token" -X PUT -d '{"versions":["tls1.2"]}' "$U/policy"
expect 401 "DELETE /sessions/1 with a wrong token" -X DELETE -H 'Authorization: Bearer secrets' "$U/sessions/1"
stop_gw
finish
