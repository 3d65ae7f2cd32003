/*
 * EAP relayed to the application (RFC 3579 pass-through, authenticator
 * side; PPP protocol 0xC227), when cfg.auth_external and the negotiated
 * method is EAP: the gateway does not run the method (no TLS here), it
 * passes packets between the client and the RADIUS server.
 *
 *   eap = code(1) id(1) length(2) [ type(1) type-data ]  (1 Request, 2 Response,
 *                                                         3 Success, 4 Failure)
 *
 * 1. We send EAP-Request/Identity ourselves (restart timer, max_configure).
 * 2. Each Response carrying the id of the Request outstanding (Identity,
 *    Nak, EAP-TLS, any type: the server decides) goes to hooks.eap_relay;
 *    while the application asks, no timer runs and other Responses are
 *    dropped (duplicates, RFC 3748 4.1).
 * 3. ppp_eap_relay: the server's next Request goes to the client as is; its
 *    id is the one the next Response must carry; it is sent again on the
 *    restart timer, max_configure times, then the link ends.
 * 4. ppp_eap_relay_result: EAP-Success (the server's, or one made here with
 *    the last id) and the HLAK the application derived from the keys, or
 *    EAP-Failure (the server's or one made here) and the link ends with
 *    CR_PPP_AUTH_FAILED and the application's words.
 *
 * At most EAP_RELAY_MAX_ROUNDS Requests from the server: a server that keeps
 * challenging ends the link instead of holding it forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "ppp/ppp_int.h"
#include "util/bytes.h"

#define EAP_RELAY_MAX_ROUNDS 64
#define EAP_RELAY_MAX_PKT    4096 /* a RADIUS packet carries less */

#define EAP_RELAY_METHOD "EAP-TLS (RADIUS)"

enum relay_step {
	RELAY_IDENTITY = 0, /* our Request-Identity is out */
	RELAY_RUNNING,      /* a server Request is out, or the application asks */
	RELAY_DONE,
};

struct eap_relay_state {
	enum relay_step step;
	int             pending;   /* hooks.eap_relay called, no answer yet */
	uint8_t         id;        /* of the Request outstanding */
	uint8_t         last[EAP_RELAY_MAX_PKT]; /* that Request, to resend */
	size_t          last_len;
	unsigned        sent;      /* its transmissions */
	unsigned        rounds;    /* Requests relayed from the server */
	uint64_t        deadline;
	char            identity[256]; /* printable */
};

static void
send_request(struct ppp_session *p, const uint8_t *pkt, size_t len)
{
	struct eap_relay_state *st = p->relay;

	memcpy(st->last, pkt, len);
	st->last_len = len;
	st->id = pkt[1];
	st->sent = 1;
	st->deadline = p->now + p->lcp.restart_ms;
	ppp_send_proto(p, PROTO_EAP, st->last, len);
}

/* The end for the client: the server's EAP packet of that code if it gave
 * one, else one made here with the id of the last Request. */
static void
send_final(struct ppp_session *p, uint8_t code, const uint8_t *eap, size_t len)
{
	struct eap_relay_state *st = p->relay;
	uint8_t made[4] = { code, st->id, 0, 4 };

	st->step = RELAY_DONE;
	st->deadline = 0;
	st->pending = 0;
	if (eap != NULL && len >= 4 && eap[0] == code && be16_get(eap + 2) == len)
		ppp_send_proto(p, PROTO_EAP, eap, len);
	else
		ppp_send_proto(p, PROTO_EAP, made, sizeof(made));
}

static void
relay_fail(struct ppp_session *p, const uint8_t *eap, size_t len, const char *why)
{
	struct eap_relay_state *st = p->relay;
	char det[256];

	if (st->step != RELAY_DONE)
		send_final(p, EAP_FAILURE, eap, len);
	snprintf(det, sizeof(det), "EAP through RADIUS failed for '%.80s': %.130s",
	    st->identity, why);
	snprintf(p->auth_fail, sizeof(p->auth_fail), "%s", det);
	p->auth_fail_reason = CR_PPP_AUTH_FAILED;
	ppp_emit(p, "ppp_auth_result", json_pack("{s:s,s:b,s:s,s:s,s:i}", "method",
	    EAP_RELAY_METHOD, "ok", 0, "identity", st->identity, "why", why,
	    "rounds", (int)st->rounds));
	ppp_auth_failed(p, st->identity);
	ppp_fail(p, CR_PPP_AUTH_FAILED, det);
}

void
eap_relay_start(struct ppp_session *p)
{
	struct eap_relay_state *st;
	uint8_t id, req[5];

	eap_relay_free(p);
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		ppp_fail(p, CR_INTERNAL, "EAP relay: out of memory");
		return;
	}
	p->relay = st;
	ppp_random(p, &id, 1);
	st->step = RELAY_IDENTITY;
	req[0] = EAP_REQUEST;
	req[1] = id;
	req[2] = 0;
	req[3] = 5;
	req[4] = EAP_TYPE_IDENTITY;
	send_request(p, req, sizeof(req));
}

void
eap_relay_free(struct ppp_session *p)
{
	if (p->relay == NULL)
		return;
	mbedtls_platform_zeroize(p->relay, sizeof(*p->relay));
	free(p->relay);
	p->relay = NULL;
}

void
eap_relay_stop(struct ppp_session *p)
{
	if (p->relay != NULL) {
		p->relay->deadline = 0;
		p->relay->pending = 0;
		p->relay->step = RELAY_DONE;
	}
}

uint64_t
eap_relay_deadline(const struct ppp_session *p)
{
	const struct eap_relay_state *st = p->relay;

	return st != NULL && st->step != RELAY_DONE && !st->pending ? st->deadline : 0;
}

void
eap_relay_tick(struct ppp_session *p)
{
	struct eap_relay_state *st = p->relay;
	char det[128];

	if (st == NULL || st->step == RELAY_DONE || st->pending || st->deadline == 0 ||
	    p->now < st->deadline)
		return;
	if (st->sent < p->lcp.max_configure) {
		st->sent++;
		st->deadline = p->now + p->lcp.restart_ms;
		ppp_send_proto(p, PROTO_EAP, st->last, st->last_len);
		return;
	}
	snprintf(det, sizeof(det), "no EAP Response to %u Requests (%s)", st->sent,
	    st->step == RELAY_IDENTITY ? "Identity" : "relayed from the server");
	relay_fail(p, NULL, 0, det);
}

void
eap_relay_input(struct ppp_session *p, const uint8_t *pkt, size_t len)
{
	struct eap_relay_state *st = p->relay;
	size_t plen;

	if (st == NULL || st->step == RELAY_DONE || st->pending || len < 4)
		return;
	plen = be16_get(pkt + 2);
	if (plen < 5 || plen > len || plen > EAP_RELAY_MAX_PKT)
		return;
	if (pkt[0] != EAP_RESPONSE || pkt[1] != st->id)
		return; /* not an answer to the Request outstanding */
	if (st->step == RELAY_IDENTITY) {
		if (pkt[4] == EAP_TYPE_NAK) {
			relay_fail(p, NULL, 0, "client answered EAP-Request/Identity with a Nak");
			return;
		}
		if (pkt[4] != EAP_TYPE_IDENTITY)
			return;
		ppp_printable(pkt + 5, plen - 5, st->identity, sizeof(st->identity));
		snprintf(p->identity, sizeof(p->identity), "%s", st->identity);
		ppp_emit(p, "ppp_eap_identity", json_pack("{s:s,s:s}", "identity", st->identity,
		    "relay", "radius"));
		st->step = RELAY_RUNNING;
	}
	st->deadline = 0;
	st->pending = 1;
	p->hooks.eap_relay(p->hooks.ctx, pkt, plen);
}

void
ppp_eap_relay(struct ppp_session *p, const uint8_t *eap, size_t len, uint64_t now)
{
	struct eap_relay_state *st;
	char det[128];

	if (p == NULL || p->magic != PPP_SESSION_MAGIC || p->closed || (st = p->relay) == NULL ||
	    !st->pending || st->step == RELAY_DONE)
		return;
	p->now = now;
	st->pending = 0;
	if (eap == NULL || len < 5 || len > EAP_RELAY_MAX_PKT || be16_get(eap + 2) != len ||
	    eap[0] != EAP_REQUEST) {
		snprintf(det, sizeof(det), "the server's Access-Challenge carries no valid "
		    "EAP-Request (%zu bytes, code %u)", len, eap != NULL && len > 0 ? eap[0] : 0);
		relay_fail(p, NULL, 0, det);
		return;
	}
	if (++st->rounds > EAP_RELAY_MAX_ROUNDS) {
		snprintf(det, sizeof(det), "more than %u EAP-Requests from the server (an endless "
		    "Access-Challenge loop?)", EAP_RELAY_MAX_ROUNDS);
		relay_fail(p, NULL, 0, det);
		return;
	}
	send_request(p, eap, len);
}

void
ppp_eap_relay_result(struct ppp_session *p, int ok, const uint8_t *eap, size_t len,
    const uint8_t hlak[32], const char *why, uint64_t now)
{
	struct eap_relay_state *st;

	if (p == NULL || p->magic != PPP_SESSION_MAGIC || p->closed || (st = p->relay) == NULL ||
	    !st->pending || st->step == RELAY_DONE)
		return;
	p->now = now;
	st->pending = 0;
	if (ok && hlak == NULL) {
		ok = 0;
		eap = NULL;
		why = "the server's Accept lacks the MPPE keys (the crypto binding needs them)";
	}
	if (!ok) {
		relay_fail(p, eap, len, why != NULL && why[0] != '\0' ? why : "rejected");
		return;
	}
	send_final(p, EAP_SUCCESS, eap, len);
	ppp_auth_success(p, EAP_RELAY_METHOD, st->identity, hlak);
}
