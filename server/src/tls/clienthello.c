/*
 * clienthello: sans-I/O parser of the first bytes of a connection.
 *
 * Grammar (RFC 5246 6.2.1, 7.4, 7.4.1.2; RFC 8446 4, 4.1.2, 4.2; RFC 6066 3;
 * RFC 7301 3.1; RFC 8422 5.1):
 *
 *   TLSPlaintext records: reassembled by tls/hello_reasm.c, which hands
 *   the whole handshake message here.
 *
 *   Handshake
 *     uint8   msg_type               1 (client_hello)
 *     uint24  length                 length of the body below
 *
 *   ClientHello body
 *     uint16  legacy_version
 *     opaque  random[32]
 *     opaque  session_id<0..32>
 *     uint16  cipher_suites<2..2^16-2>
 *     uint8   compression_methods<1..2^8-1>
 *     Extension extensions<0..2^16-1>      optional (absent in old hellos)
 *
 *   Extension
 *     uint16  extension_type         each type at most once (RFC 8446 4.2)
 *     opaque  extension_data<0..2^16-1>
 *
 *   Decoded extension_data:
 *     server_name (0)           ServerName server_name_list<1..2^16-1>;
 *                               ServerName: uint8 name_type, opaque name<1..2^16-1>
 *     supported_groups (10)     uint16 named_group_list<2..2^16-1>
 *     ec_point_formats (11)     uint8 ec_point_format_list<1..2^8-1>
 *     signature_algorithms (13) uint16 supported_signature_algorithms<2..2^16-2>
 *     ALPN (16)                 ProtocolName protocol_name_list<2..2^16-1>;
 *                               opaque ProtocolName<1..2^8-1>
 *     supported_versions (43)   uint16 versions<2..254>
 *
 *   SSLv2-compatible CLIENT-HELLO (RFC 5246 Appendix E.2), 2-byte header:
 *     uint8   msg_length[2]          high bit of [0] set; the other 15 bits
 *                                    are the length of what follows
 *     uint8   msg_type               1
 *     uint16  version                {3, x}, or {0, 2} from an SSL 2.0 client
 *     uint16  cipher_spec_length     non-zero multiple of 3
 *     uint16  session_id_length      0 .. 32
 *     uint16  challenge_length       16 .. 32
 *     uint8   cipher_specs[cipher_spec_length]   3-byte specs; {0, hi, lo}
 *                                                is the TLS suite {hi, lo}
 *     opaque  session_id[session_id_length]
 *     opaque  challenge[challenge_length]
 *
 * Every read is preceded by a `need > end - cur` check. Nothing is
 * allocated. A malformed hello gets the alert the RFCs name: decode_error
 * for the grammar, illegal_parameter for compression_methods without null,
 * unexpected_message for a first message that is not a ClientHello.
 *
 * Lists longer than their CH_MAX_* cap are counted in n_*_total and stored
 * up to the cap. JA3 and JA4 are computed from the stored lists; no real
 * client comes near the caps, and for hostile input the fingerprints cover
 * the first CH_MAX_* entries of each list.
 *
 * Strings: the first host_name of server_name and the first ALPN protocol
 * are stored as printable ASCII, each other byte replaced by '?' (so that
 * "a\x01b" cannot pass for "ab"), truncated to fit. A host_name holding a
 * NUL byte is CH_MALFORMED, as in OpenSSL. Only the first host_name is
 * used; entries of other name types are skipped, their length read as
 * uint16 (as mbedTLS does).
 */
#include "tls/clienthello.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>

#include "util/bytes.h"
#include "util/log.h"

#define CT_HANDSHAKE      22
#define HS_HDR_LEN        4
#define HS_CLIENT_HELLO   1
#define HELLO_RANDOM_LEN  32
#define HELLO_SID_MAX     32

#define V2_HDR_LEN        2
#define V2_FIXED_LEN      9    /* msg_type .. challenge_length */
#define V2_CLIENT_HELLO   1
#define V2_CHALLENGE_MIN  16
#define V2_CHALLENGE_MAX  32

#define EXT_SERVER_NAME        0
#define EXT_SUPPORTED_GROUPS   10
#define EXT_EC_POINT_FORMATS   11
#define EXT_SIGNATURE_ALGS     13
#define EXT_ALPN               16
#define EXT_SUPPORTED_VERSIONS 43
#define SNI_HOST_NAME          0

/* Parse state that does not belong in struct ch_info. */
struct ch_ctx {
	struct ch_info *out;
	int             sni_ext;        /* extension 0 present (JA4 'd') */
	const uint8_t  *alpn_raw;       /* first ALPN protocol, raw bytes */
	size_t          alpn_raw_len;
	uint8_t         seen[65536 / 8]; /* extension types seen so far */
};

static enum ch_status ch_fail(struct ch_info *, enum ch_status, const char *, ...)
    P2SGW_PRINTF(3, 4);

static enum ch_status ch_verror(struct ch_info *, enum ch_status, uint8_t, const char *, va_list)
    P2SGW_PRINTF(4, 0);

static enum ch_status
ch_verror(struct ch_info *out, enum ch_status st, uint8_t alert, const char *fmt, va_list ap)
{
	/* Truncation of a diagnostic is harmless; it stays NUL-terminated. */
	(void)vsnprintf(out->error, sizeof(out->error), fmt, ap);
	out->alert = st == CH_MALFORMED ? alert : 0;
	return st;
}

enum ch_status
ch_error(struct ch_info *out, enum ch_status st, uint8_t alert, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	st = ch_verror(out, st, alert, fmt, ap);
	va_end(ap);
	return st;
}

/* A defect of the grammar: decode_error (RFC 5246 7.2.2). */
static enum ch_status
ch_fail(struct ch_info *out, enum ch_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	st = ch_verror(out, st, CH_ALERT_DECODE_ERROR, fmt, ap);
	va_end(ap);
	return st;
}

int
ch_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static size_t
rd24(const uint8_t *p)
{
	return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

/* Append v to a capped list; the total counts every value. */
static void
list_add16(uint16_t *list, size_t *n, size_t *total, size_t cap, uint16_t v)
{
	if (*n < cap)
		list[(*n)++] = v;
	(*total)++;
}

/* Copy n bytes as a C string of printable ASCII: other bytes become '?',
 * the copy is truncated to dstsz - 1 bytes. */
static void
copy_printable(char *dst, size_t dstsz, const uint8_t *src, size_t n)
{
	size_t i;

	if (n > dstsz - 1)
		n = dstsz - 1;
	for (i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] <= 0x7e) ? (char)src[i] : '?';
	dst[n] = '\0';
}

static void
hex_lower(char *dst, const uint8_t *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 0x0f];
	}
	dst[2 * n] = '\0';
}

/* ------------------------------------------------------------------ */
/* Not TLS: describe the first bytes.                                  */

static const char *
content_type_name(uint8_t t)
{
	switch (t) {
	case 20: return " (change_cipher_spec record)";
	case 21: return " (alert record)";
	case 23: return " (application_data record)";
	case 24: return " (heartbeat record)";
	default: return "";
	}
}

static int
looks_like_http(const uint8_t *buf, size_t len)
{
	static const char *const methods[] = {
		"GET ", "POST", "HEAD", "PUT ", "DELE", "OPTI", "CONN", "PATC",
		"TRAC", "PRI ",
	};
	size_t i;

	if (len < 4)
		return 0;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (memcmp(buf, methods[i], 4) == 0)
			return 1;
	return 0;
}

/* Decided from the first byte alone; the message uses what else is there. */
static enum ch_status
not_tls(const uint8_t *buf, size_t len, struct ch_info *out)
{
	char   text[6];
	size_t n = 0;

	while (n < len && n < sizeof(text) - 1 && buf[n] >= 0x20 && buf[n] <= 0x7e) {
		text[n] = (char)buf[n];
		n++;
	}
	text[n] = '\0';
	if (looks_like_http(buf, len))
		return ch_fail(out, CH_NOT_TLS, "first bytes look like HTTP (\"%s\")", text);
	if (n >= 2)
		return ch_fail(out, CH_NOT_TLS, "first bytes look like plain text (\"%s\")", text);
	if (n == 1)
		return ch_fail(out, CH_NOT_TLS,
		    "first byte 0x%02x ('%c') is not a TLS handshake record", buf[0], buf[0]);
	return ch_fail(out, CH_NOT_TLS, "first byte 0x%02x is not a TLS handshake record%s",
	    buf[0], content_type_name(buf[0]));
}

/* ------------------------------------------------------------------ */
/* Extensions.                                                         */

/* uint16 list<min..> filling a capped array; ext holds exactly the list. */
static enum ch_status
parse_u16_list(struct ch_ctx *c, const char *what, const uint8_t *p, size_t len,
    size_t lenlen, uint16_t *list, size_t *n, size_t *total, size_t cap)
{
	size_t list_len, i;

	if (lenlen > len)
		return ch_fail(c->out, CH_MALFORMED, "%s: truncated length", what);
	list_len = lenlen == 1 ? p[0] : be16_get(p);
	if (list_len != len - lenlen)
		return ch_fail(c->out, CH_MALFORMED,
		    "%s: list length %zu, extension holds %zu", what, list_len, len - lenlen);
	if (list_len < 2 || list_len % 2 != 0)
		return ch_fail(c->out, CH_MALFORMED, "%s: bad list length %zu", what, list_len);
	for (i = 0; i < list_len; i += 2)
		list_add16(list, n, total, cap, be16_get(p + lenlen + i));
	return CH_OK;
}

static enum ch_status
parse_server_name(struct ch_ctx *c, const uint8_t *p, size_t len)
{
	const uint8_t *cur = p, *end = p + len;
	size_t         list_len, name_len;
	uint8_t        type;

	c->sni_ext = 1;
	if (2 > end - cur)
		return ch_fail(c->out, CH_MALFORMED, "server_name: truncated list length");
	list_len = be16_get(cur);
	cur += 2;
	if (list_len != (size_t)(end - cur) || list_len == 0)
		return ch_fail(c->out, CH_MALFORMED, "server_name: bad list length %zu", list_len);
	while (cur < end) {
		if (3 > end - cur)
			return ch_fail(c->out, CH_MALFORMED, "server_name: truncated entry");
		type = cur[0];
		name_len = be16_get(cur + 1);
		cur += 3;
		if (name_len > (size_t)(end - cur) || name_len == 0)
			return ch_fail(c->out, CH_MALFORMED, "server_name: bad name length %zu",
			    name_len);
		if (type == SNI_HOST_NAME && !c->out->has_sni) {
			/* "good.example\0evil" must not pass as "good.example". */
			if (memchr(cur, '\0', name_len) != NULL)
				return ch_fail(c->out, CH_MALFORMED,
				    "server_name: host_name contains a NUL byte");
			copy_printable(c->out->sni, sizeof(c->out->sni), cur, name_len);
			c->out->has_sni = 1;
		}
		cur += name_len;
	}
	return CH_OK;
}

static enum ch_status
parse_point_formats(struct ch_ctx *c, const uint8_t *p, size_t len)
{
	struct ch_info *out = c->out;
	size_t          list_len, i;

	if (1 > len)
		return ch_fail(out, CH_MALFORMED, "ec_point_formats: truncated length");
	list_len = p[0];
	if (list_len != len - 1 || list_len == 0)
		return ch_fail(out, CH_MALFORMED, "ec_point_formats: bad list length %zu",
		    list_len);
	for (i = 0; i < list_len; i++) {
		if (out->n_point_formats < CH_MAX_POINTFMTS)
			out->point_formats[out->n_point_formats++] = p[1 + i];
		out->n_point_formats_total++;
	}
	return CH_OK;
}

static enum ch_status
parse_alpn(struct ch_ctx *c, const uint8_t *p, size_t len)
{
	const uint8_t *cur = p, *end = p + len;
	size_t         list_len, name_len;

	if (2 > end - cur)
		return ch_fail(c->out, CH_MALFORMED, "alpn: truncated list length");
	list_len = be16_get(cur);
	cur += 2;
	if (list_len != (size_t)(end - cur) || list_len < 2)
		return ch_fail(c->out, CH_MALFORMED, "alpn: bad list length %zu", list_len);
	while (cur < end) {
		name_len = cur[0];
		cur++;
		if (name_len > (size_t)(end - cur) || name_len == 0)
			return ch_fail(c->out, CH_MALFORMED, "alpn: bad protocol length %zu",
			    name_len);
		if (!c->out->has_alpn) {
			copy_printable(c->out->alpn_first, sizeof(c->out->alpn_first), cur,
			    name_len);
			c->alpn_raw = cur;
			c->alpn_raw_len = name_len;
			c->out->has_alpn = 1;
		}
		cur += name_len;
	}
	return CH_OK;
}

static enum ch_status
parse_supported_versions(struct ch_ctx *c, const uint8_t *p, size_t len)
{
	struct ch_info *out = c->out;
	uint16_t        all[128]; /* versions<2..254>: at most 127 entries */
	size_t          n = 0, total = 0, i;
	enum ch_status  st;

	st = parse_u16_list(c, "supported_versions", p, len, 1, all, &n, &total,
	    sizeof(all) / sizeof(all[0]));
	if (st != CH_OK)
		return st;
	for (i = 0; i < n; i++) {
		if (ch_is_grease(all[i]))
			continue;
		list_add16(out->versions, &out->n_versions, &out->n_versions_total,
		    CH_MAX_VERSIONS, all[i]);
		if (all[i] > out->max_version)
			out->max_version = all[i];
	}
	return CH_OK;
}

static enum ch_status
parse_extension(struct ch_ctx *c, uint16_t type, const uint8_t *p, size_t len)
{
	struct ch_info *out = c->out;

	switch (type) {
	case EXT_SERVER_NAME:
		return parse_server_name(c, p, len);
	case EXT_SUPPORTED_GROUPS:
		return parse_u16_list(c, "supported_groups", p, len, 2, out->groups,
		    &out->n_groups, &out->n_groups_total, CH_MAX_GROUPS);
	case EXT_EC_POINT_FORMATS:
		return parse_point_formats(c, p, len);
	case EXT_SIGNATURE_ALGS:
		return parse_u16_list(c, "signature_algorithms", p, len, 2, out->sigalgs,
		    &out->n_sigalgs, &out->n_sigalgs_total, CH_MAX_SIGALGS);
	case EXT_ALPN:
		return parse_alpn(c, p, len);
	case EXT_SUPPORTED_VERSIONS:
		return parse_supported_versions(c, p, len);
	default:
		return CH_OK;
	}
}

/* ------------------------------------------------------------------ */
/* ClientHello body.                                                   */

static enum ch_status
parse_hello_body(struct ch_ctx *c, const uint8_t *p, size_t len)
{
	struct ch_info *out = c->out;
	const uint8_t  *cur = p, *end = p + len, *ext_end;
	size_t          n, i, ext_len;
	uint16_t        type;
	enum ch_status  st;

	if (2 + HELLO_RANDOM_LEN + 1 > end - cur)
		return ch_fail(out, CH_MALFORMED, "hello: truncated before session_id");
	out->legacy_version = be16_get(cur);
	cur += 2 + HELLO_RANDOM_LEN;

	n = cur[0];
	cur++;
	if (n > HELLO_SID_MAX)
		return ch_fail(out, CH_MALFORMED, "hello: session_id length %zu > 32", n);
	if (n > (size_t)(end - cur))
		return ch_fail(out, CH_MALFORMED, "hello: truncated session_id");
	out->session_id_len = n;
	cur += n;

	if (2 > end - cur)
		return ch_fail(out, CH_MALFORMED, "hello: truncated cipher_suites length");
	n = be16_get(cur);
	cur += 2;
	if (n < 2 || n % 2 != 0)
		return ch_fail(out, CH_MALFORMED, "hello: bad cipher_suites length %zu", n);
	if (n > (size_t)(end - cur))
		return ch_fail(out, CH_MALFORMED, "hello: truncated cipher_suites");
	for (i = 0; i < n; i += 2)
		list_add16(out->suites, &out->n_suites, &out->n_suites_total, CH_MAX_SUITES,
		    be16_get(cur + i));
	cur += n;

	if (1 > end - cur)
		return ch_fail(out, CH_MALFORMED, "hello: truncated compression_methods length");
	n = cur[0];
	cur++;
	if (n == 0)
		return ch_fail(out, CH_MALFORMED, "hello: no compression_methods");
	if (n > (size_t)(end - cur))
		return ch_fail(out, CH_MALFORMED, "hello: truncated compression_methods");
	if (memchr(cur, 0, n) == NULL)
		return ch_error(out, CH_MALFORMED, CH_ALERT_ILLEGAL_PARAMETER,
		    "hello: compression_methods (%zu) lack null, which every client must offer "
		    "(RFC 5246 7.4.1.2)", n);
	cur += n;

	if (cur == end)
		return CH_OK; /* no extensions block */
	if (2 > end - cur)
		return ch_fail(out, CH_MALFORMED, "hello: truncated extensions length");
	n = be16_get(cur);
	cur += 2;
	if (n != (size_t)(end - cur))
		return ch_fail(out, CH_MALFORMED,
		    "hello: extensions length %zu but %zu bytes follow", n, (size_t)(end - cur));
	ext_end = cur + n;
	while (cur < ext_end) {
		if (4 > ext_end - cur)
			return ch_fail(out, CH_MALFORMED, "extension: truncated header");
		type = be16_get(cur);
		ext_len = be16_get(cur + 2);
		cur += 4;
		if (ext_len > (size_t)(ext_end - cur))
			return ch_fail(out, CH_MALFORMED,
			    "extension %u: length %zu exceeds the extensions block", type, ext_len);
		if (c->seen[type / 8] & (1u << (type % 8)))
			return ch_fail(out, CH_MALFORMED, "extension %u appears twice", type);
		c->seen[type / 8] |= (uint8_t)(1u << (type % 8));
		list_add16(out->exts, &out->n_exts, &out->n_exts_total, CH_MAX_EXTS, type);
		st = parse_extension(c, type, cur, ext_len);
		if (st != CH_OK)
			return st;
		cur += ext_len;
	}
	return CH_OK;
}

/* ------------------------------------------------------------------ */
/* Fingerprints.                                                       */

struct strbuf {
	char  *s;
	size_t cap;
	size_t len;
	int    full; /* something did not fit; nothing more is appended */
};

/* Append a whole item or nothing, so truncation never splits a number. */
static void sb_add(struct strbuf *, const char *, ...) P2SGW_PRINTF(2, 3);

static void
sb_add(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int     r;

	if (sb->full)
		return;
	va_start(ap, fmt);
	r = vsnprintf(sb->s + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sb->cap - sb->len) {
		sb->s[sb->len] = '\0';
		sb->full = 1;
		return;
	}
	sb->len += (size_t)r;
}

static void
sb_add_u16_list(struct strbuf *sb, const uint16_t *v, size_t n)
{
	size_t i;
	int    first = 1;

	for (i = 0; i < n; i++) {
		if (ch_is_grease(v[i]))
			continue;
		sb_add(sb, "%s%u", first ? "" : "-", v[i]);
		first = 0;
	}
}

/*
 * JA3 (salesforce/ja3): SSLVersion,Ciphers,Extensions,EllipticCurves,
 * EllipticCurvePointFormats in decimal, list items joined by '-', GREASE
 * left out, SSLVersion = legacy_version. For an SSLv2 hello the string is
 * built from what exists: the version, the TLS suites among the cipher
 * specs, and three empty fields (e.g. "769,57-56-53,,,"); the reference
 * implementation ignores SSLv2 hellos altogether. With the current caps the
 * string fits in CH_JA3_MAX; if it ever does not, it ends after the last
 * whole item that fits and the hash covers that truncated string.
 */
static void
make_ja3(struct ch_info *out)
{
	struct strbuf sb = { out->ja3, sizeof(out->ja3), 0, 0 };
	unsigned char md[16];
	size_t        i;

	out->ja3[0] = '\0';
	sb_add(&sb, "%u,", out->legacy_version);
	sb_add_u16_list(&sb, out->suites, out->n_suites);
	sb_add(&sb, ",");
	sb_add_u16_list(&sb, out->exts, out->n_exts);
	sb_add(&sb, ",");
	sb_add_u16_list(&sb, out->groups, out->n_groups);
	sb_add(&sb, ",");
	for (i = 0; i < out->n_point_formats; i++)
		sb_add(&sb, "%s%u", i ? "-" : "", out->point_formats[i]);

	if (mbedtls_md5_ret((const unsigned char *)out->ja3, sb.len, md) != 0) {
		out->ja3_hash[0] = '\0'; /* not reachable with the stock md5 */
		return;
	}
	hex_lower(out->ja3_hash, md, sizeof(md));
}

static int
cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x > y) - (x < y);
}

/* First 12 hex digits of sha256(s), or "000000000000" when s is empty. */
static void
sha256_12(char dst[13], const char *s, size_t n)
{
	unsigned char md[32];

	if (n == 0 || mbedtls_sha256_ret((const unsigned char *)s, n, md, 0) != 0) {
		memcpy(dst, "000000000000", 13);
		return;
	}
	hex_lower(dst, md, 6);
}

static const char *
ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	default:     return "00";
	}
}

static int
is_alnum_ascii(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

/*
 * JA4 (FoxIO, technical_details/JA4.md in FoxIO-LLC/ja4), TLS over TCP:
 *   t, version, d|i, %02d ciphers, %02d extensions, ALPN first+last char,
 *   _ sha256[:12] of the sorted cipher list ("002f,0035,..."),
 *   _ sha256[:12] of the sorted extension list without SNI and ALPN,
 *     followed by "_" and the signature algorithms in wire order (no "_"
 *     when there are none).
 * GREASE is left out everywhere. Worked example in that document:
 * t13d1516h2_8daaf6152771_e5627efa2ab1 (asserted in test_clienthello.c).
 * An SSLv2 hello gets "i", no extensions and "000000000000" for the last part.
 */
static void
make_ja4(struct ch_ctx *c)
{
	struct ch_info *out = c->out;
	uint16_t        v[CH_MAX_SUITES];
	char            list[CH_MAX_SUITES * 5 + 1];
	char            hash_b[13], hash_c[13], alpn[3];
	struct strbuf   sb;
	size_t          n, i, n_ciphers = 0, n_exts = 0;

	for (i = 0; i < out->n_suites; i++)
		if (!ch_is_grease(out->suites[i]))
			v[n_ciphers++] = out->suites[i];
	qsort(v, n_ciphers, sizeof(v[0]), cmp_u16);
	sb = (struct strbuf){ list, sizeof(list), 0, 0 };
	for (i = 0; i < n_ciphers; i++)
		sb_add(&sb, "%s%04x", i ? "," : "", v[i]);
	sha256_12(hash_b, list, sb.len);

	n = 0;
	for (i = 0; i < out->n_exts; i++) {
		if (ch_is_grease(out->exts[i]))
			continue;
		n_exts++;
		if (out->exts[i] != EXT_SERVER_NAME && out->exts[i] != EXT_ALPN)
			v[n++] = out->exts[i];
	}
	qsort(v, n, sizeof(v[0]), cmp_u16);
	sb = (struct strbuf){ list, sizeof(list), 0, 0 };
	for (i = 0; i < n; i++)
		sb_add(&sb, "%s%04x", i ? "," : "", v[i]);
	if (n > 0) {
		int first = 1;

		for (i = 0; i < out->n_sigalgs; i++) {
			if (ch_is_grease(out->sigalgs[i]))
				continue;
			sb_add(&sb, "%s%04x", first ? "_" : ",", out->sigalgs[i]);
			first = 0;
		}
	}
	sha256_12(hash_c, list, sb.len); /* "000000000000" when n == 0 */

	if (c->alpn_raw_len == 0) {
		memcpy(alpn, "00", 3);
	} else {
		uint8_t f = c->alpn_raw[0], l = c->alpn_raw[c->alpn_raw_len - 1];

		if (is_alnum_ascii(f) && is_alnum_ascii(l)) {
			alpn[0] = (char)f;
			alpn[1] = (char)l;
		} else {
			/* first and last digit of the value's hex form */
			static const char digits[] = "0123456789abcdef";

			alpn[0] = digits[f >> 4];
			alpn[1] = digits[l & 0x0f];
		}
		alpn[2] = '\0';
	}

	(void)snprintf(out->ja4, sizeof(out->ja4), "t%s%c%02zu%02zu%s_%s_%s",
	    ja4_version(out->max_version), c->sni_ext ? 'd' : 'i',
	    n_ciphers > 99 ? (size_t)99 : n_ciphers, n_exts > 99 ? (size_t)99 : n_exts,
	    alpn, hash_b, hash_c);
}

static void
finish(struct ch_ctx *c)
{
	make_ja3(c->out);
	make_ja4(c);
}

/* ------------------------------------------------------------------ */
/* Record layers.                                                      */

static enum ch_status
parse_sslv2(const uint8_t *buf, size_t len, struct ch_info *out)
{
	struct ch_ctx  c = { .out = out };
	const uint8_t *cur, *end;
	size_t         msg_len, spec_len, sid_len, chal_len;

	/* Bytes 2..4 decide whether this is an SSLv2 hello at all. */
	if (len < 3)
		return CH_NEED_MORE;
	if (buf[2] != V2_CLIENT_HELLO)
		return ch_fail(out, CH_NOT_TLS,
		    "first bytes %02x %02x %02x are neither a TLS record nor an SSLv2 "
		    "ClientHello", buf[0], buf[1], buf[2]);
	if (len < 5)
		return CH_NEED_MORE;
	if (!(buf[3] == 3 || (buf[3] == 0 && buf[4] == 2)))
		return ch_fail(out, CH_NOT_TLS,
		    "first bytes look like an SSLv2 header with unknown version 0x%02x%02x",
		    buf[3], buf[4]);

	msg_len = (size_t)(buf[0] & 0x7f) << 8 | buf[1];
	if (msg_len < V2_FIXED_LEN + 3 + V2_CHALLENGE_MIN)
		return ch_fail(out, CH_MALFORMED, "sslv2: message length %zu too short", msg_len);
	if (len < V2_HDR_LEN + V2_FIXED_LEN)
		return CH_NEED_MORE;
	spec_len = be16_get(buf + 5);
	sid_len = be16_get(buf + 7);
	chal_len = be16_get(buf + 9);
	if (spec_len == 0 || spec_len % 3 != 0)
		return ch_fail(out, CH_MALFORMED, "sslv2: bad cipher_spec_length %zu", spec_len);
	if (sid_len > HELLO_SID_MAX)
		return ch_fail(out, CH_MALFORMED, "sslv2: session_id_length %zu > 32", sid_len);
	if (chal_len < V2_CHALLENGE_MIN || chal_len > V2_CHALLENGE_MAX)
		return ch_fail(out, CH_MALFORMED, "sslv2: challenge_length %zu not in 16..32",
		    chal_len);
	if (V2_FIXED_LEN + spec_len + sid_len + chal_len != msg_len)
		return ch_fail(out, CH_MALFORMED,
		    "sslv2: message length %zu does not match its fields (%zu)", msg_len,
		    V2_FIXED_LEN + spec_len + sid_len + chal_len);
	if (len < V2_HDR_LEN + msg_len)
		return CH_NEED_MORE;

	out->sslv2 = 1;
	out->record_version = 0x0002;
	out->legacy_version = be16_get(buf + 3);
	out->max_version = out->legacy_version;
	out->session_id_len = sid_len;
	cur = buf + V2_HDR_LEN + V2_FIXED_LEN;
	end = cur + spec_len;
	for (; 3 <= end - cur; cur += 3)
		if (cur[0] == 0)
			list_add16(out->suites, &out->n_suites, &out->n_suites_total,
			    CH_MAX_SUITES, be16_get(cur + 1));
	out->hello_len = V2_HDR_LEN + msg_len;
	out->msg_len = msg_len;
	finish(&c);
	return CH_OK;
}

enum ch_status
ch_parse_message(const uint8_t *msg, size_t len, struct ch_info *out)
{
	struct ch_ctx  c;
	enum ch_status st;
	size_t         body_len;

	memset(out, 0, sizeof(*out));
	if (len < HS_HDR_LEN)
		return ch_fail(out, CH_MALFORMED, "ClientHello: truncated handshake header");
	if (msg[0] != HS_CLIENT_HELLO)
		return ch_error(out, CH_MALFORMED, CH_ALERT_UNEXPECTED_MESSAGE,
		    "first handshake message has type %u, not ClientHello (1)", msg[0]);
	body_len = rd24(msg + 1);
	if (HS_HDR_LEN + body_len != len)
		return ch_fail(out, CH_MALFORMED, "ClientHello length %zu, message holds %zu",
		    body_len, len - HS_HDR_LEN);
	out->msg_len = len;
	memset(&c, 0, sizeof(c));
	c.out = out;
	st = parse_hello_body(&c, msg + HS_HDR_LEN, body_len);
	if (st != CH_OK)
		return st;
	if (out->max_version == 0)
		out->max_version = out->legacy_version;
	finish(&c);
	return CH_OK;
}

enum ch_status
ch_parse_raw(const uint8_t *buf, size_t len, struct ch_info *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return CH_NEED_MORE;
	if (buf[0] == CT_HANDSHAKE)
		return ch_fail(out, CH_NOT_TLS, "internal: TLS records passed as a raw first flight");
	if (buf[0] & 0x80)
		return parse_sslv2(buf, len, out);
	return not_tls(buf, len, out);
}
