#!/usr/bin/env bash
# The lookalikes of the other roots the Azure services list trusts: D-TRUST Root Class 3 CA 2
# 2009, Microsoft RSA Root Certificate Authority 2017, Microsoft ECC Root Certificate Authority
# 2017 (an ECDSA chain). Each is served, verifies against its lab root with the gateway's name,
# carries the real root's subject, and is plainly not the real root (other thumbprints).
. "$(dirname "$0")/lib.sh"
MOZ=/usr/share/ca-certificates/mozilla

# lookalike PROFILE MOZILLA_FILE [OPENSSL ARGS]: serve PROFILE under azure-2018-tls12
lookalike() {
	local prof=$1 real=$MOZ/$2
	shift 2
	start_gw azure-2018-tls12 "P2SGW_CERTIFICATE_CHAIN=$prof"
	ossl -tls1_2 -CAfile "$(root_of "$prof")" -verify_return_error -verify_hostname "$HOST" -showcerts "$@"
	check_out 'Verify return code: 0' "$prof: the served chain verifies against its lab root"
	stop_gw
	local ours theirs
	ours=$(openssl x509 -in "$(root_of "$prof")" -noout -subject -nameopt RFC2253)
	if [ -f "$real" ]; then
		theirs=$(openssl x509 -in "$real" -noout -subject -nameopt RFC2253)
		[ "$ours" = "$theirs" ] && pass "$prof: the root's subject is the real one ($theirs)" ||
			fail "$prof: subject '$ours' vs the real '$theirs'"
		[ "$(openssl x509 -in "$(root_of "$prof")" -noout -fingerprint -sha256)" != \
			"$(openssl x509 -in "$real" -noout -fingerprint -sha256)" ] &&
			pass "$prof: its thumbprint is not the real root's" || fail "$prof: same thumbprint as the real root"
	else
		fail "$real missing (Debian's ca-certificates, installed by the setup)"
	fi
}
lookalike d-trust-root-class-3-ca-2-2009 D-TRUST_Root_Class_3_CA_2_2009.crt
lookalike microsoft-rsa-root-2017 Microsoft_RSA_Root_Certificate_Authority_2017.crt
lookalike microsoft-ecc-root-2017 Microsoft_ECC_Root_Certificate_Authority_2017.crt \
	-cipher 'ECDHE-ECDSA-AES256-GCM-SHA384'
check_out 'Cipher is ECDHE-ECDSA-AES256-GCM-SHA384' "microsoft-ecc-root-2017: an ECDHE-ECDSA suite of the 2018 list"
grep -q 'Peer signature type: ECDSA' "$OUT" && pass "microsoft-ecc-root-2017: the leaf signs with ECDSA" ||
	fail "no ECDSA peer signature"

# the pre-2018 list has ECDHE-ECDSA suites too
start_gw azure-pre-2018 P2SGW_CERTIFICATE_CHAIN=microsoft-ecc-root-2017
ossl -tls1_2 -CAfile "$(root_of microsoft-ecc-root-2017)" -verify_return_error
check_out 'Cipher is ECDHE-ECDSA' "microsoft-ecc-root-2017 under azure-pre-2018: an ECDHE-ECDSA suite"
stop_gw

# The 2024 list is ECDHE-RSA only: an ECDSA chain under it is a load error that says why
rc=0; P2SGW_CERTIFICATE_CHAIN=microsoft-ecc-root-2017 "$P2SGW" check --scenario azure-2024-policy \
	>"$TEST_TMP/ecc2024.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q 'an EC key needs ECDHE_ECDSA suites' "$TEST_TMP/ecc2024.out" &&
	pass "ECDSA chain under the 2024 list: refused at load, with the reason" ||
	{ fail "ecc under 2024: rc $rc"; cat "$TEST_TMP/ecc2024.out"; }
finish
