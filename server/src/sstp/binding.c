/*
 * SSTP crypto binding (MS-SSTP 3.2.5.2), verified against the spec's
 * section 4.7 examples:
 *
 *   CMK          = T1 = HMAC-H(HLAK, "SSTP inner method derived CMK" | LEN | 0x01)
 *                  LEN = hash length as a 16-bit LITTLE-endian number
 *                  (20 00 for SHA256, 14 00 for SHA1); only T1 is needed
 *   Compound MAC = HMAC-H(CMK, CALL_CONNECTED (112 bytes) with bytes 80..111 zeroed)
 *
 * H is SHA1 or SHA256 per the hash protocol; SHA1 values are 20 bytes
 * followed by 12 zero bytes of padding in 32-byte fields.
 */
#include "sstp/sstp_int.h"

#include <string.h>

#include <mbedtls/constant_time.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

static const char cmk_seed[] = "SSTP inner method derived CMK"; /* 29 bytes, no NUL */

static const uint8_t zero_hlak[SSTP_HLAK_LEN];

static const mbedtls_md_info_t *
md_for(uint8_t hash_proto)
{
	switch (hash_proto) {
	case SSTP_HASH_SHA1:   return mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
	case SSTP_HASH_SHA256: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	default:               return NULL;
	}
}

size_t
sstp_hash_len(uint8_t hash_proto)
{
	switch (hash_proto) {
	case SSTP_HASH_SHA1:   return 20;
	case SSTP_HASH_SHA256: return 32;
	default:               return 0;
	}
}

const char *
sstp_hash_name(uint8_t hash_proto)
{
	switch (hash_proto) {
	case SSTP_HASH_SHA1:   return "sha1";
	case SSTP_HASH_SHA256: return "sha256";
	default:               return "unknown";
	}
}

void
sstp_compute_cmk(uint8_t hash_proto, const uint8_t hlak[SSTP_HLAK_LEN], uint8_t cmk[32])
{
	const mbedtls_md_info_t *md = md_for(hash_proto);
	uint8_t                  seed[sizeof(cmk_seed) - 1 + 3];
	size_t                   hlen = sstp_hash_len(hash_proto);

	memset(cmk, 0, 32);
	if (md == NULL)
		return;
	if (hlak == NULL)
		hlak = zero_hlak;
	memcpy(seed, cmk_seed, sizeof(cmk_seed) - 1);
	seed[sizeof(cmk_seed) - 1] = (uint8_t)hlen;  /* LEN, little-endian */
	seed[sizeof(cmk_seed)] = 0;
	seed[sizeof(cmk_seed) + 1] = 0x01;
	if (mbedtls_md_hmac(md, hlak, SSTP_HLAK_LEN, seed, sizeof(seed), cmk) != 0)
		memset(cmk, 0, 32);
}

void
sstp_compute_cmac(uint8_t hash_proto, const uint8_t cmk[32], const uint8_t msg[112], uint8_t mac[32])
{
	const mbedtls_md_info_t *md = md_for(hash_proto);
	uint8_t                  buf[SSTP_CALL_CONNECTED_LEN];

	memset(mac, 0, 32);
	if (md == NULL)
		return;
	memcpy(buf, msg, sizeof(buf));
	memset(buf + SSTP_CC_OFF_MAC, 0, SSTP_CALL_CONNECTED_LEN - SSTP_CC_OFF_MAC);
	if (mbedtls_md_hmac(md, cmk, sstp_hash_len(hash_proto), buf, sizeof(buf), mac) != 0)
		memset(mac, 0, 32);
}

void
sstp_build_call_connected(uint8_t out[SSTP_CALL_CONNECTED_LEN], uint8_t hash_proto,
                          const uint8_t nonce[SSTP_NONCE_LEN], const uint8_t *cert_hash,
                          const uint8_t *hlak)
{
	uint8_t cmk[32], mac[32];
	size_t  hlen = sstp_hash_len(hash_proto);

	memset(out, 0, SSTP_CALL_CONNECTED_LEN);
	sstp_put_hdr(out, 1, SSTP_CALL_CONNECTED_LEN);
	out[5] = SSTP_MSG_CALL_CONNECTED;
	out[7] = 1;
	out[9] = SSTP_ATTRIB_CRYPTO_BINDING;
	out[11] = SSTP_CB_ATTR_LEN;
	out[SSTP_CC_OFF_PROTO] = hash_proto;
	memcpy(out + SSTP_CC_OFF_NONCE, nonce, SSTP_NONCE_LEN);
	if (cert_hash != NULL && hlen > 0)
		memcpy(out + SSTP_CC_OFF_CERT, cert_hash, hlen);
	sstp_compute_cmk(hash_proto, hlak, cmk);
	sstp_compute_cmac(hash_proto, cmk, out, mac);
	memcpy(out + SSTP_CC_OFF_MAC, mac, 32);
}

int
sstp_check_cmac(const uint8_t msg[SSTP_CALL_CONNECTED_LEN], const uint8_t *hlak)
{
	uint8_t proto = msg[SSTP_CC_OFF_PROTO];
	size_t  hlen = sstp_hash_len(proto);
	uint8_t cmk[32], mac[32];
	int     r;

	if (hlen == 0)
		return -1;
	sstp_compute_cmk(proto, hlak, cmk);
	sstp_compute_cmac(proto, cmk, msg, mac);
	r = mbedtls_ct_memcmp(mac, msg + SSTP_CC_OFF_MAC, hlen);
	mbedtls_platform_zeroize(cmk, sizeof(cmk));
	return r == 0 ? 0 : -1;
}
