/*
 * Keys, certificates and files of the lab PKI: key generation, x509write
 * issuance with the extensions of a CA or a leaf, parsing with a clear
 * missing / corrupt / error distinction, and atomic file writes.
 */
#include "pki/pki_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "util/file.h"
#include "util/rng.h"

#define PKI_SERIAL_LEN 16
#define PKI_DER_MAX    8192

void
pki_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *
pki_strerror(int ret, char *buf, size_t len)
{
	char text[200];

	mbedtls_strerror(ret, text, sizeof(text));
	snprintf(buf, len, "%s (-0x%04x)", text, (unsigned int)-ret);
	return buf;
}

/* ---- files ---- */

/* Read a whole file, NUL-terminated (mbedTLS PEM parsing wants the NUL
 * counted in the length). 0 read, 1 missing, -1 error. */
int
pki_file_read(const char *path, unsigned char **bufp, size_t *lenp, char *err, size_t errlen)
{
	char *buf;
	int rc = file_read_all(path, PKI_FILE_MAX, &buf, lenp, err, errlen);
	*bufp = (unsigned char *)buf;
	return rc;
}

static int
fsync_parent(const char *path)
{
	char dir[PKI_PATH_MAX];
	char *slash;
	int fd, rc;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Write path atomically: a temp file in the same directory created with
 * O_EXCL and the final mode (0600 for keys), fsync, rename, fsync the
 * directory. Readers see the old file or the new one, never a partial one.
 * With PKI_WRITE_NOREPLACE an existing path is kept and 1 returned.
 */
int
pki_file_write(const char *path, const void *buf, size_t len, mode_t mode, int flags,
               char *err, size_t errlen)
{
	char tmp[PKI_PATH_MAX + 32];
	const unsigned char *p = buf;
	unsigned char rnd[4];
	size_t off = 0;
	ssize_t n;
	int fd = -1, saved;

	if (rng_fill(rng_ctx(), rnd, sizeof(rnd)) != 0)
		memset(rnd, 0, sizeof(rnd));
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%02x%02x%02x%02x", path, (long)getpid(),
	    rnd[0], rnd[1], rnd[2], rnd[3]) >= (int)sizeof(tmp)) {
		pki_errf(err, errlen, "cannot write %s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1)
		goto fail;
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (flags & PKI_WRITE_NOREPLACE) {
		/* link() fails with EEXIST instead of replacing: first writer wins. */
		if (link(tmp, path) == -1) {
			if (errno != EEXIST)
				goto fail;
			(void)unlink(tmp);
			return 1;
		}
		(void)unlink(tmp);
	} else if (rename(tmp, path) == -1) {
		goto fail;
	}
	(void)fsync_parent(path); /* best effort: the data itself is already safe */
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	pki_errf(err, errlen, "cannot write %s: %s", path, strerror(saved));
	return -1;
}

int
pki_mkdir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0755) == 0 || errno == EEXIST) {
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		pki_errf(err, errlen, "cannot create directory %s: %s", path,
		    errno == EEXIST ? "exists and is not a directory" : strerror(errno));
		return -1;
	}
	pki_errf(err, errlen, "cannot create directory %s: %s", path, strerror(errno));
	return -1;
}

/* ---- keys ---- */

int
pki_key_type_of(const mbedtls_pk_context *pk)
{
	switch (mbedtls_pk_get_type(pk)) {
	case MBEDTLS_PK_RSA:
		if (mbedtls_rsa_get_len(mbedtls_pk_rsa(*pk)) * 8 == 2048)
			return PKI_KEY_RSA2048;
		if (mbedtls_rsa_get_len(mbedtls_pk_rsa(*pk)) * 8 == 3072)
			return PKI_KEY_RSA3072;
		if (mbedtls_rsa_get_len(mbedtls_pk_rsa(*pk)) * 8 == 4096)
			return PKI_KEY_RSA4096;
		return -1;
	case MBEDTLS_PK_ECKEY:
	case MBEDTLS_PK_ECDSA:
		if (mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1)
			return PKI_KEY_EC_P256;
		if (mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP384R1)
			return PKI_KEY_EC_P384;
		return -1;
	default:
		return -1;
	}
}

int
pki_key_generate(mbedtls_pk_context *pk, enum pki_key_type t, const char *path,
                 char *err, size_t errlen)
{
	char why[256];
	unsigned int bits = 0;
	mbedtls_ecp_group_id grp = MBEDTLS_ECP_DP_NONE;
	int ret;

	switch (t) {
	case PKI_KEY_RSA2048: bits = 2048; break;
	case PKI_KEY_RSA3072: bits = 3072; break;
	case PKI_KEY_RSA4096: bits = 4096; break;
	case PKI_KEY_EC_P256: grp = MBEDTLS_ECP_DP_SECP256R1; break;
	case PKI_KEY_EC_P384: grp = MBEDTLS_ECP_DP_SECP384R1; break;
	}
	mbedtls_pk_free(pk);
	mbedtls_pk_init(pk);
	if (bits != 0) {
		ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
		if (ret == 0)
			ret = mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), rng_fill, rng_ctx(),
			    bits, 65537);
	} else if (grp != MBEDTLS_ECP_DP_NONE) {
		ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
		if (ret == 0)
			ret = mbedtls_ecp_gen_key(grp, mbedtls_pk_ec(*pk), rng_fill, rng_ctx());
	} else {
		pki_errf(err, errlen, "cannot create key %s: unknown key type %d", path, (int)t);
		return -1;
	}
	if (ret != 0) {
		pki_errf(err, errlen, "cannot create key %s: %s", path,
		    pki_strerror(ret, why, sizeof(why)));
		mbedtls_pk_free(pk);
		mbedtls_pk_init(pk);
		return -1;
	}
	return 0;
}

int
pki_key_write(mbedtls_pk_context *pk, const char *path, char *err, size_t errlen)
{
	unsigned char pem[PKI_PEM_MAX];
	char why[256];
	int ret, rc;

	if ((ret = mbedtls_pk_write_key_pem(pk, pem, sizeof(pem))) != 0) {
		pki_errf(err, errlen, "cannot write %s: %s", path,
		    pki_strerror(ret, why, sizeof(why)));
		return -1;
	}
	rc = pki_file_write(path, pem, strlen((char *)pem), 0600, 0, err, errlen);
	mbedtls_platform_zeroize(pem, sizeof(pem));
	return rc;
}

/* PKI_LOADED, PKI_MISSING, PKI_CORRUPT (err says why), or -1. */
int
pki_key_load(mbedtls_pk_context *pk, const char *path, char *err, size_t errlen)
{
	unsigned char *buf;
	char why[256];
	size_t len;
	int rc, ret;

	mbedtls_pk_free(pk);
	mbedtls_pk_init(pk);
	if ((rc = pki_file_read(path, &buf, &len, err, errlen)) != 0)
		return rc == 1 ? PKI_MISSING : -1;
	ret = mbedtls_pk_parse_key(pk, buf, len + 1, NULL, 0);
	mbedtls_platform_zeroize(buf, len);
	free(buf);
	if (ret != 0) {
		pki_errf(err, errlen, "cannot parse %s: %s", path, pki_strerror(ret, why, sizeof(why)));
		mbedtls_pk_free(pk);
		mbedtls_pk_init(pk);
		return PKI_CORRUPT;
	}
	return PKI_LOADED;
}

/* 1 when both hold the same public key. */
int
pki_pubkey_equal(const mbedtls_pk_context *a, const mbedtls_pk_context *b)
{
	unsigned char da[PKI_DER_MAX], db[PKI_DER_MAX];
	int la, lb;

	/* mbedtls_pk_write_pubkey_der does not modify the key; 2.28 lacks const. */
	la = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)a, da, sizeof(da));
	lb = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)b, db, sizeof(db));
	if (la <= 0 || lb <= 0 || la != lb)
		return 0;
	return memcmp(da + sizeof(da) - la, db + sizeof(db) - lb, (size_t)la) == 0;
}

/* ---- certificates ---- */

int
pki_crt_load(mbedtls_x509_crt *crt, const char *path, char *err, size_t errlen)
{
	unsigned char *buf;
	char why[256];
	size_t len;
	int rc, ret;

	mbedtls_x509_crt_free(crt);
	mbedtls_x509_crt_init(crt);
	if ((rc = pki_file_read(path, &buf, &len, err, errlen)) != 0)
		return rc == 1 ? PKI_MISSING : -1;
	ret = mbedtls_x509_crt_parse(crt, buf, len + 1);
	free(buf);
	if (ret != 0) {
		if (ret > 0)
			pki_errf(err, errlen, "cannot parse %s: %d certificate(s) in it do not parse",
			    path, ret);
		else
			pki_errf(err, errlen, "cannot parse %s: %s", path,
			    pki_strerror(ret, why, sizeof(why)));
		mbedtls_x509_crt_free(crt);
		mbedtls_x509_crt_init(crt);
		return PKI_CORRUPT;
	}
	return PKI_LOADED;
}

/* 1 when parent's key signed child and the names chain. */
int
pki_issued_by(const mbedtls_x509_crt *child, const mbedtls_x509_crt *parent)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(child->sig_md);
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];

	if (md == NULL || child->issuer_raw.len != parent->subject_raw.len ||
	    memcmp(child->issuer_raw.p, parent->subject_raw.p, child->issuer_raw.len) != 0)
		return 0;
	if (mbedtls_md(md, child->tbs.p, child->tbs.len, hash) != 0)
		return 0;
	return mbedtls_pk_verify_ext(child->sig_pk, child->sig_opts,
	    (mbedtls_pk_context *)&parent->pk, child->sig_md, hash,
	    mbedtls_md_get_size(md), child->sig.p, child->sig.len) == 0;
}


/*
 * Cheap link check for the read-only pass: issuer name equals the parent's
 * subject and the child's authorityKeyIdentifier equals the parent's
 * subjectKeyIdentifier (we write both for every certificate). 1 linked,
 * 0 not, -1 when an identifier is absent (then verify the signature).
 *
 * SubjectKeyIdentifier ::= KeyIdentifier ::= OCTET STRING
 * AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... }
 */
int
pki_key_ids_link(const mbedtls_x509_crt *child, const mbedtls_x509_crt *parent)
{
	const unsigned char *v;
	unsigned char *p, *end, *ski;
	size_t vlen, len, ski_len;

	if (child->issuer_raw.len != parent->subject_raw.len ||
	    memcmp(child->issuer_raw.p, parent->subject_raw.p, child->issuer_raw.len) != 0)
		return 0;
	if ((v = pki_ext_find(&parent->v3_ext, MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER), &vlen)) == NULL)
		return -1;
	p = (unsigned char *)v;
	end = p + vlen;
	if (mbedtls_asn1_get_tag(&p, end, &ski_len, MBEDTLS_ASN1_OCTET_STRING) != 0 ||
	    ski_len == 0)
		return -1;
	ski = p;
	if ((v = pki_ext_find(&child->v3_ext, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER), &vlen)) == NULL)
		return -1;
	p = (unsigned char *)v;
	end = p + vlen;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0)
		return -1;
	end = p + len;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0) != 0)
		return -1;
	return len == ski_len && memcmp(p, ski, len) == 0;
}

/* 1 when crt's subject DER equals the DER of the DN string subject. */
int
pki_subject_matches(const mbedtls_x509_crt *crt, const char *subject)
{
	mbedtls_asn1_named_data *names = NULL;
	unsigned char der[2048], *c = der + sizeof(der);
	int len, ok = 0;

	if (mbedtls_x509_string_to_names(&names, subject) != 0)
		goto out;
	if ((len = mbedtls_x509_write_names(&c, der, names)) <= 0)
		goto out;
	ok = crt->subject_raw.len == (size_t)len &&
	    memcmp(crt->subject_raw.p, c, (size_t)len) == 0;
out:
	mbedtls_asn1_free_named_data_list(&names);
	return ok;
}

int
pki_time_equal(const mbedtls_x509_time *xt, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	return xt->year == tm.tm_year + 1900 && xt->mon == tm.tm_mon + 1 &&
	    xt->day == tm.tm_mday && xt->hour == tm.tm_hour && xt->min == tm.tm_min &&
	    xt->sec == tm.tm_sec;
}

static int
x509_time_string(time_t t, char buf[15])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1950 || tm.tm_year + 1900 > 9999)
		return -1;
	return strftime(buf, 15, "%Y%m%d%H%M%S", &tm) == 14 ? 0 : -1;
}

/* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
static int
set_eku(mbedtls_x509write_cert *w, int server, int client)
{
	unsigned char buf[64], *c = buf + sizeof(buf);
	int ret;
	size_t len = 0;

	if (client)
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(&c, buf, MBEDTLS_OID_CLIENT_AUTH,
		    MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)));
	if (server)
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(&c, buf, MBEDTLS_OID_SERVER_AUTH,
		    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&c, buf, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&c, buf,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return mbedtls_x509write_crt_set_extension(w, MBEDTLS_OID_EXTENDED_KEY_USAGE,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, c, len);
}

/* GeneralNames ::= SEQUENCE OF GeneralName; dNSName [2] IMPLICIT IA5String */
static int
set_san_dns(mbedtls_x509write_cert *w, const char *name)
{
	unsigned char buf[300], *c = buf + sizeof(buf);
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(&c, buf,
	    (const unsigned char *)name, strlen(name)));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&c, buf, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&c, buf,
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&c, buf, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&c, buf,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return mbedtls_x509write_crt_set_extension(w, MBEDTLS_OID_SUBJECT_ALT_NAME,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, c, len);
}

/*
 * The issuer name is copied from the issuer's parsed subject, not rebuilt
 * from a profile string, so it matches byte for byte even when the stored
 * CA was made from an older profile. mbedTLS 2.28 keeps one value per
 * attribute type (as mbedtls_x509_string_to_names does); a mismatch is
 * caught by the pki_issued_by() check after issuing.
 */
static int
set_issuer_from_crt(mbedtls_x509write_cert *w, const mbedtls_x509_crt *ca)
{
	const mbedtls_x509_name *n;
	mbedtls_asn1_named_data *cur;

	mbedtls_asn1_free_named_data_list(&w->issuer);
	for (n = &ca->subject; n != NULL; n = n->next) {
		if (n->oid.p == NULL)
			continue;
		cur = mbedtls_asn1_store_named_data(&w->issuer, (const char *)n->oid.p,
		    n->oid.len, n->val.p, n->val.len);
		if (cur == NULL)
			return MBEDTLS_ERR_X509_ALLOC_FAILED;
		cur->val.tag = n->val.tag;
	}
	return 0;
}

/* Random positive serial of exactly PKI_SERIAL_LEN bytes. */
static int
set_serial(mbedtls_x509write_cert *w)
{
	unsigned char b[PKI_SERIAL_LEN];
	mbedtls_mpi serial;
	int ret;

	if ((ret = rng_fill(rng_ctx(), b, sizeof(b))) != 0)
		return ret;
	b[0] = (unsigned char)((b[0] & 0x7f) | 0x40);
	mbedtls_mpi_init(&serial);
	ret = mbedtls_mpi_read_binary(&serial, b, sizeof(b));
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_serial(w, &serial);
	mbedtls_mpi_free(&serial);
	return ret;
}

static unsigned int
leaf_key_usage(const mbedtls_pk_context *key)
{
	if (mbedtls_pk_get_type(key) == MBEDTLS_PK_RSA)
		return MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT;
	return MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
}

/*
 * Issue a certificate as is says, write it to path (0644, atomically) and
 * parse it into out. 0, or -1 with err naming path.
 */
int
pki_crt_issue(const struct pki_issue *is, const char *path, mbedtls_x509_crt *out,
              char *err, size_t errlen)
{
	mbedtls_x509write_cert w;
	unsigned char pem[PKI_PEM_MAX];
	char nb[15], na[15], why[256];
	const char *step;
	int ret;

	mbedtls_x509write_crt_init(&w);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, is->is_md);
	mbedtls_x509write_crt_set_subject_key(&w, is->is_subject_key);
	mbedtls_x509write_crt_set_issuer_key(&w, is->is_issuer_key);

	step = "validity";
	if (x509_time_string(is->is_not_before, nb) != 0 ||
	    x509_time_string(is->is_not_after, na) != 0) {
		pki_errf(err, errlen, "cannot create %s: validity outside the years 1950..9999",
		    path);
		goto fail_quiet;
	}
	if ((ret = mbedtls_x509write_crt_set_validity(&w, nb, na)) != 0)
		goto fail;
	step = "serial";
	if ((ret = set_serial(&w)) != 0)
		goto fail;
	step = "subject";
	if ((ret = mbedtls_x509write_crt_set_subject_name(&w, is->is_subject)) != 0)
		goto fail;
	step = "issuer";
	if (is->is_issuer_crt == NULL)
		ret = mbedtls_x509write_crt_set_issuer_name(&w, is->is_subject);
	else
		ret = set_issuer_from_crt(&w, is->is_issuer_crt);
	if (ret != 0)
		goto fail;
	step = "basic constraints";
	if ((ret = mbedtls_x509write_crt_set_basic_constraints(&w, is->is_ca,
	    is->is_ca ? is->is_pathlen : -1)) != 0)
		goto fail;
	step = "key usage";
	if ((ret = mbedtls_x509write_crt_set_key_usage(&w, is->is_ca ?
	    MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN :
	    leaf_key_usage(is->is_subject_key))) != 0)
		goto fail;
	step = "subject key identifier";
	if ((ret = mbedtls_x509write_crt_set_subject_key_identifier(&w)) != 0)
		goto fail;
	step = "authority key identifier";
	if (is->is_issuer_crt != NULL &&
	    (ret = mbedtls_x509write_crt_set_authority_key_identifier(&w)) != 0)
		goto fail;
	step = "extended key usage";
	if (!is->is_ca && (is->is_eku_server || is->is_eku_client) &&
	    (ret = set_eku(&w, is->is_eku_server, is->is_eku_client)) != 0)
		goto fail;
	step = "subject alternative name";
	if (!is->is_ca && is->is_san_dns != NULL && (ret = set_san_dns(&w, is->is_san_dns)) != 0)
		goto fail;
	step = "CRL distribution points";
	if (!is->is_ca && is->is_cdp != NULL &&
	    (ret = mbedtls_x509write_crt_set_extension(&w, MBEDTLS_OID_CRL_DISTRIBUTION_POINTS,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_DISTRIBUTION_POINTS), 0, is->is_cdp,
	    is->is_cdp_len)) != 0)
		goto fail;
	step = "authority information access";
	if (!is->is_ca && is->is_aia != NULL &&
	    (ret = mbedtls_x509write_crt_set_extension(&w, PKI_OID_AIA, MBEDTLS_OID_SIZE(PKI_OID_AIA),
	    0, is->is_aia, is->is_aia_len)) != 0)
		goto fail;
	step = "signature";
	if ((ret = mbedtls_x509write_crt_pem(&w, pem, sizeof(pem), rng_fill, rng_ctx())) != 0)
		goto fail;
	mbedtls_x509write_crt_free(&w);

	if (pki_file_write(path, pem, strlen((char *)pem), 0644, 0, err, errlen) != 0)
		return -1;
	mbedtls_x509_crt_free(out);
	mbedtls_x509_crt_init(out);
	if ((ret = mbedtls_x509_crt_parse(out, pem, strlen((char *)pem) + 1)) != 0) {
		pki_errf(err, errlen, "cannot parse %s just written: %s", path,
		    pki_strerror(ret, why, sizeof(why)));
		return -1;
	}
	if (!pki_issued_by(out, is->is_issuer_crt != NULL ? is->is_issuer_crt : out)) {
		pki_errf(err, errlen, "%s just written does not verify against its issuer", path);
		return -1;
	}
	return 0;
fail:
	pki_errf(err, errlen, "cannot create %s: %s: %s", path, step,
	    pki_strerror(ret, why, sizeof(why)));
fail_quiet:
	mbedtls_x509write_crt_free(&w);
	return -1;
}

/* Append crt as PEM to buf (NUL-terminated). 0, or -1 when it does not fit. */
int
pki_pem_append(char *buf, size_t size, size_t *used, const mbedtls_x509_crt *crt)
{
	size_t olen = 0;

	if (*used >= size)
		return -1;
	if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
	    "-----END CERTIFICATE-----\n", crt->raw.p, crt->raw.len,
	    (unsigned char *)buf + *used, size - *used, &olen) != 0)
		return -1;
	*used += strlen(buf + *used);
	return 0;
}

/* ---- formatting ---- */

void
pki_hex_upper(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

void
pki_time_iso(const mbedtls_x509_time *t, char *buf, size_t len)
{
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year, t->mon, t->day,
	    t->hour, t->min, t->sec);
}

int
pki_thumbprints(const mbedtls_x509_crt *crt, unsigned char sha1[20], unsigned char sha256[32])
{
	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), crt->raw.p, crt->raw.len,
	    sha1) != 0)
		return -1;
	return mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), crt->raw.p,
	    crt->raw.len, sha256);
}
