/*
 * MS-CHAPv2 arithmetic (RFC 2759 section 8) and the MPPE master and start
 * keys (RFC 3079 section 3) that make the SSTP HLAK. mbedTLS provides MD4,
 * DES and SHA-1. The packet exchange is in chap.c.
 */
#include <string.h>

#include <mbedtls/des.h>
#include <mbedtls/md4.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha1.h>

#include "ppp/ppp.h"
#include "ppp/ppp_int.h"

/* RFC 2759 8.7 */
static const uint8_t magic1[39] = "Magic server to client signing constant";
static const uint8_t magic2[41] = "Pad to make it do more than one iteration";
/* RFC 3079 3.4 / 3.3 */
static const uint8_t mk_magic1[27] = "This is the MPPE Master Key";
static const uint8_t sk_magic2[84] =
    "On the client side, this is the send key; on the server side, it is the receive key.";
static const uint8_t sk_magic3[84] =
    "On the client side, this is the receive key; on the server side, it is the send key.";

/* The user name as used in ChallengeHash: without a "DOMAIN\" prefix. */
const char *
mschapv2_strip_domain(const char *user)
{
	const char *bs = strrchr(user, '\\');

	return bs != NULL ? bs + 1 : user;
}

/*
 * UTF-8 password -> UTF-16LE, at most 256 characters (RFC 2759 8.3
 * "Password is ... 0 to 256 unicode characters"). Invalid UTF-8 bytes are
 * taken as Latin-1 code points. Returns the number of bytes written.
 */
static size_t
utf16le(const char *s, uint8_t out[512])
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = 0;

	while (*p != '\0' && n + 2 <= 512) {
		uint32_t cp = *p;
		size_t extra = 0;
		if (cp >= 0xC2 && cp <= 0xDF)
			extra = 1, cp &= 0x1F;
		else if (cp >= 0xE0 && cp <= 0xEF)
			extra = 2, cp &= 0x0F;
		else if (cp >= 0xF0 && cp <= 0xF4)
			extra = 3, cp &= 0x07;
		size_t i;
		for (i = 1; i <= extra; i++) {
			if ((p[i] & 0xC0) != 0x80)
				break;
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if (i <= extra) { /* truncated sequence: take the byte itself */
			cp = *p;
			extra = 0;
		}
		p += 1 + extra;
		if (cp >= 0x10000) {
			if (n + 4 > 512)
				break;
			cp -= 0x10000;
			uint32_t hi = 0xD800 | (cp >> 10), lo = 0xDC00 | (cp & 0x3FF);
			out[n++] = (uint8_t)hi;
			out[n++] = (uint8_t)(hi >> 8);
			out[n++] = (uint8_t)lo;
			out[n++] = (uint8_t)(lo >> 8);
		} else {
			out[n++] = (uint8_t)cp;
			out[n++] = (uint8_t)(cp >> 8);
		}
	}
	return n;
}

/* RFC 2759 8.3 NtPasswordHash = MD4(UTF-16LE password) */
void
mschapv2_password_hash(const char *password, uint8_t out[16])
{
	uint8_t u[512];
	size_t n = utf16le(password, u);

	mbedtls_md4_ret(u, n, out);
	mbedtls_platform_zeroize(u, sizeof(u));
}

/* RFC 2759 8.2 ChallengeHash = SHA1(PeerChallenge | AuthChallenge | UserName)[0:8] */
void
mschapv2_challenge_hash(const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                        const char *user, uint8_t out[8])
{
	mbedtls_sha1_context c;
	uint8_t d[20];
	const char *name = mschapv2_strip_domain(user);

	mbedtls_sha1_init(&c);
	mbedtls_sha1_starts_ret(&c);
	mbedtls_sha1_update_ret(&c, peer_chal, 16);
	mbedtls_sha1_update_ret(&c, auth_chal, 16);
	mbedtls_sha1_update_ret(&c, (const uint8_t *)name, strlen(name));
	mbedtls_sha1_finish_ret(&c, d);
	mbedtls_sha1_free(&c);
	memcpy(out, d, 8);
}

/* 7 key bytes -> 8 DES key bytes (parity bits are ignored by DES) */
static void
des_key(const uint8_t in[7], uint8_t out[8])
{
	out[0] = in[0];
	out[1] = (uint8_t)(in[0] << 7 | in[1] >> 1);
	out[2] = (uint8_t)(in[1] << 6 | in[2] >> 2);
	out[3] = (uint8_t)(in[2] << 5 | in[3] >> 3);
	out[4] = (uint8_t)(in[3] << 4 | in[4] >> 4);
	out[5] = (uint8_t)(in[4] << 3 | in[5] >> 5);
	out[6] = (uint8_t)(in[5] << 2 | in[6] >> 6);
	out[7] = (uint8_t)(in[6] << 1);
}

/* RFC 2759 8.5 ChallengeResponse: DES of the challenge under the 21-byte padded hash */
static void
challenge_response(const uint8_t chal[8], const uint8_t pwhash[16], uint8_t out[24])
{
	uint8_t z[21], k[8];
	mbedtls_des_context des;

	memset(z, 0, sizeof(z));
	memcpy(z, pwhash, 16);
	mbedtls_des_init(&des);
	for (int i = 0; i < 3; i++) {
		des_key(z + 7 * i, k);
		mbedtls_des_setkey_enc(&des, k);
		mbedtls_des_crypt_ecb(&des, chal, out + 8 * i);
	}
	mbedtls_des_free(&des);
	mbedtls_platform_zeroize(z, sizeof(z));
	mbedtls_platform_zeroize(k, sizeof(k));
}

void
mschapv2_nt_response_hash(const uint8_t auth_chal[16], const uint8_t peer_chal[16],
                          const char *user, const uint8_t pwhash[16], uint8_t out[24])
{
	uint8_t ch[8];

	mschapv2_challenge_hash(peer_chal, auth_chal, user, ch);
	challenge_response(ch, pwhash, out);
}

/* RFC 2759 8.1 GenerateNTResponse */
void
mschapv2_nt_response(const uint8_t auth_chal[16], const uint8_t peer_chal[16],
                     const char *user, const char *password, uint8_t out[24])
{
	uint8_t h[16];

	mschapv2_password_hash(password, h);
	mschapv2_nt_response_hash(auth_chal, peer_chal, user, h, out);
	mbedtls_platform_zeroize(h, sizeof(h));
}

static const char hexd[] = "0123456789ABCDEF";

void
ppp_hex(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexd[in[i] >> 4];
		out[2 * i + 1] = hexd[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* RFC 2759 8.7 GenerateAuthenticatorResponse: "S=" + 40 upper-case hex digits */
void
mschapv2_authenticator_response(const char *password, const uint8_t nt_response[24],
                                const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                                const char *user, char out[43])
{
	mbedtls_sha1_context c;
	uint8_t h[16], hh[16], d[20], ch[8];

	mschapv2_password_hash(password, h);
	mbedtls_md4_ret(h, 16, hh);

	mbedtls_sha1_init(&c);
	mbedtls_sha1_starts_ret(&c);
	mbedtls_sha1_update_ret(&c, hh, 16);
	mbedtls_sha1_update_ret(&c, nt_response, 24);
	mbedtls_sha1_update_ret(&c, magic1, sizeof(magic1));
	mbedtls_sha1_finish_ret(&c, d);

	mschapv2_challenge_hash(peer_chal, auth_chal, user, ch);
	mbedtls_sha1_starts_ret(&c);
	mbedtls_sha1_update_ret(&c, d, 20);
	mbedtls_sha1_update_ret(&c, ch, 8);
	mbedtls_sha1_update_ret(&c, magic2, sizeof(magic2));
	mbedtls_sha1_finish_ret(&c, d);
	mbedtls_sha1_free(&c);

	out[0] = 'S';
	out[1] = '=';
	ppp_hex(d, 20, out + 2);
	mbedtls_platform_zeroize(h, sizeof(h));
	mbedtls_platform_zeroize(hh, sizeof(hh));
}

/* RFC 3079 3.3 GetAsymmetricStartKey for a 16-byte key */
static void
start_key(const uint8_t master[16], const uint8_t magic[84], uint8_t out[16])
{
	mbedtls_sha1_context c;
	uint8_t pad[40], d[20];

	mbedtls_sha1_init(&c);
	mbedtls_sha1_starts_ret(&c);
	mbedtls_sha1_update_ret(&c, master, 16);
	memset(pad, 0x00, sizeof(pad));
	mbedtls_sha1_update_ret(&c, pad, sizeof(pad));
	mbedtls_sha1_update_ret(&c, magic, 84);
	memset(pad, 0xF2, sizeof(pad));
	mbedtls_sha1_update_ret(&c, pad, sizeof(pad));
	mbedtls_sha1_finish_ret(&c, d);
	mbedtls_sha1_free(&c);
	memcpy(out, d, 16);
	mbedtls_platform_zeroize(d, sizeof(d));
}

/*
 * RFC 3079 3.4 GetMasterKey, then the server's receive key (Magic2) and send
 * key (Magic3): HLAK = MasterReceiveKey | MasterSendKey (MS-SSTP 3.2.5.2.2,
 * the same 32 bytes the client computes as MasterSendKey | MasterReceiveKey).
 */
void
mschapv2_hlak_hash(const uint8_t pwhash[16], const uint8_t nt_response[24], uint8_t hlak[32])
{
	mbedtls_sha1_context c;
	uint8_t hh[16], d[20];

	mbedtls_md4_ret(pwhash, 16, hh);
	mbedtls_sha1_init(&c);
	mbedtls_sha1_starts_ret(&c);
	mbedtls_sha1_update_ret(&c, hh, 16);
	mbedtls_sha1_update_ret(&c, nt_response, 24);
	mbedtls_sha1_update_ret(&c, mk_magic1, sizeof(mk_magic1));
	mbedtls_sha1_finish_ret(&c, d);
	mbedtls_sha1_free(&c);
	start_key(d, sk_magic2, hlak);
	start_key(d, sk_magic3, hlak + 16);
	mbedtls_platform_zeroize(hh, sizeof(hh));
	mbedtls_platform_zeroize(d, sizeof(d));
}

void
mschapv2_hlak(const char *password, const uint8_t nt_response[24], uint8_t hlak[32])
{
	uint8_t h[16];

	mschapv2_password_hash(password, h);
	mschapv2_hlak_hash(h, nt_response, hlak);
	mbedtls_platform_zeroize(h, sizeof(h));
}
