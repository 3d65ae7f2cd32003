#!/usr/bin/env bash
# The compressed history (scenarios/azure-history-2019-2025.yaml) with three
# client trust stores: the old client package (the first self-signed CA
# only), DigiCert Global Root CA only, and both DigiCert roots. The clock
# runs at HISTORY_SPEED (default 3,000,000x: 2019-2025 in about a minute).
# Three openssl clients connect again and again, each checking the chain at
# the gateway's time (-attime from GET /status); each result is compared
# with what the chain served at that moment (GET /status before and after)
# must give its trust store. The run must pass through every chain, the
# renewal by maintenance and each timeline entry; the rehearsal report then
# holds the three clients. The per-step table is printed.
. "$(dirname "$0")/lib.sh"
require jq
SPEED=${HISTORY_SPEED:-3000000}

# its own state: the CAs are made at the gateway clock of their first use
STATE=$TEST_TMP/state
# made first, at the history's start, so no CA is generated while the fast
# clock runs (an RSA key takes gateway weeks at this speed)
P2SGW_GATEWAY_CLOCK=2019-01-01T00:00:00Z "$P2SGW" pki create --all --state-dir "$STATE" >/dev/null \
	&& pass "lab PKI made at 2019-01-01" || fail "pki create"
LAB_STATE=$STATE start_gw azure-history-2019-2025 P2SGW_GATEWAY_CLOCK_SPEED="$SPEED"
status() { curl -sf "http://$CTL/status"; }
ROOTS=$STATE/pki
# the trust stores, once their CA exists (each is made at its first use)
store() {
	case $1 in
	old) cat "$ROOTS/selfsigned-gateway/root.crt" ;;
	g1) cat "$ROOTS/digicert-global-root-ca/root.crt" 2>/dev/null || true ;;
	both) cat "$ROOTS/digicert-global-root-ca/root.crt" "$ROOTS/digicert-global-root-g2/root.crt" \
		2>/dev/null || true ;;
	esac
}
# what a store must say of a chain
expect() {
	case "$1/$2" in
	old/selfsigned-gateway | g1/digicert-global-root-ca | both/digicert-global-root-ca | \
		both/digicert-global-root-g2) echo ok ;;
	*) echo fail ;;
	esac
}
TABLE=$TEST_TMP/history.tsv
printf 'gateway_clock\tchain\tgeneration\told-package\tdigicert-g1-only\tdigicert-g1+g2\n' >"$TABLE"
SEEN=""
bad=0
steps=0
while :; do
	s1=$(status)
	chain=$(jq -r .chain <<<"$s1")
	at=$(jq -r .gateway_clock_epoch <<<"$s1")
	when=$(jq -r .gateway_clock <<<"$s1")
	[[ "$when" > "2025-06-01" ]] && break
	row="$when	$chain	$(jq -r .policy_generation <<<"$s1")"
	for st in old g1 both; do
		store "$st" >"$TEST_TMP/$st.pem"
		rc=0
		if [ -s "$TEST_TMP/$st.pem" ]; then
			printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 openssl s_client -ign_eof \
				-connect "127.0.0.1:$PORT" -servername "$st.history.test" -CAfile "$TEST_TMP/$st.pem" \
				-verify_return_error -attime "$at" >"$TEST_TMP/$st.out" 2>&1 || rc=$?
		else
			rc=1   # its CA does not exist yet: nothing it trusts has been served
		fi
		got=ok
		[ "$rc" -eq 0 ] && grep -q 'Verify return code: 0 (ok)' "$TEST_TMP/$st.out" || got=fail
		row="$row	$got"
		eval "r_$st=$got"
	done
	s2=$(status)
	steps=$((steps + 1))
	# judged only when the same chain was served before and after
	if [ "$(jq -r .chain <<<"$s2")" = "$chain" ] && \
		[ "$(jq -r .policy_generation <<<"$s2")" = "$(jq -r .policy_generation <<<"$s1")" ]; then
		for st in old g1 both; do
			want=$(expect "$st" "$chain")
			eval "got=\$r_$st"
			if [ "$got" != "$want" ]; then
				bad=$((bad + 1))
				fail "$when $chain: $st store: $got, want $want ($(grep -m1 -E 'verify error|Verify return' "$TEST_TMP/$st.out"))"
			fi
		done
		case " $SEEN " in *" $chain "*) ;; *) SEEN="$SEEN $chain" ;; esac
	fi
	printf '%s\n' "$row" >>"$TABLE"
done
[ "$bad" -eq 0 ] && pass "$steps steps: every client's result is what its trust store says of the chain served" \
	|| fail "$bad results differ"
for c in selfsigned-gateway selfsigned-gateway-renewed digicert-global-root-ca digicert-global-root-g2; do
	case " $SEEN " in *" $c "*) pass "served $c" ;; *) fail "never saw $c served (seen:$SEEN)" ;; esac
done
expect_event '"event":"renewal_due"' "renewal by maintenance (less than 6 months left)"
[ "$(grep -c '"event":"timeline".*"result":"ok"' "$EVENTS")" = 7 ] \
	&& pass "the 7 timeline entries fired" || fail "timeline: $(grep -c '"event":"timeline"' "$EVENTS") entries"
# the 2019 move: due at 2019-03-12 18:00 on the gateway clock, done within a
# gateway week (a real fifth of a second at this speed)
grep '"event":"timeline"' "$EVENTS" | head -1 | jq -e '.due == "2019-03-12T18:00:00Z"
	and .gateway_clock >= .due and .gateway_clock < "2019-03-19T18:00:00Z"' >/dev/null \
	&& pass "the 2019 move: due 2019-03-12T18:00:00Z, done by $(grep '"event":"timeline"' "$EVENTS" | head -1 | jq -r .gateway_clock)" \
	|| fail "2019 move: $(grep '"event":"timeline"' "$EVENTS" | head -1 | jq -c '{due, gateway_clock}')"
# the maintenance windows: a time drawn from gateway.seed inside the window
grep '"event":"timeline"' "$EVENTS" | jq -e 'select(.within_ms) | .jitter_ms < .within_ms and .seed == "2019"' \
	>/dev/null && pass "windows drawn from gateway.seed 2019" || fail "window entries: $(grep '"within_ms"' "$EVENTS" | head -2)"
# the rehearsal report: the three clients, the last state of each
curl -sf "http://$CTL/report?format=json" >"$TEST_TMP/report.json"
jq -e '[.rows[] | select(.sni | endswith(".history.test"))] | length == 3' "$TEST_TMP/report.json" >/dev/null \
	&& pass "the report holds the three clients" || fail "report rows: $(jq -c '[.rows[].sni]' "$TEST_TMP/report.json")"
jq -e '.rows[] | select(.sni == "both.history.test") | .rehearsal == "reconnected"' "$TEST_TMP/report.json" >/dev/null \
	&& pass "both DigiCert roots: reconnected after the last change" \
	|| fail "both: $(jq -c '.rows[] | select(.sni == "both.history.test") | .rehearsal' "$TEST_TMP/report.json")"
log "per step (gateway clock, chain served, result per trust store):"
awk -F'\t' 'NR == 1 || $3 != last { print; last = $3 }' "$TABLE" | column -t -s $'\t' | sed 's/^/#   /'
jq -r '.rows[] | select(.sni | endswith(".history.test")) | "#   \(.sni): \(.rehearsal), last \(.last_outcome) \(.last_detail[0:80])"' \
	"$TEST_TMP/report.json"
stop_gw
finish
