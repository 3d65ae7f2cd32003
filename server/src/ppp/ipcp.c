/*
 * IPCP (RFC 1332, DNS options RFC 1877) option handlers for fsm.c.
 *
 * We request IP-Address = cfg.gateway_ip. The client's request:
 *   3 IP-Address: cfg.client_ip -> Ack; anything else (0.0.0.0 too) -> Nak
 *     with cfg.client_ip; absent -> Nak adding it (once per negotiation);
 *   129/131 Primary/Secondary DNS: cfg.dns[0/1] -> Ack; other -> Nak with
 *     it; no such server configured -> Reject;
 *   130/132 NBNS, 2 IP-Compression (VJ), 1 IP-Addresses, unknown -> Reject.
 * Option grammar as LCP: type(1) length(1, >= 2) data; overruns discard.
 */
#include <stdio.h>
#include <string.h>

#include "ppp/ppp_int.h"
#include "util/bytes.h"

#define CI_ADDRS    1
#define CI_COMPRESS 2
#define CI_ADDR     3
#define CI_DNS1     129
#define CI_NBNS1    130
#define CI_DNS2     131
#define CI_NBNS2    132

static struct ppp_session *
sess(struct fsm *f)
{
	return f->owner;
}

static void
put_addr_opt(uint8_t *b, uint8_t type, uint32_t v)
{
	b[0] = type;
	b[1] = 6;
	be32_put(b + 2, v);
}

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
ipcp_init(struct ppp_session *p)
{
	memset(&p->i, 0, sizeof(p->i));
	p->i.send_addr = 1;
	fsm_init(&p->ipcp, &ipcp_ops, p, p->cfg.restart_ms, p->cfg.max_configure, p->cfg.max_failure);
	p->ipcp.max_send = p->lcp.max_send;
}

static size_t
ipcp_build_req(struct fsm *f, uint8_t *out, size_t cap)
{
	struct ppp_session *p = sess(f);

	if (!p->i.send_addr || cap < 6)
		return 0;
	put_addr_opt(out, CI_ADDR, p->cfg.gateway_ip);
	return 6;
}

static int
ipcp_recv_req(struct fsm *f, const uint8_t *o, size_t len, int reject_if_disagree,
              uint8_t *out, size_t cap, size_t *out_len)
{
	struct ppp_session *p = sess(f);
	uint8_t rej[FSM_MAX_PACKET], nak[FSM_MAX_PACKET];
	size_t nrej = 0, nnak = 0;
	uint32_t addr = 0, dns[2] = { 0, 0 };
	int have_addr = 0;

	if (!opts_valid(o, len))
		return -1;
	for (size_t i = 0; i < len; i += o[i + 1]) {
		const uint8_t *c = o + i;
		uint8_t t = c[0], l = c[1];
		int reject = 0, naked = 0;
		uint8_t sug[6];

		switch (t) {
		case CI_ADDR:
			if (l != 6) {
				reject = 1;
				break;
			}
			have_addr = 1;
			addr = be32_get(c + 2);
			if (addr != p->cfg.client_ip) {
				naked = 1;
				put_addr_opt(sug, CI_ADDR, p->cfg.client_ip);
			}
			break;
		case CI_DNS1:
		case CI_DNS2: {
			int k = t == CI_DNS1 ? 0 : 1;
			if (l != 6 || p->cfg.dns[k] == 0) {
				reject = 1;
				break;
			}
			dns[k] = be32_get(c + 2);
			if (dns[k] != p->cfg.dns[k]) {
				naked = 1;
				put_addr_opt(sug, t, p->cfg.dns[k]);
			}
			break;
		}
		default: /* IP-Addresses, IP-Compression (VJ), NBNS, unknown */
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
		} else if (naked && nnak + 6 <= sizeof(nak)) {
			memcpy(nak + nnak, sug, 6);
			nnak += 6;
		}
	}
	/* no address asked for: suggest one (RFC 1661 5.3 allows appending) */
	if (!have_addr && nrej == 0 && !reject_if_disagree && p->i.naks == 0 &&
	    p->cfg.client_ip != 0 && nnak + 6 <= sizeof(nak)) {
		put_addr_opt(nak + nnak, CI_ADDR, p->cfg.client_ip);
		nnak += 6;
	}
	if (nrej > 0) {
		*out_len = nrej < cap ? nrej : cap;
		memcpy(out, rej, *out_len);
		return FSM_CONFREJ;
	}
	if (nnak > 0) {
		p->i.naks++;
		*out_len = nnak < cap ? nnak : cap;
		memcpy(out, nak, *out_len);
		return FSM_CONFNAK;
	}
	p->i.peer_addr = have_addr ? addr : 0;
	p->i.dns_acked[0] = dns[0];
	p->i.dns_acked[1] = dns[1];
	*out_len = 0;
	return FSM_CONFACK;
}

static int
ipcp_recv_ack(struct fsm *f, const uint8_t *o, size_t len)
{
	uint8_t ours[8];
	size_t n = ipcp_build_req(f, ours, sizeof(ours));

	if (n != len || memcmp(ours, o, n) != 0)
		return FSM_RX_BAD;
	return FSM_RX_OK;
}

static int
ipcp_recv_nak(struct fsm *f, const uint8_t *o, size_t len)
{
	/* Our address is the gateway's and not negotiable; we ask again. */
	return opts_valid(o, len) ? FSM_RX_OK : FSM_RX_BAD;
}

static int
ipcp_recv_rej(struct fsm *f, const uint8_t *o, size_t len)
{
	struct ppp_session *p = sess(f);

	if (!opts_valid(o, len))
		return FSM_RX_BAD;
	for (size_t i = 0; i < len; i += o[i + 1])
		if (o[i] == CI_ADDR)
			p->i.send_addr = 0;
	return FSM_RX_OK;
}

static void
ipcp_up(struct fsm *f)
{
	ppp_ipcp_up(sess(f));
}

static void
ipcp_finished(struct fsm *f)
{
	ppp_ipcp_finished(sess(f));
}

static void
ipcp_send(struct fsm *f, const uint8_t *pkt, size_t len)
{
	ppp_send_proto(sess(f), PROTO_IPCP, pkt, len);
}

const struct fsm_ops ipcp_ops = {
	.name = "IPCP",
	.build_req = ipcp_build_req,
	.recv_req = ipcp_recv_req,
	.recv_ack = ipcp_recv_ack,
	.recv_nak = ipcp_recv_nak,
	.recv_rej = ipcp_recv_rej,
	.up = ipcp_up,
	.finished = ipcp_finished,
	.send = ipcp_send,
};
