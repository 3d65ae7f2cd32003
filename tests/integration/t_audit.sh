#!/usr/bin/env bash
# Client audit and rotation rehearsal: GET /clients lists each client with
# era verdicts; after POST /rotate a client that trusts only the old root
# shows as failed with the alert it sent, one that trusts both roots as
# reconnected; GET /report is HTML; `p2sgw report` prints the table.
. "$(dirname "$0")/lib.sh"
require jq

start_gw azure-pre-2018
OLD=$(root_of selfsigned-gateway)
NEW=$(root_of digicert-global-root-g2)
cat "$OLD" "$NEW" >"$TEST_TMP/both.pem"
C=$TEST_TMP/clients.json
clients() { curl -sf "http://$CTL/clients" >"$C"; }
# client SNI: the entry of the client that sent this SNI
client() { jq -c --arg s "$1" '[.[] | select(.sni == $s)] | first' "$C"; }
# all_closed WHAT: every accepted connection has its close event (the audit
# records a close before the event is written)
all_closed() { if wait_settled; then pass "$1"; else fail "$1: connections still open"; fi; }
# sclient SNI ARGS...: openssl s_client with this SNI, a request after the handshake
sclient() {
	local sni=$1
	shift
	OUT=$TEST_TMP/ossl.out
	RC=0
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 openssl s_client -ign_eof \
		-connect "127.0.0.1:$PORT" -servername "$sni" "$@" >"$OUT" 2>&1 || RC=$?
}

sclient tls10.test -tls1 -cipher 'AES128-SHA:@SECLEVEL=0' -CAfile "$OLD"
check_out 'Protocol *: TLSv1$' "openssl TLS 1.0 connects"
sclient tls12.test -tls1_2 -CAfile "$OLD"
check_out 'Protocol *: TLSv1.2' "openssl TLS 1.2 connects"
sclient old.test -tls1_2 -verify_return_error -CAfile "$OLD"
check_out 'Verify return code: 0' "old-root client connects before the rotation"
sclient both.test -tls1_2 -verify_return_error -CAfile "$TEST_TMP/both.pem"
check_out 'Verify return code: 0' "both-roots client connects before the rotation"
all_closed "first four connections closed"

clients
[ "$(jq length "$C")" -ge 4 ] && pass "GET /clients lists the clients" || fail "clients: $(head -c 400 "$C")"
T10=$(client tls10.test)
echo "$T10" | jq -e '.offered.max_version == "TLS 1.0" and .eras["pre-2018"].ok == true
	and .eras["2018"].ok == false and (.eras["2018"].why | test("after 2018-07-01: no, offers at most TLS 1.0"))
	and .eras["2024"].ok == false and .counts.tls_ok == 1 and .last_outcome.outcome == "sstp_request"' >/dev/null \
	&& pass "TLS 1.0 client: pre-2018 yes, 2018 no (offers at most TLS 1.0)" || fail "tls10 entry: $T10"
T12=$(client tls12.test)
echo "$T12" | jq -e '.offered.max_version == "TLS 1.2" and .eras["pre-2018"].ok and .eras["2018"].ok
	and .eras["2024"].ok and (.address == "127.0.0.1") and (.fingerprint | startswith("t12"))' >/dev/null \
	&& pass "TLS 1.2 client: all eras yes" || fail "tls12 entry: $T12"
client old.test | jq -e '.rotation.state == "no_rotation"' >/dev/null \
	&& pass "before the rotation: no_rotation" || fail "old entry: $(client old.test)"

code=$(curl -s -o "$TEST_TMP/rot.out" -w '%{http_code}' -X POST -d '{"chain":"digicert-global-root-g2"}' "http://$CTL/rotate")
[ "$code" = 200 ] && pass "POST /rotate to digicert-global-root-g2" || fail "rotate: $code $(cat "$TEST_TMP/rot.out")"

sclient old.test -tls1_2 -verify_return_error -CAfile "$OLD"
[ "$RC" -ne 0 ] && pass "old-root client fails after the rotation" || fail "old-root client connected"
sclient both.test -tls1_2 -verify_return_error -CAfile "$TEST_TMP/both.pem"
check_out 'Verify return code: 0' "both-roots client connects after the rotation"
expect_event '"error":"client sent alert unknown_ca' "unknown_ca logged"
sclient '<i>x</i>.test' -tls1_2
all_closed "connections after the rotation closed"

clients
client old.test | jq -e '.rotation.state == "failed" and (.rotation.text | test("sent alert unknown_ca"))
	and .last_outcome.outcome == "client_alert" and .last_outcome.chain == "digicert-global-root-g2"
	and .rotation.last_success_chain == "selfsigned-gateway"' >/dev/null \
	&& pass "old-root client: not reconnected, sent unknown_ca" || fail "old entry: $(client old.test)"
client both.test | jq -e '.rotation.state == "reconnected" and .counts.sstp_requests == 2' >/dev/null \
	&& pass "both-roots client: reconnected" || fail "both entry: $(client both.test)"
client tls12.test | jq -e '.rotation.state == "not_seen_since"' >/dev/null \
	&& pass "a client not seen since the rotation: not_seen_since" || fail "tls12 entry: $(client tls12.test)"

code=$(curl -s -o "$TEST_TMP/report.html" -w '%{http_code} %{content_type}' "http://$CTL/report")
case "$code" in "200 text/html"*) pass "GET /report is HTML";; *) fail "report: $code";; esac
grep -q 'reconnected' "$TEST_TMP/report.html" && grep -q 'sent alert unknown_ca' "$TEST_TMP/report.html" \
	&& pass "report shows the rehearsal" || fail "report lacks the rehearsal"
grep -q '&lt;i&gt;x&lt;/i&gt;.test' "$TEST_TMP/report.html" && ! grep -q '<i>x' "$TEST_TMP/report.html" \
	&& pass "report escapes the SNI" || fail "SNI not escaped in the report"

"$P2SGW" report --control "$CTL" >"$TEST_TMP/table.out" 2>&1 || fail "p2sgw report failed: $(cat "$TEST_TMP/table.out")"
sed 's/^/    /' "$TEST_TMP/table.out"
grep -qE '^127\.0\.0\.1 old\.test .* failed$' "$TEST_TMP/table.out" \
	&& grep -qE '^127\.0\.0\.1 both\.test .* reconnected$' "$TEST_TMP/table.out" \
	&& grep -qE '^127\.0\.0\.1 tls10\.test .* ok +fail +fail ' "$TEST_TMP/table.out" \
	&& pass "p2sgw report prints the table" || fail "report table"
# under the TLS 1.0 client, the two eras it fails, each with its reason and the fix
awk '/^127\.0\.0\.1 tls10\.test /{ on = 1; next } /^[^ ]/{ on = 0 } on' "$TEST_TMP/table.out" >"$TEST_TMP/tls10.fix"
grep -q '^    after 2018-07-01: no, offers at most TLS 1.0$' "$TEST_TMP/tls10.fix" &&
	grep -q '^    2024 policy: no, offers at most TLS 1.0$' "$TEST_TMP/tls10.fix" &&
	[ "$(grep -c '^      fix: enable TLS 1.2 on the client. Windows 7 SP1 / 8: install KB3140245' "$TEST_TMP/tls10.fix")" -eq 2 ] &&
	grep -q 'TlsVersion=0xfc0' "$TEST_TMP/tls10.fix" && grep -q 'SchUseStrongCrypto=1' "$TEST_TMP/tls10.fix" &&
	pass "p2sgw report gives the TLS 1.0 client's reasons and fixes" ||
	{ fail "report lacks the reasons or fixes"; cat "$TEST_TMP/tls10.fix"; }
client tls10.test | jq -e '(.eras["2018"].fix | test("KB3140245")) and (.eras["pre-2018"] | has("fix") | not)' >/dev/null &&
	pass "GET /clients: a fix for each era the client fails, none where it passes" ||
	fail "fix in /clients: $(client tls10.test | jq -c .eras)"
grep -q '<td>enable TLS 1.2 on the client. Windows 7 SP1' "$TEST_TMP/report.html" &&
	pass "GET /report shows the fix" || fail "report lacks the fix"
"$P2SGW" report --control 127.0.0.1:1 >/dev/null 2>&1 && fail "report against a closed port succeeded" \
	|| pass "report against a closed port fails"

stop_gw
finish
