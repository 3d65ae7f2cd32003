/*
 * GET /clients (JSON): the client audit with era verdicts and the rotation
 * rehearsal, one nested object per client (the report's flat rows are in
 * control_report.c).
 */
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
