/*
 * /faults: failures a test asks for. POST {"refuse_next": N, "action": A}
 * refuses the next N TLS handshakes with A whatever the policy says;
 * POST {"maintenance_ms": M} starts a maintenance window: every session is
 * ended (LCP Terminate + CALL_DISCONNECT) and new connections are reset for
 * M ms. POST {"radius": {"delay_ms": D, "drop_percent": P, "down": B}} puts
 * faults on the RADIUS path (docs/radius.md). GET shows them, DELETE clears
 * them.
 */
#include <stdio.h>

#include "control/control_int.h"
#include "util/evlog.h"

static json_t *
faults_json(struct server *s)
{
	char a[40];
	struct server_faults f;
	server_faults(s, &f);
	return json_pack("{s:I, s:s, s:I, s:{s:I, s:I, s:b}}", "refuse_next",
	    (json_int_t)f.refuse_next, "action", refusal_name(&f.action, a, sizeof(a)),
	    "maintenance_ms_left", (json_int_t)f.maintenance_left_ms,
	    "radius", "delay_ms", (json_int_t)f.radius_delay_ms,
	    "drop_percent", (json_int_t)f.radius_drop_percent, "down", f.radius_down);
}

static void
emit_fault(const char *what, struct server *s)
{
	json_t *ev = evlog_new("fault", 0);
	json_object_set_new(ev, "change", json_string(what));
	json_t *f = faults_json(s);
	json_object_update(ev, f);
	json_decref(f);
	evlog_emit(ev);
}

static void
post_faults(struct control *ctl, struct evhttp_request *req)
{
	struct server *s = ctl->srv;
	struct api_faults_req fr;
	char err[300];

	json_t *body = ctl_body(req);
	if (body == NULL)
		return;
	int rc = api_faults_request(body, &fr, err, sizeof(err));
	json_decref(body);
	if (rc != 0) {
		ctl_reply_error(req, 400, "%s", err);
		return;
	}
	if (fr.has_refuse)
		server_faults_refuse(s, fr.refuse_next, &fr.action);
	if (fr.has_radius)
		server_faults_radius(s, fr.radius_delay_ms, fr.radius_drop_percent, fr.radius_down);
	unsigned ended = 0;
	if (fr.has_maint)
		ended = server_maintenance(s, fr.maintenance_ms, "maintenance window (control API)");
	emit_fault("set", s);
	json_t *o = faults_json(s);
	if (fr.has_maint)
		json_object_set_new(o, "sessions_ended", json_integer((json_int_t)ended));
	ctl_reply_json(req, 200, o);
}

void
ctl_faults(struct control *ctl, struct evhttp_request *req)
{
	struct server *s = ctl->srv;

	if (!ctl_method(req, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE,
	    "GET, POST, DELETE"))
		return;
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_POST:
		post_faults(ctl, req);
		return;
	case EVHTTP_REQ_DELETE:
		server_faults_clear(s);
		emit_fault("cleared", s);
		/* FALLTHROUGH */
	default:
		ctl_reply_json(req, 200, faults_json(s));
		return;
	}
}
