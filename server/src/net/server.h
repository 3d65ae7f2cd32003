/* The gateway process: event loop, listener, signals, snapshot swaps. */
#ifndef P2SGW_SERVER_H
#define P2SGW_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
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
struct mailbox;
struct peers;
struct worker;

struct server_options {
	const char       *scenario;     /* name or file */
	const char       *listen;       /* ADDR:PORT */
	const char       *control;      /* ADDR:PORT */
	const char       *state_dir;
	const char       *token;        /* control API bearer token or NULL */
	enum evlog_format log_format;
	unsigned          workers;      /* worker threads, >= 1 */
};

/*
 * The process. The main thread owns the event base here (control API,
 * signals, timeline, CRL server, TUN device) and is the only writer of the
 * snapshot pointer; connections live on the workers (net/worker.h). Fields
 * marked [mu] are shared with the workers under s_mu; [atomic] ones are
 * counters any thread updates; the rest belong to the main thread.
 */
struct server {
	struct event_base     *s_base;
	struct mailbox        *s_mail;     /* jobs for the main thread */
	struct server_options  s_opt;
	char                   s_scenario_path[512];
	pthread_mutex_t        s_mu;
	pthread_cond_t         s_start_cv; /* a worker started (worker.c) */
	struct tls_snapshot   *s_snap;     /* [mu] current; connections hold their own ref */
	struct worker        **s_workers;
	unsigned               s_nworkers;
	unsigned               s_workers_done;
	_Atomic uint64_t       s_next_id;
	_Atomic unsigned       s_nconns;         /* TCP connections open */
	_Atomic unsigned       s_half_open;      /* ... of them without a finished handshake */
	_Atomic unsigned       s_sstp_sessions;  /* tunnels open (the SKU limit counts these) */
	_Atomic uint64_t       s_accepted, s_refused;
	_Atomic uint64_t       s_closes[CR__COUNT]; /* close events by reason (metrics) */
	struct peers          *s_peers;          /* [mu] connections per client address */
	struct addr_pool      *s_pool;           /* [mu] client address pool of the current scenario */
	_Atomic uint64_t       s_tb_rate;        /* throughput cap in bytes/s; 0: none */
	double                 s_tb_tokens;      /* [mu] throughput token bucket, bytes */
	uint64_t               s_tb_last;        /* [mu] ms of the last refill */
	int                    s_stopping;
	int                    s_tun_fd;         /* -1 unless network.backend is tun */
	struct crl_server     *s_crl;            /* CRL distribution point, once a scenario needs one */
	struct event          *s_tun_ev;
	/* faults injected through the control API (POST /faults) */
	unsigned               s_fault_refuse_next;  /* [mu] refuse this many more handshakes */
	struct sc_refusal      s_fault_action;       /* [mu] ... this way */
	_Atomic uint64_t       s_maint_until;        /* now_ms() end of a maintenance window; 0: none */
	struct audit          *s_audit;  /* client audit (locks itself), owned by the control API */
	struct timeline       *s_timeline;           /* scenario timeline timers (net/timeline.c) */
};

/* Run until SIGTERM/SIGINT. Returns the process exit code. */
int server_run(const struct server_options *opt);

/* Build a snapshot from sc and make it current for new connections;
 * emits an event of this type. 0, or -1 with err (current policy kept). */
int server_apply(struct server *s, struct scenario *sc, const char *type,
                 char *err, size_t errlen);
/* Take the CRL distribution point offline (timeline crl-offline): its
 * address stays bound, connections to it are refused. */
void server_crl_offline(struct server *s);

/* A reference to the current snapshot (any thread). */
struct tls_snapshot *server_snapshot(struct server *s);
/* A reference to the current client address pool, or NULL if it could not
 * be built (any thread; pool_unref when done). */
struct addr_pool *server_pool(struct server *s);
/* TUN backend: fd to write client packets to, or -1 (embedded responder). */
int server_tun_fd(struct server *s);
/* Aggregate throughput cap: 1 if `bytes` may pass now, 0 to drop. */
int server_throughput_take(struct server *s, size_t bytes, uint64_t now);

/* Fault injection, used by conn.c after the gate: 1 (and *g turned into a
 * CR_FAULT_INJECTED refusal) while refuse_next is not used up. */
int server_fault_gate(struct server *s, struct gate_result *g);

/* Run fn(c, arg) for every connection, on each connection's own worker
 * thread, and wait until all ran (main thread only; fn may end c). */
void server_foreach_conn(struct server *s, void (*fn)(struct conn *c, void *arg), void *arg);
/* A maintenance window of ms: new connections are reset and every call is
 * ended (conn_disconnect with detail). Returns how many were ended. */
unsigned server_maintenance(struct server *s, uint32_t ms, const char *detail);
/* A worker thread has ended (called on that thread). */
void server_worker_done(struct server *s);

/* Split "ADDR:PORT" / "[v6]:PORT" into a sockaddr. 0 or -1 with err. */
int parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                   char *err, size_t errlen);

#endif
