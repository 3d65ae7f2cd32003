#!/usr/bin/env bash
# Network faults (/faults/network and the timeline's `network` action), each measured by
# what a client sees through its tunnel: latency raises the round trip by the latency,
# jitter spreads it, bandwidth caps a connection, loss drops that share of packets,
# limit_data and timeout close the connection as they say, reset_peer resets it; the
# client filter and the share select connections; the API lists, counts and removes.
# Round trips come from p2sload throughput with one packet in flight (RTT = run time /
# (packets answered + 1/2): the last one is on its way when the run ends).
. "$(dirname "$0")/lib.sh"
: "${P2SLOAD:?path of p2sload}"
load() { throughput "$@"; }
# rtt_ms: the round trip of the last run, from its packet count
rtt_ms() {
	awk -v s="$(kv duration_s)" -v n="$(kv packets_echoed)" \
		'BEGIN { printf "%.1f", (n > 0 ? 1000 * s / (n + 0.5) : 99999) }'
}
api() { # api METHOD PATH [BODY]: reply in $OUT, status in $CODE
	OUT=$TEST_TMP/api.out
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X "$1" ${3:+-d "$3"} "http://$CTL$2")
}
between() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

start_gw azure-2018-tls12

# the API refuses what it cannot do, with the field named
api POST /faults/network '{"type":"latency"}'
[ "$CODE" = 400 ] && has 'latency fault needs latency' && pass "a fault without its value: 400" ||
	fail "incomplete fault: $CODE $(cat "$OUT")"
api POST /faults/network '{"type":"latency","latency":"2 ms"}'
[ "$CODE" = 400 ] && has "field 'latency'" && pass "a bad duration names the field" ||
	fail "bad duration: $CODE $(cat "$OUT")"
api POST /faults/network '{"type":"bogus"}'
[ "$CODE" = 400 ] && has 'unknown fault type' && pass "an unknown type: 400" || fail "bogus: $CODE"
api DELETE /faults/network/99
[ "$CODE" = 404 ] && pass "removing an unknown fault: 404" || fail "DELETE 99: $CODE"

# baseline round trip
load -n 1 --window 1 --size 200 -d 2
base=$(rtt_ms)
pass "baseline round trip $base ms"

# latency 200 ms toward the client: the round trip grows by 200 +- 40 ms
api POST /faults/network '{"type":"latency","latency":"200ms","direction":"down"}'
[ "$CODE" = 201 ] && id=$(jq -r .id "$OUT") && pass "latency fault $id added" || fail "add latency: $CODE"
load -n 1 --window 1 --size 200 -d 3
r=$(rtt_ms)
d=$(awk -v r="$r" -v b="$base" 'BEGIN { printf "%.1f", r - b }')
between "$d" 160 240 && pass "latency 200 ms (down) adds $d ms to the round trip" ||
	fail "latency: round trip $r ms, baseline $base ms"
expect_event '"event":"netfault".*"type":"latency","direction":"down"' "the fault's first action is an event"
api GET /faults/network
[ "$(jq -r '.[0].connections' "$OUT")" -ge 1 ] && [ "$(jq -r '.[0].packets' "$OUT")" -ge 5 ] &&
	pass "the list counts connections and packets it acted on" || fail "list: $(cat "$OUT")"
api DELETE "/faults/network/$id"
[ "$CODE" = 200 ] && pass "fault removed" || fail "DELETE $id: $CODE"
load -n 1 --window 1 --size 200 -d 2
r=$(rtt_ms)
awk -v r="$r" -v b="$base" 'BEGIN { exit !(r < b + 50) }' && pass "removed: round trip back to $r ms" ||
	fail "after removal: $r ms (baseline $base)"

# latency in both directions counts twice; jitter spreads it around the mean
api POST /faults/network '{"type":"latency","latency":"100ms","jitter":"50ms"}'
load -n 1 --window 1 --size 200 -d 3
d=$(awk -v r="$(rtt_ms)" -v b="$base" 'BEGIN { printf "%.1f", r - b }')
between "$d" 160 240 && pass "latency 100 +- 50 ms both ways adds $d ms on average" ||
	fail "jitter: added $d ms"
api DELETE /faults/network

# a fault for other clients, or for no share of them, does nothing here
api POST /faults/network '{"type":"latency","latency":"300ms","clients":"10.0.0.0/8"}'
api POST /faults/network '{"type":"latency","latency":"300ms","share":0}'
load -n 1 --window 1 --size 200 -d 2
r=$(rtt_ms)
awk -v r="$r" -v b="$base" 'BEGIN { exit !(r < b + 50) }' &&
	pass "client filter 10.0.0.0/8 and share 0 leave 127.0.0.1 alone ($r ms)" || fail "filters: $r ms"
api DELETE /faults/network

# bandwidth per connection
api POST /faults/network '{"type":"bandwidth","rate":"2Mbit","direction":"down"}'
load -n 1 --dir down --window 32 --size 1400 -d 4
d=$(kv data_mbit_s)
between "$d" 1 2.2 && pass "bandwidth 2 Mbit/s: $d Mbit/s delivered" || fail "bandwidth: $d Mbit/s"
api DELETE /faults/network

# loss: a closed-loop sender stalls when its window is lost, so loss_pct estimates p
api POST /faults/network '{"type":"loss","percent":30,"direction":"up"}'
load -n 1 --window 64 --size 200 -d 2
l=$(kv loss_pct)
between "$l" 18 42 && pass "loss 30 % up: $l % of packets lost" || fail "loss: $l %"
api DELETE /faults/network

# limit_data: the connection ends after 100 kB
api POST /faults/network '{"type":"limit_data","bytes":100000}'
load -n 1 --window 16 --size 1000 -d 3
expect_event '"reason":"fault_injected".*"detail":"network fault [0-9]+ \(limit_data: 100000 bytes\)"' \
	"limit_data closes the connection after 100000 bytes"
api DELETE /faults/network

# timeout: nothing gets through, and the connection ends after 1 s
api POST /faults/network '{"type":"timeout","after":"1s"}'
load -n 1 --window 8 --size 200 -d 2
[ "$(kv packets_echoed)" = 0 ] && pass "timeout: no packet gets through" || fail "timeout: $(kv packets_echoed) echoed"
expect_event '"reason":"fault_injected".*"detail":"network fault [0-9]+ \(timeout after 1000 ms\)"' \
	"timeout ends the connection 1 s later"
api DELETE /faults/network

# slicer: what the gateway sends goes out in records of 100 bytes, each written in pieces
# of at most 100 bytes 10 ms apart: a 1,400-byte answer is 15 records of 129 bytes on the
# wire, 30 pieces, about 300 ms
api POST /faults/network '{"type":"slicer","bytes":100,"gap":"10ms","direction":"down"}'
[ "$CODE" = 201 ] || fail "add slicer: $CODE $(cat "$OUT")"
load -n 1 --window 1 --size 1400 -d 3
r=$(rtt_ms)
between "$r" 200 400 && pass "slicer 100 bytes / 10 ms: a 1,400-byte echo takes $r ms" ||
	fail "slicer: round trip $r ms"
api DELETE /faults/network
api POST /faults/network '{"type":"slicer","bytes":100}'
[ "$CODE" = 400 ] && has 'direction down' && pass "a slicer needs direction down" || fail "slicer both: $CODE"

# slow_close: the socket closes 1 s after the connection ends (here by limit_data)
api POST /faults/network '{"type":"limit_data","bytes":50000}'
api POST /faults/network '{"type":"slow_close","after":"1s"}'
m=$(wc -l <"$EVENTS")
load -n 1 --window 16 --size 1000 -d 3
wait_event '"reason":"fault_injected".*limit_data: 50000' 10 || true
ms() { sed 's/.*"ts":"[^T]*T\([0-9]*\):\([0-9]*\):\([0-9.]*\)Z".*/\1 \2 \3/' | awk '{ printf "%d", ($1 * 3600 + $2 * 60 + $3) * 1000 }'; }
t0=$(tail -n +"$((m + 1))" "$EVENTS" | grep '"event":"netfault".*"type":"limit_data"' | head -1 | ms)
t1=$(tail -n +"$((m + 1))" "$EVENTS" | grep '"event":"close".*limit_data: 50000' | head -1 | ms)
if [ -n "$t0" ] && [ -n "$t1" ] && [ $((t1 - t0)) -ge 900 ] && [ $((t1 - t0)) -le 3000 ]; then
	pass "slow_close: the socket closed $((t1 - t0)) ms after the end"
else
	fail "slow_close: limit_data at '$t0', close at '$t1'"
fi
expect_event '"event":"netfault".*"type":"slow_close"' "slow_close is an event when it applies"
api DELETE /faults/network

# reset_peer: a TCP reset 500 ms after it applies
api POST /faults/network '{"type":"reset_peer","after":"500ms"}'
load -n 1 --window 8 --size 200 -d 2
expect_event '"reason":"fault_injected".*"detail":"network fault [0-9]+ \(reset_peer\)".*"action":"reset"' \
	"reset_peer resets the connection"
api DELETE /faults/network
stop_gw

# the timeline's network action
cat >"$TEST_TMP/tl.yaml" <<'EOF'
base: azure-2018-tls12
timeline:
  - {at: 0s, action: network, type: latency, latency: 200ms, direction: down, duration: 1h}
EOF
start_gw "$TEST_TMP/tl.yaml"
expect_event '"event":"timeline".*"action":"network".*"type":"latency","direction":"down".*"result":"ok"' \
	"the timeline adds the fault"
load -n 1 --window 1 --size 200 -d 2
d=$(awk -v r="$(rtt_ms)" -v b="$base" 'BEGIN { printf "%.1f", r - b }')
between "$d" 160 240 && pass "timeline latency 200 ms adds $d ms" || fail "timeline latency: $d ms"
stop_gw
printf 'base: azure-2018-tls12\ntimeline:\n  - {at: 0s, action: network, type: loss}\n' >"$TEST_TMP/bad.yaml"
rc=0; "$P2SGW" check --scenario "$TEST_TMP/bad.yaml" >"$TEST_TMP/bad.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q 'a loss fault needs percent' "$TEST_TMP/bad.out" &&
	pass "an incomplete timeline fault fails the check" || fail "bad timeline: rc=$rc $(cat "$TEST_TMP/bad.out")"
finish
