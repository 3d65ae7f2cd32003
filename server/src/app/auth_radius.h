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
 */
#ifndef P2SGW_APP_AUTH_RADIUS_H
#define P2SGW_APP_AUTH_RADIUS_H

#include <stdint.h>

#include <event2/event.h>

#include "config/snapshot.h"

struct radius_auth;

struct radius_auth_result {
	int         ok;
	const char *auth_response;   /* ok: "S=<40 hex>" */
	const uint8_t *hlak;         /* ok: 32 bytes */
	unsigned    code;            /* !ok: the E= to send (691, or the no-answer setting) */
	const char *why;             /* plain words */
};

/* done is called once, from the event loop (never from inside a start). */
struct radius_auth *radius_auth_new(struct event_base *base, const struct snapshot *snap,
                                    uint64_t conn_id, const char *peer,
                                    void (*done)(void *ctx, const struct radius_auth_result *r),
                                    void *ctx);
/* Send the MS-CHAPv2 Response for checking. 0, or -1 (done is not called). */
int  radius_auth_mschapv2(struct radius_auth *ra, uint8_t ident, const uint8_t challenge[16],
                          const uint8_t response[49], const char *name);
/* Cancel and free (NULL-safe); done is not called any more. */
void radius_auth_free(struct radius_auth *ra);

#endif
