#include "net/pool.h"

#include <stdlib.h>

struct addr_pool *
pool_new(uint32_t net, uint8_t prefix, uint32_t gateway)
{
	if (prefix < 8 || prefix > 30)
		return NULL;
	struct addr_pool *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	uint64_t size = (uint64_t)1 << (32 - prefix);
	p->refs = 1;
	p->net = net;
	p->prefix = prefix;
	p->gateway = gateway;
	p->first = net + 1;
	p->count = (uint32_t)(size - 2 > POOL_MAX_ADDRS ? POOL_MAX_ADDRS : size - 2);
	p->used = calloc((p->count + 7) / 8, 1);
	p->owner = calloc(p->count, sizeof(*p->owner));
	if (p->used == NULL || p->owner == NULL) {
		free(p->used);
		free(p->owner);
		free(p);
		return NULL;
	}
	return p;
}

void
pool_unref(struct addr_pool *p)
{
	if (p != NULL && --p->refs == 0) {
		free(p->owner);
		free(p->used);
		free(p);
	}
}

uint32_t
pool_take(struct addr_pool *p)
{
	for (uint32_t n = 0; n < p->count; n++) {
		uint32_t i = (p->next + n) % p->count;
		if (p->used[i / 8] & (1u << (i % 8)) || p->first + i == p->gateway)
			continue;
		p->used[i / 8] |= (uint8_t)(1u << (i % 8));
		p->next = (i + 1) % p->count;
		p->in_use++;
		p->refs++;
		return p->first + i;
	}
	return 0;
}

void
pool_put(struct addr_pool *p, uint32_t addr)
{
	uint32_t i = addr - p->first;
	if (addr < p->first || i >= p->count || !(p->used[i / 8] & (1u << (i % 8))))
		return;
	p->used[i / 8] &= (uint8_t)~(1u << (i % 8));
	p->owner[i] = NULL;
	p->in_use--;
	pool_unref(p);
}

void
pool_set_owner(struct addr_pool *p, uint32_t addr, void *owner)
{
	uint32_t i = addr - p->first;
	if (addr >= p->first && i < p->count && (p->used[i / 8] & (1u << (i % 8))))
		p->owner[i] = owner;
}

void *
pool_owner(const struct addr_pool *p, uint32_t addr)
{
	uint32_t i = addr - p->first;
	if (addr < p->first || i >= p->count)
		return NULL;
	return p->owner[i];
}
