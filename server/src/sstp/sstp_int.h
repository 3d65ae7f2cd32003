/*
 * SSTP internals shared by the files of server/src/sstp/ and by the unit
 * tests and fuzz targets: wire constants, the packet and attribute codec
 * (codec.c), the HTTP request-head scanner and replies (http.c) and the
 * crypto-binding checks (binding.c). Not part of the session contract in
 * sstp.h.
 */
#ifndef P2SGW_SSTP_INT_H
#define P2SGW_SSTP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sstp/sstp.h"

/* ---- wire constants (MS-SSTP 2.2) ---- */

#define SSTP_VERSION        0x10
#define SSTP_HDR_LEN        4
#define SSTP_CTRL_HDR_LEN   8
#define SSTP_MAX_PAYLOAD    (SSTP_MAX_PACKET - SSTP_HDR_LEN) /* 4091 */
#define SSTP_NONCE_LEN      32
#define SSTP_CALL_CONNECTED_LEN 112
#define SSTP_ACK_LEN        48
#define SSTP_CB_ATTR_LEN    104 /* CRYPTO_BINDING */
#define SSTP_CBR_ATTR_LEN   40  /* CRYPTO_BINDING_REQ */
#define SSTP_STATUS_ATTR_LEN 12 /* STATUS_INFO without AttribValue */
#define SSTP_STATUS_VALUE_MAX 64
#define SSTP_ATTR_MAX       16  /* attributes kept per control message */

/* byte offsets inside the 112-byte CALL_CONNECTED */
#define SSTP_CC_OFF_PROTO   15
#define SSTP_CC_OFF_NONCE   16
#define SSTP_CC_OFF_CERT    48
#define SSTP_CC_OFF_MAC     80

enum sstp_msg_type {
	SSTP_MSG_CALL_CONNECT_REQUEST = 0x0001,
	SSTP_MSG_CALL_CONNECT_ACK     = 0x0002,
	SSTP_MSG_CALL_CONNECT_NAK     = 0x0003,
	SSTP_MSG_CALL_CONNECTED       = 0x0004,
	SSTP_MSG_CALL_ABORT           = 0x0005,
	SSTP_MSG_CALL_DISCONNECT      = 0x0006,
	SSTP_MSG_CALL_DISCONNECT_ACK  = 0x0007,
	SSTP_MSG_ECHO_REQUEST         = 0x0008,
	SSTP_MSG_ECHO_RESPONSE        = 0x0009,
};

enum sstp_attr_id {
	SSTP_ATTRIB_NO_ERROR           = 0x00,
	SSTP_ATTRIB_ENCAPSULATED_PROTOCOL_ID = 0x01,
	SSTP_ATTRIB_STATUS_INFO        = 0x02,
	SSTP_ATTRIB_CRYPTO_BINDING     = 0x03,
	SSTP_ATTRIB_CRYPTO_BINDING_REQ = 0x04,
};

#define SSTP_ENCAPSULATED_PROTOCOL_PPP 0x0001

enum sstp_status {
	SSTP_ST_NO_ERROR                   = 0x00,
	SSTP_ST_DUPLICATE_ATTRIBUTE        = 0x01,
	SSTP_ST_UNRECOGNIZED_ATTRIBUTE     = 0x02,
	SSTP_ST_INVALID_ATTRIB_VALUE_LENGTH = 0x03,
	SSTP_ST_VALUE_NOT_SUPPORTED        = 0x04,
	SSTP_ST_UNACCEPTED_FRAME_RECEIVED  = 0x05,
	SSTP_ST_RETRY_COUNT_EXCEEDED       = 0x06,
	SSTP_ST_INVALID_FRAME_RECEIVED     = 0x07,
	SSTP_ST_NEGOTIATION_TIMEOUT        = 0x08,
	SSTP_ST_ATTRIB_NOT_SUPPORTED_IN_MSG = 0x09,
	SSTP_ST_REQUIRED_ATTRIBUTE_MISSING = 0x0A,
	SSTP_ST_STATUS_INFO_NOT_SUPPORTED_IN_MSG = 0x0B,
};

const char *sstp_msg_name(uint16_t type);      /* "CALL_CONNECT_REQUEST", "0x00ff" -> "unknown" */
const char *sstp_status_name(uint32_t status); /* "ATTRIB_STATUS_NEGOTIATION_TIMEOUT" */
const char *sstp_attr_name(uint8_t id);        /* "SSTP_ATTRIB_STATUS_INFO" */

/* ---- codec.c ---- */

enum sstp_hdr_result { SSTP_HDR_OK = 0, SSTP_HDR_SHORT = 1, SSTP_HDR_BAD = -1 };

struct sstp_hdr {
	int    control; /* C bit */
	size_t len;     /* whole packet, 4..4095 */
};

/* Delineates one packet from the first `avail` bytes: SHORT while fewer
 * than 4 bytes are there, BAD for a version other than 0x10, R bits set
 * or a length below 4 (why says which, for the log). */
int sstp_hdr_parse(const uint8_t *p, size_t avail, struct sstp_hdr *h, const char **why);

struct sstp_attr {
	uint8_t        id;
	size_t         len;  /* as declared, header included */
	const uint8_t *val;  /* len - 4 bytes (for bad_len: what is left of the packet) */
	size_t         vlen;
};

struct sstp_ctrl {
	uint16_t type;
	uint16_t nattr;      /* as declared */
	size_t   n;          /* attributes parsed into a[] */
	struct sstp_attr a[SSTP_ATTR_MAX];
	int      bad_len;    /* a[n] is an attribute whose length is < 4 or overruns the packet */
	int      too_many;   /* more than SSTP_ATTR_MAX attributes: the rest was not parsed */
};

/* A control packet of `len` bytes (header included, as delineated).
 * Returns -1 if it is shorter than the 8-byte control header. */
int sstp_ctrl_parse(const uint8_t *pkt, size_t len, struct sstp_ctrl *c);

/* Encoders write into `out` and return the length. */
size_t sstp_put_hdr(uint8_t *out, int control, size_t len);
size_t sstp_build_msg(uint8_t out[SSTP_CTRL_HDR_LEN], uint16_t type);
size_t sstp_build_status_msg(uint8_t out[20], uint16_t type, uint8_t attrib_id, uint32_t status);
size_t sstp_build_ack(uint8_t out[SSTP_ACK_LEN], uint8_t bitmask, const uint8_t nonce[SSTP_NONCE_LEN]);

struct sstp_status_item {
	uint8_t        attrib_id;
	uint32_t       status;
	const uint8_t *val;  /* original attribute value, or NULL */
	size_t         vlen; /* capped at 64 when encoded */
};
/* Returns 0 if it does not fit in cap. */
size_t sstp_build_nak(uint8_t *out, size_t cap, const struct sstp_status_item *it, size_t n);
/* Returns 0 if the frame is longer than 4091 or does not fit in cap. */
size_t sstp_build_data(uint8_t *out, size_t cap, const uint8_t *frame, size_t len);

/* PPP control frame (protocol with its high bit set: LCP, NCPs, auth),
 * after optional FF 03 and with PFC-compressed protocols as data. */
int sstp_ppp_is_control(const uint8_t *frame, size_t len);

/* ---- binding.c ---- */

size_t sstp_hash_len(uint8_t hash_proto); /* 20, 32, or 0 for an unknown protocol */
const char *sstp_hash_name(uint8_t hash_proto); /* "sha1", "sha256", "unknown" */

/* The client side of crypto binding (tests, fuzzers, a lab client):
 * a complete CALL_CONNECTED with the compound MAC computed from hlak
 * (NULL = 32 zero bytes). cert_hash has sstp_hash_len(proto) bytes. */
void sstp_build_call_connected(uint8_t out[SSTP_CALL_CONNECTED_LEN], uint8_t hash_proto,
                               const uint8_t nonce[SSTP_NONCE_LEN], const uint8_t *cert_hash,
                               const uint8_t *hlak);

/* 0 when the compound MAC in msg matches the one computed from hlak
 * (NULL = zeros); constant-time compare. */
int sstp_check_cmac(const uint8_t msg[SSTP_CALL_CONNECTED_LEN], const uint8_t *hlak);

/* ---- http.c ---- */

#define SSTP_HTTP_MAX_HEADERS 32
#define SSTP_HTTP_MAX_LINE    4096
#define SSTP_URI "/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/"

/* Incremental scan for the end of the request head. */
struct sstp_http_scan {
	size_t pos;        /* bytes scanned */
	size_t line_start; /* offset of the current line */
	unsigned lines;    /* complete lines seen (request line included) */
};

enum sstp_http_scan_result {
	SSTP_HTTP_MORE = 0,     /* no blank line yet, within caps */
	SSTP_HTTP_HEAD = 1,     /* *head_len bytes form the head (blank line included) */
	SSTP_HTTP_TOO_LARGE = -1, /* *why says which cap */
};
int sstp_http_scan(struct sstp_http_scan *sc, const uint8_t *buf, size_t len, size_t max_head,
                   size_t *head_len, const char **why);

struct sstp_http_req {
	const char *method; size_t method_len;
	const char *path;   size_t path_len;
	const char *version; size_t version_len;
	const char *host;   size_t host_len;           /* NULL: absent */
	const char *correlation; size_t correlation_len;
	const char *content_length; size_t content_length_len;
	const char *tenantid; size_t tenantid_len;     /* from the query string */
	unsigned    nheaders;
};

/* What to do with a complete head: the HTTP status to answer (200 for
 * SSTP), and for an error why in plain words. */
struct sstp_http_verdict {
	int        status;     /* 200, 400, 404, 405, 414, 505 */
	int        head_only;  /* HEAD request: no body */
	int        not_sstp;   /* a plain HTTPS request (browser, probe) */
	char       why[256];
};

/* Parses the head (head_len bytes ending with the blank line) and decides.
 * Returns 0 if the request line could be split (req filled), -1 if not
 * (only the verdict is meaningful). */
int sstp_http_parse(const uint8_t *head, size_t head_len, struct sstp_http_req *req,
                    struct sstp_http_verdict *v);

/* IMF-fixdate ("Thu, 09 Nov 2006 00:51:09 GMT") of a Unix time. */
void sstp_http_date(time_t t, char out[32]);

/* The reply bytes, in one buffer; date NULL: no Date header.
 * Returns the length, or 0 if cap is too small. */
size_t sstp_http_reply(char *out, size_t cap, int status, int head_only, const char *date);

/* Copies bytes for a log field: printable ASCII kept, anything else as
 * \xNN, cut at cap-1 with "..." when longer. */
void sstp_log_str(char *out, size_t cap, const char *in, size_t len);

#endif
