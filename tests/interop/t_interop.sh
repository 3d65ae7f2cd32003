#!/usr/bin/env bash
# Interop: the real sstpc 1.0.18 + pppd 2.4.9 in a qemu guest against p2sgw.
# Usage: t_interop.sh CASE   (CASE: password | plugin | wrong-password | interception |
#        gateway-ends | rotation | crl | radius)
. "$(dirname "$0")/../integration/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
case_name=${1:?case}
GUEST_LOG=$TEST_TMP/guest.log
CA=$(root_of selfsigned-gateway)
USER_OK=p2s-user
PASS_OK=p2s-password

"$here/build-guest.sh" >"$TEST_TMP/build-guest.log" 2>&1 || { cat "$TEST_TMP/build-guest.log"; fail "guest image"; finish; }

# guest SCRIPT [VAR=VALUE...]: run a guest test against the gateway; sets GRC
guest() {
	local script=$1
	shift
	GRC=0
	env "$@" P2SGW_PORT="${GUEST_PORT:-$PORT}" P2SGW_CA=/ca.pem \
		"$here/run-guest.sh" -t 150 -o "$GUEST_LOG" "$here/$script" "$CA:/ca.pem" \
		${CRL_FILE:+"$CRL_FILE:/crl.pem"} >/dev/null 2>&1 || GRC=$?
}
guest_has() { grep -qE -- "$1" "$GUEST_LOG"; }
check_guest() {
	if guest_has "$1"; then pass "$2"; else fail "$2: guest log lacks /$1/"; grep -E '=== STEP|sstpc\[|pppd\[' "$GUEST_LOG" | tail -25; fi
}

[ "$case_name" = radius ] || start_gw azure-2018-tls12
case "$case_name" in
password|plugin)
	if [ "$case_name" = password ]; then
		guest guest-mschapv2-password.sh P2SGW_USER=$USER_OK P2SGW_PASSWORD=$PASS_OK P2SGW_PING=10.1.0.4
	else
		guest guest-mschapv2-plugin.sh P2SGW_USER=$USER_OK P2SGW_PASSWORD=$PASS_OK P2SGW_PING=10.1.0.4
	fi
	[ "$GRC" -eq 0 ] && pass "guest test passed ($case_name mode)" || fail "guest rc=$GRC"
	check_guest '=== STEP ppp0-up local=172\.16\.201\.[0-9]+ peer=172\.16\.201\.1' "ppp0 gets an address from the pool, peer is the gateway"
	check_guest '=== STEP ping 172\.16\.201\.1 ok' "the gateway answers ping through the tunnel"
	check_guest '=== STEP ping 10\.1\.0\.4 ok' "a virtual-network host answers ping through the tunnel"
	expect_event '"event":"ppp_auth_result".*"ok":true' "p2sgw logs the MS-CHAPv2 success"
	expect_event '"event":"sstp_call_connected".*"ok":true' "crypto binding verified"
	expect_event '"event":"tunnel_up".*"identity":"p2s-user".*"address":"172\.16\.201\.' "tunnel_up names user and address"
	expect_event '"event":"close".*"reason":"(ppp_terminated|client_closed|client_close_notify|sstp_client_disconnect)"' "the client's end is a clean close"
	;;
wrong-password)
	guest guest-wrong-password.sh P2SGW_USER=$USER_OK P2SGW_PASSWORD=not-the-password
	[ "$GRC" -eq 0 ] && pass "guest saw the authentication fail" || fail "guest rc=$GRC"
	check_guest 'E=691|MS-CHAP authentication failed|CHAP authentication failed' "pppd reports the 691 failure"
	expect_event '"event":"close".*"reason":"ppp_auth_failed".*"client_error":"691' "p2sgw closes with ppp_auth_failed (691)"
	;;
interception)
	# A TLS-intercepting proxy (another certificate) between sstpc and p2sgw: the
	# client binds the proxy's certificate, p2sgw must abort with the reason.
	require socat
	OTHER=$LAB_STATE/pki/baltimore-cybertrust-root
	PCHAIN=$(ls "$OTHER"/chain-valid-*.pem | head -1)
	PKEY=$(ls "$OTHER"/leaf-rsa2048.key)
	# socat binds port 0; its real port is read back from the kernel (ss)
	socat "openssl-listen:0,bind=127.0.0.1,reuseaddr,fork,cert=$PCHAIN,key=$PKEY,verify=0" \
		"openssl:127.0.0.1:$PORT,verify=0" 2>"$TEST_TMP/socat.err" &
	SOCAT=$!
	GUEST_PORT=""
	for _ in $(seq 1 100); do
		GUEST_PORT=$(ss -Hltnp | awk -v pid="pid=$SOCAT," 'index($0, pid) {n = split($4, a, ":"); print a[n]; exit}')
		[ -n "$GUEST_PORT" ] && break
		kill -0 "$SOCAT" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$GUEST_PORT" ] || { cat "$TEST_TMP/socat.err"; fail "socat did not listen"; finish; }
	guest guest-mschapv2-password.sh P2SGW_USER=$USER_OK P2SGW_PASSWORD=$PASS_OK P2SGW_CERT_WARN=1 P2SGW_UP_TIMEOUT=20
	kill "$SOCAT" 2>/dev/null || true
	expect_event '"event":"close".*"reason":"sstp_crypto_binding".*certificate hash mismatch' "p2sgw aborts: certificate hash mismatch (interception)"
	;;
gateway-ends)
	# The gateway ends the call (SIGTERM) while sstpc holds the tunnel.
	( guest guest-mschapv2-password.sh P2SGW_USER=$USER_OK P2SGW_PASSWORD=$PASS_OK P2SGW_HOLD=30 \
		P2SGW_TERMINATE=sstpc; echo "$GRC" >"$TEST_TMP/guest.rc" ) &
	GUEST=$!
	expect_event '"event":"tunnel_up"' "sstpc's tunnel is up" 120
	stop_gw
	wait "$GUEST" || true
	check_guest 'TYPE\(6\): DISCONNECT' "sstpc receives the gateway's CALL_DISCONNECT"
	check_guest 'TYPE\(7\): DISCONNECT ACK' "and acknowledges it"
	check_guest '=== STEP terminated sstpc|=== TEST RESULT' "the guest finished on its own"
	expect_event '"event":"close".*"reason":"server_shutdown"' "p2sgw: the close carries the stop (server_shutdown)"
	finish
	;;
rotation)
	# Rotation rehearsal with the real sstpc (three clients in one guest).
	NEW=digicert-global-root-ca
	cat "$CA" "$(root_of $NEW)" >"$TEST_TMP/ca-both.pem"
	CTLPORT=${CTL##*:}
	GRC=0
	env P2SGW_PORT="$PORT" P2SGW_CTL_PORT="$CTLPORT" P2SGW_USER=$USER_OK P2SGW_PASSWORD=$PASS_OK \
		P2SGW_NEW_CHAIN=$NEW "$here/run-guest.sh" -t 200 -o "$GUEST_LOG" "$here/guest-rotation.sh" \
		"$CA:/ca-old.pem" "$TEST_TMP/ca-both.pem:/ca-both.pem" >/dev/null 2>&1 || GRC=$?
	[ "$GRC" -eq 0 ] && pass "guest rotation rehearsal passed" || fail "guest rc=$GRC"
	check_guest '=== STEP A ping after rotation ok' "the session established before the rotation stays up"
	check_guest '=== STEP B refused: old root only' "a new sstpc trusting only the old root fails"
	check_guest '=== STEP C1 ppp2-up before the rotation' "the second machine connects before the rotation"
	check_guest '=== STEP C2 ppp2-up after the rotation' "and, trusting both roots, again after it"
	expect_event '"event":"rotate".*"chain":"digicert-global-root-ca"' "rotate event"
	curl -s "http://$CTL/clients" >"$TEST_TMP/clients.json"
	grep -qE '"sni": *"client-old' "$TEST_TMP/clients.json" && grep -qE '"sni": *"client-both' "$TEST_TMP/clients.json" \
		&& pass "the audit knows both machines by their SNI" || fail "clients: $(head -c 400 "$TEST_TMP/clients.json")"
	"$P2SGW" report --control "$CTL" >"$TEST_TMP/report.txt" 2>&1 || true
	grep -E 'client-old' "$TEST_TMP/report.txt" | grep -q 'failed' \
		&& pass "report: client-old failed after the rotation" || fail "report: $(cat "$TEST_TMP/report.txt")"
	grep -E 'client-both' "$TEST_TMP/report.txt" | grep -q 'reconnected' \
		&& pass "report: client-both reconnected after the rotation" || fail "report: $(cat "$TEST_TMP/report.txt")"
	cat "$TEST_TMP/report.txt"
	;;
crl)
	# sstpc --crl-file with the CRL p2sgw serves: a revoked gateway leaf is refused,
	# a good one is accepted.
	stop_gw
	DC=$LAB_STATE/pki/digicert-global-root-ca
	for sc in revocation-leaf-revoked revocation-crl-ok; do
		start_gw $sc P2SGW_REVOCATION_LISTEN=127.0.0.1:0
		curl -sf "http://$CRL/digicert-global-root-ca/int1.crl" | openssl crl -inform DER -outform PEM >"$TEST_TMP/crl.pem"
		cat "$DC/root.crt" >"$TEST_TMP/ca-dc.pem"
		CRL_FILE=$TEST_TMP/crl.pem
		CA=$TEST_TMP/ca-dc.pem
		if [ $sc = revocation-leaf-revoked ]; then
			guest guest-mschapv2-password.sh P2SGW_USER=$USER_OK P2SGW_PASSWORD=$PASS_OK P2SGW_UP_TIMEOUT=15 \
				P2SGW_SSTPC_ARGS="--crl-file /crl.pem" 
			[ "$GRC" -ne 0 ] && pass "sstpc --crl-file refuses the revoked gateway leaf" || fail "guest rc=$GRC"
			check_guest 'revoked' "sstpc says the certificate is revoked"
		else
			guest guest-mschapv2-password.sh P2SGW_USER=$USER_OK P2SGW_PASSWORD=$PASS_OK P2SGW_SSTPC_ARGS="--crl-file /crl.pem"
			[ "$GRC" -eq 0 ] && pass "sstpc --crl-file accepts a leaf that is not on the CRL" || fail "guest rc=$GRC"
		fi
		stop_gw
	done
	finish
	;;
radius)
	# Sign-in through RADIUS: sstpc + pppd -> p2sgw (ppp.auth_backend radius) -> FreeRADIUS 3.2
	# on the host's loopback (tests/radius/raddb). One guest boot, two sstpc runs in plugin mode
	# (guest-radius.sh says why not --password): FreeRADIUS' password (a backslash and
	# punctuation, quoted for pppd's option parser), then a wrong one.
	. "$here/../radius/radius-lib.sh"
	radius_start
	cat >"$TEST_TMP/radius.yaml" <<YAML
name: interop-radius
base: azure-2018-tls12
sstp:
  negotiation_timeout: 30s
ppp:
  auth_backend: radius
$(radius_yaml 10s 2)
YAML
	start_gw "$TEST_TMP/radius.yaml"
	guest guest-radius.sh P2SGW_USER="$RADIUS_USER" P2SGW_PASSWORD="$RADIUS_USER_PASSWORD" \
		P2SGW_WRONG_PASSWORD=not-the-password P2SGW_PING=10.1.0.4
	[ "$GRC" -eq 0 ] && pass "guest test passed (RADIUS password, then a wrong one)" || { fail "guest rc=$GRC"; radius_log_tail 30; }
	# the guest log of each run, for checks that must not mix them up
	awk '/=== STEP run 1 good/,/=== STEP run 1 done/' "$GUEST_LOG" >"$TEST_TMP/run1.log"
	awk '/=== STEP run 2 wrong/,/=== STEP run 2 done/' "$GUEST_LOG" >"$TEST_TMP/run2.log"
	run_has() { # run_has N REGEX MESSAGE
		if grep -qE -- "$2" "$TEST_TMP/run$1.log"; then pass "$3"; else
			fail "$3: run $1 of the guest log lacks /$2/"; grep -E '=== STEP|sstpc\[|CHAP|IP address' "$TEST_TMP/run$1.log" | tail -25; fi
	}
	esc=${RADIUS_USER_PASSWORD//[^\\\"]/}
	run_has 1 "=== STEP run 1 options: user $RADIUS_USER, password of ${#RADIUS_USER_PASSWORD} characters written as a quoted word of $(( ${#RADIUS_USER_PASSWORD} + ${#esc} + 2 ))\$" \
		"the guest writes the password as a quoted pppd word (${#esc} escape(s))"
	run_has 1 'CHAP authentication succeeded' \
		"pppd: MS-CHAPv2 succeeded: its password (backslash, punctuation) is FreeRADIUS' byte for byte, and it checked FreeRADIUS' MS-CHAP2-Success"
	run_has 1 'local  IP address 172\.16\.201\.[0-9]+' "pppd reports its IP address from the pool"
	run_has 1 '=== STEP ppp0-up local=172\.16\.201\.[0-9]+ peer=172\.16\.201\.1' "ppp0 up, peer is the gateway"
	run_has 1 '=== STEP ping 172\.16\.201\.1 ok' "the gateway answers ping through the tunnel"
	run_has 1 '=== STEP ping 10\.1\.0\.4 ok' "a virtual-network host answers ping through the tunnel"
	run_has 1 'CRYPTO BIND\(3\): 104' "sstpc sends CALL_CONNECTED with its crypto binding"
	run_has 1 'sstpc\[[0-9]+\]: Connection Established' "sstpc: Connection Established"
	run_has 1 '=== STEP terminated sstpc rc=0' "sstpc ends cleanly (rc 0)"
	if grep -qE 'TYPE\([56]\): (ABORT|DISCONNECT)' "$TEST_TMP/run1.log"; then
		fail "the gateway aborted or disconnected the good run"; else pass "no CALL_ABORT / CALL_DISCONNECT from the gateway in the good run"; fi
	run_has 2 '=== STEP run 2 auth-failure: .*E=691' "pppd reports the MS-CHAP failure E=691"
	if grep -q '=== STEP ppp0-up' "$TEST_TMP/run2.log"; then fail "ppp0 came up with the wrong password"; else pass "no ppp0 with the wrong password"; fi
	expect_event '"event":"radius_request".*"server":"127.0.0.1:'"$RADIUS_PORT"'"' "radius_request to FreeRADIUS"
	expect_event '"event":"radius_reply".*"result":"accept"' "radius_reply accept"
	expect_event '"event":"sstp_call_connected".*"ok":true' "crypto binding verified (HLAK from FreeRADIUS' MPPE keys)"
	expect_event '"event":"tunnel_up".*"identity":"'"$RADIUS_USER"'".*"address":"172\.16\.201\.' "tunnel_up for the RADIUS user"
	expect_event '"event":"radius_reply".*"result":"reject"' "radius_reply reject for the wrong password"
	expect_event '"event":"close".*"reason":"ppp_auth_failed".*"client_error":"691' "p2sgw closes with ppp_auth_failed (691)"
	grep -q 'Sent Access-Accept' "$RADIUS_LOG" && pass "FreeRADIUS sent an Access-Accept" || { fail "no Access-Accept in FreeRADIUS' log"; radius_log_tail 30; }
	grep -q 'Sent Access-Reject' "$RADIUS_LOG" && pass "FreeRADIUS sent an Access-Reject" || { fail "no Access-Reject in FreeRADIUS' log"; radius_log_tail 30; }
	for s in "$RADIUS_SECRET" "$RADIUS_USER_PASSWORD"; do
		! grep -qF -- "$s" "$EVENTS" "$GW_ERR" && pass "secret '${s:0:3}...' is in no event or gateway log line" || fail "a secret is printed by the gateway"
	done
	;;
*) fail "unknown case $case_name" ;;
esac
stop_gw
finish
