/*
 * Client address pool (VpnClientAddressPool): leases addresses of one
 * IPv4 prefix, never the network, broadcast or gateway address.
 * Reference-counted so a reload with another pool leaves old leases valid.
 * Every call locks the pool: leases are taken and returned on the workers,
 * the TUN reader looks owners up on the main thread.
 */
#ifndef P2SGW_POOL_H
#define P2SGW_POOL_H

#include <pthread.h>
#include <stdint.h>

#define POOL_MAX_ADDRS 65536

struct addr_pool {
	pthread_mutex_t mu;
	int       refs;     /* the server's reference + one per lease */
	uint32_t  net;      /* host byte order */
	uint8_t   prefix;
	uint32_t  gateway;
	uint32_t  first;    /* first leasable address */
	uint32_t  count;    /* leasable addresses (capped at POOL_MAX_ADDRS) */
	uint32_t  next;     /* round-robin cursor, so a freed address is not reused at once */
	uint32_t  in_use;
	uint8_t  *used;     /* bitmap of count bits */
	void    **owner;    /* who holds each lease (for routing packets to it) */
	void    **owner_ctx;   /* ... and its context (the thread it lives on) */
};

struct addr_pool *pool_new(uint32_t net, uint8_t prefix, uint32_t gateway);
struct addr_pool *pool_ref(struct addr_pool *p);   /* NULL-safe */
void              pool_unref(struct addr_pool *p); /* NULL-safe */
/* An address (host order), or 0 when none is left; a lease holds a reference. */
uint32_t          pool_take(struct addr_pool *p);
void              pool_put(struct addr_pool *p, uint32_t addr);
/* The holder of a leased address and its context (for the gateway: the
 * worker thread it lives on), as set with pool_set_owner; NULL if free. */
void              pool_set_owner(struct addr_pool *p, uint32_t addr, void *owner,
                                 void *ctx);
void             *pool_owner(struct addr_pool *p, uint32_t addr, void **ctx);

#endif
