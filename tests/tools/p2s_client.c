/*
 * p2s_client.c - blocking single-connection SSTP + PPP client used as the
 * test oracle of the p2sgw integration tests.  Independent of the server's
 * code: written from [MS-SSTP], RFC 1661/1332/1877, RFC 2759/3079, RFC 5216.
 *
 * One line per step on stdout; exit codes in p2s.h (0 ok, 1 other, 2 TLS/HTTP,
 * 3 auth, 4 SSTP abort/NAK/disconnect from the server, 5 a check failed).
 */
#include "p2s.h"
#include "p2s_crypto.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char USAGE[] =
"usage: p2s_client --connect HOST:PORT [--servername HOST] --ca ROOT.pem\n"
"         (--user U --password P | --cert CLIENT.pem --key CLIENT.key [--identity NAME])\n"
"         [--auth mschapv2|eap-tls] [--hash sha256|sha1]\n"
"         [--ping A.B.C.D ...] [--dns NAME@A.B.C.D] [--udp-echo A.B.C.D]\n"
"         [--bad-binding nonce|certhash|mac] [--hlak16] [--hold SECONDS]\n"
"         [--no-call-connected] [--tls-version 1.0|1.1|1.2] [--eap-tls-version 1.0|1.1|1.2]\n"
"       p2s_client --self-test\n";

void
out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("p2s_client: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Print the step's failure line; the first failure decides the exit code. */
int
fail(struct cli *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (c->rc == EX_OK)
		c->rc = code;
	return -1;
}

static int
usage(const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "p2s_client: %s\n", msg);
	fputs(USAGE, stderr);
	return EX_OTHER;
}

static int
parse_int(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return (errno != 0 || end == s || *end != '\0' || *v < lo || *v > hi) ? -1 : 0;
}

static int
parse_args(int argc, char **argv, struct opts *o, char *hostbuf, size_t hostcap)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;

		if (strcmp(a, "--hlak16") == 0) {
			o->hlak16 = 1;
			takes = 0;
		} else if (strcmp(a, "--no-call-connected") == 0) {
			o->no_call_connected = 1;
			takes = 0;
		} else if (v == NULL) {
			fprintf(stderr, "p2s_client: %s needs a value\n", a);
			return -1;
		} else if (strcmp(a, "--connect") == 0) {
			const char *colon = strrchr(v, ':');
			size_t hl;

			if (colon == NULL || colon == v || colon[1] == '\0')
				return -1;
			hl = (size_t)(colon - v);
			if (v[0] == '[' && hl >= 2 && v[hl - 1] == ']') {
				v++;
				hl -= 2;
			}
			if (hl >= hostcap)
				return -1;
			memcpy(hostbuf, v, hl);
			hostbuf[hl] = '\0';
			o->host = hostbuf;
			o->port = colon + 1;
		} else if (strcmp(a, "--servername") == 0) {
			o->servername = v;
		} else if (strcmp(a, "--ca") == 0) {
			o->ca = v;
		} else if (strcmp(a, "--user") == 0) {
			o->user = v;
		} else if (strcmp(a, "--password") == 0) {
			o->password = v;
		} else if (strcmp(a, "--cert") == 0) {
			o->cert = v;
		} else if (strcmp(a, "--key") == 0) {
			o->key = v;
		} else if (strcmp(a, "--identity") == 0) {
			o->identity = v;
		} else if (strcmp(a, "--auth") == 0) {
			if (strcmp(v, "mschapv2") == 0)
				o->auth = AUTH_MSCHAPV2;
			else if (strcmp(v, "eap-tls") == 0)
				o->auth = AUTH_EAPTLS;
			else
				return -1;
		} else if (strcmp(a, "--hash") == 0) {
			if (strcmp(v, "sha256") == 0)
				o->hash = P2S_HASH_SHA256;
			else if (strcmp(v, "sha1") == 0)
				o->hash = P2S_HASH_SHA1;
			else
				return -1;
		} else if (strcmp(a, "--ping") == 0) {
			/* --ping A [B ...]: every following non-option word */
			if (o->nping >= MAX_CHECKS)
				return -1;
			o->ping[o->nping++] = v;
			while (i + 2 < argc && argv[i + 2][0] != '-') {
				if (o->nping >= MAX_CHECKS)
					return -1;
				o->ping[o->nping++] = argv[i + 2];
				i++;
			}
		} else if (strcmp(a, "--dns") == 0) {
			if (o->ndns >= MAX_CHECKS)
				return -1;
			o->dns[o->ndns++] = v;
		} else if (strcmp(a, "--udp-echo") == 0) {
			if (o->nudp >= MAX_CHECKS)
				return -1;
			o->udp[o->nudp++] = v;
		} else if (strcmp(a, "--bad-binding") == 0) {
			if (strcmp(v, "nonce") == 0)
				o->bad_binding = 'n';
			else if (strcmp(v, "certhash") == 0)
				o->bad_binding = 'c';
			else if (strcmp(v, "mac") == 0)
				o->bad_binding = 'm';
			else
				return -1;
		} else if (strcmp(a, "--hold") == 0) {
			long h;

			if (parse_int(v, 0, 86400, &h) != 0)
				return -1;
			o->hold = (int)h;
		} else if (strcmp(a, "--tls-version") == 0 || strcmp(a, "--eap-tls-version") == 0) {
			int *minor = strcmp(a, "--eap-tls-version") == 0 ? &o->eap_tls_minor :
			    &o->tls_minor;

			if (strcmp(v, "1.0") == 0)
				*minor = MBEDTLS_SSL_MINOR_VERSION_1;
			else if (strcmp(v, "1.1") == 0)
				*minor = MBEDTLS_SSL_MINOR_VERSION_2;
			else if (strcmp(v, "1.2") == 0)
				*minor = MBEDTLS_SSL_MINOR_VERSION_3;
			else
				return -1;
		} else {
			fprintf(stderr, "p2s_client: unknown option %s\n", a);
			return -1;
		}
		i += takes;
	}
	if (o->host == NULL || o->ca == NULL)
		return -1;
	if (o->auth == AUTH_NONE)
		o->auth = o->cert != NULL ? AUTH_EAPTLS : AUTH_MSCHAPV2;
	if (o->auth == AUTH_MSCHAPV2 && (o->user == NULL || o->password == NULL))
		return -1;
	if (o->auth == AUTH_EAPTLS && (o->cert == NULL || o->key == NULL))
		return -1;
	return 0;
}

static int
run(struct cli *c)
{
	const struct opts *o = c->o;
	int checks_failed = 0;

	if (conn_open(c) != 0 || conn_http(c) != 0)
		return -1;
	if (sstp_connect(c) != 0 || lcp_negotiate(c) != 0)
		return -1;
	if (c->peer_auth == AUTH_NONE)
		return fail(c, EX_AUTH, "auth: failed server requested no authentication");
	if (c->peer_auth != o->auth)
		return fail(c, EX_AUTH, "auth: failed server insisted on %s",
		    c->peer_auth == AUTH_EAPTLS ? "eap" : "mschapv2");
	if ((o->auth == AUTH_MSCHAPV2 ? auth_mschapv2(c) : auth_eaptls(c)) != 0)
		return -1;
	if (o->no_call_connected)
		out("sstp: call-connected skipped");
	else if (sstp_call_connected(c) != 0)
		return -1;
	if (ipcp_negotiate(c) != 0)
		return -1;
	for (int i = 0; i < o->nping; i++) {
		int r = ip_ping(c, o->ping[i]);

		if (r < 0)
			return -1;
		checks_failed += r;
	}
	for (int i = 0; i < o->nudp; i++) {
		int r = ip_udp_echo(c, o->udp[i]);

		if (r < 0)
			return -1;
		checks_failed += r;
	}
	for (int i = 0; i < o->ndns; i++) {
		int r = ip_dns(c, o->dns[i]);

		if (r < 0)
			return -1;
		checks_failed += r;
	}
	if (o->hold > 0 && hold_session(c, o->hold) != 0)
		return -1;
	if (sstp_disconnect(c) != 0)
		return -1;
	if (checks_failed > 0) {
		c->rc = EX_CHECK;
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct cli cli;
	struct opts o;
	char host[256];
	int ret;

	if (argc == 2 && strcmp(argv[1], "--self-test") == 0)
		return p2s_self_test();
	if (parse_args(argc, argv, &o, host, sizeof(host)) != 0)
		return usage(NULL);
	signal(SIGPIPE, SIG_IGN);

	cli.o = &o;
	mbedtls_net_init(&cli.net);
	mbedtls_entropy_init(&cli.entropy);
	mbedtls_ctr_drbg_init(&cli.drbg);
	mbedtls_ssl_config_init(&cli.conf);
	mbedtls_ssl_init(&cli.ssl);
	mbedtls_x509_crt_init(&cli.ca);
	if ((ret = mbedtls_ctr_drbg_seed(&cli.drbg, mbedtls_entropy_func, &cli.entropy,
	    (const unsigned char *)"p2s_client", 10)) != 0) {
		diag("ctr_drbg_seed -0x%04X", (unsigned)-ret);
		return EX_OTHER;
	}

	if (run(&cli) != 0 && cli.rc == EX_OK)
		cli.rc = EX_OTHER;
	if (cli.rc != EX_OK && cli.rc != EX_CHECK && !cli.closed && cli.net.fd >= 0)
		(void)mbedtls_ssl_close_notify(&cli.ssl);
	conn_close(&cli);
	mbedtls_ctr_drbg_free(&cli.drbg);
	mbedtls_entropy_free(&cli.entropy);
	out("exit: %d", cli.rc);
	return cli.rc;
}
