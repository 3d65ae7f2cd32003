/*
 * p2s_ip.c - IPv4 checks through the tunnel for the p2s_client oracle:
 * ICMP echo, UDP echo (port 7) and a DNS A query.  Every received packet is
 * bounds- and checksum-checked before it counts as an answer.
 */
#include "p2s.h"
#include "p2s_crypto.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define IPPROTO_ICMP_ 1
#define IPPROTO_UDP_  17
#define TRIES         3
#define TRY_MS        1000

static uint16_t ip_ident;

static uint32_t
pseudo_sum(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, size_t len)
{
	return (uint32_t)rd16(src) + rd16(src + 2) + rd16(dst) + rd16(dst + 2) +
	    proto + (uint32_t)len;
}

static int
ip_send(struct cli *c, const uint8_t dst[4], uint8_t proto, const uint8_t *l4, size_t l4len)
{
	uint8_t p[1500];
	size_t tot = 20 + l4len;

	if (tot > sizeof(p) || tot > c->peer_mru)
		return fail(c, EX_OTHER, "ip: packet too long");
	p[0] = 0x45;
	p[1] = 0;
	wr16(p + 2, (uint16_t)tot);
	wr16(p + 4, ++ip_ident);
	wr16(p + 6, 0);
	p[8] = 64;
	p[9] = proto;
	wr16(p + 10, 0);
	memcpy(p + 12, c->our_ip, 4);
	memcpy(p + 16, dst, 4);
	wr16(p + 10, inet_cksum(p, 20, 0));
	memcpy(p + 20, l4, l4len);
	return ppp_send(c, PPP_IP, p, tot);
}

/*
 * Wait for an IPv4 packet of proto from src to us.  Returns 1 with the
 * transport payload in *l4 (pointing into f), 0 at the deadline, -1 error.
 */
static int
ip_recv(struct cli *c, int64_t deadline, uint8_t proto, const uint8_t src[4],
        struct frame *f, const uint8_t **l4, size_t *l4len)
{
	for (;;) {
		const uint8_t *p;
		size_t ihl, tot;
		int r = ppp_next_frame(c, deadline, f);

		if (r <= 0)
			return r;
		if (f->proto != PPP_IP)
			continue;
		/* Version(4)|IHL(4) TOS TotalLength Id Flags|Frag TTL Proto Cksum Src Dst */
		p = f->data;
		if (f->len < 20 || (p[0] >> 4) != 4)
			continue;
		ihl = (size_t)(p[0] & 0x0F) * 4;
		tot = rd16(p + 2);
		if (ihl < 20 || tot < ihl || tot > f->len) {
			out("ip: malformed packet from server (ihl %zu total %zu frame %zu)",
			    ihl, tot, f->len);
			continue;
		}
		if (inet_cksum(p, ihl, 0) != 0) {
			out("ip: bad header checksum from %u.%u.%u.%u", p[12], p[13], p[14], p[15]);
			continue;
		}
		if ((rd16(p + 6) & 0x3FFF) != 0)
			continue;               /* fragments: never expected here */
		if (p[9] != proto || memcmp(p + 12, src, 4) != 0 ||
		    memcmp(p + 16, c->our_ip, 4) != 0)
			continue;
		*l4 = p + ihl;
		*l4len = tot - ihl;
		return 1;
	}
}

static int
parse_ip(struct cli *c, const char *s, uint8_t out_ip[4])
{
	if (inet_pton(AF_INET, s, out_ip) != 1)
		return fail(c, EX_OTHER, "ip: bad address \"%s\"", s);
	return 0;
}

int
ip_ping(struct cli *c, const char *addr)
{
	static struct frame f;
	uint8_t dst[4], req[8 + 32];
	uint16_t id = (uint16_t)getpid();
	int good = 0, bad = 0;

	if (parse_ip(c, addr, dst) != 0)
		return -1;
	for (int seq = 1; seq <= TRIES; seq++) {
		int64_t deadline = now_ms() + TRY_MS;

		/* Type(1)=8 Code(1) Cksum(2) Id(2) Seq(2) Data */
		req[0] = 8;
		req[1] = 0;
		wr16(req + 2, 0);
		wr16(req + 4, id);
		wr16(req + 6, (uint16_t)seq);
		for (size_t i = 0; i < 32; i++)
			req[8 + i] = (uint8_t)('a' + (i + (size_t)seq) % 26);
		wr16(req + 2, inet_cksum(req, sizeof(req), 0));
		if (ip_send(c, dst, IPPROTO_ICMP_, req, sizeof(req)) != 0)
			return -1;
		for (;;) {
			const uint8_t *l4;
			size_t n;
			int r = ip_recv(c, deadline, IPPROTO_ICMP_, dst, &f, &l4, &n);

			if (r < 0)
				return -1;
			if (r == 0)
				break;
			if (n < 8 || l4[0] != 0 || rd16(l4 + 4) != id || rd16(l4 + 6) != seq)
				continue;
			if (inet_cksum(l4, n, 0) != 0 || n != sizeof(req) ||
			    memcmp(l4 + 8, req + 8, 32) != 0) {
				out("ping %s: bad reply seq=%d (%s)", addr, seq,
				    inet_cksum(l4, n, 0) != 0 ? "checksum" : "payload");
				bad++;
				break;
			}
			good++;
			break;
		}
	}
	if (good > 0) {
		out("ping %s: reply (%d/%d)", addr, good, TRIES);
		return bad > 0 ? 1 : 0;
	}
	out("ping %s: timeout (0/%d%s)", addr, TRIES, bad > 0 ? ", bad replies" : "");
	return 1;
}

static int
udp_exchange(struct cli *c, const uint8_t dst[4], uint16_t dport, const uint8_t *data,
             size_t dlen, uint16_t sport, int64_t deadline, struct frame *f,
             const uint8_t **rdata, size_t *rlen)
{
	uint8_t u[600];
	size_t ul = 8 + dlen;
	uint16_t ck;

	if (ul > sizeof(u))
		return fail(c, EX_OTHER, "udp: payload too long");
	/* SrcPort DstPort Length Checksum Data */
	wr16(u, sport);
	wr16(u + 2, dport);
	wr16(u + 4, (uint16_t)ul);
	wr16(u + 6, 0);
	memcpy(u + 8, data, dlen);
	ck = inet_cksum(u, ul, pseudo_sum(c->our_ip, dst, IPPROTO_UDP_, ul));
	wr16(u + 6, ck == 0 ? 0xFFFF : ck);
	if (ip_send(c, dst, IPPROTO_UDP_, u, ul) != 0)
		return -1;
	for (;;) {
		const uint8_t *l4;
		size_t n, len;
		int r = ip_recv(c, deadline, IPPROTO_UDP_, dst, f, &l4, &n);

		if (r <= 0)
			return r;
		if (n < 8)
			continue;
		len = rd16(l4 + 4);
		if (len < 8 || len > n) {
			out("udp: bad length %zu from server", len);
			continue;
		}
		if (rd16(l4) != dport || rd16(l4 + 2) != sport)
			continue;
		if (rd16(l4 + 6) != 0 &&
		    inet_cksum(l4, len, pseudo_sum(dst, c->our_ip, IPPROTO_UDP_, len)) != 0) {
			out("udp: bad checksum from port %u", dport);
			return 2;
		}
		*rdata = l4 + 8;
		*rlen = len - 8;
		return 1;
	}
}

int
ip_udp_echo(struct cli *c, const char *addr)
{
	static struct frame f;
	uint8_t dst[4], rnd[8], msg[64];
	char hx[17];
	uint16_t sport;
	int n;

	if (parse_ip(c, addr, dst) != 0)
		return -1;
	rng_bytes(c, rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), hx);
	n = snprintf((char *)msg, sizeof(msg), "p2s-udp-echo %s", hx);
	sport = (uint16_t)(49152 + (rnd[0] << 8 | rnd[1]) % 16000);
	for (int t = 0; t < TRIES; t++) {
		const uint8_t *rd;
		size_t rl;
		int r = udp_exchange(c, dst, 7, msg, (size_t)n, sport, now_ms() + TRY_MS, &f,
		    &rd, &rl);

		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		if (r == 2 || rl != (size_t)n || memcmp(rd, msg, rl) != 0) {
			out("udp-echo %s: mismatch (%zu bytes back, sent %d)", addr,
			    r == 2 ? 0 : rl, n);
			return 1;
		}
		out("udp-echo %s: ok", addr);
		return 0;
	}
	out("udp-echo %s: timeout", addr);
	return 1;
}

/* DNS name: Label* terminated by 0, or a compression pointer. */
static int
dns_skip_name(const uint8_t *m, size_t len, size_t *off)
{
	for (int labels = 0; labels < 128; labels++) {
		uint8_t b;

		if (*off >= len)
			return -1;
		b = m[*off];
		if ((b & 0xC0) == 0xC0) {
			if (2 > len - *off)
				return -1;
			*off += 2;
			return 0;
		}
		if (b & 0xC0)
			return -1;
		if (b == 0) {
			*off += 1;
			return 0;
		}
		if ((size_t)b + 1 > len - *off)
			return -1;
		*off += (size_t)b + 1;
	}
	return -1;
}

int
ip_dns(struct cli *c, const char *spec)
{
	static struct frame f;
	char name[256];
	const char *at = strrchr(spec, '@');
	uint8_t dst[4], q[300], rnd[4];
	size_t qn = 12, nl;
	uint16_t id, sport;

	if (at == NULL || (size_t)(at - spec) >= sizeof(name) || at == spec)
		return fail(c, EX_OTHER, "dns: bad spec \"%s\" (want NAME@A.B.C.D)", spec);
	memcpy(name, spec, (size_t)(at - spec));
	name[at - spec] = '\0';
	if (parse_ip(c, at + 1, dst) != 0)
		return -1;
	rng_bytes(c, rnd, sizeof(rnd));
	id = (uint16_t)(rnd[0] << 8 | rnd[1]);
	sport = (uint16_t)(49152 + (rnd[2] << 8 | rnd[3]) % 16000);

	/* Header: Id Flags(RD) QD=1 AN=0 NS=0 AR=0; Question: QNAME QTYPE=A QCLASS=IN */
	memset(q, 0, 12);
	wr16(q, id);
	wr16(q + 2, 0x0100);
	wr16(q + 4, 1);
	nl = strlen(name);
	if (nl > 253)
		return fail(c, EX_OTHER, "dns: name too long");
	for (const char *s = name; *s != '\0';) {
		const char *dot = strchr(s, '.');
		size_t ll = dot != NULL ? (size_t)(dot - s) : strlen(s);

		if (ll == 0 || ll > 63)
			return fail(c, EX_OTHER, "dns: bad label in \"%s\"", name);
		q[qn++] = (uint8_t)ll;
		memcpy(q + qn, s, ll);
		qn += ll;
		s += ll;
		if (*s == '.')
			s++;
	}
	q[qn++] = 0;
	wr16(q + qn, 1);
	wr16(q + qn + 2, 1);
	qn += 4;

	for (int t = 0; t < TRIES; t++) {
		const uint8_t *m;
		size_t ml, off = 12;
		unsigned qd, an, rcode;
		char answers[256] = "";
		int r = udp_exchange(c, dst, 53, q, qn, sport, now_ms() + TRY_MS, &f, &m, &ml);

		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		if (r == 2) {
			out("dns %s: bad-checksum", name);
			return 1;
		}
		if (ml < 12 || rd16(m) != id || !(m[2] & 0x80)) {
			out("dns %s: malformed response", name);
			return 1;
		}
		rcode = m[3] & 0x0F;
		qd = rd16(m + 4);
		an = rd16(m + 6);
		if (rcode == 3) {
			out("dns %s: NXDOMAIN", name);
			return 1;
		}
		if (rcode != 0) {
			out("dns %s: rcode=%u", name, rcode);
			return 1;
		}
		for (unsigned i = 0; i < qd; i++) {
			if (dns_skip_name(m, ml, &off) != 0 || 4 > ml - off) {
				out("dns %s: malformed question section", name);
				return 1;
			}
			off += 4;
		}
		for (unsigned i = 0; i < an; i++) {
			uint16_t type, cls, rdlen;

			/* NAME TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA */
			if (dns_skip_name(m, ml, &off) != 0 || 10 > ml - off) {
				out("dns %s: malformed answer section", name);
				return 1;
			}
			type = rd16(m + off);
			cls = rd16(m + off + 2);
			rdlen = rd16(m + off + 8);
			off += 10;
			if (rdlen > ml - off) {
				out("dns %s: malformed answer rdata", name);
				return 1;
			}
			if (type == 1 && cls == 1 && rdlen == 4) {
				char a[16];
				size_t al = strlen(answers);

				inet_ntop(AF_INET, m + off, a, sizeof(a));
				if (al + strlen(a) + 2 < sizeof(answers))
					snprintf(answers + al, sizeof(answers) - al, "%s%s",
					    al > 0 ? " " : "", a);
			}
			off += rdlen;
		}
		if (answers[0] == '\0') {
			out("dns %s: no-answer", name);
			return 1;
		}
		out("dns %s: %s", name, answers);
		return 0;
	}
	out("dns %s: timeout", name);
	return 1;
}
