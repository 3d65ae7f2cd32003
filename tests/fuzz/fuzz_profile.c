/*
 * Fuzz target: the bytes are a chain profile document (YAML), named
 * "fuzz.yaml" (so a `name:` must be "fuzz").
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libfyaml 0.7.12 leaks a scratch buffer when a parse fails after certain
 * quoted scalars (reproduced with libfyaml alone); not ours to fix. */
const char *
__lsan_default_suppressions(void)
{
	return "leak:libfyaml.so\n";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_profile p;
	char err[1024];

	if (profile_load_string((const char *)data, size, "fuzz.yaml", &p, err, sizeof(err)) == 0) {
		if (p.n_intermediates > PKI_MAX_INTERMEDIATES || p.root.days < 1 ||
		    p.leaf.days < 1 || strlen(p.root.subject) == 0 ||
		    strlen(p.leaf.subject) >= sizeof(p.leaf.subject))
			__builtin_trap();
	} else if (err[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
