/*
 * api_body: control API request bodies and query values turned into
 * request structs. Pure functions (no server state, no I/O), so that the
 * fuzz target tests/fuzz/fuzz_api_body.c drives exactly what the handlers
 * run. Each returns 0, or -1 with a message for a 400 answer in err.
 */
#ifndef P2SGW_API_BODY_H
#define P2SGW_API_BODY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config/scenario.h"

#define API_BODY_MAX     (1 << 20)  /* bytes; the HTTP layer caps the same */
#define API_LIST_MAX     128        /* items in one list (SC_MAX_LIST_ITEMS) */
#define API_POLICY_KEYS  8
#define API_REFUSE_MAX   1000000    /* refuse_next */
#define API_MAINT_MAX_MS 86400000u  /* maintenance_ms: at most a day */

/* A JSON object body (duplicate keys refused). *out owned by the caller. */
int api_body_parse(const char *buf, size_t len, json_t **out, char *err, size_t errlen);

/* PUT /policy: {"versions": [..], "ciphers": [..], "signature_hashes": [..],
 * "curves": [..], "session_resumption": bool,
 * "refuse": {"version": s, "cipher": s, "malformed": s}}, any non-empty
 * subset. Only types and shape are checked here; values go through the
 * scenario loader (scenario_override). The strings point into body, which
 * must outlive req. */
struct api_policy_req {
	struct sc_override ov[API_POLICY_KEYS];
	size_t             n;
	const char        *vals[API_POLICY_KEYS][API_LIST_MAX];
};
int api_policy_request(json_t *body, struct api_policy_req *req, char *err, size_t errlen);

/* POST /faults: {"refuse_next": N, "action": "reset|fin|stall|alert:NAME"}
 * and/or {"maintenance_ms": M}. */
struct api_faults_req {
	int               has_refuse;
	unsigned          refuse_next;
	struct tls_refusal action;       /* default reset */
	int               has_maint;
	uint32_t          maintenance_ms;
	int               has_radius;      /* "radius": {delay_ms, drop_percent, down} */
	uint32_t          radius_delay_ms;
	uint32_t          radius_drop_percent;
	int               radius_down;
};
int api_faults_request(json_t *body, struct api_faults_req *req, char *err, size_t errlen);

/* POST /faults/network: a JSON object of the fault's fields (strings, or
 * numbers for share, percent, bytes), checked complete. */
int api_netfault_request(json_t *body, struct sc_netfault *f, char *err, size_t errlen);

/* DELETE /sessions/{id}?mode=: how a session is ended. */
enum api_end_mode { API_END_DISCONNECT, API_END_ABORT, API_END_RESET };
/* NULL: the default (disconnect). */
int api_end_mode(const char *s, enum api_end_mode *out, char *err, size_t errlen);
const char *api_end_mode_name(enum api_end_mode m);

/* A connection id in a path: decimal, 1..2^53 (JSON-safe), no sign or
 * leading zero. */
int api_session_id(const char *s, uint64_t *out, char *err, size_t errlen);

/* A boolean query value: 1/0, true/false, yes/no; NULL or "" is false. */
int api_query_bool(const char *name, const char *s, int *out, char *err, size_t errlen);

#endif
