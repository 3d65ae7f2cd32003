/*
 * What the worker threads share, and the narrow way up to the application:
 * the current snapshot (for new connections), the per-address table,
 * counters, the workers, and the upcalls (struct net_ops) the application
 * layer fills in. net/ never includes app/: it calls up only through these.
 */
#ifndef P2SGW_NET_NET_H
#define P2SGW_NET_NET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "config/snapshot.h"
#include "util/reason.h"

struct conn;
struct conn_ops;
struct peers;
struct worker;

struct net_ops {
	const struct conn_ops *conn;  /* every connection's upcalls */
	/* Admission of a just-accepted connection (on its worker): 0 keeps it;
	 * -1 when the application refused it (it is closed then). */
	int  (*admit)(void *app, struct conn *c);
	/* A worker thread has ended (called on that thread). */
	void (*worker_done)(void *app);
};

struct net {
	pthread_mutex_t        mu;
	pthread_cond_t         start_cv;  /* a worker started */
	struct snapshot       *snap;      /* [mu] current; connections hold their own ref */
	struct peers          *peers;     /* [mu] connections per client address */
	struct worker        **workers;
	unsigned               nworkers;
	_Atomic uint64_t       next_id;
	_Atomic unsigned       nconns;    /* TCP connections open */
	_Atomic unsigned       half_open; /* ... of them without a finished handshake */
	_Atomic uint64_t       accepted, refused;
	_Atomic uint64_t       closes[CR__COUNT]; /* close events by reason */
	const struct net_ops  *ops;
	void                  *app;       /* the ops' argument */
};

/* 0, or -1 (out of memory). snap: the first snapshot (the net takes a ref). */
int  net_init(struct net *n, struct snapshot *snap, const struct net_ops *ops, void *app);
void net_destroy(struct net *n);
/* A reference to the current snapshot (any thread). */
struct snapshot *net_snapshot(struct net *n);
/* Make snap current for new connections (takes a reference). */
void net_set_snapshot(struct net *n, struct snapshot *snap);
/* Run fn(c, arg) for every connection, on each connection's own worker
 * thread, and wait until all ran (main thread only; fn may end c). */
void net_foreach_conn(struct net *n, void (*fn)(struct conn *c, void *arg), void *arg);

#endif
