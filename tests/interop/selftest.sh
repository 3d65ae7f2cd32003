#!/usr/bin/env bash
# Self-test of the interop harness, independent of p2sgw's SSTP/PPP code:
#   1. guest-tls-probe.sh against `p2sgw serve` (today: TLS ok, 503 to SSTP_DUPLEX_POST)
#      -- asserts the guest log AND p2sgw's http_request event;
#   2. the three guest tests against fake-sstp-gw.py (a lax stand-in gateway).
# Usage: selftest.sh P2SGW_BINARY [STATE_DIR]
# Prints "N passed, N failed"; exit 0 only if all passed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: selftest.sh P2SGW_BINARY [STATE_DIR]}
state=${2:-$(mktemp -d "${TMPDIR:-/tmp}/p2sgw-iop-state.XXXXXX")}
work=$(mktemp -d "${TMPDIR:-/tmp}/p2sgw-iop-selftest.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0
ok() { echo "PASS: $*"; passed=$((passed + 1)); }
ko() { echo "FAIL: $*"; failed=$((failed + 1)); }

"$here/build-guest.sh" >/dev/null || { echo "build-guest.sh failed"; echo "0 passed, 1 failed"; exit 1; }
"$bin" pki create --state-dir "$state" >/dev/null || { echo "pki create failed"; echo "0 passed, 1 failed"; exit 1; }
pki="$state/pki/selfsigned-gateway"
chain=$(ls "$pki"/chain-valid-*.pem | head -1)
key=$(ls "$pki"/leaf-*.key | head -1)

# wait_ready FILE: prints the port from "READY port=N" / "READY listen=ADDR:N"
wait_ready() {
	for _ in $(seq 100); do
		p=$(sed -n 's/^READY port=\([0-9]*\).*/\1/p; s/^READY listen=[^ ]*:\([0-9]*\) .*/\1/p' "$1" | head -1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.1
	done
	return 1
}

# 1. probe against p2sgw serve
"$bin" serve --listen 127.0.0.1:0 --control 127.0.0.1:0 --state-dir "$state" --log-format json \
	>"$work/gw.out" 2>"$work/gw.err" &
pids+=($!)
port=$(wait_ready "$work/gw.out") || { ko "p2sgw serve did not print READY"; port=""; }
if [ -n "$port" ]; then
	P2SGW_PORT=$port P2SGW_CA=/ca.pem P2SGW_PROBE_SECS=10 "$here/run-guest.sh" -t 90 \
		-o "$work/probe.log" "$here/guest-tls-probe.sh" "$pki/root.crt:/ca.pem" >/dev/null 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q 'Connected to 10.0.2.2' "$work/probe.log" &&
		grep -q 'Expected HTTP code 200' "$work/probe.log" &&
		grep -q '"event":"http_request".*"method":"SSTP_DUPLEX_POST".*"target":"/sra_{' "$work/gw.out"; then
		ok "sstpc in the guest reached p2sgw over TLS and sent SSTP_DUPLEX_POST (503 today)"
	else
		ko "probe against p2sgw (run-guest rc=$rc)"; tail -30 "$work/probe.log"; tail -5 "$work/gw.out"
	fi
fi

# 2. guest tests against the fake gateway
run_fake() { # name script password expect-auth-ok
	local name=$1 script=$2 pw=$3
	python3 "$here/fake-sstp-gw.py" --cert "$chain" --key "$key" --user alice --password 'Passw0rd!' \
		--timeout 100 >"$work/fake-$name.out" 2>&1 &
	pids+=($!)
	local fport
	fport=$(wait_ready "$work/fake-$name.out") || { ko "$name: fake gateway did not start"; return; }
	P2SGW_PORT=$fport P2SGW_USER=alice P2SGW_PASSWORD=$pw P2SGW_CA=/ca.pem P2SGW_PING=10.1.0.4 \
		P2SGW_UP_TIMEOUT=20 "$here/run-guest.sh" -t 100 -o "$work/$name.log" "$here/$script" \
		"$pki/root.crt:/ca.pem" >/dev/null 2>&1
	local rc=$?
	if [ $rc = 0 ]; then ok "$name ($script)"; else ko "$name ($script) rc=$rc"; tail -40 "$work/$name.log"; cat "$work/fake-$name.out"; fi
}
run_fake password guest-mschapv2-password.sh 'Passw0rd!'
run_fake plugin guest-mschapv2-plugin.sh 'Passw0rd!'
run_fake wrongpw guest-wrong-password.sh 'not-the-password'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
