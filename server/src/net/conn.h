/*
 * One client connection: owns its socket, events, TLS context and the
 * snapshot it started with. Every end goes through conn_close(), which emits
 * exactly one close event with a reason.
 */
#ifndef P2SGW_CONN_H
#define P2SGW_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>
#include <mbedtls/ssl.h>

#include "audit/audit.h"
#include "net/peers.h"
#include "tls/clienthello.h"
#include "tls/policy.h"
#include "util/reason.h"

#define CONN_MAGIC 0x434f4e4eu /* "CONN" */
#define CONN_READAHEAD 16384

struct server;
struct worker;

enum conn_state {
	CS_HELLO,       /* collecting the ClientHello for the gate */
	CS_HANDSHAKE,   /* mbedTLS handshake running */
	CS_ESTABLISHED, /* TLS up, reading the HTTP request */
	CS_STALLED,     /* refused with "stall": read and discard until the stall timeout */
	CS_DRAINING,    /* refused with FIN or alert: wait for the client to close */
};

struct conn {
	uint32_t              c_magic;
	uint64_t              c_id;
	int                   c_fd;
	enum conn_state       c_state;
	struct server        *c_srv;
	struct worker        *c_wrk;       /* the thread it lives on */
	struct tls_snapshot  *c_snap;
	struct event         *c_rd, *c_wr, *c_timer;
	char                  c_peer[64];
	struct timespec       c_start;
	uint64_t              c_bytes_in, c_bytes_out;

	/* first flight, kept until the handshake is done */
	uint8_t              *c_hello;
	size_t                c_hello_len, c_hello_cap, c_hello_off;
	size_t                c_hello_parsed; /* parse point of the last ch_parse */
	struct ch_info       *c_ch;

	/* refusal that is in progress (stall, drain) */
	enum close_reason     c_refused;
	struct sc_refusal     c_action;
	char                  c_why[512];

	mbedtls_ssl_context   c_ssl;
	int                   c_ssl_ready;
	int                   c_resumed;

	/* after the handshake */
	struct tunnel        *c_tun;       /* SSTP + PPP; NULL when refused at the session limit */
	struct evbuffer      *c_wbuf;      /* plaintext waiting for mbedtls_ssl_write */
	int                   c_batch;     /* input being processed: gather output, flush after */
	uint8_t              *c_ra;        /* TLS bytes read ahead: the worker's scratch, or a copy */
	size_t                c_ra_off, c_ra_len;
	size_t                c_wlen;      /* length of a write to retry after WANT_WRITE */
	struct event         *c_kill;      /* deferred close, so cores can end a connection */
	int                   c_ending, c_close_scheduled, c_lower_down;
	enum close_reason     c_end_reason;
	char                  c_end_detail[256];
	int                   c_counted;   /* counts towards the SSTP session limit */
	struct audit_ref      c_audit;     /* its client in the audit (audit/audit.h) */

	uint8_t               c_peer_key[PEER_KEY_LEN];
	unsigned              c_peer_count; /* connections from its address, itself included; 0: not counted */
	int                   c_half;       /* on the worker's half-open lists: 1 hello, 2 handshake */

	TAILQ_ENTRY(conn)     c_entry;
	TAILQ_ENTRY(conn)     c_half_entry;
};

/* Take over an accepted socket on worker w. Returns NULL (and closes fd) on failure. */
struct conn *conn_new(struct worker *w, int fd, const char *peer,
                      const uint8_t peer_key[PEER_KEY_LEN]);
/* Queue bytes for the TLS stream. Written at once, or, while the connection
 * processes input, together with the other answers once it is done. */
void conn_write(struct conn *c, const uint8_t *buf, size_t len);
/* End after the queued output is written; safe inside protocol callbacks. */
void conn_end(struct conn *c, enum close_reason reason, const char *detail);
int  conn_is_ending(const struct conn *c);
/* The gateway stops: end the SSTP call properly (LCP Terminate, CALL_DISCONNECT)
 * or close what has no call yet. */
void conn_shutdown(struct conn *c);
/* The same with the reason to report (control API: DELETE /sessions/ID). */
void conn_disconnect(struct conn *c, enum close_reason reason, const char *detail);
/* End the SSTP call with CALL_ABORT (or close what has no call yet). */
void conn_abort(struct conn *c, enum close_reason reason, const char *detail);
/* TCP RST now (SO_LINGER 0) and close; c is freed. */
void conn_reset(struct conn *c, enum close_reason reason, const char *detail);
/* "hello", "handshake", "established", "stalled", "draining" */
const char *conn_state_name(enum conn_state st);
/* Milliseconds since accept. */
uint64_t    conn_age_ms(const struct conn *c);
/* The PPP network layer is up (for the client audit). */
void conn_audit_tunnel_up(struct conn *c);
/* The one close path. detail may be NULL. */
void conn_close(struct conn *c, enum close_reason reason, const char *detail);

#endif
