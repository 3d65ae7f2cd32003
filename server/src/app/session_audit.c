/*
 * What the client audit (app/audit.c) learns from one connection: its
 * ClientHello and the gate's verdict, the TLS result, the first SSTP bytes,
 * the tunnel, the end. Each entry is stamped with the policy the connection
 * runs under (its own snapshot) and the wall-clock time.
 */
#include <time.h>

#include "app/server.h"
#include "app/session.h"

static struct audit_ctx
ctx_of(const struct conn *c)
{
	struct audit_ctx x = { c->c_snap->generation, conn_chain(c), time(NULL) };
	return x;
}

void
session_audit_hello(struct conn *c, int accepted, const char *why)
{
	struct session *se = session_of(c);
	struct audit_ctx x = ctx_of(c);
	audit_hello(server_audit(se->srv), &se->audit, se->ch, c->c_peer, accepted, why, &x);
}

void
session_audit_tls(struct conn *c, const char *alert, const char *detail, int ok)
{
	struct session *se = session_of(c);
	struct audit_ctx x = ctx_of(c);
	audit_tls(server_audit(se->srv), &se->audit, ok, alert, detail, &x);
}

void
session_audit_app_data(struct conn *c)
{
	struct session *se = session_of(c);
	if (se->audit.app_seen)
		return;
	struct audit_ctx x = ctx_of(c);
	audit_app_data(server_audit(se->srv), &se->audit, &x);
}

void
session_audit_tunnel_up(struct conn *c)
{
	struct session *se = session_of(c);
	struct audit_ctx x = ctx_of(c);
	audit_tunnel_up(server_audit(se->srv), &se->audit, &x);
}

void
session_audit_close(struct conn *c, enum close_reason reason, const char *detail)
{
	struct session *se = session_of(c);
	struct audit_ctx x = ctx_of(c);
	audit_close(server_audit(se->srv), &se->audit, reason_info(reason)->name, detail, &x);
}
