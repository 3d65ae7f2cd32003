/*
 * Lab PKI: chains made by pki_ensure() checked with mbedTLS's own X.509
 * verifier (and once with the openssl binary), the variants, the lifecycle
 * of the state directory, concurrency, errors and pki_show().
 *
 * Every test gets its own mkdtemp state directory. EC P-256 keeps them
 * fast; one test makes an RSA-2048 chain.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "pki/pki.h"
#include "pki/pki_int.h" /* pki_key_ids_link, pki_issued_by */

#define HOST "azuregateway-7d2a1c3e-0b4f-4f8e-9c61-2f1b5a0d9e77.vpn.azure.com"

struct fixture {
	char dir[64];
	char err[1024];
};

/* ---- helpers ---- */

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
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/p2sgw-test-pki-XXXXXX");
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

	chmod(fx->dir, 0700);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void
spec(struct pki_ca_spec *s, const char *subject, enum pki_key_type k, int days)
{
	snprintf(s->subject, sizeof(s->subject), "%s", subject);
	s->key = k;
	s->md = MBEDTLS_MD_SHA256;
	s->backdate_days = 1;
	s->days = days;
}

/* A DigiCert-shaped server chain with n_int intermediates, all of key type k. */
static void
profile(struct pki_profile *p, const char *name, size_t n_int, enum pki_key_type k)
{
	static const char *const ints[] = {
		"C=US, O=DigiCert Inc, CN=DigiCert SHA2 Secure Server CA",
		"C=US, O=p2sgw lab, CN=p2sgw Issuing CA 2",
		"C=US, O=p2sgw lab, CN=p2sgw Issuing CA 3",
	};
	size_t i;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->description, sizeof(p->description), "test chain");
	p->purpose = PKI_PURPOSE_SERVER;
	spec(&p->root, "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert Global Root CA",
	    k, 9000);
	for (i = 0; i < n_int; i++)
		spec(&p->intermediates[i], ints[i], k, 3650);
	p->n_intermediates = n_int;
	spec(&p->leaf, "C=US, ST=Washington, L=Redmond, O=Microsoft Corporation, CN={hostname}",
	    k, 365);
}

static void
request(struct pki_leaf_request *q, enum pki_variant v, time_t clock)
{
	memset(q, 0, sizeof(*q));
	q->hostname = HOST;
	q->variant = v;
	q->clock = clock;
}

static void
ensure_ok(struct fixture *fx, const struct pki_profile *p, const struct pki_leaf_request *q,
          struct pki_chain *out)
{
	int rc;

	fx->err[0] = '\0';
	rc = pki_ensure(fx->dir, p, q, out, fx->err, sizeof(fx->err));
	if (rc != 0)
		fail_msg("pki_ensure: %s", fx->err);
}

static void
load_crt(mbedtls_x509_crt *crt, const char *path)
{
	int ret;

	mbedtls_x509_crt_init(crt);
	if ((ret = mbedtls_x509_crt_parse_file(crt, path)) != 0)
		fail_msg("cannot parse %s: -0x%04x", path, (unsigned)-ret);
}

/* Verify the served chain against root.crt with host as the name to check. */
static uint32_t
verify(struct pki_chain *c, const char *host, const mbedtls_x509_crt_profile *prof)
{
	mbedtls_x509_crt root;
	uint32_t flags = 0;

	load_crt(&root, c->root_path);
	(void)mbedtls_x509_crt_verify_with_profile(&c->chain, &root, NULL,
	    prof != NULL ? prof : &mbedtls_x509_crt_profile_default, host, &flags, NULL, NULL);
	mbedtls_x509_crt_free(&root);
	return flags;
}

static size_t
chain_length(const mbedtls_x509_crt *c)
{
	size_t n = 0;

	for (; c != NULL && c->raw.p != NULL; c = c->next)
		n++;
	return n;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
path_in(char *buf, size_t len, const struct fixture *fx, const char *prof, const char *file)
{
	snprintf(buf, len, "%s/pki/%s/%s", fx->dir, prof, file);
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The leaf file that goes with a chain path: chain-X.pem -> leaf-X.crt. */
static void
leaf_path(const struct pki_chain *c, char *buf, size_t len)
{
	const char *base = strrchr(c->chain_path, '/') + 1;

	snprintf(buf, len, "%.*sleaf-%.*s.crt", (int)(base - c->chain_path), c->chain_path,
	    (int)(strlen(base) - strlen("chain-") - strlen(".pem")), base + strlen("chain-"));
}

/* A snapshot of a directory: names, sizes and mtimes, one line each. */
static char *
snapshot(const char *dir)
{
	struct dirent **list;
	struct stat st;
	char path[512], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n, i;

	assert_non_null(f);
	n = scandir(dir, &list, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (list[i]->d_name[0] != '.' && stat(path, &st) == 0)
			fprintf(f, "%s %lld %lld.%09ld\n", list[i]->d_name, (long long)st.st_size,
			    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		free(list[i]);
	}
	free(list);
	fclose(f);
	return buf;
}

/* ---- tests ---- */

static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = PKI_KEY_RSA2048; i <= PKI_KEY_EC_P384; i++)
		assert_int_equal(pki_key_type_from_name(pki_key_type_name(i)), i);
	for (i = PKI_VARIANT_VALID; i <= PKI_VARIANT_NO_SERVER_AUTH_EKU; i++)
		assert_int_equal(pki_variant_from_name(pki_variant_name(i)), i);
	assert_string_equal(pki_key_type_name(PKI_KEY_EC_P256), "ec-p256");
	assert_string_equal(pki_key_type_name(PKI_KEY_RSA4096), "rsa4096");
	assert_string_equal(pki_variant_name(PKI_VARIANT_NO_SERVER_AUTH_EKU),
	    "no-server-auth-eku");
	assert_string_equal(pki_variant_name(PKI_VARIANT_MISSING_INTERMEDIATE),
	    "missing-intermediate");
	assert_int_equal(pki_key_type_from_name("rsa1024"), -1);
	assert_int_equal(pki_key_type_from_name(NULL), -1);
	assert_int_equal(pki_variant_from_name("Valid"), -1);
}

static void
test_valid_chain_ec(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	mbedtls_x509_crt root, file_chain;
	const mbedtls_x509_crt *leaf, *i2, *i1;
	char path[512], dn[256];
	struct stat st;

	profile(&p, "ec-two", 2, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_VALID, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);

	assert_int_equal(chain_length(&c.chain), 3);
	assert_int_equal(verify(&c, HOST, NULL), 0);
	assert_int_equal(c.key_type, PKI_KEY_EC_P256);
	assert_int_equal(mbedtls_pk_check_pair(&c.chain.pk, &c.key), 0);
	assert_non_null(strstr(c.leaf_subject, "CN=" HOST));
	assert_string_equal(c.root_subject,
	    "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert Global Root CA");

	/* Leaf: v3, 16-byte serial, CA:FALSE, digitalSignature, serverAuth, SAN. */
	leaf = &c.chain;
	assert_int_equal(leaf->version, 3);
	assert_int_equal(leaf->serial.len, 16);
	assert_int_equal(leaf->ca_istrue, 0);
	assert_int_equal(leaf->sig_md, MBEDTLS_MD_SHA256);
	assert_int_equal(mbedtls_x509_crt_check_key_usage(leaf, MBEDTLS_X509_KU_DIGITAL_SIGNATURE), 0);
	assert_int_not_equal(mbedtls_x509_crt_check_key_usage(leaf, MBEDTLS_X509_KU_KEY_ENCIPHERMENT), 0);
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(leaf, MBEDTLS_OID_SERVER_AUTH,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)), 0);
	assert_int_equal(leaf->subject_alt_names.buf.len, strlen(HOST));
	assert_memory_equal(leaf->subject_alt_names.buf.p, HOST, strlen(HOST));
	assert_null(leaf->subject_alt_names.next);

	/* Served order: leaf, then the issuing CA, then the one above it. */
	i2 = leaf->next;
	i1 = i2->next;
	assert_true(mbedtls_x509_dn_gets(dn, sizeof(dn), &i2->subject) > 0);
	assert_string_equal(dn, "C=US, O=p2sgw lab, CN=p2sgw Issuing CA 2");
	assert_true(i1->ca_istrue && i2->ca_istrue);
	assert_int_equal(i2->max_pathlen, 1); /* pathLen 0: mbedTLS stores +1 */
	assert_int_equal(i1->max_pathlen, 2);
	assert_int_equal(mbedtls_x509_crt_check_key_usage(i1,
	    MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN), 0);

	load_crt(&root, c.root_path);
	assert_true(root.ca_istrue);
	assert_int_equal(mbedtls_x509_crt_check_key_usage(&root, MBEDTLS_X509_KU_KEY_CERT_SIGN), 0);
	mbedtls_x509_crt_free(&root);

	/* The chain file holds the same certificates as the loaded chain. */
	load_crt(&file_chain, c.chain_path);
	assert_int_equal(chain_length(&file_chain), 3);
	assert_int_equal(file_chain.raw.len, c.chain.raw.len);
	assert_memory_equal(file_chain.raw.p, c.chain.raw.p, c.chain.raw.len);
	mbedtls_x509_crt_free(&file_chain);

	/* Private keys are 0600; the name of the leaf says what it is. */
	path_in(path, sizeof(path), fx, "ec-two", "root.key");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	path_in(path, sizeof(path), fx, "ec-two", "leaf-ec-p256.key");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(strstr(c.chain_path, "/pki/ec-two/chain-valid-ec-p256-"));
	leaf_path(&c, path, sizeof(path));
	assert_true(file_exists(path));

	pki_chain_free(&c);
	pki_chain_free(&c); /* safe twice */
}

static void
test_rsa2048_chain_and_openssl(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	struct timespec t0;
	char cmd[2048], leaf[512];
	double ms;
	int st;

	profile(&p, "rsa", 1, PKI_KEY_RSA2048);
	request(&q, PKI_VARIANT_VALID, time(NULL));
	pki_chain_init(&c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ensure_ok(fx, &p, &q, &c);
	ms = ms_since(&t0);
	print_message("RSA-2048 chain (3 keys, 3 certificates) created in %.0f ms\n", ms);

	assert_int_equal(c.key_type, PKI_KEY_RSA2048);
	assert_int_equal(mbedtls_pk_get_bitlen(&c.chain.pk), 2048);
	assert_int_equal(chain_length(&c.chain), 2);
	assert_int_equal(verify(&c, HOST, NULL), 0);
	assert_int_equal(mbedtls_x509_crt_check_key_usage(&c.chain,
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT), 0);

	/* An independent verifier agrees, strict mode, as a TLS server cert. */
	leaf_path(&c, leaf, sizeof(leaf));
	snprintf(cmd, sizeof(cmd), "openssl verify -x509_strict -purpose sslserver "
	    "-verify_hostname '%s' -CAfile '%s' -untrusted '%s' '%s' >/dev/null 2>&1",
	    HOST, c.root_path, c.chain_path, leaf);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 127)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);

	/* ... and rejects the wrong name. */
	snprintf(cmd, sizeof(cmd), "openssl verify -verify_hostname other.example "
	    "-CAfile '%s' -untrusted '%s' '%s' >/dev/null 2>&1", c.root_path, c.chain_path, leaf);
	st = system(cmd);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	pki_chain_free(&c);
}

static void
test_wrong_host(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_WRONG_HOST, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	assert_int_equal(verify(&c, HOST, NULL), MBEDTLS_X509_BADCERT_CN_MISMATCH);
	assert_int_equal(verify(&c, "wrong-host.p2sgw.invalid", NULL), 0);
	assert_non_null(strstr(c.leaf_subject, "CN=wrong-host.p2sgw.invalid"));
	assert_non_null(strstr(c.chain_path, "chain-wrong-host-ec-p256-"));
	pki_chain_free(&c);
}

static void
test_expired(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	time_t now = time(NULL);
	struct tm tm;

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_EXPIRED, now); /* mbedTLS checks against the real time */
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	assert_int_equal(verify(&c, HOST, NULL), MBEDTLS_X509_BADCERT_EXPIRED);
	/* Clearly expired: notAfter at least a day before the clock. */
	now -= 86400;
	gmtime_r(&now, &tm);
	assert_true(c.chain.valid_to.year * 10000 + c.chain.valid_to.mon * 100 +
	    c.chain.valid_to.day < (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
	pki_chain_free(&c);
}

static void
test_not_yet_valid(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_NOT_YET_VALID, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	assert_int_equal(verify(&c, HOST, NULL), MBEDTLS_X509_BADCERT_FUTURE);
	pki_chain_free(&c);
}

static void
test_sha1(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	mbedtls_x509_crt_profile legacy = mbedtls_x509_crt_profile_default;

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_SHA1, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	assert_int_equal(c.chain.sig_md, MBEDTLS_MD_SHA1);
	assert_int_equal(c.chain.next->sig_md, MBEDTLS_MD_SHA256);
	/* A modern verifier refuses the hash, an old one accepts the chain. */
	assert_int_equal(verify(&c, HOST, NULL), MBEDTLS_X509_BADCERT_BAD_MD);
	legacy.allowed_mds |= MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA1);
	assert_int_equal(verify(&c, HOST, &legacy), 0);
	pki_chain_free(&c);
}

static void
test_missing_intermediate(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	mbedtls_x509_crt file_chain;
	char path[512];

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_MISSING_INTERMEDIATE, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	assert_int_equal(chain_length(&c.chain), 1);
	load_crt(&file_chain, c.chain_path);
	assert_int_equal(chain_length(&file_chain), 1);
	mbedtls_x509_crt_free(&file_chain);
	assert_true(verify(&c, HOST, NULL) & MBEDTLS_X509_BADCERT_NOT_TRUSTED);

	/* The leaf itself is fine: with the intermediate fetched it verifies. */
	path_in(path, sizeof(path), fx, "ec", "int1.crt");
	assert_int_equal(mbedtls_x509_crt_parse_file(&c.chain, path), 0);
	assert_int_equal(verify(&c, HOST, NULL), 0);
	pki_chain_free(&c);
}

static void
test_no_server_auth_eku(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_NO_SERVER_AUTH_EKU, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	assert_int_equal(verify(&c, HOST, NULL), 0); /* chain and name are fine */
	assert_int_not_equal(mbedtls_x509_crt_check_extended_key_usage(&c.chain,
	    MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)), 0);
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(&c.chain,
	    MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)), 0);
	pki_chain_free(&c);
}

static void
test_client_purpose_and_p384(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;

	profile(&p, "client", 0, PKI_KEY_EC_P256);
	p.purpose = PKI_PURPOSE_CLIENT;
	snprintf(p.leaf.subject, sizeof(p.leaf.subject), "CN=p2s-client-1");
	request(&q, PKI_VARIANT_VALID, time(NULL));
	q.hostname = NULL;
	q.key_set = 1;
	q.key = PKI_KEY_EC_P384;
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	assert_int_equal(c.key_type, PKI_KEY_EC_P384);
	assert_int_equal(mbedtls_pk_get_bitlen(&c.chain.pk), 384);
	assert_int_equal(chain_length(&c.chain), 1); /* no intermediates in this profile */
	assert_null(c.chain.subject_alt_names.buf.p);
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(&c.chain,
	    MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)), 0);
	assert_int_not_equal(mbedtls_x509_crt_check_extended_key_usage(&c.chain,
	    MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)), 0);
	assert_int_equal(verify(&c, NULL, NULL), 0);
	assert_non_null(strstr(c.chain_path, "chain-valid-ec-p384-"));
	pki_chain_free(&c);
}

static void
test_second_ensure_creates_nothing(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	struct timespec t0;
	char dir[512], *before, *after, *top_before, *top_after;
	unsigned char sha[32];
	double ms, best = 1e9;
	int i;

	profile(&p, "ec", 2, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_VALID, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	memcpy(sha, c.leaf_sha256, sizeof(sha));

	snprintf(dir, sizeof(dir), "%s/pki/ec", fx->dir);
	before = snapshot(dir);
	top_before = snapshot(fx->dir);
	for (i = 0; i < 10; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ensure_ok(fx, &p, &q, &c);
		ms = ms_since(&t0);
		if (ms < best)
			best = ms;
	}
	after = snapshot(dir);
	top_after = snapshot(fx->dir);
	print_message("pki_ensure with everything in place: %.2f ms (best of 10)\n", best);
	assert_string_equal(before, after);
	assert_string_equal(top_before, top_after);
	assert_memory_equal(sha, c.leaf_sha256, sizeof(sha));
	assert_true(best < 50.0);
	assert_int_equal(verify(&c, HOST, NULL), 0);
	free(before);
	free(after);
	free(top_before);
	free(top_after);
	pki_chain_free(&c);
}

static void
test_gateway_id(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	char id[PKI_GATEWAY_ID_LEN + 1], again[PKI_GATEWAY_ID_LEN + 1], want[128];
	size_t i;

	assert_int_equal(pki_gateway_id(fx->dir, 0, id, fx->err, sizeof(fx->err)), 1);
	profile(&p, "selfsigned", 0, PKI_KEY_EC_P256);
	snprintf(p.root.subject, sizeof(p.root.subject),
	    "CN=azuregateway-{gateway_id}.cloudapp.net");
	request(&q, PKI_VARIANT_VALID, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);

	assert_int_equal(pki_gateway_id(fx->dir, 0, id, fx->err, sizeof(fx->err)), 0);
	assert_int_equal(strlen(id), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(id[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", id[i]));
	}
	assert_int_equal(id[14], '4'); /* version 4 */
	snprintf(want, sizeof(want), "CN=azuregateway-%s.cloudapp.net", id);
	assert_string_equal(c.root_subject, want);
	assert_int_equal(pki_gateway_id(fx->dir, 1, again, fx->err, sizeof(fx->err)), 0);
	assert_string_equal(id, again);
	pki_chain_free(&c);
}

static void
test_deleted_leaf_is_recreated(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	char leaf[512], root[512], *root_before;
	unsigned char sha[32];
	size_t root_len;
	mbedtls_x509_crt rc;
	struct stat st1, st2;

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_VALID, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	memcpy(sha, c.leaf_sha256, sizeof(sha));
	leaf_path(&c, leaf, sizeof(leaf));
	path_in(root, sizeof(root), fx, "ec", "root.crt");
	assert_int_equal(stat(root, &st1), 0);
	load_crt(&rc, root);
	root_len = rc.raw.len;
	assert_non_null(root_before = malloc(root_len));
	memcpy(root_before, rc.raw.p, root_len);
	mbedtls_x509_crt_free(&rc);

	assert_int_equal(unlink(leaf), 0);
	assert_int_equal(unlink(c.chain_path), 0);
	ensure_ok(fx, &p, &q, &c);
	assert_true(file_exists(leaf));
	assert_true(file_exists(c.chain_path));
	assert_memory_not_equal(sha, c.leaf_sha256, sizeof(sha)); /* new serial */
	assert_int_equal(verify(&c, HOST, NULL), 0);

	/* The root was left alone. */
	assert_int_equal(stat(root, &st2), 0);
	assert_int_equal(st1.st_mtim.tv_sec, st2.st_mtim.tv_sec);
	assert_int_equal(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
	load_crt(&rc, root);
	assert_int_equal(rc.raw.len, root_len);
	assert_memory_equal(root_before, rc.raw.p, root_len);
	mbedtls_x509_crt_free(&rc);
	free(root_before);

	/* A day later (gateway clock) is another leaf; the first one stays. */
	q.clock += 86400;
	ensure_ok(fx, &p, &q, &c);
	assert_true(file_exists(leaf));
	assert_int_equal(verify(&c, HOST, NULL), 0);
	pki_chain_free(&c);
}

static void
test_new_root_regenerates_intermediate(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	char path[512];
	mbedtls_x509_crt old_int, new_int;

	struct pki_leaf_request other;
	unsigned char sha[32];

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_VALID, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	memcpy(sha, c.leaf_sha256, sizeof(sha));
	path_in(path, sizeof(path), fx, "ec", "int1.crt");
	load_crt(&old_int, path);

	/* New root, made while serving another host name. */
	path_in(path, sizeof(path), fx, "ec", "root.crt");
	assert_int_equal(unlink(path), 0);
	path_in(path, sizeof(path), fx, "ec", "root.key");
	assert_int_equal(unlink(path), 0);
	other = q;
	other.hostname = "other.example.net";
	ensure_ok(fx, &p, &other, &c);
	assert_int_equal(verify(&c, "other.example.net", NULL), 0);

	path_in(path, sizeof(path), fx, "ec", "int1.crt");
	load_crt(&new_int, path);
	assert_false(old_int.raw.len == new_int.raw.len &&
	    memcmp(old_int.raw.p, new_int.raw.p, new_int.raw.len) == 0);

	/* The first host's leaf file is still signed by the old intermediate:
	 * the read-only pass must notice and have it reissued. */
	ensure_ok(fx, &p, &q, &c);
	assert_memory_not_equal(sha, c.leaf_sha256, sizeof(sha));
	assert_int_equal(verify(&c, HOST, NULL), 0); /* everything chains to the new root */
	mbedtls_x509_crt_free(&old_int);
	mbedtls_x509_crt_free(&new_int);
	pki_chain_free(&c);
}

/* The read-only pass links certificates by key identifiers (AKI = SKI). */
static void
test_key_id_link(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	mbedtls_x509_crt root, int1;
	char path[512];

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_VALID, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	path_in(path, sizeof(path), fx, "ec", "root.crt");
	load_crt(&root, path);
	path_in(path, sizeof(path), fx, "ec", "int1.crt");
	load_crt(&int1, path);
	assert_int_equal(pki_key_ids_link(&int1, &root), 1);
	assert_int_equal(pki_key_ids_link(&c.chain, &int1), 1);
	assert_int_equal(pki_key_ids_link(&c.chain, &root), 0);  /* names do not chain */
	assert_int_equal(pki_key_ids_link(&root, &root), -1);    /* the root has no AKI */
	assert_int_equal(pki_issued_by(&int1, &root), 1);
	assert_int_equal(pki_issued_by(&c.chain, &int1), 1);
	assert_int_equal(pki_issued_by(&int1, &c.chain), 0);
	mbedtls_x509_crt_free(&root);
	mbedtls_x509_crt_free(&int1);
	pki_chain_free(&c);
}

static void
test_concurrent_ensure(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	unsigned char got[4][32];
	int fds[4][2], i, st;
	pid_t pids[4];
	DIR *d;
	struct dirent *e;
	char dir[512];

	profile(&p, "ec", 2, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_VALID, time(NULL));
	for (i = 0; i < 4; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct pki_chain c;
			char err[512];
			int ok;

			close(fds[i][0]);
			pki_chain_init(&c);
			ok = pki_ensure(fx->dir, &p, &q, &c, err, sizeof(err)) == 0;
			if (!ok)
				fprintf(stderr, "child: %s\n", err);
			if (ok && write(fds[i][1], c.leaf_sha256, 32) != 32)
				ok = 0;
			pki_chain_free(&c);
			_exit(ok ? 0 : 1);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(read(fds[i][0], got[i], 32), 32);
		close(fds[i][0]);
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* All four serve the same leaf: it was created once. */
	for (i = 1; i < 4; i++)
		assert_memory_equal(got[0], got[i], 32);
	/* No temp files left behind. */
	snprintf(dir, sizeof(dir), "%s/pki/ec", fx->dir);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		assert_null(strstr(e->d_name, ".tmp-"));
	closedir(d);
}

/* Run pki_ensure where nothing can be written, as an unprivileged user. */
static void
test_read_only_state_dir(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	char sdir[128];
	pid_t pid;
	int st;

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_VALID, time(NULL));
	snprintf(sdir, sizeof(sdir), "%s/state", fx->dir);
	assert_int_equal(mkdir(sdir, 0555), 0);
	assert_int_equal(chmod(sdir, 0555), 0);
	assert_int_equal(chmod(fx->dir, 0755), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pki_chain c;
		char err[1024], want[256];
		int rc;

		/* root ignores file modes: become nobody first */
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		pki_chain_init(&c);
		rc = pki_ensure(sdir, &p, &q, &c, err, sizeof(err));
		pki_chain_free(&c);
		snprintf(want, sizeof(want), "%s/pki", sdir);
		fprintf(stderr, "read-only state dir: %s\n", err);
		_exit(rc == -1 && strstr(err, want) != NULL &&
		    strstr(err, "Permission denied") != NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_bad_input(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;

	pki_chain_init(&c);
	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_VALID, time(NULL));

	q.hostname = "bad host,CN=x";
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "bad host,CN=x"));
	q.hostname = HOST;

	snprintf(p.intermediates[0].subject, sizeof(p.intermediates[0].subject), "CN={foo}");
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "{foo}"));
	assert_non_null(strstr(fx->err, "int1"));

	snprintf(p.intermediates[0].subject, sizeof(p.intermediates[0].subject), "CN={hostname}");
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "only allowed in the leaf"));

	profile(&p, "../escape", 1, PKI_KEY_EC_P256);
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "../escape"));

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	p.leaf.md = MBEDTLS_MD_MD5;
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "hash"));

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	p.root.days = 0;
	assert_int_equal(pki_ensure(fx->dir, &p, &q, &c, fx->err, sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "days"));

	/* Nothing was created by the refused calls. */
	{
		char pki_dir[256];

		snprintf(pki_dir, sizeof(pki_dir), "%s/pki", fx->dir);
		assert_false(file_exists(pki_dir));
	}
	pki_chain_free(&c);
}

static void
test_corrupt_leaf_is_replaced(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	char leaf[512];
	FILE *f;

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_VALID, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	leaf_path(&c, leaf, sizeof(leaf));
	assert_non_null(f = fopen(leaf, "w"));
	fputs("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	ensure_ok(fx, &p, &q, &c);
	assert_int_equal(verify(&c, HOST, NULL), 0);
	pki_chain_free(&c);
}

static void
test_show(void **state)
{
	struct fixture *fx = *state;
	struct pki_profile p;
	struct pki_leaf_request q;
	struct pki_chain c;
	char id[PKI_GATEWAY_ID_LEN + 1], hex[41], *text = NULL;
	size_t len = 0, i;
	FILE *f;

	profile(&p, "ec", 1, PKI_KEY_EC_P256);
	request(&q, PKI_VARIANT_VALID, time(NULL));
	pki_chain_init(&c);
	ensure_ok(fx, &p, &q, &c);
	assert_int_equal(pki_gateway_id(fx->dir, 0, id, fx->err, sizeof(fx->err)), 0);
	for (i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02X", c.leaf_sha1[i]);

	assert_non_null(f = open_memstream(&text, &len));
	assert_int_equal(pki_show(f, fx->dir, NULL, fx->err, sizeof(fx->err)), 0);
	fclose(f);
	if (getenv("P2SGW_TEST_VERBOSE") != NULL)
		fputs(text, stdout);
	assert_non_null(strstr(text, id));
	assert_non_null(strstr(text, "profile ec"));
	assert_non_null(strstr(text, "  root.crt\n"));
	assert_non_null(strstr(text, "  int1.crt\n"));
	assert_true(strstr(text, "root.crt") < strstr(text, "int1.crt"));
	assert_true(strstr(text, "int1.crt") < strstr(text, "leaf-valid-ec-p256-"));
	assert_non_null(strstr(text, hex));
	assert_non_null(strstr(text, "serverAuth"));
	assert_non_null(strstr(text, HOST));
	assert_non_null(strstr(text, "ec-p256 (EC secp256r1, 256 bits)"));
	assert_non_null(strstr(text, "SHA256 with ECDSA"));
	assert_non_null(strstr(text, "T00:00:00Z"));
	assert_null(strstr(text, "chain-")); /* chain files are not listed again */
	free(text);

	text = NULL;
	assert_non_null(f = open_memstream(&text, &len));
	assert_int_equal(pki_show(f, fx->dir, "no-such-profile", fx->err, sizeof(fx->err)), -1);
	fclose(f);
	free(text);
	assert_non_null(strstr(fx->err, "no-such-profile"));
	pki_chain_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_valid_chain_ec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rsa2048_chain_and_openssl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_yet_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sha1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_intermediate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_server_auth_eku, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_purpose_and_p384, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_ensure_creates_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateway_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_leaf_is_recreated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_root_regenerates_intermediate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_id_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_ensure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_state_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_leaf_is_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show, setup, teardown),
	};

	return cmocka_run_group_tests_name("pki", tests, NULL, NULL);
}
