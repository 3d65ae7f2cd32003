/*
 * RADIUS core (radius/radius.h): the codec with known answers (RFC 2865 7.1
 * Access-Accept; a Message-Authenticator and an RFC 2548 MPPE key checked
 * with openssl, commands below), every reply rejection reason, EAP split and
 * join, and the client driven with a fake clock: identifiers, the RFC 5080
 * schedule, failover, dead time, dropped replies, cancel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <mbedtls/md.h>
#include <stdio.h>
#include <string.h>

#include "radius/radius.h"

static size_t
unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*h) {
		unsigned v;

		if (*h == ' ' || *h == '\n') {
			h++;
			continue;
		}
		assert_int_equal(sscanf(h, "%2x", &v), 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static const uint8_t auth0f[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
#define SECRET    ((const uint8_t *)"testing123")
#define SECRET_N  10
#define SECRET2   ((const uint8_t *)"other-secret")
#define SECRET2_N 12

/* Response Authenticator recomputed in place (for hand-made bad replies) */
static void
fix_ra(uint8_t *buf, size_t len, const uint8_t *req_auth, const uint8_t *secret, size_t slen)
{
	mbedtls_md_context_t c;
	uint8_t              out[16];

	memcpy(buf + 4, req_auth, 16);
	mbedtls_md_init(&c);
	assert_int_equal(mbedtls_md_setup(&c, mbedtls_md_info_from_type(MBEDTLS_MD_MD5), 0), 0);
	mbedtls_md_starts(&c);
	mbedtls_md_update(&c, buf, len);
	mbedtls_md_update(&c, secret, slen);
	mbedtls_md_finish(&c, out);
	mbedtls_md_free(&c);
	memcpy(buf + 4, out, 16);
}

/* ---- codec ---- */

/* RFC 2865 7.1: the Access-Accept to the request with authenticator
 * 0f403f94..., secret "xyzzy5461". It has no Message-Authenticator, so it
 * is refused, but only after its Response Authenticator checked out. */
static void
rfc2865_accept(void **state)
{
	uint8_t             ra[16], acc[64];
	size_t              n;
	struct radius_reply r;
	const char         *why;

	(void)state;
	unhex("0f403f9473978057bd83d5cb98f4227a", ra, sizeof(ra));
	n = unhex("02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2 06 06 00 00 00 01"
	          "0f 06 00 00 00 00 0e 06 c0 a8 01 03", acc, sizeof(acc));
	assert_int_equal(n, 38);
	assert_int_equal(radius_reply_check(&r, acc, n, 0, ra, (const uint8_t *)"xyzzy5461", 9, &why), -1);
	assert_string_equal(why, "no Message-Authenticator (BlastRADIUS: refused)");
	assert_int_equal(radius_reply_check(&r, acc, n, 0, ra, (const uint8_t *)"xyzzy5462", 9, &why), -1);
	assert_string_equal(why, "bad Response Authenticator (wrong shared secret?)");
}

/* Message-Authenticator of a request, cross-checked with openssl:
 *   echo 012a0033 000102030405060708090a0b0c0d0e0f 5012 000..0(16 bytes) \
 *        0107616c696365 3d0600000005 | tr -d ' ' | xxd -r -p > ma.bin
 *   openssl dgst -md5 -hmac testing123 ma.bin
 *   HMAC-MD5(ma.bin)= 84f35222b3bf8a8ec1e2b526742a9196 */
static void
request_ma_openssl(void **state)
{
	static struct radius_pkt p;
	uint8_t                  want[64];
	size_t                   n;

	(void)state;
	n = unhex("012a0033 000102030405060708090a0b0c0d0e0f 5012 84f35222b3bf8a8ec1e2b526742a9196"
	          "0107616c696365 3d0600000005", want, sizeof(want));
	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 0x2a, auth0f);
	assert_int_equal(radius_pkt_add(&p, RADIUS_USER_NAME, "alice", 5), 0);
	assert_int_equal(radius_pkt_add_int(&p, RADIUS_NAS_PORT_TYPE, 5), 0);
	assert_int_equal(radius_pkt_finish(&p, SECRET, SECRET_N), 0);
	assert_int_equal(p.len, n);
	assert_memory_equal(p.buf, want, n);
}

static void
request_build_limits(void **state)
{
	static struct radius_pkt p;
	static uint8_t           big[300];
	const uint8_t           *a;
	unsigned                 i;

	(void)state;
	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 1, auth0f);
	assert_int_equal(radius_pkt_add_vsa(&p, 311, RADIUS_MS_CHAP_CHALLENGE, big, 16), 0);
	a = p.buf + 38;
	assert_int_equal(a[0], 26);
	assert_int_equal(a[1], 24);
	assert_int_equal(a[2] << 24 | a[3] << 16 | a[4] << 8 | a[5], 311);
	assert_int_equal(a[6], 11);
	assert_int_equal(a[7], 18);
	assert_int_equal(radius_pkt_add(&p, 1, big, 253), 0);
	assert_int_equal(p.err, 0);
	/* refusals are sticky */
	assert_int_equal(radius_pkt_add(&p, 1, big, 254), -1);
	assert_int_equal(p.err, 1);
	assert_int_equal(radius_pkt_finish(&p, SECRET, SECRET_N), -1);

	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 1, auth0f);
	assert_int_equal(radius_pkt_add_vsa(&p, 311, 1, big, 247), 0);
	assert_int_equal(radius_pkt_add_vsa(&p, 311, 1, big, 248), -1);
	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 1, auth0f);
	assert_int_equal(radius_pkt_add(&p, RADIUS_MESSAGE_AUTH, big, 16), -1);

	/* the packet cap: 38 + 15 * 255 = 3863, then 231 more fit (4096) */
	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 1, auth0f);
	for (i = 0; i < 15; i++)
		assert_int_equal(radius_pkt_add(&p, 18, big, 253), 0);
	assert_int_equal(radius_pkt_add(&p, 18, big, 232), -1);
	p.err = 0;
	assert_int_equal(radius_pkt_add(&p, 18, big, 231), 0);
	assert_int_equal(p.len, 4096);
	assert_int_equal(radius_pkt_finish(&p, SECRET, SECRET_N), 0);
	assert_int_equal(p.buf[2] << 8 | p.buf[3], 4096);
}

/* a signed reply to (id, auth0f) with the given attributes after the MA */
static size_t
make_reply(uint8_t *out, uint8_t code, uint8_t id, const uint8_t *req_auth, const uint8_t *secret,
           size_t slen, void (*add)(struct radius_pkt *))
{
	static struct radius_pkt p;
	uint8_t                  zero[16] = { 0 };

	radius_pkt_init(&p, code, id, zero);
	if (add != NULL)
		add(&p);
	assert_int_equal(radius_reply_sign(&p, req_auth, secret, slen), 0);
	memcpy(out, p.buf, p.len);
	return p.len;
}

static void
add_msg(struct radius_pkt *p)
{
	radius_pkt_add(p, RADIUS_REPLY_MESSAGE, "hello", 5);
}

static void
expect_reason(const uint8_t *buf, size_t len, const char *reason)
{
	struct radius_reply r;
	const char         *why;

	assert_int_equal(radius_reply_check(&r, buf, len, 7, auth0f, SECRET, SECRET_N, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, reason);
}

static void
reply_reasons(void **state)
{
	static uint8_t      b[RADIUS_MAX_PACKET + 16], m[RADIUS_MAX_PACKET + 16];
	struct radius_reply r;
	const char         *why;
	size_t              n;

	(void)state;
	n = make_reply(b, RADIUS_ACCESS_ACCEPT, 7, auth0f, SECRET, SECRET_N, add_msg);
	assert_int_equal(radius_reply_check(&r, b, n, 7, auth0f, SECRET, SECRET_N, &why), 0);
	assert_null(why);
	assert_int_equal(r.code, RADIUS_ACCESS_ACCEPT);
	assert_int_equal(r.len, n);
	/* trailing bytes are ignored (RFC 2865 3) */
	memcpy(m, b, n);
	memset(m + n, 0xEE, 9);
	assert_int_equal(radius_reply_check(&r, m, n + 9, 7, auth0f, SECRET, SECRET_N, &why), 0);
	assert_int_equal(r.len, n);

	expect_reason(b, 19, "shorter than the 20-byte header");
	memcpy(m, b, n);
	m[2] = 0;
	m[3] = 19;
	expect_reason(m, n, "length field outside 20..4096");
	memset(m, 0, sizeof(m));
	memcpy(m, b, n);
	m[2] = 0x10;
	m[3] = 0x01;
	expect_reason(m, 4097, "length field outside 20..4096");
	expect_reason(b, n - 1, "length field exceeds the datagram");
	memcpy(m, b, n);
	m[0] = 4;
	expect_reason(m, n, "code is not Access-Accept, -Reject or -Challenge");
	m[0] = RADIUS_ACCESS_REQUEST;
	expect_reason(m, n, "code is not Access-Accept, -Reject or -Challenge");
	memcpy(m, b, n);
	m[1] = 8;
	expect_reason(m, n, "identifier does not match the request");
	/* Reply-Message claims a byte past the end */
	memcpy(m, b, n);
	m[39] = 8;
	expect_reason(m, n, "malformed attribute (length below 2 or past the packet)");
	m[39] = 1;
	expect_reason(m, n, "malformed attribute (length below 2 or past the packet)");
	/* wrong secret */
	n = make_reply(m, RADIUS_ACCESS_ACCEPT, 7, auth0f, SECRET2, SECRET2_N, add_msg);
	expect_reason(m, n, "bad Response Authenticator (wrong shared secret?)");
	/* a bit flipped anywhere */
	n = make_reply(m, RADIUS_ACCESS_ACCEPT, 7, auth0f, SECRET, SECRET_N, add_msg);
	m[n - 1] ^= 1;
	expect_reason(m, n, "bad Response Authenticator (wrong shared secret?)");

	/* hand-made: 20 header | 26 len 12 311 (sub 1 len 7 ...) */
	memset(m, 0, 64);
	m[0] = 2;
	m[1] = 7;
	m[3] = 32;
	memcpy(m + 20, "\x1a\x0c\x00\x00\x01\x37\x01\x07xxxx", 12);
	fix_ra(m, 32, auth0f, SECRET, SECRET_N);
	expect_reason(m, 32, "malformed Microsoft Vendor-Specific attribute");
	/* no Message-Authenticator: Response Authenticator right */
	memcpy(m + 20, "\x12\x0chello world", 12);
	fix_ra(m, 32, auth0f, SECRET, SECRET_N);
	expect_reason(m, 32, "no Message-Authenticator (BlastRADIUS: refused)");
	/* Message-Authenticator of 10 bytes */
	memcpy(m + 20, "\x50\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
	fix_ra(m, 32, auth0f, SECRET, SECRET_N);
	expect_reason(m, 32, "Message-Authenticator is not 18 bytes");
	/* two of them */
	n = make_reply(m, RADIUS_ACCESS_ACCEPT, 7, auth0f, SECRET, SECRET_N, NULL);
	memcpy(m + n, m + 20, 18);
	m[3] = (uint8_t)(n + 18);
	fix_ra(m, n + 18, auth0f, SECRET, SECRET_N);
	expect_reason(m, n + 18, "more than one Message-Authenticator");
	/* a wrong one, with a right Response Authenticator */
	n = make_reply(m, RADIUS_ACCESS_ACCEPT, 7, auth0f, SECRET, SECRET_N, add_msg);
	m[22] ^= 0x80;
	fix_ra(m, n, auth0f, SECRET, SECRET_N);
	expect_reason(m, n, "bad Message-Authenticator");
	/* signed for another request authenticator */
	n = make_reply(m, RADIUS_ACCESS_ACCEPT, 7, auth0f, SECRET, SECRET_N, add_msg);
	{
		uint8_t other[16];

		memset(other, 0x55, sizeof(other));
		assert_int_equal(radius_reply_check(&r, m, n, 7, other, SECRET, SECRET_N, &why), -1);
		assert_string_equal(why, "bad Response Authenticator (wrong shared secret?)");
	}
}

static uint8_t eap_in[4096];
static size_t  eap_n;

static void
add_eap(struct radius_pkt *p)
{
	assert_int_equal(radius_pkt_add_eap(p, eap_in, eap_n), 0);
}

static void
eap_split_join(void **state)
{
	static const size_t sizes[] = { 1, 253, 254, 1000, 4000 };
	static uint8_t      b[RADIUS_MAX_PACKET], out[RADIUS_MAX_PACKET];
	static struct radius_pkt p;
	struct radius_reply r;
	struct radius_iter  it;
	struct radius_attr  a;
	const char         *why;
	size_t              i, j, n, len, off;
	unsigned            nattr;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		eap_n = sizes[i];
		for (j = 0; j < eap_n; j++)
			eap_in[j] = (uint8_t)(j * 7 + i);
		if (eap_n >= 4) {
			eap_in[2] = (uint8_t)(eap_n >> 8);
			eap_in[3] = (uint8_t)eap_n;
		}
		n = make_reply(b, RADIUS_ACCESS_CHALLENGE, 7, auth0f, SECRET, SECRET_N, add_eap);
		assert_int_equal(radius_reply_check(&r, b, n, 7, auth0f, SECRET, SECRET_N, &why), 0);
		/* ordered chunks of 253, the last the rest */
		radius_iter_init(&it, &r);
		nattr = 0;
		off = 0;
		while (radius_iter_next(&it, &a)) {
			if (a.type != RADIUS_EAP_MESSAGE)
				continue;
			assert_int_equal(a.len, eap_n - off > 253 ? 253 : eap_n - off);
			assert_memory_equal(a.val, eap_in + off, a.len);
			off += a.len;
			nattr++;
		}
		assert_int_equal(nattr, (eap_n + 252) / 253);
		assert_int_equal(off, eap_n);
		if (eap_n < 4) {
			assert_int_equal(radius_reply_eap(&r, out, sizeof(out), &len, &why), -1);
			assert_string_equal(why, "joined EAP-Message shorter than an EAP header");
			continue;
		}
		assert_int_equal(radius_reply_eap(&r, out, sizeof(out), &len, &why), 1);
		assert_int_equal(len, eap_n);
		assert_memory_equal(out, eap_in, eap_n);
		/* a header length that disagrees */
		eap_in[3] ^= 1;
		n = make_reply(b, RADIUS_ACCESS_CHALLENGE, 7, auth0f, SECRET, SECRET_N, add_eap);
		assert_int_equal(radius_reply_check(&r, b, n, 7, auth0f, SECRET, SECRET_N, &why), 0);
		assert_int_equal(radius_reply_eap(&r, out, sizeof(out), &len, &why), -1);
		assert_string_equal(why, "joined EAP-Message length differs from its EAP header");
	}
	/* no EAP-Message */
	n = make_reply(b, RADIUS_ACCESS_ACCEPT, 7, auth0f, SECRET, SECRET_N, add_msg);
	assert_int_equal(radius_reply_check(&r, b, n, 7, auth0f, SECRET, SECRET_N, &why), 0);
	assert_int_equal(radius_reply_eap(&r, out, sizeof(out), &len, &why), 0);
	/* too big for one packet: refused whole, nothing added */
	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 1, auth0f);
	radius_pkt_add(&p, RADIUS_USER_NAME, "alice", 5);
	len = p.len;
	assert_int_equal(radius_pkt_add_eap(&p, eap_in, 4060), -1);
	assert_int_equal(p.len, len);
}

static void
add_eap_interleaved(struct radius_pkt *p)
{
	radius_pkt_add(p, RADIUS_EAP_MESSAGE, eap_in, 253);
	radius_pkt_add(p, RADIUS_STATE, "s", 1);
	radius_pkt_add(p, RADIUS_EAP_MESSAGE, eap_in + 253, 47);
}

static void
eap_not_consecutive(void **state)
{
	static uint8_t      b[RADIUS_MAX_PACKET], out[RADIUS_MAX_PACKET];
	struct radius_reply r;
	const char         *why;
	size_t              n, len;

	(void)state;
	memset(eap_in, 0, 300);
	eap_in[2] = 1;
	eap_in[3] = 44; /* 300 */
	n = make_reply(b, RADIUS_ACCESS_CHALLENGE, 7, auth0f, SECRET, SECRET_N, add_eap_interleaved);
	assert_int_equal(radius_reply_check(&r, b, n, 7, auth0f, SECRET, SECRET_N, &why), 0);
	assert_int_equal(radius_reply_eap(&r, out, sizeof(out), &len, &why), -1);
	assert_string_equal(why, "EAP-Message attributes are not consecutive");
}

/* RFC 2548 2.4.2, by hand: secret "testing123", R = 00..0f, salt 80 01,
 * key 40..4f; plaintext P = 10 40..4f 00*15 (two blocks).
 *   b1: { printf testing123; echo 000102030405060708090a0b0c0d0e0f8001 | xxd -r -p; } \
 *         | openssl dgst -md5                 -> 32a4044d0a1a2538cf27b06bb2ba15f3
 *   c1 = p1 ^ b1 = 1040414243444546 4748494a4b4c4d4e ^ b1
 *                                            -> 22e4450f495e607e886ff921f9f658bd
 *   b2: { printf testing123; echo 22e4450f495e607e886ff921f9f658bd | xxd -r -p; } \
 *         | openssl dgst -md5                 -> 6e86c12cef8106ec9576e20e119d04a5
 *   c2 = (4f 00*15) ^ b2                      -> 2186c12cef8106ec9576e20e119d04a5 */
static void
mppe_vector(void **state)
{
	uint8_t     key[32], got[32], enc[50], want[34], salt[2] = { 0x80, 0x01 };
	const char *why;
	int         i, n;

	(void)state;
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x40 + i);
	unhex("8001 22e4450f495e607e886ff921f9f658bd 2186c12cef8106ec9576e20e119d04a5", want,
	      sizeof(want));
	n = radius_mppe_encrypt(key, 16, salt, auth0f, SECRET, SECRET_N, enc);
	assert_int_equal(n, 34);
	assert_memory_equal(enc, want, 34);
	assert_int_equal(radius_mppe_decrypt(want, 34, auth0f, SECRET, SECRET_N, got, &why), 16);
	assert_memory_equal(got, key, 16);

	/* 32 bytes (EAP-TLS): 1 + 32 -> three blocks */
	n = radius_mppe_encrypt(key, 32, salt, auth0f, SECRET, SECRET_N, enc);
	assert_int_equal(n, 50);
	assert_int_equal(radius_mppe_decrypt(enc, 50, auth0f, SECRET, SECRET_N, got, &why), 32);
	assert_memory_equal(got, key, 32);

	/* refusals */
	assert_int_equal(radius_mppe_encrypt(key, 20, salt, auth0f, SECRET, SECRET_N, enc), -1);
	salt[0] = 0x00;
	assert_int_equal(radius_mppe_encrypt(key, 16, salt, auth0f, SECRET, SECRET_N, enc), -1);
	memcpy(enc, want, 34);
	enc[0] = 0x00;
	assert_int_equal(radius_mppe_decrypt(enc, 34, auth0f, SECRET, SECRET_N, got, &why), -1);
	assert_string_equal(why, "MPPE key salt without its top bit");
	assert_int_equal(radius_mppe_decrypt(want, 33, auth0f, SECRET, SECRET_N, got, &why), -1);
	assert_string_equal(why, "MPPE key attribute length is not 2 + 16n");
	assert_int_equal(radius_mppe_decrypt(want, 2, auth0f, SECRET, SECRET_N, got, &why), -1);
	assert_int_equal(radius_mppe_decrypt(want, 18, auth0f, SECRET, SECRET_N, got, &why), -1);
	assert_string_equal(why, "MPPE key length is not 16 or 32 (wrong shared secret?)");
	assert_int_equal(radius_mppe_decrypt(want, 34, auth0f, SECRET2, SECRET2_N, got, &why), -1);
	assert_string_equal(why, "MPPE key length is not 16 or 32 (wrong shared secret?)");
}

static void
add_mixed(struct radius_pkt *p)
{
	static const uint8_t two_subs[] = { 0, 0, 1, 0x37, 26, 5, 'S', '=', '1', 2, 5, 'E', '=', '6' };
	static const uint8_t cisco[] = { 0, 0, 0, 9, 1, 6, 'a', '=', 'b', 'c' };

	radius_pkt_add(p, RADIUS_STATE, "st", 2);
	radius_pkt_add(p, RADIUS_VENDOR_SPECIFIC, two_subs, sizeof(two_subs));
	radius_pkt_add(p, RADIUS_VENDOR_SPECIFIC, cisco, sizeof(cisco));
	radius_pkt_add(p, RADIUS_REPLY_MESSAGE, "one", 3);
	radius_pkt_add(p, RADIUS_REPLY_MESSAGE, "two", 3);
}

static void
iterate_and_find(void **state)
{
	static uint8_t      b[RADIUS_MAX_PACKET];
	struct radius_reply r;
	struct radius_iter  it;
	struct radius_attr  a[10];
	const uint8_t      *v;
	const char         *why;
	size_t              n, len;
	int                 k = 0;

	(void)state;
	n = make_reply(b, RADIUS_ACCESS_ACCEPT, 7, auth0f, SECRET, SECRET_N, add_mixed);
	assert_int_equal(radius_reply_check(&r, b, n, 7, auth0f, SECRET, SECRET_N, &why), 0);
	radius_iter_init(&it, &r);
	while (k < 10 && radius_iter_next(&it, &a[k]))
		k++;
	assert_int_equal(k, 7); /* MA, State, 2 MS subs, Cisco raw, 2 Reply-Message */
	assert_int_equal(a[0].type, RADIUS_MESSAGE_AUTH);
	assert_int_equal(a[2].vendor, 311);
	assert_int_equal(a[2].vtype, 26);
	assert_int_equal(a[3].vtype, 2);
	assert_int_equal(a[3].len, 3);
	assert_int_equal(a[4].type, 26);
	assert_int_equal(a[4].vendor, 0);
	assert_int_equal(a[4].len, 10);
	v = radius_find(&r, RADIUS_STATE, &len);
	assert_non_null(v);
	assert_memory_equal(v, "st", len);
	v = radius_find(&r, RADIUS_REPLY_MESSAGE, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "one", 3);
	v = radius_find_vsa(&r, 311, RADIUS_MS_CHAP2_SUCCESS, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "S=1", 3);
	v = radius_find_vsa(&r, 311, RADIUS_MS_CHAP_ERROR, &len);
	assert_memory_equal(v, "E=6", 3);
	v = radius_find_vsa(&r, 9, 1, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "a=bc", 4);
	assert_null(radius_find(&r, 25 /* Class */, &len));
	assert_null(radius_find_vsa(&r, 311, RADIUS_MS_MPPE_SEND_KEY, &len));
}

/* ---- client ---- */

struct fake {
	unsigned    nsend;
	unsigned    server[64];
	uint64_t    at[64];
	uint8_t     last[RADIUS_MAX_PACKET];
	size_t      last_len;
	uint8_t     first[RADIUS_MAX_PACKET];
	uint64_t    now;
	unsigned    ndone;
	void       *done_user;
	enum radius_outcome outcome;
	uint8_t     code;
	uint8_t     mppe[32];
	int         mppe_len;
	char        events[16][96];
	unsigned    nevents;
	uint8_t     rnd;
	struct radius_client *cl;
	int         resend_in_done;
};

static struct fake F;

static void
f_send(void *ctx, unsigned server, const uint8_t *buf, size_t len)
{
	struct fake *f = ctx;
	unsigned     i = f->nsend < 64 ? f->nsend : 63;

	f->server[i] = server;
	f->at[i] = f->now;
	if (f->nsend == 0)
		memcpy(f->first, buf, len);
	f->nsend++;
	memcpy(f->last, buf, len);
	f->last_len = len;
}

static void
f_done(void *ctx, void *user, enum radius_outcome outcome, const struct radius_reply *reply)
{
	struct fake *f = ctx;
	size_t       len;
	const char  *why;
	const uint8_t *v;

	f->ndone++;
	f->done_user = user;
	f->outcome = outcome;
	if (reply != NULL) {
		f->code = reply->code;
		v = radius_find_vsa(reply, 311, RADIUS_MS_MPPE_RECV_KEY, &len);
		f->mppe_len = v == NULL ? 0 :
		    radius_mppe_decrypt(v, len, reply->req_auth, reply->secret, reply->secret_len,
		                        f->mppe, &why);
	}
	if (f->resend_in_done) {
		static struct radius_pkt p;

		radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 0, auth0f);
		assert_int_equal(radius_client_send(f->cl, (void *)"round2", &p, f->now), 0);
	}
}

static void
f_random(void *ctx, uint8_t *out, size_t len)
{
	struct fake *f = ctx;
	size_t       i;

	for (i = 0; i < len; i++)
		out[i] = (uint8_t)(f->rnd + i);
	f->rnd++;
}

static void
f_event(void *ctx, const char *type, json_t *fields)
{
	struct fake *f = ctx;
	const char  *reason = json_string_value(json_object_get(fields, "reason"));

	if (f->nevents < 16)
		snprintf(f->events[f->nevents++], sizeof(f->events[0]), "%s%s%s", type,
		         reason ? ": " : "", reason ? reason : "");
	json_decref(fields);
}

static struct radius_client *
new_client(unsigned nservers, int jitter)
{
	struct radius_client_config cfg;
	struct radius_client_hooks  h;

	memset(&F, 0, sizeof(F));
	radius_client_config_default(&cfg);
	assert_int_equal(cfg.irt_ms, 2000);
	assert_int_equal(cfg.mrc, 5);
	assert_int_equal(cfg.mrt_ms, 16000);
	assert_int_equal(cfg.mrd_ms, 30000);
	cfg.no_jitter = !jitter;
	cfg.nservers = nservers;
	cfg.servers[0].secret = SECRET;
	cfg.servers[0].secret_len = SECRET_N;
	cfg.servers[1].secret = SECRET2;
	cfg.servers[1].secret_len = SECRET2_N;
	memset(&h, 0, sizeof(h));
	h.ctx = &F;
	h.send = f_send;
	h.done = f_done;
	h.random = f_random;
	h.events.ctx = &F;
	h.events.fn = f_event;
	F.cl = radius_client_new(&cfg, &h);
	assert_non_null(F.cl);
	return F.cl;
}

static void
send_one(struct radius_client *cl, void *user, uint64_t now)
{
	static struct radius_pkt p;

	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 0, auth0f);
	radius_pkt_add(&p, RADIUS_USER_NAME, "alice", 5);
	F.now = now;
	assert_int_equal(radius_client_send(cl, user, &p, now), 0);
}

static void
add_key(struct radius_pkt *p)
{
	uint8_t key[16], enc[50], salt[2] = { 0x80, 0x07 };
	int     n;

	memset(key, 0x42, sizeof(key));
	/* encrypted for the request in F.last: the test server's side */
	n = radius_mppe_encrypt(key, 16, salt, F.last + 4, F.server[F.nsend - 1] ? SECRET2 : SECRET,
	                        F.server[F.nsend - 1] ? SECRET2_N : SECRET_N, enc);
	radius_pkt_add_vsa(p, 311, RADIUS_MS_MPPE_RECV_KEY, enc, (size_t)n);
}

/* the server's answer to a request's bytes */
static size_t
answer(uint8_t *out, const uint8_t *req, uint8_t code, const uint8_t *secret, size_t slen,
       void (*add)(struct radius_pkt *))
{
	return make_reply(out, code, req[1], req + 4, secret, slen, add);
}

static void
client_schedule_one_server(void **state)
{
	struct radius_client *cl = new_client(1, 0);
	static const uint64_t want[] = { 1000, 3000, 7000, 15000 };
	unsigned i;

	(void)state;
	send_one(cl, &F, 1000);
	while (F.ndone == 0) {
		uint64_t d = radius_client_next_deadline(cl);

		assert_true(d > F.now);
		F.now = d;
		radius_client_tick(cl, d);
	}
	/* 0, 2, 6, 14 s; the next RT (16 s) is cut by MRD: timeout at 30 s */
	assert_int_equal(F.nsend, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(F.at[i], want[i]);
		assert_int_equal(F.server[i], 0);
	}
	assert_memory_equal(F.first, F.last, F.last_len); /* identical bytes */
	assert_int_equal(F.now, 31000);
	assert_int_equal(F.outcome, RADIUS_TIMEOUT);
	assert_int_equal(F.ndone, 1);
	assert_int_equal(radius_client_next_deadline(cl), 0);
	assert_false(radius_client_id_busy(cl, 0, F.first[1]));
	assert_string_equal(F.events[0], "radius_server_dead");
	assert_string_equal(F.events[1], "radius_timeout");
	radius_client_free(cl);
}

static void
client_mrc_limits(void **state)
{
	struct radius_client_config cfg;
	struct radius_client_hooks  h;
	struct radius_client       *cl;
	static struct radius_pkt    p;

	(void)state;
	memset(&F, 0, sizeof(F));
	radius_client_config_default(&cfg);
	cfg.no_jitter = 1;
	cfg.mrc = 2;
	cfg.mrd_ms = 100000;
	cfg.nservers = 1;
	cfg.servers[0].secret = SECRET;
	cfg.servers[0].secret_len = SECRET_N;
	memset(&h, 0, sizeof(h));
	h.ctx = &F;
	h.send = f_send;
	h.done = f_done;
	h.random = f_random;
	cl = radius_client_new(&cfg, &h);
	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 0, auth0f);
	assert_int_equal(radius_client_send(cl, &F, &p, 0), 0);
	while (F.ndone == 0) {
		F.now = radius_client_next_deadline(cl);
		radius_client_tick(cl, F.now);
	}
	/* 1 + mrc sends at 0, 2, 6; the last RT (8 s) runs out at 14 s */
	assert_int_equal(F.nsend, 3);
	assert_int_equal(F.at[2], 6000);
	assert_int_equal(F.now, 14000);
	radius_client_free(cl);

	/* invalid configs */
	cfg.nservers = 0;
	assert_null(radius_client_new(&cfg, &h));
	cfg.nservers = 1;
	cfg.servers[0].secret_len = 0;
	assert_null(radius_client_new(&cfg, &h));
	cfg.servers[0].secret_len = RADIUS_SECRET_MAX + 1;
	assert_null(radius_client_new(&cfg, &h));
}

static void
client_failover_and_dead_time(void **state)
{
	struct radius_client *cl = new_client(2, 0);
	static const uint64_t when[] = { 0, 2000, 6000, 14000, 15000, 17000, 21000, 29000 };
	static uint8_t        first_req[RADIUS_MAX_PACKET], rep[RADIUS_MAX_PACKET];
	size_t                n;
	unsigned              i;

	(void)state;
	send_one(cl, &F, 0);
	memcpy(first_req, F.last, F.last_len);
	while (F.ndone == 0) {
		F.now = radius_client_next_deadline(cl);
		radius_client_tick(cl, F.now);
	}
	/* server 0 gets half of MRD, then server 1 the rest */
	assert_int_equal(F.nsend, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(F.at[i], when[i]);
		assert_int_equal(F.server[i], i < 4 ? 0 : 1);
	}
	assert_int_equal(F.now, 30000);
	assert_int_equal(F.outcome, RADIUS_TIMEOUT);
	assert_string_equal(F.events[0], "radius_server_dead");
	assert_string_equal(F.events[1], "radius_failover");
	assert_string_equal(F.events[2], "radius_server_dead");
	assert_string_equal(F.events[3], "radius_timeout");
	radius_client_free(cl);

	/* again, and server 1 answers after the failover */
	cl = new_client(2, 0);
	send_one(cl, &F, 0);
	memcpy(first_req, F.last, F.last_len);
	for (F.now = 0; F.now < 15000;) {
		F.now = radius_client_next_deadline(cl);
		radius_client_tick(cl, F.now);
	}
	assert_int_equal(F.server[F.nsend - 1], 1);
	/* a new Request Authenticator and Message-Authenticator there */
	assert_memory_not_equal(F.last + 4, first_req + 4, 16);
	assert_memory_not_equal(F.last + 22, first_req + 22, 16);
	/* an answer signed with server 0's secret is dropped, and reported */
	n = answer(rep, F.last, RADIUS_ACCESS_ACCEPT, SECRET, SECRET_N, NULL);
	radius_client_input(cl, 1, rep, n, F.now);
	assert_int_equal(F.ndone, 0);
	assert_string_equal(F.events[F.nevents - 1],
	                    "radius_reply_dropped: bad Response Authenticator (wrong shared secret?)");
	n = answer(rep, F.last, RADIUS_ACCESS_ACCEPT, SECRET2, SECRET2_N, add_key);
	radius_client_input(cl, 1, rep, n, F.now);
	assert_int_equal(F.ndone, 1);
	assert_int_equal(F.outcome, RADIUS_REPLY);
	assert_int_equal(F.mppe_len, 16); /* decrypted with server 1's secret and authenticator */
	assert_int_equal(F.mppe[0], 0x42);
	/* server 0 is dead: the next request starts on server 1 */
	send_one(cl, &F, 16000);
	assert_int_equal(F.server[F.nsend - 1], 1);
	radius_client_cancel(cl, &F);
	/* after the dead time, server 0 again */
	send_one(cl, &F, 15000 + 60000);
	assert_int_equal(F.server[F.nsend - 1], 0);
	radius_client_free(cl);
}

static void
client_late_reply_from_first_server(void **state)
{
	struct radius_client *cl = new_client(2, 0);
	static uint8_t        first_req[RADIUS_MAX_PACKET], rep[RADIUS_MAX_PACKET];
	size_t                n;

	(void)state;
	send_one(cl, &F, 0);
	memcpy(first_req, F.last, F.last_len);
	F.now = 15000;
	radius_client_tick(cl, F.now);
	assert_int_equal(F.server[F.nsend - 1], 1);
	/* the id stays reserved on server 0 until the request ends */
	assert_true(radius_client_id_busy(cl, 0, first_req[1]));
	n = answer(rep, first_req, RADIUS_ACCESS_REJECT, SECRET, SECRET_N, NULL);
	radius_client_input(cl, 0, rep, n, F.now);
	assert_int_equal(F.ndone, 1);
	assert_int_equal(F.code, RADIUS_ACCESS_REJECT);
	assert_false(radius_client_id_busy(cl, 0, first_req[1]));
	assert_false(radius_client_id_busy(cl, 1, F.last[1]));
	radius_client_free(cl);
}

static void
client_ids(void **state)
{
	struct radius_client *cl = new_client(2, 0);
	static uint8_t        req1[RADIUS_MAX_PACKET], rep[RADIUS_MAX_PACKET];
	unsigned              i;
	size_t                n;
	static struct radius_pkt p;

	(void)state;
	for (i = 0; i < 3; i++) {
		send_one(cl, (void *)(uintptr_t)(i + 1), 0);
		assert_int_equal(F.last[1], i);
		assert_int_equal(F.server[i], 0);
		if (i == 1)
			memcpy(req1, F.last, F.last_len);
	}
	assert_true(radius_client_id_busy(cl, 0, 1));
	/* unknown id: dropped with a reason */
	n = answer(rep, req1, RADIUS_ACCESS_ACCEPT, SECRET, SECRET_N, NULL);
	rep[1] = 77;
	radius_client_input(cl, 0, rep, n, 0);
	assert_string_equal(F.events[F.nevents - 1],
	                    "radius_reply_dropped: no request outstanding with this identifier");
	/* the right answer to id 1 from the wrong server: no request there */
	n = answer(rep, req1, RADIUS_ACCESS_ACCEPT, SECRET, SECRET_N, NULL);
	radius_client_input(cl, 1, rep, n, 0);
	assert_int_equal(F.ndone, 0);
	radius_client_input(cl, 0, rep, 10, 0);
	assert_string_equal(F.events[F.nevents - 1], "radius_reply_dropped: shorter than the 20-byte header");
	radius_client_input(cl, 0, rep, n, 0);
	assert_int_equal(F.ndone, 1);
	assert_ptr_equal(F.done_user, (void *)(uintptr_t)2);
	assert_false(radius_client_id_busy(cl, 0, 1));
	/* a replayed answer finds nothing */
	radius_client_input(cl, 0, rep, n, 0);
	assert_int_equal(F.ndone, 1);
	/* ids go round: 3 next, not the freed 1 */
	send_one(cl, &F, 0);
	assert_int_equal(F.last[1], 3);
	/* fill server 0: 4..255 then 1 (free again); then server 1 takes over */
	for (i = 4; i < 256; i++)
		send_one(cl, &F, 0);
	assert_int_equal(F.last[1], 255);
	send_one(cl, &F, 0);
	assert_int_equal(F.last[1], 1);
	assert_int_equal(radius_client_pending(cl), 256);
	for (i = 0; i < 256; i++)
		assert_true(radius_client_id_busy(cl, 0, (uint8_t)i));
	F.nsend = 0;
	send_one(cl, &F, 0);
	assert_int_equal(F.server[0], 1);
	assert_int_equal(F.last[1], 0);
	radius_client_free(cl);

	/* one server, all 256 outstanding: refused */
	cl = new_client(1, 0);
	radius_pkt_init(&p, RADIUS_ACCESS_REQUEST, 0, auth0f);
	for (i = 0; i < 256; i++) {
		F.nsend = 0;
		assert_int_equal(radius_client_send(cl, &F, &p, 0), 0);
	}
	assert_int_equal(radius_client_send(cl, &F, &p, 0), -1);
	/* a broken packet is refused */
	assert_int_equal(radius_client_cancel(cl, &F), 256);
	p.err = 1;
	assert_int_equal(radius_client_send(cl, &F, &p, 0), -1);
	radius_client_free(cl);
}

static void
client_cancel(void **state)
{
	struct radius_client *cl = new_client(1, 0);
	static uint8_t        rep[RADIUS_MAX_PACKET];
	size_t                n;
	int                   a, b;

	(void)state;
	send_one(cl, &a, 0);
	send_one(cl, &b, 0);
	send_one(cl, &a, 0);
	assert_int_equal(radius_client_cancel(cl, &a), 2);
	assert_int_equal(radius_client_pending(cl), 1);
	assert_false(radius_client_id_busy(cl, 0, 0));
	assert_true(radius_client_id_busy(cl, 0, 1));
	assert_false(radius_client_id_busy(cl, 0, 2));
	/* a late answer to a cancelled request is dropped */
	n = answer(rep, F.last, RADIUS_ACCESS_ACCEPT, SECRET, SECRET_N, NULL);
	radius_client_input(cl, 0, rep, n, 0);
	assert_int_equal(F.ndone, 0);
	assert_int_equal(radius_client_cancel(cl, &b), 1);
	assert_int_equal(radius_client_next_deadline(cl), 0);
	radius_client_tick(cl, 100000);
	assert_int_equal(F.ndone, 0);
	assert_int_equal(radius_client_cancel(cl, &b), 0);
	radius_client_free(cl);
}

/* a Challenge answered by the next round from inside `done` */
static void
client_send_from_done(void **state)
{
	struct radius_client *cl = new_client(1, 0);
	static uint8_t        rep[RADIUS_MAX_PACKET];
	size_t                n;

	(void)state;
	send_one(cl, &F, 0);
	F.resend_in_done = 1;
	n = answer(rep, F.last, RADIUS_ACCESS_CHALLENGE, SECRET, SECRET_N, NULL);
	radius_client_input(cl, 0, rep, n, 0);
	assert_int_equal(F.ndone, 1);
	assert_int_equal(F.code, RADIUS_ACCESS_CHALLENGE);
	assert_int_equal(radius_client_pending(cl), 1);
	assert_int_equal(F.last[1], 1);
	assert_int_equal(F.nsend, 2);
	assert_int_equal(radius_client_cancel(cl, (void *)"round2"), 1);
	radius_client_free(cl);
}

static void
client_jitter(void **state)
{
	struct radius_client *cl = new_client(1, 1);
	uint64_t              d1, d2, rt1, rt2;

	(void)state;
	send_one(cl, &F, 0);
	d1 = rt1 = radius_client_next_deadline(cl);
	assert_true(rt1 >= 1800 && rt1 <= 2200); /* IRT +- 10 % */
	F.now = d1;
	radius_client_tick(cl, d1);
	d2 = radius_client_next_deadline(cl);
	rt2 = d2 - d1;
	assert_true(rt2 >= 2 * rt1 * 9 / 10 && rt2 <= 2 * rt1 * 11 / 10); /* 2 RT +- 10 % */
	assert_int_equal(F.nsend, 2);
	radius_client_free(cl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc2865_accept),
		cmocka_unit_test(request_ma_openssl),
		cmocka_unit_test(request_build_limits),
		cmocka_unit_test(reply_reasons),
		cmocka_unit_test(eap_split_join),
		cmocka_unit_test(eap_not_consecutive),
		cmocka_unit_test(mppe_vector),
		cmocka_unit_test(iterate_and_find),
		cmocka_unit_test(client_schedule_one_server),
		cmocka_unit_test(client_mrc_limits),
		cmocka_unit_test(client_failover_and_dead_time),
		cmocka_unit_test(client_late_reply_from_first_server),
		cmocka_unit_test(client_ids),
		cmocka_unit_test(client_cancel),
		cmocka_unit_test(client_send_from_done),
		cmocka_unit_test(client_jitter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
