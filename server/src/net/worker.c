/*
 * Worker threads: listener, accept-time limits (total, per address,
 * half-open with eviction of the oldest) and the connection lists.
 */
#include "net/worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>


#include "net/peers.h"
#include "net/server.h"
#include "net/tunnel.h"
#include "util/log.h"
#include "util/mailbox.h"

#define STOP_GRACE_MS 3000

int
workers_count(const char *setting, unsigned *n, char *err, size_t errlen)
{
	if (setting == NULL || *setting == '\0') {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		*n = cpus < 1 ? 1 : cpus > WORKERS_MAX ? WORKERS_MAX : (unsigned)cpus;
		return 0;
	}
	char *end;
	errno = 0;
	long v = strtol(setting, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1 || v > WORKERS_MAX) {
		snprintf(err, errlen, "--workers/P2SGW_WORKERS: '%s' is not a number of worker threads "
		    "1..%d", setting, WORKERS_MAX);
		return -1;
	}
	*n = (unsigned)v;
	return 0;
}

static void
format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

static void listen_resume(struct worker *w);

/* ---- connection lists -------------------------------------------------- */

void
worker_conn_added(struct worker *w, struct conn *c)
{
	struct server *s = w->w_srv;
	c->c_id = atomic_fetch_add(&s->s_next_id, 1) + 1;
	TAILQ_INSERT_TAIL(&w->w_conns, c, c_entry);
	TAILQ_INSERT_TAIL(&w->w_hello, c, c_half_entry);
	c->c_half = 1;
	w->w_nhalf++;
	w->w_nconns++;
	atomic_fetch_add(&s->s_nconns, 1);
	atomic_fetch_add(&s->s_half_open, 1);
	atomic_fetch_add(&s->s_accepted, 1);
	pthread_mutex_lock(&s->s_mu);
	c->c_peer_count = peers_add(s->s_peers, c->c_peer_key);
	(void)peers_half(s->s_peers, c->c_peer_key, +1);
	pthread_mutex_unlock(&s->s_mu);
}

void
worker_conn_handshaking(struct worker *w, struct conn *c)
{
	if (c->c_half != 1)
		return;
	TAILQ_REMOVE(&w->w_hello, c, c_half_entry);
	TAILQ_INSERT_TAIL(&w->w_hs, c, c_half_entry);
	c->c_half = 2;
}

void
worker_conn_established(struct worker *w, struct conn *c)
{
	if (c->c_half == 0)
		return;
	if (c->c_half == 1)
		TAILQ_REMOVE(&w->w_hello, c, c_half_entry);
	else
		TAILQ_REMOVE(&w->w_hs, c, c_half_entry);
	c->c_half = 0;
	w->w_nhalf--;
	atomic_fetch_sub(&w->w_srv->s_half_open, 1);
	if (c->c_peer_count != 0) {
		pthread_mutex_lock(&w->w_srv->s_mu);
		(void)peers_half(w->w_srv->s_peers, c->c_peer_key, -1);
		pthread_mutex_unlock(&w->w_srv->s_mu);
	}
	if (w->w_paused && w->w_nhalf < w->w_share)
		listen_resume(w);
}

void
worker_conn_removed(struct worker *w, struct conn *c)
{
	struct server *s = w->w_srv;
	worker_conn_established(w, c);
	TAILQ_REMOVE(&w->w_conns, c, c_entry);
	w->w_nconns--;
	atomic_fetch_sub(&s->s_nconns, 1);
	if (c->c_peer_count != 0) {
		pthread_mutex_lock(&s->s_mu);
		peers_del(s->s_peers, c->c_peer_key);
		pthread_mutex_unlock(&s->s_mu);
	}
	if (w->w_stopping && w->w_nconns == 0)
		event_base_loopexit(w->w_base, NULL);
}

/* ---- accept ------------------------------------------------------------ */

static void
refuse(struct conn *c, enum close_reason reason, const char *why)
{
	atomic_fetch_add(&c->c_srv->s_refused, 1);
	c->c_refused = reason;
	c->c_action.kind = SC_REFUSE_RESET;
	conn_close(c, reason, why);
}

/*
 * Half-open limit. Each worker keeps an equal share of gateway.max_half_open,
 * so the total never passes it. At its share a worker makes room by closing
 * a connection that has had a second or more to send its ClientHello and
 * has not (idle or slow senders; refused and held ones at any age): among
 * the oldest EVICT_LOOK of them, the oldest from the address with the most
 * unfinished handshakes, so a flood from some addresses pays for itself.
 * A hello that has arrived but not been read yet is spared. When nothing
 * may be closed (a storm of real clients, all in their handshakes), the
 * worker stops accepting and the kernel's backlog holds the rest until a
 * handshake ends or a connection turns stale.
 */
#define EVICT_LOOK   32
#define EVICT_AGE_MS 1000

static struct conn *
evict_candidate(struct worker *w)
{
	struct server *s = w->w_srv;
	struct conn *c, *best = NULL;
	unsigned best_half = 0;
	int look = 0;

	pthread_mutex_lock(&s->s_mu);
	TAILQ_FOREACH(c, &w->w_hello, c_half_entry) {
		if (c->c_state == CS_HELLO) {
			int pending = 0;
			if (conn_age_ms(c) < EVICT_AGE_MS)
				break; /* the list is in accept order: the rest are younger */
			if (ioctl(c->c_fd, FIONREAD, &pending) == 0 && pending > 0)
				continue;
		}
		unsigned half = c->c_peer_count != 0 ? peers_half(s->s_peers, c->c_peer_key, 0) : 0;
		if (best == NULL || half > best_half) {
			best = c;
			best_half = half;
		}
		if (++look == EVICT_LOOK)
			break;
	}
	pthread_mutex_unlock(&s->s_mu);
	return best;
}

/* gateway.max_half_open of the current snapshot. */
static unsigned
half_open_limit(struct worker *w)
{
	struct tls_snapshot *snap = server_snapshot(w->w_srv);
	unsigned limit = snap->sc.max_half_open;
	snapshot_unref(snap);
	return limit;
}

/* 1 when the worker may take one more half-open connection. */
static int
make_room(struct worker *w, unsigned limit)
{
	w->w_share = limit / w->w_srv->s_nworkers > 0 ? limit / w->w_srv->s_nworkers : 1;
	while (w->w_nhalf >= w->w_share) {
		char why[200];
		struct conn *old = evict_candidate(w);
		if (old == NULL)
			return 0;
		snprintf(why, sizeof(why), "%u connections without a finished TLS handshake on "
		    "worker %u, its share of the limit %u; this one had sent no ClientHello for "
		    "%llu ms", w->w_nhalf, w->w_index, limit, (unsigned long long)conn_age_ms(old));
		conn_close(old, CR_HALF_OPEN_EVICTED, why);
	}
	return 1;
}

static void
listen_pause(struct worker *w)
{
	if (w->w_paused || w->w_stopping)
		return;
	w->w_paused = 1;
	event_del(w->w_listener);
	/* look again when the oldest hello-less connection turns stale */
	uint64_t wait = EVICT_AGE_MS;
	struct conn *old = TAILQ_FIRST(&w->w_hello);
	if (old != NULL) {
		uint64_t age = conn_age_ms(old);
		wait = age < EVICT_AGE_MS ? EVICT_AGE_MS - age + 1 : 10;
	}
	struct timeval tv = { (time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000 };
	evtimer_add(w->w_room_timer, &tv);
}

static void
listen_resume(struct worker *w)
{
	if (!w->w_paused || w->w_stopping)
		return;
	w->w_paused = 0;
	evtimer_del(w->w_room_timer);
	event_add(w->w_listener, NULL);
	event_active(w->w_listener, EV_READ, 0); /* the backlog is waiting */
}

static void
on_room_timer(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	if (!w->w_paused)
		return;
	if (make_room(w, half_open_limit(w))) {
		listen_resume(w);
	} else {
		w->w_paused = 0; /* re-arm with the current oldest */
		listen_pause(w);
	}
}

static void
accept_one(struct worker *w, int fd, const struct sockaddr *sa)
{
	struct server *s = w->w_srv;
	char peer[64], why[200];
	uint8_t key[PEER_KEY_LEN];

	format_addr(sa, peer, sizeof(peer));
	peers_key(sa, key);
	struct conn *c = conn_new(w, fd, peer, key);
	if (c == NULL) {
		log_warnx("%s: cannot allocate a connection for %s", __func__, peer);
		return;
	}
	const struct scenario *sc = &c->c_snap->sc;
	uint64_t maint = atomic_load(&s->s_maint_until);
	if (maint != 0 && now_ms() < maint) {
		refuse(c, CR_FAULT_INJECTED, "maintenance window (control API)");
		return;
	}
	unsigned n = atomic_load(&s->s_nconns);
	if (n > sc->max_connections) {
		snprintf(why, sizeof(why), "%u connections open, limit %u", n - 1, sc->max_connections);
		refuse(c, CR_REFUSED_CAPACITY, why);
		return;
	}
	if (sc->max_per_address != 0 && c->c_peer_count > sc->max_per_address) {
		snprintf(why, sizeof(why), "%u connections open from this address, limit %u",
		    c->c_peer_count - 1, sc->max_per_address);
		refuse(c, CR_REFUSED_PER_ADDRESS, why);
		return;
	}
}

/* At most ACCEPT_BURST connections per callback, so a connection flood
 * cannot keep the loop from the connections it already has. */
#define ACCEPT_BURST 32
static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct worker *w = arg;
	unsigned limit = half_open_limit(w);

	for (int i = 0; i < ACCEPT_BURST && !w->w_stopping; i++) {
		if (!make_room(w, limit)) {
			listen_pause(w);
			return;
		}
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(w, fd, (struct sockaddr *)&ss);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			/* EMFILE and friends: the loop comes back on the next event */
			uint64_t now = now_ms();
			if (now - w->w_accept_warned > 1000) {
				w->w_accept_warned = now;
				log_warn("%s: worker %u: accept", __func__, w->w_index);
			}
		}
		return;
	}
}

/* ---- stop -------------------------------------------------------------- */

static void
on_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	event_base_loopexit(w->w_base, NULL);
}

/* On the worker: stop accepting, end every call as the gateway would, and
 * leave the loop when they are done (at most STOP_GRACE_MS). */
static void
stop_job(void *arg)
{
	struct worker *w = arg;
	if (w->w_stopping)
		return;
	w->w_stopping = 1;
	if (w->w_listener != NULL)
		event_del(w->w_listener);
	if (w->w_room_timer != NULL)
		evtimer_del(w->w_room_timer);
	if (w->w_nconns == 0) {
		event_base_loopexit(w->w_base, NULL);
		return;
	}
	struct timeval tv = { STOP_GRACE_MS / 1000, (STOP_GRACE_MS % 1000) * 1000 };
	w->w_stop_timer = evtimer_new(w->w_base, on_stop_timeout, w);
	if (w->w_stop_timer == NULL || evtimer_add(w->w_stop_timer, &tv) != 0) {
		event_base_loopexit(w->w_base, NULL);
		return;
	}
	for (struct conn *c = TAILQ_FIRST(&w->w_conns), *next; c != NULL; c = next) {
		next = TAILQ_NEXT(c, c_entry);
		conn_shutdown(c);
	}
}

static void
stop_now_job(void *arg)
{
	struct worker *w = arg;
	w->w_stopping = 1;
	event_base_loopexit(w->w_base, NULL);
}

void
workers_stop(struct server *s, int now)
{
	for (unsigned i = 0; i < s->s_nworkers; i++) {
		struct worker *w = s->s_workers[i];
		if (w != NULL && w->w_started && w->w_mail != NULL)
			(void)mailbox_post(w->w_mail, now ? stop_now_job : stop_job, w);
	}
}

/* ---- the thread -------------------------------------------------------- */

static void
set_ready(struct worker *w, int ready)
{
	struct server *s = w->w_srv;
	pthread_mutex_lock(&s->s_mu);
	w->w_ready = ready;
	pthread_cond_broadcast(&s->s_start_cv);
	pthread_mutex_unlock(&s->s_mu);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct server *s = w->w_srv;
	sigset_t set;

	/* signals are the main thread's */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if ((w->w_base = event_base_new()) == NULL || (w->w_mail = mailbox_new(w->w_base)) == NULL) {
		snprintf(w->w_err, sizeof(w->w_err), "worker %u: cannot create its event loop",
		    w->w_index);
		set_ready(w, -1);
		return NULL;
	}
	w->w_listener = event_new(w->w_base, w->w_fd, EV_READ | EV_PERSIST, on_accept, w);
	w->w_room_timer = evtimer_new(w->w_base, on_room_timer, w);
	if (w->w_listener == NULL || w->w_room_timer == NULL || event_add(w->w_listener, NULL) != 0) {
		snprintf(w->w_err, sizeof(w->w_err), "worker %u: cannot watch the listening socket",
		    w->w_index);
		set_ready(w, -1);
		return NULL;
	}
	set_ready(w, 1);

	event_base_dispatch(w->w_base);

	while (!TAILQ_EMPTY(&w->w_conns))
		conn_close(TAILQ_FIRST(&w->w_conns), CR_SHUTDOWN, NULL);
	mailbox_close(w->w_mail); /* nobody waits on this thread any more */
	server_worker_done(s);
	return NULL;
}

/* Bind a listening socket (SO_REUSEPORT, so every worker has its own). */
static int
bind_one(const struct sockaddr_storage *ss, socklen_t len, const char *addr, int *fdp,
    char *err, size_t errlen)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 4096) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s%s", addr, strerror(errno),
		    errno == EACCES ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "");
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

int
workers_start(struct server *s, const char *addr, unsigned n, char *bound, size_t boundlen,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (parse_hostport(addr, &ss, &len, err, errlen) != 0)
		return -1;
	if ((s->s_workers = calloc(n, sizeof(*s->s_workers))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->s_nworkers = n;
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = calloc(1, sizeof(*w));
		if (w == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		w->w_magic = WORKER_MAGIC;
		w->w_index = i;
		w->w_srv = s;
		w->w_fd = -1;
		TAILQ_INIT(&w->w_conns);
		TAILQ_INIT(&w->w_hello);
		TAILQ_INIT(&w->w_hs);
		s->s_workers[i] = w;
		if (bind_one(&ss, len, addr, &w->w_fd, err, errlen) != 0)
			goto fail;
		if (i == 0) {
			/* port 0: the others take the port the first one got */
			len = sizeof(ss);
			getsockname(w->w_fd, (struct sockaddr *)&ss, &len);
			format_addr((struct sockaddr *)&ss, bound, boundlen);
		}
	}
	int failed = 0;
	for (unsigned i = 0; i < n && !failed; i++) {
		struct worker *w = s->s_workers[i];
		if (pthread_create(&w->w_thread, NULL, worker_main, w) != 0) {
			snprintf(err, errlen, "cannot start worker thread %u: %s", i, strerror(errno));
			failed = 1;
			break;
		}
		w->w_started = 1;
	}
	/* wait until every started worker listens (or gave up) */
	pthread_mutex_lock(&s->s_mu);
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = s->s_workers[i];
		if (!w->w_started)
			continue;
		while (w->w_ready == 0)
			pthread_cond_wait(&s->s_start_cv, &s->s_mu);
		if (w->w_ready < 0 && !failed) {
			failed = 1;
			snprintf(err, errlen, "%s", w->w_err);
		}
	}
	pthread_mutex_unlock(&s->s_mu);
	if (failed)
		goto fail;
	return 0;
fail:
	workers_stop(s, 1);
	workers_join(s);
	return -1;
}

void
workers_join(struct server *s)
{
	for (unsigned i = 0; i < s->s_nworkers; i++) {
		struct worker *w = s->s_workers[i];
		if (w == NULL)
			continue;
		if (w->w_started)
			pthread_join(w->w_thread, NULL);
		if (w->w_listener != NULL)
			event_free(w->w_listener);
		if (w->w_fd >= 0)
			close(w->w_fd);
		if (w->w_stop_timer != NULL)
			event_free(w->w_stop_timer);
		if (w->w_room_timer != NULL)
			event_free(w->w_room_timer);
		mailbox_free(w->w_mail);
		if (w->w_base != NULL)
			event_base_free(w->w_base);
		w->w_magic = 0;
		free(w);
	}
	free(s->s_workers);
	s->s_workers = NULL;
	s->s_nworkers = 0;
}

/* ---- reaching connections from the main thread ------------------------- */

struct foreach_job {
	struct worker *w;
	void         (*fn)(struct conn *c, void *arg);
	void          *arg;
};

static void
foreach_job(void *arg)
{
	struct foreach_job *j = arg;
	for (struct conn *c = TAILQ_FIRST(&j->w->w_conns), *next; c != NULL; c = next) {
		next = TAILQ_NEXT(c, c_entry);
		j->fn(c, j->arg);
	}
}

void
server_foreach_conn(struct server *s, void (*fn)(struct conn *c, void *arg), void *arg)
{
	for (unsigned i = 0; i < s->s_nworkers; i++) {
		struct foreach_job j = { s->s_workers[i], fn, arg };
		if (j.w != NULL && j.w->w_mail != NULL)
			(void)mailbox_call(j.w->w_mail, foreach_job, &j);
	}
}
