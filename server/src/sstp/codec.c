/*
 * SSTP packet and attribute codec (MS-SSTP 2.2).
 *
 * Grammar (all integers big-endian):
 *   packet    = version:8 (=0x10) reserved:7 C:1 R:4 (=0) length:12 body
 *               ; length counts the whole packet, 4 <= length <= 4095
 *   data      = ppp-frame                     ; C = 0, length - 4 bytes
 *   control   = msg-type:16 num-attrs:16 attribute*   ; C = 1, length >= 8
 *   attribute = reserved:8 attr-id:8 R:4 attr-len:12 value
 *               ; attr-len counts the 4-byte attribute header too
 *   ENCAPSULATED_PROTOCOL_ID (1) value = protocol-id:16              (len 6)
 *   STATUS_INFO (2)         value = reserved:24 attrib-id:8 status:32 orig-value{0,64}
 *   CRYPTO_BINDING (3)      value = reserved:24 hash-proto:8 nonce:256 cert-hash:256 mac:256 (len 104)
 *   CRYPTO_BINDING_REQ (4)  value = reserved:24 bitmask:8 nonce:256  (len 40)
 *
 * Every read is preceded by a check against the bytes actually there;
 * declared lengths are never trusted before that comparison.
 */
#include "sstp/sstp_int.h"
#include "util/bytes.h"

#include <string.h>

const char *
sstp_msg_name(uint16_t type)
{
	switch (type) {
	case SSTP_MSG_CALL_CONNECT_REQUEST: return "CALL_CONNECT_REQUEST";
	case SSTP_MSG_CALL_CONNECT_ACK:     return "CALL_CONNECT_ACK";
	case SSTP_MSG_CALL_CONNECT_NAK:     return "CALL_CONNECT_NAK";
	case SSTP_MSG_CALL_CONNECTED:       return "CALL_CONNECTED";
	case SSTP_MSG_CALL_ABORT:           return "CALL_ABORT";
	case SSTP_MSG_CALL_DISCONNECT:      return "CALL_DISCONNECT";
	case SSTP_MSG_CALL_DISCONNECT_ACK:  return "CALL_DISCONNECT_ACK";
	case SSTP_MSG_ECHO_REQUEST:         return "ECHO_REQUEST";
	case SSTP_MSG_ECHO_RESPONSE:        return "ECHO_RESPONSE";
	default:                            return "unknown";
	}
}

const char *
sstp_status_name(uint32_t status)
{
	static const char *const names[] = {
		"ATTRIB_STATUS_NO_ERROR",
		"ATTRIB_STATUS_DUPLICATE_ATTRIBUTE",
		"ATTRIB_STATUS_UNRECOGNIZED_ATTRIBUTE",
		"ATTRIB_STATUS_INVALID_ATTRIB_VALUE_LENGTH",
		"ATTRIB_STATUS_VALUE_NOT_SUPPORTED",
		"ATTRIB_STATUS_UNACCEPTED_FRAME_RECEIVED",
		"ATTRIB_STATUS_RETRY_COUNT_EXCEEDED",
		"ATTRIB_STATUS_INVALID_FRAME_RECEIVED",
		"ATTRIB_STATUS_NEGOTIATION_TIMEOUT",
		"ATTRIB_STATUS_ATTRIB_NOT_SUPPORTED_IN_MSG",
		"ATTRIB_STATUS_REQUIRED_ATTRIBUTE_MISSING",
		"ATTRIB_STATUS_STATUS_INFO_NOT_SUPPORTED_IN_MSG",
	};

	if (status < sizeof(names) / sizeof(names[0]))
		return names[status];
	return "unknown";
}

const char *
sstp_attr_name(uint8_t id)
{
	switch (id) {
	case SSTP_ATTRIB_NO_ERROR:                 return "SSTP_ATTRIB_NO_ERROR";
	case SSTP_ATTRIB_ENCAPSULATED_PROTOCOL_ID: return "SSTP_ATTRIB_ENCAPSULATED_PROTOCOL_ID";
	case SSTP_ATTRIB_STATUS_INFO:              return "SSTP_ATTRIB_STATUS_INFO";
	case SSTP_ATTRIB_CRYPTO_BINDING:           return "SSTP_ATTRIB_CRYPTO_BINDING";
	case SSTP_ATTRIB_CRYPTO_BINDING_REQ:       return "SSTP_ATTRIB_CRYPTO_BINDING_REQ";
	default:                                   return "unknown";
	}
}

int
sstp_hdr_parse(const uint8_t *p, size_t avail, struct sstp_hdr *h, const char **why)
{
	size_t len;

	*why = NULL;
	/* the version byte alone already tells a broken stream */
	if (avail >= 1 && p[0] != SSTP_VERSION) {
		*why = "version byte is not 0x10";
		return SSTP_HDR_BAD;
	}
	if (avail < SSTP_HDR_LEN)
		return SSTP_HDR_SHORT;
	/* byte 1: reserved bits are ignored on receipt (2.2.1); C is bit 0 */
	if (p[2] & 0xF0) {
		/* sstpc reads the 16-bit length unmasked: R bits set can only
		 * mean a broken or foreign stream */
		*why = "reserved bits of the length field are set (length > 4095)";
		return SSTP_HDR_BAD;
	}
	len = ((size_t)(p[2] & 0x0F) << 8) | p[3];
	if (len < SSTP_HDR_LEN) {
		*why = "packet length below 4";
		return SSTP_HDR_BAD;
	}
	h->control = p[1] & 0x01;
	h->len = len;
	return SSTP_HDR_OK;
}

int
sstp_ctrl_parse(const uint8_t *pkt, size_t len, struct sstp_ctrl *c)
{
	const uint8_t *p, *end;
	unsigned       i;

	memset(c, 0, sizeof(*c));
	if (len < SSTP_CTRL_HDR_LEN)
		return -1;
	c->type = be16_get(pkt + 4);
	c->nattr = be16_get(pkt + 6);
	p = pkt + SSTP_CTRL_HDR_LEN;
	end = pkt + len;
	for (i = 0; i < c->nattr; i++) {
		size_t rem = (size_t)(end - p), alen;

		if (rem == 0)
			break; /* fewer attributes than declared: callers see what is there */
		if (c->n == SSTP_ATTR_MAX) {
			c->too_many = 1;
			break;
		}
		if (rem < 4) {
			c->bad_len = 1;
			c->a[c->n].id = rem >= 2 ? p[1] : 0;
			c->a[c->n].len = 0;
			c->a[c->n].val = p;
			c->a[c->n].vlen = 0;
			break;
		}
		/* attribute R bits: ignored on receipt (2.2.4) */
		alen = ((size_t)(p[2] & 0x0F) << 8) | p[3];
		if (alen < 4 || alen > rem) {
			c->bad_len = 1;
			c->a[c->n].id = p[1];
			c->a[c->n].len = alen;
			c->a[c->n].val = p + 4;
			c->a[c->n].vlen = rem - 4;
			break;
		}
		c->a[c->n].id = p[1];
		c->a[c->n].len = alen;
		c->a[c->n].val = p + 4;
		c->a[c->n].vlen = alen - 4;
		c->n++;
		p += alen;
	}
	return 0;
}

size_t
sstp_put_hdr(uint8_t *out, int control, size_t len)
{
	out[0] = SSTP_VERSION;
	out[1] = control ? 0x01 : 0x00;
	be16_put(out + 2, (uint16_t)(len & 0x0FFF));
	return SSTP_HDR_LEN;
}

static void
put_ctrl_hdr(uint8_t *out, size_t len, uint16_t type, uint16_t nattr)
{
	sstp_put_hdr(out, 1, len);
	be16_put(out + 4, type);
	be16_put(out + 6, nattr);
}

size_t
sstp_build_msg(uint8_t out[SSTP_CTRL_HDR_LEN], uint16_t type)
{
	put_ctrl_hdr(out, SSTP_CTRL_HDR_LEN, type, 0);
	return SSTP_CTRL_HDR_LEN;
}

static size_t
put_status_attr(uint8_t *out, uint8_t attrib_id, uint32_t status, const uint8_t *val, size_t vlen)
{
	size_t alen;

	if (val == NULL)
		vlen = 0;
	if (vlen > SSTP_STATUS_VALUE_MAX)
		vlen = SSTP_STATUS_VALUE_MAX;
	alen = SSTP_STATUS_ATTR_LEN + vlen;
	out[0] = 0;
	out[1] = SSTP_ATTRIB_STATUS_INFO;
	be16_put(out + 2, (uint16_t)alen);
	out[4] = out[5] = out[6] = 0;
	out[7] = attrib_id;
	be32_put(out + 8, status);
	if (vlen > 0)
		memcpy(out + 12, val, vlen);
	return alen;
}

size_t
sstp_build_status_msg(uint8_t out[20], uint16_t type, uint8_t attrib_id, uint32_t status)
{
	put_ctrl_hdr(out, 20, type, 1);
	put_status_attr(out + SSTP_CTRL_HDR_LEN, attrib_id, status, NULL, 0);
	return 20;
}

size_t
sstp_build_ack(uint8_t out[SSTP_ACK_LEN], uint8_t bitmask, const uint8_t nonce[SSTP_NONCE_LEN])
{
	uint8_t *a = out + SSTP_CTRL_HDR_LEN;

	put_ctrl_hdr(out, SSTP_ACK_LEN, SSTP_MSG_CALL_CONNECT_ACK, 1);
	a[0] = 0;
	a[1] = SSTP_ATTRIB_CRYPTO_BINDING_REQ;
	be16_put(a + 2, SSTP_CBR_ATTR_LEN);
	a[4] = a[5] = a[6] = 0;
	a[7] = bitmask;
	memcpy(a + 8, nonce, SSTP_NONCE_LEN);
	return SSTP_ACK_LEN;
}

size_t
sstp_build_nak(uint8_t *out, size_t cap, const struct sstp_status_item *it, size_t n)
{
	size_t i, len = SSTP_CTRL_HDR_LEN;

	if (n == 0 || n > 0xFFFF)
		return 0;
	for (i = 0; i < n; i++) {
		size_t vlen = it[i].val != NULL ? it[i].vlen : 0;

		len += SSTP_STATUS_ATTR_LEN + (vlen > SSTP_STATUS_VALUE_MAX ? SSTP_STATUS_VALUE_MAX : vlen);
	}
	if (len > cap || len > SSTP_MAX_PACKET)
		return 0;
	put_ctrl_hdr(out, len, SSTP_MSG_CALL_CONNECT_NAK, (uint16_t)n);
	len = SSTP_CTRL_HDR_LEN;
	for (i = 0; i < n; i++)
		len += put_status_attr(out + len, it[i].attrib_id, it[i].status, it[i].val, it[i].vlen);
	return len;
}

size_t
sstp_build_data(uint8_t *out, size_t cap, const uint8_t *frame, size_t len)
{
	if (len > SSTP_MAX_PAYLOAD || len + SSTP_HDR_LEN > cap)
		return 0;
	sstp_put_hdr(out, 0, len + SSTP_HDR_LEN);
	if (len > 0)
		memcpy(out + SSTP_HDR_LEN, frame, len);
	return len + SSTP_HDR_LEN;
}

int
sstp_ppp_is_control(const uint8_t *f, size_t len)
{
	if (len >= 2 && f[0] == 0xFF && f[1] == 0x03) {
		f += 2;
		len -= 2;
	}
	if (len == 0)
		return 0;
	/* PFC: an odd first byte is a 1-byte protocol 0x00xx, always data */
	if (f[0] & 0x01)
		return 0;
	return f[0] >= 0x80;
}
