/*
 * The MS-CHAPv2 exchange, authenticator side (RFC 1994 packets, RFC 2759
 * values; PPP protocol 0xC223, algorithm 0x81).
 *
 *   packet    = code(1) id(1) length(2) data
 *   Challenge = 1: value-size(1)=16 challenge(16) name(rest)
 *   Response  = 2: value-size(1)=49 peer-challenge(16) reserved(8)
 *                  nt-response(24) flags(1) name(rest, <= 256 bytes kept)
 *   Success   = 3: "S=<40 hex> M=Welcome"
 *   Failure   = 4: "E=691 R=<0|1> C=<32 hex> V=3 M=Authentication failed"
 *
 * The Challenge is sent again on the restart timer (max_configure times).
 * A wrong password and an unknown user both answer E=691; the close detail
 * says which. After a Failure with R=1 a new Response (same id or id + 1,
 * RFC 2433 style) is checked against the challenge given in C=.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/constant_time.h>
#include <mbedtls/platform_util.h>

#include "ppp/ppp_int.h"
#include "util/bytes.h"

#define CHAP_CHALLENGE 1
#define CHAP_RESPONSE  2
#define CHAP_SUCCESS   3
#define CHAP_FAILURE   4

#define RESPONSE_VALUE_SIZE 49
#define NAME_MAX_KEPT       256

static void
send_chap(struct ppp_session *p, uint8_t code, uint8_t id, const uint8_t *data, size_t len)
{
	uint8_t pkt[4 + 1 + 16 + 256];

	if (len > sizeof(pkt) - 4)
		len = sizeof(pkt) - 4;
	pkt[0] = code;
	pkt[1] = id;
	pkt[2] = (uint8_t)((len + 4) >> 8);
	pkt[3] = (uint8_t)(len + 4);
	memcpy(pkt + 4, data, len);
	ppp_send_proto(p, PROTO_CHAP, pkt, len + 4);
}

static void
send_challenge(struct ppp_session *p)
{
	struct chap_state *c = &p->chap;
	uint8_t d[1 + 16 + sizeof(p->cfg.auth_name)];
	size_t nl = strnlen(p->cfg.auth_name, sizeof(p->cfg.auth_name));

	d[0] = 16;
	memcpy(d + 1, c->challenge, 16);
	memcpy(d + 17, p->cfg.auth_name, nl);
	send_chap(p, CHAP_CHALLENGE, c->id, d, 17 + nl);
	c->sent++;
	c->deadline = p->now + p->lcp.restart_ms;
}

void
chap_start(struct ppp_session *p)
{
	struct chap_state *c = &p->chap;
	uint8_t id;
	unsigned failures = c->failures; /* an LCP renegotiation does not reset the count */

	memset(c, 0, sizeof(*c));
	c->failures = failures;
	c->active = 1;
	ppp_random(p, &id, 1);
	c->id = id;
	ppp_random(p, c->challenge, 16);
	send_challenge(p);
}

void
chap_stop(struct ppp_session *p)
{
	p->chap.active = 0;
	p->chap.deadline = 0;
}

void
chap_tick(struct ppp_session *p)
{
	struct chap_state *c = &p->chap;
	char det[192];

	if (!c->active || c->deadline == 0 || p->now < c->deadline)
		return;
	c->deadline = 0;
	if (c->retry_wait) {
		c->active = 0;
		snprintf(det, sizeof(det),
		    "MS-CHAPv2 failed: no new Response within %u ms after E=691 R=1",
		    (unsigned)(p->lcp.restart_ms * p->lcp.max_configure));
		ppp_auth_failed(p, p->identity);
		ppp_fail(p, CR_PPP_AUTH_FAILED, det);
		return;
	}
	if (c->sent < p->lcp.max_configure) {
		send_challenge(p);
		return;
	}
	c->active = 0;
	snprintf(det, sizeof(det), "MS-CHAPv2: no Response to %u Challenges", c->sent);
	ppp_emit(p, "ppp_auth_result", json_pack("{s:s,s:b,s:s}", "method", "MS-CHAPv2",
	    "ok", 0, "why", det));
	ppp_auth_failed(p, "");
	ppp_fail(p, CR_PPP_AUTH_FAILED, det);
}

static const struct ppp_user *
find_user(const struct ppp_session *p, const char *name)
{
	for (size_t i = 0; i < p->cfg.n_users; i++)
		if (p->cfg.users[i].name != NULL && strcasecmp(p->cfg.users[i].name, name) == 0)
			return &p->cfg.users[i];
	return NULL;
}

static void chap_succeed(struct ppp_session *p, const char *auth_response, const uint8_t hlak[32]);
static void chap_fail(struct ppp_session *p, unsigned code, const char *why);

static void
answer(struct ppp_session *p, uint8_t code, uint8_t id, const char *msg)
{
	struct chap_state *c = &p->chap;
	size_t n = strlen(msg);

	if (n > sizeof(c->last_msg))
		n = sizeof(c->last_msg);
	memcpy(c->last_msg, msg, n);
	c->last_len = n;
	c->last_code = code;
	send_chap(p, code, id, c->last_msg, n);
}

void
chap_input(struct ppp_session *p, const uint8_t *pkt, size_t len)
{
	struct chap_state *c = &p->chap;
	size_t plen, nl;
	const uint8_t *v;
	char name[NAME_MAX_KEPT + 1], shown[NAME_MAX_KEPT + 1];
	uint8_t id;

	if (len < 4)
		return;
	plen = be16_get(pkt + 2);
	if (plen < 4 || plen > len)
		return;
	if (pkt[0] != CHAP_RESPONSE)
		return; /* an authenticator only receives Responses */
	id = pkt[1];
	if (c->done || (!c->active && c->last_len > 0)) {
		/* our Success/Failure was lost: say it again (RFC 1994 4.2) */
		if (id == c->id && c->last_len > 0)
			send_chap(p, c->last_code, id, c->last_msg, c->last_len);
		return;
	}
	if (!c->active || c->pending)
		return; /* not asked, or the application is still deciding */
	if (id != c->id && !(c->retry_wait && id == (uint8_t)(c->id + 1)))
		return;
	if (plen < 5 || pkt[4] != RESPONSE_VALUE_SIZE || plen < 5 + RESPONSE_VALUE_SIZE)
		return;
	v = pkt + 5;
	nl = plen - 5 - RESPONSE_VALUE_SIZE;
	if (nl > NAME_MAX_KEPT)
		nl = NAME_MAX_KEPT;
	memcpy(name, v + RESPONSE_VALUE_SIZE, nl);
	name[nl] = '\0';
	ppp_printable((const uint8_t *)name, strlen(name), shown, sizeof(shown));
	ppp_printable((const uint8_t *)name, strlen(name), p->identity, sizeof(p->identity));

	c->id = id;
	c->deadline = 0;
	c->retry_wait = 0;
	ppp_emit(p, "ppp_chap_response", json_pack("{s:s,s:i}", "user", shown,
	    "attempt", (int)c->failures + 1));

	if (p->cfg.auth_external) {
		/* the application (RADIUS) decides; ppp_mschap_result answers */
		c->pending = 1;
		p->hooks.mschap_verify(p->hooks.ctx, id, c->challenge, v, name);
		return;
	}

	const char *lookup = mschapv2_strip_domain(name);
	const struct ppp_user *u = find_user(p, lookup);
	const char *why = NULL;
	uint8_t pwhash[16], expect[24];

	if (u == NULL || u->password == NULL) {
		why = "unknown user";
	} else {
		mschapv2_password_hash(u->password, pwhash);
		mschapv2_nt_response_hash(c->challenge, v, name, pwhash, expect);
		if (mbedtls_ct_memcmp(expect, v + 24, 24) != 0)
			why = "wrong password";
	}
	if (why == NULL) {
		char s[43];
		uint8_t hlak[32];

		mschapv2_authenticator_response(u->password, v + 24, v, c->challenge, name, s);
		mschapv2_hlak_hash(pwhash, v + 24, hlak);
		mbedtls_platform_zeroize(pwhash, sizeof(pwhash));
		ppp_printable((const uint8_t *)u->name, strlen(u->name), p->identity,
		    sizeof(p->identity));
		chap_succeed(p, s, hlak);
		mbedtls_platform_zeroize(hlak, sizeof(hlak));
		return;
	}
	mbedtls_platform_zeroize(pwhash, sizeof(pwhash));
	chap_fail(p, 691, why);
}

/* Success: "S=<40 hex> M=Welcome", then the network phase with hlak. */
static void
chap_succeed(struct ppp_session *p, const char *auth_response, const uint8_t hlak[32])
{
	struct chap_state *c = &p->chap;
	char msg[96];

	snprintf(msg, sizeof(msg), "%s M=Welcome", auth_response);
	answer(p, CHAP_SUCCESS, c->id, msg);
	c->done = 1;
	c->active = 0;
	ppp_auth_success(p, "MS-CHAPv2", p->identity, hlak);
}

/* Failure E=code (691: bad credentials), with a retry (R=1, a new challenge
 * in C=) while auth_retries allows. */
static void
chap_fail(struct ppp_session *p, unsigned code, const char *why)
{
	struct chap_state *c = &p->chap;
	char det[256], msg[96], hex[33];

	c->failures++;
	unsigned limit = p->cfg.auth_retries ? p->cfg.auth_retries : 1;
	int retry = c->failures < limit;
	ppp_random(p, c->challenge, 16); /* the new challenge given in C= */
	ppp_hex(c->challenge, 16, hex);
	snprintf(msg, sizeof(msg), "E=%u R=%d C=%s V=3 M=Authentication failed", code, retry, hex);
	answer(p, CHAP_FAILURE, c->id, msg);
	snprintf(det, sizeof(det), "MS-CHAPv2 failed for user '%.160s': %s (E=%u)", p->identity,
	    why, code);
	snprintf(p->auth_fail, sizeof(p->auth_fail), "%s", det);
	ppp_emit(p, "ppp_auth_result", json_pack("{s:s,s:b,s:s,s:s,s:i,s:b,s:i}", "method",
	    "MS-CHAPv2", "ok", 0, "identity", p->identity, "why", why, "attempt", (int)c->failures,
	    "retry", retry, "error", (int)code));
	if (retry) {
		c->retry_wait = 1;
		c->deadline = p->now + (uint64_t)p->lcp.restart_ms * p->lcp.max_configure;
		memcpy(p->fail_detail, det, sizeof(det));
		return;
	}
	c->active = 0;
	ppp_auth_failed(p, p->identity);
	ppp_fail(p, CR_PPP_AUTH_FAILED, det);
}

void
ppp_mschap_result(struct ppp_session *p, int ok, const char *auth_response,
    const uint8_t hlak[32], unsigned code, const char *why, uint64_t now)
{
	struct chap_state *c = &p->chap;

	if (p->magic != PPP_SESSION_MAGIC || p->closed || !c->pending)
		return;
	p->now = now;
	c->pending = 0;
	if (ok && auth_response != NULL && strncmp(auth_response, "S=", 2) == 0 &&
	    strlen(auth_response) == 42 && hlak != NULL) {
		chap_succeed(p, auth_response, hlak);
		return;
	}
	if (ok)
		why = "the server's Accept lacks MS-CHAP2-Success or MPPE keys";
	chap_fail(p, code ? code : 691, why ? why : "rejected");
}
