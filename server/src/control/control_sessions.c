/*
 * GET /sessions, GET /sessions/{id}: the connections and what is known of
 * them; DELETE /sessions/{id}?mode=disconnect|abort|reset ends one.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <mbedtls/ssl.h>

#include "control/control_int.h"
#include "net/conn.h"
#include "net/tunnel.h"
#include "tls/tls_names.h"

#define API_END_DETAIL "ended by the control API"

static uint64_t
duration_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - since->tv_sec) * 1000 +
	    (uint64_t)((now.tv_nsec - since->tv_nsec) / 1000000);
}

static json_t *
session_json(const struct conn *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer((json_int_t)c->c_id));
	json_object_set_new(o, "peer", json_string(c->c_peer));
	json_object_set_new(o, "state", json_string(conn_state_name(c->c_state)));
	if (c->c_ending)
		json_object_set_new(o, "ending", json_true());
	if (c->c_state == CS_ESTABLISHED && c->c_ssl_ready) {
		const char *suite = mbedtls_ssl_get_ciphersuite(&c->c_ssl);
		int id = suite ? mbedtls_ssl_get_ciphersuite_id(suite) : -1;
		const char *iana = id > 0 ? tls_suite_name((uint16_t)id) : NULL;
		json_object_set_new(o, "tls_version", json_string(mbedtls_ssl_get_version(&c->c_ssl)));
		json_object_set_new(o, "tls_suite", json_string(iana ? iana : (suite ? suite : "?")));
		json_object_set_new(o, "resumed", json_boolean(c->c_resumed));
	}
	if (c->c_tun != NULL) {
		const char *st, *ident;
		uint32_t a;
		tunnel_info(c->c_tun, &st, &ident, &a);
		json_object_set_new(o, "sstp_state", json_string(st));
		if (*ident != '\0')
			json_object_set_new(o, "identity", json_string(ident));
		if (a != 0) {
			char as[16];
			snprintf(as, sizeof(as), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
			    (a >> 8) & 0xff, a & 0xff);
			json_object_set_new(o, "client_address", json_string(as));
		}
	}
	json_object_set_new(o, "bytes_in", json_integer((json_int_t)c->c_bytes_in));
	json_object_set_new(o, "bytes_out", json_integer((json_int_t)c->c_bytes_out));
	json_object_set_new(o, "duration_ms", json_integer((json_int_t)duration_ms(&c->c_start)));
	json_object_set_new(o, "scenario", json_string(c->c_snap->sc.name));
	json_object_set_new(o, "policy_generation", json_integer((json_int_t)c->c_snap->generation));
	return o;
}

static struct conn *
find_conn(struct server *s, uint64_t id)
{
	struct conn *c;
	TAILQ_FOREACH(c, &s->s_conns, c_entry)
		if (c->c_id == id)
			return c;
	return NULL;
}

static void
list_sessions(struct control *ctl, struct evhttp_request *req)
{
	struct server *s = ctl->srv;
	json_t *a = json_array();
	struct conn *c;

	TAILQ_FOREACH(c, &s->s_conns, c_entry)
		json_array_append_new(a, session_json(c));
	ctl_reply_json(req, 200, json_pack("{s:I, s:I, s:o}", "count", (json_int_t)s->s_nconns,
	    "sstp_sessions", (json_int_t)s->s_sstp_sessions, "sessions", a));
}

static void
end_session(struct control *ctl, struct evhttp_request *req, struct conn *c)
{
	static const char *const known[] = { "mode", NULL };
	struct evkeyvalq q;
	enum api_end_mode mode;
	char err[200];
	const char *done;

	if (ctl_query(req, &q, known) != 0)
		return;
	int rc = api_end_mode(evhttp_find_header(&q, "mode"), &mode, err, sizeof(err));
	evhttp_clear_headers(&q);
	if (rc != 0) {
		ctl_reply_error(req, 400, "%s", err);
		return;
	}
	json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t)c->c_id, "mode",
	    api_end_mode_name(mode));
	int had_call = c->c_state == CS_ESTABLISHED && c->c_tun != NULL && !c->c_ending;
	switch (mode) {
	case API_END_DISCONNECT:
		done = c->c_ending ? "already ending" : had_call ?
		    "PPP LCP Terminate-Request, then SSTP CALL_DISCONNECT" :
		    "no call yet: the connection is closed";
		conn_disconnect(c, CR_SSTP_SERVER_DISCONNECT, API_END_DETAIL);
		break;
	case API_END_ABORT:
		done = c->c_ending ? "already ending" : had_call ? "SSTP CALL_ABORT" :
		    "no call yet: the connection is closed";
		conn_abort(c, CR_SSTP_SERVER_DISCONNECT, API_END_DETAIL);
		break;
	case API_END_RESET:
	default:
		done = "TCP RST sent, connection closed";
		conn_reset(c, CR_SSTP_SERVER_DISCONNECT, "reset by the control API"); /* frees c */
		break;
	}
	json_object_set_new(o, "done", json_string(done));
	ctl_reply_json(req, 202, o);
}

void
ctl_sessions(struct control *ctl, struct evhttp_request *req, const char *path)
{
	char err[200];
	uint64_t id;

	if (strcmp(path, "/sessions") == 0) {
		if (ctl_method(req, EVHTTP_REQ_GET, "GET"))
			list_sessions(ctl, req);
		return;
	}
	if (!ctl_method(req, EVHTTP_REQ_GET | EVHTTP_REQ_DELETE, "GET, DELETE"))
		return;
	if (api_session_id(path + strlen("/sessions/"), &id, err, sizeof(err)) != 0) {
		ctl_reply_error(req, 404, "%s", err);
		return;
	}
	struct conn *c = find_conn(ctl->srv, id);
	if (c == NULL) {
		ctl_reply_error(req, 404, "no session %llu (ended, or never existed)",
		    (unsigned long long)id);
		return;
	}
	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET)
		ctl_reply_json(req, 200, session_json(c));
	else
		end_session(ctl, req, c);
}
