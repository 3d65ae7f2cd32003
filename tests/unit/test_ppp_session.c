/*
 * A whole PPP session driven the way a Windows SSTP client drives it:
 * LCP (Magic, PFC, ACFC, Callback, MRU), MS-CHAPv2 with the RFC 2759
 * sample exchange (HLAK from RFC 3079 checked), IPCP with IP 0 / DNS 0 /
 * DNS2 0, then CCP (Protocol-Reject), Echo, an unknown code, IPv4 both
 * ways and Terminate. Also: wrong password and the retry limit, unknown
 * user, auth method fallback and refusal, timeouts, compressed headers.
 *
 * Frames are compared byte for byte with what RFC 1661/1994/2759/1332
 * say the gateway must send.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppp/ppp.h"

/* ------------------------------------------------------------------ */
/* Harness: captured frames, events, hook results; scripted randomness */

#define MAX_FRAMES 64
#define MAX_EVENTS 64

struct frame {
	uint8_t b[4200];
	size_t  n;
};

struct h {
	struct frame frames[MAX_FRAMES];
	size_t nframes, next; /* next unread frame */
	char events[MAX_EVENTS][48];
	json_t *event_fields[MAX_EVENTS];
	size_t nevents;
	int auth_calls, auth_ok;
	char identity[256];
	uint8_t hlak[32];
	int hlak_set;
	int up_calls;
	uint32_t up_ip;
	uint8_t ip_in[2048];
	size_t ip_in_len;
	int closed_calls;
	enum close_reason reason;
	char detail[256];
	/* random: scripted outputs by request length, else a fill byte */
	uint8_t script[4][16];
	size_t script_len[4], nscript;
	uint8_t fill;
	/* auth_external: the last mschap_verify call */
	int verify_calls;
	uint8_t verify_ident, verify_chal[16], verify_resp[49];
	char verify_name[64];
	/* auth_external, EAP: the last eap_relay call */
	int relay_calls;
	uint8_t relay_eap[1100];
	size_t relay_len;
};

static struct h H;

static void
h_verify(void *ctx, uint8_t ident, const uint8_t chal[16], const uint8_t resp[49],
         const char *name)
{
	struct h *h = ctx;
	h->verify_calls++;
	h->verify_ident = ident;
	memcpy(h->verify_chal, chal, 16);
	memcpy(h->verify_resp, resp, 49);
	snprintf(h->verify_name, sizeof(h->verify_name), "%s", name);
}

static void
h_relay(void *ctx, const uint8_t *eap, size_t n)
{
	struct h *h = ctx;
	assert_true(n <= sizeof(h->relay_eap));
	h->relay_calls++;
	memcpy(h->relay_eap, eap, n);
	h->relay_len = n;
}

static void
h_send(void *ctx, const uint8_t *f, size_t n)
{
	struct h *h = ctx;
	assert_true(h->nframes < MAX_FRAMES);
	assert_true(n <= sizeof(h->frames[0].b));
	memcpy(h->frames[h->nframes].b, f, n);
	h->frames[h->nframes++].n = n;
}

static void
h_auth(void *ctx, int ok, const char *id, const uint8_t *hlak)
{
	struct h *h = ctx;
	h->auth_calls++;
	h->auth_ok = ok;
	snprintf(h->identity, sizeof(h->identity), "%s", id);
	if (hlak != NULL) {
		memcpy(h->hlak, hlak, 32);
		h->hlak_set = 1;
	}
}

static void
h_up(void *ctx, uint32_t ip)
{
	struct h *h = ctx;
	h->up_calls++;
	h->up_ip = ip;
}

static void
h_ip(void *ctx, const uint8_t *pkt, size_t n)
{
	struct h *h = ctx;
	assert_true(n <= sizeof(h->ip_in));
	memcpy(h->ip_in, pkt, n);
	h->ip_in_len = n;
}

static void
h_random(void *ctx, uint8_t *out, size_t n)
{
	struct h *h = ctx;
	if (h->nscript > 0 && h->script_len[0] == n) {
		memcpy(out, h->script[0], n);
		memmove(h->script, h->script + 1, sizeof(h->script[0]) * 3);
		memmove(h->script_len, h->script_len + 1, sizeof(h->script_len[0]) * 3);
		h->nscript--;
		return;
	}
	memset(out, h->fill, n);
	h->fill++;
}

static void
h_closed(void *ctx, enum close_reason r, const char *detail)
{
	struct h *h = ctx;
	h->closed_calls++;
	h->reason = r;
	snprintf(h->detail, sizeof(h->detail), "%s", detail);
}

static void
h_event(void *ctx, const char *type, json_t *fields)
{
	struct h *h = ctx;
	assert_non_null(fields);
	if (h->nevents < MAX_EVENTS) {
		snprintf(h->events[h->nevents], sizeof(h->events[0]), "%s", type);
		h->event_fields[h->nevents++] = fields;
	} else {
		json_decref(fields);
	}
}

static json_t *
find_event(const char *type)
{
	for (size_t i = 0; i < H.nevents; i++)
		if (strcmp(H.events[i], type) == 0)
			return H.event_fields[i];
	return NULL;
}

static size_t
count_events(const char *type)
{
	size_t n = 0;
	for (size_t i = 0; i < H.nevents; i++)
		n += strcmp(H.events[i], type) == 0;
	return n;
}

static void
script_random(const uint8_t *b, size_t n)
{
	assert_true(H.nscript < 4 && n <= 16);
	memcpy(H.script[H.nscript], b, n);
	H.script_len[H.nscript++] = n;
}

static const struct ppp_user USERS[] = {
	{ "User", "clientPass" },
	{ "alice", "s3cret" },
};

static struct ppp_config
base_cfg(void)
{
	struct ppp_config c;
	memset(&c, 0, sizeof(c));
	c.auth[0] = PPP_AUTH_MSCHAPV2;
	c.n_auth = 1;
	c.users = USERS;
	c.n_users = 2;
	c.auth_retries = 3;
	c.mru = 1400;
	c.restart_ms = 3000;
	c.max_configure = 10;
	c.max_failure = 5;
	c.gateway_ip = 0xAC100001;  /* 172.16.0.1 */
	c.client_ip = 0xAC10000A;   /* 172.16.0.10 */
	c.dns[0] = 0x0A000035;      /* 10.0.0.53 */
	c.dns[1] = 0x0A000036;      /* 10.0.0.54 */
	snprintf(c.auth_name, sizeof(c.auth_name), "p2sgw");
	return c;
}

static struct ppp_session *
start(const struct ppp_config *c)
{
	struct ppp_hooks hk;

	for (size_t i = 0; i < H.nevents; i++)
		json_decref(H.event_fields[i]);
	memset(&H, 0, sizeof(H));
	H.fill = 0x11;
	memset(&hk, 0, sizeof(hk));
	hk.ctx = &H;
	hk.send = h_send;
	hk.auth_done = h_auth;
	hk.network_up = h_up;
	hk.ip_packet = h_ip;
	hk.random = h_random;
	hk.closed = h_closed;
	hk.mschap_verify = h_verify;
	hk.eap_relay = h_relay;
	hk.events.ctx = &H;
	hk.events.fn = h_event;
	struct ppp_session *p = ppp_new(c, &hk);
	assert_non_null(p);
	return p;
}

static void
finish(struct ppp_session *p)
{
	ppp_free(p);
	for (size_t i = 0; i < H.nevents; i++)
		json_decref(H.event_fields[i]);
	H.nevents = 0;
}

/* The next frame the gateway sent; fails if there is none. */
static const struct frame *
next_frame(void)
{
	assert_true(H.next < H.nframes);
	return &H.frames[H.next++];
}

static void
expect_frame(const uint8_t *want, size_t n)
{
	const struct frame *f = next_frame();
	if (f->n != n || memcmp(f->b, want, n) != 0) {
		fprintf(stderr, "frame %zu differs:\n got ", H.next - 1);
		for (size_t i = 0; i < f->n; i++)
			fprintf(stderr, "%02x", f->b[i]);
		fprintf(stderr, "\nwant ");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%02x", want[i]);
		fprintf(stderr, "\n");
		fail();
	}
}

#define EXPECT(...) do { \
	const uint8_t w_[] = { __VA_ARGS__ }; \
	expect_frame(w_, sizeof(w_)); \
} while (0)

static void
no_more_frames(void)
{
	assert_int_equal(H.next, H.nframes);
}

#define INPUT(p, now, ...) do { \
	const uint8_t in_[] = { __VA_ARGS__ }; \
	ppp_input((p), in_, sizeof(in_), (now)); \
} while (0)

static void
unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* ------------------------------------------------------------------ */
/* Steps shared by the tests                                           */

static const uint8_t AUTH_CHAL[16] = {
	0x5B, 0x5D, 0x7C, 0x7D, 0x7B, 0x3F, 0x2F, 0x3E,
	0x3C, 0x2C, 0x60, 0x21, 0x32, 0x26, 0x26, 0x28,
};
static const uint8_t PEER_CHAL[16] = {
	0x21, 0x40, 0x23, 0x24, 0x25, 0x5E, 0x26, 0x2A,
	0x28, 0x29, 0x5F, 0x2B, 0x3A, 0x33, 0x7C, 0x7E,
};

/*
 * Lower up; our ConfReq: MRU 1400, Auth CHAP/MS-CHAPv2, Magic 0x11111111
 * (first random call). The client's Windows-like request is rejected for
 * Callback, then Acked; it Acks ours; the Challenge follows with id 0x12
 * (second random call) and the scripted AUTH_CHAL.
 */
static void
lcp_windows(struct ppp_session *p)
{
	ppp_lower_up(p, 1000);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x13,
	       0x01, 0x04, 0x05, 0x78,
	       0x03, 0x05, 0xC2, 0x23, 0x81,
	       0x05, 0x06, 0x11, 0x11, 0x11, 0x11);
	assert_int_equal(ppp_next_deadline(p), 4000);

	/* Windows: MRU 1400, Magic, PFC, ACFC, Callback CBCP */
	INPUT(p, 1010, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x00, 0x00, 0x15,
	      0x01, 0x04, 0x05, 0x78,
	      0x05, 0x06, 0x6B, 0x3C, 0x2D, 0x1E,
	      0x07, 0x02, 0x08, 0x02,
	      0x0D, 0x03, 0x06);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x04, 0x00, 0x00, 0x07, 0x0D, 0x03, 0x06);

	INPUT(p, 1020, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x12,
	      0x01, 0x04, 0x05, 0x78,
	      0x05, 0x06, 0x6B, 0x3C, 0x2D, 0x1E,
	      0x07, 0x02, 0x08, 0x02);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x02, 0x01, 0x00, 0x12,
	       0x01, 0x04, 0x05, 0x78,
	       0x05, 0x06, 0x6B, 0x3C, 0x2D, 0x1E,
	       0x07, 0x02, 0x08, 0x02);
	no_more_frames();

	script_random(AUTH_CHAL, 16);
	INPUT(p, 1030, 0xFF, 0x03, 0xC0, 0x21, 0x02, 0x01, 0x00, 0x13,
	      0x01, 0x04, 0x05, 0x78,
	      0x03, 0x05, 0xC2, 0x23, 0x81,
	      0x05, 0x06, 0x11, 0x11, 0x11, 0x11);
	json_t *e = find_event("ppp_lcp_state");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "state")), "opened");
	assert_int_equal(json_integer_value(json_object_get(e, "peer_mru")), 1400);
	assert_string_equal(json_string_value(json_object_get(e, "peer_options")),
	    "mru=1400 magic pfc acfc");
	assert_string_equal(json_string_value(json_object_get(e, "rejected")), "callback");

	/* Challenge: value-size 16, AUTH_CHAL, name "p2sgw" */
	EXPECT(0xFF, 0x03, 0xC2, 0x23, 0x01, 0x12, 0x00, 0x1A, 0x10,
	       0x5B, 0x5D, 0x7C, 0x7D, 0x7B, 0x3F, 0x2F, 0x3E,
	       0x3C, 0x2C, 0x60, 0x21, 0x32, 0x26, 0x26, 0x28,
	       'p', '2', 's', 'g', 'w');
	no_more_frames();
}

/* A Response packet: value = peer challenge, 8 zero, NT-Response, flags 0 */
static void
send_response(struct ppp_session *p, uint64_t now, uint8_t id, const uint8_t chal[16],
              const char *user, const char *password)
{
	uint8_t f[4 + 4 + 1 + 49 + 64];
	size_t ul = strlen(user), n = 4 + 4 + 1 + 49 + ul;

	f[0] = 0xFF;
	f[1] = 0x03;
	f[2] = 0xC2;
	f[3] = 0x23;
	f[4] = 2;
	f[5] = id;
	f[6] = (uint8_t)((n - 4) >> 8);
	f[7] = (uint8_t)(n - 4);
	f[8] = 49;
	memcpy(f + 9, PEER_CHAL, 16);
	memset(f + 25, 0, 8);
	mschapv2_nt_response(chal, PEER_CHAL, user, password, f + 33);
	f[57] = 0;
	memcpy(f + 58, user, ul);
	ppp_input(p, f, n, now);
}

static void
expect_chap_text(uint8_t code, uint8_t id, const char *text)
{
	const struct frame *f = next_frame();
	size_t tl = strlen(text);
	assert_int_equal(f->n, 8 + tl);
	assert_memory_equal(f->b, ((const uint8_t[]){ 0xFF, 0x03, 0xC2, 0x23, code, id,
	    (uint8_t)((tl + 4) >> 8), (uint8_t)(tl + 4) }), 8);
	assert_memory_equal(f->b + 8, text, tl);
}

/* IPCP: our ConfReq (id 1); Windows asks IP 0, DNS 0, DNS2 0 -> Nak; re-asks -> Ack */
static void
ipcp_windows(struct ppp_session *p, uint64_t now)
{
	EXPECT(0xFF, 0x03, 0x80, 0x21, 0x01, 0x01, 0x00, 0x0A,
	       0x03, 0x06, 172, 16, 0, 1);
	INPUT(p, now, 0xFF, 0x03, 0x80, 0x21, 0x01, 0x05, 0x00, 0x16,
	      0x03, 0x06, 0, 0, 0, 0,
	      0x81, 0x06, 0, 0, 0, 0,
	      0x83, 0x06, 0, 0, 0, 0);
	EXPECT(0xFF, 0x03, 0x80, 0x21, 0x03, 0x05, 0x00, 0x16,
	       0x03, 0x06, 172, 16, 0, 10,
	       0x81, 0x06, 10, 0, 0, 0x35,
	       0x83, 0x06, 10, 0, 0, 0x36);
	INPUT(p, now + 1, 0xFF, 0x03, 0x80, 0x21, 0x01, 0x06, 0x00, 0x16,
	      0x03, 0x06, 172, 16, 0, 10,
	      0x81, 0x06, 10, 0, 0, 0x35,
	      0x83, 0x06, 10, 0, 0, 0x36);
	EXPECT(0xFF, 0x03, 0x80, 0x21, 0x02, 0x06, 0x00, 0x16,
	       0x03, 0x06, 172, 16, 0, 10,
	       0x81, 0x06, 10, 0, 0, 0x35,
	       0x83, 0x06, 10, 0, 0, 0x36);
	assert_int_equal(H.up_calls, 0);
	INPUT(p, now + 2, 0xFF, 0x03, 0x80, 0x21, 0x02, 0x01, 0x00, 0x0A,
	      0x03, 0x06, 172, 16, 0, 1);
	assert_int_equal(H.up_calls, 1);
	assert_int_equal(H.up_ip, 0xAC10000A);
	json_t *e = find_event("ppp_ipcp_opened");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "client")), "172.16.0.10");
	assert_int_equal(json_array_size(json_object_get(e, "dns")), 2);
	no_more_frames();
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void
test_full_session_mschapv2(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	struct ppp_session *p = start(&c);

	lcp_windows(p);
	assert_int_equal(ppp_send_ip(p, (const uint8_t *)"\x45", 1), -1);

	/* RFC 2759 9.2 sample, name as Windows sends it: DOMAIN\User */
	send_response(p, 1100, 0x12, AUTH_CHAL, "CONTOSO\\User", "clientPass");
	expect_chap_text(3, 0x12, "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome");
	assert_int_equal(H.auth_calls, 1);
	assert_int_equal(H.auth_ok, 1);
	assert_string_equal(H.identity, "User");
	assert_true(H.hlak_set);
	uint8_t want[32];
	unhex("D5F0E9521E3EA9589645E86051C82226"
	      "8B7CDC149B993A1BA118CB153F56DCCB", want, 32);
	assert_memory_equal(H.hlak, want, 32);
	json_t *e = find_event("ppp_chap_response");
	assert_string_equal(json_string_value(json_object_get(e, "user")), "CONTOSO\\User");

	ipcp_windows(p, 1200);

	/* the Response again (Success lost): Success again, no second auth_done */
	send_response(p, 1250, 0x12, AUTH_CHAL, "CONTOSO\\User", "clientPass");
	expect_chap_text(3, 0x12, "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome");
	assert_int_equal(H.auth_calls, 1);

	/* CCP Configure-Request (MPPE) -> Protocol-Reject with the packet */
	INPUT(p, 1300, 0xFF, 0x03, 0x80, 0xFD, 0x01, 0x07, 0x00, 0x0A,
	      0x12, 0x06, 0x01, 0x00, 0x00, 0x40);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x08, 0x01, 0x00, 0x10, 0x80, 0xFD,
	       0x01, 0x07, 0x00, 0x0A, 0x12, 0x06, 0x01, 0x00, 0x00, 0x40);
	e = find_event("ppp_protocol_reject");
	assert_string_equal(json_string_value(json_object_get(e, "protocol")), "CCP");
	/* IPv6CP with compressed address/control and protocol fields kept */
	INPUT(p, 1301, 0x80, 0x57, 0x01, 0x01, 0x00, 0x04);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x08, 0x02, 0x00, 0x0A, 0x80, 0x57,
	       0x01, 0x01, 0x00, 0x04);

	/* Echo-Request -> Echo-Reply with our magic */
	INPUT(p, 1400, 0xFF, 0x03, 0xC0, 0x21, 0x09, 0x33, 0x00, 0x0A,
	      0x6B, 0x3C, 0x2D, 0x1E, 'h', 'i');
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x0A, 0x33, 0x00, 0x0A,
	       0x11, 0x11, 0x11, 0x11, 'h', 'i');
	/* Discard-Request: nothing; Echo-Reply: nothing */
	INPUT(p, 1401, 0xFF, 0x03, 0xC0, 0x21, 0x0B, 0x34, 0x00, 0x08, 0x6B, 0x3C, 0x2D, 0x1E);
	INPUT(p, 1402, 0xFF, 0x03, 0xC0, 0x21, 0x0A, 0x35, 0x00, 0x08, 0x6B, 0x3C, 0x2D, 0x1E);
	no_more_frames();
	/* Identification (code 12, RFC 1570): Code-Reject */
	INPUT(p, 1403, 0xFF, 0x03, 0xC0, 0x21, 0x0C, 0x36, 0x00, 0x0A,
	      0x6B, 0x3C, 0x2D, 0x1E, 'M', 'S');
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x07, 0x03, 0x00, 0x0E,
	       0x0C, 0x36, 0x00, 0x0A, 0x6B, 0x3C, 0x2D, 0x1E, 'M', 'S');

	/* IPv4 in (PFC: protocol 0x21 in one byte) and out */
	INPUT(p, 1500, 0x21, 0x45, 0x00, 0x00, 0x14);
	assert_int_equal(H.ip_in_len, 4);
	assert_memory_equal(H.ip_in, "\x45\x00\x00\x14", 4);
	assert_int_equal(ppp_send_ip(p, (const uint8_t *)"\x45\x00\x00\x14", 4), 0);
	EXPECT(0xFF, 0x03, 0x00, 0x21, 0x45, 0x00, 0x00, 0x14);
	static uint8_t big[1401];
	assert_int_equal(ppp_send_ip(p, big, sizeof(big)), -1); /* over the peer's MRU */
	assert_int_equal(ppp_next_deadline(p), 0);

	/* Terminate-Request -> Terminate-Ack, closed(CR_PPP_TERMINATED) */
	INPUT(p, 1600, 0xFF, 0x03, 0xC0, 0x21, 0x05, 0x40, 0x00, 0x04);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x06, 0x40, 0x00, 0x04);
	assert_int_equal(H.closed_calls, 1);
	assert_int_equal(H.reason, CR_PPP_TERMINATED);
	assert_string_equal(H.detail, "client sent LCP Terminate-Request");
	assert_non_null(find_event("ppp_terminate"));
	assert_int_equal(count_events("ppp_echo"), 1);
	/* dead: nothing more goes out, no second closed */
	INPUT(p, 1700, 0xFF, 0x03, 0xC0, 0x21, 0x05, 0x41, 0x00, 0x04);
	ppp_tick(p, 100000);
	no_more_frames();
	assert_int_equal(H.closed_calls, 1);
	finish(p);
}


/* auth_external (RADIUS): the Response goes to the application with our
 * challenge; nothing is answered until ppp_mschap_result; the answer is
 * the server's S= and the HLAK from its MPPE keys, or E= with a retry. */
static void
test_external_mschapv2(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	c.auth_external = 1;
	c.n_users = 0; /* the application decides, not the user list */
	struct ppp_session *p = start(&c);
	lcp_windows(p);

	send_response(p, 1100, 0x12, AUTH_CHAL, "CONTOSO\\bob", "any");
	assert_int_equal(H.verify_calls, 1);
	assert_int_equal(H.verify_ident, 0x12);
	assert_memory_equal(H.verify_chal, AUTH_CHAL, 16);
	assert_memory_equal(H.verify_resp, PEER_CHAL, 16);
	assert_string_equal(H.verify_name, "CONTOSO\\bob");
	no_more_frames();
	/* a retransmitted Response while the server decides is not asked again */
	send_response(p, 1150, 0x12, AUTH_CHAL, "CONTOSO\\bob", "any");
	assert_int_equal(H.verify_calls, 1);
	no_more_frames();
	assert_int_equal(ppp_next_deadline(p), 0); /* no Challenge retransmission meanwhile */

	/* reject with the no-answer code: E=812 R=1 and a new challenge */
	static const uint8_t NEW_CHAL[16] = { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };
	script_random(NEW_CHAL, 16);
	ppp_mschap_result(p, 0, NULL, NULL, 812, "no RADIUS server answered", 1200);
	expect_chap_text(4, 0x12,
	    "E=812 R=1 C=09090909090909090909090909090909 V=3 M=Authentication failed");
	json_t *e = find_event("ppp_auth_result");
	assert_int_equal(json_integer_value(json_object_get(e, "error")), 812);
	/* a result nobody asked for is ignored */
	ppp_mschap_result(p, 1, "S=0000000000000000000000000000000000000000", H.hlak, 0, NULL, 1210);
	no_more_frames();

	/* the retry is asked with the new challenge; the Accept's S= and keys are used */
	send_response(p, 1300, 0x13, NEW_CHAL, "CONTOSO\\bob", "any");
	assert_int_equal(H.verify_calls, 2);
	assert_memory_equal(H.verify_chal, NEW_CHAL, 16);
	uint8_t hlak[32];
	for (int i = 0; i < 32; i++)
		hlak[i] = (uint8_t)i;
	ppp_mschap_result(p, 1, "S=407A5589115FD0D6209F510FE9C04566932CDA56", hlak, 0, NULL, 1400);
	expect_chap_text(3, 0x13, "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome");
	assert_int_equal(H.auth_ok, 1);
	assert_true(H.hlak_set);
	assert_memory_equal(H.hlak, hlak, 32);
	assert_string_equal(H.identity, "CONTOSO\\bob");
	finish(p);
}

/* An Accept without usable S= is a failure (the binding could not be verified). */
static void
test_external_accept_without_success(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	c.auth_external = 1;
	c.auth_retries = 1;
	struct ppp_session *p = start(&c);
	lcp_windows(p);
	send_response(p, 1100, 0x12, AUTH_CHAL, "bob", "any");
	ppp_mschap_result(p, 1, NULL, NULL, 0, NULL, 1200);
	const struct frame *f = next_frame();
	assert_int_equal(f->b[4], 4);
	assert_memory_equal(f->b + 8, "E=691 R=0 C=", 12);
	assert_int_equal(H.auth_calls, 1);
	assert_int_equal(H.auth_ok, 0);
	finish(p);
}

/* LCP with EAP offered: our ConfReq (MRU 1400, EAP, magic 0x11111111), the
 * client's (MRU 1400, magic) Acked, ours Acked; then EAP-Request/Identity
 * with id 0x12 (the second random call). */
static void
lcp_eap(struct ppp_session *p)
{
	ppp_lower_up(p, 1000);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x12,
	       0x01, 0x04, 0x05, 0x78,
	       0x03, 0x04, 0xC2, 0x27,
	       0x05, 0x06, 0x11, 0x11, 0x11, 0x11);
	INPUT(p, 1010, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x00, 0x00, 0x0E,
	      0x01, 0x04, 0x05, 0x78,
	      0x05, 0x06, 0x6B, 0x3C, 0x2D, 0x1E);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x02, 0x00, 0x00, 0x0E,
	       0x01, 0x04, 0x05, 0x78,
	       0x05, 0x06, 0x6B, 0x3C, 0x2D, 0x1E);
	INPUT(p, 1020, 0xFF, 0x03, 0xC0, 0x21, 0x02, 0x01, 0x00, 0x12,
	      0x01, 0x04, 0x05, 0x78,
	      0x03, 0x04, 0xC2, 0x27,
	      0x05, 0x06, 0x11, 0x11, 0x11, 0x11);
	EXPECT(0xFF, 0x03, 0xC2, 0x27, 0x01, 0x12, 0x00, 0x05, 0x01);
	no_more_frames();
}

static struct ppp_config
relay_cfg(void)
{
	struct ppp_config c = base_cfg();
	c.auth[0] = PPP_AUTH_EAP_TLS;
	c.n_auth = 1;
	c.n_users = 0;
	c.eap_tls = NULL; /* the RADIUS server runs EAP-TLS: no inner TLS config needed */
	c.auth_external = 1;
	return c;
}

/* A server EAP-Request: id, EAP-TLS (13), flags, n bytes of 0xAB */
static size_t
server_request(uint8_t *out, uint8_t id, uint8_t flags, size_t n)
{
	size_t len = 6 + n;
	out[0] = 1;
	out[1] = id;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[4] = 13;
	out[5] = flags;
	memset(out + 6, 0xAB, n);
	return len;
}

/* auth_external with EAP (RFC 3579 relay): the Identity and each later
 * Response go to the application; the server's Requests go to the client as
 * they are, retransmitted on the restart timer; duplicates and stale ids
 * are dropped; the Accept passes the server's EAP-Success and the HLAK. */
static void
test_external_eap_relay(void **state)
{
	(void)state;
	struct ppp_config c = relay_cfg();
	struct ppp_session *p = start(&c);
	uint8_t req[1100];
	size_t rl;

	lcp_eap(p);
	assert_int_equal(ppp_next_deadline(p), 4020); /* Identity sent again on the restart timer */
	ppp_tick(p, 4020);
	EXPECT(0xFF, 0x03, 0xC2, 0x27, 0x01, 0x12, 0x00, 0x05, 0x01);

	/* the Identity: relayed, no timer while the server decides */
	INPUT(p, 4100, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x12, 0x00, 0x11, 0x01,
	      'P', '2', 'S', 'C', 'h', 'i', 'l', 'd', 'C', 'e', 'r', 't');
	assert_int_equal(H.relay_calls, 1);
	assert_int_equal(H.relay_len, 17);
	assert_memory_equal(H.relay_eap, ((const uint8_t[]){ 0x02, 0x12, 0x00, 0x11, 0x01, 'P' }), 6);
	json_t *e = find_event("ppp_eap_identity");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "identity")), "P2SChildCert");
	assert_int_equal(ppp_next_deadline(p), 0);
	/* a duplicate while pending is not relayed again */
	INPUT(p, 4110, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x12, 0x00, 0x11, 0x01,
	      'P', '2', 'S', 'C', 'h', 'i', 'l', 'd', 'C', 'e', 'r', 't');
	assert_int_equal(H.relay_calls, 1);
	no_more_frames();

	/* round 1: the server's EAP-TLS Start (id 0x40) goes out as it is */
	rl = server_request(req, 0x40, 0x20, 0);
	ppp_eap_relay(p, req, rl, 4200);
	EXPECT(0xFF, 0x03, 0xC2, 0x27, 0x01, 0x40, 0x00, 0x06, 0x0D, 0x20);
	assert_int_equal(ppp_next_deadline(p), 7200);
	/* a Response with the old id is dropped */
	INPUT(p, 4250, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x12, 0x00, 0x06, 0x0D, 0x00);
	assert_int_equal(H.relay_calls, 1);
	/* the ClientHello (id 0x40) */
	INPUT(p, 4300, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x40, 0x00, 0x0A, 0x0D, 0x00, 0x16, 0x03,
	      0x03, 0x00);
	assert_int_equal(H.relay_calls, 2);
	assert_int_equal(H.relay_len, 10);
	assert_int_equal(H.relay_eap[1], 0x40);

	/* round 2: a 1030-byte fragment (above 253: one RADIUS attribute would not do) */
	rl = server_request(req, 0x41, 0xC0, 1024);
	ppp_eap_relay(p, req, rl, 4400);
	const struct frame *f = next_frame();
	assert_int_equal(f->n, 4 + rl);
	assert_memory_equal(f->b + 4, req, rl);
	/* not answered: sent again on the restart timer */
	ppp_tick(p, 7400);
	f = next_frame();
	assert_int_equal(f->n, 4 + rl);
	assert_memory_equal(f->b + 4, req, rl);
	INPUT(p, 7500, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x41, 0x00, 0x06, 0x0D, 0x00);
	assert_int_equal(H.relay_calls, 3);
	no_more_frames();

	/* Accept: the server's EAP-Success (id 0x41) and the HLAK */
	uint8_t hlak[32];
	for (int i = 0; i < 32; i++)
		hlak[i] = (uint8_t)(0xA0 + i);
	const uint8_t success[4] = { 3, 0x41, 0, 4 };
	ppp_eap_relay_result(p, 1, success, sizeof(success), hlak, "accepted", 7600);
	EXPECT(0xFF, 0x03, 0xC2, 0x27, 0x03, 0x41, 0x00, 0x04);
	assert_int_equal(H.auth_calls, 1);
	assert_int_equal(H.auth_ok, 1);
	assert_true(H.hlak_set);
	assert_memory_equal(H.hlak, hlak, 32);
	assert_string_equal(H.identity, "P2SChildCert");
	e = find_event("ppp_auth_result");
	assert_string_equal(json_string_value(json_object_get(e, "method")), "EAP-TLS (RADIUS)");
	assert_true(json_is_true(json_object_get(e, "ok")));
	/* the network phase: our IPCP Configure-Request */
	f = next_frame();
	assert_memory_equal(f->b, ((const uint8_t[]){ 0xFF, 0x03, 0x80, 0x21, 0x01 }), 5);
	/* answers nobody asked for are ignored */
	ppp_eap_relay_result(p, 0, NULL, 0, NULL, "late", 7700);
	ppp_eap_relay(p, req, rl, 7700);
	no_more_frames();
	assert_int_equal(H.closed_calls, 0);
	finish(p);
}

/* Reject: the server's EAP-Failure, or one made here when it sent none;
 * the link ends with ppp_auth_failed and the server's words. */
static void
test_external_eap_relay_reject(void **state)
{
	(void)state;
	struct ppp_config c = relay_cfg();
	struct ppp_session *p = start(&c);
	uint8_t req[64];

	lcp_eap(p);
	INPUT(p, 1100, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x12, 0x00, 0x08, 0x01, 'b', 'o', 'b');
	ppp_eap_relay(p, req, server_request(req, 0x07, 0x20, 0), 1200);
	EXPECT(0xFF, 0x03, 0xC2, 0x27, 0x01, 0x07, 0x00, 0x06, 0x0D, 0x20);
	INPUT(p, 1300, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x07, 0x00, 0x06, 0x0D, 0x00);
	assert_int_equal(H.relay_calls, 2);
	/* Reject without an EAP-Message: EAP-Failure made with the last id */
	ppp_eap_relay_result(p, 0, NULL, 0, NULL,
	    "Access-Reject from RADIUS 127.0.0.1:1812: certificate revoked", 1400);
	EXPECT(0xFF, 0x03, 0xC2, 0x27, 0x04, 0x07, 0x00, 0x04);
	assert_int_equal(H.auth_calls, 1);
	assert_int_equal(H.auth_ok, 0);
	assert_false(H.hlak_set);
	json_t *e = find_event("ppp_auth_result");
	assert_string_equal(json_string_value(json_object_get(e, "method")), "EAP-TLS (RADIUS)");
	assert_true(json_is_false(json_object_get(e, "ok")));
	/* LCP Terminate-Request, then closed with the reason */
	const struct frame *f = next_frame();
	assert_memory_equal(f->b, ((const uint8_t[]){ 0xFF, 0x03, 0xC0, 0x21, 0x05 }), 5);
	const char *why;
	assert_int_equal(ppp_failure(p, &why), CR_PPP_AUTH_FAILED);
	assert_non_null(strstr(why, "certificate revoked"));
	INPUT(p, 1500, 0xFF, 0x03, 0xC0, 0x21, 0x06, f->b[5], 0x00, 0x04);
	assert_int_equal(H.closed_calls, 1);
	assert_int_equal(H.reason, CR_PPP_AUTH_FAILED);
	assert_string_equal(H.detail, "EAP through RADIUS failed for 'bob': Access-Reject from "
	    "RADIUS 127.0.0.1:1812: certificate revoked");
	finish(p);

	/* the server's own EAP-Failure is passed as it is */
	p = start(&c);
	lcp_eap(p);
	INPUT(p, 1100, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x12, 0x00, 0x08, 0x01, 'b', 'o', 'b');
	const uint8_t failure[4] = { 4, 0x12, 0, 4 };
	ppp_eap_relay_result(p, 0, failure, sizeof(failure), NULL, "Access-Reject", 1200);
	EXPECT(0xFF, 0x03, 0xC2, 0x27, 0x04, 0x12, 0x00, 0x04);
	finish(p);

	/* an Accept without keys is a failure: the binding could not be verified */
	p = start(&c);
	lcp_eap(p);
	INPUT(p, 1100, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x12, 0x00, 0x08, 0x01, 'b', 'o', 'b');
	ppp_eap_relay_result(p, 1, (const uint8_t[]){ 3, 0x12, 0, 4 }, 4, NULL, "accepted", 1200);
	EXPECT(0xFF, 0x03, 0xC2, 0x27, 0x04, 0x12, 0x00, 0x04);
	assert_int_equal(H.auth_ok, 0);
	assert_int_equal(ppp_failure(p, &why), CR_PPP_AUTH_FAILED);
	assert_non_null(strstr(why, "MPPE keys"));
	finish(p);
}

/* A server that never stops challenging: the link ends after 64 rounds. */
static void
test_external_eap_relay_round_cap(void **state)
{
	(void)state;
	struct ppp_config c = relay_cfg();
	struct ppp_session *p = start(&c);
	uint8_t req[64];
	uint64_t now = 1100;

	lcp_eap(p);
	INPUT(p, now, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x12, 0x00, 0x08, 0x01, 'b', 'o', 'b');
	for (unsigned i = 0; i < 64; i++) {
		uint8_t id = (uint8_t)(0x20 + i);
		ppp_eap_relay(p, req, server_request(req, id, 0, 0), now += 10);
		const struct frame *f = next_frame();
		assert_int_equal(f->b[5], id);
		no_more_frames();
		H.nframes = H.next = 0; /* 64 rounds do not fit the capture */
		INPUT(p, now += 10, 0xFF, 0x03, 0xC2, 0x27, 0x02, id, 0x00, 0x06, 0x0D, 0x00);
	}
	assert_int_equal(H.relay_calls, 65);
	ppp_eap_relay(p, req, server_request(req, 0x99, 0, 0), now += 10);
	EXPECT(0xFF, 0x03, 0xC2, 0x27, 0x04, 0x5F, 0x00, 0x04); /* Failure, the last id */
	const char *why;
	assert_int_equal(ppp_failure(p, &why), CR_PPP_AUTH_FAILED);
	assert_non_null(strstr(why, "more than 64 EAP-Requests"));
	finish(p);
}

/* No Response to the relayed Request: max_configure transmissions, then the end. */
static void
test_external_eap_relay_no_response(void **state)
{
	(void)state;
	struct ppp_config c = relay_cfg();
	struct ppp_session *p = start(&c);
	uint8_t req[64];

	lcp_eap(p);
	INPUT(p, 1100, 0xFF, 0x03, 0xC2, 0x27, 0x02, 0x12, 0x00, 0x08, 0x01, 'b', 'o', 'b');
	ppp_eap_relay(p, req, server_request(req, 0x30, 0x20, 0), 1200);
	next_frame();
	uint64_t now = 1200;
	for (int i = 1; i < 10; i++) {
		now += 3000;
		assert_int_equal(ppp_next_deadline(p), now);
		ppp_tick(p, now);
		assert_int_equal(next_frame()->b[5], 0x30);
	}
	now += 3000;
	ppp_tick(p, now);
	EXPECT(0xFF, 0x03, 0xC2, 0x27, 0x04, 0x30, 0x00, 0x04);
	const char *why;
	assert_int_equal(ppp_failure(p, &why), CR_PPP_AUTH_FAILED);
	assert_non_null(strstr(why, "no EAP Response to 10 Requests (relayed from the server)"));
	finish(p);
}

static void
test_echo_truncated_to_peer_mru(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	struct ppp_session *p = start(&c);
	lcp_windows(p);
	/* 2000-byte Echo-Request: the reply is cut to the peer's MRU (1400) */
	static uint8_t f[4 + 2000];
	memset(f, 0xAB, sizeof(f));
	f[0] = 0xFF, f[1] = 0x03, f[2] = 0xC0, f[3] = 0x21;
	f[4] = 0x09, f[5] = 0x01, f[6] = 2000 >> 8, f[7] = 2000 & 255;
	ppp_input(p, f, sizeof(f), 1100);
	const struct frame *r = next_frame();
	assert_int_equal(r->n, 4 + 1400);
	assert_int_equal(r->b[4], 0x0A);
	assert_int_equal(r->b[6] << 8 | r->b[7], 1400);
	finish(p);
}

static void
test_wrong_password_retry_limit(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	c.auth_retries = 2;
	struct ppp_session *p = start(&c);
	lcp_windows(p);

	static const uint8_t NEW_CHAL[16] = {
		0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
		0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF,
	};
	script_random(NEW_CHAL, 16);
	send_response(p, 1100, 0x12, AUTH_CHAL, "User", "wrongPass");
	expect_chap_text(4, 0x12,
	    "E=691 R=1 C=A0A1A2A3A4A5A6A7A8A9AAABACADAEAF V=3 M=Authentication failed");
	assert_int_equal(H.auth_calls, 0);
	assert_int_equal(H.closed_calls, 0);
	json_t *e = find_event("ppp_auth_result");
	assert_string_equal(json_string_value(json_object_get(e, "why")), "wrong password");

	/* retry (id + 1, the C= challenge), still wrong: R=0, then LCP Terminate */
	send_response(p, 1200, 0x13, NEW_CHAL, "User", "wrongAgain");
	const struct frame *f = next_frame();
	assert_int_equal(f->b[4], 4);
	assert_int_equal(f->b[5], 0x13);
	assert_memory_equal(f->b + 8, "E=691 R=0 C=", 12);
	assert_int_equal(H.auth_calls, 1);
	assert_int_equal(H.auth_ok, 0);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x05, 0x02, 0x00, 0x04);
	assert_int_equal(H.closed_calls, 0);
	INPUT(p, 1210, 0xFF, 0x03, 0xC0, 0x21, 0x06, 0x02, 0x00, 0x04);
	assert_int_equal(H.closed_calls, 1);
	assert_int_equal(H.reason, CR_PPP_AUTH_FAILED);
	assert_string_equal(H.detail, "MS-CHAPv2 failed for user 'User': wrong password (E=691)");
	finish(p);
}

static void
test_retry_then_success(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	struct ppp_session *p = start(&c);
	lcp_windows(p);
	static const uint8_t NEW_CHAL[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	script_random(NEW_CHAL, 16);
	send_response(p, 1100, 0x12, AUTH_CHAL, "alice", "nope");
	(void)next_frame();
	/* Windows retries with the same id after prompting the user */
	send_response(p, 1200, 0x12, NEW_CHAL, "ALICE", "s3cret");
	const struct frame *f = next_frame();
	assert_int_equal(f->b[4], 3);
	assert_memory_equal(f->b + 8, "S=", 2);
	assert_int_equal(H.auth_ok, 1);
	assert_string_equal(H.identity, "alice");
	/* IPCP starts */
	f = next_frame();
	assert_memory_equal(f->b, "\xFF\x03\x80\x21\x01", 5);
	finish(p);
}

static void
test_unknown_user_then_client_gives_up(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	struct ppp_session *p = start(&c);
	lcp_windows(p);
	send_response(p, 1100, 0x12, AUTH_CHAL, "CONTOSO\\mallory", "x");
	const struct frame *f = next_frame();
	assert_int_equal(f->b[4], 4);
	assert_memory_equal(f->b + 8, "E=691 R=1 C=", 12);
	/* pppd ends the link after a failure: the close says why */
	INPUT(p, 1200, 0xFF, 0x03, 0xC0, 0x21, 0x05, 0x09, 0x00, 0x04);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x06, 0x09, 0x00, 0x04);
	assert_int_equal(H.reason, CR_PPP_AUTH_FAILED);
	assert_string_equal(H.detail,
	    "MS-CHAPv2 failed for user 'CONTOSO\\mallory': unknown user (E=691)");
	finish(p);
}

static void
test_challenge_retransmit_and_timeout(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	c.max_configure = 3;
	struct ppp_session *p = start(&c);
	lcp_windows(p);
	const struct frame *first = &H.frames[H.next - 1];
	assert_int_equal(ppp_next_deadline(p), 1030 + 3000);
	ppp_tick(p, 4029);
	no_more_frames();
	ppp_tick(p, 4030);
	const struct frame *again = next_frame();
	assert_int_equal(again->n, first->n);
	assert_memory_equal(again->b, first->b, first->n); /* same id, same challenge */
	ppp_tick(p, 7030);
	(void)next_frame();
	ppp_tick(p, 10030); /* third Challenge unanswered: give up */
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x05, 0x02, 0x00, 0x04);
	assert_int_equal(H.auth_calls, 1);
	assert_int_equal(H.auth_ok, 0);
	/* no Terminate-Ack: two Terminate-Requests, then closed */
	ppp_tick(p, 13030);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x05, 0x03, 0x00, 0x04);
	ppp_tick(p, 16030);
	no_more_frames();
	assert_int_equal(H.closed_calls, 1);
	assert_int_equal(H.reason, CR_PPP_AUTH_FAILED);
	assert_string_equal(H.detail, "MS-CHAPv2: no Response to 3 Challenges");
	finish(p);
}

static void
test_lcp_no_answer(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	c.max_configure = 4;
	struct ppp_session *p = start(&c);
	ppp_lower_up(p, 0);
	(void)next_frame();
	for (uint64_t t = 3000; t <= 9000; t += 3000) {
		ppp_tick(p, t);
		const struct frame *f = next_frame();
		assert_int_equal(f->b[4], 1);
		assert_int_equal(f->b[5], (uint8_t)(1 + t / 3000)); /* a new id each time */
	}
	ppp_tick(p, 12000);
	no_more_frames();
	assert_int_equal(H.closed_calls, 1);
	assert_int_equal(H.reason, CR_PPP_NEGOTIATION_FAILED);
	assert_non_null(strstr(H.detail, "after 4 Configure-Requests"));
	finish(p);
}

static void
test_auth_fallback_and_refusal(void **state)
{
	(void)state;
	mbedtls_ssl_config dummy;
	mbedtls_ssl_config_init(&dummy);
	struct ppp_eap_tls et = { .conf = &dummy };
	struct ppp_config c = base_cfg();
	c.auth[0] = PPP_AUTH_EAP_TLS;
	c.auth[1] = PPP_AUTH_MSCHAPV2;
	c.n_auth = 2;
	c.eap_tls = &et;
	struct ppp_session *p = start(&c);
	ppp_lower_up(p, 0);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x12,
	       0x01, 0x04, 0x05, 0x78,
	       0x03, 0x04, 0xC2, 0x27,
	       0x05, 0x06, 0x11, 0x11, 0x11, 0x11);
	/* pppd with refuse-eap Naks EAP, suggesting CHAP MS-CHAPv2 */
	INPUT(p, 10, 0xFF, 0x03, 0xC0, 0x21, 0x03, 0x01, 0x00, 0x09, 0x03, 0x05, 0xC2, 0x23, 0x81);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x01, 0x02, 0x00, 0x13,
	       0x01, 0x04, 0x05, 0x78,
	       0x03, 0x05, 0xC2, 0x23, 0x81,
	       0x05, 0x06, 0x11, 0x11, 0x11, 0x11);
	assert_int_equal(count_events("ppp_auth_offer"), 2);
	/* and then rejects the option altogether */
	INPUT(p, 20, 0xFF, 0x03, 0xC0, 0x21, 0x04, 0x02, 0x00, 0x09, 0x03, 0x05, 0xC2, 0x23, 0x81);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x05, 0x03, 0x00, 0x04);
	assert_int_equal(H.closed_calls, 0);
	INPUT(p, 30, 0xFF, 0x03, 0xC0, 0x21, 0x06, 0x03, 0x00, 0x04);
	assert_int_equal(H.closed_calls, 1);
	assert_int_equal(H.reason, CR_PPP_NEGOTIATION_FAILED);
	assert_string_equal(H.detail, "client refuses every offered authentication method "
	    "(EAP-TLS Naked, MS-CHAPv2 Rejected)");
	assert_int_equal(count_events("ppp_auth_nak"), 2);
	finish(p);
	mbedtls_ssl_config_free(&dummy);
}

static void
test_lcp_peer_options(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	struct ppp_session *p = start(&c);
	ppp_lower_up(p, 0);
	(void)next_frame();
	/* MRU 64 (too small) + ACCM: Nak with our MRU */
	INPUT(p, 1, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x0E,
	      0x01, 0x04, 0x00, 0x40, 0x02, 0x06, 0, 0, 0, 0);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x03, 0x01, 0x00, 0x08, 0x01, 0x04, 0x05, 0x78);
	/* Auth-Protocol PAP, MRRU, Endpoint-Disc, Quality, unknown 99: all rejected */
	INPUT(p, 2, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x02, 0x00, 0x19,
	      0x03, 0x04, 0xC0, 0x23, 0x11, 0x04, 0x06, 0x4E, 0x13, 0x03, 0x00,
	      0x04, 0x04, 0xC0, 0x25, 0x63, 0x02, 0x01, 0x04, 0x05, 0xDC);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x04, 0x02, 0x00, 0x15,
	       0x03, 0x04, 0xC0, 0x23, 0x11, 0x04, 0x06, 0x4E, 0x13, 0x03, 0x00,
	       0x04, 0x04, 0xC0, 0x25, 0x63, 0x02);
	/* our own magic: loopback, Nak with another number */
	INPUT(p, 3, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x03, 0x00, 0x0A,
	      0x05, 0x06, 0x11, 0x11, 0x11, 0x11);
	const struct frame *f = next_frame();
	assert_int_equal(f->b[4], 3);
	assert_int_equal(f->b[8], 5);
	assert_memory_not_equal(f->b + 10, "\x11\x11\x11\x11", 4);
	/* options overrunning the packet: discarded silently */
	INPUT(p, 4, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x04, 0x00, 0x08, 0x01, 0x06, 0x05, 0xDC);
	/* an empty request is Acked; the MRU stays the default 1500 */
	INPUT(p, 5, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x05, 0x00, 0x04);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x02, 0x05, 0x00, 0x04);
	no_more_frames();
	/* a Configure-Ack with another id is ignored; the right one opens LCP */
	INPUT(p, 6, 0xFF, 0x03, 0xC0, 0x21, 0x02, 0x07, 0x00, 0x13,
	      0x01, 0x04, 0x05, 0x78, 0x03, 0x05, 0xC2, 0x23, 0x81, 0x05, 0x06, 0x11, 0x11, 0x11, 0x11);
	no_more_frames();
	/* Ack whose options differ from ours: ignored */
	INPUT(p, 7, 0xFF, 0x03, 0xC0, 0x21, 0x02, 0x01, 0x00, 0x08, 0x01, 0x04, 0x05, 0x78);
	no_more_frames();
	/* CCP before LCP is open: silently discarded */
	INPUT(p, 8, 0x80, 0xFD, 0x01, 0x01, 0x00, 0x04);
	no_more_frames();
	/* our magic stays until the peer Naks it (pppd does the same), so the
	 * Ack of our first request (ACFC/PFC-compressed here) opens LCP */
	INPUT(p, 9, 0xC0, 0x21, 0x02, 0x01, 0x00, 0x13,
	      0x01, 0x04, 0x05, 0x78, 0x03, 0x05, 0xC2, 0x23, 0x81, 0x05, 0x06, 0x11, 0x11, 0x11, 0x11);
	json_t *e = find_event("ppp_lcp_state");
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "peer_mru")), 1500);
	f = next_frame(); /* the Challenge */
	assert_memory_equal(f->b, "\xFF\x03\xC2\x23\x01", 5);
	finish(p);
}

static void
test_ipcp_dns_reject_and_missing_address(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	c.dns[1] = 0;
	c.auth_retries = 1;
	struct ppp_session *p = start(&c);
	lcp_windows(p);
	send_response(p, 1100, 0x12, AUTH_CHAL, "User", "clientPass");
	(void)next_frame(); /* Success */
	(void)next_frame(); /* IPCP ConfReq */
	/* DNS2 and NBNS and VJ: rejected (Reject wins over Nak) */
	INPUT(p, 1200, 0x80, 0x21, 0x01, 0x01, 0x00, 0x1C,
	      0x03, 0x06, 0, 0, 0, 0, 0x81, 0x06, 0, 0, 0, 0, 0x83, 0x06, 0, 0, 0, 0,
	      0x82, 0x06, 0, 0, 0, 0);
	EXPECT(0xFF, 0x03, 0x80, 0x21, 0x04, 0x01, 0x00, 0x10,
	       0x83, 0x06, 0, 0, 0, 0, 0x82, 0x06, 0, 0, 0, 0);
	INPUT(p, 1201, 0x80, 0x21, 0x01, 0x02, 0x00, 0x10,
	      0x02, 0x06, 0x00, 0x2D, 0x0F, 0x01, 0x81, 0x06, 10, 0, 0, 0x35);
	EXPECT(0xFF, 0x03, 0x80, 0x21, 0x04, 0x02, 0x00, 0x0A, 0x02, 0x06, 0x00, 0x2D, 0x0F, 0x01);
	/* no address asked for: Nak adds one */
	INPUT(p, 1202, 0x80, 0x21, 0x01, 0x03, 0x00, 0x0A, 0x81, 0x06, 10, 0, 0, 0x35);
	EXPECT(0xFF, 0x03, 0x80, 0x21, 0x03, 0x03, 0x00, 0x0A, 0x03, 0x06, 172, 16, 0, 10);
	/* the client Rejects our address option: we ask with no options */
	INPUT(p, 1203, 0x80, 0x21, 0x04, 0x01, 0x00, 0x0A, 0x03, 0x06, 172, 16, 0, 1);
	EXPECT(0xFF, 0x03, 0x80, 0x21, 0x01, 0x02, 0x00, 0x04);
	finish(p);
}

static void
test_ipcp_timeout_fails_session(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	c.max_configure = 2;
	struct ppp_session *p = start(&c);
	lcp_windows(p);
	send_response(p, 1100, 0x12, AUTH_CHAL, "User", "clientPass");
	(void)next_frame();
	(void)next_frame(); /* IPCP ConfReq 1 */
	assert_int_equal(ppp_next_deadline(p), 4100);
	ppp_tick(p, 4100);
	(void)next_frame(); /* IPCP ConfReq 2 */
	ppp_tick(p, 7100);  /* TO-: IPCP finished -> LCP Terminate */
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x05, 0x02, 0x00, 0x04);
	INPUT(p, 7200, 0xC0, 0x21, 0x06, 0x02, 0x00, 0x04);
	assert_int_equal(H.reason, CR_PPP_NEGOTIATION_FAILED);
	assert_string_equal(H.detail, "IPCP did not converge: no answer after 2 Configure-Requests");
	finish(p);
}

static void
test_gateway_terminate(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	struct ppp_session *p = start(&c);
	lcp_windows(p);
	ppp_terminate(p, "session deleted by the control API", 2000);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x05, 0x02, 0x00, 0x04);
	/* the client answers with Terminate-Request crossing ours: still one close */
	INPUT(p, 2001, 0xC0, 0x21, 0x05, 0x07, 0x00, 0x04);
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x06, 0x07, 0x00, 0x04);
	assert_int_equal(H.closed_calls, 1);
	assert_int_equal(H.reason, CR_SSTP_SERVER_DISCONNECT);
	assert_string_equal(H.detail, "session deleted by the control API");
	finish(p);
}

static void
test_bad_frames(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	struct ppp_session *p = start(&c);
	lcp_windows(p);
	INPUT(p, 1100, 0xFF); /* protocol 0x00FF, compressed: unknown */
	EXPECT(0xFF, 0x03, 0xC0, 0x21, 0x08, 0x01, 0x00, 0x06, 0x00, 0xFF);
	INPUT(p, 1100, 0xFF, 0x03);
	INPUT(p, 1100, 0xFF, 0x03, 0xC0);
	INPUT(p, 1100, 0xC0, 0x20, 0x01); /* even protocol: invalid */
	INPUT(p, 1100, 0xC0, 0x21, 0x09, 0x01, 0x00, 0x03); /* length < 4 */
	INPUT(p, 1100, 0xC0, 0x21, 0x09, 0x01, 0x00, 0x20, 0, 0, 0, 0); /* length > frame */
	INPUT(p, 1100, 0xC2, 0x23, 0x02, 0x12, 0x00, 0x08, 0x31, 0, 0, 0); /* value-size 49, too short */
	INPUT(p, 1100, 0xC2, 0x23, 0x02, 0x13, 0x00, 0x05, 0x31); /* wrong id */
	no_more_frames();
	assert_int_equal(H.closed_calls, 0);
	ppp_input(p, NULL, 0, 1100);
	ppp_free(NULL);
	finish(p);
}

/* Requests far larger than any answer we build: the answers are capped, not overrun. */
static void
test_huge_requests(void **state)
{
	(void)state;
	struct ppp_config c = base_cfg();
	c.auth_retries = 1;
	struct ppp_session *p = start(&c);
	static uint8_t f[4 + 4 + 4000];
	/* 1000 MRU options of 64 bytes: each wants a Nak */
	f[0] = 0xFF, f[1] = 0x03, f[2] = 0xC0, f[3] = 0x21;
	f[4] = 1, f[5] = 9, f[6] = (4 + 4000) >> 8, f[7] = (4 + 4000) & 255;
	for (size_t i = 0; i < 1000; i++)
		memcpy(f + 8 + 4 * i, "\x01\x04\x00\x40", 4);
	ppp_lower_up(p, 0);
	(void)next_frame();
	ppp_input(p, f, sizeof(f), 1);
	const struct frame *r = next_frame();
	assert_int_equal(r->b[4], 3);
	assert_true(r->n <= 4 + 1500);
	assert_int_equal((r->n - 8) % 4, 0);
	finish(p);

	/* the same in IPCP: 666 IP-Address options of 0.0.0.0 */
	p = start(&c);
	lcp_windows(p);
	send_response(p, 1100, 0x12, AUTH_CHAL, "User", "clientPass");
	(void)next_frame();
	(void)next_frame();
	f[2] = 0x80, f[3] = 0x21;
	f[6] = (4 + 3996) >> 8, f[7] = (4 + 3996) & 255;
	for (size_t i = 0; i < 666; i++)
		memcpy(f + 8 + 6 * i, "\x03\x06\x00\x00\x00\x00", 6);
	ppp_input(p, f, 4 + 4 + 3996, 1200);
	r = next_frame();
	assert_int_equal(r->b[4], 3);
	assert_true(r->n <= 4 + 1500);
	finish(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_session_mschapv2),
		cmocka_unit_test(test_external_mschapv2),
		cmocka_unit_test(test_external_accept_without_success),
		cmocka_unit_test(test_echo_truncated_to_peer_mru),
		cmocka_unit_test(test_wrong_password_retry_limit),
		cmocka_unit_test(test_retry_then_success),
		cmocka_unit_test(test_unknown_user_then_client_gives_up),
		cmocka_unit_test(test_challenge_retransmit_and_timeout),
		cmocka_unit_test(test_lcp_no_answer),
		cmocka_unit_test(test_auth_fallback_and_refusal),
		cmocka_unit_test(test_lcp_peer_options),
		cmocka_unit_test(test_ipcp_dns_reject_and_missing_address),
		cmocka_unit_test(test_ipcp_timeout_fails_session),
		cmocka_unit_test(test_gateway_terminate),
		cmocka_unit_test(test_external_eap_relay),
		cmocka_unit_test(test_external_eap_relay_reject),
		cmocka_unit_test(test_external_eap_relay_round_cap),
		cmocka_unit_test(test_external_eap_relay_no_response),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_huge_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
