#!/usr/bin/env bash
# gateway.sku presets: `p2sgw check` shows what each SKU expands to (SSTP sessions,
# throughput per direction, RADIUS), values set in the scenario win over the preset and
# are shown as such, Basic refuses RADIUS, and a running gateway caps at the SKU's rate
# (/policy-independent: the tunnel_bytes and the SSTP limit come from the preset).
. "$(dirname "$0")/lib.sh"
: "${P2SLOAD:?path of p2sload}"
D=$TEST_TMP/sc
mkdir -p "$D"

check() { # check FILE: p2sgw check output in $OUT, status in $RC
	OUT=$TEST_TMP/check.out
	RC=0
	P2SGW_SOURCE_DIR=$P2SGW_SOURCE_DIR "$P2SGW" check --scenario "$1" >"$OUT" 2>&1 || RC=$?
}

for row in "Basic 100Mbit refused" "VpnGw1 650Mbit allowed" "VpnGw2 1Gbit allowed" \
	"VpnGw3 1.25Gbit allowed" "VpnGw1AZ 650Mbit allowed" "VpnGw3AZ 1.25Gbit allowed" \
	"VpnGw4 5Gbit allowed" "VpnGw5AZ 10Gbit allowed"; do
	set -- $row
	printf 'base: azure-2018-tls12\ngateway:\n  sku: %s\n' "$1" >"$D/$1.yaml"
	check "$D/$1.yaml"
	if [ "$RC" -eq 0 ] && has "^gateway.sku $1 " && has "^  sstp.max_sessions 128$" &&
		has "^  sstp.throughput $2 in each direction, all tunnels together$" &&
		has "^  RADIUS authentication: $3$"; then
		pass "check shows what $1 expands to ($2, RADIUS $3)"
	else
		fail "check $1: rc=$RC"; cat "$OUT"
	fi
done

# explicit values win, whatever the order, and say so
printf 'base: azure-2018-tls12\nsstp:\n  throughput: 200Mbit\n  max_sessions: 50\ngateway:\n  sku: VpnGw2\n' >"$D/over.yaml"
check "$D/over.yaml"
has '^  sstp.throughput 200Mbit in each direction, all tunnels together \(set in the scenario; VpnGw2 has 1Gbit\)$' &&
	has '^  sstp.max_sessions 50 \(set in the scenario; VpnGw2 has 128\)$' &&
	pass "values set in the scenario override the preset" || { fail "override"; cat "$OUT"; }
OUT=$TEST_TMP/env.out
P2SGW_SSTP_THROUGHPUT=30Mbit "$P2SGW" check --scenario "$D/VpnGw1.yaml" >"$OUT" 2>&1 || true
has '^  sstp.throughput 30Mbit .*\(set in the scenario; VpnGw1 has 650Mbit\)$' &&
	pass "an environment override wins too" || { fail "env override"; cat "$OUT"; }

# Basic refuses RADIUS with Azure's words
printf 'base: azure-2018-tls12\ngateway:\n  sku: Basic\nppp:\n  auth_backend: radius\nradius:\n  servers:\n    - { address: "127.0.0.1:1812", secret: s }\n' >"$D/basic-radius.yaml"
check "$D/basic-radius.yaml"
[ "$RC" -ne 0 ] && has "gateway.sku': the Basic SKU does not support RADIUS" &&
	pass "Basic with RADIUS fails the check" || { fail "Basic + RADIUS: rc=$RC"; cat "$OUT"; }
printf 'gateway:\n  sku: VpnGw9\n' >"$D/bad.yaml"
check "$D/bad.yaml"
[ "$RC" -ne 0 ] && has "unknown gateway SKU 'VpnGw9'|gateway SKU.*VpnGw9" &&
	pass "an unknown SKU is an error naming it" || { fail "VpnGw9: rc=$RC"; cat "$OUT"; }

# a running Basic gateway caps tunnels at 100 Mbit/s in each direction
CA=$(root_of selfsigned-gateway)
start_gw "$D/Basic.yaml"
OUT=$TEST_TMP/load.out
timeout 60 "$P2SLOAD" throughput -n 1 --dir both --size 1400 --window 64 -d 3 \
	--servername "$HOST" --ca "$CA" "127.0.0.1:$PORT" >"$OUT" 2>"$TEST_TMP/load.err" ||
	fail "p2sload exited $?"
d=$(awk '$1 == "data_mbit_s" { print $2 }' "$OUT")
awk -v d="$d" 'BEGIN { exit !(d > 0 && d <= 110) }' &&
	pass "Basic: the tunnel runs at no more than 100 Mbit/s + 10 % ($d Mbit/s)" ||
	{ fail "Basic: $d Mbit/s"; cat "$OUT"; }
stop_gw
finish
