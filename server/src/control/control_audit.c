/*
 * GET /clients (JSON) and GET /report (HTML): the client audit with era
 * verdicts and the rotation rehearsal. The HTML is built from the same JSON,
 * and every string in it is escaped.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "app/audit.h"
#include "control/control_int.h"

static json_t *
clients_json(const struct control *c)
{
	struct snapshot *snap = server_snapshot(c->srv);
	json_t *o = audit_json(server_audit(c->srv), snap->generation, snap->sc.chain);
	snapshot_unref(snap);
	return o;
}

void
ctl_clients(struct control *c, struct evhttp_request *req)
{
	if (!ctl_method(req, EVHTTP_REQ_GET, "GET"))
		return;
	json_t *arr = clients_json(c);
	if (arr == NULL) {
		ctl_reply_error(req, 500, "out of memory");
		return;
	}
	ctl_reply_json(req, 200, arr);
}

/* Append s with &, <, >, " and ' escaped. */
static void
esc(struct evbuffer *b, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '&':  evbuffer_add(b, "&amp;", 5); break;
		case '<':  evbuffer_add(b, "&lt;", 4); break;
		case '>':  evbuffer_add(b, "&gt;", 4); break;
		case '"':  evbuffer_add(b, "&quot;", 6); break;
		case '\'': evbuffer_add(b, "&#39;", 5); break;
		default:   evbuffer_add(b, s, 1); break;
		}
	}
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* <tr><th>label</th><td>value</td></tr> */
static void
row(struct evbuffer *b, const char *label, const char *value)
{
	evbuffer_add_printf(b, "<tr><th>");
	esc(b, label);
	evbuffer_add_printf(b, "</th><td>");
	esc(b, value);
	evbuffer_add_printf(b, "</td></tr>\n");
}

static void
row_list(struct evbuffer *b, const char *label, const json_t *arr)
{
	size_t i;
	json_t *v;
	evbuffer_add_printf(b, "<tr><th>");
	esc(b, label);
	evbuffer_add_printf(b, "</th><td>");
	json_array_foreach(arr, i, v) {
		if (i > 0)
			evbuffer_add(b, ", ", 2);
		esc(b, json_string_value(v));
	}
	evbuffer_add_printf(b, "</td></tr>\n");
}

static void
client_html(struct evbuffer *b, const json_t *cl)
{
	const json_t *off = json_object_get(cl, "offered");
	const json_t *cnt = json_object_get(cl, "counts");
	const json_t *last = json_object_get(cl, "last_outcome");
	const json_t *rot = json_object_get(cl, "rotation");
	const json_t *eras = json_object_get(cl, "eras");
	const char *key;
	json_t *v;
	char buf[2600]; /* the last outcome's detail may be the gate's whole refusal */

	evbuffer_add_printf(b, "<h2>");
	esc(b, str(cl, "address"));
	evbuffer_add_printf(b, " &middot; ");
	esc(b, str(cl, "sni")[0] ? str(cl, "sni") : "(no SNI)");
	evbuffer_add_printf(b, " &middot; <code>");
	esc(b, str(cl, "fingerprint"));
	evbuffer_add_printf(b, "</code></h2>\n<table>\n");
	row(b, "first seen", str(cl, "first_seen"));
	row(b, "last seen", str(cl, "last_seen"));
	row(b, "offers at most", str(off, "max_version"));
	json_int_t nrec = json_integer_value(json_object_get(off, "records"));
	snprintf(buf, sizeof(buf), "%lld bytes%s", (long long)json_integer_value(
	    json_object_get(off, "hello_bytes")), nrec > 1 ? "" : nrec == 1 ? " in one record" :
	    " (SSLv2 format)");
	if (nrec > 1) {
		size_t o = strlen(buf);
		snprintf(buf + o, sizeof(buf) - o, " in %lld records (reassembled)", (long long)nrec);
	}
	row(b, "ClientHello", buf);
	row_list(b, "versions", json_object_get(off, "versions"));
	row_list(b, "suites", json_object_get(off, "suites"));
	row_list(b, "groups", json_object_get(off, "groups"));
	row_list(b, "signature algorithms", json_object_get(off, "sigalgs"));
	snprintf(buf, sizeof(buf), "%lld connections: %lld refused, %lld TLS ok, %lld client alerts, "
	    "%lld closed after the handshake, %lld SSTP requests, %lld tunnels up",
	    (long long)json_integer_value(json_object_get(cnt, "connections")),
	    (long long)json_integer_value(json_object_get(cnt, "refused")),
	    (long long)json_integer_value(json_object_get(cnt, "tls_ok")),
	    (long long)json_integer_value(json_object_get(cnt, "client_alerts")),
	    (long long)json_integer_value(json_object_get(cnt, "closed_after_handshake")),
	    (long long)json_integer_value(json_object_get(cnt, "sstp_requests")),
	    (long long)json_integer_value(json_object_get(cnt, "tunnels_up")));
	row(b, "connections", buf);
	snprintf(buf, sizeof(buf), "%s%s%s (policy generation %lld, chain %s)",
	    str(last, "outcome"), str(last, "detail")[0] ? ": " : "", str(last, "detail"),
	    (long long)json_integer_value(json_object_get(last, "policy_generation")),
	    str(last, "chain"));
	row(b, "last outcome", buf);
	json_object_foreach((json_t *)eras, key, v) {
		evbuffer_add_printf(b, "<tr><th>era ");
		esc(b, key);
		evbuffer_add_printf(b, "</th><td class=\"%s\">", json_is_true(json_object_get(v, "ok")) ?
		    "yes" : "no");
		esc(b, str(v, "why"));
		if (str(v, "fix")[0]) {
			evbuffer_add_printf(b, "<br><b>fix:</b> ");
			esc(b, str(v, "fix"));
		}
		evbuffer_add_printf(b, "</td></tr>\n");
	}
	snprintf(buf, sizeof(buf), "%s: %s", str(rot, "state"), str(rot, "text"));
	row(b, "after rotation", buf);
	evbuffer_add_printf(b, "</table>\n");
}

void
ctl_report(struct control *c, struct evhttp_request *req)
{
	if (!ctl_method(req, EVHTTP_REQ_GET, "GET"))
		return;
	json_t *arr = clients_json(c);
	struct evbuffer *b = evbuffer_new();
	if (arr == NULL || b == NULL) {
		json_decref(arr);
		if (b)
			evbuffer_free(b);
		ctl_reply_error(req, 500, "out of memory");
		return;
	}
	const struct snapshot *snap = server_current(c->srv);
	char buf[256];
	size_t i;
	json_t *cl;

	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>p2sgw client audit</title>\n<style>body{font-family:sans-serif}"
	    "table{border-collapse:collapse;margin-bottom:1.5em}th,td{border:1px solid #ccc;"
	    "padding:2px 6px;text-align:left;vertical-align:top}th{background:#f4f4f4}"
	    ".yes{background:#e6f4e6}.no{background:#f8e0e0}</style></head><body>\n"
	    "<h1>p2sgw client audit</h1>\n<p>");
	snprintf(buf, sizeof(buf), "Scenario %s, chain %s, policy generation %llu; %zu clients.",
	    snap->sc.name, snap->sc.chain, (unsigned long long)snap->generation,
	    json_array_size(arr));
	esc(b, buf);
	evbuffer_add_printf(b, "</p>\n");
	json_array_foreach(arr, i, cl)
		client_html(b, cl);
	evbuffer_add_printf(b, "</body></html>\n");
	json_decref(arr);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/html; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}
