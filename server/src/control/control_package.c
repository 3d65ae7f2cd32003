/*
 * /package: GET the client configuration package (pki/package.h) for the
 * chain being served, or with ?chain=NAME for another chain profile (made
 * on demand in the state directory, as GET /root.pem does). The zip is built
 * in memory for every request: after a rotation the next download carries
 * the new root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "control/control_int.h"
#include "util/xtime.h"
#include "app/package.h"

void
ctl_package(struct control *c, struct evhttp_request *req)
{
	static const char *const known[] = { "chain", NULL };
	const struct snapshot *snap = server_current(c->srv);
	const char *state_dir = server_state_dir(c->srv);
	char err[1024], gid[PKI_GATEWAY_ID_LEN + 1], disp[160];
	struct evkeyvalq q;
	struct pki_chain other;
	const struct pki_chain *chain = &snap->chain;
	unsigned char *zip = NULL;
	size_t len = 0;
	int status = 500;

	if (!ctl_method(req, EVHTTP_REQ_GET, "GET"))
		return;
	if (ctl_query(req, &q, known) != 0)
		return;
	pki_chain_init(&other);
	const char *name = evhttp_find_header(&q, "chain");
	if (name != NULL && strcmp(name, snap->sc.chain) != 0) {
		struct pki_profile p;
		struct pki_leaf_request lr;
		if (strlen(name) >= sizeof(snap->sc.chain) ||
		    profile_load_by_name(name, &p, err, sizeof(err)) != 0) {
			if (strlen(name) >= sizeof(snap->sc.chain))
				snprintf(err, sizeof(err), "unknown chain profile '%.64s'", name);
			status = 404;
			goto fail;
		}
		memset(&lr, 0, sizeof(lr));
		lr.hostname = snap->sc.hostname;
		lr.clock = scenario_clock_ms(&snap->sc, wall_ms());
		if (pki_ensure(state_dir, &p, &lr, &other, err, sizeof(err)) != 0)
			goto fail;
		chain = &other;
	}
	if (pki_gateway_id(state_dir, 1, gid, err, sizeof(err)) != 0)
		goto fail;
	struct package_input in = { .sc = &snap->sc, .chain = chain, .gateway_id = gid };
	if (package_write_mem(&in, &zip, &len, err, sizeof(err)) != 0)
		goto fail;
	struct evbuffer *out = evbuffer_new();
	if (out == NULL || evbuffer_add(out, zip, len) != 0) {
		if (out != NULL)
			evbuffer_free(out);
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	snprintf(disp, sizeof(disp), "attachment; filename=p2sgw-%s.zip", snap->sc.name);
	evhttp_add_header(h, "Content-Type", "application/zip");
	evhttp_add_header(h, "Content-Disposition", disp);
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
	free(zip);
	pki_chain_free(&other);
	evhttp_clear_headers(&q);
	return;
fail:
	free(zip);
	pki_chain_free(&other);
	evhttp_clear_headers(&q);
	ctl_reply_error(req, status, "%s", err);
}
