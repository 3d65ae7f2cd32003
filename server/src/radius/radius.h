/*
 * RADIUS client core (RFC 2865, 2869, 3579, 5080, 2548), sans-I/O.
 *
 * codec.c: Access-Request building into a fixed buffer (Message-Authenticator
 * first, always: the BlastRADIUS rule), reply checking (Response
 * Authenticator and a REQUIRED, verified Message-Authenticator), attribute
 * iteration, EAP-Message joining, MS-MPPE key decryption.
 * client.c: the request scheduler: identifiers per server, RFC 5080
 * retransmission, failover and dead time, outcomes through hooks. Time is a
 * monotonic `now` in milliseconds passed in by the caller; no sockets.
 */
#ifndef P2SGW_RADIUS_H
#define P2SGW_RADIUS_H

#include <stddef.h>
#include <stdint.h>

#include "util/emit.h"

#define RADIUS_MAX_PACKET 4096
#define RADIUS_HDR_LEN    20
#define RADIUS_AUTH_LEN   16
#define RADIUS_ATTR_MAX   253 /* value bytes of one attribute */
#define RADIUS_MA_LEN     16  /* Message-Authenticator value */

/* codes */
#define RADIUS_ACCESS_REQUEST   1
#define RADIUS_ACCESS_ACCEPT    2
#define RADIUS_ACCESS_REJECT    3
#define RADIUS_ACCESS_CHALLENGE 11

/* attributes */
#define RADIUS_USER_NAME       1
#define RADIUS_NAS_IP_ADDRESS  4
#define RADIUS_NAS_PORT        5
#define RADIUS_SERVICE_TYPE    6
#define RADIUS_FRAMED_PROTOCOL 7
#define RADIUS_REPLY_MESSAGE   18
#define RADIUS_STATE           24
#define RADIUS_VENDOR_SPECIFIC 26
#define RADIUS_CALLED_STATION  30
#define RADIUS_CALLING_STATION 31
#define RADIUS_NAS_IDENTIFIER  32
#define RADIUS_NAS_PORT_TYPE   61
#define RADIUS_EAP_MESSAGE     79
#define RADIUS_MESSAGE_AUTH    80

/* Microsoft vendor-specific attributes (RFC 2548) */
#define RADIUS_VENDOR_MICROSOFT 311
#define RADIUS_MS_CHAP_ERROR     2
#define RADIUS_MS_CHAP_CHALLENGE 11
#define RADIUS_MS_MPPE_SEND_KEY  16
#define RADIUS_MS_MPPE_RECV_KEY  17
#define RADIUS_MS_CHAP2_RESPONSE 25
#define RADIUS_MS_CHAP2_SUCCESS  26

/* ---- building a packet ---- */

/* A packet under construction. Errors are sticky: an add that does not fit
 * sets `err`, and radius_pkt_finish / radius_reply_sign then fail. */
struct radius_pkt {
	uint8_t buf[RADIUS_MAX_PACKET];
	size_t  len;
	int     err;
};

/* Header (code, id, authenticator; the length is set at finish) and the
 * Message-Authenticator as the first attribute, zeroed until finish. */
void radius_pkt_init(struct radius_pkt *p, uint8_t code, uint8_t id,
                     const uint8_t auth[RADIUS_AUTH_LEN]);
/* Each returns 0, or -1 (and sets err) if the value is too long (> 253, or
 * > 247 for a sub-attribute) or the packet would pass 4096 bytes.
 * radius_pkt_add refuses type 80 (the codec places it). */
int radius_pkt_add(struct radius_pkt *p, uint8_t type, const void *val, size_t len);
int radius_pkt_add_int(struct radius_pkt *p, uint8_t type, uint32_t v);
int radius_pkt_add_vsa(struct radius_pkt *p, uint32_t vendor, uint8_t vtype, const void *val,
                       size_t len);
/* An EAP packet as ordered, consecutive EAP-Message attributes of <= 253. */
int radius_pkt_add_eap(struct radius_pkt *p, const uint8_t *eap, size_t len);
/* Sets a new identifier and Request Authenticator (retry on another server). */
void radius_pkt_set_id_auth(struct radius_pkt *p, uint8_t id, const uint8_t auth[RADIUS_AUTH_LEN]);
/* Request: writes the length and the Message-Authenticator (HMAC-MD5 over
 * the packet with the field zeroed, RFC 3579 3.2). 0, or -1 after an error. */
int radius_pkt_finish(struct radius_pkt *p, const uint8_t *secret, size_t secret_len);
/* Reply (test servers only): Message-Authenticator with the request's
 * authenticator in the header, then the Response Authenticator. */
int radius_reply_sign(struct radius_pkt *p, const uint8_t req_auth[RADIUS_AUTH_LEN],
                      const uint8_t *secret, size_t secret_len);

/* ---- checking a reply ---- */

/* A reply that passed radius_reply_check. `pkt` points into the caller's
 * datagram (valid as long as it is); len is the header's length. */
struct radius_reply {
	const uint8_t *pkt;
	size_t         len;
	uint8_t        code, id;
	uint8_t        req_auth[RADIUS_AUTH_LEN]; /* of the request it answers */
	const uint8_t *secret;                    /* of the server that sent it */
	size_t         secret_len;
	unsigned       server;                    /* set by the client */
};

/* Checks in this order, each failure a fixed reason in *why:
 *   datagram >= 20, 20 <= length <= 4096, length <= datagram (trailing
 *   bytes ignored), code Accept/Reject/Challenge, id == req_id, every
 *   attribute TLV inside the length (Microsoft VSAs: every sub-attribute),
 *   Response Authenticator, exactly one Message-Authenticator of 18 bytes,
 *   its HMAC-MD5 (request authenticator in the header field).
 * Returns 0 and fills *out, or -1. */
int radius_reply_check(struct radius_reply *out, const uint8_t *buf, size_t len, uint8_t req_id,
                       const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
                       size_t secret_len, const char **why);

/* One attribute; a Microsoft VSA yields one entry per sub-attribute with
 * type 26, vendor 311 and vtype. Other VSAs: vendor 0, the raw value. */
struct radius_attr {
	uint8_t        type;
	uint32_t       vendor;
	uint8_t        vtype;
	const uint8_t *val;
	size_t         len;
};

struct radius_iter {
	const uint8_t *p, *end;   /* attributes */
	const uint8_t *vp, *vend; /* sub-attributes of the current Microsoft VSA */
};

void radius_iter_init(struct radius_iter *it, const struct radius_reply *r);
int  radius_iter_next(struct radius_iter *it, struct radius_attr *a); /* 1, or 0 at the end */

/* The first attribute of that type (vendor 0) or Microsoft/other VSA
 * sub-attribute (vendor != 0); NULL if absent. State: RADIUS_STATE;
 * Reply-Message: RADIUS_REPLY_MESSAGE; MS-CHAP2-Success / MS-CHAP-Error:
 * vendor 311, RADIUS_MS_CHAP2_SUCCESS / RADIUS_MS_CHAP_ERROR. */
const uint8_t *radius_find(const struct radius_reply *r, uint8_t type, size_t *len);
const uint8_t *radius_find_vsa(const struct radius_reply *r, uint32_t vendor, uint8_t vtype,
                               size_t *len);

/* The EAP-Message attributes joined into out (cap >= 4096 suffices).
 * Returns 1 with *len, 0 if there is none, -1 with *why if they are not
 * consecutive, the joined length differs from the EAP header's, or < 4. */
int radius_reply_eap(const struct radius_reply *r, uint8_t *out, size_t cap, size_t *len,
                     const char **why);

/* MS-MPPE-Send-Key / -Recv-Key value (salt | string), RFC 2548 2.4.2-3:
 * salt top bit set, string a multiple of 16, b1 = MD5(S|R|A),
 * bi = MD5(S|c(i-1)), key length byte 16 or 32 and within the string.
 * key[32]; returns the key length, or -1 with *why. */
int radius_mppe_decrypt(const uint8_t *val, size_t len, const uint8_t req_auth[RADIUS_AUTH_LEN],
                        const uint8_t *secret, size_t secret_len, uint8_t key[32],
                        const char **why);
/* The reverse (test servers only): out gets 2 + 16 * ceil((1 + keylen) / 16)
 * bytes (<= 50); returns that length, or -1 if keylen is not 16 or 32 or
 * the salt lacks its top bit. */
int radius_mppe_encrypt(const uint8_t *key, size_t keylen, const uint8_t salt[2],
                        const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
                        size_t secret_len, uint8_t out[50]);

/* ---- the client: request scheduling ---- */

#define RADIUS_MAX_SERVERS 4
#define RADIUS_SECRET_MAX  128

struct radius_server_config {
	const uint8_t *secret; /* copied by radius_client_new */
	size_t         secret_len;
};

/* RFC 5080 2.2.1 timers. A request has mrd_ms in all; each server it tries
 * gets the remaining time split evenly over the servers still to try, and
 * within it at most 1 + mrc transmissions (RT: irt, doubled, capped at mrt,
 * each +-10 % unless no_jitter). A server whose tries ran out without a
 * valid reply is dead for dead_time_ms: new requests start elsewhere. */
struct radius_client_config {
	uint32_t irt_ms;       /* 2000 */
	uint32_t mrc;          /* 5 */
	uint32_t mrt_ms;       /* 16000 */
	uint32_t mrd_ms;       /* 30000 */
	uint32_t dead_time_ms; /* 60000 */
	int      no_jitter;    /* 0; tests set 1 for an exact schedule */
	unsigned nservers;     /* 1..RADIUS_MAX_SERVERS; a server is its index here */
	struct radius_server_config servers[RADIUS_MAX_SERVERS];
};

enum radius_outcome {
	RADIUS_REPLY,   /* a checked Accept, Reject or Challenge */
	RADIUS_TIMEOUT, /* no valid reply from any server within mrd */
};

/* All calls happen inside radius_client_*(). `done` may call
 * radius_client_send and radius_client_cancel, not radius_client_free. */
struct radius_client_hooks {
	void *ctx;
	/* one datagram to server `server` (the caller's address for that index) */
	void (*send)(void *ctx, unsigned server, const uint8_t *buf, size_t len);
	/* the end of the request sent for `user`; reply is NULL on timeout and
	 * valid only during the call */
	void (*done)(void *ctx, void *user, enum radius_outcome outcome,
	             const struct radius_reply *reply);
	/* random bytes (Request Authenticators, jitter); NULL: util/rng.h */
	void (*random)(void *ctx, uint8_t *out, size_t len);
	/* radius_reply_dropped {server, id, reason}, radius_failover {from, to},
	 * radius_server_dead {server}, radius_timeout {} */
	struct emitter events;
};

struct radius_client; /* opaque */

void radius_client_config_default(struct radius_client_config *cfg);
/* NULL if the config is invalid (no server, empty or long secret, zero timer). */
struct radius_client *radius_client_new(const struct radius_client_config *cfg,
                                        const struct radius_client_hooks *hooks);
void radius_client_free(struct radius_client *cl); /* no callbacks */

/* pkt: built with radius_pkt_init(code 1, any id and authenticator) and
 * the adds, not finished; the client copies it, and sets the identifier,
 * a random Request Authenticator and the Message-Authenticator for each
 * server it goes to. Sends at once through the hook. 0, or -1 (pkt error,
 * no identifier free on any server, no memory). */
int radius_client_send(struct radius_client *cl, void *user, const struct radius_pkt *pkt,
                       uint64_t now);
/* A datagram from server `server`. A reply that matches no outstanding
 * request or fails radius_reply_check is dropped with an event. */
void radius_client_input(struct radius_client *cl, unsigned server, const uint8_t *buf,
                         size_t len, uint64_t now);
uint64_t radius_client_next_deadline(const struct radius_client *cl); /* 0: none */
void radius_client_tick(struct radius_client *cl, uint64_t now);
/* Forget every request of `user` (its session ended); no `done`. Returns
 * how many. */
unsigned radius_client_cancel(struct radius_client *cl, void *user);

/* Tests: is `id` outstanding on `server`; how many requests are pending. */
int      radius_client_id_busy(const struct radius_client *cl, unsigned server, uint8_t id);
unsigned radius_client_pending(const struct radius_client *cl);

#endif
