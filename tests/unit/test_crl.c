/*
 * Lab PKI revocation: leaves with a CRL distribution point, the issuing
 * CA's CRL (parsed and verified with mbedTLS, and with the openssl binary),
 * revoked and not revoked, regeneration and path validation.
 *
 * Every test gets its own mkdtemp state directory; EC P-256 keeps them fast.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config/scenario.h"
#include "app/crl_http.h"
#include "pki/crl.h"
#include "pki/pki.h"
#include "pki/pki_int.h" /* pki_ext_find */

#define HOST  "azuregateway-7d2a1c3e-0b4f-4f8e-9c61-2f1b5a0d9e77.vpn.azure.com"
#define BASE  "http://127.0.0.1:8080"
#define PROF  "digicert-global-root-ca"

struct fixture {
	char dir[64];
	char err[1024];
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/p2sgw-test-crl-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void
spec(struct pki_ca_spec *s, const char *subject, int days)
{
	snprintf(s->subject, sizeof(s->subject), "%s", subject);
	s->key = PKI_KEY_EC_P256;
	s->md = MBEDTLS_MD_SHA256;
	s->backdate_days = 1;
	s->days = days;
}

static void
profile(struct pki_profile *p, size_t n_int)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), PROF);
	p->purpose = PKI_PURPOSE_SERVER;
	spec(&p->root, "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert Global Root CA",
	    9000);
	if (n_int > 0)
		spec(&p->intermediates[0], "C=US, O=DigiCert Inc, CN=DigiCert SHA2 Secure Server CA",
		    3650);
	p->n_intermediates = n_int;
	spec(&p->leaf, "CN={hostname}", 365);
}

static void
request(struct pki_leaf_request *q, const char *base, int revoke)
{
	memset(q, 0, sizeof(*q));
	q->hostname = HOST;
	q->variant = PKI_VARIANT_VALID;
	q->clock = time(NULL);
	q->crl_base_url = base;
	q->revoke_leaf = revoke;
}

static void
ensure_ok(struct fixture *fx, const struct pki_profile *p, const struct pki_leaf_request *q,
          struct pki_chain *c)
{
	int rc = pki_ensure(fx->dir, p, q, c, fx->err, sizeof(fx->err));

	if (rc != 0)
		fail_msg("pki_ensure: %s", fx->err);
}

static void
load_crl(const char *path, mbedtls_x509_crl *crl)
{
	unsigned char *buf;
	size_t len;
	char err[256];

	assert_int_equal(pki_file_read(path, &buf, &len, err, sizeof(err)), 0);
	mbedtls_x509_crl_init(crl);
	assert_int_equal(mbedtls_x509_crl_parse_der(crl, buf, len), 0);
	free(buf);
}

/* Verify the served chain against root + crl with mbedTLS: the flags. */
static uint32_t
verify_flags(struct pki_chain *c, mbedtls_x509_crl *crl)
{
	mbedtls_x509_crt root;
	uint32_t flags = 0;

	mbedtls_x509_crt_init(&root);
	assert_int_equal(mbedtls_x509_crt_parse_file(&root, c->root_path), 0);
	(void)mbedtls_x509_crt_verify_with_profile(&c->chain, &root, crl,
	    &mbedtls_x509_crt_profile_default, HOST, &flags, NULL, NULL);
	mbedtls_x509_crt_free(&root);
	return flags;
}

static int
run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Split the chain file into leaf.pem and int.pem, the CRL into crl.pem. */
static void
export_pem(struct fixture *fx, struct pki_chain *c)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cd %s && awk '/BEGIN CERT/{n++} {print > (n==1 ? "
	    "\"leaf.pem\" : \"int.pem\")}' %s && openssl crl -inform DER -in %s -out crl.pem",
	    fx->dir, c->chain_path, c->crl_path);
	assert_int_equal(run(cmd), 0);
}

/* ---- tests ---- */

static void
test_cdp_and_crl_ok(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	mbedtls_x509_crl crl;
	mbedtls_x509_crt *leaf, *issuer;
	const unsigned char *v;
	char want[512], path[512], cmd[2048];
	size_t vlen;

	profile(&p, 1);
	request(&q, BASE, 0);
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);

	snprintf(want, sizeof(want), BASE "/" PROF "/int1.crl");
	assert_string_equal(c.crl_url, want);
	snprintf(path, sizeof(path), "%s/pki/" PROF "/int1.crl", fx->dir);
	assert_string_equal(c.crl_path, path);
	assert_non_null(strstr(c.chain_path, "-cdp"));
	assert_null(strstr(c.chain_path, "-revoked"));
	assert_true(c.leaf_serial_len > 0);

	/* The CDP extension holds the URL. */
	leaf = &c.chain;
	issuer = c.chain.next;
	assert_non_null(issuer);
	v = pki_ext_find(&leaf->v3_ext, MBEDTLS_OID_CRL_DISTRIBUTION_POINTS,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_DISTRIBUTION_POINTS), &vlen);
	assert_non_null(v);
	assert_true(vlen > strlen(want));
	assert_memory_equal(v + vlen - strlen(want), want, strlen(want));
	/* The intermediate has none. */
	assert_null(pki_ext_find(&issuer->v3_ext, MBEDTLS_OID_CRL_DISTRIBUTION_POINTS,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_DISTRIBUTION_POINTS), &vlen));

	/* CRL: v2, issued by int1, empty, valid now, verifies the chain cleanly. */
	load_crl(c.crl_path, &crl);
	assert_int_equal(crl.version, 2);
	assert_int_equal(crl.issuer_raw.len, issuer->subject_raw.len);
	assert_memory_equal(crl.issuer_raw.p, issuer->subject_raw.p, crl.issuer_raw.len);
	assert_null(crl.entry.serial.p);
	assert_false(mbedtls_x509_time_is_past(&crl.next_update));
	assert_false(mbedtls_x509_time_is_future(&crl.this_update));
	assert_int_equal(verify_flags(&c, &crl), 0);
	mbedtls_x509_crl_free(&crl);

	/* openssl: text dump, CDP in the leaf, verify with -crl_check. */
	snprintf(cmd, sizeof(cmd), "openssl crl -inform DER -in %s -noout -text "
	    "| grep -q 'X509v3 CRL Number'", c.crl_path);
	assert_int_equal(run(cmd), 0);
	export_pem(fx, &c);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl x509 -in leaf.pem -noout -text | "
	    "grep -qF 'URI:%s'", fx->dir, want);
	assert_int_equal(run(cmd), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl verify -crl_check -CAfile %s -untrusted "
	    "int.pem -CRLfile crl.pem leaf.pem > verify.out 2>&1 && grep -q 'leaf.pem: OK' "
	    "verify.out", fx->dir, c.root_path);
	assert_int_equal(run(cmd), 0);

	/* Second call: everything current, nothing rewritten. */
	{
		struct stat a, b;
		struct pki_chain c2;

		assert_int_equal(stat(c.crl_path, &a), 0);
		pki_chain_init(&c2);
		ensure_ok(fx, &p, &q, &c2);
		assert_int_equal(stat(c.crl_path, &b), 0);
		assert_int_equal(a.st_ino, b.st_ino);
		assert_memory_equal(c2.leaf_sha256, c.leaf_sha256, 32);
		pki_chain_free(&c2);
	}
	pki_chain_free(&c);
}

static void
test_revoked_leaf(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain ok, rev;
	mbedtls_x509_crl crl;
	char cmd[2048];

	profile(&p, 1);
	pki_chain_init(&ok);
	pki_chain_init(&rev);
	request(&q, BASE, 0);
	ensure_ok(fx, &p, &q, &ok);
	request(&q, BASE, 1);
	ensure_ok(fx, &p, &q, &rev);
	assert_non_null(strstr(rev.chain_path, "-revoked"));
	assert_string_equal(ok.crl_path, rev.crl_path);
	assert_memory_not_equal(ok.leaf_sha256, rev.leaf_sha256, 32);

	/* The CRL lists the revoked leaf's serial, and only it. */
	load_crl(rev.crl_path, &crl);
	assert_non_null(crl.entry.serial.p);
	assert_null(crl.entry.next);
	assert_int_equal(crl.entry.serial.len, rev.leaf_serial_len);
	assert_memory_equal(crl.entry.serial.p, rev.leaf_serial, rev.leaf_serial_len);
	assert_int_equal(verify_flags(&rev, &crl) & MBEDTLS_X509_BADCERT_REVOKED,
	    MBEDTLS_X509_BADCERT_REVOKED);
	assert_int_equal(verify_flags(&ok, &crl), 0);
	mbedtls_x509_crl_free(&crl);

	export_pem(fx, &rev);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl verify -crl_check -CAfile %s -untrusted "
	    "int.pem -CRLfile crl.pem leaf.pem > verify.out 2>&1; grep -q 'certificate revoked' "
	    "verify.out", fx->dir, rev.root_path);
	assert_int_equal(run(cmd), 0);

	/* The not-revoked leaf is still current, the CRL too: asking again for
	 * it keeps the revoked entry (the set is the directory's). */
	{
		struct pki_chain again;

		request(&q, BASE, 0);
		pki_chain_init(&again);
		ensure_ok(fx, &p, &q, &again);
		assert_memory_equal(again.leaf_sha256, ok.leaf_sha256, 32);
		load_crl(again.crl_path, &crl);
		assert_non_null(crl.entry.serial.p);
		mbedtls_x509_crl_free(&crl);
		pki_chain_free(&again);
	}

	/* Deleting the revoked leaf empties the CRL on the next call. */
	{
		char crt[600];
		size_t n = strlen(rev.chain_path);
		const char *base = strrchr(rev.chain_path, '/') + 1;

		snprintf(crt, sizeof(crt), "%.*sleaf-%.*s.crt", (int)(base - rev.chain_path),
		    rev.chain_path, (int)(n - (size_t)(base - rev.chain_path) - 6 - 4),
		    base + 6);
		assert_int_equal(unlink(crt), 0);
		request(&q, BASE, 0);
		pki_chain_free(&ok);
		ensure_ok(fx, &p, &q, &ok);
		load_crl(ok.crl_path, &crl);
		assert_null(crl.entry.serial.p);
		mbedtls_x509_crl_free(&crl);
	}
	pki_chain_free(&ok);
	pki_chain_free(&rev);
}

/* No intermediates: the root's CRL; the no-CDP leaf is separate and has none. */
static void
test_root_issuer_and_no_cdp(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c, plain;
	mbedtls_x509_crl crl;
	size_t vlen;

	profile(&p, 0);
	pki_chain_init(&c);
	pki_chain_init(&plain);
	request(&q, BASE, 1);
	ensure_ok(fx, &p, &q, &c);
	assert_non_null(strstr(c.crl_path, "/root.crl"));
	load_crl(c.crl_path, &crl);
	assert_int_equal(verify_flags(&c, &crl) & MBEDTLS_X509_BADCERT_REVOKED,
	    MBEDTLS_X509_BADCERT_REVOKED);
	mbedtls_x509_crl_free(&crl);

	request(&q, NULL, 0);
	ensure_ok(fx, &p, &q, &plain);
	assert_string_equal(plain.crl_path, "");
	assert_string_equal(plain.crl_url, "");
	assert_null(strstr(plain.chain_path, "-cdp"));
	assert_null(pki_ext_find(&plain.chain.v3_ext, MBEDTLS_OID_CRL_DISTRIBUTION_POINTS,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_DISTRIBUTION_POINTS), &vlen));
	pki_chain_free(&c);
	pki_chain_free(&plain);
}

/* A CRL past its nextUpdate (gateway clock moved on) is rewritten with a
 * higher cRLNumber. */
static void
test_regenerate_when_expired(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	mbedtls_x509_crl a, b;

	profile(&p, 1);
	pki_chain_init(&c);
	request(&q, BASE, 0);
	ensure_ok(fx, &p, &q, &c);
	load_crl(c.crl_path, &a);
	q.clock += 8 * 86400;
	ensure_ok(fx, &p, &q, &c);
	load_crl(c.crl_path, &b);
	assert_true(b.this_update.day != a.this_update.day ||
	    b.this_update.mon != a.this_update.mon);
	assert_true(b.crl_ext.len > 0);
	mbedtls_x509_crl_free(&a);
	mbedtls_x509_crl_free(&b);
	pki_chain_free(&c);
}

static void
test_bad_requests(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	char path[256];

	profile(&p, 1);
	pki_chain_init(&c);
	request(&q, NULL, 1);
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "crl_base_url"));
	request(&q, "https://x.example", 0);
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);
	request(&q, "http://x.example/", 0);
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);
	request(&q, "http://x.example/a", 0);
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);
	snprintf(p.name, sizeof(p.name), "Upper_Case");
	request(&q, BASE, 0);
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);

	assert_int_equal(pki_crl_path("/s", "digicert-global-root-ca", "int1", path,
	    sizeof(path)), 0);
	assert_string_equal(path, "/s/pki/digicert-global-root-ca/int1.crl");
	assert_int_equal(pki_crl_path("/s", "..", "int1", path, sizeof(path)), -1);
	assert_int_equal(pki_crl_path("/s", "a/b", "int1", path, sizeof(path)), -1);
	assert_int_equal(pki_crl_path("/s", "ok", "int-1", path, sizeof(path)), -1);
	assert_int_equal(pki_crl_path("/s", "ok", "", path, sizeof(path)), -1);
	assert_int_equal(pki_crl_path("/s", "-x", "root", path, sizeof(path)), -1);
	assert_int_equal(pki_crl_path("/s", "ok", "root", path, 8), -1);
	pki_chain_free(&c);
}

/* ---- the scenario's revocation section ---- */

static int
load(const char *doc, struct scenario *sc, char *err, size_t errlen)
{
	return scenario_load_string(doc, strlen(doc), "t.yaml", false, sc, err, errlen);
}

static void
test_scenario_revocation(void **state)
{
	struct scenario sc;
	char err[1024], url[256];

	(void)state;
	assert_int_equal(load("name: t\n", &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.crl_mode, SC_CRL_OFF);
	assert_string_equal(sc.crl_listen, "127.0.0.1:8080");
	assert_int_equal(scenario_crl_base_url(&sc, url, sizeof(url)), 0);
	assert_string_equal(url, "");

	if (load("certificate: {chain: digicert-global-root-ca}\n"
	    "revocation: {crl: revoked, listen: 0.0.0.0:8081}\n", &sc, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(sc.crl_mode, SC_CRL_REVOKED);
	assert_int_equal(scenario_crl_base_url(&sc, url, sizeof(url)), 0);
	assert_string_equal(url, "http://0.0.0.0:8081");

	assert_int_equal(load("certificate: {chain: digicert-global-root-ca}\n"
	    "revocation: {crl: ok, url_host: p2sgw-gw}\n", &sc, err, sizeof(err)), 0);
	assert_int_equal(scenario_crl_base_url(&sc, url, sizeof(url)), 0);
	assert_string_equal(url, "http://p2sgw-gw:8080");
	assert_int_equal(load("certificate: {chain: digicert-global-root-ca}\n"
	    "revocation: {crl: offline, url_host: 'crl.lab:80'}\n", &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.crl_mode, SC_CRL_OFFLINE);
	assert_int_equal(scenario_crl_base_url(&sc, url, sizeof(url)), 0);
	assert_string_equal(url, "http://crl.lab:80");

	assert_int_equal(load("revocation: {crl: maybe}\n", &sc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.yaml:1:"));
	assert_non_null(strstr(err, "revocation.crl"));
	assert_int_equal(load("revocation: {listen: 127.0.0.1}\n", &sc, err, sizeof(err)), -1);
	/* port 0: the server binds one and puts the real port into the URL */
	assert_int_equal(load("revocation: {listen: '127.0.0.1:0'}\n", &sc, err, sizeof(err)),
	    0);
	assert_int_equal(load("revocation: {listen: '127.0.0.1:65536'}\n", &sc, err,
	    sizeof(err)), -1);
	assert_int_equal(load("revocation: {url_host: 'crl.lab:0'}\n", &sc, err, sizeof(err)),
	    -1);
	assert_int_equal(load("revocation: {url_host: 'a/b'}\n", &sc, err, sizeof(err)), -1);
	assert_int_equal(load("revocation: {crl: ok, unknown: 1}\n", &sc, err, sizeof(err)),
	    -1);
}

/* ---- the HTTP distribution point, in one event base on port 0 ---- */

struct fetch {
	int            code;
	char           ctype[64];
	unsigned char  body[8192];
	size_t         len;
	struct event_base *base;
};

static void
fetch_done(struct evhttp_request *req, void *arg)
{
	struct fetch *f = arg;
	const char *ct;

	if (req != NULL) {
		f->code = evhttp_request_get_response_code(req);
		ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
		snprintf(f->ctype, sizeof(f->ctype), "%s", ct != NULL ? ct : "");
		f->len = evbuffer_remove(evhttp_request_get_input_buffer(req), f->body,
		    sizeof(f->body));
	}
	event_base_loopexit(f->base, NULL);
}

static void
fetch(struct event_base *base, uint16_t port, enum evhttp_cmd_type cmd, const char *uri,
      struct fetch *f)
{
	struct evhttp_connection *conn;
	struct evhttp_request *req;

	memset(f, 0, sizeof(*f));
	f->code = -1;
	f->base = base;
	conn = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	assert_non_null(conn);
	req = evhttp_request_new(fetch_done, f);
	assert_non_null(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	assert_int_equal(evhttp_make_request(conn, req, cmd, uri), 0);
	event_base_dispatch(base);
	evhttp_connection_free(conn);
}

/* The port of "IPv4:port". */
static uint16_t
port_of(const struct crl_server *cs)
{
	const char *colon = strrchr(crl_server_address(cs), ':');
	char *end;
	unsigned long v;

	assert_non_null(colon);
	v = strtoul(colon + 1, &end, 10);
	assert_true(*end == '\0' && v > 0 && v <= 65535);
	return (uint16_t)v;
}

/* errno of a blocking connect to 127.0.0.1:port (0 when it connects). */
static int
connect_errno(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), e = 0;

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		e = errno;
	close(fd);
	return e;
}

/* errno of binding 127.0.0.1:port (0 when it binds), with SO_REUSEADDR or not:
 * what another server would do to take the port. */
static int
bind_errno(uint16_t port, int reuseaddr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, e = 0;

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (reuseaddr)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		e = errno;
	close(fd);
	return e;
}

static void
test_http_server(void **state)
{
	static const char *const bad[] = {
		"/", "/" PROF, "/" PROF "/", "/" PROF "/int1", "/" PROF "/int1.crt",
		"/" PROF "/int1.key", "/" PROF "/../" PROF "/int1.crl", "/../pki/x/int1.crl",
		"/" PROF "/int-1.crl", "/" PROF "/root.crl", "/UPPER/int1.crl",
		"/" PROF "/int1.crl?x=1", "//int1.crl", "/" PROF "/%2e%2e.crl",
		"/" PROF "/int1.crl/",
	};
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	struct event_base *base;
	struct crl_server *cs;
	struct fetch f;
	uint16_t port;
	unsigned char *file;
	size_t flen;
	char err[256];

	profile(&p, 1);
	request(&q, BASE, 1);
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);

	base = event_base_new();
	assert_non_null(base);
	assert_null(crl_server_new(base, "127.0.0.1", fx->dir, err, sizeof(err)));
	assert_null(crl_server_new(base, "localhost:80", fx->dir, err, sizeof(err)));
	cs = crl_server_new(base, "127.0.0.1:0", fx->dir, err, sizeof(err));
	if (cs == NULL)
		fail_msg("crl_server_new: %s", err);
	port = port_of(cs);
	/* bound, not yet serving: the kernel refuses, and nobody else can take the port */
	assert_false(crl_server_is_online(cs));
	assert_int_equal(connect_errno(port), ECONNREFUSED);
	assert_int_equal(bind_errno(port, 0), EADDRINUSE);
	assert_int_equal(bind_errno(port, 1), EADDRINUSE);
	assert_int_equal(crl_server_online(cs, err, sizeof(err)), 0);
	assert_int_equal(crl_server_online(cs, err, sizeof(err)), 0); /* twice is fine */
	assert_true(crl_server_is_online(cs));

	fetch(base, port, EVHTTP_REQ_GET, "/" PROF "/int1.crl", &f);
	assert_int_equal(f.code, 200);
	assert_string_equal(f.ctype, "application/pkix-crl");
	assert_int_equal(pki_file_read(c.crl_path, &file, &flen, err, sizeof(err)), 0);
	assert_int_equal(f.len, flen);
	assert_memory_equal(f.body, file, flen);
	free(file);

	fetch(base, port, EVHTTP_REQ_HEAD, "/" PROF "/int1.crl", &f);
	assert_int_equal(f.code, 200);
	assert_int_equal(f.len, 0);
	fetch(base, port, EVHTTP_REQ_POST, "/" PROF "/int1.crl", &f);
	assert_int_equal(f.code, 405);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fetch(base, port, EVHTTP_REQ_GET, bad[i], &f);
		if (f.code != 404)
			fail_msg("%s: %d, expected 404", bad[i], f.code);
	}
	/* offline: refused on the same port; online again: served on it */
	crl_server_offline(cs);
	crl_server_offline(cs);
	assert_false(crl_server_is_online(cs));
	assert_int_equal(connect_errno(port), ECONNREFUSED);
	assert_int_equal(bind_errno(port, 1), EADDRINUSE);
	assert_int_equal(port_of(cs), port);
	assert_int_equal(crl_server_online(cs, err, sizeof(err)), 0);
	fetch(base, port, EVHTTP_REQ_GET, "/" PROF "/int1.crl", &f);
	assert_int_equal(f.code, 200);
	crl_server_free(cs);
	crl_server_free(NULL);
	crl_server_offline(NULL);
	event_base_free(base);
	pki_chain_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cdp_and_crl_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_issuer_and_no_cdp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regenerate_when_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_server, setup, teardown),
		cmocka_unit_test(test_scenario_revocation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
