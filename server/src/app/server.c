/*
 * The gateway process: one event base for signals (TERM/INT stop, HUP
 * reloads the scenario for new connections), the timeline, the CRL server
 * and the TUN device; the workers (net/) with the gateway's upcalls
 * (app/session.h); the current policy snapshot.
 */
#include "app/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/listener.h>

#include "app/audit.h"
#include "app/crl_http.h"
#include "app/session.h"
#include "app/timeline.h"
#include "app/tunnel.h"
#include "net/conn.h"
#include "net/tun.h"
#include "net/worker.h"
#include "util/bytes.h"
#include "util/log.h"
#include "util/mailbox.h"
#include "util/xtime.h"
#include "vnet/responder.h"


int
server_fault_gate(struct server *s, struct gate_result *g)
{
	pthread_mutex_lock(&s->s_mu);
	if (s->s_fault_refuse_next == 0) {
		pthread_mutex_unlock(&s->s_mu);
		return 0;
	}
	s->s_fault_refuse_next--;
	g->verdict = GATE_REFUSE;
	g->reason = CR_FAULT_INJECTED;
	g->action = s->s_fault_action;
	snprintf(g->why, sizeof(g->why), "fault injected by the control API (%u more to refuse)",
	    s->s_fault_refuse_next);
	pthread_mutex_unlock(&s->s_mu);
	return 1;
}

/* SIGTERM/SIGINT: the workers stop accepting and end every call as the
 * gateway would; the main loop ends when they are all done. */
static void
server_stop(struct server *s)
{
	if (s->s_stopping) {
		workers_stop(&s->s_net, 1); /* a second signal: now */
		return;
	}
	s->s_stopping = 1;
	workers_stop(&s->s_net, 0);
}

static void
worker_done_job(void *arg)
{
	struct server *s = arg;
	if (++s->s_workers_done == s->s_net.nworkers)
		event_base_loopexit(s->s_base, NULL);
}

/* net_ops.worker_done, on the worker's thread. */
static void
on_worker_done(void *arg)
{
	struct server *s = arg;
	if (mailbox_post(s->s_mail, worker_done_job, s) != 0)
		log_warnx("%s: cannot tell the main thread", __func__);
}

struct maint_job {
	const char *detail;
	unsigned    ended;
};

static void
maint_end(struct conn *c, void *arg)
{
	struct maint_job *j = arg;
	if (!conn_is_ending(c)) {
		conn_disconnect(c, CR_FAULT_INJECTED, j->detail);
		j->ended++;
	}
}

unsigned
server_maintenance(struct server *s, uint32_t ms, const char *detail)
{
	struct maint_job j = { detail, 0 };
	atomic_store(&s->s_maint_until, now_ms() + ms);
	net_foreach_conn(&s->s_net, maint_end, &j);
	char text[200];
	snprintf(text, sizeof(text), "%s: %u ms, %u sessions ended", detail, ms, j.ended);
	audit_event(s->s_audit, time(NULL), s->s_net.snap->generation, "maintenance", text);
	return j.ended;
}

struct snapshot *
server_snapshot(struct server *s)
{
	return net_snapshot(&s->s_net);
}

int
server_tun_fd(struct server *s)
{
	return s->s_tun_fd;
}

/* A packet from the TUN device on its way to the worker of its tunnel. */
struct tun_packet {
	void             *tp_worker;
	struct addr_pool *tp_pool;
	uint32_t          tp_dst;
	size_t            tp_len;
	uint8_t           tp_data[];
};

/* On the worker: the lease may have ended meanwhile; only a tunnel of this
 * worker that still holds the address gets the packet. */
static void
tun_deliver_job(void *arg)
{
	struct tun_packet *tp = arg;
	void *w = NULL;
	struct tunnel *t = pool_owner(tp->tp_pool, tp->tp_dst, &w);
	if (t != NULL && w == tp->tp_worker)
		tunnel_deliver_ip(t, tp->tp_data, tp->tp_len, now_ms());
	pool_unref(tp->tp_pool);
	free(tp);
}

/* Packets from the TUN device go to the tunnel that leased their destination. */
static void
on_tun_read(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	uint8_t pkt[VNET_MAX_PACKET];
	/* the current pool; a lease of an older one no longer gets TUN traffic */
	struct snapshot *snap = server_snapshot(s);
	struct addr_pool *pool = snap->pool;

	for (int i = 0; i < 64; i++) {
		ssize_t n = read(fd, pkt, sizeof(pkt));
		if (n < 0)
			break; /* EAGAIN, or an error the next event reports again */
		if (n < 20 || (pkt[0] >> 4) != 4 || pool == NULL)
			continue;
		uint32_t dst = be32_get(pkt + 16);
		void *w = NULL;
		if (pool_owner(pool, dst, &w) == NULL || w == NULL)
			continue;
		struct tun_packet *tp = malloc(sizeof(*tp) + (size_t)n);
		if (tp == NULL)
			continue;
		tp->tp_worker = w;
		tp->tp_pool = pool_ref(pool);
		tp->tp_dst = dst;
		tp->tp_len = (size_t)n;
		memcpy(tp->tp_data, pkt, (size_t)n);
		if (mailbox_post(((struct worker *)w)->w_mail, tun_deliver_job, tp) != 0) {
			pool_unref(tp->tp_pool);
			free(tp);
		}
	}
	snapshot_unref(snap);
}

struct shaper_group *
server_shaper_group(struct server *s)
{
	return &s->s_shaper;
}

struct netfaults *
server_netfaults(struct server *s)
{
	return &s->s_netfaults;
}

static void
faults_changed_one(struct conn *c, void *arg)
{
	struct session *se = session_of(c);
	if (c->c_state == CS_ESTABLISHED && se != NULL && se->tun != NULL && !conn_is_ending(c))
		tunnel_faults_changed(se->tun, now_ms());
}

void
server_netfaults_changed(struct server *s)
{
	net_foreach_conn(&s->s_net, faults_changed_one, NULL);
}

/* The policy in force changed (or the gateway started): the event log and
 * the report's rehearsal timeline. */
static void
emit_policy(struct server *s, const char *type, const struct snapshot *snap)
{
	char text[400];
	char clock[48] = "";
	const struct scenario *sc = &snap->sc;
	if (sc->clock_fixed || sc->clock_offset != 0 || scenario_clock_speed(sc) != 1) {
		time_t g = scenario_clock_ms(sc, wall_ms());
		struct tm tm;
		if (gmtime_r(&g, &tm) != NULL)
			strftime(clock, sizeof(clock), ", gateway clock %Y-%m-%d %H:%M", &tm);
	}
	char overlap[96] = "";
	if (sc->overlap.on)
		snprintf(overlap, sizeof(overlap), ", overlap with %s", sc->overlap.chain);
	snprintf(text, sizeof(text), "scenario %s, chain %s%s%s%s%s", sc->name, sc->chain, overlap,
	    sc->crl_mode == SC_CRL_REVOKED ? ", leaf revoked" : "",
	    sc->crl_mode == SC_CRL_TIMEOUT ? ", CRL server silent" :
	    sc->crl_mode == SC_CRL_NOT_FOUND ? ", CRL server answers 404" :
	    sc->crl_mode == SC_CRL_STALE ? ", CRL stale" :
	    sc->crl_mode == SC_CRL_WRONG_KEY ? ", CRL not signed by its CA" : "", clock);
	audit_event(s->s_audit, time(NULL), snap->generation, type, text);

	json_t *ev = evlog_new(type, 0);
	json_object_set_new(ev, "scenario", json_string(snap->sc.name));
	json_object_set_new(ev, "file", json_string(snap->sc.path));
	json_object_set_new(ev, "policy_generation", json_integer((json_int_t)snap->generation));
	json_object_set_new(ev, "chain", json_string(snap->sc.chain));
	json_object_set_new(ev, "variant", json_string(pki_variant_name(snap->sc.variant)));
	json_object_set_new(ev, "leaf", json_string(snap->chain.leaf_subject));
	json_object_set_new(ev, "root", json_string(snap->chain.root_subject));
	json_object_set_new(ev, "root_file", json_string(snap->chain.root_path));
	if (snap->overlap_alt != 0)
		json_object_set_new(ev, "overlap", scenario_overlap_json(&snap->sc.overlap,
		    snap->alts[snap->overlap_alt - 1].chain.root_path));
	char hex[41];
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02X", snap->chain.leaf_sha1[i]);
	json_object_set_new(ev, "leaf_sha1", json_string(hex));
	evlog_emit(ev);
}

/*
 * The CRL distribution point is bound the first time a scenario needs one (a
 * CDP in the leaf, now or later in its timeline) and kept to the end, so the
 * URL in every leaf names its real port, whatever revocation.listen said
 * (port 0 included) and whichever scenario is reloaded later.
 */
static bool
needs_crl(const struct scenario *sc)
{
	if (sc->crl_mode != SC_CRL_OFF || sc->aia_mode != SC_AIA_OFF)
		return true;
	for (size_t i = 0; i < sc->n_timeline; i++)
		if (sc->timeline[i].action == SC_TL_REVOKE)
			return true;
	return false;
}

/* Bind the CRL address if sc needs one, and write the bound address into sc. */
static int
crl_prepare(struct server *s, struct scenario *sc, char *err, size_t errlen)
{
	if (s->s_crl == NULL && needs_crl(sc) && (s->s_crl = crl_server_new(s->s_base,
	    sc->crl_listen, s->s_opt.state_dir, err, errlen)) == NULL)
		return -1;
	if (s->s_crl != NULL)
		snprintf(sc->crl_listen, sizeof(sc->crl_listen), "%s", crl_server_address(s->s_crl));
	return 0;
}

/* Serve CRLs for revocation.crl ok and revoked, 404 for not-found, a silent
 * listener for timeout; refuse connections otherwise. */
static int
crl_follow(struct server *s, const struct scenario *sc, char *err, size_t errlen)
{
	if (s->s_crl == NULL)
		return 0;
	crl_server_aia(s->s_crl, sc->aia_mode == SC_AIA_OK);
	if (sc->crl_mode == SC_CRL_OFF && sc->aia_mode != SC_AIA_OFF)
		return crl_server_serve(s->s_crl, CRL_SERVE_FILES, err, errlen);
	switch (sc->crl_mode) {
	case SC_CRL_OK:
	case SC_CRL_REVOKED:
		return crl_server_serve(s->s_crl, CRL_SERVE_FILES, err, errlen);
	case SC_CRL_NOT_FOUND:
		return crl_server_serve(s->s_crl, CRL_SERVE_NOT_FOUND, err, errlen);
	case SC_CRL_TIMEOUT:
		return crl_server_serve(s->s_crl, CRL_SERVE_BLACKHOLE, err, errlen);
	case SC_CRL_STALE:
		return crl_server_serve(s->s_crl, CRL_SERVE_STALE, err, errlen);
	case SC_CRL_WRONG_KEY:
		return crl_server_serve(s->s_crl, CRL_SERVE_WRONG_KEY, err, errlen);
	default:
		crl_server_offline(s->s_crl);
		return 0;
	}
}

void
server_crl_offline(struct server *s)
{
	crl_server_offline(s->s_crl);
	audit_event(s->s_audit, time(NULL), s->s_net.snap->generation, "crl_offline",
	    "the CRL server refuses connections");
}

/* The listeners' ports are bound at start: a new scenario must have the
 * same ones (its chains and policies may change). -1 with err if not. */
static int
listeners_kept(struct server *s, const struct scenario *sc, char *err, size_t errlen)
{
	const struct scenario *cur = &s->s_net.snap->sc;
	int same = sc->n_listeners == cur->n_listeners;

	for (size_t k = 0; same && k < sc->n_listeners; k++)
		same = sc->listeners[k].port == cur->listeners[k].port;
	if (same)
		return 0;
	snprintf(err, errlen, "%s: its listeners (%zu) are not the ones the gateway listens on "
	    "(%zu, bound at start): a reload keeps the ports; restart the gateway to listen "
	    "elsewhere", sc->path, sc->n_listeners, cur->n_listeners);
	return -1;
}

int
server_apply(struct server *s, struct scenario *sc, const char *type, char *err,
    size_t errlen)
{
	struct snapshot *snap = NULL;

	if (listeners_kept(s, sc, err, errlen) == 0 && crl_prepare(s, sc, err, errlen) == 0)
		snap = snapshot_build(sc, s->s_net.snap, s->s_opt.state_dir, wall_ms(), err, errlen);
	if (snap == NULL) {
		json_t *ev = evlog_new("policy_failed", 0);
		json_object_set_new(ev, "cause", json_string(type));
		json_object_set_new(ev, "error", json_string(err));
		evlog_emit(ev);
		return -1;
	}
	/* the CDP follows revocation.crl when it changes (not after a
	 * timeline crl-offline that left the scenario as it was) */
	char cerr[256];
	if ((snap->sc.crl_mode != s->s_net.snap->sc.crl_mode ||
	    snap->sc.aia_mode != s->s_net.snap->sc.aia_mode) &&
	    crl_follow(s, &snap->sc, cerr, sizeof(cerr)) != 0)
		log_warnx("%s", cerr);
	net_set_snapshot(&s->s_net, snap);
	emit_policy(s, type, snap);
	snapshot_unref(snap);
	return 0;
}

/* Load the scenario file into *sc; -1 with err. Its gateway clock starts
 * now (a reload starts it again, with the timeline). */
static int
load_scenario_file(struct server *s, struct scenario *sc, char *err, size_t errlen)
{
	if (scenario_load(s->s_scenario_path, true, sc, err, errlen) != 0)
		return -1;
	sc->clock_t0_ms = wall_ms();
	return 0;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	char err[1024];

	if (sig == SIGHUP) {
		struct scenario *sc = malloc(sizeof(*sc));
		if (sc == NULL || load_scenario_file(s, sc, err, sizeof(err)) != 0 ||
		    server_apply(s, sc, "reload", err, sizeof(err)) != 0) {
			if (sc == NULL)
				snprintf(err, sizeof(err), "out of memory");
			json_t *ev = evlog_new("reload_failed", 0);
			json_object_set_new(ev, "error", json_string(err));
			evlog_emit(ev);
			log_warnx("reload failed, keeping the current policy: %s", err);
		} else {
			/* the new timeline counts from the reload */
			timeline_free(s->s_timeline);
			s->s_timeline = timeline_start(s);
		}
		free(sc);
		return;
	}
	server_stop(s);
}

/* Every connection is a descriptor: take the hard limit, as far as it goes. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("%s: setrlimit", __func__);
}

/*
 * evlog: the event stream is flushed and subscribers (GET /events?follow=1)
 * are fed on the main thread. A pump follows the first event at once; one
 * within the pump interval of the last waits for the rest of that interval:
 * 2 ms while events are sparse, 10 ms in a storm (evlog_pump_interval). A
 * storm's events then go out in one write and one wake-up of this thread,
 * which may share a core with a worker, per 10 ms rather than a few per
 * connection, and a quiet gateway's events are at most 2 ms late.
 */
static void
pump_now(struct server *s)
{
	uint64_t now = now_ms(), span = now - s->s_pumped_ms;
	uint64_t fresh = evlog_pump();
	s->s_pump_ms = evlog_pump_interval(s->s_pump_ms, fresh, span);
	s->s_pumped_ms = now;
}

static void
on_pump_timer(evutil_socket_t fd, short what, void *arg)
{
	pump_now(arg);
}

static void
pump_job(void *arg)
{
	struct server *s = arg;
	uint64_t since = now_ms() - s->s_pumped_ms;
	if (since >= s->s_pump_ms || s->s_pump_timer == NULL) {
		pump_now(s);
		return;
	}
	struct timeval tv = { 0, (suseconds_t)(s->s_pump_ms - since) * 1000 };
	if (evtimer_add(s->s_pump_timer, &tv) != 0)
		pump_now(s);
}

static struct server *evlog_server; /* whose main thread feeds event followers */

static void
evlog_notify(void)
{
	(void)mailbox_post(evlog_server->s_mail, pump_job, evlog_server);
}

/* ---- life --------------------------------------------------------------- */

static const struct net_ops server_net_ops = {
	.conn = &session_conn_ops,
	.admit = admission_admit,
	.worker_done = on_worker_done,
};

struct server *
server_new(const struct server_options *opt, char *err, size_t errlen)
{
	struct server *s = calloc(1, sizeof(*s));
	struct scenario *sc = malloc(sizeof(*sc));
	struct snapshot *snap = NULL;
	static const int signos[3] = { SIGTERM, SIGINT, SIGHUP };

	if (s == NULL || sc == NULL) {
		snprintf(err, errlen, "out of memory");
		free(s);
		free(sc);
		return NULL;
	}
	s->s_opt = *opt;
	s->s_tun_fd = -1;
	pthread_mutex_init(&s->s_mu, NULL);
	netfaults_init(&s->s_netfaults);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	snapshot_set_workers(opt->workers);

	if (scenario_resolve(opt->scenario, s->s_scenario_path, sizeof(s->s_scenario_path),
	    err, errlen) != 0 || load_scenario_file(s, sc, err, errlen) != 0)
		goto fail;
	if ((s->s_base = event_base_new()) == NULL || (s->s_mail = mailbox_new(s->s_base)) == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		goto fail;
	}
	/* the CRL address is bound before the leaf that names it is built;
	 * revocation.crl offline: the URL is in the leaf but nobody answers */
	if (crl_prepare(s, sc, err, errlen) != 0 ||
	    (snap = snapshot_build(sc, NULL, opt->state_dir, wall_ms(), err, errlen)) == NULL ||
	    crl_follow(s, sc, err, errlen) != 0)
		goto fail;
	if (net_init(&s->s_net, snap, &server_net_ops, s) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snapshot_unref(snap);
	snap = NULL;
	free(sc);
	sc = NULL;
	/* the audit exists before the first connection can reach it */
	if ((s->s_audit = audit_new(AUDIT_DEFAULT_CAP)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((s->s_pump_timer = evtimer_new(s->s_base, on_pump_timer, s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	evlog_server = s;
	evlog_set_notify(evlog_notify);
	const struct scenario *tsc = &s->s_net.snap->sc;
	if (tsc->backend == SC_BACKEND_TUN) {
		s->s_tun_fd = tun_open(tsc->tun_name, tsc->gateway_ip, tsc->pool_prefix, err, errlen);
		if (s->s_tun_fd < 0)
			goto fail;
		if ((s->s_tun_ev = event_new(s->s_base, s->s_tun_fd, EV_READ | EV_PERSIST, on_tun_read,
		    s)) == NULL || event_add(s->s_tun_ev, NULL) != 0) {
			snprintf(err, errlen, "cannot watch the TUN device");
			goto fail;
		}
	}
	for (int i = 0; i < 3; i++) {
		s->s_sigs[i] = evsignal_new(s->s_base, signos[i], on_signal, s);
		if (s->s_sigs[i] == NULL || event_add(s->s_sigs[i], NULL) != 0) {
			snprintf(err, errlen, "cannot install signal handlers");
			goto fail;
		}
	}
	return s;
fail:
	snapshot_unref(snap);
	free(sc);
	server_free(s, 0);
	return NULL;
}

int
server_listen(struct server *s, char *err, size_t errlen)
{
	const struct scenario *sc = &s->s_net.snap->sc;
	char addrs[1 + SC_MAX_LISTENERS][WORKER_ADDR_MAX];
	const char *ap[1 + SC_MAX_LISTENERS];
	const char *colon = strrchr(s->s_opt.listen, ':');
	int hostlen = colon != NULL ? (int)(colon - s->s_opt.listen) : 0;

	/* the scenario's listeners: more ports of the --listen address */
	ap[0] = s->s_opt.listen;
	for (size_t k = 0; k < sc->n_listeners; k++) {
		int n = snprintf(addrs[k], sizeof(addrs[k]), "%.*s:%u", hostlen, s->s_opt.listen,
		    (unsigned)sc->listeners[k].port);
		if (colon == NULL || n < 0 || (size_t)n >= sizeof(addrs[k])) {
			snprintf(err, errlen, "--listen %s: no address for listener %s", s->s_opt.listen,
			    sc->listeners[k].name);
			return -1;
		}
		ap[k + 1] = addrs[k];
	}
	s->s_nlisten = 1 + (unsigned)sc->n_listeners;
	if (workers_start(&s->s_net, ap, s->s_nlisten, s->s_opt.workers, s->s_listen_at, err,
	    errlen) != 0)
		return -1;
	emit_policy(s, "start", s->s_net.snap);
	s->s_timeline = timeline_start(s);
	return 0;
}

const char *
server_listen_address(const struct server *s)
{
	return s->s_listen_at[0];
}

const char *
server_listener_address(const struct server *s, unsigned k)
{
	return k >= 1 && k < s->s_nlisten ? s->s_listen_at[k] : NULL;
}


const char *
server_crl_address(const struct server *s)
{
	return s->s_crl != NULL ? crl_server_address(s->s_crl) : "";
}

unsigned
server_workers(const struct server *s)
{
	return s->s_net.nworkers;
}

struct event_base *
server_base(struct server *s)
{
	return s->s_base;
}

void
server_run(struct server *s)
{
	event_base_dispatch(s->s_base);
}

void
server_shutdown(struct server *s)
{
	workers_stop(&s->s_net, 1);
	workers_join(&s->s_net);
	timeline_free(s->s_timeline);
	s->s_timeline = NULL;
	crl_server_free(s->s_crl);
	s->s_crl = NULL;
	if (s->s_tun_ev != NULL)
		event_free(s->s_tun_ev);
	s->s_tun_ev = NULL;
	if (s->s_tun_fd >= 0)
		close(s->s_tun_fd);
	s->s_tun_fd = -1;
}

void
server_free(struct server *s, int ran)
{
	if (s == NULL)
		return;
	server_shutdown(s);
	if (evlog_server == s) {
		evlog_set_notify(NULL);
		evlog_pump();  /* what the timer would have sent */
		evlog_server = NULL;
		evlog_clear();
	}
	if (s->s_pump_timer != NULL)
		event_free(s->s_pump_timer);
	for (int i = 0; i < 3; i++)
		if (s->s_sigs[i] != NULL)
			event_free(s->s_sigs[i]);
	mailbox_free(s->s_mail);
	if (ran) {
		json_t *ev = evlog_new("stop", 0);
		json_object_set_new(ev, "accepted", json_integer((json_int_t)s->s_net.accepted));
		json_object_set_new(ev, "refused", json_integer((json_int_t)s->s_net.refused));
		evlog_emit(ev);
	}
	net_destroy(&s->s_net);
	audit_free(s->s_audit);
	if (s->s_base != NULL)
		event_base_free(s->s_base);
	netfaults_destroy(&s->s_netfaults);
	pthread_mutex_destroy(&s->s_mu);
	free(s);
}

const struct snapshot *
server_current(struct server *s)
{
	return s->s_net.snap;
}

const char *
server_state_dir(const struct server *s)
{
	return s->s_opt.state_dir;
}

struct audit *
server_audit(struct server *s)
{
	return s->s_audit;
}

/* ---- counters and faults ------------------------------------------------ */

void
server_stats(struct server *s, struct server_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->connections = atomic_load(&s->s_net.nconns);
	st->half_open = atomic_load(&s->s_net.half_open);
	st->sstp_sessions = atomic_load(&s->s_sstp_sessions);
	st->workers = s->s_net.nworkers;
	st->accepted = atomic_load(&s->s_net.accepted);
	st->refused = atomic_load(&s->s_net.refused);
	for (int r = 0; r < CR__COUNT; r++)
		st->closes[r] = atomic_load(&s->s_net.closes[r]);
	for (int d = 0; d < 2; d++) {
		st->shaped_bytes[d] = atomic_load(&s->s_shaper.bytes[d]);
		st->throttled_ms[d] = atomic_load(&s->s_shaper.throttled_ms[d]);
		st->shaped_active[d] = atomic_load(&s->s_shaper.active[d]);
	}
	st->queue_bytes = atomic_load(&s->s_shaper.queued_bytes);
	st->queue_drops = atomic_load(&s->s_shaper.queue_drops);
}

void
server_faults(struct server *s, struct server_faults *f)
{
	uint64_t until = atomic_load(&s->s_maint_until), now = now_ms();
	pthread_mutex_lock(&s->s_mu);
	f->refuse_next = s->s_fault_refuse_next;
	f->action = s->s_fault_action;
	pthread_mutex_unlock(&s->s_mu);
	f->maintenance_left_ms = until > now ? until - now : 0;
	f->radius_delay_ms = atomic_load(&s->s_radius_faults.delay_ms);
	f->radius_drop_percent = atomic_load(&s->s_radius_faults.drop_percent);
	f->radius_down = atomic_load(&s->s_radius_faults.down);
}

void
server_faults_radius(struct server *s, uint32_t delay_ms, uint32_t drop_percent, int down)
{
	atomic_store(&s->s_radius_faults.delay_ms, delay_ms);
	atomic_store(&s->s_radius_faults.drop_percent, drop_percent);
	atomic_store(&s->s_radius_faults.down, down);
}

const struct radius_faults *
server_radius_faults(struct server *s)
{
	return &s->s_radius_faults;
}

void
server_faults_refuse(struct server *s, unsigned next, const struct tls_refusal *action)
{
	pthread_mutex_lock(&s->s_mu);
	s->s_fault_refuse_next = next;
	s->s_fault_action = *action;
	pthread_mutex_unlock(&s->s_mu);
}

void
server_faults_clear(struct server *s)
{
	static const struct tls_refusal reset = { TLS_REFUSE_RESET, 0 };
	server_faults_refuse(s, 0, &reset);
	atomic_store(&s->s_maint_until, 0);
	server_faults_radius(s, 0, 0, 0);
}

/* ---- sessions ----------------------------------------------------------- */

static void
session_view_of(struct conn *c, struct session_view *v)
{
	struct session *se = session_of(c);

	memset(v, 0, sizeof(*v));
	v->id = c->c_id;
	snprintf(v->peer, sizeof(v->peer), "%s", c->c_peer);
	v->state = conn_state_name(c->c_state);
	v->ending = conn_is_ending(c);
	if (c->c_state == CS_ESTABLISHED && c->c_tls_up) {
		v->tls_up = 1;
		v->tls_version = tls_conn_version(&c->c_tls);
		v->tls_suite = tls_conn_suite(&c->c_tls);
		v->resumed = tls_conn_resumed(&c->c_tls);
	}
	if (se != NULL && se->tun != NULL) {
		const char *st, *ident;
		v->has_tunnel = 1;
		tunnel_info(se->tun, &st, &ident, &v->client_addr);
		snprintf(v->sstp_state, sizeof(v->sstp_state), "%s", st);
		snprintf(v->identity, sizeof(v->identity), "%s", ident);
	}
	v->bytes_in = c->c_bytes_in;
	v->bytes_out = c->c_bytes_out;
	v->duration_ms = conn_age_ms(c);
	snprintf(v->scenario, sizeof(v->scenario), "%s", c->c_snap->sc.name);
	v->generation = c->c_snap->generation;
}

struct view_job {
	void (*fn)(const struct session_view *v, void *arg);
	void  *arg;
};

static void
view_job(struct conn *c, void *arg)
{
	struct view_job *j = arg;
	struct session_view v;
	session_view_of(c, &v);
	j->fn(&v, j->arg);
}

void
server_sessions(struct server *s, void (*fn)(const struct session_view *v, void *arg), void *arg)
{
	struct view_job j = { fn, arg };
	net_foreach_conn(&s->s_net, view_job, &j);
}

struct one_job {
	uint64_t              id;
	int                   found;
	int                   end;     /* 0: describe it; 1: end it */
	enum session_end      how;
	enum close_reason     reason;
	const char           *detail;
	const char           *done;
	struct session_view  *v;
};

static void
one_job(struct conn *c, void *arg)
{
	struct one_job *j = arg;

	if (c->c_id != j->id || j->found)
		return;
	j->found = 1;
	if (!j->end) {
		session_view_of(c, j->v);
		return;
	}
	struct session *se = session_of(c);
	int ending = conn_is_ending(c);
	int had_call = c->c_state == CS_ESTABLISHED && se != NULL && se->tun != NULL && !ending;
	switch (j->how) {
	case SESSION_END_DISCONNECT:
		j->done = ending ? "already ending" : had_call ?
		    "PPP LCP Terminate-Request, then SSTP CALL_DISCONNECT" :
		    "no call yet: the connection is closed";
		conn_disconnect(c, j->reason, j->detail);
		break;
	case SESSION_END_ABORT:
		j->done = ending ? "already ending" : had_call ? "SSTP CALL_ABORT" :
		    "no call yet: the connection is closed";
		conn_abort(c, j->reason, j->detail);
		break;
	case SESSION_END_RESET:
		j->done = "TCP RST sent, connection closed";
		conn_reset(c, j->reason, j->detail); /* frees c */
		break;
	}
}

int
server_session(struct server *s, uint64_t id, struct session_view *v)
{
	struct one_job j = { .id = id, .v = v };
	net_foreach_conn(&s->s_net, one_job, &j);
	return j.found ? 0 : -1;
}

int
server_session_end(struct server *s, uint64_t id, enum session_end how,
    enum close_reason reason, const char *detail, const char **done)
{
	struct one_job j = { .id = id, .end = 1, .how = how, .reason = reason, .detail = detail };
	net_foreach_conn(&s->s_net, one_job, &j);
	*done = j.done;
	return j.found ? 0 : -1;
}
