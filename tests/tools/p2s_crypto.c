/*
 * p2s_crypto.c - MS-CHAPv2 (RFC 2759), MPPE start keys (RFC 3079) and the
 * SSTP crypto binding ([MS-SSTP] 3.2.5.2) for the p2s_client oracle.
 */
#include "p2s_crypto.h"

#include <ctype.h>
#include <string.h>

#include <mbedtls/des.h>
#include <mbedtls/md.h>
#include <mbedtls/md4.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

#define MAX_PW_UTF16 256        /* RFC 2759: password up to 256 unicode chars */

/* "DOMAIN\user" -> "user": RFC 2759 hashes the name without the domain. */
static const char *
strip_domain(const char *user)
{
	const char *bs = strrchr(user, '\\');

	return bs != NULL ? bs + 1 : user;
}

/* UTF-8 -> UTF-16LE; returns byte length or -1. */
static int
utf8_to_utf16le(const char *s, uint8_t *out, size_t cap)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = 0;

	while (*p != '\0') {
		uint32_t cp;
		int extra;

		if (*p < 0x80) {
			cp = *p;
			extra = 0;
		} else if ((*p & 0xE0) == 0xC0) {
			cp = *p & 0x1F;
			extra = 1;
		} else if ((*p & 0xF0) == 0xE0) {
			cp = *p & 0x0F;
			extra = 2;
		} else if ((*p & 0xF8) == 0xF0) {
			cp = *p & 0x07;
			extra = 3;
		} else {
			return -1;
		}
		p++;
		for (int i = 0; i < extra; i++, p++) {
			if ((*p & 0xC0) != 0x80)
				return -1;
			cp = (cp << 6) | (*p & 0x3F);
		}
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			uint16_t hi = (uint16_t)(0xD800 | (v >> 10));
			uint16_t lo = (uint16_t)(0xDC00 | (v & 0x3FF));

			if (n + 4 > cap)
				return -1;
			out[n++] = hi & 0xFF;
			out[n++] = hi >> 8;
			out[n++] = lo & 0xFF;
			out[n++] = lo >> 8;
		} else {
			if (n + 2 > cap)
				return -1;
			out[n++] = cp & 0xFF;
			out[n++] = (cp >> 8) & 0xFF;
		}
	}
	return (int)n;
}

int
mschapv2_challenge_hash(const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                        const char *user, uint8_t out[8])
{
	mbedtls_sha1_context ctx;
	uint8_t d[20];
	const char *u = strip_domain(user);
	int rc = -1;

	mbedtls_sha1_init(&ctx);
	if (mbedtls_sha1_starts_ret(&ctx) != 0 ||
	    mbedtls_sha1_update_ret(&ctx, peer_chal, 16) != 0 ||
	    mbedtls_sha1_update_ret(&ctx, auth_chal, 16) != 0 ||
	    mbedtls_sha1_update_ret(&ctx, (const uint8_t *)u, strlen(u)) != 0 ||
	    mbedtls_sha1_finish_ret(&ctx, d) != 0)
		goto out;
	memcpy(out, d, 8);
	rc = 0;
out:
	mbedtls_sha1_free(&ctx);
	return rc;
}

int
mschapv2_nt_password_hash(const char *password, uint8_t out[16])
{
	uint8_t u16[MAX_PW_UTF16 * 2];
	int n = utf8_to_utf16le(password, u16, sizeof(u16));

	if (n < 0)
		return -1;
	return mbedtls_md4_ret(u16, (size_t)n, out) == 0 ? 0 : -1;
}

/* DES-encrypt 8 bytes with a 7-byte key (RFC 2759 DesEncrypt). */
static int
des_encrypt7(const uint8_t in[8], const uint8_t k7[7], uint8_t out[8])
{
	mbedtls_des_context des;
	uint8_t k[8];
	int rc;

	k[0] = k7[0];
	k[1] = (uint8_t)((k7[0] << 7) | (k7[1] >> 1));
	k[2] = (uint8_t)((k7[1] << 6) | (k7[2] >> 2));
	k[3] = (uint8_t)((k7[2] << 5) | (k7[3] >> 3));
	k[4] = (uint8_t)((k7[3] << 4) | (k7[4] >> 4));
	k[5] = (uint8_t)((k7[4] << 3) | (k7[5] >> 5));
	k[6] = (uint8_t)((k7[5] << 2) | (k7[6] >> 6));
	k[7] = (uint8_t)(k7[6] << 1);
	mbedtls_des_key_set_parity(k);
	mbedtls_des_init(&des);
	rc = mbedtls_des_setkey_enc(&des, k);
	if (rc == 0)
		rc = mbedtls_des_crypt_ecb(&des, in, out);
	mbedtls_des_free(&des);
	return rc == 0 ? 0 : -1;
}

int
mschapv2_nt_response(const uint8_t auth_chal[16], const uint8_t peer_chal[16],
                     const char *user, const char *password, uint8_t out[24])
{
	uint8_t ch[8], zh[21];

	if (mschapv2_challenge_hash(peer_chal, auth_chal, user, ch) != 0)
		return -1;
	memset(zh, 0, sizeof(zh));
	if (mschapv2_nt_password_hash(password, zh) != 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (des_encrypt7(ch, zh + 7 * i, out + 8 * i) != 0)
			return -1;
	return 0;
}

static const char MAGIC1[] = "Magic server to client signing constant";
static const char MAGIC2[] = "Pad to make it do more than one iteration";

int
mschapv2_auth_response(const char *password, const uint8_t nt_resp[24],
                       const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                       const char *user, char out[43])
{
	mbedtls_sha1_context ctx;
	uint8_t ph[16], phh[16], d[20], ch[8];
	int rc = -1;

	if (mschapv2_nt_password_hash(password, ph) != 0 ||
	    mbedtls_md4_ret(ph, 16, phh) != 0 ||
	    mschapv2_challenge_hash(peer_chal, auth_chal, user, ch) != 0)
		return -1;
	mbedtls_sha1_init(&ctx);
	if (mbedtls_sha1_starts_ret(&ctx) != 0 ||
	    mbedtls_sha1_update_ret(&ctx, phh, 16) != 0 ||
	    mbedtls_sha1_update_ret(&ctx, nt_resp, 24) != 0 ||
	    mbedtls_sha1_update_ret(&ctx, (const uint8_t *)MAGIC1, 39) != 0 ||
	    mbedtls_sha1_finish_ret(&ctx, d) != 0)
		goto out;
	if (mbedtls_sha1_starts_ret(&ctx) != 0 ||
	    mbedtls_sha1_update_ret(&ctx, d, 20) != 0 ||
	    mbedtls_sha1_update_ret(&ctx, ch, 8) != 0 ||
	    mbedtls_sha1_update_ret(&ctx, (const uint8_t *)MAGIC2, 41) != 0 ||
	    mbedtls_sha1_finish_ret(&ctx, d) != 0)
		goto out;
	out[0] = 'S';
	out[1] = '=';
	hex_encode(d, 20, out + 2);
	rc = 0;
out:
	mbedtls_sha1_free(&ctx);
	return rc;
}

static const char MPPE_MAGIC1[] = "This is the MPPE Master Key";
static const char MPPE_MAGIC2[] =
    "On the client side, this is the send key; "
    "on the server side, it is the receive key.";
static const char MPPE_MAGIC3[] =
    "On the client side, this is the receive key; "
    "on the server side, it is the send key.";

int
mppe_master_key(const char *password, const uint8_t nt_resp[24], uint8_t out[16])
{
	mbedtls_sha1_context ctx;
	uint8_t ph[16], phh[16], d[20];
	int rc = -1;

	if (mschapv2_nt_password_hash(password, ph) != 0 ||
	    mbedtls_md4_ret(ph, 16, phh) != 0)
		return -1;
	mbedtls_sha1_init(&ctx);
	if (mbedtls_sha1_starts_ret(&ctx) == 0 &&
	    mbedtls_sha1_update_ret(&ctx, phh, 16) == 0 &&
	    mbedtls_sha1_update_ret(&ctx, nt_resp, 24) == 0 &&
	    mbedtls_sha1_update_ret(&ctx, (const uint8_t *)MPPE_MAGIC1, 27) == 0 &&
	    mbedtls_sha1_finish_ret(&ctx, d) == 0) {
		memcpy(out, d, 16);
		rc = 0;
	}
	mbedtls_sha1_free(&ctx);
	return rc;
}

int
mppe_start_key(const uint8_t master[16], int magic2, uint8_t out[16])
{
	mbedtls_sha1_context ctx;
	uint8_t pad1[40], pad2[40], d[20];
	const char *m = magic2 ? MPPE_MAGIC2 : MPPE_MAGIC3;
	int rc = -1;

	memset(pad1, 0x00, sizeof(pad1));
	memset(pad2, 0xF2, sizeof(pad2));
	mbedtls_sha1_init(&ctx);
	if (mbedtls_sha1_starts_ret(&ctx) == 0 &&
	    mbedtls_sha1_update_ret(&ctx, master, 16) == 0 &&
	    mbedtls_sha1_update_ret(&ctx, pad1, 40) == 0 &&
	    mbedtls_sha1_update_ret(&ctx, (const uint8_t *)m, 84) == 0 &&
	    mbedtls_sha1_update_ret(&ctx, pad2, 40) == 0 &&
	    mbedtls_sha1_finish_ret(&ctx, d) == 0) {
		memcpy(out, d, 16);
		rc = 0;
	}
	mbedtls_sha1_free(&ctx);
	return rc;
}

int
mschapv2_client_hlak(const char *password, const uint8_t nt_resp[24],
                     uint8_t hlak[P2S_HLAK_LEN])
{
	uint8_t mk[16];

	if (mppe_master_key(password, nt_resp, mk) != 0 ||
	    mppe_start_key(mk, 1, hlak) != 0 ||          /* client send key */
	    mppe_start_key(mk, 0, hlak + 16) != 0)       /* client receive key */
		return -1;
	return 0;
}

static const mbedtls_md_info_t *
md_of(int hash_proto, size_t *len)
{
	if (hash_proto == P2S_HASH_SHA1) {
		*len = 20;
		return mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
	}
	if (hash_proto == P2S_HASH_SHA256) {
		*len = 32;
		return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	}
	return NULL;
}

static const char CMK_SEED[] = "SSTP inner method derived CMK";   /* 29 bytes */

int
sstp_cmk(int hash_proto, const uint8_t hlak[P2S_HLAK_LEN], uint8_t cmk[32])
{
	uint8_t msg[29 + 3], d[32];
	size_t hl;
	const mbedtls_md_info_t *md = md_of(hash_proto, &hl);

	if (md == NULL)
		return -1;
	memcpy(msg, CMK_SEED, 29);
	msg[29] = (uint8_t)(hl & 0xFF);         /* LEN, little-endian u16 */
	msg[30] = (uint8_t)(hl >> 8);
	msg[31] = 0x01;                         /* PRF+ iteration counter */
	if (mbedtls_md_hmac(md, hlak, P2S_HLAK_LEN, msg, sizeof(msg), d) != 0)
		return -1;
	memset(cmk, 0, 32);
	memcpy(cmk, d, hl);
	return 0;
}

int
sstp_build_call_connected(int hash_proto, const uint8_t nonce[32],
                          const uint8_t *cert_hash, const uint8_t hlak[P2S_HLAK_LEN],
                          int bad, uint8_t out[P2S_CALL_CONNECTED_LEN])
{
	static const uint8_t hdr[12] = {
		0x10, 0x01, 0x00, 0x70,         /* control, length 112 */
		0x00, 0x04, 0x00, 0x01,         /* CALL_CONNECTED, 1 attribute */
		0x00, 0x03, 0x00, 0x68,         /* CRYPTO_BINDING, length 104 */
	};
	uint8_t cmk[32], mac[32];
	size_t hl;
	const mbedtls_md_info_t *md = md_of(hash_proto, &hl);

	if (md == NULL)
		return -1;
	memset(out, 0, P2S_CALL_CONNECTED_LEN);
	memcpy(out, hdr, sizeof(hdr));
	out[15] = (uint8_t)hash_proto;
	memcpy(out + 16, nonce, 32);
	memcpy(out + 48, cert_hash, hl);
	if (bad == 'n')
		out[16] ^= 0x01;
	if (bad == 'c')
		out[48] ^= 0x01;
	if (sstp_cmk(hash_proto, hlak, cmk) != 0)
		return -1;
	if (mbedtls_md_hmac(md, cmk, hl, out, P2S_CALL_CONNECTED_LEN, mac) != 0)
		return -1;
	memcpy(out + 80, mac, hl);
	if (bad == 'm')
		out[80] ^= 0x01;
	return 0;
}

uint16_t
inet_cksum(const uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t sum = seed;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

int
hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = hex; *p != '\0'; p++) {
		int v;

		if (*p == ' ' || *p == '-' || *p == '\n')
			continue;
		if (!isxdigit((unsigned char)*p))
			return -1;
		v = isdigit((unsigned char)*p) ? *p - '0' :
		    tolower((unsigned char)*p) - 'a' + 10;
		if (hi < 0) {
			hi = v;
		} else {
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? (int)n : -1;
}

void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char d[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 0xF];
	}
	out[2 * len] = '\0';
}

uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int
opt_next(const uint8_t *p, size_t len, size_t *off, const uint8_t **opt, size_t *olen)
{
	if (*off >= len)
		return 1;
	if (2 > len - *off)
		return -1;
	*opt = p + *off;
	*olen = p[*off + 1];
	if (*olen < 2 || *olen > len - *off)
		return -1;
	*off += *olen;
	return 0;
}
