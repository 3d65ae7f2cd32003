/*
 * The TLS transport of a connection: an mbedTLS server context over a
 * non-blocking socket. The only code that calls mbedtls_ssl_handshake,
 * _read, _write and _close_notify. It never blocks and never touches an
 * event: each call says whether mbedTLS waits to read or to write
 * (tls_conn_wants_write), and conn.c turns that into event interest.
 *
 * Reads are served from the first flight the ClientHello gate read (handed
 * over at setup), then from the socket. While the caller drains a busy
 * connection (tls_conn_batch), a small read asks the socket for up to
 * TLS_CONN_READAHEAD bytes into a per-thread scratch buffer, so a tunnel
 * costs one recv per burst rather than two per record.
 *
 * A handshake flight goes out in one send: mbedTLS writes each message as
 * its own record and flushes it, so during a handshake call the records
 * gather in a per-thread scratch and leave together when mbedTLS waits for
 * the client (4 sends of the server's first flight, 3 of its last, become
 * one each). What the socket does not take is kept for the next call.
 */
#ifndef P2SGW_NET_TLS_CONN_H
#define P2SGW_NET_TLS_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ssl.h>

#include "util/reason.h"

#define TLS_CONN_READAHEAD 16384
#define TLS_CONN_CORK      16384  /* a handshake flight gathers in this much */

/* Why the transport ended: the close reason and plain words. */
struct tls_end {
	enum close_reason reason;
	char              detail[200];
	const char       *alert;   /* name of the client's fatal alert, or NULL */
};

struct tls_conn {
	mbedtls_ssl_context ssl;
	int                 fd;
	int                 ready;       /* ssl is set up (and must be freed) */
	int                 want_write;  /* the last call waits to write */
	int                 resumed;     /* the handshake resumed a session */
	int                 client_ccs;  /* handshake: the client's ChangeCipherSpec came */
	int                 batch;       /* the caller drains the socket: read ahead */
	uint64_t           *bytes_in, *bytes_out; /* the connection's counters */
	uint8_t            *pre;         /* first flight, served before the socket */
	size_t              pre_len, pre_off;
	uint8_t            *ra;          /* read ahead: the thread's scratch, or a copy */
	size_t              ra_off, ra_len;
	int                 cork;        /* in a handshake step: output gathers in the scratch */
	size_t              cork_len;    /* ... this many bytes of it */
	uint8_t            *held;        /* output taken from mbedTLS, not yet sent (malloc'd) */
	size_t              held_off, held_len;
	size_t              slice;       /* > 0: send at most this many bytes, then hold */
	int                 slice_hold;  /* a piece went out: wait (tls_conn_slice_next) */
};

/* Set up the server side with conf over fd. pre (malloc'd, may be NULL) is
 * the first flight already read; the transport owns it from now on. The
 * counters are added to as bytes pass. 0, or -1 with err. */
int  tls_conn_setup(struct tls_conn *t, const mbedtls_ssl_config *conf, int fd,
                    uint8_t *pre, size_t pre_len, uint64_t *bytes_in, uint64_t *bytes_out,
                    char *err, size_t errlen);
/* Drive the handshake: 1 done, 0 waiting for the socket, -1 failed (*end). */
int  tls_conn_handshake(struct tls_conn *t, struct tls_end *end);
/* Application data: bytes read (> 0), 0 waiting, -1 the stream ended (*end). */
int  tls_conn_read(struct tls_conn *t, uint8_t *buf, size_t len, struct tls_end *end);
/* Cut what is sent into pieces of at most bytes (0: off); after each piece
 * the transport holds (tls_conn_sliced) until tls_conn_slice_next. */
void tls_conn_slice(struct tls_conn *t, size_t bytes);
int  tls_conn_sliced(const struct tls_conn *t);
void tls_conn_slice_next(struct tls_conn *t);
/* Write at most one record: bytes written (> 0), 0 waiting (call again with
 * the same len, mbedTLS' rule), -1 failed (*end). */
int  tls_conn_write(struct tls_conn *t, const uint8_t *buf, size_t len, struct tls_end *end);
/* 1 while mbedTLS waits for the socket to take output. */
int  tls_conn_wants_write(const struct tls_conn *t);
/* The caller starts (1) or stops (0) draining the socket. On stop, what
 * was read ahead is kept in a copy of its own (the scratch is per thread). */
void tls_conn_batch(struct tls_conn *t, int on);
/* Send close_notify (best effort). */
void tls_conn_close_notify(struct tls_conn *t);
void tls_conn_free(struct tls_conn *t);
/* After the handshake: "TLSv1.2", the IANA suite name, session resumed. */
const char *tls_conn_version(const struct tls_conn *t);
const char *tls_conn_suite(const struct tls_conn *t);
int         tls_conn_resumed(const struct tls_conn *t);

#endif
