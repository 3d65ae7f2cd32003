#!/usr/bin/env bash
# ClientHello gate and timeouts: non-TLS bytes, a truncated hello, an idle
# client, and each refusal action (stall, FIN, alert) set via environment.
. "$(dirname "$0")/lib.sh"

start_gw azure-2018-tls12 P2SGW_TLS_HANDSHAKE_TIMEOUT=1s
rc=0; curl -s -m 5 "http://127.0.0.1:$PORT/" >/dev/null || rc=$?
[ "$rc" -eq 56 ] && pass "plain HTTP on the TLS port gets a reset (curl 56)" || fail "plain HTTP: curl exit $rc"
expect_event '"reason":"refused_malformed".*"detail":"first bytes look like HTTP' "non-TLS bytes named in the log"

# a truncated ClientHello, then the client closes
printf '\x16\x03\x01\x00\x80\x01\x00' | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$PORT" || true
expect_event '"reason":"client_closed".*"detail":"in the middle of the ClientHello"' "truncated hello then close"

# a real ClientHello sent one byte per write is still parsed (and only
# re-parsed when a record completes)
hello=$P2SGW_SOURCE_DIR/tests/fuzz/corpus/clienthello/curl_tls12max
exec 9<>/dev/tcp/127.0.0.1/$PORT
for i in $(seq 0 $(( $(stat -c %s "$hello") - 1 ))); do
	dd if="$hello" bs=1 skip="$i" count=1 status=none >&9 2>/dev/null || break
done
expect_event '"event":"client_hello".*"ja3_hash":"[0-9a-f]{32}"' "a hello sent byte by byte is parsed"
exec 9>&-

# an idle client is cut at the handshake timeout
exec 8<>/dev/tcp/127.0.0.1/$PORT
expect_event '"reason":"handshake_timeout"' "idle client closed at the handshake timeout" 5
exec 8>&-
stop_gw

start_gw azure-2018-tls12 P2SGW_TLS_REFUSE_VERSION=stall P2SGW_TLS_STALL_TIMEOUT=1s
ossl -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
expect_event '"reason":"refused_version".*"action":"stall"' "stall holds the client, then closes"
has 'errno=104' && fail "stall must not reset" || pass "stall ends without a reset"
stop_gw

start_gw azure-2018-tls12 P2SGW_TLS_REFUSE_VERSION=fin
ossl -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
has 'errno=104|reset by peer' && fail "fin must not reset" || pass "FIN refusal: no reset"
expect_event '"reason":"refused_version".*"action":"fin"' "FIN refusal logged"
stop_gw

start_gw azure-2018-tls12 P2SGW_TLS_REFUSE_VERSION=alert:70
ossl -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
check_out 'alert protocol version' "alert given by number is sent"
stop_gw

# bad settings are startup errors, not silent changes
rc=0; P2SGW_TLS_VERSIONS=tls1.3 "$P2SGW" serve --listen 127.0.0.1:0 --control 127.0.0.1:0 \
	--state-dir "$LAB_STATE" >/dev/null 2>"$TEST_TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'P2SGW_TLS_VERSIONS' "$TEST_TMP/err" && pass "unsupported version in env is an error" \
	|| fail "tls1.3 env: rc=$rc $(cat "$TEST_TMP/err")"
rc=0; "$P2SGW" serve --listen 127.0.0.1:99999 --state-dir "$LAB_STATE" >/dev/null 2>"$TEST_TMP/err" || rc=$?
[ "$rc" -ne 0 ] && grep -q 'not ADDR:PORT' "$TEST_TMP/err" && pass "bad listen address is an error" || fail "bad listen: rc=$rc"
rc=0; "$P2SGW" serve --listen 127.0.0.1:0 --control 0.0.0.0:0 --state-dir "$LAB_STATE" >/dev/null 2>"$TEST_TMP/err" || rc=$?
[ "$rc" -ne 0 ] && grep -q 'token' "$TEST_TMP/err" && pass "control API off loopback needs a token" || fail "no-token control: rc=$rc"
finish
