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
#include <unistd.h>

#include <event2/listener.h>

#include "control/control.h"
#include "control/crl_http.h"
#include "net/timeline.h"
#include "net/tun.h"
#include "net/tunnel.h"
#include "vnet/responder.h"
#include "util/log.h"

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

static void
format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

void
server_conn_added(struct server *s, struct conn *c)
{
	c->c_id = ++s->s_next_id;
	TAILQ_INSERT_TAIL(&s->s_conns, c, c_entry);
	s->s_nconns++;
	s->s_accepted++;
}

int
server_fault_gate(struct server *s, struct gate_result *g)
{
	if (s->s_fault_refuse_next == 0)
		return 0;
	s->s_fault_refuse_next--;
	g->verdict = GATE_REFUSE;
	g->reason = CR_FAULT_INJECTED;
	g->action = s->s_fault_action;
	snprintf(g->why, sizeof(g->why), "fault injected by the control API (%u more to refuse)",
	    s->s_fault_refuse_next);
	return 1;
}

void
server_conn_removed(struct server *s, struct conn *c)
{
	TAILQ_REMOVE(&s->s_conns, c, c_entry);
	s->s_nconns--;
	if (s->s_stopping && s->s_nconns == 0)
		event_base_loopexit(s->s_base, NULL);
}

static void
on_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	event_base_loopexit(s->s_base, NULL);
}

/* SIGTERM/SIGINT: stop accepting, end every call as the gateway would,
 * and exit when they are done (at most STOP_GRACE_MS). */
#define STOP_GRACE_MS 3000
static void
server_stop(struct server *s)
{
	if (s->s_stopping) {
		event_base_loopexit(s->s_base, NULL); /* a second signal: now */
		return;
	}
	s->s_stopping = 1;
	if (s->s_listener != NULL)
		evconnlistener_disable(s->s_listener);
	if (s->s_nconns == 0) {
		event_base_loopexit(s->s_base, NULL);
		return;
	}
	struct timeval tv = { STOP_GRACE_MS / 1000, (STOP_GRACE_MS % 1000) * 1000 };
	s->s_stop_timer = evtimer_new(s->s_base, on_stop_timeout, s);
	if (s->s_stop_timer == NULL || evtimer_add(s->s_stop_timer, &tv) != 0) {
		event_base_loopexit(s->s_base, NULL);
		return;
	}
	for (struct conn *c = TAILQ_FIRST(&s->s_conns), *next; c != NULL; c = next) {
		next = TAILQ_NEXT(c, c_entry);
		conn_shutdown(c);
	}
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct server *s = arg;
	char peer[64];

	format_addr(sa, peer, sizeof(peer));
	struct conn *c = conn_new(s, fd, peer);
	if (c == NULL) {
		log_warnx("%s: cannot allocate a connection for %s", __func__, peer);
		return;
	}
	if (s->s_maint_until != 0 && now_ms() < s->s_maint_until) {
		s->s_refused++;
		c->c_refused = CR_FAULT_INJECTED;
		c->c_action.kind = SC_REFUSE_RESET;
		conn_close(c, CR_FAULT_INJECTED, "maintenance window (control API)");
		return;
	}
	if (s->s_nconns > s->s_snap->sc.max_connections) {
		char why[96];
		snprintf(why, sizeof(why), "%u connections open, limit %u", s->s_nconns - 1,
		    s->s_snap->sc.max_connections);
		s->s_refused++;
		c->c_refused = CR_REFUSED_CAPACITY;
		c->c_action.kind = SC_REFUSE_RESET;
		conn_close(c, CR_REFUSED_CAPACITY, why);
	}
}

static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	/* EMFILE and friends: keep running; the listener retries on the next event */
	log_warn("%s: accept", __func__);
}

struct addr_pool *
server_pool(struct server *s)
{
	return s->s_pool;
}

int
server_tun_fd(struct server *s)
{
	return s->s_tun_fd;
}

/* Packets from the TUN device go to the tunnel that leased their destination. */
static void
on_tun_read(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	uint8_t pkt[VNET_MAX_PACKET];

	for (int i = 0; i < 64; i++) {
		ssize_t n = read(fd, pkt, sizeof(pkt));
		if (n < 0)
			return; /* EAGAIN, or an error the next event reports again */
		if (n < 20 || (pkt[0] >> 4) != 4 || s->s_pool == NULL)
			continue;
		uint32_t dst = (uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 |
		    (uint32_t)pkt[18] << 8 | pkt[19];
		struct tunnel *t = pool_owner(s->s_pool, dst);
		if (t != NULL)
			tunnel_deliver_ip(t, pkt, (size_t)n, now_ms());
	}
}

int
server_throughput_take(struct server *s, size_t bytes, uint64_t now)
{
	uint64_t rate = s->s_snap->sc.throughput_bps;
	if (rate == 0)
		return 1;
	/* a bucket of one tenth of a second's worth, refilled continuously */
	double burst = (double)rate / 10.0 + 4096.0;
	s->s_tb_tokens += (double)(now - s->s_tb_last) * (double)rate / 1000.0;
	s->s_tb_last = now;
	if (s->s_tb_tokens > burst)
		s->s_tb_tokens = burst;
	if (s->s_tb_tokens < (double)bytes)
		return 0;
	s->s_tb_tokens -= (double)bytes;
	return 1;
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
	pool_unref(p);
	s->s_pool = np;
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

int
server_apply(struct server *s, const struct scenario *sc, const char *type, char *err,
    size_t errlen)
{
	struct tls_snapshot *snap = snapshot_build(sc, s->s_opt.state_dir, time(NULL), err, errlen);
	if (snap == NULL) {
		json_t *ev = evlog_new("policy_failed", 0);
		json_object_set_new(ev, "cause", json_string(type));
		json_object_set_new(ev, "error", json_string(err));
		evlog_emit(ev);
		return -1;
	}
	struct tls_snapshot *old = s->s_snap;
	s->s_snap = snap;
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

static int
make_listener(const char *addr, int *fdp, char *bound, size_t boundlen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	if (parse_hostport(addr, &ss, &len, err, errlen) != 0)
		return -1;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s%s", addr, strerror(errno),
		    errno == EACCES ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "");
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	format_addr((struct sockaddr *)&ss, bound, boundlen);
	*fdp = fd;
	return 0;
}

int
server_run(const struct server_options *opt)
{
	struct server s;
	char err[1024], listen_at[64], control_at[64];
	int rc = 1, lfd = -1;
	struct evconnlistener *listener = NULL;
	struct control *ctl = NULL;
	struct event *sigs[3] = { NULL, NULL, NULL };
	static const int signos[3] = { SIGTERM, SIGINT, SIGHUP };

	memset(&s, 0, sizeof(s));
	s.s_opt = *opt;
	TAILQ_INIT(&s.s_conns);
	signal(SIGPIPE, SIG_IGN);

	struct scenario *sc = malloc(sizeof(*sc));
	if (sc == NULL || scenario_resolve(opt->scenario, s.s_scenario_path,
	    sizeof(s.s_scenario_path), err, sizeof(err)) != 0 ||
	    load_scenario_file(&s, sc, err, sizeof(err)) != 0 ||
	    (s.s_snap = snapshot_build(sc, opt->state_dir, time(NULL), err, sizeof(err))) == NULL) {
		log_warnx("%s", sc == NULL ? "out of memory" : err);
		free(sc);
		return 1;
	}
	free(sc);
	update_pool(&s, &s.s_snap->sc);
	s.s_tun_fd = -1;
	if ((s.s_base = event_base_new()) == NULL) {
		log_warnx("cannot create the event loop");
		goto done;
	}
	if (s.s_snap->sc.crl_mode == SC_CRL_OK || s.s_snap->sc.crl_mode == SC_CRL_REVOKED) {
		/* revocation.crl offline: the URL is in the leaf but nobody answers */
		s.s_crl = crl_server_start(s.s_base, s.s_snap->sc.crl_listen, opt->state_dir, err,
		    sizeof(err));
		if (s.s_crl == NULL) {
			log_warnx("%s", err);
			goto done;
		}
	}
	if (s.s_snap->sc.backend == SC_BACKEND_TUN) {
		const struct scenario *tsc = &s.s_snap->sc;
		s.s_tun_fd = tun_open(tsc->tun_name, tsc->gateway_ip, tsc->pool_prefix, err, sizeof(err));
		if (s.s_tun_fd < 0 || (s.s_tun_ev = event_new(s.s_base, s.s_tun_fd,
		    EV_READ | EV_PERSIST, on_tun_read, &s)) == NULL || event_add(s.s_tun_ev, NULL) != 0) {
			log_warnx("%s", s.s_tun_fd < 0 ? err : "cannot watch the TUN device");
			goto done;
		}
	}
	if (make_listener(opt->listen, &lfd, listen_at, sizeof(listen_at), err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto done;
	}
	listener = evconnlistener_new(s.s_base, on_accept, &s, LEV_OPT_CLOSE_ON_FREE, 0, lfd);
	if (listener == NULL) {
		close(lfd);
		log_warnx("cannot watch the listening socket");
		goto done;
	}
	evconnlistener_set_error_cb(listener, on_accept_error);
	s.s_listener = listener;
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

	emit_policy("start", s.s_snap);
	s.s_timeline = timeline_start(&s);
	printf("READY listen=%s control=%s\n", listen_at, control_at);
	fflush(stdout);

	event_base_dispatch(s.s_base);
	rc = 0;

done:
	while (!TAILQ_EMPTY(&s.s_conns))
		conn_close(TAILQ_FIRST(&s.s_conns), CR_SHUTDOWN, NULL);
	if (listener != NULL)
		evconnlistener_free(listener);
	if (s.s_stop_timer != NULL)
		event_free(s.s_stop_timer);
	timeline_free(s.s_timeline);
	crl_server_stop(s.s_crl);
	if (s.s_tun_ev != NULL)
		event_free(s.s_tun_ev);
	if (s.s_tun_fd >= 0)
		close(s.s_tun_fd);
	control_stop(ctl);
	evlog_clear();
	for (int i = 0; i < 3; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	snapshot_unref(s.s_snap);
	pool_unref(s.s_pool);
	if (s.s_base != NULL)
		event_base_free(s.s_base);
	if (rc == 0) {
		json_t *ev = evlog_new("stop", 0);
		json_object_set_new(ev, "accepted", json_integer((json_int_t)s.s_accepted));
		json_object_set_new(ev, "refused", json_integer((json_int_t)s.s_refused));
		evlog_emit(ev);
	}
	return rc;
}
