/*
 * SSTP server session (MS-SSTP), sans-I/O: the HTTP handshake, the packet
 * and attribute codec, the server state machine with its timers as
 * deadlines, and crypto binding.
 *
 * Bytes from the TLS stream go in with sstp_input(); everything the session
 * wants to send, the PPP frames it delivers, its events and its end go out
 * through the hooks. Time is a monotonic `now` in milliseconds passed in by
 * the caller; sstp_next_deadline() says when sstp_tick() is due.
 */
#ifndef P2SGW_SSTP_H
#define P2SGW_SSTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/emit.h"
#include "util/reason.h"

#define SSTP_HASH_SHA1   0x01 /* CERT_HASH_PROTOCOL_SHA1 */
#define SSTP_HASH_SHA256 0x02 /* CERT_HASH_PROTOCOL_SHA256 */
#define SSTP_HLAK_LEN    32
#define SSTP_MAX_PACKET  4095

struct sstp_config {
	uint32_t negotiation_timeout_ms; /* 60000: HTTPS up -> CONNECT_REQUEST, ACK -> CALL_CONNECTED */
	uint32_t hello_interval_ms;      /* 60000: idle -> ECHO_REQUEST; no answer in another interval -> drop */
	uint32_t abort_t1_ms, abort_t2_ms;           /* 3000, 1000 */
	uint32_t disconnect_t1_ms, disconnect_t2_ms; /* 5000, 1000 */
	uint8_t  hash_bitmask;           /* SSTP_HASH_SHA1 | SSTP_HASH_SHA256 (at least one) */
	unsigned nak_retries;            /* 3: CONNECT_REQUESTs NAKed before the abort */
	uint32_t max_header_bytes;       /* HTTP request head cap, e.g. 8192 */
	uint8_t  cert_sha1[20];          /* hashes of the DER certificate actually served */
	uint8_t  cert_sha256[32];
};

/* What the session needs from its owner. All calls happen inside sstp_*().
 * Hooks may call sstp_send_ppp, sstp_set_hlak, sstp_disconnect*, sstp_abort*,
 * sstp_lower_down and sstp_free (deferred to the outermost call), but not
 * sstp_input. */
struct sstp_hooks {
	void *ctx;
	/* bytes for the TLS stream; one call = one TLS record (the HTTP 200
	 * reply must arrive in one record: sstpc parses a single read) */
	void (*send)(void *ctx, const uint8_t *buf, size_t len);
	/* a PPP frame from the client (SSTP data packet payload, as received) */
	void (*ppp_frame)(void *ctx, const uint8_t *frame, size_t len);
	/* CONNECT_REQUEST accepted: PPP may start (lower layer up) */
	void (*lower_up)(void *ctx);
	/* 32 random bytes for the crypto-binding nonce (the caller's DRBG) */
	void (*random)(void *ctx, uint8_t *out, size_t len);
	/* the session is over: the owner closes the connection once `send`
	 * output is flushed. Called exactly once. */
	void (*closed)(void *ctx, enum close_reason reason, const char *detail);
	struct emitter events;
};

struct sstp_session; /* opaque */

struct sstp_session *sstp_new(const struct sstp_config *cfg, const struct sstp_hooks *hooks,
                              uint64_t now);
void sstp_free(struct sstp_session *s);

/* Bytes read from the TLS stream (HTTP request first, then SSTP packets). */
void sstp_input(struct sstp_session *s, const uint8_t *buf, size_t len, uint64_t now);
/* Timers. */
uint64_t sstp_next_deadline(const struct sstp_session *s); /* 0: none */
void sstp_tick(struct sstp_session *s, uint64_t now);

/* A PPP frame for the client; data frames are dropped until CALL_CONNECTED
 * has been verified (MS-SSTP 3.3.7). Returns 0, or -1 if dropped. */
int sstp_send_ppp(struct sstp_session *s, const uint8_t *frame, size_t len, uint64_t now);

/* Authentication produced keys: the HLAK (32 bytes; NULL means all zero,
 * as for methods without keys). A CALL_CONNECTED that arrived earlier is
 * verified now. */
void sstp_set_hlak(struct sstp_session *s, const uint8_t *hlak, uint64_t now);

/* End the call from the gateway side: CALL_DISCONNECT, or CALL_ABORT with
 * a status, per MS-SSTP; `closed` follows when the exchange is done. */
void sstp_disconnect(struct sstp_session *s, uint64_t now);
void sstp_abort(struct sstp_session *s, enum close_reason reason, const char *detail, uint64_t now);

/* The lower layer (TCP/TLS) is gone: no bytes are sent, `closed` is called. */
void sstp_lower_down(struct sstp_session *s, enum close_reason reason, const char *detail);

int sstp_is_connected(const struct sstp_session *s); /* CALL_CONNECTED verified */

/* Exposed for unit tests and fuzzing (spec section 3.2.5.2):
 * CMK from the HLAK, and the compound MAC over a 112-byte CALL_CONNECTED. */
void sstp_compute_cmk(uint8_t hash_proto, const uint8_t hlak[SSTP_HLAK_LEN], uint8_t cmk[32]);
void sstp_compute_cmac(uint8_t hash_proto, const uint8_t cmk[32], const uint8_t msg[112],
                       uint8_t mac[32]);

/* Additions (sstp session implementation): */

/* Wall-clock time for the HTTP Date header: `unix_seconds` is the time at
 * monotonic `now`; the session adds the elapsed monotonic time when it
 * replies. Without it the reply carries no Date header. */
void sstp_set_wall_clock(struct sstp_session *s, int64_t unix_seconds, uint64_t now);

/* sstp_disconnect with the reason `closed` will report (e.g.
 * CR_PPP_AUTH_FAILED: MS-SSTP 3.3.7.1 has PPP failures end the call with
 * CALL_DISCONNECT); detail NULL: the reason's text. */
void sstp_disconnect_reason(struct sstp_session *s, enum close_reason reason, const char *detail,
                            uint64_t now);

/* sstp_abort with an explicit Status Info (fault injection): attrib_id
 * and status as in MS-SSTP 2.2.13. */
void sstp_abort_status(struct sstp_session *s, uint8_t attrib_id, uint32_t status,
                       enum close_reason reason, const char *detail, uint64_t now);

/* Answer the SSTP request (once its head is read) with http_status
 * (e.g. 503 at the session limit; 400..599, else 503) and Connection:
 * close instead of 200, then `closed(reason, detail)`. A plain browser
 * request still gets the 404 page. Call before the head arrives. */
void sstp_refuse(struct sstp_session *s, int http_status, enum close_reason reason,
                 const char *detail);

/* "http", "connect_request_pending", ..., "closed" (status pages, tests) */
const char *sstp_state_name(const struct sstp_session *s);

#endif
