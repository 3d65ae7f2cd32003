/*
 * Client audit: era verdicts over crafted ClientHellos (and the same answer
 * as the gate of the shipped era scenarios), the LRU cap, outcomes and the
 * rotation rehearsal states.
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

#include "app/audit.h"
#include "config/scenario.h"
#include "config/snapshot.h"
#include "tls/policy.h"

static char state_dir[] = "/tmp/p2sgw-test-audit-XXXXXX";

static void
hello(struct ch_info *ch, uint16_t version, const uint16_t *suites, size_t n, const char *ja4)
{
	memset(ch, 0, sizeof(*ch));
	ch->record_version = 0x0301;
	ch->legacy_version = version;
	ch->max_version = version;
	memcpy(ch->suites, suites, n * sizeof(*suites));
	ch->n_suites = n;
	ch->groups[0] = 23; /* secp256r1 */
	ch->groups[1] = 24; /* secp384r1 */
	ch->n_groups = 2;
	snprintf(ch->ja4, sizeof(ch->ja4), "%s", ja4);
	snprintf(ch->ja3_hash, sizeof(ch->ja3_hash), "0123456789abcdef0123456789abcdef");
}

/* TLS 1.0 only, RC4 and 3DES (Windows XP-era) */
static const uint16_t legacy_suites[] = { 0x0004, 0x0005, 0x000a };
/* IE11 on Windows 7: TLS 1.2, ECDHE-RSA CBC-SHA2 and SHA-1 suites, no GCM */
static const uint16_t ie11_suites[] = { 0xc028, 0xc027, 0xc014, 0xc013, 0x003d, 0x003c,
	0x0035, 0x002f, 0x000a };
/* A current client */
static const uint16_t modern_suites[] = { 0x1301, 0x1302, 0xc02b, 0xc02f, 0xc02c, 0xc030,
	0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035 };

static void
verdicts(const struct ch_info *ch, struct audit_era_verdict v[AUDIT_ERA__COUNT])
{
	struct audit_offer o;
	audit_offer_from_ch(ch, &o);
	for (int e = 0; e < AUDIT_ERA__COUNT; e++)
		audit_era_check(&o, (enum audit_era)e, &v[e]);
}

static void
test_era_tls10_legacy(void **state)
{
	struct ch_info ch;
	struct audit_era_verdict v[AUDIT_ERA__COUNT];
	hello(&ch, 0x0301, legacy_suites, 3, "t10");
	verdicts(&ch, v);
	assert_true(v[AUDIT_ERA_PRE2018].ok);
	assert_int_equal(v[AUDIT_ERA_PRE2018].version, 0x0301);
	assert_int_equal(v[AUDIT_ERA_PRE2018].suite, 0x000a); /* server order: 3DES before RC4 */
	assert_false(v[AUDIT_ERA_2018].ok);
	assert_string_equal(v[AUDIT_ERA_2018].why, "after 2018-07-01: no, offers at most TLS 1.0");
	/* the 2018 notice's fix, with the .NET keys, and TlsVersion 0xfc0 */
	assert_non_null(strstr(v[AUDIT_ERA_2018].fix, "KB3140245 and KB2977292"));
	assert_non_null(strstr(v[AUDIT_ERA_2018].fix, "DefaultSecureProtocols=0xaa0"));
	assert_non_null(strstr(v[AUDIT_ERA_2018].fix, "TlsVersion=0xfc0"));
	assert_non_null(strstr(v[AUDIT_ERA_2018].fix, "SchUseStrongCrypto=1"));
	assert_string_equal(v[AUDIT_ERA_PRE2018].fix, "");
	assert_false(v[AUDIT_ERA_2024].ok);
	assert_string_equal(v[AUDIT_ERA_2024].why, "2024 policy: no, offers at most TLS 1.0");
}

static void
test_era_ie11_win7(void **state)
{
	struct ch_info ch;
	struct audit_era_verdict v[AUDIT_ERA__COUNT];
	hello(&ch, 0x0303, ie11_suites, sizeof(ie11_suites) / 2, "ie11");
	verdicts(&ch, v);
	assert_true(v[AUDIT_ERA_PRE2018].ok);
	assert_true(v[AUDIT_ERA_2018].ok);
	assert_int_equal(v[AUDIT_ERA_2018].suite, 0xc027);
	assert_true(v[AUDIT_ERA_2024].ok);
	assert_int_equal(v[AUDIT_ERA_2024].suite, 0xc028); /* ECDHE-RSA AES256-CBC-SHA384 */
	assert_non_null(strstr(v[AUDIT_ERA_2024].why, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"));

	/* without a curve in common the ECDHE suites do not count */
	ch.groups[0] = 29;
	ch.n_groups = 1;
	verdicts(&ch, v);
	assert_true(v[AUDIT_ERA_PRE2018].ok); /* RSA key exchange suites remain */
	assert_int_equal(v[AUDIT_ERA_PRE2018].suite, 0x003c);
	ch.groups[0] = 30; /* x448 only */
	verdicts(&ch, v);
	assert_false(v[AUDIT_ERA_2024].ok);
	assert_non_null(strstr(v[AUDIT_ERA_2024].why, "curve"));
}

static void
test_era_modern_and_tls13_only(void **state)
{
	struct ch_info ch;
	struct audit_era_verdict v[AUDIT_ERA__COUNT];
	hello(&ch, 0x0303, modern_suites, sizeof(modern_suites) / 2, "mod");
	ch.versions[0] = 0x0304;
	ch.versions[1] = 0x0303;
	ch.n_versions = 2;
	ch.max_version = 0x0304;
	verdicts(&ch, v);
	for (int e = 0; e < AUDIT_ERA__COUNT; e++)
		assert_true(v[e].ok);
	assert_int_equal(v[AUDIT_ERA_2024].suite, 0xc030);

	/* a TLS 1.2 client with only RSA key exchange: 2018 yes, 2024 no */
	static const uint16_t rsa_only[] = { 0x009c, 0x002f };
	hello(&ch, 0x0303, rsa_only, 2, "rsa");
	verdicts(&ch, v);
	assert_true(v[AUDIT_ERA_2018].ok);
	assert_false(v[AUDIT_ERA_2024].ok);
	assert_string_equal(v[AUDIT_ERA_2024].why,
	    "2024 policy: no, offers no ECDHE-RSA AES-GCM/CBC-SHA2 suite");
	assert_non_null(strstr(v[AUDIT_ERA_2024].fix, "enable an ECDHE-RSA suite"));
	assert_string_equal(v[AUDIT_ERA_2018].fix, ""); /* passes: nothing to fix */

	/* TLS 1.3 only */
	static const uint16_t t13[] = { 0x1301 };
	hello(&ch, 0x0303, t13, 1, "t13");
	ch.versions[0] = 0x0304;
	ch.n_versions = 1;
	ch.max_version = 0x0304;
	verdicts(&ch, v);
	assert_false(v[AUDIT_ERA_2018].ok);
	assert_non_null(strstr(v[AUDIT_ERA_2018].why, "only versions above TLS 1.2"));
	assert_string_equal(v[AUDIT_ERA_2018].fix, "allow TLS 1.2 on the client: the gateway has no TLS 1.3");
}

/* The audit's verdicts agree with the gate of the shipped 2018 and 2024
 * scenarios (RSA leaf). */
static void
test_era_matches_gate(void **state)
{
	static const struct {
		const char    *base;
		enum audit_era era;
	} cases[] = {
		{ "base: azure-2018-tls12\n", AUDIT_ERA_2018 },
		{ "base: azure-2024-policy\n", AUDIT_ERA_2024 },
		{ "base: azure-pre-2018\n", AUDIT_ERA_PRE2018 },
	};
	enum { N = 8 };
	static struct ch_info ch[N];
	hello(&ch[0], 0x0301, legacy_suites + 2, 1, "a"); /* 3DES only: mbedTLS drops it */
	hello(&ch[1], 0x0303, ie11_suites, sizeof(ie11_suites) / 2, "b");
	hello(&ch[2], 0x0303, modern_suites, sizeof(modern_suites) / 2, "c");
	static const uint16_t rsa_only[] = { 0x009c, 0x002f };
	hello(&ch[3], 0x0303, rsa_only, 2, "d");
	/* every form the gate refuses whatever the suites: an SSLv2-compatible
	 * hello (TLS 1.0 and 1.2 inside), one larger than the engine reads */
	hello(&ch[4], 0x0301, ie11_suites, sizeof(ie11_suites) / 2, "e");
	ch[4].sslv2 = 1;
	ch[4].record_version = 0x0002;
	hello(&ch[5], 0x0303, modern_suites, sizeof(modern_suites) / 2, "f");
	ch[5].sslv2 = 1;
	ch[5].record_version = 0x0002;
	hello(&ch[6], 0x0303, modern_suites, sizeof(modern_suites) / 2, "g");
	ch[6].msg_len = TLS_ENGINE_MAX_HELLO + 1;
	/* ECDHE suites without supported_groups */
	hello(&ch[7], 0x0303, modern_suites, 6, "h");
	ch[7].n_groups = 0;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct scenario sc;
		char err[1024];
		if (scenario_load_string(cases[k].base, strlen(cases[k].base), "test", false, &sc,
		    err, sizeof(err)) != 0)
			fail_msg("scenario: %s", err);
		struct snapshot *s = snapshot_build(&sc, NULL, state_dir, (int64_t)time(NULL) * 1000, err, sizeof(err));
		if (s == NULL)
			fail_msg("snapshot: %s", err);
		for (size_t i = k == 2 ? 1 : 0; i < N; i++) {
			struct gate_result g;
			struct audit_offer o;
			struct audit_era_verdict v;
			policy_gate(&s->gate, CH_OK, &ch[i], &g);
			audit_offer_from_ch(&ch[i], &o);
			audit_era_check(&o, cases[k].era, &v);
			if ((g.verdict == GATE_ACCEPT) != v.ok)
				fail_msg("%s hello %zu: gate '%s', audit '%s'", cases[k].base, i, g.why, v.why);
			if (i >= 4 && i <= 6 && v.ok)
				fail_msg("%s hello %zu must be refused: %s", cases[k].base, i, v.why);
		}
		/* the SSLv2 verdict says why, in words (TLS 1.2 inside: the version
		 * passes every era, as at the gate) */
		struct audit_offer o;
		struct audit_era_verdict v;
		audit_offer_from_ch(&ch[5], &o);
		audit_era_check(&o, cases[k].era, &v);
		assert_non_null(strstr(v.why, "SSLv2-format ClientHello"));
		assert_non_null(strstr(v.fix, "SSL 2.0"));
		snapshot_unref(s);
	}
}

static void
test_lru_cap(void **state)
{
	struct audit *a = audit_new(4);
	struct audit_ctx x = { 1, "chain-a", 1000 };
	struct audit_ref ref;
	struct ch_info ch;
	char fp[16];

	assert_non_null(a);
	for (int i = 0; i < 6; i++) {
		snprintf(fp, sizeof(fp), "fp%d", i);
		hello(&ch, 0x0303, modern_suites, 4, fp);
		x.now = 1000 + i;
		audit_hello(a, &ref, &ch, "127.0.0.1:5000", 1, "ok", &x);
		if (i == 3) {
			/* touch fp0 so that it is the most recent */
			hello(&ch, 0x0303, modern_suites, 4, "fp0");
			audit_hello(a, &ref, &ch, "127.0.0.1:6000", 1, "ok", &x);
		}
	}
	assert_int_equal(audit_count(a), 4);
	assert_non_null(audit_find(a, "fp0", "", "127.0.0.1")); /* port is not part of the key */
	assert_null(audit_find(a, "fp1", "", "127.0.0.1"));
	assert_null(audit_find(a, "fp2", "", "127.0.0.1"));
	assert_non_null(audit_find(a, "fp3", "", "127.0.0.1"));
	assert_non_null(audit_find(a, "fp5", "", "127.0.0.1"));
	json_t *j = audit_json(a, 1, "chain-a");
	assert_int_equal(json_array_size(j), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "fingerprint")),
	    "fp5");
	json_decref(j);

	/* a connection whose entry was evicted: hooks do nothing */
	struct audit_ref old;
	hello(&ch, 0x0303, modern_suites, 4, "gone");
	audit_hello(a, &old, &ch, "10.0.0.1:1", 1, "ok", &x);
	for (int i = 0; i < 4; i++) {
		snprintf(fp, sizeof(fp), "new%d", i);
		hello(&ch, 0x0303, modern_suites, 4, fp);
		audit_hello(a, &ref, &ch, "10.0.0.2:1", 1, "ok", &x);
	}
	audit_tls(a, &old, 1, NULL, NULL, &x);
	audit_app_data(a, &old, &x);
	audit_close(a, &old, "client_closed", NULL, &x);
	assert_null(audit_find(a, "gone", "", "10.0.0.1"));
	audit_free(a);
	audit_free(NULL);
}

/* One address, one JA4: clients whose offers differ where the verdict looks
 * are separate rows; the same offer in another order is the same client. */
static void
test_distinct_offers_not_merged(void **state)
{
	struct audit *a = audit_new(16);
	struct audit_ctx x = { 1, "chain-a", 1000 };
	struct audit_ref ref;
	struct ch_info ch;

	hello(&ch, 0x0303, modern_suites, sizeof(modern_suites) / 2, "same-ja4");
	audit_hello(a, &ref, &ch, "10.0.0.7:1000", 1, "ok", &x);
	/* the same offer, suites and groups in another order (a shuffling browser) */
	hello(&ch, 0x0303, modern_suites, sizeof(modern_suites) / 2, "same-ja4");
	uint16_t t = ch.suites[0];
	ch.suites[0] = ch.suites[3];
	ch.suites[3] = t;
	ch.groups[0] = 24;
	ch.groups[1] = 23;
	audit_hello(a, &ref, &ch, "10.0.0.7:1001", 1, "ok", &x);
	assert_int_equal(audit_count(a), 1);
	/* x25519 only: an other client behind the same address */
	hello(&ch, 0x0303, modern_suites, sizeof(modern_suites) / 2, "same-ja4");
	ch.groups[0] = 29;
	ch.n_groups = 1;
	audit_hello(a, &ref, &ch, "10.0.0.7:1002", 1, "ok", &x);
	/* an SSLv2-format hello with the same fingerprint */
	hello(&ch, 0x0303, modern_suites, sizeof(modern_suites) / 2, "same-ja4");
	ch.sslv2 = 1;
	audit_hello(a, &ref, &ch, "10.0.0.7:1003", 0, "refused", &x);
	assert_int_equal(audit_count(a), 3);
	json_t *j = audit_json(a, 1, "chain-a");
	assert_int_equal(json_array_size(j), 3);
	const char *k0 = json_string_value(json_object_get(json_array_get(j, 0), "offer_key"));
	const char *k1 = json_string_value(json_object_get(json_array_get(j, 1), "offer_key"));
	assert_non_null(k0);
	assert_non_null(k1);
	assert_string_not_equal(k0, k1);
	json_decref(j);
	audit_free(a);
}

static const struct audit_client *
one_conn(struct audit *a, const char *fp, const char *peer, uint64_t gen, const char *chain,
    int tls_ok, const char *alert, int app)
{
	struct audit_ctx x = { gen, chain, 2000 };
	struct audit_ref ref;
	struct ch_info ch;
	hello(&ch, 0x0303, modern_suites, 4, fp);
	audit_hello(a, &ref, &ch, peer, 1, "ok", &x);
	if (tls_ok)
		audit_tls(a, &ref, 1, NULL, NULL, &x);
	else
		audit_tls(a, &ref, 0, alert, "client sent alert", &x);
	/* app: 0 none, 1 a request answered (the call ended normally),
	 * 2 a request and then the client hung up (sstpc rejecting the certificate) */
	if (app)
		audit_app_data(a, &ref, &x);
	audit_close(a, &ref, app == 1 ? "sstp_client_disconnect" : "client_closed", NULL, &x);
	return audit_find(a, fp, "", "127.0.0.1");
}

static void
test_rehearsal_states(void **state)
{
	struct audit *a = audit_new(16);
	char text[400];
	const struct audit_client *old, *both, *quiet, *shy, *never;

	old = one_conn(a, "old", "127.0.0.1:1", 1, "selfsigned", 1, NULL, 1);
	both = one_conn(a, "both", "127.0.0.1:2", 1, "selfsigned", 1, NULL, 1);
	quiet = one_conn(a, "quiet", "127.0.0.1:3", 1, "selfsigned", 1, NULL, 1);
	shy = one_conn(a, "shy", "127.0.0.1:4", 1, "selfsigned", 1, NULL, 1);
	never = one_conn(a, "never", "127.0.0.1:5", 1, "selfsigned", 0, "unknown_ca", 0);
	const struct audit_client *sstpc = one_conn(a, "sstpc", "127.0.0.1:9", 1, "selfsigned", 1,
	    NULL, 1);
	assert_int_equal(audit_client_rehearsal(old, 1, text, sizeof(text)), AR_NO_ROTATION);
	assert_int_equal(audit_client_rehearsal(never, 1, text, sizeof(text)), AR_NEVER_SUCCEEDED);

	/* rotation to generation 2 */
	one_conn(a, "old", "127.0.0.1:6", 2, "digicert", 0, "unknown_ca", 0);
	one_conn(a, "both", "127.0.0.1:7", 2, "digicert", 1, NULL, 1);
	one_conn(a, "shy", "127.0.0.1:8", 2, "digicert", 1, NULL, 0);
	one_conn(a, "sstpc", "127.0.0.1:10", 2, "digicert", 1, NULL, 2);

	assert_int_equal(audit_client_rehearsal(old, 2, text, sizeof(text)), AR_FAILED);
	assert_non_null(strstr(text, "sent alert unknown_ca"));
	assert_int_equal(audit_client_rehearsal(both, 2, text, sizeof(text)), AR_RECONNECTED);
	assert_int_equal(audit_client_rehearsal(quiet, 2, text, sizeof(text)), AR_NOT_SEEN_SINCE);
	assert_int_equal(audit_client_rehearsal(shy, 2, text, sizeof(text)), AR_FAILED);
	assert_non_null(strstr(text, "closed right after the handshake without an SSTP request"));
	assert_int_equal(audit_client_rehearsal(never, 2, text, sizeof(text)), AR_NEVER_SUCCEEDED);
	assert_int_equal(audit_client_rehearsal(sstpc, 2, text, sizeof(text)), AR_FAILED);
	assert_non_null(strstr(text, "hung up after its request"));

	/* close_notify right after the handshake (openssl s_client with nothing to
	 * send, a probe): closed after the handshake, never a certificate rejection */
	{
		struct audit_ctx x = { 2, "digicert", 2000 };
		struct audit_ref ref;
		struct ch_info ch;
		hello(&ch, 0x0303, modern_suites, 4, "probe");
		audit_hello(a, &ref, &ch, "127.0.0.1:11", 1, "ok", &x);
		audit_tls(a, &ref, 1, NULL, NULL, &x);
		audit_close(a, &ref, "client_close_notify", NULL, &x);
		const struct audit_client *probe = audit_find(a, "probe", "", "127.0.0.1");
		assert_non_null(probe);
		json_t *pj = audit_json(a, 2, "digicert");
		json_t *p0 = json_array_get(pj, 0);
		json_t *lo = json_object_get(p0, "last_outcome");
		assert_string_equal(json_string_value(json_object_get(lo, "outcome")),
		    "closed_after_handshake");
		const char *d = json_string_value(json_object_get(lo, "detail"));
		assert_non_null(strstr(d, "close_notify"));
		assert_non_null(strstr(d, "not a certificate rejection"));
		json_decref(pj);
		/* the same after its request */
		audit_hello(a, &ref, &ch, "127.0.0.1:12", 1, "ok", &x);
		audit_tls(a, &ref, 1, NULL, NULL, &x);
		audit_app_data(a, &ref, &x);
		audit_close(a, &ref, "client_close_notify", NULL, &x);
		pj = audit_json(a, 2, "digicert");
		lo = json_object_get(json_array_get(pj, 0), "last_outcome");
		assert_non_null(strstr(json_string_value(json_object_get(lo, "detail")),
		    "not a certificate rejection"));
		json_decref(pj);
	}

	json_t *j = audit_json(a, 2, "digicert");
	size_t i;
	json_t *cl;
	int seen = 0;
	json_array_foreach(j, i, cl) {
		const char *fp = json_string_value(json_object_get(cl, "fingerprint"));
		const char *st = json_string_value(json_object_get(json_object_get(cl, "rotation"),
		    "state"));
		if (strcmp(fp, "old") == 0) {
			assert_string_equal(st, "failed");
			assert_string_equal(json_string_value(json_object_get(json_object_get(cl,
			    "last_outcome"), "outcome")), "client_alert");
			seen++;
		} else if (strcmp(fp, "both") == 0) {
			assert_string_equal(st, "reconnected");
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	json_decref(j);
	audit_free(a);
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
	snprintf(cmd, sizeof(cmd), "rm -rf %s", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_era_tls10_legacy),
		cmocka_unit_test(test_era_ie11_win7),
		cmocka_unit_test(test_era_modern_and_tls13_only),
		cmocka_unit_test(test_era_matches_gate),
		cmocka_unit_test(test_lru_cap),
		cmocka_unit_test(test_distinct_offers_not_merged),
		cmocka_unit_test(test_rehearsal_states),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
