/*
 * Connection life: TCP accept -> first flight through the ClientHello gate
 * -> refusal (reset, FIN, alert, stall) or mbedTLS handshake -> a plain
 * HTTPS answer (SSTP arrives with the SSTP layer) -> conn_close().
 *
 * conn_io() is the one place that turns mbedTLS' WANT_READ / WANT_WRITE
 * into event interest.
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
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl_internal.h>

#include "net/server.h"
#include "net/tunnel.h"
#include "net/worker.h"
#include "tls/tls_names.h"
#include "util/evlog.h"
#include "util/log.h"

#define HELLO_INITIAL   2048
#define REQ_MAX         8192  /* HTTP request head cap */
#define DRAIN_MS        5000  /* after FIN/alert, wait this long for the client to close */

static void conn_on_read(evutil_socket_t fd, short what, void *arg);
static void conn_on_write(evutil_socket_t fd, short what, void *arg);
static void conn_on_timer(evutil_socket_t fd, short what, void *arg);
static void conn_handshake(struct conn *c);
static void conn_app_read(struct conn *c);
static void conn_established(struct conn *c);
static void conn_on_kill(evutil_socket_t fd, short what, void *arg);
static void conn_rearm(struct conn *c, uint64_t now);

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

/* ---- mbedTLS transport over the non-blocking socket -------------------- */

static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	for (;;) {
		ssize_t n = send(c->c_fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0) {
			c->c_bytes_out += (uint64_t)n;
			return (int)n;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return MBEDTLS_ERR_SSL_WANT_WRITE;
		if (errno == EPIPE || errno == ECONNRESET)
			return MBEDTLS_ERR_NET_CONN_RESET;
		return MBEDTLS_ERR_NET_SEND_FAILED;
	}
}

/*
 * Serves the bytes the gate already read first, then the socket. mbedTLS
 * asks for a record header, then its body; while conn_app_read drains the
 * socket, a small ask reads up to CONN_READAHEAD bytes at once into the
 * worker's scratch buffer, so a busy tunnel costs one recv per burst rather
 * than two per record, and no connection keeps a buffer of its own: the
 * loop stops only once the scratch is used up (conn_app_read keeps a copy
 * of anything left in the rare other case).
 */
static _Thread_local uint8_t ra_scratch[CONN_READAHEAD];

/* One recv into buf: bytes (0 at EOF), or an mbedTLS error code. */
static int
sock_recv(struct conn *c, unsigned char *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(c->c_fd, buf, len, 0);
		if (n >= 0) {
			c->c_bytes_in += (uint64_t)n;
			return (int)n;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return MBEDTLS_ERR_SSL_WANT_READ;
		if (errno == ECONNRESET)
			return MBEDTLS_ERR_NET_CONN_RESET;
		return MBEDTLS_ERR_NET_RECV_FAILED;
	}
}

/* Copy up to len bytes from [*off, end) of src. */
static int
serve(const uint8_t *src, size_t *off, size_t end, unsigned char *buf, size_t len)
{
	size_t n = end - *off;
	if (n > len)
		n = len;
	memcpy(buf, src + *off, n);
	*off += n;
	return (int)n;
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	if (c->c_hello_off < c->c_hello_len)
		return serve(c->c_hello, &c->c_hello_off, c->c_hello_len, buf, len);
	if (c->c_ra != NULL && c->c_ra_off == c->c_ra_len) {
		if (c->c_ra != ra_scratch)
			free(c->c_ra);
		c->c_ra = NULL;
		c->c_ra_off = c->c_ra_len = 0;
	}
	if (c->c_ra == NULL && c->c_batch && len < CONN_READAHEAD) {
		int n = sock_recv(c, ra_scratch, CONN_READAHEAD);
		if (n <= 0)
			return n;
		c->c_ra = ra_scratch;
		c->c_ra_off = 0;
		c->c_ra_len = (size_t)n;
	}
	if (c->c_ra_off < c->c_ra_len)
		return serve(c->c_ra, &c->c_ra_off, c->c_ra_len, buf, len);
	return sock_recv(c, buf, len);
}

/* Map an mbedTLS result to event interest: the read event is persistent;
 * the write event is armed only while mbedTLS waits to write. */
static void
conn_io(struct conn *c, int rc)
{
	if (rc == MBEDTLS_ERR_SSL_WANT_WRITE)
		event_add(c->c_wr, NULL);
	else
		event_del(c->c_wr);
}

/* ---- events ------------------------------------------------------------ */

static void
emit_client_hello(const struct conn *c, const struct ch_info *ch)
{
	json_t *ev = evlog_new("client_hello", c->c_id);
	json_object_set_new(ev, "format", json_string(ch->sslv2 ? "sslv2" : "tls"));
	if (ch->has_sni)
		json_object_set_new(ev, "sni", json_string(ch->sni));
	json_object_set_new(ev, "record_version", json_string(tls_version_name(ch->record_version)));
	json_object_set_new(ev, "client_version", json_string(tls_version_name(ch->legacy_version)));
	json_object_set_new(ev, "max_version", json_string(tls_version_name(ch->max_version)));
	if (ch->n_versions > 0)
		json_object_set_new(ev, "versions", tls_names_json(ch->versions, ch->n_versions, tls_version_name));
	json_object_set_new(ev, "suites", tls_names_json(ch->suites, ch->n_suites, tls_suite_name));
	json_object_set_new(ev, "extensions", tls_names_json(ch->exts, ch->n_exts, tls_ext_name));
	json_object_set_new(ev, "groups", tls_names_json(ch->groups, ch->n_groups, tls_group_name));
	json_object_set_new(ev, "sigalgs", tls_names_json(ch->sigalgs, ch->n_sigalgs, tls_sigalg_name));
	if (ch->has_alpn)
		json_object_set_new(ev, "alpn", json_string(ch->alpn_first));
	json_object_set_new(ev, "ja3", json_string(ch->ja3));
	json_object_set_new(ev, "ja3_hash", json_string(ch->ja3_hash));
	json_object_set_new(ev, "ja4", json_string(ch->ja4));
	evlog_emit(ev);
}

static void
emit_verdict(const struct conn *c, const struct gate_result *g)
{
	char abuf[40];
	json_t *ev = evlog_new("verdict", c->c_id);
	if (g->verdict == GATE_ACCEPT) {
		json_object_set_new(ev, "action", json_string("accept"));
	} else {
		json_object_set_new(ev, "action", json_string(refusal_name(&g->action, abuf, sizeof(abuf))));
		json_object_set_new(ev, "reason", json_string(reason_info(g->reason)->name));
	}
	json_object_set_new(ev, "why", json_string(g->why));
	evlog_emit(ev);
}

/* ---- client audit ------------------------------------------------------ */

static struct audit_ctx
conn_audit_ctx(const struct conn *c)
{
	struct audit_ctx x = { c->c_snap->generation, c->c_snap->sc.chain, time(NULL) };
	return x;
}

void
conn_audit_tunnel_up(struct conn *c)
{
	struct audit_ctx x = conn_audit_ctx(c);
	audit_tunnel_up(c->c_srv->s_audit, &c->c_audit, &x);
}

/* ---- close ------------------------------------------------------------- */

void
conn_close(struct conn *c, enum close_reason reason, const char *detail)
{
	const struct reason_info *ri = reason_info(reason);
	char abuf[40];

	tunnel_free(c->c_tun); /* its statistics come before the close event */
	c->c_tun = NULL;
	int refused = c->c_refused != CR_NONE && reason == c->c_refused;
	struct audit_ctx ax = conn_audit_ctx(c);
	audit_close(c->c_srv->s_audit, &c->c_audit, ri->name, detail, &ax);

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

	if (refused && c->c_action.kind == SC_REFUSE_RESET) {
		struct linger lg = { 1, 0 };
		setsockopt(c->c_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (c->c_counted)
		atomic_fetch_sub(&c->c_srv->s_sstp_sessions, 1);
	atomic_fetch_add(&c->c_srv->s_closes[(unsigned)reason < CR__COUNT ? reason : CR_NONE], 1);
	event_free(c->c_rd);
	event_free(c->c_wr);
	event_free(c->c_timer);
	event_free(c->c_kill);
	evbuffer_free(c->c_wbuf);
	close(c->c_fd);
	if (c->c_ssl_ready)
		mbedtls_ssl_free(&c->c_ssl);
	worker_conn_removed(c->c_wrk, c);
	snapshot_unref(c->c_snap);
	free(c->c_hello);
	free(c->c_ch);
	if (c->c_ra != ra_scratch)
		free(c->c_ra);
	c->c_magic = 0;
	free(c);
}

/* ---- refusal ----------------------------------------------------------- */

static void
conn_refuse(struct conn *c, const struct gate_result *g)
{
	c->c_refused = g->reason;
	c->c_action = g->action;
	snprintf(c->c_why, sizeof(c->c_why), "%s", g->why);

	switch (g->action.kind) {
	case SC_REFUSE_RESET:
		conn_close(c, g->reason, g->why);
		return;
	case SC_REFUSE_STALL:
		c->c_state = CS_STALLED;
		conn_set_timer(c, c->c_snap->sc.stall_timeout_ms);
		return;
	case SC_REFUSE_ALERT: {
		uint16_t rv = c->c_ch != NULL ? c->c_ch->record_version : 0x0301;
		if (rv < 0x0300 || rv > 0x0303)
			rv = 0x0301;
		uint8_t alert[7] = { 0x15, (uint8_t)(rv >> 8), (uint8_t)rv, 0, 2, 2, g->action.alert };
		ssize_t n = send(c->c_fd, alert, sizeof(alert), MSG_NOSIGNAL);
		if (n > 0)
			c->c_bytes_out += (uint64_t)n;
	}
		/* FALLTHROUGH */
	case SC_REFUSE_FIN:
		shutdown(c->c_fd, SHUT_WR);
		c->c_state = CS_DRAINING;
		conn_set_timer(c, DRAIN_MS);
		return;
	}
}

/* ---- first flight and the gate ----------------------------------------- */

/*
 * How far the first flight can be parsed: for TLS records (0x16), the end of
 * the last complete record; for an SSLv2 hello, its end once complete; for
 * anything else every byte counts (the parser decides within 5 bytes).
 */
static size_t
hello_parse_point(const uint8_t *b, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return 0;
	if (b[0] == 0x16) {
		while (len - off >= 5) {
			size_t rl = (size_t)b[off + 3] << 8 | b[off + 4];
			if (len - off - 5 < rl)
				break;
			off += 5 + rl;
		}
		return off == 0 && len >= 5 ? 5 : off; /* a complete header alone is parseable */
	}
	if ((b[0] & 0x80) && len >= 2) {
		size_t ml = ((size_t)(b[0] & 0x7f) << 8 | b[1]) + 2;
		return len >= ml ? ml : 2;
	}
	return len;
}

static void
conn_hello_read(struct conn *c)
{
	if (c->c_hello_len == c->c_hello_cap) {
		size_t ncap = c->c_hello_cap * 2;
		if (ncap > CH_MAX_BYTES + 1)
			ncap = CH_MAX_BYTES + 1;
		if (ncap == c->c_hello_cap) {
			/* parser caps at CH_MAX_BYTES; cannot happen */
			conn_close(c, CR_INTERNAL, "ClientHello buffer full");
			return;
		}
		uint8_t *nb = realloc(c->c_hello, ncap);
		if (nb == NULL) {
			conn_close(c, CR_INTERNAL, "out of memory");
			return;
		}
		c->c_hello = nb;
		c->c_hello_cap = ncap;
	}
	ssize_t n = recv(c->c_fd, c->c_hello + c->c_hello_len, c->c_hello_cap - c->c_hello_len, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_close(c, errno == ECONNRESET ? CR_CLIENT_RESET : CR_CLIENT_CLOSED,
		    "before sending a ClientHello");
		return;
	}
	if (n == 0) {
		conn_close(c, CR_CLIENT_CLOSED, c->c_hello_len ? "in the middle of the ClientHello"
		                                               : "before sending anything");
		return;
	}
	c->c_bytes_in += (uint64_t)n;
	c->c_hello_len += (size_t)n;

	/* Parse only when the bytes can complete something: re-parsing on every
	 * read would let a byte-at-a-time sender cost O(n^2). */
	size_t ready = hello_parse_point(c->c_hello, c->c_hello_len);
	if (ready == c->c_hello_parsed && c->c_hello_len < CH_MAX_BYTES)
		return;
	c->c_hello_parsed = ready;

	if (c->c_ch == NULL && (c->c_ch = calloc(1, sizeof(*c->c_ch))) == NULL) {
		conn_close(c, CR_INTERNAL, "out of memory");
		return;
	}
	enum ch_status st = ch_parse(c->c_hello, c->c_hello_len, c->c_ch);
	if (st == CH_NEED_MORE)
		return;
	if (st == CH_OK)
		emit_client_hello(c, c->c_ch);

	struct gate_result g;
	policy_gate(c->c_snap, st, c->c_ch, &g);
	(void)server_fault_gate(c->c_srv, &g);
	emit_verdict(c, &g);
	if (st == CH_OK) {
		struct audit_ctx ax = conn_audit_ctx(c);
		audit_hello(c->c_srv->s_audit, &c->c_audit, c->c_ch, c->c_peer,
		    g.verdict == GATE_ACCEPT, g.why, &ax);
	}
	if (g.verdict == GATE_REFUSE) {
		atomic_fetch_add(&c->c_srv->s_refused, 1);
		conn_refuse(c, &g);
		return;
	}

	mbedtls_ssl_init(&c->c_ssl);
	c->c_ssl_ready = 1;
	int rc = mbedtls_ssl_setup(&c->c_ssl, snapshot_conf(c->c_snap, c->c_wrk->w_index));
	if (rc != 0) {
		char msg[128];
		mbedtls_strerror(rc, msg, sizeof(msg));
		conn_close(c, CR_INTERNAL, msg);
		return;
	}
	mbedtls_ssl_set_bio(&c->c_ssl, c, bio_send, bio_recv, NULL);
	c->c_state = CS_HANDSHAKE;
	worker_conn_handshaking(c->c_wrk, c);
	conn_handshake(c);
}

/* ---- handshake --------------------------------------------------------- */

static void
emit_tls_result(struct conn *c)
{
	json_t *ev = evlog_new("tls_result", c->c_id);
	json_object_set_new(ev, "result", json_string("ok"));
	json_object_set_new(ev, "version", json_string(mbedtls_ssl_get_version(&c->c_ssl)));
	const char *suite = mbedtls_ssl_get_ciphersuite(&c->c_ssl);
	int id = suite ? mbedtls_ssl_get_ciphersuite_id(suite) : -1;
	const char *iana = id > 0 ? tls_suite_name((uint16_t)id) : NULL;
	json_object_set_new(ev, "suite", json_string(iana ? iana : (suite ? suite : "?")));
	json_object_set_new(ev, "resumed", json_boolean(c->c_resumed));
	json_object_set_new(ev, "handshake_ms", json_integer((json_int_t)conn_age_ms(c)));
	evlog_emit(ev);
}

static void
conn_handshake_failed(struct conn *c, int rc)
{
	char msg[200];
	enum close_reason reason = CR_TLS_HANDSHAKE_FAILED;
	const char *alert = NULL;

	if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
		uint8_t code = c->c_ssl.in_msg != NULL ? c->c_ssl.in_msg[1] : 0;
		const char *name = tls_alert_name(code);
		snprintf(msg, sizeof(msg), "client sent alert %s(%u)%s", name ? name : "unknown", code,
		    code == 48 ? ": it does not trust the served chain" :
		    code == 42 || code == 46 ? ": it rejected the served certificate" :
		    code == 45 ? ": it considers the served certificate expired" : "");
		reason = CR_CLIENT_ALERT;
		alert = name ? name : "unknown";
	} else if (rc == MBEDTLS_ERR_SSL_CONN_EOF) {
		snprintf(msg, sizeof(msg), "during the TLS handshake, without an alert "
		    "(a client that rejects the certificate often ends this way)");
		reason = CR_CLIENT_CLOSED;
	} else if (rc == MBEDTLS_ERR_NET_CONN_RESET) {
		snprintf(msg, sizeof(msg), "during the TLS handshake");
		reason = CR_CLIENT_RESET;
	} else {
		char e[160];
		mbedtls_strerror(rc, e, sizeof(e));
		snprintf(msg, sizeof(msg), "%s (-0x%04x)", e, (unsigned)-rc);
	}
	json_t *ev = evlog_new("tls_result", c->c_id);
	json_object_set_new(ev, "result", json_string("failed"));
	json_object_set_new(ev, "error", json_string(msg));
	evlog_emit(ev);
	struct audit_ctx ax = conn_audit_ctx(c);
	audit_tls(c->c_srv->s_audit, &c->c_audit, 0, alert, msg, &ax);
	conn_close(c, reason, msg);
}

static void
conn_handshake(struct conn *c)
{
	int rc;
	while ((rc = mbedtls_ssl_handshake_step(&c->c_ssl)) == 0) {
		if (c->c_ssl.handshake != NULL && c->c_ssl.handshake->resume)
			c->c_resumed = 1;
		if (c->c_ssl.state == MBEDTLS_SSL_HANDSHAKE_OVER)
			break;
	}
	if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
		conn_io(c, rc);
		return;
	}
	if (rc != 0) {
		conn_handshake_failed(c, rc);
		return;
	}
	emit_tls_result(c);
	struct audit_ctx ax = conn_audit_ctx(c);
	audit_tls(c->c_srv->s_audit, &c->c_audit, 1, NULL, NULL, &ax);
	c->c_state = CS_ESTABLISHED;
	worker_conn_established(c->c_wrk, c);
	conn_io(c, 0);
	free(c->c_hello);
	c->c_hello = NULL;
	c->c_hello_len = c->c_hello_off = c->c_hello_cap = 0;
	free(c->c_ch);
	c->c_ch = NULL;
	conn_set_timer(c, c->c_snap->sc.idle_timeout_ms);
	conn_established(c);
}

/* ---- after the handshake: output, the end, the tunnel ------------------ */

/* Write pending output; one mbedtls_ssl_write per chunk of at most one
 * record, retried with the same length after WANT_WRITE (mbedTLS' rule). */
static void
conn_flush(struct conn *c)
{
	size_t avail;
	while ((avail = evbuffer_get_length(c->c_wbuf)) > 0) {
		size_t n = c->c_wlen ? c->c_wlen : (avail < 16384 ? avail : 16384);
		unsigned char *p = evbuffer_pullup(c->c_wbuf, (ssize_t)n);
		int rc = mbedtls_ssl_write(&c->c_ssl, p, n);
		if (rc == MBEDTLS_ERR_SSL_WANT_WRITE || rc == MBEDTLS_ERR_SSL_WANT_READ) {
			c->c_wlen = n;
			conn_io(c, rc);
			return;
		}
		c->c_wlen = 0;
		if (rc < 0) {
			char e[160];
			mbedtls_strerror(rc, e, sizeof(e));
			evbuffer_drain(c->c_wbuf, avail);
			c->c_lower_down = 1;
			if (c->c_tun != NULL && !c->c_ending)
				tunnel_lower_down(c->c_tun, rc == MBEDTLS_ERR_NET_CONN_RESET ?
				    CR_CLIENT_RESET : CR_TLS_ERROR, e);
			else if (!c->c_ending)
				conn_end(c, CR_TLS_ERROR, e);
			break;
		}
		evbuffer_drain(c->c_wbuf, (size_t)rc);
	}
	conn_io(c, 0);
	if (c->c_ending && !c->c_close_scheduled) {
		c->c_close_scheduled = 1;
		event_active(c->c_kill, EV_TIMEOUT, 0);
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
	conn_flush(c);
}

int
conn_is_ending(const struct conn *c)
{
	return c->c_ending;
}

void
conn_shutdown(struct conn *c)
{
	conn_disconnect(c, CR_SHUTDOWN, NULL);
}

void
conn_disconnect(struct conn *c, enum close_reason reason, const char *detail)
{
	if (c->c_ending)
		return;
	if (c->c_state == CS_ESTABLISHED && c->c_tun != NULL) {
		uint64_t now = now_ms();
		tunnel_disconnect(c->c_tun, now); /* LCP Terminate, then CALL_DISCONNECT */
		conn_rearm(c, now);
		return;
	}
	if (c->c_state != CS_ESTABLISHED)
		c->c_lower_down = 1; /* no TLS session to close */
	conn_end(c, reason, detail);
}

void
conn_abort(struct conn *c, enum close_reason reason, const char *detail)
{
	if (c->c_ending)
		return;
	if (c->c_state == CS_ESTABLISHED && c->c_tun != NULL) {
		uint64_t now = now_ms();
		tunnel_abort(c->c_tun, reason, detail, now); /* CALL_ABORT */
		conn_rearm(c, now);
		return;
	}
	if (c->c_state != CS_ESTABLISHED)
		c->c_lower_down = 1;
	conn_end(c, reason, detail);
}

void
conn_reset(struct conn *c, enum close_reason reason, const char *detail)
{
	c->c_refused = reason; /* conn_close sends the RST for a reset refusal */
	c->c_action.kind = SC_REFUSE_RESET;
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
		(void)mbedtls_ssl_close_notify(&c->c_ssl);
		shutdown(c->c_fd, SHUT_WR);
	}
	conn_close(c, c->c_end_reason, c->c_end_detail[0] ? c->c_end_detail : NULL);
}

/* Arm the connection timer for the tunnel's next deadline. */
static void
conn_rearm(struct conn *c, uint64_t now)
{
	if (c->c_ending)
		return;
	uint64_t d = c->c_tun != NULL ? tunnel_next_deadline(c->c_tun) : 0;
	if (d == 0)
		conn_set_timer(c, c->c_snap->sc.idle_timeout_ms);
	else
		conn_set_timer(c, d > now ? (uint32_t)(d - now) : 0);
}

static void
conn_app_read(struct conn *c)
{
	unsigned char buf[16384];

	c->c_batch = 1;
	while (!c->c_ending) {
		int rc = mbedtls_ssl_read(&c->c_ssl, buf, sizeof(buf));
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
			conn_io(c, rc);
			break;
		}
		if (rc <= 0) {
			enum close_reason r;
			const char *detail = NULL;
			char e[160];
			if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
				r = CR_CLIENT_CLOSE_NOTIFY;
			} else if (rc == 0 || rc == MBEDTLS_ERR_SSL_CONN_EOF) {
				r = CR_CLIENT_CLOSED;
				detail = "after the TLS handshake";
			} else {
				mbedtls_strerror(rc, e, sizeof(e));
				r = rc == MBEDTLS_ERR_NET_CONN_RESET ? CR_CLIENT_RESET : CR_TLS_ERROR;
				detail = e;
			}
			c->c_lower_down = 1;
			if (c->c_tun != NULL)
				tunnel_lower_down(c->c_tun, r, detail);
			else
				conn_end(c, r, detail);
			break;
		}
		if (!c->c_audit.app_seen) {
			struct audit_ctx ax = conn_audit_ctx(c);
			audit_app_data(c->c_srv->s_audit, &c->c_audit, &ax);
		}
		tunnel_input(c->c_tun, buf, (size_t)rc, now_ms());
	}
	c->c_batch = 0;
	if (c->c_ra == ra_scratch) {
		/* the scratch belongs to the next connection: keep what is left */
		size_t left = c->c_ra_len - c->c_ra_off;
		uint8_t *copy = left > 0 && !c->c_ending ? malloc(left) : NULL;
		if (copy != NULL)
			memcpy(copy, ra_scratch + c->c_ra_off, left);
		c->c_ra = copy;
		c->c_ra_off = 0;
		c->c_ra_len = copy != NULL ? left : 0;
	}
	if (!c->c_ending && c->c_wlen == 0 && evbuffer_get_length(c->c_wbuf) > 0)
		conn_flush(c);
	conn_rearm(c, now_ms());
}

/* The TLS session is up: start the SSTP tunnel; at the session limit it
 * answers 503 (or the connection is reset, as the scenario says). */
static void
conn_established(struct conn *c)
{
	const struct scenario *sc = &c->c_snap->sc;
	struct server *s = c->c_srv;
	char why[96];
	unsigned open = atomic_fetch_add(&s->s_sstp_sessions, 1);
	int full = open >= sc->sstp_max_sessions;

	if (full) {
		atomic_fetch_sub(&s->s_sstp_sessions, 1);
		snprintf(why, sizeof(why), "%u SSTP sessions open, limit %u", open,
		    sc->sstp_max_sessions);
		if (sc->sstp_limit_action == SC_LIMIT_RESET) {
			c->c_refused = CR_SSTP_SESSION_LIMIT;
			c->c_action.kind = SC_REFUSE_RESET;
			c->c_lower_down = 1;
			conn_end(c, CR_SSTP_SESSION_LIMIT, why);
			return;
		}
	}
	if (!full)
		c->c_counted = 1; /* counted above; conn_close uncounts */
	c->c_tun = tunnel_new(c, now_ms(), full ? why : NULL);
	if (c->c_tun == NULL) {
		conn_end(c, CR_INTERNAL, "out of memory");
		return;
	}
	conn_app_read(c);
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
		if (c->c_tun != NULL && tunnel_next_deadline(c->c_tun) != 0) {
			uint64_t now = now_ms();
			tunnel_tick(c->c_tun, now);
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
conn_new(struct worker *w, int fd, const char *peer, const uint8_t peer_key[PEER_KEY_LEN])
{
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->c_magic = CONN_MAGIC;
	c->c_fd = fd;
	c->c_wrk = w;
	c->c_srv = w->w_srv;
	c->c_state = CS_HELLO;
	c->c_snap = server_snapshot(c->c_srv);
	clock_gettime(CLOCK_MONOTONIC, &c->c_start);
	snprintf(c->c_peer, sizeof(c->c_peer), "%s", peer);
	memcpy(c->c_peer_key, peer_key, PEER_KEY_LEN);
	c->c_hello_cap = HELLO_INITIAL;
	c->c_hello = malloc(c->c_hello_cap);
	c->c_rd = event_new(w->w_base, fd, EV_READ | EV_PERSIST, conn_on_read, c);
	c->c_wr = event_new(w->w_base, fd, EV_WRITE, conn_on_write, c);
	c->c_timer = evtimer_new(w->w_base, conn_on_timer, c);
	c->c_kill = event_new(w->w_base, -1, 0, conn_on_kill, c);
	c->c_wbuf = evbuffer_new();
	if (c->c_hello == NULL || c->c_rd == NULL || c->c_wr == NULL || c->c_timer == NULL ||
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
		free(c->c_hello);
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
	if (w->w_srv->s_nworkers > 1)
		json_object_set_new(ev, "worker", json_integer((json_int_t)w->w_index));
	evlog_emit(ev);

	event_add(c->c_rd, NULL);
	conn_set_timer(c, c->c_snap->sc.handshake_timeout_ms);
	return c;
}
