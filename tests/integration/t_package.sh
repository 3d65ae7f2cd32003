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

# ServerCertRootCn and ServerCertIssuerCn both name the root, as Azure's file does on the
# public CA (the 2019 notice: both "DigiCert Global Root CA" once migrated).
[ "$(field ServerCertIssuerCn)" = "DigiCert Global Root G2" ] && pass "ServerCertIssuerCn names the root too" ||
	fail "issuer cn '$(field ServerCertIssuerCn)'"
[ "$(field VpnType)" = "SSTP" ] && pass "VpnType SSTP by default" || fail "VpnType '$(field VpnType)'"

# Against the running gateway: the package's CA verifies the served chain, and the root
# named in ServerCertRootCn is the top of the served chain.
start_gw azure-2024-policy
ossl -tls1_2 -CAfile "$TEST_TMP/u/Linux/sstpc/ca.pem" -verify_return_error -verify_hostname "$HOST" -showcerts
check_out 'Verify return code: 0' "the package's ca.pem verifies the served chain"
top=$(sed -n 's/^ *i:.*CN *= *\(.*\)$/\1/p' "$OUT" | tail -1)
[ "$top" = "$(field ServerCertRootCn)" ] && pass "ServerCertRootCn = the issuer at the top of the served chain ($top)" \
	|| fail "top issuer '$top' vs '$(field ServerCertRootCn)'"
stop_gw

# "IKEv2 and SSTP" as Azure writes it, and a bad value refused
"$P2SGW" package --scenario azure-2024-policy --state-dir "$LAB_STATE" --vpn-type ikev2-sstp \
	--out "$TEST_TMP/pkg2.zip" >/dev/null && unzip -p "$TEST_TMP/pkg2.zip" Generic/VpnSettings.xml |
	grep -q '<VpnType>SSTP,IkeV2</VpnType>' && pass "--vpn-type ikev2-sstp writes SSTP,IkeV2" ||
	fail "--vpn-type ikev2-sstp"
# the newer list schema (CaCerts, ServerCertsRootCn, ServerCertsIssuerCn), as Azure's G2-era file
"$P2SGW" package --scenario azure-2024-policy --state-dir "$LAB_STATE" --schema list \
	--out "$TEST_TMP/pkgl.zip" >/dev/null && unzip -p "$TEST_TMP/pkgl.zip" Generic/VpnSettings.xml >"$TEST_TMP/list.xml"
python3 - "$TEST_TMP/list.xml" "$X" "$TEST_TMP/root.der" <<'PY' && pass "--schema list: CaCerts/ServerCertsRootCn/ServerCertsIssuerCn lists, well-formed, same root" || fail "--schema list"
import base64, sys, xml.etree.ElementTree as ET
lst, single, der = ET.parse(sys.argv[1]).getroot(), ET.parse(sys.argv[2]).getroot(), open(sys.argv[3], "rb").read()
strings = lambda tag: [e.text for e in lst.find(tag).findall("string")]
assert lst.find("CaCert") is None and single.find("CaCerts") is None
assert [base64.b64decode(t) for t in strings("CaCerts")] == [der]
assert strings("ServerCertsRootCn") == strings("ServerCertsIssuerCn") == ["DigiCert Global Root G2"]
assert lst.find("VpnServer").text == single.find("VpnServer").text
PY
rc=0; "$P2SGW" package --scenario azure-2024-policy --state-dir "$LAB_STATE" --vpn-type l2tp \
	--out "$TEST_TMP/pkg3.zip" >"$TEST_TMP/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q 'must be sstp or ikev2-sstp' "$TEST_TMP/bad.out" && [ ! -e "$TEST_TMP/pkg3.zip" ] &&
	pass "--vpn-type l2tp is a usage error" || fail "--vpn-type l2tp: rc $rc"

# The Windows script: no PowerShell here, so a schema check of what it writes (cmdlets,
# their parameters and enumerations, quoting, variables) and of its values
PS=$TEST_TMP/u/Windows/p2sgw-vpn.ps1
[ -f "$PS" ] && [ -f "$TEST_TMP/u/Windows/README.txt" ] && pass "Windows/ folder present" || fail "no Windows folder"
check_ps() {
	local out
	if out=$(python3 "$P2SGW_SOURCE_DIR/tests/tools/ps1_check.py" "$@" 2>&1); then
		pass "p2sgw-vpn.ps1 ($2 $3 ...) passes the schema check"
	else
		fail "p2sgw-vpn.ps1: $out"
	fi
}
check_ps "$PS" --expect "server=$HOST" --expect name=azure-2024-policy --expect auth=MSChapv2 \
	--expect tunnel=Sstp --expect route=10.1.0.0/16
grep -q "^Import-Certificate -FilePath \$Root -CertStoreLocation 'Cert:\\\\LocalMachine\\\\Root'" "$PS" &&
	pass "the script imports the root into the machine's Trusted Root store" || fail "no Import-Certificate"
# the checker itself catches what it must (a wrong parameter, an open quote, a bad enum)
sed 's/-TunnelType Sstp/-TunnelType Sstpx/' "$PS" >"$TEST_TMP/bad1.ps1"
sed 's/-SplitTunneling/-SplitTunnel/' "$PS" >"$TEST_TMP/bad2.ps1"
sed "s/^\$Server = '\(.*\)'/\$Server = '\1/" "$PS" >"$TEST_TMP/bad3.ps1"
for b in 1 2 3; do
	python3 "$P2SGW_SOURCE_DIR/tests/tools/ps1_check.py" "$TEST_TMP/bad$b.ps1" >/dev/null 2>&1 &&
		fail "schema check passed broken script $b" || pass "schema check refuses broken script $b"
done
# EAP-TLS first: the script builds an EAP-TLS configuration (quoting of hostile values is
# covered by unit.test_package: scenario names cannot carry quotes)
cat >"$TEST_TMP/eap.yaml" <<'YAML'
name: eap-lab
base: azure-2018-tls12
ppp:
  auth: [eap-tls, mschapv2]
YAML
"$P2SGW" package --scenario "$TEST_TMP/eap.yaml" --state-dir "$LAB_STATE" --out "$TEST_TMP/eap.zip" \
	>"$TEST_TMP/eap.out" 2>&1 || fail "package of the EAP-TLS scenario: $(cat "$TEST_TMP/eap.out")"
unzip -p "$TEST_TMP/eap.zip" Windows/p2sgw-vpn.ps1 >"$TEST_TMP/eap.ps1"
check_ps "$TEST_TMP/eap.ps1" --expect auth=Eap --expect name=eap-lab --expect tunnel=Sstp
grep -q '^\$Eap = New-EapConfiguration -Tls -VerifyServerIdentity -UserCertificate$' "$TEST_TMP/eap.ps1" &&
	pass "EAP-TLS script: New-EapConfiguration -Tls" || { fail "EAP-TLS script"; cat "$TEST_TMP/eap.ps1"; }
finish
