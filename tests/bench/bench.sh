#!/usr/bin/env bash
# Benchmarks that print numbers (not pass/fail):
#  - time from exec to READY, with a fresh state directory and with an existing PKI
#  - full TLS 1.2 ECDHE-RSA handshakes per second with the gateway on one core
#    (openssl s_time as the client), next to the ceiling set by the same mbedTLS's
#    RSA-2048 signature + x25519 rates, measured in the same run
#  - resumed handshakes per second
# usage: tests/bench/bench.sh [BUILD_DIR]   (default: build)
set -eu -o pipefail
cd "$(dirname "$0")/../.."
B=$(realpath "${1:-build}")
P2SGW=$B/server/p2sgw
[ -x "$P2SGW" ] || { echo "build first: cmake -S . -B $B && cmake --build $B" >&2; exit 1; }
T=$(mktemp -d)
trap 'kill $GW 2>/dev/null || true; rm -rf "$T"' EXIT
GW=""
SECS=${BENCH_SECONDS:-10}

ms_now() { date +%s%3N; }

# start on CPU 0; sets GW, PORT and READY_MS (ms from exec to READY)
start() {
	local t0 t1
	t0=$(ms_now)
	taskset -c 0 "$P2SGW" serve --listen 127.0.0.1:0 --control 127.0.0.1:0 --state-dir "$1" \
		>"$T/ev" 2>"$T/err" &
	GW=$!
	until grep -q '^READY' "$T/ev" 2>/dev/null; do
		kill -0 $GW 2>/dev/null || { cat "$T/err"; exit 1; }
		sleep 0.001
	done
	t1=$(ms_now)
	PORT=$(sed -n 's/^READY listen=127.0.0.1:\([0-9]*\).*/\1/p' "$T/ev")
	READY_MS=$((t1 - t0))
}
stop() { kill -TERM $GW; wait $GW || true; GW=""; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "mbedTLS: $(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null)"

start "$T/state"; stop
echo "exec_to_ready_fresh_pki_ms $READY_MS"
best=999999
for i in 1 2 3 4 5; do
	start "$T/state"; stop
	[ "$READY_MS" -lt "$best" ] && best=$READY_MS
done
echo "exec_to_ready_existing_pki_ms $best (best of 5; target < 50)"

start "$T/state"
KEY=$(ls "$T"/state/pki/selfsigned-gateway/leaf-rsa2048.key)
taskset -c 1 "$B/tests/bench_crypto" "$KEY" 3 | tee "$T/crypto"
ceiling=$(awk '/handshake_ceiling_per_s/ {print $2}' "$T/crypto")
sign=$(awk '/rsa2048_sign_per_s/ {print $2}' "$T/crypto")

out=$(taskset -c 1 openssl s_time -connect "127.0.0.1:$PORT" -new -time "$SECS" \
	-cipher ECDHE-RSA-AES256-GCM-SHA384 2>&1 | grep 'connections/user sec' | head -1 || true)
real=$(grep -c '"event":"tls_result".*"resumed":false' "$T/ev" || true)
rate=$(awk -v n="$real" -v s="$SECS" 'BEGIN { printf "%.0f", n / s }')
echo "full_handshakes_per_s $rate  (server on one core; $real handshakes in ${SECS}s wall; s_time: $out)"
echo "full_handshakes_vs_ceiling $(awk -v r="$rate" -v c="$ceiling" 'BEGIN { printf "%.2f", r / c }') (target >= 0.9)"
echo "full_handshakes_vs_rsa_sign $(awk -v r="$rate" -v c="$sign" 'BEGIN { printf "%.2f", r / c }')"
before=$(grep -c '"resumed":true' "$T/ev" || true)
out=$(taskset -c 1 openssl s_time -connect "127.0.0.1:$PORT" -reuse -time "$SECS" \
	-cipher ECDHE-RSA-AES256-GCM-SHA384 2>&1 | grep 'connections/user sec' | tail -1 || true)
after=$(grep -c '"resumed":true' "$T/ev" || true)
echo "resumed_handshakes_per_s $(awk -v n=$((after - before)) -v s="$SECS" 'BEGIN { printf "%.0f", n / s }')  (s_time: $out)"
stop
