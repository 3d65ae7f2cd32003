/*
 * Tunnel glue: SSTP below, PPP above it, the address pool and the embedded
 * responder behind it. The cores are sans-I/O; this file gives them the
 * connection's output, the clock, randomness and the event log.
 */
#include "app/tunnel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/conn.h"
#include "net/worker.h"
#include "vnet/pool.h"
#include "app/auth_radius.h"
#include "app/server.h"
#include "app/session.h"
#include "app/netfault.h"
#include "app/shaper.h"
#include "ppp/ppp.h"
#include "sstp/sstp.h"
#include "util/addr.h"
#include "util/evlog.h"
#include "util/rng.h"
#include "vnet/responder.h"

#define TUNNEL_MAGIC 0x54554e4eu /* "TUNN" */

struct tunnel {
	uint32_t             t_magic;
	struct conn         *t_conn;
	enum close_reason    t_end_reason;    /* the gateway ends the call: report this */
	char                 t_end_detail[256];
	struct sstp_session *t_sstp;
	struct ppp_session  *t_ppp;
	struct addr_pool    *t_pool;     /* holds a reference while t_addr is leased */
	uint32_t             t_addr;
	struct ppp_user      t_users[SC_MAX_USERS];
	struct radius_auth  *t_radius;        /* ppp.auth_backend radius, while asking */
	int                  t_radius_eap;    /* what it asks: EAP rounds, else MS-CHAPv2 */
	char                 t_eap_identity[254]; /* EAP-Response/Identity: the User-Name */
	struct ppp_config    t_ppp_cfg;
	struct vnet_config   t_vnet;
	int                  t_up;       /* IPCP opened */
	int                  t_counted;  /* counts towards the SSTP session limit */
	char                 t_identity[128];
	uint64_t             t_pkts_in, t_pkts_out, t_dropped;
	uint64_t             t_now;      /* time of the current call into the cores */
	struct shaper        t_shaper;   /* the throughput cap, per direction */
	struct nf_tunnel     t_nf;       /* network faults that match this connection */
};


/* ---- hooks shared by both cores ----------------------------------------- */

static void
t_event(void *ctx, const char *type, json_t *fields)
{
	struct tunnel *t = ctx;
	json_t *ev = evlog_new(type, t->t_conn->c_id);
	json_object_update(ev, fields);
	json_decref(fields);
	evlog_emit(ev);
}

static void
t_random(void *ctx, uint8_t *out, size_t len)
{
	rng_fill(NULL, out, len);
}

/* ---- SSTP hooks --------------------------------------------------------- */

static void
sstp_send_hook(void *ctx, const uint8_t *buf, size_t len)
{
	struct tunnel *t = ctx;
	conn_write(t->t_conn, buf, len);
}

static void
sstp_ppp_frame_hook(void *ctx, const uint8_t *frame, size_t len)
{
	struct tunnel *t = ctx;
	if (t->t_ppp != NULL)
		ppp_input(t->t_ppp, frame, len, t->t_now);
}

static void
sstp_closed_hook(void *ctx, enum close_reason reason, const char *detail)
{
	struct tunnel *t = ctx;
	const char *why;
	char buf[320];

	/* A client hangs up right after a failed authentication (Windows does
	 * after E=691): the failure is what ended the session. */
	if ((reason == CR_CLIENT_CLOSED || reason == CR_CLIENT_CLOSE_NOTIFY ||
	    reason == CR_CLIENT_RESET) && t->t_ppp != NULL) {
		enum close_reason pr = ppp_failure(t->t_ppp, &why);
		if (pr != CR_NONE) {
			snprintf(buf, sizeof(buf), "%s; the client then hung up", why);
			conn_end(t->t_conn, pr, buf);
			return;
		}
	}
	conn_end(t->t_conn, reason, detail);
}

/* ---- PPP hooks ---------------------------------------------------------- */

static void
ppp_send_hook(void *ctx, const uint8_t *frame, size_t len)
{
	struct tunnel *t = ctx;
	if (sstp_send_ppp(t->t_sstp, frame, len, t->t_now) != 0)
		t->t_dropped++;
}

static void
ppp_auth_done_hook(void *ctx, int ok, const char *identity, const uint8_t *hlak)
{
	struct tunnel *t = ctx;
	snprintf(t->t_identity, sizeof(t->t_identity), "%s", identity ? identity : "");
	if (ok)
		sstp_set_hlak(t->t_sstp, hlak, t->t_now);
}

static void
ppp_network_up_hook(void *ctx, uint32_t client_ip)
{
	struct tunnel *t = ctx;
	char a[16];
	ip4_format(client_ip, a);
	t->t_up = 1;
	session_audit_tunnel_up(t->t_conn);
	json_t *ev = evlog_new("tunnel_up", t->t_conn->c_id);
	json_object_set_new(ev, "identity", json_string(t->t_identity));
	json_object_set_new(ev, "address", json_string(a));
	evlog_emit(ev);
}

/* A network fault acts on this connection for the first time. */
static void
nf_tell(void *ctx, const struct nf_match *m)
{
	struct tunnel *t = ctx;
	json_t *ev = evlog_new("netfault", t->t_conn->c_id);
	json_object_set_new(ev, "fault", json_integer(m->id));
	json_object_set_new(ev, "type", json_string(sc_netfault_type_name(m->spec.type)));
	json_object_set_new(ev, "direction", json_string(sc_netfault_dir_name(m->spec.dir)));
	evlog_emit(ev);
}

static void
send_ip(struct tunnel *t, const uint8_t *pkt, size_t len)
{
	if (ppp_send_ip(t->t_ppp, pkt, len) == 0)
		t->t_pkts_out++;
	else
		t->t_dropped++;
}

/* Through the throughput cap in direction d: 1 when the packet goes on
 * now; queued ones go on from tunnel_tick. A tunnel whose packets wait
 * stops reading. */
static int
shaper_ok(struct tunnel *t, int d, const uint8_t *pkt, size_t len)
{
	enum shaper_verdict v = shaper_pass(&t->t_shaper, d, pkt, len, t->t_now);
	if (t->t_shaper.up_paused)
		conn_pause_read(t->t_conn, 1);
	if (v == SHAPER_DROPPED)
		t->t_dropped++;
	return v == SHAPER_SEND;
}

/* A packet for the client, through the cap: now, later, or (queue full)
 * never. */
static void
shape_down(struct tunnel *t, const uint8_t *pkt, size_t len)
{
	if (shaper_ok(t, SH_DOWN, pkt, len))
		send_ip(t, pkt, len);
}

/* The slicer and slow_close act on the connection's transport. */
static void
apply_transport(struct tunnel *t)
{
	if (nf_transport(&t->t_nf, nf_tell, t)) {
		conn_set_slicer(t->t_conn, t->t_nf.slice, t->t_nf.slice_gap_ms);
		conn_set_slow_close(t->t_conn, t->t_nf.slow_close_ms);
	}
}

/* Network faults first, then the cap. */
/* Through the faults of direction dir: 1 when the packet goes on now (held
 * ones go on from tunnel_tick, dropped ones are counted). */
static int
faults_pass(struct tunnel *t, int dir, const uint8_t *pkt, size_t len)
{
	enum nf_verdict v = nf_packet(&t->t_nf, dir, pkt, len, t->t_now, nf_tell, t);
	if (dir == 0)
		apply_transport(t);
	if (v == NF_DROP)
		t->t_dropped++;
	return v == NF_PASS;
}

static void
send_down(struct tunnel *t, const uint8_t *pkt, size_t len)
{
	if (faults_pass(t, 1, pkt, len))
		shape_down(t, pkt, len);
}

/* A packet from the client, past the faults: the TUN device or the responder. */
static void
deliver_up(struct tunnel *t, const uint8_t *pkt, size_t len)
{
	struct server *s = session_of(t->t_conn)->srv;
	uint8_t out[VNET_MAX_PACKET];

	int tun = server_tun_fd(s);
	if (tun >= 0) {
		if (write(tun, pkt, len) != (ssize_t)len)
			t->t_dropped++;
		return;
	}
	int n = vnet_input(&t->t_vnet, pkt, len, out, sizeof(out), NULL, 0);
	if (n > 0)
		send_down(t, out, (size_t)n);
}

static void
ppp_ip_packet_hook(void *ctx, const uint8_t *pkt, size_t len)
{
	struct tunnel *t = ctx;

	t->t_pkts_in++;
	if (shaper_ok(t, SH_UP, pkt, len) && faults_pass(t, 0, pkt, len))
		deliver_up(t, pkt, len);
}

/* PPP is over: MS-SSTP 3.3.7.1 ends the call with CALL_DISCONNECT, and the
 * connection's close reason is PPP's. */
static void
ppp_closed_hook(void *ctx, enum close_reason reason, const char *detail)
{
	struct tunnel *t = ctx;
	if (t->t_end_reason != CR_NONE) /* the gateway ended it (tunnel_disconnect) */
		sstp_disconnect_reason(t->t_sstp, t->t_end_reason,
		    t->t_end_detail[0] ? t->t_end_detail : NULL, t->t_now);
	else
		sstp_disconnect_reason(t->t_sstp, reason, detail, t->t_now);
}

/* RADIUS answered (or gave up): tell PPP, whose timers then change. */
static void
radius_done(void *ctx, const struct radius_auth_result *r)
{
	struct tunnel *t = ctx;
	uint64_t now = now_ms();
	t->t_now = now;
	if (!t->t_radius_eap)
		ppp_mschap_result(t->t_ppp, r->ok, r->auth_response, r->hlak, r->code, r->why, now);
	else if (r->challenge)
		ppp_eap_relay(t->t_ppp, r->eap, r->eap_len, now);
	else
		ppp_eap_relay_result(t->t_ppp, r->ok, r->eap, r->eap_len, r->hlak, r->why, now);
	conn_rearm(t->t_conn, now);
}

static struct radius_auth *
radius_of(struct tunnel *t)
{
	struct conn *c = t->t_conn;

	if (t->t_radius == NULL)
		t->t_radius = radius_auth_new(c->c_wrk->w_base, c->c_snap,
		    server_radius_faults(session_of(c)->srv), c->c_id, c->c_peer,
		    radius_done, t);
	return t->t_radius;
}

/* PPP relays an EAP-Response to the RADIUS server (ppp.auth_backend radius,
 * EAP-TLS offered): RFC 3579, one Access-Request per round. */
static void
ppp_eap_relay_hook(void *ctx, const uint8_t *eap, size_t len)
{
	struct tunnel *t = ctx;
	struct radius_auth *ra;

	if (len >= 5 && eap[0] == 2 && eap[4] == 1) { /* Response/Identity: the User-Name */
		size_t n = len - 5 < sizeof(t->t_eap_identity) - 1 ? len - 5 :
		    sizeof(t->t_eap_identity) - 1;
		memcpy(t->t_eap_identity, eap + 5, n);
		t->t_eap_identity[n] = '\0';
	}
	t->t_radius_eap = 1;
	if ((ra = radius_of(t)) == NULL || radius_auth_eap(ra, eap, len, t->t_eap_identity) != 0)
		ppp_eap_relay_result(t->t_ppp, 0, NULL, 0, NULL,
		    "cannot send the RADIUS request (out of sockets or memory)", t->t_now);
}

/* PPP asks for an MS-CHAPv2 decision (ppp.auth_backend radius). */
static void
ppp_mschap_verify_hook(void *ctx, uint8_t ident, const uint8_t challenge[16],
    const uint8_t response[49], const char *name)
{
	struct tunnel *t = ctx;
	struct conn *c = t->t_conn;
	struct radius_auth *ra;

	t->t_radius_eap = 0;
	if ((ra = radius_of(t)) == NULL ||
	    radius_auth_mschapv2(ra, ident, challenge, response, name) != 0)
		ppp_mschap_result(t->t_ppp, 0, NULL, NULL, c->c_snap->sc.radius_no_answer_error,
		    "cannot send the RADIUS request (out of sockets or memory)", t->t_now);
}

/* SSTP accepted the call: lease an address and start PPP. */
static void
sstp_lower_up_hook(void *ctx)
{
	struct tunnel *t = ctx;
	struct conn *c = t->t_conn;
	const struct scenario *sc = &c->c_snap->sc;
	struct addr_pool *pool = pool_ref(c->c_snap->pool); /* the session's pool, to its end */

	t->t_addr = pool != NULL ? pool_take(pool) : 0;
	if (t->t_addr == 0) {
		char why[96];
		snprintf(why, sizeof(why), "all %u addresses of the client pool are leased",
		    pool ? pool->count : 0);
		pool_unref(pool);
		sstp_abort(t->t_sstp, CR_PPP_POOL_EXHAUSTED, why, t->t_now);
		return;
	}
	t->t_pool = pool; /* the lease holds its own reference */
	pool_set_owner(pool, t->t_addr, t, c->c_wrk);
	pool_unref(pool);

	struct ppp_config *pc = &t->t_ppp_cfg;
	memset(pc, 0, sizeof(*pc));
	for (size_t i = 0; i < sc->n_ppp_auth && i < 2; i++)
		pc->auth[pc->n_auth++] = (enum ppp_auth)sc->ppp_auth[i];
	for (size_t i = 0; i < sc->n_users; i++) {
		t->t_users[i].name = sc->users[i].name;
		t->t_users[i].password = sc->users[i].password;
	}
	pc->users = t->t_users;
	pc->n_users = sc->n_users;
	pc->auth_retries = sc->ppp_auth_retries;
	pc->eap_tls = snapshot_eap_tls(c->c_snap);
	pc->mru = sc->ppp_mru;
	pc->restart_ms = 3000;
	pc->max_configure = 10;
	pc->max_failure = 5;
	pc->gateway_ip = sc->gateway_ip;
	pc->client_ip = t->t_addr;
	pc->dns[0] = sc->n_dns > 0 ? sc->dns[0] : 0;
	pc->dns[1] = sc->n_dns > 1 ? sc->dns[1] : 0;
	snprintf(pc->auth_name, sizeof(pc->auth_name), "p2sgw");
	pc->auth_external = sc->auth_backend == SC_AUTHN_RADIUS;

	struct ppp_hooks h = {
		.ctx = t, .send = ppp_send_hook, .auth_done = ppp_auth_done_hook,
		.network_up = ppp_network_up_hook, .ip_packet = ppp_ip_packet_hook,
		.random = t_random, .closed = ppp_closed_hook,
		.mschap_verify = ppp_mschap_verify_hook,
		.eap_relay = ppp_eap_relay_hook,
		.events = { t, t_event },
	};
	t->t_ppp = ppp_new(pc, &h);
	if (t->t_ppp == NULL) {
		sstp_abort(t->t_sstp, CR_INTERNAL, "out of memory", t->t_now);
		return;
	}
	ppp_lower_up(t->t_ppp, t->t_now);
}

/* ---- life ---------------------------------------------------------------- */

struct tunnel *
tunnel_new(struct conn *c, uint64_t now, const char *refuse_why)
{
	const struct snapshot *snap = c->c_snap;
	const struct scenario *sc = &snap->sc;
	struct tunnel *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->t_magic = TUNNEL_MAGIC;
	t->t_conn = c;
	t->t_now = now;
	t->t_vnet.gateway_ip = sc->gateway_ip;
	t->t_vnet.hosts = sc->hosts;
	t->t_vnet.n_hosts = sc->n_hosts;
	t->t_vnet.dns = sc->dns;
	t->t_vnet.n_dns = sc->n_dns;
	t->t_vnet.udp_echo_port = sc->udp_echo_port;
	t->t_vnet.udp_sink_port = sc->udp_sink_port;
	t->t_vnet.udp_source_port = sc->udp_source_port;
	shaper_init(&t->t_shaper, server_shaper_group(session_of(c)->srv), snap->rate,
	    snap->tunnel_rate);
	nf_tunnel_init(&t->t_nf, server_netfaults(session_of(c)->srv), c->c_id,
	    conn_peer_ipv4(c));

	struct sstp_config cfg = {
		.negotiation_timeout_ms = sc->sstp_negotiation_timeout_ms,
		.hello_interval_ms = sc->sstp_hello_interval_ms,
		.abort_t1_ms = 3000, .abort_t2_ms = 1000,
		.disconnect_t1_ms = 5000, .disconnect_t2_ms = 1000,
		.hash_bitmask = sc->sstp_hash_bitmask,
		.nak_retries = 3,
		.max_header_bytes = 8192,
	};
	/* the crypto binding hashes the certificate this connection was served */
	const struct pki_chain *served = snapshot_chain_of(snap, c->c_alt);
	memcpy(cfg.cert_sha1, served->leaf_sha1, sizeof(cfg.cert_sha1));
	memcpy(cfg.cert_sha256, served->leaf_sha256, sizeof(cfg.cert_sha256));
	struct sstp_hooks h = {
		.ctx = t, .send = sstp_send_hook, .ppp_frame = sstp_ppp_frame_hook,
		.lower_up = sstp_lower_up_hook, .random = t_random, .closed = sstp_closed_hook,
		.events = { t, t_event },
	};
	t->t_sstp = sstp_new(&cfg, &h, now);
	if (t->t_sstp == NULL) {
		free(t);
		return NULL;
	}
	sstp_set_wall_clock(t->t_sstp, (int64_t)time(NULL), now);
	if (refuse_why != NULL)
		sstp_refuse(t->t_sstp, 503, CR_SSTP_SESSION_LIMIT, refuse_why);
	return t;
}

void
tunnel_free(struct tunnel *t)
{
	if (t == NULL)
		return;
	if (t->t_magic != TUNNEL_MAGIC)
		abort();
	shaper_free(&t->t_shaper, now_ms()); /* closes the held periods */
	nf_tunnel_free(&t->t_nf);
	if (t->t_up || t->t_pkts_in > 0) {
		json_t *ev = evlog_new("tunnel_stats", t->t_conn->c_id);
		json_object_set_new(ev, "identity", json_string(t->t_identity));
		json_object_set_new(ev, "packets_in", json_integer((json_int_t)t->t_pkts_in));
		json_object_set_new(ev, "packets_out", json_integer((json_int_t)t->t_pkts_out));
		json_object_set_new(ev, "dropped", json_integer((json_int_t)t->t_dropped));
		json_object_set_new(ev, "bytes_up", json_integer((json_int_t)t->t_shaper.bytes[SH_UP]));
		json_object_set_new(ev, "bytes_down",
		    json_integer((json_int_t)t->t_shaper.bytes[SH_DOWN]));
		if (shaper_on(&t->t_shaper)) {
			json_object_set_new(ev, "throttled_ms_up",
			    json_integer((json_int_t)t->t_shaper.held_ms[SH_UP]));
			json_object_set_new(ev, "throttled_ms_down",
			    json_integer((json_int_t)t->t_shaper.held_ms[SH_DOWN]));
			json_object_set_new(ev, "queue_drops", json_integer((json_int_t)t->t_shaper.drops));
		}
		if (t->t_nf.held[0] + t->t_nf.held[1] + t->t_nf.dropped[0] + t->t_nf.dropped[1] > 0) {
			json_object_set_new(ev, "fault_held_up", json_integer((json_int_t)t->t_nf.held[0]));
			json_object_set_new(ev, "fault_held_down", json_integer((json_int_t)t->t_nf.held[1]));
			json_object_set_new(ev, "fault_dropped_up",
			    json_integer((json_int_t)t->t_nf.dropped[0]));
			json_object_set_new(ev, "fault_dropped_down",
			    json_integer((json_int_t)t->t_nf.dropped[1]));
		}
		evlog_emit(ev);
	}
	radius_auth_free(t->t_radius);
	ppp_free(t->t_ppp);
	sstp_free(t->t_sstp);
	if (t->t_pool != NULL)
		pool_put(t->t_pool, t->t_addr);
	t->t_magic = 0;
	free(t);
}

void
tunnel_deliver_ip(struct tunnel *t, const uint8_t *pkt, size_t len, uint64_t now)
{
	t->t_now = now;
	if (t->t_ppp == NULL) {
		t->t_dropped++;
		return;
	}
	send_down(t, pkt, len);
	conn_rearm(t->t_conn, now); /* a queued packet needs the timer */
}

void
tunnel_input(struct tunnel *t, const uint8_t *buf, size_t len, uint64_t now)
{
	t->t_now = now;
	sstp_input(t->t_sstp, buf, len, now);
}

uint64_t
tunnel_next_deadline(const struct tunnel *t)
{
	uint64_t d[4] = {
		sstp_next_deadline(t->t_sstp),
		t->t_ppp ? ppp_next_deadline(t->t_ppp) : 0,
		shaper_deadline(&t->t_shaper, t->t_now),
		nf_deadline(&t->t_nf),
	}, best = 0;
	for (int i = 0; i < 4; i++)
		if (d[i] != 0 && (best == 0 || d[i] < best))
			best = d[i];
	return best;
}

void
tunnel_tick(struct tunnel *t, uint64_t now)
{
	t->t_now = now;
	int end = nf_tick(&t->t_nf, now, nf_tell, t);
	apply_transport(t);
	switch (end) {
	case 1:
		conn_end(t->t_conn, CR_FAULT_INJECTED, t->t_nf.why);
		return;
	case 2:
		conn_end_reset(t->t_conn, CR_FAULT_INJECTED, t->t_nf.why);
		return;
	}
	for (int d = 0; d < 2; d++) {
		struct nf_pkt *p;
		while ((p = nf_release(&t->t_nf, d, now)) != NULL) {
			if (d == 0)
				deliver_up(t, p->data, p->len);
			else if (t->t_ppp != NULL)
				shape_down(t, p->data, p->len);
			free(p);
		}
	}
	if (shaper_on(&t->t_shaper)) {
		(void)shaper_tick(&t->t_shaper, now);
		struct shaper_pkt *p;
		while (t->t_ppp != NULL && (p = shaper_dequeue(&t->t_shaper, SH_UP, now)) != NULL) {
			if (faults_pass(t, 0, p->data, p->len))
				deliver_up(t, p->data, p->len);
			free(p);
		}
		while (t->t_ppp != NULL && (p = shaper_dequeue(&t->t_shaper, SH_DOWN, now)) != NULL) {
			send_ip(t, p->data, p->len);
			free(p);
		}
		if (t->t_shaper.up_paused) /* the queues may have drained */
			(void)shaper_tick(&t->t_shaper, now);
		if (!t->t_shaper.up_paused)
			conn_pause_read(t->t_conn, 0); /* nothing when it was reading */
	}
	sstp_tick(t->t_sstp, now);
	/* sstp_tick may have ended the connection; the caller checks */
	if (t->t_ppp != NULL && !conn_is_ending(t->t_conn))
		ppp_tick(t->t_ppp, now);
}

void
tunnel_lower_down(struct tunnel *t, enum close_reason reason, const char *detail)
{
	sstp_lower_down(t->t_sstp, reason, detail);
}

void
tunnel_disconnect(struct tunnel *t, enum close_reason reason, const char *detail, uint64_t now)
{
	t->t_now = now;
	if (t->t_ppp == NULL) {
		sstp_disconnect_reason(t->t_sstp, reason, detail, now);
		return;
	}
	/* PPP says goodbye first; its end then carries this reason to SSTP */
	t->t_end_reason = reason;
	snprintf(t->t_end_detail, sizeof(t->t_end_detail), "%s", detail ? detail : "");
	ppp_terminate(t->t_ppp, "the gateway ends the session", now);
}

void
tunnel_abort(struct tunnel *t, enum close_reason reason, const char *detail, uint64_t now)
{
	t->t_now = now;
	sstp_abort(t->t_sstp, reason, detail, now);
}

void
tunnel_info(const struct tunnel *t, const char **sstp_state, const char **identity,
    uint32_t *client_addr)
{
	*sstp_state = sstp_state_name(t->t_sstp);
	*identity = t->t_identity;
	*client_addr = t->t_up ? t->t_addr : 0;
}

void
tunnel_faults_changed(struct tunnel *t, uint64_t now)
{
	t->t_now = now;
	/* the matches are read again at the next packet or tick: make it soon */
	nf_refresh(&t->t_nf, now);
	apply_transport(t);
	conn_rearm(t->t_conn, now);
}
