#!/usr/bin/env bash
# The report at the audit's cap: 4,096 clients (p2sload from 4,096 loopback
# addresses). Checks that every client is counted, that the page lists the
# first 500 and links the other pages, that any client is one filter away,
# and that the page stays small (< 2 MB). It prints, without asserting them
# (timings belong to benchmarks), the server's time to build each form and
# Chromium's time to load the page against a blank page in the same run.
. "$(dirname "$0")/lib.sh"
require jq chromium
: "${P2SLOAD:?path of p2sload}"

CH_DIR=$TEST_TMP/chromium
chromium_run() {
	timeout 120 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --user-data-dir="$CH_DIR" "$@" 2>>"$TEST_TMP/chromium.err"
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }

start_gw azure-2018-tls12
clients() { curl -sf "http://$CTL/report?format=json&per_page=1" | jq '.summary.clients'; }
N=0
for round in 1 2 3 4 5 6; do
	"$P2SLOAD" handshake --resume -c 16 -d 3 --source 127.3.0.1-127.3.16.0 --servername "$HOST" \
		--json "127.0.0.1:$PORT" >"$TEST_TMP/load.$round.json" 2>&1 || true
	N=$(clients)
	[ "$N" -ge 4096 ] && break
done
[ "$N" = 4096 ] && pass "4096 clients (the audit's cap)" || fail "clients: $N"

for form in "report" "report.csv" "report?format=json"; do
	curl -s -o "$TEST_TMP/out" -w '%{http_code} %{time_total} %{size_download}\n' \
		"http://$CTL/$form" >"$TEST_TMP/t"
	read -r code secs bytes <"$TEST_TMP/t"
	[ "$code" = 200 ] && pass "GET /$form: $bytes bytes in $secs s (server and transfer)" \
		|| fail "GET /$form: $code"
	[ "$form" = report ] && PAGE_BYTES=$bytes && cp "$TEST_TMP/out" "$TEST_TMP/page.html"
done
[ "$PAGE_BYTES" -lt 2000000 ] && pass "the page of 4096 clients is $PAGE_BYTES bytes (< 2 MB)" \
	|| fail "page: $PAGE_BYTES bytes"
[ "$(grep -c '<details id="c[0-9]*" class="client">' "$TEST_TMP/page.html")" = 500 ] \
	&& pass "the page lists 500 clients" || fail "clients on the page: $(grep -c 'class="client"' "$TEST_TMP/page.html")"
grep -q 'Page 1 of 9:' "$TEST_TMP/page.html" && grep -q 'page=9&amp;per_page=500#clients' "$TEST_TMP/page.html" \
	&& pass "links to pages 2 to 9" || fail "page links: $(grep -o '<p class="pages">.\{0,200\}' "$TEST_TMP/page.html" | head -1)"
curl -sf "http://$CTL/report?page=9" | grep -c 'class="client"' | grep -qx 96 \
	&& pass "page 9 holds the last 96" || fail "page 9"
ID=$(curl -sf "http://$CTL/report?format=json&addr=127.3.15.255" | jq '.rows[0].client_id')
# into a file first: with pipefail, grep -q leaving early would fail curl (SIGPIPE)
curl -sf -o "$TEST_TMP/one.html" "http://$CTL/report?client=$ID" || true
grep -q "<details id=\"c$ID\" class=\"client\">" "$TEST_TMP/one.html" \
	&& pass "any client is one filter away (?client=$ID)" || fail "client=$ID"

printf '<!DOCTYPE html><html><body>blank</body></html>' >"$TEST_TMP/blank.html"
t0=$(ms); chromium_run --dump-dom "file://$TEST_TMP/blank.html" >/dev/null; t1=$(ms)
chromium_run --dump-dom "http://$CTL/report" >"$TEST_TMP/dom.html"; t2=$(ms)
grep -q '<span id="n-clients">4096</span> clients' "$TEST_TMP/dom.html" \
	&& pass "Chromium loaded the page of 4096 clients" || fail "dom: $(head -c 300 "$TEST_TMP/dom.html")"
log "chromium --dump-dom: blank page $((t1 - t0)) ms, report $((t2 - t1)) ms: the page costs $(( (t2 - t1) - (t1 - t0) )) ms over a blank one"

stop_gw
finish
