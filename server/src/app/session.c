/*
 * The gateway's connection upcalls (struct conn_ops): after TLS, an SSTP
 * tunnel carries PPP; the connection's timers are the tunnel's; its end
 * frees the tunnel (whose statistics come before the close event), records
 * the end in the audit and frees the session's place under the limit.
 */
#include <stdlib.h>

#include "app/server.h"
#include "app/session.h"
#include "app/tunnel.h"

static void
session_tls_done(struct conn *c, const struct tls_end *failed)
{
	struct session *se = session_of(c);
	free(se->ch); /* the first flight is no longer needed */
	se->ch = NULL;
	if (failed != NULL)
		session_audit_tls(c, failed->alert, failed->detail, 0);
	else
		session_audit_tls(c, NULL, NULL, 1);
}

/* TLS is up: start the SSTP tunnel; at the session limit it answers 503
 * (or the connection is reset, as the scenario says). */
static void
session_established(struct conn *c)
{
	struct session *se = session_of(c);
	char why[96];
	int full = admission_sstp(c, why, sizeof(why));
	if (full < 0)
		return;
	se->tun = tunnel_new(c, now_ms(), full ? why : NULL);
	if (se->tun == NULL)
		conn_end(c, CR_INTERNAL, "out of memory");
}

static void
session_input(struct conn *c, const uint8_t *buf, size_t len, uint64_t now)
{
	struct session *se = session_of(c);
	session_audit_app_data(c);
	tunnel_input(se->tun, buf, len, now);
}

static void
session_lower_down(struct conn *c, enum close_reason r, const char *detail)
{
	struct session *se = session_of(c);
	if (se->tun != NULL)
		tunnel_lower_down(se->tun, r, detail);
	else
		conn_end(c, r, detail);
}

static uint64_t
session_deadline(struct conn *c)
{
	struct session *se = session_of(c);
	return se->tun != NULL ? tunnel_next_deadline(se->tun) : 0;
}

static void
session_tick(struct conn *c, uint64_t now)
{
	struct session *se = session_of(c);
	if (se->tun != NULL)
		tunnel_tick(se->tun, now);
}

static int
session_end_call(struct conn *c, int abort, enum close_reason r, const char *detail,
    uint64_t now)
{
	struct session *se = session_of(c);
	if (se->tun == NULL)
		return 0;
	if (abort)
		tunnel_abort(se->tun, r, detail, now);          /* CALL_ABORT */
	else
		tunnel_disconnect(se->tun, r, detail, now);     /* LCP Terminate, then CALL_DISCONNECT */
	return 1;
}

static void
session_closing(struct conn *c, enum close_reason r, const char *detail)
{
	struct session *se = session_of(c);
	if (se == NULL)
		return; /* closed before admission */
	tunnel_free(se->tun);
	se->tun = NULL;
	session_audit_close(c, r, detail);
	admission_release(c);
	if (se->reasm != NULL)
		hello_reasm_free(se->reasm);
	free(se->reasm);
	free(se->ch);
	free(se);
	c->c_user = NULL;
}

const struct conn_ops session_conn_ops = {
	.first_flight = session_first_flight,
	.tls_done     = session_tls_done,
	.established  = session_established,
	.input        = session_input,
	.lower_down   = session_lower_down,
	.deadline     = session_deadline,
	.tick         = session_tick,
	.end_call     = session_end_call,
	.closing      = session_closing,
};
