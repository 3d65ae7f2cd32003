/*
 * Fuzz target: the report's two inputs from the network. First byte even:
 * the rest is a GET /report query string (parsed by evhttp as the handler
 * does) whose parameters go through report_filter_set; an accepted filter
 * builds the report over a small fleet and writes its CSV. First byte odd:
 * the rest is a first flight; a parsed ClientHello is labelled by
 * client_identify, joins the fleet, and the report is built.
 * Invariants: a refused parameter says why; matched <= clients = rows of an
 * unfiltered report; confidence within 0..100; a label is never empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "app/client_id.h"
#include "app/report.h"
#include "tls/hello_reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct audit *fleet;

static void
add(struct audit *a, const struct ch_info *ch, const char *peer)
{
	struct audit_ref ref;
	struct audit_ctx x = { 1, "chain", 1700000000 };
	audit_hello(a, &ref, ch, peer, 1, NULL, &x);
	audit_tls(a, &ref, 0, "unknown_ca", NULL, &x);
	audit_close(a, &ref, "client_closed", NULL, &x);
}

static void
build_fleet(void)
{
	static const char *const peers[] = { "10.0.0.1:1", "10.0.0.2:1", "[fd00::1]:1" };
	fleet = audit_new(16);
	if (fleet == NULL)
		abort();
	audit_event(fleet, 1700000000, 1, "start", "scenario s");
	struct ch_info *ch = calloc(1, sizeof(*ch));
	uint8_t *buf = malloc(4096);
	if (ch == NULL || buf == NULL)
		abort();
	for (size_t i = 0; i < 3 && i < n_known_hellos; i++) {
		size_t n;
		if (known_hello_bytes(&known_hellos[i * 5 % n_known_hellos], buf, 4096, &n) == 0 &&
		    ch_parse(buf, n, ch) == CH_OK)
			add(fleet, ch, peers[i]);
	}
	free(ch);
	free(buf);
}

static void
report(const struct report_filter *f)
{
	struct report_meta m = { "s", "chain", 1, 1700000100 };
	json_t *r = report_build(fleet, f, &m);
	if (r == NULL)
		abort();
	const json_t *s = json_object_get(r, "summary");
	json_int_t clients = json_integer_value(json_object_get(s, "clients"));
	json_int_t matched = json_integer_value(json_object_get(s, "matched"));
	if (matched > clients || (json_int_t)json_array_size(json_object_get(r, "rows")) != matched)
		__builtin_trap();
	struct evbuffer *b = evbuffer_new();
	if (b == NULL)
		abort();
	report_csv(json_object_get(r, "rows"), b);
	evbuffer_free(b);
	json_decref(r);
}

static void
query(const char *q)
{
	struct evkeyvalq kv;
	struct evkeyval *e;
	struct report_filter f;
	char err[256];
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(q, &kv) != 0)
		return;
	report_filter_init(&f);
	int ok = 1;
	TAILQ_FOREACH(e, &kv, next) {
		err[0] = '\0';
		if (report_filter_set(&f, e->key, e->value, err, sizeof(err)) != 0) {
			if (err[0] == '\0')
				__builtin_trap();
			ok = 0;
			break;
		}
	}
	evhttp_clear_headers(&kv);
	if (ok)
		report(&f);
}

static void
hello(const uint8_t *data, size_t size)
{
	struct ch_info *ch = malloc(sizeof(*ch));
	if (ch == NULL)
		abort();
	if (ch_parse(data, size, ch) == CH_OK) {
		struct audit_offer o;
		struct client_label l;
		audit_offer_from_ch(ch, &o);
		client_identify(&o, &l);
		if (l.confidence < 0 || l.confidence > 100 || l.label[0] == '\0')
			__builtin_trap();
		add(fleet, ch, "10.9.9.9:1");
		struct report_filter f;
		report_filter_init(&f);
		report(&f);
	}
	free(ch);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fleet == NULL)
		build_fleet();
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		char *q = malloc(size);
		if (q == NULL)
			abort();
		memcpy(q, data + 1, size - 1);
		q[size - 1] = '\0';
		query(q);
		free(q);
	} else {
		hello(data + 1, size - 1);
	}
	return 0;
}
