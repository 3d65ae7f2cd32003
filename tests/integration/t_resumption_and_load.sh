#!/usr/bin/env bash
# Session resumption on and off; many concurrent clients.
. "$(dirname "$0")/lib.sh"
start_gw azure-2018-tls12
ossl -tls1_2 -sess_out "$TEST_TMP/sess"
ossl -tls1_2 -sess_in "$TEST_TMP/sess"
check_out '^Reused, TLSv1.2' "session is resumed"
expect_event '"resumed":true' "tls_result says resumed"

pids=()
for i in $(seq 1 40); do
	(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 30 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -quiet \
		>"$TEST_TMP/c$i.out" 2>&1) &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
ok=$(grep -l 'HTTP/1.1 404' "$TEST_TMP"/c*.out | wc -l)
[ "$ok" -eq 40 ] && pass "40 concurrent clients all served" || fail "only $ok of 40 concurrent clients served"
stop_gw

start_gw azure-2018-tls12 P2SGW_TLS_SESSION_RESUMPTION=false
ossl -tls1_2 -sess_out "$TEST_TMP/sess2"
ossl -tls1_2 -sess_in "$TEST_TMP/sess2"
check_out '^New, TLSv1.2' "resumption off: a full handshake"
stop_gw
finish
