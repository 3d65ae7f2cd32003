/*
 * p2sload.c - command line, mode drivers and report of p2sload, the load
 * generator of p2sgw.  See docs/p2sload.md for the contract.
 *
 *   p2sload MODE [options] HOST:PORT
 *   MODE: handshake | sessions | storm | throughput | abuse
 *
 * Exit: 0 the run completed (failures are counted, not fatal), 2 usage
 * error, 1 it could not run at all (no TCP connection ever succeeded).
 */
#include "p2sload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <mbedtls/error.h>

#define DEFAULT_SERVERNAME "azuregateway-4b7f0c2e-9d1a-4c3b-8e5f-6a2d1c0b9e87.cloudapp.net"
#define PUMP_TICK  0.25
#define DRAIN_MAX  1.0

static const char *const mode_names[] = {
	"handshake", "sessions", "storm", "throughput", "abuse",
};
static const char *const kind_names[] = {
	"idle", "slow", "malformed-tls", "malformed-sstp", "malformed-ppp", "early-close",
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: p2sload MODE [options] HOST:PORT\n"
	    "modes: handshake [--resume]\n"
	    "       sessions -n N [--hold SECS] [--echo-interval SECS] [--echo sstp|lcp] [--resume]\n"
	    "                [--setup-limit SECS]\n"
	    "       storm -n N [--resume]\n"
	    "       throughput [-n SESSIONS] [--size BYTES] [--proto udp|icmp] [--dir both|up|down]"
	    " [--window W]"
	    " [--target IP]\n"
	    "       abuse --kind idle|slow|malformed-tls|malformed-sstp|malformed-ppp|early-close"
	    " -n N [--interval MS]\n"
	    "options: --servername NAME --ca FILE --source A.B.C.D[-E|-E.F.G.H] --user U --password P\n"
	    "         --cipher NAME --curve NAME -c|--concurrency N -d|--duration SECS\n"
	    "         --timeout SECS (per setup step, default 10) --json\n"
	    "         --tls-lib mbedtls|openssl (TLS of the client; abuse: mbedtls)\n");
}

/* ------------------------------------------------------------------ */
/* Command line                                                         */

static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int
parse_secs(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int
parse_source(const char *s, struct pl_opts *o)
{
	char a[32];
	const char *dash = strchr(s, '-');
	struct in_addr in;
	long last;

	if (strlen(s) >= sizeof(a))
		return -1;
	snprintf(a, sizeof(a), "%s", s);
	if (dash != NULL)
		a[dash - s] = '\0';
	if (inet_pton(AF_INET, a, &in) != 1)
		return -1;
	o->src_first = ntohl(in.s_addr);
	o->src_last = o->src_first;
	if (dash != NULL && strchr(dash + 1, '.') != NULL) {
		/* A.B.C.D-E.F.G.H: any range of at most 65,536 addresses */
		if (inet_pton(AF_INET, dash + 1, &in) != 1)
			return -1;
		o->src_last = ntohl(in.s_addr);
		if (o->src_last < o->src_first || o->src_last - o->src_first > 65535)
			return -1;
	} else if (dash != NULL) {
		/* A.B.C.D-E: last octet */
		if (parse_long(dash + 1, (long)(o->src_first & 0xFF), 255, &last) != 0)
			return -1;
		o->src_last = (o->src_first & 0xFFFFFF00U) | (uint32_t)last;
	}
	return o->src_first == 0 ? -1 : 0;
}

static int
parse_target(const char *hostport, struct pl_opts *o)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints, *res = NULL;
	size_t hl;
	long port;
	int err;

	if (colon == NULL || parse_long(colon + 1, 1, 65535, &port) != 0)
		return -1;
	hl = (size_t)(colon - hostport);
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((err = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		fprintf(stderr, "p2sload: cannot resolve %s: %s\n", host, gai_strerror(err));
		return -1;
	}
	memcpy(&o->dst, res->ai_addr, res->ai_addrlen);
	o->dstlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
parse_args(int argc, char **argv, struct pl_opts *o)
{
	const char *hostport = NULL;
	int i;

	memset(o, 0, sizeof(*o));
	o->servername = DEFAULT_SERVERNAME;
	o->user = "p2s-user";
	o->password = "p2s-password";
	o->concurrency = 16;
	o->duration = 10;
	o->echo_interval = 1;
	o->size = 1400;
	o->window = 64;
	o->interval_ms = 1000;
	o->step_s = 10;
	o->target_str = "10.1.0.4";
	if (argc < 2)
		return -1;
	for (i = 0; i < (int)(sizeof(mode_names) / sizeof(mode_names[0])); i++)
		if (strcmp(argv[1], mode_names[i]) == 0)
			break;
	if (i == (int)(sizeof(mode_names) / sizeof(mode_names[0]))) {
		fprintf(stderr, "p2sload: unknown mode %s\n", argv[1]);
		return -1;
	}
	o->mode = (enum pl_mode)i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int flag = strcmp(a, "--json") == 0 || strcmp(a, "--resume") == 0;

		if (a[0] != '-') {
			if (hostport != NULL)
				return -1;
			hostport = a;
			continue;
		}
		if (!flag && v == NULL) {
			fprintf(stderr, "p2sload: %s needs a value\n", a);
			return -1;
		}
		if (strcmp(a, "--json") == 0) {
			o->json = 1;
			continue;
		} else if (strcmp(a, "--resume") == 0) {
			o->resume = 1;
			continue;
		} else if (strcmp(a, "--servername") == 0) {
			o->servername = v;
		} else if (strcmp(a, "--ca") == 0) {
			o->ca = v;
		} else if (strcmp(a, "--source") == 0) {
			if (parse_source(v, o) != 0)
				goto bad;
		} else if (strcmp(a, "--user") == 0) {
			o->user = v;
		} else if (strcmp(a, "--password") == 0) {
			o->password = v;
		} else if (strcmp(a, "--cipher") == 0) {
			o->cipher = v;
		} else if (strcmp(a, "--curve") == 0) {
			o->curve = v;
		} else if (strcmp(a, "--tls-lib") == 0) {
			if (strcmp(v, "mbedtls") == 0)
				o->openssl = 0;
			else if (strcmp(v, "openssl") == 0)
				o->openssl = 1;
			else
				goto bad;
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--concurrency") == 0) {
			if (parse_long(v, 1, 1000000, &o->concurrency) != 0)
				goto bad;
			o->concurrency_set = 1;
		} else if (strcmp(a, "-d") == 0 || strcmp(a, "--duration") == 0) {
			if (parse_secs(v, 0.001, 86400, &o->duration) != 0)
				goto bad;
		} else if (strcmp(a, "-n") == 0) {
			if (parse_long(v, 1, 1000000, &o->n) != 0)
				goto bad;
			o->n_set = 1;
		} else if (strcmp(a, "--hold") == 0) {
			if (parse_secs(v, 0, 86400, &o->hold) != 0)
				goto bad;
		} else if (strcmp(a, "--echo-interval") == 0) {
			if (parse_secs(v, 0.001, 3600, &o->echo_interval) != 0)
				goto bad;
		} else if (strcmp(a, "--setup-limit") == 0) {
			if (parse_secs(v, 0.001, 86400, &o->setup_limit) != 0)
				goto bad;
		} else if (strcmp(a, "--echo") == 0) {
			if (strcmp(v, "sstp") == 0)
				o->echo_lcp = 0;
			else if (strcmp(v, "lcp") == 0)
				o->echo_lcp = 1;
			else
				goto bad;
		} else if (strcmp(a, "--size") == 0) {
			if (parse_long(v, 36, PL_SSTP_MAX - 8, &o->size) != 0)
				goto bad;
		} else if (strcmp(a, "--proto") == 0) {
			if (strcmp(v, "udp") == 0)
				o->icmp = 0;
			else if (strcmp(v, "icmp") == 0)
				o->icmp = 1;
			else
				goto bad;
		} else if (strcmp(a, "--dir") == 0) {
			if (strcmp(v, "both") == 0)
				o->dir = PL_DIR_BOTH;
			else if (strcmp(v, "up") == 0)
				o->dir = PL_DIR_UP;
			else if (strcmp(v, "down") == 0)
				o->dir = PL_DIR_DOWN;
			else
				goto bad;
		} else if (strcmp(a, "--window") == 0) {
			if (parse_long(v, 1, 100000, &o->window) != 0)
				goto bad;
		} else if (strcmp(a, "--target") == 0) {
			o->target_str = v;
		} else if (strcmp(a, "--kind") == 0) {
			size_t k;

			for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
				if (strcmp(v, kind_names[k]) == 0)
					break;
			if (k == sizeof(kind_names) / sizeof(kind_names[0]))
				goto bad;
			o->abuse = (enum pl_abuse_kind)k;
			o->abuse_set = 1;
		} else if (strcmp(a, "--interval") == 0) {
			if (parse_long(v, 1, 3600000, &o->interval_ms) != 0)
				goto bad;
		} else if (strcmp(a, "--timeout") == 0) {
			if (parse_secs(v, 0.01, 3600, &o->step_s) != 0)
				goto bad;
		} else if (strcmp(a, "--reconnect-delay") == 0) {
			if (parse_secs(v, 0, 3600, &o->reconnect_s) != 0)
				goto bad;
		} else {
			fprintf(stderr, "p2sload: unknown option %s\n", a);
			return -1;
		}
		i++;
		continue;
bad:
		fprintf(stderr, "p2sload: bad value for %s: %s\n", a, v);
		return -1;
	}
	if (hostport == NULL) {
		fprintf(stderr, "p2sload: HOST:PORT missing\n");
		return -1;
	}
	if (parse_target(hostport, o) != 0) {
		fprintf(stderr, "p2sload: bad HOST:PORT %s\n", hostport);
		return -1;
	}
	if (inet_pton(AF_INET, o->target_str, o->target) != 1) {
		fprintf(stderr, "p2sload: bad --target %s\n", o->target_str);
		return -1;
	}
	if (o->src_first != 0 && o->dst.ss_family != AF_INET) {
		fprintf(stderr, "p2sload: --source needs an IPv4 HOST\n");
		return -1;
	}
	switch (o->mode) {
	case MODE_SESSIONS:
	case MODE_STORM:
		if (!o->n_set) {
			fprintf(stderr, "p2sload: %s needs -n N\n", mode_names[o->mode]);
			return -1;
		}
		break;
	case MODE_THROUGHPUT:
		if (!o->n_set)
			o->n = 1;
		break;
	case MODE_ABUSE:
		if (!o->n_set || !o->abuse_set) {
			fprintf(stderr, "p2sload: abuse needs --kind KIND and -n N\n");
			return -1;
		}
		if (o->openssl) {
			fprintf(stderr, "p2sload: abuse works with --tls-lib mbedtls only\n");
			return -1;
		}
		break;
	default:
		break;
	}
	if (o->mode == MODE_STORM || o->mode == MODE_ABUSE)
		o->concurrency = o->n;
	else if (o->n_set && o->concurrency > o->n && o->mode != MODE_HANDSHAKE)
		o->concurrency = o->n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* TLS configuration                                                    */

static int
tls_setup(struct pl_run *r)
{
	const struct pl_opts *o = r->o;
	char e[128];
	int ret;

	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
	mbedtls_ssl_config_init(&r->conf);
	mbedtls_x509_crt_init(&r->ca);
	mbedtls_ssl_session_init(&r->sess);
	if ((ret = mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
	    (const unsigned char *)"p2sload", 7)) != 0)
		goto fail;
	if ((ret = mbedtls_ssl_config_defaults(&r->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
		goto fail;
	mbedtls_ssl_conf_rng(&r->conf, mbedtls_ctr_drbg_random, &r->drbg);
	mbedtls_ssl_conf_session_tickets(&r->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
	if (o->ca != NULL) {
		if ((ret = mbedtls_x509_crt_parse_file(&r->ca, o->ca)) != 0) {
			mbedtls_strerror(ret, e, sizeof(e));
			fprintf(stderr, "p2sload: cannot load --ca %s: %s\n", o->ca, e);
			return -1;
		}
		mbedtls_ssl_conf_authmode(&r->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_ca_chain(&r->conf, &r->ca, NULL);
	} else {
		mbedtls_ssl_conf_authmode(&r->conf, MBEDTLS_SSL_VERIFY_NONE);
	}
	if (o->cipher != NULL) {
		char name[128];
		int id = mbedtls_ssl_get_ciphersuite_id(o->cipher);

		if (id == 0 && strlen(o->cipher) < sizeof(name)) {
			/* IANA TLS_ECDHE_..._SHA384 -> mbedTLS TLS-ECDHE-...-SHA384 */
			snprintf(name, sizeof(name), "%s", o->cipher);
			for (char *p = name; *p != '\0'; p++)
				if (*p == '_')
					*p = '-';
			id = mbedtls_ssl_get_ciphersuite_id(name);
		}
		if (id == 0) {
			fprintf(stderr, "p2sload: unknown cipher suite %s\n", o->cipher);
			return -2;
		}
		r->ciphers[0] = id;
		r->ciphers[1] = 0;
		mbedtls_ssl_conf_ciphersuites(&r->conf, r->ciphers);
	}
	if (o->curve != NULL) {
		const mbedtls_ecp_curve_info *ci = mbedtls_ecp_curve_info_from_name(o->curve);

		if (ci == NULL) {
			fprintf(stderr, "p2sload: unknown curve %s\n", o->curve);
			return -2;
		}
		r->curves[0] = ci->grp_id;
		r->curves[1] = MBEDTLS_ECP_DP_NONE;
	} else {
		/* Windows 10's order; mbedTLS's own list starts at secp521r1 */
		r->curves[0] = MBEDTLS_ECP_DP_CURVE25519;
		r->curves[1] = MBEDTLS_ECP_DP_SECP256R1;
		r->curves[2] = MBEDTLS_ECP_DP_SECP384R1;
		r->curves[3] = MBEDTLS_ECP_DP_NONE;
	}
	mbedtls_ssl_conf_curves(&r->conf, r->curves);
	return 0;
fail:
	mbedtls_strerror(ret, e, sizeof(e));
	fprintf(stderr, "p2sload: TLS setup failed: %s\n", e);
	return -1;
}

/*
 * --tls-lib openssl: the same offer (TLS 1.2, the one --cipher, the --curve
 * or x25519/P-256/P-384, session tickets, the --ca and the name checked).
 */
static int
ossl_setup(struct pl_run *r)
{
	const struct pl_opts *o = r->o;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	r->ossl = ctx;
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1) {
		fprintf(stderr, "p2sload: OpenSSL setup failed\n");
		return -1;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (o->ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1) {
			fprintf(stderr, "p2sload: OpenSSL cannot load --ca %s\n", o->ca);
			return -1;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	if (o->cipher != NULL) {
		/* --cipher is the IANA name (or mbedTLS's, with '-'): find OpenSSL's */
		char want[128];
		const char *found = NULL;
		STACK_OF(SSL_CIPHER) *all;

		snprintf(want, sizeof(want), "%s", o->cipher);
		for (char *p = want; *p != '\0'; p++)
			if (*p == '-')
				*p = '_';
		if (SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") == 1 &&
		    (all = SSL_CTX_get_ciphers(ctx)) != NULL)
			for (int i = 0; i < sk_SSL_CIPHER_num(all) && found == NULL; i++) {
				const SSL_CIPHER *ci = sk_SSL_CIPHER_value(all, i);
				const char *std = SSL_CIPHER_standard_name(ci);

				if ((std != NULL && strcmp(std, want) == 0) ||
				    strcmp(SSL_CIPHER_get_name(ci), o->cipher) == 0)
					found = SSL_CIPHER_get_name(ci);
			}
		if (found == NULL || SSL_CTX_set_cipher_list(ctx, found) != 1) {
			fprintf(stderr, "p2sload: OpenSSL has no cipher suite %s\n", o->cipher);
			return -2;
		}
	}
	{
		static const char *const map[][2] = {
			{ "x25519", "X25519" }, { "secp256r1", "P-256" },
			{ "secp384r1", "P-384" }, { "secp521r1", "P-521" },
		};
		const char *groups = o->curve == NULL ? "X25519:P-256:P-384" : NULL;

		for (size_t i = 0; groups == NULL && i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(o->curve, map[i][0]) == 0)
				groups = map[i][1];
		if (groups == NULL || SSL_CTX_set1_groups_list(ctx, groups) != 1) {
			fprintf(stderr, "p2sload: OpenSSL: unknown curve %s\n", o->curve);
			return -2;
		}
	}
	return 0;
}

static void
tls_teardown(struct pl_run *r)
{
	if (r->ossl_sess != NULL)
		SSL_SESSION_free(r->ossl_sess);
	if (r->ossl != NULL)
		SSL_CTX_free(r->ossl);
	mbedtls_ssl_session_free(&r->sess);
	mbedtls_x509_crt_free(&r->ca);
	mbedtls_ssl_config_free(&r->conf);
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->entropy);
}

/* ------------------------------------------------------------------ */
/* Mode drivers                                                         */

static void run_end(struct pl_run *r);

static int
is_session_mode(const struct pl_run *r)
{
	return r->o->mode == MODE_SESSIONS || r->o->mode == MODE_STORM ||
	    r->o->mode == MODE_THROUGHPUT;
}

static void
set_phase_timer(struct pl_run *r, double secs)
{
	struct timeval tv;

	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	evtimer_add(r->ev_phase, &tv);
}

/* sessions --setup-limit: the time to start sessions is over */
static int
setup_limited(const struct pl_run *r)
{
	return r->o->mode == MODE_SESSIONS && r->o->setup_limit > 0 &&
	    pl_now() - r->t0 >= r->o->setup_limit;
}

/* Start sessions until --concurrency are being set up or all N started. */
static void
start_more(struct pl_run *r)
{
	static int busy;

	if (busy)
		return;         /* a synchronous failure re-entered us */
	busy = 1;
	while (r->phase == PH_SETUP && !r->stopping && r->started < r->o->n &&
	    r->in_setup < r->o->concurrency && !setup_limited(r)) {
		struct pl_conn *c = &r->conns[r->started++];

		r->in_setup++;
		(void)conn_start(c);
	}
	busy = 0;
}

static void
setup_done(struct pl_run *r)
{
	const struct pl_opts *o = r->o;
	long k = 0;

	/* all N set up or failed; with --setup-limit past, all that were started */
	if (r->phase != PH_SETUP || r->up + r->failed < (setup_limited(r) ? r->started : o->n))
		return;
	r->t_setup_done = pl_now();
	fprintf(stderr, "ESTABLISHED %ld %ld %.3f\n", r->up, r->failed, r->t_setup_done - r->t0);
	fflush(stderr);
	r->t_phase = pl_now();
	if (o->mode == MODE_SESSIONS && o->hold > 0) {
		r->phase = PH_HOLD;
		for (int i = 0; i < r->nconns; i++) {
			struct pl_conn *c = &r->conns[i];

			if (c->c_state != PC_UP)
				continue;
			/* spread evenly over one interval */
			conn_tick_in(c, o->echo_interval * (double)k / (double)(r->up ? r->up : 1));
			k++;
		}
		set_phase_timer(r, o->hold);
	} else if (o->mode == MODE_THROUGHPUT) {
		r->phase = PH_PUMP;
		for (int i = 0; i < r->nconns; i++) {
			struct pl_conn *c = &r->conns[i];

			if (c->c_state != PC_UP)
				continue;
			c->c_last_rx = pl_now();
			if (sess_pump(c) != 0 || conn_flush(c) != 0)
				continue;
			conn_io_update(c);
			conn_tick_in(c, PUMP_TICK);
		}
		set_phase_timer(r, o->duration);
	} else {
		run_end(r);
	}
}

/* Nothing in flight any more: echo requests answered, packets back. */
static int
drained(const struct pl_run *r)
{
	for (int i = 0; i < r->nconns; i++) {
		const struct pl_conn *c = &r->conns[i];

		if (c->c_state == PC_UP && (c->c_echo_n > 0 || c->c_inflight > 0))
			return 0;
	}
	return 1;
}

static void
on_phase(evutil_socket_t fd, short what, void *arg)
{
	struct pl_run *r = arg;

	if (r->phase == PH_SETUP && is_session_mode(r)) {
		/* after the priming handshake of --resume */
		r->t0 = pl_now();
		start_more(r);
		return;
	}
	if (r->phase == PH_PUMP || r->phase == PH_HOLD) {
		/* stop sending; give what is in flight a moment to come back */
		if (r->phase == PH_PUMP) {
			r->phase_pump_s = pl_now() - r->t_phase;
			r->pk_echoed_window = r->pk_echoed;
			r->bytes_window = 0;
			for (int i = 0; i < r->nconns; i++) {
				r->conns[i].c_bytes_window = r->conns[i].c_bytes;
				r->bytes_window += r->conns[i].c_bytes;
			}
		}
		r->phase = PH_DRAIN;
		r->t_phase = pl_now();
	}
	/* echo answers may be late under load: wait up to one step timeout */
	if (r->phase == PH_DRAIN && !drained(r) &&
	    pl_now() - r->t_phase < (r->o->mode == MODE_SESSIONS ? r->o->step_s : DRAIN_MAX)) {
		set_phase_timer(r, 0.01);
		return;
	}
	run_end(r);
}

static void
run_end(struct pl_run *r)
{
	if (r->phase == PH_DONE)
		return;
	r->phase = PH_DONE;
	r->stopping = 1;
	event_base_loopbreak(r->base);
}

void
run_tls_done(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;

	if (r->priming) {
		conn_close(c, NULL);    /* run_conn_closed() starts the real run */
		return;
	}
	if (r->o->mode == MODE_HANDSHAKE) {
		r->handshakes++;
		samples_add(&r->lat, (pl_now() - c->c_t_start) * 1000.0);
		conn_close(c, NULL);
		return;
	}
	(void)sess_tls_done(c);
}

void
run_session_up(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;

	if (!is_session_mode(r))
		return;
	r->up++;
	r->in_setup--;
	samples_add(&r->lat, (pl_now() - c->c_t_start) * 1000.0);
	start_more(r);
	setup_done(r);
}

void
run_conn_closed(struct pl_conn *c, enum pc_state was, const char *reason)
{
	struct pl_run *r = c->c_run;

	if (r->stopping)
		return;
	if (r->priming) {
		/* one full handshake gave us a session to resume; now the run */
		r->priming = 0;
		if (reason != NULL)
			pl_error(r, "priming handshake: %s", reason);
		/* not from here: this very connection is still unwinding */
		set_phase_timer(r, 0);
		return;
	}
	switch (r->o->mode) {
	case MODE_HANDSHAKE:
		if (reason != NULL) {
			r->hs_failures++;
			pl_error(r, "%s", reason);
		}
		conn_schedule_restart(c, reason != NULL ? 0.01 : 0);
		return;
	case MODE_ABUSE:
		switch (c->c_end) {
		case END_BY_US:
			r->ab_by_client++;
			break;
		case END_FIN:
			r->ab_fin++;
			break;
		case END_NOTIFY:
			r->ab_fin++;
			r->ab_notify++;
			break;
		case END_RST:
			r->ab_rst++;
			break;
		case END_ALERT:
			r->ab_alert++;
			break;
		default:
			if (reason != NULL)
				pl_error(r, "%s", reason);
			break;
		}
		conn_schedule_restart(c, was == PC_CONNECTING && r->o->reconnect_s < 0.05 ? 0.05 :
		    r->o->reconnect_s);
		return;
	default:
		break;
	}
	/* session modes */
	if (was != PC_UP) {
		r->failed++;
		r->in_setup--;
		pl_error(r, "%s", reason != NULL ? reason : "closed during setup");
		start_more(r);
		setup_done(r);
		return;
	}
	if (reason != NULL) {
		r->lost_hold++;
		pl_error(r, "%s", reason);
	}
}

void
run_tick(struct pl_conn *c)
{
	struct pl_run *r = c->c_run;
	const struct pl_opts *o = r->o;

	switch (o->mode) {
	case MODE_SESSIONS:
		if (r->phase != PH_HOLD)
			return;
		if (sess_send_echo(c) == 0 && c->c_state == PC_UP)
			conn_tick_in(c, o->echo_interval);
		return;
	case MODE_THROUGHPUT:
		if (r->phase == PH_PUMP) {
			if (c->c_inflight > 0 && pl_now() - c->c_last_rx > 1.0) {
				c->c_inflight = 0;      /* lost; counted by sent - echoed */
				c->c_last_rx = pl_now();
			}
			if (sess_pump(c) != 0 || conn_flush(c) != 0)
				return;
			conn_tick_in(c, PUMP_TICK);
		}
		return;
	case MODE_ABUSE:
		abuse_tick(c);
		return;
	default:
		return;
	}
}

/* ------------------------------------------------------------------ */
/* Report                                                               */

static void
report(struct pl_run *r, double elapsed)
{
	const struct pl_opts *o = r->o;
	double up_s = r->t_setup_done > 0 ? r->t_setup_done - r->t0 : elapsed;

	report_begin(o->json);
	report_str("mode", mode_names[o->mode]);
	switch (o->mode) {
	case MODE_HANDSHAKE:
		report_int("handshakes", r->handshakes);
		report_int("resumed", r->resumed);
		report_int("failures", r->hs_failures);
		report_dbl("duration_s", elapsed, 3);
		report_dbl("handshakes_per_s", (double)r->handshakes / elapsed, 1);
		report_dbl("latency_ms_p50", samples_pct(&r->lat, 50), 2);
		report_dbl("latency_ms_p99", samples_pct(&r->lat, 99), 2);
		break;
	case MODE_SESSIONS:
		report_int("sessions_up", r->up);
		report_int("sessions_failed", r->failed);
		report_dbl("setup_seconds", up_s, 3);
		report_dbl("sessions_per_s", up_s > 0 ? (double)r->up / up_s : 0, 1);
		report_dbl("setup_ms_p50", samples_pct(&r->lat, 50), 2);
		report_dbl("setup_ms_p99", samples_pct(&r->lat, 99), 2);
		report_int("tls_resumed", r->resumed);
		report_int("echo_sent", r->echo_sent);
		report_int("echo_answered", r->echo_answered);
		report_dbl("echo_rtt_ms_p50", samples_pct(&r->rtt, 50), 3);
		report_dbl("echo_rtt_ms_p99", samples_pct(&r->rtt, 99), 3);
		report_dbl("echo_rtt_ms_max", samples_max(&r->rtt), 3);
		report_int("sessions_lost_during_hold", r->lost_hold);
		if (o->setup_limit > 0)
			report_int("sessions_not_started", o->n - r->started);
		break;
	case MODE_STORM:
		report_int("clients", o->n);
		report_int("established", r->up);
		report_int("failed", r->failed);
		report_int("tls_resumed", r->resumed);
		report_dbl("all_established_s", up_s, 3);
		report_dbl("setup_ms_p50", samples_pct(&r->lat, 50), 2);
		report_dbl("setup_ms_p99", samples_pct(&r->lat, 99), 2);
		break;
	case MODE_THROUGHPUT: {
		double pump_s = r->phase_pump_s;
		long echoed_in_window = r->pk_echoed_window;

		report_int("sessions", r->up);
		report_int("sessions_failed", r->failed);
		report_str("proto", o->icmp ? "icmp" : "udp");
		report_int("size", o->size);
		report_dbl("duration_s", pump_s, 3);
		report_int("packets_sent", r->pk_sent);
		report_int("packets_echoed", r->pk_echoed);
		report_dbl("loss_pct", r->pk_sent > 0 ?
		    100.0 * (double)(r->pk_sent - r->pk_echoed) / (double)r->pk_sent : 0, 3);
		report_dbl("payload_mbit_s_each_way", pump_s > 0 ?
		    (double)echoed_in_window * (double)o->size * 8.0 / pump_s / 1e6 : 0, 2);
		report_dbl("packets_per_s", pump_s > 0 ? (double)echoed_in_window / pump_s : 0, 1);
		if (!o->icmp) {
			/* the data each session delivered, and Jain's fairness index over them */
			double sum = 0, sq = 0;
			long n = 0;
			for (int i = 0; i < r->nconns; i++) {
				if (r->conns[i].c_state != PC_UP && r->conns[i].c_bytes_window == 0)
					continue;
				double x = (double)r->conns[i].c_bytes_window;
				sum += x;
				sq += x * x;
				n++;
			}
			report_str("dir", o->dir == PL_DIR_UP ? "up" : o->dir == PL_DIR_DOWN ? "down" : "both");
			report_dbl("data_mbit_s", pump_s > 0 ? (double)r->bytes_window * 8.0 / pump_s / 1e6 : 0,
			    2);
			report_dbl("jain_index", n > 0 && sq > 0 ? sum * sum / ((double)n * sq) : 0, 3);
		}
		report_int("sessions_lost_during_hold", r->lost_hold);
		break;
	}
	case MODE_ABUSE:
		report_str("kind", kind_names[o->abuse]);
		report_int("clients", o->n);
		report_int("connections", r->tcp_ok);
		report_int("ended_rst", r->ab_rst);
		report_int("ended_fin", r->ab_fin);
		report_int("ended_close_notify", r->ab_notify);
		report_int("ended_alert", r->ab_alert);
		report_int("closed_by_client", r->ab_by_client);
		report_int("still_open", r->still_open);
		break;
	}
	report_int("tcp_connect_failures", r->tcp_fail);
	report_end(r);
}

/* ------------------------------------------------------------------ */

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	static struct pl_run run;
	struct pl_run *r = &run;
	struct pl_opts o;
	int rc = PL_EX_OK, n, ret;
	double elapsed;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage();
		return PL_EX_OK;
	}
	if (parse_args(argc, argv, &o) != 0) {
		usage();
		return PL_EX_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	r->o = &o;
	if ((ret = tls_setup(r)) != 0 || (o.openssl && (ret = ossl_setup(r)) != 0)) {
		tls_teardown(r);
		return ret == -2 ? PL_EX_USAGE : PL_EX_RUN;
	}
	if (o.mode == MODE_ABUSE && abuse_capture_clienthello(r) != 0) {
		fprintf(stderr, "p2sload: cannot build a ClientHello\n");
		tls_teardown(r);
		return PL_EX_RUN;
	}
	r->base = event_base_new();
	r->ev_phase = r->base ? evtimer_new(r->base, on_phase, r) : NULL;
	if (r->ev_phase == NULL) {
		fprintf(stderr, "p2sload: libevent setup failed\n");
		rc = PL_EX_RUN;
		goto out;
	}
	n = (int)(o.mode == MODE_HANDSHAKE ? o.concurrency : o.n);
	r->conns = calloc((size_t)n, sizeof(*r->conns));
	if (r->conns == NULL) {
		fprintf(stderr, "p2sload: out of memory\n");
		rc = PL_EX_RUN;
		goto out;
	}
	for (r->nconns = 0; r->nconns < n; r->nconns++)
		if (conn_init(r, &r->conns[r->nconns], r->nconns) != 0) {
			fprintf(stderr, "p2sload: out of memory\n");
			rc = PL_EX_RUN;
			goto out;
		}
	r->src_next = o.src_first;
	r->t0 = pl_now();
	r->phase = PH_SETUP;
	if (is_session_mode(r) && o.resume) {
		/* a session to resume, so that even the first wave resumes */
		r->priming = 1;
		(void)conn_start(&r->conns[0]);
	} else if (is_session_mode(r)) {
		start_more(r);
	} else {
		for (int i = 0; i < r->nconns; i++)
			(void)conn_start(&r->conns[i]);
		set_phase_timer(r, o.duration);
	}
	if (r->phase != PH_DONE)
		event_base_dispatch(r->base);
	elapsed = pl_now() - r->t0;
	if (o.mode == MODE_HANDSHAKE)
		elapsed = o.duration < elapsed ? o.duration : elapsed;
	r->stopping = 1;
	for (int i = 0; i < r->nconns; i++) {
		struct pl_conn *c = &r->conns[i];

		if (c->c_state != PC_IDLE && c->c_state != PC_CONNECTING)
			r->still_open++;
		if (c->c_state == PC_UP)
			(void)sess_disconnect(c);
		conn_close(c, NULL);
	}
	report(r, elapsed);
	if (r->tcp_ok == 0 && r->tcp_fail > 0) {
		fprintf(stderr, "p2sload: could not connect at all\n");
		rc = PL_EX_RUN;
	}
out:
	for (int i = 0; i < r->nconns; i++)
		conn_free(&r->conns[i]);
	free(r->conns);
	if (r->ev_phase != NULL)
		event_free(r->ev_phase);
	if (r->base != NULL)
		event_base_free(r->base);
	samples_free(&r->lat);
	samples_free(&r->rtt);
	tls_teardown(r);
	libevent_global_shutdown();
	return rc;
}
