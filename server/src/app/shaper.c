/*
 * shaper: token buckets per tunnel and direction with a fair share of the
 * aggregate cap (app/shaper.h).
 */
#include "app/shaper.h"

#include <stdlib.h>
#include <string.h>

#include "util/xtime.h"

/* A bucket holds at most BURST_MS of its rate, and never less than one
 * read of the TLS stream plus a packet, so a steady sender is not cut into
 * pieces smaller than what it can send at once. */
#define BURST_MS    20
#define BURST_MIN   (16384 + 1500)

void
shaper_init(struct shaper *sh, struct shaper_group *g, uint64_t rate, uint64_t tunnel_rate)
{
	memset(sh, 0, sizeof(*sh));
	sh->g = g;
	sh->rate = rate;
	sh->tunnel_rate = tunnel_rate;
}

bool
shaper_on(const struct shaper *sh)
{
	return sh->rate != 0 || sh->tunnel_rate != 0;
}

/* Bytes per ms this tunnel may use in direction d now. */
static double
share(const struct shaper *sh, int d)
{
	double r = 0;
	if (sh->rate != 0) {
		unsigned a = atomic_load(&sh->g->active[d]);
		r = (double)sh->rate / (a > 0 ? a : 1);
	}
	if (sh->tunnel_rate != 0 && (r == 0 || (double)sh->tunnel_rate < r))
		r = (double)sh->tunnel_rate;
	return r / 1000.0;
}

static void
refill(struct shaper *sh, int d, uint64_t now)
{
	struct shaper_side *s = &sh->s[d];
	double per_ms = share(sh, d);
	double burst = per_ms * BURST_MS;

	if (burst < BURST_MIN)
		burst = BURST_MIN;
	if (s->last == 0) {
		s->tokens = 0; /* a new tunnel starts with nothing saved up */
	} else if (now > s->last) {
		s->tokens += (double)(now - s->last) * per_ms;
		if (s->tokens > burst)
			s->tokens = burst;
	}
	s->last = now;
}

static void
activate(struct shaper *sh, int d, uint64_t now)
{
	struct shaper_side *s = &sh->s[d];
	if (!s->active) {
		s->active = true;
		atomic_fetch_add(&sh->g->active[d], 1);
	}
	s->active_until = now + SHAPER_ACTIVE_MS;
}

static void
hold(struct shaper *sh, int d, uint64_t now)
{
	if (sh->s[d].held_since == 0)
		sh->s[d].held_since = now ? now : 1;
}

static void
release(struct shaper *sh, int d, uint64_t now)
{
	struct shaper_side *s = &sh->s[d];
	if (s->held_since == 0)
		return;
	uint64_t ms = now > s->held_since ? now - s->held_since : 0;
	sh->held_ms[d] += ms;
	atomic_fetch_add(&sh->g->throttled_ms[d], ms);
	s->held_since = 0;
}

static void
charge(struct shaper *sh, int d, size_t n)
{
	sh->s[d].tokens -= (double)n;
	sh->bytes[d] += n;
	atomic_fetch_add_explicit(&sh->g->bytes[d], n, memory_order_relaxed);
}

/* Read again: nothing from the client waits, its bucket is out of debt,
 * and the answers are not piling up. */
static bool
up_may_read(const struct shaper *sh)
{
	return sh->q[SH_UP].head == NULL && sh->s[SH_UP].tokens >= 0 &&
	    sh->q[SH_DOWN].bytes <= SHAPER_QUEUE_MAX / 2;
}

static void
pause_up(struct shaper *sh, uint64_t now)
{
	if (!sh->up_paused) {
		sh->up_paused = true;
		hold(sh, SH_UP, now);
	}
}

enum shaper_verdict
shaper_pass(struct shaper *sh, int d, const uint8_t *pkt, size_t n, uint64_t now)
{
	struct shaper_queue *q = &sh->q[d];

	if (!shaper_on(sh)) {
		sh->bytes[d] += n;
		atomic_fetch_add_explicit(&sh->g->bytes[d], n, memory_order_relaxed);
		return SHAPER_SEND;
	}
	activate(sh, d, now);
	refill(sh, d, now);
	if (q->head == NULL && sh->s[d].tokens > 0) {
		charge(sh, d, n);
		if (d == SH_UP && !up_may_read(sh))
			pause_up(sh, now);
		return SHAPER_SEND;
	}
	if (q->bytes + n > SHAPER_QUEUE_MAX) {
		sh->drops++;
		atomic_fetch_add(&sh->g->queue_drops, 1);
		return SHAPER_DROPPED;
	}
	struct shaper_pkt *p = malloc(sizeof(*p) + n);
	if (p == NULL) {
		sh->drops++;
		atomic_fetch_add(&sh->g->queue_drops, 1);
		return SHAPER_DROPPED;
	}
	p->next = NULL;
	p->len = n;
	memcpy(p->data, pkt, n);
	if (q->tail != NULL)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->bytes += n;
	atomic_fetch_add(&sh->g->queued_bytes, n);
	if (d == SH_DOWN)
		hold(sh, SH_DOWN, now);
	if (!up_may_read(sh))
		pause_up(sh, now);
	return SHAPER_QUEUED;
}

struct shaper_pkt *
shaper_dequeue(struct shaper *sh, int d, uint64_t now)
{
	struct shaper_queue *q = &sh->q[d];
	struct shaper_pkt *p = q->head;
	if (p == NULL)
		return NULL;
	activate(sh, d, now);
	refill(sh, d, now);
	if (sh->s[d].tokens <= 0)
		return NULL;
	q->head = p->next;
	if (q->head == NULL) {
		q->tail = NULL;
		if (d == SH_DOWN)
			release(sh, SH_DOWN, now);
	}
	q->bytes -= p->len;
	atomic_fetch_sub(&sh->g->queued_bytes, p->len);
	charge(sh, d, p->len);
	p->next = NULL;
	return p;
}

bool
shaper_tick(struct shaper *sh, uint64_t now)
{
	if (!shaper_on(sh))
		return false;
	for (int d = 0; d < 2; d++) {
		struct shaper_side *s = &sh->s[d];
		bool waiting = d == SH_UP ? sh->up_paused : sh->q[SH_DOWN].head != NULL;
		if (s->last != 0)
			refill(sh, d, now);
		if (waiting)
			s->active_until = now + SHAPER_ACTIVE_MS;
		else if (s->active && now >= s->active_until) {
			s->active = false;
			atomic_fetch_sub(&sh->g->active[d], 1);
		}
	}
	if (sh->up_paused && up_may_read(sh)) {
		sh->up_paused = false;
		release(sh, SH_UP, now);
		return true;
	}
	return false;
}

/* When the bucket of direction d holds something again at the current share. */
static uint64_t
paid_at(const struct shaper *sh, int d, uint64_t now)
{
	const struct shaper_side *s = &sh->s[d];
	double per_ms = share(sh, d);
	/* a packet goes when the bucket holds more than nothing (tokens > 0):
	 * at 0 the answer is the next millisecond, not now, or the timer spins */
	if (s->tokens > 0 || per_ms <= 0)
		return now;
	uint64_t t = s->last + (uint64_t)(-s->tokens / per_ms) + 1;
	return t > now ? t : now;
}


uint64_t
shaper_deadline(const struct shaper *sh, uint64_t now)
{
	uint64_t t = 0;
	if (!shaper_on(sh))
		return 0;
	for (int d = 0; d < 2; d++)
		if (sh->q[d].head != NULL || (d == SH_UP && sh->up_paused && sh->s[d].tokens < 0))
			t = deadline_min(t, paid_at(sh, d, now));
	for (int d = 0; d < 2; d++)
		if (sh->s[d].active)
			t = deadline_min(t, sh->s[d].active_until);
	return t;
}

void
shaper_free(struct shaper *sh, uint64_t now)
{
	for (int d = 0; d < 2; d++) {
		release(sh, d, now);
		if (sh->s[d].active)
			atomic_fetch_sub(&sh->g->active[d], 1);
		sh->s[d].active = false;
	}
	for (int d = 0; d < 2; d++) {
		struct shaper_queue *q = &sh->q[d];
		while (q->head != NULL) {
			struct shaper_pkt *p = q->head;
			q->head = p->next;
			free(p);
		}
		if (q->bytes > 0)
			atomic_fetch_sub(&sh->g->queued_bytes, q->bytes);
		q->tail = NULL;
		q->bytes = 0;
	}
}
