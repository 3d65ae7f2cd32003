/*
 * Fuzz target: arbitrary PPP frames into a gateway session, in every phase.
 *
 * Input = setup(1) then records:
 *   setup bits 0-1: how far the harness drives the session with a correct
 *                   client before the fuzzed frames: 0 nothing (frames from
 *                   lower-up on), 1 LCP opened, 2 MS-CHAPv2 done (correct
 *                   RFC 2759 response to our Challenge), 3 IPCP opened too
 *         bit 2:    offer EAP-TLS first (inner mbedTLS server with an EC
 *                   gateway certificate made once); with 2/3 the harness
 *                   Naks EAP so that MS-CHAPv2 follows; with 1 it answers
 *                   Request-Identity so frames reach the EAP-TLS exchange
 *         bit 3:    fix identifiers: a fuzzed CHAP/EAP Response, or LCP/IPCP
 *                   Ack/Nak/Reject, takes the id of our last request, so the
 *                   fuzzer need not guess it
 *         bits 4-5: MRU the harness client asks for (1400, 576, 128, 4091)
 *   (levels 2 and 3 need the magic and ids the gateway chose: the harness
 *   reads them from the frames it sends, as a real client would)
 *   record = op(1) ...
 *     op % 4 == 0, 1: frame: len(2, big endian, capped at 4200) bytes
 *     op % 4 == 2:    advance the clock to the next deadline and tick
 *     op % 4 == 3:    op >> 2 even: ppp_send_ip of len(1) bytes;
 *                     odd: ppp_terminate
 *
 * abort() when: a frame we send is not FF 03 + valid protocol, a control
 * packet's length field disagrees with the frame, a frame exceeds 4 + 4095
 * bytes, anything is sent after closed(), closed() comes twice, auth_done
 * succeeds twice, after ppp_tick(now) the next deadline is not in the
 * future, or the timers never run out once input stops.
 *
 * Corpus tests/fuzz/corpus/ppp/: minimized inputs that reach each phase
 * (Windows-like LCP, IPCP Nak/Ack, CCP/IPv6CP, Echo, Terminate, EAP-TLS
 * ClientHello fragments) and the regressions found while fuzzing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "ppp/ppp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- deterministic randomness ---- */

static uint64_t rng_state;

static int
det_rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		out[i] = (unsigned char)rng_state;
	}
	return 0;
}

/* ---- the inner TLS config, made once ---- */

static mbedtls_ssl_config tls_conf;
static mbedtls_x509_crt tls_crt;
static mbedtls_pk_context tls_key;
static int tls_ready;

static void
tls_setup(void)
{
	mbedtls_x509write_cert w;
	mbedtls_mpi sn;
	unsigned char buf[1024];
	int n;

	rng_state = 0x9E3779B97F4A7C15ull;
	mbedtls_pk_init(&tls_key);
	mbedtls_x509_crt_init(&tls_crt);
	mbedtls_ssl_config_init(&tls_conf);
	if (mbedtls_pk_setup(&tls_key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(tls_key), det_rng, NULL) != 0)
		abort();
	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&sn);
	mbedtls_mpi_lset(&sn, 1);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_serial(&w, &sn);
	mbedtls_x509write_crt_set_validity(&w, "20200101000000", "20991231235959");
	mbedtls_x509write_crt_set_subject_name(&w, "CN=fuzz");
	mbedtls_x509write_crt_set_issuer_name(&w, "CN=fuzz");
	mbedtls_x509write_crt_set_subject_key(&w, &tls_key);
	mbedtls_x509write_crt_set_issuer_key(&w, &tls_key);
	n = mbedtls_x509write_crt_der(&w, buf, sizeof(buf), det_rng, NULL);
	if (n <= 0 || mbedtls_x509_crt_parse_der(&tls_crt, buf + sizeof(buf) - n, (size_t)n) != 0)
		abort();
	mbedtls_x509write_crt_free(&w);
	mbedtls_mpi_free(&sn);
	if (mbedtls_ssl_config_defaults(&tls_conf, MBEDTLS_SSL_IS_SERVER,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		abort();
	mbedtls_ssl_conf_rng(&tls_conf, det_rng, NULL);
	mbedtls_ssl_conf_authmode(&tls_conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&tls_conf, &tls_crt, NULL);
	if (mbedtls_ssl_conf_own_cert(&tls_conf, &tls_crt, &tls_key) != 0)
		abort();
	tls_ready = 1;
}

/* ---- the session's hooks and what the harness learns from our frames ---- */

static int trace; /* P2SGW_FUZZ_TRACE=1: frames and events on stderr, for corpus work */

static struct {
	int closed, auth_ok, sent_after_close;
	uint8_t last_req_id[4];  /* LCP, IPCP, CHAP, EAP: id of our last request */
	uint8_t chap_chal[16];
	int have_chal;
} S;

static int
proto_idx(uint16_t proto)
{
	switch (proto) {
	case 0xC021: return 0;
	case 0x8021: return 1;
	case 0xC223: return 2;
	case 0xC227: return 3;
	default: return -1;
	}
}

static void
h_send(void *ctx, const uint8_t *f, size_t n)
{
	(void)ctx;
	if (S.closed)
		abort();
	if (n < 4 || n > 4 + 4095 || f[0] != 0xFF || f[1] != 0x03 || (f[2] & 1) || !(f[3] & 1))
		abort();
	uint16_t proto = (uint16_t)(f[2] << 8 | f[3]);
	if (trace) {
		fprintf(stderr, "out ");
		for (size_t i = 0; i < n && i < 48; i++)
			fprintf(stderr, "%02x", f[i]);
		fprintf(stderr, "%s\n", n > 48 ? "..." : "");
	}
	if (proto != 0x0021) {
		if (n < 8 || (size_t)(f[6] << 8 | f[7]) != n - 4)
			abort();
		int k = proto_idx(proto);
		if (k >= 0 && f[4] == 1)
			S.last_req_id[k] = f[5];
		if (proto == 0xC223 && f[4] == 1 && n >= 9 + 16 && f[8] == 16) {
			memcpy(S.chap_chal, f + 9, 16);
			S.have_chal = 1;
		}
	}
}

static void
h_auth(void *ctx, int ok, const char *id, const uint8_t *hlak)
{
	(void)ctx, (void)id, (void)hlak;
	if (ok && S.auth_ok++)
		abort();
}

static void
h_closed(void *ctx, enum close_reason r, const char *detail)
{
	(void)ctx, (void)r;
	if (S.closed++ || detail == NULL)
		abort();
}

static void
h_random(void *ctx, uint8_t *out, size_t len)
{
	det_rng(ctx, out, len);
}

static void
h_event(void *ctx, const char *type, json_t *fields)
{
	(void)ctx;
	if (type == NULL || fields == NULL)
		abort();
	if (trace) {
		char *js = json_dumps(fields, JSON_COMPACT);
		fprintf(stderr, "event %s %s\n", type, js ? js : "");
		free(js);
	}
	json_decref(fields);
}

static void h_up(void *ctx, uint32_t ip) { (void)ctx, (void)ip; }
static void h_ip(void *ctx, const uint8_t *p, size_t n) { (void)ctx, (void)p, (void)n; }

/* ---- the harness client ---- */

static void
feed(struct ppp_session *p, const uint8_t *f, size_t n, uint64_t now)
{
	ppp_input(p, f, n, now);
}

#define FEED(p, now, ...) do { \
	const uint8_t b_[] = { __VA_ARGS__ }; \
	feed((p), b_, sizeof(b_), (now)); \
} while (0)

static const struct ppp_user users[] = { { "User", "clientPass" } };

/* The client's Configure-Request (MRU, magic), Acked by us; with EAP-TLS
 * offered first and a level needing MS-CHAPv2, Nak EAP. */
static void
drive(struct ppp_session *p, int eap_first, int level, uint16_t mru)
{
	FEED(p, 1, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x0E,
	     0x01, 0x04, (uint8_t)(mru >> 8), (uint8_t)mru, 0x05, 0x06, 0x0A, 0x0B, 0x0C, 0x0D);
	if (eap_first && level >= 2)
		FEED(p, 2, 0xFF, 0x03, 0xC0, 0x21, 0x03, S.last_req_id[0], 0x00, 0x09,
		     0x03, 0x05, 0xC2, 0x23, 0x81);
}

/* The last LCP Configure-Request we sent, for the harness to Ack. */
static uint8_t last_lcp_req[64];
static size_t last_lcp_len;
static uint8_t last_ipcp_req[32];
static size_t last_ipcp_len;

static void
h_send_capture(void *ctx, const uint8_t *f, size_t n)
{
	h_send(ctx, f, n);
	if (n >= 8 && f[2] == 0xC0 && f[3] == 0x21 && f[4] == 1 && n - 4 <= sizeof(last_lcp_req)) {
		memcpy(last_lcp_req, f + 4, n - 4);
		last_lcp_len = n - 4;
	}
	if (n >= 8 && f[2] == 0x80 && f[3] == 0x21 && f[4] == 1 && n - 4 <= sizeof(last_ipcp_req)) {
		memcpy(last_ipcp_req, f + 4, n - 4);
		last_ipcp_len = n - 4;
	}
}

static void
ack_last(struct ppp_session *p, uint16_t proto, const uint8_t *req, size_t len, uint64_t now)
{
	uint8_t f[4 + 64];

	if (len == 0 || len > 64)
		return;
	f[0] = 0xFF, f[1] = 0x03, f[2] = (uint8_t)(proto >> 8), f[3] = (uint8_t)proto;
	memcpy(f + 4, req, len);
	f[4] = 2;
	feed(p, f, len + 4, now);
}

static void
drive_rest(struct ppp_session *p, int level, int eap_first)
{
	ack_last(p, 0xC021, last_lcp_req, last_lcp_len, 3);
	if (level == 1 && eap_first) {
		FEED(p, 4, 0xFF, 0x03, 0xC2, 0x27, 0x02, S.last_req_id[3], 0x00, 0x08, 0x01, 'f', 'z', 'z');
		return;
	}
	if (level < 2 || !S.have_chal)
		return;
	uint8_t f[4 + 4 + 1 + 49 + 4];
	static const uint8_t peer[16] = "0123456789abcdef";
	f[0] = 0xFF, f[1] = 0x03, f[2] = 0xC2, f[3] = 0x23;
	f[4] = 2, f[5] = S.last_req_id[2], f[6] = 0, f[7] = 4 + 1 + 49 + 4;
	f[8] = 49;
	memcpy(f + 9, peer, 16);
	memset(f + 25, 0, 8);
	mschapv2_nt_response(S.chap_chal, peer, "User", "clientPass", f + 33);
	f[57] = 0;
	memcpy(f + 58, "User", 4);
	feed(p, f, sizeof(f), 5);
	if (level < 3)
		return;
	FEED(p, 6, 0xFF, 0x03, 0x80, 0x21, 0x01, 0x01, 0x00, 0x0A, 0x03, 0x06, 172, 16, 0, 10);
	ack_last(p, 0x8021, last_ipcp_req, last_ipcp_len, 7);
}

static void
fix_id(uint8_t *f, size_t n)
{
	size_t i = 0;
	uint16_t proto;

	if (n >= 2 && f[0] == 0xFF && f[1] == 0x03)
		i = 2;
	if (i >= n)
		return;
	if (f[i] & 1) {
		proto = f[i];
		i++;
	} else {
		if (n - i < 2)
			return;
		proto = (uint16_t)(f[i] << 8 | f[i + 1]);
		i += 2;
	}
	if (n - i < 2)
		return;
	int k = proto_idx(proto);
	if (k < 0)
		return;
	uint8_t code = f[i];
	if ((k <= 1 && code >= 2 && code <= 4) || (k >= 2 && code == 2))
		f[i + 1] = S.last_req_id[k];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t mrus[4] = { 1400, 576, 128, 4091 };
	static uint8_t frame[4200];
	struct ppp_config c;
	struct ppp_hooks hk;
	struct ppp_eap_tls et;
	uint64_t now = 10;

	if (size < 1)
		return 0;
	if (!tls_ready) {
		tls_setup();
		trace = getenv("P2SGW_FUZZ_TRACE") != NULL;
	}
	memset(&S, 0, sizeof(S));
	last_lcp_len = last_ipcp_len = 0;
	rng_state = 0x2545F4914F6CDD1Dull;

	uint8_t setup = data[0];
	int level = setup & 3, eap_first = (setup >> 2) & 1, fixids = (setup >> 3) & 1;
	uint16_t mru = mrus[(setup >> 4) & 3];
	data++;
	size--;

	memset(&et, 0, sizeof(et));
	et.conf = &tls_conf;
	memset(&c, 0, sizeof(c));
	c.auth[0] = eap_first ? PPP_AUTH_EAP_TLS : PPP_AUTH_MSCHAPV2;
	c.auth[1] = eap_first ? PPP_AUTH_MSCHAPV2 : PPP_AUTH_EAP_TLS;
	c.n_auth = 2;
	c.users = users;
	c.n_users = 1;
	c.auth_retries = 2;
	c.eap_tls = &et;
	c.mru = 1400;
	c.restart_ms = 3000;
	c.max_configure = 4;
	c.max_failure = 3;
	c.gateway_ip = 0xAC100001;
	c.client_ip = 0xAC10000A;
	c.dns[0] = 0x0A000035;
	snprintf(c.auth_name, sizeof(c.auth_name), "fuzz");
	memset(&hk, 0, sizeof(hk));
	hk.send = h_send_capture;
	hk.auth_done = h_auth;
	hk.network_up = h_up;
	hk.ip_packet = h_ip;
	hk.random = h_random;
	hk.closed = h_closed;
	hk.events.fn = h_event;

	struct ppp_session *p = ppp_new(&c, &hk);
	if (p == NULL)
		abort();
	ppp_lower_up(p, now);
	if (level >= 1) {
		drive(p, eap_first, level, mru);
		drive_rest(p, level, eap_first);
	}
	now = 100;

	size_t i = 0;
	while (i < size) {
		uint8_t op = data[i++];
		switch (op & 3) {
		case 0:
		case 1: {
			if (size - i < 2) {
				i = size;
				break;
			}
			size_t n = (size_t)(data[i] << 8 | data[i + 1]) & 0x1FFF;
			i += 2;
			if (n > size - i)
				n = size - i;
			if (n > sizeof(frame))
				n = sizeof(frame);
			memcpy(frame, data + i, n);
			i += n;
			if (fixids)
				fix_id(frame, n);
			now += 7;
			ppp_input(p, frame, n, now);
			break;
		}
		case 2: {
			uint64_t d = ppp_next_deadline(p);
			if (d != 0) {
				if (d > now)
					now = d;
			} else {
				now += 1000;
			}
			ppp_tick(p, now);
			d = ppp_next_deadline(p);
			if (d != 0 && d <= now)
				abort();
			break;
		}
		default:
			if ((op >> 2) & 1) {
				ppp_terminate(p, "fuzz", now);
			} else {
				size_t n = i < size ? data[i++] : 0;
				if (n > size - i)
					n = size - i;
				(void)ppp_send_ip(p, data + i, n);
				i += n;
			}
			break;
		}
	}
	/* run the timers out: every session must end */
	for (int k = 0; k < 200 && ppp_next_deadline(p) != 0; k++) {
		now = ppp_next_deadline(p);
		ppp_tick(p, now);
	}
	if (ppp_next_deadline(p) != 0)
		abort();
	ppp_free(p);
	return 0;
}
