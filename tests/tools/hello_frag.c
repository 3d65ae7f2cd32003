/*
 * hello_frag: a TLS client that sends its ClientHello the way a conformance
 * suite does -- spread over records of a chosen size, in TCP writes of a
 * chosen size -- to test the gateway's reassembly. Shares no code with the
 * server.
 *
 *   hello_frag [--record N] [--segment M] [--gap-us U] [--sni NAME]
 *              [--source ADDR] [--raw KIND] HOST PORT
 *
 * Without --raw: a real TLS 1.2 handshake with mbedTLS (certificate not
 * checked: this tool tests framing, not trust). The client's one-record
 * ClientHello is re-framed into records of N bytes before it leaves; the
 * message bytes are unchanged, so both transcripts agree. Prints
 *   handshake ok version=TLSv1.2 suite=NAME hello_bytes=B records=R
 * or
 *   handshake failed alert=CODE | error=TEXT
 *
 * With --raw KIND: a crafted ClientHello (no handshake beyond the server's
 * first answer), framed the same way. KIND is one of
 *   plain, pad:BYTES (a message of BYTES with a padding extension),
 *   no-null-compression, hs-type-202, interleave-alert, version-change,
 *   trailing-bytes, empty-record, ecdhe-no-groups, ecdhe-rsa-no-groups,
 *   file:PATH (a recorded hello, PATH holding the hex of its records: sent
 *   as recorded, an SSLv2-format one included, in TCP writes of --segment)
 * and the answer is printed as one line:
 *   server_hello version=0xVVVV suite=0xSSSS | alert level=L desc=D |
 *   reset | closed
 *
 * --source binds the client to ADDR first (one address per client, so that
 * the gateway's audit keeps each in its own row).
 *
 * Exit status: 0 when a line was printed, 2 on bad usage or I/O setup.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#define MSG_MAX (200 * 1024)

static size_t rec_size = 16384, seg_size = 0;
static long   gap_us;
static const char *sni = "vpn.example.test";

static void
die(const char *what)
{
	fprintf(stderr, "hello_frag: %s\n", what);
	exit(2);
}

/* ---- output framing ----------------------------------------------------- */

static void
pause_gap(void)
{
	if (gap_us > 0) {
		struct timespec ts = { gap_us / 1000000, (gap_us % 1000000) * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* Write all of b, in TCP writes of seg_size (0: at once). */
static int
send_segments(int fd, const uint8_t *b, size_t n)
{
	size_t off = 0;

	while (off < n) {
		size_t k = seg_size && n - off > seg_size ? seg_size : n - off;
		ssize_t w = send(fd, b + off, k, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)w;
		if (off < n)
			pause_gap();
	}
	return 0;
}

/* Frame msg[0..n) as handshake records of rec_size with record version rv;
 * append to out (cap bytes); returns the new length or 0 when it overflows. */
static size_t
frame(uint8_t *out, size_t len, size_t cap, const uint8_t *msg, size_t n, uint16_t rv)
{
	for (size_t off = 0; off < n;) {
		size_t k = n - off < rec_size ? n - off : rec_size;
		if (len + 5 + k > cap)
			return 0;
		out[len] = 22;
		out[len + 1] = (uint8_t)(rv >> 8);
		out[len + 2] = (uint8_t)rv;
		out[len + 3] = (uint8_t)(k >> 8);
		out[len + 4] = (uint8_t)k;
		memcpy(out + len + 5, msg + off, k);
		len += 5 + k;
		off += k;
	}
	return len;
}

/* ---- the real handshake --------------------------------------------------- */

struct io {
	int      fd;
	int      hello_sent;
	uint8_t  pend[5 + 16384];  /* the client's first record, as mbedTLS writes it */
	size_t   pend_len;
	size_t   hello_bytes;
	unsigned records;
};

static uint8_t wire[MSG_MAX * 6];

static int
io_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct io *io = ctx;

	if (io->hello_sent) {
		ssize_t w = send(io->fd, buf, len, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
		return (int)w;
	}
	/* collect the first record, then send it re-framed */
	size_t take = len < sizeof(io->pend) - io->pend_len ? len : sizeof(io->pend) - io->pend_len;
	memcpy(io->pend + io->pend_len, buf, take);
	io->pend_len += take;
	if (io->pend_len >= 5) {
		size_t rl = (size_t)io->pend[3] << 8 | io->pend[4];
		if (io->pend_len >= 5 + rl) {
			uint16_t rv = (uint16_t)(io->pend[1] << 8 | io->pend[2]);
			size_t n = frame(wire, 0, sizeof(wire), io->pend + 5, rl, rv);
			if (n == 0 || send_segments(io->fd, wire, n) != 0)
				return MBEDTLS_ERR_NET_SEND_FAILED;
			io->hello_bytes = rl;
			io->records = (unsigned)((rl + rec_size - 1) / rec_size);
			io->hello_sent = 1;
			if (io->pend_len > 5 + rl &&
			    send_segments(io->fd, io->pend + 5 + rl, io->pend_len - 5 - rl) != 0)
				return MBEDTLS_ERR_NET_SEND_FAILED;
		}
	}
	return (int)take;
}

static int
io_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct io *io = ctx;
	ssize_t r = recv(io->fd, buf, len, 0);

	if (r < 0)
		return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
	return (int)r;
}

static int
real_handshake(int fd)
{
	mbedtls_entropy_context  ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config       conf;
	mbedtls_ssl_context      ssl;
	struct io                io = { .fd = fd };
	char                     err[160];
	int                      rc;

	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_init(&ssl);
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0) != 0 ||
	    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
	        MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		die("mbedTLS setup failed");
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	if (mbedtls_ssl_setup(&ssl, &conf) != 0 || mbedtls_ssl_set_hostname(&ssl, sni) != 0)
		die("mbedTLS setup failed");
	mbedtls_ssl_set_bio(&ssl, &io, io_send, io_recv, NULL);

	while ((rc = mbedtls_ssl_handshake(&ssl)) != 0) {
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
			printf("handshake failed alert=%u\n", ssl.in_msg[1]);
		else if (rc == MBEDTLS_ERR_NET_CONN_RESET)
			printf("handshake failed reset\n");
		else {
			mbedtls_strerror(rc, err, sizeof(err));
			printf("handshake failed error=%s\n", err);
		}
		return 0;
	}
	printf("handshake ok version=%s suite=%s hello_bytes=%zu records=%u\n",
	    mbedtls_ssl_get_version(&ssl), mbedtls_ssl_get_ciphersuite(&ssl), io.hello_bytes,
	    io.records);
	(void)mbedtls_ssl_close_notify(&ssl);
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return 0;
}

/* ---- crafted hellos ------------------------------------------------------ */

struct buf {
	uint8_t b[MSG_MAX];
	size_t  n;
};

static void
put8(struct buf *o, unsigned v)
{
	if (o->n >= sizeof(o->b))
		die("crafted hello too large");
	o->b[o->n++] = (uint8_t)v;
}

static void
put16(struct buf *o, unsigned v)
{
	put8(o, v >> 8);
	put8(o, v & 0xff);
}

static void
put_ext16(struct buf *e, unsigned type, const uint16_t *v, size_t n)
{
	put16(e, type);
	put16(e, (unsigned)(2 + 2 * n));
	put16(e, (unsigned)(2 * n));
	for (size_t i = 0; i < n; i++)
		put16(e, v[i]);
}

/* A TLS 1.2 ClientHello message for kind; pad: total message bytes wanted. */
static void
craft(struct buf *m, const char *kind, size_t pad)
{
	static const uint16_t all[] = { 0xc02f, 0xc030, 0xc027, 0xc013, 0xc014, 0x009c, 0x009d,
	    0x002f, 0x0035 };
	static const uint16_t ecdhe[] = { 0xc02f, 0xc030, 0xc027, 0xc013 };
	static const uint16_t ecdhe_rsa[] = { 0xc02f, 0x009c };
	static const uint16_t groups[] = { 29, 23, 24 };
	static const uint16_t sigalgs[] = { 0x0401, 0x0501, 0x0601, 0x0201 };
	static struct buf e;
	const uint16_t *suites = all;
	size_t n_suites = sizeof(all) / sizeof(all[0]), i;
	int groups_on = 1, null_comp = strcmp(kind, "no-null-compression") != 0;

	if (strcmp(kind, "ecdhe-no-groups") == 0) {
		suites = ecdhe;
		n_suites = sizeof(ecdhe) / sizeof(ecdhe[0]);
		groups_on = 0;
	} else if (strcmp(kind, "ecdhe-rsa-no-groups") == 0) {
		suites = ecdhe_rsa;
		n_suites = sizeof(ecdhe_rsa) / sizeof(ecdhe_rsa[0]);
		groups_on = 0;
	}

	e.n = 0;
	size_t sl = strlen(sni);
	put16(&e, 0);
	put16(&e, (unsigned)(sl + 5));
	put16(&e, (unsigned)(sl + 3));
	put8(&e, 0);
	put16(&e, (unsigned)sl);
	for (i = 0; i < sl; i++)
		put8(&e, (unsigned char)sni[i]);
	if (groups_on) {
		put_ext16(&e, 10, groups, sizeof(groups) / sizeof(groups[0]));
		put16(&e, 11);
		put16(&e, 2);
		put8(&e, 1);
		put8(&e, 0);
	}
	put_ext16(&e, 13, sigalgs, sizeof(sigalgs) / sizeof(sigalgs[0]));

	size_t body = 2 + 32 + 1 + 2 + 2 * n_suites + 2 + 2 + e.n;
	if (pad > 0) {
		if (pad < 4 + body + 4 || pad > MSG_MAX - 16)
			die("pad: size out of range");
		size_t plen = pad - (4 + body + 4);
		put16(&e, 21);
		put16(&e, (unsigned)plen);
		for (i = 0; i < plen; i++)
			put8(&e, 0);
		body += 4 + plen;
	}
	m->n = 0;
	put8(m, strcmp(kind, "hs-type-202") == 0 ? 202 : 1);
	put8(m, (unsigned)(body >> 16));
	put16(m, (unsigned)(body & 0xffff));
	put16(m, 0x0303);
	for (i = 0; i < 32; i++)
		put8(m, (unsigned)(i * 7));
	put8(m, 0);
	put16(m, (unsigned)(2 * n_suites));
	for (i = 0; i < n_suites; i++)
		put16(m, suites[i]);
	put8(m, 1);
	put8(m, null_comp ? 0 : 1); /* 1: deflate */
	put16(m, (unsigned)e.n);
	for (i = 0; i < e.n; i++)
		put8(m, e.b[i]);
}

static int send_and_answer(int fd, const uint8_t *b, size_t n);

static int
raw_hello(int fd, const char *kind)
{
	static struct buf m;
	size_t pad = 0, n = 0;

	if (strncmp(kind, "pad:", 4) == 0)
		pad = strtoul(kind + 4, NULL, 10);
	craft(&m, kind, pad);

	if (strcmp(kind, "empty-record") == 0) {
		static const uint8_t empty[] = { 22, 3, 1, 0, 0 };
		memcpy(wire, empty, sizeof(empty));
		n = frame(wire, sizeof(empty), sizeof(wire), m.b, m.n, 0x0301);
	} else if (strcmp(kind, "interleave-alert") == 0 || strcmp(kind, "version-change") == 0) {
		/* first half, the intruder, second half */
		size_t half = m.n / 2;
		n = frame(wire, 0, sizeof(wire), m.b, half, 0x0301);
		if (kind[0] == 'i') {
			static const uint8_t warn[] = { 21, 3, 1, 0, 2, 1, 112 }; /* unrecognized_name */
			memcpy(wire + n, warn, sizeof(warn));
			n += sizeof(warn);
			n = frame(wire, n, sizeof(wire), m.b + half, m.n - half, 0x0301);
		} else {
			n = frame(wire, n, sizeof(wire), m.b + half, m.n - half, 0x0303);
		}
	} else if (strcmp(kind, "trailing-bytes") == 0) {
		/* the hello and a stray handshake header in the same last record */
		static const uint8_t stray[] = { 11, 0, 0, 0 };
		memcpy(m.b + m.n, stray, sizeof(stray));
		n = frame(wire, 0, sizeof(wire), m.b, m.n + sizeof(stray), 0x0301);
	} else {
		n = frame(wire, 0, sizeof(wire), m.b, m.n, 0x0301);
	}
	if (n == 0)
		die("framing overflow");
	return send_and_answer(fd, wire, n);
}

/* --raw file:PATH: the hex of recorded records, sent unchanged. */
static int
file_hello(int fd, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int hi = -1, c;

	if (f == NULL)
		die("cannot open the hello file");
	while ((c = fgetc(f)) != EOF) {
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0) {
			if (c == '\n' || c == '\r' || c == ' ')
				continue;
			die("the hello file is not hex");
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == sizeof(wire))
			die("the hello file is too large");
		wire[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	fclose(f);
	if (n == 0 || hi >= 0)
		die("the hello file holds no whole bytes");
	return send_and_answer(fd, wire, n);
}

/* Send n bytes of wire in segments, print the server's first answer. */
static int
send_and_answer(int fd, const uint8_t *b, size_t n)
{
	if (send_segments(fd, b, n) != 0) {
		printf(errno == ECONNRESET || errno == EPIPE ? "reset\n" : "closed\n");
		return 0;
	}

	/* the server's first record */
	uint8_t in[5 + 16384];
	size_t have = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 20000) <= 0)
			die("no answer within 20 s");
		ssize_t r = recv(fd, in + have, sizeof(in) - have, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			printf(errno == ECONNRESET ? "reset\n" : "closed\n");
			return 0;
		}
		if (r == 0) {
			printf("closed\n");
			return 0;
		}
		have += (size_t)r;
		if (in[0] == 21 && have >= 7) {
			printf("alert level=%u desc=%u\n", in[5], in[6]);
			return 0;
		}
		if (in[0] == 22 && have >= 5 + 4 + 2 + 32 + 1) {
			size_t sid = in[5 + 4 + 2 + 32];
			if (have < 5 + 4 + 2 + 32 + 1 + sid + 2)
				continue;
			const uint8_t *s = in + 5 + 4 + 2 + 32 + 1 + sid;
			printf("server_hello version=0x%02x%02x suite=0x%02x%02x\n", in[9], in[10],
			    s[0], s[1]);
			return 0;
		}
		if (in[0] != 21 && in[0] != 22) {
			printf("other content_type=%u\n", in[0]);
			return 0;
		}
		if (have == sizeof(in))
			die("answer not understood");
	}
}

int
main(int argc, char **argv)
{
	const char *raw = NULL, *source = NULL;
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (i + 1 >= argc)
			die("option needs a value");
		if (strcmp(argv[i], "--record") == 0)
			rec_size = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--segment") == 0)
			seg_size = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--gap-us") == 0)
			gap_us = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--sni") == 0)
			sni = argv[++i];
		else if (strcmp(argv[i], "--raw") == 0)
			raw = argv[++i];
		else if (strcmp(argv[i], "--source") == 0)
			source = argv[++i];
		else
			die("unknown option (see the comment at the top of hello_frag.c)");
	}
	if (argc - i != 2 || rec_size < 1 || rec_size > 16384 || strlen(sni) > 255)
		die("usage: hello_frag [--record N] [--segment M] [--gap-us U] [--sni NAME] "
		    "[--source ADDR] [--raw KIND] HOST PORT");

	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[i + 1])) };
	if (inet_pton(AF_INET, argv[i], &sa.sin_addr) != 1)
		die("HOST must be an IPv4 address");
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (fd < 0)
		die("cannot make a socket");
	if (source != NULL) {
		struct sockaddr_in src = { .sin_family = AF_INET };
		if (inet_pton(AF_INET, source, &src.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0)
			die("cannot bind --source");
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("cannot connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int rc = raw == NULL ? real_handshake(fd) : strncmp(raw, "file:", 5) == 0 ?
	    file_hello(fd, raw + 5) : raw_hello(fd, raw);
	close(fd);
	return rc;
}
