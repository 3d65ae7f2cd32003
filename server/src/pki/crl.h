/*
 * Revocation for the lab PKI: where the CRLs that pki_ensure() writes live,
 * for a server that publishes them (control/crl_http.c). Layout and
 * lifecycle: docs/pki.md "Revocation".
 *
 * A leaf made with a crl_base_url carries a CRL distribution point
 *   <crl_base_url>/<profile>/<issuer stem>.crl
 * and the issuing CA's CRL is STATE/pki/<profile>/<issuer stem>.crl (DER).
 */
#ifndef P2SGW_PKI_CRL_H
#define P2SGW_PKI_CRL_H

#include <stddef.h>

#define PKI_CRL_CONTENT_TYPE "application/pkix-crl"
#define PKI_CRL_URL_MAX      256  /* crl_base_url, without the path */

/* Profile names that can appear in a CDP URL: 1..63 of [a-z0-9-], not
 * starting with '-'. Stems ("root", "int1"): 1..15 of [a-z0-9]. */
int pki_crl_profile_ok(const char *profile);
int pki_crl_stem_ok(const char *stem);

/* STATE/pki/<profile>/<stem>.crl into path. 0, or -1 when a component is
 * not a valid name (see above) or the path does not fit. Does not look at
 * the file. */
int pki_crl_path(const char *state_dir, const char *profile, const char *stem,
                 char *path, size_t len);
/* The same for a broken copy (enum pki_crl_variant): <stem>-stale.crl,
 * <stem>-wrongkey.crl; PKI_CRL_AS_IS is pki_crl_path. */
int pki_crl_variant_path(const char *state_dir, const char *profile, const char *stem,
                         int variant, char *path, size_t len);

/* Is s a usable crl_base_url: "http://" host [":" port], no path, no
 * trailing '/', printable ASCII without spaces, < PKI_CRL_URL_MAX? */
int pki_crl_base_url_ok(const char *s);

#endif
