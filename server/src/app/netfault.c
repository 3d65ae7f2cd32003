/*
 * netfault: the list of network faults and their effect on one tunnel
 * (app/netfault.h).
 */
#include "app/netfault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xtime.h"

/* ---- the list ------------------------------------------------------------ */

void
netfaults_init(struct netfaults *nf)
{
	memset(nf, 0, sizeof(*nf));
	pthread_mutex_init(&nf->mu, NULL);
	nf->next_id = 1;
	atomic_store(&nf->gen, 1);
}

void
netfaults_destroy(struct netfaults *nf)
{
	pthread_mutex_destroy(&nf->mu);
}

static void
bump(struct netfaults *nf)
{
	unsigned g = atomic_load(&nf->gen) + 1;
	atomic_store(&nf->gen, g == 0 ? 1 : g); /* 0 means "never read" to a tunnel */
}

/* Drop what has run its time; [mu] held. */
static void
expire(struct netfaults *nf, uint64_t now)
{
	size_t k = 0;
	for (size_t i = 0; i < nf->n; i++)
		if (nf->e[i].until_ms == 0 || nf->e[i].until_ms > now)
			nf->e[k++] = nf->e[i];
	if (k != nf->n) {
		nf->n = k;
		bump(nf);
	}
}

int
netfaults_add(struct netfaults *nf, const struct sc_netfault *f, uint64_t now, unsigned *id,
    char *err, size_t errlen)
{
	pthread_mutex_lock(&nf->mu);
	expire(nf, now);
	if (nf->n == NF_MAX) {
		pthread_mutex_unlock(&nf->mu);
		snprintf(err, errlen, "%d network faults are in force: remove one first", NF_MAX);
		return -1;
	}
	struct nf_entry *e = &nf->e[nf->n++];
	memset(e, 0, sizeof(*e));
	e->id = *id = nf->next_id++;
	e->spec = *f;
	e->start_ms = now;
	e->until_ms = f->duration_ms ? now + f->duration_ms : 0;
	bump(nf);
	pthread_mutex_unlock(&nf->mu);
	return 0;
}

int
netfaults_remove(struct netfaults *nf, unsigned id)
{
	int rc = -1;
	pthread_mutex_lock(&nf->mu);
	for (size_t i = 0; i < nf->n; i++) {
		if (nf->e[i].id != id)
			continue;
		memmove(&nf->e[i], &nf->e[i + 1], (nf->n - i - 1) * sizeof(nf->e[0]));
		nf->n--;
		bump(nf);
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&nf->mu);
	return rc;
}

size_t
netfaults_clear(struct netfaults *nf)
{
	pthread_mutex_lock(&nf->mu);
	size_t n = nf->n;
	nf->n = 0;
	bump(nf);
	pthread_mutex_unlock(&nf->mu);
	return n;
}

size_t
netfaults_list(struct netfaults *nf, struct nf_entry *out, size_t cap, uint64_t now)
{
	pthread_mutex_lock(&nf->mu);
	expire(nf, now);
	size_t n = nf->n < cap ? nf->n : cap;
	memcpy(out, nf->e, n * sizeof(out[0]));
	pthread_mutex_unlock(&nf->mu);
	return n;
}

/* ---- one tunnel ------------------------------------------------------------ */

void
nf_tunnel_init(struct nf_tunnel *t, struct netfaults *nf, uint64_t conn_id, uint32_t peer)
{
	memset(t, 0, sizeof(*t));
	t->nf = nf;
	t->conn_id = conn_id;
	t->peer = peer;
	t->rng = (uint32_t)(conn_id * 2654435761u) | 1u;
}

void
nf_tunnel_free(struct nf_tunnel *t)
{
	for (int d = 0; d < 2; d++) {
		while (t->q[d].head != NULL) {
			struct nf_pkt *p = t->q[d].head;
			t->q[d].head = p->next;
			free(p);
		}
		t->q[d].tail = NULL;
		t->q[d].bytes = 0;
	}
}

static uint32_t
rnd(struct nf_tunnel *t)
{
	uint32_t x = t->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return t->rng = x;
}

/* Does fault e apply to this connection? The share is a stable draw per
 * connection and fault. */
static bool
applies(const struct nf_tunnel *t, const struct nf_entry *e)
{
	const struct sc_netfault *f = &e->spec;
	if (f->has_clients && (t->peer & f->mask) != f->net)
		return false;
	uint64_t h = (t->conn_id + 1) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)e->id * 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 31;
	return (unsigned)(h % 100) < f->share;
}

/* Take the list's faults that match, keeping what the old ones counted. */
static void
refresh(struct nf_tunnel *t, uint64_t now)
{
	unsigned g = atomic_load(&t->nf->gen);
	if (g == t->gen)
		return;
	struct nf_match old[NF_TUNNEL_MAX];
	size_t nold = t->n;
	memcpy(old, t->m, sizeof(old));
	t->n = 0;
	pthread_mutex_lock(&t->nf->mu);
	expire(t->nf, now);
	g = atomic_load(&t->nf->gen);
	for (size_t i = 0; i < t->nf->n && t->n < NF_TUNNEL_MAX; i++) {
		const struct nf_entry *e = &t->nf->e[i];
		if (!applies(t, e))
			continue;
		struct nf_match *m = &t->m[t->n++];
		memset(m, 0, sizeof(*m));
		m->id = e->id;
		m->spec = e->spec;
		m->since = now;
		m->until = e->until_ms;
		for (size_t k = 0; k < nold; k++)
			if (old[k].id == e->id) {
				*m = old[k];
				break;
			}
	}
	pthread_mutex_unlock(&t->nf->mu);
	t->gen = g;
	/* what the matches decide about the connection's end and its transport */
	size_t slice = 0;
	uint32_t gap = 0, slow = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct sc_netfault *f = &t->m[i].spec;
		if (f->type == SC_NF_SLICER && slice == 0) {
			slice = (size_t)f->bytes;
			gap = f->gap_ms;
		} else if (f->type == SC_NF_SLOW_CLOSE && slow == 0) {
			slow = f->after_ms;
		}
	}
	if (slice != t->slice || gap != t->slice_gap_ms || slow != t->slow_close_ms) {
		t->slice = slice;
		t->slice_gap_ms = gap;
		t->slow_close_ms = slow;
		t->transport_changed = true;
	}
	t->reset_at = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct nf_match *m = &t->m[i];
		if (m->spec.type == SC_NF_RESET_PEER && t->reset_at == 0) {
			t->reset_at = m->since + m->spec.after_ms;
			snprintf(t->why, sizeof(t->why), "network fault %u (reset_peer)", m->id);
		}
	}
}

void
nf_refresh(struct nf_tunnel *t, uint64_t now)
{
	refresh(t, now);
}

/* Count an action of m on this connection; the first one is told. */
static void
acted(struct nf_tunnel *t, struct nf_match *m, nf_tell_fn tell, void *ctx)
{
	pthread_mutex_lock(&t->nf->mu);
	for (size_t i = 0; i < t->nf->n; i++)
		if (t->nf->e[i].id == m->id) {
			t->nf->e[i].packets++;
			if (!m->told)
				t->nf->e[i].connections++;
			break;
		}
	pthread_mutex_unlock(&t->nf->mu);
	if (!m->told) {
		m->told = true;
		if (tell != NULL)
			tell(ctx, m);
	}
}

enum nf_verdict
nf_packet(struct nf_tunnel *t, int dir, const uint8_t *pkt, size_t len, uint64_t now,
    nf_tell_fn tell, void *ctx)
{
	unsigned bit = dir == 0 ? SC_NF_UP : SC_NF_DOWN;
	struct nf_queue *q = &t->q[dir];
	double at = (double)now;
	bool hold = false;

	refresh(t, now);
	for (size_t i = 0; i < t->n; i++) {
		struct nf_match *m = &t->m[i];
		const struct sc_netfault *f = &m->spec;
		if (!(f->dir & bit) || (m->until != 0 && now >= m->until))
			continue;
		switch (f->type) {
		case SC_NF_TIMEOUT:
			if (f->after_ms != 0 && t->close_at == 0) {
				t->close_at = m->since + f->after_ms;
				snprintf(t->why, sizeof(t->why), "network fault %u (timeout after %u ms)",
				    m->id, f->after_ms);
			}
			acted(t, m, tell, ctx);
			t->dropped[dir]++;
			return NF_DROP;
		case SC_NF_LOSS:
			if (rnd(t) % 100 < f->percent) {
				acted(t, m, tell, ctx);
				t->dropped[dir]++;
				return NF_DROP;
			}
			break;
		case SC_NF_LIMIT_DATA:
			m->bytes += len;
			if (m->bytes > f->bytes) {
				if (t->close_at == 0) {
					t->close_at = now;
					snprintf(t->why, sizeof(t->why),
					    "network fault %u (limit_data: %llu bytes)", m->id,
					    (unsigned long long)f->bytes);
				}
				acted(t, m, tell, ctx);
				t->dropped[dir]++;
				return NF_DROP;
			}
			break;
		case SC_NF_LATENCY: {
			int64_t j = f->jitter_ms ? (int64_t)(rnd(t) % (2 * f->jitter_ms + 1)) -
			    (int64_t)f->jitter_ms : 0;
			at += (double)((int64_t)f->latency_ms + j);
			acted(t, m, tell, ctx);
			hold = true;
			break;
		}
		case SC_NF_BANDWIDTH: {
			double start = q->pace_next > at ? q->pace_next : at;
			q->pace_next = start + (double)len * 1000.0 / (double)f->rate;
			if (start > (double)now) {
				at = start;
				acted(t, m, tell, ctx);
				hold = true;
			}
			break;
		}
		case SC_NF_RESET_PEER:
		case SC_NF_SLICER:
		case SC_NF_SLOW_CLOSE:
		case SC_NF__COUNT:
			break;
		}
	}
	if (!hold && q->head == NULL)
		return NF_PASS;
	/* held, or behind held ones: order is kept */
	if (q->tail != NULL && at < (double)q->tail->at)
		at = (double)q->tail->at;
	if (q->bytes + len > NF_QUEUE_MAX) {
		t->dropped[dir]++;
		return NF_DROP;
	}
	struct nf_pkt *p = malloc(sizeof(*p) + len);
	if (p == NULL) {
		t->dropped[dir]++;
		return NF_DROP;
	}
	p->next = NULL;
	p->at = (uint64_t)(at + 0.999);
	p->len = len;
	memcpy(p->data, pkt, len);
	if (q->tail != NULL)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->bytes += len;
	t->held[dir]++;
	return NF_HELD;
}

struct nf_pkt *
nf_release(struct nf_tunnel *t, int dir, uint64_t now)
{
	struct nf_queue *q = &t->q[dir];
	struct nf_pkt *p = q->head;
	if (p == NULL || p->at > now)
		return NULL;
	q->head = p->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->bytes -= p->len;
	p->next = NULL;
	return p;
}

int
nf_tick(struct nf_tunnel *t, uint64_t now, nf_tell_fn tell, void *ctx)
{
	refresh(t, now);
	if (t->reset_at != 0 && now >= t->reset_at) {
		for (size_t i = 0; i < t->n; i++)
			if (t->m[i].spec.type == SC_NF_RESET_PEER)
				acted(t, &t->m[i], tell, ctx);
		return 2;
	}
	if (t->close_at != 0 && now >= t->close_at)
		return 1;
	return 0;
}

int
nf_transport(struct nf_tunnel *t, nf_tell_fn tell, void *ctx)
{
	if (!t->transport_changed)
		return 0;
	t->transport_changed = false;
	for (size_t i = 0; i < t->n; i++)
		if (t->m[i].spec.type == SC_NF_SLICER || t->m[i].spec.type == SC_NF_SLOW_CLOSE)
			acted(t, &t->m[i], tell, ctx);
	return 1;
}


uint64_t
nf_deadline(const struct nf_tunnel *t)
{
	uint64_t d = deadline_min(t->reset_at, t->close_at);
	for (int i = 0; i < 2; i++)
		if (t->q[i].head != NULL)
			d = deadline_min(d, t->q[i].head->at);
	for (size_t i = 0; i < t->n; i++)
		d = deadline_min(d, t->m[i].until);
	return d;
}
