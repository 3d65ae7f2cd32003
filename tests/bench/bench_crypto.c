/*
 * Crypto ceilings for the gateway on one core, measured with the same mbedTLS
 * the gateway links, in the same run as the load figures of bench.sh.
 *
 *   bench_crypto KEY.pem [SECONDS]
 *   bench_crypto --handshake KEY.pem [SECONDS]
 *   bench_crypto --gcm [SECONDS]
 *
 * KEY.pem is the gateway's leaf key; SECONDS is the CPU time spent on each
 * figure (default 1). Rates are per second of this thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), so other processes sharing the core lengthen the
 * run but do not lower the figures. Prints `key value` lines:
 *
 *   rsa2048_sign_per_s         mbedtls_pk_sign, SHA-256, PKCS#1 v1.5: the
 *                              ServerKeyExchange signature of ECDHE-RSA
 *   rsa2048_decrypt_per_s      mbedtls_pk_decrypt of a 48-byte premaster: the
 *                              server's private-key operation with RSA key exchange
 *   CURVE_ecdhe_per_s          the server's ECDHE share as the handshake does it:
 *                              mbedtls_ecdh_make_params (key generation) +
 *                              mbedtls_ecdh_read_public + mbedtls_ecdh_calc_secret,
 *                              for x25519, secp256r1, secp384r1
 *   handshake_ceiling_CURVE_per_s
 *                              1 / (1/sign + 1/ecdhe): the private-key crypto of one
 *                              full ECDHE-RSA handshake, nothing else
 *   handshake_ceiling_per_s    the same for x25519 (the curve the gateway picks first)
 *   rsa_kx_handshake_ceiling_per_s
 *                              = rsa2048_decrypt_per_s (TLS_RSA_WITH_* suites)
 *   aesNNNgcm_{enc,dec}_SIZE_mb_s
 *                              one TLS 1.2 GCM record of SIZE plaintext bytes, through
 *                              the cipher layer as the record layer does it
 *                              (mbedtls_cipher_auth_{en,de}crypt_ext, 12-byte nonce,
 *                              13-byte additional data, 16-byte tag), in 10^6 bytes of
 *                              plaintext per second, for SIZE 16384 and 1400
 *
 * --handshake prints only handshake_pair_per_s: one signature and one x25519
 * server share after the other in one window, the same ceiling as
 * handshake_ceiling_per_s without two separate windows, for a figure taken right
 * next to a handshake run on the gateway's own CPU. --gcm prints only the
 * AES-256-GCM figures, for the same next to a tunnel run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/cipher.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/pk.h>

#include "util/rng.h"

#define REC_MAX 16384

/* CPU seconds used by this thread */
static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One step of a figure: 0, or -1 after saying what failed. */
typedef int (*step_fn)(void *arg, long n);

/* Steps per CPU second of this thread, over at least secs. */
static int
rate_of(step_fn step, void *arg, double secs, double *rate)
{
	long n = 0;
	double t0 = now_s(), t;

	do {
		if (step(arg, n) != 0)
			return -1;
		n++;
	} while ((t = now_s() - t0) < secs);
	*rate = (double)n / t;
	return 0;
}

/* One RSA-2048 signature with the leaf key (arg), SHA-256 as in the handshake. */
static int
sign_step(void *arg, long n)
{
	unsigned char hash[32] = { 0 }, sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t siglen;

	memcpy(hash, &n, sizeof(n));
	if (mbedtls_pk_sign(arg, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, &siglen,
	    rng_fill, rng_ctx()) != 0) {
		fprintf(stderr, "%s: mbedtls_pk_sign failed\n", __func__);
		return -1;
	}
	return 0;
}

/* An RSA-2048 PKCS#1 v1.5 premaster secret (48 bytes) and its decryption. */
struct premaster {
	mbedtls_pk_context *pk;
	unsigned char       enc[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t              enclen;
};

static int
decrypt_step(void *arg, long n)
{
	struct premaster *p = arg;
	unsigned char dec[48];
	size_t declen;

	(void)n;
	if (mbedtls_pk_decrypt(p->pk, p->enc, p->enclen, dec, &declen, sizeof(dec), rng_fill,
	    rng_ctx()) != 0 || declen != sizeof(dec)) {
		fprintf(stderr, "%s: mbedtls_pk_decrypt failed\n", __func__);
		return -1;
	}
	return 0;
}

/* RSA-2048 decryptions of a premaster secret per second. */
static int
bench_decrypt(mbedtls_pk_context *pk, double secs, double *rate)
{
	struct premaster p = { .pk = pk };
	unsigned char pms[48];

	memset(pms, 0x03, sizeof(pms));
	if (mbedtls_pk_encrypt(pk, pms, sizeof(pms), p.enc, &p.enclen, sizeof(p.enc), rng_fill,
	    rng_ctx()) != 0) {
		fprintf(stderr, "%s: mbedtls_pk_encrypt failed\n", __func__);
		return -1;
	}
	return rate_of(decrypt_step, &p, secs, rate);
}

/* A client's share of one curve, made once and read by every server share. */
struct ecdhe {
	mbedtls_ecp_group_id  grp_id;
	mbedtls_ecdh_context  cli;
	unsigned char         cli_pub[MBEDTLS_ECP_MAX_PT_LEN + 1];
	size_t                cli_len;
	mbedtls_pk_context   *pk; /* for the handshake's pair: the signing key */
};

static int
ecdhe_init(struct ecdhe *e, mbedtls_ecp_group_id grp_id, mbedtls_pk_context *pk)
{
	e->grp_id = grp_id;
	e->pk = pk;
	mbedtls_ecdh_init(&e->cli);
	if (mbedtls_ecdh_setup(&e->cli, grp_id) != 0 ||
	    mbedtls_ecdh_make_public(&e->cli, &e->cli_len, e->cli_pub, sizeof(e->cli_pub),
	    rng_fill, rng_ctx()) != 0) {
		fprintf(stderr, "%s: cannot make the client's share\n", __func__);
		return -1;
	}
	return 0;
}

/*
 * The server's side of one ECDHE exchange, as ssl_srv.c does it: a fresh key
 * pair written as ServerKeyExchange params, the client's share read from its
 * ClientKeyExchange, and the shared secret.
 */
static int
ecdhe_step(void *arg, long n)
{
	const struct ecdhe *e = arg;
	mbedtls_ecdh_context srv;
	unsigned char params[MBEDTLS_ECP_MAX_PT_LEN + 8], secret[MBEDTLS_ECP_MAX_BYTES];
	size_t len;
	int ret = 0;

	(void)n;
	mbedtls_ecdh_init(&srv);
	if (mbedtls_ecdh_setup(&srv, e->grp_id) != 0 ||
	    mbedtls_ecdh_make_params(&srv, &len, params, sizeof(params), rng_fill,
	    rng_ctx()) != 0 ||
	    mbedtls_ecdh_read_public(&srv, e->cli_pub, e->cli_len) != 0 ||
	    mbedtls_ecdh_calc_secret(&srv, &len, secret, sizeof(secret), rng_fill,
	    rng_ctx()) != 0) {
		fprintf(stderr, "%s: server share failed\n", __func__);
		ret = -1;
	}
	mbedtls_ecdh_free(&srv);
	return ret;
}

/*
 * A full ECDHE-RSA handshake's private-key crypto: one signature, then one
 * server share. Timed as one step, the ceiling comes from one window (the
 * separate figures come from separate seconds, and this VM's speed moves
 * between seconds).
 */
static int
pair_step(void *arg, long n)
{
	struct ecdhe *e = arg;
	return sign_step(e->pk, n) != 0 ? -1 : ecdhe_step(e, n);
}

/* ECDHE server shares on one curve per second; with pk, handshake pairs. */
static int
bench_ecdhe(mbedtls_ecp_group_id grp_id, mbedtls_pk_context *pk, double secs, double *rate)
{
	struct ecdhe e;
	int ret = -1;

	if (ecdhe_init(&e, grp_id, pk) == 0)
		ret = rate_of(pk != NULL ? pair_step : ecdhe_step, &e, secs, rate);
	mbedtls_ecdh_free(&e.cli);
	return ret;
}

/* AES-GCM records of `size` plaintext bytes through the cipher layer; MB/s of plaintext. */
static int
bench_gcm(mbedtls_cipher_type_t type, int decrypt, size_t size, double secs, double *mb_s)
{
	static unsigned char in[REC_MAX + 16], out[REC_MAX + 16];
	unsigned char key[32], iv[12], ad[13];
	const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(type);
	mbedtls_cipher_context_t ctx;
	size_t olen;
	long n = 0;
	double t0, t;
	int ret = -1;

	mbedtls_cipher_init(&ctx);
	memset(key, 0x11, sizeof(key));
	memset(iv, 0x22, sizeof(iv));
	memset(ad, 0x33, sizeof(ad));
	memset(in, 0x44, sizeof(in));
	if (info == NULL || size > REC_MAX || mbedtls_cipher_setup(&ctx, info) != 0 ||
	    mbedtls_cipher_setkey(&ctx, key, (int)info->key_bitlen,
	    decrypt ? MBEDTLS_DECRYPT : MBEDTLS_ENCRYPT) != 0) {
		fprintf(stderr, "%s: cannot set up the cipher\n", __func__);
		goto fail;
	}
	if (decrypt) {
		/* one valid record (ciphertext || tag) to decrypt over and over */
		mbedtls_cipher_context_t e;
		mbedtls_cipher_init(&e);
		int rc = mbedtls_cipher_setup(&e, info);
		if (rc == 0)
			rc = mbedtls_cipher_setkey(&e, key, (int)info->key_bitlen, MBEDTLS_ENCRYPT);
		if (rc == 0)
			rc = mbedtls_cipher_auth_encrypt_ext(&e, iv, sizeof(iv), ad, sizeof(ad), out,
			    size, in, sizeof(in), &olen, 16);
		mbedtls_cipher_free(&e);
		if (rc != 0) {
			fprintf(stderr, "%s: cannot make a record to decrypt\n", __func__);
			goto fail;
		}
	}
	t0 = now_s();
	do {
		int rc = decrypt ?
		    mbedtls_cipher_auth_decrypt_ext(&ctx, iv, sizeof(iv), ad, sizeof(ad), in,
		    size + 16, out, sizeof(out), &olen, 16) :
		    mbedtls_cipher_auth_encrypt_ext(&ctx, iv, sizeof(iv), ad, sizeof(ad), in,
		    size, out, sizeof(out), &olen, 16);
		if (rc != 0) {
			fprintf(stderr, "%s: record failed (-0x%04x)\n", __func__, (unsigned)-rc);
			goto fail;
		}
		n++;
		ad[0] = (unsigned char)n;	/* as the sequence number does */
		if (decrypt)
			ad[0] = 0x33;
		if (n % 16 != 0)
			continue;	/* reading the CPU clock is a system call */
		if ((t = now_s() - t0) >= secs)
			break;
	} while (1);
	*mb_s = (double)n * (double)size / t / 1e6;
	ret = 0;
fail:
	mbedtls_cipher_free(&ctx);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char           *name;
		mbedtls_ecp_group_id  id;
	} curves[] = {
		{ "x25519", MBEDTLS_ECP_DP_CURVE25519 },
		{ "secp256r1", MBEDTLS_ECP_DP_SECP256R1 },
		{ "secp384r1", MBEDTLS_ECP_DP_SECP384R1 },
	};
	static const struct {
		const char            *name;
		mbedtls_cipher_type_t  type;
	} gcms[] = {
		{ "aes128gcm", MBEDTLS_CIPHER_AES_128_GCM },
		{ "aes256gcm", MBEDTLS_CIPHER_AES_256_GCM },
	};
	static const size_t sizes[] = { 16384, 1400 };
	mbedtls_pk_context pk;
	double secs = 1.0, sign, dec, ecdhe, mb_s;
	const char *key;
	char *end;
	int ret = 1, gcm_only, pair_only, args;

	gcm_only = argc >= 2 && strcmp(argv[1], "--gcm") == 0;
	pair_only = argc >= 2 && strcmp(argv[1], "--handshake") == 0;
	args = 1 + pair_only;	/* KEY.pem's index; --gcm takes its place */
	if (argc < args + 1 || argc > args + 2) {
		fprintf(stderr, "usage: bench_crypto [--handshake] KEY.pem [SECONDS]\n"
		    "       bench_crypto --gcm [SECONDS]\n");
		return 2;
	}
	key = argv[args];
	if (argc == args + 2) {
		secs = strtod(argv[args + 1], &end);
		if (*end != '\0' || !(secs >= 0.05 && secs <= 600)) {
			fprintf(stderr, "bench_crypto: SECONDS must be 0.05..600\n");
			return 2;
		}
	}
	mbedtls_pk_init(&pk);
	printf("seconds_per_figure %g\n", secs);
	if (gcm_only)
		goto gcm;
	if (mbedtls_pk_parse_keyfile(&pk, key, NULL) != 0 ||
	    mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA) {
		fprintf(stderr, "bench_crypto: cannot read an RSA key from %s\n", key);
		goto fail;
	}
	if (pair_only) {
		if (bench_ecdhe(MBEDTLS_ECP_DP_CURVE25519, &pk, secs, &sign) != 0)
			goto fail;
		printf("handshake_pair_per_s %.0f\n", sign);
		ret = 0;
		goto fail;
	}
	printf("rsa_key_bits %zu\n", mbedtls_pk_get_bitlen(&pk));
	if (rate_of(sign_step, &pk, secs, &sign) != 0 || bench_decrypt(&pk, secs, &dec) != 0)
		goto fail;
	printf("rsa2048_sign_per_s %.0f\n", sign);
	printf("rsa2048_decrypt_per_s %.0f\n", dec);
	printf("rsa_kx_handshake_ceiling_per_s %.0f\n", dec);
	fflush(stdout);
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (bench_ecdhe(curves[i].id, NULL, secs, &ecdhe) != 0)
			goto fail;
		double ceiling = 1.0 / (1.0 / sign + 1.0 / ecdhe);
		printf("%s_ecdhe_per_s %.0f\n", curves[i].name, ecdhe);
		printf("handshake_ceiling_%s_per_s %.0f\n", curves[i].name, ceiling);
		if (curves[i].id == MBEDTLS_ECP_DP_CURVE25519)
			printf("handshake_ceiling_per_s %.0f\n", ceiling);
		fflush(stdout);
	}
gcm:
	for (size_t i = gcm_only ? 1 : 0; i < sizeof(gcms) / sizeof(gcms[0]); i++) {
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			for (int d = 0; d <= 1; d++) {
				/* records are cheap: half the time is plenty */
				if (bench_gcm(gcms[i].type, d, sizes[j], secs / 2, &mb_s) != 0)
					goto fail;
				printf("%s_%s_%zu_mb_s %.1f\n", gcms[i].name, d ? "dec" : "enc",
				    sizes[j], mb_s);
			}
		}
		fflush(stdout);
	}
	ret = 0;
fail:
	mbedtls_pk_free(&pk);
	return ret;
}
