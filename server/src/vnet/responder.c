/*
 * Embedded responder. Grammar of what is accepted (everything else gets no
 * reply):
 *
 *   IPv4 header (RFC 791): version 4, IHL >= 5, total length <= bytes
 *     given, no fragment (MF = 0, offset = 0), valid header checksum;
 *   ICMP (RFC 792) type 8 code 0 echo request, >= 8 bytes, to a known
 *     address -> type 0 echo reply with the same id, sequence and data;
 *   UDP (RFC 768) to a known address:
 *     port udp_echo_port -> the same payload back;
 *     port udp_sink_port -> the first 8 bytes of the payload back (zero
 *     padded): an acknowledgement, so a sender can keep a window of data
 *     toward the gateway (not RFC 863 discard, which answers nothing);
 *     port udp_source_port, payload >= 2 bytes starting with uint16 L ->
 *     L bytes back (1..VNET_MAX_PACKET - 28), the first 8 copied from the
 *     request, the rest zero: data from the gateway on demand;
 *     port 53 to a DNS server address -> DNS (RFC 1035) answer for one
 *     question of class IN: A for a configured name, NXDOMAIN otherwise
 *     (NOERROR without answers for other types of a known name).
 */
#include "vnet/responder.h"

#include "util/addr.h"
#include "util/bytes.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define IP_HDR     20
#define PROTO_ICMP 1
#define PROTO_TCP  6
#define PROTO_UDP  17

/* The reason is formatted only for a caller that wants it (why != NULL):
 * the data path passes NULL and pays nothing per packet. */
#define WHY(...) (why != NULL ? (void)snprintf(why, whylen, __VA_ARGS__) : (void)0)

/*
 * RFC 1071: the one's complement sum does not depend on byte order (1.2.B),
 * so the words are added as the machine loads them, 32 bits at a time into a
 * 64-bit accumulator, and the folded sum is swapped to network order once.
 */
static uint32_t
sum16_be(const uint8_t *buf, size_t len)
{
	uint64_t acc = 0;
	uint32_t w;
	uint16_t h;

	for (; len >= 4; buf += 4, len -= 4) {
		memcpy(&w, buf, 4);
		acc += w;
	}
	if (len >= 2) {
		memcpy(&h, buf, 2);
		acc += h;
		buf += 2;
		len -= 2;
	}
	if (len == 1) {
		uint8_t tail[2] = { buf[0], 0 };
		memcpy(&h, tail, 2);
		acc += h;
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	acc = (acc >> 8 | acc << 8) & 0xffff;
#endif
	return (uint32_t)acc;
}

uint16_t
vnet_checksum(const uint8_t *buf, size_t len, uint32_t sum)
{
	uint64_t acc = (uint64_t)sum + sum16_be(buf, len);

	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static int
is_known(const struct vnet_config *cfg, uint32_t a)
{
	if (a == cfg->gateway_ip)
		return 1;
	for (size_t i = 0; i < cfg->n_hosts; i++)
		if (cfg->hosts[i].addr == a)
			return 1;
	for (size_t i = 0; i < cfg->n_dns; i++)
		if (cfg->dns[i] == a)
			return 1;
	return 0;
}

static int
is_dns_server(const struct vnet_config *cfg, uint32_t a)
{
	for (size_t i = 0; i < cfg->n_dns; i++)
		if (cfg->dns[i] == a)
			return 1;
	return 0;
}

/* IPv4 header for a reply of `payload` bytes from src to dst. */
static void
ip_header(uint8_t *out, uint8_t proto, uint32_t src, uint32_t dst, size_t total)
{
	memset(out, 0, IP_HDR);
	out[0] = 0x45;
	be16_put(out + 2, (uint16_t)total);
	out[6] = 0x40; /* DF */
	out[8] = 64;   /* TTL */
	out[9] = proto;
	be32_put(out + 12, src);
	be32_put(out + 16, dst);
	be16_put(out + 10, vnet_checksum(out, IP_HDR, 0));
}

static uint16_t
udp_checksum(const uint8_t *udp, size_t len, uint32_t src, uint32_t dst)
{
	uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	    PROTO_UDP + (uint32_t)len;
	uint16_t c = vnet_checksum(udp, len, pseudo);
	return c == 0 ? 0xffff : c;
}

/*
 * DNS: header(12) question: QNAME labels (each 1..63, total <= 255), QTYPE,
 * QCLASS. Writes the answer message into out; returns its length or 0.
 */
static size_t
dns_answer(const struct vnet_config *cfg, const uint8_t *q, size_t qlen, uint8_t *out,
    size_t outcap, char *why, size_t whylen)
{
	char name[256];
	size_t nl = 0, off = 12;

	if (qlen < 12 || (q[2] & 0x80) || be16_get(q + 4) != 1) /* a query with one question */
		return 0;
	for (;;) {
		if (off >= qlen)
			return 0;
		uint8_t l = q[off++];
		if (l == 0)
			break;
		if (l > 63 || l > qlen - off || nl + l + 1 >= sizeof(name))
			return 0; /* compression pointers are not used in questions */
		if (nl > 0)
			name[nl++] = '.';
		memcpy(name + nl, q + off, l);
		nl += l;
		off += l;
	}
	name[nl] = '\0';
	if (qlen - off < 4)
		return 0;
	uint16_t qtype = be16_get(q + off), qclass = be16_get(q + off + 2);
	size_t qend = off + 4;
	if (qclass != 1 || qend + 16 > outcap)
		return 0;

	const struct vnet_host *h = NULL;
	for (size_t i = 0; i < cfg->n_hosts; i++)
		if (strcasecmp(cfg->hosts[i].name, name) == 0)
			h = &cfg->hosts[i];

	memcpy(out, q, qend);               /* id, flags, counts, question */
	out[2] = 0x84 | (q[2] & 0x01);      /* QR, AA, keep RD */
	out[3] = h == NULL ? 3 : 0;         /* NXDOMAIN or NOERROR */
	be16_put(out + 6, 0);
	be16_put(out + 8, 0);
	be16_put(out + 10, 0);
	size_t n = qend;
	if (h != NULL && qtype == 1) {
		static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };
		memcpy(out + n, rr, sizeof(rr));
		be32_put(out + n + sizeof(rr), h->addr);
		n += sizeof(rr) + 4;
		be16_put(out + 6, 1);
		if (why != NULL) {
			char a[16];
			ip4_format(h->addr, a);
			WHY("DNS answer %s A %s", name, a);
		}
	} else {
		WHY("DNS %s for %s (type %u)", h ? "no data" : "NXDOMAIN", name, qtype);
	}
	return n;
}

int
vnet_input(const struct vnet_config *cfg, const uint8_t *pkt, size_t len, uint8_t *out,
    size_t outcap, char *why, size_t whylen)
{
	char d[16] = "";

	WHY("dropped");
	if (len < IP_HDR || (pkt[0] >> 4) != 4) {
		WHY("not an IPv4 packet");
		return -1;
	}
	size_t ihl = (size_t)(pkt[0] & 0x0f) * 4, total = be16_get(pkt + 2);
	if (ihl < IP_HDR || total < ihl || total > len || vnet_checksum(pkt, ihl, 0) != 0) {
		WHY("malformed IPv4 header");
		return -1;
	}
	if ((be16_get(pkt + 6) & 0x3fff) != 0) {
		WHY("IPv4 fragment (not reassembled)");
		return 0;
	}
	uint8_t proto = pkt[9];
	uint32_t src = be32_get(pkt + 12), dst = be32_get(pkt + 16);
	const uint8_t *l4 = pkt + ihl;
	size_t l4len = total - ihl;
	if (why != NULL)
		ip4_format(dst, d);

	if (!is_known(cfg, dst)) {
		WHY("no host %s in the virtual network", d);
		return 0;
	}
	if (proto == PROTO_ICMP) {
		if (l4len < 8 || l4[0] != 8 || l4[1] != 0) {
			WHY("ICMP type %u to %s ignored", l4len ? l4[0] : 0, d);
			return 0;
		}
		if (IP_HDR + l4len > outcap)
			return 0;
		uint8_t *icmp = out + IP_HDR;
		memcpy(icmp, l4, l4len);
		icmp[0] = 0;
		be16_put(icmp + 2, 0);
		be16_put(icmp + 2, vnet_checksum(icmp, l4len, 0));
		ip_header(out, PROTO_ICMP, dst, src, IP_HDR + l4len);
		WHY("echo reply from %s", d);
		return (int)(IP_HDR + l4len);
	}
	if (proto == PROTO_UDP) {
		if (l4len < 8 || be16_get(l4 + 4) < 8 || be16_get(l4 + 4) > l4len) {
			WHY("malformed UDP to %s", d);
			return 0;
		}
		size_t ulen = be16_get(l4 + 4);
		uint16_t sport = be16_get(l4), dport = be16_get(l4 + 2);
		size_t payload;
		uint8_t *udp = out + IP_HDR;
		if (dport == 53 && is_dns_server(cfg, dst)) {
			if (outcap < IP_HDR + 8)
				return 0;
			payload = dns_answer(cfg, l4 + 8, ulen - 8, udp + 8, outcap - IP_HDR - 8, why, whylen);
			if (payload == 0) {
				WHY("unreadable DNS query to %s", d);
				return 0;
			}
		} else if (cfg->udp_echo_port != 0 && dport == cfg->udp_echo_port) {
			payload = ulen - 8;
			if (IP_HDR + 8 + payload > outcap)
				return 0;
			memcpy(udp + 8, l4 + 8, payload);
			WHY("UDP echo from %s:%u (%zu bytes)", d, dport, payload);
		} else if (cfg->udp_sink_port != 0 && dport == cfg->udp_sink_port) {
			size_t in = ulen - 8;
			payload = 8;
			if (IP_HDR + 8 + payload > outcap)
				return 0;
			memset(udp + 8, 0, payload);
			memcpy(udp + 8, l4 + 8, in < payload ? in : payload);
			WHY("UDP sink at %s:%u took %zu bytes", d, dport, in);
		} else if (cfg->udp_source_port != 0 && dport == cfg->udp_source_port &&
		    ulen - 8 >= 2) {
			size_t in = ulen - 8;
			payload = be16_get(l4 + 8);
			if (payload == 0 || IP_HDR + 8 + payload > outcap) {
				WHY("UDP source at %s:%u: size %zu out of range", d, dport,
				    payload);
				return 0;
			}
			memset(udp + 8, 0, payload);
			memcpy(udp + 8, l4 + 8, in < 8 ? in : payload < 8 ? payload : 8);
			WHY("UDP source at %s:%u sent %zu bytes", d, dport, payload);
		} else {
			WHY("no responder for UDP %s:%u", d, dport);
			return 0;
		}
		be16_put(udp, dport);
		be16_put(udp + 2, sport);
		be16_put(udp + 4, (uint16_t)(8 + payload));
		be16_put(udp + 6, 0);
		be16_put(udp + 6, udp_checksum(udp, 8 + payload, dst, src));
		ip_header(out, PROTO_UDP, dst, src, IP_HDR + 8 + payload);
		return (int)(IP_HDR + 8 + payload);
	}
	WHY("no responder for %s to %s", proto == PROTO_TCP ? "TCP" : "IP protocol", d);
	return 0;
}
