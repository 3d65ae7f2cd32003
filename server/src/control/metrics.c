/* GET /metrics: Prometheus text exposition format 0.0.4. */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "app/auth_radius.h"
#include "control/control_int.h"

/* A label value with \, " and newline escaped. */
static void
label(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

static void
metric(struct evbuffer *b, const char *name, const char *type, const char *help,
    unsigned long long v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type,
	    name, v);
}

void
ctl_metrics(struct control *ctl, struct evhttp_request *req)
{
	struct server_stats st;

	if (!ctl_method(req, EVHTTP_REQ_GET, "GET"))
		return;
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		ctl_reply_error(req, 500, "out of memory");
		return;
	}
	struct snapshot *snap = server_snapshot(ctl->srv);
	server_stats(ctl->srv, &st);
	metric(b, "p2sgw_connections_open", "gauge", "TCP connections open.", st.connections);
	metric(b, "p2sgw_connections_half_open", "gauge",
	    "TCP connections without a finished TLS handshake.", st.half_open);
	metric(b, "p2sgw_workers", "gauge", "Worker threads.", st.workers);
	metric(b, "p2sgw_sstp_sessions", "gauge",
	    "SSTP sessions open (the SKU limit counts these).", st.sstp_sessions);
	metric(b, "p2sgw_accepted_total", "counter", "TCP connections accepted.", st.accepted);
	metric(b, "p2sgw_refused_total", "counter",
	    "Connections refused (gate, capacity, faults).", st.refused);
	evbuffer_add_printf(b, "# HELP p2sgw_closes_total Connections ended, by close reason.\n"
	    "# TYPE p2sgw_closes_total counter\n");
	for (int r = 0; r < CR__COUNT; r++)
		if (st.closes[r] != 0)
			evbuffer_add_printf(b, "p2sgw_closes_total{reason=\"%s\"} %llu\n",
			    reason_info((enum close_reason)r)->name,
			    (unsigned long long)st.closes[r]);
	evbuffer_add_printf(b, "# HELP p2sgw_tunnel_bytes_total IP bytes through the tunnels "
	    "(up: from clients, down: to clients).\n# TYPE p2sgw_tunnel_bytes_total counter\n"
	    "p2sgw_tunnel_bytes_total{dir=\"up\"} %llu\np2sgw_tunnel_bytes_total{dir=\"down\"} %llu\n",
	    (unsigned long long)st.shaped_bytes[0], (unsigned long long)st.shaped_bytes[1]);
	evbuffer_add_printf(b, "# HELP p2sgw_shaper_throttled_seconds_total Time tunnels were held "
	    "back by the throughput cap, summed over tunnels.\n"
	    "# TYPE p2sgw_shaper_throttled_seconds_total counter\n"
	    "p2sgw_shaper_throttled_seconds_total{dir=\"up\"} %.3f\n"
	    "p2sgw_shaper_throttled_seconds_total{dir=\"down\"} %.3f\n",
	    st.throttled_ms[0] / 1000.0, st.throttled_ms[1] / 1000.0);
	evbuffer_add_printf(b, "# HELP p2sgw_shaper_active_tunnels Tunnels sharing the cap now.\n"
	    "# TYPE p2sgw_shaper_active_tunnels gauge\n"
	    "p2sgw_shaper_active_tunnels{dir=\"up\"} %u\np2sgw_shaper_active_tunnels{dir=\"down\"} %u\n",
	    st.shaped_active[0], st.shaped_active[1]);
	metric(b, "p2sgw_shaper_queue_bytes", "gauge",
	    "Bytes waiting in the tunnels' downlink queues.", st.queue_bytes);
	metric(b, "p2sgw_shaper_queue_drops_total", "counter",
	    "Downlink packets dropped because their tunnel's queue was full.", st.queue_drops);
	struct radius_stats rs;
	radius_stats_get(&rs);
	metric(b, "p2sgw_radius_requests_total", "counter",
	    "RADIUS Access-Requests sent, retransmissions included.", rs.requests);
	evbuffer_add_printf(b, "# HELP p2sgw_radius_replies_total RADIUS sign-ins by result.\n"
	    "# TYPE p2sgw_radius_replies_total counter\n"
	    "p2sgw_radius_replies_total{result=\"accept\"} %llu\n"
	    "p2sgw_radius_replies_total{result=\"reject\"} %llu\n"
	    "p2sgw_radius_replies_total{result=\"challenge\"} %llu\n"
	    "p2sgw_radius_replies_total{result=\"timeout\"} %llu\n",
	    (unsigned long long)rs.accept, (unsigned long long)rs.reject,
	    (unsigned long long)rs.challenge, (unsigned long long)rs.timeout);
	metric(b, "p2sgw_radius_dropped_total", "counter",
	    "RADIUS replies dropped: failed checks (secret, Message-Authenticator) or a fault.",
	    rs.dropped);
	evbuffer_add_printf(b, "# HELP p2sgw_radius_latency_seconds Time from the first "
	    "transmission to the answer.\n# TYPE p2sgw_radius_latency_seconds histogram\n");
	for (int i = 0; i < RADIUS_LATENCY_BUCKETS; i++)
		evbuffer_add_printf(b, "p2sgw_radius_latency_seconds_bucket{le=\"%g\"} %llu\n",
		    radius_latency_le_ms[i] / 1000.0, (unsigned long long)rs.latency_bucket[i]);
	evbuffer_add_printf(b, "p2sgw_radius_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "p2sgw_radius_latency_seconds_sum %.3f\np2sgw_radius_latency_seconds_count %llu\n",
	    (unsigned long long)rs.latency_count, rs.latency_sum_ms / 1000.0,
	    (unsigned long long)rs.latency_count);
	metric(b, "p2sgw_policy_generation", "gauge", "Generation of the current policy snapshot.",
	    snap->generation);
	evbuffer_add_printf(b, "# HELP p2sgw_info Scenario and chain served to new connections.\n"
	    "# TYPE p2sgw_info gauge\np2sgw_info{scenario=\"");
	label(b, snap->sc.name);
	evbuffer_add_printf(b, "\",chain=\"");
	label(b, snap->sc.chain);
	evbuffer_add_printf(b, "\",variant=\"%s\"} 1\n", pki_variant_name(snap->sc.variant));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	snapshot_unref(snap);
}
