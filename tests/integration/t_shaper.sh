#!/usr/bin/env bash
# The throughput cap is a rate, per direction, and queues instead of dropping: a tunnel
# capped at 8 Mbit/s with a closed-loop transfer (p2sload throughput, window of packets)
# delivers no more than the cap + 10 % over 5 s, and no less than half of it, in each
# direction alone and both at once, with no packet lost; two tunnels share the cap
# fairly; the gateway's own counters (/metrics) agree; a per-tunnel cap holds one
# tunnel below the aggregate. Functional bounds only: tests/bench/shaper.sh measures.
. "$(dirname "$0")/lib.sh"
: "${P2SLOAD:?path of p2sload}"
load() {
	throughput "$@" --size 1400
	[ "$RC" -eq 0 ] || { fail "p2sload throughput $* exited $RC"; tail -5 "$TEST_TMP/throughput.err"; }
}
# within LO HI WHAT: the run's data_mbit_s in [LO, HI]
within() {
	local d
	d=$(kv data_mbit_s)
	if awk -v d="$d" -v lo="$1" -v hi="$2" 'BEGIN { exit !(d >= lo && d <= hi) }'; then
		pass "$3: $d Mbit/s"
	else
		fail "$3: $d Mbit/s, want $1..$2"; cat "$OUT"
	fi
}
metric() { curl -s "http://$CTL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

start_gw azure-2018-tls12 P2SGW_SSTP_THROUGHPUT=8Mbit
for dir in up down both; do
	up0=$(metric 'p2sgw_tunnel_bytes_total{dir="up"}')
	dn0=$(metric 'p2sgw_tunnel_bytes_total{dir="down"}')
	load -n 1 --dir "$dir" -d 5 --window 32
	within 4 8.8 "8 Mbit/s cap, $dir, one tunnel, over 5 s"
	loss=$(kv loss_pct)
	[ "$loss" = 0.000 ] && pass "$dir: nothing dropped (queued, not lost)" || fail "$dir: loss_pct $loss"
	up1=$(metric 'p2sgw_tunnel_bytes_total{dir="up"}')
	dn1=$(metric 'p2sgw_tunnel_bytes_total{dir="down"}')
	# the gateway counted at least what the client saw delivered, and at most the cap
	# plus the setup and drain seconds' worth
	case $dir in up) g=$((up1 - up0)) ;; down) g=$((dn1 - dn0)) ;; both) g=$((dn1 - dn0)) ;; esac
	if awk -v g="$g" -v d="$(kv data_mbit_s)" -v s="$(kv duration_s)" \
		'BEGIN { exit !(g * 8 >= d * 1e6 * s * 0.95 && g * 8 <= 8e6 * (s + 3) * 1.1) }'; then
		pass "$dir: the gateway's byte counter agrees ($g bytes)"
	else
		fail "$dir: gateway counted $g bytes; client $(kv data_mbit_s) Mbit/s over $(kv duration_s) s"
	fi
done
throttled=$(metric 'p2sgw_shaper_throttled_seconds_total{dir="up"}')
awk -v t="$throttled" 'BEGIN { exit !(t > 0) }' && pass "time held back is counted ($throttled s up)" ||
	fail "p2sgw_shaper_throttled_seconds_total{dir=\"up\"} is $throttled"

load -n 2 --dir down -d 5 --window 32
within 4 8.8 "8 Mbit/s cap shared by two tunnels"
j=$(kv jain_index)
awk -v j="$j" 'BEGIN { exit !(j >= 0.9) }' && pass "two tunnels share fairly (Jain $j)" ||
	fail "fairness: Jain index $j"
stop_gw

# a cap per tunnel below the aggregate
start_gw azure-2018-tls12 P2SGW_SSTP_THROUGHPUT=100Mbit P2SGW_SSTP_THROUGHPUT_PER_TUNNEL=4Mbit
load -n 1 --dir down -d 5 --window 32
within 2 4.4 "per-tunnel cap of 4 Mbit/s under a 100 Mbit/s aggregate"
stop_gw

# uncapped: nothing held back, nothing counted as throttled
start_gw azure-2018-tls12
load -n 1 --dir both -d 2 --window 32
d=$(kv data_mbit_s)
awk -v d="$d" 'BEGIN { exit !(d > 8.8) }' && pass "uncapped runs faster than the cap ($d Mbit/s)" ||
	fail "uncapped: $d Mbit/s"
t=$(metric 'p2sgw_shaper_throttled_seconds_total{dir="up"}')
[ "$t" = 0.000 ] && pass "uncapped: no time held back" || fail "uncapped throttled $t"
stop_gw
finish
