/*
 * hello_reasm: records -> the ClientHello message (tls/hello_reasm.h).
 *
 * Record layer (RFC 5246 6.2.1):
 *
 *   TLSPlaintext (one or more, until the ClientHello is complete)
 *     uint8   type                   22 (handshake) in every record: RFC 8446
 *                                    5.1 forbids interleaving other types
 *     uint16  version                {3, x}; every record as the first
 *     uint16  length                 1 .. 2^14 (zero-length handshake
 *                                    fragments are forbidden)
 *     opaque  fragment[length]       handshake bytes, concatenated
 *
 * The first handshake message must be a ClientHello (msg_type 1) whose
 * length fits the grammar (CH_MIN_BODY .. CH_MAX_MESSAGE - 4), and the record
 * holding its last byte must end with it: a client sends nothing more before
 * the server's answer. Each check runs as soon as its bytes are there, so a
 * strict prefix of a valid flight is always CH_NEED_MORE, and a defect is
 * reported at the first byte that shows it.
 */
#include "tls/hello_reasm.h"

#include <stdlib.h>
#include <string.h>

#include "tls/tls_names.h"
#include "util/bytes.h"

#define CT_HANDSHAKE    22
#define REC_HDR_LEN     5
#define HS_HDR_LEN      4
#define HS_CLIENT_HELLO 1
#define BUF_INITIAL     512

void
hello_reasm_init(struct hello_reasm *r)
{
	memset(r, 0, sizeof(*r));
	r->status = CH_NEED_MORE;
}

void
hello_reasm_free(struct hello_reasm *r)
{
	free(r->buf);
	hello_reasm_init(r);
}

int
hello_reasm_oom(const struct hello_reasm *r)
{
	return r->oom;
}

static const char *
content_type_name(uint8_t t)
{
	switch (t) {
	case 20: return "change_cipher_spec";
	case 21: return "alert";
	case 23: return "application_data";
	case 24: return "heartbeat";
	default: return "unknown";
	}
}

/* Room for need more bytes in r->buf, growing by doubling up to limit. */
static int
reserve(struct hello_reasm *r, size_t need, size_t limit)
{
	size_t ncap = r->cap ? r->cap : BUF_INITIAL;

	if (r->len + need <= r->cap)
		return 0;
	while (ncap < r->len + need)
		ncap *= 2;
	if (ncap > limit)
		ncap = limit;
	uint8_t *nb = realloc(r->buf, ncap);
	if (nb == NULL)
		return -1;
	r->buf = nb;
	r->cap = ncap;
	return 0;
}

static enum ch_status
finish_raw(struct hello_reasm *r, size_t n, size_t *used, struct ch_info *out)
{
	enum ch_status st = ch_parse_raw(r->buf, r->len, out);

	if (st == CH_NEED_MORE && r->len == HR_RAW_MAX) /* cannot happen: the header caps it */
		st = ch_error(out, CH_MALFORMED, CH_ALERT_DECODE_ERROR, "SSLv2 hello over its cap");
	if (st == CH_OK) {
		*used = n - (r->len - out->hello_len);
		r->len = out->hello_len; /* what followed is the caller's again */
	}
	return st;
}

/* Raw first flights: keep every byte until ch_parse_raw decides. */
static enum ch_status
feed_raw(struct hello_reasm *r, const uint8_t *p, size_t n, size_t *used, struct ch_info *out)
{
	size_t take = n < HR_RAW_MAX - r->len ? n : HR_RAW_MAX - r->len;

	if (take > 0) {
		if (reserve(r, take, HR_RAW_MAX) != 0) {
			r->oom = 1;
			return ch_error(out, CH_MALFORMED, 0, "out of memory for the first flight");
		}
		memcpy(r->buf + r->len, p, take);
		r->len += take;
	}
	*used = take;
	return finish_raw(r, take, used, out);
}

/* The record header in r->hdr, checked as far as it goes. */
static enum ch_status
check_header(struct hello_reasm *r, struct ch_info *out)
{
	const uint8_t *h = r->hdr;
	int first = r->n_records == 0;

	if (h[0] != CT_HANDSHAKE)
		return ch_error(out, CH_MALFORMED, CH_ALERT_UNEXPECTED_MESSAGE,
		    "record of content type %u (%s) inside the ClientHello (after %u handshake "
		    "record%s)", h[0], content_type_name(h[0]), r->n_records,
		    r->n_records == 1 ? "" : "s");
	if (r->hdr_have < 2)
		return CH_NEED_MORE;
	if (h[1] != 3) {
		if (first)
			return ch_error(out, CH_NOT_TLS, 0,
			    "first bytes 16 %02x are not a TLS record header", h[1]);
		return ch_error(out, CH_MALFORMED, CH_ALERT_DECODE_ERROR,
		    "record %u: version major %u is not 3", r->n_records + 1, h[1]);
	}
	if (r->hdr_have < 3)
		return CH_NEED_MORE;
	if (!first && be16_get(h + 1) != r->rec_version)
		return ch_error(out, CH_MALFORMED, CH_ALERT_ILLEGAL_PARAMETER,
		    "record %u has version %s, the hello's first record %s", r->n_records + 1,
		    tls_version_name(be16_get(h + 1)), tls_version_name(r->rec_version));
	if (r->hdr_have < REC_HDR_LEN)
		return CH_NEED_MORE;
	size_t rl = be16_get(h + 3);
	if (rl == 0)
		return ch_error(out, CH_MALFORMED, CH_ALERT_UNEXPECTED_MESSAGE,
		    "record %u: an empty handshake record (RFC 5246 6.2.1 forbids them)",
		    r->n_records + 1);
	if (rl > HR_RECORD_MAX)
		return ch_error(out, CH_MALFORMED, CH_ALERT_RECORD_OVERFLOW,
		    "record %u: length %zu > 2^14", r->n_records + 1, rl);
	if (first)
		r->rec_version = be16_get(h + 1);
	r->n_records++;
	r->rec_left = rl;
	return CH_NEED_MORE;
}

/* The handshake header, once its 4 bytes are in r->buf. */
static enum ch_status
check_message_header(struct hello_reasm *r, struct ch_info *out)
{
	if (r->buf[0] != HS_CLIENT_HELLO)
		return ch_error(out, CH_MALFORMED, CH_ALERT_UNEXPECTED_MESSAGE,
		    "first handshake message has type %u, not ClientHello (1)", r->buf[0]);
	if (r->len < HS_HDR_LEN)
		return CH_NEED_MORE;
	size_t body = (size_t)r->buf[1] << 16 | (size_t)r->buf[2] << 8 | r->buf[3];
	if (body < CH_MIN_BODY)
		return ch_error(out, CH_MALFORMED, CH_ALERT_DECODE_ERROR,
		    "ClientHello length %zu is too short", body);
	if (HS_HDR_LEN + body > CH_MAX_MESSAGE)
		return ch_error(out, CH_MALFORMED, CH_ALERT_DECODE_ERROR,
		    "ClientHello length %zu exceeds the largest the grammar allows (%d)", body,
		    CH_MAX_MESSAGE - HS_HDR_LEN);
	r->want = HS_HDR_LEN + body;
	return CH_NEED_MORE;
}

static enum ch_status
feed_records(struct hello_reasm *r, const uint8_t *p, size_t n, size_t *used,
    struct ch_info *out)
{
	size_t i = 0;
	enum ch_status st;

	while (i < n) {
		if (r->rec_left == 0) {
			/* a record header, byte by byte as far as it is there */
			while (i < n && r->hdr_have < REC_HDR_LEN) {
				r->hdr[r->hdr_have++] = p[i++];
				if ((st = check_header(r, out)) != CH_NEED_MORE) {
					*used = i;
					return st;
				}
			}
			if (r->rec_left == 0)
				break; /* header incomplete: all bytes taken */
			r->hdr_have = 0;
			continue;
		}

		/* handshake bytes of the current record */
		size_t take = r->rec_left < n - i ? r->rec_left : n - i;
		if (r->want == 0 && take > HS_HDR_LEN - r->len)
			take = HS_HDR_LEN - r->len; /* the message header first */
		else if (r->want != 0 && take > r->want - r->len)
			take = r->want - r->len;
		if (reserve(r, take, CH_MAX_MESSAGE) != 0) {
			r->oom = 1;
			*used = i;
			return ch_error(out, CH_MALFORMED, 0, "out of memory for the ClientHello");
		}
		memcpy(r->buf + r->len, p + i, take);
		r->len += take;
		r->rec_left -= take;
		i += take;
		if (r->want == 0 && (st = check_message_header(r, out)) != CH_NEED_MORE) {
			*used = i;
			return st;
		}
		if (r->want == 0 || r->len < r->want)
			continue;
		/* the whole message is here */
		*used = i;
		if (r->rec_left > 0)
			return ch_error(out, CH_MALFORMED, CH_ALERT_UNEXPECTED_MESSAGE,
			    "the record ending the ClientHello carries %zu more handshake bytes "
			    "(a client sends nothing else before the server answers)", r->rec_left);
		st = ch_parse_message(r->buf, r->len, out);
		if (st == CH_OK) {
			out->record_version = r->rec_version;
			out->n_records = r->n_records;
			out->hello_len = r->consumed + i;
		}
		return st;
	}
	*used = n;
	return CH_NEED_MORE;
}

enum ch_status
hello_reasm_feed(struct hello_reasm *r, const uint8_t *p, size_t n, size_t *used,
    struct ch_info *out)
{
	enum ch_status st;
	size_t         u = 0;

	*used = 0;
	if (r->status != CH_NEED_MORE)
		return r->status; /* final: *out stays as the caller has it */
	memset(out, 0, sizeof(*out));
	if (n == 0)
		return CH_NEED_MORE;
	if (r->format == HR_UNDECIDED)
		r->format = p[0] == CT_HANDSHAKE ? HR_RECORDS : HR_RAW;
	if (r->format == HR_RECORDS)
		st = feed_records(r, p, n, &u, out);
	else
		st = feed_raw(r, p, n, &u, out);
	r->consumed += u;
	r->status = st;
	*used = u;
	return st;
}

uint8_t *
hello_reasm_engine_flight(const struct hello_reasm *r, const uint8_t *extra, size_t extra_len,
    size_t *len)
{
	size_t hdr = r->format == HR_RECORDS ? REC_HDR_LEN : 0;
	uint8_t *b = malloc(hdr + r->len + extra_len + 1);

	*len = 0;
	if (b == NULL || (hdr != 0 && r->len > HR_RECORD_MAX)) {
		free(b);
		return NULL;
	}
	if (hdr != 0) {
		b[0] = CT_HANDSHAKE;
		be16_put(b + 1, r->rec_version);
		be16_put(b + 3, (uint16_t)r->len);
	}
	memcpy(b + hdr, r->buf, r->len);
	if (extra_len > 0)
		memcpy(b + hdr + r->len, extra, extra_len);
	*len = hdr + r->len + extra_len;
	return b;
}

enum ch_status
ch_parse(const uint8_t *buf, size_t len, struct ch_info *out)
{
	struct hello_reasm r;
	size_t used;

	hello_reasm_init(&r);
	enum ch_status st = hello_reasm_feed(&r, buf, len, &used, out);
	hello_reasm_free(&r);
	return st;
}
