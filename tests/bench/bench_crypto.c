/*
 * The ceiling for full TLS 1.2 ECDHE-RSA handshakes on one core: what this
 * mbedTLS needs per handshake for the RSA-2048 signature and the server's
 * ECDHE (x25519 key generation + shared secret). Prints rates per second.
 *
 *   bench_crypto KEY.pem [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ecdh.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "util/rng.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	mbedtls_pk_context pk;
	unsigned char hash[32] = { 0 }, sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t siglen;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_crypto KEY.pem [SECONDS]\n");
		return 2;
	}
	double secs = argc > 2 ? atof(argv[2]) : 3.0;
	mbedtls_pk_init(&pk);
	if (mbedtls_pk_parse_keyfile(&pk, argv[1], NULL) != 0) {
		fprintf(stderr, "cannot read key %s\n", argv[1]);
		return 1;
	}

	long n = 0;
	double t0 = now_s(), t;
	do {
		hash[0] = (unsigned char)n;
		if (mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, &siglen,
		    rng_fill, rng_ctx()) != 0) {
			fprintf(stderr, "sign failed\n");
			return 1;
		}
		n++;
	} while ((t = now_s() - t0) < secs);
	double sign_rate = (double)n / t;

	mbedtls_ecp_group grp;
	mbedtls_mpi d, z;
	mbedtls_ecp_point q, peer;
	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&z);
	mbedtls_ecp_point_init(&q);
	mbedtls_ecp_point_init(&peer);
	mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519);
	mbedtls_ecdh_gen_public(&grp, &d, &peer, rng_fill, rng_ctx());
	n = 0;
	t0 = now_s();
	do {
		mbedtls_ecdh_gen_public(&grp, &d, &q, rng_fill, rng_ctx());
		mbedtls_ecdh_compute_shared(&grp, &z, &peer, &d, rng_fill, rng_ctx());
		n++;
	} while ((t = now_s() - t0) < secs);
	double ecdhe_rate = (double)n / t;

	double ceiling = 1.0 / (1.0 / sign_rate + 1.0 / ecdhe_rate);
	printf("rsa2048_sign_per_s %.0f\n", sign_rate);
	printf("x25519_ecdhe_per_s %.0f\n", ecdhe_rate);
	printf("handshake_ceiling_per_s %.0f\n", ceiling);

	mbedtls_ecp_group_free(&grp);
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&z);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_point_free(&peer);
	mbedtls_pk_free(&pk);
	return 0;
}
