/*
 * Internal to pki/: helpers shared by pki.c (lifecycle), pki_write.c (keys,
 * certificates, files) and pki_show.c (listing). Not for other modules.
 */
#ifndef P2SGW_PKI_INT_H
#define P2SGW_PKI_INT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "pki/pki.h"
#include "util/log.h"

#define PKI_PATH_MAX    512
#define PKI_SUBJECT_MAX 512
#define PKI_FILE_MAX    (1024 * 1024) /* cap on any PEM file we read */
#define PKI_PEM_MAX     16384         /* one PEM key or certificate */
#define PKI_DAY         86400

/* What pki_load_* found. */
enum pki_load {
	PKI_LOADED = 0,
	PKI_MISSING,  /* no such file */
	PKI_CORRUPT,  /* file exists but does not parse; reason in err */
};

/* Everything needed to issue one certificate. */
struct pki_issue {
	const char         *is_subject;     /* mbedTLS DN string, placeholders replaced */
	const mbedtls_x509_crt *is_issuer_crt; /* issuer's certificate; NULL: self-signed */
	mbedtls_pk_context *is_subject_key;
	mbedtls_pk_context *is_issuer_key;  /* same as subject key when self-signed */
	mbedtls_md_type_t   is_md;
	time_t              is_not_before;
	time_t              is_not_after;
	int                 is_ca;
	int                 is_pathlen;     /* CA only; -1 for none */
	const char         *is_san_dns;     /* leaf: dNSName, or NULL for no SAN */
	int                 is_eku_server;  /* leaf: include serverAuth */
	int                 is_eku_client;  /* leaf: include clientAuth */
	const unsigned char *is_cdp;        /* leaf: CRLDistributionPoints value, or NULL */
	size_t              is_cdp_len;
	const unsigned char *is_aia;        /* leaf: AuthorityInfoAccess value, or NULL */
	size_t              is_aia_len;
};

int  pki_mkdir(const char *path, char *err, size_t errlen);

/* Keys. */
int  pki_key_generate(mbedtls_pk_context *pk, enum pki_key_type t, const char *path,
                      char *err, size_t errlen);
int  pki_key_write(mbedtls_pk_context *pk, const char *path, char *err, size_t errlen);
int  pki_key_load(mbedtls_pk_context *pk, const char *path, char *err, size_t errlen);
int  pki_key_type_of(const mbedtls_pk_context *pk); /* enum pki_key_type or -1 */
int  pki_pubkey_equal(const mbedtls_pk_context *a, const mbedtls_pk_context *b);

/* Certificates. */
int  pki_crt_load(mbedtls_x509_crt *crt, const char *path, char *err, size_t errlen);
int  pki_crt_issue(const struct pki_issue *is, const char *path, mbedtls_x509_crt *out,
                   char *err, size_t errlen);
int  pki_issued_by(const mbedtls_x509_crt *child, const mbedtls_x509_crt *parent);
int  pki_key_ids_link(const mbedtls_x509_crt *child, const mbedtls_x509_crt *parent);
int  pki_subject_matches(const mbedtls_x509_crt *crt, const char *subject);
int  pki_time_equal(const mbedtls_x509_time *xt, time_t t);
int  pki_pem_append(char *buf, size_t size, size_t *used, const mbedtls_x509_crt *crt);

/* Revocation (crl.c). */
#define PKI_CRL_MAX_REVOKED 256
#define PKI_CRL_STALE       1
/* The value of extension oid in crt->v3_ext or crl->crl_ext, or NULL. */
const unsigned char *pki_ext_find(const mbedtls_x509_buf *exts, const char *oid,
                                  size_t oidlen, size_t *vlen);
/* id-pe-authorityInfoAccess (RFC 5280 4.2.2.1) and id-ad-caIssuers */
#define PKI_OID_AIA        MBEDTLS_OID_PKIX "\x01\x01"
#define PKI_OID_CA_ISSUERS MBEDTLS_OID_PKIX "\x30\x02"
/* AuthorityInfoAccess value with one caIssuers URI, at the end of buf. 0 or -1. */
int  pki_aia_encode(const char *url, unsigned char *buf, size_t size,
                    const unsigned char **out, size_t *outlen);
/* CRLDistributionPoints value with one URI, written at the end of buf. 0 or -1. */
int  pki_cdp_encode(const char *url, unsigned char *buf, size_t size,
                    const unsigned char **out, size_t *outlen);
/* The CRL of ca at path, listing the serials of dir/leaf-*-revoked.crt that
 * ca issued. key == NULL: check only, 0 current or PKI_CRL_STALE (missing,
 * not from ca, outside thisUpdate..nextUpdate at clock, other serials);
 * with ca's key: rewrite when not current (0). -1 with err. */
int  pki_crl_update(const char *path, const char *dir, const mbedtls_x509_crt *ca,
                    mbedtls_pk_context *key, time_t clock, char *err, size_t errlen);

/* A broken copy of ca's CRL at path (enum pki_crl_variant). key == NULL:
 * check only, 0 when it is there and broken as asked, else PKI_CRL_STALE;
 * with a key (stale: ca's; wrong key: another one) write it (0). -1 with err. */
int  pki_crl_variant_update(const char *path, const mbedtls_x509_crt *ca,
                            mbedtls_pk_context *key, int variant, time_t clock,
                            char *err, size_t errlen);

/* Formatting. */
void pki_time_iso(const mbedtls_x509_time *t, char *buf, size_t len);

#endif
