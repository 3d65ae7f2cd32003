/*
 * The first flight of a connection: reassemble the ClientHello from its
 * records as the bytes arrive (tls/hello_reasm.h), record it, let the
 * scenario's gate (tls/policy.c) and any injected fault decide, and have the
 * connection refuse or start TLS with the hello re-framed as one record.
 */
#include <stdlib.h>

#include "app/server.h"
#include "app/session.h"
#include "tls/policy.h"
#include "tls/tls_names.h"
#include "util/evlog.h"

static void
emit_client_hello(const struct conn *c, const struct ch_info *ch)
{
	json_t *ev = evlog_new("client_hello", c->c_id);
	json_object_set_new(ev, "format", json_string(ch->sslv2 ? "sslv2" : "tls"));
	json_object_set_new(ev, "bytes", json_integer((json_int_t)ch->msg_len));
	if (!ch->sslv2)
		json_object_set_new(ev, "records", json_integer((json_int_t)ch->n_records));
	if (ch->has_sni)
		json_object_set_new(ev, "sni", json_string(ch->sni));
	json_object_set_new(ev, "record_version", json_string(tls_version_name(ch->record_version)));
	json_object_set_new(ev, "client_version", json_string(tls_version_name(ch->legacy_version)));
	json_object_set_new(ev, "max_version", json_string(tls_version_name(ch->max_version)));
	if (ch->n_versions > 0)
		json_object_set_new(ev, "versions", tls_names_json(ch->versions, ch->n_versions, tls_version_name));
	json_object_set_new(ev, "suites", tls_names_json(ch->suites, ch->n_suites, tls_suite_name));
	json_object_set_new(ev, "extensions", tls_names_json(ch->exts, ch->n_exts, tls_ext_name));
	json_object_set_new(ev, "groups", tls_names_json(ch->groups, ch->n_groups, tls_group_name));
	json_object_set_new(ev, "sigalgs", tls_names_json(ch->sigalgs, ch->n_sigalgs, tls_sigalg_name));
	if (ch->has_alpn)
		json_object_set_new(ev, "alpn", json_string(ch->alpn_first));
	json_object_set_new(ev, "ja3", json_string(ch->ja3));
	json_object_set_new(ev, "ja3_hash", json_string(ch->ja3_hash));
	json_object_set_new(ev, "ja4", json_string(ch->ja4));
	evlog_emit(ev);
}

static void
emit_verdict(const struct conn *c, const struct gate_result *g)
{
	char abuf[40];
	json_t *ev = evlog_new("verdict", c->c_id);
	if (g->verdict == GATE_ACCEPT) {
		json_object_set_new(ev, "action", json_string("accept"));
	} else {
		json_object_set_new(ev, "action", json_string(refusal_name(&g->action, abuf, sizeof(abuf))));
		json_object_set_new(ev, "reason", json_string(reason_info(g->reason)->name));
	}
	json_object_set_new(ev, "why", json_string(g->why));
	evlog_emit(ev);
}

static void
reasm_done(struct session *se)
{
	hello_reasm_free(se->reasm);
	free(se->reasm);
	se->reasm = NULL;
}

void
session_first_flight(struct conn *c, const uint8_t *buf, size_t len)
{
	struct session *se = session_of(c);

	if (se->reasm == NULL) {
		se->reasm = malloc(sizeof(*se->reasm));
		if (se->ch == NULL)
			se->ch = calloc(1, sizeof(*se->ch));
		if (se->reasm == NULL || se->ch == NULL) {
			conn_close(c, CR_INTERNAL, "out of memory");
			return;
		}
		hello_reasm_init(se->reasm);
	}
	size_t used;
	enum ch_status st = hello_reasm_feed(se->reasm, buf, len, &used, se->ch);
	if (st == CH_NEED_MORE)
		return;
	if (hello_reasm_oom(se->reasm)) {
		conn_close(c, CR_INTERNAL, "out of memory for the ClientHello");
		return;
	}
	if (st == CH_OK)
		emit_client_hello(c, se->ch);

	/* where it is served from decides the policy it is judged by: its
	 * listener's, else its endpoint's by SNI, else the main one */
	const char *sni = st == CH_OK && se->ch->has_sni ? se->ch->sni : NULL;
	unsigned alt = snapshot_alt_for(c->c_snap, c->c_listener, sni);
	struct gate_result g;
	policy_gate(snapshot_gate(c->c_snap, alt), st, se->ch, &g);
	(void)server_fault_gate(se->srv, &g);
	emit_verdict(c, &g);
	if (st == CH_OK)
		session_audit_hello(c, g.verdict == GATE_ACCEPT, g.why);
	if (g.verdict == GATE_REFUSE) {
		reasm_done(se);
		conn_refuse(c, g.reason, &g.action, g.why);
		return;
	}
	size_t plen;
	uint8_t *pre = hello_reasm_engine_flight(se->reasm, buf + used, len - used, &plen);
	reasm_done(se);
	if (pre == NULL) {
		conn_close(c, CR_INTERNAL, "out of memory for the ClientHello");
		return;
	}
	/* on the main listener without an endpoint: the overlap may pick */
	if (alt == 0 && c->c_listener == 0)
		alt = snapshot_overlap_pick(c->c_snap, sni, conn_peer_ipv4(c));
	conn_start_tls(c, pre, plen, alt);
}
