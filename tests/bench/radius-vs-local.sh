#!/usr/bin/env bash
# Sign-in through RADIUS versus local users: N SSTP sessions (default 128, Azure's SSTP limit)
# signing in at once (p2sload storm: each client TLS + SSTP + PPP MS-CHAPv2 + Call Connected
# with the crypto binding + IPCP, then it disconnects), against a fresh gateway with
# ppp.auth_backend local, then one with radius (the FreeRADIUS 3.2 of tests/radius/raddb),
# alternately: local, radius, local, radius, ... ROUNDS times each. Both scenarios are the same
# except the backend, and both know the same user and password. Prints each run, then a table
# of the medians: figure, local, radius, radius/local. docs/benchmarks.md ("Sign-in through
# RADIUS") explains the figures.
#
# usage: tests/bench/radius-vs-local.sh [BUILD_DIR] [ROUNDS]     (default: build, 3)
# environment:
#   BENCH_N        sessions at once, default 128
#   RADIUS_DEBUG   1: FreeRADIUS in debug mode (-X, one thread, every request logged in
#                  full: what the ctest fixture runs); default 0: the same configuration in the
#                  normal multi-threaded server (-f -l LOGFILE), as a deployment runs it
#   LAB_STATE      lab PKI directory; default BUILD_DIR/test-state when ctest made it, else a
#                  temporary one made with "p2sgw pki create --all"
# Needs freeradius (tests/setup-debian.sh installs it). All run output stays in a temporary
# directory printed first.
set -eu -o pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=$(realpath "${1:-$SRC/build}")
ROUNDS=${2:-3}
N=${BENCH_N:-128}
DEBUG=${RADIUS_DEBUG:-0}
case $ROUNDS in '' | *[!0-9]* | 0) echo "ROUNDS must be a positive integer" >&2; exit 2 ;; esac
case $N in '' | *[!0-9]* | 0) echo "BENCH_N must be a positive integer" >&2; exit 2 ;; esac
case $DEBUG in 0 | 1) ;; *) echo "RADIUS_DEBUG must be 0 or 1" >&2; exit 2 ;; esac
export P2SGW=$B/server/p2sgw
LOAD=$B/tests/tools/p2sload
for f in "$P2SGW" "$LOAD"; do
	[ -x "$f" ] || { echo "$f is not built: cmake -S . -B $B && cmake --build $B -j2" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/p2sgw-radius-vs-local.XXXXXX")
if [ -z "${LAB_STATE:-}" ]; then
	if [ -s "$B/test-state/pki/p2s-client-root/root.key" ]; then
		LAB_STATE=$B/test-state
	else
		LAB_STATE=$WORK/state
		"$P2SGW" pki create --all --state-dir "$LAB_STATE" >"$WORK/pki.log" 2>&1 ||
			{ cat "$WORK/pki.log"; exit 1; }
	fi
fi
export LAB_STATE
export TEST_TMP=$WORK/run
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# the integration tests' start_gw/stop_gw and the RADIUS fixture (radius-lib.sh)
. "$SRC/tests/integration/lib.sh"
. "$SRC/tests/radius/radius-lib.sh"
CA=$(root_of selfsigned-gateway)
echo "runs in $TEST_TMP"

# radius_start_threaded: radius_start's copy of raddb, served by the normal multi-threaded
# FreeRADIUS (-f: foreground, -l: its log file); ready when it answers Status-Server
radius_start_threaded() {
	radius_require
	[ -n "${RADIUS_CERTS:-}" ] || radius_lab_certs
	trap 'radius_stop; cleanup' EXIT
	local attempt dir port deadline
	for attempt in 1 2 3 4 5; do
		dir=$(mktemp -d "$TEST_TMP/raddb.XXXXXX")
		cp "$RADIUS_SRC_DIR"/raddb/* "$dir/"
		mkdir "$dir/certs"
		cp "$RADIUS_CERTS/server.pem" "$RADIUS_CERTS/server.key" "$RADIUS_CERTS/ca.pem" "$dir/certs/"
		port=$(radius__free_port)
		RADIUS_DIR=$dir
		RADIUS_LOG=$dir/radius.log
		RADIUS_RADDB=$dir RADIUS_PORT=$port freeradius -f -l "$RADIUS_LOG" -d "$dir" -n radiusd \
			>"$dir/stdout.log" 2>&1 &
		RADIUS_PID=$!
		deadline=$(( $(radius__ms) + RADIUS_START_TIMEOUT * 1000 ))
		until radius_status "$port"; do
			if ! kill -0 "$RADIUS_PID" 2>/dev/null; then
				wait "$RADIUS_PID" 2>/dev/null || true
				RADIUS_PID=""
				grep -q 'Address already in use' "$RADIUS_LOG" "$dir/stdout.log" 2>/dev/null && continue 2
				tail -20 "$RADIUS_LOG" "$dir/stdout.log"
				echo "FreeRADIUS exited during start" >&2
				exit 1
			fi
			if [ "$(radius__ms)" -ge "$deadline" ]; then
				radius_stop
				echo "FreeRADIUS did not answer Status-Server within $RADIUS_START_TIMEOUT s" >&2
				exit 1
			fi
			sleep 0.05
		done
		RADIUS_PORT=$port
		return 0
	done
	echo "FreeRADIUS could not bind a free UDP port" >&2
	exit 1
}

if [ "$DEBUG" = 1 ]; then
	radius_start >/dev/null
	FR_MODE="freeradius -X (debug mode, 1 thread)"
else
	radius_start_threaded
	FR_MODE="freeradius -f (normal mode, thread pool of raddb/radiusd.conf)"
fi

# scenario FILE BACKEND: the same gateway for both backends
scenario() {
	cat >"$1" <<YAML
name: bench-$2
base: azure-2018-tls12
gateway:
  max_connections: 20000
  max_half_open: 20000
  max_per_address: 0
tls:
  handshake_timeout: 60s
sstp:
  max_sessions: $(( N > 128 ? N : 128 ))
  negotiation_timeout: 120s
network:
  client_pool: 172.16.0.0/18
ppp:
  auth_backend: $2
  users:
    - name: "$RADIUS_USER"
      password: '$RADIUS_USER_PASSWORD'   # YAML single quotes: the backslash is literal
YAML
	[ "$2" = local ] || cat >>"$1" <<YAML
radius:
  servers:
    - address: "127.0.0.1:$RADIUS_PORT"
      secret: "$RADIUS_SECRET"
  timeout: 30s
  retries: 3
YAML
}

# pct P: nearest-rank percentile of the numbers on stdin ("-" when none)
pct() { sort -n | awk -v p="$1" '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit } i = int((p * NR + 99) / 100); if (i < 1) i = 1; print a[i] }'; }
# cpu_ms PID: user + system CPU time of a process (all threads) in ms
cpu_ms() { awk -v t="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%d", ($12 + $13) * 1000 / t }' "/proc/$1/stat"; }
kv() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
RES=$TEST_TMP/results   # lines: BACKEND FIGURE VALUE
: >"$RES"
FAILED_RUNS=0

# settle_closes: wait (10 s at most) until every session of the run has its close event
settle_closes() {
	local _
	for _ in $(seq 1 200); do
		[ "$(grep -c '"event":"close"' "$EVENTS" || true)" -ge "$N" ] && return 0
		sleep 0.05
	done
}

# run BACKEND ROUND
run() {
	local be=$1 r=$2 sc=$TEST_TMP/$1.yaml out=$TEST_TMP/$1.$2.out up ups cb s p50 p99
	scenario "$sc" "$be"
	start_gw "$sc" >/dev/null
	local g0 f0 g1 f1
	g0=$(cpu_ms "$GW_PID")
	f0=$(cpu_ms "$RADIUS_PID")
	timeout 300 "$LOAD" storm -n "$N" --timeout 60 --servername "$HOST" --ca "$CA" \
		--user "$RADIUS_USER" --password "$RADIUS_USER_PASSWORD" "127.0.0.1:$PORT" \
		>"$out" 2>"$out.err" || true
	# the gateway's CPU for the storm (closes included), FreeRADIUS' for its Access-Requests
	settle_closes
	g1=$(cpu_ms "$GW_PID")
	f1=$(cpu_ms "$RADIUS_PID")
	up=$(kv established "$out")
	s=$(kv all_established_s "$out")
	# the gateway's own counts: tunnels up, crypto bindings verified
	ups=$(grep -c '"event":"tunnel_up"' "$EVENTS" || true)
	cb=$(grep -c '"event":"sstp_call_connected".*"ok":true' "$EVENTS" || true)
	grep '"event":"radius_reply"' "$EVENTS" | grep -oE '"latency_ms":[0-9.]+' | cut -d: -f2 >"$TEST_TMP/$be.$r.lat" || true
	p50=$(pct 50 <"$TEST_TMP/$be.$r.lat")
	p99=$(pct 99 <"$TEST_TMP/$be.$r.lat")
	stop_gw >/dev/null
	cp "$EVENTS" "$TEST_TMP/$be.$r.events.jsonl"
	if [ "${up:-0}" != "$N" ] || [ "$ups" != "$N" ] || [ "$cb" != "$N" ] || [ "$(kv errors "$out")" != 0 ]; then
		FAILED_RUNS=$((FAILED_RUNS + 1))
		echo "note: $be round $r: p2sload up ${up:-?} of $N, gateway tunnel_up $ups, binding ok $cb, errors $(kv errors "$out"): $(grep '^error ' "$out" | head -3 | tr '\n' ' ')"
	fi
	{
		echo "$be sign_ins_per_s $(awk -v n="${up:-0}" -v s="${s:-0}" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')"
		echo "$be all_up_s $s"
		echo "$be sign_in_ms_p50 $(kv setup_ms_p50 "$out")"
		echo "$be sign_in_ms_p99 $(kv setup_ms_p99 "$out")"
		echo "$be gateway_cpu_ms $((g1 - g0))"
		echo "$be freeradius_cpu_ms $([ "$be" = radius ] && echo $((f1 - f0)) || echo -)"
		echo "$be radius_latency_ms_p50 $p50"
		echo "$be radius_latency_ms_p99 $p99"
	} >>"$RES"
	printf '%-6s round %d: %s/%s up in %s s (tunnel_up %s, binding ok %s), sign-in p50 %s ms p99 %s ms, radius_reply latency p50 %s ms p99 %s ms, CPU ms gateway %s FreeRADIUS %s\n' \
		"$be" "$r" "${up:-?}" "$N" "${s:-?}" "$ups" "$cb" "$(kv setup_ms_p50 "$out")" "$(kv setup_ms_p99 "$out")" "$p50" "$p99" "$((g1 - g0))" "$((f1 - f0))"
}

echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), shared by p2sload, p2sgw and FreeRADIUS"
echo "p2sgw $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo unknown); $(freeradius -v 2>/dev/null | head -1 | sed 's/^radiusd: //'); $FR_MODE"
echo "$N sessions at once (p2sload storm), $ROUNDS rounds: local, radius, local, radius, ..."
for r in $(seq 1 "$ROUNDS"); do
	run local "$r"
	run radius "$r"
done
ACCEPTS=$(grep -cF "Login OK: [$RADIUS_USER]" "$RADIUS_LOG" || true)
echo "FreeRADIUS: $ACCEPTS Login OK (Access-Accept) for $((N * ROUNDS)) RADIUS sign-ins"

# median FIGURE BACKEND
median() {
	awk -v b="$2" -v f="$1" '$1 == b && $2 == f && $3 != "-" { print $3 }' "$RES" | sort -n |
		awk '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit } if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
echo
echo "median of $ROUNDS rounds, $N sessions signing in at once"
printf '%-32s %10s %10s %8s\n' figure local radius ratio
for f in sign_ins_per_s all_up_s sign_in_ms_p50 sign_in_ms_p99 gateway_cpu_ms freeradius_cpu_ms radius_latency_ms_p50 radius_latency_ms_p99; do
	l=$(median "$f" local)
	r=$(median "$f" radius)
	ratio=$(awk -v l="$l" -v r="$r" 'BEGIN { if (l == "-" || r == "-" || l + 0 == 0) print "-"; else printf "%.2f", r / l }')
	printf '%-32s %10s %10s %8s\n' "$f" "$l" "$r" "$ratio"
done | tee "$TEST_TMP/table.txt"
[ "$FAILED_RUNS" -eq 0 ] || { echo "note: $FAILED_RUNS runs did not bring all $N sessions up"; exit 1; }
