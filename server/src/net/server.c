/*
 * The gateway process: one event base, the TLS listener, the control
 * listener, signals (TERM/INT stop, HUP reloads the scenario for new
 * connections) and the current policy snapshot.
 */
#include "net/server.h"

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

#include "control/control.h"
#include "control/crl_http.h"
#include "net/peers.h"
#include "net/worker.h"
#include "net/timeline.h"
#include "net/tun.h"
#include "net/tunnel.h"
#include "vnet/responder.h"
#include "util/log.h"
#include "util/mailbox.h"

int
parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
	char host[256];
	const char *port;

	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (e == NULL || e[1] != ':' || (size_t)(e - s - 1) >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = '\0';
		port = e + 2;
	} else {
		const char *c = strrchr(s, ':');
		if (c == NULL || (size_t)(c - s) >= sizeof(host))
			goto bad;
		memcpy(host, s, (size_t)(c - s));
		host[c - s] = '\0';
		port = c + 1;
	}
	char *end;
	errno = 0;
	long p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || errno != 0 || p < 0 || p > 65535)
		goto bad;

	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*sin6);
		return 0;
	}
	if (strcmp(host, "localhost") == 0) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons((uint16_t)p);
		*len = sizeof(*sin);
		return 0;
	}
bad:
	snprintf(err, errlen, "'%s' is not ADDR:PORT (an IPv4 address, [IPv6] or localhost, "
	    "and a port 0..65535)", s);
	return -1;
}

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
		workers_stop(s, 1); /* a second signal: now */
		return;
	}
	s->s_stopping = 1;
	workers_stop(s, 0);
}

static void
worker_done_job(void *arg)
{
	struct server *s = arg;
	if (++s->s_workers_done == s->s_nworkers)
		event_base_loopexit(s->s_base, NULL);
}

void
server_worker_done(struct server *s)
{
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
	if (!c->c_ending) {
		conn_disconnect(c, CR_FAULT_INJECTED, j->detail);
		j->ended++;
	}
}

unsigned
server_maintenance(struct server *s, uint32_t ms, const char *detail)
{
	struct maint_job j = { detail, 0 };
	atomic_store(&s->s_maint_until, now_ms() + ms);
	server_foreach_conn(s, maint_end, &j);
	return j.ended;
}

struct tls_snapshot *
server_snapshot(struct server *s)
{
	pthread_mutex_lock(&s->s_mu);
	struct tls_snapshot *snap = snapshot_ref(s->s_snap);
	pthread_mutex_unlock(&s->s_mu);
	return snap;
}

struct addr_pool *
server_pool(struct server *s)
{
	pthread_mutex_lock(&s->s_mu);
	struct addr_pool *p = pool_ref(s->s_pool);
	pthread_mutex_unlock(&s->s_mu);
	return p;
}

int
server_tun_fd(struct server *s)
{
	return s->s_tun_fd;
}

/* A packet from the TUN device on its way to the worker of its tunnel. */
struct tun_packet {
	struct worker    *tp_worker;
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
	struct worker *w = NULL;
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
	struct addr_pool *pool = server_pool(s);

	for (int i = 0; i < 64; i++) {
		ssize_t n = read(fd, pkt, sizeof(pkt));
		if (n < 0)
			break; /* EAGAIN, or an error the next event reports again */
		if (n < 20 || (pkt[0] >> 4) != 4 || pool == NULL)
			continue;
		uint32_t dst = (uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 |
		    (uint32_t)pkt[18] << 8 | pkt[19];
		struct worker *w = NULL;
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
		if (mailbox_post(w->w_mail, tun_deliver_job, tp) != 0) {
			pool_unref(tp->tp_pool);
			free(tp);
		}
	}
	pool_unref(pool);
}

int
server_throughput_take(struct server *s, size_t bytes, uint64_t now)
{
	uint64_t rate = atomic_load(&s->s_tb_rate);
	if (rate == 0)
		return 1;
	int ok = 1;
	pthread_mutex_lock(&s->s_mu);
	/* a bucket of one tenth of a second's worth, refilled continuously */
	double burst = (double)rate / 10.0 + 4096.0;
	s->s_tb_tokens += (double)(now - s->s_tb_last) * (double)rate / 1000.0;
	s->s_tb_last = now;
	if (s->s_tb_tokens > burst)
		s->s_tb_tokens = burst;
	if (s->s_tb_tokens < (double)bytes)
		ok = 0;
	else
		s->s_tb_tokens -= (double)bytes;
	pthread_mutex_unlock(&s->s_mu);
	return ok;
}

/* Follow the scenario's client pool; leases of an older pool stay valid. */
static void
update_pool(struct server *s, const struct scenario *sc)
{
	struct addr_pool *p = s->s_pool;
	if (p != NULL && p->net == sc->pool_net && p->prefix == sc->pool_prefix &&
	    p->gateway == sc->gateway_ip)
		return;
	struct addr_pool *np = pool_new(sc->pool_net, sc->pool_prefix, sc->gateway_ip);
	if (np == NULL) {
		log_warnx("cannot build the client address pool");
		return;
	}
	pthread_mutex_lock(&s->s_mu);
	s->s_pool = np;
	pthread_mutex_unlock(&s->s_mu);
	pool_unref(p);
}

static void
emit_policy(const char *type, const struct tls_snapshot *snap)
{
	json_t *ev = evlog_new(type, 0);
	json_object_set_new(ev, "scenario", json_string(snap->sc.name));
	json_object_set_new(ev, "file", json_string(snap->sc.path));
	json_object_set_new(ev, "policy_generation", json_integer((json_int_t)snap->generation));
	json_object_set_new(ev, "chain", json_string(snap->sc.chain));
	json_object_set_new(ev, "variant", json_string(pki_variant_name(snap->sc.variant)));
	json_object_set_new(ev, "leaf", json_string(snap->chain.leaf_subject));
	json_object_set_new(ev, "root", json_string(snap->chain.root_subject));
	json_object_set_new(ev, "root_file", json_string(snap->chain.root_path));
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
	if (sc->crl_mode != SC_CRL_OFF)
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

/* Serve CRLs for revocation.crl ok and revoked; refuse connections otherwise. */
static int
crl_follow(struct server *s, const struct scenario *sc, char *err, size_t errlen)
{
	if (s->s_crl == NULL)
		return 0;
	if (sc->crl_mode == SC_CRL_OK || sc->crl_mode == SC_CRL_REVOKED)
		return crl_server_online(s->s_crl, err, errlen);
	crl_server_offline(s->s_crl);
	return 0;
}

void
server_crl_offline(struct server *s)
{
	crl_server_offline(s->s_crl);
}

int
server_apply(struct server *s, struct scenario *sc, const char *type, char *err,
    size_t errlen)
{
	struct tls_snapshot *snap = NULL;

	if (crl_prepare(s, sc, err, errlen) == 0)
		snap = snapshot_build(sc, s->s_opt.state_dir, time(NULL), err, errlen);
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
	if (snap->sc.crl_mode != s->s_snap->sc.crl_mode &&
	    crl_follow(s, &snap->sc, cerr, sizeof(cerr)) != 0)
		log_warnx("%s", cerr);
	pthread_mutex_lock(&s->s_mu);
	struct tls_snapshot *old = s->s_snap;
	s->s_snap = snap;
	pthread_mutex_unlock(&s->s_mu);
	atomic_store(&s->s_tb_rate, snap->sc.throughput_bps);
	snapshot_unref(old);
	update_pool(s, &snap->sc);
	emit_policy(type, snap);
	return 0;
}

/* Load the scenario file into *sc; -1 with err. */
static int
load_scenario_file(struct server *s, struct scenario *sc, char *err, size_t errlen)
{
	return scenario_load(s->s_scenario_path, true, sc, err, errlen);
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

static void
pump_job(void *arg)
{
	evlog_pump();
}

static struct server *evlog_server; /* whose main thread feeds event followers */

/* evlog: subscribers (GET /events?follow=1) are fed on the main thread. */
static void
evlog_notify(void)
{
	(void)mailbox_post(evlog_server->s_mail, pump_job, NULL);
}

int
server_run(const struct server_options *opt)
{
	struct server s;
	char err[1024], listen_at[64], control_at[64], crl_at[48] = "";
	int rc = 1;
	struct control *ctl = NULL;
	struct event *sigs[3] = { NULL, NULL, NULL };
	static const int signos[3] = { SIGTERM, SIGINT, SIGHUP };

	memset(&s, 0, sizeof(s));
	s.s_opt = *opt;
	s.s_tun_fd = -1;
	pthread_mutex_init(&s.s_mu, NULL);
	pthread_cond_init(&s.s_start_cv, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	snapshot_set_workers(opt->workers);

	struct scenario *sc = malloc(sizeof(*sc));
	if (sc == NULL || scenario_resolve(opt->scenario, s.s_scenario_path,
	    sizeof(s.s_scenario_path), err, sizeof(err)) != 0 ||
	    load_scenario_file(&s, sc, err, sizeof(err)) != 0) {
		log_warnx("%s", sc == NULL ? "out of memory" : err);
		free(sc);
		goto free_sync;
	}
	if ((s.s_peers = peers_new()) == NULL || (s.s_base = event_base_new()) == NULL ||
	    (s.s_mail = mailbox_new(s.s_base)) == NULL) {
		log_warnx("cannot create the event loop");
		free(sc);
		goto done;
	}
	/* the CRL address is bound before the leaf that names it is built;
	 * revocation.crl offline: the URL is in the leaf but nobody answers */
	if (crl_prepare(&s, sc, err, sizeof(err)) != 0 ||
	    (s.s_snap = snapshot_build(sc, opt->state_dir, time(NULL), err, sizeof(err))) == NULL ||
	    crl_follow(&s, sc, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		free(sc);
		goto done;
	}
	free(sc);
	if (s.s_crl != NULL)
		snprintf(crl_at, sizeof(crl_at), " crl=%s", crl_server_address(s.s_crl));
	atomic_store(&s.s_tb_rate, s.s_snap->sc.throughput_bps);
	update_pool(&s, &s.s_snap->sc);
	evlog_server = &s;
	evlog_set_notify(evlog_notify);
	if (s.s_snap->sc.backend == SC_BACKEND_TUN) {
		const struct scenario *tsc = &s.s_snap->sc;
		s.s_tun_fd = tun_open(tsc->tun_name, tsc->gateway_ip, tsc->pool_prefix, err, sizeof(err));
		if (s.s_tun_fd < 0 || (s.s_tun_ev = event_new(s.s_base, s.s_tun_fd,
		    EV_READ | EV_PERSIST, on_tun_read, &s)) == NULL || event_add(s.s_tun_ev, NULL) != 0) {
			log_warnx("%s", s.s_tun_fd < 0 ? err : "cannot watch the TUN device");
			goto done;
		}
	}
	/* the audit exists before the first connection can reach it */
	if ((ctl = control_start(&s, opt->control, opt->token, control_at, sizeof(control_at),
	    err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		goto done;
	}
	for (int i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(s.s_base, signos[i], on_signal, &s);
		if (sigs[i] == NULL || event_add(sigs[i], NULL) != 0) {
			log_warnx("cannot install signal handlers");
			goto done;
		}
	}
	if (workers_start(&s, opt->listen, opt->workers, listen_at, sizeof(listen_at), err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto done;
	}

	emit_policy("start", s.s_snap);
	s.s_timeline = timeline_start(&s);
	printf("READY listen=%s control=%s workers=%u%s\n", listen_at, control_at, s.s_nworkers,
	    crl_at);
	fflush(stdout);

	event_base_dispatch(s.s_base);
	rc = 0;

done:
	workers_stop(&s, 1);
	workers_join(&s);
	timeline_free(s.s_timeline);
	crl_server_free(s.s_crl);
	if (s.s_tun_ev != NULL)
		event_free(s.s_tun_ev);
	if (s.s_tun_fd >= 0)
		close(s.s_tun_fd);
	control_stop(ctl);
	evlog_set_notify(NULL);
	evlog_server = NULL;
	evlog_clear();
	for (int i = 0; i < 3; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	mailbox_free(s.s_mail);
	snapshot_unref(s.s_snap);
	pool_unref(s.s_pool);
	peers_free(s.s_peers);
	if (s.s_base != NULL)
		event_base_free(s.s_base);
	if (rc == 0) {
		json_t *ev = evlog_new("stop", 0);
		json_object_set_new(ev, "accepted", json_integer((json_int_t)s.s_accepted));
		json_object_set_new(ev, "refused", json_integer((json_int_t)s.s_refused));
		evlog_emit(ev);
	}
free_sync:
	pthread_cond_destroy(&s.s_start_cv);
	pthread_mutex_destroy(&s.s_mu);
	return rc;
}
