/*
 * netfault: network faults between client and gateway, Toxiproxy's set at the
 * tunnel's IP packets (docs/faults.md): latency (+ jitter), bandwidth, loss,
 * limit_data, timeout, reset_peer, each in a direction, for a share of the
 * connections or a range of client addresses, for a time.
 *
 * The list is the server's (struct netfaults, set by the control API and the
 * timeline); each tunnel keeps the faults that match it (struct nf_tunnel),
 * refreshed when the list's generation changes, and a queue per direction
 * for the packets it holds. No I/O and no clock: times come in as ms.
 */
#ifndef P2SGW_NETFAULT_H
#define P2SGW_NETFAULT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/scenario.h"

#define NF_MAX          32                /* faults at once */
#define NF_TUNNEL_MAX   8                 /* of them matching one tunnel */
#define NF_QUEUE_MAX    (1024 * 1024)     /* bytes held per tunnel and direction */

struct nf_entry {
	unsigned            id;
	struct sc_netfault  spec;
	uint64_t            start_ms, until_ms;  /* until 0: until removed */
	uint64_t            connections;         /* [mu] connections it acted on */
	uint64_t            packets;             /* [mu] packets it held or dropped */
};

struct netfaults {
	pthread_mutex_t mu;
	struct nf_entry e[NF_MAX];
	size_t          n;
	unsigned        next_id;
	atomic_uint     gen;          /* changes with the list */
};

void netfaults_init(struct netfaults *nf);
void netfaults_destroy(struct netfaults *nf);
/* Add a checked fault; *id set. -1 (err) when the list is full. */
int  netfaults_add(struct netfaults *nf, const struct sc_netfault *f, uint64_t now,
                   unsigned *id, char *err, size_t errlen);
/* 0, or -1 when there is no fault id. */
int  netfaults_remove(struct netfaults *nf, unsigned id);
/* How many were removed. */
size_t netfaults_clear(struct netfaults *nf);
/* A copy of the list (expired faults left out), at most cap entries. */
size_t netfaults_list(struct netfaults *nf, struct nf_entry *out, size_t cap, uint64_t now);

/* ---- per tunnel ------------------------------------------------------------ */

struct nf_match {
	unsigned           id;
	struct sc_netfault spec;
	uint64_t           since, until;  /* when it began acting here; its end (0: none) */
	uint64_t           bytes;         /* limit_data: bytes counted */
	bool               told;          /* the event for this connection is out */
};

struct nf_pkt {
	struct nf_pkt *next;
	uint64_t       at;                /* ms it may go on */
	size_t         len;
	uint8_t        data[];
};

struct nf_queue {
	struct nf_pkt *head, *tail;
	size_t         bytes;
	double         pace_next;         /* bandwidth: ms the next packet may start */
};

struct nf_tunnel {
	struct netfaults *nf;
	unsigned          gen;            /* of the list the matches come from; 0: never */
	uint64_t          conn_id;
	uint32_t          peer;           /* client address, host order */
	struct nf_match   m[NF_TUNNEL_MAX];
	size_t            n;
	struct nf_queue   q[2];           /* 0 up, 1 down */
	uint64_t          held[2], dropped[2];
	uint64_t          reset_at, close_at; /* 0: none */
	/* the transport's faults, for the connection to apply (nf_transport) */
	size_t            slice;          /* slicer: piece size, 0: none */
	uint32_t          slice_gap_ms, slow_close_ms;
	bool              transport_changed;
	char              why[160];       /* the fault that ends the connection */
	uint32_t          rng;            /* loss and jitter: xorshift, seeded per connection */
};

enum nf_verdict { NF_PASS, NF_HELD, NF_DROP };

/* Called when a fault first acts on this connection: an event. */
typedef void (*nf_tell_fn)(void *ctx, const struct nf_match *m);

void nf_tunnel_init(struct nf_tunnel *t, struct netfaults *nf, uint64_t conn_id, uint32_t peer);
void nf_tunnel_free(struct nf_tunnel *t);
/* A packet in direction dir (0 up, 1 down): go on now, held (copied, see
 * nf_release), or dropped. */
enum nf_verdict nf_packet(struct nf_tunnel *t, int dir, const uint8_t *pkt, size_t len,
                          uint64_t now, nf_tell_fn tell, void *ctx);
/* The next held packet of dir whose time has come, or NULL (caller frees). */
struct nf_pkt *nf_release(struct nf_tunnel *t, int dir, uint64_t now);
/* Read the list again if it changed (also done by nf_packet and nf_tick). */
void nf_refresh(struct nf_tunnel *t, uint64_t now);
/* Refresh the matches; when the connection must end: 1 close, 2 reset
 * (t->why says why), else 0. */
int nf_tick(struct nf_tunnel *t, uint64_t now, nf_tell_fn tell, void *ctx);
/* When the slicer or slow_close settings changed since the last call: 1,
 * with the matches that set them told (event); else 0. */
int nf_transport(struct nf_tunnel *t, nf_tell_fn tell, void *ctx);
/* The next time nf_tick or nf_release has something to do; 0: none. */
uint64_t nf_deadline(const struct nf_tunnel *t);

#endif
