/*
 * EAP (RFC 3748) with EAP-TLS (RFC 5216), authenticator side, PPP
 * protocol 0xC227: Request-Identity, EAP-TLS Start, then an inner mbedTLS
 * server fed with the reassembled EAP-TLS fragments through an in-memory
 * BIO, then EAP-Success or EAP-Failure.
 *
 *   eap      = code(1) id(1) length(2) [ type(1) type-data ]  (codes 1..4)
 *   eap-tls  = type(1)=13 flags(1) [ tls-length(4) if L ] tls-data
 *   flags    = L 0x80 (length present) | M 0x40 (more fragments) | S 0x20 (start)
 *
 * Caps: one TLS message (a flight) at most EAP_TLS_MAX_MSG bytes in each
 * direction; a larger L value or more data ends the session. Outgoing
 * flights are cut into fragments of at most min(peer MRU - 10, 1000)
 * bytes; the peer acks each with an empty EAP-TLS response, and we ack
 * each of its fragments with an empty EAP-TLS request.
 *
 * The shared inner config is const; mbedTLS 2.28 keeps the key-export
 * callback in the config, so each session takes a shallow copy of the
 * config struct and sets its own export callback (and context) on the
 * copy. The copy shares every pointer of the original (certificates,
 * keys, CA chain, RNG, cipher lists) and is never passed to
 * mbedtls_ssl_config_free(): the owner must keep the original alive for
 * the life of the PPP session, which its reference-counted snapshot does.
 * No global or thread-local state is involved.
 *
 * HLAK = MSK[0:32], MSK = TLS-PRF(master_secret, "client EAP encryption",
 * client_random | server_random)[0:64] (RFC 5216 2.3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha1.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>

#include "ppp/ppp_int.h"
#include "util/bytes.h"

#define EAP_TYPE_TLS      13

#define EAP_TLS_L 0x80
#define EAP_TLS_M 0x40
#define EAP_TLS_S 0x20

#define EAP_TLS_MAX_MSG  65536
#define EAP_TLS_MAX_FRAG 1000
#define EAP_TLS_HDR      10 /* code id length type flags tls-length */

#define EAP_TLS_STATE_MAGIC 0x45415054u /* "EAPT" */

enum eap_step {
	EAP_STEP_IDENTITY = 0, /* Request-Identity sent */
	EAP_STEP_TLS,          /* Start sent, handshake running */
	EAP_STEP_FINISHED,     /* our last flight is out; waiting for the peer's ack */
	EAP_STEP_FAILING,      /* a TLS alert is out; EAP-Failure follows the ack */
	EAP_STEP_DONE,
};

struct eap_tls_state {
	uint32_t             magic;
	struct ppp_session  *owner;
	enum eap_step        step;
	mbedtls_ssl_config   conf;  /* shallow copy, see above */
	mbedtls_ssl_context  ssl;
	uint8_t              id;    /* of the request awaiting an answer */
	uint8_t              last[EAP_TLS_HDR + EAP_TLS_MAX_FRAG]; /* that request, to resend */
	size_t               last_len;
	unsigned             sent;
	uint64_t             deadline;
	uint8_t             *in;    /* reassembled TLS data from the peer */
	size_t               in_len, in_off;
	uint8_t             *out;   /* TLS data for the peer */
	size_t               out_len, out_off;
	int                  handshake_done;
	int                  have_msk;
	uint8_t              msk[64];
	int                  cert_seen, revoked;
	uint8_t              thumb[20];
	char                 thumb_hex[41];
	char                 subject[256], issuer[256], cn[128];
	enum close_reason    fail_reason;
	char                 fail_detail[256];
	char                 identity[256];
};

/* ---- mbedTLS callbacks ---- */

static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct eap_tls_state *st = ctx;

	if (len > EAP_TLS_MAX_MSG - st->out_len)
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	memcpy(st->out + st->out_len, buf, len);
	st->out_len += len;
	return (int)len;
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct eap_tls_state *st = ctx;
	size_t n = st->in_len - st->in_off;

	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len;
	memcpy(buf, st->in + st->in_off, n);
	st->in_off += n;
	return (int)n;
}

static int
export_keys(void *p_expkey, const unsigned char *ms, const unsigned char *kb, size_t maclen,
            size_t keylen, size_t ivlen, const unsigned char client_random[32],
            const unsigned char server_random[32], mbedtls_tls_prf_types tls_prf_type)
{
	struct eap_tls_state *st = p_expkey;
	uint8_t randoms[64];

	(void)kb, (void)maclen, (void)keylen, (void)ivlen;
	if (st == NULL || st->magic != EAP_TLS_STATE_MAGIC)
		return 0;
	memcpy(randoms, client_random, 32);
	memcpy(randoms + 32, server_random, 32);
	if (mbedtls_ssl_tls_prf(tls_prf_type, ms, 48, "client EAP encryption", randoms, 64,
	    st->msk, sizeof(st->msk)) == 0)
		st->have_msk = 1;
	return 0;
}

static void
cert_cn(const mbedtls_x509_crt *crt, char *out, size_t cap)
{
	out[0] = '\0';
	for (const mbedtls_x509_name *n = &crt->subject; n != NULL; n = n->next) {
		if (n->oid.p != NULL && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			ppp_printable(n->val.p, n->val.len, out, cap);
			return;
		}
	}
}

static int
is_revoked(const struct ppp_session *p, const uint8_t thumb[20])
{
	const struct ppp_eap_tls *e = p->cfg.eap_tls;

	for (size_t i = 0; e->revoked != NULL && i < e->n_revoked; i++)
		if (memcmp(e->revoked[i], thumb, 20) == 0)
			return 1;
	return 0;
}

/* Depth 0 is the client's certificate: remember it, and mark it revoked
 * if its SHA-1 thumbprint is listed (Azure's revoked-client list). */
static int
verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct eap_tls_state *st = ctx;

	if (st->conf.f_vrfy != NULL) {
		int r = st->conf.f_vrfy(st->conf.p_vrfy, crt, depth, flags);
		if (r != 0)
			return r;
	}
	if (depth != 0)
		return 0;
	st->cert_seen = 1;
	mbedtls_sha1_ret(crt->raw.p, crt->raw.len, st->thumb);
	ppp_hex(st->thumb, 20, st->thumb_hex);
	if (mbedtls_x509_dn_gets(st->subject, sizeof(st->subject), &crt->subject) < 0)
		st->subject[0] = '\0';
	if (mbedtls_x509_dn_gets(st->issuer, sizeof(st->issuer), &crt->issuer) < 0)
		st->issuer[0] = '\0';
	cert_cn(crt, st->cn, sizeof(st->cn));
	if (is_revoked(st->owner, st->thumb)) {
		st->revoked = 1;
		*flags |= MBEDTLS_X509_BADCERT_REVOKED;
	}
	return 0;
}

/* ---- sending ---- */

static void
send_raw(struct ppp_session *p, const uint8_t *pkt, size_t len)
{
	ppp_send_proto(p, PROTO_EAP, pkt, len);
}

/* A new request: remembered for retransmission, timer started. */
static void
send_request(struct ppp_session *p, uint8_t type, const uint8_t *data, size_t len)
{
	struct eap_tls_state *st = p->eap;
	size_t n = 5 + len;

	if (n > sizeof(st->last))
		return;
	st->id++;
	st->last[0] = EAP_REQUEST;
	st->last[1] = st->id;
	st->last[2] = (uint8_t)(n >> 8);
	st->last[3] = (uint8_t)n;
	st->last[4] = type;
	if (len > 0)
		memcpy(st->last + 5, data, len);
	st->last_len = n;
	st->sent = 1;
	st->deadline = p->now + p->lcp.restart_ms;
	send_raw(p, st->last, n);
}

static size_t
frag_size(const struct ppp_session *p)
{
	size_t mru = ppp_peer_mru(p);
	size_t f = mru > EAP_TLS_HDR + 64 ? mru - EAP_TLS_HDR : 64;

	return f < EAP_TLS_MAX_FRAG ? f : EAP_TLS_MAX_FRAG;
}

/* The next fragment of our pending TLS output (or an empty ack). */
static void
send_tls_fragment(struct ppp_session *p)
{
	struct eap_tls_state *st = p->eap;
	uint8_t d[1 + 4 + EAP_TLS_MAX_FRAG];
	size_t left = st->out_len - st->out_off, fs = frag_size(p), n = 1;

	d[0] = 0;
	if (left > fs) {
		if (st->out_off == 0) {
			d[0] |= EAP_TLS_L;
			d[1] = (uint8_t)(st->out_len >> 24);
			d[2] = (uint8_t)(st->out_len >> 16);
			d[3] = (uint8_t)(st->out_len >> 8);
			d[4] = (uint8_t)st->out_len;
			n += 4;
		}
		d[0] |= EAP_TLS_M;
		left = fs;
	}
	memcpy(d + n, st->out + st->out_off, left);
	st->out_off += left;
	if (st->out_off == st->out_len)
		st->out_off = st->out_len = 0;
	send_request(p, EAP_TYPE_TLS, d, n + left);
}

static void
send_final(struct ppp_session *p, uint8_t code)
{
	struct eap_tls_state *st = p->eap;
	uint8_t pkt[4] = { code, st->id, 0, 4 };

	st->step = EAP_STEP_DONE;
	st->deadline = 0;
	send_raw(p, pkt, sizeof(pkt));
}

/* ---- outcomes ---- */

static void
handshake_event(struct ppp_session *p, const char *result)
{
	struct eap_tls_state *st = p->eap;

	ppp_emit(p, "ppp_eap_tls_handshake", json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
	    "result", result,
	    "version", mbedtls_ssl_get_version(&st->ssl),
	    "suite", st->handshake_done ? mbedtls_ssl_get_ciphersuite(&st->ssl) : "",
	    "subject", st->subject, "issuer", st->issuer, "thumbprint", st->thumb_hex));
}

static void
eap_fail(struct ppp_session *p, enum close_reason reason, const char *detail)
{
	struct eap_tls_state *st = p->eap;

	if (st->step != EAP_STEP_DONE)
		send_final(p, EAP_FAILURE);
	ppp_emit(p, "ppp_auth_result", json_pack("{s:s,s:b,s:s,s:s}", "method", "EAP-TLS", "ok", 0,
	    "identity", st->cn[0] ? st->cn : st->identity, "why", detail));
	ppp_auth_failed(p, st->cn[0] ? st->cn : st->identity);
	ppp_fail(p, reason, detail);
}

/* After a handshake error: say why in plain words. */
static void
handshake_failed(struct ppp_session *p, int ret)
{
	struct eap_tls_state *st = p->eap;
	char det[256], words[200], err[96];
	uint32_t flags = mbedtls_ssl_get_verify_result(&st->ssl);

	st->fail_reason = CR_PPP_CERT_REJECTED;
	if (st->revoked) {
		snprintf(det, sizeof(det), "client certificate %s is revoked", st->thumb_hex);
	} else if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 &&
	    flags != (uint32_t)-1) {
		char info[512];
		size_t w = 0;
		int n = mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
		words[0] = '\0';
		/* one line per flag -> "a; b" */
		for (int i = 0; i < n && info[i] != '\0' && w + 3 < sizeof(words); i++) {
			if (info[i] == '\n') {
				if (info[i + 1] != '\0') {
					words[w++] = ';';
					words[w++] = ' ';
				}
			} else {
				words[w++] = info[i];
			}
		}
		words[w] = '\0';
		snprintf(det, sizeof(det), "client certificate not issued by a trusted client root: %s",
		    words);
	} else if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE ||
	    (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && !st->cert_seen)) {
		snprintf(det, sizeof(det), "client presented no certificate");
	} else if (ret == MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION) {
		/* the client got a protocol_version alert inside EAP, then EAP-Failure */
		st->fail_reason = CR_PPP_AUTH_FAILED;
		snprintf(det, sizeof(det), "EAP-TLS: the client's TLS version inside EAP is not "
		    "one ppp.eap_tls.tls_versions allows (Windows 7/8: RasMan\\PPP\\EAP\\13 "
		    "TlsVersion=0xfc0 enables TLS 1.2 there)");
	} else {
		st->fail_reason = CR_PPP_AUTH_FAILED;
		mbedtls_strerror(ret, err, sizeof(err));
		snprintf(det, sizeof(det), "EAP-TLS handshake failed: %s (-0x%04X)", err,
		    (unsigned)-ret);
	}
	snprintf(st->fail_detail, sizeof(st->fail_detail), "%s", det);
	/* known now, even if the peer hangs up before the EAP-Failure */
	p->auth_fail_reason = st->fail_reason;
	snprintf(p->auth_fail, sizeof(p->auth_fail), "%s", det);
	handshake_event(p, "failed");
	if (st->out_len > 0) {
		/* the alert goes to the peer first; EAP-Failure after its ack (RFC 5216 2.1.3) */
		st->step = EAP_STEP_FAILING;
		send_tls_fragment(p);
		return;
	}
	eap_fail(p, st->fail_reason, st->fail_detail);
}

static void
handshake_succeeded(struct ppp_session *p)
{
	struct eap_tls_state *st = p->eap;
	const char *id = st->cn[0] ? st->cn : st->subject;
	char det[256];

	if (!st->cert_seen || mbedtls_ssl_get_peer_cert(&st->ssl) == NULL) {
		eap_fail(p, CR_PPP_CERT_REJECTED, "client presented no certificate");
		return;
	}
	if (mbedtls_ssl_get_verify_result(&st->ssl) != 0) { /* a config with optional verify */
		snprintf(det, sizeof(det), "client certificate not issued by a trusted client root: "
		    "verify flags 0x%08x", (unsigned)mbedtls_ssl_get_verify_result(&st->ssl));
		eap_fail(p, CR_PPP_CERT_REJECTED, det);
		return;
	}
	if (!st->have_msk) {
		eap_fail(p, CR_INTERNAL, "EAP-TLS: no key material from the TLS handshake");
		return;
	}
	send_final(p, EAP_SUCCESS);
	ppp_emit(p, "ppp_note", json_pack("{s:s}", "note",
	    "client HLAK may be derived from 16-byte keys (pppd 2.4.9): Debian 12's pppd exposes "
	    "16-byte MPPE keys, so sstpc's crypto binding after EAP-TLS will not match the "
	    "spec HLAK (MSK[0:32]); MS-CHAPv2 is not affected"));
	ppp_auth_success(p, "EAP-TLS", id, st->msk);
}

/* Feed what we have to mbedTLS and answer with its output. */
static void
run_handshake(struct ppp_session *p)
{
	struct eap_tls_state *st = p->eap;
	int ret = mbedtls_ssl_handshake(&st->ssl);

	if (st->in_off == st->in_len)
		st->in_off = st->in_len = 0;
	if (ret == 0) {
		st->handshake_done = 1;
		handshake_event(p, "ok");
		if (!st->cert_seen || !st->have_msk || mbedtls_ssl_get_verify_result(&st->ssl) != 0) {
			handshake_succeeded(p); /* fails with the reason, without our Finished */
			return;
		}
		st->step = EAP_STEP_FINISHED;
	} else if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
		handshake_failed(p, ret);
		return;
	}
	/* an empty request is an ack of the peer's fragment; with nothing to say
	 * mbedTLS is waiting for more of the peer's flight */
	send_tls_fragment(p);
}

/* ---- the EAP exchange ---- */

void
eap_start(struct ppp_session *p)
{
	struct eap_tls_state *st;
	uint8_t id;

	eap_free(p);
	st = calloc(1, sizeof(*st));
	if (st != NULL) {
		st->in = malloc(EAP_TLS_MAX_MSG);
		st->out = malloc(EAP_TLS_MAX_MSG);
	}
	if (st == NULL || st->in == NULL || st->out == NULL) {
		if (st != NULL) {
			free(st->in);
			free(st->out);
		}
		free(st);
		ppp_fail(p, CR_INTERNAL, "EAP-TLS: out of memory");
		return;
	}
	st->magic = EAP_TLS_STATE_MAGIC;
	st->owner = p;
	p->eap = st;
	memcpy(&st->conf, p->cfg.eap_tls->conf, sizeof(st->conf));
	mbedtls_ssl_conf_export_keys_ext_cb(&st->conf, export_keys, st);
	mbedtls_ssl_init(&st->ssl);
	if (mbedtls_ssl_setup(&st->ssl, &st->conf) != 0) {
		ppp_fail(p, CR_INTERNAL, "EAP-TLS: mbedtls_ssl_setup failed");
		return;
	}
	mbedtls_ssl_set_bio(&st->ssl, st, bio_send, bio_recv, NULL);
	mbedtls_ssl_set_verify(&st->ssl, verify_cb, st);
	ppp_random(p, &id, 1);
	st->id = id;
	st->step = EAP_STEP_IDENTITY;
	send_request(p, EAP_TYPE_IDENTITY, NULL, 0);
}

void
eap_free(struct ppp_session *p)
{
	struct eap_tls_state *st = p->eap;

	if (st == NULL)
		return;
	mbedtls_ssl_free(&st->ssl);
	if (st->in != NULL)
		mbedtls_platform_zeroize(st->in, EAP_TLS_MAX_MSG);
	free(st->in);
	free(st->out);
	mbedtls_platform_zeroize(st, sizeof(*st));
	free(st);
	p->eap = NULL;
}

void
eap_stop(struct ppp_session *p)
{
	if (p->eap != NULL) {
		p->eap->deadline = 0;
		p->eap->step = EAP_STEP_DONE;
	}
}

uint64_t
eap_deadline(const struct ppp_session *p)
{
	return p->eap != NULL && p->eap->step != EAP_STEP_DONE ? p->eap->deadline : 0;
}

void
eap_tick(struct ppp_session *p)
{
	struct eap_tls_state *st = p->eap;
	char det[128];

	if (st == NULL || st->step == EAP_STEP_DONE || st->deadline == 0 || p->now < st->deadline)
		return;
	if (st->sent < p->lcp.max_configure) {
		st->sent++;
		st->deadline = p->now + p->lcp.restart_ms;
		send_raw(p, st->last, st->last_len);
		return;
	}
	snprintf(det, sizeof(det), "EAP: no Response to %u Requests (%s)", st->sent,
	    st->step == EAP_STEP_IDENTITY ? "Identity" : "EAP-TLS");
	eap_fail(p, CR_PPP_AUTH_FAILED, det);
}

static void
on_identity(struct ppp_session *p, const uint8_t *d, size_t len)
{
	struct eap_tls_state *st = p->eap;

	ppp_printable(d, len, st->identity, sizeof(st->identity));
	ppp_emit(p, "ppp_eap_identity", json_pack("{s:s}", "identity", st->identity));
	st->step = EAP_STEP_TLS;
	uint8_t start = EAP_TLS_S;
	send_request(p, EAP_TYPE_TLS, &start, 1);
}

static void
on_tls(struct ppp_session *p, const uint8_t *d, size_t len)
{
	struct eap_tls_state *st = p->eap;
	uint8_t flags;
	char det[128];

	if (len < 1)
		return;
	flags = d[0];
	d++;
	len--;
	if (flags & EAP_TLS_L) {
		if (len < 4)
			return;
		uint32_t total = be32_get(d);
		d += 4;
		len -= 4;
		if (total > EAP_TLS_MAX_MSG) {
			snprintf(det, sizeof(det), "EAP-TLS: client message of %lu bytes is over the "
			    "%u-byte cap", (unsigned long)total, EAP_TLS_MAX_MSG);
			eap_fail(p, CR_PPP_AUTH_FAILED, det);
			return;
		}
	}
	if (len > EAP_TLS_MAX_MSG - st->in_len) {
		eap_fail(p, CR_PPP_AUTH_FAILED, "EAP-TLS: client message over the 64 KiB cap");
		return;
	}
	memcpy(st->in + st->in_len, d, len);
	st->in_len += len;

	if (flags & EAP_TLS_M) { /* more to come: ack this fragment */
		send_request(p, EAP_TYPE_TLS, (const uint8_t[]){ 0 }, 1);
		return;
	}
	if (len == 0 && st->in_len == st->in_off) {
		/* an ack of our fragment, or of our last flight */
		if (st->out_len > 0) {
			send_tls_fragment(p);
			return;
		}
		if (st->step == EAP_STEP_FAILING) {
			eap_fail(p, st->fail_reason, st->fail_detail);
			return;
		}
		if (st->step == EAP_STEP_FINISHED) {
			handshake_succeeded(p);
			return;
		}
	}
	if (st->step == EAP_STEP_FAILING) {
		eap_fail(p, st->fail_reason, st->fail_detail);
		return;
	}
	if (st->step == EAP_STEP_FINISHED) {
		/* TLS data (an alert) instead of the ack of our Finished */
		eap_fail(p, CR_PPP_AUTH_FAILED,
		    "EAP-TLS: client sent a TLS alert instead of accepting our Finished "
		    "(it did not accept the gateway certificate or the handshake)");
		return;
	}
	run_handshake(p);
}

/*
 * A packet from the peer: only Responses to our current request count;
 * duplicates of earlier ones are ignored (RFC 3748 4.1).
 */
void
eap_input(struct ppp_session *p, const uint8_t *pkt, size_t len)
{
	struct eap_tls_state *st = p->eap;
	size_t plen;
	char det[160];

	if (st == NULL || st->step == EAP_STEP_DONE || len < 4)
		return;
	plen = be16_get(pkt + 2);
	if (plen < 4 || plen > len)
		return;
	if (pkt[0] != EAP_RESPONSE || pkt[1] != st->id || plen < 5)
		return;
	st->deadline = 0;
	const uint8_t *d = pkt + 5;
	size_t dl = plen - 5;

	switch (pkt[4]) {
	case EAP_TYPE_IDENTITY:
		if (st->step == EAP_STEP_IDENTITY)
			on_identity(p, d, dl);
		return;
	case EAP_TYPE_NAK:
		if (dl > 0)
			snprintf(det, sizeof(det),
			    "client refused EAP-TLS (EAP Nak, it asks for EAP type %u)", d[0]);
		else
			snprintf(det, sizeof(det), "client refused EAP-TLS (EAP Nak)");
		eap_fail(p, CR_PPP_AUTH_FAILED, det);
		return;
	case EAP_TYPE_TLS:
		if (st->step != EAP_STEP_IDENTITY)
			on_tls(p, d, dl);
		return;
	default:
		snprintf(det, sizeof(det), "client answered EAP-TLS with EAP type %u", pkt[4]);
		eap_fail(p, CR_PPP_AUTH_FAILED, det);
		return;
	}
}
