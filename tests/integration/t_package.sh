#!/usr/bin/env bash
# p2sgw package: the client configuration package matches the served chain.
. "$(dirname "$0")/lib.sh"
require unzip
ZIP=$TEST_TMP/pkg.zip
"$P2SGW" package --scenario azure-2024-policy --state-dir "$LAB_STATE" --out "$ZIP" >/dev/null \
	&& pass "p2sgw package writes $ZIP" || fail "package failed"
mkdir -p "$TEST_TMP/u" && unzip -q -o "$ZIP" -d "$TEST_TMP/u"
X=$TEST_TMP/u/Generic/VpnSettings.xml
[ -f "$X" ] && pass "Generic/VpnSettings.xml present" || fail "no VpnSettings.xml"
field() { sed -n "s:.*<$1>\\(.*\\)</$1>.*:\\1:p" "$X" | head -1; }
[ "$(field VpnServer)" = "$HOST" ] && pass "VpnServer is the gateway host name" || fail "VpnServer '$(field VpnServer)'"
[ "$(field ServerCertRootCn)" = "DigiCert Global Root G2" ] && pass "ServerCertRootCn names the G2 root" || fail "root cn '$(field ServerCertRootCn)'"
[ "$(field VpnClientAddressPool)" = "172.16.201.0/24" ] && pass "VpnClientAddressPool" || fail "pool '$(field VpnClientAddressPool)'"
field CaCert | base64 -d >"$TEST_TMP/cacert.der" 2>/dev/null
openssl x509 -in "$(root_of digicert-global-root-g2)" -outform DER -out "$TEST_TMP/root.der"
cmp -s "$TEST_TMP/cacert.der" "$TEST_TMP/root.der" && pass "CaCert is the served chain's root (DER)" || fail "CaCert differs from the root"

# Against the running gateway: the package's CA verifies the served chain, and
# ServerCertIssuerCn is the issuer of the served leaf.
start_gw azure-2024-policy
ossl -tls1_2 -CAfile "$TEST_TMP/u/Linux/sstpc/ca.pem" -verify_return_error -verify_hostname "$HOST" -showcerts
check_out 'Verify return code: 0' "the package's ca.pem verifies the served chain"
issuer=$(sed -n 's/^ *i:.*CN *= *\(.*\)$/\1/p' "$OUT" | head -1)
[ "$issuer" = "$(field ServerCertIssuerCn)" ] && pass "ServerCertIssuerCn = issuer of the served leaf ($issuer)" \
	|| fail "issuer '$issuer' vs '$(field ServerCertIssuerCn)'"
stop_gw
finish
