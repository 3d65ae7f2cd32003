#!/usr/bin/env bash
# Scenario timeline (rotate, maintenance, policy), the renewal rule of the
# old self-signed gateways, and GET /package following the served chain.
# Every step waits on the event the server logs, never on a fixed sleep.
. "$(dirname "$0")/lib.sh"
require unzip

api() { curl -s -o "$TEST_TMP/api.out" -D "$TEST_TMP/api.hdr" -w '%{http_code}' "$@"; }
# cacert ZIP OUT.der: the <CaCert> of the package's VpnSettings.xml, as DER
cacert() {
	rm -rf "$TEST_TMP/u" && mkdir -p "$TEST_TMP/u" && unzip -q -o "$1" -d "$TEST_TMP/u"
	sed -n 's:.*<CaCert>\(.*\)</CaCert>.*:\1:p' "$TEST_TMP/u/Generic/VpnSettings.xml" | head -1 \
		| base64 -d >"$2"
}
der_of() { openssl x509 -in "$(root_of "$1")" -outform DER -out "$2"; }

# The shipped 2019 transition with the timeline shortened.
SC=$TEST_TMP/t2019.yaml
cat >"$SC" <<YAML
name: t2019
base: azure-2019-ca-transition
timeline:
  - {at: 3s, action: rotate, chain: digicert-global-root-ca}
  - {at: 5s, action: maintenance, duration: 3s}
  - {at: 9s, action: policy, versions: [tls1.0, tls1.1, tls1.2], ciphers: [azure-pre-2018]}
YAML
start_gw "$SC"

# before the rotation: the self-signed gateway CA
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_return_error -verify_hostname "$HOST"
check_out 'Verify return code: 0' "before the rotation the chain verifies against the gateway CA"
code=$(api "http://$CTL/package")
cp "$TEST_TMP/api.out" "$TEST_TMP/pkg1.zip"
[ "$code" = 200 ] && pass "GET /package: 200" || fail "GET /package: $code $(head -c 300 "$TEST_TMP/api.out")"
grep -qi '^Content-Type: application/zip' "$TEST_TMP/api.hdr" && pass "Content-Type application/zip" \
	|| fail "headers: $(cat "$TEST_TMP/api.hdr")"
grep -qi '^Content-Disposition: attachment; filename=p2sgw-t2019.zip' "$TEST_TMP/api.hdr" \
	&& pass "Content-Disposition names p2sgw-t2019.zip" || fail "headers: $(cat "$TEST_TMP/api.hdr")"
cacert "$TEST_TMP/pkg1.zip" "$TEST_TMP/ca1.der"; der_of selfsigned-gateway "$TEST_TMP/root1.der"
cmp -s "$TEST_TMP/ca1.der" "$TEST_TMP/root1.der" && pass "package CaCert is the gateway CA" \
	|| fail "package CaCert is not the gateway CA"
ossl -tls1 -cipher 'AES128-SHA:@SECLEVEL=0'
[ "$RC" -ne 0 ] && pass "TLS 1.0 refused before the policy entry" || fail "TLS 1.0 accepted early"
grep -q '"event":"timeline"' "$EVENTS" && fail "the 'before' checks ran late (timeline already fired)" \
	|| pass "the 'before' checks ran before the first entry"

# rotate
expect_event '"event":"timeline".*"action":"rotate".*"result":"ok"' "timeline rotate fired" 15
grep -q '"event":"rotate".*"chain":"digicert-global-root-ca"' "$EVENTS" && pass "rotate policy event" \
	|| fail "no rotate event"
ossl -tls1_2 -CAfile "$(root_of digicert-global-root-ca)" -verify_return_error -verify_hostname "$HOST"
check_out 'Verify return code: 0' "after the rotation the chain verifies against DigiCert Global Root CA"
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_return_error
[ "$RC" -ne 0 ] && pass "and no longer against the gateway CA" || fail "old root still verifies"
code=$(api "http://$CTL/package")
cp "$TEST_TMP/api.out" "$TEST_TMP/pkg2.zip"
cacert "$TEST_TMP/pkg2.zip" "$TEST_TMP/ca2.der"; der_of digicert-global-root-ca "$TEST_TMP/root2.der"
[ "$code" = 200 ] && cmp -s "$TEST_TMP/ca2.der" "$TEST_TMP/root2.der" \
	&& pass "package after the rotation carries the new root" || fail "package after rotation: $code"
cmp -s "$TEST_TMP/pkg1.zip" "$TEST_TMP/pkg2.zip" && fail "old and new packages are identical" \
	|| pass "old and new packages differ"
code=$(api "http://$CTL/package?chain=baltimore-cybertrust-root")
cacert "$TEST_TMP/api.out" "$TEST_TMP/ca3.der" 2>/dev/null || true
der_of baltimore-cybertrust-root "$TEST_TMP/root3.der"
[ "$code" = 200 ] && cmp -s "$TEST_TMP/ca3.der" "$TEST_TMP/root3.der" \
	&& pass "GET /package?chain= builds another chain's package" || fail "package?chain: $code"
code=$(api "http://$CTL/package?chain=no-such-chain")
[ "$code" = 404 ] && pass "GET /package unknown chain: 404" || fail "unknown chain gave $code"
code=$(api "http://$CTL/package?colour=red")
[ "$code" = 400 ] && pass "GET /package unknown parameter: 400" || fail "unknown parameter gave $code"
code=$(api -X POST "http://$CTL/package")
[ "$code" = 405 ] && pass "POST /package: 405" || fail "POST /package gave $code"

# maintenance
expect_event '"event":"timeline".*"action":"maintenance".*"result":"ok"' "timeline maintenance fired" 15
ossl -tls1_2
[ "$RC" -ne 0 ] && ! has 'New, TLSv1' && pass "new connection reset during the maintenance window" \
	|| fail "accepted during maintenance"
expect_event '"event":"close".*"reason":"fault_injected"' "maintenance refusal logged"

# policy
expect_event '"event":"timeline".*"action":"policy".*"result":"ok"' "timeline policy fired" 15
grep -q '"event":"policy".*"chain":"digicert-global-root-ca"' "$EVENTS" && pass "policy keeps the rotated chain" \
	|| fail "no policy event with the rotated chain"
ossl -tls1 -cipher 'AES128-SHA:@SECLEVEL=0'
check_out 'Protocol *: TLSv1$' "after the policy entry a TLS 1.0 client connects"
stop_gw

# Renewal rule: leaf issued 300 of 540 days ago, renew after 50%.
start_gw selfsigned-renewal
expect_event '"event":"renewal_due".*"age_days":300.*"lifetime_days":54[01]' "renewal due at start"
expect_event '"event":"renewal".*"chain":"selfsigned-gateway-renewed"' "renewed by maintenance"
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway-renewed)" -verify_return_error -verify_hostname "$HOST"
check_out 'Verify return code: 0' "the renewed CA verifies the served chain"
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_return_error
[ "$RC" -ne 0 ] && pass "the CA of the old package does not" || fail "old CA still verifies"
code=$(api "http://$CTL/package")
cacert "$TEST_TMP/api.out" "$TEST_TMP/ca4.der"; der_of selfsigned-gateway-renewed "$TEST_TMP/root4.der"
[ "$code" = 200 ] && cmp -s "$TEST_TMP/ca4.der" "$TEST_TMP/root4.der" \
	&& pass "the package after renewal carries the renewed CA" || fail "package after renewal: $code"
stop_gw

# Below the share: no renewal.
start_gw selfsigned-renewal P2SGW_CERTIFICATE_ISSUED=-100d
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_return_error
check_out 'Verify return code: 0' "leaf 100 of 540 days old: still the original CA"
grep -q '"event":"renewal' "$EVENTS" && fail "renewed below the share" || pass "no renewal below the share"
stop_gw

# The seed's rule: renewed by maintenance when less than 6 months remain (540-day leaf).
start_gw selfsigned-renewal P2SGW_CERTIFICATE_RENEW_AFTER="6 months" P2SGW_CERTIFICATE_ISSUED=-400d
expect_event '"event":"renewal_due".*"left_days":1[34][0-9],.*"renew_when_left":"6 months"' "140 days left of 540: renewal due (6 months)"
expect_event '"event":"renewal".*"chain":"selfsigned-gateway-renewed"' "renewed with 140 days left"
stop_gw
start_gw selfsigned-renewal P2SGW_CERTIFICATE_RENEW_AFTER=180d P2SGW_CERTIFICATE_ISSUED=-300d
ossl -tls1_2 -CAfile "$(root_of selfsigned-gateway)" -verify_return_error
check_out 'Verify return code: 0' "240 days left: still the original CA"
grep -q '"event":"renewal' "$EVENTS" && fail "renewed with more than 180 days left" || pass "no renewal with more than 180 days left"
stop_gw

# Bad timelines are load errors with file:line:column.
BAD=$TEST_TMP/bad.yaml
printf 'name: bad\ntimeline:\n  - {at: 5s, action: rotate}\n' >"$BAD"
rc=0; "$P2SGW" check --scenario "$BAD" >"$TEST_TMP/chk.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q 'bad.yaml:3:5: .*needs .chain' "$TEST_TMP/chk.out" \
	&& pass "rotate without chain: error at 3:5" || fail "check: rc=$rc $(cat "$TEST_TMP/chk.out")"
printf 'name: bad\ntimeline:\n  - {at: 5s, action: policy, versions: [tls1.0], ciphers: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]}\n' >"$BAD"
rc=0; "$P2SGW" check --scenario "$BAD" >"$TEST_TMP/chk.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q 'bad.yaml:3:5: .*cannot be served' "$TEST_TMP/chk.out" \
	&& pass "a policy entry mbedTLS cannot honour is a load error" || fail "check: rc=$rc $(cat "$TEST_TMP/chk.out")"
finish
