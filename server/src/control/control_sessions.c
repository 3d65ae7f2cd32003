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
#include "net/server.h"
#include "net/tunnel.h"
#include "tls/tls_names.h"

#define API_END_DETAIL "ended by the control API"

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
	json_object_set_new(o, "duration_ms", json_integer((json_int_t)conn_age_ms(c)));
	json_object_set_new(o, "scenario", json_string(c->c_snap->sc.name));
	json_object_set_new(o, "policy_generation", json_integer((json_int_t)c->c_snap->generation));
	return o;
}

/* The jobs below run on each connection's worker thread (server_foreach_conn). */

static void
append_session(struct conn *c, void *arg)
{
	json_array_append_new(arg, session_json(c));
}

static void
list_sessions(struct control *ctl, struct evhttp_request *req)
{
	struct server *s = ctl->srv;
	json_t *a = json_array();

	server_foreach_conn(s, append_session, a);
	ctl_reply_json(req, 200, json_pack("{s:I, s:I, s:o}", "count", (json_int_t)json_array_size(a),
	    "sstp_sessions", (json_int_t)atomic_load(&s->s_sstp_sessions), "sessions", a));
}

struct session_job {
	uint64_t          id;
	int               end;    /* 0: describe it; 1: end it with mode */
	enum api_end_mode mode;
	json_t           *out;    /* NULL: no such connection */
};

static void
session_job(struct conn *c, void *arg)
{
	struct session_job *j = arg;
	const char *done;

	if (c->c_id != j->id || j->out != NULL)
		return;
	if (!j->end) {
		j->out = session_json(c);
		return;
	}
	j->out = json_pack("{s:I, s:s}", "id", (json_int_t)c->c_id, "mode",
	    api_end_mode_name(j->mode));
	int had_call = c->c_state == CS_ESTABLISHED && c->c_tun != NULL && !c->c_ending;
	switch (j->mode) {
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
	json_object_set_new(j->out, "done", json_string(done));
}

void
ctl_sessions(struct control *ctl, struct evhttp_request *req, const char *path)
{
	char err[200];
	struct session_job j;

	memset(&j, 0, sizeof(j));
	if (strcmp(path, "/sessions") == 0) {
		if (ctl_method(req, EVHTTP_REQ_GET, "GET"))
			list_sessions(ctl, req);
		return;
	}
	if (!ctl_method(req, EVHTTP_REQ_GET | EVHTTP_REQ_DELETE, "GET, DELETE"))
		return;
	if (api_session_id(path + strlen("/sessions/"), &j.id, err, sizeof(err)) != 0) {
		ctl_reply_error(req, 404, "%s", err);
		return;
	}
	if (evhttp_request_get_command(req) == EVHTTP_REQ_DELETE) {
		static const char *const known[] = { "mode", NULL };
		struct evkeyvalq q;
		if (ctl_query(req, &q, known) != 0)
			return;
		int rc = api_end_mode(evhttp_find_header(&q, "mode"), &j.mode, err, sizeof(err));
		evhttp_clear_headers(&q);
		if (rc != 0) {
			ctl_reply_error(req, 400, "%s", err);
			return;
		}
		j.end = 1;
	}
	server_foreach_conn(ctl->srv, session_job, &j);
	if (j.out == NULL) {
		ctl_reply_error(req, 404, "no session %llu (ended, or never existed)",
		    (unsigned long long)j.id);
		return;
	}
	ctl_reply_json(req, j.end ? 202 : 200, j.out);
}
