/*
 * MS-CHAPv2 and MPPE key arithmetic against the published vectors:
 * RFC 2759 section 9.2 (user "User", password "clientPass") and RFC 3079
 * section 3.5.3 (128-bit keys from the same exchange). The Magic2 key and
 * the HLAK are the values listed in reference/sstp-protocol.md 1.7, which
 * were cross-checked against the MS-SSTP 4.7 CMK example there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ppp/ppp.h"
#include "ppp/ppp_int.h"

static void
unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static const char *AUTH_CHAL = "5B5D7C7D7B3F2F3E3C2C602132262628";
static const char *PEER_CHAL = "21402324255E262A28295F2B3A337C7E";
static const char *NT_RESP = "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF";

static void
test_rfc2759_intermediates(void **state)
{
	uint8_t ac[16], pc[16], h[8], ph[16], want[16];

	(void)state;
	unhex(AUTH_CHAL, ac, 16);
	unhex(PEER_CHAL, pc, 16);
	mschapv2_challenge_hash(pc, ac, "User", h);
	unhex("D02E4386BCE91226", want, 8);
	assert_memory_equal(h, want, 8);

	mschapv2_password_hash("clientPass", ph);
	unhex("44EBBA8D5312B8D611474411F56989AE", want, 16);
	assert_memory_equal(ph, want, 16);
}

static void
test_rfc2759_nt_response(void **state)
{
	uint8_t ac[16], pc[16], nt[24], want[24];

	(void)state;
	unhex(AUTH_CHAL, ac, 16);
	unhex(PEER_CHAL, pc, 16);
	unhex(NT_RESP, want, 24);
	mschapv2_nt_response(ac, pc, "User", "clientPass", nt);
	assert_memory_equal(nt, want, 24);
	/* ChallengeHash uses the name without the domain (RFC 2759 8.2) */
	mschapv2_nt_response(ac, pc, "CONTOSO\\User", "clientPass", nt);
	assert_memory_equal(nt, want, 24);
	/* another password gives another answer */
	mschapv2_nt_response(ac, pc, "User", "clientpass", nt);
	assert_memory_not_equal(nt, want, 24);
}

static void
test_rfc2759_authenticator_response(void **state)
{
	uint8_t ac[16], pc[16], nt[24];
	char s[43];

	(void)state;
	unhex(AUTH_CHAL, ac, 16);
	unhex(PEER_CHAL, pc, 16);
	unhex(NT_RESP, nt, 24);
	mschapv2_authenticator_response("clientPass", nt, pc, ac, "User", s);
	assert_string_equal(s, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
	mschapv2_authenticator_response("clientPass", nt, pc, ac, "DOM\\User", s);
	assert_string_equal(s, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
}

static void
test_rfc3079_keys_and_hlak(void **state)
{
	uint8_t nt[24], hlak[32], want[32];

	(void)state;
	unhex(NT_RESP, nt, 24);
	mschapv2_hlak("clientPass", nt, hlak);
	/* server MasterReceiveKey (Magic2) || MasterSendKey (Magic3 = RFC 3079 SendStartKey128) */
	unhex("D5F0E9521E3EA9589645E86051C82226"
	      "8B7CDC149B993A1BA118CB153F56DCCB", want, 32);
	assert_memory_equal(hlak, want, 32);
}

static void
test_password_utf16(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	/* non-ASCII passwords are UTF-16LE: "é" (U+00E9) is E9 00, not C3 A9 */
	mschapv2_password_hash("\xc3\xa9", a);
	mschapv2_password_hash("\xe9", b); /* invalid UTF-8 byte taken as Latin-1 */
	assert_memory_equal(a, b, 16);
	/* empty password: MD4 of nothing, 31D6CFE0D16AE931B73C59D7E0C089C0 */
	uint8_t want[16];
	unhex("31D6CFE0D16AE931B73C59D7E0C089C0", want, 16);
	mschapv2_password_hash("", a);
	assert_memory_equal(a, want, 16);
	/* a character outside the BMP becomes a surrogate pair */
	mschapv2_password_hash("\xf0\x9f\x98\x80", a);
	mschapv2_password_hash("\xed\xa0\xbd", b);
	assert_memory_not_equal(a, b, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2759_intermediates),
		cmocka_unit_test(test_rfc2759_nt_response),
		cmocka_unit_test(test_rfc2759_authenticator_response),
		cmocka_unit_test(test_rfc3079_keys_and_hlak),
		cmocka_unit_test(test_password_utf16),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
