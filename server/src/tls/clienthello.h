/*
 * clienthello: sans-I/O parser of the first bytes a client sends, before
 * mbedTLS sees them. It recognises TLS records carrying a ClientHello (also
 * spread over several records) and SSLv2-compatible hellos, and extracts
 * what the policy gate and the event log need: versions, suites, extensions,
 * SNI, groups, point formats, signature algorithms, ALPN, JA3 and JA4.
 *
 * No I/O, no clock, no allocation: the caller passes all bytes received so
 * far from the start of the connection, and calls again with more while the
 * result is CH_NEED_MORE.
 */
#ifndef P2SGW_CLIENTHELLO_H
#define P2SGW_CLIENTHELLO_H

#include <stddef.h>
#include <stdint.h>

/* Caps: anything larger is CH_TOO_LARGE / truncated lists, never overflow. */
#define CH_MAX_BYTES      (64 * 1024) /* total bytes buffered for one hello */
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
	CH_MALFORMED,     /* looks like TLS but violates the grammar */
	CH_TOO_LARGE,     /* exceeds CH_MAX_BYTES before completing */
};

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
	char     ja3[CH_JA3_MAX];           /* JA3 string */
	char     ja3_hash[33];              /* md5 hex of ja3 */
	char     ja4[40];                   /* JA4 fingerprint, e.g. t12d1516h2_8daaf6152771_e5627efa2ab1 */
	char     error[160];                /* for CH_NOT_TLS / CH_MALFORMED / CH_TOO_LARGE: what was wrong */
	size_t   n_versions_total;          /* counts on the wire; versions: GREASE not counted */
	size_t   n_suites_total;            /* SSLv2: specs that map to TLS suites */
	size_t   n_exts_total;
	size_t   n_groups_total;
	size_t   n_point_formats_total;
	size_t   n_sigalgs_total;
};

/* Parse buf[0..len) (all bytes received so far). Fills *out when CH_OK, and
 * out->error otherwise (fields parsed before an error may be set, ja3/ja4
 * and hello_len are not). Never reads outside buf. Uses about
 * CH_MAX_BYTES + 10 KiB of stack (handshake reassembly), no heap. */
enum ch_status ch_parse(const uint8_t *buf, size_t len, struct ch_info *out);

/* 1 if v is a GREASE value (RFC 8701: 0x?A?A with equal bytes). */
int ch_is_grease(uint16_t v);

#endif
