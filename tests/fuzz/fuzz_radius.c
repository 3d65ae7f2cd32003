/*
 * Fuzz target: a RADIUS reply to a fixed Access-Request (radius.h).
 *
 * Input: flags(1) reply(...).
 *   flags bit0: the harness signs the reply first (radius_reply_sign over
 *               the whole input, when its first attribute is an 18-byte
 *               Message-Authenticator), so mutations get past the MD5 and
 *               HMAC checks into the attribute parsing
 *         bit1: the reply also goes through a client with that request
 *               outstanding (id 0, the same authenticator and secret), then
 *               the timers run out
 * Request: id 0, authenticator 00 01 .. 0f, secret "fuzz-secret".
 * A reply that passes the checks is read all the way: every attribute,
 * State, Reply-Message, MS-CHAP2-Success, MS-CHAP-Error, the joined
 * EAP-Message and every MS-MPPE key decrypted.
 *
 * abort() when:
 *   - a checked reply's length or an attribute lies outside the input;
 *   - the joined EAP packet's header length differs from its size;
 *   - an MPPE key decrypts to a length other than 16 or 32;
 *   - the client calls done other than exactly once, or delivers a reply
 *     that radius_reply_check refused, or keeps a deadline after done.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "radius/radius.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static const uint8_t secret[] = "fuzz-secret";
#define SECRET_LEN (sizeof(secret) - 1)

static const uint8_t req_auth[RADIUS_AUTH_LEN] = { 0, 1, 2, 3, 4, 5, 6, 7,
                                                   8, 9, 10, 11, 12, 13, 14, 15 };

struct run {
	const uint8_t *buf;
	size_t         len;
	unsigned       ndone;
	int            replied;
};

static void
inside(const struct run *r, const uint8_t *p, size_t n)
{
	CHECK(p >= r->buf && n <= r->len && (size_t)(p - r->buf) <= r->len - n);
}

static void
read_reply(const struct run *r, const struct radius_reply *rep)
{
	static uint8_t     eap[RADIUS_MAX_PACKET];
	struct radius_iter it;
	struct radius_attr a;
	const uint8_t     *v;
	const char        *why;
	size_t             n;
	uint8_t            key[32];
	int                k;

	CHECK(rep->len >= RADIUS_HDR_LEN && rep->len <= r->len && rep->pkt == r->buf);
	radius_iter_init(&it, rep);
	while (radius_iter_next(&it, &a)) {
		inside(r, a.val, a.len);
		CHECK(a.len <= RADIUS_ATTR_MAX);
		if (a.vendor == RADIUS_VENDOR_MICROSOFT &&
		    (a.vtype == RADIUS_MS_MPPE_SEND_KEY || a.vtype == RADIUS_MS_MPPE_RECV_KEY)) {
			k = radius_mppe_decrypt(a.val, a.len, rep->req_auth, rep->secret,
			                        rep->secret_len, key, &why);
			CHECK(k == 16 || k == 32 || (k == -1 && why != NULL));
		}
	}
	if ((v = radius_find(rep, RADIUS_STATE, &n)) != NULL)
		inside(r, v, n);
	if ((v = radius_find(rep, RADIUS_REPLY_MESSAGE, &n)) != NULL)
		inside(r, v, n);
	if ((v = radius_find_vsa(rep, RADIUS_VENDOR_MICROSOFT, RADIUS_MS_CHAP2_SUCCESS, &n)) != NULL)
		inside(r, v, n);
	if ((v = radius_find_vsa(rep, RADIUS_VENDOR_MICROSOFT, RADIUS_MS_CHAP_ERROR, &n)) != NULL)
		inside(r, v, n);
	if ((v = radius_find_vsa(rep, 9, 1, &n)) != NULL) /* a Cisco AV-pair, if any */
		inside(r, v, n);
	switch (radius_reply_eap(rep, eap, sizeof(eap), &n, &why)) {
	case 1:
		CHECK(n >= 4 && n <= rep->len && (size_t)(eap[2] << 8 | eap[3]) == n);
		break;
	case 0:
		CHECK(n == 0);
		break;
	default:
		CHECK(why != NULL);
	}
}

static void
c_send(void *ctx, unsigned server, const uint8_t *buf, size_t len)
{
	CHECK(server == 0 && len >= 38 && len <= RADIUS_MAX_PACKET);
}

static void
c_done(void *ctx, void *user, enum radius_outcome outcome, const struct radius_reply *reply)
{
	struct run *r = ctx;

	CHECK(user == r);
	r->ndone++;
	if (outcome == RADIUS_REPLY) {
		CHECK(reply != NULL && r->replied);
		read_reply(r, reply);
	} else {
		CHECK(reply == NULL);
	}
}

static void
c_random(void *ctx, uint8_t *out, size_t len)
{
	CHECK(len == RADIUS_AUTH_LEN);
	memcpy(out, req_auth, len);
}

static void
through_client(struct run *r)
{
	struct radius_client_config cfg;
	struct radius_client_hooks  hooks;
	struct radius_client       *cl;
	static struct radius_pkt    pkt;
	uint64_t                    now = 1000, d;
	int                         i;

	radius_client_config_default(&cfg);
	cfg.no_jitter = 1;
	cfg.nservers = 1;
	cfg.servers[0].secret = secret;
	cfg.servers[0].secret_len = SECRET_LEN;
	memset(&hooks, 0, sizeof(hooks));
	hooks.ctx = r;
	hooks.send = c_send;
	hooks.done = c_done;
	hooks.random = c_random;
	CHECK((cl = radius_client_new(&cfg, &hooks)) != NULL);
	radius_pkt_init(&pkt, RADIUS_ACCESS_REQUEST, 0, req_auth);
	CHECK(radius_pkt_add(&pkt, RADIUS_USER_NAME, "fuzz", 4) == 0);
	CHECK(radius_client_send(cl, r, &pkt, now) == 0);
	radius_client_input(cl, 0, r->buf, r->len, now + 1);
	CHECK(r->ndone == (unsigned)r->replied);
	for (i = 0; i < 64 && r->ndone == 0; i++) {
		d = radius_client_next_deadline(cl);
		CHECK(d > now);
		now = d;
		radius_client_tick(cl, now);
	}
	CHECK(r->ndone == 1 && radius_client_next_deadline(cl) == 0);
	CHECK(radius_client_pending(cl) == 0 && !radius_client_id_busy(cl, 0, 0));
	radius_client_free(cl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct radius_pkt p;
	struct radius_reply      rep;
	struct run               r;
	const char              *why;
	uint8_t                  flags;

	if (size < 1 || size > RADIUS_MAX_PACKET + 64)
		return 0;
	flags = data[0];
	data++;
	size--;

	memset(&r, 0, sizeof(r));
	r.buf = data;
	r.len = size;
	if ((flags & 0x01) && size >= RADIUS_HDR_LEN + 18 && size <= RADIUS_MAX_PACKET &&
	    data[RADIUS_HDR_LEN] == RADIUS_MESSAGE_AUTH && data[RADIUS_HDR_LEN + 1] == 18) {
		memcpy(p.buf, data, size);
		p.len = size;
		p.err = 0;
		CHECK(radius_reply_sign(&p, req_auth, secret, SECRET_LEN) == 0);
		r.buf = p.buf;
	}
	if (radius_reply_check(&rep, r.buf, r.len, 0, req_auth, secret, SECRET_LEN, &why) == 0) {
		CHECK(why == NULL);
		r.replied = 1;
		read_reply(&r, &rep);
	} else {
		CHECK(why != NULL);
	}
	if (flags & 0x02)
		through_client(&r);
	return 0;
}
