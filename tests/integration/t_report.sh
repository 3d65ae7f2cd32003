#!/usr/bin/env bash
# The rehearsal report in a real browser. A scripted rehearsal: clients of
# several kinds (openssl at TLS 1.0 and 1.2, gnutls-cli, curl, recorded
# Windows/Java/Chrome hellos from their own addresses, hostile SNI values)
# on the pre-2018 policy, then the 2018 policy and a rotation, then the same
# clients again. Checks: the JSON report's counts, groups, reasons and the
# failures after each event; CSV, JSON and `p2sgw report --format` agree;
# filters; and headless Chromium's DOM of GET /report holds the summary
# counts and the matrix, with every hostile value as text, never markup.
# A screenshot is kept in build/test-artifacts/report.png.
. "$(dirname "$0")/lib.sh"
require jq chromium cmp file
: "${HELLO_FRAG:?path of hello_frag}"

ART=${TEST_TMP%/test-tmp/*}/test-artifacts
mkdir -p "$ART"
CH_DIR=$TEST_TMP/chromium
# chromium URL ARGS...: headless, no sandbox (root), no GPU, its own profile
chromium_run() {
	timeout 60 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --user-data-dir="$CH_DIR" "$@" 2>>"$TEST_TMP/chromium.err"
}

start_gw azure-pre-2018
OLD=$(root_of selfsigned-gateway)
NEW=$(root_of digicert-global-root-g2)
cat "$OLD" "$NEW" >"$TEST_TMP/both.pem"
SRC=$P2SGW_SOURCE_DIR/tests/clienthellos
R=$TEST_TMP/report.json
report() { curl -sf "http://$CTL/report?format=json$1" >"$R"; }
all_closed() { wait_settled || fail "connections still open"; }
# sclient SNI ARGS...: openssl s_client, one request after the handshake
sclient() {
	local sni=$1
	shift
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 openssl s_client -ign_eof \
		-connect "127.0.0.1:$PORT" -servername "$sni" "$@" >"$TEST_TMP/ossl.out" 2>&1 || true
}
# replay FILE ADDR: a recorded hello from its own loopback address
replay() { timeout 10 "$HELLO_FRAG" --raw "file:$SRC/$1.hex" --source "$2" 127.0.0.1 "$PORT" \
	>/dev/null 2>&1 || true; }

# ---- the rehearsal -----------------------------------------------------------------------------
rehearse() {
	sclient old.test -tls1 -cipher 'AES128-SHA:@SECLEVEL=0' -CAfile "$OLD"
	sclient both.test -tls1_2 -CAfile "$TEST_TMP/both.pem"
	sclient plain.test
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 gnutls-cli --no-ca-verification \
		--sni-hostname gnutls.test -p "$PORT" 127.0.0.1 >/dev/null 2>&1 || true
	curl -sk --max-time 10 --resolve "curl.test:$PORT:127.0.0.1" "https://curl.test:$PORT/" \
		>/dev/null 2>&1 || true
	replay ie_8-10_win7 127.0.7.1
	replay ie_8-10_win7 127.0.7.2
	replay ie_11_win7 127.0.7.3
	replay java_8u161 127.0.7.4
	replay chrome_101_win10 127.0.7.5
	all_closed
}
rehearse
sclient '<img src=x onerror=alert(1)>' -tls1_2
sclient '"><script>alert(2)</script>' -tls1_2
# a hostile request: its words may reach a close detail
printf '<svg/onload=alert(3)> /x HTTP/1.1\r\nHost: <b>h</b>\r\n\r\n' | timeout 20 openssl s_client \
	-ign_eof -connect "127.0.0.1:$PORT" -servername request.test >/dev/null 2>&1 || true
all_closed
code=$(curl -s -o "$TEST_TMP/pol.out" -w '%{http_code}' -X PUT \
	-d '{"versions": ["tls1.2"], "ciphers": ["azure-2018"]}' "http://$CTL/policy")
[ "$code" = 200 ] && pass "PUT /policy: the 2018 policy" || fail "policy: $code $(cat "$TEST_TMP/pol.out")"
code=$(curl -s -o "$TEST_TMP/rot.out" -w '%{http_code}' -X POST -d '{"chain":"digicert-global-root-g2"}' \
	"http://$CTL/rotate")
[ "$code" = 200 ] && pass "POST /rotate" || fail "rotate: $code $(cat "$TEST_TMP/rot.out")"
rehearse

# ---- the JSON report ---------------------------------------------------------------------------
report ""
N=$(jq '.summary.clients' "$R")
[ "$N" -ge 13 ] && pass "$N clients in the report" || fail "clients: $N"
jq -e '[.rows[] | select(.address | startswith("127.0.7."))] | length == 5' "$R" >/dev/null \
	&& pass "each replayed hello is its own client" || fail "replays: $(jq -c '[.rows[].address]' "$R")"
jq -e '.matrix[] | select(.label == "IE 8-10 Win 7 (SChannel)") | .clients == 2
	and .eras["pre-2018"].ok == 2 and .eras["2018"].fail == 2 and .eras["2024"].fail == 2' "$R" >/dev/null \
	&& pass "matrix: 2 IE 8-10 Win 7 clients, pre-2018 ok, 2018 and 2024 fail" \
	|| fail "matrix: $(jq -c '.matrix' "$R")"
jq -e '.rows[] | select(.address == "127.0.7.4") | .label == "Java 8u161 (Java JSSE)"
	and .label_confidence == 100' "$R" >/dev/null && pass "Java 8u161 labelled with confidence 100" \
	|| fail "java row: $(jq -c '.rows[] | select(.address == "127.0.7.4")' "$R")"
for c in "gnutls.test/gnutls-cli 3.7 (Debian 12)" "curl.test/curl 7.88 with OpenSSL 3.0 (Debian 12)" \
	"plain.test/openssl s_client, OpenSSL 3.0 (Debian 12)"; do
	jq -e --arg s "${c%%/*}" --arg l "${c#*/}" '.rows[] | select(.sni == $s) | .label == $l' "$R" \
		>/dev/null && pass "${c%%/*}: ${c#*/}" || fail "${c%%/*}: $(jq -c --arg s "${c%%/*}" \
		'.rows[] | select(.sni == $s) | [.label, .label_confidence]' "$R")"
done
# openssl limited to TLS 1.0 and one suite is like nothing recorded
jq -e '.rows[] | select(.sni == "old.test") | .label == "unknown" and .label_nearest != ""
	and .label_confidence < 70' "$R" >/dev/null && pass "a client like no recorded one: unknown, with its nearest" \
	|| fail "old.test row: $(jq -c '.rows[] | select(.sni == "old.test") | [.label, .label_nearest, .label_confidence]' "$R")"
jq -e '.summary.headline[] | select(test("^[0-9]+ of [0-9]+ clients fail the 2018 policy: .*2 look like IE 8-10 Win 7 \\(SChannel\\)"))' \
	"$R" >/dev/null && pass "headline names the Windows 7 group" || fail "headline: $(jq -c '.summary.headline' "$R")"
jq -e '.reasons[] | select(.era == "2018" and (.why | test("offers at most TLS 1.0")))
	| (.fix | test("KB3140245")) and .clients >= 3' "$R" >/dev/null \
	&& pass "reason 'at most TLS 1.0' with its fix" || fail "reasons: $(jq -c '[.reasons[] | {era, why, clients}]' "$R")"
jq -e '[.events[].kind] == ["start", "policy", "rotate"]' "$R" >/dev/null \
	&& pass "events: start, policy, rotate" || fail "events: $(jq -c '[.events[].kind]' "$R")"
# after the rotation the TLS 1.0 client is refused: it failed after the last event
jq -e '.events[2].failed_clients | map(.sni) | index("old.test") != null' "$R" >/dev/null \
	&& pass "old.test failed after the rotation" || fail "failed after: $(jq -c '.events[2]' "$R")"
jq -e '.rows[] | select(.sni == "old.test") | .rehearsal == "failed" and .last_outcome == "refused"' \
	"$R" >/dev/null && pass "old.test: rehearsal failed, refused" \
	|| fail "old.test: $(jq -c '.rows[] | select(.sni == "old.test") | {rehearsal, last_outcome}' "$R")"
jq -e '.rows[] | select(.sni == "both.test") | .rehearsal == "reconnected"' "$R" >/dev/null \
	&& pass "both.test reconnected" || fail "both.test: $(jq -c '.rows[] | select(.sni == "both.test")' "$R")"
jq -e '(.activity.ok | add) >= 3 and (.activity.fail | add) >= 10' "$R" >/dev/null \
	&& pass "activity counts successes and failures" || fail "activity: $(jq -c '.activity' "$R")"

# ---- exports and filters -----------------------------------------------------------------------
curl -sf "http://$CTL/report.csv" >"$TEST_TMP/report.csv"
"$P2SGW" report --control "$CTL" --format csv >"$TEST_TMP/cli.csv"
cmp -s "$TEST_TMP/report.csv" "$TEST_TMP/cli.csv" && pass "p2sgw report --format csv = GET /report.csv" \
	|| fail "csv differs: $(diff "$TEST_TMP/report.csv" "$TEST_TMP/cli.csv" | head -5)"
head -1 "$TEST_TMP/report.csv" | grep -q '^client_id,address,sni,label,label_confidence,' \
	&& pass "CSV header" || fail "csv header: $(head -1 "$TEST_TMP/report.csv")"
[ "$(($(grep -c $'\r$' "$TEST_TMP/report.csv") - 1))" = "$N" ] && pass "CSV: one line per client" \
	|| fail "csv lines: $(wc -l <"$TEST_TMP/report.csv") for $N clients"
"$P2SGW" report --control "$CTL" --format json | jq -e --argjson n "$N" '.rows | length == $n' >/dev/null \
	&& pass "p2sgw report --format json: the same rows" || fail "cli json"
"$P2SGW" report --control "$CTL" >"$TEST_TMP/cli.txt"
grep -q 'clients fail the 2018 policy' "$TEST_TMP/cli.txt" && grep -q 'IE 8-10 Win 7 (SChannel)' "$TEST_TMP/cli.txt" \
	&& pass "p2sgw report: table with the headline" || fail "cli table: $(head -5 "$TEST_TMP/cli.txt")"
FAILS18=$(jq '.summary.eras["2018"].fail' "$R")
report "&fails=2018"
jq -e --argjson n "$FAILS18" '.summary.matched == $n and ([.rows[].era_2018] | unique == ["fail"])' "$R" \
	>/dev/null && pass "?fails=2018: the $FAILS18 clients failing 2018" || fail "fails filter: $(jq -c .summary "$R")"
[ "$("$P2SGW" report --control "$CTL" --fails 2018 --addr 127.0.7.0/24 --format csv | grep -c $'\r$')" = 3 ] \
	&& pass "CLI --fails 2018 --addr 127.0.7.0/24: the 2 IE 8-10 rows" || fail "cli filter"
report "&label=java&addr=127.0.7.4"
jq -e '.summary.matched == 1' "$R" >/dev/null && pass "?label=java&addr=127.0.7.4: one client" \
	|| fail "label filter: $(jq -c .summary "$R")"
code=$(curl -s -o "$TEST_TMP/form.out" -w '%{http_code}' \
	"http://$CTL/report?fails=&passes=&outcome=&rehearsal=&addr=&sni=&label=")
[ "$code" = 200 ] && grep -q "<span id=\"n-clients\">$N</span>" "$TEST_TMP/form.out" \
	&& pass "the form with empty fields: every client" || fail "empty form: $code"
for bad in 'fails=2019' 'format=xml' 'page=0' 'addr=10.0.0.0/40' 'nope=1'; do
	code=$(curl -s -o "$TEST_TMP/bad.out" -w '%{http_code}' "http://$CTL/report?$bad")
	[ "$code" = 400 ] && jq -e '.error | length > 0' "$TEST_TMP/bad.out" >/dev/null \
		&& pass "?$bad: 400 with a reason" || fail "?$bad: $code $(cat "$TEST_TMP/bad.out")"
done

# ---- in the browser ----------------------------------------------------------------------------
report ""
chromium_run --dump-dom "http://$CTL/report" >"$TEST_TMP/dom.html"
DOM=$TEST_TMP/dom.html
grep -q "<span id=\"n-clients\">$N</span> clients" "$DOM" \
	&& pass "Chromium DOM: the client count ($N)" || fail "dom: no client count; $(head -c 300 "$DOM")"
grep -q '<table class="matrix">' "$DOM" && grep -q '>IE 8-10 Win 7 (SChannel)</a></th><td>2</td><td class="ok">✓ all 2 ok</td><td class="fail">✗ all 2 fail</td><td class="fail">✗ all 2 fail</td>' "$DOM" \
	&& pass "Chromium DOM: the matrix row of IE 8-10 Win 7, in colour and in words" \
	|| fail "dom matrix: $(grep -o '<table class="matrix">.\{0,600\}' "$DOM" | head -c 600)"
for era in pre-2018 2018 2024; do
	ok=$(jq ".summary.eras[\"$era\"].ok" "$R")
	grep -q "<th>$era</th><td class=\"ok\">$ok ok</td>" "$DOM" \
		&& pass "Chromium DOM: $era: $ok ok" || fail "dom era $era: want $ok ok"
done
grep -q '<svg id="activity"' "$DOM" && [ "$(grep -o 'class="event"' "$DOM" | wc -l)" = 3 ] \
	&& pass "Chromium DOM: the timeline with its 3 events" || fail "dom timeline"
grep -q '<li>[0-9]* of [0-9]* clients fail the 2018 policy' "$DOM" \
	&& pass "Chromium DOM: the headline" || fail "dom headline"
# hostile SNI: text in the DOM, never an element or an attribute
jq -e '.rows[] | select(.sni == "request.test") | .last_detail | test("malformed request line")
	and (test("<") | not)' "$R" >/dev/null \
	&& pass "a hostile HTTP request reaches the report as the parser's words, not its bytes" \
	|| fail "request.test detail: $(jq -c '.rows[] | select(.sni == "request.test") | .last_detail' "$R")"
if grep -q '<img src="x"' "$DOM" || grep -q '<script>alert' "$DOM" || grep -qi 'onerror="' "$DOM" \
	|| grep -q '<svg/onload' "$DOM" || grep -q '<b>h</b>' "$DOM"; then
	fail "a hostile SNI became markup"
else
	pass "hostile SNI values did not become markup"
fi
grep -q '&lt;img src=x onerror=alert(1)&gt;' "$DOM" && grep -q '"&gt;&lt;script&gt;alert(2)&lt;/script&gt;' "$DOM" \
	&& pass "hostile SNI values shown as text" || fail "hostile SNI text missing"
curl -s -D "$TEST_TMP/headers" -o /dev/null "http://$CTL/report" || true
grep -qi "^content-security-policy: default-src 'none'" "$TEST_TMP/headers" \
	&& pass "the page forbids scripts and fetches (CSP)" || fail "no CSP header"
chromium_run --screenshot="$ART/report.png" --window-size=1280,2400 "http://$CTL/report" >/dev/null
file "$ART/report.png" | grep -q 'PNG image data, 1280 x 2400' && [ "$(stat -c %s "$ART/report.png")" -gt 20000 ] \
	&& pass "screenshot kept: $ART/report.png" || fail "screenshot: $(file "$ART/report.png")"

stop_gw

# ---- behind a token: the browser sends it as the Basic password ---------------------------------
start_gw azure-2018-tls12 P2SGW_TOKEN=s3cret-token
curl -s -D "$TEST_TMP/h401" -o /dev/null "http://$CTL/report"
grep -q '^HTTP/1.1 401' "$TEST_TMP/h401" && grep -qi '^WWW-Authenticate: Basic realm="p2sgw control"' "$TEST_TMP/h401" \
	&& pass "without the token: 401, asking the browser for Basic" || fail "401: $(cat "$TEST_TMP/h401")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -u qa:wrong "http://$CTL/report")" = 401 ] \
	&& pass "Basic with a wrong token: 401" || fail "wrong Basic accepted"
[ "$(curl -s -o /dev/null -w '%{http_code}' -u qa:s3cret-token "http://$CTL/report")" = 200 ] \
	&& pass "Basic with the token: 200" || fail "Basic with the token refused"
chromium_run --dump-dom "http://qa:s3cret-token@$CTL/report" >"$TEST_TMP/dom-token.html"
grep -q '<span id="n-clients">0</span> clients' "$TEST_TMP/dom-token.html" \
	&& pass "Chromium opens the page with the token in the URL" || fail "chromium with token: $(head -c 300 "$TEST_TMP/dom-token.html")"
stop_gw
finish
