/*
 * Scenario timeline and renewal settings: parsing, sorting, per-action keys,
 * limits, errors with positions, base files, policy entries tried at load.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/scenario.h"

static char err[4096];

static int
load_str(const char *yaml, struct scenario *sc)
{
	err[0] = '\0';
	return scenario_load_string(yaml, strlen(yaml), "t.yaml", false, sc, err, sizeof(err));
}

static void
expect_error(const char *yaml, const char *want, const char *also)
{
	struct scenario *sc = malloc(sizeof(*sc));

	assert_non_null(sc);
	if (load_str(yaml, sc) == 0)
		fail_msg("accepted:\n%s\nexpected error: %s", yaml, want);
	free(sc);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("input:\n%s\nerror:    %s\nexpected: %s...", yaml, err, want);
	if (also != NULL && strstr(err, also) == NULL)
		fail_msg("input:\n%s\nerror: %s\nmissing: %s", yaml, err, also);
}

static void
expect_ok(const char *yaml, struct scenario *sc)
{
	if (load_str(yaml, sc) != 0)
		fail_msg("input:\n%s\nrejected: %s", yaml, err);
}

static void
test_entries_sorted(void **state)
{
	struct scenario *sc = malloc(sizeof(*sc));

	assert_non_null(sc);
	expect_ok("timeline:\n"
	    "  - {at: 2m, action: maintenance, duration: 30s}\n"
	    "  - {at: 30s, action: rotate, chain: digicert-global-root-ca}\n"
	    "  - {at: 30s, action: policy, versions: [tls1.2], ciphers: [azure-2024]}\n"
	    "  - {at: 500ms, action: rotate, chain: baltimore-cybertrust-root, variant: expired}\n",
	    sc);
	assert_int_equal(sc->n_timeline, 4);
	assert_int_equal(sc->timeline[0].at_ms, 500);
	assert_int_equal(sc->timeline[0].action, SC_TL_ROTATE);
	assert_string_equal(sc->timeline[0].chain, "baltimore-cybertrust-root");
	assert_int_equal(sc->timeline[0].variant, PKI_VARIANT_EXPIRED);
	assert_int_equal(sc->timeline[1].at_ms, 30000);       /* equal times: file order */
	assert_int_equal(sc->timeline[1].action, SC_TL_ROTATE);
	assert_int_equal(sc->timeline[1].variant, PKI_VARIANT_VALID);
	assert_int_equal(sc->timeline[2].action, SC_TL_POLICY);
	assert_int_equal(sc->timeline[2].n_versions, 1);
	assert_string_equal(sc->timeline[2].versions[0], "tls1.2");
	assert_int_equal(sc->timeline[2].n_ciphers, 1);
	assert_string_equal(sc->timeline[2].ciphers[0], "azure-2024");
	assert_int_equal(sc->timeline[3].at_ms, 120000);
	assert_int_equal(sc->timeline[3].action, SC_TL_MAINTENANCE);
	assert_int_equal(sc->timeline[3].duration_ms, 30000);
	assert_int_equal(sc->timeline[3].line, 2);
	assert_string_equal(sc_timeline_action_name(SC_TL_POLICY), "policy");

	/* no timeline: none */
	expect_ok("name: x\n", sc);
	assert_int_equal(sc->n_timeline, 0);
	assert_int_equal(sc->renew_after_pct, 0);
	assert_string_equal(sc->renew_to, "selfsigned-gateway-renewed");
	free(sc);
}

static void
test_entry_errors(void **state)
{
	expect_error("timeline: {at: 1s}\n", "t.yaml:1:11:", "list");
	expect_error("timeline:\n  - {action: rotate, chain: selfsigned-gateway}\n",
	    "t.yaml:2:5: key 'timeline': each entry needs 'at' and 'action'", NULL);
	expect_error("timeline:\n  - {at: soon, action: rotate, chain: selfsigned-gateway}\n",
	    "t.yaml:2:10: key 'timeline.at':", "not a duration");
	expect_error("timeline:\n  - {at: 200h, action: rotate, chain: selfsigned-gateway}\n",
	    "t.yaml:2:10: key 'timeline.at':", "out of range");
	expect_error("timeline:\n  - {at: 1s, action: explode}\n",
	    "t.yaml:2:22: key 'timeline.action': unknown action 'explode'", NULL);
	expect_error("timeline:\n  - {at: 1s, action: revoke, chain: x}\n",
	    "t.yaml:2:30: key 'timeline': 'chain' does not apply to action revoke", NULL);
	expect_error("timeline:\n  - {at: 1s, action: rotate}\n",
	    "t.yaml:2:5: key 'timeline': action rotate needs 'chain'", NULL);
	expect_error("timeline:\n  - {at: 1s, action: rotate, chain: no-such-chain}\n",
	    "t.yaml:2:37: key 'timeline.chain':", "no-such-chain");
	expect_error("timeline:\n  - {at: 1s, action: rotate, chain: selfsigned-gateway, "
	    "variant: purple}\n", "t.yaml:2:66: key 'timeline.variant':", NULL);
	expect_error("timeline:\n  - {at: 1s, action: rotate, chain: selfsigned-gateway, "
	    "duration: 5s}\n", "t.yaml:2:57: key 'timeline': 'duration' does not apply to action "
	    "rotate", NULL);
	expect_error("timeline:\n  - {at: 1s, action: policy}\n",
	    "t.yaml:2:5: key 'timeline': action policy needs versions and/or ciphers", NULL);
	expect_error("timeline:\n  - {at: 1s, action: policy, versions: [tls9]}\n",
	    "t.yaml:2:41: key 'timeline.versions':", NULL);
	expect_error("timeline:\n  - {at: 1s, action: policy, versions: []}\n",
	    "t.yaml:2:40: key 'timeline.versions': the list is empty", NULL);
	expect_error("timeline:\n  - {at: 1s, action: policy, ciphers: [TLS_NOPE]}\n",
	    "t.yaml:2:5: key 'timeline': this policy cannot be served:", "TLS_NOPE");
	expect_error("timeline:\n  - {at: 1s, action: maintenance}\n",
	    "t.yaml:2:5: key 'timeline': action maintenance needs 'duration'", NULL);
	expect_error("timeline:\n  - {at: 1s, action: maintenance, duration: 10ms}\n",
	    "t.yaml:2:45: key 'timeline.duration':", "out of range");
	expect_error("timeline:\n  - {at: 1s, action: maintenance, duration: 1s, colour: red}\n",
	    "t.yaml:2:", "colour");
}

static void
test_limit(void **state)
{
	char yaml[8192];
	size_t n = (size_t)snprintf(yaml, sizeof(yaml), "timeline:\n");
	for (int i = 0; i <= SC_MAX_TIMELINE; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
		    "  - {at: %ds, action: maintenance, duration: 1s}\n", i);
	assert_true(n < sizeof(yaml));
	expect_error(yaml, "t.yaml:2:3: key 'timeline': too many entries (33, at most 32)", NULL);
}

static void
test_base_and_override(void **state)
{
	struct scenario *sc = malloc(sizeof(*sc));

	assert_non_null(sc);
	/* a file's timeline replaces the base's */
	expect_ok("base: azure-2019-ca-transition\n"
	    "timeline: [{at: 2s, action: rotate, chain: digicert-global-root-ca}]\n", sc);
	assert_int_equal(sc->n_timeline, 1);
	assert_int_equal(sc->timeline[0].at_ms, 2000);
	expect_ok("base: azure-2019-ca-transition\n", sc);
	assert_int_equal(sc->n_timeline, 1);
	assert_int_equal(sc->timeline[0].at_ms, 30000);
	assert_string_equal(sc->chain, "selfsigned-gateway");

	/* applying a policy entry */
	expect_ok("tls: {versions: [tls1.2]}\n"
	    "timeline: [{at: 1s, action: policy, versions: [tls1.0, tls1.1, tls1.2], "
	    "ciphers: [azure-pre-2018]}]\n", sc);
	assert_int_equal(sc->min_minor, 3);
	assert_int_equal(sc_timeline_policy(sc, &sc->timeline[0], "timeline", err, sizeof(err)), 0);
	assert_int_equal(sc->min_minor, 1);
	assert_int_equal(sc->max_minor, 3);
	free(sc);
}

/* UTC times on the gateway clock, the clock's speed, random windows. */
static void
test_calendar_and_clock(void **state)
{
	struct scenario *sc = malloc(sizeof(*sc));
	assert_non_null(sc);
	expect_ok("gateway: {clock: 2019-01-01T00:00:00Z, clock_speed: 3600, seed: 42}\n"
	    "timeline:\n"
	    "  - {at: 2021-02-15T00:00:00Z, action: rotate, chain: digicert-global-root-g2}\n"
	    "  - {at: 2019-03-12T18:00:00Z, action: rotate, chain: digicert-global-root-ca}\n"
	    "  - {at: 30s, action: maintenance, duration: 1s}\n"
	    "  - {at: 2019-08-01T00:00:00Z, within: 30d, action: maintenance, duration: 1m}\n",
	    sc);
	assert_int_equal(sc->n_timeline, 4);
	/* offsets on the gateway clock, in time order */
	assert_int_equal(sc->timeline[0].at_ms, 30000);
	assert_true(sc->timeline[1].at_cal);
	assert_int_equal(sc->timeline[1].at_ms, (uint64_t)(70 * 86400 + 18 * 3600) * 1000);
	assert_string_equal(sc->timeline[1].chain, "digicert-global-root-ca");
	assert_int_equal(sc->timeline[2].within_ms, 30u * 86400000u);
	assert_string_equal(sc->timeline[3].chain, "digicert-global-root-g2");
	assert_int_equal(sc->timeline[3].at_ms, (uint64_t)(776 * 86400) * 1000);
	assert_int_equal(scenario_clock_speed(sc), 3600);
	assert_true(sc->seed_set);
	assert_int_equal(sc->seed, 42);
	/* the clock: 2019-01-01 when loaded, an hour per real second after */
	sc->clock_t0_ms = 1000000000;
	assert_int_equal(scenario_clock(sc, 1000000), 1546300800);
	assert_int_equal(scenario_clock(sc, 1000010), 1546300800 + 36000);
	/* a fixed clock alone stands still; "now" runs at real speed */
	expect_ok("gateway: {clock: 2019-01-01T00:00:00Z}\n", sc);
	assert_int_equal(scenario_clock_speed(sc), 0);
	sc->clock_t0_ms = 1000000000;
	assert_int_equal(scenario_clock(sc, 1000500), 1546300800);
	expect_ok("gateway: {clock: +1d}\n", sc);
	assert_int_equal(scenario_clock_speed(sc), 1);
	sc->clock_t0_ms = 1000000000;
	assert_int_equal(scenario_clock(sc, 1000500), 1000500 + 86400);
	free(sc);

	expect_error("timeline:\n  - {at: 2025-05-12T00:00:00Z, action: revoke}\n",
	    "t.yaml:2:5: key 'timeline.at': a UTC time needs gateway.clock to be one too", NULL);
	expect_error("gateway: {clock: 2019-01-01T00:00:00Z}\n"
	    "timeline:\n  - {at: 2025-05-12T00:00:00Z, action: revoke}\n",
	    "t.yaml:3:5: key 'timeline.at': a UTC time needs a running gateway clock", NULL);
	expect_error("gateway: {clock: 2019-01-01T00:00:00Z, clock_speed: 60}\n"
	    "timeline:\n  - {at: 2018-05-12T00:00:00Z, action: revoke}\n",
	    "t.yaml:3:5: key 'timeline.at': before the gateway clock starts", NULL);
	expect_error("timeline:\n  - {at: 2025-13-12T00:00:00Z, action: revoke}\n",
	    "t.yaml:2:10: key 'timeline.at':", NULL);
	expect_error("timeline:\n  - {at: 1s, within: 60d, action: revoke}\n",
	    "t.yaml:2:22: key 'timeline.within':", "45 days");
	expect_error("gateway: {clock_speed: 100000001}\n", "t.yaml:1:", "out of range");
	expect_error("gateway: {seed: -1}\n", "t.yaml:1:", NULL);
}

/* certificate.overlap and the overlap actions: rules, errors, the pick. */
static void
test_overlap(void **state)
{
	struct scenario *sc = malloc(sizeof(*sc));
	assert_non_null(sc);
	expect_ok("certificate:\n  chain: digicert-global-root-g2\n  overlap:\n"
	    "    chain: digicert-global-root-ca\n    share: 30\n    clients: 10.1.0.0/16\n"
	    "    sni: [new.example.net, NEW2.example.net]\n", sc);
	const struct sc_overlap *o = &sc->overlap;
	assert_true(o->on);
	assert_string_equal(o->chain, "digicert-global-root-ca");
	assert_int_equal(o->share, 30);
	assert_true(o->has_clients);
	assert_int_equal(o->n_sni, 2);
	/* SNI (any case) and the address range always; the share by turns */
	assert_true(scenario_overlap_pick(o, "new2.example.net", 0, 0));
	assert_true(scenario_overlap_pick(o, NULL, 0x0a01ff01, 0));
	assert_false(scenario_overlap_pick(o, "other.net", 0x0a020001, 0));
	unsigned picked = 0, run = 0, longest = 0;
	for (uint64_t t = 0; t < 1000; t++) {
		int p = scenario_overlap_pick(o, "other.net", 0, t);
		picked += p;
		run = p ? 0 : run + 1;
		longest = run > longest ? run : longest;
	}
	assert_int_equal(picked, 300);
	assert_true(longest <= 3);   /* spread evenly, not in blocks */
	/* in the timeline */
	expect_ok("certificate: {chain: digicert-global-root-g2}\ntimeline:\n"
	    "  - {at: 10s, action: overlap, chain: digicert-global-root-ca, share: 50}\n"
	    "  - {at: 20s, action: overlap-end}\n", sc);
	assert_int_equal(sc->timeline[0].action, SC_TL_OVERLAP);
	assert_int_equal(sc->timeline[0].netfault.share, 50);
	assert_int_equal(sc->timeline[1].action, SC_TL_OVERLAP_END);
	free(sc);

	expect_error("certificate:\n  overlap: {share: 30}\n", "t.yaml:", "need certificate.overlap.chain");
	expect_error("certificate:\n  overlap: {chain: digicert-global-root-ca}\n", "t.yaml:",
	    "set share, clients and/or sni");
	expect_error("certificate:\n  overlap: {chain: microsoft-ecc-root-2017, share: 10}\n", "t.yaml:",
	    "keys must be of one kind");
	expect_error("certificate:\n  overlap: {chain: no-such, share: 10}\n", "t.yaml:", "no-such");
	expect_error("certificate:\n  overlap: {chain: digicert-global-root-ca, share: 101}\n",
	    "t.yaml:", NULL);
	expect_error("certificate:\n  overlap: {chain: digicert-global-root-ca, sni: [a, b, c, d, e]}\n",
	    "t.yaml:", "at most 4 names");
	expect_error("timeline:\n  - {at: 1s, action: overlap, chain: digicert-global-root-ca}\n",
	    "t.yaml:2:5: key 'timeline': action overlap needs share and/or clients", NULL);
	expect_error("timeline:\n  - {at: 1s, action: overlap-end, share: 5}\n", "t.yaml:2:",
	    "'share' does not apply to action overlap-end");
}

static void
test_renewal_settings(void **state)
{
	struct scenario *sc = malloc(sizeof(*sc));

	assert_non_null(sc);
	expect_ok("certificate: {renew_after: 50%, issued: -300d, renew_to: selfsigned-gateway}\n",
	    sc);
	assert_int_equal(sc->renew_after_pct, 50);
	assert_true(sc->issued_set);
	assert_false(sc->issued_fixed);
	assert_true(sc->issued_offset == -300 * 86400);
	assert_string_equal(sc->renew_to, "selfsigned-gateway");
	expect_ok("certificate: {issued: \"2018-01-01T00:00:00Z\", renew_after: off}\n", sc);
	assert_true(sc->issued_fixed);
	assert_int_equal(sc->renew_after_pct, 0);
	expect_error("certificate: {renew_after: 50}\n", "t.yaml:1:28: key 'certificate.renew_after':",
	    "1%..99%");
	expect_error("certificate: {renew_after: 100%}\n", "t.yaml:1:28:", "1%..99%");
	expect_error("certificate: {renew_after: 0%}\n", "t.yaml:1:28:", NULL);
	expect_error("certificate: {issued: +3d}\n", "t.yaml:1:23: key 'certificate.issued':",
	    "after the gateway clock");
	expect_error("certificate: {renew_to: nope}\n", "t.yaml:1:25: key 'certificate.renew_to':",
	    NULL);
	free(sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_sorted),
		cmocka_unit_test(test_entry_errors),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_base_and_override),
		cmocka_unit_test(test_calendar_and_clock),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_renewal_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
