/* The embedded responder: ICMP echo, UDP echo and DNS, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vnet/responder.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const struct vnet_host hosts[] = { { "vm1.lab.internal", IP(10, 1, 0, 4) } };
static const uint32_t dns[] = { IP(10, 1, 0, 4) };
static const struct vnet_config cfg = {
	IP(172, 16, 201, 1), hosts, 1, dns, 1, 7, 9, 19,
};

/* Build an IPv4 packet 172.16.201.2 -> dst around l4. */
static size_t
packet(uint8_t *p, uint8_t proto, uint32_t dst, const uint8_t *l4, size_t l4len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)((20 + l4len) >> 8);
	p[3] = (uint8_t)(20 + l4len);
	p[8] = 128;
	p[9] = proto;
	p[12] = 172; p[13] = 16; p[14] = 201; p[15] = 2;
	p[16] = (uint8_t)(dst >> 24); p[17] = (uint8_t)(dst >> 16);
	p[18] = (uint8_t)(dst >> 8); p[19] = (uint8_t)dst;
	uint16_t c = vnet_checksum(p, 20, 0);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	memcpy(p + 20, l4, l4len);
	return 20 + l4len;
}

static void
test_icmp_echo_gateway_and_host(void **state)
{
	uint8_t icmp[16] = { 8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01, 'p', '2', 's', 'g', 'w', '!', '!', '!' };
	uint16_t c = vnet_checksum(icmp, sizeof(icmp), 0);
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	uint8_t p[64], out[VNET_MAX_PACKET];
	char why[128];

	uint32_t targets[] = { IP(172, 16, 201, 1), IP(10, 1, 0, 4) };
	for (size_t t = 0; t < 2; t++) {
		size_t n = packet(p, 1, targets[t], icmp, sizeof(icmp));
		int r = vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why));
		assert_int_equal(r, 36);
		assert_int_equal(vnet_checksum(out, 20, 0), 0);            /* IP header valid */
		assert_memory_equal(out + 12, p + 16, 4);                    /* src = old dst */
		assert_memory_equal(out + 16, p + 12, 4);                    /* dst = old src */
		assert_int_equal(out[20], 0);                                /* echo reply */
		assert_memory_equal(out + 24, icmp + 4, 12);                 /* id, seq, data */
		assert_int_equal(vnet_checksum(out + 20, 16, 0), 0);        /* ICMP checksum */
		assert_non_null(strstr(why, "echo reply from"));
	}
	/* an address nobody has */
	size_t n = packet(p, 1, IP(10, 1, 0, 99), icmp, sizeof(icmp));
	assert_int_equal(vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(why, "no host 10.1.0.99 in the virtual network");
}

static void
test_udp_echo(void **state)
{
	uint8_t udp[13] = { 0x9c, 0x40, 0, 7, 0, 13, 0, 0, 'h', 'e', 'l', 'l', 'o' };
	uint8_t p[64], out[VNET_MAX_PACKET];
	char why[128];
	size_t n = packet(p, 17, IP(10, 1, 0, 4), udp, sizeof(udp));
	int r = vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why));
	assert_int_equal(r, 33);
	assert_int_equal(out[20], 0);
	assert_int_equal(out[21], 7);       /* from port 7 */
	assert_int_equal(out[22], 0x9c);    /* to the client's port */
	assert_int_equal(out[23], 0x40);
	assert_memory_equal(out + 28, "hello", 5);
	/* UDP checksum over the pseudo header verifies to zero */
	uint32_t pseudo = 0x0a01 + 0x0004 + 0xac10 + 0xc902 + 17 + 13;
	assert_int_equal(vnet_checksum(out + 20, 13, pseudo), 0);
	/* another port: no answer */
	udp[3] = 8;
	n = packet(p, 17, IP(10, 1, 0, 4), udp, sizeof(udp));
	assert_int_equal(vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(why, "no responder for UDP 10.1.0.4:8");
}

/* The sink acknowledges with the first 8 bytes; the source sends what is asked. */
static void
test_udp_sink_and_source(void **state)
{
	uint8_t udp[8 + 1000] = { 0x9c, 0x40, 0, 9, 0x03, 0xf0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	uint8_t p[1100], out[VNET_MAX_PACKET];
	char why[128];
	size_t n = packet(p, 17, IP(10, 1, 0, 4), udp, sizeof(udp));
	int r = vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why));
	assert_int_equal(r, 20 + 8 + 8);
	assert_int_equal(out[21], 9);
	assert_memory_equal(out + 28, udp + 8, 8);
	assert_string_equal(why, "UDP sink at 10.1.0.4:9 took 1000 bytes");
	uint32_t pseudo = 0x0a01 + 0x0004 + 0xac10 + 0xc902 + 17 + 16;
	assert_int_equal(vnet_checksum(out + 20, 16, pseudo), 0);

	/* the source: uint16 1372 -> 1372 bytes of payload, a 1400-byte packet */
	uint8_t req[8 + 8] = { 0x9c, 0x40, 0, 19, 0, 16, 0, 0, 0x05, 0x5c, 'a', 'b', 'c', 'd', 'e', 'f' };
	n = packet(p, 17, IP(10, 1, 0, 4), req, sizeof(req));
	r = vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why));
	assert_int_equal(r, 1400);
	assert_memory_equal(out + 28, req + 8, 8);
	assert_int_equal(out[28 + 100], 0);
	pseudo = 0x0a01 + 0x0004 + 0xac10 + 0xc902 + 17 + 1380;
	assert_int_equal(vnet_checksum(out + 20, 1380, pseudo), 0);
	/* a size that does not fit, or none: no answer */
	req[8] = 0xff;
	n = packet(p, 17, IP(10, 1, 0, 4), req, sizeof(req));
	assert_int_equal(vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why)), 0);
	req[8] = 0;
	req[9] = 0;
	n = packet(p, 17, IP(10, 1, 0, 4), req, sizeof(req));
	assert_int_equal(vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why)), 0);
}

static void
test_dns(void **state)
{
	/* query id 0xbeef, RD, one question vm1.lab.internal A IN */
	uint8_t udp[8 + 12 + 18 + 4] = { 0xd4, 0x31, 0, 53, 0, 42, 0, 0,
		0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'v', 'm', '1', 3, 'l', 'a', 'b', 8, 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0,
		0, 1, 0, 1 };
	uint8_t p[128], out[VNET_MAX_PACKET];
	char why[128];
	size_t n = packet(p, 17, IP(10, 1, 0, 4), udp, sizeof(udp));
	int r = vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why));
	assert_int_equal(r, 20 + 8 + 34 + 16);
	const uint8_t *dnsr = out + 28;
	assert_int_equal(dnsr[0], 0xbe);
	assert_int_equal(dnsr[2] & 0x80, 0x80);   /* response */
	assert_int_equal(dnsr[3] & 0x0f, 0);      /* NOERROR */
	assert_int_equal(dnsr[7], 1);             /* one answer */
	static const uint8_t a[4] = { 10, 1, 0, 4 };
	assert_memory_equal(dnsr + 34 + 12, a, 4);
	assert_string_equal(why, "DNS answer vm1.lab.internal A 10.1.0.4");

	udp[21] = 'x'; /* vm1 -> xm1: unknown */
	n = packet(p, 17, IP(10, 1, 0, 4), udp, sizeof(udp));
	r = vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why));
	assert_int_equal(r, 20 + 8 + 34);
	assert_int_equal(out[28 + 3] & 0x0f, 3); /* NXDOMAIN */
}

static void
test_malformed(void **state)
{
	uint8_t p[64] = { 0x45 }, out[VNET_MAX_PACKET];
	char why[128];
	assert_int_equal(vnet_input(&cfg, p, 10, out, sizeof(out), why, sizeof(why)), -1);
	uint8_t icmp[8] = { 8, 0, 0xf7, 0xff, 0, 0, 0, 0 };
	size_t n = packet(p, 1, IP(10, 1, 0, 4), icmp, 8);
	p[10] ^= 1; /* bad header checksum */
	assert_int_equal(vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why)), -1);
	n = packet(p, 1, IP(10, 1, 0, 4), icmp, 8);
	assert_int_equal(vnet_input(&cfg, p, n - 1, out, sizeof(out), why, sizeof(why)), -1); /* truncated */
	n = packet(p, 6, IP(10, 1, 0, 4), icmp, 8);
	assert_int_equal(vnet_input(&cfg, p, n, out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(why, "no responder for TCP to 10.1.0.4");
}

/* RFC 1071 as written: big-endian 16-bit words, one at a time. */
static uint16_t
checksum_ref(const uint8_t *b, size_t len, uint32_t sum)
{
	size_t i;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (i < len)
		sum += (uint32_t)b[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The word-at-a-time checksum equals the reference at every length,
 * alignment and initial sum, all-ones data (carries) included. */
static void
test_checksum_matches_rfc1071(void **state)
{
	uint8_t buf[1500 + 8];
	uint32_t x = 12345;
	static const uint32_t initial[] = { 0, 1, 0xffff, 0x1fffe, 0x2a5f3 };

	for (int fill = 0; fill < 2; fill++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = fill ? 0xff : (uint8_t)(x >> 16);
		}
		for (size_t off = 0; off < 8; off++)
			for (size_t len = 0; len + off <= sizeof(buf); len += len < 64 ? 1 : 37)
				for (size_t k = 0; k < sizeof(initial) / sizeof(initial[0]); k++)
					assert_int_equal(vnet_checksum(buf + off, len, initial[k]),
					    checksum_ref(buf + off, len, initial[k]));
	}
}

/* The data path passes no reason buffer: the same reply, nothing formatted. */
static void
test_no_reason_same_reply(void **state)
{
	uint8_t udp[13] = { 0x9c, 0x40, 0, 7, 0, 13, 0, 0, 'h', 'e', 'l', 'l', 'o' };
	uint8_t p[64], out1[VNET_MAX_PACKET], out2[VNET_MAX_PACKET];
	char why[128];
	size_t n = packet(p, 17, IP(10, 1, 0, 4), udp, sizeof(udp));
	int r1 = vnet_input(&cfg, p, n, out1, sizeof(out1), why, sizeof(why));
	int r2 = vnet_input(&cfg, p, n, out2, sizeof(out2), NULL, 0);
	assert_int_equal(r1, 33);
	assert_int_equal(r2, r1);
	assert_memory_equal(out1, out2, 33);
	/* refusals too */
	assert_int_equal(vnet_input(&cfg, p, 10, out2, sizeof(out2), NULL, 0), -1);
	udp[3] = 8;
	n = packet(p, 17, IP(10, 1, 0, 4), udp, sizeof(udp));
	assert_int_equal(vnet_input(&cfg, p, n, out2, sizeof(out2), NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_matches_rfc1071),
		cmocka_unit_test(test_no_reason_same_reply),
		cmocka_unit_test(test_icmp_echo_gateway_and_host),
		cmocka_unit_test(test_udp_echo),
		cmocka_unit_test(test_udp_sink_and_source),
		cmocka_unit_test(test_dns),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
