/*
 * The gateway's side of one connection (conn->c_user): what it knows of the
 * client beyond the socket -- the first flight the gate parsed, the client
 * audit entry, the SSTP + PPP tunnel -- and the struct conn_ops that net/
 * calls it through. The connection's snapshot (conn->c_snap) is the
 * session's to its end: pool, rates and policy all come from it.
 *
 *   app/session.c        conn_ops: TLS up, input, timers, the end
 *   app/hello_gate.c     first flight -> ClientHello gate -> accept or refuse
 *   app/admission.c      who may connect, and the SSTP session limit
 *   app/session_audit.c  what the client audit records of a connection
 */
#ifndef P2SGW_APP_SESSION_H
#define P2SGW_APP_SESSION_H

#include <stdint.h>

#include "app/audit.h"
#include "net/conn.h"
#include "tls/clienthello.h"
#include "tls/hello_reasm.h"

struct server;
struct tunnel;

struct session {
	struct server   *srv;
	struct tunnel   *tun;      /* SSTP + PPP; NULL before TLS, or when refused at the limit */
	struct ch_info  *ch;       /* the parsed first flight, until the handshake ends */
	struct hello_reasm *reasm; /* the first flight as it arrives, until the gate decides */
	struct audit_ref audit;    /* its client in the audit */
	int              counted;  /* counts towards the SSTP session limit */
};

extern const struct conn_ops session_conn_ops;

static inline struct session *
session_of(const struct conn *c)
{
	return c->c_user;
}

/* app/hello_gate.c: conn_ops.first_flight */
void session_first_flight(struct conn *c, const uint8_t *buf, size_t len);

/* app/admission.c */
/* net_ops.admit: maintenance window, connection cap, per-address cap;
 * attaches a session to c. 0, or -1 (c refused and closed). */
int  admission_admit(void *srv, struct conn *c);
/* TLS is up: may it hold an SSTP session? 0 yes (counted), 1 no, answer
 * with 503 (why says so), -1 no, the connection is ending. */
int  admission_sstp(struct conn *c, char *why, size_t whylen);
/* The session ends: its place under the limit is free. */
void admission_release(struct conn *c);

/* app/session_audit.c */
void session_audit_hello(struct conn *c, int accepted, const char *why);
void session_audit_tls(struct conn *c, const char *alert, const char *detail, int ok);
void session_audit_app_data(struct conn *c);
void session_audit_tunnel_up(struct conn *c);
void session_audit_close(struct conn *c, enum close_reason reason, const char *detail);

#endif
