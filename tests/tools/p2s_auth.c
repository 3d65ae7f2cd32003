/*
 * p2s_auth.c - PPP authentication of the p2s_client oracle:
 * MS-CHAPv2 (RFC 2759) and EAP-TLS (RFC 3748, RFC 5216) with an inner
 * mbedTLS client handshake carried in EAP-TLS fragments.
 * Each sets c->hlak for the SSTP crypto binding.
 */
#include "p2s.h"
#include "p2s_crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/sha256.h>

/* ------------------------------------------------------------------ */
/* MS-CHAPv2                                                            */

static int
chap_send_response(struct cli *c, uint8_t id, const uint8_t peer_chal[16],
                   const uint8_t nt_resp[24])
{
	uint8_t p[SSTP_MAX_PKT];
	size_t ulen = strlen(c->o->user), len = 4 + 1 + 49 + ulen;

	if (len > 1400)
		return fail(c, EX_OTHER, "auth: user name too long");
	/* Code(1)=2 Id(1) Length(2) Value-Size(1)=49 Value(49) Name */
	p[0] = 2;
	p[1] = id;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[4] = 49;
	memcpy(p + 5, peer_chal, 16);
	memset(p + 21, 0, 8);
	memcpy(p + 29, nt_resp, 24);
	p[53] = 0;                              /* Flags */
	memcpy(p + 54, c->o->user, ulen);
	return ppp_send(c, PPP_CHAP, p, len);
}

int
auth_mschapv2(struct cli *c)
{
	int64_t deadline = now_ms() + STEP_MS;
	static struct frame f;
	uint8_t auth_chal[16], peer_chal[16], nt_resp[24];
	char want[43];
	int responded = 0;

	for (;;) {
		const uint8_t *p;
		size_t len;
		int r = ppp_next_frame(c, deadline, &f);

		if (r == 0)
			return fail(c, EX_AUTH, "auth: failed timeout (%s)",
			    responded ? "no success/failure" : "no challenge");
		if (r < 0)
			return -1;
		if (f.proto != PPP_CHAP) {
			if (f.proto == PPP_EAP)
				out("auth: unexpected EAP frame during MS-CHAPv2 (ignored)");
			continue;
		}
		/* Code(1) Identifier(1) Length(2) Data */
		p = f.data;
		if (f.len < 4)
			continue;
		len = (size_t)(p[2] << 8 | p[3]);
		if (len < 4 || len > f.len) {
			out("auth: bad CHAP length %zu (frame %zu) dropped", len, f.len);
			continue;
		}
		switch (p[0]) {
		case 1: {       /* Challenge: Value-Size(1)=16 Value(16) Name */
			if (len < 5 + 16 || p[4] != 16) {
				out("auth: bad MS-CHAPv2 challenge (value-size %u, len %zu)",
				    len >= 5 ? p[4] : 0, len);
				continue;
			}
			memcpy(auth_chal, p + 5, 16);
			rng_bytes(c, peer_chal, 16);
			if (mschapv2_nt_response(auth_chal, peer_chal, c->o->user,
			    c->o->password, nt_resp) != 0 ||
			    mschapv2_auth_response(c->o->password, nt_resp, peer_chal,
			    auth_chal, c->o->user, want) != 0)
				return fail(c, EX_OTHER, "auth: MS-CHAPv2 computation failed");
			out("chap: challenge id=%u name=\"%.*s\"", p[1], (int)(len - 21),
			    (const char *)p + 21);
			if (chap_send_response(c, p[1], peer_chal, nt_resp) != 0)
				return -1;
			responded = 1;
			break;
		}
		case 3: {       /* Success: "S=<40 hex> M=<msg>" */
			const char *m = (const char *)p + 4;
			size_t ml = len - 4;

			if (!responded) {
				out("auth: success before response (ignored)");
				continue;
			}
			if (ml < 42 || strncasecmp(m, want, 42) != 0)
				return fail(c, EX_AUTH,
				    "auth: failed bad-authenticator-response got=\"%.*s\" want=%s",
				    (int)(ml < 42 ? ml : 42), m, want);
			if (mschapv2_client_hlak(c->o->password, nt_resp, c->hlak) != 0)
				return fail(c, EX_OTHER, "auth: HLAK computation failed");
			{
				char hx[65];

				hex_encode(c->hlak, 32, hx);
				diag("mschapv2 HLAK=%s", hx);
			}
			out("auth: ok mschapv2");
			return 0;
		}
		case 4: {       /* Failure: "E=eeeeeeeeee R=r C=cccc V=vvvv M=<msg>" */
			const char *m = (const char *)p + 4;
			size_t ml = len - 4;
			char msg[256];
			unsigned e = 0;

			if (ml >= sizeof(msg))
				ml = sizeof(msg) - 1;
			memcpy(msg, m, ml);
			msg[ml] = '\0';
			for (char *q = msg; *q != '\0'; q++)
				if (*q == '\r' || *q == '\n')
					*q = ' ';
			if (strncmp(msg, "E=", 2) == 0) {
				for (const char *q = msg + 2; *q >= '0' && *q <= '9' && e < 100000000; q++)
					e = e * 10 + (unsigned)(*q - '0');
				return fail(c, EX_AUTH, "auth: failed E=%u msg=\"%s\"", e, msg);
			}
			return fail(c, EX_AUTH, "auth: failed E=? msg=\"%s\"", msg);
		}
		default:
			out("auth: unexpected CHAP code %u (ignored)", p[0]);
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* EAP-TLS                                                              */

#define EAP_TLS_BUF   (64 * 1024)
#define EAP_TLS_FLAG_L 0x80
#define EAP_TLS_FLAG_M 0x40
#define EAP_TLS_FLAG_S 0x20

struct eaptls {
	struct cli *c;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_x509_crt own;
	mbedtls_pk_context key;
	uint8_t in[EAP_TLS_BUF];        /* reassembled TLS bytes from the server */
	size_t in_len, in_off;
	uint32_t in_total;              /* from the L flag, 0 if not given */
	uint8_t outb[EAP_TLS_BUF];      /* TLS bytes to send */
	size_t out_len, out_off;
	int overflow;
	uint8_t msk[64];
	int have_msk;
};

static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct eaptls *e = ctx;

	if (len > sizeof(e->outb) - e->out_len) {
		e->overflow = 1;
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	}
	memcpy(e->outb + e->out_len, buf, len);
	e->out_len += len;
	return (int)len;
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct eaptls *e = ctx;
	size_t n = e->in_len - e->in_off;

	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len;
	memcpy(buf, e->in + e->in_off, n);
	e->in_off += n;
	if (e->in_off == e->in_len)
		e->in_off = e->in_len = 0;
	return (int)n;
}

/* RFC 5216 2.3: Key_Material = TLS-PRF-128(master, "client EAP encryption", cr||sr) */
static int
export_keys(void *ctx, const unsigned char *ms, const unsigned char *kb,
            size_t maclen, size_t keylen, size_t ivlen,
            const unsigned char client_random[32], const unsigned char server_random[32],
            mbedtls_tls_prf_types prf)
{
	struct eaptls *e = ctx;
	uint8_t rnd[64];

	memcpy(rnd, client_random, 32);
	memcpy(rnd + 32, server_random, 32);
	if (mbedtls_ssl_tls_prf(prf, ms, 48, "client EAP encryption", rnd, 64,
	    e->msk, sizeof(e->msk)) == 0)
		e->have_msk = 1;
	return 0;
}

static int
eap_send(struct cli *c, uint8_t code, uint8_t id, uint8_t type,
         const uint8_t *data, size_t dlen)
{
	uint8_t p[SSTP_MAX_PKT];
	size_t len = 5 + dlen;

	if (len > sizeof(p) - 8)
		return fail(c, EX_OTHER, "eap: packet too long");
	p[0] = code;
	p[1] = id;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[4] = type;
	if (dlen > 0)
		memcpy(p + 5, data, dlen);
	return ppp_send(c, PPP_EAP, p, len);
}

/* Next EAP-TLS response: the next fragment of outb, or an empty ACK. */
static int
eaptls_send_next(struct eaptls *e, uint8_t id)
{
	struct cli *c = e->c;
	uint8_t d[SSTP_MAX_PKT];
	size_t rem = e->out_len - e->out_off, max, chunk, n = 0;
	uint8_t flags = 0;

	/* EAP(4) + Type(1) + Flags(1) + TLS-Length(4) must fit the peer's MRU */
	max = c->peer_mru > 10 + 64 ? (size_t)c->peer_mru - 10 : 64;
	if (max > 1024)
		max = 1024;
	chunk = rem < max ? rem : max;
	if (chunk < rem)
		flags |= EAP_TLS_FLAG_M;
	if (e->out_off == 0 && (flags & EAP_TLS_FLAG_M))
		flags |= EAP_TLS_FLAG_L;
	d[n++] = flags;
	if (flags & EAP_TLS_FLAG_L) {
		d[n++] = (uint8_t)(e->out_len >> 24);
		d[n++] = (uint8_t)(e->out_len >> 16);
		d[n++] = (uint8_t)(e->out_len >> 8);
		d[n++] = (uint8_t)e->out_len;
	}
	memcpy(d + n, e->outb + e->out_off, chunk);
	n += chunk;
	e->out_off += chunk;
	if (e->out_off == e->out_len)
		e->out_off = e->out_len = 0;
	return eap_send(c, 2, id, 13, d, n);
}

static int
identity_from_cert(const mbedtls_x509_crt *crt, char *out_id, size_t cap)
{
	for (const mbedtls_x509_name *n = &crt->subject; n != NULL; n = n->next) {
		if (n->oid.p != NULL && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			if (n->val.len >= cap)
				return -1;
			memcpy(out_id, n->val.p, n->val.len);
			out_id[n->val.len] = '\0';
			return 0;
		}
	}
	return -1;
}

static int
eaptls_setup(struct eaptls *e)
{
	struct cli *c = e->c;
	char err[160];
	int ret;

	mbedtls_ssl_config_init(&e->conf);
	mbedtls_ssl_init(&e->ssl);
	mbedtls_x509_crt_init(&e->own);
	mbedtls_pk_init(&e->key);
	if ((ret = mbedtls_x509_crt_parse_file(&e->own, c->o->cert)) != 0) {
		mbedtls_strerror(ret, err, sizeof(err));
		return fail(c, EX_OTHER, "auth: cannot load --cert %s: %s", c->o->cert, err);
	}
	if ((ret = mbedtls_pk_parse_keyfile(&e->key, c->o->key, NULL)) != 0) {
		mbedtls_strerror(ret, err, sizeof(err));
		return fail(c, EX_OTHER, "auth: cannot load --key %s: %s", c->o->key, err);
	}
	mbedtls_ssl_config_defaults(&e->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	mbedtls_ssl_conf_authmode(&e->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&e->conf, &c->ca, NULL);
	mbedtls_ssl_conf_rng(&e->conf, mbedtls_ctr_drbg_random, &c->drbg);
	/* RFC 5216 keying is defined for TLS <= 1.2; 1.2 is what the lab uses.
	 * --eap-tls-version pins one version (Windows 7/8 without TlsVersion: 1.0) */
	mbedtls_ssl_conf_min_version(&e->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    c->o->eap_tls_minor ? c->o->eap_tls_minor : MBEDTLS_SSL_MINOR_VERSION_1);
	if (c->o->eap_tls_minor)
		mbedtls_ssl_conf_max_version(&e->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
		    c->o->eap_tls_minor);
	if ((ret = mbedtls_ssl_conf_own_cert(&e->conf, &e->own, &e->key)) != 0) {
		mbedtls_strerror(ret, err, sizeof(err));
		return fail(c, EX_OTHER, "auth: own cert/key mismatch: %s", err);
	}
	mbedtls_ssl_conf_export_keys_ext_cb(&e->conf, export_keys, e);
	if ((ret = mbedtls_ssl_setup(&e->ssl, &e->conf)) != 0) {
		mbedtls_strerror(ret, err, sizeof(err));
		return fail(c, EX_OTHER, "auth: eap-tls ssl setup: %s", err);
	}
	mbedtls_ssl_set_bio(&e->ssl, e, bio_send, bio_recv, NULL);
	return 0;
}

static void
eaptls_free(struct eaptls *e)
{
	mbedtls_ssl_free(&e->ssl);
	mbedtls_ssl_config_free(&e->conf);
	mbedtls_x509_crt_free(&e->own);
	mbedtls_pk_free(&e->key);
	mbedtls_platform_zeroize(e->msk, sizeof(e->msk));
}

/* Drive the inner handshake over what is in e->in: 1 done, 0 wants more, -1 error */
static int
eaptls_step(struct eaptls *e)
{
	for (;;) {
		int ret = mbedtls_ssl_handshake(&e->ssl);

		if (ret == 0)
			return 1;
		if (ret == MBEDTLS_ERR_SSL_WANT_READ)
			return 0;
		if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		{
			char err[160];
			uint32_t flags = mbedtls_ssl_get_verify_result(&e->ssl);

			mbedtls_strerror(ret, err, sizeof(err));
			out("eap-tls: handshake error -0x%04X %s verify=0x%x", (unsigned)-ret, err,
			    (unsigned)flags);
		}
		return -1;
	}
}

static void
eaptls_report(struct cli *c, struct eaptls *e)
{
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&e->ssl);
	const mbedtls_x509_crt *outer = mbedtls_ssl_get_peer_cert(&c->ssl);
	uint8_t h[32];
	char hx[65];
	int same = 0;

	if (crt == NULL) {
		out("eap-tls: ok %s %s server-cert=none", mbedtls_ssl_get_version(&e->ssl),
		    mbedtls_ssl_get_ciphersuite(&e->ssl));
		return;
	}
	mbedtls_sha256_ret(crt->raw.p, crt->raw.len, h, 0);
	hex_encode(h, 32, hx);
	if (outer != NULL && outer->raw.len == crt->raw.len &&
	    memcmp(outer->raw.p, crt->raw.p, crt->raw.len) == 0)
		same = 1;
	out("eap-tls: ok %s %s server-cert sha256=%s same-as-outer=%s",
	    mbedtls_ssl_get_version(&e->ssl), mbedtls_ssl_get_ciphersuite(&e->ssl), hx,
	    same ? "yes" : "no");
}

int
auth_eaptls(struct cli *c)
{
	struct eaptls *e = calloc(1, sizeof(*e));
	static struct frame f;
	char identity[256];
	int64_t deadline = now_ms() + STEP_MS;
	int started = 0, done = 0, rc = -1;

	if (e == NULL)
		return fail(c, EX_OTHER, "auth: out of memory");
	e->c = c;
	if (eaptls_setup(e) != 0)
		goto out;
	if (c->o->identity != NULL) {
		if (snprintf(identity, sizeof(identity), "%s", c->o->identity) >=
		    (int)sizeof(identity)) {
			fail(c, EX_OTHER, "auth: --identity too long");
			goto out;
		}
	} else if (identity_from_cert(&e->own, identity, sizeof(identity)) != 0) {
		fail(c, EX_OTHER, "auth: no CN in --cert, pass --identity");
		goto out;
	}

	for (;;) {
		const uint8_t *p;
		size_t len;
		int r = ppp_next_frame(c, deadline, &f);

		if (r == 0) {
			fail(c, EX_AUTH, "auth: failed timeout (eap %s)",
			    done ? "no success after handshake" : started ? "in handshake" :
			    "not started");
			goto out;
		}
		if (r < 0)
			goto out;
		if (f.proto != PPP_EAP) {
			if (f.proto == PPP_CHAP)
				out("auth: unexpected CHAP frame during EAP (ignored)");
			continue;
		}
		deadline = now_ms() + STEP_MS;  /* progress: one step per exchange */
		/* Code(1) Identifier(1) Length(2) [Type(1) Type-Data] */
		p = f.data;
		if (f.len < 4)
			continue;
		len = (size_t)(p[2] << 8 | p[3]);
		if (len < 4 || len > f.len) {
			out("eap: bad length %zu (frame %zu) dropped", len, f.len);
			continue;
		}
		if (p[0] == 3) {                /* Success */
			if (!done || !e->have_msk) {
				fail(c, EX_AUTH, "auth: failed eap-success before TLS completed");
				goto out;
			}
			if (c->o->hlak16) {
				memcpy(c->hlak, e->msk, 16);
				memcpy(c->hlak + 16, e->msk + 32, 16);
			} else {
				memcpy(c->hlak, e->msk, 32);
			}
			{
				char hx[65];

				hex_encode(c->hlak, 32, hx);
				diag("eap-tls HLAK=%s%s", hx, c->o->hlak16 ? " (hlak16)" : "");
			}
			out("auth: ok eap-tls%s", c->o->hlak16 ? " hlak16" : "");
			rc = 0;
			goto out;
		}
		if (p[0] == 4) {                /* Failure */
			fail(c, EX_AUTH, "auth: failed eap-failure%s",
			    done ? " after handshake" : "");
			goto out;
		}
		if (p[0] != 1 || len < 5) {
			out("eap: unexpected code %u (ignored)", p[0]);
			continue;
		}
		switch (p[4]) {
		case 1:         /* Identity */
			if (eap_send(c, 2, p[1], 1, (const uint8_t *)identity,
			    strlen(identity)) != 0)
				goto out;
			out("eap: identity \"%s\"", identity);
			break;
		case 2:         /* Notification */
			out("eap: notification \"%.*s\"", (int)(len - 5), (const char *)p + 5);
			if (eap_send(c, 2, p[1], 2, NULL, 0) != 0)
				goto out;
			break;
		case 13: {      /* EAP-TLS: Flags(1) [TLS-Length(4)] [TLS data] */
			uint8_t flags;
			const uint8_t *d;
			size_t dl;

			if (len < 6) {
				out("eap-tls: request without flags (ignored)");
				continue;
			}
			flags = p[5];
			d = p + 6;
			dl = len - 6;
			if (flags & EAP_TLS_FLAG_S) {
				if (started)
					mbedtls_ssl_session_reset(&e->ssl);
				started = 1;
				done = 0;
				e->in_len = e->in_off = e->out_len = e->out_off = 0;
				e->have_msk = 0;
				out("eap-tls: start");
				if (eaptls_step(e) < 0 || e->overflow) {
					fail(c, EX_AUTH, "auth: failed tls client hello");
					goto out;
				}
				if (eaptls_send_next(e, p[1]) != 0)
					goto out;
				break;
			}
			if (!started) {
				out("eap-tls: data before start (ignored)");
				continue;
			}
			if (flags & EAP_TLS_FLAG_L) {
				if (dl < 4) {
					fail(c, EX_AUTH, "auth: failed eap-tls L flag without length");
					goto out;
				}
				e->in_total = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
				    (uint32_t)d[2] << 8 | d[3];
				d += 4;
				dl -= 4;
			}
			if (dl == 0) {
				/* ACK of our fragment (or a bare request): next or ACK */
				if (eaptls_send_next(e, p[1]) != 0)
					goto out;
				break;
			}
			if (dl > sizeof(e->in) - e->in_len) {
				fail(c, EX_AUTH, "auth: failed eap-tls message over %d bytes",
				    EAP_TLS_BUF);
				goto out;
			}
			memcpy(e->in + e->in_len, d, dl);
			e->in_len += dl;
			if (flags & EAP_TLS_FLAG_M) {
				if (eap_send(c, 2, p[1], 13, (const uint8_t[]){ 0 }, 1) != 0)
					goto out;
				break;
			}
			if (e->in_total != 0 && e->in_total != e->in_len)
				out("eap-tls: note TLS-Length %u but reassembled %zu",
				    e->in_total, e->in_len);
			e->in_total = 0;
			r = eaptls_step(e);
			if (r < 0 || e->overflow) {
				/* let the server see our alert, then report */
				if (e->out_len > 0)
					(void)eaptls_send_next(e, p[1]);
				fail(c, EX_AUTH, "auth: failed tls handshake");
				goto out;
			}
			if (r == 1 && !done) {
				done = 1;
				eaptls_report(c, e);
			}
			if (eaptls_send_next(e, p[1]) != 0)
				goto out;
			break;
		}
		default: {      /* another method: Nak, desire EAP-TLS */
			static const uint8_t want[1] = { 13 };

			out("eap: nak type=%u -> 13", p[4]);
			if (eap_send(c, 2, p[1], 3, want, 1) != 0)
				goto out;
			break;
		}
		}
	}
out:
	eaptls_free(e);
	free(e);
	return rc;
}
