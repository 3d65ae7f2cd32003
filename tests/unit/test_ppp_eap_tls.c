/*
 * EAP-TLS through a PPP session against a real mbedTLS client acting as
 * the EAP peer, all in memory. Certificates are small EC P-256 ones made
 * here with x509write: a client root and a leaf it signs, a stranger root
 * with its own leaf, and the gateway's certificate.
 *
 * Checked: the EAP sequence (Request-Identity, Start, fragments with L/M
 * flags, acks, Success/Failure), that no EAP frame exceeds the peer's MRU,
 * that the HLAK given to SSTP is MSK[0:32] computed independently on the
 * client side from its own export-keys callback, and that an unknown root
 * and a revoked thumbprint end with CR_PPP_CERT_REJECTED and the reason in
 * words.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha1.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "ppp/ppp.h"

/* ------------------------------------------------------------------ */
/* Deterministic DRBG and certificates                                 */

static mbedtls_ctr_drbg_context drbg;

static int
fixed_entropy(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		out[i] = (unsigned char)(i * 7 + 3);
	return 0;
}

struct ident {
	mbedtls_pk_context key;
	mbedtls_x509_crt   crt;
	char               subject[96];
};

static struct ident client_root, client_leaf, other_root, stranger_leaf, gateway;
static uint8_t client_leaf_sha1[20];

static void
make_key(mbedtls_pk_context *k)
{
	mbedtls_pk_init(k);
	assert_int_equal(mbedtls_pk_setup(k, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*k),
	    mbedtls_ctr_drbg_random, &drbg), 0);
}

static void
make_ident(struct ident *id, const char *subject, struct ident *issuer, int is_ca, int serial)
{
	mbedtls_x509write_cert w;
	mbedtls_mpi sn;
	unsigned char buf[2048];

	make_key(&id->key);
	mbedtls_x509_crt_init(&id->crt);
	snprintf(id->subject, sizeof(id->subject), "%s", subject);
	if (issuer == NULL)
		issuer = id;
	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&sn);
	mbedtls_mpi_lset(&sn, serial);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	assert_int_equal(mbedtls_x509write_crt_set_serial(&w, &sn), 0);
	assert_int_equal(mbedtls_x509write_crt_set_validity(&w, "20200101000000", "20991231235959"), 0);
	assert_int_equal(mbedtls_x509write_crt_set_subject_name(&w, subject), 0);
	assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&w, issuer->subject), 0);
	mbedtls_x509write_crt_set_subject_key(&w, &id->key);
	mbedtls_x509write_crt_set_issuer_key(&w, &issuer->key);
	assert_int_equal(mbedtls_x509write_crt_set_basic_constraints(&w, is_ca, -1), 0);
	if (is_ca)
		assert_int_equal(mbedtls_x509write_crt_set_key_usage(&w,
		    MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN), 0);
	int n = mbedtls_x509write_crt_der(&w, buf, sizeof(buf), mbedtls_ctr_drbg_random, &drbg);
	assert_true(n > 0);
	assert_int_equal(mbedtls_x509_crt_parse_der(&id->crt, buf + sizeof(buf) - n, (size_t)n), 0);
	mbedtls_x509write_crt_free(&w);
	mbedtls_mpi_free(&sn);
}

static void
free_ident(struct ident *id)
{
	mbedtls_pk_free(&id->key);
	mbedtls_x509_crt_free(&id->crt);
}

static int
group_setup(void **state)
{
	(void)state;
	mbedtls_ctr_drbg_init(&drbg);
	if (mbedtls_ctr_drbg_seed(&drbg, fixed_entropy, NULL, (const unsigned char *)"ppp", 3) != 0)
		return -1;
	make_ident(&client_root, "CN=P2S Client Root,O=p2sgw lab", NULL, 1, 1);
	make_ident(&client_leaf, "CN=client1,O=p2sgw lab", &client_root, 0, 2);
	make_ident(&other_root, "CN=Stranger Root,O=elsewhere", NULL, 1, 3);
	make_ident(&stranger_leaf, "CN=stranger,O=elsewhere", &other_root, 0, 4);
	make_ident(&gateway, "CN=gw.p2sgw.test,O=p2sgw lab", NULL, 0, 5);
	mbedtls_sha1_ret(client_leaf.crt.raw.p, client_leaf.crt.raw.len, client_leaf_sha1);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free_ident(&client_root);
	free_ident(&client_leaf);
	free_ident(&other_root);
	free_ident(&stranger_leaf);
	free_ident(&gateway);
	mbedtls_ctr_drbg_free(&drbg);
	return 0;
}

/* ------------------------------------------------------------------ */
/* PPP harness                                                         */

#define MAX_FRAMES 256

struct frame {
	uint8_t b[1600];
	size_t  n;
};

static struct h {
	struct frame frames[MAX_FRAMES];
	size_t nframes, next;
	int auth_calls, auth_ok;
	char identity[256];
	uint8_t hlak[32];
	int hlak_set;
	int closed_calls;
	enum close_reason reason;
	char detail[256];
	char events[64][40];
	size_t nevents;
	char note[512];
	json_t *handshake;
	uint8_t fill;
} H;

static void
h_send(void *ctx, const uint8_t *f, size_t n)
{
	(void)ctx;
	assert_true(H.nframes < MAX_FRAMES);
	assert_true(n <= sizeof(H.frames[0].b));
	memcpy(H.frames[H.nframes].b, f, n);
	H.frames[H.nframes++].n = n;
}

static void
h_auth(void *ctx, int ok, const char *id, const uint8_t *hlak)
{
	(void)ctx;
	H.auth_calls++;
	H.auth_ok = ok;
	snprintf(H.identity, sizeof(H.identity), "%s", id);
	if (hlak != NULL) {
		memcpy(H.hlak, hlak, 32);
		H.hlak_set = 1;
	}
}

static void
h_random(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	memset(out, H.fill++, n);
}

static void
h_closed(void *ctx, enum close_reason r, const char *detail)
{
	(void)ctx;
	H.closed_calls++;
	H.reason = r;
	snprintf(H.detail, sizeof(H.detail), "%s", detail);
}

static void
h_event(void *ctx, const char *type, json_t *fields)
{
	(void)ctx;
	if (H.nevents < 64)
		snprintf(H.events[H.nevents++], sizeof(H.events[0]), "%s", type);
	if (strcmp(type, "ppp_note") == 0)
		snprintf(H.note, sizeof(H.note), "%s", json_string_value(json_object_get(fields, "note")));
	if (strcmp(type, "ppp_eap_tls_handshake") == 0) {
		json_decref(H.handshake);
		H.handshake = fields;
		return;
	}
	json_decref(fields);
}

static int
has_event(const char *t)
{
	for (size_t i = 0; i < H.nevents; i++)
		if (strcmp(H.events[i], t) == 0)
			return 1;
	return 0;
}

static void
input(struct ppp_session *p, uint64_t now, const uint8_t *b, size_t n)
{
	ppp_input(p, b, n, now);
}

#define INPUT(p, now, ...) do { \
	const uint8_t in_[] = { __VA_ARGS__ }; \
	input((p), (now), in_, sizeof(in_)); \
} while (0)

/* ------------------------------------------------------------------ */
/* The EAP peer: an mbedTLS client behind an EAP-TLS fragmenter        */

struct peer {
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	uint8_t in[65536];
	size_t in_len, in_off;
	uint8_t out[65536];
	size_t out_len, out_off;
	size_t frag;
	int hs_ret;
	int result;       /* EAP code 3 or 4 once received */
	int have_msk;
	uint8_t msk[64];
	unsigned fragments_in, acks_in, more_in, length_in;
};

static struct peer PE;

static int
peer_send(void *ctx, const unsigned char *b, size_t n)
{
	struct peer *pe = ctx;
	assert_true(pe->out_len + n <= sizeof(pe->out));
	memcpy(pe->out + pe->out_len, b, n);
	pe->out_len += n;
	return (int)n;
}

static int
peer_recv(void *ctx, unsigned char *b, size_t n)
{
	struct peer *pe = ctx;
	size_t a = pe->in_len - pe->in_off;
	if (a == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (a > n)
		a = n;
	memcpy(b, pe->in + pe->in_off, a);
	pe->in_off += a;
	return (int)a;
}

static int
peer_keys(void *ctx, const unsigned char *ms, const unsigned char *kb, size_t maclen,
          size_t keylen, size_t ivlen, const unsigned char cr[32], const unsigned char sr[32],
          mbedtls_tls_prf_types prf)
{
	struct peer *pe = ctx;
	uint8_t seed[64];
	(void)kb, (void)maclen, (void)keylen, (void)ivlen;
	memcpy(seed, cr, 32);
	memcpy(seed + 32, sr, 32);
	assert_int_equal(mbedtls_ssl_tls_prf(prf, ms, 48, "client EAP encryption", seed, 64,
	    pe->msk, 64), 0);
	pe->have_msk = 1;
	return 0;
}

static void
peer_init(struct peer *pe, struct ident *who)
{
	memset(pe, 0, sizeof(*pe));
	mbedtls_ssl_config_init(&pe->conf);
	assert_int_equal(mbedtls_ssl_config_defaults(&pe->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT), 0);
	mbedtls_ssl_conf_rng(&pe->conf, mbedtls_ctr_drbg_random, &drbg);
	mbedtls_ssl_conf_authmode(&pe->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&pe->conf, &gateway.crt, NULL);
	assert_int_equal(mbedtls_ssl_conf_own_cert(&pe->conf, &who->crt, &who->key), 0);
	mbedtls_ssl_conf_export_keys_ext_cb(&pe->conf, peer_keys, pe);
	mbedtls_ssl_init(&pe->ssl);
	assert_int_equal(mbedtls_ssl_setup(&pe->ssl, &pe->conf), 0);
	mbedtls_ssl_set_bio(&pe->ssl, pe, peer_send, peer_recv, NULL);
	pe->frag = 300; /* small fragments: the gateway must reassemble with L/M */
	pe->hs_ret = MBEDTLS_ERR_SSL_WANT_READ;
}

static void
peer_free(struct peer *pe)
{
	mbedtls_ssl_free(&pe->ssl);
	mbedtls_ssl_config_free(&pe->conf);
}

static void
peer_respond(struct ppp_session *p, uint64_t now, uint8_t id, uint8_t type, const uint8_t *d,
             size_t n)
{
	uint8_t f[4 + 5 + 4 + 1 + 400];
	size_t len = 5 + n;
	assert_true(n <= sizeof(f) - 9);
	f[0] = 0xFF, f[1] = 0x03, f[2] = 0xC2, f[3] = 0x27;
	f[4] = 2, f[5] = id, f[6] = (uint8_t)(len >> 8), f[7] = (uint8_t)len, f[8] = type;
	memcpy(f + 9, d, n);
	ppp_input(p, f, 4 + len, now);
}

/* Our next TLS fragment (L on the first of several, M while more follow). */
static void
peer_send_fragment(struct ppp_session *p, uint64_t now, uint8_t id)
{
	struct peer *pe = &PE;
	uint8_t d[1 + 4 + 400];
	size_t left = pe->out_len - pe->out_off, n = 1;
	d[0] = 0;
	if (left > pe->frag) {
		if (pe->out_off == 0) {
			d[0] |= 0x80;
			d[1] = (uint8_t)(pe->out_len >> 24), d[2] = (uint8_t)(pe->out_len >> 16);
			d[3] = (uint8_t)(pe->out_len >> 8), d[4] = (uint8_t)pe->out_len;
			n = 5;
		}
		d[0] |= 0x40;
		left = pe->frag;
	}
	memcpy(d + n, pe->out + pe->out_off, left);
	pe->out_off += left;
	if (pe->out_off == pe->out_len)
		pe->out_off = pe->out_len = 0;
	peer_respond(p, now, id, 13, d, n + left);
}

static void
peer_handshake(void)
{
	PE.hs_ret = mbedtls_ssl_handshake(&PE.ssl);
	if (PE.in_off == PE.in_len)
		PE.in_off = PE.in_len = 0;
}

/* Answer every frame the gateway sent, until it has nothing more to say. */
static void
peer_run(struct ppp_session *p, uint64_t now, size_t peer_mru)
{
	while (H.next < H.nframes) {
		const struct frame *f = &H.frames[H.next++];
		const uint8_t *b = f->b;
		assert_true(f->n >= 8);
		assert_true(f->n - 4 <= peer_mru); /* nothing above the client's MRU */
		uint16_t proto = (uint16_t)(b[2] << 8 | b[3]);
		if (proto == 0xC021 && b[4] == 5) { /* Terminate-Request: ack it */
			uint8_t ta[] = { 0xFF, 0x03, 0xC0, 0x21, 0x06, b[5], 0x00, 0x04 };
			ppp_input(p, ta, sizeof(ta), ++now);
			continue;
		}
		if (proto != 0xC227)
			continue;
		uint8_t code = b[4], id = b[5];
		size_t len = (size_t)b[6] << 8 | b[7];
		assert_int_equal(len, f->n - 4);
		if (code == 3 || code == 4) {
			assert_int_equal(len, 4);
			PE.result = code;
			continue;
		}
		assert_int_equal(code, 1);
		if (b[8] == 1) {
			peer_respond(p, ++now, id, 1, (const uint8_t *)"client1@p2sgw.test", 18);
			continue;
		}
		assert_int_equal(b[8], 13);
		uint8_t flags = b[9];
		const uint8_t *d = b + 10;
		size_t dl = len - 6;
		if (flags & 0x20) { /* Start */
			assert_int_equal(dl, 0);
			peer_handshake();
			assert_true(PE.out_len > 0);
			peer_send_fragment(p, ++now, id);
			continue;
		}
		PE.more_in += (flags & 0x40) != 0;
		PE.length_in += (flags & 0x80) != 0;
		if (flags & 0x80) {
			uint32_t total = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | d[2] << 8 | d[3];
			assert_true(total > dl - 4);
			d += 4, dl -= 4;
		}
		if (dl == 0) { /* the gateway acks our fragment */
			PE.acks_in++;
			assert_true(PE.out_len > 0);
			peer_send_fragment(p, ++now, id);
			continue;
		}
		PE.fragments_in++;
		memcpy(PE.in + PE.in_len, d, dl);
		PE.in_len += dl;
		if (flags & 0x40) { /* more: ack */
			peer_respond(p, ++now, id, 13, (const uint8_t[]){ 0 }, 1);
			continue;
		}
		peer_handshake();
		if (PE.out_len > 0)
			peer_send_fragment(p, ++now, id);
		else
			peer_respond(p, ++now, id, 13, (const uint8_t[]){ 0 }, 1);
	}
}

/* ------------------------------------------------------------------ */

static mbedtls_ssl_config sconf;

static struct ppp_session *
start(const uint8_t (*revoked)[20], size_t n_revoked, struct ppp_eap_tls *et)
{
	struct ppp_config c;
	struct ppp_hooks hk;

	json_decref(H.handshake);
	memset(&H, 0, sizeof(H));
	H.fill = 0x21;
	mbedtls_ssl_config_init(&sconf);
	assert_int_equal(mbedtls_ssl_config_defaults(&sconf, MBEDTLS_SSL_IS_SERVER,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT), 0);
	mbedtls_ssl_conf_rng(&sconf, mbedtls_ctr_drbg_random, &drbg);
	mbedtls_ssl_conf_authmode(&sconf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&sconf, &client_root.crt, NULL);
	assert_int_equal(mbedtls_ssl_conf_own_cert(&sconf, &gateway.crt, &gateway.key), 0);
	mbedtls_ssl_conf_min_version(&sconf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);

	memset(et, 0, sizeof(*et));
	et->conf = &sconf;
	et->revoked = revoked;
	et->n_revoked = n_revoked;
	memset(&c, 0, sizeof(c));
	c.auth[0] = PPP_AUTH_EAP_TLS;
	c.auth[1] = PPP_AUTH_MSCHAPV2;
	c.n_auth = 2;
	c.eap_tls = et;
	c.auth_retries = 3;
	c.mru = 1400;
	c.restart_ms = 3000;
	c.max_configure = 10;
	c.max_failure = 5;
	c.gateway_ip = 0xAC100001;
	c.client_ip = 0xAC10000A;
	snprintf(c.auth_name, sizeof(c.auth_name), "p2sgw");
	memset(&hk, 0, sizeof(hk));
	hk.send = h_send;
	hk.auth_done = h_auth;
	hk.random = h_random;
	hk.closed = h_closed;
	hk.events.fn = h_event;
	struct ppp_session *p = ppp_new(&c, &hk);
	assert_non_null(p);

	/* LCP: ours offers EAP; the client asks MRU 600 */
	ppp_lower_up(p, 0);
	const struct frame *f = &H.frames[H.next++];
	assert_memory_equal(f->b + 8, "\x01\x04\x05\x78\x03\x04\xC2\x27", 8);
	INPUT(p, 1, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x0E,
	      0x01, 0x04, 0x02, 0x58, 0x05, 0x06, 0x01, 0x02, 0x03, 0x04);
	H.next++; /* our Ack */
	uint8_t ack[4 + 22];
	memcpy(ack, f->b, f->n);
	ack[4] = 0x02;
	input(p, 2, ack, f->n);
	/* Request-Identity */
	f = &H.frames[H.next];
	assert_int_equal(f->n, 9);
	assert_memory_equal(f->b, "\xFF\x03\xC2\x27\x01", 5);
	assert_int_equal(f->b[8], 1);
	return p;
}

static void
finish(struct ppp_session *p)
{
	ppp_free(p);
	peer_free(&PE);
	mbedtls_ssl_config_free(&sconf);
	json_decref(H.handshake);
	H.handshake = NULL;
}

static void
test_eap_tls_valid_client(void **state)
{
	(void)state;
	struct ppp_eap_tls et;
	struct ppp_session *p = start(NULL, 0, &et);
	peer_init(&PE, &client_leaf);
	peer_run(p, 100, 600);

	assert_int_equal(PE.hs_ret, 0);
	assert_int_equal(PE.result, 3); /* EAP-Success */
	assert_true(PE.have_msk);
	assert_true(PE.fragments_in >= 1);
	assert_true(PE.acks_in >= 1);   /* our 300-byte fragments were acked */
	assert_true(PE.more_in >= 1);   /* the gateway's flight did not fit 590 bytes: M ... */
	assert_int_equal(PE.length_in, 1); /* ... and L on its first fragment only */
	assert_int_equal(H.auth_calls, 1);
	assert_int_equal(H.auth_ok, 1);
	assert_string_equal(H.identity, "client1");
	assert_true(H.hlak_set);
	assert_memory_equal(H.hlak, PE.msk, 32); /* HLAK = MSK[0:32] on both ends */
	assert_true(has_event("ppp_eap_identity"));
	assert_non_null(strstr(H.note, "16-byte keys (pppd 2.4.9)"));
	assert_non_null(H.handshake);
	assert_string_equal(json_string_value(json_object_get(H.handshake, "version")), "TLSv1.2");
	assert_string_equal(json_string_value(json_object_get(H.handshake, "subject")),
	    "CN=client1, O=p2sgw lab");
	assert_string_equal(json_string_value(json_object_get(H.handshake, "issuer")),
	    "CN=P2S Client Root, O=p2sgw lab");
	char hex[41];
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02X", client_leaf_sha1[i]);
	assert_string_equal(json_string_value(json_object_get(H.handshake, "thumbprint")), hex);
	/* the network phase started: our IPCP Configure-Request went out */
	const struct frame *last = &H.frames[H.nframes - 1];
	assert_memory_equal(last->b, "\xFF\x03\x80\x21\x01", 5);
	assert_int_equal(H.closed_calls, 0);
	finish(p);
}

static void
test_eap_tls_unknown_root(void **state)
{
	(void)state;
	struct ppp_eap_tls et;
	struct ppp_session *p = start(NULL, 0, &et);
	peer_init(&PE, &stranger_leaf);
	peer_run(p, 100, 600);

	assert_true(PE.hs_ret != 0 && PE.hs_ret != MBEDTLS_ERR_SSL_WANT_READ); /* got our alert */
	assert_int_equal(PE.result, 4); /* EAP-Failure */
	assert_int_equal(H.auth_calls, 1);
	assert_int_equal(H.auth_ok, 0);
	assert_int_equal(H.closed_calls, 1);
	assert_int_equal(H.reason, CR_PPP_CERT_REJECTED);
	assert_string_equal(H.detail, "client certificate not issued by a trusted client root: "
	    "The certificate is not correctly signed by the trusted CA");
	finish(p);
}

static void
test_eap_tls_revoked(void **state)
{
	(void)state;
	struct ppp_eap_tls et;
	static uint8_t revoked[2][20];
	memset(revoked[0], 0xAA, 20);
	memcpy(revoked[1], client_leaf_sha1, 20);
	struct ppp_session *p = start((const uint8_t (*)[20])revoked, 2, &et);
	peer_init(&PE, &client_leaf);
	peer_run(p, 100, 600);

	assert_int_equal(PE.result, 4);
	assert_int_equal(H.auth_ok, 0);
	assert_int_equal(H.reason, CR_PPP_CERT_REJECTED);
	char want[128], hex[41];
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02X", client_leaf_sha1[i]);
	snprintf(want, sizeof(want), "client certificate %s is revoked", hex);
	assert_string_equal(H.detail, want);
	finish(p);
}

static void
test_eap_nak_and_retransmit(void **state)
{
	(void)state;
	struct ppp_eap_tls et;
	struct ppp_session *p = start(NULL, 0, &et);
	peer_init(&PE, &client_leaf);
	/* Request-Identity is sent again on the restart timer, unchanged */
	const struct frame *req = &H.frames[H.next];
	assert_int_equal(ppp_next_deadline(p), 3002);
	ppp_tick(p, 3002);
	assert_int_equal(H.nframes, H.next + 2);
	assert_memory_equal(H.frames[H.next + 1].b, req->b, req->n);
	uint8_t id = req->b[5];
	H.next += 2;
	/* the identity, then an EAP Nak asking for MS-CHAPv2 (26) instead of TLS */
	peer_respond(p, 3100, id, 1, (const uint8_t *)"bob", 3);
	const struct frame *s = &H.frames[H.next++];
	assert_int_equal(s->b[8], 13);
	assert_int_equal(s->b[9], 0x20);
	peer_respond(p, 3200, s->b[5], 3, (const uint8_t[]){ 26 }, 1);
	const struct frame *fl = &H.frames[H.next++];
	assert_memory_equal(fl->b, ((const uint8_t[]){ 0xFF, 0x03, 0xC2, 0x27, 0x04, s->b[5], 0, 4 }), 8);
	peer_run(p, 3300, 1500);
	assert_int_equal(H.reason, CR_PPP_AUTH_FAILED);
	assert_string_equal(H.detail, "client refused EAP-TLS (EAP Nak, it asks for EAP type 26)");
	finish(p);
}

static void
test_eap_oversized_length(void **state)
{
	(void)state;
	struct ppp_eap_tls et;
	struct ppp_session *p = start(NULL, 0, &et);
	peer_init(&PE, &client_leaf);
	uint8_t id = H.frames[H.next++].b[5];
	peer_respond(p, 10, id, 1, (const uint8_t *)"x", 1);
	id = H.frames[H.next++].b[5];
	/* L says 16 MiB: refused before anything is buffered */
	peer_respond(p, 11, id, 13, (const uint8_t[]){ 0xC0, 0x01, 0x00, 0x00, 0x00, 0x16 }, 6);
	peer_run(p, 12, 1500);
	assert_int_equal(H.reason, CR_PPP_AUTH_FAILED);
	assert_non_null(strstr(H.detail, "over the 65536-byte cap"));
	finish(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eap_tls_valid_client),
		cmocka_unit_test(test_eap_tls_unknown_root),
		cmocka_unit_test(test_eap_tls_revoked),
		cmocka_unit_test(test_eap_nak_and_retransmit),
		cmocka_unit_test(test_eap_oversized_length),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
