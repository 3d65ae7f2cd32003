/*
 * Revocation for the lab PKI: X.509 v2 CRLs (RFC 5280 section 5) built by
 * hand with asn1write, since mbedTLS 2.28 has no CRL writer, and the CRL
 * distribution point extension for leaves.
 *
 * The revoked set of a CA is not stored anywhere: it is the serials of the
 * revoked leaves in the profile directory (leaf-*-revoked.crt) that this CA
 * issued. A CRL is current when it names the CA as issuer (name and
 * authorityKeyIdentifier), thisUpdate <= clock < nextUpdate, and it lists
 * exactly that set; otherwise pki.c rewrites it under the lock.
 */
#include "pki/pki_int.h"
#include "pki/crl.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crl.h>

#include "util/rng.h"
#include "util/xtime.h"

#define CRL_DER_MAX      (PKI_CRL_MAX_REVOKED * 64 + 4096)
#define CRL_SERIAL_MAX   32
#define CRL_THIS_BACK    3600                  /* thisUpdate = clock - 1 h */
#define CRL_NEXT_AHEAD   (7 * PKI_DAY)         /* nextUpdate = clock + 7 days */
#define CRL_REVOKED_TAIL "-revoked.crt"

struct crl_serial {
	unsigned char cs_b[CRL_SERIAL_MAX]; /* INTEGER contents, as in the certificate */
	size_t        cs_len;
	time_t        cs_date;              /* revocationDate: the leaf's notBefore */
};

/* ---- names ---- */

int
pki_crl_profile_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return 0;
	return i < 64;
}

int
pki_crl_stem_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' && s[i] <= '9'))
			return 0;
	return i < 16;
}

int
pki_crl_path(const char *state_dir, const char *profile, const char *stem, char *path,
             size_t len)
{
	return pki_crl_variant_path(state_dir, profile, stem, PKI_CRL_AS_IS, path, len);
}

static const char *
variant_suffix(int variant)
{
	return variant == PKI_CRL_STALE_COPY ? "-stale" : variant == PKI_CRL_WRONG_KEY ?
	    "-wrongkey" : "";
}

int
pki_crl_variant_path(const char *state_dir, const char *profile, const char *stem, int variant,
                     char *path, size_t len)
{
	if (state_dir == NULL || state_dir[0] == '\0' || !pki_crl_profile_ok(profile) ||
	    !pki_crl_stem_ok(stem) || variant < PKI_CRL_AS_IS || variant > PKI_CRL_WRONG_KEY)
		return -1;
	if (snprintf(path, len, "%s/pki/%s/%s%s.crl", state_dir, profile, stem,
	    variant_suffix(variant)) >= (int)len)
		return -1;
	return 0;
}

int
pki_crl_base_url_ok(const char *s)
{
	size_t i, n;

	if (s == NULL || strncmp(s, "http://", 7) != 0)
		return 0;
	n = strlen(s);
	if (n <= 7 || n >= PKI_CRL_URL_MAX || s[n - 1] == '/')
		return 0;
	for (i = 7; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '/' || s[i] == '?' || s[i] == '#' ||
		    s[i] == '%' || s[i] == '\\' || s[i] == '@')
			return 0;
	return 1;
}

/* ---- DER helpers ---- */

/*
 * The value of extension oid in a parsed extensions buffer (mbedTLS leaves
 * crt->v3_ext and crl->crl_ext at the SEQUENCE OF Extension), or NULL.
 * Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
 * extnValue OCTET STRING }. Every read is bounded by the enclosing length.
 */
const unsigned char *
pki_ext_find(const mbedtls_x509_buf *exts, const char *oid, size_t oidlen, size_t *vlen)
{
	unsigned char *p = exts->p, *end, *ext_end;
	size_t len;
	int crit;

	if (p == NULL || exts->len == 0)
		return NULL;
	end = p + exts->len;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0)
		return NULL;
	end = p + len;
	while (p < end) {
		if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
		    MBEDTLS_ASN1_SEQUENCE) != 0)
			return NULL;
		ext_end = p + len;
		if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OID) != 0)
			return NULL;
		if (len != oidlen || memcmp(p, oid, len) != 0) {
			p = ext_end;
			continue;
		}
		p += len;
		if (p < ext_end && *p == MBEDTLS_ASN1_BOOLEAN &&
		    mbedtls_asn1_get_bool(&p, ext_end, &crit) != 0)
			return NULL;
		if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0 ||
		    len != (size_t)(ext_end - p))
			return NULL;
		*vlen = len;
		return p;
	}
	return NULL;
}

/* SubjectKeyIdentifier ::= OCTET STRING: its contents, or NULL. */
static const unsigned char *
crt_ski(const mbedtls_x509_crt *ca, size_t *len)
{
	const unsigned char *v;
	unsigned char *p, *end;
	size_t vlen;

	if ((v = pki_ext_find(&ca->v3_ext, MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER), &vlen)) == NULL)
		return NULL;
	p = (unsigned char *)v;
	end = p + vlen;
	if (mbedtls_asn1_get_tag(&p, end, len, MBEDTLS_ASN1_OCTET_STRING) != 0 || *len == 0)
		return NULL;
	return p;
}

/* Written backwards at *c: what is there (len bytes) gets a length and tag. */
static int
wrap(unsigned char **c, unsigned char *buf, size_t *len, unsigned char tag)
{
	int ret;
	size_t add = 0;

	MBEDTLS_ASN1_CHK_ADD(add, mbedtls_asn1_write_len(c, buf, *len));
	MBEDTLS_ASN1_CHK_ADD(add, mbedtls_asn1_write_tag(c, buf, tag));
	*len += add;
	return 0;
}

/* GeneralName ::= uniformResourceIdentifier [6] IMPLICIT IA5String, written
 * backwards at *c into *len. */
static int
write_uri(unsigned char **c, unsigned char *buf, const char *url, size_t *len)
{
	int ret;

	*len = 0;
	MBEDTLS_ASN1_CHK_ADD(*len, mbedtls_asn1_write_raw_buffer(c, buf,
	    (const unsigned char *)url, strlen(url)));
	return wrap(c, buf, len, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 6);
}

/*
 * CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
 * DistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL, ... }
 * DistributionPointName ::= CHOICE { fullName [0] GeneralNames, ... }
 *
 * Written at the end of buf; *out and *outlen give the value. 0 or -1.
 */
int
pki_cdp_encode(const char *url, unsigned char *buf, size_t size, const unsigned char **out,
               size_t *outlen)
{
	unsigned char *c = buf + size;
	size_t len;

	if (write_uri(&c, buf, url, &len) < 0 ||
	    wrap(&c, buf, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0) < 0 ||
	    wrap(&c, buf, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0) < 0 ||
	    wrap(&c, buf, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) < 0 ||
	    wrap(&c, buf, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) < 0)
		return -1;
	*out = c;
	*outlen = len;
	return 0;
}

/*
 * AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
 * AccessDescription ::= SEQUENCE { accessMethod OBJECT IDENTIFIER,
 *                                  accessLocation GeneralName }
 * with one caIssuers URI. Written at the end of buf, as above.
 */
int
pki_aia_encode(const char *url, unsigned char *buf, size_t size, const unsigned char **out,
               size_t *outlen)
{
	unsigned char *c = buf + size;
	size_t len;
	int ret;

	if (write_uri(&c, buf, url, &len) < 0)
		return -1;
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(&c, buf, PKI_OID_CA_ISSUERS,
	    MBEDTLS_OID_SIZE(PKI_OID_CA_ISSUERS)));
	if (wrap(&c, buf, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) < 0 ||
	    wrap(&c, buf, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) < 0)
		return -1;
	*out = c;
	*outlen = len;
	return 0;
}

/* Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }:
 * UTCTime through 2049, GeneralizedTime after (RFC 5280 5.1.2.4). */
static int
write_time(unsigned char **c, unsigned char *start, time_t t)
{
	char s[16];
	struct tm tm;
	size_t len = 0, n;
	int ret, utc;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1950 || tm.tm_year + 1900 > 9999)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	if ((n = strftime(s, sizeof(s), "%Y%m%d%H%M%SZ", &tm)) != 15)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	utc = tm.tm_year + 1900 < 2050; /* UTCTime: YYMMDDHHMMSSZ */
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(c, start,
	    (const unsigned char *)s + (utc ? 2 : 0), n - (utc ? 2 : 0)));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(c, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(c, start,
	    utc ? MBEDTLS_ASN1_UTC_TIME : MBEDTLS_ASN1_GENERALIZED_TIME));
	return (int)len;
}

/* Extension ::= SEQUENCE { extnID, extnValue OCTET STRING } (not critical) */
static int
write_ext(unsigned char **c, unsigned char *start, const char *oid, size_t oidlen,
          const unsigned char *val, size_t vlen)
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_octet_string(c, start, val, vlen));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(c, start, oid, oidlen));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(c, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(c, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
}

/* AlgorithmIdentifier of a signature: RSA with NULL parameters, ECDSA
 * without (RFC 3279, RFC 5758). */
static int
write_sig_alg(unsigned char **c, unsigned char *start, const mbedtls_pk_context *key,
              mbedtls_md_type_t md)
{
	mbedtls_pk_type_t t;
	const char *oid;
	size_t oidlen, len = 0;
	int ret;

	if (mbedtls_pk_can_do(key, MBEDTLS_PK_RSA))
		t = MBEDTLS_PK_RSA;
	else if (mbedtls_pk_can_do(key, MBEDTLS_PK_ECDSA))
		t = MBEDTLS_PK_ECDSA;
	else
		return MBEDTLS_ERR_X509_INVALID_ALG;
	if ((ret = mbedtls_oid_get_oid_by_sig_alg(t, md, &oid, &oidlen)) != 0)
		return ret;
	if (t == MBEDTLS_PK_RSA)
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_null(c, start));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(c, start, oid, oidlen));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(c, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(c, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
}

/*
 * TBSCertList ::= SEQUENCE {
 *   version              INTEGER (v2 = 1),
 *   signature            AlgorithmIdentifier,
 *   issuer               Name,
 *   thisUpdate           Time,
 *   nextUpdate           Time,
 *   revokedCertificates  SEQUENCE OF SEQUENCE {
 *                          userCertificate CertificateSerialNumber,
 *                          revocationDate  Time } OPTIONAL, -- absent when empty
 *   crlExtensions    [0] EXPLICIT Extensions }  -- authorityKeyIdentifier, cRLNumber
 */
static int
write_tbs(unsigned char **c, unsigned char *start, const mbedtls_x509_crt *ca,
          mbedtls_pk_context *key, mbedtls_md_type_t md, const struct crl_serial *rs,
          size_t n, time_t this_update, time_t next_update, int number)
{
	unsigned char val[128], *v;
	const unsigned char *ski;
	size_t len = 0, sub, elen, vlen, ski_len;
	int ret;

	if ((ski = crt_ski(ca, &ski_len)) == NULL || ski_len > 64)
		return MBEDTLS_ERR_X509_INVALID_EXTENSIONS;

	/* crlExtensions, in reverse: cRLNumber, then authorityKeyIdentifier */
	v = val + sizeof(val);
	vlen = 0;
	MBEDTLS_ASN1_CHK_ADD(vlen, mbedtls_asn1_write_int(&v, val, number));
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, write_ext(c, start, MBEDTLS_OID_CRL_NUMBER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_NUMBER), v, vlen));
	elen = sub;
	v = val + sizeof(val);
	vlen = 0;
	MBEDTLS_ASN1_CHK_ADD(vlen, mbedtls_asn1_write_raw_buffer(&v, val, ski, ski_len));
	MBEDTLS_ASN1_CHK_ADD(vlen, mbedtls_asn1_write_len(&v, val, vlen));
	MBEDTLS_ASN1_CHK_ADD(vlen, mbedtls_asn1_write_tag(&v, val,
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0));
	MBEDTLS_ASN1_CHK_ADD(vlen, mbedtls_asn1_write_len(&v, val, vlen));
	MBEDTLS_ASN1_CHK_ADD(vlen, mbedtls_asn1_write_tag(&v, val,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, write_ext(c, start, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER), v, vlen));
	elen += sub;
	MBEDTLS_ASN1_CHK_ADD(elen, mbedtls_asn1_write_len(c, start, elen));
	MBEDTLS_ASN1_CHK_ADD(elen, mbedtls_asn1_write_tag(c, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(elen, mbedtls_asn1_write_len(c, start, elen));
	MBEDTLS_ASN1_CHK_ADD(elen, mbedtls_asn1_write_tag(c, start,
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0));
	len += elen;

	if (n > 0) {
		size_t all = 0;

		for (size_t i = n; i-- > 0;) {
			size_t one = 0;

			MBEDTLS_ASN1_CHK_ADD(one, write_time(c, start, rs[i].cs_date));
			MBEDTLS_ASN1_CHK_ADD(one, mbedtls_asn1_write_raw_buffer(c, start,
			    rs[i].cs_b, rs[i].cs_len));
			MBEDTLS_ASN1_CHK_ADD(one, mbedtls_asn1_write_len(c, start, rs[i].cs_len));
			MBEDTLS_ASN1_CHK_ADD(one, mbedtls_asn1_write_tag(c, start,
			    MBEDTLS_ASN1_INTEGER));
			MBEDTLS_ASN1_CHK_ADD(one, mbedtls_asn1_write_len(c, start, one));
			MBEDTLS_ASN1_CHK_ADD(one, mbedtls_asn1_write_tag(c, start,
			    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
			all += one;
		}
		MBEDTLS_ASN1_CHK_ADD(all, mbedtls_asn1_write_len(c, start, all));
		MBEDTLS_ASN1_CHK_ADD(all, mbedtls_asn1_write_tag(c, start,
		    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
		len += all;
	}
	MBEDTLS_ASN1_CHK_ADD(len, write_time(c, start, next_update));
	MBEDTLS_ASN1_CHK_ADD(len, write_time(c, start, this_update));
	/* issuer: the CA's subject, byte for byte */
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(c, start, ca->subject_raw.p,
	    ca->subject_raw.len));
	MBEDTLS_ASN1_CHK_ADD(len, write_sig_alg(c, start, key, md));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_int(c, start, 1));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(c, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(c, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
}

/* ---- the revoked set ---- */

static int
serial_cmp(const void *a, const void *b)
{
	const struct crl_serial *x = a, *y = b;

	if (x->cs_len != y->cs_len)
		return x->cs_len < y->cs_len ? -1 : 1;
	return memcmp(x->cs_b, y->cs_b, x->cs_len);
}

/*
 * The serials of dir/leaf-*-revoked.crt issued by ca, sorted. Files that do
 * not parse or belong to another CA are skipped. Count, or -1 with err.
 */
static int
revoked_set(const char *dir, const mbedtls_x509_crt *ca, struct crl_serial *out,
            char *err, size_t errlen)
{
	char path[PKI_PATH_MAX], note[256];
	mbedtls_x509_crt crt;
	struct dirent *de;
	size_t n = 0, nl, tl = strlen(CRL_REVOKED_TAIL);
	DIR *d;
	int rc;

	if ((d = opendir(dir)) == NULL) {
		pki_errf(err, errlen, "cannot read directory %s: %s", dir, strerror(errno));
		return -1;
	}
	mbedtls_x509_crt_init(&crt);
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (strncmp(de->d_name, "leaf-", 5) != 0 || nl <= tl + 5 ||
		    strcmp(de->d_name + nl - tl, CRL_REVOKED_TAIL) != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		note[0] = '\0';
		if ((rc = pki_crt_load(&crt, path, note, sizeof(note))) != PKI_LOADED)
			continue;
		rc = pki_key_ids_link(&crt, ca);
		if (rc < 0)
			rc = pki_issued_by(&crt, ca);
		if (rc != 1 || crt.serial.len == 0 || crt.serial.len > CRL_SERIAL_MAX)
			continue;
		if (n == PKI_CRL_MAX_REVOKED) {
			log_warnx("pki: more than %d revoked leaves in %s; the CRL lists the first "
			    "%d found", PKI_CRL_MAX_REVOKED, dir, PKI_CRL_MAX_REVOKED);
			break;
		}
		memcpy(out[n].cs_b, crt.serial.p, crt.serial.len);
		out[n].cs_len = crt.serial.len;
		out[n].cs_date = x509_time_epoch(&crt.valid_from);
		n++;
	}
	mbedtls_x509_crt_free(&crt);
	closedir(d);
	qsort(out, n, sizeof(out[0]), serial_cmp);
	return (int)n;
}

/* cRLNumber ::= INTEGER (0..MAX) of a parsed CRL, or 0. */
static int
crl_number(const mbedtls_x509_crl *crl)
{
	const unsigned char *v;
	unsigned char *p;
	size_t vlen;
	int num;

	if ((v = pki_ext_find(&crl->crl_ext, MBEDTLS_OID_CRL_NUMBER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_NUMBER), &vlen)) == NULL)
		return 0;
	p = (unsigned char *)v;
	if (mbedtls_asn1_get_int(&p, p + vlen, &num) != 0 || num < 0)
		return 0;
	return num;
}

/* Does the CRL name ca as issuer (name and authorityKeyIdentifier)? */
static int
crl_from(const mbedtls_x509_crl *crl, const mbedtls_x509_crt *ca)
{
	const unsigned char *v, *ski;
	unsigned char *p, *end;
	size_t vlen, len, ski_len;

	if (crl->issuer_raw.len != ca->subject_raw.len ||
	    memcmp(crl->issuer_raw.p, ca->subject_raw.p, crl->issuer_raw.len) != 0)
		return 0;
	if ((ski = crt_ski(ca, &ski_len)) == NULL ||
	    (v = pki_ext_find(&crl->crl_ext, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER), &vlen)) == NULL)
		return 0;
	p = (unsigned char *)v;
	end = p + vlen;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0)
		return 0;
	end = p + len;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0) != 0)
		return 0;
	return len == ski_len && memcmp(p, ski, len) == 0;
}

/* Does the CRL list exactly the serials rs[0..n)? */
static int
crl_lists(const mbedtls_x509_crl *crl, const struct crl_serial *rs, size_t n)
{
	const mbedtls_x509_crl_entry *e;
	size_t count = 0, i;

	for (e = &crl->entry; e != NULL && e->serial.p != NULL; e = e->next) {
		for (i = 0; i < n; i++)
			if (e->serial.len == rs[i].cs_len &&
			    memcmp(e->serial.p, rs[i].cs_b, rs[i].cs_len) == 0)
				break;
		if (i == n)
			return 0;
		count++;
	}
	return count == n;
}

/* ---- the CRL file ---- */

/* 1 when the signature of crl verifies with ca's key. */
static int
crl_signed_by(const mbedtls_x509_crl *crl, const mbedtls_x509_crt *ca)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(crl->sig_md);
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];

	if (md == NULL || mbedtls_md(md, crl->tbs.p, crl->tbs.len, hash) != 0)
		return 0;
	return mbedtls_pk_verify_ext(crl->sig_pk, crl->sig_opts, (mbedtls_pk_context *)&ca->pk,
	    crl->sig_md, hash, mbedtls_md_get_size(md), crl->sig.p, crl->sig.len) == 0;
}

/*
 * CertificateList ::= SEQUENCE { tbsCertList TBSCertList,
 *     signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 */
static int
write_outer(unsigned char **c, unsigned char *start, const unsigned char *tbs, size_t tbs_len,
            mbedtls_pk_context *key, mbedtls_md_type_t md, const unsigned char *sig,
            size_t sig_len)
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_bitstring(c, start, sig, sig_len * 8));
	MBEDTLS_ASN1_CHK_ADD(len, write_sig_alg(c, start, key, md));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(c, start, tbs, tbs_len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(c, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(c, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
}

/* Write the CRL of ca at path, signed with key, valid this..next. Unless
 * foreign (a key that is not ca's, on purpose), it must verify against ca. */
static int
crl_write_as(const char *path, const mbedtls_x509_crt *ca, mbedtls_pk_context *key,
             const struct crl_serial *rs, size_t n, time_t this_update, time_t next_update,
             int number, int foreign, char *err, size_t errlen)
{
	const mbedtls_md_type_t md = MBEDTLS_MD_SHA256;
	unsigned char *tbs_buf = NULL, *out_buf = NULL, *c, *o;
	unsigned char hash[MBEDTLS_MD_MAX_SIZE], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t tbs_len, len = 0, sig_len = 0;
	mbedtls_x509_crl check;
	const char *step;
	char why[256];
	int ret, rc = -1;

	mbedtls_x509_crl_init(&check);
	if ((tbs_buf = malloc(CRL_DER_MAX)) == NULL || (out_buf = malloc(CRL_DER_MAX)) == NULL) {
		pki_errf(err, errlen, "cannot create %s: out of memory", path);
		goto out;
	}
	step = "TBSCertList";
	c = tbs_buf + CRL_DER_MAX;
	if ((ret = write_tbs(&c, tbs_buf, ca, key, md, rs, n, this_update, next_update,
	    number)) < 0)
		goto fail;
	tbs_len = (size_t)ret;
	step = "signature";
	if ((ret = mbedtls_md(mbedtls_md_info_from_type(md), c, tbs_len, hash)) != 0 ||
	    (ret = mbedtls_pk_sign(key, md, hash, 0, sig, &sig_len, rng_fill, rng_ctx())) != 0)
		goto fail;
	step = "CertificateList";
	o = out_buf + CRL_DER_MAX;
	if ((ret = write_outer(&o, out_buf, c, tbs_len, key, md, sig, sig_len)) < 0)
		goto fail;
	len = (size_t)ret;

	/* What we wrote must parse and verify before anyone can fetch it. */
	step = "parsing it back";
	if ((ret = mbedtls_x509_crl_parse_der(&check, o, len)) != 0)
		goto fail;
	if (!crl_from(&check, ca) || crl_signed_by(&check, ca) == foreign) {
		pki_errf(err, errlen, "%s just made %s against its issuer", path,
		    foreign ? "verifies" : "does not verify");
		goto out;
	}
	if (pki_file_write(path, o, len, 0644, 0, err, errlen) != 0)
		goto out;
	rc = 0;
	goto out;
fail:
	pki_errf(err, errlen, "cannot create %s: %s: %s", path, step,
	    pki_strerror(ret, why, sizeof(why)));
out:
	mbedtls_x509_crl_free(&check);
	free(tbs_buf);
	free(out_buf);
	return rc;
}

static int
crl_write(const char *path, const mbedtls_x509_crt *ca, mbedtls_pk_context *key,
          const struct crl_serial *rs, size_t n, time_t clock, int number,
          char *err, size_t errlen)
{
	return crl_write_as(path, ca, key, rs, n, clock - CRL_THIS_BACK, clock + CRL_NEXT_AHEAD,
	    number, 0, err, errlen);
}

int
pki_crl_variant_update(const char *path, const mbedtls_x509_crt *ca, mbedtls_pk_context *key,
                       int variant, time_t clock, char *err, size_t errlen)
{
	mbedtls_x509_crl crl;
	unsigned char *buf = NULL;
	size_t len;
	int rc, current = 0;

	mbedtls_x509_crl_init(&crl);
	if ((rc = pki_file_read(path, &buf, &len, err, errlen)) < 0)
		goto out;
	if (rc == 0 && mbedtls_x509_crl_parse_der(&crl, buf, len) == 0 && crl_from(&crl, ca)) {
		time_t tu = x509_time_epoch(&crl.this_update), nu = x509_time_epoch(&crl.next_update);
		current = variant == PKI_CRL_STALE_COPY ? tu <= clock && nu <= clock &&
		    crl_signed_by(&crl, ca) : !crl_signed_by(&crl, ca) && tu <= clock && clock < nu;
	}
	rc = 0;
	if (current)
		goto out;
	if (key == NULL) {
		rc = PKI_CRL_STALE;
		goto out;
	}
	/* stale: a week's CRL that ran out a day ago; wrong key: a current one
	 * signed by key (not the CA's) */
	if (variant == PKI_CRL_STALE_COPY)
		rc = crl_write_as(path, ca, key, NULL, 0, clock - 8 * PKI_DAY, clock - PKI_DAY, 1, 0,
		    err, errlen);
	else
		rc = crl_write_as(path, ca, key, NULL, 0, clock - CRL_THIS_BACK,
		    clock + CRL_NEXT_AHEAD, 1, 1, err, errlen);
	if (rc == 0)
		log_info("pki: created %s", path);
out:
	mbedtls_x509_crl_free(&crl);
	free(buf);
	return rc;
}

int
pki_crl_update(const char *path, const char *dir, const mbedtls_x509_crt *ca,
               mbedtls_pk_context *key, time_t clock, char *err, size_t errlen)
{
	struct crl_serial *rs;
	mbedtls_x509_crl crl;
	unsigned char *buf = NULL;
	size_t len;
	int n, rc = -1, current = 0, number = 0;

	if ((rs = calloc(PKI_CRL_MAX_REVOKED, sizeof(*rs))) == NULL) {
		pki_errf(err, errlen, "%s: out of memory", __func__);
		return -1;
	}
	mbedtls_x509_crl_init(&crl);
	if ((n = revoked_set(dir, ca, rs, err, errlen)) < 0)
		goto out;
	if ((rc = pki_file_read(path, &buf, &len, err, errlen)) < 0)
		goto out;
	if (rc == 0 && mbedtls_x509_crl_parse_der(&crl, buf, len) == 0) {
		time_t tu = x509_time_epoch(&crl.this_update), nu = x509_time_epoch(&crl.next_update);

		number = crl_number(&crl);
		current = crl.version == 2 && crl_from(&crl, ca) && tu <= clock &&
		    clock < nu && crl_lists(&crl, rs, (size_t)n);
	}
	if (current) {
		rc = 0;
		goto out;
	}
	if (key == NULL) {
		rc = PKI_CRL_STALE;
		goto out;
	}
	rc = crl_write(path, ca, key, rs, (size_t)n, clock, number < 0x7fffffff ? number + 1 : 1,
	    err, errlen);
	if (rc == 0)
		log_info("pki: created %s (%d revoked)", path, n);
out:
	mbedtls_x509_crl_free(&crl);
	free(buf);
	free(rs);
	return rc;
}
