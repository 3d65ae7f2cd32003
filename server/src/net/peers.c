#include "net/peers.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define PEERS_BUCKETS 4096

struct peer {
	uint8_t      key[PEER_KEY_LEN];
	unsigned     count;
	unsigned     half;     /* ... of them without a finished handshake */
	struct peer *next;
};

struct peers {
	struct peer *bucket[PEERS_BUCKETS];
};

struct peers *
peers_new(void)
{
	return calloc(1, sizeof(struct peers));
}

void
peers_free(struct peers *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < PEERS_BUCKETS; i++) {
		for (struct peer *e = p->bucket[i], *next; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(p);
}

void
peers_key(const struct sockaddr *sa, uint8_t key[PEER_KEY_LEN])
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	memset(key, 0, PEER_KEY_LEN);
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
			key[0] = 4;
			memcpy(key + 1, a + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a, 16);
		}
	}
}

static size_t
slot(const uint8_t key[PEER_KEY_LEN])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < PEER_KEY_LEN; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % PEERS_BUCKETS;
}

static struct peer *
find(struct peers *p, const uint8_t key[PEER_KEY_LEN])
{
	for (struct peer *e = p->bucket[slot(key)]; e != NULL; e = e->next)
		if (memcmp(e->key, key, PEER_KEY_LEN) == 0)
			return e;
	return NULL;
}

unsigned
peers_half(struct peers *p, const uint8_t key[PEER_KEY_LEN], int delta)
{
	struct peer *e = find(p, key);
	if (e == NULL)
		return 0;
	if (delta > 0)
		e->half++;
	else if (delta < 0 && e->half > 0)
		e->half--;
	return e->half;
}

unsigned
peers_add(struct peers *p, const uint8_t key[PEER_KEY_LEN])
{
	struct peer **head = &p->bucket[slot(key)];
	for (struct peer *e = *head; e != NULL; e = e->next)
		if (memcmp(e->key, key, PEER_KEY_LEN) == 0)
			return ++e->count;
	struct peer *e = malloc(sizeof(*e));
	if (e == NULL)
		return 0;
	memcpy(e->key, key, PEER_KEY_LEN);
	e->count = 1;
	e->half = 0;
	e->next = *head;
	*head = e;
	return 1;
}

void
peers_del(struct peers *p, const uint8_t key[PEER_KEY_LEN])
{
	for (struct peer **pp = &p->bucket[slot(key)]; *pp != NULL; pp = &(*pp)->next) {
		struct peer *e = *pp;
		if (memcmp(e->key, key, PEER_KEY_LEN) != 0)
			continue;
		if (--e->count == 0) {
			*pp = e->next;
			free(e);
		}
		return;
	}
}
