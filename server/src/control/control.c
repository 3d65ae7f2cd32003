#include "control/control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <mbedtls/base64.h>
#include <mbedtls/constant_time.h>

#include "app/audit.h"
#include "app/server.h"
#include "control/control_int.h"
#include "util/xtime.h"
#include "util/addr.h"

static const char *
status_text(int code)
{
	switch (code) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 503: return "Service Unavailable";
	default:  return code >= 500 ? "Internal Server Error" : "Error";
	}
}

void
ctl_reply_json(struct evhttp_request *req, int code, json_t *body)
{
	struct evbuffer *out = evbuffer_new();
	char *s = body ? json_dumps(body, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(body);
	if (out == NULL || s == NULL) {
		free(s);
		if (out)
			evbuffer_free(out);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evbuffer_add(out, s, strlen(s));
	evbuffer_add(out, "\n", 1);
	free(s);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evhttp_send_reply(req, code, status_text(code), out);
	evbuffer_free(out);
}

void
ctl_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_reply_json(req, code, json_pack("{s:s}", "error", msg));
}

int
ctl_method(struct evhttp_request *req, int allowed, const char *allow)
{
	if ((evhttp_request_get_command(req) & allowed) != 0)
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	ctl_reply_error(req, 405, "use %s", allow);
	return 0;
}

json_t *
ctl_body(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char err[300];
	json_t *j;

	const char *data = len ? (const char *)evbuffer_pullup(in, -1) : "";
	if (api_body_parse(data, len, &j, err, sizeof(err)) != 0) {
		ctl_reply_error(req, 400, "%s", err);
		return NULL;
	}
	return j;
}

int
ctl_query(struct evhttp_request *req, struct evkeyvalq *q, const char *const *known)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyval *kv;

	TAILQ_INIT(q);
	if (query != NULL && evhttp_parse_query_str(query, q) != 0) {
		ctl_reply_error(req, 400, "unreadable query string");
		return -1;
	}
	TAILQ_FOREACH(kv, q, next) {
		size_t i;
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(kv->key, known[i]) == 0)
				break;
		if (known[i] == NULL) {
			ctl_reply_error(req, 400, "unknown query parameter '%.64s'", kv->key);
			evhttp_clear_headers(q);
			return -1;
		}
	}
	return 0;
}

/* The token, compared in constant time. */
static int
token_ok(const struct control *c, const char *t, size_t len)
{
	size_t tl = strlen(c->token);
	return len == tl && mbedtls_ct_memcmp(t, c->token, tl) == 0;
}

static int
authorized(struct control *c, struct evhttp_request *req)
{
	if (c->token == NULL)
		return 1;
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (h != NULL && strncmp(h, "Bearer ", 7) == 0 && token_ok(c, h + 7, strlen(h + 7)))
		return 1;
	/* a browser (the report) sends the token as the password of Basic */
	unsigned char up[512];
	size_t n = 0;
	if (h != NULL && strncmp(h, "Basic ", 6) == 0 &&
	    mbedtls_base64_decode(up, sizeof(up) - 1, &n, (const unsigned char *)h + 6,
	    strlen(h + 6)) == 0) {
		const unsigned char *colon = memchr(up, ':', n);
		if (colon != NULL && token_ok(c, (const char *)colon + 1,
		    n - (size_t)(colon + 1 - up)))
			return 1;
	}
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	evhttp_add_header(out, "WWW-Authenticate", "Bearer");
	evhttp_add_header(out, "WWW-Authenticate", "Basic realm=\"p2sgw control\", charset=\"UTF-8\"");
	ctl_reply_error(req, 401, "a valid 'Authorization: Bearer TOKEN' header is required "
	    "(or Basic with the token as the password, as a browser sends it)");
	return 0;
}

/* An endpoint's or listener's TLS policy (NULL: the scenario's) into o,
 * with "own" saying which. */
static void
status_policy(json_t *o, const struct sc_policy *pol, const struct scenario *sc)
{
	json_t *v, *ci;

	if (pol != NULL)
		ctl_tls_lists(pol->min_minor, pol->max_minor, pol->suites, &v, &ci);
	else
		ctl_tls_lists(sc->min_minor, sc->max_minor, sc->suites, &v, &ci);
	json_object_set_new(o, "versions", v);
	json_object_set_new(o, "ciphers", ci);
	json_object_set_new(o, "own_policy", json_boolean(pol != NULL));
}

static json_t *
status_json(struct server *s)
{
	struct snapshot *snap = server_snapshot(s);
	struct server_stats st;
	char sha1[41];
	server_stats(s, &st);
	for (int i = 0; i < 20; i++)
		snprintf(sha1 + 2 * i, 3, "%02X", snap->chain.leaf_sha1[i]);
	json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
	    "scenario", snap->sc.name, "file", snap->sc.path,
	    "policy_generation", (json_int_t)snap->generation,
	    "chain", snap->sc.chain, "variant", pki_variant_name(snap->sc.variant),
	    "root", snap->chain.root_subject, "root_file", snap->chain.root_path,
	    "leaf_sha1", sha1,
	    "connections", (json_int_t)st.connections, "half_open", (json_int_t)st.half_open,
	    "accepted", (json_int_t)st.accepted, "refused", (json_int_t)st.refused,
	    "workers", (json_int_t)st.workers);
	/* the gateway clock: certificate validity, renewal and CRLs follow it */
	time_t g = scenario_clock_ms(&snap->sc, wall_ms());
	char buf[ISO_UTC_LEN];
	if (o != NULL && iso_utc(g, buf) == 0) {
		json_object_set_new(o, "gateway_clock", json_string(buf));
		json_object_set_new(o, "gateway_clock_epoch", json_integer((json_int_t)g));
		json_object_set_new(o, "clock_speed",
		    json_integer((json_int_t)scenario_clock_speed(&snap->sc)));
	}
	if (o != NULL && snap->sc.n_endpoints > 0) {
		json_t *eps = json_array();
		for (size_t i = 0; i < snap->sc.n_endpoints; i++) {
			const struct sc_endpoint *e = &snap->sc.endpoints[i];
			json_t *ep = json_pack("{s:s, s:s, s:s, s:s}", "sni", e->sni,
			    "chain", e->chain, "variant", pki_variant_name((enum pki_variant)e->variant),
			    "root_file", snap->alts[i].chain.root_path);
			if (ep != NULL && e->pol.set)
				status_policy(ep, &e->pol, &snap->sc);
			json_array_append_new(eps, ep);
		}
		json_object_set_new(o, "endpoints", eps);
	}
	if (o != NULL && snap->sc.n_listeners > 0) {
		json_t *ls = json_array();
		for (size_t k = 0; k < snap->sc.n_listeners; k++) {
			const struct sc_listener *l = &snap->sc.listeners[k];
			const struct snapshot_alt *a = &snap->alts[snap->listener_alt[k] - 1];
			const char *at = server_listener_address(s, (unsigned)k + 1);
			json_t *lo = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", l->name,
			    "address", at != NULL ? at : "", "chain", a->name,
			    "variant", pki_variant_name(l->chain[0] != '\0' ?
			    (enum pki_variant)l->variant : snap->sc.variant),
			    "root_file", a->use->root_path);
			if (lo != NULL)
				status_policy(lo, l->pol.set ? &l->pol : NULL, &snap->sc);
			json_array_append_new(ls, lo);
		}
		json_object_set_new(o, "listeners", ls);
	}
	if (o != NULL && snap->overlap_alt != 0)
		json_object_set_new(o, "overlap", scenario_overlap_json(&snap->sc.overlap,
		    snap->alts[snap->overlap_alt - 1].chain.root_path));
	snapshot_unref(snap);
	return o;
}

/* POST /rotate {"chain": NAME, "variant": NAME}: serve another chain now. */
static void
handle_rotate(struct control *c, struct evhttp_request *req)
{
	char err[1024];

	if (!ctl_method(req, EVHTTP_REQ_POST, "POST"))
		return;
	json_t *body = ctl_body(req);
	if (body == NULL)
		return;
	const char *key;
	json_t *val;
	json_object_foreach(body, key, val) {
		if (strcmp(key, "chain") != 0 && strcmp(key, "variant") != 0) {
			snprintf(err, sizeof(err), "unknown field '%s' (chain, variant)", key);
			json_decref(body);
			ctl_reply_error(req, 400, "%s", err);
			return;
		}
		if (!json_is_string(val)) {
			snprintf(err, sizeof(err), "field '%s' must be a string", key);
			json_decref(body);
			ctl_reply_error(req, 400, "%s", err);
			return;
		}
	}
	const char *chain = json_string_value(json_object_get(body, "chain"));
	const char *variant = json_string_value(json_object_get(body, "variant"));
	if (chain == NULL) {
		json_decref(body);
		ctl_reply_error(req, 400, "field 'chain' is required");
		return;
	}
	struct scenario *sc = malloc(sizeof(*sc));
	if (sc == NULL) {
		json_decref(body);
		ctl_reply_error(req, 500, "out of memory");
		return;
	}
	struct snapshot *cur = server_snapshot(c->srv);
	*sc = cur->sc;
	snapshot_unref(cur);
	int v = variant ? pki_variant_from_name(variant) : PKI_VARIANT_VALID;
	struct pki_profile probe;
	int status = 0;
	if (strlen(chain) >= sizeof(sc->chain) ||
	    profile_load_by_name(chain, &probe, err, sizeof(err)) != 0) {
		if (strlen(chain) >= sizeof(sc->chain))
			snprintf(err, sizeof(err), "unknown chain profile '%.64s'", chain);
		status = 404;
	} else if (v < 0) {
		snprintf(err, sizeof(err), "unknown variant '%.64s'", variant);
		status = 400;
	} else {
		scenario_rotate(sc, chain, v);
		if (server_apply(c->srv, sc, "rotate", err, sizeof(err)) != 0)
			status = 500;
	}
	free(sc);
	json_decref(body);
	if (status == 404)
		ctl_reply_error(req, 404, "%s", err);
	else if (status == 400)
		ctl_reply_error(req, 400, "%s", err);
	else if (status == 500)
		ctl_reply_error(req, 500, "%s", err);
	else
		ctl_reply_json(req, 200, status_json(c->srv));
}

/* GET /root.pem[?chain=NAME]: the root a client must trust for the active
 * chain, or for another chain profile (created on demand). */
static void
handle_root(struct control *c, struct evhttp_request *req)
{
	char err[1024];
	struct evkeyvalq q;
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *chain = NULL;

	if (!ctl_method(req, EVHTTP_REQ_GET, "GET"))
		return;
	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
		ctl_reply_error(req, 400, "unreadable query string");
		return;
	}
	chain = evhttp_find_header(&q, "chain");
	const struct snapshot *snap = server_current(c->srv);
	char path[600];
	snprintf(path, sizeof(path), "%s", snap->chain.root_path);
	if (chain != NULL && strcmp(chain, snap->sc.chain) != 0) {
		struct pki_profile p;
		struct pki_leaf_request lr;
		struct pki_chain pc;
		if (profile_load_by_name(chain, &p, err, sizeof(err)) != 0) {
			evhttp_clear_headers(&q);
			ctl_reply_error(req, 404, "%s", err);
			return;
		}
		memset(&lr, 0, sizeof(lr));
		lr.hostname = snap->sc.hostname;
		lr.clock = scenario_clock_ms(&snap->sc, wall_ms());
		pki_chain_init(&pc);
		int rc = pki_ensure(server_state_dir(c->srv), &p, &lr, &pc, err, sizeof(err));
		snprintf(path, sizeof(path), "%s", pc.root_path);
		pki_chain_free(&pc);
		if (rc != 0) {
			evhttp_clear_headers(&q);
			ctl_reply_error(req, 500, "%s", err);
			return;
		}
	}
	evhttp_clear_headers(&q);

	char pem[16384];
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, pem, sizeof(pem));
		close(fd);
	}
	struct evbuffer *out = evbuffer_new();
	if (n <= 0 || (size_t)n == sizeof(pem) || out == NULL) {
		if (out)
			evbuffer_free(out);
		ctl_reply_error(req, 500, "cannot read the root certificate");
		return;
	}
	evbuffer_add(out, pem, (size_t)n);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/x-pem-file");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static void
route_status(struct control *c, struct evhttp_request *req, const char *path)
{
	if (ctl_method(req, EVHTTP_REQ_GET, "GET"))
		ctl_reply_json(req, 200, status_json(c->srv));
}

#define ROUTE(name, fn)                                                              \
	static void route_##name(struct control *c, struct evhttp_request *req,      \
	    const char *path)                                                        \
	{                                                                            \
		fn(c, req);                                                          \
	}
ROUTE(root, handle_root)
ROUTE(rotate, handle_rotate)
ROUTE(policy, ctl_policy)
ROUTE(faults, ctl_faults)
ROUTE(events, ctl_events)
ROUTE(package, ctl_package)
ROUTE(metrics, ctl_metrics)
ROUTE(clients, ctl_clients)
ROUTE(report, ctl_report)
ROUTE(report_csv, ctl_report_csv)
#undef ROUTE

/* Endpoints behind the token (all but /health); subtree: also PATH/... */
static const struct route {
	const char *path;
	int         subtree;
	void      (*fn)(struct control *c, struct evhttp_request *req, const char *path);
} routes[] = {
	{ "/status", 0, route_status },
	{ "/root.pem", 0, route_root },
	{ "/rotate", 0, route_rotate },
	{ "/sessions", 1, ctl_sessions },
	{ "/policy", 0, route_policy },
	{ "/faults", 0, route_faults },
	{ "/faults/network", 1, ctl_netfaults },
	{ "/events", 0, route_events },
	{ "/package", 0, route_package },
	{ "/metrics", 0, route_metrics },
	{ "/clients", 0, route_clients },
	{ "/report", 0, route_report },
	{ "/report.csv", 0, route_report_csv },
};

static void
handle(struct evhttp_request *req, void *arg)
{
	struct control *c = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL)
		path = "/";

	if (strcmp(path, "/health") == 0) {
		if (!ctl_method(req, EVHTTP_REQ_GET, "GET"))
			return;
		ctl_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
		return;
	}
	if (!authorized(c, req))
		return;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		size_t n = strlen(r->path);
		if (strcmp(path, r->path) == 0 ||
		    (r->subtree && strncmp(path, r->path, n) == 0 && path[n] == '/')) {
			r->fn(c, req, path);
			return;
		}
	}
	ctl_reply_error(req, 404, "unknown endpoint; see docs/api.md");
}

static int
is_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strncmp(addr, "[::1]:", 6) == 0 ||
	    strncmp(addr, "localhost:", 10) == 0;
}

struct control *
control_new(struct server *s, const char *token, char *err, size_t errlen)
{
	if (token != NULL && *token == '\0')
		token = NULL;
	struct control *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->http = evhttp_new(server_base(s))) == NULL ||
	    (token != NULL && (c->token = strdup(token)) == NULL)) {
		if (c != NULL && c->http != NULL)
			evhttp_free(c->http);
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->srv = s;
	evhttp_set_max_headers_size(c->http, 16384);
	evhttp_set_max_body_size(c->http, 1 << 20);
	evhttp_set_timeout(c->http, 30);
	evhttp_set_gencb(c->http, handle, c);
	return c;
}

int
control_listen_fd(struct control *c, int fd, char *err, size_t errlen)
{
	if (evhttp_accept_socket_with_handle(c->http, fd) == NULL) {
		snprintf(err, errlen, "cannot serve the control API on socket %d", fd);
		return -1;
	}
	return 0;
}

struct control *
control_start(struct server *s, const char *addr, const char *token, char *bound,
    size_t boundlen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (token != NULL && *token == '\0')
		token = NULL;
	if (!is_loopback(addr) && token == NULL) {
		snprintf(err, errlen, "control address %s is not loopback: set a token "
		    "(P2SGW_TOKEN) so the API is not open to the network", addr);
		return NULL;
	}
	if (addr_parse_hostport(addr, &ss, &len, err, errlen) != 0)
		return NULL;

	struct control *c = control_new(s, token, err, errlen);
	if (c == NULL)
		return NULL;

	char host[64];
	uint16_t port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(c->http, host, port);
	if (bs == NULL) {
		snprintf(err, errlen, "cannot listen on control address %s: %s", addr, strerror(errno));
		control_stop(c);
		return NULL;
	}
	len = sizeof(ss);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len);
	sockaddr_format((struct sockaddr *)&ss, bound, boundlen);
	return c;
}

void
control_stop(struct control *c)
{
	if (c == NULL)
		return;
	ctl_events_stop(c);
	if (c->http != NULL)
		evhttp_free(c->http);
	free(c->token);
	free(c);
}
