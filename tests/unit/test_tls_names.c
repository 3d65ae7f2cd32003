/*
 * TLS code point names: IANA spellings, round trips name <-> id, every
 * suite OpenSSL 3.0 and GnuTLS 3.7 can offer has a name, and the lazy suite
 * table is built once even when threads race for it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tls/tls_names.h"

#define N_THREADS 8

static void *
first_use(void *arg)
{
	const char **out = arg;

	*out = tls_suite_name(0xc02f);
	return NULL;
}

/* Runs first: the threads race to build the suite table. */
static void
test_concurrent_first_use(void **state)
{
	pthread_t   t[N_THREADS];
	const char *names[N_THREADS];
	int         i;

	for (i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, first_use, &names[i]), 0);
	for (i = 0; i < N_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_non_null(names[i]);
		assert_string_equal(names[i], "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
		assert_ptr_equal(names[i], names[0]); /* one static string */
	}
}

static void
test_suite_names(void **state)
{
	static const struct {
		uint16_t    id;
		const char *name;
	} want[] = {
		/* from mbedTLS, renamed */
		{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
		{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
		{ 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
		{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
		{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
		{ 0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8" }, /* IANA, not mbedTLS' */
		/* RC4 and 3DES: known to mbedTLS, not in its default list */
		{ 0x0004, "TLS_RSA_WITH_RC4_128_MD5" },
		{ 0x0005, "TLS_RSA_WITH_RC4_128_SHA" },
		{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
		{ 0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
		/* from the extra table */
		{ 0x1301, "TLS_AES_128_GCM_SHA256" },
		{ 0x1302, "TLS_AES_256_GCM_SHA384" },
		{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
		{ 0x1304, "TLS_AES_128_CCM_SHA256" },
		{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
		{ 0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
		{ 0x5600, "TLS_FALLBACK_SCSV" },
		{ 0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA" },
		{ 0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA" },
		{ 0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA" },
		{ 0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5" },
		{ 0x0009, "TLS_RSA_WITH_DES_CBC_SHA" },
		{ 0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA" },
		{ 0x003b, "TLS_RSA_WITH_NULL_SHA256" },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *n = tls_suite_name(want[i].id);
		if (n == NULL || strcmp(n, want[i].name) != 0)
			fail_msg("0x%04x: %s, want %s", want[i].id, n ? n : "NULL", want[i].name);
	}
	assert_null(tls_suite_name(0x0a0a)); /* GREASE */
	assert_null(tls_suite_name(0xfefe));
	assert_null(tls_suite_name(0xffff));
}

/* `openssl ciphers -V 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'` and
 * `gnutls-cli --list` on Debian 12: every suite they can offer. */
static const uint16_t client_suites[] = {
	0x0001, 0x0002, 0x0004, 0x0005, 0x000a, 0x0013, 0x0016, 0x0018, 0x001b, 0x002c,
	0x002d, 0x002e, 0x002f, 0x0032, 0x0033, 0x0034, 0x0035, 0x0038, 0x0039, 0x003a,
	0x003b, 0x003c, 0x003d, 0x0040, 0x0041, 0x0044, 0x0045, 0x0046, 0x0066, 0x0067,
	0x006a, 0x006b, 0x006c, 0x006d, 0x0084, 0x0087, 0x0088, 0x0089, 0x008a, 0x008b,
	0x008c, 0x008d, 0x008e, 0x008f, 0x0090, 0x0091, 0x0092, 0x0093, 0x0094, 0x0095,
	0x009c, 0x009d, 0x009e, 0x009f, 0x00a2, 0x00a3, 0x00a6, 0x00a7, 0x00a8, 0x00a9,
	0x00aa, 0x00ab, 0x00ac, 0x00ad, 0x00ae, 0x00af, 0x00b0, 0x00b1, 0x00b2, 0x00b3,
	0x00b4, 0x00b5, 0x00b6, 0x00b7, 0x00b8, 0x00b9, 0x00ba, 0x00bd, 0x00be, 0x00bf,
	0x00c0, 0x00c3, 0x00c4, 0x00c5, 0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0xc006,
	0xc007, 0xc008, 0xc009, 0xc00a, 0xc010, 0xc011, 0xc012, 0xc013, 0xc014, 0xc015,
	0xc016, 0xc017, 0xc018, 0xc019, 0xc01a, 0xc01b, 0xc01c, 0xc01d, 0xc01e, 0xc01f,
	0xc020, 0xc021, 0xc022, 0xc023, 0xc024, 0xc027, 0xc028, 0xc02b, 0xc02c, 0xc02f,
	0xc030, 0xc033, 0xc034, 0xc035, 0xc036, 0xc037, 0xc038, 0xc039, 0xc03a, 0xc03b,
	0xc050, 0xc051, 0xc052, 0xc053, 0xc056, 0xc057, 0xc05c, 0xc05d, 0xc060, 0xc061,
	0xc06a, 0xc06b, 0xc06c, 0xc06d, 0xc06e, 0xc06f, 0xc072, 0xc073, 0xc076, 0xc077,
	0xc07a, 0xc07b, 0xc07c, 0xc07d, 0xc080, 0xc081, 0xc084, 0xc085, 0xc086, 0xc087,
	0xc08a, 0xc08b, 0xc08e, 0xc08f, 0xc090, 0xc091, 0xc092, 0xc093, 0xc094, 0xc095,
	0xc096, 0xc097, 0xc098, 0xc099, 0xc09a, 0xc09b, 0xc09c, 0xc09d, 0xc09e, 0xc09f,
	0xc0a0, 0xc0a1, 0xc0a2, 0xc0a3, 0xc0a4, 0xc0a5, 0xc0a6, 0xc0a7, 0xc0a8, 0xc0a9,
	0xc0aa, 0xc0ab, 0xc0ac, 0xc0ad, 0xc0ae, 0xc0af, 0xc102, 0xcca8, 0xcca9, 0xccaa,
	0xccab, 0xccac, 0xccad, 0xccae,
};

static void
test_client_suites_named(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(client_suites) / sizeof(client_suites[0]); i++)
		if (tls_suite_name(client_suites[i]) == NULL)
			fail_msg("suite 0x%04x has no name", client_suites[i]);
}

/* Every named suite: "TLS_" + no dash, and the name maps back to its id
 * (so no two ids share a name). */
static void
test_suite_round_trip(void **state)
{
	unsigned id;
	int      n = 0;

	for (id = 0; id <= 0xffff; id++) {
		const char *name = tls_suite_name((uint16_t)id);
		if (name == NULL)
			continue;
		n++;
		assert_int_equal(strncmp(name, "TLS_", 4), 0);
		assert_null(strchr(name, '-'));
		if (tls_suite_from_name(name) != (int)id)
			fail_msg("%s -> %d, want %u", name, tls_suite_from_name(name), id);
	}
	assert_true(n > 250);
}

static void
test_suite_from_name(void **state)
{
	assert_int_equal(tls_suite_from_name("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), 0xc02f);
	assert_int_equal(tls_suite_from_name("TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256"), 0xc02f);
	assert_int_equal(tls_suite_from_name("tls_ecdhe_rsa_with_aes_128_gcm_sha256"), 0xc02f);
	assert_int_equal(tls_suite_from_name("TLS_RSA_WITH_RC4_128_MD5"), 0x0004);
	assert_int_equal(tls_suite_from_name("TLS_DH_anon_WITH_AES_128_CBC_SHA"), 0x0034);
	assert_int_equal(tls_suite_from_name("tls-dh-ANON-with-aes-128-cbc-sha"), 0x0034);
	assert_int_equal(tls_suite_from_name("TLS_AES_256_GCM_SHA384"), 0x1302);
	assert_int_equal(tls_suite_from_name("TLS_FALLBACK_SCSV"), 0x5600);
	/* IANA name and mbedTLS' own spelling of 0xc0aa */
	assert_int_equal(tls_suite_from_name("TLS_PSK_DHE_WITH_AES_128_CCM_8"), 0xc0aa);
	assert_int_equal(tls_suite_from_name("TLS-DHE-PSK-WITH-AES-128-CCM-8"), 0xc0aa);

	assert_int_equal(tls_suite_from_name("TLS_RSA_WITH_AES_128_CBC"), -1);
	assert_int_equal(tls_suite_from_name("TLS_RSA_WITH_AES_128_CBC_SHA_"), -1);
	assert_int_equal(tls_suite_from_name("ECDHE-RSA-AES128-GCM-SHA256"), -1);
	assert_int_equal(tls_suite_from_name(""), -1);
	assert_int_equal(tls_suite_from_name(NULL), -1);
}

static void *
version_in_thread(void *arg)
{
	/* no cmocka asserts off the main thread: they longjmp */
	*(const char **)arg = tls_version_name(0x1234);
	return NULL;
}

static void
test_version_names(void **state)
{
	pthread_t   t;
	const char *mine, *theirs = NULL;

	assert_string_equal(tls_version_name(0x0002), "SSL 2.0");
	assert_string_equal(tls_version_name(0x0300), "SSL 3.0");
	assert_string_equal(tls_version_name(0x0301), "TLS 1.0");
	assert_string_equal(tls_version_name(0x0302), "TLS 1.1");
	assert_string_equal(tls_version_name(0x0303), "TLS 1.2");
	assert_string_equal(tls_version_name(0x0304), "TLS 1.3");
	/* names in text, never bare hex: drafts, DTLS, GREASE */
	assert_string_equal(tls_version_name(0x7f1c), "TLS 1.3 draft 28");
	assert_string_equal(tls_version_name(0x7f17), "TLS 1.3 draft 23");
	assert_string_equal(tls_version_name(0xfefd), "DTLS 1.2");
	assert_string_equal(tls_version_name(0x3a3a), "GREASE");
	assert_string_equal(tls_version_name(0x3a3b), "unknown version (0x3a3b)");
	assert_string_equal(tls_version_name(0x0305), "unknown version (0x0305)");

	/* the buffer for unknown values is per thread */
	mine = tls_version_name(0xabcd);
	assert_int_equal(pthread_create(&t, NULL, version_in_thread, &theirs), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_string_equal(mine, "unknown version (0xabcd)");
	assert_non_null(theirs);
	assert_ptr_not_equal(mine, theirs);
}

static void
test_group_names(void **state)
{
	static const struct {
		uint16_t    id;
		const char *name;
	} want[] = {
		{ 19, "secp192r1" },        { 21, "secp224r1" },        { 23, "secp256r1" },
		{ 24, "secp384r1" },        { 25, "secp521r1" },        { 26, "brainpoolP256r1" },
		{ 27, "brainpoolP384r1" },  { 28, "brainpoolP512r1" },  { 29, "x25519" },
		{ 30, "x448" },             { 256, "ffdhe2048" },       { 257, "ffdhe3072" },
		{ 258, "ffdhe4096" },       { 259, "ffdhe6144" },       { 260, "ffdhe8192" },
		{ 0x11ec, "X25519MLKEM768" },
	};
	size_t   i;
	unsigned id;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(tls_group_name(want[i].id), want[i].name);
		assert_int_equal(tls_group_from_name(want[i].name), want[i].id);
	}
	for (id = 0; id <= 0xffff; id++) {
		const char *n = tls_group_name((uint16_t)id);
		if (n != NULL)
			assert_int_equal(tls_group_from_name(n), (int)id);
	}
	assert_null(tls_group_name(0x0a0a));
	assert_null(tls_group_name(0));
	assert_int_equal(tls_group_from_name("X25519"), 29);
	assert_int_equal(tls_group_from_name("BRAINPOOLP256R1"), 26);
	assert_int_equal(tls_group_from_name("prime256v1"), 23);
	assert_int_equal(tls_group_from_name("P-384"), 24);
	assert_int_equal(tls_group_from_name("secp256r"), -1);
	assert_int_equal(tls_group_from_name(""), -1);
	assert_int_equal(tls_group_from_name(NULL), -1);
}

static void
test_sigalg_names(void **state)
{
	/* every value in the captured hellos (OpenSSL 3.0, GnuTLS 3.7, curl) */
	static const uint16_t seen[] = { 0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809,
		                         0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401,
		                         0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402,
		                         0x0502, 0x0602, 0x0201, 0x0203 };
	size_t i;

	assert_string_equal(tls_sigalg_name(0x0401), "rsa_pkcs1_sha256");
	assert_string_equal(tls_sigalg_name(0x0601), "rsa_pkcs1_sha512");
	assert_string_equal(tls_sigalg_name(0x0403), "ecdsa_secp256r1_sha256");
	assert_string_equal(tls_sigalg_name(0x0503), "ecdsa_secp384r1_sha384");
	assert_string_equal(tls_sigalg_name(0x0804), "rsa_pss_rsae_sha256");
	assert_string_equal(tls_sigalg_name(0x0809), "rsa_pss_pss_sha256");
	assert_string_equal(tls_sigalg_name(0x0807), "ed25519");
	assert_string_equal(tls_sigalg_name(0x0808), "ed448");
	assert_string_equal(tls_sigalg_name(0x0201), "rsa_pkcs1_sha1");
	assert_string_equal(tls_sigalg_name(0x0203), "ecdsa_sha1");
	assert_string_equal(tls_sigalg_name(0x0202), "dsa_sha1");
	assert_string_equal(tls_sigalg_name(0x0101), "rsa_md5");
	assert_string_equal(tls_sigalg_name(0x0301), "rsa_sha224");
	assert_null(tls_sigalg_name(0x0a0a));
	assert_null(tls_sigalg_name(0x0000));
	for (i = 0; i < sizeof(seen) / sizeof(seen[0]); i++)
		if (tls_sigalg_name(seen[i]) == NULL)
			fail_msg("sigalg 0x%04x has no name", seen[i]);
}

static void
test_ext_names(void **state)
{
	static const struct {
		uint16_t    id;
		const char *name;
	} want[] = {
		{ 0, "server_name" },
		{ 5, "status_request" },
		{ 10, "supported_groups" },
		{ 11, "ec_point_formats" },
		{ 13, "signature_algorithms" },
		{ 16, "application_layer_protocol_negotiation" },
		{ 17, "status_request_v2" },
		{ 18, "signed_certificate_timestamp" },
		{ 21, "padding" },
		{ 22, "encrypt_then_mac" },
		{ 23, "extended_master_secret" },
		{ 27, "compress_certificate" },
		{ 28, "record_size_limit" },
		{ 35, "session_ticket" },
		{ 41, "pre_shared_key" },
		{ 42, "early_data" },
		{ 43, "supported_versions" },
		{ 45, "psk_key_exchange_modes" },
		{ 49, "post_handshake_auth" },
		{ 51, "key_share" },
		{ 0xff01, "renegotiation_info" },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(tls_ext_name(want[i].id), want[i].name);
	assert_null(tls_ext_name(0x0a0a));
	assert_null(tls_ext_name(40));
}

static void
test_alert_names(void **state)
{
	static const struct {
		uint8_t     code;
		const char *name;
	} want[] = {
		{ 0, "close_notify" },
		{ 10, "unexpected_message" },
		{ 20, "bad_record_mac" },
		{ 21, "decryption_failed" },
		{ 22, "record_overflow" },
		{ 30, "decompression_failure" },
		{ 40, "handshake_failure" },
		{ 41, "no_certificate" },
		{ 42, "bad_certificate" },
		{ 43, "unsupported_certificate" },
		{ 44, "certificate_revoked" },
		{ 45, "certificate_expired" },
		{ 46, "certificate_unknown" },
		{ 47, "illegal_parameter" },
		{ 48, "unknown_ca" },
		{ 49, "access_denied" },
		{ 50, "decode_error" },
		{ 51, "decrypt_error" },
		{ 60, "export_restriction" },
		{ 70, "protocol_version" },
		{ 71, "insufficient_security" },
		{ 80, "internal_error" },
		{ 86, "inappropriate_fallback" },
		{ 90, "user_canceled" },
		{ 100, "no_renegotiation" },
		{ 109, "missing_extension" },
		{ 110, "unsupported_extension" },
		{ 112, "unrecognized_name" },
		{ 113, "bad_certificate_status_response" },
		{ 115, "unknown_psk_identity" },
		{ 116, "certificate_required" },
		{ 120, "no_application_protocol" },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(tls_alert_name(want[i].code), want[i].name);
		assert_int_equal(tls_alert_from_name(want[i].name), want[i].code);
	}
	assert_null(tls_alert_name(1));
	assert_null(tls_alert_name(255));
	assert_int_equal(tls_alert_from_name("HANDSHAKE_FAILURE"), 40);
	assert_int_equal(tls_alert_from_name("40"), 40);
	assert_int_equal(tls_alert_from_name("0"), 0);
	assert_int_equal(tls_alert_from_name("255"), 255);
	assert_int_equal(tls_alert_from_name("256"), -1);
	assert_int_equal(tls_alert_from_name("99999999999999999999"), -1);
	assert_int_equal(tls_alert_from_name("-1"), -1);
	assert_int_equal(tls_alert_from_name("+4"), -1);
	assert_int_equal(tls_alert_from_name("4x"), -1);
	assert_int_equal(tls_alert_from_name(" 40"), -1);
	assert_int_equal(tls_alert_from_name("handshake"), -1);
	assert_int_equal(tls_alert_from_name(""), -1);
	assert_int_equal(tls_alert_from_name(NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_first_use),
		cmocka_unit_test(test_suite_names),
		cmocka_unit_test(test_client_suites_named),
		cmocka_unit_test(test_suite_round_trip),
		cmocka_unit_test(test_suite_from_name),
		cmocka_unit_test(test_version_names),
		cmocka_unit_test(test_group_names),
		cmocka_unit_test(test_sigalg_names),
		cmocka_unit_test(test_ext_names),
		cmocka_unit_test(test_alert_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
