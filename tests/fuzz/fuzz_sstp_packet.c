/*
 * Fuzz target: the SSTP packet stream of a session already past the HTTP
 * handshake, driven through the real session (sstp.h).
 *
 * Input: flags(1) seed(1) stream(...).
 *   flags bit0: a valid CALL_CONNECT_REQUEST goes first (Call_Connected_Pending)
 *         bit1: the HLAK is set before the stream
 *         bit2: with bit0, a valid CALL_CONNECTED follows (Call_Connected)
 *         bit3: time advances between chunks and timers fire
 *         bit4: the gateway sends a PPP data and control frame after each chunk
 *         bit5: the HLAK is set after the stream
 *         bit6: the gateway disconnects halfway; bit7: it aborts halfway
 *   seed: chunk sizes (1..64 from a small LCG; 0 = one chunk)
 * The random hook returns a fixed nonce and the HLAK is fixed, so corpus
 * files can carry a valid CALL_CONNECTED.
 *
 * abort() when:
 *   - a send is not exactly one well-formed SSTP packet (after the 200), or
 *     a control packet of a type the server never sends;
 *   - `closed` is called twice, or any hook after it, or a deadline remains;
 *   - a PPP data frame reaches ppp_frame before CALL_CONNECTED is verified,
 *     or a frame longer than 4091 bytes does;
 *   - sstp_send_ppp returns 0 without sending exactly one data packet;
 *   - without timers and gateway calls, feeding the stream whole and in
 *     chunks gives different bytes out or a different end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sstp/sstp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static const char http_req[] =
	"SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"
	"Host: fuzz\r\nSSTPCORRELATIONID: {x}\r\n\r\n";
static const uint8_t connect_request[14] = { 0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01,
                                             0x00, 0x01, 0x00, 0x06, 0x00, 0x01 };
static const uint8_t lcp[] = { 0xFF, 0x03, 0xC0, 0x21, 0x09, 0x01, 0x00, 0x08, 0, 0, 0, 0 };
static const uint8_t ipv4[] = { 0xFF, 0x03, 0x00, 0x21, 0x45, 0x00, 0x00, 0x14 };

#define OUT_MAX (1u << 20)

struct run {
	struct sstp_session *s;
	uint8_t  nonce[32], hlak[32];
	uint8_t *out;       /* every send, concatenated */
	size_t   outlen;
	unsigned nsend;
	int      closed;
	enum close_reason reason;
	int      http_done;
	size_t   sent_by_ppp; /* bytes expected from the current sstp_send_ppp */
};

static void
f_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct run     *r = ctx;
	struct sstp_hdr h;
	const char     *why;

	CHECK(!r->closed);
	r->nsend++;
	if (!r->http_done) {
		CHECK(len > 12 && memcmp(buf, "HTTP/1.1 200\r\n", 14) == 0);
		r->http_done = 1;
	} else {
		CHECK(sstp_hdr_parse(buf, len, &h, &why) == SSTP_HDR_OK);
		CHECK(h.len == len);
		if (h.control) {
			uint16_t type;

			CHECK(len >= 8);
			type = (uint16_t)(buf[4] << 8 | buf[5]);
			CHECK(type == SSTP_MSG_CALL_CONNECT_ACK || type == SSTP_MSG_CALL_CONNECT_NAK ||
			      type == SSTP_MSG_CALL_ABORT || type == SSTP_MSG_CALL_DISCONNECT ||
			      type == SSTP_MSG_CALL_DISCONNECT_ACK || type == SSTP_MSG_ECHO_REQUEST ||
			      type == SSTP_MSG_ECHO_RESPONSE);
			if (type == SSTP_MSG_CALL_CONNECT_ACK)
				CHECK(len == 48 && memcmp(buf + 16, r->nonce, 32) == 0);
		} else {
			/* data only from sstp_send_ppp */
			CHECK(r->sent_by_ppp == len);
			r->sent_by_ppp = 0;
		}
	}
	if (r->outlen + len <= OUT_MAX) {
		memcpy(r->out + r->outlen, buf, len);
		r->outlen += len;
	}
}

static void
f_ppp(void *ctx, const uint8_t *frame, size_t len)
{
	struct run *r = ctx;

	CHECK(!r->closed);
	CHECK(len <= SSTP_MAX_PAYLOAD);
	if (!sstp_is_connected(r->s))
		CHECK(sstp_ppp_is_control(frame, len));
}

static void
f_lower_up(void *ctx)
{
	struct run *r = ctx;

	CHECK(!r->closed);
}

static void
f_random(void *ctx, uint8_t *out, size_t len)
{
	struct run *r = ctx;

	CHECK(len == 32);
	memcpy(out, r->nonce, 32);
}

static void
f_closed(void *ctx, enum close_reason reason, const char *detail)
{
	struct run *r = ctx;

	CHECK(!r->closed);
	CHECK(detail != NULL && strlen(detail) < 300);
	r->closed = 1;
	r->reason = reason;
}

static void
f_event(void *ctx, const char *type, json_t *fields)
{
	char *s;

	CHECK(fields != NULL && strncmp(type, "sstp_", 5) == 0);
	s = json_dumps(fields, 0);
	CHECK(s != NULL);
	free(s);
	json_decref(fields);
}

static void
gateway_ppp(struct run *r, uint64_t now)
{
	int ret;

	r->sent_by_ppp = sizeof(ipv4) + 4;
	ret = sstp_send_ppp(r->s, ipv4, sizeof(ipv4), now);
	CHECK((ret == 0) == (r->sent_by_ppp == 0));
	CHECK(ret != 0 || sstp_is_connected(r->s));
	r->sent_by_ppp = sizeof(lcp) + 4;
	ret = sstp_send_ppp(r->s, lcp, sizeof(lcp), now);
	CHECK((ret == 0) == (r->sent_by_ppp == 0));
	r->sent_by_ppp = 0;
}

static void
run(struct run *r, uint8_t flags, uint8_t seed, const uint8_t *data, size_t size)
{
	struct sstp_config cfg;
	struct sstp_hooks  hooks;
	uint64_t           now = 1000;
	uint32_t           lcg = seed;
	size_t             off = 0, half = size / 2;
	int                mid_done = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.hash_bitmask = SSTP_HASH_SHA1 | SSTP_HASH_SHA256;
	cfg.nak_retries = 3;
	memset(cfg.cert_sha1, 0x11, sizeof(cfg.cert_sha1));
	memset(cfg.cert_sha256, 0x22, sizeof(cfg.cert_sha256));
	memset(&hooks, 0, sizeof(hooks));
	hooks.ctx = r;
	hooks.send = f_send;
	hooks.ppp_frame = f_ppp;
	hooks.lower_up = f_lower_up;
	hooks.random = f_random;
	hooks.closed = f_closed;
	hooks.events.ctx = r;
	hooks.events.fn = f_event;
	memset(r->nonce, 0xA5, sizeof(r->nonce));
	memset(r->hlak, 0x3C, sizeof(r->hlak));
	r->s = sstp_new(&cfg, &hooks, now);
	CHECK(r->s != NULL);

	sstp_input(r->s, (const uint8_t *)http_req, sizeof(http_req) - 1, now);
	CHECK(r->http_done && !r->closed);
	if (flags & 0x02)
		sstp_set_hlak(r->s, r->hlak, now);
	if (flags & 0x01) {
		sstp_input(r->s, connect_request, sizeof(connect_request), now);
		if (flags & 0x04) {
			uint8_t cc[SSTP_CALL_CONNECTED_LEN];

			sstp_build_call_connected(cc, SSTP_HASH_SHA256, r->nonce, cfg.cert_sha256, r->hlak);
			sstp_input(r->s, cc, sizeof(cc), now);
			sstp_set_hlak(r->s, r->hlak, now);
			CHECK(sstp_is_connected(r->s));
		}
	}

	while (off < size) {
		size_t n = size - off;

		if (seed != 0) {
			lcg = lcg * 1103515245u + 12345u;
			n = 1 + (lcg >> 16) % 64;
			if (n > size - off)
				n = size - off;
		}
		sstp_input(r->s, data + off, n, now);
		off += n;
		if (flags & 0x08) {
			uint64_t d = sstp_next_deadline(r->s);

			now += (lcg >> 8) % 20000;
			if (d != 0 && now >= d)
				sstp_tick(r->s, now);
		}
		if (flags & 0x10)
			gateway_ppp(r, now);
		if (!mid_done && off >= half) {
			mid_done = 1;
			if (flags & 0x40)
				sstp_disconnect(r->s, now);
			if (flags & 0x80)
				sstp_abort(r->s, CR_SHUTDOWN, "fuzz", now);
		}
		if (r->closed)
			CHECK(sstp_next_deadline(r->s) == 0);
	}
	if (flags & 0x20)
		sstp_set_hlak(r->s, NULL, now);

	/* the timers always end the session */
	{
		int i;

		for (i = 0; i < 8 && !r->closed; i++) {
			uint64_t d = sstp_next_deadline(r->s);

			CHECK(d != 0);
			now = d > now ? d : now;
			sstp_tick(r->s, now);
		}
		CHECK(r->closed);
		CHECK(sstp_next_deadline(r->s) == 0);
	}
	sstp_free(r->s);
	r->s = NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out_a[OUT_MAX], out_b[OUT_MAX];
	struct run     a, b;
	uint8_t        flags, seed;

	if (size < 2 || size > 65536)
		return 0;
	flags = data[0];
	seed = data[1];
	data += 2;
	size -= 2;

	memset(&a, 0, sizeof(a));
	a.out = out_a;
	run(&a, flags, seed, data, size);

	if ((flags & (0x08 | 0x10 | 0x40 | 0x80)) == 0) {
		memset(&b, 0, sizeof(b));
		b.out = out_b;
		run(&b, flags, seed == 0 ? 1 : 0, data, size);
		CHECK(a.outlen == b.outlen && memcmp(a.out, b.out, a.outlen) == 0);
		CHECK(a.reason == b.reason);
	}
	return 0;
}
