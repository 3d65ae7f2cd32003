/*
 * CRL distribution point over plain HTTP (RFC 5280 4.2.1.13: CDP URIs are
 * http, and clients fetch them without TLS). One evhttp, one handler:
 *
 *   GET|HEAD /<profile>/<stem>.crl   profile [a-z0-9-]{1,63}, stem [a-z0-9]{1,15}
 *     -> 200 with STATE/pki/<profile>/<stem>.crl, Content-Type application/pkix-crl
 *   anything else -> 404 (405 for other methods)
 *
 * Two failure modes of a real distribution point: every CRL 404
 * (CRL_SERVE_NOT_FOUND), and a server that accepts and never answers
 * (CRL_SERVE_BLACKHOLE: a listening socket nobody accepts from, so the
 * kernel completes the handshakes into its backlog and the gateway spends
 * nothing per client; once the backlog is full new SYNs are dropped).
 *
 * Names are checked character by character before a path is built, so no
 * request can leave STATE/pki. The file is opened per request: pki_ensure()
 * replaces CRLs atomically, a request sees the old one or the new one.
 */
#include "app/crl_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <mbedtls/x509_crt.h>

#include "config/values.h"
#include "pki/crl.h"
#include "util/addr.h"
#include "util/log.h"

#define CRL_SERVER_MAGIC 0x43524c53u /* "CRLS" */
#define CRL_FILE_MAX     (1024 * 1024)
#define CRL_URI_MAX      128         /* "/" 63 "/" 15 ".crl" fits easily */

struct crl_server {
	uint32_t                   cs_magic;
	struct evhttp             *cs_http;
	struct evhttp_bound_socket *cs_bound;  /* the listener while online, or NULL */
	int                        cs_hold;    /* holds the address, never listens; or -1 */
	int                        cs_black;   /* listening, never accepted (blackhole); or -1 */
	int                        cs_not_found; /* answer 404 to every CRL */
	int                        cs_variant;   /* serve this broken copy (pki_crl_variant) */
	int                        cs_aia;       /* serve CA certificates (.crt) too */
	struct sockaddr_in         cs_sin;     /* the bound address, real port */
	char                       *cs_state;
	char                       cs_at[32];  /* "IPv4:port" */
};

/* "/<profile>/<stem>.crl" -> profile, stem. 0, or -1 when it is not that. */
/* "/<profile>/<stem>.crl" (*crt = 0) or ".crt" (*crt = 1). */
static int
split_path(const char *path, char *profile, size_t plen, char *stem, size_t slen, int *crt)
{
	const char *p, *slash, *dot;
	size_t n;

	if (path == NULL || path[0] != '/')
		return -1;
	p = path + 1;
	if ((slash = strchr(p, '/')) == NULL || (size_t)(slash - p) >= plen)
		return -1;
	memcpy(profile, p, (size_t)(slash - p));
	profile[slash - p] = '\0';
	p = slash + 1;
	n = strlen(p);
	if (n <= 4 || (strcmp(p + n - 4, ".crl") != 0 && strcmp(p + n - 4, ".crt") != 0) ||
	    n - 4 >= slen)
		return -1;
	*crt = p[n - 1] == 't';
	dot = p + n - 4;
	memcpy(stem, p, (size_t)(dot - p));
	stem[dot - p] = '\0';
	return pki_crl_profile_ok(profile) && pki_crl_stem_ok(stem) ? 0 : -1;
}

static void
reply_status(struct evhttp_request *req, int code, const char *reason, const char *uri)
{
	log_info("crl: %s %s -> %d", evhttp_request_get_command(req) == EVHTTP_REQ_HEAD ?
	    "HEAD" : "GET", uri, code);
	evhttp_send_error(req, code, reason);
}

/* GET /<profile>/<stem>.crt: the CA certificate in DER, for clients that
 * follow the leaf's Authority Information Access (revocation.aia: ok). */
static void
serve_ca(struct crl_server *cs, struct evhttp_request *req, const char *uri, const char *profile,
         const char *stem)
{
	char file[1024];
	mbedtls_x509_crt crt;
	struct evbuffer *out;

	if (!cs->cs_aia || snprintf(file, sizeof(file), "%s/pki/%s/%s.crt", cs->cs_state, profile,
	    stem) >= (int)sizeof(file)) {
		reply_status(req, 404, "Not Found", uri);
		return;
	}
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_file(&crt, file) != 0 || (out = evbuffer_new()) == NULL) {
		mbedtls_x509_crt_free(&crt);
		reply_status(req, 404, "Not Found", uri);
		return;
	}
	evbuffer_add(out, crt.raw.p, crt.raw.len);
	mbedtls_x509_crt_free(&crt);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/pkix-cert");
	log_info("crl: GET %s -> 200 (%zu bytes, AIA)", uri, evbuffer_get_length(out));
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct crl_server *cs = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *uri = evhttp_request_get_uri(req), *path;
	char profile[64], stem[16], file[1024];
	struct evbuffer *out;
	struct stat st;
	int fd;

	if (cs == NULL || cs->cs_magic != CRL_SERVER_MAGIC) {
		evhttp_send_error(req, 500, "Internal Server Error");
		return;
	}
	if (uri == NULL || strlen(uri) > CRL_URI_MAX)
		uri = "(long)";
	if ((evhttp_request_get_command(req) & (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)) == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		log_info("crl: %s -> 405", uri);
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	path = u != NULL ? evhttp_uri_get_path(u) : NULL;
	if (cs->cs_not_found) {
		reply_status(req, 404, "Not Found", uri);
		return;
	}
	int crt = 0;
	if (split_path(path, profile, sizeof(profile), stem, sizeof(stem), &crt) != 0 ||
	    evhttp_uri_get_query(u) != NULL) {
		reply_status(req, 404, "Not Found", uri);
		return;
	}
	if (crt) {
		serve_ca(cs, req, uri, profile, stem);
		return;
	}
	if (
	    pki_crl_variant_path(cs->cs_state, profile, stem, cs->cs_variant, file,
	    sizeof(file)) != 0) {
		reply_status(req, 404, "Not Found", uri);
		return;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("crl: %s", file);
		reply_status(req, 404, "Not Found", uri);
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > CRL_FILE_MAX) {
		close(fd);
		log_warnx("crl: %s: not a regular file of 1..%d bytes", file, CRL_FILE_MAX);
		reply_status(req, 500, "Internal Server Error", uri);
		return;
	}
	out = evbuffer_new();
	if (out == NULL || evbuffer_add_file(out, fd, 0, st.st_size) != 0) { /* owns fd */
		if (out == NULL)
			close(fd);
		evbuffer_free(out);
		reply_status(req, 500, "Internal Server Error", uri);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    PKI_CRL_CONTENT_TYPE);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-cache");
	log_info("crl: GET %s -> 200 (%lld bytes)", uri, (long long)st.st_size);
	evhttp_send_reply(req, 200, "OK", out); /* HEAD: evhttp sends no body */
	evbuffer_free(out);
}

/*
 * The address is held by a socket that never listens (cs_hold: bound with
 * SO_REUSEPORT only); while online a second socket (SO_REUSEPORT and
 * SO_REUSEADDR) listens on the same address. Offline, the listener is
 * closed and the kernel refuses connections, yet no other socket can bind
 * the port unless it asks for SO_REUSEPORT itself. listener != 0 makes the
 * second kind. -1 with errno.
 */
static int
bind_to(const struct sockaddr_in *sin, int listener)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    (listener && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) ||
	    bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) != 0 ||
	    (listener && listen(fd, 128) != 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

struct crl_server *
crl_server_new(struct event_base *base, const char *listen, const char *state_dir,
               char *err, size_t errlen)
{
	struct crl_server *cs = NULL;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	char msg[256], host[16];
	uint32_t addr;
	uint16_t port;

	if (val_listen(listen != NULL ? listen : "", &addr, &port, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "CRL server: %s", msg);
		return NULL;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(addr);
	sin.sin_port = htons(port);
	if ((cs = calloc(1, sizeof(*cs))) == NULL) {
		snprintf(err, errlen, "CRL server: out of memory");
		return NULL;
	}
	cs->cs_magic = CRL_SERVER_MAGIC;
	cs->cs_hold = -1;
	cs->cs_black = -1;
	if ((cs->cs_state = strdup(state_dir)) == NULL || (cs->cs_http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "CRL server: out of memory");
		goto fail;
	}
	if ((cs->cs_hold = bind_to(&sin, 0)) < 0) {
		snprintf(err, errlen, "CRL server: cannot bind %s: %s", listen, strerror(errno));
		goto fail;
	}
	if (getsockname(cs->cs_hold, (struct sockaddr *)&cs->cs_sin, &slen) != 0) {
		snprintf(err, errlen, "CRL server: getsockname: %s", strerror(errno));
		goto fail;
	}
	ip4_format(addr, host);
	snprintf(cs->cs_at, sizeof(cs->cs_at), "%s:%u", host, ntohs(cs->cs_sin.sin_port));
	evhttp_set_max_headers_size(cs->cs_http, 8192);
	evhttp_set_max_body_size(cs->cs_http, 0);
	evhttp_set_timeout(cs->cs_http, 30);
	evhttp_set_allowed_methods(cs->cs_http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(cs->cs_http, handle, cs);
	return cs;
fail:
	crl_server_free(cs);
	return NULL;
}

const char *
crl_server_address(const struct crl_server *cs)
{
	return cs != NULL ? cs->cs_at : "";
}

bool
crl_server_is_online(const struct crl_server *cs)
{
	return cs != NULL && cs->cs_bound != NULL;
}

static void
blackhole_off(struct crl_server *cs)
{
	if (cs->cs_black >= 0) {
		close(cs->cs_black); /* the backlog's connections are reset */
		cs->cs_black = -1;
	}
}

void
crl_server_aia(struct crl_server *cs, bool on)
{
	if (cs != NULL)
		cs->cs_aia = on;
}

int
crl_server_serve(struct crl_server *cs, enum crl_serve how, char *err, size_t errlen)
{
	int fd;

	cs->cs_not_found = how == CRL_SERVE_NOT_FOUND;
	cs->cs_variant = how == CRL_SERVE_STALE ? PKI_CRL_STALE_COPY :
	    how == CRL_SERVE_WRONG_KEY ? PKI_CRL_WRONG_KEY : PKI_CRL_AS_IS;
	if (how == CRL_SERVE_BLACKHOLE) {
		crl_server_offline(cs);
		if (cs->cs_black >= 0)
			return 0;
		if ((cs->cs_black = bind_to(&cs->cs_sin, 1)) < 0) {
			snprintf(err, errlen, "CRL server: cannot listen on %s: %s", cs->cs_at,
			    strerror(errno));
			return -1;
		}
		log_info("crl: %s accepts and never answers (timeout mode)", cs->cs_at);
		return 0;
	}
	blackhole_off(cs);
	if (cs->cs_bound != NULL)
		return 0;
	if ((fd = bind_to(&cs->cs_sin, 1)) < 0) {
		snprintf(err, errlen, "CRL server: cannot listen on %s: %s", cs->cs_at,
		    strerror(errno));
		return -1;
	}
	/* the bound socket owns fd from here (closed when deleted) */
	if ((cs->cs_bound = evhttp_accept_socket_with_handle(cs->cs_http, fd)) == NULL) {
		snprintf(err, errlen, "CRL server: cannot accept on %s", cs->cs_at);
		close(fd);
		return -1;
	}
	log_info("crl: %s %s/pki/*/*.crl on http://%s/", cs->cs_not_found ?
	    "answering 404 for" : "serving", cs->cs_state, cs->cs_at);
	return 0;
}

int
crl_server_online(struct crl_server *cs, char *err, size_t errlen)
{
	return crl_server_serve(cs, CRL_SERVE_FILES, err, errlen);
}

void
crl_server_offline(struct crl_server *cs)
{
	if (cs == NULL)
		return;
	blackhole_off(cs);
	if (cs->cs_bound == NULL)
		return;
	evhttp_del_accept_socket(cs->cs_http, cs->cs_bound); /* closes the listener */
	cs->cs_bound = NULL;
	log_info("crl: %s offline (connections refused)", cs->cs_at);
}

void
crl_server_free(struct crl_server *cs)
{
	if (cs == NULL)
		return;
	if (cs->cs_http != NULL)
		evhttp_free(cs->cs_http); /* with its bound sockets */
	if (cs->cs_hold >= 0)
		close(cs->cs_hold);
	blackhole_off(cs);
	free(cs->cs_state);
	cs->cs_magic = 0;
	free(cs);
}
