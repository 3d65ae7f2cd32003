/*
 * values: strict parsers for one scenario or profile value (see values.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/md.h>

#include "config/suggest.h"
#include "config/values.h"
#include "pki/pki.h"
#include "tls/tls_names.h"
#include "util/addr.h"

#define SEC_PER_DAY  86400LL
#define SEC_PER_YEAR (365 * SEC_PER_DAY)
#define MAX_OFFSET   (100 * SEC_PER_YEAR)

/* Leading decimal digits of s into *out without overflow past cap.
 * Returns the number of digits read (0 if none); sets *over on overflow. */
static size_t
read_digits(const char *s, uint64_t cap, uint64_t *out, bool *over)
{
	uint64_t v = 0;
	size_t i = 0;

	*over = false;
	for (; isdigit((unsigned char)s[i]); i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (cap - d) / 10)
			*over = true;
		else
			v = v * 10 + d;
	}
	*out = v;
	return i;
}

int
val_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *msg, size_t msglen)
{
	uint64_t v;
	bool over;
	size_t n = read_digits(s, UINT64_MAX, &v, &over);

	if (n == 0 || s[n] != '\0') {
		(void)snprintf(msg, msglen, "'%.64s' is not a whole number", s);
		return -1;
	}
	if (over || v < min || v > max) {
		(void)snprintf(msg, msglen, "%.64s is out of range %ju..%ju", s, (uintmax_t)min,
		    (uintmax_t)max);
		return -1;
	}
	*out = v;
	return 0;
}

int
val_bool(const char *s, bool *out, char *msg, size_t msglen)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	(void)snprintf(msg, msglen, "'%.64s' is not a boolean (true/false, yes/no, on/off, 1/0)", s);
	return -1;
}

static void
fmt_ms(char *buf, size_t len, uint32_t ms)
{
	if (ms % 3600000 == 0)
		(void)snprintf(buf, len, "%uh", ms / 3600000);
	else if (ms % 60000 == 0)
		(void)snprintf(buf, len, "%um", ms / 60000);
	else if (ms % 1000 == 0)
		(void)snprintf(buf, len, "%us", ms / 1000);
	else
		(void)snprintf(buf, len, "%ums", ms);
}

int
val_duration_ms(const char *s, uint32_t min_ms, uint32_t max_ms, uint32_t *out,
                char *msg, size_t msglen)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	char lo[16], hi[16];
	uint64_t v;
	bool over;
	size_t n = read_digits(s, UINT64_MAX / 86400000, &v, &over);

	fmt_ms(lo, sizeof(lo), min_ms);
	fmt_ms(hi, sizeof(hi), max_ms);
	if (n == 0)
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + n, units[i].unit) != 0)
			continue;
		uint64_t ms = v * units[i].ms;
		if (over || ms < min_ms || ms > max_ms) {
			(void)snprintf(msg, msglen, "duration %.64s is out of range %s..%s", s, lo, hi);
			return -1;
		}
		*out = (uint32_t)ms;
		return 0;
	}
bad:
	(void)snprintf(msg, msglen,
	    "'%.64s' is not a duration (a number with ms, s, m, h or d, e.g. \"10s\"; "
	    "a bare number is seconds)", s);
	return -1;
}

static int
two_digits(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* "YYYY-MM-DDTHH:MM:SSZ", exactly. */
static int
clock_absolute(const char *s, time_t *at, char *msg, size_t msglen)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm tm;
	bool ok = strlen(s) == sizeof(shape) - 1;

	for (size_t i = 0; ok && i < sizeof(shape) - 1; i++)
		ok = shape[i] == 'd' ? isdigit((unsigned char)s[i]) != 0 : s[i] == shape[i];
	if (!ok) {
		(void)snprintf(msg, msglen,
		    "'%.64s' is not a clock: use \"now\", an offset such as \"+30d\" or \"-2y\" "
		    "(units s m h d w y), or a UTC time such as \"2019-03-12T18:00:00Z\"", s);
		return -1;
	}
	int y = two_digits(s) * 100 + two_digits(s + 2), mo = two_digits(s + 5),
	    d = two_digits(s + 8), h = two_digits(s + 11), mi = two_digits(s + 14),
	    sec = two_digits(s + 17);
	if (y < 1970 || y > 2199) {
		(void)snprintf(msg, msglen, "year %d is out of range 1970..2199", y);
		return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	/* timegm normalises 02-30 to 03-02: a changed field means a bad date. */
	if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 ||
	    tm.tm_mday != d || tm.tm_hour != h || tm.tm_min != mi || tm.tm_sec != sec) {
		(void)snprintf(msg, msglen, "'%.64s' is not a valid date and time", s);
		return -1;
	}
	*at = t;
	return 0;
}

int
val_clock(const char *s, bool *fixed, time_t *at, int64_t *offset, char *msg, size_t msglen)
{
	static const struct { char unit; int64_t sec; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', SEC_PER_DAY },
		{ 'w', 7 * SEC_PER_DAY }, { 'y', SEC_PER_YEAR },
	};

	if (strcasecmp(s, "now") == 0) {
		*fixed = false;
		*offset = 0;
		return 0;
	}
	if (s[0] != '+' && s[0] != '-') {
		if (clock_absolute(s, at, msg, msglen) != 0)
			return -1;
		*fixed = true;
		return 0;
	}

	uint64_t v;
	bool over;
	size_t n = read_digits(s + 1, UINT64_MAX / SEC_PER_YEAR, &v, &over);
	if (n == 0 || s[1 + n] == '\0' || s[2 + n] != '\0')
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (s[1 + n] != units[i].unit)
			continue;
		if (over || v * (uint64_t)units[i].sec > (uint64_t)MAX_OFFSET) {
			(void)snprintf(msg, msglen, "clock offset %.64s is more than 100 years", s);
			return -1;
		}
		int64_t sec = (int64_t)v * units[i].sec;
		*fixed = false;
		*offset = s[0] == '-' ? -sec : sec;
		return 0;
	}
bad:
	(void)snprintf(msg, msglen,
	    "'%.64s' is not a clock offset: use a sign, a number and one of the units "
	    "s m h d w y, e.g. \"+30d\" or \"-2y\"", s);
	return -1;
}

int
val_refusal(const char *s, struct tls_refusal *out, char *msg, size_t msglen)
{
	static const char *const kinds[] = {
		"reset", "fin", "stall", "alert", "alert:protocol_version", "alert:handshake_failure",
		"alert:insufficient_security",
	};

	if (strcmp(s, "alert") == 0) {
		out->kind = TLS_REFUSE_ALERT;
		out->alert = TLS_ALERT_PER_RFC;
		return 0;
	}
	if (strcmp(s, "reset") == 0 || strcmp(s, "fin") == 0 || strcmp(s, "stall") == 0) {
		out->kind = s[0] == 'r' ? TLS_REFUSE_RESET : s[0] == 'f' ? TLS_REFUSE_FIN :
		                                                         TLS_REFUSE_STALL;
		out->alert = 0;
		return 0;
	}
	if (strncmp(s, "alert:", 6) == 0) {
		int a = tls_alert_from_name(s + 6);
		if (a < 0 || a > 255) {
			const char *names[256];
			size_t n = 0;
			for (int c = 0; c < 256; c++)
				if ((names[n] = tls_alert_name((uint8_t)c)) != NULL)
					n++;
			(void)snprintf(msg, msglen,
			    "unknown TLS alert '%.64s' (a name such as protocol_version or a number 0..255)",
			    s + 6);
			config_append_suggestion(msg, msglen, s + 6, names, n);
			return -1;
		}
		if (a == 0) {
			(void)snprintf(msg, msglen, "close_notify is not a refusal: name a fatal alert, "
			    "or write 'alert' for the one the RFCs name for each refusal");
			return -1;
		}
		out->kind = TLS_REFUSE_ALERT;
		out->alert = (uint8_t)a;
		return 0;
	}
	(void)snprintf(msg, msglen,
	    "unknown refusal '%.64s' (one of reset, fin, stall, alert, alert:<name or number>)", s);
	config_append_suggestion(msg, msglen, s, kinds, sizeof(kinds) / sizeof(kinds[0]));
	return -1;
}

int
val_version(const char *s, int *minor, char *msg, size_t msglen)
{
	char v[32];
	size_t n = 0;

	/* Lower-case, drop a "tls"/"tlsv"/"tls " prefix: "TLSv1.2" -> "1.2". */
	for (const char *p = s; *p != '\0' && n < sizeof(v) - 1; p++)
		v[n++] = (char)tolower((unsigned char)*p);
	v[n] = '\0';
	const char *num = v;
	bool ssl = false;
	if (strncmp(num, "tls", 3) == 0) {
		num += 3;
		if (*num == 'v' || *num == ' ' || *num == '_' || *num == '-')
			num++;
	} else if (strncmp(num, "ssl", 3) == 0) {
		ssl = true;
		num += 3;
		if (*num == 'v' || *num == ' ')
			num++;
	}
	if (!ssl && strlen(s) < sizeof(v) - 1) {
		if (strcmp(num, "1.0") == 0 || strcmp(num, "10") == 0) {
			*minor = 1;
			return 0;
		}
		if (strcmp(num, "1.1") == 0 || strcmp(num, "11") == 0) {
			*minor = 2;
			return 0;
		}
		if (strcmp(num, "1.2") == 0 || strcmp(num, "12") == 0) {
			*minor = 3;
			return 0;
		}
		if (strcmp(num, "1.3") == 0 || strcmp(num, "13") == 0) {
			(void)snprintf(msg, msglen,
			    "TLS 1.3 cannot be served: mbedTLS 2.28 has no TLS 1.3 "
			    "(and Azure never offered it for SSTP)");
			return -1;
		}
	}
	if (ssl && (strcmp(num, "3") == 0 || strcmp(num, "3.0") == 0 || strcmp(num, "2") == 0 ||
	            strcmp(num, "2.0") == 0)) {
		(void)snprintf(msg, msglen,
		    "%s cannot be served: this mbedTLS 2.28 build has no SSL 2.0/3.0 "
		    "(and Azure never offered it)", s);
		return -1;
	}
	(void)snprintf(msg, msglen, "unknown TLS version '%.64s' (one of tls1.0, tls1.1, tls1.2)", s);
	return -1;
}

static const struct {
	const char *name;
	int         md;
} md_names[] = {
	{ "md5", MBEDTLS_MD_MD5 },
	{ "sha1", MBEDTLS_MD_SHA1 },
	{ "sha224", MBEDTLS_MD_SHA224 },
	{ "sha256", MBEDTLS_MD_SHA256 },
	{ "sha384", MBEDTLS_MD_SHA384 },
	{ "sha512", MBEDTLS_MD_SHA512 },
};
#define N_MD_NAMES (sizeof(md_names) / sizeof(md_names[0]))

const char *
val_md_name(int md)
{
	for (size_t i = 0; i < N_MD_NAMES; i++)
		if (md_names[i].md == md)
			return md_names[i].name;
	return "?";
}

static int
md_from_name(const char *s, size_t first, int *md, const char *what, char *msg, size_t msglen)
{
	const char *cands[N_MD_NAMES];

	for (size_t i = first; i < N_MD_NAMES; i++) {
		cands[i - first] = md_names[i].name;
		if (strcasecmp(s, md_names[i].name) == 0 ||
		    (strncasecmp(s, "sha-", 4) == 0 && strcasecmp(s + 4, md_names[i].name + 3) == 0)) {
			*md = md_names[i].md;
			return 0;
		}
	}
	(void)snprintf(msg, msglen, "unknown %s '%.64s' (one of %s%s)", what, s,
	    first == 0 ? "md5 " : "", "sha1 sha224 sha256 sha384 sha512");
	config_append_suggestion(msg, msglen, s, cands, N_MD_NAMES - first);
	return -1;
}

int
val_sig_hash(const char *s, int *md, char *msg, size_t msglen)
{
	return md_from_name(s, 0, md, "signature hash", msg, msglen);
}

int
val_cert_hash(const char *s, int *md, char *msg, size_t msglen)
{
	if (strcasecmp(s, "md5") == 0) {
		(void)snprintf(msg, msglen, "md5 is not offered for certificate signatures "
		    "(one of sha1 sha224 sha256 sha384 sha512)");
		return -1;
	}
	return md_from_name(s, 1, md, "hash", msg, msglen);
}

int
val_curve(const char *s, mbedtls_ecp_group_id *out, char *msg, size_t msglen)
{
	int id = tls_group_from_name(s);
	const mbedtls_ecp_curve_info *ci = NULL;

	if (id >= 0 && id <= 0xffff)
		ci = mbedtls_ecp_curve_info_from_tls_id((uint16_t)id);
	if (ci != NULL) {
		*out = ci->grp_id;
		return 0;
	}
	const char *names[32];
	size_t n = 0;
	for (const mbedtls_ecp_curve_info *c = mbedtls_ecp_curve_list();
	     c->grp_id != MBEDTLS_ECP_DP_NONE && n < 32; c++)
		names[n++] = c->name;
	if (id >= 0)
		(void)snprintf(msg, msglen,
		    "group '%.64s' is not an elliptic curve this mbedTLS supports", s);
	else
		(void)snprintf(msg, msglen, "unknown curve '%.64s'", s);
	config_append_suggestion(msg, msglen, s, names, n);
	return -1;
}

int
val_hostname(const char *s, char *msg, size_t msglen)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > 253) {
		(void)snprintf(msg, msglen, "host name must be 1..253 characters, not %zu", len);
		return -1;
	}
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || s[i - 1] == '-') {
				(void)snprintf(msg, msglen,
				    "'%.64s' is not an RFC 1123 host name (empty label or label "
				    "ending in '-')", s);
				return -1;
			}
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-') {
			(void)snprintf(msg, msglen,
			    "'%.64s' is not an RFC 1123 host name (character '%c' at %zu)", s,
			    isprint((unsigned char)c) ? c : '?', i + 1);
			return -1;
		}
		if (c == '-' && label == 0) {
			(void)snprintf(msg, msglen,
			    "'%.64s' is not an RFC 1123 host name (label starting with '-')", s);
			return -1;
		}
		if (++label > 63) {
			(void)snprintf(msg, msglen,
			    "'%.64s...' is not an RFC 1123 host name (label longer than 63)", s);
			return -1;
		}
	}
	return 0;
}

int
val_name(const char *s, char *msg, size_t msglen)
{
	size_t len = strlen(s);

	if (len == 0 || len > VAL_NAME_MAX || s[0] == '.' ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != len) {
		(void)snprintf(msg, msglen,
		    "'%.64s' is not a valid name ([A-Za-z0-9._-], 1..63 characters, "
		    "not starting with '.')", s);
		return -1;
	}
	return 0;
}

int
val_key_type(const char *s, int *out, char *msg, size_t msglen)
{
	const char *names[PKI_KEY_EC_P384 + 1];
	int k = pki_key_type_from_name(s);

	if (k >= 0) {
		*out = k;
		return 0;
	}
	for (int i = 0; i <= PKI_KEY_EC_P384; i++)
		names[i] = pki_key_type_name((enum pki_key_type)i);
	(void)snprintf(msg, msglen, "unknown key type '%.64s' (one of", s);
	for (int i = 0; i <= PKI_KEY_EC_P384; i++) {
		size_t used = strlen(msg);
		(void)snprintf(msg + used, msglen - used, " %s", names[i] ? names[i] : "?");
	}
	size_t used = strlen(msg);
	(void)snprintf(msg + used, msglen - used, ")");
	config_append_suggestion(msg, msglen, s, names, PKI_KEY_EC_P384 + 1);
	return -1;
}

int
val_variant(const char *s, int *out, char *msg, size_t msglen)
{
	const char *names[PKI_VARIANT_NO_SERVER_AUTH_EKU + 1];
	int v = pki_variant_from_name(s);

	if (v >= 0) {
		*out = v;
		return 0;
	}
	for (int i = 0; i <= PKI_VARIANT_NO_SERVER_AUTH_EKU; i++)
		names[i] = pki_variant_name((enum pki_variant)i);
	(void)snprintf(msg, msglen, "unknown certificate variant '%.64s' (one of", s);
	for (int i = 0; i <= PKI_VARIANT_NO_SERVER_AUTH_EKU; i++) {
		size_t used = strlen(msg);
		(void)snprintf(msg + used, msglen - used, " %s", names[i] ? names[i] : "?");
	}
	size_t used = strlen(msg);
	(void)snprintf(msg + used, msglen - used, ")");
	config_append_suggestion(msg, msglen, s, names, PKI_VARIANT_NO_SERVER_AUTH_EKU + 1);
	return -1;
}

int
val_ipv4(const char *s, uint32_t *out, char *msg, size_t msglen)
{
	uint32_t a = 0;
	const char *p = s;

	for (int part = 0; part < 4; part++) {
		uint64_t v;
		bool over;
		size_t n = read_digits(p, 999, &v, &over);
		if (n == 0 || n > 3 || over || v > 255 || (n > 1 && p[0] == '0'))
			goto bad;
		a = a << 8 | (uint32_t)v;
		p += n;
		if (part < 3 && *p++ != '.')
			goto bad;
	}
	if (*p != '\0')
		goto bad;
	*out = a;
	return 0;
bad:
	(void)snprintf(msg, msglen,
	    "'%.64s' is not an IPv4 address (four decimal numbers 0..255 separated by dots, "
	    "no leading zeros, e.g. 10.1.0.4)", s);
	return -1;
}

uint32_t
val_prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : 0xffffffffu << (32 - prefix);
}

int
val_cidr(const char *s, unsigned minp, unsigned maxp, uint32_t *net, uint8_t *prefix,
         char *msg, size_t msglen)
{
	char addr[16], text[16];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : 0;
	uint64_t p;
	uint32_t a;
	bool over;

	if (slash == NULL || alen >= sizeof(addr)) {
		(void)snprintf(msg, msglen,
		    "'%.64s' is not an IPv4 network (an address, '/' and a prefix length, "
		    "e.g. 172.16.201.0/24)", s);
		return -1;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (val_ipv4(addr, &a, msg, msglen) != 0)
		return -1;
	size_t n = read_digits(slash + 1, 99, &p, &over);
	if (n == 0 || n > 2 || slash[1 + n] != '\0' || (n > 1 && slash[1] == '0')) {
		(void)snprintf(msg, msglen, "'%.64s' has no valid prefix length after '/'", s);
		return -1;
	}
	if (over || p < minp || p > maxp) {
		(void)snprintf(msg, msglen, "prefix length /%ju of '%.64s' is out of range %u..%u",
		    (uintmax_t)p, s, minp, maxp);
		return -1;
	}
	uint32_t m = val_prefix_mask((unsigned)p);
	if ((a & ~m) != 0) {
		ip4_format(a & m, text);
		(void)snprintf(msg, msglen,
		    "'%.64s' has host bits set (did you mean '%s/%ju'?)", s, text, (uintmax_t)p);
		return -1;
	}
	*net = a;
	*prefix = (uint8_t)p;
	return 0;
}

int
val_unicast(uint32_t a, char *msg, size_t msglen)
{
	char text[16];
	const char *why = NULL;

	if ((a >> 24) == 0)
		why = "in 0.0.0.0/8 (\"this network\")";
	else if ((a >> 24) == 127)
		why = "a loopback address";
	else if ((a >> 29) == 7)
		why = "a multicast, reserved or broadcast address (224.0.0.0/3)";
	if (why == NULL)
		return 0;
	ip4_format(a, text);
	(void)snprintf(msg, msglen, "%s is %s, not a host address", text, why);
	return -1;
}

int
val_rate(const char *s, uint64_t *out, char *msg, size_t msglen)
{
	/* unit, bits per unit; prefixes are decimal (k = 1000) */
	static const struct { const char *unit; uint64_t bits; } units[] = {
		{ "bit", 1 }, { "kbit", 1000 }, { "Kbit", 1000 }, { "Mbit", 1000000 },
		{ "mbit", 1000000 }, { "Gbit", 1000000000 }, { "gbit", 1000000000 },
		{ "B", 8 }, { "kB", 8000 }, { "KB", 8000 }, { "MB", 8000000 }, { "GB", 8000000000 },
	};
	static const char *const names[] = { "kbit", "Mbit", "Gbit", "kB", "MB", "GB" };
	const uint64_t lo = 1000, hi = 100000000000ull; /* 1kbit..100Gbit, in bits/s */
	uint64_t whole, frac = 0;
	bool over, fover;
	char unit[16];

	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	size_t n = read_digits(s, UINT64_MAX, &whole, &over), nf = 0;
	if (n == 0)
		goto bad;
	const char *p = s + n;
	if (*p == '.') {
		nf = read_digits(p + 1, UINT64_MAX, &frac, &fover);
		if (nf == 0 || nf > 3)
			goto bad;
		for (size_t i = nf; i < 3; i++)
			frac *= 10;
		p += 1 + nf;
	}
	size_t ulen = strcspn(p, "/");
	if (ulen == 0 || ulen >= sizeof(unit) || (p[ulen] != '\0' && strcmp(p + ulen, "/s") != 0))
		goto bad;
	memcpy(unit, p, ulen);
	unit[ulen] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit) != 0)
			continue;
		uint64_t per = units[i].bits, bits = 0;
		/* whole * per <= hi keeps the products below far from overflow */
		if (!over && whole <= hi / per) {
			uint64_t milli = whole * 1000 + frac; /* thousandths of a unit */
			bits = per % 1000 == 0 ? milli * (per / 1000) : milli * per / 1000;
		}
		if (bits < lo || bits > hi) {
			(void)snprintf(msg, msglen, "rate %.64s is out of range 1kbit..100Gbit", s);
			return -1;
		}
		*out = bits / 8;
		return 0;
	}
bad:
	(void)snprintf(msg, msglen,
	    "'%.64s' is not a rate: 0 for none, or a number and a unit kbit, Mbit, Gbit (bits "
	    "per second) or kB, MB, GB (bytes per second), e.g. \"650Mbit\"", s);
	if (n > 0)
		config_append_suggestion(msg, msglen, s + n + (nf ? nf + 1 : 0), names,
		    sizeof(names) / sizeof(names[0]));
	return -1;
}

int
val_thumbprint(const char *s, uint8_t out[20], char *msg, size_t msglen)
{
	static const char lrm[] = "\xe2\x80\x8e"; /* U+200E LEFT-TO-RIGHT MARK */
	size_t nd = 0;

	for (const char *p = s; *p != '\0';) {
		if (*p == ':' || *p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (strncmp(p, lrm, 3) == 0) {
			p += 3;
			continue;
		}
		if (!isxdigit((unsigned char)*p)) {
			(void)snprintf(msg, msglen,
			    "'%.80s' is not a SHA-1 thumbprint (40 hex digits; colons and blanks are "
			    "ignored): character %zu is not a hex digit", s, (size_t)(p - s) + 1);
			return -1;
		}
		if (nd < 40) {
			int v = isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10;
			if (nd % 2 == 0)
				out[nd / 2] = (uint8_t)(v << 4);
			else
				out[nd / 2] |= (uint8_t)v;
		}
		nd++;
		p++;
	}
	if (nd != 40) {
		(void)snprintf(msg, msglen,
		    "'%.80s' is not a SHA-1 thumbprint: %zu hex digits, expected 40", s, nd);
		return -1;
	}
	return 0;
}

/* Split "host:port" at the last ':': host into buf, the port checked. */
static int
split_port(const char *s, char *host, size_t hostlen, uint16_t *port, bool need_port,
           char *msg, size_t msglen)
{
	const char *colon = strrchr(s, ':');
	uint64_t v;
	size_t n;

	if (colon == NULL) {
		if (need_port) {
			(void)snprintf(msg, msglen, "'%.64s' has no port (ADDRESS:PORT, e.g. "
			    "127.0.0.1:8080)", s);
			return -1;
		}
		n = strlen(s);
		*port = 0;
	} else {
		n = (size_t)(colon - s);
		/* a listen address may say port 0: the kernel picks one */
		if (val_uint(colon + 1, need_port ? 0 : 1, 65535, &v, msg, msglen) != 0)
			return -1;
		*port = (uint16_t)v;
	}
	if (n >= hostlen) {
		(void)snprintf(msg, msglen, "'%.64s': host part too long (at most %zu characters)",
		    s, hostlen - 1);
		return -1;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

int
val_listen(const char *s, uint32_t *addr, uint16_t *port, char *msg, size_t msglen)
{
	char host[16];

	if (split_port(s, host, sizeof(host), port, true, msg, msglen) != 0)
		return -1;
	return val_ipv4(host, addr, msg, msglen);
}

int
val_host_port(const char *s, char *msg, size_t msglen)
{
	char host[128];
	uint16_t port;

	if (split_port(s, host, sizeof(host), &port, false, msg, msglen) != 0)
		return -1;
	return val_hostname(host, msg, msglen); /* an IPv4 address is a host name too */
}
