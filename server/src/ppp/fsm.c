/*
 * RFC 1661 section 4: the option-negotiation automaton, one copy per
 * control protocol (LCP, IPCP). The state transition table of section 4.1
 * is implemented event by event below; the action names in comments are
 * the RFC's (tlu, tld, tls, tlf, irc, zrc, scr, sca, scn, str, sta, scj, ser).
 */
#include <string.h>

#include "ppp/fsm.h"
#include "util/bytes.h"

#define MAX_TERMINATE 2

static const char *const state_names[] = {
	"initial", "starting", "closed", "stopped", "closing",
	"stopping", "req-sent", "ack-rcvd", "ack-sent", "opened",
};

const char *
fsm_state_name(enum fsm_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[s];
}

void
fsm_init(struct fsm *f, const struct fsm_ops *ops, void *owner, uint32_t restart_ms,
         unsigned max_configure, unsigned max_failure)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->owner = owner;
	f->state = FSM_INITIAL;
	f->restart_ms = restart_ms ? restart_ms : 3000;
	f->max_configure = max_configure ? max_configure : 10;
	f->max_terminate = MAX_TERMINATE;
	f->max_failure = max_failure ? max_failure : 5;
	f->max_send = 1500;
}

static int
timer_state(enum fsm_state s)
{
	return s == FSM_CLOSING || s == FSM_STOPPING || s == FSM_REQ_SENT ||
	    s == FSM_ACK_RCVD || s == FSM_ACK_SENT;
}

static void
set_state(struct fsm *f, enum fsm_state s)
{
	f->state = s;
	if (!timer_state(s))
		f->deadline = 0;
	if (s != FSM_REQ_SENT && s != FSM_ACK_RCVD && s != FSM_ACK_SENT)
		f->reqid_valid = 0;
}

void
fsm_send_packet(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data, size_t len)
{
	uint8_t pkt[FSM_MAX_PACKET];

	if (len > sizeof(pkt) - 4)
		len = sizeof(pkt) - 4;
	if (f->max_send >= 4 && len > f->max_send - 4)
		len = f->max_send - 4; /* the peer's MRU (Code-Reject, Echo-Reply) */
	pkt[0] = code;
	pkt[1] = id;
	pkt[2] = (uint8_t)((len + 4) >> 8);
	pkt[3] = (uint8_t)(len + 4);
	if (len > 0)
		memcpy(pkt + 4, data, len);
	f->ops->send(f, pkt, len + 4);
}

/* ---- actions ---- */

static void
irc(struct fsm *f, int terminate)
{
	f->restart = terminate ? f->max_terminate : f->max_configure;
}

static void
zrc(struct fsm *f)
{
	f->restart = 0;
	f->deadline = f->now + f->restart_ms;
}

static void
scr(struct fsm *f)
{
	uint8_t opts[FSM_MAX_PACKET - 4];
	size_t n = f->ops->build_req(f, opts, sizeof(opts));

	f->id++;
	f->reqid_valid = 1;
	f->conf_reqs_sent++;
	if (f->restart > 0)
		f->restart--;
	f->deadline = f->now + f->restart_ms;
	fsm_send_packet(f, FSM_CONFREQ, f->id, opts, n);
}

static void
str(struct fsm *f)
{
	f->id++;
	if (f->restart > 0)
		f->restart--;
	f->deadline = f->now + f->restart_ms;
	fsm_send_packet(f, FSM_TERMREQ, f->id, NULL, 0);
}

static void
sta(struct fsm *f, uint8_t id)
{
	fsm_send_packet(f, FSM_TERMACK, id, NULL, 0);
}

static void
scj(struct fsm *f, const uint8_t *pkt, size_t len)
{
	fsm_send_packet(f, FSM_CODEREJ, ++f->xid, pkt, len);
}

static void
tlu(struct fsm *f)
{
	if (f->ops->up)
		f->ops->up(f);
}

static void
tld(struct fsm *f)
{
	if (f->ops->down)
		f->ops->down(f);
}

static void
tls_(struct fsm *f)
{
	if (f->ops->started)
		f->ops->started(f);
}

static void
tlf(struct fsm *f, enum fsm_state next)
{
	set_state(f, next);
	if (f->ops->finished)
		f->ops->finished(f);
}

/* ---- administrative and lower-layer events ---- */

void
fsm_up(struct fsm *f, uint64_t now)
{
	f->now = now;
	switch (f->state) {
	case FSM_INITIAL:
		set_state(f, FSM_CLOSED);
		break;
	case FSM_STARTING:
		irc(f, 0);
		f->naks = 0;
		scr(f);
		set_state(f, FSM_REQ_SENT);
		break;
	default:
		break;
	}
}

void
fsm_down(struct fsm *f, uint64_t now)
{
	f->now = now;
	switch (f->state) {
	case FSM_CLOSED:
	case FSM_CLOSING:
		set_state(f, FSM_INITIAL);
		break;
	case FSM_STOPPED:
		set_state(f, FSM_STARTING);
		tls_(f);
		break;
	case FSM_STOPPING:
	case FSM_REQ_SENT:
	case FSM_ACK_RCVD:
	case FSM_ACK_SENT:
		set_state(f, FSM_STARTING);
		break;
	case FSM_OPENED:
		tld(f);
		set_state(f, FSM_STARTING);
		break;
	default:
		break;
	}
}

void
fsm_open(struct fsm *f, uint64_t now)
{
	f->now = now;
	switch (f->state) {
	case FSM_INITIAL:
		set_state(f, FSM_STARTING);
		tls_(f);
		break;
	case FSM_CLOSED:
		irc(f, 0);
		f->naks = 0;
		scr(f);
		set_state(f, FSM_REQ_SENT);
		break;
	case FSM_CLOSING:
		set_state(f, FSM_STOPPING);
		break;
	default: /* Starting, Stopped, Stopping, Req-Sent..Opened: no change */
		break;
	}
}

void
fsm_close(struct fsm *f, uint64_t now)
{
	f->now = now;
	switch (f->state) {
	case FSM_STARTING:
		tlf(f, FSM_INITIAL);
		break;
	case FSM_STOPPED:
		set_state(f, FSM_CLOSED);
		break;
	case FSM_STOPPING:
		set_state(f, FSM_CLOSING);
		break;
	case FSM_OPENED:
		tld(f);
		/* FALLTHROUGH */
	case FSM_REQ_SENT:
	case FSM_ACK_RCVD:
	case FSM_ACK_SENT:
		irc(f, 1);
		str(f);
		set_state(f, FSM_CLOSING);
		break;
	default: /* Initial, Closed, Closing: no change */
		break;
	}
}

void
fsm_tick(struct fsm *f, uint64_t now)
{
	if (f->deadline == 0 || now < f->deadline)
		return;
	f->now = now;
	f->deadline = 0;
	if (f->restart > 0) { /* TO+ */
		switch (f->state) {
		case FSM_CLOSING:
		case FSM_STOPPING:
			str(f);
			break;
		case FSM_REQ_SENT:
		case FSM_ACK_SENT:
			scr(f);
			break;
		case FSM_ACK_RCVD:
			scr(f);
			set_state(f, FSM_REQ_SENT);
			break;
		default:
			break;
		}
		return;
	}
	/* TO- */
	f->timeouts++;
	switch (f->state) {
	case FSM_CLOSING:
		tlf(f, FSM_CLOSED);
		break;
	case FSM_STOPPING:
	case FSM_REQ_SENT:
	case FSM_ACK_RCVD:
	case FSM_ACK_SENT:
		tlf(f, FSM_STOPPED);
		break;
	default:
		break;
	}
}

void
fsm_rxj(struct fsm *f, int catastrophic, uint64_t now)
{
	f->now = now;
	if (!catastrophic) { /* RXJ+ */
		if (f->state == FSM_ACK_RCVD)
			set_state(f, FSM_REQ_SENT);
		return;
	}
	switch (f->state) { /* RXJ- */
	case FSM_CLOSED:
	case FSM_CLOSING:
		tlf(f, FSM_CLOSED);
		break;
	case FSM_STOPPED:
	case FSM_STOPPING:
	case FSM_REQ_SENT:
	case FSM_ACK_RCVD:
	case FSM_ACK_SENT:
		tlf(f, FSM_STOPPED);
		break;
	case FSM_OPENED:
		tld(f);
		irc(f, 1);
		str(f);
		set_state(f, FSM_STOPPING);
		break;
	default:
		break;
	}
}

/* ---- received packets ---- */

static void
rcr(struct fsm *f, uint8_t id, const uint8_t *opts, size_t len)
{
	uint8_t out[FSM_MAX_PACKET - 4];
	size_t out_len = 0;
	int code;

	switch (f->state) {
	case FSM_CLOSED:
		sta(f, id);
		return;
	case FSM_CLOSING:
	case FSM_STOPPING:
		return;
	default:
		break;
	}
	code = f->ops->recv_req(f, opts, len, f->naks >= f->max_failure, out, sizeof(out), &out_len);
	if (code != FSM_CONFACK && code != FSM_CONFNAK && code != FSM_CONFREJ)
		return;
	if (code == FSM_CONFACK) {
		/* an Ack repeats the request's options exactly */
		out_len = len < sizeof(out) ? len : sizeof(out);
		memcpy(out, opts, out_len);
	}

	switch (f->state) {
	case FSM_STOPPED:
		irc(f, 0);
		scr(f);
		set_state(f, FSM_REQ_SENT);
		break;
	case FSM_OPENED:
		tld(f);
		scr(f);
		set_state(f, FSM_REQ_SENT);
		break;
	default:
		break;
	}
	fsm_send_packet(f, (uint8_t)code, id, out, out_len);
	if (code == FSM_CONFACK) {
		f->naks = 0;
		if (f->state == FSM_ACK_RCVD) {
			set_state(f, FSM_OPENED);
			tlu(f);
		} else {
			set_state(f, FSM_ACK_SENT);
		}
	} else {
		if (code == FSM_CONFNAK)
			f->naks++;
		if (f->state == FSM_ACK_SENT)
			set_state(f, FSM_REQ_SENT);
	}
}

static void
rca(struct fsm *f, uint8_t id, const uint8_t *opts, size_t len)
{
	switch (f->state) {
	case FSM_CLOSED:
	case FSM_STOPPED:
		sta(f, id);
		return;
	case FSM_REQ_SENT:
	case FSM_ACK_RCVD:
	case FSM_ACK_SENT:
	case FSM_OPENED:
		/* only an answer to our outstanding request counts; like pppd, a
		 * second answer to a request already answered is a duplicate and
		 * does not restart an Opened link */
		if (!f->reqid_valid || id != f->id)
			return;
		break;
	default:
		return;
	}
	if (f->ops->recv_ack(f, opts, len) != FSM_RX_OK)
		return;
	f->reqid_valid = 0;
	switch (f->state) {
	case FSM_REQ_SENT:
		irc(f, 0);
		set_state(f, FSM_ACK_RCVD);
		f->deadline = f->now + f->restart_ms;
		break;
	case FSM_ACK_RCVD: /* crossed connection */
		scr(f);
		set_state(f, FSM_REQ_SENT);
		break;
	case FSM_ACK_SENT:
		irc(f, 0);
		set_state(f, FSM_OPENED);
		tlu(f);
		break;
	case FSM_OPENED:
		tld(f);
		scr(f);
		set_state(f, FSM_REQ_SENT);
		break;
	default:
		break;
	}
}

static void
rcn(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *opts, size_t len)
{
	int r;

	switch (f->state) {
	case FSM_CLOSED:
	case FSM_STOPPED:
		sta(f, id);
		return;
	case FSM_REQ_SENT:
	case FSM_ACK_RCVD:
	case FSM_ACK_SENT:
	case FSM_OPENED:
		/* only an answer to our outstanding request counts; like pppd, a
		 * second answer to a request already answered is a duplicate and
		 * does not restart an Opened link */
		if (!f->reqid_valid || id != f->id)
			return;
		break;
	default:
		return;
	}
	r = code == FSM_CONFNAK ? f->ops->recv_nak(f, opts, len) : f->ops->recv_rej(f, opts, len);
	if (r == FSM_RX_BAD)
		return;
	f->reqid_valid = 0;
	if (r == FSM_RX_GIVEUP) {
		fsm_close(f, f->now);
		return;
	}
	switch (f->state) {
	case FSM_REQ_SENT:
		irc(f, 0);
		scr(f);
		break;
	case FSM_ACK_RCVD:
		scr(f);
		set_state(f, FSM_REQ_SENT);
		break;
	case FSM_ACK_SENT:
		irc(f, 0);
		scr(f);
		break;
	case FSM_OPENED:
		tld(f);
		scr(f);
		set_state(f, FSM_REQ_SENT);
		break;
	default:
		break;
	}
}

static void
rtr(struct fsm *f, uint8_t id, const uint8_t *data, size_t len)
{
	switch (f->state) {
	case FSM_INITIAL:
	case FSM_STARTING:
		return;
	case FSM_ACK_RCVD:
	case FSM_ACK_SENT:
		sta(f, id);
		set_state(f, FSM_REQ_SENT);
		break;
	case FSM_OPENED:
		tld(f);
		sta(f, id);
		set_state(f, FSM_STOPPING);
		zrc(f);
		break;
	default:
		sta(f, id);
		break;
	}
	if (f->ops->peer_term)
		f->ops->peer_term(f, data, len);
}

static void
rta(struct fsm *f)
{
	switch (f->state) {
	case FSM_CLOSING:
		tlf(f, FSM_CLOSED);
		break;
	case FSM_STOPPING:
		tlf(f, FSM_STOPPED);
		break;
	case FSM_ACK_RCVD:
		set_state(f, FSM_REQ_SENT);
		break;
	case FSM_OPENED:
		tld(f);
		scr(f);
		set_state(f, FSM_REQ_SENT);
		break;
	default:
		break;
	}
}

/*
 * pkt = code(1) id(1) length(2) data; length is checked against the bytes
 * we have, and bytes beyond it (padding) are ignored (RFC 1661 5).
 */
void
fsm_input(struct fsm *f, const uint8_t *pkt, size_t len, uint64_t now)
{
	uint8_t code, id;
	size_t plen;
	int r;

	f->now = now;
	if (f->state == FSM_INITIAL || f->state == FSM_STARTING)
		return;
	if (len < 4)
		return;
	code = pkt[0];
	id = pkt[1];
	plen = be16_get(pkt + 2);
	if (plen < 4 || plen > len)
		return;
	len = plen;

	switch (code) {
	case FSM_CONFREQ:
		rcr(f, id, pkt + 4, len - 4);
		break;
	case FSM_CONFACK:
		rca(f, id, pkt + 4, len - 4);
		break;
	case FSM_CONFNAK:
	case FSM_CONFREJ:
		rcn(f, code, id, pkt + 4, len - 4);
		break;
	case FSM_TERMREQ:
		rtr(f, id, pkt + 4, len - 4);
		break;
	case FSM_TERMACK:
		rta(f);
		break;
	case FSM_CODEREJ:
		if (len < 5)
			return;
		fsm_rxj(f, f->ops->code_needed ? f->ops->code_needed(f, pkt[4]) : pkt[4] <= 7, now);
		break;
	default:
		r = f->ops->recv_other ? f->ops->recv_other(f, code, id, pkt + 4, len - 4) : -1;
		if (r < 0)
			scj(f, pkt, len);
		else if (r > 0)
			fsm_rxj(f, 1, now);
		break;
	}
}
