/*
 * LCP (RFC 1661 section 6) option handlers for the automaton in fsm.c, and
 * the LCP codes beyond the automaton (Protocol-Reject, Echo, Discard).
 *
 * What we request: MRU (cfg.mru), Auth-Protocol (cfg.auth[l.auth_idx]),
 * Magic-Number. What we accept from the peer: MRU 128..4091 (else Nak with
 * ours), ACCM, Magic-Number (Nak on zero or loopback), PFC, ACFC. Everything
 * else is rejected: Auth-Protocol (a server does not authenticate to its
 * client), Quality-Protocol, Callback (13), MRRU (17), Short-Sequence (18),
 * Endpoint-Discriminator (19) and unknown options.
 *
 * Option grammar (RFC 1661 6): option = type(1) length(1, >= 2) data(length - 2);
 * a request whose options overrun the packet is discarded.
 */
#include <stdio.h>
#include <string.h>

#include "ppp/ppp_int.h"
#include "util/bytes.h"

#define CI_MRU     1
#define CI_ACCM    2
#define CI_AUTH    3
#define CI_QUALITY 4
#define CI_MAGIC   5
#define CI_PFC     7
#define CI_ACFC    8
#define CI_CALLBACK 13
#define CI_MRRU    17
#define CI_SSNHF   18
#define CI_EPDISC  19

#define LCP_PROTREJ 8
#define LCP_ECHOREQ 9
#define LCP_ECHOREP 10
#define LCP_DISCREQ 11

static struct ppp_session *
sess(struct fsm *f)
{
	return f->owner;
}

const char *
ppp_auth_name(enum ppp_auth a)
{
	switch (a) {
	case PPP_AUTH_MSCHAPV2:
		return "MS-CHAPv2";
	case PPP_AUTH_EAP_TLS:
		return "EAP-TLS";
	}
	return "none";
}

static const char *
lcp_opt_name(uint8_t t, char buf[16])
{
	switch (t) {
	case CI_MRU: return "mru";
	case CI_ACCM: return "accm";
	case CI_AUTH: return "auth-protocol";
	case CI_QUALITY: return "quality-protocol";
	case CI_MAGIC: return "magic";
	case CI_PFC: return "pfc";
	case CI_ACFC: return "acfc";
	case CI_CALLBACK: return "callback";
	case CI_MRRU: return "mrru";
	case CI_SSNHF: return "short-seq";
	case CI_EPDISC: return "endpoint-disc";
	default:
		snprintf(buf, 16, "option-%u", t);
		return buf;
	}
}

/* Append a word to a space-separated list if it is not there yet. */
static void
add_word(char *list, size_t cap, const char *w)
{
	size_t n = strlen(list), wl = strlen(w);
	const char *s = list;

	while ((s = strstr(s, w)) != NULL) {
		if ((s == list || s[-1] == ' ') && (s[wl] == ' ' || s[wl] == '\0'))
			return;
		s += wl;
	}
	if (n + (n ? 1 : 0) + wl + 1 > cap)
		return;
	if (n)
		list[n++] = ' ';
	memcpy(list + n, w, wl + 1);
}

/* Well-formed option list? */
static int
opts_valid(const uint8_t *o, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (len - i < 2 || o[i + 1] < 2 || o[i + 1] > len - i)
			return 0;
		i += o[i + 1];
	}
	return 1;
}

void
lcp_init(struct ppp_session *p)
{
	memset(&p->l, 0, sizeof(p->l));
	p->l.our_mru = p->cfg.mru;
	if (p->l.our_mru < PPP_MRU_MIN || p->l.our_mru > PPP_MRU_MAX)
		p->l.our_mru = 1400;
	p->l.send_mru = 1;
	p->l.send_magic = 1;
	do {
		uint8_t b[4];
		ppp_random(p, b, 4);
		p->l.our_magic = be32_get(b);
	} while (p->l.our_magic == 0);
	p->l.peer_mru = PPP_MRU_DEFAULT;
	fsm_init(&p->lcp, &lcp_ops, p, p->cfg.restart_ms, p->cfg.max_configure, p->cfg.max_failure);
}

static size_t
lcp_build_req(struct fsm *f, uint8_t *out, size_t cap)
{
	struct ppp_session *p = sess(f);
	size_t n = 0;

	if (cap < 4 + 5 + 6)
		return 0;
	if (p->l.send_mru) {
		out[n++] = CI_MRU;
		out[n++] = 4;
		out[n++] = (uint8_t)(p->l.our_mru >> 8);
		out[n++] = (uint8_t)p->l.our_mru;
	}
	if (p->l.auth_idx < p->cfg.n_auth) {
		enum ppp_auth a = p->cfg.auth[p->l.auth_idx];
		if (!p->l.auth_announced) {
			p->l.auth_announced = 1;
			ppp_emit(p, "ppp_auth_offer", json_pack("{s:s,s:i}", "method", ppp_auth_name(a),
			    "attempt", (int)p->l.auth_idx + 1));
		}
		out[n++] = CI_AUTH;
		if (a == PPP_AUTH_EAP_TLS) {
			out[n++] = 4;
			out[n++] = PROTO_EAP >> 8;
			out[n++] = PROTO_EAP & 0xFF;
		} else {
			out[n++] = 5;
			out[n++] = PROTO_CHAP >> 8;
			out[n++] = PROTO_CHAP & 0xFF;
			out[n++] = CHAP_ALG_MSCHAPV2;
		}
	}
	if (p->l.send_magic) {
		out[n++] = CI_MAGIC;
		out[n++] = 6;
		be32_put(out + n, p->l.our_magic);
		n += 4;
	}
	return n;
}

static void
new_magic(struct ppp_session *p)
{
	uint32_t old = p->l.our_magic;

	do {
		uint8_t b[4];
		ppp_random(p, b, 4);
		p->l.our_magic = be32_get(b);
	} while (p->l.our_magic == 0 || p->l.our_magic == old);
}

static int
lcp_recv_req(struct fsm *f, const uint8_t *o, size_t len, int reject_if_disagree,
             uint8_t *out, size_t cap, size_t *out_len)
{
	struct ppp_session *p = sess(f);
	uint8_t rej[FSM_MAX_PACKET], nak[FSM_MAX_PACKET];
	size_t nrej = 0, nnak = 0;
	uint16_t mru = PPP_MRU_DEFAULT;
	uint32_t magic = 0, accm = 0xFFFFFFFFu;
	int pfc = 0, acfc = 0, have_accm = 0, have_magic = 0;
	char nb[16];

	if (!opts_valid(o, len))
		return -1;
	for (size_t i = 0; i < len; i += o[i + 1]) {
		const uint8_t *c = o + i;
		uint8_t t = c[0], l = c[1];
		int reject = 0, naked = 0;
		uint8_t sug[6];

		switch (t) {
		case CI_MRU:
			if (l != 4) {
				reject = 1;
				break;
			}
			mru = be16_get(c + 2);
			if (mru < PPP_MRU_MIN || mru > PPP_MRU_MAX) {
				uint16_t ours = p->l.our_mru;
				naked = 1;
				sug[0] = CI_MRU;
				sug[1] = 4;
				sug[2] = (uint8_t)(ours >> 8);
				sug[3] = (uint8_t)ours;
			}
			break;
		case CI_ACCM:
			if (l != 6)
				reject = 1;
			else
				have_accm = 1, accm = be32_get(c + 2);
			break;
		case CI_MAGIC:
			if (l != 6) {
				reject = 1;
				break;
			}
			magic = be32_get(c + 2);
			have_magic = 1;
			if (magic == 0 || (p->l.send_magic && magic == p->l.our_magic)) {
				/* zero, or our own number: a looped-back link (RFC 1661 6.4) */
				if (magic != 0)
					p->l.loopbacks++;
				uint8_t r[4];
				uint32_t s;
				do {
					ppp_random(p, r, 4);
					s = be32_get(r);
				} while (s == 0 || s == p->l.our_magic);
				naked = 1;
				sug[0] = CI_MAGIC;
				sug[1] = 6;
				be32_put(sug + 2, s);
			}
			break;
		case CI_PFC:
			if (l != 2)
				reject = 1;
			else
				pfc = 1;
			break;
		case CI_ACFC:
			if (l != 2)
				reject = 1;
			else
				acfc = 1;
			break;
		default: /* Auth-Protocol, Quality, Callback, MRRU, SSNHF, EPDISC, unknown */
			reject = 1;
			break;
		}
		if (naked && reject_if_disagree)
			reject = 1;
		if (reject) {
			if (nrej + l <= sizeof(rej)) {
				memcpy(rej + nrej, c, l);
				nrej += l;
			}
			add_word(p->l.rejected, sizeof(p->l.rejected), lcp_opt_name(t, nb));
		} else if (naked && nnak + sug[1] <= sizeof(nak)) {
			memcpy(nak + nnak, sug, sug[1]);
			nnak += sug[1];
		}
	}
	if (nrej > 0) {
		*out_len = nrej < cap ? nrej : cap;
		memcpy(out, rej, *out_len);
		return FSM_CONFREJ;
	}
	if (nnak > 0) {
		*out_len = nnak < cap ? nnak : cap;
		memcpy(out, nak, *out_len);
		return FSM_CONFNAK;
	}
	/* Ack: these become the link's values */
	p->l.peer_mru = mru;
	p->l.peer_magic = have_magic ? magic : 0;
	p->l.peer_accm = accm;
	p->l.peer_accm_set = have_accm;
	p->l.peer_pfc = pfc;
	p->l.peer_acfc = acfc;
	p->lcp.max_send = mru;
	p->ipcp.max_send = mru;
	snprintf(p->l.peer_opts, sizeof(p->l.peer_opts), "mru=%u%s%s%s%s",
	    (unsigned)mru, have_accm ? " accm" : "", have_magic ? " magic" : "",
	    pfc ? " pfc" : "", acfc ? " acfc" : "");
	*out_len = 0;
	return FSM_CONFACK;
}

static int
lcp_recv_ack(struct fsm *f, const uint8_t *o, size_t len)
{
	uint8_t ours[64];
	size_t n = lcp_build_req(f, ours, sizeof(ours));

	if (n != len || memcmp(ours, o, n) != 0)
		return FSM_RX_BAD;
	return FSM_RX_OK;
}

/* The peer Naked or Rejected our Auth-Protocol: offer the next one. */
static int
next_auth(struct ppp_session *p, const char *how)
{
	char w[48];

	snprintf(w, sizeof(w), "%s %s", ppp_auth_name(p->cfg.auth[p->l.auth_idx]), how);
	if (strlen(p->l.refused_auth) + strlen(w) + 3 < sizeof(p->l.refused_auth)) {
		if (p->l.refused_auth[0] != '\0')
			strcat(p->l.refused_auth, ", ");
		strcat(p->l.refused_auth, w);
	}
	ppp_emit(p, "ppp_auth_nak", json_pack("{s:s,s:s}", "method",
	    ppp_auth_name(p->cfg.auth[p->l.auth_idx]), "answer", how));
	p->l.auth_idx++;
	p->l.auth_announced = 0;
	if (p->l.auth_idx < p->cfg.n_auth)
		return FSM_RX_OK;
	char det[160];
	snprintf(det, sizeof(det), "client refuses every offered authentication method (%s)",
	    p->l.refused_auth);
	ppp_fail(p, CR_PPP_NEGOTIATION_FAILED, det);
	return FSM_RX_GIVEUP;
}

static int
lcp_recv_nak(struct fsm *f, const uint8_t *o, size_t len)
{
	struct ppp_session *p = sess(f);
	int auth_naked = 0;

	if (!opts_valid(o, len))
		return FSM_RX_BAD;
	for (size_t i = 0; i < len; i += o[i + 1]) {
		const uint8_t *c = o + i;
		switch (c[0]) {
		case CI_MRU:
			if (c[1] == 4 && p->l.send_mru) {
				uint16_t v = be16_get(c + 2);
				if (v >= PPP_MRU_MIN && v <= PPP_MRU_MAX)
					p->l.our_mru = v;
			}
			break;
		case CI_AUTH:
			if (p->l.auth_idx < p->cfg.n_auth)
				auth_naked = 1;
			break;
		case CI_MAGIC:
			if (p->l.send_magic)
				new_magic(p);
			break;
		default: /* a suggestion for an option we did not request: ignored */
			break;
		}
	}
	return auth_naked ? next_auth(p, "Naked") : FSM_RX_OK;
}

static int
lcp_recv_rej(struct fsm *f, const uint8_t *o, size_t len)
{
	struct ppp_session *p = sess(f);
	int auth_rej = 0;

	if (!opts_valid(o, len))
		return FSM_RX_BAD;
	for (size_t i = 0; i < len; i += o[i + 1]) {
		switch (o[i]) {
		case CI_MRU:
			p->l.send_mru = 0;
			break;
		case CI_MAGIC:
			p->l.send_magic = 0;
			break;
		case CI_AUTH:
			if (p->l.auth_idx < p->cfg.n_auth)
				auth_rej = 1;
			break;
		default:
			break;
		}
	}
	return auth_rej ? next_auth(p, "Rejected") : FSM_RX_OK;
}

static int
lcp_code_needed(struct fsm *f, uint8_t code)
{
	return code >= FSM_CONFREQ && code <= FSM_CODEREJ;
}

/*
 * Protocol-Reject: data = rejected-protocol(2) rejected-information
 * Echo-Request/Reply, Discard-Request: data = magic(4) data
 */
static int
lcp_recv_other(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *d, size_t len)
{
	struct ppp_session *p = sess(f);

	switch (code) {
	case LCP_PROTREJ:
		if (f->state != FSM_OPENED || len < 2)
			return 0;
		switch (be16_get(d)) {
		case PROTO_LCP:
			return 1; /* RXJ- */
		case PROTO_IPCP:
			ppp_emit(p, "ppp_protocol_rejected_by_client", json_pack("{s:s}", "protocol", "IPCP"));
			fsm_rxj(&p->ipcp, 1, p->now);
			return 0;
		case PROTO_CHAP:
		case PROTO_EAP:
			if (p->phase == PHASE_AUTHENTICATE) {
				char det[128];
				snprintf(det, sizeof(det), "client Protocol-Rejected %s during authentication",
				    ppp_proto_name(be16_get(d)));
				ppp_fail(p, CR_PPP_NEGOTIATION_FAILED, det);
			}
			return 0;
		default:
			return 0;
		}
	case LCP_ECHOREQ: {
		uint8_t rep[FSM_MAX_PACKET - 4];
		size_t n;

		if (f->state != FSM_OPENED || len < 4)
			return 0;
		n = len < sizeof(rep) ? len : sizeof(rep);
		memcpy(rep, d, n);
		be32_put(rep, p->l.send_magic ? p->l.our_magic : 0);
		/* fsm_send_packet cuts the reply to the peer's MRU (accel-ppp #204) */
		fsm_send_packet(f, LCP_ECHOREP, id, rep, n);
		p->echo_count++;
		if (p->echo_count == 1 || p->echo_count == 10 || p->echo_count == 100 ||
		    p->echo_count == 1000 || p->echo_count % 10000 == 0)
			ppp_emit(p, "ppp_echo", json_pack("{s:i}", "count", (int)p->echo_count));
		return 0;
	}
	case LCP_ECHOREP:
	case LCP_DISCREQ:
		return 0;
	default:
		return -1;
	}
}

static void
lcp_up(struct fsm *f)
{
	ppp_lcp_up(sess(f));
}

static void
lcp_down(struct fsm *f)
{
	ppp_lcp_down(sess(f));
}

static void
lcp_finished(struct fsm *f)
{
	ppp_lcp_finished(sess(f));
}

static void
lcp_peer_term(struct fsm *f, const uint8_t *d, size_t len)
{
	ppp_lcp_peer_term(sess(f), d, len);
}

static void
lcp_send(struct fsm *f, const uint8_t *pkt, size_t len)
{
	ppp_send_proto(sess(f), PROTO_LCP, pkt, len);
}

const struct fsm_ops lcp_ops = {
	.name = "LCP",
	.build_req = lcp_build_req,
	.recv_req = lcp_recv_req,
	.recv_ack = lcp_recv_ack,
	.recv_nak = lcp_recv_nak,
	.recv_rej = lcp_recv_rej,
	.recv_other = lcp_recv_other,
	.code_needed = lcp_code_needed,
	.up = lcp_up,
	.down = lcp_down,
	.finished = lcp_finished,
	.peer_term = lcp_peer_term,
	.send = lcp_send,
};
