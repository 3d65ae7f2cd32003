/*
 * Admission: who may connect (a maintenance window of the control API, the
 * connection cap, the per-address cap) and who may hold an SSTP session
 * (the SKU's session limit). Refusals at accept are TCP resets, as Azure's
 * front end gives a client it will not serve.
 */
#include <stdio.h>
#include <stdlib.h>

#include "app/server.h"
#include "app/session.h"

static int
refuse(struct conn *c, enum close_reason reason, const char *why)
{
	static const struct tls_refusal reset = { TLS_REFUSE_RESET, 0 };
	conn_refuse(c, reason, &reset, why);
	return -1;
}

int
admission_admit(void *arg, struct conn *c)
{
	struct server *s = arg;
	const struct scenario *sc = &c->c_snap->sc;
	char why[200];

	struct session *se = calloc(1, sizeof(*se));
	if (se == NULL) {
		conn_close(c, CR_INTERNAL, "out of memory");
		return -1;
	}
	se->srv = s;
	c->c_user = se;

	uint64_t maint = atomic_load(&s->s_maint_until);
	if (maint != 0 && now_ms() < maint)
		return refuse(c, CR_FAULT_INJECTED, "maintenance window (control API)");
	unsigned n = atomic_load(&s->s_net.nconns);
	if (n > sc->max_connections) {
		snprintf(why, sizeof(why), "%u connections open, limit %u", n - 1, sc->max_connections);
		return refuse(c, CR_REFUSED_CAPACITY, why);
	}
	if (sc->max_per_address != 0 && c->c_peer_count > sc->max_per_address) {
		snprintf(why, sizeof(why), "%u connections open from this address, limit %u",
		    c->c_peer_count - 1, sc->max_per_address);
		return refuse(c, CR_REFUSED_PER_ADDRESS, why);
	}
	return 0;
}

int
admission_sstp(struct conn *c, char *why, size_t whylen)
{
	struct session *se = session_of(c);
	const struct scenario *sc = &c->c_snap->sc;
	unsigned open = atomic_fetch_add(&se->srv->s_sstp_sessions, 1);

	if (open < sc->sstp_max_sessions) {
		se->counted = 1; /* admission_release uncounts */
		return 0;
	}
	atomic_fetch_sub(&se->srv->s_sstp_sessions, 1);
	snprintf(why, whylen, "%u SSTP sessions open, limit %u", open, sc->sstp_max_sessions);
	if (sc->sstp_limit_action == SC_LIMIT_RESET) {
		c->c_refused = CR_SSTP_SESSION_LIMIT;
		c->c_action.kind = TLS_REFUSE_RESET;
		conn_lower_down(c);
		conn_end(c, CR_SSTP_SESSION_LIMIT, why);
		return -1;
	}
	return 1;
}

void
admission_release(struct conn *c)
{
	struct session *se = session_of(c);
	if (se->counted) {
		atomic_fetch_sub(&se->srv->s_sstp_sessions, 1);
		se->counted = 0;
	}
}
