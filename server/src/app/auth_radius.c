/*
 * One RADIUS authentication on the event loop (app/auth_radius.h).
 */
#include "app/auth_radius.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "radius/radius.h"
#include "util/addr.h"
#include "util/evlog.h"
#include "util/log.h"
#include "util/rng.h"
#include "util/xtime.h"

/* A reply held by the delay fault. */
struct held_reply {
	struct radius_auth *ra;
	unsigned            server;
	struct event       *ev;
	size_t              len;
	struct held_reply  *next;
	uint8_t             buf[];
};

const uint32_t radius_latency_le_ms[RADIUS_LATENCY_BUCKETS] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000,
};
static struct {
	_Atomic uint64_t requests, accept, reject, challenge, timeout, dropped;
	_Atomic uint64_t latency_count, latency_sum_ms;
	_Atomic uint64_t latency_bucket[RADIUS_LATENCY_BUCKETS];
} stats;

void
radius_stats_get(struct radius_stats *st)
{
	st->requests = atomic_load(&stats.requests);
	st->accept = atomic_load(&stats.accept);
	st->reject = atomic_load(&stats.reject);
	st->challenge = atomic_load(&stats.challenge);
	st->timeout = atomic_load(&stats.timeout);
	st->dropped = atomic_load(&stats.dropped);
	st->latency_count = atomic_load(&stats.latency_count);
	st->latency_sum_ms = atomic_load(&stats.latency_sum_ms);
	for (int i = 0; i < RADIUS_LATENCY_BUCKETS; i++)
		st->latency_bucket[i] = atomic_load(&stats.latency_bucket[i]);
}

static void
count_reply(uint8_t code, uint64_t latency_ms)
{
	atomic_fetch_add(code == RADIUS_ACCESS_ACCEPT ? &stats.accept :
	    code == RADIUS_ACCESS_REJECT ? &stats.reject : &stats.challenge, 1);
	atomic_fetch_add(&stats.latency_count, 1);
	atomic_fetch_add(&stats.latency_sum_ms, latency_ms);
	for (int i = 0; i < RADIUS_LATENCY_BUCKETS; i++)
		if (latency_ms <= radius_latency_le_ms[i])
			atomic_fetch_add(&stats.latency_bucket[i], 1);
}

struct radius_auth {
	struct event_base     *base;
	const struct snapshot *snap;   /* the session's: it outlives us */
	const struct radius_faults *faults;
	struct held_reply     *held;
	uint64_t               conn_id;
	char                   calling[48];
	struct radius_client  *cl;
	int                    fd[SC_MAX_RADIUS];
	struct event          *rd[SC_MAX_RADIUS];
	struct event          *timer;
	uint64_t               sent_at;
	int                    busy;
	enum { RA_MSCHAPV2, RA_EAP } mode; /* what the request in flight asks */
	uint8_t                state[RADIUS_ATTR_MAX]; /* EAP: the last Access-Challenge's State */
	size_t                 state_len;
	void                 (*done)(void *ctx, const struct radius_auth_result *r);
	void                  *ctx;
};

static void
ra_event(void *ctx, const char *type, json_t *fields)
{
	struct radius_auth *ra = ctx;
	if (strcmp(type, "radius_reply_dropped") == 0)
		atomic_fetch_add(&stats.dropped, 1);
	json_t *ev = evlog_new(type, ra->conn_id);
	json_object_update(ev, fields);
	json_decref(fields);
	evlog_emit(ev);
}

static void
server_text(const struct radius_auth *ra, unsigned i, char *buf, size_t len)
{
	char a[16];
	ip4_format(ra->snap->sc.radius[i].addr, a);
	snprintf(buf, len, "%s:%u", a, (unsigned)ra->snap->sc.radius[i].port);
}

static void
ra_rearm(struct radius_auth *ra)
{
	uint64_t d = radius_client_next_deadline(ra->cl), now = now_ms();
	if (d == 0) {
		evtimer_del(ra->timer);
		return;
	}
	uint64_t ms = d > now ? d - now : 0;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	evtimer_add(ra->timer, &tv);
}

static void
ra_send(void *ctx, unsigned server, const uint8_t *buf, size_t len)
{
	struct radius_auth *ra = ctx;
	char s[32];
	server_text(ra, server, s, sizeof(s));
	int down = ra->faults != NULL && atomic_load(&ra->faults->down);
	if (!down && send(ra->fd[server], buf, len, 0) != (ssize_t)len)
		log_warn("RADIUS: send to %s", s); /* the retransmission timer goes on */
	atomic_fetch_add(&stats.requests, 1);
	json_t *ev = evlog_new("radius_request", ra->conn_id);
	json_object_set_new(ev, "server", json_string(s));
	json_object_set_new(ev, "id", json_integer(buf[1]));
	if (down)
		json_object_set_new(ev, "fault", json_string("down: not sent"));
	evlog_emit(ev);
}

/* The Microsoft string attributes start with the CHAP Ident byte. */
static void
ms_text(const uint8_t *v, size_t len, char *out, size_t cap)
{
	size_t n = len > 1 ? len - 1 : 0;
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = v[1 + i] >= 0x20 && v[1 + i] < 0x7f ? (char)v[1 + i] : '?';
	out[n] = '\0';
}

static void
finish(struct radius_auth *ra, const struct radius_auth_result *r)
{
	ra->busy = 0;
	ra->done(ra->ctx, r);
}

/* The answer to an EAP round (RFC 3579): a Challenge's EAP-Request and
 * State, or the end; ev is the radius_reply event, to fill and emit. */
static void
eap_reply(struct radius_auth *ra, const struct radius_reply *reply, json_t *ev, const char *s)
{
	struct radius_auth_result r = { 0 };
	uint8_t eap[RADIUS_MAX_PACKET], recv_key[32];
	size_t el = 0, ml = 0, stl = 0;
	char msg[128], why[256];
	const char *err = NULL;
	int has_eap = radius_reply_eap(reply, eap, sizeof(eap), &el, &err);
	const uint8_t *m = radius_find(reply, RADIUS_REPLY_MESSAGE, &ml);
	const uint8_t *st = radius_find(reply, RADIUS_STATE, &stl);

	msg[0] = '\0';
	if (m != NULL) { /* Reply-Message: printable words for the event and the close detail */
		size_t n = ml < sizeof(msg) - 1 ? ml : sizeof(msg) - 1;
		for (size_t i = 0; i < n; i++)
			msg[i] = m[i] >= 0x20 && m[i] < 0x7f ? (char)m[i] : '?';
		msg[n] = '\0';
	}
	json_object_set_new(ev, "result", json_string(reply->code == RADIUS_ACCESS_ACCEPT ?
	    "accept" : reply->code == RADIUS_ACCESS_REJECT ? "reject" : "challenge"));
	if (has_eap == 1)
		json_object_set_new(ev, "eap_code", json_integer(eap[0]));
	if (msg[0] != '\0')
		json_object_set_new(ev, "reply_message", json_string(msg));
	if (has_eap < 0) {
		snprintf(why, sizeof(why), "RADIUS %s sent a broken EAP-Message: %s", s, err);
		json_object_set_new(ev, "why", json_string(why));
		evlog_emit(ev);
		r.why = why;
		finish(ra, &r);
		return;
	}
	r.eap = has_eap == 1 ? eap : NULL;
	r.eap_len = has_eap == 1 ? el : 0;
	if (reply->code == RADIUS_ACCESS_CHALLENGE) {
		if (has_eap != 1) {
			snprintf(why, sizeof(why), "Access-Challenge from RADIUS %s without EAP-Message", s);
			json_object_set_new(ev, "why", json_string(why));
			evlog_emit(ev);
			r.why = why;
			finish(ra, &r);
			return;
		}
		evlog_emit(ev);
		/* RFC 2865 5.24: the State goes back verbatim in the next request */
		ra->state_len = st != NULL && stl <= sizeof(ra->state) ? stl : 0;
		if (ra->state_len > 0)
			memcpy(ra->state, st, stl);
		r.challenge = 1;
		r.why = "Access-Challenge";
		finish(ra, &r);
		return;
	}
	ra->state_len = 0; /* the conversation is over */
	if (reply->code == RADIUS_ACCESS_ACCEPT) {
		/* HLAK = MS-MPPE-Recv-Key = MSK[0:32] (RFC 5216 2.3, RFC 2548 2.4.3):
		 * the 32 bytes the gateway's own EAP-TLS uses and the client derives */
		size_t rl = 0;
		const uint8_t *rk = radius_find_vsa(reply, RADIUS_VENDOR_MICROSOFT,
		    RADIUS_MS_MPPE_RECV_KEY, &rl);
		int rn = rk != NULL ? radius_mppe_decrypt(rk, rl, reply->req_auth, reply->secret,
		    reply->secret_len, recv_key, &err) : -1;
		if (rn != 32) {
			snprintf(why, sizeof(why), "RADIUS Access-Accept without a 32-byte "
			    "MS-MPPE-Recv-Key (%s): the crypto binding needs it", rk == NULL ?
			    "absent" : rn < 0 && err != NULL ? err : "16 bytes");
			json_object_set_new(ev, "why", json_string(why));
			evlog_emit(ev);
			r.eap = NULL; /* no EAP-Success to the client: this is a failure */
			r.eap_len = 0;
			r.why = why;
			finish(ra, &r);
			memset(recv_key, 0, sizeof(recv_key));
			return;
		}
		evlog_emit(ev);
		r.ok = 1;
		r.hlak = recv_key;
		r.why = "accepted by RADIUS";
		finish(ra, &r);
		memset(recv_key, 0, sizeof(recv_key));
		return;
	}
	evlog_emit(ev);
	snprintf(why, sizeof(why), "Access-Reject from RADIUS %s%s%.100s", s,
	    msg[0] ? ": " : "", msg);
	r.why = why;
	finish(ra, &r);
}

static void
ra_done(void *ctx, void *user, enum radius_outcome outcome, const struct radius_reply *reply)
{
	struct radius_auth *ra = ctx;
	struct radius_auth_result r = { 0 };
	char s[32], text[160], why[200];
	uint8_t recv_key[32], send_key[32], hlak[32];
	const char *err;
	json_t *ev = evlog_new("radius_reply", ra->conn_id);

	uint64_t latency = now_ms() - ra->sent_at;
	json_object_set_new(ev, "latency_ms", json_integer((json_int_t)latency));
	if (outcome == RADIUS_TIMEOUT)
		atomic_fetch_add(&stats.timeout, 1);
	else
		count_reply(reply->code, latency);
	if (outcome == RADIUS_TIMEOUT) {
		json_object_set_new(ev, "result", json_string("timeout"));
		evlog_emit(ev);
		snprintf(why, sizeof(why), "no RADIUS server answered within %u ms",
		    (unsigned)ra->snap->sc.radius_timeout_ms);
		r.code = ra->snap->sc.radius_no_answer_error;
		r.why = why;
		finish(ra, &r);
		return;
	}
	server_text(ra, reply->server, s, sizeof(s));
	json_object_set_new(ev, "server", json_string(s));
	if (ra->mode == RA_EAP) {
		eap_reply(ra, reply, ev, s);
		return;
	}
	if (reply->code == RADIUS_ACCESS_ACCEPT) {
		size_t sl = 0, rl = 0, kl = 0;
		const uint8_t *succ = radius_find_vsa(reply, RADIUS_VENDOR_MICROSOFT,
		    RADIUS_MS_CHAP2_SUCCESS, &sl);
		const uint8_t *rk = radius_find_vsa(reply, RADIUS_VENDOR_MICROSOFT,
		    RADIUS_MS_MPPE_RECV_KEY, &rl);
		const uint8_t *sk = radius_find_vsa(reply, RADIUS_VENDOR_MICROSOFT,
		    RADIUS_MS_MPPE_SEND_KEY, &kl);
		int rn = -1, sn = -1;
		err = NULL;
		if (rk != NULL && sk != NULL) {
			rn = radius_mppe_decrypt(rk, rl, reply->req_auth, reply->secret,
			    reply->secret_len, recv_key, &err);
			if (rn > 0)
				sn = radius_mppe_decrypt(sk, kl, reply->req_auth, reply->secret,
				    reply->secret_len, send_key, &err);
		}
		json_object_set_new(ev, "result", json_string("accept"));
		if (succ == NULL || sl != 43 || rn < 16 || sn < 16) {
			snprintf(why, sizeof(why), "RADIUS Access-Accept without %s",
			    succ == NULL || sl != 43 ? "MS-CHAP2-Success" :
			    err != NULL ? err : "MS-MPPE-Send-Key and -Recv-Key (crypto binding needs them)");
			json_object_set_new(ev, "why", json_string(why));
			evlog_emit(ev);
			r.code = 691;
			r.why = why;
			finish(ra, &r);
			return;
		}
		evlog_emit(ev);
		ms_text(succ, sl, text, sizeof(text));
		memcpy(hlak, recv_key, 16);
		memcpy(hlak + 16, send_key, 16);
		r.ok = 1;
		r.auth_response = text;
		r.hlak = hlak;
		r.why = "accepted by RADIUS";
		finish(ra, &r);
		memset(hlak, 0, sizeof(hlak));
		memset(recv_key, 0, sizeof(recv_key));
		memset(send_key, 0, sizeof(send_key));
		return;
	}
	/* Reject (a Challenge has no meaning for MS-CHAPv2) */
	size_t el = 0;
	const uint8_t *e = radius_find_vsa(reply, RADIUS_VENDOR_MICROSOFT, RADIUS_MS_CHAP_ERROR, &el);
	unsigned code = 691;
	text[0] = '\0';
	if (e != NULL) {
		ms_text(e, el, text, sizeof(text));
		unsigned c;
		if (sscanf(text, "E=%u", &c) == 1 && c >= 600 && c <= 999)
			code = c;
	}
	json_object_set_new(ev, "result", json_string(reply->code == RADIUS_ACCESS_REJECT ?
	    "reject" : "challenge"));
	if (text[0] != '\0')
		json_object_set_new(ev, "ms_chap_error", json_string(text));
	evlog_emit(ev);
	snprintf(why, sizeof(why), "%s from RADIUS %s%s%.100s", reply->code == RADIUS_ACCESS_REJECT ?
	    "Access-Reject" : "Access-Challenge (unexpected for MS-CHAPv2)", s,
	    text[0] ? ": " : "", text);
	r.code = code;
	r.why = why;
	finish(ra, &r);
	(void)user;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct radius_auth *ra = arg;
	radius_client_tick(ra->cl, now_ms());
	if (ra->busy)
		ra_rearm(ra);
}

/* A held reply's time has come. */
static void
on_held(evutil_socket_t fd, short what, void *arg)
{
	struct held_reply *h = arg, **pp;
	struct radius_auth *ra = h->ra;
	for (pp = &ra->held; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	if (ra->busy)
		radius_client_input(ra->cl, h->server, h->buf, h->len, now_ms());
	event_free(h->ev);
	free(h);
	if (ra->busy)
		ra_rearm(ra);
}

/* A datagram from server i, through the lab's faults: dropped, held, or on. */
static void
reply_in(struct radius_auth *ra, unsigned i, const uint8_t *buf, size_t len)
{
	uint32_t drop = ra->faults != NULL ? atomic_load(&ra->faults->drop_percent) : 0;
	uint32_t delay = ra->faults != NULL ? atomic_load(&ra->faults->delay_ms) : 0;
	if (drop > 0) {
		uint8_t r[2];
		rng_fill(NULL, r, sizeof(r));
		if ((uint32_t)(r[0] << 8 | r[1]) % 100 < drop) {
			json_t *ev = evlog_new("radius_reply_dropped", ra->conn_id);
			json_object_set_new(ev, "server", json_integer(i));
			json_object_set_new(ev, "reason", json_string("fault: drop_percent"));
			evlog_emit(ev);
			atomic_fetch_add(&stats.dropped, 1);
			return;
		}
	}
	if (delay > 0) {
		struct held_reply *h = malloc(sizeof(*h) + len);
		struct timeval tv = { (time_t)(delay / 1000), (suseconds_t)(delay % 1000) * 1000 };
		if (h == NULL)
			return; /* as lost */
		h->ra = ra;
		h->server = i;
		h->len = len;
		memcpy(h->buf, buf, len);
		if ((h->ev = evtimer_new(ra->base, on_held, h)) == NULL || evtimer_add(h->ev, &tv) != 0) {
			if (h->ev != NULL)
				event_free(h->ev);
			free(h);
			return;
		}
		h->next = ra->held;
		ra->held = h;
		return;
	}
	radius_client_input(ra->cl, i, buf, len, now_ms());
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct radius_auth *ra = arg;
	uint8_t buf[RADIUS_MAX_PACKET + 1];
	for (unsigned i = 0; i < ra->snap->sc.n_radius; i++) {
		if (ra->fd[i] != fd)
			continue;
		for (int k = 0; k < 8 && ra->busy; k++) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0)
				break; /* EAGAIN; ECONNREFUSED: nobody listens there, the timer goes on */
			reply_in(ra, i, buf, (size_t)n);
		}
	}
	if (ra->busy)
		ra_rearm(ra);
}

static int
open_socket(struct radius_auth *ra, unsigned i)
{
	const struct sc_radius_server *rs = &ra->snap->sc.radius[i];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(rs->port),
		.sin_addr.s_addr = htonl(rs->addr) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	ra->fd[i] = fd;
	ra->rd[i] = event_new(ra->base, fd, EV_READ | EV_PERSIST, on_read, ra);
	return ra->rd[i] != NULL && event_add(ra->rd[i], NULL) == 0 ? 0 : -1;
}

struct radius_auth *
radius_auth_new(struct event_base *base, const struct snapshot *snap,
    const struct radius_faults *faults, uint64_t conn_id,
    const char *peer, void (*done)(void *ctx, const struct radius_auth_result *r), void *ctx)
{
	const struct scenario *sc = &snap->sc;
	struct radius_client_config cfg;
	struct radius_auth *ra = calloc(1, sizeof(*ra));

	if (ra == NULL)
		return NULL;
	ra->base = base;
	ra->snap = snap;
	ra->faults = faults;
	ra->conn_id = conn_id;
	ra->done = done;
	ra->ctx = ctx;
	for (unsigned i = 0; i < SC_MAX_RADIUS; i++)
		ra->fd[i] = -1;
	/* Calling-Station-Id: the client's address without the port */
	snprintf(ra->calling, sizeof(ra->calling), "%s", peer);
	char *colon = strrchr(ra->calling, ':');
	if (colon != NULL && ra->calling[0] != '[')
		*colon = '\0';

	radius_client_config_default(&cfg);
	cfg.mrd_ms = sc->radius_timeout_ms;
	cfg.mrc = sc->radius_retries > 0 ? sc->radius_retries - 1 : 0;
	cfg.dead_time_ms = sc->radius_dead_time_ms;
	cfg.nservers = (unsigned)sc->n_radius;
	for (unsigned i = 0; i < cfg.nservers; i++) {
		cfg.servers[i].secret = (const uint8_t *)sc->radius[i].secret;
		cfg.servers[i].secret_len = strlen(sc->radius[i].secret);
	}
	struct radius_client_hooks h = { .ctx = ra, .send = ra_send, .done = ra_done,
		.events = { ra, ra_event } };
	if ((ra->cl = radius_client_new(&cfg, &h)) == NULL ||
	    (ra->timer = evtimer_new(base, on_timer, ra)) == NULL)
		goto fail;
	for (unsigned i = 0; i < cfg.nservers; i++)
		if (open_socket(ra, i) != 0)
			goto fail;
	return ra;
fail:
	radius_auth_free(ra);
	return NULL;
}

/* The attributes every request of the gateway carries (RFC 2865 5). */
static void
add_common(struct radius_auth *ra, struct radius_pkt *p, const char *user)
{
	const struct scenario *sc = &ra->snap->sc;
	const char *called = sc->radius_called_station[0] ? sc->radius_called_station : sc->hostname;

	radius_pkt_add(p, RADIUS_USER_NAME, user, strlen(user));
	radius_pkt_add_int(p, RADIUS_SERVICE_TYPE, 2);     /* Framed */
	radius_pkt_add_int(p, RADIUS_FRAMED_PROTOCOL, 1);  /* PPP */
	radius_pkt_add_int(p, RADIUS_NAS_PORT_TYPE, 5);    /* Virtual */
	radius_pkt_add_int(p, RADIUS_NAS_PORT, (uint32_t)ra->conn_id);
	radius_pkt_add(p, RADIUS_NAS_IDENTIFIER, sc->radius_nas_identifier,
	    strlen(sc->radius_nas_identifier));
	if (sc->radius_nas_ip != 0)
		radius_pkt_add_int(p, RADIUS_NAS_IP_ADDRESS, sc->radius_nas_ip);
	radius_pkt_add(p, RADIUS_CALLED_STATION, called, strlen(called));
	radius_pkt_add(p, RADIUS_CALLING_STATION, ra->calling, strlen(ra->calling));
}

/* Hand the request to the scheduler, which sends it at once. */
static int
send_request(struct radius_auth *ra, const struct radius_pkt *p, int mode)
{
	ra->mode = mode;
	ra->busy = 1;
	ra->sent_at = now_ms();
	if (radius_client_send(ra->cl, ra, p, ra->sent_at) != 0) {
		ra->busy = 0;
		return -1;
	}
	ra_rearm(ra);
	return 0;
}

int
radius_auth_mschapv2(struct radius_auth *ra, uint8_t ident, const uint8_t challenge[16],
    const uint8_t response[49], const char *name)
{
	static const uint8_t zero[RADIUS_AUTH_LEN];
	struct radius_pkt p;
	uint8_t r2[50];

	if (ra->busy)
		return -1;
	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 0, zero);
	add_common(ra, &p, name);
	radius_pkt_add_vsa(&p, RADIUS_VENDOR_MICROSOFT, RADIUS_MS_CHAP_CHALLENGE, challenge, 16);
	/* RFC 2548 2.3.2: Ident, Flags, Peer-Challenge, Reserved, Response */
	r2[0] = ident;
	r2[1] = response[48];
	memcpy(r2 + 2, response, 48);
	radius_pkt_add_vsa(&p, RADIUS_VENDOR_MICROSOFT, RADIUS_MS_CHAP2_RESPONSE, r2, sizeof(r2));
	return send_request(ra, &p, RA_MSCHAPV2);
}

int
radius_auth_eap(struct radius_auth *ra, const uint8_t *eap, size_t len, const char *identity)
{
	static const uint8_t zero[RADIUS_AUTH_LEN];
	struct radius_pkt p;

	if (ra->busy || eap == NULL || len < 4)
		return -1;
	if (len >= 5 && eap[0] == 2 && eap[4] == 1)
		ra->state_len = 0; /* an EAP-Response/Identity starts a new conversation */
	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 0, zero);
	add_common(ra, &p, identity);
	radius_pkt_add_eap(&p, eap, len);
	if (ra->state_len > 0)
		radius_pkt_add(&p, RADIUS_STATE, ra->state, ra->state_len);
	return send_request(ra, &p, RA_EAP);
}

void
radius_auth_free(struct radius_auth *ra)
{
	if (ra == NULL)
		return;
	radius_client_free(ra->cl);
	while (ra->held != NULL) {
		struct held_reply *h = ra->held;
		ra->held = h->next;
		event_free(h->ev);
		free(h);
	}
	for (unsigned i = 0; i < SC_MAX_RADIUS; i++) {
		if (ra->rd[i] != NULL)
			event_free(ra->rd[i]);
		if (ra->fd[i] >= 0)
			close(ra->fd[i]);
	}
	if (ra->timer != NULL)
		event_free(ra->timer);
	free(ra);
}
