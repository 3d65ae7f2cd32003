/*
 * Connection life: TCP accept -> first flight to the application's gate
 * -> refusal (reset, FIN, alert, stall) or TLS handshake -> application
 * data both ways -> conn_close().
 *
 * conn_io() is the one place that turns the transport's wish to read or to
 * write into event interest.
 */
#include "net/conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "net/net.h"
#include "net/worker.h"
#include "util/bytes.h"
#include "util/evlog.h"
#include "util/log.h"

#define DRAIN_MS        5000  /* after FIN/alert, wait this long for the client to close */

static void conn_on_read(evutil_socket_t fd, short what, void *arg);
static void conn_on_write(evutil_socket_t fd, short what, void *arg);
static void conn_on_timer(evutil_socket_t fd, short what, void *arg);
static void conn_handshake(struct conn *c);
static void conn_app_read(struct conn *c);
static void conn_on_kill(evutil_socket_t fd, short what, void *arg);

static struct conn *
conn_cast(void *arg)
{
	struct conn *c = arg;
	if (c == NULL || c->c_magic != CONN_MAGIC)
		fatalx("%s: bad connection object", __func__);
	return c;
}

static void
conn_set_timer(struct conn *c, uint32_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(c->c_timer, &tv);
}

uint64_t
conn_age_ms(const struct conn *c)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - c->c_start.tv_sec) * 1000 +
	    (uint64_t)((now.tv_nsec - c->c_start.tv_nsec) / 1000000);
}

/* The transport's wish to event interest: the read event is persistent;
 * the write event is armed only while the transport waits to write. */
static void
conn_io(struct conn *c)
{
	if (c->c_tls_up && tls_conn_sliced(&c->c_tls)) {
		/* the slicer's pause, not the socket, decides when to go on */
		event_del(c->c_wr);
		if (c->c_slice_ev != NULL && !event_pending(c->c_slice_ev, EV_TIMEOUT, NULL)) {
			struct timeval tv = { c->c_slice_gap_ms / 1000, (c->c_slice_gap_ms % 1000) * 1000 };
			event_add(c->c_slice_ev, &tv);
		}
		return;
	}
	if (c->c_tls_up && tls_conn_wants_write(&c->c_tls))
		event_add(c->c_wr, NULL);
	else
		event_del(c->c_wr);
}

/* ---- close ------------------------------------------------------------- */

void
conn_close(struct conn *c, enum close_reason reason, const char *detail)
{
	const struct reason_info *ri = reason_info(reason);
	char abuf[40];

	/* the application's statistics come before the close event */
	c->c_ops->closing(c, reason, detail);
	int refused = c->c_refused != CR_NONE && reason == c->c_refused;

	json_t *ev = evlog_new("close", c->c_id);
	json_object_set_new(ev, "reason", json_string(ri->name));
	json_object_set_new(ev, "text", json_string(ri->text));
	if (detail != NULL && *detail != '\0')
		json_object_set_new(ev, "detail", json_string(detail));
	if (refused) {
		json_object_set_new(ev, "action", json_string(refusal_name(&c->c_action, abuf, sizeof(abuf))));
		json_object_set_new(ev, "client_error", json_string(refusal_client_error(&c->c_action)));
	} else if (ri->client_error != NULL) {
		json_object_set_new(ev, "client_error", json_string(ri->client_error));
	}
	json_object_set_new(ev, "duration_ms", json_integer((json_int_t)conn_age_ms(c)));
	json_object_set_new(ev, "bytes_in", json_integer((json_int_t)c->c_bytes_in));
	json_object_set_new(ev, "bytes_out", json_integer((json_int_t)c->c_bytes_out));
	evlog_emit(ev);

	if (refused && c->c_action.kind == TLS_REFUSE_RESET) {
		struct linger lg = { 1, 0 };
		setsockopt(c->c_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	atomic_fetch_add(&c->c_net->closes[(unsigned)reason < CR__COUNT ? reason : CR_NONE], 1);
	event_free(c->c_rd);
	event_free(c->c_wr);
	event_free(c->c_timer);
	event_free(c->c_kill);
	if (c->c_slice_ev != NULL)
		event_free(c->c_slice_ev);
	evbuffer_free(c->c_wbuf);
	close(c->c_fd);
	if (c->c_tls_up)
		tls_conn_free(&c->c_tls);
	worker_conn_removed(c->c_wrk, c);
	snapshot_unref(c->c_snap);
	free(c->c_why); /* after its last use: it may be this close's detail */
	c->c_magic = 0;
	free(c);
}

/* ---- refusal ----------------------------------------------------------- */

void
conn_refuse(struct conn *c, enum close_reason reason, const struct tls_refusal *action,
    const char *why)
{
	atomic_fetch_add(&c->c_net->refused, 1);
	c->c_refused = reason;
	c->c_action = *action;
	free(c->c_why);
	c->c_why = strdup(why != NULL ? why : ""); /* NULL (out of memory): no detail */

	switch (action->kind) {
	case TLS_REFUSE_RESET:
		conn_close(c, reason, why);
		return;
	case TLS_REFUSE_STALL:
		c->c_state = CS_STALLED;
		conn_set_timer(c, c->c_snap->sc.stall_timeout_ms);
		return;
	case TLS_REFUSE_ALERT: {
		/* the record version of the client's hello, as a TLS 1.x server would */
		uint16_t rv = c->c_head_len >= 3 && c->c_head[0] == 0x16 ?
		    be16_get(c->c_head + 1) : 0x0301;
		if (rv < 0x0300 || rv > 0x0303)
			rv = 0x0301;
		uint8_t alert[7] = { 0x15, (uint8_t)(rv >> 8), (uint8_t)rv, 0, 2, 2, action->alert };
		ssize_t n = send(c->c_fd, alert, sizeof(alert), MSG_NOSIGNAL);
		if (n > 0)
			c->c_bytes_out += (uint64_t)n;
	}
		/* FALLTHROUGH */
	case TLS_REFUSE_FIN:
		shutdown(c->c_fd, SHUT_WR);
		c->c_state = CS_DRAINING;
		conn_set_timer(c, DRAIN_MS);
		return;
	}
}

/* ---- first flight ------------------------------------------------------ */

/* One read per readiness: the gate takes the bytes as they come (it keeps
 * what it needs), so no connection holds a buffer of its own here. */
static _Thread_local uint8_t hello_scratch[16384];

static void
conn_hello_read(struct conn *c)
{
	ssize_t n = recv(c->c_fd, hello_scratch, sizeof(hello_scratch), 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_close(c, errno == ECONNRESET ? CR_CLIENT_RESET : CR_CLIENT_CLOSED,
		    "before sending a ClientHello");
		return;
	}
	if (n == 0) {
		conn_close(c, CR_CLIENT_CLOSED, c->c_head_len ? "in the middle of the ClientHello"
		                                              : "before sending anything");
		return;
	}
	c->c_bytes_in += (uint64_t)n;
	for (ssize_t i = 0; i < n && c->c_head_len < sizeof(c->c_head); i++)
		c->c_head[c->c_head_len++] = hello_scratch[i];
	c->c_ops->first_flight(c, hello_scratch, (size_t)n);
}

/* ---- handshake --------------------------------------------------------- */

uint32_t
conn_peer_ipv4(const struct conn *c)
{
	const uint8_t *k = c->c_peer_key;  /* peers_key(): family byte, then the address */
	if (k[0] != 4)
		return 0;
	return (uint32_t)k[1] << 24 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 8 | k[4];
}

const char *
conn_listener_name(const struct conn *c)
{
	unsigned k = c->c_listener;
	return k >= 1 && k <= c->c_snap->sc.n_listeners ? c->c_snap->sc.listeners[k - 1].name : NULL;
}

const char *
conn_chain(const struct conn *c)
{
	return snapshot_chain_name(c->c_snap, c->c_alt);
}

void
conn_start_tls(struct conn *c, uint8_t *pre, size_t pre_len, unsigned alt)
{
	char err[128];
	c->c_alt = alt <= c->c_snap->n_alts ? alt : 0;
	const mbedtls_ssl_config *conf = snapshot_conf_for(c->c_snap, c->c_wrk->w_index, c->c_alt);

	/* the transport serves the first flight before the socket, and owns it */
	c->c_tls_up = 1;
	if (tls_conn_setup(&c->c_tls, conf, c->c_fd, pre, pre_len, &c->c_bytes_in,
	    &c->c_bytes_out, err, sizeof(err)) != 0) {
		conn_close(c, CR_INTERNAL, err);
		return;
	}
	c->c_state = CS_HANDSHAKE;
	worker_conn_handshaking(c->c_wrk, c);
	conn_handshake(c);
}

static void
emit_tls_result(struct conn *c, const struct tls_end *failed)
{
	json_t *ev = evlog_new("tls_result", c->c_id);
	if (failed != NULL) {
		json_object_set_new(ev, "result", json_string("failed"));
		json_object_set_new(ev, "error", json_string(failed->detail));
	} else {
		json_object_set_new(ev, "result", json_string("ok"));
		json_object_set_new(ev, "version", json_string(tls_conn_version(&c->c_tls)));
		json_object_set_new(ev, "suite", json_string(tls_conn_suite(&c->c_tls)));
		json_object_set_new(ev, "resumed", json_boolean(tls_conn_resumed(&c->c_tls)));
		json_object_set_new(ev, "handshake_ms", json_integer((json_int_t)conn_age_ms(c)));
	}
	/* after result and its fields: consumers match "conn":N,"result":... */
	json_object_set_new(ev, "chain", json_string(conn_chain(c)));
	if (conn_listener_name(c) != NULL)
		json_object_set_new(ev, "listener", json_string(conn_listener_name(c)));
	evlog_emit(ev);
}

static void
conn_handshake(struct conn *c)
{
	struct tls_end end;
	int rc = tls_conn_handshake(&c->c_tls, &end);
	conn_io(c);
	if (rc == 0)
		return;
	if (rc < 0) {
		emit_tls_result(c, &end);
		c->c_ops->tls_done(c, &end);
		conn_close(c, end.reason, end.detail);
		return;
	}
	emit_tls_result(c, NULL);
	c->c_ops->tls_done(c, NULL);
	c->c_state = CS_ESTABLISHED;
	worker_conn_established(c->c_wrk, c);
	conn_set_timer(c, c->c_snap->sc.idle_timeout_ms);
	c->c_ops->established(c);
	if (!c->c_ending)
		conn_app_read(c);
}

/* ---- after the handshake: output, the end ------------------------------ */

/* Write pending output; one TLS write per chunk of at most one record,
 * retried with the same length while the transport waits (mbedTLS' rule). */
static void
conn_flush(struct conn *c)
{
	size_t avail;
	while ((avail = evbuffer_get_length(c->c_wbuf)) > 0) {
		struct tls_end end;
		size_t rec = c->c_tls.slice > 0 && c->c_tls.slice < 16384 ? c->c_tls.slice : 16384;
		size_t n = c->c_wlen ? c->c_wlen : (avail < rec ? avail : rec);
		unsigned char *p = evbuffer_pullup(c->c_wbuf, (ssize_t)n);
		int rc = tls_conn_write(&c->c_tls, p, n, &end);
		if (rc == 0) {
			c->c_wlen = n;
			conn_io(c);
			return;
		}
		c->c_wlen = 0;
		if (rc < 0) {
			evbuffer_drain(c->c_wbuf, avail);
			c->c_lower_down = 1;
			if (!c->c_ending)
				c->c_ops->lower_down(c, end.reason, end.detail);
			break;
		}
		evbuffer_drain(c->c_wbuf, (size_t)rc);
	}
	conn_io(c);
	if (c->c_ending && !c->c_close_scheduled && !tls_conn_sliced(&c->c_tls)) {
		c->c_close_scheduled = 1;
		if (c->c_slow_close_ms > 0) {
			struct timeval tv = { c->c_slow_close_ms / 1000, (c->c_slow_close_ms % 1000) * 1000 };
			event_add(c->c_kill, &tv);
		} else {
			event_active(c->c_kill, EV_TIMEOUT, 0);
		}
	}
}

void
conn_write(struct conn *c, const uint8_t *buf, size_t len)
{
	if (c->c_lower_down)
		return;
	if (evbuffer_add(c->c_wbuf, buf, len) != 0) {
		conn_end(c, CR_INTERNAL, "out of memory");
		return;
	}
	/* while input is being processed, answers are gathered and go out
	 * together: several SSTP packets to a TLS record */
	if (c->c_wlen == 0 && !c->c_batch)
		conn_flush(c);
}

/* End the connection once the output is written. Safe inside any core:
 * the connection is freed later, from its own event callback. */
void
conn_end(struct conn *c, enum close_reason reason, const char *detail)
{
	if (c->c_ending)
		return;
	c->c_ending = 1;
	c->c_end_reason = reason;
	snprintf(c->c_end_detail, sizeof(c->c_end_detail), "%s", detail ? detail : "");
	/* nothing more is read: a client that keeps sending must not spin the loop */
	event_del(c->c_rd);
	if (c->c_lower_down)
		evbuffer_drain(c->c_wbuf, evbuffer_get_length(c->c_wbuf));
	conn_flush(c); /* no TLS yet: nothing queued, the close is scheduled */
}

void
conn_lower_down(struct conn *c)
{
	c->c_lower_down = 1;
}

static void
conn_on_slice(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = conn_cast(arg);
	tls_conn_slice_next(&c->c_tls);
	if (c->c_state == CS_ESTABLISHED)
		conn_flush(c);
}

void
conn_set_slicer(struct conn *c, size_t bytes, uint32_t gap_ms)
{
	if (!c->c_tls_up)
		return;
	if (bytes > 0 && c->c_slice_ev == NULL &&
	    (c->c_slice_ev = evtimer_new(c->c_wrk->w_base, conn_on_slice, c)) == NULL)
		return; /* out of memory: no slicing */
	c->c_slice_gap_ms = gap_ms;
	tls_conn_slice(&c->c_tls, bytes);
	if (bytes == 0 && c->c_slice_ev != NULL) {
		event_del(c->c_slice_ev);
		if (c->c_state == CS_ESTABLISHED)
			conn_flush(c);
	}
}

void
conn_set_slow_close(struct conn *c, uint32_t delay_ms)
{
	c->c_slow_close_ms = delay_ms;
}

void
conn_pause_read(struct conn *c, int on)
{
	if (c->c_ending || c->c_state != CS_ESTABLISHED || c->c_read_paused == !!on)
		return;
	c->c_read_paused = !!on;
	if (on) {
		event_del(c->c_rd);
		return;
	}
	event_add(c->c_rd, NULL);
	/* records may wait in the TLS layer with nothing more on the socket */
	event_active(c->c_rd, EV_READ, 0);
}

int
conn_is_ending(const struct conn *c)
{
	return c->c_ending;
}

/* Graceful (abort 0) or aborted end of the call, with the reason to report. */
static void
conn_end_call(struct conn *c, int abort, enum close_reason reason, const char *detail)
{
	if (c->c_ending)
		return;
	if (c->c_state == CS_ESTABLISHED) {
		uint64_t now = now_ms();
		if (c->c_ops->end_call(c, abort, reason, detail, now)) {
			conn_rearm(c, now);
			return;
		}
	} else {
		c->c_lower_down = 1; /* no TLS session to close */
	}
	conn_end(c, reason, detail);
}

void
conn_disconnect(struct conn *c, enum close_reason reason, const char *detail)
{
	conn_end_call(c, 0, reason, detail);
}

void
conn_abort(struct conn *c, enum close_reason reason, const char *detail)
{
	conn_end_call(c, 1, reason, detail);
}

void
conn_end_reset(struct conn *c, enum close_reason reason, const char *detail)
{
	if (c->c_ending)
		return;
	c->c_lower_down = 1; /* a reset says nothing more */
	c->c_refused = reason;
	c->c_action.kind = TLS_REFUSE_RESET;
	c->c_action.alert = 0;
	conn_end(c, reason, detail);
}

void
conn_reset(struct conn *c, enum close_reason reason, const char *detail)
{
	c->c_refused = reason; /* conn_close sends the RST for a reset refusal */
	c->c_action.kind = TLS_REFUSE_RESET;
	c->c_action.alert = 0;
	conn_close(c, reason, detail);
}

const char *
conn_state_name(enum conn_state st)
{
	switch (st) {
	case CS_HELLO:       return "hello";
	case CS_HANDSHAKE:   return "handshake";
	case CS_ESTABLISHED: return "established";
	case CS_STALLED:     return "stalled";
	case CS_DRAINING:    return "draining";
	}
	return "?";
}

static void
conn_on_kill(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = conn_cast(arg);
	if (!c->c_lower_down && c->c_state == CS_ESTABLISHED) {
		tls_conn_close_notify(&c->c_tls);
		shutdown(c->c_fd, SHUT_WR);
	}
	conn_close(c, c->c_end_reason, c->c_end_detail[0] ? c->c_end_detail : NULL);
}

void
conn_rearm(struct conn *c, uint64_t now)
{
	if (c->c_ending)
		return;
	uint64_t d = c->c_ops->deadline(c);
	if (d == 0)
		conn_set_timer(c, c->c_snap->sc.idle_timeout_ms);
	else
		conn_set_timer(c, d > now ? (uint32_t)(d - now) : 0);
}

static void
conn_app_read(struct conn *c)
{
	uint8_t buf[16384];

	c->c_batch = 1;
	tls_conn_batch(&c->c_tls, 1);
	while (!c->c_ending && !c->c_read_paused) {
		struct tls_end end;
		int rc = tls_conn_read(&c->c_tls, buf, sizeof(buf), &end);
		if (rc == 0)
			break;
		if (rc < 0) {
			c->c_lower_down = 1;
			c->c_ops->lower_down(c, end.reason, end.detail[0] ? end.detail : NULL);
			break;
		}
		c->c_ops->input(c, buf, (size_t)rc, now_ms());
	}
	c->c_batch = 0;
	tls_conn_batch(&c->c_tls, 0);
	conn_io(c);
	if (!c->c_ending && c->c_wlen == 0 && evbuffer_get_length(c->c_wbuf) > 0)
		conn_flush(c);
	conn_rearm(c, now_ms());
}

/* ---- event callbacks --------------------------------------------------- */

static void
conn_discard(struct conn *c)
{
	uint8_t buf[4096];
	for (;;) {
		ssize_t n = recv(c->c_fd, buf, sizeof(buf), 0);
		if (n > 0) {
			c->c_bytes_in += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		/* the client gave up: the refusal ends here */
		conn_close(c, c->c_refused, c->c_why);
		return;
	}
}

static void
conn_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = conn_cast(arg);
	switch (c->c_state) {
	case CS_HELLO:
		conn_hello_read(c);
		break;
	case CS_HANDSHAKE:
		conn_handshake(c);
		break;
	case CS_ESTABLISHED:
		conn_app_read(c);
		break;
	case CS_STALLED:
	case CS_DRAINING:
		conn_discard(c);
		break;
	}
}

static void
conn_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = conn_cast(arg);
	if (c->c_state == CS_HANDSHAKE)
		conn_handshake(c);
	else if (c->c_state == CS_ESTABLISHED)
		conn_flush(c);
}

static void
conn_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = conn_cast(arg);
	switch (c->c_state) {
	case CS_HELLO:
	case CS_HANDSHAKE:
		conn_close(c, CR_HANDSHAKE_TIMEOUT, c->c_state == CS_HELLO ?
		    "no complete ClientHello" : "handshake not finished");
		break;
	case CS_ESTABLISHED:
		if (c->c_ops->deadline(c) != 0) {
			uint64_t now = now_ms();
			c->c_ops->tick(c, now);
			conn_rearm(c, now);
		} else {
			conn_end(c, CR_IDLE_TIMEOUT, NULL);
		}
		break;
	case CS_STALLED:
	case CS_DRAINING:
		conn_close(c, c->c_refused, c->c_why);
		break;
	}
}

/* ---- accept ------------------------------------------------------------ */

struct conn *
conn_new(struct worker *w, unsigned listener, int fd, const char *peer,
    const uint8_t peer_key[PEER_KEY_LEN])
{
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->c_magic = CONN_MAGIC;
	c->c_fd = fd;
	c->c_wrk = w;
	c->c_listener = listener;
	c->c_net = w->w_net;
	c->c_ops = w->w_net->ops->conn;
	c->c_state = CS_HELLO;
	c->c_snap = net_snapshot(c->c_net);
	clock_gettime(CLOCK_MONOTONIC, &c->c_start);
	snprintf(c->c_peer, sizeof(c->c_peer), "%s", peer);
	memcpy(c->c_peer_key, peer_key, PEER_KEY_LEN);
	c->c_rd = event_new(w->w_base, fd, EV_READ | EV_PERSIST, conn_on_read, c);
	c->c_wr = event_new(w->w_base, fd, EV_WRITE, conn_on_write, c);
	c->c_timer = evtimer_new(w->w_base, conn_on_timer, c);
	c->c_kill = event_new(w->w_base, -1, 0, conn_on_kill, c);
	c->c_wbuf = evbuffer_new();
	if (c->c_rd == NULL || c->c_wr == NULL || c->c_timer == NULL ||
	    c->c_kill == NULL || c->c_wbuf == NULL) {
		if (c->c_kill)
			event_free(c->c_kill);
		if (c->c_wbuf)
			evbuffer_free(c->c_wbuf);
		if (c->c_rd)
			event_free(c->c_rd);
		if (c->c_wr)
			event_free(c->c_wr);
		if (c->c_timer)
			event_free(c->c_timer);
		snapshot_unref(c->c_snap);
		free(c);
		close(fd);
		return NULL;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	worker_conn_added(w, c);

	json_t *ev = evlog_new("accept", c->c_id);
	json_object_set_new(ev, "peer", json_string(peer));
	json_object_set_new(ev, "scenario", json_string(c->c_snap->sc.name));
	json_object_set_new(ev, "policy_generation", json_integer((json_int_t)c->c_snap->generation));
	if (w->w_net->nworkers > 1)
		json_object_set_new(ev, "worker", json_integer((json_int_t)w->w_index));
	if (conn_listener_name(c) != NULL)
		json_object_set_new(ev, "listener", json_string(conn_listener_name(c)));
	evlog_emit(ev);

	event_add(c->c_rd, NULL);
	conn_set_timer(c, c->c_snap->sc.handshake_timeout_ms);
	return c;
}
