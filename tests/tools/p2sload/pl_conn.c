/*
 * pl_conn.c - the connection object of p2sload: non-blocking TCP connect
 * (optionally from a round-robin source address), mbedTLS over socket
 * callbacks, the plaintext read and write buffers, and the one close path.
 *
 * conn_io_update() is the one place that turns what the connection waits
 * for into event interest: read interest is on from connect to close; write
 * interest only while connecting, while the handshake wants to write, or
 * while the write buffer holds unsent bytes.  Reads loop until WANT_READ, so
 * mbedTLS never holds a decrypted record we have not seen.
 */
#include "p2sload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void on_timeout(evutil_socket_t fd, short what, void *arg);
static void on_tick(evutil_socket_t fd, short what, void *arg);

void
rng(struct pl_run *r, void *p, size_t n)
{
	if (mbedtls_ctr_drbg_random(&r->drbg, p, n) != 0) {
		fprintf(stderr, "p2sload: rng failed\n");
		abort();
	}
}

const char *
conn_state_name(enum pc_state s)
{
	static const char *const n[] = {
		"idle", "tcp-connect", "tls-handshake", "http", "sstp-connect", "ppp",
		"up", "abuse", "raw",
	};

	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

static struct pl_conn *
conn_cast(void *arg)
{
	struct pl_conn *c = arg;

	if (c == NULL || c->c_magic != PL_CONN_MAGIC) {
		fprintf(stderr, "p2sload: bad connection object %p\n", arg);
		abort();
	}
	return c;
}

static struct timeval
tv_of(double secs)
{
	struct timeval tv;

	if (secs < 0)
		secs = 0;
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	return tv;
}

int
conn_init(struct pl_run *r, struct pl_conn *c, int idx)
{
	memset(c, 0, sizeof(*c));
	c->c_magic = PL_CONN_MAGIC;
	c->c_run = r;
	c->c_idx = idx;
	c->c_fd = -1;
	mbedtls_ssl_session_init(&c->c_sess);
	c->c_ev_tmo = evtimer_new(r->base, on_timeout, c);
	c->c_ev_tick = evtimer_new(r->base, on_tick, c);
	if (c->c_ev_tmo == NULL || c->c_ev_tick == NULL)
		return -1;
	return 0;
}

void
conn_free(struct pl_conn *c)
{
	if (c == NULL || c->c_magic != PL_CONN_MAGIC)
		return;
	if (c->c_state != PC_IDLE)
		conn_close(c, "shutdown");
	if (c->c_ev_tmo != NULL)
		event_free(c->c_ev_tmo);
	if (c->c_ev_tick != NULL)
		event_free(c->c_ev_tick);
	mbedtls_ssl_session_free(&c->c_sess);
	if (c->c_ossl_sess != NULL)
		SSL_SESSION_free(c->c_ossl_sess);
	free(c->c_rbuf);
	free(c->c_wbuf);
	c->c_magic = 0;
}

void
conn_deadline(struct pl_conn *c, double secs)
{
	struct timeval tv = tv_of(secs);

	c->c_restart = 0;
	if (secs <= 0)
		event_del(c->c_ev_tmo);
	else
		evtimer_add(c->c_ev_tmo, &tv);
}

void
conn_schedule_restart(struct pl_conn *c, double secs)
{
	struct timeval tv = tv_of(secs);

	c->c_restart = 1;
	evtimer_add(c->c_ev_tmo, &tv);
}

void
conn_tick_in(struct pl_conn *c, double secs)
{
	struct timeval tv = tv_of(secs);

	evtimer_add(c->c_ev_tick, &tv);
}

/* ------------------------------------------------------------------ */
/* Close                                                                */

void
conn_close(struct pl_conn *c, const char *reason)
{
	enum pc_state was = c->c_state;

	if (was == PC_IDLE)
		return;
	if (c->c_ssl_live) {
		/* a clean close says close_notify; best effort, never waits */
		if (reason == NULL && c->c_end == END_NONE &&
		    c->c_ssl.state == MBEDTLS_SSL_HANDSHAKE_OVER)
			(void)mbedtls_ssl_close_notify(&c->c_ssl);
		mbedtls_ssl_free(&c->c_ssl);
		c->c_ssl_live = 0;
	}
	if (c->c_ossl != NULL) {
		if (reason == NULL && c->c_end == END_NONE && SSL_is_init_finished(c->c_ossl))
			(void)SSL_shutdown(c->c_ossl);
		SSL_free(c->c_ossl);
		c->c_ossl = NULL;
	}
	if (c->c_ev_r != NULL) {
		event_free(c->c_ev_r);
		c->c_ev_r = NULL;
	}
	if (c->c_ev_w != NULL) {
		event_free(c->c_ev_w);
		c->c_ev_w = NULL;
	}
	c->c_w_added = 0;
	if (c->c_fd >= 0) {
		if (c->c_abuse_rst) {
			struct linger l = { 1, 0 };

			(void)setsockopt(c->c_fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		close(c->c_fd);
		c->c_fd = -1;
	}
	event_del(c->c_ev_tmo);
	event_del(c->c_ev_tick);
	c->c_restart = 0;
	c->c_rlen = c->c_wlen = c->c_woff = c->c_wpend = 0;
	c->c_hs_wantw = 0;
	c->c_state = PC_IDLE;
	run_conn_closed(c, was, reason);
}

void
conn_fail(struct pl_conn *c, const char *fmt, ...)
{
	char reason[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	conn_close(c, reason);
}

static const char *
end_name(enum pc_end e)
{
	switch (e) {
	case END_FIN:
		return "FIN";
	case END_RST:
		return "reset";
	case END_ALERT:
		return "TLS alert";
	case END_NOTIFY:
		return "close_notify";
	default:
		return "?";
	}
}

static void
tls_fail(struct pl_conn *c, const char *what, int ret)
{
	char e[128];

	if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		c->c_end = END_NOTIFY;
	else if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
		c->c_end = END_ALERT;
	else if (ret == MBEDTLS_ERR_SSL_CONN_EOF || ret == 0)
		c->c_end = END_FIN;
	else if (ret == MBEDTLS_ERR_NET_CONN_RESET)
		c->c_end = c->c_end == END_NONE ? END_RST : c->c_end;
	if (c->c_end != END_NONE) {
		conn_fail(c, "%s: gateway closed the connection (%s) in state %s", what,
		    end_name(c->c_end), conn_state_name(c->c_state));
		return;
	}
	mbedtls_strerror(ret, e, sizeof(e));
	conn_fail(c, "%s: -0x%04X %s", what, (unsigned)-ret, e);
}

/*
 * An OpenSSL call returned ret <= 0: 1 when it only wants the socket again
 * (*wantw says for writing), else the connection is closed with the reason.
 */
static int
ossl_again(struct pl_conn *c, const char *what, int ret, int *wantw)
{
	int err = SSL_get_error(c->c_ossl, ret), sys = errno;
	unsigned long e = ERR_peek_error();
	char text[128];

	switch (err) {
	case SSL_ERROR_WANT_READ:
		*wantw = 0;
		return 1;
	case SSL_ERROR_WANT_WRITE:
		*wantw = 1;
		return 1;
	case SSL_ERROR_ZERO_RETURN:
		c->c_end = END_NOTIFY;
		break;
	case SSL_ERROR_SYSCALL:
		if (e == 0) {
			c->c_sock_err = ret < 0 ? sys : 0;
			c->c_end = ret < 0 && sys == ECONNRESET ? END_RST : END_FIN;
		}
		break;
	case SSL_ERROR_SSL:
		/* reasons from SSL_AD_REASON_OFFSET on are alerts the peer sent */
		if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET)
			c->c_end = END_ALERT;
		else if (SSL_get_verify_result(c->c_ossl) != X509_V_OK) {
			conn_fail(c, "%s: certificate verify failed: %s", what,
			    X509_verify_cert_error_string(SSL_get_verify_result(c->c_ossl)));
			ERR_clear_error();
			return 0;
		}
		break;
	default:
		break;
	}
	if (c->c_end != END_NONE) {
		ERR_clear_error();
		conn_fail(c, "%s: gateway closed the connection (%s) in state %s", what,
		    end_name(c->c_end), conn_state_name(c->c_state));
		return 0;
	}
	ERR_error_string_n(e, text, sizeof(text));
	ERR_clear_error();
	conn_fail(c, "%s: OpenSSL error %d: %s", what, err, e ? text : strerror(sys));
	return 0;
}

/* The server's certificate (DER) for the crypto binding: 0, or -1. */
int
conn_peer_cert(struct pl_conn *c, uint8_t *der, size_t cap, size_t *len)
{
	if (c->c_ossl != NULL) {
		X509 *x = SSL_get0_peer_certificate(c->c_ossl);
		int n = x != NULL ? i2d_X509(x, NULL) : -1;
		unsigned char *p = der;

		if (n <= 0 || (size_t)n > cap || i2d_X509(x, &p) != n)
			return -1;
		*len = (size_t)n;
		return 0;
	}
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&c->c_ssl);
	if (crt == NULL || crt->raw.len > cap)
		return -1;
	memcpy(der, crt->raw.p, crt->raw.len);
	*len = crt->raw.len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Socket callbacks for mbedTLS                                         */

static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct pl_conn *c = ctx;
	ssize_t n = send(c->c_fd, buf, len, MSG_NOSIGNAL);

	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	c->c_sock_err = errno;
	if (errno == ECONNRESET) {
		c->c_end = END_RST;
		return MBEDTLS_ERR_NET_CONN_RESET;
	}
	if (errno == EPIPE) {
		c->c_end = END_FIN;
		return MBEDTLS_ERR_NET_CONN_RESET;
	}
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct pl_conn *c = ctx;
	ssize_t n = recv(c->c_fd, buf, len, 0);

	if (n >= 0)
		return (int)n;          /* 0: EOF, mbedTLS reports CONN_EOF */
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_READ;
	c->c_sock_err = errno;
	if (errno == ECONNRESET) {
		c->c_end = END_RST;
		return MBEDTLS_ERR_NET_CONN_RESET;
	}
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* ------------------------------------------------------------------ */
/* Buffers                                                              */

static int
buf_alloc(struct pl_conn *c)
{
	size_t rcap = c->c_run->o->mode == MODE_THROUGHPUT ? PL_RBUF_LARGE : PL_RBUF_SMALL;

	if (c->c_rbuf == NULL) {
		c->c_rbuf = malloc(rcap);
		c->c_rcap = rcap;
	}
	if (c->c_wbuf == NULL) {
		c->c_wcap = 16 * 1024;
		c->c_wbuf = malloc(c->c_wcap);
	}
	return c->c_rbuf != NULL && c->c_wbuf != NULL ? 0 : -1;
}

int
conn_queue(struct pl_conn *c, const void *p, size_t len)
{
	if (c->c_woff > 0 && c->c_wpend == 0 && c->c_wlen + len > c->c_wcap) {
		memmove(c->c_wbuf, c->c_wbuf + c->c_woff, c->c_wlen - c->c_woff);
		c->c_wlen -= c->c_woff;
		c->c_woff = 0;
	}
	if (c->c_wlen + len > c->c_wcap) {
		size_t ncap = c->c_wcap;
		uint8_t *nb;

		while (ncap < c->c_wlen + len)
			ncap *= 2;
		if (ncap > PL_WBUF_MAX) {
			conn_fail(c, "send buffer overflow (gateway not reading)");
			return -1;
		}
		nb = realloc(c->c_wbuf, ncap);
		if (nb == NULL) {
			conn_fail(c, "out of memory");
			return -1;
		}
		c->c_wbuf = nb;
		c->c_wcap = ncap;
	}
	memcpy(c->c_wbuf + c->c_wlen, p, len);
	c->c_wlen += len;
	return 0;
}

/*
 * How much of the write buffer goes into the next record: whole SSTP
 * packets up to one record, so that no packet straddles two records.
 */
static size_t
flush_len(const struct pl_conn *c)
{
	const uint8_t *p = c->c_wbuf + c->c_woff;
	size_t avail = c->c_wlen - c->c_woff, max = c->c_wmax ? c->c_wmax : 16384;
	size_t off = 0;

	if (!c->c_wunaligned) {
		while (4 <= avail - off) {
			size_t plen = (size_t)((p[off + 2] & 0x0F) << 8 | p[off + 3]);

			if (p[off] != 0x10 || plen < 4 || plen > avail - off || off + plen > max)
				break;
			off += plen;
		}
	}
	if (off == 0)
		off = avail < max ? avail : max;
	return off;
}

/* Write what is buffered; 0 done or would block, -1 closed. */
int
conn_flush(struct pl_conn *c)
{
	while (c->c_wlen > c->c_woff) {
		size_t n;
		int ret;

		if (c->c_state == PC_RAW) {
			ssize_t s = send(c->c_fd, c->c_wbuf + c->c_woff, c->c_wlen - c->c_woff,
			    MSG_NOSIGNAL);

			if (s < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return 0;
			if (s < 0) {
				c->c_end = errno == ECONNRESET ? END_RST : END_FIN;
				conn_fail(c, "send failed: %s", strerror(errno));
				return -1;
			}
			c->c_woff += (size_t)s;
			continue;
		}
		n = c->c_wpend ? c->c_wpend : flush_len(c);
		if (c->c_ossl != NULL) {
			int wantw;

			ERR_clear_error();
			ret = SSL_write(c->c_ossl, c->c_wbuf + c->c_woff, (int)n);
			if (ret <= 0) {
				if (!ossl_again(c, "TLS write failed", ret, &wantw))
					return -1;
				c->c_wpend = n; /* the retry must pass the same bytes */
				return 0;
			}
			c->c_wpend = 0;
			c->c_woff += (size_t)ret;
			continue;
		}
		ret = mbedtls_ssl_write(&c->c_ssl, c->c_wbuf + c->c_woff, n);
		if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) {
			c->c_wpend = n;         /* the retry must pass the same bytes */
			return 0;
		}
		c->c_wpend = 0;
		if (ret < 0) {
			tls_fail(c, "TLS write failed", ret);
			return -1;
		}
		c->c_woff += (size_t)ret;
	}
	c->c_woff = c->c_wlen = 0;
	return 0;
}

int
conn_raw_send(struct pl_conn *c, const void *p, size_t len)
{
	if (conn_queue(c, p, len) != 0)
		return -1;
	return conn_flush(c);
}

void
conn_io_update(struct pl_conn *c)
{
	int want_w;

	if (c->c_state == PC_IDLE || c->c_ev_w == NULL)
		return;
	want_w = c->c_state == PC_CONNECTING || c->c_hs_wantw || c->c_wlen > c->c_woff;
	if (want_w && !c->c_w_added) {
		event_add(c->c_ev_w, NULL);
		c->c_w_added = 1;
	} else if (!want_w && c->c_w_added) {
		event_del(c->c_ev_w);
		c->c_w_added = 0;
	}
}

/* ------------------------------------------------------------------ */
/* Connect                                                              */

int
conn_start(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;
	const struct pl_opts *o = r->o;
	int fd, one = 1;

	if (c->c_state != PC_IDLE)
		return 0;
	if (buf_alloc(c) != 0) {
		pl_error(r, "out of memory");
		return -1;
	}
	c->c_end = END_NONE;
	c->c_sock_err = 0;
	c->c_abuse_rst = 0;
	c->c_wunaligned = 0;
	c->c_saw_cert = 0;
	c->c_t_start = pl_now();
	if (o->mode == MODE_ABUSE)
		abuse_plan(c);

	fd = socket(o->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r->tcp_fail++;
		pl_error(r, "socket: %s", strerror(errno));
		conn_schedule_restart(c, 0.1);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (o->src_first != 0) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(r->src_next);
		if (++r->src_next > o->src_last)
			r->src_next = o->src_first;
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
			r->tcp_fail++;
			pl_error(r, "bind to source address failed: %s", strerror(errno));
			close(fd);
			conn_schedule_restart(c, 0.1);
			return -1;
		}
	}
	c->c_fd = fd;
	c->c_ev_r = event_new(r->base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->c_ev_w = event_new(r->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
	if (c->c_ev_r == NULL || c->c_ev_w == NULL) {
		c->c_state = PC_CONNECTING;
		conn_fail(c, "out of memory");
		return -1;
	}
	c->c_state = PC_CONNECTING;
	conn_deadline(c, o->step_s);
	if (connect(fd, (struct sockaddr *)&o->dst, o->dstlen) != 0 && errno != EINPROGRESS) {
		r->tcp_fail++;
		conn_fail(c, "TCP connect failed: %s", strerror(errno));
		return -1;
	}
	conn_io_update(c);
	return 0;
}

static void
conn_connected(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;

	r->tcp_ok++;
	event_add(c->c_ev_r, NULL);
	conn_deadline(c, r->o->step_s);
	if (r->o->mode == MODE_ABUSE) {
		if (abuse_connected(c) != 0)
			return;         /* taken over (raw modes) or closed */
	}
	(void)conn_tls_begin(c);
}

/* ------------------------------------------------------------------ */
/* TLS                                                                  */

/* The handshake is over: record size, resumption, the session to resume. */
static void
conn_tls_done(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;

	c->c_hs_wantw = 0;
	if (c->c_ossl != NULL) {
		c->c_saw_cert = !SSL_session_reused(c->c_ossl);
		c->c_wmax = 16384;
		if (r->o->resume && c->c_saw_cert) {
			SSL_SESSION **s = r->o->mode == MODE_HANDSHAKE ? &c->c_ossl_sess : &r->ossl_sess;
			SSL_SESSION *n = SSL_get1_session(c->c_ossl);

			if (n != NULL) {
				if (*s != NULL)
					SSL_SESSION_free(*s);
				*s = n;
			}
		}
	} else {
		int m = mbedtls_ssl_get_max_out_record_payload(&c->c_ssl);

		c->c_wmax = m > 0 ? (size_t)m : 16384;
		if (r->o->resume && c->c_saw_cert) {
			mbedtls_ssl_session *s = r->o->mode == MODE_HANDSHAKE ? &c->c_sess : &r->sess;

			mbedtls_ssl_session_free(s);
			mbedtls_ssl_session_init(s);
			if (mbedtls_ssl_get_session(&c->c_ssl, s) == 0) {
				if (r->o->mode == MODE_HANDSHAKE)
					c->c_have_sess = 1;
				else
					r->have_sess = 1;
			}
		}
	}
	if (!c->c_saw_cert)
		r->resumed++;
	run_tls_done(c);
}

static void
conn_tls_step(struct pl_conn *c)
{
	int ret;

	if (c->c_ossl != NULL) {
		ERR_clear_error();
		ret = SSL_connect(c->c_ossl);
		if (ret == 1)
			conn_tls_done(c);
		else
			(void)ossl_again(c, "TLS handshake failed", ret, &c->c_hs_wantw);
		return;
	}
	while (c->c_ssl.state != MBEDTLS_SSL_HANDSHAKE_OVER) {
		if (c->c_ssl.state == MBEDTLS_SSL_SERVER_CERTIFICATE)
			c->c_saw_cert = 1;
		ret = mbedtls_ssl_handshake_step(&c->c_ssl);
		if (ret == MBEDTLS_ERR_SSL_WANT_READ) {
			c->c_hs_wantw = 0;
			return;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
			c->c_hs_wantw = 1;
			return;
		}
		if (ret != 0) {
			uint32_t flags = mbedtls_ssl_get_verify_result(&c->c_ssl);

			c->c_hs_wantw = 0;
			if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != (uint32_t)-1) {
				conn_fail(c, "TLS handshake failed: certificate verify flags 0x%x",
				    (unsigned)flags);
				return;
			}
			tls_fail(c, "TLS handshake failed", ret);
			return;
		}
	}
	conn_tls_done(c);
}

int
conn_tls_begin(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;
	const struct pl_opts *o = r->o;
	int ret;

	c->c_state = PC_TLS;
	if (r->ossl != NULL) {
		SSL_SESSION *s = NULL;

		if (o->resume)
			s = o->mode == MODE_HANDSHAKE ? c->c_ossl_sess : r->ossl_sess;
		c->c_ossl = SSL_new(r->ossl);
		if (c->c_ossl == NULL || SSL_set_fd(c->c_ossl, c->c_fd) != 1 ||
		    SSL_set_tlsext_host_name(c->c_ossl, o->servername) != 1 ||
		    (o->ca != NULL && SSL_set1_host(c->c_ossl, o->servername) != 1) ||
		    (s != NULL && SSL_set_session(c->c_ossl, s) != 1)) {
			ERR_clear_error();
			conn_fail(c, "TLS setup failed (OpenSSL)");
			return -1;
		}
		conn_tls_step(c);
		conn_io_update(c);
		return c->c_state == PC_IDLE ? -1 : 0;
	}
	mbedtls_ssl_init(&c->c_ssl);
	c->c_ssl_live = 1;
	if ((ret = mbedtls_ssl_setup(&c->c_ssl, &r->conf)) != 0 ||
	    (ret = mbedtls_ssl_set_hostname(&c->c_ssl, o->servername)) != 0) {
		tls_fail(c, "TLS setup failed", ret);
		return -1;
	}
	mbedtls_ssl_set_bio(&c->c_ssl, c, bio_send, bio_recv, NULL);
	if (o->resume) {
		if (o->mode == MODE_HANDSHAKE && c->c_have_sess)
			(void)mbedtls_ssl_set_session(&c->c_ssl, &c->c_sess);
		else if (o->mode != MODE_HANDSHAKE && r->have_sess)
			(void)mbedtls_ssl_set_session(&c->c_ssl, &r->sess);
	}
	conn_tls_step(c);
	conn_io_update(c);
	return c->c_state == PC_IDLE ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Event callbacks                                                      */

static void
app_io(struct pl_conn *c)
{
	if (conn_flush(c) != 0)
		return;
	for (;;) {
		int ret;

		if (c->c_rlen == c->c_rcap) {
			conn_fail(c, "receive buffer overflow in state %s",
			    conn_state_name(c->c_state));
			return;
		}
		if (c->c_ossl != NULL) {
			int wantw;

			ERR_clear_error();
			ret = SSL_read(c->c_ossl, c->c_rbuf + c->c_rlen, (int)(c->c_rcap - c->c_rlen));
			if (ret <= 0) {
				if (!ossl_again(c, "connection lost", ret, &wantw))
					return;
				break;
			}
		} else {
			ret = mbedtls_ssl_read(&c->c_ssl, c->c_rbuf + c->c_rlen, c->c_rcap - c->c_rlen);
		}
		if (ret > 0) {
			c->c_rlen += (size_t)ret;
			if (sess_input(c) != 0 || c->c_state == PC_IDLE)
				return;
			continue;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			break;
		tls_fail(c, "connection lost", ret);
		return;
	}
	(void)conn_flush(c);
}

static void
raw_io(struct pl_conn *c)
{
	uint8_t buf[16384];

	for (;;) {
		ssize_t n = recv(c->c_fd, buf, sizeof(buf), 0);

		if (n > 0) {
			abuse_raw_input(c, buf, (size_t)n);
			continue;
		}
		if (n == 0) {
			c->c_end = c->c_raw_alert ? END_ALERT : END_FIN;
			conn_close(c, "closed by gateway");
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			break;
		c->c_end = errno == ECONNRESET ? END_RST : END_FIN;
		if (c->c_raw_alert && c->c_end == END_FIN)
			c->c_end = END_ALERT;
		conn_fail(c, "receive failed: %s", strerror(errno));
		return;
	}
	(void)conn_flush(c);
}

static void
conn_drive(struct pl_conn *c, int writable)
{
	switch (c->c_state) {
	case PC_IDLE:
		return;
	case PC_CONNECTING: {
		int err = 0;
		socklen_t sl = sizeof(err);

		if (!writable)
			return;
		if (getsockopt(c->c_fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0)
			err = errno;
		if (err != 0) {
			c->c_run->tcp_fail++;
			conn_fail(c, "TCP connect failed: %s", strerror(err));
			return;
		}
		conn_connected(c);
		break;
	}
	case PC_TLS:
		conn_tls_step(c);
		if (c->c_state != PC_IDLE && c->c_state != PC_TLS)
			app_io(c);      /* the reply may already be buffered */
		break;
	case PC_RAW:
		raw_io(c);
		break;
	default:
		app_io(c);
		break;
	}
	conn_io_update(c);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	conn_drive(conn_cast(arg), 0);
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	conn_drive(conn_cast(arg), 1);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pl_conn *c = conn_cast(arg);

	if (c->c_restart) {
		c->c_restart = 0;
		if (!c->c_run->stopping)
			(void)conn_start(c);
		return;
	}
	if (c->c_state == PC_IDLE)
		return;
	if (c->c_state == PC_CONNECTING)
		c->c_run->tcp_fail++;
	conn_fail(c, "timeout in state %s", conn_state_name(c->c_state));
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct pl_conn *c = conn_cast(arg);

	if (c->c_state == PC_IDLE)
		return;
	run_tick(c);
	conn_io_update(c);
}
