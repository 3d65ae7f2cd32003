# FreeRADIUS 3.2 fixture for p2sgw's RADIUS tests. Source it (bash); it uses TEST_TMP and
# LAB_STATE (the lab PKI of ctest's integration.pki_setup fixture) and does not change `set`
# options or traps of its caller, except that radius_start adds radius_stop to the EXIT trap.
#
#   radius_lab_certs   certificates from the lab PKI (see below); radius_start calls it
#   radius_start       start FreeRADIUS from a fresh temp copy of tests/radius/raddb on
#                      127.0.0.1:<free UDP port>, wait until it answers Status-Server; exports
#                      RADIUS_PORT RADIUS_SECRET RADIUS_LOG RADIUS_PID RADIUS_DIR RADIUS_READY_MS
#   radius_stop        SIGTERM, wait (deadline), SIGKILL if needed
#   radius_log_tail [N]  the last N (60) lines of FreeRADIUS' debug log, for failure output
#
# Users (raddb/users): RADIUS_USER / RADIUS_USER_PASSWORD, MS-CHAP v1/v2, MPPE keys returned.
# Certificates (radius_lab_certs, in $TEST_TMP/radius-pki):
#   server (EAP-TLS)  RADIUS_SERVER_ROOT: lab profile digicert-global-root-g2, valid leaf + int1
#   client root       RADIUS_CLIENT_ROOT: lab profile p2s-client-root (CN=P2SRootCert)
#   good client       RADIUS_CLIENT_CERT/_KEY: the lab's leaf CN=P2SChildCert
#   revoked client    RADIUS_REVOKED_CERT/_KEY: CN=P2SRevokedCert, issued here with openssl by
#                     the lab client root (p2sgw pki makes no revoked client leaves) and listed
#                     in RADIUS_CRL, the root's CRL (also made here with `openssl ca`)
RADIUS_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${TEST_TMP:=$(mktemp -d)}"
: "${RADIUS_SECRET:=p2s-Radius-Secret!42}"
RADIUS_USER=p2s-user
RADIUS_USER_PASSWORD='Sw0rd!CONTOSO\p2s-user;#&x'
RADIUS_PID=""
RADIUS_START_TIMEOUT=${RADIUS_START_TIMEOUT:-20}
export RADIUS_SECRET RADIUS_USER RADIUS_USER_PASSWORD

radius__say() { printf '# radius: %s\n' "$*"; }
radius__die() { printf 'FAIL: %s\n' "$*"; exit 1; }
radius__ms() { echo $(( $(date +%s%N) / 1000000 )); }

# radius_require: the tools of the fixture and its tests; a missing one fails the test.
radius_require() {
	local t
	for t in freeradius radclient radtest eapol_test openssl python3; do
		command -v "$t" >/dev/null 2>&1 && continue
		radius__die "$t is not installed (packages freeradius freeradius-utils eapoltest): run \"bash tests/setup-debian.sh\" (as root) first"
	done
}

# radius__newest DIR GLOB: the newest file in DIR matching GLOB that is no CDP/revoked variant
radius__newest() {
	local f best=""
	# shellcheck disable=SC2086 # $2 is a glob
	for f in "$1"/$2; do
		[ -f "$f" ] || continue
		case "$f" in *-cdp*) continue ;; esac
		if [ -z "$best" ] || [ "$f" -nt "$best" ]; then best=$f; fi
	done
	echo "$best"
}

radius_lab_certs() {
	: "${LAB_STATE:?LAB_STATE: the lab PKI state directory (ctest fixture integration.pki_setup)}"
	local g2=$LAB_STATE/pki/digicert-global-root-g2 cl=$LAB_STATE/pki/p2s-client-root
	local d=$TEST_TMP/radius-pki f
	for f in "$g2/root.crt" "$g2/leaf-rsa2048.key" "$cl/root.crt" "$cl/root.key" "$cl/leaf-rsa2048.key"; do
		[ -s "$f" ] || radius__die "lab PKI file $f missing: run \"p2sgw pki create --all --state-dir $LAB_STATE\" (ctest: integration.pki_setup)"
	done
	local chain leaf
	chain=$(radius__newest "$g2" 'chain-valid-rsa2048-*.pem')
	leaf=$(radius__newest "$cl" 'leaf-valid-rsa2048-*.crt')
	[ -n "$chain" ] && [ -n "$leaf" ] ||
		radius__die "no valid rsa2048 chain in $g2 or client leaf in $cl: run \"p2sgw pki create --all --state-dir $LAB_STATE\""
	rm -rf "$d"
	mkdir -p "$d"
	chmod 700 "$d"
	cp "$chain" "$d/server.pem"
	cp "$g2/leaf-rsa2048.key" "$d/server.key"
	cp "$g2/root.crt" "$d/server-root.crt"
	cp "$cl/root.crt" "$d/client-root.crt"
	cp "$leaf" "$d/client.crt"
	cp "$cl/leaf-rsa2048.key" "$d/client.key"
	cp "$cl/leaf-rsa2048.key" "$d/revoked.key" # the lab shares one key among a profile's leaves too

	# the revoked client certificate and the root's CRL, with openssl
	mkdir -p "$d/ca"
	: >"$d/ca/index.txt"
	echo 1000 >"$d/ca/crlnumber"
	cat >"$d/ca/ca.cnf" <<-EOF
	[ ca ]
	default_ca = lab
	[ lab ]
	database = $d/ca/index.txt
	crlnumber = $d/ca/crlnumber
	default_md = sha256
	default_crl_days = 7
	crl_extensions = crl_ext
	[ crl_ext ]
	authorityKeyIdentifier = keyid:always
	[ client ]
	basicConstraints = CA:FALSE
	keyUsage = critical, digitalSignature, keyEncipherment
	extendedKeyUsage = clientAuth
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	EOF
	local log=$d/ca/openssl.log
	{
		openssl req -new -key "$d/revoked.key" -subj "/CN=P2SRevokedCert" -out "$d/ca/revoked.csr" &&
		openssl x509 -req -in "$d/ca/revoked.csr" -CA "$d/client-root.crt" -CAkey "$cl/root.key" \
			-set_serial "0x$(openssl rand -hex 15)" -days 365 -sha256 \
			-extfile "$d/ca/ca.cnf" -extensions client -out "$d/revoked.crt" &&
		openssl ca -batch -config "$d/ca/ca.cnf" -cert "$d/client-root.crt" -keyfile "$cl/root.key" \
			-revoke "$d/revoked.crt" -crl_reason keyCompromise &&
		openssl ca -batch -config "$d/ca/ca.cnf" -cert "$d/client-root.crt" -keyfile "$cl/root.key" \
			-gencrl -out "$d/client-root.crl.pem"
	} >"$log" 2>&1 || { cat "$log"; radius__die "could not make the revoked client certificate and CRL"; }
	# what FreeRADIUS trusts for client certificates: the client root, then its CRL
	cat "$d/client-root.crt" "$d/client-root.crl.pem" >"$d/ca.pem"
	# consistency: the good one verifies against root + CRL, the revoked one is revoked
	openssl verify -crl_check -CAfile "$d/ca.pem" "$d/client.crt" >"$log" 2>&1 \
		|| { cat "$log"; radius__die "lab client certificate $leaf does not verify against $cl/root.crt + CRL"; }
	if openssl verify -crl_check -CAfile "$d/ca.pem" "$d/revoked.crt" >"$log" 2>&1 || ! grep -q 'certificate revoked' "$log"; then
		cat "$log"; radius__die "the revoked client certificate is not revoked by the CRL"
	fi
	openssl verify -CAfile "$d/server-root.crt" -untrusted "$d/server.pem" "$d/server.pem" >"$log" 2>&1 \
		|| { cat "$log"; radius__die "server chain $chain does not verify against $g2/root.crt"; }
	RADIUS_CERTS=$d
	RADIUS_SERVER_ROOT=$d/server-root.crt
	RADIUS_CLIENT_ROOT=$d/client-root.crt
	RADIUS_CLIENT_CERT=$d/client.crt
	RADIUS_CLIENT_KEY=$d/client.key
	RADIUS_REVOKED_CERT=$d/revoked.crt
	RADIUS_REVOKED_KEY=$d/revoked.key
	RADIUS_CRL=$d/client-root.crl.pem
	export RADIUS_CERTS RADIUS_SERVER_ROOT RADIUS_CLIENT_ROOT RADIUS_CLIENT_CERT RADIUS_CLIENT_KEY \
		RADIUS_REVOKED_CERT RADIUS_REVOKED_KEY RADIUS_CRL
}

# radius__free_port: a UDP port on 127.0.0.1 the kernel considers free (bound to 0, released)
radius__free_port() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# radius_status [PORT]: one Status-Server round trip; 0 when FreeRADIUS answered with an Accept
radius_status() {
	printf 'Message-Authenticator = 0x00\n' |
		timeout 5 radclient -q -t 0.5 -r 1 "127.0.0.1:${1:-$RADIUS_PORT}" status "$RADIUS_SECRET" >/dev/null 2>&1
}

radius_start() {
	radius_require
	[ -n "${RADIUS_CERTS:-}" ] || radius_lab_certs
	if [ -z "${RADIUS__TRAP:-}" ]; then
		RADIUS__TRAP=1
		local prev
		prev=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//" -e "s/'\\\\''/'/g")
		# shellcheck disable=SC2064
		trap "radius_stop; ${prev:-:}" EXIT
	fi
	local attempt port dir t0 deadline
	for attempt in 1 2 3 4 5; do
		dir=$(mktemp -d "$TEST_TMP/raddb.XXXXXX") # 0700: FreeRADIUS refuses world-writable config
		cp "$RADIUS_SRC_DIR"/raddb/* "$dir/"
		mkdir "$dir/certs"
		cp "$RADIUS_CERTS/server.pem" "$RADIUS_CERTS/server.key" "$RADIUS_CERTS/ca.pem" "$dir/certs/"
		port=$(radius__free_port)
		RADIUS_DIR=$dir
		RADIUS_LOG=$dir/debug.log
		t0=$(radius__ms)
		RADIUS_RADDB=$dir RADIUS_PORT=$port freeradius -X -d "$dir" -n radiusd >"$RADIUS_LOG" 2>&1 &
		RADIUS_PID=$!
		deadline=$(( t0 + RADIUS_START_TIMEOUT * 1000 ))
		while :; do
			if ! kill -0 "$RADIUS_PID" 2>/dev/null; then
				wait "$RADIUS_PID" 2>/dev/null || true
				RADIUS_PID=""
				if grep -q 'Address already in use' "$RADIUS_LOG"; then
					radius__say "port $port was taken meanwhile (attempt $attempt), picking another"
					continue 2
				fi
				radius_log_tail 40
				radius__die "FreeRADIUS exited during start (log $RADIUS_LOG)"
			fi
			if grep -q '^Ready to process requests' "$RADIUS_LOG" && radius_status "$port"; then
				RADIUS_PORT=$port
				RADIUS_READY_MS=$(( $(radius__ms) - t0 ))
				export RADIUS_PORT RADIUS_SECRET RADIUS_LOG RADIUS_PID RADIUS_DIR RADIUS_READY_MS
				radius__say "FreeRADIUS pid $RADIUS_PID ready on 127.0.0.1:$RADIUS_PORT/udp after $RADIUS_READY_MS ms (log $RADIUS_LOG)"
				return 0
			fi
			if [ "$(radius__ms)" -ge "$deadline" ]; then
				radius_log_tail 40
				radius_stop
				radius__die "FreeRADIUS did not answer Status-Server on 127.0.0.1:$port within ${RADIUS_START_TIMEOUT} s"
			fi
			sleep 0.05
		done
	done
	radius__die "FreeRADIUS could not bind a free UDP port in 5 attempts"
}

radius_stop() {
	[ -n "${RADIUS_PID:-}" ] || return 0
	local pid=$RADIUS_PID _
	RADIUS_PID=""
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do # 5 s
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		radius__say "FreeRADIUS pid $pid ignored SIGTERM for 5 s; SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

radius_log_tail() {
	local n=${1:-60}
	if [ -z "${RADIUS_LOG:-}" ] || [ ! -f "$RADIUS_LOG" ]; then
		radius__say "no FreeRADIUS log"
		return 0
	fi
	printf '# radius: last %s lines of %s\n' "$n" "$RADIUS_LOG"
	tail -n "$n" "$RADIUS_LOG" | sed 's/^/    radiusd| /'
}

# radius_yaml [TIMEOUT] [RETRIES] [ADDRESS] [SECRET]: the `radius:` mapping of a scenario that
# signs in through this FreeRADIUS (defaults: 10s, 2, 127.0.0.1:$RADIUS_PORT, $RADIUS_SECRET);
# used inside the tests' scenario heredocs.
radius_yaml() {
	printf 'radius:\n  servers:\n    - address: "%s"\n      secret: "%s"\n  timeout: %s\n  retries: %s\n' \
		"${3:-127.0.0.1:$RADIUS_PORT}" "${4:-$RADIUS_SECRET}" "${1:-10s}" "${2:-2}"
}

# For the gateway tests (t_*.sh after radius_start and start_gw):
# rfail MSG: fail, and show what FreeRADIUS said
rfail() { fail "$@"; radius_log_tail 30; }
# client ARGS...: p2s_client against the gateway (root $CA); output in $OUT, status in $RC
client() {
	OUT=$TEST_TMP/client.out
	RC=0
	timeout 60 "$P2S_CLIENT" --connect "127.0.0.1:$PORT" --servername "$HOST" --ca "$CA" "$@" \
		>"$OUT" 2>&1 || RC=$?
}
# rc_is STATUS WHAT: the last client's exit status is STATUS
rc_is() { [ "$RC" -eq "$1" ] && pass "$2 (exit $RC)" || { rfail "$2: exit $RC, expected $1"; tail -12 "$OUT"; }; }
