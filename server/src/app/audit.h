/*
 * audit: which clients came, what they offered, how each connection ended,
 * whether they would connect under each era of the Azure gateway's TLS
 * policy, and whether they came back after a certificate rotation.
 *
 * In memory, owned by the event-loop thread, keyed by (JA4, or JA3 hash when
 * there is no JA4; SNI; peer address without port), capped with LRU
 * eviction. No I/O and no clock: callers pass `now` and the policy in force.
 * The era check (audit_era_check) is a pure function over the offer.
 */
#ifndef P2SGW_AUDIT_H
#define P2SGW_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "tls/clienthello.h"

#define AUDIT_DEFAULT_CAP 4096
/* The rehearsal timeline: connections per second over the last 6 hours, and
 * the newest 256 scenario events. */
#define AUDIT_SECONDS     (6 * 3600)
#define AUDIT_EVENTS      256

struct audit;

/* A connection's link to its client entry (lives in struct conn). An entry
 * evicted meanwhile is detected by its serial; the hooks then do nothing. */
struct audit_ref {
	uint32_t slot;
	uint64_t serial;    /* 0: not audited (no parsed ClientHello) */
	uint8_t  tls_ok, app_seen, tunnel_up, outcome_set;
};

/* The policy in force for a connection, and the time. */
struct audit_ctx {
	uint64_t    generation;
	const char *chain;
	time_t      now;
};

/* What a client offered in its ClientHello. */
struct audit_offer {
	uint8_t  sslv2;
	uint16_t legacy_version, max_version;
	uint16_t versions[CH_MAX_VERSIONS];
	size_t   n_versions;
	uint16_t suites[CH_MAX_SUITES];
	size_t   n_suites;
	uint16_t groups[CH_MAX_GROUPS];
	size_t   n_groups;
	uint16_t sigalgs[CH_MAX_SIGALGS];
	size_t   n_sigalgs;
	uint16_t exts[CH_MAX_EXTS];  /* extension types as sent (not in offer_key) */
	size_t   n_exts;
	size_t   hello_bytes;   /* the ClientHello message */
	unsigned records;       /* TLS records it arrived in (0: SSLv2) */
};

enum audit_era { AUDIT_ERA_PRE2018, AUDIT_ERA_2018, AUDIT_ERA_2024, AUDIT_ERA__COUNT };

struct audit_era_verdict {
	int      ok;
	uint16_t version;   /* when ok: the version the gateway would pick */
	uint16_t suite;     /* when ok: the suite it would pick (server order) */
	char     why[200];  /* "after 2018-07-01: no, offers at most TLS 1.0" */
	char     fix[800];  /* when not ok: what to change on the client ("" if nothing) */
};

enum audit_outcome {
	AO_NONE,
	AO_REFUSED,                 /* the gate refused the hello */
	AO_CLIENT_ALERT,            /* the client sent an alert during the handshake */
	AO_TLS_FAILED,              /* the handshake failed otherwise */
	AO_CLOSED_AFTER_HANDSHAKE,  /* TLS ok, then closed without an SSTP request */
	AO_CLOSED,                  /* closed before the handshake ended, no alert */
	AO_SSTP_REQUEST,            /* TLS ok and application bytes: success */
	AO_TUNNEL_UP,               /* PPP network layer up: success */
};

enum audit_rehearsal {
	AR_NEVER_SUCCEEDED,  /* never got past TLS + SSTP request */
	AR_NO_ROTATION,      /* succeeded under the current generation only */
	AR_RECONNECTED,      /* succeeded before and again after a generation change */
	AR_FAILED,           /* tried after the change and did not succeed */
	AR_NOT_SEEN_SINCE,   /* not seen since the change */
};

/* "pre-2018", "2018", "2024" */
const char *audit_era_name(enum audit_era e);
/* "refused", "client_alert", ... "tunnel_up" */
const char *audit_outcome_name(enum audit_outcome o);
/* "never_succeeded", "no_rotation", "reconnected", "failed", "not_seen_since" */
const char *audit_rehearsal_name(enum audit_rehearsal r);

void audit_offer_from_ch(const struct ch_info *ch, struct audit_offer *o);
/* Would a client offering o connect to the gateway of this era (RSA leaf)?
 * Pure function. */
void audit_era_check(const struct audit_offer *o, enum audit_era era,
                     struct audit_era_verdict *v);

/* cap 0: AUDIT_DEFAULT_CAP. NULL when out of memory. */
struct audit *audit_new(size_t cap);
void          audit_free(struct audit *a);
size_t        audit_count(const struct audit *a);

/* Hooks, in connection order. All accept a NULL audit and do nothing then.
 * audit_hello records the hello and the gate's verdict (why: for refusals)
 * and sets *ref. */
void audit_hello(struct audit *a, struct audit_ref *ref, const struct ch_info *ch,
                 const char *peer, int accepted, const char *why,
                 const struct audit_ctx *ctx);
/* TLS result: ok, or failed with the client's alert name (NULL: no alert). */
void audit_tls(struct audit *a, struct audit_ref *ref, int ok, const char *alert,
               const char *detail, const struct audit_ctx *ctx);
/* First application bytes after the handshake (the SSTP request). */
void audit_app_data(struct audit *a, struct audit_ref *ref, const struct audit_ctx *ctx);
void audit_tunnel_up(struct audit *a, struct audit_ref *ref, const struct audit_ctx *ctx);
void audit_close(struct audit *a, struct audit_ref *ref, const char *reason,
                 const char *detail, const struct audit_ctx *ctx);

/* The rehearsal state of one client against the generation in force. */
struct audit_client;
enum audit_rehearsal audit_client_rehearsal(const struct audit_client *cl,
                                            uint64_t cur_generation,
                                            char *text, size_t len);
/* Look up a client (for tests); NULL if unknown or evicted. */
const struct audit_client *audit_find(const struct audit *a, const char *fingerprint,
                                      const char *sni, const char *addr);

/* GET /clients: an array, most recently seen first. */
json_t *audit_json(const struct audit *a, uint64_t cur_generation, const char *cur_chain);

/* A scenario event on the rehearsal timeline: kind "start", "rotate",
 * "policy", "reload", "renewal", "revoke", "maintenance", "crl_offline", ...
 * text: what changed. */
void audit_event(struct audit *a, time_t now, uint64_t generation, const char *kind,
                 const char *text);

/* The report's rows: one flat object per client, most recently seen first,
 * with the columns of docs/audit.md "Report columns" (each client labelled
 * by client_identify). *offers (may be NULL) gets an object keyed by
 * offer_key with each distinct offer's lists, which the rows leave out. */
json_t *audit_rows(struct audit *a, uint64_t cur_generation, json_t **offers);
/* The recorded events, oldest first: [{at, generation, kind, text}]. */
json_t *audit_events_json(const struct audit *a);
/* Connections ended per second in [from, to] (at most AUDIT_SECONDS back
 * from to), summed into buckets of bucket_s seconds:
 * {from, bucket_s, ok: [...], fail: [...]}. from <= 0: from the first
 * second with a connection or event in the window. */
json_t *audit_activity_json(const struct audit *a, time_t from, time_t to, unsigned max_buckets);

#endif
