/*
 * /faults/network: network faults between clients and the gateway
 * (docs/faults.md). POST adds one (201, its id), GET lists them with what
 * they did, DELETE /faults/network/{id} removes one, DELETE /faults/network
 * removes all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_int.h"
#include "util/addr.h"
#include "util/evlog.h"
#include "util/xtime.h"

static json_t *
entry_json(const struct nf_entry *e, uint64_t now)
{
	const struct sc_netfault *f = &e->spec;
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "type", json_string(sc_netfault_type_name(f->type)));
	json_object_set_new(o, "direction", json_string(sc_netfault_dir_name(f->dir)));
	json_object_set_new(o, "share", json_integer(f->share));
	if (f->has_clients) {
		char a[16], buf[24];
		unsigned prefix = 0;
		for (uint32_t m = f->mask; m != 0; m <<= 1)
			prefix++;
		ip4_format(f->net, a);
		snprintf(buf, sizeof(buf), "%s/%u", a, prefix);
		json_object_set_new(o, "clients", json_string(buf));
	}
	switch (f->type) {
	case SC_NF_LATENCY:
		json_object_set_new(o, "latency_ms", json_integer(f->latency_ms));
		json_object_set_new(o, "jitter_ms", json_integer(f->jitter_ms));
		break;
	case SC_NF_BANDWIDTH:
		json_object_set_new(o, "rate_bytes_per_s", json_integer((json_int_t)f->rate));
		break;
	case SC_NF_LOSS:
		json_object_set_new(o, "percent", json_integer(f->percent));
		break;
	case SC_NF_LIMIT_DATA:
		json_object_set_new(o, "bytes", json_integer((json_int_t)f->bytes));
		break;
	case SC_NF_TIMEOUT:
	case SC_NF_RESET_PEER:
	case SC_NF_SLOW_CLOSE:
		json_object_set_new(o, "after_ms", json_integer(f->after_ms));
		break;
	case SC_NF_SLICER:
		json_object_set_new(o, "bytes", json_integer((json_int_t)f->bytes));
		json_object_set_new(o, "gap_ms", json_integer(f->gap_ms));
		break;
	case SC_NF__COUNT:
		break;
	}
	if (e->until_ms != 0)
		json_object_set_new(o, "ms_left",
		    json_integer((json_int_t)(e->until_ms > now ? e->until_ms - now : 0)));
	json_object_set_new(o, "connections", json_integer((json_int_t)e->connections));
	json_object_set_new(o, "packets", json_integer((json_int_t)e->packets));
	return o;
}

static json_t *
list_json(struct netfaults *nf)
{
	struct nf_entry *e = malloc(NF_MAX * sizeof(*e));
	json_t *a = json_array();
	if (e == NULL)
		return a;
	uint64_t now = now_ms();
	size_t n = netfaults_list(nf, e, NF_MAX, now);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, entry_json(&e[i], now));
	free(e);
	return a;
}

static void
emit_change(const char *change, json_t *what)
{
	json_t *ev = evlog_new("fault", 0);
	json_object_set_new(ev, "change", json_string(change));
	json_object_set_new(ev, "network", what);
	evlog_emit(ev);
}

static void
post_fault(struct control *ctl, struct evhttp_request *req)
{
	struct sc_netfault f;
	char err[300];
	unsigned id;

	json_t *body = ctl_body(req);
	if (body == NULL)
		return;
	int rc = api_netfault_request(body, &f, err, sizeof(err));
	json_decref(body);
	if (rc != 0) {
		ctl_reply_error(req, 400, "%s", err);
		return;
	}
	struct netfaults *nf = server_netfaults(ctl->srv);
	if (netfaults_add(nf, &f, now_ms(), &id, err, sizeof(err)) != 0) {
		ctl_reply_error(req, 409, "%s", err);
		return;
	}
	server_netfaults_changed(ctl->srv);
	struct nf_entry e = { .id = id, .spec = f, .start_ms = now_ms(),
	                      .until_ms = f.duration_ms ? now_ms() + f.duration_ms : 0 };
	emit_change("network_add", entry_json(&e, e.start_ms));
	ctl_reply_json(req, 201, entry_json(&e, e.start_ms));
}

void
ctl_netfaults(struct control *ctl, struct evhttp_request *req, const char *path)
{
	struct netfaults *nf = server_netfaults(ctl->srv);
	const char *rest = path + strlen("/faults/network");

	if (*rest == '\0') {
		if (!ctl_method(req, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE,
		    "GET, POST, DELETE"))
			return;
		switch (evhttp_request_get_command(req)) {
		case EVHTTP_REQ_POST:
			post_fault(ctl, req);
			return;
		case EVHTTP_REQ_DELETE: {
			size_t n = netfaults_clear(nf);
			server_netfaults_changed(ctl->srv);
			emit_change("network_clear", json_integer((json_int_t)n));
			ctl_reply_json(req, 200, json_pack("{s:I}", "removed", (json_int_t)n));
			return;
		}
		default:
			ctl_reply_json(req, 200, list_json(nf));
			return;
		}
	}
	if (!ctl_method(req, EVHTTP_REQ_DELETE, "DELETE"))
		return;
	char *end = NULL;
	unsigned long id = strtoul(rest + 1, &end, 10);
	if (rest[1] < '1' || rest[1] > '9' || end == NULL || *end != '\0' || id > 0xffffffffUL ||
	    netfaults_remove(nf, (unsigned)id) != 0) {
		ctl_reply_error(req, 404, "no network fault '%.40s' (GET /faults/network lists them)",
		    rest + 1);
		return;
	}
	server_netfaults_changed(ctl->srv);
	emit_change("network_remove", json_integer((json_int_t)id));
	ctl_reply_json(req, 200, json_pack("{s:I}", "removed", (json_int_t)id));
}
