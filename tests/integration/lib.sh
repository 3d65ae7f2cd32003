# Shared helpers for integration tests. Source it; it sets `set -eu`.
# Each test starts the real binary on 127.0.0.1:0, waits for its READY line
# (never a fixed sleep), and drives it with real TLS clients.
set -eu -o pipefail

: "${P2SGW:?path of the p2sgw binary}"
: "${LAB_STATE:?shared lab PKI directory}"
: "${TEST_TMP:=$(mktemp -d)}"
rm -rf "$TEST_TMP"
mkdir -p "$TEST_TMP"
GW_PID=""
FAILS=0
CHECKS=0
HOST=azuregateway-4b7f0c2e-9d1a-4c3b-8e5f-6a2d1c0b9e87.cloudapp.net

log() { printf '# %s\n' "$*"; }

# require TOOL...: each must be on PATH; a missing one fails the test, naming
# the setup command (tests never install anything and never skip silently).
require() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 && continue
		printf 'FAIL: %s is not installed: run "bash tests/setup-debian.sh" (as root) first\n' "$t"
		exit 1
	done
}
require openssl gnutls-cli curl timeout

fail() {
	printf 'FAIL: %s\n' "$*"
	FAILS=$((FAILS + 1))
}

pass() {
	CHECKS=$((CHECKS + 1))
	printf 'ok: %s\n' "$*"
}

cleanup() {
	if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
		kill -KILL "$GW_PID" 2>/dev/null || true
	fi
}
trap cleanup EXIT

# start_gw SCENARIO [VAR=value ...]: start the gateway; sets PORT, CTL, EVENTS
# and CRL (the CRL server's ADDR:PORT, "" when the scenario has none).
start_gw() {
	local scenario=$1
	shift
	GW_N=$(( ${GW_N:-0} + 1 ))
	EVENTS=$TEST_TMP/events.$GW_N.jsonl
	GW_ERR=$TEST_TMP/stderr.$GW_N.log
	env "$@" "$P2SGW" serve --scenario "$scenario" --listen 127.0.0.1:0 \
		--control 127.0.0.1:0 --state-dir "$LAB_STATE" >"$EVENTS" 2>"$GW_ERR" &
	GW_PID=$!
	local i
	for i in $(seq 1 600); do
		if grep -q '^READY ' "$EVENTS" 2>/dev/null; then
			local line
			line=$(grep '^READY ' "$EVENTS")
			PORT=${line#*listen=127.0.0.1:}
			PORT=${PORT%% *}
			CTL=${line#*control=}
			CTL=${CTL%% *}
			CRL=""
			case "$line" in *" crl="*) CRL=${line#* crl=}; CRL=${CRL%% *} ;; esac
			return 0
		fi
		if ! kill -0 "$GW_PID" 2>/dev/null; then
			cat "$GW_ERR"
			fail "gateway exited before READY (scenario $scenario)"
			exit 1
		fi
		sleep 0.05
	done
	fail "no READY line within 30 s"
	exit 1
}

# stop_gw: SIGTERM, expect exit 0 and a clean stderr (no sanitizer report).
stop_gw() {
	kill -TERM "$GW_PID"
	local rc=0
	wait "$GW_PID" || rc=$?
	GW_PID=""
	[ "$rc" -eq 0 ] && pass "gateway stopped with status 0" || fail "gateway exit status $rc"
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$GW_ERR"; then
		cat "$GW_ERR"
		fail "sanitizer report in gateway stderr"
	fi
	grep -q '"event":"stop"' "$EVENTS" && pass "stop event logged" || fail "no stop event"
}

# wait_event REGEX [SECONDS]: wait until the event log has a matching line.
wait_event() {
	local re=$1 secs=${2:-10} i
	for i in $(seq 1 $((secs * 20))); do
		grep -qE -- "$re" "$EVENTS" && return 0
		sleep 0.05
	done
	return 1
}

# wait_count REGEX N [SECONDS]: wait until the event log has N matching lines
# (events reach the log asynchronously, a few milliseconds after the fact).
wait_count() {
	local re=$1 n=$2 secs=${3:-10} i
	for i in $(seq 1 $((secs * 20))); do
		[ "$(grep -cE -- "$re" "$EVENTS" || true)" -ge "$n" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_settled [SECONDS]: wait until every accepted connection has its close
# event, so that the events of the connections so far are all in the log.
wait_settled() {
	local secs=${1:-10} i
	for i in $(seq 1 $((secs * 20))); do
		[ "$(grep -c '"event":"accept"' "$EVENTS" || true)" = "$(grep -c '"event":"close"' "$EVENTS" || true)" ] \
			&& return 0
		sleep 0.05
	done
	return 1
}

expect_event() {
	if wait_event "$1" "${3:-10}"; then pass "$2"; else
		fail "$2: no event matching $1"; tail -5 "$EVENTS"; fi
}

# last close event for the most recent connection
close_events() { grep '"event":"close"' "$EVENTS" || true; }

root_of() { echo "$LAB_STATE/pki/$1/root.crt"; }

# served_chain: the chain the gateway serves, as srv1.pem (leaf), srv2.pem ... in $TEST_TMP
served_chain() {
	rm -f "$TEST_TMP"/srv*.pem
	(cd "$TEST_TMP" && openssl s_client -connect "127.0.0.1:$PORT" -servername "$HOST" -showcerts \
		</dev/null 2>/dev/null | awk '/BEGIN CERT/{n++; f="srv" n ".pem"} f{print > f} /END CERT/{f=""}')
}

# ossl ARGS...: openssl s_client against the gateway; output in $OUT, status in $RC
ossl() {
	OUT=$TEST_TMP/ossl.out
	RC=0
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 openssl s_client -ign_eof -connect "127.0.0.1:$PORT" \
		-servername "$HOST" "$@" >"$OUT" 2>&1 || RC=$?
}

# gnutls ARGS...: gnutls-cli against the gateway; output in $OUT, status in $RC
gnutls() {
	OUT=$TEST_TMP/gnutls.out
	RC=0
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 gnutls-cli -p "$PORT" "$@" 127.0.0.1 \
		>"$OUT" 2>&1 || RC=$?
}

has() { grep -qE -- "$1" "$OUT"; }

# throughput ARGS...: p2sload throughput through the gateway (needs $P2SLOAD); its
# "key value" lines in $OUT, its status in $RC. kv KEY: a value of $OUT.
throughput() {
	OUT=$TEST_TMP/throughput.out
	RC=0
	timeout 90 "$P2SLOAD" throughput "$@" --servername "$HOST" \
		--ca "$(root_of selfsigned-gateway)" "127.0.0.1:$PORT" >"$OUT" \
		2>"$TEST_TMP/throughput.err" || RC=$?
}
kv() { awk -v k="$1" '$1 == k { print $2; exit }' "$OUT"; }

check_out() {
	if has "$1"; then pass "$2"; else fail "$2: output lacks /$1/"; sed 's/^/    /' "$OUT" | tail -15; fi
}

finish() {
	if [ "$FAILS" -ne 0 ]; then
		echo "$CHECKS passed, $FAILS failed"
		exit 1
	fi
	[ "$CHECKS" -gt 0 ] || { echo "no checks ran"; exit 1; }
	echo "$CHECKS checks passed"
	exit 0
}
