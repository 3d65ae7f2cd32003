/* One CTR-DRBG per thread, seeded from the system entropy source. */
#ifndef P2SGW_RNG_H
#define P2SGW_RNG_H

#include <stddef.h>

/* mbedTLS-style f_rng: pass rng_ctx() as p_rng. */
int   rng_fill(void *p_rng, unsigned char *out, size_t len);
void *rng_ctx(void);

#endif
