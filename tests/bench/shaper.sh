#!/usr/bin/env bash
# The throughput cap (sstp.throughput) measured: for each cap (8, 100 and 650 Mbit/s, and
# none), one tunnel and 10 tunnels, data in one direction alone (up: to the gateway's UDP
# sink; down: from its UDP source) and both at once (UDP echo), a closed-loop transfer
# (p2sload throughput: a window of packets in flight, the next sent when one is answered, as
# TCP keeps a window) of 1,400-byte IP packets for SECS seconds. One line per run:
#
#   cap_mbit=C tunnels=N dir=up|down|both delivered_mbit=D ratio=R fairness=J [machine_limit]
#
# D counts the IP bytes of the data packets delivered per second (in each direction for
# "both"); R = D / C (uncapped: D / the same run's uncapped figure, 1.00); J is Jain's index
# over the tunnels' delivered bytes (1 = equal shares). "machine_limit" marks a capped run
# whose uncapped twin delivered less than the cap: the ratio then says what the machine can
# do, not what the shaper does. Not a test: numbers vary with the machine's load.
#
# usage: tests/bench/shaper.sh [BUILD_DIR] [SECS]     (default: build, 5)
# environment: LAB_STATE (lab PKI; default BUILD_DIR/test-state, else made here),
#              SHAPER_CAPS (default "0 8 100 650"), SHAPER_TUNNELS (default "1 10"),
#              SHAPER_TLS_LIB (p2sload's TLS: openssl, the default, whose AES-GCM costs
#              the client a fraction of what the gateway spends, or mbedtls)
set -eu -o pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=$(realpath "${1:-$SRC/build}")
SECS=${2:-5}
CAPS=${SHAPER_CAPS:-0 8 100 650}
TUNNELS=${SHAPER_TUNNELS:-1 10}
TLS_LIB=${SHAPER_TLS_LIB:-openssl}
case $TLS_LIB in openssl | mbedtls) ;; *) echo "SHAPER_TLS_LIB must be openssl or mbedtls" >&2; exit 2 ;; esac
case $SECS in '' | *[!0-9]* | 0) echo "SECS must be a positive integer" >&2; exit 2 ;; esac
export P2SGW=$B/server/p2sgw
LOAD=$B/tests/tools/p2sload
for f in "$P2SGW" "$LOAD"; do
	[ -x "$f" ] || { echo "$f is not built: cmake -S . -B $B && cmake --build $B -j2" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/p2sgw-shaper.XXXXXX")
if [ -z "${LAB_STATE:-}" ]; then
	if [ -s "$B/test-state/pki/selfsigned-gateway/root.crt" ]; then
		LAB_STATE=$B/test-state
	else
		LAB_STATE=$WORK/state
		"$P2SGW" pki create --all --state-dir "$LAB_STATE" >"$WORK/pki.log" 2>&1 ||
			{ cat "$WORK/pki.log"; exit 1; }
	fi
fi
export LAB_STATE
export TEST_TMP=$WORK/run
. "$SRC/tests/integration/lib.sh"
CA=$(root_of selfsigned-gateway)
echo "# runs in $TEST_TMP; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ); client TLS $TLS_LIB"

. "$SRC/tests/bench/lib.sh"

declare -A BASE
for cap in $CAPS; do
	if [ "$cap" = 0 ]; then start_gw azure-2018-tls12 P2SGW_SSTP_THROUGHPUT=0
	else start_gw azure-2018-tls12 "P2SGW_SSTP_THROUGHPUT=${cap}Mbit"; fi
	for n in $TUNNELS; do
		for dir in up down both; do
			out=$TEST_TMP/load.$cap.$n.$dir
			timeout $((SECS + 120)) "$LOAD" throughput -n "$n" --dir "$dir" --size 1400 --tls-lib "$TLS_LIB" \
				--window 32 -d "$SECS" --servername "$HOST" --ca "$CA" "127.0.0.1:$PORT" \
				>"$out" 2>"$out.err" || { echo "p2sload failed: $(tail -3 "$out.err")"; continue; }
			d=$(kv data_mbit_s "$out")
			j=$(kv jain_index "$out")
			if [ "$cap" = 0 ]; then
				BASE[$n.$dir]=$d
				printf 'cap_mbit=none tunnels=%s dir=%s delivered_mbit=%s ratio=1.00 fairness=%s\n' \
					"$n" "$dir" "$d" "$j"
				continue
			fi
			r=$(awk -v d="$d" -v c="$cap" 'BEGIN { printf "%.2f", d / c }')
			lim=""
			if [ -n "${BASE[$n.$dir]:-}" ] &&
				awk -v b="${BASE[$n.$dir]}" -v c="$cap" 'BEGIN { exit !(b < c) }'; then
				lim=" machine_limit"
			fi
			printf 'cap_mbit=%s tunnels=%s dir=%s delivered_mbit=%s ratio=%s fairness=%s%s\n' \
				"$cap" "$n" "$dir" "$d" "$r" "$j" "$lim"
		done
	done
	stop_gw >/dev/null
done
