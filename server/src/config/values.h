/*
 * values: parsers for single scenario and profile values, shared by the
 * YAML walkers and the P2SGW_* environment overrides so both accept exactly
 * the same spellings. Each returns 0, or -1 with a message in msg that says
 * what is wrong with the value but not where (the caller adds the position).
 */
#ifndef P2SGW_VALUES_H
#define P2SGW_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/ecp.h>

#include "config/scenario.h"

#define VAL_NAME_MAX 63 /* scenario and profile names: [A-Za-z0-9._-]{1,63} */

/* Decimal digits only, min..max. */
int val_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
             char *msg, size_t msglen);
/* true/false, yes/no, on/off, 1/0 (case-insensitive). */
int val_bool(const char *s, bool *out, char *msg, size_t msglen);
/* "500ms", "10s", "2m", "1h" or a bare integer of seconds; min_ms..max_ms. */
int val_duration_ms(const char *s, uint32_t min_ms, uint32_t max_ms, uint32_t *out,
                    char *msg, size_t msglen);
/* "now", "+30d" / "-2y" (units s m h d w y; y = 365 days; at most 100 years),
 * or "YYYY-MM-DDTHH:MM:SSZ" (UTC, years 1970..2199). */
int val_clock(const char *s, bool *fixed, time_t *at, int64_t *offset,
              char *msg, size_t msglen);
/* reset | fin | stall | alert:<name or number> */
int val_refusal(const char *s, struct tls_refusal *out, char *msg, size_t msglen);
/* tls1.0 / tls1.1 / tls1.2, also "TLSv1.2", "TLS 1.2", "1.2": minor 1..3. */
int val_version(const char *s, int *minor, char *msg, size_t msglen);
/* md5 sha1 sha224 sha256 sha384 sha512 -> MBEDTLS_MD_*. */
int val_sig_hash(const char *s, int *md, char *msg, size_t msglen);
/* Hash of a certificate signature: sha1 sha224 sha256 sha384 sha512. */
int val_cert_hash(const char *s, int *md, char *msg, size_t msglen);
/* IANA group name of an elliptic curve this mbedTLS supports. */
int val_curve(const char *s, mbedtls_ecp_group_id *out, char *msg, size_t msglen);
/* RFC 1123 host name, at most 253 characters, no trailing dot. */
int val_hostname(const char *s, char *msg, size_t msglen);
/* [A-Za-z0-9._-]{1,63}, not starting with '.'. */
int val_name(const char *s, char *msg, size_t msglen);
/* Name of a pki key type ("rsa2048", "ec-p256", ...). */
int val_key_type(const char *s, int *out, char *msg, size_t msglen);
/* Name of a pki leaf variant ("valid", "expired", ...). */
int val_variant(const char *s, int *out, char *msg, size_t msglen);

/* Dotted-quad IPv4 address, four decimal parts 0..255 without leading zeros;
 * *out in host byte order. */
int val_ipv4(const char *s, uint32_t *out, char *msg, size_t msglen);
/* "a.b.c.d/prefix" with prefix in minp..maxp and no host bits set (the
 * message then suggests the network address); *net in host byte order. */
int val_cidr(const char *s, unsigned minp, unsigned maxp, uint32_t *net, uint8_t *prefix,
             char *msg, size_t msglen);
/* An address a host may have: not 0.0.0.0/8, 127.0.0.0/8 or 224.0.0.0/3. */
int val_unicast(uint32_t addr, char *msg, size_t msglen);
/* Mask of a prefix length 0..32, host order. */
uint32_t val_prefix_mask(unsigned prefix);
/* "0" (no limit) or a rate: a number (up to 3 decimals) and a unit bit, kbit,
 * Mbit, Gbit (bits, decimal multiples) or B, kB, MB, GB (bytes), optionally
 * followed by "/s"; 1kbit..100Gbit. *out in bytes per second. */
int val_rate(const char *s, uint64_t *out, char *msg, size_t msglen);
/* SHA-1 thumbprint: 40 hex digits, case-insensitive; colons, blanks and a
 * U+200E mark (pasted from the Windows certificate dialog) are ignored. */
int val_thumbprint(const char *s, uint8_t out[20], char *msg, size_t msglen);

/* Human name of an MBEDTLS_MD_* value for messages ("sha256"). */
const char *val_md_name(int md);

/* "IPv4:port" with port 0..65535, 0 for any (revocation.listen). */
int val_listen(const char *s, uint32_t *addr, uint16_t *port, char *msg, size_t msglen);
/* "host" or "host:port": an RFC 1123 host name or IPv4 address and an
 * optional port 1..65535 (revocation.url_host). */
int val_host_port(const char *s, char *msg, size_t msglen);

#endif
