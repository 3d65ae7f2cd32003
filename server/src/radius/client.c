/*
 * RADIUS request scheduler (RFC 5080 2.2.1 retransmission, RFC 2865 ids).
 *
 * A request goes to one server at a time. On that server it is sent, then
 * resent with identical bytes after RT (irt, then 2 RT, capped at mrt, each
 * +-10 %), at most mrc times, and only within the server's share of the
 * time left (mrd overall, split evenly over the servers still to try). Then
 * the server is dead for dead_time and the request moves to the next one
 * with a new identifier, Request Authenticator and Message-Authenticator.
 * Identifiers stay reserved on every server the request went to until the
 * request ends, and a late valid reply from an earlier server still counts.
 */
#include "radius/radius.h"
#include "util/rng.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define NO_SERVER  0xFFu
#define SLOT_ID    1 /* holds an id on that server */
#define SLOT_NO_ID 2 /* skipped: no id was free there */

struct slot {
	int     used;                   /* SLOT_ID: the request went to this server */
	uint8_t id;
	uint8_t auth[RADIUS_AUTH_LEN];
};

struct request {
	struct request   *next;
	void             *user;
	unsigned          server;       /* the current one */
	unsigned          retrans;      /* retransmissions to it */
	uint32_t          rt;           /* current retransmission timeout */
	uint64_t          server_end;   /* its share of the time ends */
	uint64_t          deadline;     /* mrd */
	uint64_t          due;          /* next timer */
	struct slot       slot[RADIUS_MAX_SERVERS];
	struct radius_pkt pkt;          /* as last sent */
};

struct server {
	uint8_t  secret[RADIUS_SECRET_MAX];
	size_t   secret_len;
	uint8_t  busy[32];              /* outstanding ids, one bit each */
	uint8_t  next_id;
	uint64_t dead_until;            /* 0: alive */
};

struct radius_client {
	struct radius_client_config cfg;
	struct radius_client_hooks  hooks;
	struct server               srv[RADIUS_MAX_SERVERS];
	struct request             *reqs;
};

void
radius_client_config_default(struct radius_client_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->irt_ms = 2000;
	cfg->mrc = 5;
	cfg->mrt_ms = 16000;
	cfg->mrd_ms = 30000;
	cfg->dead_time_ms = 60000;
}

struct radius_client *
radius_client_new(const struct radius_client_config *cfg, const struct radius_client_hooks *hooks)
{
	struct radius_client *cl;
	unsigned              i;

	if (cfg->nservers == 0 || cfg->nservers > RADIUS_MAX_SERVERS || cfg->irt_ms == 0 ||
	    cfg->mrt_ms < cfg->irt_ms || cfg->mrd_ms == 0 || hooks->send == NULL ||
	    hooks->done == NULL)
		return NULL;
	for (i = 0; i < cfg->nservers; i++)
		if (cfg->servers[i].secret == NULL || cfg->servers[i].secret_len == 0 ||
		    cfg->servers[i].secret_len > RADIUS_SECRET_MAX)
			return NULL;
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return NULL;
	cl->cfg = *cfg;
	cl->hooks = *hooks;
	for (i = 0; i < cfg->nservers; i++) {
		memcpy(cl->srv[i].secret, cfg->servers[i].secret, cfg->servers[i].secret_len);
		cl->srv[i].secret_len = cfg->servers[i].secret_len;
		cl->cfg.servers[i].secret = NULL; /* only the copy is used */
	}
	return cl;
}

static void
release_ids(struct radius_client *cl, struct request *r)
{
	unsigned i;

	for (i = 0; i < cl->cfg.nservers; i++)
		if (r->slot[i].used == SLOT_ID)
			cl->srv[i].busy[r->slot[i].id / 8] &= (uint8_t)~(1u << (r->slot[i].id % 8));
}

static void
free_request(struct radius_client *cl, struct request *r)
{
	release_ids(cl, r);
	memset(r, 0, sizeof(*r));
	free(r);
}

void
radius_client_free(struct radius_client *cl)
{
	struct request *r, *next;

	if (cl == NULL)
		return;
	for (r = cl->reqs; r != NULL; r = next) {
		next = r->next;
		free_request(cl, r);
	}
	memset(cl, 0, sizeof(*cl));
	free(cl);
}

static void
unlink_request(struct radius_client *cl, struct request *r)
{
	struct request **pp;

	for (pp = &cl->reqs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			return;
		}
}

static void
fill_random(struct radius_client *cl, uint8_t *out, size_t len)
{
	if (cl->hooks.random != NULL)
		cl->hooks.random(cl->hooks.ctx, out, len);
	else
		(void)rng_fill(rng_ctx(), out, len);
}

/* rt +- 10 % (RFC 5080: RAND uniform in -0.1..+0.1) */
static uint32_t
jitter(struct radius_client *cl, uint32_t rt)
{
	uint8_t  b[2];
	uint32_t span = rt / 5, r;

	if (cl->cfg.no_jitter || span == 0)
		return rt;
	fill_random(cl, b, sizeof(b));
	r = (uint32_t)(b[0] << 8 | b[1]) % (span + 1);
	return rt - rt / 10 + r;
}

static int
id_alloc(struct server *s, uint8_t *id)
{
	unsigned i;

	for (i = 0; i < 256; i++) {
		uint8_t c = (uint8_t)(s->next_id + i);

		if (!(s->busy[c / 8] & (1u << (c % 8)))) {
			s->busy[c / 8] |= (uint8_t)(1u << (c % 8));
			s->next_id = (uint8_t)(c + 1);
			*id = c;
			return 0;
		}
	}
	return -1;
}

static void
event_server(struct radius_client *cl, const char *type, const char *key, unsigned server)
{
	emit(&cl->hooks.events, type, json_pack("{s:I}", key, (json_int_t)server));
}

/* The servers the request may still try: alive ones first; if none is
 * alive, the dead ones (better than giving up). Returns their count and the
 * first after `from` in config order (NO_SERVER if none). */
static unsigned
candidates(const struct radius_client *cl, const struct request *r, unsigned from, uint64_t now,
           unsigned *first)
{
	unsigned pass, k, n;

	for (pass = 0; pass < 2; pass++) {
		n = 0;
		*first = NO_SERVER;
		for (k = 1; k <= cl->cfg.nservers; k++) {
			unsigned i = (from + k) % cl->cfg.nservers;
			unsigned dead = cl->srv[i].dead_until > now;

			if (r->slot[i].used || dead != pass)
				continue;
			if (*first == NO_SERVER)
				*first = i;
			n++;
		}
		if (n > 0)
			return n;
	}
	return 0;
}

static void
schedule(struct request *r, uint64_t now)
{
	uint64_t d = now + r->rt;

	if (d > r->server_end)
		d = r->server_end;
	if (d > r->deadline)
		d = r->deadline;
	r->due = d > now ? d : now + 1;
}

/* Starts the request on the next server it may try: 0, or -1 if none. */
static int
start_next(struct radius_client *cl, struct request *r, unsigned from, uint64_t now)
{
	for (;;) {
		unsigned       n, s;
		struct server *sv;
		struct slot   *sl;

		n = candidates(cl, r, from, now, &s);
		if (n == 0 || now >= r->deadline)
			return -1;
		sv = &cl->srv[s];
		sl = &r->slot[s];
		if (id_alloc(sv, &sl->id) != 0) {
			/* every id is outstanding there: tried, without one */
			sl->used = SLOT_NO_ID;
			from = s;
			continue;
		}
		sl->used = SLOT_ID;
		fill_random(cl, sl->auth, sizeof(sl->auth));
		radius_pkt_set_id_auth(&r->pkt, sl->id, sl->auth);
		if (radius_pkt_finish(&r->pkt, sv->secret, sv->secret_len) != 0) {
			cl->srv[s].busy[sl->id / 8] &= (uint8_t)~(1u << (sl->id % 8));
			sl->used = 0;
			return -1;
		}
		r->server = s;
		r->retrans = 0;
		r->rt = jitter(cl, cl->cfg.irt_ms);
		r->server_end = now + (r->deadline - now) / n;
		schedule(r, now);
		cl->hooks.send(cl->hooks.ctx, s, r->pkt.buf, r->pkt.len);
		return 0;
	}
}

int
radius_client_send(struct radius_client *cl, void *user, const struct radius_pkt *pkt,
                   uint64_t now)
{
	struct request *r;

	if (pkt->err || pkt->len < RADIUS_HDR_LEN + 2 + RADIUS_MA_LEN ||
	    pkt->buf[RADIUS_HDR_LEN] != RADIUS_MESSAGE_AUTH)
		return -1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->user = user;
	r->pkt = *pkt;
	r->deadline = now + cl->cfg.mrd_ms;
	/* from the last: the first alive server in config order */
	if (start_next(cl, r, cl->cfg.nservers - 1, now) != 0) {
		free_request(cl, r);
		return -1;
	}
	r->next = cl->reqs;
	cl->reqs = r;
	return 0;
}

static void
finish(struct radius_client *cl, struct request *r, enum radius_outcome outcome,
       const struct radius_reply *reply)
{
	void *user = r->user;

	unlink_request(cl, r);
	release_ids(cl, r);
	memset(r->slot, 0, sizeof(r->slot));
	cl->hooks.done(cl->hooks.ctx, user, outcome, reply);
	free_request(cl, r);
}

static void
drop(struct radius_client *cl, unsigned server, int id, const char *why)
{
	emit(&cl->hooks.events, "radius_reply_dropped",
	     json_pack("{s:I, s:I, s:s}", "server", (json_int_t)server, "id", (json_int_t)id,
	               "reason", why));
}

void
radius_client_input(struct radius_client *cl, unsigned server, const uint8_t *buf, size_t len,
                    uint64_t now)
{
	struct request     *r;
	struct radius_reply reply;
	struct server      *sv;
	const char         *why;

	if (server >= cl->cfg.nservers) {
		drop(cl, server, -1, "from an unknown server");
		return;
	}
	if (len < RADIUS_HDR_LEN) {
		drop(cl, server, -1, "shorter than the 20-byte header");
		return;
	}
	for (r = cl->reqs; r != NULL; r = r->next)
		if (r->slot[server].used == SLOT_ID && r->slot[server].id == buf[1])
			break;
	if (r == NULL) {
		drop(cl, server, buf[1], "no request outstanding with this identifier");
		return;
	}
	sv = &cl->srv[server];
	if (radius_reply_check(&reply, buf, len, buf[1], r->slot[server].auth, sv->secret,
	                       sv->secret_len, &why) != 0) {
		drop(cl, server, buf[1], why);
		return;
	}
	reply.server = server;
	sv->dead_until = 0;
	finish(cl, r, RADIUS_REPLY, &reply);
}

uint64_t
radius_client_next_deadline(const struct radius_client *cl)
{
	const struct request *r;
	uint64_t              d = 0;

	for (r = cl->reqs; r != NULL; r = r->next)
		if (d == 0 || r->due < d)
			d = r->due;
	return d;
}

/* One timer of one request; may end it (and call out). */
static void
expire(struct radius_client *cl, struct request *r, uint64_t now)
{
	unsigned old = r->server;

	if (now < r->server_end && now < r->deadline && r->retrans < cl->cfg.mrc) {
		uint32_t rt = r->rt * 2;

		r->retrans++;
		if (rt > cl->cfg.mrt_ms || rt < r->rt)
			rt = cl->cfg.mrt_ms;
		r->rt = jitter(cl, rt);
		schedule(r, now);
		cl->hooks.send(cl->hooks.ctx, r->server, r->pkt.buf, r->pkt.len);
		return;
	}
	/* this server's tries ran out without a valid reply */
	if (cl->srv[old].dead_until <= now)
		event_server(cl, "radius_server_dead", "server", old);
	cl->srv[old].dead_until = now + cl->cfg.dead_time_ms;
	if (start_next(cl, r, old, now) == 0) {
		emit(&cl->hooks.events, "radius_failover",
		     json_pack("{s:I, s:I}", "from", (json_int_t)old, "to", (json_int_t)r->server));
		return;
	}
	emit(&cl->hooks.events, "radius_timeout", json_object());
	finish(cl, r, RADIUS_TIMEOUT, NULL);
}

void
radius_client_tick(struct radius_client *cl, uint64_t now)
{
	struct request *r;

	/* restart after each timer: a callback may send or cancel */
	for (;;) {
		for (r = cl->reqs; r != NULL; r = r->next)
			if (r->due <= now)
				break;
		if (r == NULL)
			return;
		expire(cl, r, now);
	}
}

unsigned
radius_client_cancel(struct radius_client *cl, void *user)
{
	struct request **pp = &cl->reqs, *r;
	unsigned         n = 0;

	while ((r = *pp) != NULL) {
		if (r->user != user) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		free_request(cl, r);
		n++;
	}
	return n;
}

int
radius_client_id_busy(const struct radius_client *cl, unsigned server, uint8_t id)
{
	if (server >= cl->cfg.nservers)
		return 0;
	return (cl->srv[server].busy[id / 8] >> (id % 8)) & 1;
}

unsigned
radius_client_pending(const struct radius_client *cl)
{
	unsigned              n = 0;
	const struct request *r;

	for (r = cl->reqs; r != NULL; r = r->next)
		n++;
	return n;
}
