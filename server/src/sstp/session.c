/*
 * SSTP server session: the HTTP handshake, then the server state machine
 * of MS-SSTP 3.3 (with the common abort/disconnect machine of 3.1.1.1),
 * timers as one deadline, PPP gating and crypto binding. Sans-I/O: bytes
 * and `now` in, hook calls and a deadline out.
 *
 * Hooks may call back into the session (sstp_send_ppp from ppp_frame or
 * lower_up, sstp_set_hlak or sstp_abort from ppp_frame, even sstp_free
 * from closed): a depth counter defers the free to the outermost call.
 */
#include "sstp/sstp_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/constant_time.h>
#include <mbedtls/platform_util.h>

#define SSTP_MAGIC 0x53535450u /* "SSTP" */

enum sstp_state {
	SS_HTTP,                        /* waiting for the request head */
	SS_CONNECT_REQUEST_PENDING,     /* 200 sent */
	SS_CALL_CONNECTED_PENDING,      /* ACK sent */
	SS_CALL_CONNECTED,
	SS_ABORT_PENDING,               /* we sent CALL_ABORT: T1 */
	SS_ABORT_TIMEOUT_PENDING,       /* T2 */
	SS_DISCONNECT_ACK_PENDING,      /* we sent CALL_DISCONNECT: T1 */
	SS_DISCONNECT_TIMEOUT_PENDING,  /* we sent DISCONNECT_ACK: T2 */
	SS_CLOSED,
};

static const char *const state_names[] = {
	"http", "connect_request_pending", "call_connected_pending", "call_connected",
	"abort_pending", "abort_timeout_pending", "disconnect_ack_pending",
	"disconnect_timeout_pending", "closed",
};

struct sstp_session {
	uint32_t            magic;
	struct sstp_config  cfg;
	struct sstp_hooks   hooks;
	enum sstp_state     state;
	unsigned            depth;        /* nested public calls */
	int                 free_pending;
	int                 in_input;     /* sstp_input is running (not re-entrant) */

	/* input: the request head, then at most one partial SSTP packet */
	uint8_t            *ibuf;
	size_t              icap, ilen;
	struct sstp_http_scan scan;

	/* wall clock for the Date header: wall_s at mono wall_mono (ms) */
	int64_t             wall_s;
	uint64_t            wall_mono;
	int                 wall_set;

	uint64_t            deadline;     /* 0: none; meaning depends on state */
	int                 echo_sent;    /* Hello: ECHO_REQUEST outstanding */
	unsigned            naks;

	uint8_t             nonce[SSTP_NONCE_LEN];
	uint8_t             hlak[SSTP_HLAK_LEN];
	int                 hlak_set;
	uint8_t             held[SSTP_CALL_CONNECTED_LEN];
	int                 held_set;

	uint64_t            dropped_in, dropped_out;
	int                 dropped_logged;

	/* sstp_refuse: answer the SSTP request with this status instead of 200 */
	int                 refuse_status;
	enum close_reason   refuse_reason;
	char                refuse_detail[200];

	/* what `closed` will report when the teardown timers run out */
	enum close_reason   reason;
	char                detail[256];
};

/* ---- helpers ---- */

static void
check(const struct sstp_session *s)
{
	if (s == NULL || s->magic != SSTP_MAGIC)
		abort(); /* freed or foreign pointer: our bug */
}

static void
enter(struct sstp_session *s)
{
	check(s);
	s->depth++;
}

static void really_free(struct sstp_session *s);

static void
leave(struct sstp_session *s)
{
	if (--s->depth == 0 && s->free_pending)
		really_free(s);
}

static void
event(struct sstp_session *s, const char *type, json_t *o)
{
	if (o == NULL)
		return;
	emit(&s->hooks.events, type, o);
}

static void
set_str(json_t *o, const char *key, const char *val)
{
	if (val != NULL)
		json_object_set_new(o, key, json_string(val));
}

/* a field from the wire: sanitized, capped */
static void
set_wire_str(json_t *o, const char *key, const char *val, size_t len)
{
	char buf[260];

	if (val == NULL)
		return;
	sstp_log_str(buf, sizeof(buf), val, len);
	json_object_set_new(o, key, json_string(buf));
}

static void
send_bytes(struct sstp_session *s, const uint8_t *buf, size_t len)
{
	if (s->hooks.send != NULL && len > 0)
		s->hooks.send(s->hooks.ctx, buf, len);
}

static void __attribute__((format(printf, 3, 4)))
set_reason(struct sstp_session *s, enum close_reason r, const char *fmt, ...)
{
	va_list ap;

	s->reason = r;
	va_start(ap, fmt);
	if (vsnprintf(s->detail, sizeof(s->detail), fmt, ap) < 0)
		s->detail[0] = '\0';
	va_end(ap);
}

static void
log_dropped(struct sstp_session *s)
{
	json_t *o;

	if (s->dropped_logged || (s->dropped_in == 0 && s->dropped_out == 0))
		return;
	s->dropped_logged = 1;
	o = json_object();
	json_object_set_new(o, "count", json_integer((json_int_t)(s->dropped_in + s->dropped_out)));
	json_object_set_new(o, "from_client", json_integer((json_int_t)s->dropped_in));
	json_object_set_new(o, "to_client", json_integer((json_int_t)s->dropped_out));
	set_str(o, "why", "PPP data frames before CALL_CONNECTED was verified are dropped (MS-SSTP 3.3.7)");
	event(s, "sstp_data_dropped_before_connected", o);
}

/* The one exit: `closed` exactly once, then the session ignores input. */
static void
finish(struct sstp_session *s, enum close_reason r, const char *detail)
{
	if (s->state == SS_CLOSED)
		return;
	log_dropped(s);
	s->state = SS_CLOSED;
	s->deadline = 0;
	s->ilen = 0;
	if (detail != s->detail) {
		if (snprintf(s->detail, sizeof(s->detail), "%s", detail != NULL ? detail : "") < 0)
			s->detail[0] = '\0';
	}
	s->reason = r;
	mbedtls_platform_zeroize(s->hlak, sizeof(s->hlak));
	if (s->hooks.closed != NULL)
		s->hooks.closed(s->hooks.ctx, r, s->detail);
}

static int
teardown_state(const struct sstp_session *s)
{
	return s->state == SS_ABORT_PENDING || s->state == SS_ABORT_TIMEOUT_PENDING ||
	       s->state == SS_DISCONNECT_ACK_PENDING || s->state == SS_DISCONNECT_TIMEOUT_PENDING;
}

/* Call_Abort_In_Progress_1 -> Call_Abort_Pending: CALL_ABORT, T1. The
 * reason and detail are already set by the caller. */
static void
start_abort(struct sstp_session *s, uint8_t attrib_id, uint32_t status, uint64_t now)
{
	uint8_t msg[20];
	json_t *o;

	if (s->state == SS_CLOSED)
		return;
	log_dropped(s);
	sstp_build_status_msg(msg, SSTP_MSG_CALL_ABORT, attrib_id, status);
	o = json_object();
	json_object_set_new(o, "status", json_integer(status));
	set_str(o, "status_name", sstp_status_name(status));
	set_str(o, "attrib", sstp_attr_name(attrib_id));
	set_str(o, "state", state_names[s->state]);
	set_str(o, "reason", reason_info(s->reason)->name);
	set_str(o, "why", s->detail);
	event(s, "sstp_abort_sent", o);
	s->state = SS_ABORT_PENDING;
	s->deadline = now + s->cfg.abort_t1_ms;
	send_bytes(s, msg, sizeof(msg));
}

static void
abort_unexpected(struct sstp_session *s, uint16_t type, uint64_t now)
{
	set_reason(s, CR_SSTP_PROTOCOL, "unexpected %s (0x%04x) in state %s", sstp_msg_name(type),
	           type, state_names[s->state]);
	start_abort(s, SSTP_ATTRIB_STATUS_INFO, SSTP_ST_UNACCEPTED_FRAME_RECEIVED, now);
}

static void
abort_invalid(struct sstp_session *s, const char *what, uint64_t now)
{
	set_reason(s, CR_SSTP_PROTOCOL, "invalid SSTP message: %s", what);
	start_abort(s, SSTP_ATTRIB_STATUS_INFO, SSTP_ST_INVALID_FRAME_RECEIVED, now);
}

/* ---- HTTP ---- */

static const char *
http_date(struct sstp_session *s, uint64_t now, char buf[32])
{
	int64_t t;

	if (!s->wall_set)
		return NULL;
	t = s->wall_s + (int64_t)((now >= s->wall_mono ? now - s->wall_mono : 0) / 1000);
	sstp_http_date((time_t)t, buf);
	return buf;
}

static void
http_answer(struct sstp_session *s, int status, int head_only, const char *why, uint64_t now)
{
	char   reply[1200], date[32];
	size_t n = sstp_http_reply(reply, sizeof(reply), status, head_only, http_date(s, now, date));
	json_t *o = json_object();

	json_object_set_new(o, "status", json_integer(status));
	set_str(o, "why", why);
	event(s, "sstp_http_reply", o);
	/* one call: one TLS record (sstpc parses a single read) */
	send_bytes(s, (const uint8_t *)reply, n);
}

static void
http_error(struct sstp_session *s, int status, int head_only, enum close_reason r, const char *why,
           uint64_t now)
{
	http_answer(s, status, head_only, why, now);
	finish(s, r, why);
}

static void
log_request(struct sstp_session *s, const struct sstp_http_req *r)
{
	json_t *o = json_object();

	set_wire_str(o, "method", r->method, r->method_len);
	set_wire_str(o, "path", r->path, r->path_len);
	set_wire_str(o, "version", r->version, r->version_len);
	set_wire_str(o, "host", r->host, r->host_len);
	set_wire_str(o, "correlation_id", r->correlation, r->correlation_len);
	set_wire_str(o, "content_length", r->content_length, r->content_length_len);
	set_wire_str(o, "tenantid", r->tenantid, r->tenantid_len);
	json_object_set_new(o, "headers", json_integer(r->nheaders));
	event(s, "sstp_http_request", o);
}

/* Returns the head length consumed, or 0 if the session ended. */
static size_t
http_head(struct sstp_session *s, size_t head_len, uint64_t now)
{
	struct sstp_http_req     req;
	struct sstp_http_verdict v;

	if (sstp_http_parse(s->ibuf, head_len, &req, &v) == 0)
		log_request(s, &req);
	if (v.status != 200) {
		http_error(s, v.status, v.head_only, v.not_sstp ? CR_HTTP_NOT_SSTP : CR_HTTP_BAD_REQUEST,
		           v.why, now);
		return 0;
	}
	if (s->refuse_status != 0) {
		http_error(s, s->refuse_status, 0, s->refuse_reason, s->refuse_detail, now);
		return 0;
	}
	http_answer(s, 200, 0, NULL, now);
	if (s->state == SS_CLOSED)
		return 0;
	s->state = SS_CONNECT_REQUEST_PENDING;
	s->deadline = now + s->cfg.negotiation_timeout_ms;
	return head_len;
}

/* ---- SSTP messages ---- */

static void
log_connect_request(struct sstp_session *s, const char *result, const char *why)
{
	json_t *o = json_object();

	set_str(o, "result", result);
	set_str(o, "why", why);
	json_object_set_new(o, "naks", json_integer(s->naks));
	event(s, "sstp_connect_request", o);
}

static void
on_connect_request(struct sstp_session *s, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct sstp_ctrl        c;
	struct sstp_status_item items[SSTP_ATTR_MAX + 1];
	size_t                  n = 0, i;
	int                     have_proto = 0;
	char                    why[160] = "";
	uint8_t                 out[SSTP_MAX_PACKET];

	if (s->state != SS_CONNECT_REQUEST_PENDING) {
		if (!teardown_state(s))
			abort_unexpected(s, SSTP_MSG_CALL_CONNECT_REQUEST, now);
		return;
	}
	if (sstp_ctrl_parse(pkt, len, &c) != 0) {
		abort_invalid(s, "CALL_CONNECT_REQUEST shorter than 8 bytes", now);
		return;
	}
	/* MS-SSTP 3.3.5.2.2: one Status Info per unacceptable attribute */
	for (i = 0; i < c.n; i++) {
		const struct sstp_attr *a = &c.a[i];
		struct sstp_status_item *it = &items[n];

		it->attrib_id = a->id;
		it->val = a->val;
		it->vlen = a->vlen;
		switch (a->id) {
		case SSTP_ATTRIB_ENCAPSULATED_PROTOCOL_ID:
			if (have_proto) {
				it->status = SSTP_ST_DUPLICATE_ATTRIBUTE;
				n++;
			} else if (a->len != 6) {
				it->status = SSTP_ST_INVALID_ATTRIB_VALUE_LENGTH;
				n++;
			} else if (((a->val[0] << 8) | a->val[1]) != SSTP_ENCAPSULATED_PROTOCOL_PPP) {
				it->status = SSTP_ST_VALUE_NOT_SUPPORTED;
				n++;
				if (why[0] == '\0')
					(void)snprintf(why, sizeof(why), "encapsulated protocol 0x%04x is not PPP",
					               (a->val[0] << 8) | a->val[1]);
			}
			have_proto = 1;
			break;
		case SSTP_ATTRIB_STATUS_INFO:
			if (a->len < SSTP_STATUS_ATTR_LEN) {
				it->status = SSTP_ST_INVALID_ATTRIB_VALUE_LENGTH;
				n++;
			} else if ((a->val[4] | a->val[5] | a->val[6] | a->val[7]) != 0) {
				it->attrib_id = SSTP_ATTRIB_STATUS_INFO;
				it->status = SSTP_ST_STATUS_INFO_NOT_SUPPORTED_IN_MSG;
				it->val = NULL;
				n++;
			}
			break;
		default:
			/* crypto-binding attributes do not belong in a request:
			 * not recognized here either */
			it->status = SSTP_ST_UNRECOGNIZED_ATTRIBUTE;
			it->val = NULL;
			n++;
			break;
		}
	}
	if (c.bad_len) {
		items[n].attrib_id = c.a[c.n].id;
		items[n].status = SSTP_ST_INVALID_ATTRIB_VALUE_LENGTH;
		items[n].val = c.a[c.n].val;
		items[n].vlen = c.a[c.n].vlen;
		n++;
		if (c.a[c.n].id == SSTP_ATTRIB_ENCAPSULATED_PROTOCOL_ID)
			have_proto = 1;
	}
	if (!have_proto && n < SSTP_ATTR_MAX + 1) {
		items[n].attrib_id = SSTP_ATTRIB_STATUS_INFO;
		items[n].status = SSTP_ST_REQUIRED_ATTRIBUTE_MISSING;
		items[n].val = NULL;
		items[n].vlen = 0;
		n++;
		if (why[0] == '\0')
			(void)snprintf(why, sizeof(why), "no Encapsulated-Protocol-ID attribute");
	}
	if (n > 0 && why[0] == '\0')
		(void)snprintf(why, sizeof(why), "attribute %s: %s", sstp_attr_name(items[0].attrib_id),
		               sstp_status_name(items[0].status));

	if (n == 0) {
		json_t *o;
		uint8_t ack[SSTP_ACK_LEN];

		log_connect_request(s, "accepted", NULL);
		if (s->hooks.random != NULL)
			s->hooks.random(s->hooks.ctx, s->nonce, sizeof(s->nonce));
		sstp_build_ack(ack, s->cfg.hash_bitmask, s->nonce);
		s->state = SS_CALL_CONNECTED_PENDING;
		s->deadline = now + s->cfg.negotiation_timeout_ms;
		o = json_object();
		json_object_set_new(o, "bitmask", json_integer(s->cfg.hash_bitmask));
		event(s, "sstp_connect_ack", o);
		send_bytes(s, ack, sizeof(ack));
		if (s->state == SS_CALL_CONNECTED_PENDING && s->hooks.lower_up != NULL)
			s->hooks.lower_up(s->hooks.ctx);
		return;
	}
	if (s->naks >= s->cfg.nak_retries) {
		log_connect_request(s, "aborted", why);
		set_reason(s, CR_SSTP_PROTOCOL,
		           "CALL_CONNECT_REQUEST refused %u times (retry limit %u); last: %s", s->naks + 1,
		           s->cfg.nak_retries, why);
		start_abort(s, SSTP_ATTRIB_STATUS_INFO, SSTP_ST_RETRY_COUNT_EXCEEDED, now);
		return;
	}
	s->naks++;
	log_connect_request(s, "naked", why);
	len = sstp_build_nak(out, sizeof(out), items, n);
	send_bytes(s, out, len);
}

/* a crypto-binding failure: CALL_ABORT, then CR_SSTP_CRYPTO_BINDING */
static void
binding_failed(struct sstp_session *s, uint8_t proto, uint8_t attrib_id, uint32_t status,
               const char *detail, uint64_t now)
{
	json_t *o = json_object();

	set_str(o, "hash_protocol", sstp_hash_name(proto));
	json_object_set_new(o, "ok", json_false());
	set_str(o, "detail", detail);
	event(s, "sstp_call_connected", o);
	set_reason(s, CR_SSTP_CRYPTO_BINDING, "%s", detail);
	s->held_set = 0;
	start_abort(s, attrib_id, status, now);
}

/* the compound MAC, once the HLAK is there */
static void
verify_mac(struct sstp_session *s, const uint8_t *msg, uint64_t now)
{
	uint8_t proto = msg[SSTP_CC_OFF_PROTO];
	json_t *o;

	if (sstp_check_cmac(msg, s->hlak) != 0) {
		static const uint8_t zero[SSTP_HLAK_LEN];
		int zero_ok = mbedtls_ct_memcmp(s->hlak, zero, sizeof(zero)) != 0 &&
		              sstp_check_cmac(msg, NULL) == 0;

		binding_failed(s, proto, SSTP_ATTRIB_CRYPTO_BINDING, SSTP_ST_VALUE_NOT_SUPPORTED,
		               zero_ok ? "compound MAC mismatch: the client used an all-zero HLAK "
		                         "(it got no keys from PPP, e.g. sstpc without its pppd plugin, "
		                         "or PAP/CHAP on the client side)"
		                       : "compound MAC mismatch: the client's HLAK differs (e.g. Debian "
		                         "pppd 2.4.9 EAP-TLS exposes 16-byte keys)",
		               now);
		return;
	}
	s->held_set = 0;
	s->state = SS_CALL_CONNECTED;
	s->deadline = now + s->cfg.hello_interval_ms;
	s->echo_sent = 0;
	o = json_object();
	set_str(o, "hash_protocol", sstp_hash_name(proto));
	json_object_set_new(o, "ok", json_true());
	event(s, "sstp_call_connected", o);
	log_dropped(s);
}

static void
on_call_connected(struct sstp_session *s, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct sstp_ctrl c;
	const uint8_t   *cert;
	uint8_t          proto;
	size_t           i, hlen;
	int              found = 0;

	if (s->state != SS_CALL_CONNECTED_PENDING) {
		if (!teardown_state(s))
			abort_unexpected(s, SSTP_MSG_CALL_CONNECTED, now);
		return;
	}
	if (sstp_ctrl_parse(pkt, len, &c) != 0) {
		abort_invalid(s, "CALL_CONNECTED shorter than 8 bytes", now);
		return;
	}
	/* 3.3.5.2.3: attribute missing, bad length, or a Status Info with an error */
	for (i = 0; i < c.n; i++) {
		if (c.a[i].id == SSTP_ATTRIB_STATUS_INFO && c.a[i].vlen >= 8 &&
		    (c.a[i].val[4] | c.a[i].val[5] | c.a[i].val[6] | c.a[i].val[7]) != 0) {
			binding_failed(s, 0, SSTP_ATTRIB_STATUS_INFO, SSTP_ST_ATTRIB_NOT_SUPPORTED_IN_MSG,
			               "CALL_CONNECTED carries a Status Info with an error status", now);
			return;
		}
		if (c.a[i].id == SSTP_ATTRIB_CRYPTO_BINDING)
			found = c.a[i].len == SSTP_CB_ATTR_LEN ? 1 : -1;
	}
	if (c.bad_len && c.a[c.n].id == SSTP_ATTRIB_CRYPTO_BINDING)
		found = -1;
	if (found != 1 || len != SSTP_CALL_CONNECTED_LEN || c.n != 1) {
		binding_failed(s, 0, SSTP_ATTRIB_STATUS_INFO, SSTP_ST_ATTRIB_NOT_SUPPORTED_IN_MSG,
		               found == 0 ? "CALL_CONNECTED without a crypto-binding attribute"
		               : found < 0 ? "CALL_CONNECTED with a crypto-binding attribute of the wrong length (not 104)"
		                           : "CALL_CONNECTED is not one 104-byte crypto-binding attribute in 112 bytes",
		               now);
		return;
	}
	proto = pkt[SSTP_CC_OFF_PROTO];
	hlen = sstp_hash_len(proto);
	if (hlen == 0 || (proto & s->cfg.hash_bitmask) == 0) {
		char d[160];

		(void)snprintf(d, sizeof(d),
		               "hash protocol mismatch: the client chose 0x%02x (%s), the gateway "
		               "advertised bitmask 0x%02x",
		               proto, sstp_hash_name(proto), s->cfg.hash_bitmask);
		binding_failed(s, proto, SSTP_ATTRIB_CRYPTO_BINDING, SSTP_ST_VALUE_NOT_SUPPORTED, d, now);
		return;
	}
	if (mbedtls_ct_memcmp(pkt + SSTP_CC_OFF_NONCE, s->nonce, SSTP_NONCE_LEN) != 0) {
		binding_failed(s, proto, SSTP_ATTRIB_CRYPTO_BINDING, SSTP_ST_VALUE_NOT_SUPPORTED,
		               "nonce mismatch: the CALL_CONNECTED does not carry the nonce of our "
		               "CALL_CONNECT_ACK",
		               now);
		return;
	}
	cert = proto == SSTP_HASH_SHA1 ? s->cfg.cert_sha1 : s->cfg.cert_sha256;
	if (mbedtls_ct_memcmp(pkt + SSTP_CC_OFF_CERT, cert, hlen) != 0) {
		binding_failed(s, proto, SSTP_ATTRIB_CRYPTO_BINDING, SSTP_ST_VALUE_NOT_SUPPORTED,
		               "certificate hash mismatch: the client saw another certificate (TLS "
		               "interception?)",
		               now);
		return;
	}
	if (!s->hlak_set) {
		json_t *o = json_object();

		memcpy(s->held, pkt, SSTP_CALL_CONNECTED_LEN);
		s->held_set = 1;
		set_str(o, "hash_protocol", sstp_hash_name(proto));
		set_str(o, "why", "CALL_CONNECTED arrived before PPP authentication gave the HLAK; "
		                  "held until it does");
		event(s, "sstp_held_call_connected", o);
		return;
	}
	verify_mac(s, pkt, now);
}

static void
on_call_abort(struct sstp_session *s, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct sstp_ctrl c;
	uint8_t          msg[20];
	uint32_t         status = 0;
	uint8_t          attrib = 0;
	int              have = 0;
	size_t           i;
	json_t          *o;

	if (s->state == SS_ABORT_TIMEOUT_PENDING || s->state == SS_DISCONNECT_TIMEOUT_PENDING)
		return;
	if (sstp_ctrl_parse(pkt, len, &c) == 0) {
		for (i = 0; i < c.n; i++) {
			if (c.a[i].id == SSTP_ATTRIB_STATUS_INFO && c.a[i].vlen >= 8) {
				const uint8_t *v = c.a[i].val;

				attrib = v[3];
				status = ((uint32_t)v[4] << 24) | ((uint32_t)v[5] << 16) |
				         ((uint32_t)v[6] << 8) | v[7];
				have = 1;
				break;
			}
		}
	}
	o = json_object();
	if (have) {
		json_object_set_new(o, "status", json_integer(status));
		set_str(o, "status_name", sstp_status_name(status));
		set_str(o, "attrib", sstp_attr_name(attrib));
	}
	set_str(o, "state", state_names[s->state]);
	event(s, "sstp_abort_received", o);
	log_dropped(s);
	if (s->state == SS_ABORT_PENDING) {
		/* our abort answered: T1 -> T2, keep our reason */
		s->state = SS_ABORT_TIMEOUT_PENDING;
		s->deadline = now + s->cfg.abort_t2_ms;
		return;
	}
	/* Call_Abort_In_Progress_2: answer, T2 */
	if (have)
		set_reason(s, CR_SSTP_CLIENT_ABORT, "the client sent CALL_ABORT with %s (%u) for %s",
		           sstp_status_name(status), (unsigned)status, sstp_attr_name(attrib));
	else
		set_reason(s, CR_SSTP_CLIENT_ABORT, "the client sent CALL_ABORT without a status");
	s->state = SS_ABORT_TIMEOUT_PENDING;
	s->deadline = now + s->cfg.abort_t2_ms;
	if (have) {
		/* answer with the same status, as Windows always carries one */
		sstp_build_status_msg(msg, SSTP_MSG_CALL_ABORT, attrib, status);
		send_bytes(s, msg, sizeof(msg));
	} else {
		sstp_build_msg(msg, SSTP_MSG_CALL_ABORT);
		send_bytes(s, msg, SSTP_CTRL_HDR_LEN);
	}
}

static void
on_call_disconnect(struct sstp_session *s, uint64_t now)
{
	uint8_t msg[SSTP_CTRL_HDR_LEN];
	json_t *o;

	if (s->state == SS_ABORT_PENDING || s->state == SS_ABORT_TIMEOUT_PENDING ||
	    s->state == SS_DISCONNECT_TIMEOUT_PENDING)
		return;
	o = json_object();
	set_str(o, "direction", "received");
	set_str(o, "state", state_names[s->state]);
	event(s, "sstp_disconnect", o);
	log_dropped(s);
	if (s->state != SS_DISCONNECT_ACK_PENDING)
		set_reason(s, CR_SSTP_CLIENT_DISCONNECT, "the client sent CALL_DISCONNECT");
	/* Call_Disconnect_In_Progress_2 */
	s->state = SS_DISCONNECT_TIMEOUT_PENDING;
	s->deadline = now + s->cfg.disconnect_t2_ms;
	sstp_build_msg(msg, SSTP_MSG_CALL_DISCONNECT_ACK);
	send_bytes(s, msg, sizeof(msg));
}

static void
on_disconnect_ack(struct sstp_session *s, uint64_t now)
{
	json_t *o;

	if (s->state == SS_DISCONNECT_ACK_PENDING) {
		o = json_object();
		set_str(o, "direction", "ack_received");
		event(s, "sstp_disconnect", o);
		finish(s, s->reason, s->detail);
		return;
	}
	if (!teardown_state(s))
		abort_unexpected(s, SSTP_MSG_CALL_DISCONNECT_ACK, now);
}

static void
on_echo(struct sstp_session *s, uint16_t type, uint64_t now)
{
	json_t *o;

	if (s->state != SS_CALL_CONNECTED) {
		if (!teardown_state(s))
			abort_unexpected(s, type, now);
		return;
	}
	o = json_object();
	set_str(o, "direction", type == SSTP_MSG_ECHO_REQUEST ? "request_received" : "response_received");
	event(s, "sstp_echo", o);
	if (type == SSTP_MSG_ECHO_REQUEST) {
		uint8_t msg[SSTP_CTRL_HDR_LEN];

		sstp_build_msg(msg, SSTP_MSG_ECHO_RESPONSE);
		send_bytes(s, msg, sizeof(msg));
	}
}

static void
on_control(struct sstp_session *s, const uint8_t *pkt, size_t len, uint64_t now)
{
	uint16_t type;

	if (len < SSTP_CTRL_HDR_LEN) {
		if (!teardown_state(s))
			abort_invalid(s, "control packet shorter than 8 bytes", now);
		return;
	}
	type = (uint16_t)((pkt[4] << 8) | pkt[5]);
	switch (type) {
	case SSTP_MSG_CALL_CONNECT_REQUEST:
		on_connect_request(s, pkt, len, now);
		break;
	case SSTP_MSG_CALL_CONNECTED:
		on_call_connected(s, pkt, len, now);
		break;
	case SSTP_MSG_CALL_ABORT:
		on_call_abort(s, pkt, len, now);
		break;
	case SSTP_MSG_CALL_DISCONNECT:
		on_call_disconnect(s, now);
		break;
	case SSTP_MSG_CALL_DISCONNECT_ACK:
		on_disconnect_ack(s, now);
		break;
	case SSTP_MSG_ECHO_REQUEST:
	case SSTP_MSG_ECHO_RESPONSE:
		on_echo(s, type, now);
		break;
	case SSTP_MSG_CALL_CONNECT_ACK:
	case SSTP_MSG_CALL_CONNECT_NAK:
		/* server-to-client messages */
		if (!teardown_state(s))
			abort_unexpected(s, type, now);
		break;
	default:
		if (!teardown_state(s)) {
			char what[64];

			(void)snprintf(what, sizeof(what), "unknown message type 0x%04x", type);
			abort_invalid(s, what, now);
		}
		break;
	}
}

static void
on_data(struct sstp_session *s, const uint8_t *frame, size_t len)
{
	int ctl;

	switch (s->state) {
	case SS_CALL_CONNECTED:
		break;
	case SS_CALL_CONNECTED_PENDING:
		ctl = sstp_ppp_is_control(frame, len);
		if (ctl)
			break;
		/* fallthrough */
	case SS_CONNECT_REQUEST_PENDING:
		s->dropped_in++;
		return;
	default:
		return; /* teardown: nothing goes to PPP any more */
	}
	if (s->hooks.ppp_frame != NULL)
		s->hooks.ppp_frame(s->hooks.ctx, frame, len);
}

/* One delineated packet. Any packet restarts the Hello timer. */
static void
on_packet(struct sstp_session *s, const uint8_t *pkt, const struct sstp_hdr *h, uint64_t now)
{
	if (s->state == SS_CALL_CONNECTED) {
		s->deadline = now + s->cfg.hello_interval_ms;
		s->echo_sent = 0;
	}
	if (h->control)
		on_control(s, pkt, h->len, now);
	else
		on_data(s, pkt + SSTP_HDR_LEN, h->len - SSTP_HDR_LEN);
}

/* Processes every complete packet at the front of ibuf. */
static void
drain(struct sstp_session *s, uint64_t now)
{
	size_t off = 0;

	while (s->state != SS_CLOSED && s->state != SS_HTTP && !s->free_pending) {
		struct sstp_hdr h;
		const char     *why;
		int             r = sstp_hdr_parse(s->ibuf + off, s->ilen - off, &h, &why);

		if (r == SSTP_HDR_SHORT)
			break;
		if (r == SSTP_HDR_BAD) {
			char d[160];

			/* 3.1.5.1: delineation failed: abort without sending */
			(void)snprintf(d, sizeof(d), "SSTP framing lost: %s", why);
			finish(s, CR_SSTP_PROTOCOL, d);
			return;
		}
		if (s->ilen - off < h.len)
			break;
		on_packet(s, s->ibuf + off, &h, now);
		off += h.len;
	}
	if (s->state == SS_CLOSED) {
		s->ilen = 0;
		return;
	}
	if (off > 0) {
		memmove(s->ibuf, s->ibuf + off, s->ilen - off);
		s->ilen -= off;
	}
}

/* ---- public API ---- */

struct sstp_session *
sstp_new(const struct sstp_config *cfg, const struct sstp_hooks *hooks, uint64_t now)
{
	struct sstp_session *s;
	size_t               cap;

	if (cfg == NULL || hooks == NULL)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->cfg = *cfg;
	s->hooks = *hooks;
	if (s->cfg.negotiation_timeout_ms == 0)
		s->cfg.negotiation_timeout_ms = 60000;
	if (s->cfg.hello_interval_ms == 0)
		s->cfg.hello_interval_ms = 60000;
	if (s->cfg.abort_t1_ms == 0)
		s->cfg.abort_t1_ms = 3000;
	if (s->cfg.abort_t2_ms == 0)
		s->cfg.abort_t2_ms = 1000;
	if (s->cfg.disconnect_t1_ms == 0)
		s->cfg.disconnect_t1_ms = 5000;
	if (s->cfg.disconnect_t2_ms == 0)
		s->cfg.disconnect_t2_ms = 1000;
	s->cfg.hash_bitmask &= SSTP_HASH_SHA1 | SSTP_HASH_SHA256;
	if (s->cfg.hash_bitmask == 0)
		s->cfg.hash_bitmask = SSTP_HASH_SHA1 | SSTP_HASH_SHA256;
	if (s->cfg.max_header_bytes == 0)
		s->cfg.max_header_bytes = 8192;
	if (s->cfg.max_header_bytes < 256)
		s->cfg.max_header_bytes = 256;
	if (s->cfg.max_header_bytes > 65536)
		s->cfg.max_header_bytes = 65536;
	cap = s->cfg.max_header_bytes > SSTP_MAX_PACKET ? s->cfg.max_header_bytes : SSTP_MAX_PACKET;
	s->ibuf = malloc(cap);
	if (s->ibuf == NULL) {
		free(s);
		return NULL;
	}
	s->icap = cap;
	s->magic = SSTP_MAGIC;
	s->state = SS_HTTP;
	/* the request head is due within the negotiation timeout too */
	s->deadline = now + s->cfg.negotiation_timeout_ms;
	return s;
}

static void
really_free(struct sstp_session *s)
{
	mbedtls_platform_zeroize(s->hlak, sizeof(s->hlak));
	free(s->ibuf);
	s->magic = 0;
	free(s);
}

void
sstp_free(struct sstp_session *s)
{
	if (s == NULL)
		return;
	check(s);
	if (s->depth > 0) {
		s->free_pending = 1; /* inside a hook: freed by the outermost call */
		return;
	}
	really_free(s);
}

void
sstp_set_wall_clock(struct sstp_session *s, int64_t unix_seconds, uint64_t now)
{
	check(s);
	s->wall_s = unix_seconds;
	s->wall_mono = now;
	s->wall_set = 1;
}

void
sstp_input(struct sstp_session *s, const uint8_t *buf, size_t len, uint64_t now)
{
	enter(s);
	if (s->in_input)
		abort(); /* sstp_input from inside a hook: the owner's bug */
	s->in_input = 1;
	while (len > 0 && s->state != SS_CLOSED && !s->free_pending) {
		size_t n = s->icap - s->ilen;

		if (n > len)
			n = len;
		memcpy(s->ibuf + s->ilen, buf, n);
		s->ilen += n;
		buf += n;
		len -= n;
		if (s->state == SS_HTTP) {
			size_t      head_len = 0;
			const char *why;
			int         r = sstp_http_scan(&s->scan, s->ibuf, s->ilen, s->cfg.max_header_bytes,
			                               &head_len, &why);

			if (r == SSTP_HTTP_TOO_LARGE) {
				http_error(s, s->scan.lines == 0 ? 414 : 431, 0, CR_HTTP_BAD_REQUEST, why, now);
				break;
			}
			if (r == SSTP_HTTP_MORE && s->ilen < s->icap)
				continue;
			if (r == SSTP_HTTP_MORE) { /* cannot happen: the scanner caps the head */
				http_error(s, 431, 0, CR_HTTP_BAD_REQUEST, "request head larger than the limit", now);
				break;
			}
			if (http_head(s, head_len, now) == 0)
				break;
			/* bytes behind the head are SSTP (a CONNECT_REQUEST may follow at once) */
			memmove(s->ibuf, s->ibuf + head_len, s->ilen - head_len);
			s->ilen -= head_len;
		}
		drain(s, now);
		if (s->state != SS_HTTP && s->icap > SSTP_MAX_PACKET && s->ilen <= SSTP_MAX_PACKET) {
			/* past the HTTP head: one partial packet at most is ever kept */
			uint8_t *nb = realloc(s->ibuf, SSTP_MAX_PACKET);
			if (nb != NULL) {
				s->ibuf = nb;
				s->icap = SSTP_MAX_PACKET;
			}
		}
	}
	s->in_input = 0;
	leave(s);
}

uint64_t
sstp_next_deadline(const struct sstp_session *s)
{
	check(s);
	return s->state == SS_CLOSED ? 0 : s->deadline;
}

void
sstp_tick(struct sstp_session *s, uint64_t now)
{
	enter(s);
	if (s->state == SS_CLOSED || s->deadline == 0 || now < s->deadline)
		goto out;
	switch (s->state) {
	case SS_HTTP:
		s->deadline = 0;
		set_reason(s, CR_SSTP_NEGOTIATION_TIMEOUT,
		           "no complete HTTP request within %u s after the TLS handshake",
		           s->cfg.negotiation_timeout_ms / 1000);
		finish(s, s->reason, s->detail);
		break;
	case SS_CONNECT_REQUEST_PENDING:
		set_reason(s, CR_SSTP_NEGOTIATION_TIMEOUT,
		           "no acceptable CALL_CONNECT_REQUEST within %u s after the HTTP 200",
		           s->cfg.negotiation_timeout_ms / 1000);
		start_abort(s, SSTP_ATTRIB_STATUS_INFO, SSTP_ST_NEGOTIATION_TIMEOUT, now);
		break;
	case SS_CALL_CONNECTED_PENDING:
		if (s->held_set)
			set_reason(s, CR_SSTP_NEGOTIATION_TIMEOUT,
			           "CALL_CONNECTED arrived but PPP authentication gave no HLAK within %u s "
			           "after CALL_CONNECT_ACK",
			           s->cfg.negotiation_timeout_ms / 1000);
		else
			set_reason(s, CR_SSTP_NEGOTIATION_TIMEOUT,
			           "no CALL_CONNECTED within %u s after CALL_CONNECT_ACK (the client did not "
			           "finish PPP authentication or crypto binding; sstpc --nolaunchpppd with "
			           "--user/--password never sends it)",
			           s->cfg.negotiation_timeout_ms / 1000);
		s->held_set = 0;
		start_abort(s, SSTP_ATTRIB_STATUS_INFO, SSTP_ST_NEGOTIATION_TIMEOUT, now);
		break;
	case SS_CALL_CONNECTED:
		if (!s->echo_sent) {
			uint8_t msg[SSTP_CTRL_HDR_LEN];
			json_t *o = json_object();

			set_str(o, "direction", "request_sent");
			event(s, "sstp_echo", o);
			s->echo_sent = 1;
			s->deadline = now + s->cfg.hello_interval_ms;
			sstp_build_msg(msg, SSTP_MSG_ECHO_REQUEST);
			send_bytes(s, msg, sizeof(msg));
		} else {
			/* 3.1.2.3: no answer in the next interval: drop without CALL_ABORT */
			set_reason(s, CR_SSTP_HELLO_TIMEOUT,
			           "no answer to ECHO_REQUEST within %u s (%u s idle in all)",
			           s->cfg.hello_interval_ms / 1000, 2 * (s->cfg.hello_interval_ms / 1000));
			finish(s, s->reason, s->detail);
		}
		break;
	case SS_ABORT_PENDING:
	case SS_ABORT_TIMEOUT_PENDING:
	case SS_DISCONNECT_ACK_PENDING:
	case SS_DISCONNECT_TIMEOUT_PENDING:
		finish(s, s->reason, s->detail);
		break;
	case SS_CLOSED:
		break;
	}
out:
	leave(s);
}

int
sstp_send_ppp(struct sstp_session *s, const uint8_t *frame, size_t len, uint64_t now)
{
	uint8_t tx[SSTP_MAX_PACKET]; /* on the stack: 10,000 sessions need not keep 4 KiB each */
	size_t  n;
	int     ret = -1;

	enter(s);
	if (s->state == SS_CALL_CONNECTED_PENDING && !sstp_ppp_is_control(frame, len)) {
		s->dropped_out++;
		goto out;
	}
	if (s->state != SS_CALL_CONNECTED && s->state != SS_CALL_CONNECTED_PENDING)
		goto out;
	n = sstp_build_data(tx, sizeof(tx), frame, len);
	if (n == 0)
		goto out;
	send_bytes(s, tx, n);
	ret = 0;
out:
	leave(s);
	return ret;
}

void
sstp_set_hlak(struct sstp_session *s, const uint8_t *hlak, uint64_t now)
{
	enter(s);
	if (s->state == SS_CLOSED)
		goto out;
	if (hlak != NULL)
		memcpy(s->hlak, hlak, SSTP_HLAK_LEN);
	else
		memset(s->hlak, 0, SSTP_HLAK_LEN);
	s->hlak_set = 1;
	if (s->state == SS_CALL_CONNECTED_PENDING && s->held_set) {
		json_t *o = json_object();

		set_str(o, "why", "HLAK arrived: verifying the held CALL_CONNECTED");
		event(s, "sstp_held_call_connected", o);
		verify_mac(s, s->held, now);
	}
out:
	leave(s);
}

void
sstp_disconnect_reason(struct sstp_session *s, enum close_reason reason, const char *detail,
                       uint64_t now)
{
	uint8_t msg[20];
	json_t *o;

	enter(s);
	if (s->state == SS_CLOSED || teardown_state(s))
		goto out;
	set_reason(s, reason, "%s", detail != NULL ? detail : reason_info(reason)->text);
	if (s->state == SS_HTTP) {
		finish(s, s->reason, s->detail); /* nothing to say in SSTP yet */
		goto out;
	}
	log_dropped(s);
	o = json_object();
	set_str(o, "direction", "sent");
	set_str(o, "reason", reason_info(reason)->name);
	set_str(o, "why", s->detail);
	event(s, "sstp_disconnect", o);
	/* Call_Disconnect_In_Progress_1 -> Call_Disconnect_Ack_Pending;
	 * Windows sends the Status Info with AttribID 0, status 0 (note <4>) */
	s->state = SS_DISCONNECT_ACK_PENDING;
	s->deadline = now + s->cfg.disconnect_t1_ms;
	sstp_build_status_msg(msg, SSTP_MSG_CALL_DISCONNECT, SSTP_ATTRIB_NO_ERROR, SSTP_ST_NO_ERROR);
	send_bytes(s, msg, sizeof(msg));
out:
	leave(s);
}

void
sstp_disconnect(struct sstp_session *s, uint64_t now)
{
	sstp_disconnect_reason(s, CR_SSTP_SERVER_DISCONNECT, NULL, now);
}

void
sstp_abort_status(struct sstp_session *s, uint8_t attrib_id, uint32_t status,
                  enum close_reason reason, const char *detail, uint64_t now)
{
	enter(s);
	if (s->state == SS_CLOSED || teardown_state(s))
		goto out;
	set_reason(s, reason, "%s", detail != NULL ? detail : reason_info(reason)->text);
	if (s->state == SS_HTTP)
		finish(s, s->reason, s->detail);
	else
		start_abort(s, attrib_id, status, now);
out:
	leave(s);
}

void
sstp_abort(struct sstp_session *s, enum close_reason reason, const char *detail, uint64_t now)
{
	uint8_t  attrib = SSTP_ATTRIB_STATUS_INFO;
	uint32_t status;

	switch (reason) {
	case CR_SSTP_NEGOTIATION_TIMEOUT:
		status = SSTP_ST_NEGOTIATION_TIMEOUT;
		break;
	case CR_SSTP_CRYPTO_BINDING:
		attrib = SSTP_ATTRIB_CRYPTO_BINDING;
		status = SSTP_ST_VALUE_NOT_SUPPORTED;
		break;
	case CR_SSTP_PROTOCOL:
		status = SSTP_ST_INVALID_FRAME_RECEIVED;
		break;
	default:
		status = SSTP_ST_UNACCEPTED_FRAME_RECEIVED;
		break;
	}
	sstp_abort_status(s, attrib, status, reason, detail, now);
}

void
sstp_lower_down(struct sstp_session *s, enum close_reason reason, const char *detail)
{
	enter(s);
	/* A client closes TLS as soon as it has our CALL_ABORT or CALL_DISCONNECT
	 * (or sent its own): the call's reason is the teardown's, not the TCP end. */
	if (teardown_state(s) && s->reason != CR_NONE)
		finish(s, s->reason, s->detail);
	else
		finish(s, reason, detail);
	leave(s);
}

void
sstp_refuse(struct sstp_session *s, int http_status, enum close_reason reason, const char *detail)
{
	check(s);
	if (http_status < 400 || http_status > 599)
		http_status = 503;
	s->refuse_status = http_status;
	s->refuse_reason = reason;
	if (snprintf(s->refuse_detail, sizeof(s->refuse_detail), "%s",
	             detail != NULL ? detail : reason_info(reason)->text) < 0)
		s->refuse_detail[0] = '\0';
}

int
sstp_is_connected(const struct sstp_session *s)
{
	check(s);
	return s->state == SS_CALL_CONNECTED;
}

const char *
sstp_state_name(const struct sstp_session *s)
{
	check(s);
	return state_names[s->state];
}
