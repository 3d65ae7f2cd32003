/*
 * The HTTP handshake in front of SSTP (MS-SSTP 3.2.4.1, 4.1): scan and
 * parse the request head, decide, and write the reply the way HTTP.sys on
 * a Windows gateway does.
 *
 * Grammar accepted (RFC 9112, with the caps below):
 *   head         = request-line *( header-line ) CRLF
 *   request-line = method 1*SP request-target 1*SP HTTP-version CRLF
 *   method       = 1*32tchar
 *   request-target = 1*( %x21-7E )            ; origin-form, query allowed
 *   HTTP-version = "HTTP/" DIGIT "." DIGIT
 *   header-line  = field-name ":" OWS field-value OWS CRLF
 *   field-name   = 1*tchar                    ; compared case-insensitively
 *   field-value  = *( HTAB / %x20-7E / %x80-FF )
 * A bare LF ends a line too. Caps: the whole head <= max_header_bytes,
 * any line < SSTP_HTTP_MAX_LINE, at most SSTP_HTTP_MAX_HEADERS header lines.
 * Obsolete line folding is refused.
 */
#include "sstp/sstp_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int
sstp_http_scan(struct sstp_http_scan *sc, const uint8_t *buf, size_t len, size_t max_head,
               size_t *head_len, const char **why)
{
	*why = NULL;
	for (; sc->pos < len; sc->pos++) {
		size_t pos = sc->pos;

		if (pos + 1 > max_head) {
			*why = sc->lines == 0 ? "request line longer than the request head limit"
			                      : "request head larger than the limit";
			return SSTP_HTTP_TOO_LARGE;
		}
		if (buf[pos] == '\n') {
			size_t content = pos - sc->line_start;

			if (content > 0 && buf[pos - 1] == '\r')
				content--;
			if (content == 0 && sc->lines >= 1) {
				*head_len = pos + 1;
				sc->pos++;
				return SSTP_HTTP_HEAD;
			}
			sc->lines++;
			if (sc->lines > 1 + SSTP_HTTP_MAX_HEADERS) {
				*why = "more than 32 header lines";
				return SSTP_HTTP_TOO_LARGE;
			}
			sc->line_start = pos + 1;
		} else if (pos - sc->line_start >= SSTP_HTTP_MAX_LINE) {
			*why = sc->lines == 0 ? "request line longer than 4096 bytes"
			                      : "header line longer than 4096 bytes";
			return SSTP_HTTP_TOO_LARGE;
		}
	}
	if (len >= max_head) { /* full, and no blank line in it */
		*why = sc->lines == 0 ? "request line longer than the request head limit"
		                      : "request head larger than the limit";
		return SSTP_HTTP_TOO_LARGE;
	}
	return SSTP_HTTP_MORE;
}

static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
ieq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	return alen == blen && strncasecmp(a, b, blen) == 0;
}

void
sstp_log_str(char *out, size_t cap, const char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (cap == 0)
		return;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		size_t        need = (c >= 0x20 && c < 0x7F && c != '\\') ? 1 : 4;

		if (o + need + 4 > cap) { /* room for "..." and NUL */
			if (o + 3 < cap) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

/* why = pre + the wire string arg (sanitized) + post */
static void
set_why(struct sstp_http_verdict *v, int status, const char *pre, const char *arg, size_t arglen,
        const char *post)
{
	char a[120] = "";

	v->status = status;
	if (arg != NULL)
		sstp_log_str(a, sizeof(a), arg, arglen);
	if (snprintf(v->why, sizeof(v->why), "%s%s%s", pre, a, post != NULL ? post : "") < 0)
		v->why[0] = '\0';
}

/* the tenantid query variable (3.2.4.1), if any */
static void
find_tenantid(struct sstp_http_req *r, const char *q, size_t qlen)
{
	size_t i = 0;

	while (i < qlen) {
		size_t start = i, eq = 0, end;

		while (i < qlen && q[i] != '&')
			i++;
		end = i;
		for (eq = start; eq < end && q[eq] != '='; eq++)
			;
		if (ieq(q + start, eq - start, "tenantid")) {
			r->tenantid = eq < end ? q + eq + 1 : q + end;
			r->tenantid_len = eq < end ? end - eq - 1 : 0;
			return;
		}
		i++; /* skip '&' */
	}
}

int
sstp_http_parse(const uint8_t *head, size_t head_len, struct sstp_http_req *r,
                struct sstp_http_verdict *v)
{
	const char *p = (const char *)head, *end = p + head_len, *eol, *tok;
	size_t      urilen = strlen(SSTP_URI);
	int         is_sstp, is_get, is_head;

	memset(r, 0, sizeof(*r));
	memset(v, 0, sizeof(*v));

	/* request line */
	eol = memchr(p, '\n', (size_t)(end - p));
	if (eol == NULL) {
		set_why(v, 400, "no request line", NULL, 0, NULL);
		return -1;
	}
	{
		const char *le = (eol > p && eol[-1] == '\r') ? eol - 1 : eol, *q = p;

		tok = q;
		while (q < le && is_tchar((unsigned char)*q))
			q++;
		r->method = tok;
		r->method_len = (size_t)(q - tok);
		if (r->method_len == 0 || r->method_len > 32 || q == le || (*q != ' ' && *q != '\t')) {
			set_why(v, 400, "malformed request line (method)", NULL, 0, NULL);
			return -1;
		}
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		tok = q;
		while (q < le && (unsigned char)*q > 0x20 && (unsigned char)*q < 0x7F)
			q++;
		r->path = tok;
		r->path_len = (size_t)(q - tok);
		if (r->path_len == 0 || q == le || (*q != ' ' && *q != '\t')) {
			set_why(v, 400, "malformed request line (request target)", NULL, 0, NULL);
			return -1;
		}
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		r->version = q;
		r->version_len = (size_t)(le - q);
		if (r->version_len != 8 || strncmp(q, "HTTP/", 5) != 0 || q[5] < '0' || q[5] > '9' ||
		    q[6] != '.' || q[7] < '0' || q[7] > '9') {
			set_why(v, 400, "malformed request line (HTTP version)", NULL, 0, NULL);
			return -1;
		}
	}

	/* header lines */
	for (p = eol + 1; p < end; p = eol + 1) {
		const char *le, *colon, *vs, *ve;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			break; /* cannot happen: the scanner ends the head with a newline */
		le = (eol > p && eol[-1] == '\r') ? eol - 1 : eol;
		if (le == p)
			break; /* the blank line */
		r->nheaders++;
		if (*p == ' ' || *p == '\t') {
			set_why(v, 400, "obsolete header line folding", NULL, 0, NULL);
			return 0;
		}
		for (colon = p; colon < le && is_tchar((unsigned char)*colon); colon++)
			;
		if (colon == p || colon == le || *colon != ':') {
			set_why(v, 400, "malformed header line \"", p, (size_t)(le - p), "\"");
			return 0;
		}
		for (vs = colon + 1; vs < le && (*vs == ' ' || *vs == '\t'); vs++)
			;
		for (ve = le; ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		for (tok = vs; tok < ve; tok++) {
			unsigned char c = (unsigned char)*tok;

			if ((c < 0x20 && c != '\t') || c == 0x7F) {
				set_why(v, 400, "control character in header \"", p,
				        (size_t)(colon - p), "\"");
				return 0;
			}
		}
		if (ieq(p, (size_t)(colon - p), "Host") && r->host == NULL) {
			r->host = vs;
			r->host_len = (size_t)(ve - vs);
		} else if (ieq(p, (size_t)(colon - p), "SSTPCORRELATIONID") && r->correlation == NULL) {
			r->correlation = vs;
			r->correlation_len = (size_t)(ve - vs);
		} else if (ieq(p, (size_t)(colon - p), "Content-Length") && r->content_length == NULL) {
			r->content_length = vs;
			r->content_length_len = (size_t)(ve - vs);
		}
	}

	/* decide */
	is_sstp = ieq(r->method, r->method_len, "SSTP_DUPLEX_POST");
	is_get = ieq(r->method, r->method_len, "GET");
	is_head = ieq(r->method, r->method_len, "HEAD");
	if (r->version[5] != '1') {
		set_why(v, 505, "HTTP version ", r->version, r->version_len, " is not supported");
		return 0;
	}
	if (is_get || is_head) {
		v->not_sstp = 1;
		v->head_only = is_head;
		set_why(v, 404, "plain HTTPS request for ", r->path, r->path_len,
		        " (a browser or a probe, not an SSTP client)");
		return 0;
	}
	if (!is_sstp) {
		set_why(v, 405, "method ", r->method, r->method_len, " is not SSTP_DUPLEX_POST");
		return 0;
	}
	if (r->path_len < urilen || strncasecmp(r->path, SSTP_URI, urilen) != 0 ||
	    (r->path_len > urilen && r->path[urilen] != '?')) {
		set_why(v, 404, "path ", r->path, r->path_len, " is not the SSTP URI " SSTP_URI);
		return 0;
	}
	if (r->path_len > urilen)
		find_tenantid(r, r->path + urilen + 1, r->path_len - urilen - 1);
	if (r->version[7] != '1') {
		set_why(v, 505, "SSTP needs HTTP/1.1, the request says ", r->version, r->version_len, NULL);
		return 0;
	}
	if (r->host == NULL) {
		set_why(v, 400, "HTTP/1.1 request without a Host header", NULL, 0, NULL);
		return 0;
	}
	v->status = 200;
	return 0;
}

void
sstp_http_date(time_t t, char out[32])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11 || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", 30);
		return;
	}
	if (snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
	             tm.tm_mday % 100, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour % 100,
	             tm.tm_min % 100, tm.tm_sec % 100) < 0)
		out[0] = '\0';
}

struct http_error {
	int         status;
	const char *reason;  /* status line */
	const char *h2;      /* page heading */
	const char *text;    /* after "HTTP Error NNN." */
};

/* HTTP.sys wording */
static const struct http_error http_errors[] = {
	{ 400, "Bad Request", "Bad Request - Invalid Request", "The request is badly formed." },
	{ 404, "Not Found", "Not Found", "The requested resource is not found." },
	{ 405, "Method Not Allowed", "Method Not Allowed", "The request verb is invalid." },
	{ 414, "Request-URI Too Long", "Bad Request - Request Too Long", "The request URL is too long." },
	{ 431, "Request Header Fields Too Large", "Bad Request - Request Too Long",
	  "The size of the request headers is too long." },
	{ 505, "HTTP Version Not Supported", "HTTP Version Not Supported",
	  "The HTTP version is not supported." },
	{ 503, "Service Unavailable", "Service Unavailable", "The service is unavailable." },
};

size_t
sstp_http_reply(char *out, size_t cap, int status, int head_only, const char *date)
{
	const struct http_error *e = &http_errors[0];
	char   body[640], datehdr[48] = "";
	int    blen, n;
	size_t i;

	if (date != NULL && snprintf(datehdr, sizeof(datehdr), "Date: %s\r\n", date) < 0)
		return 0;
	if (status == 200) {
		/* MS-SSTP 4.1, as nmap documents the real gateway: no reason
		 * phrase; 4 lines (sstpc keeps at most 7 headers) */
		n = snprintf(out, cap,
		             "HTTP/1.1 200\r\n"
		             "Content-Length: 18446744073709551615\r\n"
		             "Server: Microsoft-HTTPAPI/2.0\r\n"
		             "%s"
		             "\r\n",
		             datehdr);
		return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
	}
	for (i = 0; i < sizeof(http_errors) / sizeof(http_errors[0]); i++)
		if (http_errors[i].status == status)
			e = &http_errors[i];
	blen = snprintf(body, sizeof(body),
	                "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n"
	                "<HTML><HEAD><TITLE>%s</TITLE>\r\n"
	                "<META HTTP-EQUIV=\"Content-Type\" Content-Type=\"text/html; charset=us-ascii\"></HEAD>\r\n"
	                "<BODY><h2>%s</h2>\r\n"
	                "<hr><p>HTTP Error %d. %s</p>\r\n"
	                "</BODY></HTML>\r\n",
	                e->reason, e->h2, e->status, e->text);
	if (blen < 0 || (size_t)blen >= sizeof(body))
		return 0;
	n = snprintf(out, cap,
	             "HTTP/1.1 %d %s\r\n"
	             "Content-Type: text/html; charset=us-ascii\r\n"
	             "Server: Microsoft-HTTPAPI/2.0\r\n"
	             "%s"
	             "%s"
	             "Connection: close\r\n"
	             "Content-Length: %d\r\n"
	             "\r\n"
	             "%s",
	             e->status, e->reason, datehdr,
	             status == 405 ? "Allow: SSTP_DUPLEX_POST\r\n" : "",
	             blen, head_only ? "" : body);
	return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}
