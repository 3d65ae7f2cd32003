#include "util/rng.h"

#include <stdio.h>
#include <stdlib.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

static _Thread_local int rng_ready;
static _Thread_local mbedtls_entropy_context rng_entropy;
static _Thread_local mbedtls_ctr_drbg_context rng_drbg;

void *
rng_ctx(void)
{
	if (!rng_ready) {
		static const unsigned char pers[] = "p2sgw";
		mbedtls_entropy_init(&rng_entropy);
		mbedtls_ctr_drbg_init(&rng_drbg);
		if (mbedtls_ctr_drbg_seed(&rng_drbg, mbedtls_entropy_func, &rng_entropy,
		    pers, sizeof(pers) - 1) != 0) {
			fprintf(stderr, "%s: cannot seed the random generator\n", __func__);
			abort();
		}
		rng_ready = 1;
	}
	return &rng_drbg;
}

int
rng_fill(void *p_rng, unsigned char *out, size_t len)
{
	return mbedtls_ctr_drbg_random(p_rng ? p_rng : rng_ctx(), out, len);
}
