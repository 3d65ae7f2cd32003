/*
 * Sign-in through RADIUS for one PPP session (ppp.auth_backend radius): the
 * gateway is the RADIUS client of the scenario's servers. Each
 * authentication gets its own UDP socket per server on the connection's
 * worker loop, so nothing blocks and nothing is shared between sessions;
 * the RADIUS core (radius/) builds, checks and schedules the packets.
 *
 * MS-CHAPv2 (RFC 2548): the client's Response goes to the server as
 * MS-CHAP-Challenge + MS-CHAP2-Response; an Accept carries MS-CHAP2-Success
 * and the MS-MPPE keys that make the SSTP HLAK (Recv-Key || Send-Key), so
 * crypto binding is verified as with local users.
 *
 * EAP (RFC 3579): the gateway passes EAP between the client and the server
 * (it does not run EAP-TLS itself): each EAP-Response becomes an
 * Access-Request (User-Name = the EAP identity, EAP-Message split in 253-byte
 * attributes, the last Access-Challenge's State echoed); a Challenge's
 * EAP-Request goes back to the client; an Accept carries EAP-Success and the
 * MS-MPPE keys: HLAK = MS-MPPE-Recv-Key (32 bytes) = MSK[0:32], as the
 * gateway's own EAP-TLS makes it.
 */
#ifndef P2SGW_APP_AUTH_RADIUS_H
#define P2SGW_APP_AUTH_RADIUS_H

#include <stdatomic.h>
#include <stdint.h>

#include <event2/event.h>

#include "config/snapshot.h"

struct radius_auth;

/* Faults a lab puts on the RADIUS path (POST /faults {"radius": ...}), read
 * by every sign-in: replies held delay_ms, dropped drop_percent of the
 * time, or no request sent at all (down). One per gateway, any thread. */
struct radius_faults {
	_Atomic uint32_t delay_ms;
	_Atomic uint32_t drop_percent;
	_Atomic int      down;
};

/* Process-wide figures for /metrics. */
#define RADIUS_LATENCY_BUCKETS 10
extern const uint32_t radius_latency_le_ms[RADIUS_LATENCY_BUCKETS]; /* upper bounds, ms */
struct radius_stats {
	uint64_t requests;                  /* datagrams sent, retransmissions included */
	uint64_t accept, reject, challenge, timeout;
	uint64_t dropped;                   /* replies that failed the checks, or a fault dropped */
	uint64_t latency_count;             /* answered sign-ins ... */
	uint64_t latency_sum_ms;
	uint64_t latency_bucket[RADIUS_LATENCY_BUCKETS]; /* ... with latency <= le (cumulative) */
};
void radius_stats_get(struct radius_stats *st);

struct radius_auth_result {
	int         ok;
	const char *auth_response;   /* ok: "S=<40 hex>" */
	const uint8_t *hlak;         /* ok: 32 bytes */
	unsigned    code;            /* !ok: the E= to send (691, or the no-answer setting) */
	const char *why;             /* plain words */
	/* radius_auth_eap: the server's EAP packet (Access-Challenge: the next
	 * EAP-Request; Accept: EAP-Success; Reject: EAP-Failure), NULL if none;
	 * valid during the call */
	int         challenge;       /* Access-Challenge: pass eap to the client */
	const uint8_t *eap;
	size_t      eap_len;
};

/* done is called once, from the event loop (never from inside a start). */
struct radius_auth *radius_auth_new(struct event_base *base, const struct snapshot *snap,
                                    const struct radius_faults *faults,
                                    uint64_t conn_id, const char *peer,
                                    void (*done)(void *ctx, const struct radius_auth_result *r),
                                    void *ctx);
/* Send the MS-CHAPv2 Response for checking. 0, or -1 (done is not called). */
int  radius_auth_mschapv2(struct radius_auth *ra, uint8_t ident, const uint8_t challenge[16],
                          const uint8_t response[49], const char *name);
/* Send an EAP-Response (the whole packet) for the server, identity being the
 * one from the client's EAP-Response/Identity (User-Name). An Identity
 * starts a new conversation; later Responses carry the State of the last
 * Access-Challenge. 0, or -1 (done is not called). */
int  radius_auth_eap(struct radius_auth *ra, const uint8_t *eap, size_t len,
                     const char *identity);
/* Cancel and free (NULL-safe); done is not called any more. */
void radius_auth_free(struct radius_auth *ra);

#endif
