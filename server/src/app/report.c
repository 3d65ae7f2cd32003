#include "app/report.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util/xtime.h"

const char *const report_columns[] = {
	"client_id", "address", "sni", "label", "label_confidence", "label_nearest",
	"fingerprint", "offer_key", "ja3_hash", "first_seen", "last_seen", "max_version",
	"connections", "refused", "tls_ok", "client_alerts", "closed_after_handshake",
	"sstp_requests", "tunnels_up", "last_outcome", "last_detail", "last_generation",
	"last_chain", "last_at", "last_success_at", "last_success_generation",
	"last_failure_at", "last_failure_generation",
	"era_pre2018", "era_pre2018_why", "era_pre2018_fix",
	"era_2018", "era_2018_why", "era_2018_fix",
	"era_2024", "era_2024_why", "era_2024_fix",
	"rehearsal", "rehearsal_text",
};
const size_t n_report_columns = sizeof(report_columns) / sizeof(report_columns[0]);

/* The row columns of each era, in audit_era order. */
static const char *const era_cols[AUDIT_ERA__COUNT][3] = {
	{ "era_pre2018", "era_pre2018_why", "era_pre2018_fix" },
	{ "era_2018", "era_2018_why", "era_2018_fix" },
	{ "era_2024", "era_2024_why", "era_2024_fix" },
};

/* How many failed clients an event lists (all are counted). */
#define EVENT_CLIENTS_MAX 50

static const char *const outcomes[] = {
	"refused", "client_alert", "tls_failed", "closed", "closed_after_handshake",
	"sstp_request", "tunnel_up",
};
static const char *const filter_keys[] = {
	"fails", "passes", "outcome", "rehearsal", "addr", "sni", "label", "client",
};
static const char *const rehearsals[] = {
	"never_succeeded", "no_rotation", "reconnected", "failed", "not_seen_since",
};

static const char *
col(const json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));
	return s ? s : "";
}

void
report_filter_init(struct report_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->fails = f->passes = -1;
}

static int
era_of(const char *name)
{
	for (int e = 0; e < AUDIT_ERA__COUNT; e++)
		if (strcmp(name, audit_era_name((enum audit_era)e)) == 0)
			return e;
	return -1;
}

static int
one_of(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return 1;
	return 0;
}

static int
parse_cidr(struct report_filter *f, const char *v, char *err, size_t errlen)
{
	char a[64];
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	if (n >= sizeof(a))
		goto bad;
	memcpy(a, v, n);
	a[n] = '\0';
	if (inet_pton(AF_INET, a, f->net) == 1)
		f->af = AF_INET;
	else if (inet_pton(AF_INET6, a, f->net) == 1)
		f->af = AF_INET6;
	else
		goto bad;
	unsigned max = f->af == AF_INET ? 32 : 128;
	f->prefix = max;
	if (slash != NULL) {
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || p > max)
			goto bad;
		f->prefix = (unsigned)p;
	}
	snprintf(f->addr, sizeof(f->addr), "%s", v);
	return 0;
bad:
	f->af = 0;
	snprintf(err, errlen, "addr: '%.80s' is not an address or ADDRESS/PREFIX", v);
	return -1;
}

int
report_filter_set(struct report_filter *f, const char *key, const char *value, char *err,
    size_t errlen)
{
	/* the page's form sends every field; an empty one filters nothing */
	if (value[0] == '\0' && one_of(key, filter_keys, sizeof(filter_keys) /
	    sizeof(filter_keys[0])))
		return 0;
	if (strcmp(key, "fails") == 0 || strcmp(key, "passes") == 0) {
		int e = era_of(value);
		if (e < 0) {
			snprintf(err, errlen, "%s: '%.40s' is not an era (pre-2018, 2018, 2024)", key,
			    value);
			return -1;
		}
		*(key[0] == 'f' ? &f->fails : &f->passes) = e;
		return 0;
	}
	if (strcmp(key, "outcome") == 0) {
		if (!one_of(value, outcomes, sizeof(outcomes) / sizeof(outcomes[0]))) {
			snprintf(err, errlen, "outcome: '%.40s' is not one of refused, client_alert, "
			    "tls_failed, closed, closed_after_handshake, sstp_request, tunnel_up", value);
			return -1;
		}
		snprintf(f->outcome, sizeof(f->outcome), "%s", value);
		return 0;
	}
	if (strcmp(key, "rehearsal") == 0) {
		if (!one_of(value, rehearsals, sizeof(rehearsals) / sizeof(rehearsals[0]))) {
			snprintf(err, errlen, "rehearsal: '%.40s' is not one of never_succeeded, "
			    "no_rotation, reconnected, failed, not_seen_since", value);
			return -1;
		}
		snprintf(f->rehearsal, sizeof(f->rehearsal), "%s", value);
		return 0;
	}
	if (strcmp(key, "addr") == 0)
		return parse_cidr(f, value, err, errlen);
	if (strcmp(key, "sni") == 0 && strcmp(value, "-") == 0) {  /* no SNI */
		f->has_sni = 1;
		f->sni[0] = '\0';
		return 0;
	}
	if (strcmp(key, "sni") == 0 || strcmp(key, "label") == 0) {
		int sni = key[0] == 's';
		size_t cap = sni ? sizeof(f->sni) : sizeof(f->label);
		if (strlen(value) >= cap) {
			snprintf(err, errlen, "%s: longer than %zu bytes", key, cap - 1);
			return -1;
		}
		snprintf(sni ? f->sni : f->label, cap, "%s", value);
		f->has_sni |= sni;
		return 0;
	}
	if (strcmp(key, "client") == 0) {
		char *end;
		long long id = strtoll(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || id <= 0) {
			snprintf(err, errlen, "client: '%.40s' is not a client_id", value);
			return -1;
		}
		f->client_id = id;
		return 0;
	}
	snprintf(err, errlen, "unknown parameter '%.40s' (fails, passes, outcome, rehearsal, addr, "
	    "sni, label, client)", key);
	return -1;
}

static json_t *
filter_json(const struct report_filter *f)
{
	json_t *o = json_object();
	if (f->fails >= 0)
		json_object_set_new(o, "fails", json_string(audit_era_name((enum audit_era)f->fails)));
	if (f->passes >= 0)
		json_object_set_new(o, "passes", json_string(audit_era_name((enum audit_era)f->passes)));
	if (f->outcome[0])
		json_object_set_new(o, "outcome", json_string(f->outcome));
	if (f->rehearsal[0])
		json_object_set_new(o, "rehearsal", json_string(f->rehearsal));
	if (f->af)
		json_object_set_new(o, "addr", json_string(f->addr));
	if (f->has_sni)
		json_object_set_new(o, "sni", json_string(f->sni[0] ? f->sni : "-"));
	if (f->label[0])
		json_object_set_new(o, "label", json_string(f->label));
	if (f->client_id > 0)
		json_object_set_new(o, "client", json_integer((json_int_t)f->client_id));
	return o;
}

static int
in_net(const struct report_filter *f, const char *addr)
{
	uint8_t a[16];
	if (inet_pton(f->af, addr, a) != 1)
		return 0;
	unsigned whole = f->prefix / 8, rest = f->prefix % 8;
	if (memcmp(a, f->net, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xFF << (8 - rest));
	return (a[whole] & mask) == (f->net[whole] & mask);
}

static int
matches(const struct report_filter *f, const json_t *row)
{
	if (f->fails >= 0 && strcmp(col(row, era_cols[f->fails][0]), "fail") != 0)
		return 0;
	if (f->passes >= 0 && strcmp(col(row, era_cols[f->passes][0]), "ok") != 0)
		return 0;
	if (f->outcome[0] && strcmp(col(row, "last_outcome"), f->outcome) != 0)
		return 0;
	if (f->rehearsal[0] && strcmp(col(row, "rehearsal"), f->rehearsal) != 0)
		return 0;
	if (f->af && !in_net(f, col(row, "address")))
		return 0;
	if (f->has_sni && strcmp(col(row, "sni"), f->sni) != 0)
		return 0;
	if (f->label[0] && strcasestr(col(row, "label"), f->label) == NULL)
		return 0;
	if (f->client_id > 0 && json_integer_value(json_object_get(row, "client_id")) != f->client_id)
		return 0;
	return 1;
}

/* o[key] += 1 */
static void
bump(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL)
		json_object_set_new(o, key, json_integer(1));
	else
		json_integer_set(v, json_integer_value(v) + 1);
}

/* by[key], made as {label: key, clients: 0} when missing, with one more
 * client. */
static json_t *
tally(json_t *by, const char *key)
{
	json_t *m = json_object_get(by, key);
	if (m == NULL) {
		m = json_pack("{s:s, s:i}", "label", key, "clients", 0);
		json_object_set_new(by, key, m);
	}
	bump(m, "clients");
	return m;
}

static json_t *
era_counts(void)
{
	json_t *o = json_object();
	for (int e = 0; e < AUDIT_ERA__COUNT; e++)
		json_object_set_new(o, audit_era_name((enum audit_era)e),
		    json_pack("{s:i, s:i}", "ok", 0, "fail", 0));
	return o;
}

/* Each era's verdict of a row into counts {era: {ok, fail}}. */
static void
count_eras(json_t *counts, const json_t *row)
{
	for (int e = 0; e < AUDIT_ERA__COUNT; e++)
		bump(json_object_get(counts, audit_era_name((enum audit_era)e)),
		    strcmp(col(row, era_cols[e][0]), "ok") == 0 ? "ok" : "fail");
}

static int
by_clients_desc(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	json_int_t na = json_integer_value(json_object_get(a, "clients"));
	json_int_t nb = json_integer_value(json_object_get(b, "clients"));
	if (na != nb)
		return na > nb ? -1 : 1;
	/* then by name: a label, or a reason's words */
	const char *key = json_object_get(a, "label") != NULL ? "label" : "why";
	return strcmp(col(a, key), col(b, key));
}

/* The values of an object as an array, sorted most clients first. */
static json_t *
sorted_values(json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	json_t *arr = json_array();
	const char *key;
	json_t *val;
	if (v == NULL || arr == NULL) {
		free(v);
		json_decref(arr);
		return NULL;
	}
	json_object_foreach(obj, key, val)
		v[i++] = val;
	qsort(v, n, sizeof(*v), by_clients_desc);
	for (i = 0; i < n; i++)
		json_array_append(arr, v[i]);
	free(v);
	return arr;
}

static json_t *
matrix_of(const json_t *rows)
{
	json_t *by = json_object();
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_t *m = tally(by, col(row, "label"));
		if (json_object_get(m, "eras") == NULL)
			json_object_set_new(m, "eras", era_counts());
		count_eras(json_object_get(m, "eras"), row);
	}
	json_t *arr = sorted_values(by);
	json_decref(by);
	return arr;
}

/* Failing verdicts grouped by (era, why, fix), with the labels behind each. */
static json_t *
reasons_of(const json_t *rows)
{
	json_t *by = json_object();
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		for (int e = 0; e < AUDIT_ERA__COUNT; e++) {
			if (strcmp(col(row, era_cols[e][0]), "fail") != 0)
				continue;
			const char *why = col(row, era_cols[e][1]), *fix = col(row, era_cols[e][2]);
			char *key = NULL;
			if (asprintf(&key, "%d\x1f%s\x1f%s", e, why, fix) < 0)
				continue;
			json_t *r = json_object_get(by, key);
			if (r == NULL) {
				r = json_pack("{s:s, s:s, s:s, s:i, s:{}}", "era",
				    audit_era_name((enum audit_era)e), "why", why, "fix", fix, "clients", 0,
				    "labels");
				json_object_set_new(by, key, r);
			}
			free(key);
			bump(r, "clients");
			tally(json_object_get(r, "labels"), col(row, "label"));
		}
	}
	json_t *arr = sorted_values(by);
	json_decref(by);
	json_array_foreach(arr, i, row) {
		json_t *labels = sorted_values(json_object_get(row, "labels"));
		json_object_set_new(row, "labels", labels ? labels : json_array());
	}
	return arr;
}

/* "23 of 412 clients fail the 2018 policy: 19 look like IE 8-10 Win 7
 * (SChannel), 4 unknown." for each era with failures. */
static json_t *
headline_of(const json_t *summary, const json_t *rows)
{
	json_t *lines = json_array();
	json_int_t total = json_integer_value(json_object_get(summary, "matched"));
	for (int e = 0; e < AUDIT_ERA__COUNT; e++) {
		const char *era = audit_era_name((enum audit_era)e);
		json_int_t fails = json_integer_value(json_object_get(json_object_get(json_object_get(
		    summary, "eras"), era), "fail"));
		if (fails == 0)
			continue;
		json_t *by = json_object();
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row)
			if (strcmp(col(row, era_cols[e][0]), "fail") == 0)
				tally(by, col(row, "label"));
		json_t *sorted = sorted_values(by);
		json_decref(by);
		char *s = NULL, *t = NULL;
		if (asprintf(&s, "%lld of %lld clients fail the %s policy:", (long long)fails,
		    (long long)total, e == AUDIT_ERA_PRE2018 ? "pre-2018" : era) < 0)
			s = NULL;
		json_array_foreach(sorted, i, row) {
			const char *label = col(row, "label");
			long long n = (long long)json_integer_value(json_object_get(row, "clients"));
			if (s == NULL || asprintf(&t, "%s%s %lld %s%s", s, i ? "," : "", n,
			    strcmp(label, "unknown") == 0 ? "" : n == 1 ? "looks like " : "look like ",
			    label) < 0) {
				t = NULL;
			}
			free(s);
			s = t;
		}
		json_decref(sorted);
		if (s != NULL) {
			json_array_append_new(lines, json_sprintf("%s.", s));
			free(s);
		}
	}
	return lines;
}

/* The event a connection's end belongs to: the last one at or before it in
 * both policy generation and time (ISO-8601 UTC times compare as strings;
 * the generation tells apart a rotation and the failures just before it
 * within one second). n when none. */
static size_t
event_of(const json_t *events, json_int_t gen, const char *at)
{
	size_t n = json_array_size(events), found = n, k;
	const json_t *ev;
	json_array_foreach(events, k, ev) {
		if (json_integer_value(json_object_get(ev, "generation")) > gen ||
		    strcmp(col(ev, "at"), at) > 0)
			break;
		found = k;
	}
	return found;
}

/* Per event: how many clients last succeeded after it (and before the
 * next), and the clients whose last connection failed after it. */
static void
events_outcomes(json_t *events, const json_t *rows)
{
	size_t n = json_array_size(events), i, k;
	json_t *ev, *row;
	json_int_t *fails = calloc(n ? n : 1, sizeof(*fails));
	json_int_t *oks = calloc(n ? n : 1, sizeof(*oks));
	json_array_foreach(events, k, ev)
		json_object_set_new(ev, "failed_clients", json_array());
	json_array_foreach(rows, i, row) {
		if (fails == NULL || oks == NULL)
			break;
		const char *last = col(row, "last_outcome");
		int ok = strcmp(last, "sstp_request") == 0 || strcmp(last, "tunnel_up") == 0;
		const char *at = col(row, ok ? "last_success_at" : "last_failure_at");
		json_int_t gen = json_integer_value(json_object_get(row, ok ?
		    "last_success_generation" : "last_failure_generation"));
		size_t e = at[0] != '\0' ? event_of(events, gen, at) : n;
		if (e == n)
			continue;
		if (ok) {
			oks[e]++;
			continue;
		}
		if (fails[e]++ < EVENT_CLIENTS_MAX)
			json_array_append_new(json_object_get(json_array_get(events, e), "failed_clients"),
			    json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}",
			    "client_id", json_object_get(row, "client_id"),
			    "address", json_object_get(row, "address"),
			    "sni", json_object_get(row, "sni"),
			    "label", json_object_get(row, "label"),
			    "last_outcome", json_object_get(row, "last_outcome"),
			    "last_detail", json_object_get(row, "last_detail")));
	}
	json_array_foreach(events, k, ev) {
		json_object_set_new(ev, "succeeded_after", json_integer(oks ? oks[k] : 0));
		json_object_set_new(ev, "failed_after", json_integer(fails ? fails[k] : 0));
	}
	free(fails);
	free(oks);
}

json_t *
report_build(struct audit *a, const struct report_filter *f, const struct report_meta *m)
{
	json_t *offers = NULL;
	json_t *all = audit_rows(a, m->generation, &offers);
	json_t *rows = json_array();
	json_t *summary = json_object();
	json_t *outcome_counts = json_object(), *rehearsal_counts = json_object();
	json_t *eras = era_counts();
	json_t *r = json_object();
	if (all == NULL || offers == NULL || rows == NULL || summary == NULL || r == NULL) {
		json_decref(all);
		json_decref(offers);
		json_decref(rows);
		json_decref(summary);
		json_decref(outcome_counts);
		json_decref(rehearsal_counts);
		json_decref(eras);
		json_decref(r);
		return NULL;
	}
	size_t i;
	json_t *row;
	json_int_t labelled = 0;
	json_array_foreach(all, i, row) {
		if (!matches(f, row))
			continue;
		json_array_append(rows, row);
		count_eras(eras, row);
		bump(outcome_counts, col(row, "last_outcome"));
		bump(rehearsal_counts, col(row, "rehearsal"));
		labelled += strcmp(col(row, "label"), "unknown") != 0;
	}
	/* the offers of the rows left */
	json_t *used = json_object();
	json_array_foreach(rows, i, row) {
		const char *k = col(row, "offer_key");
		json_object_set(used, k, json_object_get(offers, k));
	}
	json_decref(offers);
	json_object_set_new(summary, "clients", json_integer((json_int_t)json_array_size(all)));
	json_object_set_new(summary, "matched", json_integer((json_int_t)json_array_size(rows)));
	json_object_set_new(summary, "labelled", json_integer(labelled));
	json_object_set_new(summary, "unknown",
	    json_integer((json_int_t)json_array_size(rows) - labelled));
	json_object_set_new(summary, "eras", eras);
	json_object_set_new(summary, "outcomes", outcome_counts);
	json_object_set_new(summary, "rehearsal", rehearsal_counts);
	json_object_set_new(summary, "headline", headline_of(summary, rows));
	json_decref(all);

	json_t *events = audit_events_json(a);
	events_outcomes(events, rows);

	json_object_set_new(r, "scenario", json_string(m->scenario ? m->scenario : ""));
	json_object_set_new(r, "chain", json_string(m->chain ? m->chain : ""));
	json_object_set_new(r, "policy_generation", json_integer((json_int_t)m->generation));
	char at[ISO_UTC_LEN];
	json_object_set_new(r, "generated_at", iso_utc(m->now, at) == 0 ? json_string(at) :
	    json_null());
	json_object_set_new(r, "filter", filter_json(f));
	json_object_set_new(r, "summary", summary);
	json_object_set_new(r, "matrix", matrix_of(rows));
	json_object_set_new(r, "reasons", reasons_of(rows));
	json_object_set_new(r, "events", events);
	json_object_set_new(r, "activity", audit_activity_json(a, 0, m->now, 90));
	json_object_set_new(r, "rows", rows);
	json_object_set_new(r, "offers", used);
	return r;
}

/* A field per RFC 4180. A text a spreadsheet would run as a formula (= + -
 * @ first, as a hostile SNI could be) gets a ' in front (OWASP's advice). */
static void
csv_field(struct evbuffer *out, const char *s, int text)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		evbuffer_add(out, "\"", 1);
	if (text && s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
		evbuffer_add(out, "'", 1);
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		evbuffer_add(out, s, (size_t)(q - s) + 1);
		evbuffer_add(out, "\"", 1);
	}
	evbuffer_add(out, s, strlen(s));
	if (quote)
		evbuffer_add(out, "\"", 1);
}

int
report_csv(const json_t *rows, struct evbuffer *out)
{
	for (size_t c = 0; c < n_report_columns; c++) {
		if (c > 0)
			evbuffer_add(out, ",", 1);
		csv_field(out, report_columns[c], 0);
	}
	evbuffer_add(out, "\r\n", 2);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		for (size_t c = 0; c < n_report_columns; c++) {
			json_t *v = json_object_get(row, report_columns[c]);
			char num[32];
			const char *s = "";
			int text = json_is_string(v);
			if (text) {
				s = json_string_value(v);
			} else if (json_is_integer(v)) {
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
				s = num;
			}
			if (c > 0)
				evbuffer_add(out, ",", 1);
			csv_field(out, s, text);
		}
		evbuffer_add(out, "\r\n", 2);
	}
	return 0;
}
