/*
 * Fuzz target: the first bytes a client sends after TLS, i.e. the HTTP
 * request head (and whatever SSTP bytes follow it), driven through the
 * real session (sstp.h).
 *
 * Input: seed(1) stream(...). seed 0 feeds the stream whole, otherwise in
 * chunks of 1..64 bytes from a small LCG; every input is also run once
 * whole and once byte by byte.
 *
 * abort() when:
 *   - the first send is not one complete HTTP reply ("HTTP/1.1 NNN",
 *     a blank line, and for errors Connection: close and a Content-Length
 *     that matches the body);
 *   - an error reply is not followed at once by `closed` with
 *     CR_HTTP_BAD_REQUEST / CR_HTTP_NOT_SSTP, or anything is sent after it;
 *   - a send after the 200 is not exactly one well-formed SSTP packet;
 *   - `closed` is called twice or a hook runs after it, or a deadline
 *     remains after it; an event does not serialize (bad UTF-8);
 *   - the whole, chunked and byte-by-byte runs disagree.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sstp/sstp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

#define OUT_MAX (1u << 18)

struct run {
	struct sstp_session *s;
	uint8_t *out;
	size_t   outlen;
	unsigned nsend;
	int      status;  /* of the HTTP reply, 0 before */
	int      closed;
	enum close_reason reason;
};

static void
check_reply(struct run *r, const uint8_t *buf, size_t len)
{
	const uint8_t *end;
	char           line[16];
	int            status = 0;

	CHECK(len >= 16 && len < 2048 && memcmp(buf, "HTTP/1.1 ", 9) == 0);
	memcpy(line, buf + 9, 3);
	line[3] = '\0';
	status = (int)strtol(line, NULL, 10);
	CHECK(status == 200 || status == 400 || status == 404 || status == 405 || status == 414 ||
	      status == 431 || status == 503 || status == 505);
	end = memmem(buf, len, "\r\n\r\n", 4);
	CHECK(end != NULL);
	if (status == 200) {
		CHECK((size_t)(end + 4 - buf) == len);
		CHECK(memmem(buf, len, "Content-Length: 18446744073709551615\r\n", 38) != NULL);
	} else {
		const uint8_t *cl = memmem(buf, len, "Content-Length: ", 16);
		unsigned       n = 0;
		char           num[8] = "";

		CHECK(memmem(buf, len, "Connection: close\r\n", 19) != NULL);
		CHECK(cl != NULL && cl < end);
		memcpy(num, cl + 16, 5);
		num[5] = '\0';
		n = (unsigned)strtoul(num, NULL, 10);
		CHECK((size_t)(end + 4 - buf) + n == len || (size_t)(end + 4 - buf) == len /* HEAD */);
	}
	r->status = status;
}

static void
f_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct run *r = ctx;

	CHECK(!r->closed);
	r->nsend++;
	if (r->status == 0) {
		check_reply(r, buf, len);
	} else {
		struct sstp_hdr h;
		const char     *why;

		CHECK(r->status == 200);
		CHECK(sstp_hdr_parse(buf, len, &h, &why) == SSTP_HDR_OK && h.len == len);
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

	CHECK(!r->closed && r->status == 200);
	CHECK(sstp_ppp_is_control(frame, len) || sstp_is_connected(r->s));
}

static void
f_lower_up(void *ctx)
{
	struct run *r = ctx;

	CHECK(!r->closed && r->status == 200);
}

static void
f_random(void *ctx, uint8_t *out, size_t len)
{
	memset(out, 0x5A, len);
}

static void
f_closed(void *ctx, enum close_reason reason, const char *detail)
{
	struct run *r = ctx;

	CHECK(!r->closed);
	CHECK(detail != NULL);
	r->closed = 1;
	r->reason = reason;
	if (r->status != 0 && r->status != 200)
		CHECK(reason == CR_HTTP_BAD_REQUEST || reason == CR_HTTP_NOT_SSTP);
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
run(struct run *r, int mode, uint8_t seed, const uint8_t *data, size_t size)
{
	struct sstp_config cfg;
	struct sstp_hooks  hooks;
	uint32_t           lcg = seed;
	size_t             off = 0;
	int                i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_header_bytes = 2048;
	cfg.nak_retries = 3;
	memset(&hooks, 0, sizeof(hooks));
	hooks.ctx = r;
	hooks.send = f_send;
	hooks.ppp_frame = f_ppp;
	hooks.lower_up = f_lower_up;
	hooks.random = f_random;
	hooks.closed = f_closed;
	hooks.events.ctx = r;
	hooks.events.fn = f_event;
	r->s = sstp_new(&cfg, &hooks, 0);
	CHECK(r->s != NULL);
	sstp_set_wall_clock(r->s, 1163033469, 0);

	while (off < size) {
		size_t n = size - off;

		if (mode == 1) {
			n = 1;
		} else if (mode == 2 && seed != 0) {
			lcg = lcg * 1103515245u + 12345u;
			n = 1 + (lcg >> 16) % 64;
			if (n > size - off)
				n = size - off;
		}
		sstp_input(r->s, data + off, n, 5);
		off += n;
		/* an error reply ends the session in the same call */
		if (r->status != 0 && r->status != 200)
			CHECK(r->closed && r->nsend == 1);
	}
	for (i = 0; i < 8 && !r->closed; i++) {
		uint64_t d = sstp_next_deadline(r->s);

		CHECK(d != 0);
		sstp_tick(r->s, d);
	}
	CHECK(r->closed && sstp_next_deadline(r->s) == 0);
	sstp_free(r->s);
	r->s = NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[3][OUT_MAX];
	struct run     r[3];
	int            m;

	if (size < 1 || size > 16384)
		return 0;
	for (m = 0; m < 3; m++) {
		memset(&r[m], 0, sizeof(r[m]));
		r[m].out = out[m];
		run(&r[m], m, data[0], data + 1, size - 1);
	}
	for (m = 1; m < 3; m++) {
		CHECK(r[m].outlen == r[0].outlen && memcmp(r[m].out, r[0].out, r[0].outlen) == 0);
		CHECK(r[m].reason == r[0].reason && r[m].status == r[0].status);
	}
	return 0;
}
