/* Fuzz the embedded responder with arbitrary IPv4 packets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/responder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vnet_host hosts[] = { { "vm1.lab.internal", 0x0a010004 } };
	static const uint32_t dns[] = { 0x0a010004 };
	static const struct vnet_config cfg = { 0xac10c901, hosts, 1, dns, 1, 7, 9, 19 };
	uint8_t out[VNET_MAX_PACKET];
	char why[160];

	if (size > VNET_MAX_PACKET)
		return 0;
	int r = vnet_input(&cfg, data, size, out, sizeof(out), why, sizeof(why));
	if (r > (int)sizeof(out) || memchr(why, '\0', sizeof(why)) == NULL)
		abort();
	if (r > 0 && vnet_checksum(out, 20, 0) != 0)
		abort(); /* every reply carries a valid IPv4 header */
	return 0;
}
