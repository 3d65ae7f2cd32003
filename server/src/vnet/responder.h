/*
 * The network behind the gateway, as an embedded responder (sans-I/O):
 * IPv4 packets from a tunnel client in, at most one reply packet out.
 * Answers ICMP echo for the gateway and the configured hosts, echoes UDP on
 * the echo port, and answers DNS A queries for the configured names.
 */
#ifndef P2SGW_VNET_RESPONDER_H
#define P2SGW_VNET_RESPONDER_H

#include <stddef.h>
#include <stdint.h>

/* A name the network answers for (ping, DNS A). */
struct vnet_host {
	char     name[64];
	uint32_t addr;
};

struct vnet_config {
	uint32_t              gateway_ip;  /* host byte order, as all addresses here */
	const struct vnet_host *hosts;
	size_t                n_hosts;
	const uint32_t       *dns;
	size_t                n_dns;
	uint16_t              udp_echo_port; /* 0 = off */
	uint16_t              udp_sink_port; /* 0 = off: 8-byte acknowledgement of each datagram */
	uint16_t              udp_source_port; /* 0 = off: an answer of the size asked for */
};

#define VNET_MAX_PACKET 4096

/* Returns the reply length written to out (> 0), 0 when the packet needs
 * no answer, -1 when it is not a valid IPv4 packet. *why says what was done
 * or why nothing was ("echo reply from 10.1.0.4", "no responder for TCP
 * 10.1.0.4:22"); it points to static text or to buf. why may be NULL (the
 * data path): then nothing is formatted. */
int vnet_input(const struct vnet_config *cfg, const uint8_t *pkt, size_t len,
               uint8_t *out, size_t outcap, char *why, size_t whylen);

/* RFC 1071 Internet checksum of buf. */
uint16_t vnet_checksum(const uint8_t *buf, size_t len, uint32_t initial);

#endif
