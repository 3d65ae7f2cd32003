#!/usr/bin/env bash
# A ClientHello is a handshake message, not a record: hellos spread over
# records of 1, 20 and 1,024 bytes and over small TCP writes complete the
# handshake (hello_frag, openssl -split_send_frag / -max_send_frag), under
# every era preset; a 16,000-byte hello completes, a 20,000-byte one is
# judged whole and refused as the TLS engine's limit; each RFC defect gets
# the RFC's alert when the refusals are set to "alert", and the Azure-like
# reset by default.
. "$(dirname "$0")/lib.sh"
: "${HELLO_FRAG:?path of the hello_frag tool}"

frag() { OUT=$TEST_TMP/frag.out; "$HELLO_FRAG" "$@" 127.0.0.1 "$PORT" >"$OUT" 2>&1 || true; }

# the answer to a crafted hello: expect_raw KIND WANT WHAT
expect_raw() {
	frag --record 1024 --raw "$1"
	if has "^$2\$"; then pass "$3 ($1: $2)"; else fail "$3: $1 got '$(cat "$OUT")', want '$2'"; fi
}

# ALPN names of 254 bytes: an openssl hello of about BYTES bytes
alpn_of() {
	local n=$(( ($1 - 200) / 256 )) i list=""
	for i in $(seq 1 "$n"); do list="$list,$(printf 'p%03d%0250d' "$i" 0)"; done
	echo "${list#,}"
}

ALERTS=(P2SGW_TLS_REFUSE_VERSION=alert P2SGW_TLS_REFUSE_CIPHER=alert
	P2SGW_TLS_REFUSE_MALFORMED=alert P2SGW_TLS_REFUSE_TOO_LARGE=alert)

for era in azure-pre-2018 azure-2018-tls12 azure-2024-policy; do
	log "era $era, refusals: the RFC's alerts"
	start_gw "$era" "${ALERTS[@]}"

	# our client: records of 1, 20 and 1,024 bytes, in TCP writes of 7 bytes
	for r in 1 20 1024; do
		frag --record "$r" --segment 7 --gap-us 100
		check_out '^handshake ok version=TLSv1.2 ' "$era: hello in records of $r bytes completes"
		bytes=$(sed -n 's/.* hello_bytes=\([0-9]*\).*/\1/p' "$OUT")
		want=$(( (bytes + r - 1) / r ))
		expect_event "\"event\":\"client_hello\".*\"bytes\":$bytes,\"records\":$want," \
			"$era: the gate saw one $bytes-byte hello in $want records"
	done

	# openssl splits its records itself
	for r in 1 20; do
		ossl -tls1_2 -split_send_frag "$r"
		check_out 'Cipher is ECDHE-RSA-AES' "$era: openssl -split_send_frag $r completes"
	done
	ossl -tls1_2 -max_send_frag 512 -alpn "$(alpn_of 16000)"
	check_out 'Cipher is ECDHE-RSA-AES' "$era: a ~16,000-byte openssl hello in 512-byte records completes"
	expect_event '"event":"client_hello".*"bytes":1[56][0-9]{3},"records":3[0-9],' \
		"$era: ... and arrived in about 32 records"
	ossl -tls1_2 -alpn "$(alpn_of 20000)"
	check_out 'alert internal error' "$era: a ~20,000-byte openssl hello gets internal_error"
	expect_event '"reason":"refused_too_large".*"detail":"the ClientHello is [0-9]+ bytes \(in 2 records\); the TLS engine \(mbedTLS 2.28\) reads at most 16384"' \
		"$era: ... refused as the engine's limit, the hello judged whole"

	# crafted hellos: the RFC's alert for each defect
	expect_raw plain 'server_hello version=0x0303 suite=0x[0-9a-f]{4}' "$era: crafted hello answered"
	expect_raw pad:16000 'server_hello version=0x0303 suite=0x[0-9a-f]{4}' "$era: 16,000-byte crafted hello answered"
	expect_raw pad:20000 'alert level=2 desc=80' "$era: 20,000-byte hello: internal_error"
	expect_raw no-null-compression 'alert level=2 desc=47' "$era: compression without null: illegal_parameter"
	expect_raw hs-type-202 'alert level=2 desc=10' "$era: handshake type 202: unexpected_message"
	expect_raw interleave-alert 'alert level=2 desc=10' "$era: alert record inside the hello: unexpected_message"
	expect_raw version-change 'alert level=2 desc=47' "$era: record version changed mid-hello: illegal_parameter"
	expect_raw trailing-bytes 'alert level=2 desc=10' "$era: handshake bytes after the hello: unexpected_message"
	expect_raw empty-record 'alert level=2 desc=10' "$era: empty handshake record: unexpected_message"
	expect_raw ecdhe-no-groups 'alert level=2 desc=40' "$era: ECDHE only, no supported_groups: handshake_failure"
	expect_event '"reason":"refused_cipher".*sends no supported_groups' \
		"$era: ... the log says why (the engine picks no curve then)"
	if [ "$era" = azure-2024-policy ]; then
		expect_raw ecdhe-rsa-no-groups 'alert level=2 desc=40' "$era: no RSA key exchange in 2024: handshake_failure"
	else
		expect_raw ecdhe-rsa-no-groups 'server_hello version=0x0303 suite=0x009c' \
			"$era: ECDHE and RSA suites, no supported_groups: RSA key exchange chosen"
	fi
	stop_gw
done

log "default refusals: the reset that Azure's gateway gives"
start_gw azure-2018-tls12
expect_raw no-null-compression reset "default: compression without null is reset"
expect_raw pad:20000 reset "default: a hello over the engine's limit is reset"
frag --record 1 --segment 1
check_out '^handshake ok ' "a hello in 1-byte records sent 1 byte per write completes"
# the audit records the reassembled hello
curl -s "http://$CTL/clients" >"$TEST_TMP/clients.json"
if jq -e '[.[].offered | select(.records > 100 and .hello_bytes > 100)] | length > 0' \
	"$TEST_TMP/clients.json" >/dev/null; then
	pass "the audit notes a hello that arrived in many records"
else
	fail "no audited client with records > 100: $(head -c 400 "$TEST_TMP/clients.json")"
fi
stop_gw
finish
