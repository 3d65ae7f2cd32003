/*
 * GET /report (HTML), GET /report?format=json, GET /report.csv: the
 * rehearsal report of app/report.h. The page is generated here, whole:
 * inline CSS and SVG, no script, nothing fetched. Every string that came
 * from a client or a scenario goes through esc().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "app/report.h"
#include "control/control_int.h"
#include "util/xtime.h"

/* How much of a long detail (a gate's refusal lists every suite) a client's
 * row shows; the whole text is in the JSON and CSV. */
#define DETAIL_SHOWN 200
/* Reasons shown in the summary (all are in the JSON). */
#define REASONS_SHOWN 10
/* Clients per page: the summary counts them all; the list is paged so that
 * the page of a whole fleet stays small and quick (docs/audit.md). */
#define PER_PAGE_DEFAULT 500
#define PER_PAGE_MAX     5000

static const char *const report_params[] = {
	"format", "fails", "passes", "outcome", "rehearsal", "addr", "sni", "label", "client",
	"page", "per_page", NULL,
};

/* Append s with &, <, >, " and ' escaped; at most max bytes of s (0: all). */
static void
esc_n(struct evbuffer *b, const char *s, size_t max)
{
	if (s == NULL)
		return;
	size_t len = strlen(s), start = 0;
	if (max != 0 && len > max)
		len = max;
	for (size_t i = 0; i < len; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&':  rep = "&amp;"; break;
		case '<':  rep = "&lt;"; break;
		case '>':  rep = "&gt;"; break;
		case '"':  rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:   continue;
		}
		evbuffer_add(b, s + start, i - start);
		evbuffer_add(b, rep, strlen(rep));
		start = i + 1;
	}
	evbuffer_add(b, s + start, len - start);
}

static void
esc(struct evbuffer *b, const char *s)
{
	esc_n(b, s, 0);
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long
num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* A link to the report with one filter: href="?key=value" (escaped). */
static void
filter_href(struct evbuffer *b, const char *key, const char *value)
{
	char *enc = evhttp_encode_uri(value);
	evbuffer_add_printf(b, "?%s=", key);
	esc(b, enc ? enc : "");
	free(enc);
}

/* A verdict cell of the matrix: colour and words, so it reads in grey. */
static void
verdict_cell(struct evbuffer *b, const json_t *counts)
{
	long long ok = num(counts, "ok"), fail = num(counts, "fail");
	if (fail == 0)
		evbuffer_add_printf(b, "<td class=\"ok\">&#10003; all %lld ok</td>", ok);
	else if (ok == 0)
		evbuffer_add_printf(b, "<td class=\"fail\">&#10007; all %lld fail</td>", fail);
	else
		evbuffer_add_printf(b, "<td class=\"mixed\">&#9888; %lld fail, %lld ok</td>", fail, ok);
}

static void
hms(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "?");
	else
		strftime(buf, len, "%H:%M:%S", &tm);
}

/* Connections per bucket as stacked bars (successes below, failures above),
 * the events as numbered lines. */
static void
timeline_svg(struct evbuffer *b, const json_t *act, const json_t *events)
{
	const json_t *ok = json_object_get(act, "ok"), *fail = json_object_get(act, "fail");
	size_t n = json_array_size(ok);
	long long w = num(act, "bucket_s");
	time_t from = iso_utc_parse(str(act, "from"));
	if (n == 0 || w <= 0 || from == 0) {
		evbuffer_add_printf(b, "<p>No connections yet.</p>\n");
		return;
	}
	const double W = 900, H = 220, L = 50, R = 10, T = 20, B = 40;
	const double pw = W - L - R, ph = H - T - B, bw = pw / (double)n;
	long long max = 1;
	for (size_t i = 0; i < n; i++) {
		long long v = json_integer_value(json_array_get(ok, i)) +
		    json_integer_value(json_array_get(fail, i));
		if (v > max)
			max = v;
	}
	char t0[16], t1[16];
	hms(from, t0, sizeof(t0));
	hms(from + (time_t)(n * (size_t)w), t1, sizeof(t1));
	evbuffer_add_printf(b, "<svg id=\"activity\" role=\"img\" viewBox=\"0 0 %.0f %.0f\" "
	    "width=\"%.0f\" height=\"%.0f\" xmlns=\"http://www.w3.org/2000/svg\">\n"
	    "<title>Connections per %lld s: successes (green, lower) and failures (red, "
	    "upper), scenario events as numbered lines</title>\n", W, H, W, H, w);
	evbuffer_add_printf(b, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
	    "stroke=\"#444\"/>\n<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#444\"/>\n",
	    L, T + ph, L + pw, T + ph, L, T, L, T + ph);
	evbuffer_add_printf(b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" font-size=\"11\">"
	    "%lld</text>\n<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" font-size=\"11\">0</text>\n",
	    L - 4, T + 8, max, L - 4, T + ph);
	evbuffer_add_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">%s UTC</text>\n"
	    "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" font-size=\"11\">%s UTC</text>\n"
	    "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"11\">connections per "
	    "%lld s: &#9632; green succeeded, &#9632; red failed</text>\n",
	    L, H - B + 16, t0, L + pw, H - B + 16, t1, L + pw / 2, H - 6, w);
	for (size_t i = 0; i < n; i++) {
		long long o = json_integer_value(json_array_get(ok, i));
		long long f = json_integer_value(json_array_get(fail, i));
		if (o + f == 0)
			continue;
		double x = L + (double)i * bw, ho = ph * (double)o / (double)max,
		    hf = ph * (double)f / (double)max;
		char at[16];
		hms(from + (time_t)(i * (size_t)w), at, sizeof(at));
		evbuffer_add_printf(b, "<g><title>%s: %lld succeeded, %lld failed</title>", at, o, f);
		if (o > 0)
			evbuffer_add_printf(b, "<rect class=\"bar-ok\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"#2e7d32\"/>", x, T + ph - ho, bw * 0.9, ho);
		if (f > 0)
			evbuffer_add_printf(b, "<rect class=\"bar-fail\" x=\"%.1f\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"%.1f\" fill=\"#c62828\"/>", x, T + ph - ho - hf,
			    bw * 0.9, hf);
		evbuffer_add_printf(b, "</g>\n");
	}
	size_t k;
	const json_t *ev;
	json_array_foreach(events, k, ev) {
		time_t at = iso_utc_parse(str(ev, "at"));
		if (at < from)
			continue;
		double x = L + pw * (double)(at - from) / (double)(n * (size_t)w);
		evbuffer_add_printf(b, "<g class=\"event\"><title>%zu. ", k + 1);
		esc(b, str(ev, "kind"));
		evbuffer_add_printf(b, ": ");
		esc(b, str(ev, "text"));
		evbuffer_add_printf(b, "</title><line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
		    "stroke=\"#1565c0\" stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%.0f\" "
		    "font-size=\"11\" fill=\"#1565c0\">%zu</text></g>\n", x, T, x, T + ph, x + 2, T - 6,
		    k + 1);
	}
	evbuffer_add_printf(b, "</svg>\n");
}

/* A table of counts, each name a link that filters the page by it. */
static void
count_table(struct evbuffer *b, const char *id, const char *title, const json_t *counts,
            const char *filter)
{
	const char *key;
	const json_t *v;
	evbuffer_add_printf(b, "<table id=\"%s\"><tr><th>%s</th><th>clients</th></tr>\n", id, title);
	json_object_foreach((json_t *)counts, key, v) {
		evbuffer_add_printf(b, "<tr><th><a href=\"");
		filter_href(b, filter, key);
		evbuffer_add_printf(b, "\">");
		esc(b, key);
		evbuffer_add_printf(b, "</a></th><td>%lld</td></tr>\n", (long long)json_integer_value(v));
	}
	evbuffer_add_printf(b, "</table>\n");
}

static void
summary_html(struct evbuffer *b, const json_t *r)
{
	const json_t *s = json_object_get(r, "summary");
	const json_t *v;
	const char *key;
	size_t i;

	evbuffer_add_printf(b, "<section id=\"summary\"><h2>Summary</h2>\n<p id=\"counts\"><b>"
	    "<span id=\"n-clients\">%lld</span> clients</b>", num(s, "clients"));
	if (num(s, "matched") != num(s, "clients"))
		evbuffer_add_printf(b, ", <b><span id=\"n-matched\">%lld</span> match the "
		    "filter</b>", num(s, "matched"));
	evbuffer_add_printf(b, "; %lld labelled from the corpus of known clients, %lld unknown."
	    "</p>\n<ul id=\"headline\">\n", num(s, "labelled"), num(s, "unknown"));
	json_array_foreach(json_object_get(s, "headline"), i, v) {
		evbuffer_add_printf(b, "<li>");
		esc(b, json_string_value(v));
		evbuffer_add_printf(b, "</li>\n");
	}
	if (json_array_size(json_object_get(s, "headline")) == 0)
		evbuffer_add_printf(b, "<li>No client fails any era.</li>\n");
	evbuffer_add_printf(b, "</ul>\n<div class=\"cols\"><table id=\"era-counts\"><tr><th>era</th>"
	    "<th>ok</th><th>fail</th></tr>\n");
	json_object_foreach((json_t *)json_object_get(s, "eras"), key, v) {
		evbuffer_add_printf(b, "<tr><th>");
		esc(b, key);
		evbuffer_add_printf(b, "</th><td class=\"ok\">%lld ok</td><td class=\"%s\">%lld fail"
		    "</td></tr>\n", num(v, "ok"), num(v, "fail") ? "fail" : "ok", num(v, "fail"));
	}
	evbuffer_add_printf(b, "</table>\n");
	count_table(b, "outcomes", "last outcome", json_object_get(s, "outcomes"), "outcome");
	count_table(b, "rehearsal", "after the rotation", json_object_get(s, "rehearsal"),
	    "rehearsal");
	evbuffer_add_printf(b, "</div>\n</section>\n");
}

static void
matrix_html(struct evbuffer *b, const json_t *r)
{
	size_t i;
	const json_t *m;
	evbuffer_add_printf(b, "<section id=\"matrix\"><h2>Client groups &times; eras</h2>\n"
	    "<table class=\"matrix\"><tr><th>looks like</th><th>clients</th><th>pre-2018</th>"
	    "<th>2018</th><th>2024</th></tr>\n");
	json_array_foreach(json_object_get(r, "matrix"), i, m) {
		const json_t *eras = json_object_get(m, "eras");
		evbuffer_add_printf(b, "<tr><th><a href=\"");
		filter_href(b, "label", str(m, "label"));
		evbuffer_add_printf(b, "\">");
		esc(b, str(m, "label"));
		evbuffer_add_printf(b, "</a></th><td>%lld</td>", num(m, "clients"));
		verdict_cell(b, json_object_get(eras, "pre-2018"));
		verdict_cell(b, json_object_get(eras, "2018"));
		verdict_cell(b, json_object_get(eras, "2024"));
		evbuffer_add_printf(b, "</tr>\n");
	}
	evbuffer_add_printf(b, "</table>\n</section>\n");
}

static void
reasons_html(struct evbuffer *b, const json_t *r)
{
	const json_t *reasons = json_object_get(r, "reasons");
	size_t i, k;
	const json_t *x, *l;
	evbuffer_add_printf(b, "<section id=\"reasons\"><h2>Top reasons and their fixes</h2>\n");
	if (json_array_size(reasons) == 0) {
		evbuffer_add_printf(b, "<p>None: every client passes every era.</p>\n</section>\n");
		return;
	}
	evbuffer_add_printf(b, "<table><tr><th>clients</th><th>era</th><th>why</th><th>which "
	    "clients</th><th>fix</th></tr>\n");
	json_array_foreach(reasons, i, x) {
		if (i == REASONS_SHOWN)
			break;
		evbuffer_add_printf(b, "<tr><td>%lld</td><td><a href=\"", num(x, "clients"));
		filter_href(b, "fails", str(x, "era"));
		evbuffer_add_printf(b, "\">");
		esc(b, str(x, "era"));
		evbuffer_add_printf(b, "</a></td><td>");
		esc(b, str(x, "why"));
		evbuffer_add_printf(b, "</td><td>");
		json_array_foreach(json_object_get(x, "labels"), k, l) {
			if (k == 5) {
				evbuffer_add_printf(b, "; %zu more", json_array_size(json_object_get(x,
				    "labels")) - 5);
				break;
			}
			evbuffer_add_printf(b, "%s%lld ", k ? "; " : "", num(l, "clients"));
			esc(b, str(l, "label"));
		}
		evbuffer_add_printf(b, "</td><td>");
		esc(b, str(x, "fix")[0] ? str(x, "fix") : "(none known)");
		evbuffer_add_printf(b, "</td></tr>\n");
	}
	evbuffer_add_printf(b, "</table>\n");
	if (json_array_size(reasons) > REASONS_SHOWN)
		evbuffer_add_printf(b, "<p>%zu more reasons in the JSON export.</p>\n",
		    json_array_size(reasons) - REASONS_SHOWN);
	evbuffer_add_printf(b, "</section>\n");
}

/* A link to the page of one client (it may not be on this page). */
static void
client_link(struct evbuffer *b, const json_t *c)
{
	evbuffer_add_printf(b, "<a href=\"/report?client=%lld#c%lld\">", num(c, "client_id"),
	    num(c, "client_id"));
	esc(b, str(c, "address"));
	if (str(c, "sni")[0]) {
		evbuffer_add_printf(b, " &middot; ");
		esc(b, str(c, "sni"));
	}
	evbuffer_add_printf(b, "</a>");
}

static void
timeline_html(struct evbuffer *b, const json_t *r)
{
	const json_t *events = json_object_get(r, "events");
	size_t i, k;
	const json_t *e, *c;
	evbuffer_add_printf(b, "<section id=\"timeline\"><h2>Rehearsal timeline</h2>\n");
	timeline_svg(b, json_object_get(r, "activity"), events);
	evbuffer_add_printf(b, "<table id=\"events\"><tr><th>#</th><th>at (UTC)</th><th>event</th>"
	    "<th>what</th><th>generation</th><th>succeeded after it</th><th>failed after it</th>"
	    "</tr>\n");
	json_array_foreach(events, i, e) {
		evbuffer_add_printf(b, "<tr><td>%zu</td><td>", i + 1);
		esc(b, str(e, "at"));
		evbuffer_add_printf(b, "</td><td>");
		esc(b, str(e, "kind"));
		evbuffer_add_printf(b, "</td><td>");
		esc(b, str(e, "text"));
		evbuffer_add_printf(b, "</td><td>%lld</td><td><span class=\"n-succeeded\">%lld</span>"
		    "</td><td class=\"%s\"><span class=\"n-failed\">%lld</span>",
		    num(e, "generation"), num(e, "succeeded_after"),
		    num(e, "failed_after") ? "fail" : "ok", num(e, "failed_after"));
		json_array_foreach(json_object_get(e, "failed_clients"), k, c) {
			evbuffer_add_printf(b, "%s", k ? ", " : ": ");
			client_link(b, c);
			evbuffer_add_printf(b, " (");
			esc(b, str(c, "last_outcome"));
			evbuffer_add_printf(b, ")");
		}
		if (num(e, "failed_after") > (long long)k)
			evbuffer_add_printf(b, " &hellip;");
		evbuffer_add_printf(b, "</td></tr>\n");
	}
	evbuffer_add_printf(b, "</table>\n</section>\n");
}

static void
tr(struct evbuffer *b, const char *label, const char *value, size_t max)
{
	evbuffer_add_printf(b, "<tr><th>%s</th><td>", label);
	esc_n(b, value, max);
	if (max != 0 && strlen(value) > max)
		evbuffer_add_printf(b, " &hellip; (whole text in the JSON and CSV)");
	evbuffer_add_printf(b, "</td></tr>");
}

/* ", 3 refused" when n > 0 */
static void
count_part(struct evbuffer *b, const json_t *c, const char *key, const char *words)
{
	if (num(c, key) > 0)
		evbuffer_add_printf(b, ", %lld %s", num(c, key), words);
}

/* One client, collapsed: a summary line, then what is particular to it.
 * What follows from its offer (the verdicts' reasons, the lists) is in the
 * offer's entry, once for all the clients that made that offer. */
static void
client_html(struct evbuffer *b, const json_t *c)
{
	static const char *const eras[3][2] = {
		{ "pre-2018", "era_pre2018" }, { "2018", "era_2018" }, { "2024", "era_2024" },
	};
	evbuffer_add_printf(b, "<details id=\"c%lld\" class=\"client\"><summary>",
	    num(c, "client_id"));
	esc(b, str(c, "address"));
	evbuffer_add_printf(b, " &middot; ");
	esc(b, str(c, "sni")[0] ? str(c, "sni") : "(no SNI)");
	evbuffer_add_printf(b, " &middot; <i>");
	esc(b, str(c, "label"));
	evbuffer_add_printf(b, "</i>");
	for (int e = 0; e < 3; e++) {
		int ok = strcmp(str(c, eras[e][1]), "ok") == 0;
		evbuffer_add_printf(b, " <span class=\"%s\">%s %s</span>", ok ? "ok" : "fail",
		    eras[e][0], ok ? "&#10003;" : "&#10007;");
	}
	evbuffer_add_printf(b, " &middot; ");
	esc(b, str(c, "last_outcome"));
	evbuffer_add_printf(b, " &middot; ");
	esc(b, str(c, "rehearsal"));
	evbuffer_add_printf(b, "</summary><table><tr><th>offer</th><td><a href=\"#o");
	esc(b, str(c, "offer_key"));
	evbuffer_add_printf(b, "\">");
	esc(b, str(c, "offer_key"));
	evbuffer_add_printf(b, "</a> ");
	esc(b, str(c, "fingerprint"));
	evbuffer_add_printf(b, ", nearest known: ");
	esc(b, str(c, "label_nearest"));
	evbuffer_add_printf(b, " (%lld%%)</td></tr><tr><th>seen</th><td>", num(c, "label_confidence"));
	esc(b, str(c, "first_seen"));
	evbuffer_add_printf(b, " to ");
	esc(b, str(c, "last_seen"));
	evbuffer_add_printf(b, ": %lld connections", num(c, "connections"));
	count_part(b, c, "refused", "refused");
	count_part(b, c, "tls_ok", "TLS ok");
	count_part(b, c, "client_alerts", "client alerts");
	count_part(b, c, "sstp_requests", "SSTP requests");
	count_part(b, c, "tunnels_up", "tunnels up");
	evbuffer_add_printf(b, "</td></tr>");
	tr(b, "last", str(c, "last_detail"), DETAIL_SHOWN);
	tr(b, "rehearsal", str(c, "rehearsal_text"), DETAIL_SHOWN);
	evbuffer_add_printf(b, "</table></details>\n");
}

static void
list_row(struct evbuffer *b, const char *label, const json_t *arr)
{
	size_t i;
	const json_t *v;
	evbuffer_add_printf(b, "<tr><th>%s</th><td>", label);
	json_array_foreach(arr, i, v) {
		if (i > 0)
			evbuffer_add(b, ", ", 2);
		esc(b, json_string_value(v));
	}
	evbuffer_add_printf(b, "</td></tr>");
}

static void
offers_html(struct evbuffer *b, const json_t *r)
{
	const char *key;
	const json_t *o;
	evbuffer_add_printf(b, "<section id=\"offers\"><h2>Offers</h2>\n<p>Each distinct "
	    "ClientHello offer once (<code>offer_key</code>); the clients link here.</p>\n");
	json_object_foreach((json_t *)json_object_get(r, "offers"), key, o) {
		evbuffer_add_printf(b, "<details id=\"o");
		esc(b, key);
		evbuffer_add_printf(b, "\"><summary><code>");
		esc(b, key);
		evbuffer_add_printf(b, "</code>: at most ");
		esc(b, str(o, "max_version"));
		evbuffer_add_printf(b, ", %zu suites, %lld bytes%s</summary><table>",
		    json_array_size(json_object_get(o, "suites")), num(o, "hello_bytes"),
		    strcmp(str(o, "format"), "sslv2") == 0 ? " (SSLv2 format)" : "");
		const char *era;
		const json_t *v;
		json_object_foreach((json_t *)json_object_get(o, "eras"), era, v) {
			int ok = json_is_true(json_object_get(v, "ok"));
			evbuffer_add_printf(b, "<tr><th>");
			esc(b, era);
			evbuffer_add_printf(b, "</th><td class=\"%s\">", ok ? "ok" : "fail");
			esc(b, str(v, "why"));
			evbuffer_add_printf(b, "</td></tr>");
		}
		list_row(b, "versions", json_object_get(o, "versions"));
		list_row(b, "suites", json_object_get(o, "suites"));
		list_row(b, "groups", json_object_get(o, "groups"));
		list_row(b, "signature algorithms", json_object_get(o, "sigalgs"));
		evbuffer_add_printf(b, "</table></details>\n");
	}
	evbuffer_add_printf(b, "</section>\n");
}

static const char report_css[] =
    "body{font-family:sans-serif;margin:1em 2em;color:#111}"
    "table{border-collapse:collapse;margin:0 1.5em 1em 0}"
    "th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}"
    "th{background:#f0f0f0}.ok{background:#dff0d8}.fail{background:#f5c6c6;font-weight:bold}"
    ".mixed{background:#fde7b0;font-style:italic}.cols{display:flex;flex-wrap:wrap}"
    "details.client summary{cursor:pointer;padding:1px 0}details table{margin:4px 0 8px 1.5em}"
    "details.client{content-visibility:auto;contain-intrinsic-size:auto 1.4em}"
    "form label{margin-right:.8em}.meta{color:#444}";

static void
filter_form(struct evbuffer *b, const json_t *filter)
{
	static const char *const fields[][2] = {
		{ "fails", "fails era" }, { "passes", "passes era" }, { "outcome", "last outcome" },
		{ "rehearsal", "rehearsal" }, { "addr", "address/prefix" }, { "sni", "SNI" },
		{ "label", "label contains" },
	};
	evbuffer_add_printf(b, "<form id=\"filter\" method=\"get\" action=\"/report\">");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		evbuffer_add_printf(b, "<label>%s <input name=\"%s\" size=\"12\" value=\"", fields[i][1],
		    fields[i][0]);
		esc(b, str(filter, fields[i][0]));
		evbuffer_add_printf(b, "\"></label>");
	}
	evbuffer_add_printf(b, "<button>filter</button> <a href=\"/report\">all clients</a></form>\n");
}

/* Which clients this page lists. */
struct paging {
	long long page, per_page;
};

static void
page_nav(struct evbuffer *b, const char *query, const struct paging *pg, size_t n)
{
	long long pages = ((long long)n + pg->per_page - 1) / pg->per_page;
	if (pages <= 1)
		return;
	evbuffer_add_printf(b, "<p class=\"pages\">Page %lld of %lld:", pg->page, pages);
	for (long long p = 1; p <= pages; p++) {
		if (p == pg->page) {
			evbuffer_add_printf(b, " <b>%lld</b>", p);
			continue;
		}
		evbuffer_add_printf(b, " <a href=\"?");
		if (query[0]) {
			esc(b, query);
			evbuffer_add_printf(b, "&amp;");
		}
		evbuffer_add_printf(b, "page=%lld&amp;per_page=%lld#clients\">%lld</a>", p,
		    pg->per_page, p);
	}
	evbuffer_add_printf(b, "</p>\n");
}

static void
page(struct evbuffer *b, const json_t *r, const char *query, const struct paging *pg)
{
	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>p2sgw rehearsal report</title><style>%s</style></head><body>\n"
	    "<h1>p2sgw rehearsal report</h1>\n<p class=\"meta\">Scenario <b>", report_css);
	esc(b, str(r, "scenario"));
	evbuffer_add_printf(b, "</b>, chain <b>");
	esc(b, str(r, "chain"));
	evbuffer_add_printf(b, "</b>, policy generation %lld, generated %s. Export: "
	    "<a id=\"csv\" href=\"/report.csv%s", num(r, "policy_generation"),
	    str(r, "generated_at"), query[0] ? "?" : "");
	esc(b, query);
	evbuffer_add_printf(b, "\">CSV</a>, <a id=\"json\" href=\"/report?format=json%s",
	    query[0] ? "&amp;" : "");
	esc(b, query);
	evbuffer_add_printf(b, "\">JSON</a>.</p>\n");
	filter_form(b, json_object_get(r, "filter"));
	summary_html(b, r);
	matrix_html(b, r);
	reasons_html(b, r);
	timeline_html(b, r);
	const json_t *rows = json_object_get(r, "rows");
	size_t i;
	size_t n = json_array_size(rows);
	size_t first = (size_t)((pg->page - 1) * pg->per_page);
	size_t last = first + (size_t)pg->per_page < n ? first + (size_t)pg->per_page : n;
	evbuffer_add_printf(b, "<section id=\"clients\"><h2>Clients (%zu)</h2>\n", n);
	if (first < n && (first > 0 || last < n))
		evbuffer_add_printf(b, "<p>Clients %zu to %zu, most recently seen first; the filter "
		    "above narrows the list, the CSV and JSON exports hold all of them.</p>\n",
		    first + 1, last);
	page_nav(b, query, pg, n);
	for (i = first; i < last; i++)
		client_html(b, json_array_get(rows, i));
	page_nav(b, query, pg, n);
	evbuffer_add_printf(b, "</section>\n");
	offers_html(b, r);
	evbuffer_add_printf(b, "</body></html>\n");
}

/* The query without format, page and per_page, re-encoded, for the export
 * and page links. */
static void
query_without_format(const struct evkeyvalq *q, char *out, size_t len)
{
	const struct evkeyval *kv;
	size_t o = 0;
	out[0] = '\0';
	TAILQ_FOREACH(kv, q, next) {
		if (strcmp(kv->key, "format") == 0 || strcmp(kv->key, "page") == 0 ||
		    strcmp(kv->key, "per_page") == 0)
			continue;
		char *v = evhttp_encode_uri(kv->value);
		int n = snprintf(out + o, len - o, "%s%s=%s", o ? "&" : "", kv->key, v ? v : "");
		free(v);
		if (n < 0 || (size_t)n >= len - o) {
			out[o] = '\0';
			return;
		}
		o += (size_t)n;
	}
}

static void
serve_report(struct control *c, struct evhttp_request *req, int csv)
{
	if (!ctl_method(req, EVHTTP_REQ_GET, "GET"))
		return;
	struct evkeyvalq q;
	if (ctl_query(req, &q, report_params) != 0)
		return;
	struct report_filter f;
	char err[256], query[2048], format[8];
	struct paging pg = { 1, PER_PAGE_DEFAULT };
	struct evkeyval *kv;
	report_filter_init(&f);
	snprintf(format, sizeof(format), "%s", csv ? "csv" : "html");
	TAILQ_FOREACH(kv, &q, next) {
		if (strcmp(kv->key, "format") == 0 && !csv) {
			if (strcmp(kv->value, "html") != 0 && strcmp(kv->value, "json") != 0 &&
			    strcmp(kv->value, "csv") != 0) {
				ctl_reply_error(req, 400, "format: '%.20s' is not html, json or csv",
				    kv->value);
				evhttp_clear_headers(&q);
				return;
			}
			snprintf(format, sizeof(format), "%s", kv->value);
		} else if (strcmp(kv->key, "page") == 0 || strcmp(kv->key, "per_page") == 0) {
			int per = kv->key[0] == 'p' && kv->key[1] == 'e';
			char *end;
			long long v = strtoll(kv->value, &end, 10);
			if (kv->value[0] == '\0' || *end != '\0' || v < 1 ||
			    (per && v > PER_PAGE_MAX) || v > 1000000) {
				ctl_reply_error(req, 400, "%s: '%.20s' is not a number from 1 to %d",
				    kv->key, kv->value, per ? PER_PAGE_MAX : 1000000);
				evhttp_clear_headers(&q);
				return;
			}
			*(per ? &pg.per_page : &pg.page) = v;
		} else if (report_filter_set(&f, kv->key, kv->value, err, sizeof(err)) != 0) {
			ctl_reply_error(req, 400, "%s", err);
			evhttp_clear_headers(&q);
			return;
		}
	}
	query_without_format(&q, query, sizeof(query));
	evhttp_clear_headers(&q);

	struct snapshot *snap = server_snapshot(c->srv);
	struct report_meta m = { snap->sc.name, snap->sc.chain, snap->generation, time(NULL) };
	json_t *r = report_build(server_audit(c->srv), &f, &m);
	snapshot_unref(snap);
	if (r == NULL) {
		ctl_reply_error(req, 500, "out of memory");
		return;
	}
	if (strcmp(format, "json") == 0) {
		ctl_reply_json(req, 200, r);
		return;
	}
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		json_decref(r);
		ctl_reply_error(req, 500, "out of memory");
		return;
	}
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	if (strcmp(format, "csv") == 0) {
		report_csv(json_object_get(r, "rows"), b);
		evhttp_add_header(h, "Content-Type", "text/csv; charset=utf-8; header=present");
		evhttp_add_header(h, "Content-Disposition", "attachment; filename=\"p2sgw-report.csv\"");
	} else {
		page(b, r, query, &pg);
		evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
		/* nothing on the page runs or loads: say so to the browser too */
		evhttp_add_header(h, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'");
	}
	json_decref(r);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

void
ctl_report(struct control *c, struct evhttp_request *req)
{
	serve_report(c, req, 0);
}

void
ctl_report_csv(struct control *c, struct evhttp_request *req)
{
	serve_report(c, req, 1);
}
