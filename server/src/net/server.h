/* The gateway process: event loop, listener, signals, snapshot swaps. */
#ifndef P2SGW_SERVER_H
#define P2SGW_SERVER_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "config/scenario.h"
#include "net/conn.h"
#include "net/pool.h"
#include "tls/policy.h"
#include "util/evlog.h"

struct audit;

struct server_options {
	const char       *scenario;     /* name or file */
	const char       *listen;       /* ADDR:PORT */
	const char       *control;      /* ADDR:PORT */
	const char       *state_dir;
	const char       *token;        /* control API bearer token or NULL */
	enum evlog_format log_format;
};

struct server {
	struct event_base     *s_base;
	struct server_options  s_opt;
	char                   s_scenario_path[512];
	struct tls_snapshot   *s_snap;     /* current; connections hold their own ref */
	TAILQ_HEAD(, conn)     s_conns;
	unsigned               s_nconns;
	uint64_t               s_next_id;
	uint64_t               s_accepted, s_refused;
	unsigned               s_sstp_sessions;  /* tunnels open (the SKU limit counts these) */
	struct addr_pool      *s_pool;           /* client address pool of the current scenario */
	double                 s_tb_tokens;      /* throughput token bucket, bytes */
	uint64_t               s_tb_last;        /* ms of the last refill */
	int                    s_stopping;
	struct evconnlistener *s_listener;
	int                    s_tun_fd;         /* -1 unless network.backend is tun */
	struct crl_server     *s_crl;            /* CRL distribution point (revocation.crl ok/revoked) */
	struct event          *s_tun_ev;
	struct event          *s_stop_timer;     /* gives up waiting for calls to end */
	uint64_t               s_closes[CR__COUNT]; /* close events by reason (metrics) */
	/* faults injected through the control API (POST /faults) */
	unsigned               s_fault_refuse_next;  /* refuse this many more handshakes */
	struct sc_refusal      s_fault_action;       /* ... this way */
	uint64_t               s_maint_until;        /* now_ms() end of a maintenance window; 0: none */
	struct audit          *s_audit;  /* client audit, owned by the control API (NULL: off) */
	struct timeline       *s_timeline;           /* scenario timeline timers (net/timeline.c) */
};

/* Run until SIGTERM/SIGINT. Returns the process exit code. */
int server_run(const struct server_options *opt);

/* Build a snapshot from sc and make it current for new connections;
 * emits an event of this type. 0, or -1 with err (current policy kept). */
int server_apply(struct server *s, const struct scenario *sc, const char *type,
                 char *err, size_t errlen);

/* The current client address pool (may be NULL if it could not be built). */
struct addr_pool *server_pool(struct server *s);
/* TUN backend: fd to write client packets to, or -1 (embedded responder). */
int server_tun_fd(struct server *s);
/* Aggregate throughput cap: 1 if `bytes` may pass now, 0 to drop. */
int server_throughput_take(struct server *s, size_t bytes, uint64_t now);

/* Fault injection, used by conn.c after the gate: 1 (and *g turned into a
 * CR_FAULT_INJECTED refusal) while refuse_next is not used up. */
int server_fault_gate(struct server *s, struct gate_result *g);

/* Connection bookkeeping used by conn.c */
void server_conn_added(struct server *s, struct conn *c);
void server_conn_removed(struct server *s, struct conn *c);

/* Split "ADDR:PORT" / "[v6]:PORT" into a sockaddr. 0 or -1 with err. */
int parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                   char *err, size_t errlen);

#endif
