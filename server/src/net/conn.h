/*
 * One client connection: owns its socket, its events, its TLS transport and
 * the snapshot it started with. It reads the first flight for the
 * application's gate, carries out a refusal (reset, FIN, alert, stall),
 * drives the handshake, then moves application bytes both ways. What the
 * bytes mean is the application's: it is called through struct conn_ops
 * and keeps its own state in c_user.
 *
 * Every end goes through conn_close(), which emits exactly one close event
 * with the reason it was given.
 */
#ifndef P2SGW_NET_CONN_H
#define P2SGW_NET_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "config/snapshot.h"
#include "net/peers.h"
#include "net/tls_conn.h"
#include "tls/policy.h"
#include "util/reason.h"
#include "util/xtime.h"

#define CONN_MAGIC 0x434f4e4eu /* "CONN" */

struct net;
struct worker;
struct conn;

enum conn_state {
	CS_HELLO,       /* collecting the first flight for the gate */
	CS_HANDSHAKE,   /* TLS handshake running */
	CS_ESTABLISHED, /* TLS up: application data */
	CS_STALLED,     /* refused with "stall": read and discard until the stall timeout */
	CS_DRAINING,    /* refused with FIN or alert: wait for the client to close */
};

/* The application's side of a connection (app/session.c fills it in). */
struct conn_ops {
	/* More of the first flight arrived: buf holds the bytes new since the
	 * last call (valid during the call only; the application keeps what
	 * it needs). Answer with conn_refuse() or conn_start_tls(), or return
	 * to wait for more. */
	void     (*first_flight)(struct conn *c, const uint8_t *buf, size_t len);
	/* The handshake ended: failed is NULL when it succeeded. */
	void     (*tls_done)(struct conn *c, const struct tls_end *failed);
	/* TLS is up: start the application (it may conn_end). */
	void     (*established)(struct conn *c);
	/* Application bytes from the client. */
	void     (*input)(struct conn *c, const uint8_t *buf, size_t len, uint64_t now);
	/* The TLS stream ended under the application. */
	void     (*lower_down)(struct conn *c, enum close_reason r, const char *detail);
	/* The application's next deadline in now_ms() time (0: none), and its timer. */
	uint64_t (*deadline)(struct conn *c);
	void     (*tick)(struct conn *c, uint64_t now);
	/* End the application's call: gracefully, or with an abort. 1 when it
	 * has a call to end (the connection ends after it), 0 when not. */
	int      (*end_call)(struct conn *c, int abort, enum close_reason r, const char *detail,
	                     uint64_t now);
	/* Just before the close event: release what the application holds. */
	void     (*closing)(struct conn *c, enum close_reason r, const char *detail);
};

struct conn {
	uint32_t              c_magic;
	uint64_t              c_id;
	int                   c_fd;
	enum conn_state       c_state;
	struct net           *c_net;
	struct worker        *c_wrk;       /* the thread it lives on */
	const struct conn_ops *c_ops;
	void                 *c_user;      /* the application's state */
	struct snapshot      *c_snap;
	struct event         *c_rd, *c_wr, *c_timer;
	char                  c_peer[64];
	struct timespec       c_start;
	uint64_t              c_bytes_in, c_bytes_out;

	/* the first bytes, for the record version of a refusal's alert */
	uint8_t               c_head[3];
	uint8_t               c_head_len;

	/* refusal in progress (stall, drain) or done */
	enum close_reason     c_refused;
	struct tls_refusal    c_action;
	char                 *c_why;       /* refused: the gate's words (owned) */

	struct tls_conn       c_tls;
	int                   c_tls_up;    /* c_tls is set up */

	/* after the handshake */
	struct evbuffer      *c_wbuf;      /* plaintext waiting for the TLS write */
	int                   c_batch;     /* input being processed: gather output, flush after */
	size_t                c_wlen;      /* length of a write to retry after WANT_WRITE */
	struct event         *c_kill;      /* deferred close, so cores can end a connection */
	int                   c_ending, c_close_scheduled, c_lower_down;
	int                   c_read_paused; /* the application holds its input back */
	uint32_t              c_slice_gap_ms; /* slicer: pause between pieces */
	struct event         *c_slice_ev;    /* slicer: the end of a pause */
	uint32_t              c_slow_close_ms; /* the socket is closed this long after the end */
	enum close_reason     c_end_reason;
	char                  c_end_detail[256];

	uint8_t               c_peer_key[PEER_KEY_LEN];
	unsigned              c_peer_count; /* connections from its address, itself included; 0: not counted */
	int                   c_half;       /* on the worker's half-open lists: 1 hello, 2 handshake */
	unsigned              c_alt;        /* its chain: 0 main, k the snapshot's alts[k - 1] */
	unsigned              c_listener;   /* accepted on: 0 --listen, k sc.listeners[k - 1] */

	TAILQ_ENTRY(conn)     c_entry;
	TAILQ_ENTRY(conn)     c_half_entry;
};

/* Take over a socket accepted on worker w's listener (0: --listen, k: the
 * scenario's listeners[k - 1]). Returns NULL (and closes fd) on failure. */
struct conn *conn_new(struct worker *w, unsigned listener, int fd, const char *peer,
                      const uint8_t peer_key[PEER_KEY_LEN]);

/* The gate's answers to first_flight. */
void conn_refuse(struct conn *c, enum close_reason reason, const struct tls_refusal *action,
                 const char *why);
/* Start TLS: the engine reads pre[0..pre_len) (malloc'ed; the connection
 * takes it) before the socket. */
/* alt: serve the snapshot's main chain (0) or another (snapshot_alt_for,
 * snapshot_overlap_pick). */
void conn_start_tls(struct conn *c, uint8_t *pre, size_t pre_len, unsigned alt);
/* The peer's IPv4 address in host order; 0 for IPv6. */
uint32_t conn_peer_ipv4(const struct conn *c);
/* The chain profile this connection serves (or will). */
const char *conn_chain(const struct conn *c);
/* The name of the scenario listener c came in on; NULL for --listen. */
const char *conn_listener_name(const struct conn *c);

/* Queue bytes for the TLS stream. Written at once, or, while the connection
 * processes input, together with the other answers once it is done. */
void conn_write(struct conn *c, const uint8_t *buf, size_t len);
/* End after the queued output is written; safe inside protocol callbacks.
 * lower_down: the TLS stream is gone (nothing more can be written). */
void conn_end(struct conn *c, enum close_reason reason, const char *detail);
void conn_lower_down(struct conn *c);
/* Network faults of the transport (docs/faults.md): cut what is sent into
 * records and writes of at most bytes, gap_ms apart (bytes 0: off); close
 * the socket delay_ms after the connection ends (0: at once). */
void conn_set_slicer(struct conn *c, size_t bytes, uint32_t gap_ms);
void conn_set_slow_close(struct conn *c, uint32_t delay_ms);
/* Stop reading from the client (on 1), or read again (0), also what the
 * TLS layer already holds: the throughput cap waits instead of dropping. */
void conn_pause_read(struct conn *c, int on);
int  conn_is_ending(const struct conn *c);
/* End the call properly (LCP Terminate, CALL_DISCONNECT), or close what has
 * no call yet, reporting reason (gateway stop: CR_SHUTDOWN). */
void conn_disconnect(struct conn *c, enum close_reason reason, const char *detail);
/* End the call with CALL_ABORT (or close what has no call yet). */
void conn_abort(struct conn *c, enum close_reason reason, const char *detail);
/* End with a TCP RST (no close_notify) once the current callback is done;
 * safe inside protocol callbacks. */
void conn_end_reset(struct conn *c, enum close_reason reason, const char *detail);
/* TCP RST now (SO_LINGER 0) and close; c is freed. */
void conn_reset(struct conn *c, enum close_reason reason, const char *detail);
/* Arm the timer for the application's next deadline (after it changed). */
void conn_rearm(struct conn *c, uint64_t now);
/* "hello", "handshake", "established", "stalled", "draining" */
const char *conn_state_name(enum conn_state st);
/* Milliseconds since accept. */
uint64_t    conn_age_ms(const struct conn *c);
/* The one close path. detail may be NULL. */
void conn_close(struct conn *c, enum close_reason reason, const char *detail);

#endif
