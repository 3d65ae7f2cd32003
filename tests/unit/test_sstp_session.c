/*
 * SSTP server session, driven through sstp.h with fake hooks and a fake
 * clock: the HTTP handshake and its errors, CONNECT_REQUEST with NAKs and
 * the retry limit, crypto binding with the MS-SSTP 4.7 vectors (and each
 * way it fails), PPP gating, timers, echo, aborts and disconnects from
 * either side, packets split byte by byte, malformed packets. Asserts the
 * bytes sent, the statuses and the close reasons.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sstp/sstp_int.h"

#define MAXREC 64

struct rec {
	uint8_t *buf;
	size_t   len;
};

struct h {
	struct sstp_session *s;
	struct rec  sent[MAXREC];
	int         nsent;
	struct rec  ppp[MAXREC];
	int         nppp;
	int         lower_up;
	int         closed;
	enum close_reason reason;
	char        detail[300];
	json_t     *ev[MAXREC];
	char        evtype[MAXREC][48];
	int         nev;
	const uint8_t *nonce;   /* what the random hook returns */
	int         free_in_closed;
	int         reply_in_ppp;   /* ppp_frame answers with an LCP frame */
	const uint8_t *hlak_in_ppp; /* ppp_frame hands over this HLAK */
};

static void
rec_add(struct rec *r, int *n, const uint8_t *buf, size_t len)
{
	assert_true(*n < MAXREC);
	r[*n].buf = malloc(len ? len : 1);
	memcpy(r[*n].buf, buf, len);
	r[*n].len = len;
	(*n)++;
}

static const uint8_t lcp_reply[] = { 0xFF, 0x03, 0xC0, 0x21, 0x02, 0x01, 0x00, 0x04 };

static void
h_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct h *h = ctx;

	rec_add(h->sent, &h->nsent, buf, len);
}

static void
h_ppp(void *ctx, const uint8_t *buf, size_t len)
{
	struct h *h = ctx;

	rec_add(h->ppp, &h->nppp, buf, len);
	if (h->reply_in_ppp)
		assert_int_equal(sstp_send_ppp(h->s, lcp_reply, sizeof(lcp_reply), 0), 0);
	if (h->hlak_in_ppp != NULL)
		sstp_set_hlak(h->s, h->hlak_in_ppp, 0);
}

static void
h_lower_up(void *ctx)
{
	struct h *h = ctx;

	h->lower_up++;
}

static void
h_random(void *ctx, uint8_t *out, size_t len)
{
	struct h *h = ctx;

	assert_int_equal(len, 32);
	memcpy(out, h->nonce, len);
}

static void
h_closed(void *ctx, enum close_reason r, const char *detail)
{
	struct h *h = ctx;

	h->closed++;
	h->reason = r;
	snprintf(h->detail, sizeof(h->detail), "%s", detail);
	if (h->free_in_closed) {
		sstp_free(h->s);
		h->s = NULL;
	}
}

static void
h_event(void *ctx, const char *type, json_t *fields)
{
	struct h *h = ctx;

	assert_non_null(fields);
	assert_true(h->nev < MAXREC);
	snprintf(h->evtype[h->nev], sizeof(h->evtype[0]), "%s", type);
	h->ev[h->nev++] = fields;
}

static json_t *
find_ev(struct h *h, const char *type)
{
	int i;

	for (i = 0; i < h->nev; i++)
		if (strcmp(h->evtype[i], type) == 0)
			return h->ev[i];
	return NULL;
}

static int
count_ev(struct h *h, const char *type)
{
	int i, n = 0;

	for (i = 0; i < h->nev; i++)
		n += strcmp(h->evtype[i], type) == 0;
	return n;
}

static const char *
ev_str(struct h *h, const char *type, const char *key)
{
	json_t *o = find_ev(h, type);

	assert_non_null(o);
	return json_string_value(json_object_get(o, key));
}

static long long
ev_int(struct h *h, const char *type, const char *key)
{
	json_t *o = find_ev(h, type);

	assert_non_null(o);
	assert_non_null(json_object_get(o, key));
	return json_integer_value(json_object_get(o, key));
}

/* ---- vectors (MS-SSTP 4.7) ---- */

static const uint8_t spec_nonce256[32] = {
	0x41, 0x2B, 0x48, 0x9A, 0xEB, 0xD7, 0xEC, 0xC7, 0xD0, 0x89, 0x66, 0xF2, 0x6B, 0xE7, 0xCD, 0x72,
	0xB2, 0x31, 0xA0, 0xE9, 0x21, 0x0D, 0x7C, 0x91, 0xB3, 0x08, 0x86, 0x2B, 0x03, 0x44, 0xC4, 0x35 };
static const uint8_t spec_cert256[32] = {
	0x79, 0x93, 0xEF, 0x31, 0x4C, 0x49, 0x3D, 0xAC, 0xE9, 0xF0, 0x2D, 0x60, 0xE7, 0xE6, 0x1C, 0x84,
	0xB6, 0x69, 0x0A, 0xAF, 0xE9, 0xD7, 0xAE, 0xEA, 0x92, 0xCB, 0xBE, 0x8A, 0xD5, 0x99, 0x42, 0x2D };
static const uint8_t spec_hlak256[32] = {
	0x2A, 0x1B, 0xB4, 0x0D, 0x55, 0xAB, 0x0F, 0x5E, 0xF3, 0x2F, 0x06, 0xF2, 0xB3, 0xCC, 0x73, 0xC4,
	0x8F, 0xD3, 0xFA, 0xC4, 0x1D, 0x7A, 0x13, 0x15, 0xA1, 0x92, 0x28, 0xD9, 0x02, 0x4C, 0xA1, 0x64 };
static const uint8_t spec_ack256[48] = {
	0x10, 0x01, 0x00, 0x30, 0x00, 0x02, 0x00, 0x01, 0x00, 0x04, 0x00, 0x28, 0x00, 0x00, 0x00, 0x02,
	0x41, 0x2B, 0x48, 0x9A, 0xEB, 0xD7, 0xEC, 0xC7, 0xD0, 0x89, 0x66, 0xF2, 0x6B, 0xE7, 0xCD, 0x72,
	0xB2, 0x31, 0xA0, 0xE9, 0x21, 0x0D, 0x7C, 0x91, 0xB3, 0x08, 0x86, 0x2B, 0x03, 0x44, 0xC4, 0x35 };
static const uint8_t spec_mac256[32] = {
	0x52, 0xA6, 0x8E, 0xFD, 0x8C, 0xFF, 0xBF, 0x52, 0x77, 0x0B, 0x8F, 0x0F, 0xE8, 0xEC, 0x73, 0x71,
	0x65, 0x83, 0xAF, 0x6D, 0x61, 0x1E, 0xB6, 0xD1, 0x79, 0xB3, 0xB2, 0x08, 0x40, 0x98, 0x54, 0x49 };

static const uint8_t spec_nonce1[32] = {
	0x0F, 0x1A, 0x2D, 0x58, 0xD4, 0xA3, 0xE3, 0x00, 0x0F, 0xAD, 0x3C, 0xE4, 0x90, 0x6E, 0x07, 0xB7,
	0x07, 0xAA, 0x9E, 0x44, 0x1C, 0xCE, 0xAC, 0x5C, 0xBD, 0x7B, 0x2C, 0xC1, 0xC9, 0xD8, 0x6C, 0xDF };
static const uint8_t spec_cert1[20] = {
	0x58, 0x26, 0xB6, 0x29, 0xBD, 0xA5, 0x9B, 0x8E, 0x6F, 0xD8, 0xDC, 0xD2, 0x62, 0x2F, 0xD3, 0x4C,
	0x53, 0x48, 0x05, 0xA5 };
static const uint8_t spec_hlak1[32] = {
	0x4B, 0x31, 0x28, 0xF4, 0x39, 0x25, 0xD9, 0x00, 0x6E, 0xEF, 0xB1, 0xC4, 0xE8, 0x65, 0x15, 0xA1,
	0xD8, 0x8E, 0x56, 0xBA, 0xB3, 0xCA, 0x2B, 0xDF, 0x03, 0x73, 0xB7, 0xF5, 0xA8, 0xA1, 0x3B, 0x19 };
static const uint8_t spec_mac1[20] = {
	0x69, 0x91, 0x5D, 0xD5, 0x83, 0xD8, 0x06, 0x2F, 0xEF, 0x16, 0xF6, 0x1D, 0xB2, 0xF0, 0x32, 0x90,
	0xEC, 0x27, 0xCB, 0x6C };

static const uint8_t connect_request[14] = { 0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01,
                                             0x00, 0x01, 0x00, 0x06, 0x00, 0x01 };

static const char http_req[] =
	"SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"
	"Host: 127.0.0.1\r\n"
	"Content-Length: 18446744073709551615\r\n"
	"SSTPCORRELATIONID: {7226D2D9-85B2-5206-728982CD}\r\n"
	"\r\n";

static const char http_200[] =
	"HTTP/1.1 200\r\nContent-Length: 18446744073709551615\r\n"
	"Server: Microsoft-HTTPAPI/2.0\r\nDate: Thu, 09 Nov 2006 00:51:09 GMT\r\n\r\n";

/* LCP Configure-Request as sstpc sends it inside an SSTP data packet, an
 * IPCP one, and an IPv4 data frame */
static const uint8_t pkt_lcp[] = { 0x10, 0x00, 0x00, 0x0E, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00,
                                   0x06, 0x07, 0x02 };
static const uint8_t pkt_ipcp[] = { 0x10, 0x00, 0x00, 0x12, 0xFF, 0x03, 0x80, 0x21, 0x01, 0x01,
                                    0x00, 0x0A, 0x03, 0x06, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t pkt_ip[] = { 0x10, 0x00, 0x00, 0x0C, 0xFF, 0x03, 0x00, 0x21, 0x45, 0x00, 0x00,
                                  0x00 };
static const uint8_t ip_frame[] = { 0xFF, 0x03, 0x00, 0x21, 0x45, 0x00, 0x00, 0x00 };

static const uint8_t echo_req[8] = { 0x10, 0x01, 0x00, 0x08, 0x00, 0x08, 0x00, 0x00 };
static const uint8_t echo_resp[8] = { 0x10, 0x01, 0x00, 0x08, 0x00, 0x09, 0x00, 0x00 };
static const uint8_t disc_ack[8] = { 0x10, 0x01, 0x00, 0x08, 0x00, 0x07, 0x00, 0x00 };

/* ---- fixture ---- */

#define T0 1000000u

static void
h_init(struct h *h, uint8_t bitmask, const uint8_t *nonce)
{
	struct sstp_config cfg;
	struct sstp_hooks  hooks;

	memset(h, 0, sizeof(*h));
	memset(&cfg, 0, sizeof(cfg));
	cfg.negotiation_timeout_ms = 60000;
	cfg.hello_interval_ms = 60000;
	cfg.abort_t1_ms = 3000;
	cfg.abort_t2_ms = 1000;
	cfg.disconnect_t1_ms = 5000;
	cfg.disconnect_t2_ms = 1000;
	cfg.hash_bitmask = bitmask;
	cfg.nak_retries = 3;
	cfg.max_header_bytes = 8192;
	memcpy(cfg.cert_sha1, spec_cert1, 20);
	memcpy(cfg.cert_sha256, spec_cert256, 32);
	memset(&hooks, 0, sizeof(hooks));
	hooks.ctx = h;
	hooks.send = h_send;
	hooks.ppp_frame = h_ppp;
	hooks.lower_up = h_lower_up;
	hooks.random = h_random;
	hooks.closed = h_closed;
	hooks.events.ctx = h;
	hooks.events.fn = h_event;
	h->nonce = nonce;
	h->s = sstp_new(&cfg, &hooks, T0);
	assert_non_null(h->s);
	sstp_set_wall_clock(h->s, 1163033469, T0);
}

static void
h_done(struct h *h)
{
	int i;

	for (i = 0; i < h->nsent; i++)
		free(h->sent[i].buf);
	for (i = 0; i < h->nppp; i++)
		free(h->ppp[i].buf);
	for (i = 0; i < h->nev; i++)
		json_decref(h->ev[i]);
	/* closed is never called twice */
	assert_true(h->closed <= 1);
	sstp_free(h->s);
}

static void
in(struct h *h, const void *buf, size_t len, uint64_t now)
{
	sstp_input(h->s, buf, len, now);
}

static void
in_str(struct h *h, const char *s, uint64_t now)
{
	in(h, s, strlen(s), now);
}

static const struct rec *
last_sent(struct h *h)
{
	assert_true(h->nsent > 0);
	return &h->sent[h->nsent - 1];
}

static void
assert_sent(struct h *h, int i, const void *want, size_t len)
{
	assert_true(i < h->nsent);
	assert_int_equal(h->sent[i].len, len);
	assert_memory_equal(h->sent[i].buf, want, len);
}

static void
assert_abort(const struct rec *r, uint8_t attrib, uint32_t status)
{
	uint8_t want[20];

	sstp_build_status_msg(want, SSTP_MSG_CALL_ABORT, attrib, status);
	assert_int_equal(r->len, 20);
	assert_memory_equal(r->buf, want, 20);
}

/* HTTP + CONNECT_REQUEST: ACK sent, Call_Connected_Pending */
static void
to_pending(struct h *h, uint8_t bitmask, const uint8_t *nonce)
{
	h_init(h, bitmask, nonce);
	in_str(h, http_req, T0);
	in(h, connect_request, sizeof(connect_request), T0 + 10);
	assert_int_equal(h->nsent, 2);
	assert_int_equal(h->lower_up, 1);
	assert_string_equal(sstp_state_name(h->s), "call_connected_pending");
}

static void
to_connected(struct h *h)
{
	uint8_t cc[112];

	to_pending(h, SSTP_HASH_SHA256, spec_nonce256);
	sstp_set_hlak(h->s, spec_hlak256, T0 + 20);
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, spec_hlak256);
	in(h, cc, sizeof(cc), T0 + 30);
	assert_true(sstp_is_connected(h->s));
}

/* ---- tests ---- */

static void
test_happy_path_sha256(void **state)
{
	struct h h;
	uint8_t  cc[112], buf[sizeof(http_req) - 1 + sizeof(connect_request)];
	json_t  *o;

	h_init(&h, SSTP_HASH_SHA256, spec_nonce256);
	/* the request head and the CONNECT_REQUEST in one read */
	memcpy(buf, http_req, sizeof(http_req) - 1);
	memcpy(buf + sizeof(http_req) - 1, connect_request, sizeof(connect_request));
	in(&h, buf, sizeof(buf), T0 + 5);
	assert_int_equal(h.nsent, 2);
	assert_sent(&h, 0, http_200, strlen(http_200)); /* one send = one TLS record */
	assert_sent(&h, 1, spec_ack256, 48);             /* MS-SSTP 4.7 ACK, byte for byte */
	assert_int_equal(h.lower_up, 1);
	assert_string_equal(ev_str(&h, "sstp_http_request", "correlation_id"),
	                    "{7226D2D9-85B2-5206-728982CD}");
	assert_string_equal(ev_str(&h, "sstp_http_request", "host"), "127.0.0.1");
	assert_string_equal(ev_str(&h, "sstp_http_request", "method"), "SSTP_DUPLEX_POST");
	assert_int_equal(ev_int(&h, "sstp_http_reply", "status"), 200);
	assert_string_equal(ev_str(&h, "sstp_connect_request", "result"), "accepted");
	assert_int_equal(ev_int(&h, "sstp_connect_ack", "bitmask"), 2);
	assert_int_equal(sstp_next_deadline(h.s), T0 + 5 + 60000);

	/* PPP control frames pass before CALL_CONNECTED, data frames do not */
	in(&h, pkt_lcp, sizeof(pkt_lcp), T0 + 6);
	in(&h, pkt_ip, sizeof(pkt_ip), T0 + 6);
	in(&h, pkt_ipcp, sizeof(pkt_ipcp), T0 + 6);
	assert_int_equal(h.nppp, 2);
	assert_memory_equal(h.ppp[0].buf, pkt_lcp + 4, sizeof(pkt_lcp) - 4);
	assert_memory_equal(h.ppp[1].buf, pkt_ipcp + 4, sizeof(pkt_ipcp) - 4);
	assert_int_equal(sstp_send_ppp(h.s, ip_frame, sizeof(ip_frame), T0 + 7), -1);
	assert_int_equal(sstp_send_ppp(h.s, lcp_reply, sizeof(lcp_reply), T0 + 7), 0);
	assert_int_equal(last_sent(&h)->len, 4 + sizeof(lcp_reply));
	assert_memory_equal(last_sent(&h)->buf, "\x10\x00\x00\x0C", 4);
	assert_memory_equal(last_sent(&h)->buf + 4, lcp_reply, sizeof(lcp_reply));

	/* MS-SSTP 4.7 CALL_CONNECTED, HLAK from PPP first */
	sstp_set_hlak(h.s, spec_hlak256, T0 + 8);
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, spec_hlak256);
	assert_memory_equal(cc + 80, spec_mac256, 32);
	in(&h, cc, sizeof(cc), T0 + 9);
	assert_true(sstp_is_connected(h.s));
	o = find_ev(&h, "sstp_call_connected");
	assert_true(json_is_true(json_object_get(o, "ok")));
	assert_string_equal(ev_str(&h, "sstp_call_connected", "hash_protocol"), "sha256");
	/* the drops are logged once, with their count */
	assert_int_equal(count_ev(&h, "sstp_data_dropped_before_connected"), 1);
	assert_int_equal(ev_int(&h, "sstp_data_dropped_before_connected", "count"), 2);
	assert_int_equal(ev_int(&h, "sstp_data_dropped_before_connected", "from_client"), 1);
	assert_int_equal(sstp_next_deadline(h.s), T0 + 9 + 60000); /* Hello */

	/* data frames now flow both ways */
	in(&h, pkt_ip, sizeof(pkt_ip), T0 + 10);
	assert_int_equal(h.nppp, 3);
	assert_memory_equal(h.ppp[2].buf, ip_frame, sizeof(ip_frame));
	assert_int_equal(sstp_send_ppp(h.s, ip_frame, sizeof(ip_frame), T0 + 10), 0);
	assert_memory_equal(last_sent(&h)->buf, pkt_ip, sizeof(pkt_ip));
	assert_int_equal(h.closed, 0);
	h_done(&h);
}

static void
test_happy_path_sha1(void **state)
{
	struct h h;
	uint8_t  cc[112];

	to_pending(&h, SSTP_HASH_SHA1, spec_nonce1);
	assert_memory_equal(h.sent[1].buf + 15, "\x01", 1);
	sstp_build_call_connected(cc, SSTP_HASH_SHA1, spec_nonce1, spec_cert1, spec_hlak1);
	assert_memory_equal(cc + 80, spec_mac1, 20); /* MS-SSTP 4.7 SHA1 MAC */
	sstp_set_hlak(h.s, spec_hlak1, T0 + 20);
	in(&h, cc, sizeof(cc), T0 + 30);
	assert_true(sstp_is_connected(h.s));
	assert_string_equal(ev_str(&h, "sstp_call_connected", "hash_protocol"), "sha1");
	h_done(&h);
}

static void
test_both_hashes_zero_hlak(void **state)
{
	struct h h;
	uint8_t  cc[112];

	/* bitmask 3: the client picks SHA256 (as sstpc does); PAP: HLAK NULL */
	to_pending(&h, SSTP_HASH_SHA1 | SSTP_HASH_SHA256, spec_nonce256);
	assert_int_equal(h.sent[1].buf[15], 3);
	sstp_set_hlak(h.s, NULL, T0 + 20);
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, NULL);
	in(&h, cc, sizeof(cc), T0 + 30);
	assert_true(sstp_is_connected(h.s));
	h_done(&h);
}

static void
test_held_call_connected(void **state)
{
	struct h h;
	uint8_t  cc[112];

	to_pending(&h, SSTP_HASH_SHA256, spec_nonce256);
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, spec_hlak256);
	in(&h, cc, sizeof(cc), T0 + 30);
	assert_false(sstp_is_connected(h.s));
	assert_int_equal(count_ev(&h, "sstp_held_call_connected"), 1);
	assert_non_null(strstr(ev_str(&h, "sstp_held_call_connected", "why"), "before"));
	/* still gated */
	in(&h, pkt_ip, sizeof(pkt_ip), T0 + 31);
	assert_int_equal(h.nppp, 0);
	sstp_set_hlak(h.s, spec_hlak256, T0 + 40);
	assert_true(sstp_is_connected(h.s));
	assert_int_equal(count_ev(&h, "sstp_held_call_connected"), 2);
	assert_int_equal(h.nsent, 2); /* nothing more on the wire */
	assert_int_equal(sstp_next_deadline(h.s), T0 + 40 + 60000);
	h_done(&h);
}

static void
test_held_set_inside_ppp_hook(void **state)
{
	struct h h;
	uint8_t  cc[112];

	/* PPP finishes authentication synchronously on a frame and hands the
	 * HLAK over from inside ppp_frame, after CALL_CONNECTED was held */
	to_pending(&h, SSTP_HASH_SHA256, spec_nonce256);
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, spec_hlak256);
	in(&h, cc, sizeof(cc), T0 + 30);
	h.hlak_in_ppp = spec_hlak256;
	h.reply_in_ppp = 1;
	in(&h, pkt_lcp, sizeof(pkt_lcp), T0 + 31);
	assert_true(sstp_is_connected(h.s));
	assert_memory_equal(last_sent(&h)->buf + 4, lcp_reply, sizeof(lcp_reply));
	h_done(&h);
}

/* a failure: CALL_ABORT with attrib/status now, closed after Abort-T1 */
static void
binding_fails(const uint8_t *cc, const uint8_t *hlak, uint8_t bitmask, uint8_t attrib,
              uint32_t status, const char *detail_has)
{
	struct h h;

	to_pending(&h, bitmask, spec_nonce256);
	sstp_set_hlak(h.s, hlak, T0 + 20);
	in(&h, cc, 112, T0 + 100);
	assert_false(sstp_is_connected(h.s));
	assert_int_equal(h.nsent, 3);
	assert_abort(last_sent(&h), attrib, status);
	assert_int_equal(h.closed, 0);
	assert_int_equal(sstp_next_deadline(h.s), T0 + 100 + 3000);
	assert_true(json_is_false(json_object_get(find_ev(&h, "sstp_call_connected"), "ok")));
	assert_non_null(strstr(ev_str(&h, "sstp_call_connected", "detail"), detail_has));
	assert_int_equal(ev_int(&h, "sstp_abort_sent", "status"), status);
	/* in Abort_Pending, everything but CALL_ABORT is ignored */
	in(&h, pkt_lcp, sizeof(pkt_lcp), T0 + 200);
	in(&h, echo_req, sizeof(echo_req), T0 + 200);
	assert_int_equal(h.nsent, 3);
	assert_int_equal(h.nppp, 0);
	sstp_tick(h.s, T0 + 100 + 2999);
	assert_int_equal(h.closed, 0);
	sstp_tick(h.s, T0 + 100 + 3000);
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_SSTP_CRYPTO_BINDING);
	assert_non_null(strstr(h.detail, detail_has));
	assert_int_equal(sstp_next_deadline(h.s), 0);
	/* after closed: input and timers are ignored */
	in(&h, echo_req, sizeof(echo_req), T0 + 5000);
	sstp_tick(h.s, T0 + 999999);
	assert_int_equal(h.nsent, 3);
	assert_int_equal(h.closed, 1);
	h_done(&h);
}

static void
test_binding_failures(void **state)
{
	uint8_t cc[112], other[32];

	memset(other, 0x5A, sizeof(other));

	sstp_build_call_connected(cc, SSTP_HASH_SHA256, other, spec_cert256, spec_hlak256);
	binding_fails(cc, spec_hlak256, 2, SSTP_ATTRIB_CRYPTO_BINDING, SSTP_ST_VALUE_NOT_SUPPORTED,
	              "nonce mismatch");

	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, other, spec_hlak256);
	binding_fails(cc, spec_hlak256, 2, SSTP_ATTRIB_CRYPTO_BINDING, SSTP_ST_VALUE_NOT_SUPPORTED,
	              "certificate hash mismatch: the client saw another certificate (TLS interception?)");

	/* SHA1 when only SHA256 was advertised */
	sstp_build_call_connected(cc, SSTP_HASH_SHA1, spec_nonce256, spec_cert1, spec_hlak256);
	binding_fails(cc, spec_hlak256, 2, SSTP_ATTRIB_CRYPTO_BINDING, SSTP_ST_VALUE_NOT_SUPPORTED,
	              "hash protocol mismatch");
	/* an unknown hash protocol */
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, spec_hlak256);
	cc[15] = 0x04;
	binding_fails(cc, spec_hlak256, 3, SSTP_ATTRIB_CRYPTO_BINDING, SSTP_ST_VALUE_NOT_SUPPORTED,
	              "hash protocol mismatch");

	/* other HLAK on the client (16-byte EAP-TLS keys) */
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, other);
	binding_fails(cc, spec_hlak256, 2, SSTP_ATTRIB_CRYPTO_BINDING, SSTP_ST_VALUE_NOT_SUPPORTED,
	              "compound MAC mismatch: the client's HLAK differs");
	/* the client had no keys: zero HLAK, the gateway has MS-CHAPv2 keys */
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, NULL);
	binding_fails(cc, spec_hlak256, 2, SSTP_ATTRIB_CRYPTO_BINDING, SSTP_ST_VALUE_NOT_SUPPORTED,
	              "all-zero HLAK");

	/* structure: wrong attribute length, extra Status Info, no attribute */
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, spec_hlak256);
	cc[11] = 0x64;
	binding_fails(cc, spec_hlak256, 2, SSTP_ATTRIB_STATUS_INFO, SSTP_ST_ATTRIB_NOT_SUPPORTED_IN_MSG,
	              "wrong length");
	memset(cc, 0, sizeof(cc));
	memcpy(cc, "\x10\x01\x00\x70\x00\x04\x00\x01\x00\x02\x00\x0C\x00\x00\x00\x03\x00\x00\x00\x04"
	           "\x00\x00\x00\x5C", 24);
	binding_fails(cc, spec_hlak256, 2, SSTP_ATTRIB_STATUS_INFO, SSTP_ST_ATTRIB_NOT_SUPPORTED_IN_MSG,
	              "Status Info");
	memset(cc, 0, sizeof(cc));
	memcpy(cc, "\x10\x01\x00\x70\x00\x04\x00\x00", 8);
	binding_fails(cc, spec_hlak256, 2, SSTP_ATTRIB_STATUS_INFO, SSTP_ST_ATTRIB_NOT_SUPPORTED_IN_MSG,
	              "without a crypto-binding attribute");
}

static void
test_binding_failure_abort_answered(void **state)
{
	struct h h;
	uint8_t  cc[112], client_abort[20];

	to_pending(&h, SSTP_HASH_SHA256, spec_nonce256);
	sstp_set_hlak(h.s, spec_hlak256, T0);
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, NULL);
	in(&h, cc, sizeof(cc), T0 + 100);
	/* the client answers our CALL_ABORT: T1 stops, T2 runs, our reason stays */
	sstp_build_status_msg(client_abort, SSTP_MSG_CALL_ABORT, SSTP_ATTRIB_CRYPTO_BINDING,
	                      SSTP_ST_VALUE_NOT_SUPPORTED);
	in(&h, client_abort, sizeof(client_abort), T0 + 150);
	assert_int_equal(h.nsent, 3);
	assert_int_equal(sstp_next_deadline(h.s), T0 + 150 + 1000);
	sstp_tick(h.s, T0 + 1150);
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_SSTP_CRYPTO_BINDING);
	h_done(&h);
}

static void
test_call_connected_wrong_state(void **state)
{
	struct h h;
	uint8_t  cc[112];

	/* CALL_CONNECTED before any CONNECT_REQUEST: abort, status 5 */
	h_init(&h, 2, spec_nonce256);
	in_str(&h, http_req, T0);
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, NULL);
	in(&h, cc, sizeof(cc), T0 + 1);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_UNACCEPTED_FRAME_RECEIVED);
	sstp_tick(h.s, T0 + 1 + 3000);
	assert_int_equal(h.reason, CR_SSTP_PROTOCOL);
	assert_non_null(strstr(h.detail, "CALL_CONNECTED"));
	h_done(&h);
}

static void
nak_case(const uint8_t *req, size_t len, const uint8_t *want, size_t want_len, const char *why_has)
{
	struct h h;

	h_init(&h, 2, spec_nonce256);
	in_str(&h, http_req, T0);
	in(&h, req, len, T0 + 1);
	assert_int_equal(h.nsent, 2);
	assert_sent(&h, 1, want, want_len);
	assert_int_equal(h.lower_up, 0);
	assert_string_equal(ev_str(&h, "sstp_connect_request", "result"), "naked");
	assert_non_null(strstr(ev_str(&h, "sstp_connect_request", "why"), why_has));
	assert_string_equal(sstp_state_name(h.s), "connect_request_pending");
	/* a good request after the NAK is accepted */
	in(&h, connect_request, sizeof(connect_request), T0 + 2);
	assert_sent(&h, 2, spec_ack256, 48);
	assert_int_equal(h.lower_up, 1);
	h_done(&h);
}

static void
test_nak_cases(void **state)
{
	/* protocol 2 instead of PPP: AttribID 1, status 4, the client's value */
	static const uint8_t bad_proto[] = { 0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01,
	                                     0x00, 0x01, 0x00, 0x06, 0x00, 0x02 };
	static const uint8_t nak_proto[] = { 0x10, 0x01, 0x00, 0x16, 0x00, 0x03, 0x00, 0x01,
	                                     0x00, 0x02, 0x00, 0x0E, 0x00, 0x00, 0x00, 0x01,
	                                     0x00, 0x00, 0x00, 0x04, 0x00, 0x02 };
	/* no attribute: AttribID 2 (Status Info), status 0x0A */
	static const uint8_t none[] = { 0x10, 0x01, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00 };
	static const uint8_t nak_missing[] = { 0x10, 0x01, 0x00, 0x14, 0x00, 0x03, 0x00, 0x01,
	                                       0x00, 0x02, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x02,
	                                       0x00, 0x00, 0x00, 0x0A };
	/* duplicate protocol attribute: AttribID 1, status 1, value echoed */
	static const uint8_t dup[] = { 0x10, 0x01, 0x00, 0x14, 0x00, 0x01, 0x00, 0x02,
	                               0x00, 0x01, 0x00, 0x06, 0x00, 0x01,
	                               0x00, 0x01, 0x00, 0x06, 0x00, 0x01 };
	static const uint8_t nak_dup[] = { 0x10, 0x01, 0x00, 0x16, 0x00, 0x03, 0x00, 0x01,
	                                   0x00, 0x02, 0x00, 0x0E, 0x00, 0x00, 0x00, 0x01,
	                                   0x00, 0x00, 0x00, 0x01, 0x00, 0x01 };
	/* unknown attribute 0x07 next to a good one: AttribID 7, status 2, no value */
	static const uint8_t unk[] = { 0x10, 0x01, 0x00, 0x14, 0x00, 0x01, 0x00, 0x02,
	                               0x00, 0x01, 0x00, 0x06, 0x00, 0x01,
	                               0x00, 0x07, 0x00, 0x06, 0xAA, 0xBB };
	static const uint8_t nak_unk[] = { 0x10, 0x01, 0x00, 0x14, 0x00, 0x03, 0x00, 0x01,
	                                   0x00, 0x02, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x07,
	                                   0x00, 0x00, 0x00, 0x02 };
	/* protocol attribute of length 8: AttribID 1, status 3, value echoed */
	static const uint8_t badlen[] = { 0x10, 0x01, 0x00, 0x10, 0x00, 0x01, 0x00, 0x01,
	                                  0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00 };
	static const uint8_t nak_badlen[] = { 0x10, 0x01, 0x00, 0x18, 0x00, 0x03, 0x00, 0x01,
	                                      0x00, 0x02, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01,
	                                      0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00 };
	/* Status Info with an error status: AttribID 2, status 0x0B */
	static const uint8_t stinfo[] = { 0x10, 0x01, 0x00, 0x1A, 0x00, 0x01, 0x00, 0x02,
	                                  0x00, 0x01, 0x00, 0x06, 0x00, 0x01,
	                                  0x00, 0x02, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x01,
	                                  0x00, 0x00, 0x00, 0x04 };
	static const uint8_t nak_stinfo[] = { 0x10, 0x01, 0x00, 0x14, 0x00, 0x03, 0x00, 0x01,
	                                      0x00, 0x02, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x02,
	                                      0x00, 0x00, 0x00, 0x0B };

	nak_case(bad_proto, sizeof(bad_proto), nak_proto, sizeof(nak_proto), "not PPP");
	nak_case(none, sizeof(none), nak_missing, sizeof(nak_missing), "no Encapsulated-Protocol-ID");
	nak_case(dup, sizeof(dup), nak_dup, sizeof(nak_dup), "DUPLICATE");
	nak_case(unk, sizeof(unk), nak_unk, sizeof(nak_unk), "UNRECOGNIZED");
	nak_case(badlen, sizeof(badlen), nak_badlen, sizeof(nak_badlen), "INVALID_ATTRIB_VALUE_LENGTH");
	nak_case(stinfo, sizeof(stinfo), nak_stinfo, sizeof(nak_stinfo), "STATUS_INFO_NOT_SUPPORTED");
}

static void
test_nak_retry_limit(void **state)
{
	static const uint8_t none[] = { 0x10, 0x01, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00 };
	struct h h;
	uint8_t  client_abort[20];
	int      i;

	h_init(&h, 2, spec_nonce256);
	in_str(&h, http_req, T0);
	for (i = 0; i < 3; i++) {
		in(&h, none, sizeof(none), T0 + 1 + i);
		assert_int_equal(h.nsent, 2 + i);
		assert_int_equal(last_sent(&h)->buf[5], SSTP_MSG_CALL_CONNECT_NAK);
	}
	in(&h, none, sizeof(none), T0 + 10);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_RETRY_COUNT_EXCEEDED);
	assert_string_equal(ev_str(&h, "sstp_abort_sent", "status_name"),
	                    "ATTRIB_STATUS_RETRY_COUNT_EXCEEDED");
	/* a CONNECT_REQUEST now is ignored (Abort_Pending) */
	in(&h, connect_request, sizeof(connect_request), T0 + 11);
	assert_int_equal(h.nsent, 5);
	assert_int_equal(h.lower_up, 0);
	sstp_build_status_msg(client_abort, SSTP_MSG_CALL_ABORT, 2, 6);
	in(&h, client_abort, sizeof(client_abort), T0 + 12);
	assert_int_equal(h.nsent, 5); /* no answer to the answer */
	sstp_tick(h.s, T0 + 12 + 1000);
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_SSTP_PROTOCOL);
	assert_non_null(strstr(h.detail, "retry limit 3"));
	h_done(&h);
}

static void
test_negotiation_timeouts(void **state)
{
	struct h h;

	/* no CONNECT_REQUEST after the 200 */
	h_init(&h, 2, spec_nonce256);
	in_str(&h, http_req, T0 + 100);
	assert_int_equal(sstp_next_deadline(h.s), T0 + 100 + 60000);
	sstp_tick(h.s, T0 + 100 + 59999);
	assert_int_equal(h.nsent, 1);
	sstp_tick(h.s, T0 + 100 + 60000);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_NEGOTIATION_TIMEOUT);
	assert_int_equal(h.closed, 0);
	sstp_tick(h.s, sstp_next_deadline(h.s));
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_SSTP_NEGOTIATION_TIMEOUT);
	assert_non_null(strstr(h.detail, "CALL_CONNECT_REQUEST"));
	h_done(&h);

	/* no CALL_CONNECTED after the ACK (sstpc --nolaunchpppd with a password) */
	to_pending(&h, 2, spec_nonce256);
	assert_int_equal(sstp_next_deadline(h.s), T0 + 10 + 60000);
	in(&h, pkt_lcp, sizeof(pkt_lcp), T0 + 30000); /* PPP traffic does not extend it */
	assert_int_equal(sstp_next_deadline(h.s), T0 + 10 + 60000);
	sstp_tick(h.s, T0 + 10 + 60000);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_NEGOTIATION_TIMEOUT);
	assert_int_equal(sstp_next_deadline(h.s), T0 + 10 + 60000 + 3000);
	sstp_tick(h.s, T0 + 10 + 63000);
	assert_int_equal(h.reason, CR_SSTP_NEGOTIATION_TIMEOUT);
	assert_non_null(strstr(h.detail, "no CALL_CONNECTED"));
	h_done(&h);

	/* held CALL_CONNECTED but the HLAK never comes */
	{
		uint8_t cc[112];

		to_pending(&h, 2, spec_nonce256);
		sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, NULL);
		in(&h, cc, sizeof(cc), T0 + 20);
		sstp_tick(h.s, T0 + 10 + 60000);
		sstp_set_hlak(h.s, NULL, T0 + 10 + 60001); /* too late: ignored */
		assert_false(sstp_is_connected(h.s));
		sstp_tick(h.s, T0 + 10 + 63000);
		assert_int_equal(h.reason, CR_SSTP_NEGOTIATION_TIMEOUT);
		assert_non_null(strstr(h.detail, "no HLAK"));
		h_done(&h);
	}

	/* no request head at all: nothing sent */
	h_init(&h, 2, spec_nonce256);
	in_str(&h, "SSTP_DUPLEX_POST /sra_", T0 + 1);
	assert_int_equal(sstp_next_deadline(h.s), T0 + 60000);
	sstp_tick(h.s, T0 + 60000);
	assert_int_equal(h.nsent, 0);
	assert_int_equal(h.reason, CR_SSTP_NEGOTIATION_TIMEOUT);
	assert_non_null(strstr(h.detail, "HTTP request"));
	h_done(&h);
}

static void
test_echo_and_hello(void **state)
{
	struct h h;
	uint64_t t;

	to_connected(&h);
	/* the client's ECHO_REQUEST is answered */
	in(&h, echo_req, sizeof(echo_req), T0 + 1000);
	assert_sent(&h, h.nsent - 1, echo_resp, 8);
	assert_string_equal(ev_str(&h, "sstp_echo", "direction"), "request_received");
	assert_int_equal(sstp_next_deadline(h.s), T0 + 1000 + 60000);

	/* idle: ECHO_REQUEST after one interval */
	t = T0 + 1000 + 60000;
	sstp_tick(h.s, t - 1);
	assert_sent(&h, h.nsent - 1, echo_resp, 8);
	sstp_tick(h.s, t);
	assert_sent(&h, h.nsent - 1, echo_req, 8);
	assert_int_equal(sstp_next_deadline(h.s), t + 60000);
	/* any packet (here the response) restarts the Hello timer */
	in(&h, echo_resp, sizeof(echo_resp), t + 500);
	assert_int_equal(sstp_next_deadline(h.s), t + 500 + 60000);
	t = t + 500 + 60000;
	sstp_tick(h.s, t);
	assert_sent(&h, h.nsent - 1, echo_req, 8);
	/* data counts as an answer too */
	in(&h, pkt_ip, sizeof(pkt_ip), t + 10);
	assert_int_equal(sstp_next_deadline(h.s), t + 10 + 60000);
	t = t + 10 + 60000;
	sstp_tick(h.s, t);
	assert_sent(&h, h.nsent - 1, echo_req, 8);
	/* silence for another interval: closed, without CALL_ABORT */
	{
		int n = h.nsent;

		sstp_tick(h.s, t + 60000);
		assert_int_equal(h.nsent, n);
	}
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_SSTP_HELLO_TIMEOUT);
	h_done(&h);
}

static void
test_echo_before_connected_aborts(void **state)
{
	struct h h;

	to_pending(&h, 2, spec_nonce256);
	in(&h, echo_req, sizeof(echo_req), T0 + 20);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_UNACCEPTED_FRAME_RECEIVED);
	sstp_tick(h.s, T0 + 20 + 3000);
	assert_int_equal(h.reason, CR_SSTP_PROTOCOL);
	h_done(&h);
}

static void
test_client_abort(void **state)
{
	struct h h;
	uint8_t  ab[20];

	to_connected(&h);
	sstp_build_status_msg(ab, SSTP_MSG_CALL_ABORT, SSTP_ATTRIB_STATUS_INFO,
	                      SSTP_ST_INVALID_FRAME_RECEIVED);
	in(&h, ab, sizeof(ab), T0 + 500);
	/* answered with a CALL_ABORT, T2 */
	assert_sent(&h, h.nsent - 1, ab, 20);
	assert_string_equal(ev_str(&h, "sstp_abort_received", "status_name"),
	                    "ATTRIB_STATUS_INVALID_FRAME_RECEIVED");
	assert_int_equal(sstp_next_deadline(h.s), T0 + 500 + 1000);
	/* in Abort_Timeout_Pending everything is ignored */
	in(&h, ab, sizeof(ab), T0 + 600);
	in(&h, pkt_ip, sizeof(pkt_ip), T0 + 600);
	assert_int_equal(h.nsent, 3);
	assert_int_equal(h.nppp, 0);
	assert_int_equal(sstp_send_ppp(h.s, ip_frame, sizeof(ip_frame), T0 + 600), -1);
	sstp_tick(h.s, T0 + 1500);
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_SSTP_CLIENT_ABORT);
	assert_non_null(strstr(h.detail, "INVALID_FRAME_RECEIVED"));
	h_done(&h);

	/* an abort without a Status Info is answered with one without */
	to_pending(&h, 2, spec_nonce256);
	in(&h, "\x10\x01\x00\x08\x00\x05\x00\x00", 8, T0 + 20);
	assert_sent(&h, h.nsent - 1, "\x10\x01\x00\x08\x00\x05\x00\x00", 8);
	sstp_tick(h.s, T0 + 20 + 1000);
	assert_int_equal(h.reason, CR_SSTP_CLIENT_ABORT);
	h_done(&h);
}

static void
test_client_disconnect(void **state)
{
	struct h h;
	uint8_t  disc[20];

	to_connected(&h);
	sstp_build_status_msg(disc, SSTP_MSG_CALL_DISCONNECT, 0, 0);
	in(&h, disc, sizeof(disc), T0 + 500);
	assert_sent(&h, h.nsent - 1, disc_ack, 8);
	assert_string_equal(ev_str(&h, "sstp_disconnect", "direction"), "received");
	assert_int_equal(sstp_next_deadline(h.s), T0 + 1500);
	in(&h, disc, sizeof(disc), T0 + 600); /* ignored now */
	assert_int_equal(h.nsent, 3);
	sstp_tick(h.s, T0 + 1500);
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_SSTP_CLIENT_DISCONNECT);
	h_done(&h);
}

static void
test_gateway_disconnect(void **state)
{
	struct h h;
	uint8_t  disc[20];

	sstp_build_status_msg(disc, SSTP_MSG_CALL_DISCONNECT, 0, 0);

	/* answered by DISCONNECT_ACK: closed at once */
	to_connected(&h);
	sstp_disconnect(h.s, T0 + 500);
	assert_sent(&h, h.nsent - 1, disc, 20);
	assert_int_equal(sstp_next_deadline(h.s), T0 + 500 + 5000);
	assert_int_equal(sstp_send_ppp(h.s, ip_frame, sizeof(ip_frame), T0 + 501), -1);
	assert_int_equal(h.closed, 0);
	in(&h, disc_ack, sizeof(disc_ack), T0 + 600);
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_SSTP_SERVER_DISCONNECT);
	h_done(&h);

	/* no answer: closed at Disconnect-T1, with the given reason */
	to_connected(&h);
	sstp_disconnect_reason(h.s, CR_PPP_AUTH_FAILED, "MS-CHAPv2 E=691 for user bob", T0 + 500);
	assert_sent(&h, h.nsent - 1, disc, 20);
	sstp_tick(h.s, T0 + 5499);
	assert_int_equal(h.closed, 0);
	sstp_tick(h.s, T0 + 5500);
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_PPP_AUTH_FAILED);
	assert_string_equal(h.detail, "MS-CHAPv2 E=691 for user bob");
	h_done(&h);

	/* both sides disconnect at once: our DISCONNECT crosses theirs */
	to_connected(&h);
	sstp_disconnect(h.s, T0 + 500);
	in(&h, disc, sizeof(disc), T0 + 510);
	assert_sent(&h, h.nsent - 1, disc_ack, 8);
	sstp_tick(h.s, T0 + 1510);
	assert_int_equal(h.reason, CR_SSTP_SERVER_DISCONNECT);
	h_done(&h);

	/* before the HTTP request: nothing to send, closed at once */
	h_init(&h, 2, spec_nonce256);
	sstp_disconnect(h.s, T0 + 1);
	assert_int_equal(h.nsent, 0);
	assert_int_equal(h.closed, 1);
	h_done(&h);
}

static void
test_gateway_abort(void **state)
{
	struct h h;
	uint8_t  ab[20];

	to_connected(&h);
	sstp_abort(h.s, CR_SHUTDOWN, "gateway stopping", T0 + 500);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_UNACCEPTED_FRAME_RECEIVED);
	sstp_abort(h.s, CR_INTERNAL, "again", T0 + 501); /* already aborting: ignored */
	assert_int_equal(h.nsent, 3);
	sstp_build_status_msg(ab, SSTP_MSG_CALL_ABORT, 2, 5);
	in(&h, ab, sizeof(ab), T0 + 600);
	assert_int_equal(sstp_next_deadline(h.s), T0 + 1600);
	sstp_tick(h.s, T0 + 1600);
	assert_int_equal(h.reason, CR_SHUTDOWN);
	assert_string_equal(h.detail, "gateway stopping");
	h_done(&h);

	to_pending(&h, 2, spec_nonce256);
	sstp_abort(h.s, CR_SSTP_NEGOTIATION_TIMEOUT, NULL, T0 + 20);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_NEGOTIATION_TIMEOUT);
	sstp_tick(h.s, T0 + 20 + 3000);
	assert_int_equal(h.reason, CR_SSTP_NEGOTIATION_TIMEOUT);
	h_done(&h);

	to_connected(&h);
	sstp_abort_status(h.s, SSTP_ATTRIB_CRYPTO_BINDING, 4, CR_SSTP_CRYPTO_BINDING, "fault", T0 + 40);
	assert_abort(last_sent(&h), SSTP_ATTRIB_CRYPTO_BINDING, 4);
	h_done(&h);
}

static void
test_lower_down(void **state)
{
	struct h h;

	to_connected(&h);
	sstp_lower_down(h.s, CR_CLIENT_RESET, "connection reset");
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_CLIENT_RESET);
	assert_int_equal(h.nsent, 2);
	sstp_lower_down(h.s, CR_CLIENT_CLOSED, "again");
	sstp_disconnect(h.s, T0 + 1);
	in(&h, echo_req, sizeof(echo_req), T0 + 2);
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.nsent, 2);
	assert_int_equal(sstp_next_deadline(h.s), 0);
	h_done(&h);
}

/* the whole conversation, as one record list of sends */
static void
conversation(struct h *h, size_t chunk)
{
	uint8_t buf[2048], cc[112];
	size_t  n = 0, i;

	memcpy(buf + n, http_req, sizeof(http_req) - 1);
	n += sizeof(http_req) - 1;
	memcpy(buf + n, connect_request, sizeof(connect_request));
	n += sizeof(connect_request);
	memcpy(buf + n, pkt_lcp, sizeof(pkt_lcp));
	n += sizeof(pkt_lcp);
	sstp_build_call_connected(cc, SSTP_HASH_SHA256, spec_nonce256, spec_cert256, spec_hlak256);
	memcpy(buf + n, cc, sizeof(cc));
	n += sizeof(cc);
	memcpy(buf + n, pkt_ip, sizeof(pkt_ip));
	n += sizeof(pkt_ip);
	memcpy(buf + n, echo_req, sizeof(echo_req));
	n += sizeof(echo_req);

	h_init(h, 2, spec_nonce256);
	sstp_set_hlak(h->s, spec_hlak256, T0);
	for (i = 0; i < n; i += chunk)
		in(h, buf + i, n - i < chunk ? n - i : chunk, T0 + 1);
}

static void
test_split_byte_by_byte(void **state)
{
	struct h whole, bytes, odd;
	int      i;

	conversation(&whole, 100000);
	conversation(&bytes, 1);
	conversation(&odd, 7);
	assert_true(sstp_is_connected(whole.s));
	assert_int_equal(whole.nsent, 3); /* 200, ACK, ECHO_RESPONSE */
	assert_sent(&whole, 2, echo_resp, 8);
	assert_int_equal(whole.nppp, 2);  /* LCP, then the IP frame after CALL_CONNECTED */
	assert_int_equal(bytes.nsent, whole.nsent);
	assert_int_equal(odd.nsent, whole.nsent);
	assert_int_equal(bytes.nppp, whole.nppp);
	for (i = 0; i < whole.nsent; i++) {
		assert_sent(&bytes, i, whole.sent[i].buf, whole.sent[i].len);
		assert_sent(&odd, i, whole.sent[i].buf, whole.sent[i].len);
	}
	for (i = 0; i < whole.nppp; i++)
		assert_memory_equal(bytes.ppp[i].buf, whole.ppp[i].buf, whole.ppp[i].len);
	assert_true(sstp_is_connected(bytes.s));
	assert_true(sstp_is_connected(odd.s));
	h_done(&whole);
	h_done(&bytes);
	h_done(&odd);
}

static void
test_max_size_packets(void **state)
{
	struct h h;
	uint8_t  big[4095], frame[4092];

	to_connected(&h);
	/* a 4095-byte data packet, split at odd places */
	sstp_put_hdr(big, 0, sizeof(big));
	memset(big + 4, 0x45, sizeof(big) - 4);
	big[4] = 0xFF;
	big[5] = 0x03;
	big[6] = 0x00;
	big[7] = 0x21;
	in(&h, big, 1, T0 + 40);
	in(&h, big + 1, 4000, T0 + 40);
	in(&h, big + 4001, 94, T0 + 40);
	assert_int_equal(h.nppp, 1);
	assert_int_equal(h.ppp[0].len, 4091);
	memset(frame, 0x45, sizeof(frame));
	assert_int_equal(sstp_send_ppp(h.s, frame, 4091, T0 + 41), 0);
	assert_int_equal(last_sent(&h)->len, 4095);
	assert_int_equal(sstp_send_ppp(h.s, frame, 4092, T0 + 41), -1);
	h_done(&h);
}

static void
delineation(const uint8_t *pkt, size_t len, const char *detail_has)
{
	struct h h;

	to_connected(&h);
	in(&h, pkt, len, T0 + 50);
	assert_int_equal(h.closed, 1); /* at once, nothing sent */
	assert_int_equal(h.nsent, 2);
	assert_int_equal(h.reason, CR_SSTP_PROTOCOL);
	assert_non_null(strstr(h.detail, detail_has));
	h_done(&h);
}

static void
test_malformed(void **state)
{
	struct h h;

	delineation((const uint8_t *)"\x11\x01\x00\x08\x00\x08\x00\x00", 8, "version");
	delineation((const uint8_t *)"\x10\x01\x80\x08\x00\x08\x00\x00", 8, "reserved bits");
	delineation((const uint8_t *)"\x10\x01\x00\x02", 4, "below 4");
	/* bytes behind a good packet in the same read */
	delineation((const uint8_t *)"\x10\x01\x00\x08\x00\x09\x00\x00GET /", 13, "version");

	/* delineated, but a control packet too short: CALL_ABORT status 7 */
	to_connected(&h);
	in(&h, "\x10\x01\x00\x06\x00\x08", 6, T0 + 50);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_INVALID_FRAME_RECEIVED);
	sstp_tick(h.s, T0 + 3050);
	assert_int_equal(h.reason, CR_SSTP_PROTOCOL);
	h_done(&h);

	/* an unknown message type */
	to_connected(&h);
	in(&h, "\x10\x01\x00\x08\x00\x42\x00\x00", 8, T0 + 50);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_INVALID_FRAME_RECEIVED);
	h_done(&h);

	/* a server message from the client */
	to_connected(&h);
	in(&h, spec_ack256, sizeof(spec_ack256), T0 + 50);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_UNACCEPTED_FRAME_RECEIVED);
	h_done(&h);

	/* a second CONNECT_REQUEST */
	to_connected(&h);
	in(&h, connect_request, sizeof(connect_request), T0 + 50);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_UNACCEPTED_FRAME_RECEIVED);
	assert_int_equal(h.lower_up, 1);
	h_done(&h);

	/* DISCONNECT_ACK we did not ask for */
	to_connected(&h);
	in(&h, disc_ack, sizeof(disc_ack), T0 + 50);
	assert_abort(last_sent(&h), SSTP_ATTRIB_STATUS_INFO, SSTP_ST_UNACCEPTED_FRAME_RECEIVED);
	h_done(&h);

	/* data before any CONNECT_REQUEST is dropped and counted */
	h_init(&h, 2, spec_nonce256);
	in_str(&h, http_req, T0);
	in(&h, pkt_lcp, sizeof(pkt_lcp), T0 + 1);
	assert_int_equal(h.nppp, 0);
	assert_int_equal(h.closed, 0);
	h_done(&h);
}

/* ---- HTTP ---- */

static void
http_case(const char *req, int status, enum close_reason reason, const char *detail_has)
{
	struct h h;
	char     line[32];

	h_init(&h, 2, spec_nonce256);
	in_str(&h, req, T0 + 1);
	assert_int_equal(h.nsent, 1);
	snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	assert_true(h.sent[0].len > strlen(line));
	assert_memory_equal(h.sent[0].buf, line, strlen(line));
	assert_non_null(memmem(h.sent[0].buf, h.sent[0].len, "Connection: close\r\n", 19));
	assert_non_null(memmem(h.sent[0].buf, h.sent[0].len, "Date: Thu, 09 Nov 2006 00:51:09 GMT\r\n", 37));
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, reason);
	assert_non_null(strstr(h.detail, detail_has));
	assert_int_equal(ev_int(&h, "sstp_http_reply", "status"), status);
	/* later bytes are ignored */
	in(&h, connect_request, sizeof(connect_request), T0 + 2);
	assert_int_equal(h.nsent, 1);
	h_done(&h);
}

static void
test_http_errors(void **state)
{
	char big[10000];
	int  i;

	http_case("POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\nHost: a\r\n\r\n", 405,
	          CR_HTTP_BAD_REQUEST, "method POST is not SSTP_DUPLEX_POST");
	http_case("SSTP_DUPLEX_POST /vpn HTTP/1.1\r\nHost: a\r\n\r\n", 404, CR_HTTP_BAD_REQUEST,
	          "path /vpn is not the SSTP URI");
	http_case("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.0\r\n\r\n", 505,
	          CR_HTTP_BAD_REQUEST, "SSTP needs HTTP/1.1");
	http_case("\x16\x03\x01\x02\xff\x01\x01\x01\xfc\x03\x03\r\n\r\n", 400, CR_HTTP_BAD_REQUEST,
	          "malformed request line");
	http_case("GET / HTTP/1.1\r\nHost: gw\r\nUser-Agent: Mozilla/5.0\r\n\r\n", 404, CR_HTTP_NOT_SSTP,
	          "plain HTTPS request for /");

	/* oversize: headers beyond max_header_bytes, too many, a long URL */
	strcpy(big, "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n");
	for (i = 0; i < 31; i++) {
		size_t n = strlen(big);

		memcpy(big + n, "X-Padding: ", 11);
		memset(big + n + 11, 'a', 280);
		memcpy(big + n + 291, "\r\n", 3);
	}
	assert_true(strlen(big) > 8192 && strlen(big) < sizeof(big));
	http_case(big, 431, CR_HTTP_BAD_REQUEST, "larger than the limit");
	strcpy(big, "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n");
	for (i = 0; i < 33; i++)
		strcat(big, "X-A: b\r\n");
	strcat(big, "\r\n");
	http_case(big, 431, CR_HTTP_BAD_REQUEST, "more than 32 header lines");
	memset(big, 'a', 5000);
	memcpy(big, "GET /", 5);
	big[5000] = '\0';
	http_case(big, 414, CR_HTTP_BAD_REQUEST, "request line longer");
}

static void
test_http_browser_page(void **state)
{
	struct h    h;
	const char *body;

	h_init(&h, 2, spec_nonce256);
	in_str(&h, "GET / HTTP/1.1\r\nHost: gw\r\n\r\n", T0);
	assert_int_equal(h.nsent, 1);
	body = memmem(h.sent[0].buf, h.sent[0].len, "\r\n\r\n", 4);
	assert_non_null(body);
	assert_non_null(memmem(h.sent[0].buf, h.sent[0].len, "Server: Microsoft-HTTPAPI/2.0\r\n", 31));
	assert_non_null(memmem(h.sent[0].buf, h.sent[0].len, "<TITLE>Not Found</TITLE>", 24));
	assert_non_null(memmem(h.sent[0].buf, h.sent[0].len,
	                       "HTTP Error 404. The requested resource is not found.", 52));
	assert_int_equal(h.reason, CR_HTTP_NOT_SSTP);
	h_done(&h);
}

static void
test_http_tenantid_and_logging(void **state)
{
	struct h h;

	h_init(&h, 2, spec_nonce256);
	in_str(&h, "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/?tenantid=72f988bf-86f1 HTTP/1.1\r\n"
	           "content-length: 18446744073709551615\r\nhost: vpn.example\r\n"
	           "sstpcorrelationid: not a guid \xc3\r\n\r\n", T0);
	assert_int_equal(h.nsent, 1);
	assert_sent(&h, 0, http_200, strlen(http_200));
	assert_string_equal(ev_str(&h, "sstp_http_request", "tenantid"), "72f988bf-86f1");
	assert_string_equal(ev_str(&h, "sstp_http_request", "host"), "vpn.example");
	assert_string_equal(ev_str(&h, "sstp_http_request", "correlation_id"), "not a guid \\xc3");
	assert_int_equal(h.closed, 0);
	h_done(&h);

	/* no wall clock: no Date header, still one send */
	{
		struct sstp_config cfg;
		struct sstp_hooks  hooks;

		memset(&h, 0, sizeof(h));
		memset(&cfg, 0, sizeof(cfg)); /* all defaults */
		memset(&hooks, 0, sizeof(hooks));
		hooks.ctx = &h;
		hooks.send = h_send;
		hooks.closed = h_closed;
		h.s = sstp_new(&cfg, &hooks, 0);
		in_str(&h, http_req, 5);
		assert_int_equal(h.nsent, 1);
		assert_int_equal(h.sent[0].len, strlen("HTTP/1.1 200\r\nContent-Length: 18446744073709551615\r\n"
		                                       "Server: Microsoft-HTTPAPI/2.0\r\n\r\n"));
		assert_int_equal(sstp_next_deadline(h.s), 5 + 60000);
		h_done(&h);
	}
}

static void
test_refuse_at_limit(void **state)
{
	struct h h;

	h_init(&h, 2, spec_nonce256);
	sstp_refuse(h.s, 503, CR_SSTP_SESSION_LIMIT, "128 SSTP sessions already");
	in_str(&h, http_req, T0);
	assert_int_equal(h.nsent, 1);
	assert_memory_equal(h.sent[0].buf, "HTTP/1.1 503 Service Unavailable\r\n", 34);
	assert_non_null(memmem(h.sent[0].buf, h.sent[0].len, "Connection: close\r\n", 19));
	assert_int_equal(h.closed, 1);
	assert_int_equal(h.reason, CR_SSTP_SESSION_LIMIT);
	assert_string_equal(h.detail, "128 SSTP sessions already");
	h_done(&h);

	/* a browser still gets the 404 page */
	h_init(&h, 2, spec_nonce256);
	sstp_refuse(h.s, 503, CR_SSTP_SESSION_LIMIT, NULL);
	in_str(&h, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", T0);
	assert_int_equal(h.reason, CR_HTTP_NOT_SSTP);
	h_done(&h);
}

static void
test_free_inside_closed(void **state)
{
	struct h h;

	/* the owner frees the session from its closed hook, in the middle of
	 * an input with more packets behind: no use after free (ASan) */
	to_connected(&h);
	h.free_in_closed = 1;
	in(&h, "\x11\x01\x00\x08\x10\x01\x00\x08\x00\x08\x00\x00", 12, T0 + 50);
	assert_int_equal(h.closed, 1);
	assert_null(h.s);
	h_done(&h);

	to_connected(&h);
	h.free_in_closed = 1;
	sstp_disconnect(h.s, T0 + 50);
	sstp_tick(h.s, T0 + 50 + 5000);
	assert_null(h.s);
	h_done(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_happy_path_sha256),
		cmocka_unit_test(test_happy_path_sha1),
		cmocka_unit_test(test_both_hashes_zero_hlak),
		cmocka_unit_test(test_held_call_connected),
		cmocka_unit_test(test_held_set_inside_ppp_hook),
		cmocka_unit_test(test_binding_failures),
		cmocka_unit_test(test_binding_failure_abort_answered),
		cmocka_unit_test(test_call_connected_wrong_state),
		cmocka_unit_test(test_nak_cases),
		cmocka_unit_test(test_nak_retry_limit),
		cmocka_unit_test(test_negotiation_timeouts),
		cmocka_unit_test(test_echo_and_hello),
		cmocka_unit_test(test_echo_before_connected_aborts),
		cmocka_unit_test(test_client_abort),
		cmocka_unit_test(test_client_disconnect),
		cmocka_unit_test(test_gateway_disconnect),
		cmocka_unit_test(test_gateway_abort),
		cmocka_unit_test(test_lower_down),
		cmocka_unit_test(test_split_byte_by_byte),
		cmocka_unit_test(test_max_size_packets),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_http_browser_page),
		cmocka_unit_test(test_http_tenantid_and_logging),
		cmocka_unit_test(test_refuse_at_limit),
		cmocka_unit_test(test_free_inside_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
