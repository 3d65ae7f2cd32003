/*
 * Connections per client IP address (gateway.max_per_address), and how many
 * of them have not finished their handshake (eviction picks from the
 * address with the most). Not locked:
 * the server guards it with its own mutex.
 */
#ifndef P2SGW_PEERS_H
#define P2SGW_PEERS_H

#include <stdint.h>
#include <sys/socket.h>

#define PEER_KEY_LEN 17 /* family byte + 16 address bytes */

struct peers;

struct peers *peers_new(void);
void          peers_free(struct peers *p);
/* The key of sa's address (IPv4-mapped IPv6 counts as IPv4). */
void          peers_key(const struct sockaddr *sa, uint8_t key[PEER_KEY_LEN]);
/* Count one more connection from key; returns the new count, 0 when out of memory. */
unsigned      peers_add(struct peers *p, const uint8_t key[PEER_KEY_LEN]);
void          peers_del(struct peers *p, const uint8_t key[PEER_KEY_LEN]);
/* Half-open connections of a counted address: add delta (+1, -1, or 0 to
 * read); returns the count, 0 for an address not counted. */
unsigned      peers_half(struct peers *p, const uint8_t key[PEER_KEY_LEN], int delta);

#endif
