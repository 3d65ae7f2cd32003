/*
 * GET /sessions, GET /sessions/{id}: the connections and what is known of
 * them; DELETE /sessions/{id}?mode=disconnect|abort|reset ends one.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "app/server.h"
#include "control/control_int.h"
#include "util/addr.h"

#define API_END_DETAIL "ended by the control API"

static json_t *
session_json(const struct session_view *v)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer((json_int_t)v->id));
	json_object_set_new(o, "peer", json_string(v->peer));
	json_object_set_new(o, "state", json_string(v->state));
	if (v->ending)
		json_object_set_new(o, "ending", json_true());
	if (v->tls_up) {
		json_object_set_new(o, "tls_version", json_string(v->tls_version));
		json_object_set_new(o, "tls_suite", json_string(v->tls_suite));
		json_object_set_new(o, "resumed", json_boolean(v->resumed));
	}
	if (v->has_tunnel) {
		json_object_set_new(o, "sstp_state", json_string(v->sstp_state));
		if (v->identity[0] != '\0')
			json_object_set_new(o, "identity", json_string(v->identity));
		if (v->client_addr != 0) {
			char as[16];
			ip4_format(v->client_addr, as);
			json_object_set_new(o, "client_address", json_string(as));
		}
	}
	json_object_set_new(o, "bytes_in", json_integer((json_int_t)v->bytes_in));
	json_object_set_new(o, "bytes_out", json_integer((json_int_t)v->bytes_out));
	json_object_set_new(o, "duration_ms", json_integer((json_int_t)v->duration_ms));
	json_object_set_new(o, "scenario", json_string(v->scenario));
	json_object_set_new(o, "policy_generation", json_integer((json_int_t)v->generation));
	return o;
}

/* Called on each connection's worker thread while the main thread waits. */
static void
append_session(const struct session_view *v, void *arg)
{
	json_array_append_new(arg, session_json(v));
}

static void
list_sessions(struct control *ctl, struct evhttp_request *req)
{
	struct server_stats st;
	json_t *a = json_array();

	server_sessions(ctl->srv, append_session, a);
	server_stats(ctl->srv, &st);
	ctl_reply_json(req, 200, json_pack("{s:I, s:I, s:o}", "count", (json_int_t)json_array_size(a),
	    "sstp_sessions", (json_int_t)st.sstp_sessions, "sessions", a));
}

static enum session_end
session_end_of(enum api_end_mode m)
{
	switch (m) {
	case API_END_DISCONNECT: return SESSION_END_DISCONNECT;
	case API_END_ABORT:      return SESSION_END_ABORT;
	case API_END_RESET:      break;
	}
	return SESSION_END_RESET;
}

void
ctl_sessions(struct control *ctl, struct evhttp_request *req, const char *path)
{
	char err[200];
	uint64_t id;
	enum api_end_mode mode = API_END_RESET;
	int end = 0;

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
	if (evhttp_request_get_command(req) == EVHTTP_REQ_DELETE) {
		static const char *const known[] = { "mode", NULL };
		struct evkeyvalq q;
		if (ctl_query(req, &q, known) != 0)
			return;
		int rc = api_end_mode(evhttp_find_header(&q, "mode"), &mode, err, sizeof(err));
		evhttp_clear_headers(&q);
		if (rc != 0) {
			ctl_reply_error(req, 400, "%s", err);
			return;
		}
		end = 1;
	}
	struct session_view v;
	const char *done = NULL;
	int rc = end ? server_session_end(ctl->srv, id, session_end_of(mode),
	    CR_SSTP_SERVER_DISCONNECT, mode == API_END_RESET ? "reset by the control API" :
	    API_END_DETAIL, &done) : server_session(ctl->srv, id, &v);
	if (rc != 0) {
		ctl_reply_error(req, 404, "no session %llu (ended, or never existed)",
		    (unsigned long long)id);
		return;
	}
	if (end)
		ctl_reply_json(req, 202, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
		    "mode", api_end_mode_name(mode), "done", done));
	else
		ctl_reply_json(req, 200, session_json(&v));
}
