/*
 * pl_session.c - one SSTP session as a sans-blocking state machine: the
 * SSTP_DUPLEX_POST handshake, CALL_CONNECT_REQUEST/ACK, LCP, MS-CHAPv2,
 * CALL_CONNECTED with the crypto binding, IPCP; then SSTP echo and the IPv4
 * data pump.  The message sequence is the one of tests/tools/p2s_conn.c and
 * p2s_auth.c (the blocking oracle); every input is length-checked first.
 *
 * sess_input() consumes whole packets from the read buffer and queues the
 * answers in the write buffer; pl_conn.c flushes them.  It returns -1 when
 * the connection was closed underneath it.
 */
#include "p2sload.h"

#include "../p2s_crypto.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

#define SSTP_CALL_CONNECT_REQUEST 0x0001
#define SSTP_CALL_CONNECT_ACK     0x0002
#define SSTP_CALL_CONNECT_NAK     0x0003
#define SSTP_CALL_ABORT           0x0005
#define SSTP_CALL_DISCONNECT      0x0006
#define SSTP_CALL_DISCONNECT_ACK  0x0007
#define SSTP_ECHO_REQUEST         0x0008
#define SSTP_ECHO_RESPONSE        0x0009

#define SSTP_ATTR_STATUS_INFO        0x02
#define SSTP_ATTR_CRYPTO_BINDING_REQ 0x04

#define PPP_LCP  0xC021
#define PPP_CHAP 0xC223
#define PPP_IPCP 0x8021
#define PPP_IP   0x0021

#define HTTP_MAX_HEADER 4096
#define OUR_MRU         1400
#define MAX_NCP_NAKS    10  /* Configure-Nak/Reject rounds before giving up */
#define UDP_ECHO_PORT   7
#define UDP_SINK_PORT   9   /* the gateway's defaults (network.udp_*_port) */
#define UDP_SOURCE_PORT 19
#define ACK_BYTES       (20 + 8 + 8) /* a sink's answer, or a request to the source */

static uint16_t
dir_port(int dir)
{
	return dir == PL_DIR_UP ? UDP_SINK_PORT : dir == PL_DIR_DOWN ? UDP_SOURCE_PORT : UDP_ECHO_PORT;
}

static int
hook(struct pl_conn *c, enum pl_stage st)
{
	if (c->c_run->o->mode != MODE_ABUSE)
		return 0;
	return abuse_stage(c, st);
}

/* ------------------------------------------------------------------ */
/* Output                                                               */

static int
sstp_send_simple(struct pl_conn *c, uint16_t type, int with_status)
{
	uint8_t p[20] = { 0x10, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00 };

	wr16(p + 4, type);
	if (with_status) {
		/* Status Info: Reserved(1) ID(1)=2 Len(2)=12 { Reserved(3) AttribID(1) Status(4) } */
		p[3] = 20;
		p[7] = 1;
		p[9] = SSTP_ATTR_STATUS_INFO;
		p[11] = 12;
		return conn_queue(c, p, 20);
	}
	return conn_queue(c, p, 8);
}

int
sess_ppp_send(struct pl_conn *c, uint16_t proto, const uint8_t *payload, size_t len)
{
	uint8_t h[8];
	size_t tot = 8 + len;

	if (tot > PL_SSTP_MAX) {
		conn_fail(c, "PPP frame too long (%zu)", len);
		return -1;
	}
	/* SSTP data: Version(1)=0x10 C(1)=0 Length(2); PPP: FF 03 Protocol(2) */
	h[0] = 0x10;
	h[1] = 0x00;
	wr16(h + 2, (uint16_t)tot);
	h[4] = 0xFF;
	h[5] = 0x03;
	wr16(h + 6, proto);
	if (conn_queue(c, h, 8) != 0)
		return -1;
	return len > 0 ? conn_queue(c, payload, len) : 0;
}

static int
ncp_send(struct pl_conn *c, uint16_t proto, uint8_t code, uint8_t id,
         const uint8_t *data, size_t dlen)
{
	uint8_t p[PL_SSTP_MAX];
	size_t len = 4 + dlen;

	if (len > sizeof(p) - 8) {
		conn_fail(c, "PPP control packet too long");
		return -1;
	}
	p[0] = code;
	p[1] = id;
	wr16(p + 2, (uint16_t)len);
	if (dlen > 0)
		memcpy(p + 4, data, dlen);
	return sess_ppp_send(c, proto, p, len);
}

int
sess_http_request(struct pl_conn *c)
{
	uint8_t g[16];
	char req[512];
	int n;

	rng(c->c_run, g, sizeof(g));
	n = snprintf(req, sizeof(req),
	    "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "Content-Length: 18446744073709551615\r\n"
	    "SSTPCORRELATIONID: {%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
	    "%02X%02X%02X%02X%02X%02X}\r\n\r\n",
	    c->c_run->o->servername,
	    g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9],
	    g[10], g[11], g[12], g[13], g[14], g[15]);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		conn_fail(c, "HTTP request too long");
		return -1;
	}
	return conn_queue(c, req, (size_t)n);
}

int
sess_connect_request(struct pl_conn *c)
{
	/* CALL_CONNECT_REQUEST, one attribute: Encapsulated Protocol = PPP (1) */
	static const uint8_t req[14] = {
		0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01,
		0x00, 0x01, 0x00, 0x06, 0x00, 0x01,
	};

	return conn_queue(c, req, sizeof(req));
}

int
sess_disconnect(struct pl_conn *c)
{
	if (sstp_send_simple(c, SSTP_CALL_DISCONNECT, 1) != 0)
		return -1;
	return conn_flush(c);
}

int
sess_tls_done(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;

	if (hook(c, ST_TLS))
		return 0;
	if (sess_http_request(c) != 0)
		return -1;
	c->c_state = PC_HTTP;
	conn_deadline(c, r->o->step_s);
	if (hook(c, ST_HTTP_SENT))
		return 0;
	return 0;
}

static int
lcp_send_confreq(struct pl_conn *c)
{
	uint8_t o[10];
	size_t n = 0;

	/* MRU(1) len 4, Magic-Number(5) len 6; each left out once the peer rejected it */
	if (!c->c_lcp_no_mru) {
		o[n++] = 1;
		o[n++] = 4;
		wr16(o + n, c->c_our_mru);
		n += 2;
	}
	if (!c->c_lcp_no_magic) {
		o[n++] = 5;
		o[n++] = 6;
		o[n++] = (uint8_t)(c->c_magicnum >> 24);
		o[n++] = (uint8_t)(c->c_magicnum >> 16);
		o[n++] = (uint8_t)(c->c_magicnum >> 8);
		o[n++] = (uint8_t)c->c_magicnum;
	}
	return ncp_send(c, PPP_LCP, 1, ++c->c_lcp_id, o, n);
}

/*
 * Configure-Nak (3) or Configure-Reject (4) of our LCP Configure-Request
 * (RFC 1661 5.3, 5.4): drop what the peer rejects (SoftEther rejects
 * Magic-Number), take the MRU it suggests, pick a new magic number when it
 * Naks ours, and send a new request.  0, or -1 when the connection failed.
 */
static int
lcp_nak_input(struct pl_conn *c, uint8_t code, const uint8_t *p, size_t len)
{
	size_t off = 0, olen;
	const uint8_t *opt;

	if (++c->c_ncp_naks > MAX_NCP_NAKS) {
		conn_fail(c, "LCP: %d Configure-Nak/Reject rounds", MAX_NCP_NAKS);
		return -1;
	}
	while (opt_next(p, len, &off, &opt, &olen) == 0) {
		if (opt[0] == 1 && code == 4) {
			c->c_lcp_no_mru = 1;
		} else if (opt[0] == 1 && olen == 4) {
			uint16_t mru = rd16(opt + 2);

			c->c_our_mru = mru < 64 ? 64 : mru > PL_SSTP_MAX - 8 ? PL_SSTP_MAX - 8 : mru;
		} else if (opt[0] == 5 && code == 4) {
			c->c_lcp_no_magic = 1;
			c->c_magicnum = 0;
		} else if (opt[0] == 5) {
			do
				rng(c->c_run, &c->c_magicnum, sizeof(c->c_magicnum));
			while (c->c_magicnum == 0);
		} else if (code == 4) {
			conn_fail(c, "LCP Reject of option %u we did not send", opt[0]);
			return -1;
		}
		/* a Nak of an option we did not send: the peer's wish, ignored */
	}
	c->c_lcp_our = 0;
	return lcp_send_confreq(c);
}

static int
ipcp_send_confreq(struct pl_conn *c)
{
	uint8_t o[12];
	size_t n = 0;

	o[n++] = 3;
	o[n++] = 6;
	memcpy(o + n, c->c_our_ip, 4);
	n += 4;
	if (c->c_ipcp_dns) {
		o[n++] = 129;
		o[n++] = 6;
		memcpy(o + n, c->c_dns_ip, 4);
		n += 4;
	}
	return ncp_send(c, PPP_IPCP, 1, ++c->c_ipcp_id, o, n);
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                 */

static const uint8_t *
find_crlfcrlf(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (p[i] == '\r' && memcmp(p + i, "\r\n\r\n", 4) == 0)
			return p + i;
	return NULL;
}

/* 1: consumed the reply and moved on, 0: need more, -1: closed */
static int
http_input(struct pl_conn *c)
{
	const uint8_t *end = find_crlfcrlf(c->c_rbuf, c->c_rlen);
	const char *h = (const char *)c->c_rbuf;
	size_t hlen;
	int code;

	if (end == NULL) {
		if (c->c_rlen > HTTP_MAX_HEADER) {
			conn_fail(c, "HTTP response header over %d bytes", HTTP_MAX_HEADER);
			return -1;
		}
		return 0;
	}
	hlen = (size_t)(end - c->c_rbuf) + 4;
	/* status-line = "HTTP/1.1" SP 3DIGIT [SP reason] CRLF */
	if (hlen < 14 || strncmp(h, "HTTP/1.", 7) != 0 || h[8] != ' ' ||
	    h[9] < '0' || h[9] > '9' || h[10] < '0' || h[10] > '9' ||
	    h[11] < '0' || h[11] > '9') {
		conn_fail(c, "HTTP bad status line");
		return -1;
	}
	code = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
	if (code != 200) {
		conn_fail(c, "HTTP status %d", code);
		return -1;
	}
	memmove(c->c_rbuf, c->c_rbuf + hlen, c->c_rlen - hlen);
	c->c_rlen -= hlen;
	if (hook(c, ST_HTTP_OK))
		return -1;
	if (sess_connect_request(c) != 0)
		return -1;
	c->c_state = PC_SSTP;
	conn_deadline(c, c->c_run->o->step_s);
	return 1;
}

/* ------------------------------------------------------------------ */
/* SSTP control                                                         */

/*
 * ctrl = hdr(4) MessageType(2) NumAttributes(2) { Reserved(1) ID(1) R(4)|Len(12) value }*
 * 0 and the first attribute with that id, 1 not present, -1 malformed.
 */
static int
sstp_attr(const uint8_t *pkt, size_t len, uint8_t id, const uint8_t **val, size_t *vlen)
{
	size_t off = 8;
	unsigned n;
	int found = 1;

	if (len < 8)
		return -1;
	n = rd16(pkt + 6);
	if (n > 256)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		size_t alen;

		if (4 > len - off)
			return -1;
		alen = (size_t)((pkt[off + 2] & 0x0F) << 8 | pkt[off + 3]);
		if (alen < 4 || alen > len - off)
			return -1;
		if (found == 1 && pkt[off + 1] == id) {
			*val = pkt + off + 4;
			*vlen = alen - 4;
			found = 0;
		}
		off += alen;
	}
	return off == len ? found : -1;
}

static unsigned
status_of(const uint8_t *pkt, size_t len)
{
	const uint8_t *v;
	size_t vl;

	if (sstp_attr(pkt, len, SSTP_ATTR_STATUS_INFO, &v, &vl) == 0 && vl >= 8)
		return (unsigned)((uint32_t)v[4] << 24 | (uint32_t)v[5] << 16 | v[6] << 8 | v[7]);
	return 0;
}

static int
connect_ack(struct pl_conn *c, const uint8_t *pkt, size_t len)
{
	const uint8_t *v;
	size_t vl;

	/* CRYPTO_BINDING_REQ { Reserved(3) Bitmask(1) Nonce(32) } */
	if (sstp_attr(pkt, len, SSTP_ATTR_CRYPTO_BINDING_REQ, &v, &vl) != 0 || vl != 36) {
		conn_fail(c, "SSTP bad CALL_CONNECT_ACK");
		return -1;
	}
	c->c_bitmask = v[3];
	memcpy(c->c_nonce, v + 4, 32);
	if ((c->c_bitmask & 0x03) == 0) {
		conn_fail(c, "SSTP CALL_CONNECT_ACK offers no known hash");
		return -1;
	}
	c->c_hash = (c->c_bitmask & 0x02) ? P2S_HASH_SHA256 : P2S_HASH_SHA1;
	c->c_state = PC_PPP;
	conn_deadline(c, c->c_run->o->step_s);
	if (hook(c, ST_SSTP_ACK))
		return -1;
	c->c_lcp_id = c->c_ipcp_id = 0;
	c->c_lcp_our = c->c_lcp_peer = c->c_chap_resp = c->c_auth_ok = 0;
	c->c_ipcp_our = c->c_ipcp_peer = c->c_lcp_open_seen = 0;
	c->c_peer_mru = 1500;
	c->c_our_mru = OUR_MRU;
	c->c_lcp_no_mru = c->c_lcp_no_magic = 0;
	c->c_ncp_naks = 0;
	do
		rng(c->c_run, &c->c_magicnum, sizeof(c->c_magicnum));
	while (c->c_magicnum == 0);
	return lcp_send_confreq(c);
}

/* The oldest echo request in flight was answered (answers come in order). */
static void
echo_answered(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;
	double rtt;

	if (c->c_echo_n == 0)
		return;
	rtt = pl_now() - c->c_echo_ts[c->c_echo_head];
	c->c_echo_head = (c->c_echo_head + 1) % PL_ECHO_RING;
	c->c_echo_n--;
	r->echo_answered++;
	samples_add(&r->rtt, rtt * 1000.0);
}

static int
ctrl_input(struct pl_conn *c, const uint8_t *pkt, size_t len)
{
	struct pl_run *r = c->c_run;
	uint16_t type = rd16(pkt + 4);

	switch (type) {
	case SSTP_CALL_CONNECT_ACK:
		if (c->c_state != PC_SSTP)
			return 0;
		return connect_ack(c, pkt, len);
	case SSTP_CALL_CONNECT_NAK:
		conn_fail(c, "SSTP CALL_CONNECT_NAK (status %u)", status_of(pkt, len));
		return -1;
	case SSTP_ECHO_REQUEST:
		return sstp_send_simple(c, SSTP_ECHO_RESPONSE, 0);
	case SSTP_ECHO_RESPONSE:
		if (!r->o->echo_lcp)
			echo_answered(c);
		return 0;
	case SSTP_CALL_ABORT:
		conn_fail(c, "SSTP CALL_ABORT from gateway (status %u)", status_of(pkt, len));
		return -1;
	case SSTP_CALL_DISCONNECT:
		(void)sstp_send_simple(c, SSTP_CALL_DISCONNECT_ACK, 0);
		(void)conn_flush(c);
		if (c->c_state != PC_IDLE)
			conn_fail(c, "SSTP CALL_DISCONNECT from gateway");
		return -1;
	default:
		return 0;
	}
}

int
sess_send_echo(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;

	if (c->c_state != PC_UP)
		return 0;
	if (c->c_echo_n == PL_ECHO_RING) {
		/* the gateway has not answered the last 64: count it as lost */
		r->echo_sent++;
		return 0;
	}
	c->c_echo_ts[(c->c_echo_head + c->c_echo_n) % PL_ECHO_RING] = pl_now();
	c->c_echo_n++;
	r->echo_sent++;
	if (r->o->echo_lcp) {
		/* LCP Echo-Request (RFC 1661 5.8): Magic-Number(4), 0 when not negotiated */
		uint8_t m[4];

		m[0] = (uint8_t)(c->c_magicnum >> 24);
		m[1] = (uint8_t)(c->c_magicnum >> 16);
		m[2] = (uint8_t)(c->c_magicnum >> 8);
		m[3] = (uint8_t)c->c_magicnum;
		if (ncp_send(c, PPP_LCP, 9, ++c->c_echo_id, m, sizeof(m)) != 0)
			return -1;
	} else if (sstp_send_simple(c, SSTP_ECHO_REQUEST, 0) != 0) {
		return -1;
	}
	return conn_flush(c);
}

/* ------------------------------------------------------------------ */
/* LCP                                                                  */
static int
lcp_confreq_input(struct pl_conn *c, uint8_t id, const uint8_t *p, size_t len)
{
	static const uint8_t want_auth[5] = { 3, 5, 0xC2, 0x23, 0x81 };
	uint8_t ack[PL_SSTP_MAX], rej[PL_SSTP_MAX];
	size_t nack = 0, nrej = 0, off = 0, olen;
	const uint8_t *opt;
	uint16_t mru = 1500;
	int r, nak = 0;

	while ((r = opt_next(p, len, &off, &opt, &olen)) == 0) {
		int ok = 0;

		switch (opt[0]) {
		case 1:         /* MRU */
			if (olen == 4 && rd16(opt + 2) >= 64) {
				mru = rd16(opt + 2);
				ok = 1;
			}
			break;
		case 3:         /* Auth-Protocol: we do MS-CHAPv2 only */
			if (olen == 5 && opt[2] == 0xC2 && opt[3] == 0x23 && opt[4] == 0x81)
				ok = 1;
			else if (olen >= 4)
				ok = nak = 2;
			break;
		case 2:         /* ACCM */
			ok = olen == 6;
			break;
		case 5:         /* Magic-Number */
			ok = olen == 6;
			break;
		case 7:         /* PFC */
		case 8:         /* ACFC */
			ok = olen == 2;
			break;
		default:
			break;
		}
		if (ok == 1) {
			memcpy(ack + nack, opt, olen);
			nack += olen;
		} else if (ok == 0) {
			memcpy(rej + nrej, opt, olen);
			nrej += olen;
		}
	}
	if (r < 0)
		return 0;       /* malformed request: ignore, the peer resends */
	if (nrej > 0)
		return ncp_send(c, PPP_LCP, 4, id, rej, nrej);
	if (nak)
		return ncp_send(c, PPP_LCP, 3, id, want_auth, sizeof(want_auth));
	if (c->c_lcp_peer && c->c_lcp_our) {
		c->c_lcp_our = 0;       /* renegotiation */
		if (lcp_send_confreq(c) != 0)
			return -1;
	}
	c->c_peer_mru = mru;
	c->c_lcp_peer = 1;
	return ncp_send(c, PPP_LCP, 2, id, ack, nack);
}

static int
lcp_input(struct pl_conn *c, const uint8_t *p, size_t len)
{
	size_t plen;

	/* Code(1) Identifier(1) Length(2) Data; trailing padding ignored */
	if (len < 4)
		return 0;
	plen = rd16(p + 2);
	if (plen < 4 || plen > len)
		return 0;
	switch (p[0]) {
	case 1:
		if (lcp_confreq_input(c, p[1], p + 4, plen - 4) != 0)
			return -1;
		break;
	case 2:
		if (p[1] == c->c_lcp_id)
			c->c_lcp_our = 1;
		break;
	case 3:
	case 4:
		if (p[1] != c->c_lcp_id)
			return 0;       /* of an earlier request */
		return lcp_nak_input(c, p[0], p + 4, plen - 4);
	case 5:
		(void)ncp_send(c, PPP_LCP, 6, p[1], NULL, 0);
		(void)conn_flush(c);
		if (c->c_state != PC_IDLE)
			conn_fail(c, "LCP Terminate-Request from gateway");
		return -1;
	case 9: {       /* Echo-Request: Magic(4) Data -> Echo-Reply with our magic */
		uint8_t rep[PL_SSTP_MAX];
		size_t dl;

		if (plen < 8)
			return 0;
		dl = plen - 8;
		if (dl + 8 > c->c_peer_mru)
			dl = c->c_peer_mru > 8 ? (size_t)c->c_peer_mru - 8 : 0;
		rep[0] = (uint8_t)(c->c_magicnum >> 24);
		rep[1] = (uint8_t)(c->c_magicnum >> 16);
		rep[2] = (uint8_t)(c->c_magicnum >> 8);
		rep[3] = (uint8_t)c->c_magicnum;
		memcpy(rep + 4, p + 8, dl);
		return ncp_send(c, PPP_LCP, 10, p[1], rep, 4 + dl);
	}
	case 10:        /* Echo-Reply: --echo lcp */
		if (c->c_run->o->echo_lcp && c->c_state == PC_UP)
			echo_answered(c);
		return 0;
	default:
		return 0;
	}
	if (c->c_lcp_our && c->c_lcp_peer && !c->c_lcp_open_seen) {
		c->c_lcp_open_seen = 1;
		if (hook(c, ST_LCP_OPEN))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* MS-CHAPv2                                                            */

static int
chap_input(struct pl_conn *c, const uint8_t *p, size_t n)
{
	const struct pl_opts *o = c->c_run->o;
	size_t len;

	/* Code(1) Identifier(1) Length(2) Data */
	if (n < 4)
		return 0;
	len = rd16(p + 2);
	if (len < 4 || len > n)
		return 0;
	switch (p[0]) {
	case 1: {       /* Challenge: Value-Size(1)=16 Value(16) Name */
		uint8_t auth_chal[16], rsp[4 + 1 + 49 + 256];
		size_t ulen = strlen(o->user), rlen = 4 + 1 + 49 + ulen;

		if (len < 5 + 16 || p[4] != 16)
			return 0;
		if (ulen > 256) {
			conn_fail(c, "user name too long");
			return -1;
		}
		memcpy(auth_chal, p + 5, 16);
		rng(c->c_run, c->c_peer_chal, 16);
		if (mschapv2_nt_response(auth_chal, c->c_peer_chal, o->user, o->password,
		    c->c_nt_resp) != 0 ||
		    mschapv2_auth_response(o->password, c->c_nt_resp, c->c_peer_chal,
		    auth_chal, o->user, c->c_want) != 0) {
			conn_fail(c, "MS-CHAPv2 computation failed");
			return -1;
		}
		/* Response: Code(1)=2 Id Length Value-Size(1)=49 PeerChal(16) 0(8) NT(24) Flags(1) Name */
		rsp[0] = 2;
		rsp[1] = p[1];
		wr16(rsp + 2, (uint16_t)rlen);
		rsp[4] = 49;
		memcpy(rsp + 5, c->c_peer_chal, 16);
		memset(rsp + 21, 0, 8);
		memcpy(rsp + 29, c->c_nt_resp, 24);
		rsp[53] = 0;
		memcpy(rsp + 54, o->user, ulen);
		c->c_chap_resp = 1;
		if (sess_ppp_send(c, PPP_CHAP, rsp, rlen) != 0)
			return -1;
		if (hook(c, ST_CHAP_SENT))
			return -1;
		return 0;
	}
	case 3: {       /* Success: "S=<40 hex> M=<msg>" */
		uint8_t hlak[P2S_HLAK_LEN], msg[P2S_CALL_CONNECTED_LEN];
		uint8_t cert_hash[32], der[8192];
		size_t derlen;

		if (!c->c_chap_resp || c->c_auth_ok)
			return 0;
		if (len - 4 < 42 || strncasecmp((const char *)p + 4, c->c_want, 42) != 0) {
			conn_fail(c, "CHAP bad authenticator response");
			return -1;
		}
		c->c_auth_ok = 1;
		if (conn_peer_cert(c, der, sizeof(der), &derlen) != 0) {
			conn_fail(c, "no server certificate for the crypto binding");
			return -1;
		}
		memset(cert_hash, 0, sizeof(cert_hash));
		if (c->c_hash == P2S_HASH_SHA256)
			mbedtls_sha256_ret(der, derlen, cert_hash, 0);
		else
			mbedtls_sha1_ret(der, derlen, cert_hash);
		if (mschapv2_client_hlak(o->password, c->c_nt_resp, hlak) != 0 ||
		    sstp_build_call_connected(c->c_hash, c->c_nonce, cert_hash, hlak, 0,
		    msg) != 0) {
			conn_fail(c, "crypto binding computation failed");
			return -1;
		}
		if (conn_queue(c, msg, sizeof(msg)) != 0)
			return -1;
		memset(c->c_our_ip, 0, 4);
		memset(c->c_dns_ip, 0, 4);
		c->c_ipcp_dns = 1;
		return ipcp_send_confreq(c);
	}
	case 4: {       /* Failure: "E=eeeeeeeeee R=r C=... V=v M=msg" */
		unsigned e = 0;

		if (len >= 6 && p[4] == 'E' && p[5] == '=')
			for (size_t i = 6; i < len && p[i] >= '0' && p[i] <= '9' && e < 100000; i++)
				e = e * 10 + (unsigned)(p[i] - '0');
		conn_fail(c, "CHAP failure E=%u", e);
		return -1;
	}
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* IPCP                                                                 */

static int
ipcp_input(struct pl_conn *c, const uint8_t *p, size_t len)
{
	uint8_t ack[PL_SSTP_MAX], rej[PL_SSTP_MAX];
	size_t plen, off = 0, olen, nack = 0, nrej = 0;
	const uint8_t *opt;
	int r;

	if (len < 4)
		return 0;
	plen = rd16(p + 2);
	if (plen < 4 || plen > len)
		return 0;
	switch (p[0]) {
	case 1:
		while ((r = opt_next(p + 4, plen - 4, &off, &opt, &olen)) == 0) {
			if (opt[0] == 3 && olen == 6) {
				memcpy(ack + nack, opt, olen);
				nack += olen;
			} else {
				memcpy(rej + nrej, opt, olen);
				nrej += olen;
			}
		}
		if (r < 0)
			return 0;
		if (nrej > 0)
			return ncp_send(c, PPP_IPCP, 4, p[1], rej, nrej);
		c->c_ipcp_peer = 1;
		if (ncp_send(c, PPP_IPCP, 2, p[1], ack, nack) != 0)
			return -1;
		break;
	case 2:
		if (p[1] == c->c_ipcp_id)
			c->c_ipcp_our = 1;
		break;
	case 3:
	case 4:
		if (p[1] != c->c_ipcp_id)
			return 0;
		if (++c->c_ncp_naks > MAX_NCP_NAKS) {
			conn_fail(c, "IPCP: %d Configure-Nak/Reject rounds", MAX_NCP_NAKS);
			return -1;
		}
		while (opt_next(p + 4, plen - 4, &off, &opt, &olen) == 0) {
			if (p[0] == 3 && opt[0] == 3 && olen == 6) {
				memcpy(c->c_our_ip, opt + 2, 4);
			} else if (p[0] == 3 && opt[0] == 129 && olen == 6) {
				memcpy(c->c_dns_ip, opt + 2, 4);
			} else if (p[0] == 4 && opt[0] == 129) {
				c->c_ipcp_dns = 0;
			} else if (p[0] == 4 && opt[0] == 3) {
				conn_fail(c, "IPCP: gateway rejected IP-Address");
				return -1;
			}
		}
		return ipcp_send_confreq(c);
	case 5:
		(void)ncp_send(c, PPP_IPCP, 6, p[1], NULL, 0);
		(void)conn_flush(c);
		if (c->c_state != PC_IDLE)
			conn_fail(c, "IPCP Terminate-Request from gateway");
		return -1;
	default:
		return 0;
	}
	if (c->c_ipcp_our && c->c_ipcp_peer && c->c_auth_ok && c->c_state == PC_PPP) {
		c->c_state = PC_UP;
		conn_deadline(c, 0);
		if (hook(c, ST_UP))
			return -1;
		run_session_up(c);
		if (c->c_state == PC_IDLE)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* IPv4 data pump                                                       */

/* One IPv4 packet of o->size bytes to the target: UDP to the echo port or ICMP echo. */
static int
pump_one(struct pl_conn *c)
{
	const struct pl_opts *o = c->c_run->o;
	uint8_t p[8 + 4096];
	uint8_t *ip = p + 8, *l4 = ip + 20;
	size_t tot = !o->icmp && o->dir == PL_DIR_DOWN ? ACK_BYTES : (size_t)o->size;
	size_t l4len = tot - 20;

	p[0] = 0x10;
	p[1] = 0x00;
	wr16(p + 2, (uint16_t)(tot + 8));
	p[4] = 0xFF;
	p[5] = 0x03;
	wr16(p + 6, PPP_IP);
	/* Version|IHL TOS TotalLength Id Flags|Frag TTL Proto Cksum Src Dst */
	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)tot);
	wr16(ip + 4, ++c->c_ipid);
	wr16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = o->icmp ? 1 : 17;
	wr16(ip + 10, 0);
	memcpy(ip + 12, c->c_our_ip, 4);
	memcpy(ip + 16, o->target, 4);
	wr16(ip + 10, inet_cksum(ip, 20, 0));
	for (size_t i = 8; i < l4len; i++)
		l4[i] = (uint8_t)('a' + i % 26);
	if (o->icmp) {
		/* Type(1)=8 Code(1) Cksum(2) Id(2) Seq(2) Data */
		l4[0] = 8;
		l4[1] = 0;
		wr16(l4 + 2, 0);
		wr16(l4 + 4, (uint16_t)c->c_idx);
		wr16(l4 + 6, c->c_ipid);
		wr16(l4 + 2, inet_cksum(l4, l4len, 0));
	} else {
		/* SrcPort DstPort Length Cksum Data; checksum over the pseudo header */
		uint32_t ps = (uint32_t)rd16(c->c_our_ip) + rd16(c->c_our_ip + 2) +
		    rd16(o->target) + rd16(o->target + 2) + 17 + (uint32_t)l4len;
		uint16_t ck;

		wr16(l4, (uint16_t)(20000 + c->c_idx % 40000));
		wr16(l4 + 2, dir_port(o->dir));
		wr16(l4 + 4, (uint16_t)l4len);
		if (o->dir == PL_DIR_DOWN)
			wr16(l4 + 8, (uint16_t)(o->size - 28)); /* the answer's payload */
		wr16(l4 + 6, 0);
		ck = inet_cksum(l4, l4len, ps);
		wr16(l4 + 6, ck == 0 ? 0xFFFF : ck);
	}
	c->c_run->pk_sent++;
	c->c_inflight++;
	return conn_queue(c, p, tot + 8);
}

int
sess_pump(struct pl_conn *c)
{
	const struct pl_opts *o = c->c_run->o;

	if (c->c_state != PC_UP || c->c_run->phase != PH_PUMP)
		return 0;
	while (c->c_inflight < o->window && c->c_wlen - c->c_woff < 256 * 1024)
		if (pump_one(c) != 0)
			return -1;
	return 0;
}

static void
ip_input(struct pl_conn *c, const uint8_t *p, size_t n)
{
	struct pl_run *r = c->c_run;
	const struct pl_opts *o = r->o;
	size_t ihl, tot;
	const uint8_t *l4;

	if (n < 20 || (p[0] >> 4) != 4)
		return;
	ihl = (size_t)(p[0] & 0x0F) * 4;
	tot = rd16(p + 2);
	if (ihl < 20 || tot < ihl + 8 || tot > n)
		return;
	if (memcmp(p + 12, o->target, 4) != 0 || memcmp(p + 16, c->c_our_ip, 4) != 0)
		return;
	l4 = p + ihl;
	if (o->icmp) {
		if (p[9] != 1 || l4[0] != 0 || rd16(l4 + 4) != (uint16_t)c->c_idx)
			return;
	} else {
		if (p[9] != 17 || rd16(l4) != dir_port(o->dir) ||
		    rd16(l4 + 2) != (uint16_t)(20000 + c->c_idx % 40000))
			return;
	}
	if (tot != (!o->icmp && o->dir == PL_DIR_UP ? ACK_BYTES : (size_t)o->size))
		return;
	r->pk_echoed++;
	r->bytes_echoed += tot;
	c->c_bytes += (size_t)o->size; /* up: what the ack acknowledges */
	if (c->c_inflight > 0)
		c->c_inflight--;
	c->c_last_rx = pl_now();
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                             */

static int
data_input(struct pl_conn *c, const uint8_t *p, size_t n)
{
	uint16_t proto;

	/* PPP: [FF 03] Protocol(1 or 2) Information */
	if (n >= 2 && p[0] == 0xFF && p[1] == 0x03) {
		p += 2;
		n -= 2;
	}
	if (n < 1)
		return 0;
	if (p[0] & 1) {
		proto = p[0];
		p++;
		n--;
	} else {
		if (n < 2)
			return 0;
		proto = rd16(p);
		p += 2;
		n -= 2;
	}
	switch (proto) {
	case PPP_LCP:
		return lcp_input(c, p, n);
	case PPP_CHAP:
		return chap_input(c, p, n);
	case PPP_IPCP:
		return ipcp_input(c, p, n);
	case PPP_IP:
		if (c->c_state == PC_UP)
			ip_input(c, p, n);
		return 0;
	default:
		return 0;
	}
}

int
sess_input(struct pl_conn *c)
{
	size_t off = 0;

	if (c->c_state == PC_ABUSE) {
		c->c_rlen = 0;          /* whatever the gateway says, we ignore it */
		return 0;
	}
	if (c->c_state == PC_HTTP) {
		int r = http_input(c);

		if (r <= 0)
			return r;
	}
	/* SSTP: Version(1)=0x10, R(7)|C(1), R(4)|Length(12) */
	while (c->c_state >= PC_SSTP && c->c_state <= PC_UP && c->c_rlen - off >= 4) {
		const uint8_t *pkt = c->c_rbuf + off;
		size_t plen = (size_t)((pkt[2] & 0x0F) << 8 | pkt[3]);
		int r;

		if (pkt[0] != 0x10 || (pkt[1] & 0xFE) != 0 || plen < 4 ||
		    ((pkt[1] & 1) && plen < 8)) {
			conn_fail(c, "SSTP bad packet header from gateway");
			return -1;
		}
		if (c->c_rlen - off < plen)
			break;
		r = (pkt[1] & 1) ? ctrl_input(c, pkt, plen) : data_input(c, pkt + 4, plen - 4);
		if (r != 0 || c->c_state == PC_IDLE)
			return -1;
		off += plen;
	}
	if (c->c_state == PC_IDLE)
		return -1;
	if (off > 0) {
		memmove(c->c_rbuf, c->c_rbuf + off, c->c_rlen - off);
		c->c_rlen -= off;
	}
	if (c->c_state == PC_ABUSE)
		c->c_rlen = 0;
	return sess_pump(c);
}
