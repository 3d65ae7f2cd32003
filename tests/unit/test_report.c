/*
 * The rehearsal report's core: client identification against the recorded
 * hellos (each labels itself; a changed offer loses confidence; ties are
 * named together), and report_build over an audit fed through its hooks:
 * summary counts, the groups × eras matrix, reasons, the headline, the
 * failures after each event (a rotation and the failures just before it in
 * the same second), the activity buckets, every filter, and CSV quoting.
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
#include <event2/buffer.h>

#include "app/audit.h"
#include "app/client_id.h"
#include "app/report.h"
#include "tls/hello_reasm.h"

static struct ch_info *
corpus_hello(const char *file)
{
	static struct ch_info ch;
	static uint8_t buf[CH_MAX_MESSAGE];
	for (size_t i = 0; i < n_known_hellos; i++) {
		if (strcmp(known_hellos[i].file, file) != 0)
			continue;
		size_t n;
		assert_int_equal(known_hello_bytes(&known_hellos[i], buf, sizeof(buf), &n), 0);
		assert_int_equal(ch_parse(buf, n, &ch), CH_OK);
		return &ch;
	}
	fail_msg("%s is not in the corpus", file);
	return NULL;
}

static void
label_of(const struct ch_info *ch, struct client_label *l)
{
	struct audit_offer o;
	audit_offer_from_ch(ch, &o);
	client_identify(&o, l);
}

static void
test_corpus_labels_itself(void **state)
{
	char err[200];
	(void)state;
	assert_int_equal(client_id_corpus_errors(err, sizeof(err)), 0);
	assert_true(n_known_hellos >= 21);
	for (size_t i = 0; i < n_known_hellos; i++) {
		struct client_label l;
		label_of(corpus_hello(known_hellos[i].file), &l);
		assert_true(l.known);
		assert_int_equal(l.confidence, 100);
		/* its own name is in the label (with any entry that sends the same offer) */
		assert_non_null(strstr(l.label, known_hellos[i].name));
	}
}

static void
test_labels(void **state)
{
	struct client_label l;
	(void)state;
	label_of(corpus_hello("ie_8-10_win7"), &l);
	assert_string_equal(l.label, "IE 8-10 Win 7 (SChannel)");
	assert_string_equal(l.file, "ie_8-10_win7");
	/* Chrome 101 and Edge 101 send the same offer: both named */
	label_of(corpus_hello("chrome_101_win10"), &l);
	assert_non_null(strstr(l.label, "Chrome 101 (Win 10)"));
	assert_non_null(strstr(l.label, "Edge 101 Win 10 21H2"));
	assert_non_null(strstr(l.label, " or "));
	/* a stack already in the name is not repeated */
	label_of(corpus_hello("openssl_111d"), &l);
	assert_string_equal(l.label, "OpenSSL 1.1.1d (Debian)");

	/* the same IE 11 offer with half its suites gone: still the nearest,
	 * with less confidence */
	struct ch_info ch = *corpus_hello("ie_11_win7");
	struct client_label full;
	label_of(&ch, &full);
	ch.n_suites /= 2;
	label_of(&ch, &l);
	assert_string_equal(l.nearest, full.nearest);
	assert_true(l.confidence < full.confidence);

	/* one suite nobody offers, nothing else: unknown, with a nearest */
	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = ch.max_version = 0x0303;
	ch.suites[0] = 0x1234;
	ch.n_suites = 1;
	label_of(&ch, &l);
	assert_false(l.known);
	assert_string_equal(l.label, "unknown");
	assert_true(l.confidence < CLIENT_ID_MIN_CONFIDENCE);
	assert_true(l.nearest[0] != '\0');
}

/* ---- report_build ----------------------------------------------------------- */

#define T0 1700000000

static struct audit *A;

static void
ctx_at(struct audit_ctx *x, uint64_t gen, const char *chain, time_t now)
{
	x->generation = gen;
	x->chain = chain;
	x->now = now;
}

/* One connection: hello from peer with sni, then success or a client alert. */
static void
conn(const char *file, const char *peer, const char *sni, int ok, uint64_t gen, time_t now)
{
	struct ch_info ch = *corpus_hello(file);
	struct audit_ref ref;
	struct audit_ctx x;
	ch.has_sni = sni != NULL;
	snprintf(ch.sni, sizeof(ch.sni), "%s", sni ? sni : "");
	ctx_at(&x, gen, gen == 1 ? "old-chain" : "new-chain", now);
	audit_hello(A, &ref, &ch, peer, 1, NULL, &x);
	if (ok) {
		audit_tls(A, &ref, 1, NULL, NULL, &x);
		audit_app_data(A, &ref, &x);
		audit_tunnel_up(A, &ref, &x);
	} else {
		audit_tls(A, &ref, 0, "unknown_ca", NULL, &x);
	}
	audit_close(A, &ref, "client_closed", NULL, &x);
}

static int
setup_fleet(void **state)
{
	(void)state;
	A = audit_new(64);
	assert_non_null(A);
	audit_event(A, T0, 1, "start", "scenario s, chain old-chain");
	/* generation 1: three Windows 7 IE 8-10 (TLS 1.0 only), two Chrome, one
	 * Java; one IE fails at the very second of the rotation */
	conn("ie_8-10_win7", "10.0.0.1:1000", "gw.test", 1, 1, T0 + 1);
	conn("ie_8-10_win7", "10.0.0.2:1000", "gw.test", 1, 1, T0 + 2);
	conn("ie_8-10_win7", "10.0.1.3:1000", "gw.test", 1, 1, T0 + 3);
	conn("chrome_101_win10", "10.0.0.4:1000", "gw.test", 1, 1, T0 + 3);
	conn("chrome_101_win10", "[fd00::5]:1000", "=cmd|' /C calc'!A0", 1, 1, T0 + 4);
	conn("java_8u161", "10.0.0.6:1000", NULL, 0, 1, T0 + 60);
	/* the rotation at T0+60, in the same second as Java's failure */
	audit_event(A, T0 + 60, 2, "rotate", "scenario s, chain new-chain");
	conn("ie_8-10_win7", "10.0.0.1:1000", "gw.test", 0, 2, T0 + 61);
	conn("chrome_101_win10", "10.0.0.4:1000", "gw.test", 0, 2, T0 + 62);
	conn("chrome_101_win10", "10.0.0.4:1000", "gw.test", 1, 2, T0 + 63);
	return 0;
}

static int
teardown_fleet(void **state)
{
	(void)state;
	audit_free(A);
	A = NULL;
	return 0;
}

static json_t *
build(const char *const *kv)
{
	struct report_filter f;
	char err[200];
	report_filter_init(&f);
	for (; kv && kv[0]; kv += 2)
		assert_int_equal(report_filter_set(&f, kv[0], kv[1], err, sizeof(err)), 0);
	struct report_meta m = { "s", "new-chain", 2, T0 + 100 };
	json_t *r = report_build(A, &f, &m);
	assert_non_null(r);
	return r;
}

static json_int_t
at(const json_t *o, const char *path)
{
	char buf[200];
	snprintf(buf, sizeof(buf), "%s", path);
	const json_t *v = o;
	for (char *s = strtok(buf, "."); s; s = strtok(NULL, "."))
		v = json_object_get(v, s);
	assert_non_null(v);
	return json_integer_value(v);
}

static const json_t *
matrix_row(const json_t *r, const char *needle)
{
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(r, "matrix"), i, m)
		if (strstr(json_string_value(json_object_get(m, "label")), needle))
			return m;
	fail_msg("no matrix row for %s", needle);
	return NULL;
}

static void
test_summary_matrix_reasons(void **state)
{
	(void)state;
	json_t *r = build(NULL);
	assert_int_equal(at(r, "summary.clients"), 6);
	assert_int_equal(at(r, "summary.matched"), 6);
	assert_int_equal(at(r, "summary.unknown"), 0);
	assert_int_equal(at(r, "summary.eras.pre-2018.ok"), 6);
	assert_int_equal(at(r, "summary.eras.2018.fail"), 3);
	assert_int_equal(at(r, "summary.eras.2018.ok"), 3);
	assert_int_equal(at(r, "summary.outcomes.tunnel_up"), 4);
	assert_int_equal(at(r, "summary.outcomes.client_alert"), 2);
	assert_int_equal(at(r, "summary.rehearsal.failed"), 1);      /* IE at 10.0.0.1 */
	assert_int_equal(at(r, "summary.rehearsal.reconnected"), 1); /* Chrome at 10.0.0.4 */
	/* groups: the three IEs fail 2018 and 2024, pass pre-2018 */
	const json_t *ie = matrix_row(r, "IE 8-10 Win 7");
	assert_int_equal(at(ie, "clients"), 3);
	assert_int_equal(at(ie, "eras.pre-2018.ok"), 3);
	assert_int_equal(at(ie, "eras.2018.fail"), 3);
	assert_int_equal(at(ie, "eras.2024.fail"), 3);
	assert_int_equal(at(matrix_row(r, "Chrome 101"), "eras.2024.ok"), 2);
	/* most clients first */
	assert_ptr_equal(json_array_get(json_object_get(r, "matrix"), 0), ie);
	/* reasons: one per era failing, with the fix and the labels */
	const json_t *x = json_array_get(json_object_get(r, "reasons"), 0);
	assert_int_equal(at(x, "clients"), 3);
	assert_non_null(strstr(json_string_value(json_object_get(x, "why")), "offers at most TLS 1.0"));
	assert_non_null(strstr(json_string_value(json_object_get(x, "fix")), "KB3140245"));
	assert_int_equal(json_array_size(json_object_get(x, "labels")), 1);
	/* the headline names the group */
	const char *h = json_string_value(json_array_get(json_object_get(json_object_get(r,
	    "summary"), "headline"), 0));
	assert_string_equal(h, "3 of 6 clients fail the 2018 policy: 3 look like IE 8-10 Win 7 "
	    "(SChannel).");
	/* the offers: one per distinct offer, with the verdicts' reasons */
	assert_int_equal(json_object_size(json_object_get(r, "offers")), 3);
	json_decref(r);
}

static void
test_events_and_activity(void **state)
{
	(void)state;
	json_t *r = build(NULL);
	const json_t *ev = json_object_get(r, "events");
	assert_int_equal(json_array_size(ev), 2);
	/* Java failed in the rotation's second but under generation 1: before it */
	assert_int_equal(at(json_array_get(ev, 0), "failed_after"), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
	    json_array_get(ev, 0), "failed_clients"), 0), "address")), "10.0.0.6");
	/* three last succeeded before the rotation (two IEs, one Chrome) */
	assert_int_equal(at(json_array_get(ev, 0), "succeeded_after"), 3);
	/* after the rotation: IE at 10.0.0.1; Chrome failed then reconnected */
	assert_int_equal(at(json_array_get(ev, 1), "succeeded_after"), 1);
	assert_int_equal(at(json_array_get(ev, 1), "failed_after"), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
	    json_array_get(ev, 1), "failed_clients"), 0), "address")), "10.0.0.1");
	/* activity: from T0 (the start event), 101 s in 2 s buckets (<= 90) */
	const json_t *act = json_object_get(r, "activity");
	assert_int_equal(at(act, "bucket_s"), 2);
	const json_t *ok = json_object_get(act, "ok"), *fail = json_object_get(act, "fail");
	json_int_t sok = 0, sfail = 0;
	for (size_t i = 0; i < json_array_size(ok); i++) {
		sok += json_integer_value(json_array_get(ok, i));
		sfail += json_integer_value(json_array_get(fail, i));
	}
	assert_int_equal(sok, 6);
	assert_int_equal(sfail, 3);
	/* T0+60 and T0+61 fall in bucket 30 */
	assert_int_equal(json_integer_value(json_array_get(fail, 30)), 2);
	json_decref(r);
}

static void
test_filters(void **state)
{
	(void)state;
	static const char *const fails[] = { "fails", "2018", NULL };
	static const char *const passes[] = { "passes", "2024", NULL };
	static const char *const net[] = { "addr", "10.0.0.0/24", NULL };
	static const char *const v6[] = { "addr", "fd00::/8", NULL };
	static const char *const sni[] = { "sni", "-", NULL };
	static const char *const empty[] = { "sni", "", "fails", "", "addr", "", "label", "", NULL };
	static const char *const label[] = { "label", "chrome", NULL };
	static const char *const both[] = { "fails", "2018", "addr", "10.0.0.0/24", NULL };
	static const char *const outcome[] = { "outcome", "client_alert", NULL };
	static const char *const reh[] = { "rehearsal", "reconnected", NULL };
	struct { const char *const *kv; json_int_t n; } cases[] = {
		{ fails, 3 }, { passes, 3 }, { net, 4 }, { v6, 1 }, { sni, 1 }, { label, 2 },
		{ both, 2 }, { outcome, 2 }, { reh, 1 }, { empty, 6 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *r = build(cases[i].kv);
		assert_int_equal(at(r, "summary.clients"), 6);
		assert_int_equal(at(r, "summary.matched"), cases[i].n);
		assert_int_equal((json_int_t)json_array_size(json_object_get(r, "rows")), cases[i].n);
		json_decref(r);
	}
	/* one client by its id */
	json_t *r = build(NULL);
	json_int_t id = json_integer_value(json_object_get(json_array_get(json_object_get(r, "rows"),
	    2), "client_id"));
	json_decref(r);
	char ids[32];
	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	const char *one[] = { "client", ids, NULL };
	r = build(one);
	assert_int_equal(at(r, "summary.matched"), 1);
	json_decref(r);

	struct report_filter f;
	char err[200];
	report_filter_init(&f);
	assert_int_equal(report_filter_set(&f, "fails", "2019", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an era"));
	assert_int_equal(report_filter_set(&f, "addr", "10.0.0.0/33", err, sizeof(err)), -1);
	assert_int_equal(report_filter_set(&f, "addr", "not-an-address", err, sizeof(err)), -1);
	assert_int_equal(report_filter_set(&f, "outcome", "won", err, sizeof(err)), -1);
	assert_int_equal(report_filter_set(&f, "client", "0", err, sizeof(err)), -1);
	assert_int_equal(report_filter_set(&f, "client", "12x", err, sizeof(err)), -1);
	assert_int_equal(report_filter_set(&f, "bogus", "1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown parameter"));
}

static void
test_csv(void **state)
{
	(void)state;
	json_t *r = build(NULL);
	struct evbuffer *b = evbuffer_new();
	report_csv(json_object_get(r, "rows"), b);
	size_t n = evbuffer_get_length(b);
	char *s = calloc(1, n + 1);
	evbuffer_remove(b, s, n);
	/* the header is the documented columns */
	assert_true(strncmp(s, "client_id,address,sni,label,", 28) == 0);
	char *eol = strstr(s, "\r\n");
	size_t commas = 0;
	for (char *p = s; p < eol; p++)
		commas += *p == ',';
	assert_int_equal(commas + 1, n_report_columns);
	/* seven lines: header and six clients, each CRLF-terminated */
	size_t lines = 0;
	for (char *p = s; (p = strstr(p, "\r\n")) != NULL; p += 2)
		lines++;
	assert_int_equal(lines, 7);
	/* the hostile SNI is defused with a ' in front */
	assert_non_null(strstr(s, ",'=cmd|' /C calc'!A0,"));
	assert_null(strstr(s, ",=cmd"));
	/* a fix holds commas: quoted */
	assert_non_null(strstr(s, ",\"enable TLS 1.2 on the client."));
	free(s);
	evbuffer_free(b);
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_labels_itself),
		cmocka_unit_test(test_labels),
		cmocka_unit_test_setup_teardown(test_summary_matrix_reasons, setup_fleet, teardown_fleet),
		cmocka_unit_test_setup_teardown(test_events_and_activity, setup_fleet, teardown_fleet),
		cmocka_unit_test_setup_teardown(test_filters, setup_fleet, teardown_fleet),
		cmocka_unit_test_setup_teardown(test_csv, setup_fleet, teardown_fleet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
