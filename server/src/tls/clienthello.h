/*
 * clienthello: sans-I/O parser of the ClientHello, before mbedTLS sees it.
 * It parses one ClientHello handshake message (reassembled from its TLS
 * records by tls/hello_reasm.h) or an SSLv2-compatible hello, and extracts
 * what the policy gate and the event log need: versions, suites, extensions,
 * SNI, groups, point formats, signature algorithms, ALPN, JA3 and JA4.
 *
 * No I/O, no clock, no allocation. tls/hello_reasm.h feeds it: the gateway
 * byte by byte as they arrive, tests and tools in one shot (ch_parse).
 */
#ifndef P2SGW_CLIENTHELLO_H
#define P2SGW_CLIENTHELLO_H

#include <stddef.h>
#include <stdint.h>

#include "util/log.h"

/* The largest ClientHello message the grammar allows (RFC 5246 7.4.1.2):
 * 4 (handshake header) + 2 + 32 + 1+32 (session_id) + 2+65534 (suites) +
 * 1+255 (compression) + 2+65535 (extensions). A length field above it is
 * malformed; nothing below it is refused for its size by the parser. */
#define CH_MAX_MESSAGE    131400
/* The shortest ClientHello body: legacy_version, random, session_id<0>,
 * one suite, one compression method. */
#define CH_MIN_BODY       (2 + 32 + 1 + 2 + 2 + 1 + 1)
/* Caps of the stored lists: longer lists are counted, never overflow. */
#define CH_MAX_SUITES     256
#define CH_MAX_EXTS       64
#define CH_MAX_GROUPS     64
#define CH_MAX_POINTFMTS  16
#define CH_MAX_SIGALGS    64
#define CH_MAX_VERSIONS   16
#define CH_JA3_MAX        4096

enum ch_status {
	CH_NEED_MORE = 0, /* a valid prefix: read more bytes and call again */
	CH_OK,            /* a complete ClientHello was parsed */
	CH_NOT_TLS,       /* first bytes are not a TLS handshake (e.g. "GET /") */
	CH_MALFORMED,     /* looks like TLS but violates the grammar (out->alert says
	                     which alert the RFCs name for the defect) */
};

/* Alerts the parser names for a malformed first flight (RFC 5246 7.2). */
#define CH_ALERT_UNEXPECTED_MESSAGE 10
#define CH_ALERT_RECORD_OVERFLOW    22
#define CH_ALERT_ILLEGAL_PARAMETER  47
#define CH_ALERT_DECODE_ERROR       50

/* Lists longer than their cap are stored up to the cap; n_* is the number
 * stored (<= CH_MAX_*), n_*_total the number on the wire. JA3/JA4 are
 * computed from the stored entries. */
struct ch_info {
	int      sslv2;            /* 1: SSLv2-compatible ClientHello */
	uint16_t record_version;   /* version in the first record header
	                              (0x0002 for an SSLv2 hello) */
	uint16_t legacy_version;   /* client_version field of the hello */
	uint16_t max_version;      /* highest version offered (supported_versions
	                              if present, else legacy_version), GREASE skipped */
	uint16_t versions[CH_MAX_VERSIONS]; /* supported_versions ext, GREASE removed */
	size_t   n_versions;
	uint16_t suites[CH_MAX_SUITES];     /* as sent, GREASE included */
	size_t   n_suites;
	uint16_t exts[CH_MAX_EXTS];         /* extension types as sent, GREASE included */
	size_t   n_exts;
	uint16_t groups[CH_MAX_GROUPS];     /* supported_groups, as sent */
	size_t   n_groups;
	uint8_t  point_formats[CH_MAX_POINTFMTS];
	size_t   n_point_formats;
	uint16_t sigalgs[CH_MAX_SIGALGS];   /* signature_algorithms, as sent */
	size_t   n_sigalgs;
	int      has_sni;
	char     sni[256];                  /* host_name, printable ASCII only */
	char     alpn_first[256];           /* first ALPN protocol, "" if none */
	int      has_alpn;
	size_t   session_id_len;
	size_t   hello_len;                 /* bytes consumed incl. record headers */
	size_t   msg_len;                   /* the handshake message incl. its 4-byte
	                                       header (SSLv2: the message after its
	                                       2-byte header) */
	unsigned n_records;                 /* TLS records the hello arrived in (SSLv2: 0) */
	char     ja3[CH_JA3_MAX];           /* JA3 string */
	char     ja3_hash[33];              /* md5 hex of ja3 */
	char     ja4[40];                   /* JA4 fingerprint, e.g. t12d1516h2_8daaf6152771_e5627efa2ab1 */
	char     error[160];                /* for CH_NOT_TLS / CH_MALFORMED: what was wrong */
	uint8_t  alert;                     /* for CH_MALFORMED: the RFC's alert for it */
	size_t   n_versions_total;          /* counts on the wire; versions: GREASE not counted */
	size_t   n_suites_total;            /* SSLv2: specs that map to TLS suites */
	size_t   n_exts_total;
	size_t   n_groups_total;
	size_t   n_point_formats_total;
	size_t   n_sigalgs_total;
};

/* One complete ClientHello handshake message msg[0..len) (type, uint24
 * length, body): CH_OK or CH_MALFORMED. Resets *out first. */
enum ch_status ch_parse_message(const uint8_t *msg, size_t len, struct ch_info *out);

/* A first flight that is not TLS records (buf[0] != 22): an SSLv2-compatible
 * hello, or bytes that are not TLS. CH_NEED_MORE until decided. Resets *out. */
enum ch_status ch_parse_raw(const uint8_t *buf, size_t len, struct ch_info *out);

/* Set out->error (and out->alert for CH_MALFORMED) and return st. */
enum ch_status ch_error(struct ch_info *out, enum ch_status st, uint8_t alert,
                        const char *fmt, ...) P2SGW_PRINTF(4, 5);

/* 1 if v is a GREASE value (RFC 8701: 0x?A?A with equal bytes). */
int ch_is_grease(uint16_t v);

#endif
