#!/usr/bin/env bash
# The FreeRADIUS fixture on its own, driven by real RADIUS clients (no gateway involved):
#   MS-CHAP v1 (radtest -t mschap) and MS-CHAPv2 (radclient with hand-made MS-CHAP2-Response,
#   tests/radius/mschapv2.py): Accept with MS-CHAP2-Success and MPPE keys that match RFC 3079,
#   Reject for a wrong password; BlastRADIUS: no Message-Authenticator -> dropped; wrong shared
#   secret -> no reply; EAP-TLS (eapol_test): lab client certificate -> SUCCESS with MPPE keys,
#   revoked client certificate (listed in the client root's CRL) -> FAILURE.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/radius-lib.sh"
T_START=$(radius__ms)
HERE=$(cd "$(dirname "$0")" && pwd)

# rfail MSG: fail and show what FreeRADIUS said
rfail() {
	fail "$@"
	radius_log_tail 30
}

# rc_out FILE CMD...: run CMD, stdout+stderr into FILE, status into RC
rc_out() {
	OUT=$1
	shift
	RC=0
	"$@" >"$OUT" 2>&1 || RC=$?
}

python3 "$HERE/mschapv2.py" selftest >"$TEST_TMP/selftest.out" 2>&1 \
	&& pass "$(sed 's/^ok: //' "$TEST_TMP/selftest.out")" \
	|| { cat "$TEST_TMP/selftest.out"; fail "MS-CHAPv2 helper self-test"; finish; }

radius_start
[[ "$RADIUS_PORT" =~ ^[1-9][0-9]*$ ]] && [ "$RADIUS_PORT" != 1812 ] \
	&& pass "FreeRADIUS answers Status-Server on its picked port 127.0.0.1:$RADIUS_PORT ($RADIUS_READY_MS ms after start)" \
	|| rfail "RADIUS_PORT '$RADIUS_PORT'"
if ss -Hulnp 2>/dev/null | grep -q "127.0.0.1:$RADIUS_PORT .*pid=$RADIUS_PID,"; then
	pass "FreeRADIUS (pid $RADIUS_PID) listens on 127.0.0.1:$RADIUS_PORT/udp only"
else
	ss -Hulnp | grep -E "freeradius|:$RADIUS_PORT " | sed 's/^/    /'
	rfail "ss does not show pid $RADIUS_PID on 127.0.0.1:$RADIUS_PORT"
fi
if ss -Hulnp 2>/dev/null | grep "pid=$RADIUS_PID," | grep -qv "127.0.0.1:$RADIUS_PORT "; then
	ss -Hulnp | grep "pid=$RADIUS_PID," | sed 's/^/    /'
	rfail "FreeRADIUS listens on more than 127.0.0.1:$RADIUS_PORT"
fi

# ---- MS-CHAP v1: radtest (its -t mschap sends MS-CHAP-Password, which radclient turns into
# MS-CHAP-Challenge + MS-CHAP-Response, i.e. v1). In radclient's double quotes \\ is one \.
RT_PW=${RADIUS_USER_PASSWORD//\\/\\\\}
rc_out "$TEST_TMP/radtest-good.out" timeout 10 radtest -t mschap "$RADIUS_USER" "$RT_PW" "127.0.0.1:$RADIUS_PORT" 0 "$RADIUS_SECRET"
if [ "$RC" -eq 0 ] && has '^Received Access-Accept' && has 'MS-CHAP-MPPE-Keys = 0x'; then
	pass "radtest -t mschap (MS-CHAP v1), good password: Access-Accept with MS-CHAP-MPPE-Keys"
else
	sed 's/^/    /' "$OUT"; rfail "radtest -t mschap good password: rc=$RC"
fi
rc_out "$TEST_TMP/radtest-bad.out" timeout 10 radtest -t mschap "$RADIUS_USER" 'Sw0rd!CONTOSO' "127.0.0.1:$RADIUS_PORT" 0 "$RADIUS_SECRET"
if has '^Received Access-Reject' && ! has '^Received Access-Accept'; then
	pass "radtest -t mschap (MS-CHAP v1), wrong password: Access-Reject"
else
	sed 's/^/    /' "$OUT"; rfail "radtest -t mschap wrong password: no Access-Reject (rc=$RC)"
fi

# ---- MS-CHAPv2 as the gateway sends it: radclient with MS-CHAP-Challenge + MS-CHAP2-Response
# mschapv2 NAME PASSWORD [SECRET [NO_MSG_AUTH]]: output in $OUT, state in $TEST_TMP/$NAME.json
mschapv2() {
	local name=$1 pw=$2 secret=${3:-$RADIUS_SECRET} req=$TEST_TMP/$1.req
	python3 "$HERE/mschapv2.py" request "$RADIUS_USER" "$pw" "$TEST_TMP/$name.json" >"$req"
	[ -z "${4:-}" ] || sed -i '/^Message-Authenticator/d' "$req"
	rc_out "$TEST_TMP/$name.out" timeout 10 radclient -x -t 1 -r 1 "127.0.0.1:$RADIUS_PORT" auth "$secret" <"$req"
}

mschapv2 v2-good "$RADIUS_USER_PASSWORD"
if [ "$RC" -eq 0 ] && has '^Received Access-Accept' && has 'MS-CHAP2-Success = 0x' \
	&& has 'MS-MPPE-Send-Key = 0x' && has 'MS-MPPE-Recv-Key = 0x'; then
	pass "MS-CHAPv2 (radclient), good password: Access-Accept with MS-CHAP2-Success, MS-MPPE-Send-Key and MS-MPPE-Recv-Key"
	grep -E 'MS-MPPE-Encryption-(Policy|Types)' "$OUT" | sed 's/^\s*/    /'
	if python3 "$HERE/mschapv2.py" verify "$TEST_TMP/v2-good.json" "$RADIUS_USER_PASSWORD" "$OUT" >"$TEST_TMP/verify.out"; then
		while read -r l; do pass "MS-CHAPv2 reply: ${l#ok: }"; done <"$TEST_TMP/verify.out"
	else
		cat "$TEST_TMP/verify.out"; rfail "MS-CHAPv2 reply values"
	fi
else
	sed 's/^/    /' "$OUT"; rfail "MS-CHAPv2 good password: rc=$RC"
fi

mschapv2 v2-bad 'Sw0rd!CONTOSO\p2s-user;#&y'
if has '^Received Access-Reject' && has 'MS-CHAP-Error = ' && ! has '^Received Access-Accept'; then
	pass "MS-CHAPv2 (radclient), wrong password: Access-Reject with MS-CHAP-Error ($(grep -o 'E=[0-9]*' "$OUT" | head -1))"
	grep -q 'E=691' "$OUT" && pass "MS-CHAP-Error says E=691" || rfail "MS-CHAP-Error is not E=691: $(grep MS-CHAP-Error "$OUT")"
else
	sed 's/^/    /' "$OUT"; rfail "MS-CHAPv2 wrong password: no Access-Reject (rc=$RC)"
fi

# ---- what must get no reply at all
mschapv2 v2-no-msgauth "$RADIUS_USER_PASSWORD" "$RADIUS_SECRET" no-message-authenticator
if has 'No reply from server' && ! has '^Received '; then
	pass "Access-Request without Message-Authenticator: dropped (require_message_authenticator = yes)"
else
	sed 's/^/    /' "$OUT"; rfail "an Access-Request without Message-Authenticator was answered"
fi
mschapv2 v2-bad-secret "$RADIUS_USER_PASSWORD" "not-$RADIUS_SECRET"
if has 'No reply from server' && ! has '^Received '; then
	pass "wrong shared secret: no reply (radclient: $(grep -m1 -o 'No reply from server.*' "$OUT"))"
else
	sed 's/^/    /' "$OUT"; rfail "a request with a wrong shared secret was answered"
fi
grep -q 'Shared secret is incorrect' "$RADIUS_LOG" \
	&& pass "FreeRADIUS logged: $(grep -m1 -o 'invalid Message-Authenticator.*' "$RADIUS_LOG")" \
	|| rfail "FreeRADIUS did not log the wrong shared secret"

# ---- EAP-TLS: eapol_test against the lab certificates
# eaptls NAME CERT KEY: output in $OUT, status in $RC
eaptls() {
	local conf=$TEST_TMP/$1.conf
	cat >"$conf" <<-EOF
	network={
		key_mgmt=IEEE8021X
		eap=TLS
		identity="$1"
		ca_cert="$RADIUS_SERVER_ROOT"
		client_cert="$2"
		private_key="$3"
		eapol_flags=0
	}
	EOF
	rc_out "$TEST_TMP/$1.out" timeout 30 eapol_test -c "$conf" -a 127.0.0.1 -p "$RADIUS_PORT" -s "$RADIUS_SECRET" -t 10
}

eaptls eaptls-good "$RADIUS_CLIENT_CERT" "$RADIUS_CLIENT_KEY"
if [ "$RC" -eq 0 ] && has '^SUCCESS$' && has '^MPPE keys OK: 1  mismatch: 0' && has 'code=2 \(Access-Accept\)'; then
	pass "eapol_test EAP-TLS, lab client certificate (P2SChildCert): SUCCESS, Access-Accept, 'MPPE keys OK: 1  mismatch: 0'"
else
	grep -E '^(SUCCESS|FAILURE)|MPPE keys|RADIUS message|TLS: .*(fail|error|alert)' "$OUT" | sed 's/^/    /'
	rfail "eapol_test EAP-TLS with the good client certificate: rc=$RC"
fi
has "depth=2 buf='/C=US/O=DigiCert Inc/OU=www.digicert.com/CN=DigiCert Global Root G2'" \
	&& pass "eapol_test verified the server's lab chain up to DigiCert Global Root G2" \
	|| rfail "eapol_test did not verify the server chain to the lab G2 root"

eaptls eaptls-revoked "$RADIUS_REVOKED_CERT" "$RADIUS_REVOKED_KEY"
if [ "$RC" -ne 0 ] && has '^FAILURE$' && has 'code=3 \(Access-Reject\)' && has 'Received EAP-Failure'; then
	pass "eapol_test EAP-TLS, revoked client certificate: FAILURE (Access-Reject, EAP-Failure)"
else
	grep -E '^(SUCCESS|FAILURE)|MPPE keys|RADIUS message' "$OUT" | sed 's/^/    /'
	rfail "eapol_test EAP-TLS with the revoked client certificate: rc=$RC"
fi
grep -q 'OpenSSL says error 23 : certificate revoked' "$RADIUS_LOG" \
	&& pass "FreeRADIUS rejected it by the CRL (check_crl): 'error 23 : certificate revoked'" \
	|| rfail "FreeRADIUS did not log the CRL revocation"

# ---- still alive, then a clean stop
radius_status && pass "Status-Server still answered after all requests" || rfail "no Status-Server answer at the end"
pid=$RADIUS_PID
radius_stop
kill -0 "$pid" 2>/dev/null && fail "FreeRADIUS pid $pid still running after radius_stop" || pass "radius_stop: FreeRADIUS pid $pid is gone"
log "test run $(( $(radius__ms) - T_START )) ms"
finish
