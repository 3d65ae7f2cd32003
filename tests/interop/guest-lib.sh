# Shared helpers for the guest test scripts; run-guest.sh puts this file at /guest-lib.sh.
# Sourced by busybox sh inside the guest. Parameters (exported by run-guest.sh):
#   P2SGW_PORT        gateway port on the host's loopback (required)
#   P2SGW_HOST        gateway address as the guest sees it (default 10.0.2.2 = host loopback)
#   P2SGW_USER, P2SGW_PASSWORD   credentials
#   P2SGW_CA          guest path of the CA certificate (e.g. /ca.pem); empty -> --cert-warn
#   P2SGW_CERT_WARN   1: pass --cert-warn even with a CA; default 0: with a CA, sstpc
#                     verifies the chain strictly (checked: works when dialing 10.0.2.2)
#   P2SGW_SSTPC_ARGS  extra sstpc options (e.g. "--tls-ext --host gw.example")
#   P2SGW_PPP_EXTRA   extra pppd options, one line each, separated by ';' (e.g. "noccp;novj")
#   P2SGW_PING        addresses of the virtual network to ping through ppp0 (space separated);
#                     the PPP peer address is always pinged
#   P2SGW_UP_TIMEOUT  seconds to wait for ppp0 to get an address (default 30)
#   P2SGW_HOLD        seconds to keep the tunnel up after the pings (default 0)
#   P2SGW_TERMINATE   pppd (default) or sstpc: which process gets SIGTERM to end the session

P2SGW_HOST=${P2SGW_HOST:-10.0.2.2}
P2SGW_UP_TIMEOUT=${P2SGW_UP_TIMEOUT:-30}
P2SGW_HOLD=${P2SGW_HOLD:-0}
P2SGW_TERMINATE=${P2SGW_TERMINATE:-pppd}
P2SGW_CERT_WARN=${P2SGW_CERT_WARN:-0}
SSTPC_LOG=/tmp/sstpc.log
PPPD_LOG=/tmp/pppd.log
PPP_OPTS=/etc/ppp/p2sgw.options

step() { echo "=== STEP $*"; }
now() { cut -d' ' -f1 /proc/uptime; }

[ -n "$P2SGW_PORT" ] || { echo "P2SGW_PORT is not set"; exit 2; }

# pppd options for a client of a gateway that offers MS-CHAPv2 and Protocol-Rejects CCP.
# - refuse-* except MS-CHAPv2: the only method we agree to authenticate with (the gateway
#   may offer EAP first; pppd then NAKs with MS-CHAPv2);
# - NO require-mschap-v2 / require-mppe: those ask the *gateway* to authenticate to us /
#   make a CCP reject fatal; with neither, a Protocol-Reject of CCP just closes CCP;
# - nodefaultroute: ppp0 must not take the route to the gateway itself; noipdefault: the
#   gateway assigns our address; usepeerdns: ask for DNS (RFC 1877);
# - unit 0 -> ppp0; logfile: pppd's messages, printed on the console at the end.
# Given to pppd as one "file" argument: sstpc 1.0.18 builds pppd's argv in a fixed array
# of 20 slots and does not check for overflow, so long option lists must not go on its
# command line.
write_ppp_options() {
	cat >"$PPP_OPTS" <<EOF
noauth
refuse-eap
refuse-pap
refuse-chap
refuse-mschap
nobsdcomp
nodeflate
nodefaultroute
noipdefault
usepeerdns
unit 0
debug
logfile $PPPD_LOG
EOF
	if [ -n "$P2SGW_PPP_EXTRA" ]; then
		echo "$P2SGW_PPP_EXTRA" | tr ';' '\n' >>"$PPP_OPTS"
	fi
	echo "--- $PPP_OPTS:"
	cat "$PPP_OPTS"
}

sstpc_cert_args() {
	r=""
	if [ -n "$P2SGW_CA" ]; then
		r="--ca-cert $P2SGW_CA"
		[ "$P2SGW_CERT_WARN" = 1 ] && r="$r --cert-warn"
	else
		r="--cert-warn"
	fi
	echo "$r $P2SGW_SSTPC_ARGS"
}

# start_sstpc ARGS...: runs /usr/sbin/sstpc ARGS in the background, output to $SSTPC_LOG.
start_sstpc() {
	: >"$SSTPC_LOG"
	echo "--- sstpc $(echo "$*" | sed "s/--password [^ ]*/--password ***/; s/ password [^ ]*/ password ***/")"
	/usr/sbin/sstpc "$@" >"$SSTPC_LOG" 2>&1 &
	SSTPC_PID=$!
	step "sstpc started pid=$SSTPC_PID t=$(now)"
}

pppd_pid() { cat /var/run/ppp0.pid 2>/dev/null || pidof pppd 2>/dev/null | cut -d' ' -f1; }
sstpc_alive() { kill -0 "$SSTPC_PID" 2>/dev/null; }

# wait_ppp_up: waits until ppp0 has an IPv4 address; sets LOCAL_ADDR, PEER_ADDR. rc 1 on
# timeout or if sstpc exited first.
wait_ppp_up() {
	i=0
	while [ "$i" -lt $((P2SGW_UP_TIMEOUT * 5)) ]; do
		line=$(ip -4 addr show dev ppp0 2>/dev/null | grep ' inet ')
		if [ -n "$line" ]; then
			LOCAL_ADDR=$(echo "$line" | sed -n 's/.*inet \([0-9.]*\).*/\1/p')
			PEER_ADDR=$(echo "$line" | sed -n 's/.*peer \([0-9.]*\).*/\1/p')
			step "ppp0-up local=$LOCAL_ADDR peer=$PEER_ADDR t=$(now)"
			return 0
		fi
		if ! sstpc_alive; then
			wait "$SSTPC_PID"
			SSTPC_RC=$?
			step "sstpc-exited-early rc=$SSTPC_RC t=$(now)"
			return 1
		fi
		sleep 0.2
		i=$((i + 1))
	done
	step "ppp0-timeout after ${P2SGW_UP_TIMEOUT}s"
	return 1
}

# ping_through ADDR: 3 pings via ppp0 (a host route is added first, so the packet can only
# go through the tunnel; there is no default route in the guest).
ping_through() {
	a=$1
	if [ "$a" != "$PEER_ADDR" ]; then
		ip route replace "$a/32" dev ppp0 || { step "ping $a FAIL (no route via ppp0)"; return 1; }
	fi
	if ping -c 3 -W 2 -I ppp0 "$a"; then
		step "ping $a ok"
		return 0
	fi
	step "ping $a FAIL"
	return 1
}

# terminate: SIGTERM to pppd (or sstpc), then waits up to 10 s for sstpc to exit.
# Sets SSTPC_RC; rc 1 if sstpc did not exit.
terminate() {
	if [ "$P2SGW_TERMINATE" = sstpc ]; then
		step "terminate: SIGTERM sstpc pid=$SSTPC_PID t=$(now)"
		kill -TERM "$SSTPC_PID" 2>/dev/null
	else
		p=$(pppd_pid)
		step "terminate: SIGTERM pppd pid=${p:-none} t=$(now)"
		[ -n "$p" ] && kill -TERM "$p"
	fi
	i=0
	while sstpc_alive && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
	if sstpc_alive; then
		step "terminate: sstpc still running after 10 s, SIGKILL"
		kill -KILL "$SSTPC_PID" 2>/dev/null
		wait "$SSTPC_PID" 2>/dev/null
		SSTPC_RC=137
		return 1
	fi
	wait "$SSTPC_PID"
	SSTPC_RC=$?
	step "terminated sstpc rc=$SSTPC_RC t=$(now)"
	return 0
}

dump_logs() {
	echo "=== SSTPC LOG BEGIN"
	cat "$SSTPC_LOG" 2>/dev/null
	echo "=== SSTPC LOG END"
	echo "=== PPPD LOG BEGIN"
	# pppd (plugin mode) may have truncated its log by the end: show the copy taken
	# before the termination as well.
	if [ -s /tmp/pppd-before-terminate.log ]; then
		cat /tmp/pppd-before-terminate.log
		echo "--- (after terminate)"
	fi
	cat "$PPPD_LOG" 2>/dev/null
	echo "=== PPPD LOG END"
}

# run_tunnel_test: the common body of the two "happy path" tests once sstpc is started.
run_tunnel_test() {
	fail=0
	if wait_ppp_up; then
		ip addr show ppp0
		ping_through "$PEER_ADDR" || fail=1
		for a in $P2SGW_PING; do ping_through "$a" || fail=1; done
		[ "$P2SGW_HOLD" -gt 0 ] 2>/dev/null && { step "holding ${P2SGW_HOLD}s"; sleep "$P2SGW_HOLD"; }
		cat /etc/ppp/resolv.conf 2>/dev/null | sed 's/^/resolv.conf: /'
		cp "$PPPD_LOG" /tmp/pppd-before-terminate.log 2>/dev/null
		terminate || fail=1
	else
		fail=1
		sstpc_alive && terminate
	fi
	dump_logs
	return $fail
}
