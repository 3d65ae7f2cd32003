/*
 * The PPP session: frames in and out, the phases of RFC 1661 section 3.2
 * (establish -> authenticate -> network), protocol dispatch, and the one
 * close path.
 *
 * Frame grammar (input; RFC 1662 3.1 without HDLC flags/FCS, as SSTP carries it):
 *   frame    = [ FF 03 ] protocol information
 *   protocol = 1 byte when odd (PFC), else 2 bytes; the low bit of the last
 *              byte is 1 and of the first is 0 (RFC 1661 2)
 * Output always carries FF 03 and a 2-byte protocol (legal even when the
 * peer asked for ACFC/PFC: they are permissions, not obligations).
 *
 * Once LCP is Opened, protocols we do not run are Protocol-Rejected (CCP,
 * ECP, IPv6CP, CBCP, MP, BAP, BACP, PAP, anything unknown); control
 * packets of NCPs before the network phase are discarded (RFC 1661 3.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "ppp/ppp_int.h"
#include "util/addr.h"
#include "util/bytes.h"
#include "util/xtime.h"

#define MAX_PROTREJ_EVENTS 16

static int
valid(const struct ppp_session *p)
{
	return p != NULL && p->magic == PPP_SESSION_MAGIC;
}

const char *
ppp_proto_name(uint16_t proto)
{
	switch (proto) {
	case PROTO_IP: return "IPv4";
	case 0x0057: return "IPv6";
	case PROTO_MP: return "Multilink";
	case PROTO_IPCP: return "IPCP";
	case PROTO_ECP: return "ECP";
	case PROTO_IPV6CP: return "IPv6CP";
	case PROTO_CCP: return "CCP";
	case 0x80FB: return "CCP (link)";
	case PROTO_LCP: return "LCP";
	case PROTO_PAP: return "PAP";
	case PROTO_CHAP: return "CHAP";
	case PROTO_EAP: return "EAP";
	case PROTO_CBCP: return "CBCP";
	case PROTO_BAP: return "BAP";
	case PROTO_BACP: return "BACP";
	case 0xC025: return "LQR";
	default: return "unknown";
	}
}

void
ppp_printable(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t i;

	if (cap == 0)
		return;
	for (i = 0; i < n && i + 1 < cap; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7F && in[i] != '"' && in[i] != '\'') ? (char)in[i] : '?';
	out[i] = '\0';
}

void
ppp_random(struct ppp_session *p, uint8_t *out, size_t len)
{
	if (p->hooks.random != NULL)
		p->hooks.random(p->hooks.ctx, out, len);
	else
		memset(out, 0x5A, len);
}

size_t
ppp_peer_mru(const struct ppp_session *p)
{
	return p->l.peer_mru;
}

void
ppp_emit(struct ppp_session *p, const char *type, json_t *fields)
{
	if (fields == NULL)
		fields = json_object();
	emit(&p->hooks.events, type, fields);
}

void
ppp_send_proto(struct ppp_session *p, uint16_t proto, const uint8_t *pkt, size_t len)
{
	uint8_t buf[4 + PPP_MRU_MAX + 5];

	if (p->closed || p->hooks.send == NULL || len > sizeof(buf) - 4)
		return;
	buf[0] = 0xFF;
	buf[1] = 0x03;
	buf[2] = (uint8_t)(proto >> 8);
	buf[3] = (uint8_t)proto;
	memcpy(buf + 4, pkt, len);
	p->hooks.send(p->hooks.ctx, buf, len + 4);
}

/* ---- the close path ---- */

void
ppp_report_closed(struct ppp_session *p, enum close_reason reason, const char *detail)
{
	if (p->closed)
		return;
	chap_stop(p);
	eap_stop(p);
	eap_relay_stop(p);
	ppp_emit(p, "ppp_lcp_state", json_pack("{s:s,s:s,s:s}", "state", "closed",
	    "reason", reason_info(reason) ? reason_info(reason)->name : "?", "detail", detail));
	p->closed = 1;
	p->phase = PHASE_DEAD;
	p->lcp.deadline = 0;
	p->ipcp.deadline = 0;
	if (p->hooks.closed != NULL)
		p->hooks.closed(p->hooks.ctx, reason, detail);
}

void
ppp_fail(struct ppp_session *p, enum close_reason reason, const char *detail)
{
	if (p->closed || p->phase == PHASE_TERMINATE)
		return;
	p->fail_reason = reason;
	if (detail != p->fail_detail)
		snprintf(p->fail_detail, sizeof(p->fail_detail), "%s", detail);
	chap_stop(p);
	eap_stop(p);
	eap_relay_stop(p);
	ppp_emit(p, "ppp_terminate", json_pack("{s:s,s:s}", "by", "gateway", "why", p->fail_detail));
	p->phase = PHASE_TERMINATE;
	fsm_close(&p->lcp, p->now);
	/* nothing to say goodbye to: report now */
	if (p->lcp.state != FSM_CLOSING && p->lcp.state != FSM_STOPPING)
		ppp_report_closed(p, p->fail_reason, p->fail_detail);
}

void
ppp_auth_failed(struct ppp_session *p, const char *identity)
{
	if (p->hooks.auth_done != NULL)
		p->hooks.auth_done(p->hooks.ctx, 0, identity, NULL);
}

void
ppp_auth_success(struct ppp_session *p, const char *method, const char *identity,
                 const uint8_t hlak[32])
{
	p->auth_ok = 1;
	p->fail_detail[0] = '\0';
	ppp_emit(p, "ppp_auth_result", json_pack("{s:s,s:b,s:s}", "method", method, "ok", 1,
	    "identity", identity));
	if (p->hooks.auth_done != NULL)
		p->hooks.auth_done(p->hooks.ctx, 1, identity, hlak);
	if (p->closed || p->phase != PHASE_AUTHENTICATE)
		return;
	p->phase = PHASE_NETWORK;
	ipcp_init(p);
	fsm_open(&p->ipcp, p->now);
	fsm_up(&p->ipcp, p->now);
}

/* ---- what the automata report ---- */

void
ppp_lcp_up(struct ppp_session *p)
{
	ppp_emit(p, "ppp_lcp_state", json_pack("{s:s,s:i,s:i,s:s,s:s}", "state", "opened",
	    "mru", (int)(p->l.send_mru ? p->l.our_mru : PPP_MRU_DEFAULT),
	    "peer_mru", (int)p->l.peer_mru, "peer_options", p->l.peer_opts,
	    "rejected", p->l.rejected));
	if (p->auth_ok) { /* LCP renegotiated after authentication: back to the network phase */
		p->phase = PHASE_NETWORK;
		ipcp_init(p);
		fsm_open(&p->ipcp, p->now);
		fsm_up(&p->ipcp, p->now);
		return;
	}
	p->phase = PHASE_AUTHENTICATE;
	if (p->cfg.n_auth == 0) {
		p->auth = 0;
		ppp_auth_success(p, "none", "", NULL);
		return;
	}
	p->auth = p->cfg.auth[p->l.auth_idx < p->cfg.n_auth ? p->l.auth_idx : 0];
	if (p->auth == PPP_AUTH_EAP_TLS && p->cfg.auth_external)
		eap_relay_start(p); /* RFC 3579: the RADIUS server runs EAP-TLS */
	else if (p->auth == PPP_AUTH_EAP_TLS)
		eap_start(p);
	else
		chap_start(p);
}

void
ppp_lcp_down(struct ppp_session *p)
{
	chap_stop(p);
	eap_stop(p);
	eap_relay_stop(p);
	if (p->phase == PHASE_NETWORK)
		fsm_down(&p->ipcp, p->now);
	if (p->phase != PHASE_TERMINATE && p->phase != PHASE_DEAD)
		p->phase = PHASE_ESTABLISH;
}

void
ppp_lcp_finished(struct ppp_session *p)
{
	char det[256];

	if (p->closed)
		return;
	if (p->fail_reason != CR_NONE) {
		ppp_report_closed(p, p->fail_reason, p->fail_detail);
		return;
	}
	snprintf(det, sizeof(det),
	    "LCP did not converge: no agreement after %u Configure-Requests (state %s%s%s)",
	    p->lcp.conf_reqs_sent, fsm_state_name(p->lcp.state),
	    p->l.rejected[0] ? ", rejected: " : "", p->l.rejected);
	ppp_report_closed(p, CR_PPP_NEGOTIATION_FAILED, det);
}

void
ppp_lcp_peer_term(struct ppp_session *p, const uint8_t *data, size_t len)
{
	char txt[64], det[256];
	enum close_reason r = CR_PPP_TERMINATED;

	ppp_printable(data, len, txt, sizeof(txt));
	ppp_emit(p, "ppp_terminate", json_pack("{s:s,s:s,s:i}", "by", "client", "text", txt,
	    "echoes", (int)p->echo_count));
	if (p->fail_reason != CR_NONE) {
		ppp_report_closed(p, p->fail_reason, p->fail_detail);
		return;
	}
	if (!p->auth_ok && p->fail_detail[0] != '\0') {
		/* the client gave up after an authentication failure */
		ppp_report_closed(p, CR_PPP_AUTH_FAILED, p->fail_detail);
		return;
	}
	snprintf(det, sizeof(det), "client sent LCP Terminate-Request%s%s%s",
	    txt[0] ? " (\"" : "", txt, txt[0] ? "\")" : "");
	ppp_report_closed(p, r, det);
}

void
ppp_ipcp_up(struct ppp_session *p)
{
	char a[16], g[16], d0[16], d1[16];
	json_t *dns = json_array();

	ip4_format(p->i.dns_acked[0], d0);
	ip4_format(p->i.dns_acked[1], d1);
	ip4_format(p->i.peer_addr, a);
	ip4_format(p->cfg.gateway_ip, g);
	if (p->i.dns_acked[0])
		json_array_append_new(dns, json_string(d0));
	if (p->i.dns_acked[1])
		json_array_append_new(dns, json_string(d1));
	ppp_emit(p, "ppp_ipcp_opened", json_pack("{s:s,s:s,s:o}", "client",
	    a, "gateway", g, "dns", dns));
	if (p->hooks.network_up != NULL)
		p->hooks.network_up(p->hooks.ctx, p->i.peer_addr);
}

void
ppp_ipcp_finished(struct ppp_session *p)
{
	char det[160];

	if (p->closed || p->phase != PHASE_NETWORK)
		return;
	snprintf(det, sizeof(det), "IPCP did not converge: %s after %u Configure-Requests",
	    p->ipcp.timeouts ? "no answer" : "closed", p->ipcp.conf_reqs_sent);
	ppp_fail(p, CR_PPP_NEGOTIATION_FAILED, det);
}

/* ---- the API ---- */

enum close_reason
ppp_failure(const struct ppp_session *p, const char **detail)
{
	if (p->fail_reason != CR_NONE && p->fail_reason != CR_SSTP_SERVER_DISCONNECT) {
		*detail = p->fail_detail;
		return p->fail_reason;
	}
	if (p->auth_fail[0] != '\0') {
		*detail = p->auth_fail;
		return p->auth_fail_reason != CR_NONE ? p->auth_fail_reason : CR_PPP_AUTH_FAILED;
	}
	return CR_NONE;
}

struct ppp_session *
ppp_new(const struct ppp_config *cfg, const struct ppp_hooks *hooks)
{
	struct ppp_session *p;

	if (cfg == NULL || hooks == NULL || cfg->n_auth > 2)
		return NULL;
	for (size_t i = 0; i < cfg->n_auth; i++) {
		if (cfg->auth[i] != PPP_AUTH_MSCHAPV2 && cfg->auth[i] != PPP_AUTH_EAP_TLS)
			return NULL;
		if (cfg->auth[i] == PPP_AUTH_EAP_TLS && cfg->auth_external &&
		    hooks->eap_relay == NULL)
			return NULL;
		if (cfg->auth[i] == PPP_AUTH_EAP_TLS && !cfg->auth_external &&
		    (cfg->eap_tls == NULL || cfg->eap_tls->conf == NULL))
			return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->magic = PPP_SESSION_MAGIC;
	p->cfg = *cfg;
	p->cfg.auth_name[sizeof(p->cfg.auth_name) - 1] = '\0';
	p->hooks = *hooks;
	p->phase = PHASE_DEAD;
	lcp_init(p);
	ipcp_init(p);
	return p;
}

void
ppp_free(struct ppp_session *p)
{
	if (p == NULL)
		return;
	if (!valid(p))
		abort();
	eap_free(p);
	eap_relay_free(p);
	mbedtls_platform_zeroize(p, sizeof(*p));
	free(p);
}

void
ppp_lower_up(struct ppp_session *p, uint64_t now)
{
	if (!valid(p) || p->closed || p->phase != PHASE_DEAD)
		return;
	p->now = now;
	p->phase = PHASE_ESTABLISH;
	fsm_open(&p->lcp, now);
	fsm_up(&p->lcp, now);
}

static void
protocol_reject(struct ppp_session *p, uint16_t proto, const uint8_t *frame_rest, size_t len)
{
	uint8_t d[FSM_MAX_PACKET - 4];
	size_t n = len < sizeof(d) - 2 ? len : sizeof(d) - 2;

	d[0] = (uint8_t)(proto >> 8);
	d[1] = (uint8_t)proto;
	memcpy(d + 2, frame_rest, n);
	/* fsm_send_packet cuts the packet to the peer's MRU (RFC 1661 5.7) */
	fsm_send_packet(&p->lcp, 8, ++p->lcp.xid, d, n + 2);
	if (p->rejected_protos++ < MAX_PROTREJ_EVENTS) {
		char hex[8];
		snprintf(hex, sizeof(hex), "0x%04X", proto);
		ppp_emit(p, "ppp_protocol_reject", json_pack("{s:s,s:s}", "protocol",
		    ppp_proto_name(proto), "number", hex));
	}
}

void
ppp_input(struct ppp_session *p, const uint8_t *f, size_t len, uint64_t now)
{
	size_t i = 0;
	uint16_t proto;

	if (!valid(p) || p->closed || p->phase == PHASE_DEAD || f == NULL)
		return;
	p->now = now;
	if (len >= 2 && f[0] == 0xFF && f[1] == 0x03)
		i = 2;
	if (i >= len)
		return;
	if (f[i] & 1) {
		proto = f[i];
		i += 1;
	} else {
		if (len - i < 2)
			return;
		proto = be16_get(f + i);
		i += 2;
		if ((proto & 1) == 0)
			return; /* not a valid protocol field */
	}
	f += i;
	len -= i;

	if (proto == PROTO_LCP) {
		fsm_input(&p->lcp, f, len, now);
		return;
	}
	if (p->lcp.state != FSM_OPENED)
		return; /* RFC 1661 3.4: only LCP before the link is open */

	switch (proto) {
	case PROTO_CHAP:
		if (p->phase >= PHASE_AUTHENTICATE && p->auth == PPP_AUTH_MSCHAPV2)
			chap_input(p, f, len);
		else if (p->auth != PPP_AUTH_MSCHAPV2)
			protocol_reject(p, proto, f, len);
		return;
	case PROTO_EAP:
		if (p->phase >= PHASE_AUTHENTICATE && p->auth == PPP_AUTH_EAP_TLS &&
		    p->cfg.auth_external)
			eap_relay_input(p, f, len);
		else if (p->phase >= PHASE_AUTHENTICATE && p->auth == PPP_AUTH_EAP_TLS)
			eap_input(p, f, len);
		else if (p->auth != PPP_AUTH_EAP_TLS)
			protocol_reject(p, proto, f, len);
		return;
	case PROTO_IPCP:
		if (p->phase == PHASE_NETWORK)
			fsm_input(&p->ipcp, f, len, now);
		return;
	case PROTO_IP:
		if (p->phase == PHASE_NETWORK && p->ipcp.state == FSM_OPENED &&
		    p->hooks.ip_packet != NULL)
			p->hooks.ip_packet(p->hooks.ctx, f, len);
		return;
	default: /* CCP, ECP, IPv6CP, CBCP, MP, BAP, BACP, PAP, IPv6, unknown */
		if (p->phase != PHASE_TERMINATE)
			protocol_reject(p, proto, f, len);
		return;
	}
}

int
ppp_send_ip(struct ppp_session *p, const uint8_t *pkt, size_t len)
{
	if (!valid(p) || p->closed || p->phase != PHASE_NETWORK || p->ipcp.state != FSM_OPENED)
		return -1;
	if (len == 0 || len > p->l.peer_mru)
		return -1;
	ppp_send_proto(p, PROTO_IP, pkt, len);
	return 0;
}


uint64_t
ppp_next_deadline(const struct ppp_session *p)
{
	uint64_t d = 0;

	if (!valid(p) || p->closed)
		return 0;
	d = deadline_min(d, p->lcp.deadline);
	if (p->phase == PHASE_NETWORK)
		d = deadline_min(d, p->ipcp.deadline);
	if (p->chap.active)
		d = deadline_min(d, p->chap.deadline);
	d = deadline_min(d, eap_deadline(p));
	d = deadline_min(d, eap_relay_deadline(p));
	return d;
}

void
ppp_tick(struct ppp_session *p, uint64_t now)
{
	if (!valid(p) || p->closed)
		return;
	p->now = now;
	fsm_tick(&p->lcp, now);
	if (!p->closed && p->phase == PHASE_NETWORK)
		fsm_tick(&p->ipcp, now);
	if (!p->closed)
		chap_tick(p);
	if (!p->closed)
		eap_tick(p);
	if (!p->closed)
		eap_relay_tick(p);
}

void
ppp_terminate(struct ppp_session *p, const char *why, uint64_t now)
{
	if (!valid(p) || p->closed)
		return;
	p->now = now;
	if (p->phase == PHASE_DEAD) {
		ppp_report_closed(p, CR_SSTP_SERVER_DISCONNECT, why ? why : "terminated");
		return;
	}
	ppp_fail(p, CR_SSTP_SERVER_DISCONNECT, why ? why : "terminated by the gateway");
}
