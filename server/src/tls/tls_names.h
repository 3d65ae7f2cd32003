/*
 * Names for TLS code points, for logs, config parsing and reports.
 * Suite names are IANA names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256).
 */
#ifndef P2SGW_TLS_NAMES_H
#define P2SGW_TLS_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* IANA name of a cipher suite, or NULL if unknown. Covers every suite
 * mbedTLS knows plus TLS 1.3 suites, SCSVs and common legacy ones. */
const char *tls_suite_name(uint16_t id);
/* IANA name -> id; also accepts mbedTLS' dashed spelling. -1 if unknown. */
int tls_suite_from_name(const char *name);
/* "TLS 1.0", "TLS 1.2", "SSL 3.0", "TLS 1.3", or "0x%04x" into a static
 * per-thread buffer for unknown values. */
const char *tls_version_name(uint16_t v);
/* supported_groups: "secp256r1", "x25519", ... or NULL. */
const char *tls_group_name(uint16_t id);
int tls_group_from_name(const char *name);
/* signature_algorithms: "rsa_pkcs1_sha256", "ecdsa_secp256r1_sha256", ... or NULL */
const char *tls_sigalg_name(uint16_t id);
/* extension types: "server_name", "supported_groups", ... or NULL */
const char *tls_ext_name(uint16_t id);
/* alerts: "handshake_failure" <-> 40; tls_alert_from_name also accepts a
 * decimal number 0..255. -1 if unknown. */
const char *tls_alert_name(uint8_t code);
int tls_alert_from_name(const char *name);

/* A JSON array of the names of n code points ("GREASE" for GREASE values,
 * "0x%04x" for unknown ones), for the event log and reports. */
json_t *tls_names_json(const uint16_t *v, size_t n, const char *(*name)(uint16_t));

#endif
