#!/usr/bin/env bash
# p2sgw check: every shipped scenario is valid; bad files fail with
# file:line:column and the key.
. "$(dirname "$0")/lib.sh"
for f in "$P2SGW_SOURCE_DIR"/scenarios/*.yaml; do
	out=$("$P2SGW" check --scenario "$f" 2>&1) && pass "check $(basename "$f")" || fail "check $f: $out"
done
bad=$TEST_TMP/bad.yaml
printf 'name: bad\ntls:\n  versoins: [tls1.2]\n' >"$bad"
rc=0; out=$("$P2SGW" check --scenario "$bad" 2>&1) || rc=$?
[ "$rc" -eq 1 ] && [[ "$out" == *"bad.yaml:3:3"*"versoins"*"did you mean 'versions'"* ]] \
	&& pass "unknown key: file:line:column and a suggestion" || fail "unknown key: rc=$rc out=$out"
printf 'tls:\n  ciphers: [TLS_RSA_WITH_AES_128_GCM_SHA256]\n  versions: [tls1.0]\n' >"$bad"
rc=0; out=$("$P2SGW" check --scenario "$bad" 2>&1) || rc=$?
[ "$rc" -eq 1 ] && [[ "$out" == *"bad.yaml:"*"TLS 1.2"* ]] && pass "policy mbedTLS cannot honour is an error" || fail "rc=$rc out=$out"
rc=0; out=$("$P2SGW" check --scenario no-such-scenario 2>&1) || rc=$?
[ "$rc" -eq 1 ] && pass "unknown scenario name is an error: $out" || fail "rc=$rc"
finish
