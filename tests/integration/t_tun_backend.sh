#!/usr/bin/env bash
# network.backend: tun. The gateway and the client run in a network
# namespace of their own; the client's pings go through the tunnel to a TUN
# device and are answered by the namespace's kernel (real IP traffic).
. "$(dirname "$0")/lib.sh"
: "${P2S_CLIENT:?}"
require ip
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	# a developer's unprivileged run may skip; CI (root, as the README's command runs) may not
	[ -z "${CI:-}" ] || { fail "needs root and /dev/net/tun (CI runs as root)"; finish; }
	echo "needs root and /dev/net/tun: skipped"
	exit 77
fi
NS=p2sgw-tun-$$
ip netns add "$NS"
trap 'cleanup; ip netns del "$NS" 2>/dev/null || true' EXIT
ip -n "$NS" link set lo up
P2SGW_REAL=$P2SGW
# start_gw runs "$P2SGW": a wrapper that enters the namespace
cat >"$TEST_TMP/p2sgw-ns" <<SH
#!/bin/sh
exec ip netns exec $NS $P2SGW_REAL "\$@"
SH
chmod +x "$TEST_TMP/p2sgw-ns"
P2SGW=$TEST_TMP/p2sgw-ns
start_gw azure-2018-tls12 P2SGW_NETWORK_BACKEND=tun P2SGW_NETWORK_TUN_NAME=p2sgw-t0
ip -n "$NS" -4 addr show dev p2sgw-t0 | grep -q 'inet 172.16.201.1/24' \
	&& pass "TUN device p2sgw-t0 has the gateway address and the pool netmask" || fail "tun address: $(ip -n "$NS" addr show p2sgw-t0)"
OUT=$TEST_TMP/client.out
RC=0
timeout 60 ip netns exec "$NS" "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" \
	--ca "$(root_of selfsigned-gateway)" --user p2s-user --password p2s-password \
	--ping 172.16.201.1 >"$OUT" 2>&1 || RC=$?
[ "$RC" -eq 0 ] && pass "client tunnel up and its ping answered (exit 0)" || { fail "client exit $RC"; tail -6 "$OUT"; }
check_out '^ping 172\.16\.201\.1: reply \(3/3\)' "the namespace's kernel answered through the TUN device"
expect_event '"event":"tunnel_stats".*"packets_in":[1-9].*"packets_out":[1-9]' "packets both ways counted"
stop_gw
finish
