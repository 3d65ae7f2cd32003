/*
 * Lab PKI: roots, intermediates and leaves generated with mbedTLS x509write
 * into the state directory from the chain profiles in certs/.
 *
 * Keys are the expensive part and are created once; roots and intermediates
 * are created once and then kept (clients install them); leaves are created
 * for each (variant, key type, host name, gateway-clock day) when missing.
 * Validity is relative to the gateway clock passed in by the caller.
 */
#ifndef P2SGW_PKI_H
#define P2SGW_PKI_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "util/log.h"

enum pki_key_type {
	PKI_KEY_RSA2048 = 0,
	PKI_KEY_RSA3072,
	PKI_KEY_RSA4096,
	PKI_KEY_EC_P256,
	PKI_KEY_EC_P384,
};

/* Broken CRLs, kept beside the good one as <stem>-stale.crl and
 * <stem>-wrongkey.crl (docs/pki.md "Revocation"). */
enum pki_crl_variant {
	PKI_CRL_AS_IS = 0,
	PKI_CRL_STALE_COPY,  /* nextUpdate a day before the gateway clock */
	PKI_CRL_WRONG_KEY,   /* the CA's name, signed by another key (the leaf's) */
};

/* Leaf variants used to reproduce client-side certificate errors. */
enum pki_variant {
	PKI_VARIANT_VALID = 0,
	PKI_VARIANT_EXPIRED,              /* notAfter in the past */
	PKI_VARIANT_NOT_YET_VALID,        /* notBefore in the future */
	PKI_VARIANT_WRONG_HOST,           /* SAN/CN name another host */
	PKI_VARIANT_SHA1,                 /* leaf signed with SHA-1 */
	PKI_VARIANT_MISSING_INTERMEDIATE, /* served chain omits intermediates */
	PKI_VARIANT_NO_SERVER_AUTH_EKU,   /* EKU clientAuth only */
};

enum pki_purpose {
	PKI_PURPOSE_SERVER = 0, /* gateway chains: leaf has serverAuth EKU + SAN */
	PKI_PURPOSE_CLIENT,     /* client-certificate roots: leaf has clientAuth EKU */
};

#define PKI_MAX_INTERMEDIATES 3

struct pki_ca_spec {
	char               subject[256]; /* "C=US, O=DigiCert Inc, CN=..."; may contain {gateway_id} */
	enum pki_key_type  key;
	mbedtls_md_type_t  md;           /* signature hash of this certificate */
	int                backdate_days;/* notBefore = clock - backdate_days */
	int                days;         /* notAfter = notBefore + days */
	time_t             not_after;    /* a CA's fixed notAfter (the real root's), or 0 */
};

struct pki_profile {
	char               name[64];        /* file name stem in certs/ */
	char               description[256];
	enum pki_purpose   purpose;
	struct pki_ca_spec root;            /* self-signed */
	struct pki_ca_spec intermediates[PKI_MAX_INTERMEDIATES]; /* [0] signed by root */
	size_t             n_intermediates;
	struct pki_ca_spec leaf;            /* subject may contain {hostname}; SAN = hostname */
};

struct pki_leaf_request {
	const char        *hostname;  /* gateway host name for CN/SAN */
	enum pki_variant   variant;
	int                key_set;   /* 1: use key below instead of profile's leaf key */
	enum pki_key_type  key;
	time_t             clock;     /* gateway clock */
	/* Revocation (docs/pki.md "Revocation"): with a base URL such as
	 * "http://127.0.0.1:8080" the leaf carries the CRL distribution point
	 * <base>/<profile>/<issuer stem>.crl and the issuing CA's CRL is kept in
	 * STATE/pki/<profile>/<issuer stem>.crl. NULL: no CDP, no CRL. */
	const char        *crl_base_url;
	int                revoke_leaf;  /* 1: the issuing CA's CRL lists this leaf
	                                  * (needs crl_base_url) */
	/* Authority Information Access: with a base URL the leaf carries
	 * caIssuers <base>/<profile>/<issuer stem>.crt (the issuing CA, DER,
	 * for clients that fetch a missing intermediate). NULL: none. */
	const char        *aia_base_url;
	int                crl_variant;  /* also keep a broken copy of that CRL
	                                  * (needs crl_base_url): PKI_CRL_STALE_COPY,
	                                  * PKI_CRL_WRONG_KEY */
};

/* What serve needs: the chain to send and its key, loaded, plus facts for logs. */
struct pki_chain {
	mbedtls_x509_crt   chain;        /* leaf first, then the intermediates served */
	mbedtls_pk_context key;          /* leaf private key */
	enum pki_key_type  key_type;
	char               root_path[512];  /* PEM of the root a client should trust */
	char               chain_path[512]; /* PEM of what is served (leaf + intermediates) */
	char               leaf_subject[256];
	char               root_subject[256];
	unsigned char      leaf_sha1[20];
	unsigned char      leaf_sha256[32];
	unsigned char      leaf_serial[32]; /* INTEGER contents, big-endian */
	size_t             leaf_serial_len;
	char               crl_path[512];   /* CRL of the leaf's issuer; "" without CDP */
	char               crl_url[512];    /* the leaf's CDP URL; "" without CDP */
};

/* Create what is missing for this profile and request in state_dir, then
 * load the chain. 0 on success; -1 with a message in err. out must have been
 * set up with pki_chain_init(); it is replaced only on success. Layout and
 * lifecycle rules: docs/pki.md. */
int  pki_ensure(const char *state_dir, const struct pki_profile *p,
                const struct pki_leaf_request *req, struct pki_chain *out,
                char *err, size_t errlen);
void pki_chain_init(struct pki_chain *c);
/* A cross-certificate: the root of subject (its name and key) signed by the
 * root of issuer, kept as STATE/pki/<subject>/cross-<issuer>.crt and added
 * to out. Both roots must exist (pki_ensure them first). 0, or -1 with err. */
int  pki_cross_sign(const char *state_dir, const struct pki_profile *subject,
                    const struct pki_profile *issuer, mbedtls_x509_crt *out,
                    char *err, size_t errlen);
void pki_chain_free(struct pki_chain *c);

/* Print every certificate of a profile that exists in state_dir (or of all
 * profiles when name is NULL): subject, issuer, validity, SHA-1 and SHA-256
 * thumbprints, file path. 0 on success; -1 with err. */
int  pki_show(FILE *out, const char *state_dir, const char *name, char *err, size_t errlen);

/* The gateway id, a random lowercase GUID kept in STATE/gateway-id and used
 * for {gateway_id} in subjects. When the file is missing: with create it is
 * made (race-free), without it 1 is returned. 0 on success; -1 with err. */
#define PKI_GATEWAY_ID_LEN 36
int  pki_gateway_id(const char *state_dir, int create, char id[PKI_GATEWAY_ID_LEN + 1],
                    char *err, size_t errlen);

/* Names <-> enums, for config and logs. -1 if unknown. */
const char *pki_key_type_name(enum pki_key_type k);   /* "rsa2048", "ec-p256", ... */
int         pki_key_type_from_name(const char *s);
const char *pki_variant_name(enum pki_variant v);     /* "valid", "expired", "not-yet-valid",
                                                          "wrong-host", "sha1",
                                                          "missing-intermediate",
                                                          "no-server-auth-eku" */
int         pki_variant_from_name(const char *s);

/* Helpers the gateway's client package (app/package.c) shares. */
void pki_errf(char *err, size_t errlen, const char *fmt, ...) P2SGW_PRINTF(3, 4);
/* "X509 - ... (-0x2180)" for an mbedTLS error code. */
const char *pki_strerror(int ret, char *buf, size_t len);
/* Files: 0 on success, -1 with err naming path. */
int  pki_file_read(const char *path, unsigned char **buf, size_t *len,
                   char *err, size_t errlen); /* 1 when missing; buf NUL-terminated */
#define PKI_WRITE_NOREPLACE 0x1
int  pki_file_write(const char *path, const void *buf, size_t len, mode_t mode, int flags,
                    char *err, size_t errlen);
void pki_hex_upper(const unsigned char *b, size_t n, char *out /* 2n+1 */);
int  pki_thumbprints(const mbedtls_x509_crt *crt, unsigned char sha1[20],
                     unsigned char sha256[32]);

#endif
