/*
 * RADIUS packet codec (RFC 2865 3, 5.26; RFC 3579 3.1-3.2; RFC 2548).
 *
 * Grammar (integers big-endian):
 *   packet    = code:8 id:8 length:16 authenticator:128 attribute*
 *               ; 20 <= length <= 4096, bytes past length are ignored
 *   attribute = type:8 len:8 value     ; 2 <= len, value len - 2 bytes
 *   VSA (26)  = vendor:32 sub*         ; Microsoft (311): sub = vtype:8 vlen:8 value, 2 <= vlen
 *   MPPE key  = salt:16 string         ; string = E(keylen:8 key pad), a multiple of 16
 *
 * Every read is preceded by a check against the bytes actually there.
 */
#include "radius/radius.h"
#include "util/bytes.h"

#include <mbedtls/md.h>
#include <string.h>

#define MA_ATTR_LEN (2 + RADIUS_MA_LEN)

struct part {
	const uint8_t *p;
	size_t         len;
};

/* MD5 over parts, concatenated */
static int
md5v(uint8_t out[16], const struct part *v, size_t n)
{
	mbedtls_md_context_t ctx;
	size_t               i;
	int                  ret;

	mbedtls_md_init(&ctx);
	ret = mbedtls_md_setup(&ctx, mbedtls_md_info_from_type(MBEDTLS_MD_MD5), 0);
	if (ret == 0)
		ret = mbedtls_md_starts(&ctx);
	for (i = 0; ret == 0 && i < n; i++)
		ret = mbedtls_md_update(&ctx, v[i].p, v[i].len);
	if (ret == 0)
		ret = mbedtls_md_finish(&ctx, out);
	mbedtls_md_free(&ctx);
	return ret == 0 ? 0 : -1;
}

static int
hmac_md5(uint8_t out[16], const uint8_t *key, size_t klen, const uint8_t *msg, size_t len)
{
	return mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_MD5), key, klen, msg, len, out) == 0
	    ? 0 : -1;
}

/* difference of two 16-byte MACs without an early exit */
static int
mac_differs(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;
	size_t  i;

	for (i = 0; i < 16; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d != 0;
}

/* ---- building ---- */

void
radius_pkt_init(struct radius_pkt *p, uint8_t code, uint8_t id, const uint8_t auth[RADIUS_AUTH_LEN])
{
	memset(p->buf, 0, RADIUS_HDR_LEN + MA_ATTR_LEN);
	p->buf[0] = code;
	p->buf[1] = id;
	memcpy(p->buf + 4, auth, RADIUS_AUTH_LEN);
	p->buf[RADIUS_HDR_LEN] = RADIUS_MESSAGE_AUTH;
	p->buf[RADIUS_HDR_LEN + 1] = MA_ATTR_LEN;
	p->len = RADIUS_HDR_LEN + MA_ATTR_LEN;
	p->err = 0;
	be16_put(p->buf + 2, (uint16_t)p->len);
}

static int
put_attr(struct radius_pkt *p, uint8_t type, const uint8_t *hdr, size_t hlen, const void *val,
         size_t len)
{
	uint8_t *a;

	if (p->err || hlen + len > RADIUS_ATTR_MAX || (len > 0 && val == NULL) ||
	    p->len + 2 + hlen + len > RADIUS_MAX_PACKET) {
		p->err = 1;
		return -1;
	}
	a = p->buf + p->len;
	a[0] = type;
	a[1] = (uint8_t)(2 + hlen + len);
	if (hlen > 0)
		memcpy(a + 2, hdr, hlen);
	if (len > 0)
		memcpy(a + 2 + hlen, val, len);
	p->len += 2 + hlen + len;
	return 0;
}

int
radius_pkt_add(struct radius_pkt *p, uint8_t type, const void *val, size_t len)
{
	if (type == RADIUS_MESSAGE_AUTH) {
		p->err = 1;
		return -1;
	}
	return put_attr(p, type, NULL, 0, val, len);
}

int
radius_pkt_add_int(struct radius_pkt *p, uint8_t type, uint32_t v)
{
	uint8_t b[4];

	be32_put(b, v);
	return radius_pkt_add(p, type, b, sizeof(b));
}

int
radius_pkt_add_vsa(struct radius_pkt *p, uint32_t vendor, uint8_t vtype, const void *val,
                   size_t len)
{
	uint8_t h[6];

	if (len > RADIUS_ATTR_MAX - 6) {
		p->err = 1;
		return -1;
	}
	be32_put(h, vendor);
	h[4] = vtype;
	h[5] = (uint8_t)(2 + len);
	return put_attr(p, RADIUS_VENDOR_SPECIFIC, h, sizeof(h), val, len);
}

int
radius_pkt_add_eap(struct radius_pkt *p, const uint8_t *eap, size_t len)
{
	size_t off = 0;

	/* all or nothing: the chunks with their headers must fit */
	if (p->err || len == 0 || eap == NULL ||
	    p->len + len + 2 * ((len + RADIUS_ATTR_MAX - 1) / RADIUS_ATTR_MAX) > RADIUS_MAX_PACKET) {
		p->err = 1;
		return -1;
	}
	while (off < len) {
		size_t n = len - off > RADIUS_ATTR_MAX ? RADIUS_ATTR_MAX : len - off;

		if (put_attr(p, RADIUS_EAP_MESSAGE, NULL, 0, eap + off, n) != 0)
			return -1;
		off += n;
	}
	return 0;
}

void
radius_pkt_set_id_auth(struct radius_pkt *p, uint8_t id, const uint8_t auth[RADIUS_AUTH_LEN])
{
	p->buf[1] = id;
	memcpy(p->buf + 4, auth, RADIUS_AUTH_LEN);
}

/* length, zeroed Message-Authenticator, its HMAC over the packet as it is now */
static int
sign_ma(struct radius_pkt *p, const uint8_t *secret, size_t secret_len)
{
	uint8_t *ma = p->buf + RADIUS_HDR_LEN + 2;

	if (p->err || p->len < RADIUS_HDR_LEN + MA_ATTR_LEN ||
	    p->buf[RADIUS_HDR_LEN] != RADIUS_MESSAGE_AUTH)
		return -1;
	be16_put(p->buf + 2, (uint16_t)p->len);
	memset(ma, 0, RADIUS_MA_LEN);
	return hmac_md5(ma, secret, secret_len, p->buf, p->len);
}

int
radius_pkt_finish(struct radius_pkt *p, const uint8_t *secret, size_t secret_len)
{
	return sign_ma(p, secret, secret_len);
}

int
radius_reply_sign(struct radius_pkt *p, const uint8_t req_auth[RADIUS_AUTH_LEN],
                  const uint8_t *secret, size_t secret_len)
{
	uint8_t     ra[16];
	struct part v[2];

	memcpy(p->buf + 4, req_auth, RADIUS_AUTH_LEN);
	if (sign_ma(p, secret, secret_len) != 0)
		return -1;
	v[0].p = p->buf;
	v[0].len = p->len;
	v[1].p = secret;
	v[1].len = secret_len;
	if (md5v(ra, v, 2) != 0)
		return -1;
	memcpy(p->buf + 4, ra, RADIUS_AUTH_LEN);
	return 0;
}

/* ---- checking ---- */

/* Microsoft VSA value: vendor then sub-attributes filling it exactly */
static int
ms_vsa_ok(const uint8_t *v, size_t len)
{
	const uint8_t *p = v + 4, *end = v + len;

	if (len < 4 + 2)
		return 0;
	while (p < end) {
		if (end - p < 2 || p[1] < 2 || p[1] > end - p)
			return 0;
		p += p[1];
	}
	return 1;
}

int
radius_reply_check(struct radius_reply *out, const uint8_t *buf, size_t len, uint8_t req_id,
                   const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
                   size_t secret_len, const char **why)
{
	const uint8_t *p, *end, *ma = NULL;
	uint8_t        calc[16], copy[RADIUS_MAX_PACKET];
	struct part    v[4];
	size_t         plen;
	unsigned       nma = 0;

	*why = NULL;
	if (len < RADIUS_HDR_LEN) {
		*why = "shorter than the 20-byte header";
		return -1;
	}
	plen = be16_get(buf + 2);
	if (plen < RADIUS_HDR_LEN || plen > RADIUS_MAX_PACKET) {
		*why = "length field outside 20..4096";
		return -1;
	}
	if (plen > len) {
		*why = "length field exceeds the datagram";
		return -1;
	}
	if (buf[0] != RADIUS_ACCESS_ACCEPT && buf[0] != RADIUS_ACCESS_REJECT &&
	    buf[0] != RADIUS_ACCESS_CHALLENGE) {
		*why = "code is not Access-Accept, -Reject or -Challenge";
		return -1;
	}
	if (buf[1] != req_id) {
		*why = "identifier does not match the request";
		return -1;
	}
	end = buf + plen;
	for (p = buf + RADIUS_HDR_LEN; p < end; p += p[1]) {
		if (end - p < 2 || p[1] < 2 || p[1] > end - p) {
			*why = "malformed attribute (length below 2 or past the packet)";
			return -1;
		}
		if (p[0] == RADIUS_VENDOR_SPECIFIC && p[1] >= 6 &&
		    be32_get(p + 2) == RADIUS_VENDOR_MICROSOFT && !ms_vsa_ok(p + 2, p[1] - 2u)) {
			*why = "malformed Microsoft Vendor-Specific attribute";
			return -1;
		}
		if (p[0] == RADIUS_MESSAGE_AUTH) {
			ma = p;
			nma++;
		}
	}

	/* Response Authenticator = MD5(Code|ID|Length|RequestAuth|Attributes|Secret) */
	v[0].p = buf;
	v[0].len = 4;
	v[1].p = req_auth;
	v[1].len = RADIUS_AUTH_LEN;
	v[2].p = buf + RADIUS_HDR_LEN;
	v[2].len = plen - RADIUS_HDR_LEN;
	v[3].p = secret;
	v[3].len = secret_len;
	if (md5v(calc, v, 4) != 0 || mac_differs(calc, buf + 4)) {
		*why = "bad Response Authenticator (wrong shared secret?)";
		return -1;
	}
	if (nma == 0) {
		*why = "no Message-Authenticator (BlastRADIUS: refused)";
		return -1;
	}
	if (nma > 1) {
		*why = "more than one Message-Authenticator";
		return -1;
	}
	if (ma[1] != MA_ATTR_LEN) {
		*why = "Message-Authenticator is not 18 bytes";
		return -1;
	}
	/* HMAC-MD5 over the reply with the request authenticator and the field zeroed */
	memcpy(copy, buf, plen);
	memcpy(copy + 4, req_auth, RADIUS_AUTH_LEN);
	memset(copy + (ma - buf) + 2, 0, RADIUS_MA_LEN);
	if (hmac_md5(calc, secret, secret_len, copy, plen) != 0 || mac_differs(calc, ma + 2)) {
		*why = "bad Message-Authenticator";
		return -1;
	}

	memset(out, 0, sizeof(*out));
	out->pkt = buf;
	out->len = plen;
	out->code = buf[0];
	out->id = buf[1];
	memcpy(out->req_auth, req_auth, RADIUS_AUTH_LEN);
	out->secret = secret;
	out->secret_len = secret_len;
	return 0;
}

/* ---- reading a checked reply ---- */

void
radius_iter_init(struct radius_iter *it, const struct radius_reply *r)
{
	it->p = r->pkt + RADIUS_HDR_LEN;
	it->end = r->pkt + r->len;
	it->vp = it->vend = NULL;
}

int
radius_iter_next(struct radius_iter *it, struct radius_attr *a)
{
	const uint8_t *p;

	/* the reply was checked: every length below is within bounds */
	if (it->vp != NULL && it->vp < it->vend) {
		p = it->vp;
		a->type = RADIUS_VENDOR_SPECIFIC;
		a->vendor = RADIUS_VENDOR_MICROSOFT;
		a->vtype = p[0];
		a->val = p + 2;
		a->len = p[1] - 2u;
		it->vp += p[1];
		return 1;
	}
	it->vp = it->vend = NULL;
	if (it->end - it->p < 2)
		return 0;
	p = it->p;
	it->p += p[1];
	if (p[0] == RADIUS_VENDOR_SPECIFIC && p[1] >= 8 && be32_get(p + 2) == RADIUS_VENDOR_MICROSOFT) {
		it->vp = p + 6;
		it->vend = p + p[1];
		return radius_iter_next(it, a);
	}
	a->type = p[0];
	a->vendor = 0;
	a->vtype = 0;
	a->val = p + 2;
	a->len = p[1] - 2u;
	return 1;
}

const uint8_t *
radius_find(const struct radius_reply *r, uint8_t type, size_t *len)
{
	struct radius_iter it;
	struct radius_attr a;

	radius_iter_init(&it, r);
	while (radius_iter_next(&it, &a))
		if (a.vendor == 0 && a.type == type) {
			*len = a.len;
			return a.val;
		}
	return NULL;
}

const uint8_t *
radius_find_vsa(const struct radius_reply *r, uint32_t vendor, uint8_t vtype, size_t *len)
{
	struct radius_iter it;
	struct radius_attr a;

	radius_iter_init(&it, r);
	while (radius_iter_next(&it, &a)) {
		if (a.type != RADIUS_VENDOR_SPECIFIC)
			continue;
		if (a.vendor == vendor && a.vtype == vtype) {
			*len = a.len;
			return a.val;
		}
		/* other vendors: the common vendor:32 vtype:8 vlen:8 layout, first sub-attribute */
		if (a.vendor == 0 && a.len >= 6 && be32_get(a.val) == vendor && a.val[4] == vtype &&
		    a.val[5] >= 2 && a.val[5] <= a.len - 4) {
			*len = a.val[5] - 2u;
			return a.val + 6;
		}
	}
	return NULL;
}

int
radius_reply_eap(const struct radius_reply *r, uint8_t *out, size_t cap, size_t *len,
                 const char **why)
{
	const uint8_t *p = r->pkt + RADIUS_HDR_LEN, *end = r->pkt + r->len;
	size_t         n = 0;
	int            state = 0; /* 0 none yet, 1 inside the run, 2 after it */

	*why = NULL;
	*len = 0;
	for (; end - p >= 2; p += p[1]) {
		if (p[0] != RADIUS_EAP_MESSAGE) {
			if (state == 1)
				state = 2;
			continue;
		}
		if (state == 2) {
			*why = "EAP-Message attributes are not consecutive";
			return -1;
		}
		state = 1;
		if (p[1] - 2u > cap - n) {
			*why = "joined EAP-Message longer than the buffer";
			return -1;
		}
		memcpy(out + n, p + 2, p[1] - 2u);
		n += p[1] - 2u;
	}
	if (state == 0)
		return 0;
	if (n < 4) {
		*why = "joined EAP-Message shorter than an EAP header";
		return -1;
	}
	if (be16_get(out + 2) != n) {
		*why = "joined EAP-Message length differs from its EAP header";
		return -1;
	}
	*len = n;
	return 1;
}

/* ---- MS-MPPE keys ---- */

/* the RFC 2548 keystream block: MD5(S | R | A) for i = 1, MD5(S | c(i-1)) after */
static int
mppe_block(uint8_t b[16], const uint8_t *secret, size_t slen, const uint8_t *prev,
           const uint8_t *req_auth, const uint8_t *salt)
{
	struct part v[3];

	v[0].p = secret;
	v[0].len = slen;
	if (prev == NULL) {
		v[1].p = req_auth;
		v[1].len = RADIUS_AUTH_LEN;
		v[2].p = salt;
		v[2].len = 2;
		return md5v(b, v, 3);
	}
	v[1].p = prev;
	v[1].len = 16;
	return md5v(b, v, 2);
}

int
radius_mppe_decrypt(const uint8_t *val, size_t len, const uint8_t req_auth[RADIUS_AUTH_LEN],
                    const uint8_t *secret, size_t secret_len, uint8_t key[32], const char **why)
{
	uint8_t plain[RADIUS_ATTR_MAX], b[16];
	size_t  slen, i, j, klen;

	*why = NULL;
	if (len < 2 + 16 || (len - 2) % 16 != 0 || len - 2 > sizeof(plain)) {
		*why = "MPPE key attribute length is not 2 + 16n";
		return -1;
	}
	if ((val[0] & 0x80) == 0) {
		*why = "MPPE key salt without its top bit";
		return -1;
	}
	slen = len - 2;
	for (i = 0; i < slen; i += 16) {
		if (mppe_block(b, secret, secret_len, i == 0 ? NULL : val + 2 + i - 16, req_auth,
		               val) != 0) {
			*why = "MD5 failed";
			return -1;
		}
		for (j = 0; j < 16; j++)
			plain[i + j] = (uint8_t)(val[2 + i + j] ^ b[j]);
	}
	klen = plain[0];
	if ((klen != 16 && klen != 32) || klen + 1 > slen) {
		memset(plain, 0, sizeof(plain));
		*why = "MPPE key length is not 16 or 32 (wrong shared secret?)";
		return -1;
	}
	memcpy(key, plain + 1, klen);
	memset(plain, 0, sizeof(plain));
	return (int)klen;
}

int
radius_mppe_encrypt(const uint8_t *key, size_t keylen, const uint8_t salt[2],
                    const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
                    size_t secret_len, uint8_t out[50])
{
	uint8_t plain[48], b[16];
	size_t  slen, i, j;

	if ((keylen != 16 && keylen != 32) || (salt[0] & 0x80) == 0)
		return -1;
	slen = (1 + keylen + 15) / 16 * 16;
	memset(plain, 0, sizeof(plain));
	plain[0] = (uint8_t)keylen;
	memcpy(plain + 1, key, keylen);
	out[0] = salt[0];
	out[1] = salt[1];
	for (i = 0; i < slen; i += 16) {
		if (mppe_block(b, secret, secret_len, i == 0 ? NULL : out + 2 + i - 16, req_auth,
		               salt) != 0)
			return -1;
		for (j = 0; j < 16; j++)
			out[2 + i + j] = (uint8_t)(plain[i + j] ^ b[j]);
	}
	return (int)(2 + slen);
}
