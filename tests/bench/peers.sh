#!/usr/bin/env bash
# Peer benchmark (not part of the test suite): p2sgw next to SoftEther VPN
# Server (Debian's softether-vpnserver, SSTP + PPP) and, for the TLS-only
# figures, nginx (stream module terminating TLS to a local sink). Every server
# gets the same certificate, key, TLS 1.2 suite and user as p2sgw; the one
# client is p2sload. Prints the figures of each server and p2sgw/softether
# (and p2sgw/nginx) ratios:
#   1. full TLS handshakes per server CPU second
#   2. resumed TLS handshakes per server CPU second
#   3. SSTP+PPP sessions per second (and per server CPU second)
#   4. memory per session (VmRSS delta / sessions) at 1,000 and 10,000 sessions
#   5. one-tunnel throughput (ICMP echo through the tunnel)
# For each figure the servers take turns (p2sgw, softether[, nginx], p2sgw,
# softether[, nginx], ...), PEERS_ROUNDS turns each, a fresh server every turn;
# a figure is the mean of its turns. Server on CPU 0, p2sload on CPU 1 (as in
# tests/bench/bench.sh); p2sgw runs one worker.
#
# usage: tests/bench/peers.sh [BUILD_DIR]          (default: build)
# environment:
#   PEERS_SECONDS   length of each load phase and of each hold, default 5
#   PEERS_ROUNDS    turns of each server per figure, default 2
#   PEERS_SESSIONS  concurrent-session counts of figure 4, default "1000 10000"
#   PEERS_MEM_CONCURRENCY  sessions set up at once in figure 4, default 64
#                   (SoftEther's DHCP through SecureNAT times out at 256)
#   PEERS_SETUP_LIMIT  seconds to start figure 4's sessions, default 60: a server
#                   slower than that is measured with the sessions it has by then
#   PEERS_FIGURES   which figures to run, default "1 2 3 4 5"
#   PEERS_SERVERS   which servers to run, default "p2sgw softether nginx"
#   PEERS_KEEP=1    keep the scratch directory (servers' logs and configurations)
#   PEERS_VPNSERVER the vpnserver binary to run; default BUILD_DIR/peers/softether/
#                   vpnserver when tests/bench/peers/softether-build.sh made it,
#                   else Debian's (whose SSTP does not answer: see below)
#
# SoftEther runs from a scratch directory: its binary copied there, next to
# the link to Debian's hamcore.se2. Debian builds it with /var/lib/softether,
# /var/log/softether and /run/softether compiled in, so it runs in a private
# mount namespace (unshare -m; unshare -r -m when not root) where the scratch
# directory is mounted on those three: the system's directories and service
# are never touched. Its configuration (tests/bench/peers/vpn_server.config)
# has one TCP listener on 127.0.0.1 (ListenIP) and a port this script picks,
# no UDP ports, no DDNS, keep-alive, NAT traversal or VPN Azure; it is checked
# to listen on loopback only. The certificate, key and user are set with
# vpncmd, and the user's policy PrivacyFilter (P2S clients do not see one
# another: without it every client's DHCP broadcast goes to every session and
# SoftEther's DHCP times out from a few hundred sessions on). Clients get
# addresses from SecureNAT's DHCP server (NAT off). SoftEther answers no SSTP
# ECHO_REQUEST, so the holds of figure 4 use PPP LCP echo (p2sload --echo lcp)
# on both servers; figure 5 pings SecureNAT's host, and p2sgw's responder.
#
# needs (installs nothing): p2sgw and p2sload built; Debian packages
# softether-vpnserver softether-vpncmd (and their softether-common), nginx
# libnginx-mod-stream; tools of util-linux (unshare, taskset) and iproute2 (ss).
#
# Debian's softether-vpnserver 5.01.9674+git20200806+8181039 never answers an
# SSTP_DUPLEX_POST (a bug of upstream PR #1177, fixed by upstream PR #1249: no
# configuration works around it); tests/bench/peers/softether-build.sh builds
# the same source with that fix. With Debian's binary the SSTP figures of
# SoftEther are skipped and said so.
set -eu -o pipefail
cd "$(dirname "$0")/../.."
SRC=$(pwd)
B=$(realpath "${1:-build}")
P2SGW=$B/server/p2sgw
LOAD=$B/tests/tools/p2sload
SCEN=$SRC/tests/bench/bench.yaml
. "$SRC/tests/bench/lib.sh"
SE_CONF=$SRC/tests/bench/peers/vpn_server.config
SECS=${PEERS_SECONDS:-5}
ROUNDS=${PEERS_ROUNDS:-2}
MEMSESS=${PEERS_SESSIONS:-1000 10000}
MEMCONC=${PEERS_MEM_CONCURRENCY:-64}
SETUPCAP=${PEERS_SETUP_LIMIT:-60}
FIGURES=" ${PEERS_FIGURES:-1 2 3 4 5} "
fig() { case $FIGURES in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
case $SECS in '' | *[!0-9]* | 0) echo "PEERS_SECONDS must be a positive integer" >&2; exit 2 ;; esac
case $ROUNDS in '' | *[!0-9]* | 0) echo "PEERS_ROUNDS must be a positive integer" >&2; exit 2 ;; esac
case $MEMCONC in '' | *[!0-9]* | 0) echo "PEERS_MEM_CONCURRENCY must be a positive integer" >&2; exit 2 ;; esac
case $SETUPCAP in '' | *[!0-9]* | 0) echo "PEERS_SETUP_LIMIT must be a positive integer" >&2; exit 2 ;; esac
for n in $MEMSESS; do
	case $n in *[!0-9]* | 0) echo "PEERS_SESSIONS must be positive integers" >&2; exit 2 ;; esac
done
ECDHE=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
OSSL_SUITE=ECDHE-RSA-AES256-GCM-SHA384
SOURCES=127.0.0.2-250
TCK=$(getconf CLK_TCK)
SE_TARGET=172.16.0.1    # SecureNAT's virtual host (vpn_server.config)
GW_TARGET=10.1.0.4      # p2sgw's responder (p2sload's default target)

# ---- tools -------------------------------------------------------------------

echo "== tools"
fatal=0
if [ -x "$P2SGW" ]; then echo "p2sgw $P2SGW"; else
	echo "MISSING p2sgw: $P2SGW (cmake -S . -B $B && cmake --build $B -j2)"
	fatal=1
fi
if [ -x "$LOAD" ]; then echo "p2sload $LOAD"; else
	echo "MISSING p2sload: $LOAD (cmake --build $B -j2 --target p2sload)"
	fatal=1
fi
[ $fatal = 0 ] || exit 1
missing_pkgs=""
HAVE_SE=1 SE_WHY=""
VPNCMD=/usr/libexec/softether/vpncmd/vpncmd
HAMCORE=/usr/share/softether-common/hamcore.se2
SE_DEB=/usr/libexec/softether/vpnserver/vpnserver
if [ -n "${PEERS_VPNSERVER:-}" ]; then
	SE_BIN=$PEERS_VPNSERVER
elif [ -x "$B/peers/softether/vpnserver" ]; then
	SE_BIN=$B/peers/softether/vpnserver
else
	SE_BIN=$SE_DEB
fi
if [ ! -x "$SE_BIN" ]; then
	HAVE_SE=0 SE_WHY="no vpnserver ($SE_BIN)"
	missing_pkgs="$missing_pkgs softether-vpnserver"
fi
if [ ! -x "$VPNCMD" ]; then
	HAVE_SE=0 SE_WHY="${SE_WHY:+$SE_WHY; }no vpncmd ($VPNCMD)"
	missing_pkgs="$missing_pkgs softether-vpncmd"
fi
if [ ! -f "$HAMCORE" ]; then
	HAVE_SE=0 SE_WHY="${SE_WHY:+$SE_WHY; }no hamcore.se2 ($HAMCORE)"
	missing_pkgs="$missing_pkgs softether-common"
fi
# the private mount namespace of SoftEther
if [ "$(id -u)" = 0 ]; then UNSHARE="unshare -m --propagation private"; else UNSHARE="unshare -r -m --propagation private"; fi
if [ $HAVE_SE = 1 ] && ! $UNSHARE sh -c 'mount -t tmpfs -o size=64k tmpfs /mnt' 2>/dev/null; then
	HAVE_SE=0 SE_WHY="cannot make a private mount namespace ($UNSHARE: run as root or allow user namespaces)"
fi
if [ $HAVE_SE = 1 ]; then
	echo "softether vpnserver $SE_BIN ($(cat "$(dirname "$SE_BIN")/VERSION" 2>/dev/null || echo "Debian's binary"))"
	echo "softether vpncmd $VPNCMD"
else
	echo "MISSING softether: $SE_WHY"
fi
HAVE_NGINX=1 NGX_MOD=""
for m in /usr/lib/nginx/modules/ngx_stream_module.so /usr/share/nginx/modules/ngx_stream_module.so; do
	[ -f "$m" ] && NGX_MOD=$m && break
done
if ! command -v nginx >/dev/null; then
	HAVE_NGINX=0
	missing_pkgs="$missing_pkgs nginx libnginx-mod-stream"
	echo "MISSING nginx (the TLS-only reference)"
elif [ -z "$NGX_MOD" ] && ! nginx -V 2>&1 | grep -q -- '--with-stream\( \|$\)'; then
	HAVE_NGINX=0
	missing_pkgs="$missing_pkgs libnginx-mod-stream"
	echo "MISSING nginx stream module (ngx_stream_module.so)"
else
	echo "nginx $(command -v nginx) stream ${NGX_MOD:-built in}"
fi
for t in taskset ss unshare mount; do
	command -v $t >/dev/null || { echo "MISSING $t"; exit 1; }
done
[ -n "$missing_pkgs" ] && echo "missing Debian packages:$missing_pkgs (this script installs nothing)"
[ $HAVE_SE = 1 ] || [ $HAVE_NGINX = 1 ] || { echo "no peer to measure against"; exit 1; }

T=$(mktemp -d)
GW="" SE="" SEW="" NG="" BG=""
cleanup() {
	[ -n "$BG" ] && kill_tree "$BG"
	[ -n "$GW" ] && gw_stop
	[ -n "$SE" ] && se_stop
	[ -n "$NG" ] && ng_stop
	wait 2>/dev/null || true
	if [ -n "${PEERS_KEEP:-}" ]; then echo "scratch directory kept: $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---- helpers -------------------------------------------------------------------

# CPU seconds and threads of a server that may have gone: 0
cpu_of() { cpu_s "$1" 2>/dev/null || echo 0; }
threads_of() { threads "$1" 2>/dev/null || echo 0; }
mean() { awk '{ s += $1; n++ } END { if (n) printf "%.1f", s / n; else print "n/a" }'; }
ratio() { if [ "$1" = n/a ] || [ "$2" = n/a ]; then echo n/a; else calc %.2f "$2 > 0 ? $1 / $2 : 0"; fi; }
# pick_port: a free TCP port on 127.0.0.1 (servers that cannot bind port 0 and say which)
pick_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		[ -z "$(ss -Hltn "sport = :$p")" ] && { echo $p; return; }
	done
}
# listening PID PORT: process PID listens on PORT
listening() { ss -Hltnp "sport = :$2" 2>/dev/null | grep -q "pid=$1,"; }

# the p2sload commands, printed once per figure
declare -A SHOWN=()
show_cmd() {
	local k=$1
	shift
	[ -n "${SHOWN[$k]:-}" ] && return
	SHOWN[$k]=1
	echo "cmd: $*"
}

# ---- servers ----------------------------------------------------------------------

GWN=0
# gw_start: p2sgw, one worker, CPU 0; sets GW PORT SPID (the PID to measure)
gw_start() {
	local ev
	GWN=$((GWN + 1))
	ev=$T/gw.$GWN
	P2SGW_WORKERS=1 taskset -c 0 "$P2SGW" serve --scenario "$SCEN" --listen 127.0.0.1:0 \
		--control 127.0.0.1:0 --state-dir "$T/gwstate" >"$ev" 2>"$ev.err" &
	GW=$!
	until grep -q '^READY' "$ev" 2>/dev/null; do
		kill -0 "$GW" 2>/dev/null || { echo "p2sgw did not start:" >&2; cat "$ev.err" >&2; exit 1; }
		sleep 0.01
	done
	PORT=$(sed -n 's/^READY listen=127.0.0.1:\([0-9]*\).*/\1/p' "$ev")
	SPID=$GW
	show_cmd gw "P2SGW_WORKERS=1 taskset -c 0 $P2SGW serve --scenario $SCEN --listen 127.0.0.1:0" \
		"--control 127.0.0.1:0 --state-dir DIR  (port from its READY line)"
}
gw_stop() { kill -TERM "$GW" 2>/dev/null || true; wait "$GW" 2>/dev/null || true; GW=""; }

SEN=0
# se_start: SoftEther vpnserver on CPU 0 from a fresh scratch directory; sets SE
# (the watchdog execsvc starts first), SEW (the server process it forks), PORT, SPID
se_start() {
	local d port try
	SEN=$((SEN + 1))
	d=$T/se.$SEN
	mkdir -p "$d/db" "$d/log" "$d/run"
	cp "$SE_BIN" "$d/vpnserver"
	ln -s "$HAMCORE" "$d/hamcore.se2"
	# ns.sh CMD...: CMD with the scratch directory on SoftEther's three directories
	cat >"$d/ns.sh" <<-EOF
		#!/bin/sh
		set -e
		for m in /var/lib:db /var/log:log /run:run; do
			mount -t tmpfs -o size=1m,mode=755 tmpfs "\${m%%:*}"
			mkdir "\${m%%:*}/softether"
			mount --bind "$d/\${m#*:}" "\${m%%:*}/softether"
		done
		exec "\$@"
	EOF
	chmod +x "$d/ns.sh"
	for try in 1 2 3 4 5; do
		port=$(pick_port)
		sed -e "s/@PORT@/$port/" -e "s/@CIPHER@/$OSSL_SUITE/" "$SE_CONF" >"$d/db/vpn_server.config"
		(cd "$d" && exec taskset -c 0 $UNSHARE ./ns.sh ./vpnserver execsvc) >"$d/out" 2>&1 &
		SE=$!
		SEW=""
		for _ in $(seq 1000); do
			[ -z "$SEW" ] && SEW=$(ps -o pid= --ppid "$SE" 2>/dev/null | head -1 | tr -d ' ' || true)
			[ -n "$SEW" ] && listening "$SEW" "$port" && break
			kill -0 "$SE" 2>/dev/null || break
			sleep 0.01
		done
		if [ -n "$SEW" ] && listening "$SEW" "$port"; then break; fi
		se_stop
		[ "$try" = 5 ] && { echo "softether did not start:" >&2; cat "$d/out" >&2; tail "$d"/log/server_log/*.log >&2 || true; exit 1; }
	done
	PORT=$port SPID=$SEW
	# loopback only, or stop here
	if ss -Htulnp 2>/dev/null | grep -E "pid=($SE|$SEW)," | awk '{ print $5 }' | grep -qv '^127\.0\.0\.1:'; then
		echo "softether listens beyond 127.0.0.1:" >&2
		ss -Htulnp | grep -E "pid=($SE|$SEW)," >&2
		exit 1
	fi
	cat >"$d/vpncmd.in" <<-EOF
		ServerCertSet /LOADCERT:$CHAIN /LOADKEY:$KEY
		Hub DEFAULT
		UserCreate p2s-user /GROUP:none /REALNAME:none /NOTE:none
		UserPasswordSet p2s-user /PASSWORD:p2s-password
		UserPolicySet p2s-user /NAME:PrivacyFilter /VALUE:yes
	EOF
	(cd "$d" && $UNSHARE ./ns.sh "$VPNCMD" "127.0.0.1:$port" /SERVER "/IN:$d/vpncmd.in") >"$d/vpncmd.out" 2>&1 ||
		{ echo "vpncmd failed:" >&2; cat "$d/vpncmd.out" >&2; exit 1; }
	[ "$(grep -c 'The command completed successfully' "$d/vpncmd.out")" = 5 ] ||
		{ echo "vpncmd failed:" >&2; cat "$d/vpncmd.out" >&2; exit 1; }
	show_cmd se "cd SCRATCH && taskset -c 0 $UNSHARE ./ns.sh ./vpnserver execsvc" \
		"(ns.sh mounts a tmpfs on /var/lib, /var/log and /run, binds SCRATCH/db, log, run on their softether/);" \
		"(SCRATCH/db/vpn_server.config from $SE_CONF, port picked by this script);" \
		"$VPNCMD 127.0.0.1:PORT /SERVER /IN:FILE with: $(tr '\n' ';' <"$d/vpncmd.in")"
}
se_stop() {
	local p
	if [ -n "$SEW" ] && ! kill -0 "$SEW" 2>/dev/null; then
		echo "note: softether's server process $SEW had ended before the stop (crash? its watchdog restarts it);" \
			"its last log lines: $(tail -2 "$T/se.$SEN"/log/server_log/*.log 2>/dev/null | cut -c1-160 | tr '\n' ' ')"
	fi
	for p in $SE $SEW; do kill -TERM "$p" 2>/dev/null || true; done
	for _ in $(seq 300); do
		kill -0 "${SEW:-$SE}" 2>/dev/null || kill -0 "$SE" 2>/dev/null || break
		sleep 0.05
	done
	for p in $SE $SEW; do kill -KILL "$p" 2>/dev/null || true; done
	wait "$SE" 2>/dev/null || true
	SE="" SEW=""
}
se_cpu() { calc %.2f "$(cpu_of "$SE") + $(cpu_of "$SEW")"; }

NGN=0
# ng_start: nginx, one process (no master) on CPU 0, stream module: TLS on PORT
# proxied to a sink (a second stream server that closes at once); sets NG PORT SPID
ng_start() {
	local d port sink try
	NGN=$((NGN + 1))
	d=$T/nginx.$NGN
	mkdir -p "$d"
	for try in 1 2 3 4 5; do
		port=$(pick_port) sink=$(pick_port)
		cat >"$d/nginx.conf" <<-EOF
			${NGX_MOD:+load_module $NGX_MOD;}
			worker_processes 1;
			daemon off;
			master_process off;
			pid $d/pid;
			error_log $d/error.log;
			events { worker_connections 8192; }
			stream {
				server {
					listen 127.0.0.1:$port ssl;
					ssl_certificate $CHAIN;
					ssl_certificate_key $KEY;
					ssl_protocols TLSv1.2;
					ssl_ciphers $OSSL_SUITE;
					ssl_session_cache shared:peers:10m;
					proxy_pass 127.0.0.1:$sink;
				}
				server {
					listen 127.0.0.1:$sink;
					return "";
				}
			}
		EOF
		taskset -c 0 nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" >"$d/out" 2>&1 &
		NG=$!
		for _ in $(seq 500); do
			listening "$NG" "$port" && break
			kill -0 "$NG" 2>/dev/null || break
			sleep 0.01
		done
		listening "$NG" "$port" && break
		ng_stop
		[ "$try" = 5 ] && { echo "nginx did not start:" >&2; cat "$d/out" "$d/error.log" >&2; exit 1; }
	done
	PORT=$port SPID=$NG
	show_cmd ng "taskset -c 0 nginx -e ERRLOG -p DIR -c DIR/nginx.conf, nginx.conf: $(grep -v '^\s*$' "$d/nginx.conf" | tr -s '\t\n' '  ')"
}
ng_stop() { kill -TERM "$NG" 2>/dev/null || true; wait "$NG" 2>/dev/null || true; NG=""; }

srv_start() { case $1 in p2sgw) gw_start ;; softether) se_start ;; nginx) ng_start ;; esac; }
srv_stop() { case $1 in p2sgw) gw_stop ;; softether) se_stop ;; nginx) ng_stop ;; esac; }
srv_cpu() { if [ "$1" = softether ]; then se_cpu; else cpu_of "$SPID"; fi; }
srv_target() { if [ "$1" = softether ]; then echo $SE_TARGET; else echo $GW_TARGET; fi; }

# run_load NAME SECS_LIMIT CMD...: p2sload (on CPU 1) in the background, output
# in $T/load.{out,err}; returns at once (BG); load_wait waits for it
run_load() {
	local key=$1
	shift
	show_cmd "$key" "taskset -c 1 $*"
	: >"$T/load.out"
	: >"$T/load.err" # before the background job opens them: no line of the last run is read
	taskset -c 1 "$@" >"$T/load.out" 2>"$T/load.err" &
	BG=$!
}
wait_established() {
	until grep -q '^ESTABLISHED' "$T/load.err" 2>/dev/null; do
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.05
	done
}
load_errors() {
	local n
	n=$(kv errors "$T/load.out")
	[ "${n:-0}" = 0 ] || echo " [p2sload errors $n: $(grep '^error ' "$T/load.out" | head -3 | tr '\n' ' ')]"
}

# ---- machine -------------------------------------------------------------------

echo "== machine"
echo "date $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "nproc $(nproc)"
echo "kernel $(uname -sr)"
echo "memory_mib $(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
echo "== packages"
for p in softether-vpnserver softether-vpncmd softether-common nginx libnginx-mod-stream libmbedtls-dev libssl3 openssl; do
	v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
	echo "$p ${v:-not installed}"
done
echo "p2sgw $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo unknown)" \
	"($(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$B/CMakeCache.txt" 2>/dev/null))"
[ $HAVE_SE = 1 ] && echo "softether binary $SE_BIN sha256 $(sha256sum "$SE_BIN" | cut -c1-16)"
echo "seconds per phase $SECS; rounds $ROUNDS; fd limit $(ulimit -n); pid_max $(cat /proc/sys/kernel/pid_max)"
busy() { awk -v t="$TCK" '$1 == "cpu" { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / t }' /proc/stat; }
b0=$(busy)
sleep 1 # the measurement window itself, not a wait
echo "background_cpu_per_wall_s $(calc %.2f "$(busy) - $b0") (busy CPU of the machine before the run; above ~0.05 spoils the figures)"

# the PKI of p2sgw (its first start makes it): the certificate, key and host of all
gw_start
gw_stop
KEY=$T/gwstate/pki/selfsigned-gateway/leaf-rsa2048.key
CA=$T/gwstate/pki/selfsigned-gateway/root.crt
CHAIN=$(ls "$T"/gwstate/pki/selfsigned-gateway/chain-valid-rsa2048-*.pem | head -1)
HOST=$(sed -n 's/.*"event":"start".*"leaf":"CN=\([^"]*\)".*/\1/p' "$T/gw.1" | head -1)
TLSOPT=(--servername "$HOST" --ca "$CA" --cipher "$ECDHE" --curve x25519)
echo "certificate $(openssl x509 -in "$CHAIN" -noout -subject 2>/dev/null | sed 's/^subject=//') (RSA-2048), suite $OSSL_SUITE, x25519; user p2s-user (MS-CHAPv2)"

# servers of the TLS figures and of the SSTP figures, in turn order
WANT=" ${PEERS_SERVERS:-p2sgw softether nginx} "
want() { case $WANT in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# SSTP of this SoftEther: does it answer an SSTP_DUPLEX_POST?
SE_SSTP=0
if [ $HAVE_SE = 1 ] && want softether; then
	se_start
	"$LOAD" sessions -n 1 -c 1 --hold 0 --timeout 5 "${TLSOPT[@]}" "127.0.0.1:$PORT" >"$T/probe.out" 2>&1 || true
	if [ "$(kv sessions_up "$T/probe.out")" = 1 ]; then
		SE_SSTP=1
		echo "softether SSTP: answers (one SSTP+PPP session set up)"
	else
		echo "softether SSTP: no session ($(grep '^error ' "$T/probe.out" | head -1));" \
			"Debian's 5.01.9674 binary never answers SSTP_DUPLEX_POST (upstream PR #1249):" \
			"build the fixed one with tests/bench/peers/softether-build.sh; SoftEther's SSTP figures are skipped"
	fi
	se_stop
fi

TLS_SERVERS="" SSTP_SERVERS=""
want p2sgw && TLS_SERVERS="p2sgw" SSTP_SERVERS="p2sgw"
[ $HAVE_SE = 1 ] && want softether && TLS_SERVERS="$TLS_SERVERS softether"
[ $HAVE_NGINX = 1 ] && want nginx && TLS_SERVERS="$TLS_SERVERS nginx"
[ $SE_SSTP = 1 ] && want softether && SSTP_SERVERS="$SSTP_SERVERS softether"

# print_ratios FIGURE KEY: p2sgw/softether and p2sgw/nginx of $T/fig.KEY.SERVER
summary() {
	local key=$1 label=$2 s m gm
	gm=$(mean <"$T/fig.$key.p2sgw" 2>/dev/null || echo n/a)
	for s in softether nginx; do
		[ -f "$T/fig.$key.$s" ] || continue
		m=$(mean <"$T/fig.$key.$s")
		echo "RATIO $label p2sgw/$s $(ratio "$gm" "$m") (p2sgw $gm, $s $m)"
	done
}
rec() { echo "$3" >>"$T/fig.$1.$2"; }       # rec KEY SERVER VALUE

# ---- 1 and 2. TLS handshakes ------------------------------------------------------------

hs_figure() {
	local kind=$1 key=$2 r s t0 t1 c0 c1 rate wall cpu per res
	echo "== $3"
	for r in $(seq "$ROUNDS"); do
		for s in $TLS_SERVERS; do
			srv_start $s
			t0=$(now) c0=$(srv_cpu $s)
			run_load "hs.$kind" "$LOAD" handshake $([ "$kind" = resumed ] && echo --resume) "${TLSOPT[@]}" \
				--source "$SOURCES" -c 16 -d "$SECS" "127.0.0.1:$PORT"
			load_wait $((SECS + 60))
			t1=$(now) c1=$(srv_cpu $s)
			srv_stop $s
			rate=$(kv handshakes_per_s "$T/load.out")
			res=$(kv resumed "$T/load.out")
			wall=$(calc %.3f "$t1 - $t0")
			cpu=$(calc %.2f "$c1 - $c0")
			per=$(calc %.0f "$cpu > 0 ? ${rate:-0} * $wall / $cpu : 0")
			rec "$key" $s "$per"
			echo "round $r $s (127.0.0.1:$PORT): ${rate:-0} handshakes/s (${res:-0} of $(kv handshakes "$T/load.out") resumed)," \
				"server $(calc %.2f "$cpu / $wall") CPU/s, $per per server CPU s$(load_errors)"
		done
	done
	for s in $TLS_SERVERS; do echo "${key}_per_server_cpu_s $s $(mean <"$T/fig.$key.$s")"; done
	summary "$key" "${key}_per_server_cpu_s"
}
fig 1 && hs_figure full hs_full "1. full TLS 1.2 handshakes per server CPU second (server CPU 0, p2sload -c 16 on CPU 1)"
fig 2 && hs_figure resumed hs_resumed "2. resumed TLS handshakes per server CPU second (p2sload --resume: one session, then abbreviated handshakes)"
if fig 2 && [ $HAVE_SE = 1 ]; then
	echo "(SoftEther resumes no TLS session: it makes an SSL_CTX per connection, so its 'resumed' run is full handshakes)"
fi

# ---- 3. SSTP+PPP sessions per second ------------------------------------------------
if fig 3; then

echo "== 3. SSTP+PPP sessions set up per second (full TLS, MS-CHAPv2, IPCP; p2sload sessions -c 32 --hold 0)"
declare -A SESS_N=()
for r in $(seq "$ROUNDS"); do
	for s in $SSTP_SERVERS; do
		srv_start $s
		if [ -z "${SESS_N[$s]:-}" ]; then
			# a short run first: about PEERS_SECONDS' worth of sessions at this rate
			run_load sess "$LOAD" sessions -n 64 -c 32 --hold 0 --timeout 30 "${TLSOPT[@]}" --source "$SOURCES" "127.0.0.1:$PORT"
			load_wait 300
			rate=$(kv sessions_per_s "$T/load.out")
			SESS_N[$s]=$(calc %.0f "${rate:-0} * $SECS < 64 ? 64 : (${rate:-0} * $SECS > 20000 ? 20000 : ${rate:-0} * $SECS)")
		fi
		t0=$(now) c0=$(srv_cpu $s)
		run_load sess "$LOAD" sessions -n "${SESS_N[$s]}" -c 32 --hold 0 --timeout 30 "${TLSOPT[@]}" --source "$SOURCES" "127.0.0.1:$PORT"
		load_wait $((SECS * 20 + 120))
		t1=$(now) c1=$(srv_cpu $s)
		srv_stop $s
		rate=$(kv sessions_per_s "$T/load.out")
		cpu=$(calc %.2f "$c1 - $c0")
		up=$(kv sessions_up "$T/load.out")
		per=$(calc %.1f "$cpu > 0 ? ${up:-0} / $cpu : 0")
		rec sess $s "${rate:-0}"
		rec sesscpu $s "$per"
		echo "round $r $s (127.0.0.1:$PORT): ${rate:-0} sessions/s ($(kv sessions_up "$T/load.out") up, $(kv sessions_failed "$T/load.out")" \
			"failed of ${SESS_N[$s]}; setup p50 $(kv setup_ms_p50 "$T/load.out") ms, p99 $(kv setup_ms_p99 "$T/load.out") ms)," \
			"$per per server CPU s$(load_errors)"
	done
done
for s in $SSTP_SERVERS; do
	echo "sessions_per_s $s $(mean <"$T/fig.sess.$s"); sessions_per_server_cpu_s $s $(mean <"$T/fig.sesscpu.$s")"
done
summary sess sessions_per_s
summary sesscpu sessions_per_server_cpu_s

fi

# ---- 4. memory per session ---------------------------------------------------------------
if fig 4; then

for n in $MEMSESS; do
	echo "== 4. memory per session at $n concurrent sessions (p2sload sessions -c $MEMCONC --resume --hold $SECS" \
		"--echo lcp --setup-limit $SETUPCAP; VmRSS of the server idle and once all are up)"
	for r in $(seq "$ROUNDS"); do
		for s in $SSTP_SERVERS; do
			srv_start $s
			sleep 0.5 # settle: the idle figure (a measurement point, not a wait for readiness)
			rss0=$(rss_kib "$SPID") th0=$(threads_of "$SPID")
			t0=$(now)
			run_load "mem" "$LOAD" sessions -n "$n" -c "$MEMCONC" --resume --hold "$SECS" --echo-interval 1 --echo lcp \
				--setup-limit "$SETUPCAP" --timeout 60 "${TLSOPT[@]}" --source "$SOURCES" "127.0.0.1:$PORT"
			wait_established
			rss1=$(rss_kib "$SPID" 2>/dev/null || echo 0) th1=$(threads_of "$SPID")
			est=$(grep -m1 '^ESTABLISHED' "$T/load.err" || true)
			load_wait $((SETUPCAP + SECS + 200))
			srv_stop $s
			set -- $est
			up=${2:-0}
			if [ "$up" -gt 0 ]; then
				per=$(calc %.1f "($rss1 - $rss0) / $up")
				rec "mem$n" $s "$per"
				rec "memup$n" $s "$up"
			else
				per=n/a
			fi
			ns=$(kv sessions_not_started "$T/load.out")
			echo "round $r $s (127.0.0.1:$PORT): $up up, ${3:-?} failed in ${4:-?} s$([ "${ns:-0}" != 0 ] && echo ", ${ns} not started (setup limit)");" \
				"VmRSS $rss0 -> $rss1 KiB: $per KiB per session;" \
				"threads $th0 -> $th1; echo $(kv echo_answered "$T/load.out")/$(kv echo_sent "$T/load.out")" \
				"answered, lost during hold $(kv sessions_lost_during_hold "$T/load.out")$(load_errors)"
		done
	done
	for s in $SSTP_SERVERS; do
		[ -f "$T/fig.mem$n.$s" ] && echo "memory_per_session_kib_at_$n $s $(mean <"$T/fig.mem$n.$s")" \
			"(sessions up: $(mean <"$T/fig.memup$n.$s"))"
	done
	[ -f "$T/fig.mem$n.p2sgw" ] && summary "mem$n" "memory_per_session_kib_at_$n"
done

fi

# ---- 5. one-tunnel throughput -------------------------------------------------------------
if fig 5; then

echo "== 5. one tunnel: ICMP echo through it, 1400-byte packets, 64 in flight (p2sload on OpenSSL, CPU 1)"
for r in $(seq "$ROUNDS"); do
	for s in $SSTP_SERVERS; do
		srv_start $s
		run_load "tput.$s" "$LOAD" throughput -n 1 --proto icmp --target "$(srv_target $s)" --tls-lib openssl \
			-d "$((SECS + 2))" "${TLSOPT[@]}" "127.0.0.1:$PORT"
		wait_established
		sleep 1 # the pump is under way (a measurement point, not a wait for readiness)
		t0=$(now) c0=$(srv_cpu $s)
		sleep "$SECS" # the measurement window
		t1=$(now) c1=$(srv_cpu $s)
		load_wait $((SECS + 60))
		srv_stop $s
		mbs=$(kv payload_mbit_s_each_way "$T/load.out")
		cpu=$(calc %.2f "($c1 - $c0) / ($t1 - $t0)")
		rec tput $s "${mbs:-0}"
		rec tputcpu $s "$(calc %.1f "$cpu > 0 ? ${mbs:-0} / $cpu : 0")"
		echo "round $r $s (127.0.0.1:$PORT): ${mbs:-0} Mbit/s each way (loss $(kv loss_pct "$T/load.out") %), server $cpu CPU/s," \
			"$(calc %.1f "$cpu > 0 ? ${mbs:-0} / $cpu : 0") Mbit/s per server CPU s$(load_errors)"
	done
done
for s in $SSTP_SERVERS; do
	echo "tunnel_mbit_s_each_way $s $(mean <"$T/fig.tput.$s"); per server CPU s $(mean <"$T/fig.tputcpu.$s")"
done
summary tput tunnel_mbit_s_each_way
summary tputcpu tunnel_mbit_s_per_server_cpu_s
fi

echo "== done"
