#include "vnet/pool.h"

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
	p->owner_ctx = calloc(p->count, sizeof(*p->owner_ctx));
	if (p->used == NULL || p->owner == NULL || p->owner_ctx == NULL) {
		free(p->used);
		free(p->owner);
		free(p->owner_ctx);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	return p;
}

struct addr_pool *
pool_ref(struct addr_pool *p)
{
	if (p != NULL) {
		pthread_mutex_lock(&p->mu);
		p->refs++;
		pthread_mutex_unlock(&p->mu);
	}
	return p;
}

void
pool_unref(struct addr_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	int last = --p->refs == 0;
	pthread_mutex_unlock(&p->mu);
	if (last) {
		pthread_mutex_destroy(&p->mu);
		free(p->owner_ctx);
		free(p->owner);
		free(p->used);
		free(p);
	}
}

uint32_t
pool_take(struct addr_pool *p)
{
	uint32_t addr = 0;
	pthread_mutex_lock(&p->mu);
	for (uint32_t n = 0; n < p->count; n++) {
		uint32_t i = (p->next + n) % p->count;
		if (p->used[i / 8] & (1u << (i % 8)) || p->first + i == p->gateway)
			continue;
		p->used[i / 8] |= (uint8_t)(1u << (i % 8));
		p->next = (i + 1) % p->count;
		p->in_use++;
		p->refs++;
		addr = p->first + i;
		break;
	}
	pthread_mutex_unlock(&p->mu);
	return addr;
}

void
pool_put(struct addr_pool *p, uint32_t addr)
{
	uint32_t i = addr - p->first;
	pthread_mutex_lock(&p->mu);
	if (addr < p->first || i >= p->count || !(p->used[i / 8] & (1u << (i % 8)))) {
		pthread_mutex_unlock(&p->mu);
		return;
	}
	p->used[i / 8] &= (uint8_t)~(1u << (i % 8));
	p->owner[i] = NULL;
	p->owner_ctx[i] = NULL;
	p->in_use--;
	pthread_mutex_unlock(&p->mu);
	pool_unref(p); /* the lease's reference */
}

void
pool_set_owner(struct addr_pool *p, uint32_t addr, void *owner, void *ctx)
{
	uint32_t i = addr - p->first;
	pthread_mutex_lock(&p->mu);
	if (addr >= p->first && i < p->count && (p->used[i / 8] & (1u << (i % 8)))) {
		p->owner[i] = owner;
		p->owner_ctx[i] = ctx;
	}
	pthread_mutex_unlock(&p->mu);
}

void *
pool_owner(struct addr_pool *p, uint32_t addr, void **ctx)
{
	uint32_t i = addr - p->first;
	void *o = NULL;
	pthread_mutex_lock(&p->mu);
	if (addr >= p->first && i < p->count) {
		o = p->owner[i];
		if (ctx != NULL)
			*ctx = p->owner_ctx[i];
	}
	pthread_mutex_unlock(&p->mu);
	return o;
}
