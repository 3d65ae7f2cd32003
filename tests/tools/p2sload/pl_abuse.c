/*
 * pl_abuse.c - the misbehaving clients of `p2sload abuse --kind KIND`.
 *
 *   idle            TCP connect, send nothing
 *   slow            a valid ClientHello, one byte every --interval ms
 *   malformed-tls   garbage instead of a ClientHello (four variants)
 *   malformed-sstp  TLS, then a bad HTTP request or bad SSTP packets
 *   malformed-ppp   TLS + SSTP (and LCP for every other client), then
 *                   malformed PPP frames, one more every --interval ms
 *   early-close     FIN or RST at a random point of the setup
 *
 * Each connection picks its variant in abuse_plan() (variants rotate so a
 * run covers all of them); the session code calls abuse_stage() at each
 * setup stage and the hook may take the connection over.  How the gateway
 * ended it (FIN, RST, TLS alert) is counted in p2sload.c.
 */
#include "p2sload.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/ssl.h>

#define MSSTP_VARIANTS 6
#define MTLS_VARIANTS  4

static unsigned next_variant;

void
abuse_plan(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;
	uint8_t b[2];

	c->c_abuse_variant = (int)next_variant++;
	c->c_raw_sent = c->c_raw_skip = c->c_raw_hlen = 0;
	c->c_raw_alert = 0;
	c->c_abuse_stage = 0;
	if (r->o->abuse == AB_EARLY) {
		rng(r, b, sizeof(b));
		/* 0 = in the middle of the ClientHello, else ST_TCP..ST_CHAP_SENT */
		c->c_abuse_stage = b[0] % (ST_CHAP_SENT + 1);
		c->c_abuse_rst = b[1] & 1;
	}
}

static void
close_by_us(struct pl_conn *c)
{
	c->c_end = END_BY_US;
	conn_close(c, "closed by client");
}

static void
raw_mode(struct pl_conn *c)
{
	c->c_state = PC_RAW;
	conn_deadline(c, 0);            /* the gateway decides when it ends */
}

/* A ClientHello that claims more bytes than it has, or other garbage. */
static int
send_bad_tls(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;
	uint8_t b[2048];
	size_t n;

	switch (c->c_abuse_variant % MTLS_VARIANTS) {
	case 0:         /* random bytes */
		n = 512;
		rng(r, b, n);
		break;
	case 1:         /* the real ClientHello with a corrupt handshake length */
		n = r->clienthello_len;
		memcpy(b, r->clienthello, n);
		if (n > 8) {
			b[6] = 0xFF;
			b[7] = 0xFF;
		}
		break;
	case 2:         /* application data record before any handshake */
		n = 5 + 64;
		b[0] = 0x17;
		b[1] = 0x03;
		b[2] = 0x03;
		b[3] = 0;
		b[4] = 64;
		rng(r, b + 5, 64);
		break;
	default:        /* plain HTTP on the TLS port */
		n = (size_t)snprintf((char *)b, sizeof(b),
		    "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
		break;
	}
	return conn_raw_send(c, b, n);
}

int
abuse_connected(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;

	switch (r->o->abuse) {
	case AB_IDLE:
		raw_mode(c);
		return 1;
	case AB_SLOW:
		raw_mode(c);
		abuse_tick(c);
		return 1;
	case AB_MTLS:
		raw_mode(c);
		(void)send_bad_tls(c);
		return 1;
	case AB_EARLY:
		if (c->c_abuse_stage == ST_TCP) {
			close_by_us(c);
			return 1;
		}
		if (c->c_abuse_stage == 0) {
			uint8_t k;

			raw_mode(c);
			rng(r, &k, 1);
			if (conn_raw_send(c, r->clienthello,
			    1 + k % (r->clienthello_len - 1)) == 0)
				close_by_us(c);
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

static int
send_bad_http(struct pl_conn *c)
{
	static const char bad_line[] = "GARBAGE /\r\nHost: x\r\n\r\n";
	uint8_t junk[8192];

	c->c_wunaligned = 1;
	if (c->c_abuse_variant % MSSTP_VARIANTS == 0)
		return conn_queue(c, bad_line, sizeof(bad_line) - 1);
	/* a header that never ends */
	memcpy(junk, "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n", 72);
	for (size_t i = 72; i < sizeof(junk); i++)
		junk[i] = (i % 64 == 63) ? '\n' : (i % 64 == 62) ? '\r' : 'X';
	return conn_queue(c, junk, sizeof(junk));
}

static int
send_bad_sstp(struct pl_conn *c)
{
	/* bad version byte */
	static const uint8_t v2[] = { 0x20, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01,
		0x00, 0x01, 0x00, 0x06, 0x00, 0x01 };
	/* length below the header size, then junk */
	static const uint8_t shortlen[] = { 0x10, 0x01, 0x00, 0x02, 0xDE, 0xAD, 0xBE, 0xEF };
	/* a data packet (LCP) before CALL_CONNECT_REQUEST */
	static const uint8_t early_data[] = { 0x10, 0x00, 0x00, 0x0C, 0xFF, 0x03, 0xC0, 0x21,
		0x01, 0x01, 0x00, 0x04 };
	/* CALL_CONNECT_REQUEST claiming 200 attributes */
	static const uint8_t many_attr[] = { 0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0xC8,
		0x00, 0x01, 0x00, 0x06, 0x00, 0x01 };

	c->c_wunaligned = 1;
	switch (c->c_abuse_variant % MSSTP_VARIANTS) {
	case 2:
		return conn_queue(c, v2, sizeof(v2));
	case 3:
		return conn_queue(c, shortlen, sizeof(shortlen));
	case 4:
		return conn_queue(c, early_data, sizeof(early_data));
	default:
		return conn_queue(c, many_attr, sizeof(many_attr));
	}
}

/* Malformed PPP frames, sent one after another (then one per tick). */
static int
send_bad_ppp(struct pl_conn *c, unsigned which)
{
	static const uint8_t f0[] = { 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0xC8, 0x01, 0x04 };
	static const uint8_t f1[] = { 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x02, 0x00, 0x02 };
	static const uint8_t f2[] = { 0xFF, 0x03, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF };
	static const uint8_t f3[] = { 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x03, 0x00, 0x08, 0x01,
		0x00, 0x00, 0x00 };
	static const uint8_t f4[] = { 0xFF, 0x03, 0x80, 0x21, 0x01, 0x01, 0x00, 0x0A, 0x03,
		0x06, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t f5[] = { 0xFF, 0x03, 0xC2, 0x23, 0x02, 0x07, 0x00, 0x40, 0x31 };
	static const uint8_t f6[] = { 0xFF };
	static const uint8_t f7[] = { 0xFF, 0x03, 0xC0, 0x21, 0xEE, 0x04, 0x00, 0x04 };
	static const uint8_t f8[] = { 0x21, 0x45, 0x00 };
	static const uint8_t f9[] = { 0xFF, 0x03, 0x00, 0x21, 0x45, 0x00, 0xFF, 0xFF, 0x00 };
	static const struct { const uint8_t *p; size_t n; } f[] = {
		{ f0, sizeof(f0) }, { f1, sizeof(f1) }, { f2, sizeof(f2) }, { f3, sizeof(f3) },
		{ f4, sizeof(f4) }, { f5, sizeof(f5) }, { f6, sizeof(f6) }, { f7, sizeof(f7) },
		{ f8, sizeof(f8) }, { f9, sizeof(f9) },
	};
	uint8_t pkt[64];
	unsigned i = which % (sizeof(f) / sizeof(f[0]));
	size_t tot = 4 + f[i].n;

	pkt[0] = 0x10;
	pkt[1] = 0x00;
	pkt[2] = 0;
	pkt[3] = (uint8_t)tot;
	memcpy(pkt + 4, f[i].p, f[i].n);
	return conn_queue(c, pkt, tot);
}

int
abuse_stage(struct pl_conn *c, enum pl_stage st)
{
	struct pl_run *r = c->c_run;
	int v = c->c_abuse_variant % MSSTP_VARIANTS;

	switch (r->o->abuse) {
	case AB_MSSTP:
		if (st == ST_TLS && v <= 1) {
			if (send_bad_http(c) != 0)
				return 1;
		} else if (st == ST_HTTP_OK) {
			if (send_bad_sstp(c) != 0)
				return 1;
		} else {
			return 0;
		}
		c->c_state = PC_ABUSE;
		conn_deadline(c, 0);
		return 1;
	case AB_MPPP:
		/* even variants right after CALL_CONNECT_ACK, odd ones once LCP is open */
		if (st != ((c->c_abuse_variant & 1) ? ST_LCP_OPEN : ST_SSTP_ACK))
			return 0;
		for (unsigned i = 0; i < 10; i++)
			if (send_bad_ppp(c, i) != 0)
				return 1;
		c->c_state = PC_ABUSE;
		conn_deadline(c, 0);
		conn_tick_in(c, (double)r->o->interval_ms / 1000.0);
		return 1;
	case AB_EARLY:
		if ((int)st != c->c_abuse_stage && st != ST_UP)
			return 0;
		(void)conn_flush(c);            /* what this stage sends goes out first */
		if (c->c_state != PC_IDLE)
			close_by_us(c);
		return 1;
	default:
		return 0;
	}
}

void
abuse_tick(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;
	double every = (double)r->o->interval_ms / 1000.0;

	if (r->o->abuse == AB_SLOW && c->c_state == PC_RAW) {
		if (c->c_raw_sent >= r->clienthello_len)
			return;
		if (conn_raw_send(c, r->clienthello + c->c_raw_sent, 1) != 0)
			return;
		c->c_raw_sent++;
		conn_tick_in(c, every);
	} else if (r->o->abuse == AB_MPPP && c->c_state == PC_ABUSE) {
		if (send_bad_ppp(c, (unsigned)c->c_raw_sent++) != 0)
			return;
		if (conn_flush(c) != 0)
			return;
		conn_tick_in(c, every);
	}
}

/* Walk the TLS records the gateway sends to a raw client; note alerts. */
void
abuse_raw_input(struct pl_conn *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k;

		if (c->c_raw_skip > 0) {
			k = c->c_raw_skip < n ? c->c_raw_skip : n;
			c->c_raw_skip -= k;
			p += k;
			n -= k;
			continue;
		}
		k = 5 - c->c_raw_hlen < n ? 5 - c->c_raw_hlen : n;
		memcpy(c->c_raw_hdr + c->c_raw_hlen, p, k);
		c->c_raw_hlen += k;
		p += k;
		n -= k;
		if (c->c_raw_hlen == 5) {
			/* ContentType(1) Version(2) Length(2) */
			if (c->c_raw_hdr[0] == 21)
				c->c_raw_alert = 1;
			c->c_raw_skip = (size_t)(c->c_raw_hdr[3] << 8 | c->c_raw_hdr[4]);
			c->c_raw_hlen = 0;
		}
	}
}

/* ------------------------------------------------------------------ */
/* A real ClientHello from our configuration, captured once.           */

static int
cap_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct pl_run *r = ctx;

	if (len > sizeof(r->clienthello) - r->clienthello_len)
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	memcpy(r->clienthello + r->clienthello_len, buf, len);
	r->clienthello_len += len;
	return (int)len;
}

static int
cap_recv(void *ctx, unsigned char *buf, size_t len)
{
	return MBEDTLS_ERR_SSL_WANT_READ;
}

int
abuse_capture_clienthello(struct pl_run *r)
{
	mbedtls_ssl_context s;
	int ret;

	mbedtls_ssl_init(&s);
	r->clienthello_len = 0;
	if ((ret = mbedtls_ssl_setup(&s, &r->conf)) == 0 &&
	    (ret = mbedtls_ssl_set_hostname(&s, r->o->servername)) == 0) {
		mbedtls_ssl_set_bio(&s, r, cap_send, cap_recv, NULL);
		ret = mbedtls_ssl_handshake(&s);
	}
	mbedtls_ssl_free(&s);
	if (ret != MBEDTLS_ERR_SSL_WANT_READ || r->clienthello_len < 10)
		return -1;
	return 0;
}
