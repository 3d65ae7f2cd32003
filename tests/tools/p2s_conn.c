/*
 * p2s_conn.c - transport (TCP + mbedTLS), the HTTP preamble, SSTP framing and
 * control messages, and the PPP dispatcher with the always-on LCP and IPCP
 * answers of the p2s_client oracle.  Blocking; every wait has a deadline.
 */
#include "p2s.h"
#include "p2s_crypto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

#define SSTP_MSG_CALL_CONNECT_REQUEST 0x0001
#define SSTP_MSG_CALL_CONNECT_ACK     0x0002
#define SSTP_MSG_CALL_CONNECT_NAK     0x0003
#define SSTP_MSG_CALL_CONNECTED       0x0004
#define SSTP_MSG_CALL_ABORT           0x0005
#define SSTP_MSG_CALL_DISCONNECT      0x0006
#define SSTP_MSG_CALL_DISCONNECT_ACK  0x0007
#define SSTP_MSG_ECHO_REQUEST         0x0008
#define SSTP_MSG_ECHO_RESPONSE        0x0009

#define SSTP_ATTRIB_STATUS_INFO        0x02
#define SSTP_ATTRIB_CRYPTO_BINDING_REQ 0x04

#define HTTP_MAX_HEADER 4096
#define RETRANSMIT_MS   3000

static const char *
msg_name(uint16_t t)
{
	static const char *const n[] = {
		"?", "CALL_CONNECT_REQUEST", "CALL_CONNECT_ACK", "CALL_CONNECT_NAK",
		"CALL_CONNECTED", "CALL_ABORT", "CALL_DISCONNECT",
		"CALL_DISCONNECT_ACK", "ECHO_REQUEST", "ECHO_RESPONSE",
	};

	return t < sizeof(n) / sizeof(n[0]) ? n[t] : "unknown";
}

void
rng_bytes(struct cli *c, uint8_t *p, size_t n)
{
	if (mbedtls_ctr_drbg_random(&c->drbg, p, n) != 0) {
		fprintf(stderr, "p2s_client: rng failed\n");
		_exit(EX_OTHER);
	}
}

static void
tls_err(int ret, char *buf, size_t cap)
{
	char e[160];

	mbedtls_strerror(ret, e, sizeof(e));
	snprintf(buf, cap, "-0x%04X %s", (unsigned)-ret, e);
}

/* ------------------------------------------------------------------ */
/* TCP + TLS                                                            */

static int
tcp_connect(struct cli *c, int64_t deadline)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((err = getaddrinfo(c->o->host, c->o->port, &hints, &res)) != 0)
		return fail(c, EX_OTHER, "tcp: failed resolve %s: %s", c->o->host,
		    gai_strerror(err));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(err);
		int64_t left;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno != EINPROGRESS)
			goto next;
		left = deadline - now_ms();
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			goto next;
		err = 0;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 && err == 0)
			break;
		errno = err;
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fail(c, EX_TLS, "tcp: failed connect %s:%s: %s", c->o->host,
		    c->o->port, strerror(errno));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	{
		/* A stuck peer must not hang a blocking send. */
		struct timeval tv = { STEP_MS / 1000, 0 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	c->net.fd = fd;
	out("tcp: connected %s:%s", c->o->host, c->o->port);
	return 0;
}

static void
print_cert_hashes(struct cli *c)
{
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&c->ssl);
	uint8_t h1[20], h256[32];
	char x1[41], x256[65], subj[256];

	if (crt == NULL)
		return;
	mbedtls_sha1_ret(crt->raw.p, crt->raw.len, h1);
	mbedtls_sha256_ret(crt->raw.p, crt->raw.len, h256, 0);
	hex_encode(h1, 20, x1);
	hex_encode(h256, 32, x256);
	if (mbedtls_x509_dn_gets(subj, sizeof(subj), &crt->subject) < 0)
		snprintf(subj, sizeof(subj), "?");
	out("tls: server-cert subject=\"%s\" sha1=%s sha256=%s", subj, x1, x256);
}

int
conn_open(struct cli *c)
{
	int64_t deadline = now_ms() + STEP_MS;
	char e[256];
	int ret;

	ret = mbedtls_x509_crt_parse_file(&c->ca, c->o->ca);
	if (ret != 0) {
		tls_err(ret, e, sizeof(e));
		return fail(c, EX_OTHER, "tls: failed to load --ca %s: %s", c->o->ca, e);
	}
	if (tcp_connect(c, deadline) != 0)
		return -1;

	mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
	mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
	mbedtls_ssl_conf_read_timeout(&c->conf, STEP_MS);
	if (c->o->tls_minor != 0) {
		mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
		    c->o->tls_minor);
		mbedtls_ssl_conf_max_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
		    c->o->tls_minor);
	} else {
		/* Like a Windows 8.1+ client: offer 1.0 to 1.2, let the server pick. */
		mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
		    MBEDTLS_SSL_MINOR_VERSION_1);
	}
	if ((ret = mbedtls_ssl_setup(&c->ssl, &c->conf)) != 0) {
		tls_err(ret, e, sizeof(e));
		return fail(c, EX_OTHER, "tls: failed setup %s", e);
	}
	if (c->o->servername != NULL &&
	    (ret = mbedtls_ssl_set_hostname(&c->ssl, c->o->servername)) != 0) {
		tls_err(ret, e, sizeof(e));
		return fail(c, EX_OTHER, "tls: failed set_hostname %s", e);
	}
	if (c->o->servername == NULL)
		diag("no --servername: certificate name is not checked, no SNI sent");
	mbedtls_ssl_set_bio(&c->ssl, &c->net, mbedtls_net_send, NULL,
	    mbedtls_net_recv_timeout);

	for (;;) {
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return fail(c, EX_TLS, "tls: failed timeout");
		mbedtls_ssl_conf_read_timeout(&c->conf, (uint32_t)left);
		ret = mbedtls_ssl_handshake(&c->ssl);
		if (ret == 0)
			break;
		if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		tls_err(ret, e, sizeof(e));
		{
			uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
			char vi[512];

			if (flags != 0 && flags != (uint32_t)-1) {
				mbedtls_x509_crt_verify_info(vi, sizeof(vi), "", flags);
				for (char *p = vi; *p != '\0'; p++)
					if (*p == '\n')
						*p = ';';
				return fail(c, EX_TLS, "tls: failed %s verify=0x%x %s", e,
				    (unsigned)flags, vi);
			}
		}
		return fail(c, EX_TLS, "tls: failed %s", e);
	}
	out("tls: ok %s %s", mbedtls_ssl_get_version(&c->ssl),
	    mbedtls_ssl_get_ciphersuite(&c->ssl));
	print_cert_hashes(c);
	return 0;
}

static int
conn_write(struct cli *c, const uint8_t *p, size_t len)
{
	int64_t deadline = now_ms() + STEP_MS;

	while (len > 0) {
		int ret = mbedtls_ssl_write(&c->ssl, p, len);

		if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
			if (now_ms() > deadline)
				return fail(c, EX_OTHER, "tls: write timeout");
			continue;
		}
		if (ret < 0) {
			char e[256];

			tls_err(ret, e, sizeof(e));
			return fail(c, EX_OTHER, "tls: write failed %s", e);
		}
		p += ret;
		len -= (size_t)ret;
	}
	return 0;
}

/* Read more TLS plaintext into rbuf: 1 got bytes, 0 timeout, -1 closed/error. */
static int
conn_fill(struct cli *c, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		int ret;

		if (c->closed)
			return -1;
		if (left <= 0)
			return 0;
		if (c->rlen >= sizeof(c->rbuf))
			return fail(c, EX_OTHER, "sstp: receive buffer overflow");
		mbedtls_ssl_conf_read_timeout(&c->conf, (uint32_t)left);
		ret = mbedtls_ssl_read(&c->ssl, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
		if (ret > 0) {
			c->rlen += (size_t)ret;
			return 1;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (ret == MBEDTLS_ERR_SSL_TIMEOUT)
			return 0;
		c->closed = 1;
		if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			out("tls: closed by server%s",
			    ret == 0 ? " (no close_notify)" : " (close_notify)");
		} else {
			char e[256];

			tls_err(ret, e, sizeof(e));
			out("tls: read failed %s", e);
		}
		if (c->rc == EX_OK)
			c->rc = EX_OTHER;
		return -1;
	}
}

static void
rbuf_consume(struct cli *c, size_t n)
{
	memmove(c->rbuf, c->rbuf + n, c->rlen - n);
	c->rlen -= n;
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                 */

static const char *
find_crlfcrlf(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0)
			return (const char *)p + i;
	return NULL;
}

int
conn_http(struct cli *c)
{
	int64_t deadline = now_ms() + STEP_MS;
	uint8_t g[16];
	char req[512], hdr[HTTP_MAX_HEADER + 1];
	const char *end;
	size_t hlen;
	int n, code;

	rng_bytes(c, g, sizeof(g));
	n = snprintf(req, sizeof(req),
	    "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "Content-Length: 18446744073709551615\r\n"
	    "SSTPCORRELATIONID: {%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
	    "%02X%02X%02X%02X%02X%02X}\r\n\r\n",
	    c->o->servername != NULL ? c->o->servername : c->o->host,
	    g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9],
	    g[10], g[11], g[12], g[13], g[14], g[15]);
	if (n < 0 || (size_t)n >= sizeof(req))
		return fail(c, EX_OTHER, "http: request too long");
	if (conn_write(c, (const uint8_t *)req, (size_t)n) != 0)
		return -1;

	while ((end = find_crlfcrlf(c->rbuf, c->rlen)) == NULL) {
		int r;

		if (c->rlen > HTTP_MAX_HEADER)
			return fail(c, EX_TLS, "http: failed response header over %d bytes",
			    HTTP_MAX_HEADER);
		r = conn_fill(c, deadline);
		if (r == 0)
			return fail(c, EX_TLS, "http: failed timeout (%zu bytes read)", c->rlen);
		if (r < 0) {
			c->rc = EX_TLS;
			return fail(c, EX_TLS, "http: failed connection closed");
		}
	}
	hlen = (size_t)(end - (const char *)c->rbuf) + 4;
	if (hlen > HTTP_MAX_HEADER)
		return fail(c, EX_TLS, "http: failed response header too long");
	memcpy(hdr, c->rbuf, hlen);
	hdr[hlen] = '\0';
	rbuf_consume(c, hlen);

	/* status-line = "HTTP/1.1" SP 3DIGIT [SP reason] CRLF */
	if (strncmp(hdr, "HTTP/1.1 ", 9) != 0 || hlen < 12) {
		char *eol = strstr(hdr, "\r\n");

		if (eol != NULL)
			*eol = '\0';
		return fail(c, EX_TLS, "http: failed bad status line \"%.80s\"", hdr);
	}
	if (hdr[9] < '0' || hdr[9] > '9' || hdr[10] < '0' || hdr[10] > '9' ||
	    hdr[11] < '0' || hdr[11] > '9' ||
	    (hdr[12] != ' ' && hdr[12] != '\r'))
		return fail(c, EX_TLS, "http: failed bad status code");
	code = (hdr[9] - '0') * 100 + (hdr[10] - '0') * 10 + (hdr[11] - '0');
	out("http: %d", code);
	/* one line per header, for greps */
	for (char *line = strstr(hdr, "\r\n") + 2, *eol;
	     (eol = strstr(line, "\r\n")) != NULL && eol != line; line = eol + 2) {
		*eol = '\0';
		out("http: header %s", line);
		if (strncasecmp(line, "Content-Length:", 15) == 0) {
			const char *v = line + 15;

			while (*v == ' ' || *v == '\t')
				v++;
			if (strcmp(v, "18446744073709551615") != 0)
				out("http: note content-length is not ULONGLONG_MAX");
		}
	}
	if (code != 200) {
		c->rc = EX_TLS;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* SSTP                                                                 */

/*
 * One SSTP packet: Version(1)=0x10, R(7)|C(1), R(4)|Length(12) BE.
 * Returns 1 with the packet in pkt/len, 0 timeout, -1 error.
 */
static int
sstp_read(struct cli *c, int64_t deadline, uint8_t *pkt, size_t *len)
{
	size_t plen;
	int r;

	while (c->rlen < 4)
		if ((r = conn_fill(c, deadline)) <= 0)
			return r;
	if (c->rbuf[0] != 0x10 || (c->rbuf[1] & 0xFE) != 0 || (c->rbuf[2] & 0xF0) != 0)
		return fail(c, EX_OTHER, "sstp: bad packet header %02X %02X %02X %02X",
		    c->rbuf[0], c->rbuf[1], c->rbuf[2], c->rbuf[3]);
	plen = (size_t)((c->rbuf[2] & 0x0F) << 8 | c->rbuf[3]);
	if (plen < 4 || ((c->rbuf[1] & 1) && plen < 8))
		return fail(c, EX_OTHER, "sstp: bad packet length %zu", plen);
	while (c->rlen < plen)
		if ((r = conn_fill(c, deadline)) <= 0)
			return r;
	memcpy(pkt, c->rbuf, plen);
	*len = plen;
	rbuf_consume(c, plen);
	return 1;
}

/*
 * Attribute walk for a control packet.
 * ctrl = hdr(4) MessageType(2) NumAttributes(2) { Reserved(1) ID(1) R(4)|Len(12) value }*
 * Returns 0 and the first attribute with that id, 1 not present, -1 malformed.
 */
int
sstp_attr(const uint8_t *pkt, size_t len, uint8_t id, const uint8_t **val, size_t *vlen)
{
	size_t off = 8;
	unsigned n;
	int found = 1;

	if (len < 8)
		return -1;
	n = (unsigned)(pkt[6] << 8 | pkt[7]);
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
	if (off != len)
		return -1;
	return found;
}

static void
print_status(const char *what, const uint8_t *pkt, size_t len)
{
	const uint8_t *v;
	size_t vl;
	int r = sstp_attr(pkt, len, SSTP_ATTRIB_STATUS_INFO, &v, &vl);

	if (r == 0 && vl >= 8)
		out("sstp: %s status=%u attrib=%u", what,
		    (unsigned)((uint32_t)v[4] << 24 | (uint32_t)v[5] << 16 | v[6] << 8 | v[7]),
		    v[3]);
	else if (r == 0)
		out("sstp: %s status=? attrib=? (status-info value %zu bytes)", what, vl);
	else if (r == 1)
		out("sstp: %s status=none", what);
	else
		out("sstp: %s status=? (malformed attributes)", what);
}

int
sstp_send_ctrl(struct cli *c, const uint8_t *pkt, size_t len)
{
	return conn_write(c, pkt, len);
}

static int
sstp_send_simple(struct cli *c, uint16_t type, int with_status)
{
	uint8_t p[20] = { 0x10, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00 };

	p[5] = (uint8_t)type;
	if (with_status) {
		/* Status Info: AttribID 0, status NO_ERROR */
		p[3] = 20;
		p[7] = 1;
		p[9] = SSTP_ATTRIB_STATUS_INFO;
		p[11] = 12;
		return sstp_send_ctrl(c, p, 20);
	}
	return sstp_send_ctrl(c, p, 8);
}

/* Control packets that can arrive at any time after the ACK. */
static int
sstp_ctrl_input(struct cli *c, const uint8_t *pkt, size_t len)
{
	uint16_t type = (uint16_t)(pkt[4] << 8 | pkt[5]);

	switch (type) {
	case SSTP_MSG_ECHO_REQUEST:
		c->sstp_echo_answered++;
		return sstp_send_simple(c, SSTP_MSG_ECHO_RESPONSE, 0);
	case SSTP_MSG_ECHO_RESPONSE:
		return 0;
	case SSTP_MSG_CALL_ABORT:
		print_status("abort", pkt, len);
		(void)sstp_send_simple(c, SSTP_MSG_CALL_ABORT, 1);
		c->rc = EX_ABORT;
		return -1;
	case SSTP_MSG_CALL_DISCONNECT:
		print_status("disconnect-by-server", pkt, len);
		(void)sstp_send_simple(c, SSTP_MSG_CALL_DISCONNECT_ACK, 0);
		c->rc = EX_ABORT;
		return -1;
	default:
		out("sstp: unexpected %s (0x%04X) len=%zu", msg_name(type), type, len);
		return 0;
	}
}

int
sstp_connect(struct cli *c)
{
	static const uint8_t req[14] = {
		0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01,
		0x00, 0x01, 0x00, 0x06, 0x00, 0x01,
	};
	int64_t deadline = now_ms() + STEP_MS;
	uint8_t pkt[SSTP_MAX_PKT];
	size_t len;

	if (sstp_send_ctrl(c, req, sizeof(req)) != 0)
		return -1;
	for (;;) {
		const uint8_t *v;
		size_t vl;
		uint16_t type;
		int r = sstp_read(c, deadline, pkt, &len);

		if (r == 0)
			return fail(c, EX_OTHER, "sstp: timeout waiting for CALL_CONNECT_ACK");
		if (r < 0)
			return -1;
		if ((pkt[1] & 1) == 0) {
			out("sstp: data packet before CALL_CONNECT_ACK (dropped)");
			continue;
		}
		type = (uint16_t)(pkt[4] << 8 | pkt[5]);
		if (type == SSTP_MSG_CALL_CONNECT_NAK) {
			print_status("nak", pkt, len);
			c->rc = EX_ABORT;
			return -1;
		}
		if (type != SSTP_MSG_CALL_CONNECT_ACK) {
			if (sstp_ctrl_input(c, pkt, len) != 0)
				return -1;
			continue;
		}
		/* ACK: hdr(8) + CRYPTO_BINDING_REQ { Reserved(3) Bitmask(1) Nonce(32) } */
		r = sstp_attr(pkt, len, SSTP_ATTRIB_CRYPTO_BINDING_REQ, &v, &vl);
		if (r != 0 || vl != 36)
			return fail(c, EX_OTHER, "sstp: bad CALL_CONNECT_ACK len=%zu "
			    "(crypto-binding-req %s)", len,
			    r < 0 ? "malformed" : r == 1 ? "missing" : "wrong length");
		c->bitmask = v[3];
		memcpy(c->nonce, v + 4, 32);
		break;
	}
	if (c->o->hash != 0)
		c->hash_proto = c->o->hash;
	else
		c->hash_proto = (c->bitmask & 0x02) ? P2S_HASH_SHA256 : P2S_HASH_SHA1;
	out("sstp: ack bitmask=%u using=%s%s", c->bitmask,
	    c->hash_proto == P2S_HASH_SHA256 ? "sha256" : "sha1",
	    (c->bitmask & c->hash_proto) ? "" : " (not advertised)");
	if ((c->bitmask & 0x03) == 0)
		return fail(c, EX_OTHER, "sstp: error bitmask has no known hash");
	{
		const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&c->ssl);

		memset(c->cert_hash, 0, sizeof(c->cert_hash));
		if (crt == NULL)
			return fail(c, EX_OTHER, "sstp: no server certificate");
		if (c->hash_proto == P2S_HASH_SHA256)
			mbedtls_sha256_ret(crt->raw.p, crt->raw.len, c->cert_hash, 0);
		else
			mbedtls_sha1_ret(crt->raw.p, crt->raw.len, c->cert_hash);
	}
	return 0;
}

int
sstp_call_connected(struct cli *c)
{
	uint8_t msg[P2S_CALL_CONNECTED_LEN];
	char hx[65];

	if (sstp_build_call_connected(c->hash_proto, c->nonce, c->cert_hash, c->hlak,
	    c->o->bad_binding, msg) != 0)
		return fail(c, EX_OTHER, "sstp: crypto binding computation failed");
	if (sstp_send_ctrl(c, msg, sizeof(msg)) != 0)
		return -1;
	hex_encode(msg + 80, c->hash_proto == P2S_HASH_SHA256 ? 32 : 20, hx);
	out("sstp: call-connected sent hash=%s%s%s mac=%s",
	    c->hash_proto == P2S_HASH_SHA256 ? "sha256" : "sha1",
	    c->o->bad_binding ? " bad=" : "",
	    c->o->bad_binding == 'n' ? "nonce" : c->o->bad_binding == 'c' ? "certhash" :
	    c->o->bad_binding == 'm' ? "mac" : "", hx);
	return 0;
}

int
sstp_disconnect(struct cli *c)
{
	int64_t deadline = now_ms() + 5000;    /* Disconnect-T1 */
	uint8_t pkt[SSTP_MAX_PKT];
	size_t len;

	if (sstp_send_simple(c, SSTP_MSG_CALL_DISCONNECT, 1) != 0)
		return -1;
	for (;;) {
		uint16_t type;
		int r = sstp_read(c, deadline, pkt, &len);

		if (r == 0)
			return fail(c, EX_OTHER, "sstp: timeout waiting for CALL_DISCONNECT_ACK");
		if (r < 0)
			return -1;
		if ((pkt[1] & 1) == 0)
			continue;               /* late data */
		type = (uint16_t)(pkt[4] << 8 | pkt[5]);
		if (type == SSTP_MSG_CALL_DISCONNECT_ACK)
			break;
		if (type == SSTP_MSG_CALL_DISCONNECT) {
			/* crossed disconnects: ack theirs and finish */
			(void)sstp_send_simple(c, SSTP_MSG_CALL_DISCONNECT_ACK, 0);
			out("sstp: disconnect crossed with the server's");
			break;
		}
		if (type == SSTP_MSG_CALL_ABORT) {
			print_status("abort", pkt, len);
			c->rc = EX_ABORT;
			return -1;
		}
		if (type == SSTP_MSG_ECHO_REQUEST)
			(void)sstp_send_simple(c, SSTP_MSG_ECHO_RESPONSE, 0);
	}
	{
		int ret = mbedtls_ssl_close_notify(&c->ssl);

		if (ret != 0 && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
			diag("close_notify: -0x%04X", (unsigned)-ret);
	}
	out("sstp: disconnected");
	return 0;
}

void
conn_close(struct cli *c)
{
	mbedtls_ssl_free(&c->ssl);
	mbedtls_ssl_config_free(&c->conf);
	mbedtls_x509_crt_free(&c->ca);
	mbedtls_net_free(&c->net);
}

/* ------------------------------------------------------------------ */
/* PPP                                                                  */

int
ppp_send(struct cli *c, uint16_t proto, const uint8_t *payload, size_t len)
{
	uint8_t p[SSTP_MAX_PKT];
	size_t tot = 4 + 4 + len;

	if (tot > SSTP_MAX_PKT)
		return fail(c, EX_OTHER, "ppp: frame too long (%zu)", len);
	p[0] = 0x10;
	p[1] = 0x00;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[4] = 0xFF;
	p[5] = 0x03;
	p[6] = (uint8_t)(proto >> 8);
	p[7] = (uint8_t)proto;
	memcpy(p + 8, payload, len);
	return conn_write(c, p, tot);
}

void
ppp_stash(struct cli *c, const struct frame *f)
{
	if (c->npending < PENDING_MAX)
		c->pending[c->npending++] = *f;
	else
		diag("ppp: pending queue full, frame 0x%04X dropped", f->proto);
}

static int
ncp_send(struct cli *c, uint16_t proto, uint8_t code, uint8_t id,
         const uint8_t *data, size_t dlen)
{
	uint8_t p[SSTP_MAX_PKT];
	size_t len = 4 + dlen;

	if (len > sizeof(p) - 8)
		return fail(c, EX_OTHER, "ppp: control packet too long");
	p[0] = code;
	p[1] = id;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	if (dlen > 0)
		memcpy(p + 4, data, dlen);
	return ppp_send(c, proto, p, len);
}

static int
lcp_send_confreq(struct cli *c)
{
	uint8_t o[16];
	size_t n = 0;

	if (c->lcp_send_mru) {
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = (uint8_t)(c->our_mru >> 8);
		o[n++] = (uint8_t)c->our_mru;
	}
	if (c->lcp_send_magic) {
		o[n++] = 5;
		o[n++] = 6;
		o[n++] = (uint8_t)(c->magic >> 24);
		o[n++] = (uint8_t)(c->magic >> 16);
		o[n++] = (uint8_t)(c->magic >> 8);
		o[n++] = (uint8_t)c->magic;
	}
	return ncp_send(c, PPP_LCP, 1, ++c->lcp_id, o, n);
}

static const char *
auth_name(enum auth_kind a)
{
	return a == AUTH_MSCHAPV2 ? "mschapv2" : a == AUTH_EAPTLS ? "eap-tls" : "none";
}
static int
lcp_confreq_input(struct cli *c, uint8_t id, const uint8_t *p, size_t len)
{
	uint8_t ack[SSTP_MAX_PKT], nak[64], rej[SSTP_MAX_PKT];
	size_t nack = 0, nnak = 0, nrej = 0, off = 0, olen;
	const uint8_t *opt;
	enum auth_kind offered = AUTH_NONE;
	uint16_t mru = 1500;
	int r;

	while ((r = opt_next(p, len, &off, &opt, &olen)) == 0) {
		int ok = 0;

		switch (opt[0]) {
		case 1:         /* MRU; below 64 is unusable, reject it */
			if (olen == 4 && (opt[2] << 8 | opt[3]) >= 64) {
				mru = (uint16_t)(opt[2] << 8 | opt[3]);
				ok = 1;
			}
			break;
		case 2:         /* ACCM: meaningless without HDLC, harmless */
			ok = olen == 6;
			break;
		case 3:         /* Auth-Protocol */
			if (olen < 4)
				break;
			ok = 1;
			if (olen == 5 && opt[2] == 0xC2 && opt[3] == 0x23 && opt[4] == 0x81)
				offered = AUTH_MSCHAPV2;
			else if (olen == 4 && opt[2] == 0xC2 && opt[3] == 0x27)
				offered = AUTH_EAPTLS;
			else
				offered = AUTH_NONE;
			if ((offered == AUTH_NONE || offered != c->o->auth) && nnak > 0) {
				ok = 2;         /* one Nak per request is enough */
			} else if (offered == AUTH_NONE || offered != c->o->auth) {
				char what[32];

				if (offered == AUTH_NONE)
					snprintf(what, sizeof(what), "%02X%02X%s", opt[2], opt[3],
					    olen == 5 ? "+alg" : "");
				out("lcp: server-auth=%s nak->%s",
				    offered == AUTH_NONE ? what :
				    offered == AUTH_EAPTLS ? "eap" : "mschapv2",
				    auth_name(c->o->auth));
				if (c->o->auth == AUTH_MSCHAPV2) {
					static const uint8_t w[5] = { 3, 5, 0xC2, 0x23, 0x81 };
					memcpy(nak + nnak, w, 5);
					nnak += 5;
				} else {
					static const uint8_t w[4] = { 3, 4, 0xC2, 0x27 };
					memcpy(nak + nnak, w, 4);
					nnak += 4;
				}
				ok = 2;
			}
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
	if (r < 0) {
		out("lcp: malformed Configure-Request from server (ignored)");
		return 0;
	}
	if (nrej > 0)
		return ncp_send(c, PPP_LCP, 4, id, rej, nrej);
	if (nnak > 0)
		return ncp_send(c, PPP_LCP, 3, id, nak, nnak);
	if (c->lcp_peer_acked && c->lcp_our_acked) {
		/* Opened -> peer restarted: RFC 1661 this-layer-down, scr, sca */
		out("lcp: renegotiation by server");
		c->lcp_our_acked = 0;
		if (lcp_send_confreq(c) != 0)
			return -1;
	}
	c->peer_mru = mru;
	c->peer_auth = offered;
	c->lcp_peer_acked = 1;
	return ncp_send(c, PPP_LCP, 2, id, ack, nack);
}

static int
lcp_input(struct cli *c, const uint8_t *p, size_t len)
{
	uint8_t code, id;
	size_t plen, off = 0, olen;
	const uint8_t *opt;

	/* Code(1) Identifier(1) Length(2) Data; trailing padding ignored */
	if (len < 4)
		return 0;
	code = p[0];
	id = p[1];
	plen = (size_t)(p[2] << 8 | p[3]);
	if (plen < 4 || plen > len) {
		out("lcp: bad length %zu (frame %zu) dropped", plen, len);
		return 0;
	}
	switch (code) {
	case 1:
		return lcp_confreq_input(c, id, p + 4, plen - 4);
	case 2:
		if (id == c->lcp_id)
			c->lcp_our_acked = 1;
		return 0;
	case 3:
	case 4:
		if (id != c->lcp_id)
			return 0;
		while (opt_next(p + 4, plen - 4, &off, &opt, &olen) == 0) {
			if (opt[0] == 1 && code == 3 && olen == 4) {
				uint16_t v = (uint16_t)(opt[2] << 8 | opt[3]);

				if (v >= 128 && v <= 4091)
					c->our_mru = v;
			} else if (opt[0] == 1 && code == 4) {
				c->lcp_send_mru = 0;
			} else if (opt[0] == 5 && code == 3) {
				rng_bytes(c, (uint8_t *)&c->magic, 4);
			} else if (opt[0] == 5 && code == 4) {
				c->lcp_send_magic = 0;
			}
		}
		out("lcp: our request %s, mru=%u%s", code == 3 ? "nak'd" : "rejected",
		    c->our_mru, c->lcp_send_magic ? "" : " no-magic");
		return lcp_send_confreq(c);
	case 5:
		out("lcp: terminate-request from server");
		c->lcp_terminated = 1;
		return ncp_send(c, PPP_LCP, 6, id, NULL, 0);
	case 6:
		return 0;
	case 7:
		out("lcp: code-reject from server");
		return 0;
	case 8:
		if (plen >= 6)
			out("lcp: protocol-reject of 0x%04X from server", p[4] << 8 | p[5]);
		return 0;
	case 9: {
		uint8_t rep[SSTP_MAX_PKT];
		size_t dl;

		if (plen < 8)
			return 0;
		dl = plen - 8;
		if (dl + 8 > c->peer_mru)
			dl = c->peer_mru > 8 ? (size_t)c->peer_mru - 8 : 0;
		rep[0] = (uint8_t)(c->magic >> 24);
		rep[1] = (uint8_t)(c->magic >> 16);
		rep[2] = (uint8_t)(c->magic >> 8);
		rep[3] = (uint8_t)c->magic;
		memcpy(rep + 4, p + 8, dl);
		c->lcp_echo_answered++;
		return ncp_send(c, PPP_LCP, 10, id, rep, 4 + dl);
	}
	case 10:
	case 11:
		return 0;
	default:
		/* Code-Reject: the rejected packet, truncated to the peer's MRU */
		if (plen + 4 > c->peer_mru)
			plen = c->peer_mru - 4;
		return ncp_send(c, PPP_LCP, 7, ++c->lcp_id, p, plen);
	}
}

static int
ipcp_send_confreq(struct cli *c)
{
	uint8_t o[12];
	size_t n = 0;

	o[n++] = 3;
	o[n++] = 6;
	memcpy(o + n, c->our_ip, 4);
	n += 4;
	if (c->ipcp_send_dns) {
		o[n++] = 129;
		o[n++] = 6;
		memcpy(o + n, c->dns_ip, 4);
		n += 4;
	}
	return ncp_send(c, PPP_IPCP, 1, ++c->ipcp_id, o, n);
}

static int
ipcp_input(struct cli *c, const uint8_t *p, size_t len)
{
	uint8_t code, id, ack[SSTP_MAX_PKT], rej[SSTP_MAX_PKT];
	size_t plen, off = 0, olen, nack = 0, nrej = 0;
	const uint8_t *opt;
	int r;

	if (len < 4)
		return 0;
	code = p[0];
	id = p[1];
	plen = (size_t)(p[2] << 8 | p[3]);
	if (plen < 4 || plen > len) {
		out("ipcp: bad length %zu (frame %zu) dropped", plen, len);
		return 0;
	}
	switch (code) {
	case 1:
		while ((r = opt_next(p + 4, plen - 4, &off, &opt, &olen)) == 0) {
			if (opt[0] == 3 && olen == 6) {
				memcpy(c->peer_ip, opt + 2, 4);
				c->peer_ip_known = 1;
				memcpy(ack + nack, opt, olen);
				nack += olen;
			} else {
				memcpy(rej + nrej, opt, olen);
				nrej += olen;
			}
		}
		if (r < 0) {
			out("ipcp: malformed Configure-Request from server (ignored)");
			return 0;
		}
		if (nrej > 0)
			return ncp_send(c, PPP_IPCP, 4, id, rej, nrej);
		c->ipcp_peer_acked = 1;
		return ncp_send(c, PPP_IPCP, 2, id, ack, nack);
	case 2:
		if (id == c->ipcp_id)
			c->ipcp_our_acked = 1;
		return 0;
	case 3:
	case 4:
		if (id != c->ipcp_id)
			return 0;
		while (opt_next(p + 4, plen - 4, &off, &opt, &olen) == 0) {
			if (code == 3 && opt[0] == 3 && olen == 6)
				memcpy(c->our_ip, opt + 2, 4);
			else if (code == 3 && opt[0] == 129 && olen == 6)
				memcpy(c->dns_ip, opt + 2, 4);
			else if (code == 4 && opt[0] == 129)
				c->ipcp_send_dns = 0;
			else if (code == 4 && opt[0] == 3)
				return fail(c, EX_OTHER, "ipcp: server rejected IP-Address");
		}
		return ipcp_send_confreq(c);
	case 5:
		out("ipcp: terminate-request from server");
		return ncp_send(c, PPP_IPCP, 6, id, NULL, 0);
	default:
		return 0;
	}
}

static int
lcp_opened(const struct cli *c)
{
	return c->lcp_our_acked && c->lcp_peer_acked;
}

/*
 * Next PPP frame for the current step.  Background traffic (SSTP echo,
 * LCP, IPCP, unknown protocols) is answered here.  Returns 1 with a CHAP,
 * EAP or IPv4 frame, 0 at the deadline, -1 on error or server teardown.
 */
static int
ppp_read_frame(struct cli *c, int64_t deadline, struct frame *f)
{
	uint8_t pkt[SSTP_MAX_PKT];
	size_t len;

	for (;;) {
		const uint8_t *p;
		size_t n;
		int r;

		r = sstp_read(c, deadline, pkt, &len);
		if (r <= 0)
			return r;
		if (pkt[1] & 1) {
			if (sstp_ctrl_input(c, pkt, len) != 0)
				return -1;
			continue;
		}
		/* PPP: [FF 03] Protocol(1 or 2) Information */
		p = pkt + 4;
		n = len - 4;
		if (n >= 2 && p[0] == 0xFF && p[1] == 0x03) {
			p += 2;
			n -= 2;
		}
		if (n < 1)
			continue;
		if (p[0] & 1) {
			f->proto = p[0];
			p += 1;
			n -= 1;
		} else {
			if (n < 2)
				continue;
			f->proto = (uint16_t)(p[0] << 8 | p[1]);
			p += 2;
			n -= 2;
		}
		switch (f->proto) {
		case PPP_LCP:
			if (lcp_input(c, p, n) != 0)
				return -1;
			continue;
		case PPP_IPCP:
			if (ipcp_input(c, p, n) != 0)
				return -1;
			continue;
		case PPP_CHAP:
		case PPP_EAP:
		case PPP_IP:
			memcpy(f->data, p, n);
			f->len = n;
			return 1;
		default: {
			uint8_t rej[SSTP_MAX_PKT];
			size_t rl = n;

			out("ppp: protocol 0x%04X from server -> protocol-reject", f->proto);
			if (!lcp_opened(c))
				continue;
			if (rl + 6 > c->peer_mru)
				rl = c->peer_mru > 6 ? (size_t)c->peer_mru - 6 : 0;
			rej[0] = (uint8_t)(f->proto >> 8);
			rej[1] = (uint8_t)f->proto;
			memcpy(rej + 2, p, rl);
			if (ncp_send(c, PPP_LCP, 8, ++c->lcp_id, rej, rl + 2) != 0)
				return -1;
			continue;
		}
		}
	}
}

/* Same, but frames stashed by an earlier step come first. */
int
ppp_next_frame(struct cli *c, int64_t deadline, struct frame *f)
{
	if (c->npending > 0) {
		*f = c->pending[0];
		c->npending--;
		memmove(c->pending, c->pending + 1, (size_t)c->npending * sizeof(*f));
		return 1;
	}
	return ppp_read_frame(c, deadline, f);
}

int
lcp_negotiate(struct cli *c)
{
	int64_t deadline = now_ms() + STEP_MS, resend;
	static struct frame tmp;

	c->our_mru = 1400;
	c->peer_mru = 1500;
	c->lcp_send_mru = 1;
	c->lcp_send_magic = 1;
	do
		rng_bytes(c, (uint8_t *)&c->magic, 4);
	while (c->magic == 0);
	if (lcp_send_confreq(c) != 0)
		return -1;
	resend = now_ms() + RETRANSMIT_MS;
	while (!lcp_opened(c)) {
		int64_t until = resend < deadline ? resend : deadline;
		int r = ppp_read_frame(c, until, &tmp);

		if (r < 0)
			return -1;
		if (r == 1) {
			if (tmp.proto != PPP_IP)
				ppp_stash(c, &tmp);
			continue;
		}
		if (c->lcp_terminated)
			return fail(c, EX_OTHER, "lcp: failed terminated by server");
		if (now_ms() >= deadline)
			return fail(c, EX_OTHER, "lcp: failed timeout our-acked=%d peer-acked=%d",
			    c->lcp_our_acked, c->lcp_peer_acked);
		if (!c->lcp_our_acked && lcp_send_confreq(c) != 0)
			return -1;
		resend = now_ms() + RETRANSMIT_MS;
	}
	out("lcp: opened auth=%s mru=%u peer-mru=%u", auth_name(c->peer_auth),
	    c->our_mru, c->peer_mru);
	return 0;
}

int
ipcp_negotiate(struct cli *c)
{
	int64_t deadline = now_ms() + STEP_MS, resend;
	static struct frame tmp;
	char a[16], d[16], pe[16];

	memset(c->our_ip, 0, 4);
	memset(c->dns_ip, 0, 4);
	c->ipcp_send_dns = 1;
	if (ipcp_send_confreq(c) != 0)
		return -1;
	resend = now_ms() + RETRANSMIT_MS;
	while (!(c->ipcp_our_acked && c->ipcp_peer_acked)) {
		int64_t until = resend < deadline ? resend : deadline;
		int r = ppp_next_frame(c, until, &tmp);

		if (r < 0)
			return -1;
		if (r == 1)
			continue;       /* late CHAP/EAP or early IP: ignore */
		if (now_ms() >= deadline)
			return fail(c, EX_OTHER, "ipcp: failed timeout our-acked=%d peer-acked=%d",
			    c->ipcp_our_acked, c->ipcp_peer_acked);
		if (!c->ipcp_our_acked && ipcp_send_confreq(c) != 0)
			return -1;
		resend = now_ms() + RETRANSMIT_MS;
	}
	inet_ntop(AF_INET, c->our_ip, a, sizeof(a));
	inet_ntop(AF_INET, c->dns_ip, d, sizeof(d));
	inet_ntop(AF_INET, c->peer_ip, pe, sizeof(pe));
	out("ipcp: address=%s dns=%s peer=%s", a, c->ipcp_send_dns ? d : "none",
	    c->peer_ip_known ? pe : "none");
	return 0;
}

int
hold_session(struct cli *c, int seconds)
{
	int64_t deadline = now_ms() + (int64_t)seconds * 1000;
	static struct frame tmp;

	out("hold: %d s", seconds);
	while (now_ms() < deadline) {
		int r = ppp_next_frame(c, deadline, &tmp);

		if (r < 0)
			return -1;
		if (c->lcp_terminated)
			return fail(c, EX_OTHER, "hold: lcp terminated by server");
	}
	out("hold: done sstp-echo=%u lcp-echo=%u", c->sstp_echo_answered,
	    c->lcp_echo_answered);
	return 0;
}
