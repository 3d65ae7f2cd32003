/*
 * Worker threads: listener, the half-open limit (eviction of the oldest
 * hello-less connection, pausing the listener) and the connection lists.
 * Admission of each accepted connection is the application's (net_ops.admit).
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


#include "net/conn.h"
#include "net/net.h"
#include "net/peers.h"
#include "util/addr.h"
#include "util/log.h"
#include "util/mailbox.h"
#include "util/xtime.h"

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

static void listen_resume(struct worker *w);

/* ---- connection lists -------------------------------------------------- */

void
worker_conn_added(struct worker *w, struct conn *c)
{
	struct net *n = w->w_net;
	c->c_id = atomic_fetch_add(&n->next_id, 1) + 1;
	TAILQ_INSERT_TAIL(&w->w_conns, c, c_entry);
	TAILQ_INSERT_TAIL(&w->w_hello, c, c_half_entry);
	c->c_half = 1;
	w->w_nhalf++;
	w->w_nconns++;
	atomic_fetch_add(&n->nconns, 1);
	atomic_fetch_add(&n->half_open, 1);
	atomic_fetch_add(&n->accepted, 1);
	pthread_mutex_lock(&n->mu);
	c->c_peer_count = peers_add(n->peers, c->c_peer_key);
	(void)peers_half(n->peers, c->c_peer_key, +1);
	pthread_mutex_unlock(&n->mu);
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
	atomic_fetch_sub(&w->w_net->half_open, 1);
	if (c->c_peer_count != 0) {
		pthread_mutex_lock(&w->w_net->mu);
		(void)peers_half(w->w_net->peers, c->c_peer_key, -1);
		pthread_mutex_unlock(&w->w_net->mu);
	}
	if (w->w_paused && w->w_nhalf < w->w_share)
		listen_resume(w);
}

void
worker_conn_removed(struct worker *w, struct conn *c)
{
	struct net *n = w->w_net;
	worker_conn_established(w, c);
	TAILQ_REMOVE(&w->w_conns, c, c_entry);
	w->w_nconns--;
	atomic_fetch_sub(&n->nconns, 1);
	if (c->c_peer_count != 0) {
		pthread_mutex_lock(&n->mu);
		peers_del(n->peers, c->c_peer_key);
		pthread_mutex_unlock(&n->mu);
	}
	if (w->w_stopping && w->w_nconns == 0)
		event_base_loopexit(w->w_base, NULL);
}

/* ---- accept ------------------------------------------------------------ */

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
	struct net *n = w->w_net;
	struct conn *c, *best = NULL;
	unsigned best_half = 0;
	int look = 0;

	pthread_mutex_lock(&n->mu);
	TAILQ_FOREACH(c, &w->w_hello, c_half_entry) {
		if (c->c_state == CS_HELLO) {
			int pending = 0;
			if (conn_age_ms(c) < EVICT_AGE_MS)
				break; /* the list is in accept order: the rest are younger */
			if (ioctl(c->c_fd, FIONREAD, &pending) == 0 && pending > 0)
				continue;
		}
		unsigned half = c->c_peer_count != 0 ? peers_half(n->peers, c->c_peer_key, 0) : 0;
		if (best == NULL || half > best_half) {
			best = c;
			best_half = half;
		}
		if (++look == EVICT_LOOK)
			break;
	}
	pthread_mutex_unlock(&n->mu);
	return best;
}

/* gateway.max_half_open of the current snapshot. */
static unsigned
half_open_limit(struct worker *w)
{
	struct snapshot *snap = net_snapshot(w->w_net);
	unsigned limit = snap->sc.max_half_open;
	snapshot_unref(snap);
	return limit;
}

/* 1 when the worker may take one more half-open connection. */
static int
make_room(struct worker *w, unsigned limit)
{
	w->w_share = limit / w->w_net->nworkers > 0 ? limit / w->w_net->nworkers : 1;
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
	for (unsigned k = 0; k < w->w_nls; k++)
		event_del(w->w_ls[k].wl_ev);
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
	for (unsigned k = 0; k < w->w_nls; k++) {
		event_add(w->w_ls[k].wl_ev, NULL);
		event_active(w->w_ls[k].wl_ev, EV_READ, 0); /* the backlog is waiting */
	}
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
accept_one(struct worker *w, unsigned listener, int fd, const struct sockaddr *sa)
{
	struct net *n = w->w_net;
	char peer[64];
	uint8_t key[PEER_KEY_LEN];

	sockaddr_format(sa, peer, sizeof(peer));
	peers_key(sa, key);
	struct conn *c = conn_new(w, listener, fd, peer, key);
	if (c == NULL) {
		log_warnx("%s: cannot allocate a connection for %s", __func__, peer);
		return;
	}
	(void)n->ops->admit(n->app, c); /* on refusal c is gone */
}

/* At most ACCEPT_BURST connections per callback, so a connection flood
 * cannot keep the loop from the connections it already has. */
#define ACCEPT_BURST 32
static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct worker_listener *wl = arg;
	struct worker *w = wl->wl_w;
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
			accept_one(w, wl->wl_index, fd, (struct sockaddr *)&ss);
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
	for (unsigned k = 0; k < w->w_nls; k++)
		if (w->w_ls[k].wl_ev != NULL)
			event_del(w->w_ls[k].wl_ev);
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
		conn_disconnect(c, CR_SHUTDOWN, NULL);
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
workers_stop(struct net *n, int now)
{
	for (unsigned i = 0; i < n->nworkers; i++) {
		struct worker *w = n->workers[i];
		if (w != NULL && w->w_started && w->w_mail != NULL)
			(void)mailbox_post(w->w_mail, now ? stop_now_job : stop_job, w);
	}
}

/* ---- the thread -------------------------------------------------------- */

static void
set_ready(struct worker *w, int ready)
{
	struct net *n = w->w_net;
	pthread_mutex_lock(&n->mu);
	w->w_ready = ready;
	pthread_cond_broadcast(&n->start_cv);
	pthread_mutex_unlock(&n->mu);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct net *n = w->w_net;
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
	int ok = (w->w_room_timer = evtimer_new(w->w_base, on_room_timer, w)) != NULL;
	for (unsigned k = 0; k < w->w_nls && ok; k++) {
		struct worker_listener *wl = &w->w_ls[k];
		wl->wl_ev = event_new(w->w_base, wl->wl_fd, EV_READ | EV_PERSIST, on_accept, wl);
		ok = wl->wl_ev != NULL && event_add(wl->wl_ev, NULL) == 0;
	}
	if (!ok) {
		snprintf(w->w_err, sizeof(w->w_err), "worker %u: cannot watch the listening sockets",
		    w->w_index);
		set_ready(w, -1);
		return NULL;
	}
	set_ready(w, 1);

	event_base_dispatch(w->w_base);

	while (!TAILQ_EMPTY(&w->w_conns))
		conn_close(TAILQ_FIRST(&w->w_conns), CR_SHUTDOWN, NULL);
	mailbox_close(w->w_mail); /* nobody waits on this thread any more */
	n->ops->worker_done(n->app);
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
workers_start(struct net *n, const char *const *addrs, unsigned naddrs, unsigned count,
    char (*bound)[WORKER_ADDR_MAX], char *err, size_t errlen)
{
	struct sockaddr_storage ss[WORKER_MAX_LISTENERS];
	socklen_t len[WORKER_MAX_LISTENERS];

	if (naddrs < 1 || naddrs > WORKER_MAX_LISTENERS) {
		snprintf(err, errlen, "%u listening addresses (1..%d)", naddrs, WORKER_MAX_LISTENERS);
		return -1;
	}
	for (unsigned k = 0; k < naddrs; k++)
		if (addr_parse_hostport(addrs[k], &ss[k], &len[k], err, errlen) != 0)
			return -1;
	if ((n->workers = calloc(count, sizeof(*n->workers))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n->nworkers = count;
	for (unsigned i = 0; i < count; i++) {
		struct worker *w = calloc(1, sizeof(*w));
		if (w == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		w->w_magic = WORKER_MAGIC;
		w->w_index = i;
		w->w_net = n;
		TAILQ_INIT(&w->w_conns);
		TAILQ_INIT(&w->w_hello);
		TAILQ_INIT(&w->w_hs);
		n->workers[i] = w;
		for (unsigned k = 0; k < naddrs; k++) {
			struct worker_listener *wl = &w->w_ls[k];
			wl->wl_w = w;
			wl->wl_index = k;
			wl->wl_fd = -1;
			w->w_nls = k + 1;
			if (bind_one(&ss[k], len[k], addrs[k], &wl->wl_fd, err, errlen) != 0)
				goto fail;
			if (i == 0) {
				/* port 0: the others take the port the first one got */
				len[k] = sizeof(ss[k]);
				getsockname(wl->wl_fd, (struct sockaddr *)&ss[k], &len[k]);
				sockaddr_format((struct sockaddr *)&ss[k], bound[k], WORKER_ADDR_MAX);
			}
		}
	}
	int failed = 0;
	for (unsigned i = 0; i < count && !failed; i++) {
		struct worker *w = n->workers[i];
		if (pthread_create(&w->w_thread, NULL, worker_main, w) != 0) {
			snprintf(err, errlen, "cannot start worker thread %u: %s", i, strerror(errno));
			failed = 1;
			break;
		}
		w->w_started = 1;
	}
	/* wait until every started worker listens (or gave up) */
	pthread_mutex_lock(&n->mu);
	for (unsigned i = 0; i < count; i++) {
		struct worker *w = n->workers[i];
		if (!w->w_started)
			continue;
		while (w->w_ready == 0)
			pthread_cond_wait(&n->start_cv, &n->mu);
		if (w->w_ready < 0 && !failed) {
			failed = 1;
			snprintf(err, errlen, "%s", w->w_err);
		}
	}
	pthread_mutex_unlock(&n->mu);
	if (failed)
		goto fail;
	return 0;
fail:
	workers_stop(n, 1);
	workers_join(n);
	return -1;
}

void
workers_join(struct net *n)
{
	for (unsigned i = 0; i < n->nworkers; i++) {
		struct worker *w = n->workers[i];
		if (w == NULL)
			continue;
		if (w->w_started)
			pthread_join(w->w_thread, NULL);
		for (unsigned k = 0; k < w->w_nls; k++) {
			if (w->w_ls[k].wl_ev != NULL)
				event_free(w->w_ls[k].wl_ev);
			if (w->w_ls[k].wl_fd >= 0)
				close(w->w_ls[k].wl_fd);
		}
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
	free(n->workers);
	n->workers = NULL;
	n->nworkers = 0;
}
