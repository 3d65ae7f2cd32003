/*
 * shaper: the gateway's throughput cap, as a rate and not a loss generator.
 *
 * Each direction (client to gateway "up", gateway to client "down") gets the
 * cap (sstp.throughput: all tunnels together) and, optionally, a cap per
 * tunnel (sstp.throughput_per_tunnel). The aggregate is shared fairly: each
 * tunnel that has traffic in a direction refills its own token bucket at
 * cap / (tunnels active in that direction), so N busy tunnels get a 1/N
 * share each and together the cap.
 *
 * Excess waits instead of being dropped:
 *  - up: the tunnel stops reading from its socket as soon as a packet must
 *    wait (TCP's window then slows the client); the packets of the record
 *    already read wait in the tunnel's queue and go on as the budget comes,
 *    and reading starts again when they have (the principle of libevent's
 *    rate limits: read while the budget lasts);
 *  - down: packets beyond the budget wait in a queue of SHAPER_QUEUE_MAX
 *    bytes per tunnel, sent as tokens come; a packet that does not fit is
 *    dropped and counted (a router's tail drop). While the queue is over
 *    half full the tunnel also stops reading: answers are made from what
 *    it reads, so this is the back pressure of the embedded responder.
 *
 * No I/O, no clock: the caller passes the time in ms. The group's counters
 * are atomics, shared by the tunnels of every worker thread.
 */
#ifndef P2SGW_SHAPER_H
#define P2SGW_SHAPER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHAPER_QUEUE_MAX  (256 * 1024) /* bytes waiting per tunnel and direction */
#define SHAPER_ACTIVE_MS  300          /* a direction idle this long stops counting */

enum shaper_dir { SH_UP = 0, SH_DOWN = 1 };

/* Server-wide: who is active, and the figures /metrics shows. */
struct shaper_group {
	atomic_uint      active[2];       /* tunnels with traffic in each direction */
	atomic_uint_least64_t bytes[2];         /* shaped bytes (IP packets), per direction */
	atomic_uint_least64_t throttled_ms[2];  /* time tunnels spent held back, summed */
	atomic_uint_least64_t queued_bytes;     /* downlink bytes waiting now, all tunnels */
	atomic_uint_least64_t queue_drops;      /* downlink packets dropped, queue full */
};

struct shaper_pkt {
	struct shaper_pkt *next;
	size_t             len;
	uint8_t            data[];
};

struct shaper_side {
	double   tokens;          /* bytes; negative: debt */
	uint64_t last;            /* ms of the last refill; 0: never */
	uint64_t active_until;    /* ms */
	bool     active;          /* counted in the group */
	uint64_t held_since;      /* ms the tunnel was held back from; 0: not held */
};

struct shaper_queue {
	struct shaper_pkt *head, *tail;
	size_t             bytes;
};

struct shaper {
	struct shaper_group *g;
	uint64_t             rate, tunnel_rate; /* bytes/s per direction; 0: none */
	struct shaper_side   s[2];
	struct shaper_queue  q[2];          /* packets waiting for their budget */
	bool                 up_paused;     /* the tunnel should not read */
	uint64_t             bytes[2], held_ms[2], drops; /* this tunnel's figures */
};

enum shaper_verdict { SHAPER_SEND, SHAPER_QUEUED, SHAPER_DROPPED };

void shaper_init(struct shaper *sh, struct shaper_group *g, uint64_t rate, uint64_t tunnel_rate);
/* Leave the group (active counts, queued bytes) and free the queue. */
void shaper_free(struct shaper *sh, uint64_t now);
/* Any cap at all? Without one every call below is a pass-through. */
bool shaper_on(const struct shaper *sh);

/* A packet in direction d (SH_UP: from the client, SH_DOWN: for it): it
 * goes on now (charged), or was queued (copied) or dropped. Afterwards
 * sh->up_paused says whether the tunnel must stop reading. */
enum shaper_verdict shaper_pass(struct shaper *sh, int d, const uint8_t *pkt, size_t n,
                                uint64_t now);
/* The next queued packet of d whose time has come, or NULL; the caller
 * passes it on and frees it. */
struct shaper_pkt *shaper_dequeue(struct shaper *sh, int d, uint64_t now);
/* Refill, expire idle directions; true when a paused tunnel may read again
 * (up_paused is then cleared). */
bool shaper_tick(struct shaper *sh, uint64_t now);
/* When shaper_tick or shaper_dequeue next has something to do; 0: nothing. */
uint64_t shaper_deadline(const struct shaper *sh, uint64_t now);

#endif
