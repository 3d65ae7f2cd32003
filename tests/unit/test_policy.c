/*
 * Policy compilation and the ClientHello gate: scenarios become snapshots
 * with the right usable suites, and the gate accepts or refuses crafted
 * ClientHellos with the reason and words the event log shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "config/scenario.h"
#include "config/snapshot.h"
#include "tls/policy.h"
#include "tls/tls_names.h"

static char state_dir[] = "/tmp/p2sgw-test-policy-XXXXXX";

static struct snapshot *
build(const char *scenario_yaml)
{
	struct scenario sc;
	char err[1024];
	if (scenario_load_string(scenario_yaml, strlen(scenario_yaml), "test", false, &sc,
	    err, sizeof(err)) != 0)
		fail_msg("scenario: %s", err);
	struct snapshot *s = snapshot_build(&sc, NULL, state_dir, (int64_t)time(NULL) * 1000, err, sizeof(err));
	if (s == NULL)
		fail_msg("snapshot: %s", err);
	return s;
}

/* A TLS ClientHello as the parser would report it. */
static void
hello(struct ch_info *ch, uint16_t version, const uint16_t *suites, size_t n)
{
	memset(ch, 0, sizeof(*ch));
	ch->record_version = 0x0301;
	ch->legacy_version = version;
	ch->max_version = version;
	memcpy(ch->suites, suites, n * sizeof(*suites));
	ch->n_suites = n;
	ch->groups[0] = 23; /* secp256r1 */
	ch->groups[1] = 29; /* x25519 */
	ch->n_groups = 2;
}

static void
test_default_policy_usable_suites(void **state)
{
	struct snapshot *s = build("base: azure-2018-tls12\n");
	/* azure-2018 has 12 suites; the 4 ECDSA ones cannot use the RSA leaf */
	assert_int_equal(s->gate.n_usable, 8);
	for (size_t i = 0; i < s->gate.n_usable; i++) {
		const mbedtls_ssl_ciphersuite_t *cs = mbedtls_ssl_ciphersuite_from_id(s->gate.usable[i].id);
		assert_non_null(cs);
		assert_int_not_equal(cs->key_exchange, MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA);
	}
	assert_int_equal(s->gate.usable[0].id, 0xc02f); /* ECDHE-RSA-AES128-GCM-SHA256 first */
	assert_int_equal(s->sc.min_minor, 3);
	assert_int_equal(s->sc.max_minor, 3);
	snapshot_unref(s);
}

static void
test_gate_tls10_client_refused_with_reset(void **state)
{
	struct snapshot *s = build("base: azure-2018-tls12\n");
	static const uint16_t suites[] = { 0x002f, 0x0035, 0x000a, 0x0005 };
	struct ch_info ch;
	struct gate_result g;
	hello(&ch, 0x0301, suites, 4);
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.verdict, GATE_REFUSE);
	assert_int_equal(g.reason, CR_REFUSED_VERSION);
	assert_int_equal(g.action.kind, TLS_REFUSE_RESET);
	assert_string_equal(g.why, "client offers at most TLS 1.0, policy requires TLS 1.2");
	assert_string_equal(refusal_client_error(&g.action), "0x80072746 (-2147014842) WSAECONNRESET");
	snapshot_unref(s);
}

static void
test_gate_legacy_suites_refused(void **state)
{
	struct snapshot *s = build("base: azure-2018-tls12\n");
	static const uint16_t suites[] = { 0x0005, 0x000a, 0x002f };
	struct ch_info ch;
	struct gate_result g;
	hello(&ch, 0x0303, suites, 3);
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.verdict, GATE_REFUSE);
	assert_int_equal(g.reason, CR_REFUSED_CIPHER);
	assert_non_null(strstr(g.why, "no cipher suite in common at TLS 1.2: client offers "
	    "TLS_RSA_WITH_RC4_128_SHA, TLS_RSA_WITH_3DES_EDE_CBC_SHA, TLS_RSA_WITH_AES_128_CBC_SHA; "
	    "policy allows TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
	/* every suite the policy allows is named, none left as "+N more" */
	assert_null(strstr(g.why, "more)"));
	for (size_t i = 0; i < s->gate.n_usable; i++) {
		const char *name = tls_suite_name(s->gate.usable[i].id);
		assert_non_null(name);
		if (strstr(g.why, name) == NULL)
			fail_msg("refusal does not name %s: %s", name, g.why);
	}
	assert_true(s->gate.n_usable >= 8);
	snapshot_unref(s);
	/* the longest list shipped: pre-2018 at TLS 1.2 */
	s = build("base: azure-pre-2018\n");
	static const uint16_t none[] = { 0x0001 /* NULL-MD5 */ };
	hello(&ch, 0x0303, none, 1);
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.reason, CR_REFUSED_CIPHER);
	for (size_t i = 0; i < s->gate.n_usable; i++) {
		const char *name = tls_suite_name(s->gate.usable[i].id);
		if (name != NULL && strstr(g.why, name) == NULL)
			fail_msg("pre-2018 refusal does not name %s: %s", name, g.why);
	}
	snapshot_unref(s);
}

static void
test_gate_accepts_modern_client(void **state)
{
	struct snapshot *s = build("base: azure-2018-tls12\n");
	static const uint16_t suites[] = { 0x0a0a /* GREASE */, 0x1301, 0xc030, 0xc02f };
	struct ch_info ch;
	struct gate_result g;
	hello(&ch, 0x0303, suites, 4);
	ch.versions[0] = 0x0304;
	ch.versions[1] = 0x0303;
	ch.n_versions = 2;
	ch.max_version = 0x0304;
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.verdict, GATE_ACCEPT);
	assert_int_equal(g.version, 0x0303);
	snapshot_unref(s);
}

static void
test_gate_tls13_only_client_refused(void **state)
{
	struct snapshot *s = build("base: azure-2018-tls12\n");
	static const uint16_t suites[] = { 0x1301, 0x1302 };
	struct ch_info ch;
	struct gate_result g;
	hello(&ch, 0x0303, suites, 2);
	ch.versions[0] = 0x0304;
	ch.n_versions = 1;
	ch.max_version = 0x0304;
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.reason, CR_REFUSED_VERSION);
	assert_non_null(strstr(g.why, "client offers only versions above the policy"));
	snapshot_unref(s);
}

static void
test_gate_no_shared_curve(void **state)
{
	struct snapshot *s = build("base: azure-2024-policy\n");
	static const uint16_t suites[] = { 0xc02f, 0xc030 };
	struct ch_info ch;
	struct gate_result g;
	hello(&ch, 0x0303, suites, 2);
	ch.groups[0] = 30; /* x448: mbedTLS 2.28 has no x448 */
	ch.n_groups = 1;
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.reason, CR_REFUSED_CIPHER);
	assert_non_null(strstr(g.why, "no curve in common"));
	/* without supported_groups RFC 8422 would allow any curve, but mbedTLS
	 * 2.28 then takes no ECDHE suite: the gate says so */
	ch.n_groups = 0;
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.verdict, GATE_REFUSE);
	assert_int_equal(g.reason, CR_REFUSED_CIPHER);
	assert_non_null(strstr(g.why, "sends no supported_groups"));
	snapshot_unref(s);
}

static void
test_gate_pre2018_accepts_rc4_tls10(void **state)
{
	struct snapshot *s = build("base: azure-pre-2018\n");
	static const uint16_t suites[] = { 0x0005 };
	struct ch_info ch;
	struct gate_result g;
	hello(&ch, 0x0301, suites, 1);
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.verdict, GATE_ACCEPT);
	assert_int_equal(g.version, 0x0301);
	/* a TLS 1.2-only suite offered by a TLS 1.0 client cannot be used */
	static const uint16_t gcm[] = { 0x009c };
	hello(&ch, 0x0301, gcm, 1);
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.reason, CR_REFUSED_CIPHER);
	snapshot_unref(s);
}

static void
test_gate_malformed_and_sslv2(void **state)
{
	struct snapshot *s = build("base: azure-pre-2018\ntls:\n  refuse:\n    malformed: alert:decode_error\n");
	struct ch_info ch;
	struct gate_result g;
	char buf[40];
	memset(&ch, 0, sizeof(ch));
	snprintf(ch.error, sizeof(ch.error), "first bytes look like HTTP (\"GET /\")");
	policy_gate(&s->gate, CH_NOT_TLS, &ch, &g);
	assert_int_equal(g.reason, CR_REFUSED_MALFORMED);
	assert_int_equal(g.action.kind, TLS_REFUSE_ALERT);
	assert_string_equal(refusal_name(&g.action, buf, sizeof(buf)), "alert:decode_error");
	assert_string_equal(g.why, "first bytes look like HTTP (\"GET /\")");

	static const uint16_t suites[] = { 0x0005 };
	hello(&ch, 0x0301, suites, 1);
	ch.sslv2 = 1;
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.reason, CR_REFUSED_SSLV2);
	snapshot_unref(s);
}

/* The bare "alert" refusal: the alert the RFCs name for each refusal. */
static void
test_gate_rfc_alerts(void **state)
{
	struct snapshot *s = build("base: azure-2018-tls12\ntls:\n  refuse:\n    version: alert\n"
	    "    cipher: alert\n    malformed: alert\n    too_large: alert\n");
	static const uint16_t rsa[] = { 0x002f }, modern[] = { 0xc02f };
	struct ch_info ch;
	struct gate_result g;
	char buf[40];

	memset(&ch, 0, sizeof(ch));
	ch.alert = CH_ALERT_ILLEGAL_PARAMETER;
	policy_gate(&s->gate, CH_MALFORMED, &ch, &g);
	assert_int_equal(g.action.alert, CH_ALERT_ILLEGAL_PARAMETER);
	assert_string_equal(refusal_name(&g.action, buf, sizeof(buf)), "alert:illegal_parameter");
	ch.alert = 0;
	policy_gate(&s->gate, CH_NOT_TLS, &ch, &g);
	assert_int_equal(g.action.alert, CH_ALERT_UNEXPECTED_MESSAGE);

	hello(&ch, 0x0301, rsa, 1);
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.reason, CR_REFUSED_VERSION);
	assert_int_equal(g.action.alert, 70);
	hello(&ch, 0x0303, (const uint16_t[]){ 0x0005 }, 1);
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.reason, CR_REFUSED_CIPHER);
	assert_int_equal(g.action.alert, 40);

	/* a hello larger than the engine reads: judged whole, refused */
	hello(&ch, 0x0303, modern, 1);
	ch.msg_len = TLS_ENGINE_MAX_HELLO;
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.verdict, GATE_ACCEPT);
	ch.msg_len = TLS_ENGINE_MAX_HELLO + 1;
	ch.n_records = 2;
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.reason, CR_REFUSED_TOO_LARGE);
	assert_int_equal(g.action.alert, 80);
	assert_non_null(strstr(g.why, "16385 bytes (in 2 records)"));
	snapshot_unref(s);

	/* the default stays the reset */
	s = build("base: azure-2018-tls12\n");
	policy_gate(&s->gate, CH_OK, &ch, &g);
	assert_int_equal(g.reason, CR_REFUSED_TOO_LARGE);
	assert_int_equal(g.action.kind, TLS_REFUSE_RESET);
	snapshot_unref(s);
}

static void
test_refusal_client_errors(void **state)
{
	struct tls_refusal r = { TLS_REFUSE_ALERT, 70 };
	assert_string_equal(refusal_client_error(&r), "0x80090302 SEC_E_UNSUPPORTED_FUNCTION");
	r.alert = 40;
	assert_string_equal(refusal_client_error(&r), "0x80090326 SEC_E_ILLEGAL_MESSAGE");
	r.alert = 71;
	assert_string_equal(refusal_client_error(&r), "0x80090331 SEC_E_ALGORITHM_MISMATCH");
	r.kind = TLS_REFUSE_STALL;
	assert_non_null(strstr(refusal_client_error(&r), "809"));
}

static void
test_snapshot_refcount(void **state)
{
	struct snapshot *s = build("base: azure-2018-tls12\n");
	assert_ptr_equal(snapshot_ref(s), s);
	snapshot_unref(s);
	assert_int_equal(s->magic, SNAPSHOT_MAGIC);
	snapshot_unref(s);
}

static int
setup(void **state)
{
	if (mkdtemp(state_dir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_policy_usable_suites),
		cmocka_unit_test(test_gate_tls10_client_refused_with_reset),
		cmocka_unit_test(test_gate_legacy_suites_refused),
		cmocka_unit_test(test_gate_accepts_modern_client),
		cmocka_unit_test(test_gate_tls13_only_client_refused),
		cmocka_unit_test(test_gate_no_shared_curve),
		cmocka_unit_test(test_gate_pre2018_accepts_rc4_tls10),
		cmocka_unit_test(test_gate_malformed_and_sslv2),
		cmocka_unit_test(test_gate_rfc_alerts),
		cmocka_unit_test(test_refusal_client_errors),
		cmocka_unit_test(test_snapshot_refcount),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
