/*
 * Workers: one thread per core, each with its own event base, its own
 * SO_REUSEPORT listening socket on the gateway's address, and the
 * connections the kernel handed to that socket. A connection lives and dies
 * on its worker's thread; other threads reach it only through the worker's
 * mailbox (net_foreach_conn).
 */
#ifndef P2SGW_WORKER_H
#define P2SGW_WORKER_H

#include <pthread.h>
#include <stddef.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "net/conn.h"

#define WORKER_MAGIC 0x574f524bu /* "WORK" */
#define WORKERS_MAX  64
#define WORKER_MAX_LISTENERS 8   /* --listen and the scenario's listeners */

struct mailbox;
struct net;

struct worker {
	uint32_t               w_magic;
	unsigned               w_index;
	struct net            *w_net;
	pthread_t              w_thread;
	int                    w_started;    /* the thread runs (or ran) */
	/* its listening sockets: [0] --listen, [k] the scenario's listeners[k - 1] */
	struct worker_listener {
		struct worker *wl_w;
		unsigned       wl_index;
		int            wl_fd;
		struct event  *wl_ev;        /* read event of wl_fd */
	}                      w_ls[WORKER_MAX_LISTENERS];
	unsigned               w_nls;
	struct event_base     *w_base;
	struct mailbox        *w_mail;
	struct event          *w_stop_timer;
	TAILQ_HEAD(, conn)     w_conns;
	/* half-open: no finished handshake yet, oldest first */
	TAILQ_HEAD(, conn)     w_hello;      /* no complete ClientHello (or refused and held) */
	TAILQ_HEAD(, conn)     w_hs;         /* mbedTLS handshake running */
	unsigned               w_nconns;
	unsigned               w_nhalf;      /* on w_hello or w_hs */
	unsigned               w_share;      /* its share of gateway.max_half_open */
	int                    w_paused;     /* not accepting: no room for a half-open one */
	struct event          *w_room_timer; /* while paused: when to look for room again */
	int                    w_stopping;
	uint64_t               w_accept_warned; /* now_ms() of the last accept warning */
	int                    w_ready;      /* start-up: 1 listening, -1 failed */
	char                   w_err[256];
};

/* The number of workers for "P2SGW_WORKERS" (NULL or empty: one per online
 * CPU, at most WORKERS_MAX). 0, or -1 with err. */
int  workers_count(const char *setting, unsigned *n, char *err, size_t errlen);
/* Listen on addrs[0..naddrs) with count workers; bound[k] gets the address
 * addrs[k] actually bound (each WORKER_ADDR_MAX). 0, or -1 with err
 * (nothing left running). */
#define WORKER_ADDR_MAX 64
int  workers_start(struct net *n, const char *const *addrs, unsigned naddrs, unsigned count,
                   char (*bound)[WORKER_ADDR_MAX], char *err, size_t errlen);
/* Stop accepting and end every call (now: without waiting for them). Each
 * worker tells the application when it is done (net_ops.worker_done). */
void workers_stop(struct net *n, int now);
/* Wait for every worker thread and free them. */
void workers_join(struct net *n);

/* Connection bookkeeping, on the worker's thread (conn.c). */
void worker_conn_added(struct worker *w, struct conn *c);
void worker_conn_handshaking(struct worker *w, struct conn *c);
void worker_conn_established(struct worker *w, struct conn *c);
void worker_conn_removed(struct worker *w, struct conn *c);

#endif
