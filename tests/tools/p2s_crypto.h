/*
 * p2s_crypto.h - pure crypto helpers of the p2s_client test oracle.
 *
 * Written from the specifications only (RFC 2759, RFC 3079, RFC 5216,
 * [MS-SSTP] 3.2.5.2); it shares no code with the server under test.
 * Every function is I/O free so that --self-test can check it against the
 * published vectors.
 */
#ifndef P2S_CRYPTO_H
#define P2S_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define P2S_HASH_SHA1   1       /* CERT_HASH_PROTOCOL_SHA1 */
#define P2S_HASH_SHA256 2       /* CERT_HASH_PROTOCOL_SHA256 */

#define P2S_CALL_CONNECTED_LEN 112
#define P2S_NONCE_LEN          32
#define P2S_HLAK_LEN           32

/* RFC 2759 section 8 */
int mschapv2_challenge_hash(const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                            const char *user, uint8_t out[8]);
int mschapv2_nt_password_hash(const char *password, uint8_t out[16]);
int mschapv2_nt_response(const uint8_t auth_chal[16], const uint8_t peer_chal[16],
                         const char *user, const char *password, uint8_t out[24]);
/* out: "S=" + 40 upper-case hex digits + NUL */
int mschapv2_auth_response(const char *password, const uint8_t nt_resp[24],
                           const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                           const char *user, char out[43]);
/* RFC 3079 section 3: MasterKey and the two 128-bit start keys. */
int mppe_master_key(const char *password, const uint8_t nt_resp[24], uint8_t out[16]);
/* magic2 = 1: "On the client side, this is the send key..." ; 0: Magic3 */
int mppe_start_key(const uint8_t master[16], int magic2, uint8_t out[16]);
/* Client HLAK for MS-CHAPv2: MasterSendKey || MasterReceiveKey. */
int mschapv2_client_hlak(const char *password, const uint8_t nt_resp[24],
                         uint8_t hlak[P2S_HLAK_LEN]);

/* [MS-SSTP] 3.2.5.2: CMK = HMAC-H(HLAK, seed || LEN_le16 || 0x01)[0:hashlen] */
int sstp_cmk(int hash_proto, const uint8_t hlak[P2S_HLAK_LEN], uint8_t cmk[32]);
/*
 * Build the 112-byte SSTP_MSG_CALL_CONNECTED with the crypto binding.
 * cert_hash holds hashlen bytes (20 or 32); the pad stays zero.
 * bad: 0 none, 'n' corrupt nonce, 'c' corrupt cert hash, 'm' corrupt MAC.
 */
int sstp_build_call_connected(int hash_proto, const uint8_t nonce[32],
                              const uint8_t *cert_hash, const uint8_t hlak[P2S_HLAK_LEN],
                              int bad, uint8_t out[P2S_CALL_CONNECTED_LEN]);

uint16_t inet_cksum(const uint8_t *p, size_t len, uint32_t seed);

/* Big-endian 16-bit fields. */
uint16_t rd16(const uint8_t *p);
void     wr16(uint8_t *p, uint16_t v);
/* PPP options, Type(1) Length(2..) Data: the next one at *off of p[0..len)
 * into *opt / *olen. 0 next, 1 end of the list, -1 malformed. */
int      opt_next(const uint8_t *p, size_t len, size_t *off, const uint8_t **opt, size_t *olen);

/* Hex helpers: returns number of bytes parsed or -1. Spaces/dashes skipped. */
int hex_decode(const char *hex, uint8_t *out, size_t cap);
void hex_encode(const uint8_t *in, size_t len, char *out); /* out: 2*len+1 */

int p2s_self_test(void);

#endif
