/*
 * TLS transport: mbedTLS over a non-blocking socket (net/tls_conn.h).
 */
#include "net/tls_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>

#include "tls/tls_names.h"

static _Thread_local uint8_t ra_scratch[TLS_CONN_READAHEAD];
static _Thread_local uint8_t cork_scratch[TLS_CONN_CORK];

/* One send of buf: bytes sent (0 when the socket is full), or an mbedTLS
 * error code. */
static int
sock_send(struct tls_conn *t, const unsigned char *buf, size_t len)
{
	for (;;) {
		ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0) {
			*t->bytes_out += (uint64_t)n;
			return (int)n;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EPIPE || errno == ECONNRESET)
			return MBEDTLS_ERR_NET_CONN_RESET;
		return MBEDTLS_ERR_NET_SEND_FAILED;
	}
}

/* Send what is held: 0 when all of it is gone, 1 while some is left (the
 * socket is full), or an mbedTLS error code. */
static int
held_flush(struct tls_conn *t)
{
	while (t->held != NULL) {
		int n = sock_send(t, t->held + t->held_off, t->held_len - t->held_off);
		if (n < 0)
			return n;
		if (n == 0)
			return 1;
		t->held_off += (size_t)n;
		if (t->held_off == t->held_len) {
			free(t->held);
			t->held = NULL;
			t->held_off = t->held_len = 0;
		}
	}
	return 0;
}

/* The gathered flight to the socket; what it does not take is held. 0, 1
 * (some held) or an mbedTLS error code. */
static int
cork_flush(struct tls_conn *t)
{
	size_t off = 0;
	while (off < t->cork_len) {
		int n = sock_send(t, cork_scratch + off, t->cork_len - off);
		if (n < 0) {
			t->cork_len = 0;
			return n;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	size_t left = t->cork_len - off;
	t->cork_len = 0;
	if (left == 0)
		return 0;
	if ((t->held = malloc(left)) == NULL)
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	memcpy(t->held, cork_scratch + off, left);
	t->held_off = 0;
	t->held_len = left;
	return 1;
}

static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *t = ctx;
	if (t->held != NULL)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	if (t->cork) {
		if (t->cork_len + len <= sizeof(cork_scratch)) {
			memcpy(cork_scratch + t->cork_len, buf, len);
			t->cork_len += len;
			return (int)len;
		}
		int rc = cork_flush(t);  /* a flight larger than the scratch */
		if (rc != 0)
			return rc < 0 ? rc : MBEDTLS_ERR_SSL_WANT_WRITE;
	}
	if (t->slice > 0) {
		if (t->slice_hold)
			return MBEDTLS_ERR_SSL_WANT_WRITE;
		if (len > t->slice)
			len = t->slice;
	}
	int n = sock_send(t, buf, len);
	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	if (n > 0 && t->slice > 0)
		t->slice_hold = 1;
	return n;
}

/* One recv into buf: bytes (0 at EOF), or an mbedTLS error code. */
static int
sock_recv(struct tls_conn *t, unsigned char *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(t->fd, buf, len, 0);
		if (n >= 0) {
			*t->bytes_in += (uint64_t)n;
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

/*
 * The first flight first, then the socket. mbedTLS asks for a record
 * header, then its body; while the caller drains the socket, a small ask
 * reads up to TLS_CONN_READAHEAD bytes at once into the thread's scratch,
 * and no connection keeps a buffer of its own: the drain loop stops only
 * once the scratch is used up (tls_conn_batch keeps a copy of anything
 * left in the rare other case).
 */
static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *t = ctx;
	if (t->pre != NULL) {
		if (t->pre_off < t->pre_len)
			return serve(t->pre, &t->pre_off, t->pre_len, buf, len);
		free(t->pre);
		t->pre = NULL;
	}
	if (t->ra != NULL && t->ra_off == t->ra_len) {
		if (t->ra != ra_scratch)
			free(t->ra);
		t->ra = NULL;
		t->ra_off = t->ra_len = 0;
	}
	if (t->ra == NULL && t->batch && len < TLS_CONN_READAHEAD) {
		int n = sock_recv(t, ra_scratch, TLS_CONN_READAHEAD);
		if (n <= 0)
			return n;
		t->ra = ra_scratch;
		t->ra_off = 0;
		t->ra_len = (size_t)n;
	}
	if (t->ra_off < t->ra_len)
		return serve(t->ra, &t->ra_off, t->ra_len, buf, len);
	return sock_recv(t, buf, len);
}

int
tls_conn_setup(struct tls_conn *t, const mbedtls_ssl_config *conf, int fd, uint8_t *pre,
    size_t pre_len, uint64_t *bytes_in, uint64_t *bytes_out, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->pre = pre;
	t->pre_len = pre_len;
	t->bytes_in = bytes_in;
	t->bytes_out = bytes_out;
	mbedtls_ssl_init(&t->ssl);
	t->ready = 1;
	int rc = mbedtls_ssl_setup(&t->ssl, conf);
	if (rc != 0) {
		mbedtls_strerror(rc, err, errlen);
		return -1;
	}
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	return 0;
}

static int
waiting(struct tls_conn *t, int rc)
{
	if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
		t->want_write = rc == MBEDTLS_ERR_SSL_WANT_WRITE;
		return 1;
	}
	t->want_write = 0;
	return 0;
}

static void
handshake_failed(struct tls_conn *t, int rc, struct tls_end *end)
{
	end->alert = NULL;
	end->reason = CR_TLS_HANDSHAKE_FAILED;
	if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
		/* in_msg holds the alert mbedTLS just read: level, description */
		uint8_t code = t->ssl.in_msg != NULL ? t->ssl.in_msg[1] : 0;
		const char *name = tls_alert_name(code);
		snprintf(end->detail, sizeof(end->detail), "client sent alert %s(%u)%s",
		    name ? name : "unknown", code,
		    code == 48 ? ": it does not trust the served chain" :
		    code == 42 || code == 46 ? ": it rejected the served certificate" :
		    code == 45 ? ": it considers the served certificate expired" : "");
		end->reason = CR_CLIENT_ALERT;
		end->alert = name ? name : "unknown";
	} else if (rc == MBEDTLS_ERR_SSL_CONN_EOF) {
		snprintf(end->detail, sizeof(end->detail), "during the TLS handshake, without an "
		    "alert (a client that rejects the certificate often ends this way)");
		end->reason = CR_CLIENT_CLOSED;
	} else if (rc == MBEDTLS_ERR_NET_CONN_RESET) {
		snprintf(end->detail, sizeof(end->detail), "during the TLS handshake");
		end->reason = CR_CLIENT_RESET;
	} else {
		char e[160];
		mbedtls_strerror(rc, e, sizeof(e));
		snprintf(end->detail, sizeof(end->detail), "%s (-0x%04x)", e, (unsigned)-rc);
	}
}

/*
 * One state per step, so every state is seen. A resumed handshake (session
 * ID or ticket) sends the server's ChangeCipherSpec right after its Hello,
 * before the client's; a full one after. That order, read from the public
 * `state` field, tells a resumption without mbedTLS' internal headers.
 */
int
tls_conn_handshake(struct tls_conn *t, struct tls_end *end)
{
	int rc = held_flush(t);
	if (rc != 0) {
		if (rc > 0) {
			t->want_write = 1;
			return 0;
		}
		handshake_failed(t, rc, end);
		return -1;
	}
	t->cork = t->slice == 0;
	for (;;) {
		int st = t->ssl.state;
		if (st == MBEDTLS_SSL_HANDSHAKE_OVER) {
			rc = 0;
			break;
		}
		if (st == MBEDTLS_SSL_CLIENT_CHANGE_CIPHER_SPEC)
			t->client_ccs = 1;
		else if (st == MBEDTLS_SSL_SERVER_CHANGE_CIPHER_SPEC && !t->client_ccs)
			t->resumed = 1;
		if ((rc = mbedtls_ssl_handshake_step(&t->ssl)) != 0)
			break;
	}
	t->cork = 0;
	int sent = cork_flush(t);   /* the flight, or the alert of a failure */
	if (rc != 0 && !waiting(t, rc)) {
		handshake_failed(t, rc, end);
		return -1;
	}
	if (sent < 0) {
		handshake_failed(t, sent, end);
		return -1;
	}
	if (sent > 0 || t->held != NULL) {
		t->want_write = 1;  /* done or not: the rest of the flight first */
		return 0;
	}
	if (rc != 0)
		return 0;
	t->want_write = 0;
	return 1;
}

int
tls_conn_read(struct tls_conn *t, uint8_t *buf, size_t len, struct tls_end *end)
{
	int rc = mbedtls_ssl_read(&t->ssl, buf, len);
	if (rc > 0) {
		t->want_write = 0;
		return rc;
	}
	if (waiting(t, rc))
		return 0;
	end->alert = NULL;
	end->detail[0] = '\0';
	if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
		end->reason = CR_CLIENT_CLOSE_NOTIFY;
	} else if (rc == 0 || rc == MBEDTLS_ERR_SSL_CONN_EOF) {
		end->reason = CR_CLIENT_CLOSED;
		snprintf(end->detail, sizeof(end->detail), "after the TLS handshake");
	} else {
		mbedtls_strerror(rc, end->detail, sizeof(end->detail));
		end->reason = rc == MBEDTLS_ERR_NET_CONN_RESET ? CR_CLIENT_RESET : CR_TLS_ERROR;
	}
	return -1;
}

int
tls_conn_write(struct tls_conn *t, const uint8_t *buf, size_t len, struct tls_end *end)
{
	int rc = mbedtls_ssl_write(&t->ssl, buf, len);
	if (rc > 0) {
		t->want_write = 0;
		return rc;
	}
	if (waiting(t, rc))
		return 0;
	end->alert = NULL;
	mbedtls_strerror(rc, end->detail, sizeof(end->detail));
	end->reason = rc == MBEDTLS_ERR_NET_CONN_RESET ? CR_CLIENT_RESET : CR_TLS_ERROR;
	return -1;
}

int
tls_conn_wants_write(const struct tls_conn *t)
{
	return t->want_write;
}

void
tls_conn_batch(struct tls_conn *t, int on)
{
	t->batch = on;
	if (on || t->ra != ra_scratch)
		return;
	/* the scratch belongs to the next connection: keep what is left */
	size_t left = t->ra_len - t->ra_off;
	uint8_t *copy = left > 0 ? malloc(left) : NULL;
	if (copy != NULL)
		memcpy(copy, ra_scratch + t->ra_off, left);
	t->ra = copy;
	t->ra_off = 0;
	t->ra_len = copy != NULL ? left : 0;
}

void
tls_conn_close_notify(struct tls_conn *t)
{
	if (t->ready)
		(void)mbedtls_ssl_close_notify(&t->ssl);
}

void
tls_conn_free(struct tls_conn *t)
{
	if (t->ready)
		mbedtls_ssl_free(&t->ssl);
	t->ready = 0;
	free(t->pre);
	t->pre = NULL;
	free(t->held);
	t->held = NULL;
	if (t->ra != ra_scratch)
		free(t->ra);
	t->ra = NULL;
}

const char *
tls_conn_version(const struct tls_conn *t)
{
	return mbedtls_ssl_get_version(&t->ssl);
}

const char *
tls_conn_suite(const struct tls_conn *t)
{
	const char *suite = mbedtls_ssl_get_ciphersuite(&t->ssl);
	int id = suite ? mbedtls_ssl_get_ciphersuite_id(suite) : -1;
	const char *iana = id > 0 ? tls_suite_name((uint16_t)id) : NULL;
	return iana ? iana : suite ? suite : "?";
}

int
tls_conn_resumed(const struct tls_conn *t)
{
	return t->resumed;
}

void
tls_conn_slice(struct tls_conn *t, size_t bytes)
{
	t->slice = bytes;
	if (bytes == 0)
		t->slice_hold = 0;
}

int
tls_conn_sliced(const struct tls_conn *t)
{
	return t->slice > 0 && t->slice_hold;
}

void
tls_conn_slice_next(struct tls_conn *t)
{
	t->slice_hold = 0;
}
