#include "control/api_body.h"

#include <stdio.h>
#include <string.h>

#include "config/values.h"

int
api_body_parse(const char *buf, size_t len, json_t **out, char *err, size_t errlen)
{
	json_error_t jerr;

	*out = NULL;
	if (len == 0) {
		snprintf(err, errlen, "a JSON object body is required");
		return -1;
	}
	if (len > API_BODY_MAX) {
		snprintf(err, errlen, "body too large (%zu bytes, at most %d)", len, API_BODY_MAX);
		return -1;
	}
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		snprintf(err, errlen, "body is not JSON: %s (line %d, column %d)", jerr.text,
		    jerr.line, jerr.column);
		return -1;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(err, errlen, "body must be a JSON object");
		return -1;
	}
	*out = j;
	return 0;
}

/* A list of strings into vals; its key for scenario_override. */
static int
policy_list(struct api_policy_req *req, const char *field, const char *key, json_t *v,
    char *err, size_t errlen)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v)) {
		snprintf(err, errlen, "field '%s' must be a list of strings", field);
		return -1;
	}
	if (json_array_size(v) > API_LIST_MAX) {
		snprintf(err, errlen, "field '%s' has %zu items, at most %d", field,
		    json_array_size(v), API_LIST_MAX);
		return -1;
	}
	struct sc_override *o = &req->ov[req->n];
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			snprintf(err, errlen, "field '%s' item %zu must be a string", field, i);
			return -1;
		}
		req->vals[req->n][i] = json_string_value(e);
	}
	o->key = key;
	o->values = req->vals[req->n];
	o->n = json_array_size(v);
	req->n++;
	return 0;
}

static int
policy_one(struct api_policy_req *req, const char *key, const char *value)
{
	req->vals[req->n][0] = value;
	req->ov[req->n].key = key;
	req->ov[req->n].values = req->vals[req->n];
	req->ov[req->n].n = 1;
	req->n++;
	return 0;
}

int
api_policy_request(json_t *body, struct api_policy_req *req, char *err, size_t errlen)
{
	static const struct { const char *field, *key; } lists[] = {
		{ "versions", "tls.versions" },
		{ "ciphers", "tls.ciphers" },
		{ "signature_hashes", "tls.signature_hashes" },
		{ "curves", "tls.curves" },
	};
	const char *k;
	json_t *v;

	memset(req, 0, sizeof(*req));
	if (!json_is_object(body)) {
		snprintf(err, errlen, "body must be a JSON object");
		return -1;
	}
	json_object_foreach(body, k, v) {
		size_t i;
		for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
			if (strcmp(k, lists[i].field) == 0)
				break;
		if (i < sizeof(lists) / sizeof(lists[0])) {
			if (policy_list(req, lists[i].field, lists[i].key, v, err, errlen) != 0)
				return -1;
			continue;
		}
		if (strcmp(k, "session_resumption") == 0) {
			if (!json_is_boolean(v)) {
				snprintf(err, errlen, "field 'session_resumption' must be true or false");
				return -1;
			}
			policy_one(req, "tls.session_resumption", json_is_true(v) ? "true" : "false");
			continue;
		}
		if (strcmp(k, "refuse") == 0) {
			const char *rk;
			json_t *rv;
			if (!json_is_object(v) || json_object_size(v) == 0) {
				snprintf(err, errlen, "field 'refuse' must be an object with version, "
				    "cipher, malformed and/or too_large");
				return -1;
			}
			json_object_foreach(v, rk, rv) {
				const char *key = strcmp(rk, "version") == 0 ? "tls.refuse.version" :
				    strcmp(rk, "cipher") == 0 ? "tls.refuse.cipher" :
				    strcmp(rk, "malformed") == 0 ? "tls.refuse.malformed" :
				    strcmp(rk, "too_large") == 0 ? "tls.refuse.too_large" : NULL;
				if (key == NULL) {
					snprintf(err, errlen, "unknown field 'refuse.%.64s' (version, "
					    "cipher, malformed, too_large)", rk);
					return -1;
				}
				if (!json_is_string(rv)) {
					snprintf(err, errlen, "field 'refuse.%s' must be a string such as "
					    "\"reset\" or \"alert:protocol_version\"", rk);
					return -1;
				}
				policy_one(req, key, json_string_value(rv));
			}
			continue;
		}
		snprintf(err, errlen, "unknown field '%.64s' (versions, ciphers, signature_hashes, "
		    "curves, session_resumption, refuse)", k);
		return -1;
	}
	if (req->n == 0) {
		snprintf(err, errlen, "no change given (versions, ciphers, signature_hashes, curves, "
		    "session_resumption, refuse)");
		return -1;
	}
	return 0;
}

/* "radius": {"delay_ms": 0..60000, "drop_percent": 0..100, "down": bool}: the
 * RADIUS path's faults, all at once (an absent field is 0 / false). */
static int
api_radius_faults(json_t *v, struct api_faults_req *req, char *err, size_t errlen)
{
	const char *k;
	json_t *x;

	if (!json_is_object(v)) {
		snprintf(err, errlen, "field 'radius' must be an object (delay_ms, drop_percent, down)");
		return -1;
	}
	req->has_radius = 1;
	json_object_foreach(v, k, x) {
		json_int_t n = json_is_integer(x) ? json_integer_value(x) : -1;
		if (strcmp(k, "delay_ms") == 0) {
			if (n < 0 || n > 60000) {
				snprintf(err, errlen, "field 'radius.delay_ms' must be an integer 0..60000");
				return -1;
			}
			req->radius_delay_ms = (uint32_t)n;
		} else if (strcmp(k, "drop_percent") == 0) {
			if (n < 0 || n > 100) {
				snprintf(err, errlen, "field 'radius.drop_percent' must be an integer 0..100");
				return -1;
			}
			req->radius_drop_percent = (uint32_t)n;
		} else if (strcmp(k, "down") == 0) {
			if (!json_is_boolean(x)) {
				snprintf(err, errlen, "field 'radius.down' must be true or false");
				return -1;
			}
			req->radius_down = json_is_true(x);
		} else {
			snprintf(err, errlen, "unknown field 'radius.%.64s' (delay_ms, drop_percent, down)",
			    k);
			return -1;
		}
	}
	return 0;
}

int
api_faults_request(json_t *body, struct api_faults_req *req, char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	const char *action = NULL;
	char msg[256];

	memset(req, 0, sizeof(*req));
	req->action.kind = TLS_REFUSE_RESET;
	if (!json_is_object(body)) {
		snprintf(err, errlen, "body must be a JSON object");
		return -1;
	}
	json_object_foreach(body, k, v) {
		if (strcmp(k, "refuse_next") == 0) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
			if (n < 1 || n > API_REFUSE_MAX) {
				snprintf(err, errlen, "field 'refuse_next' must be an integer 1..%d",
				    API_REFUSE_MAX);
				return -1;
			}
			req->has_refuse = 1;
			req->refuse_next = (unsigned)n;
		} else if (strcmp(k, "action") == 0) {
			if (!json_is_string(v)) {
				snprintf(err, errlen, "field 'action' must be a string "
				    "(reset, fin, stall, alert:NAME)");
				return -1;
			}
			action = json_string_value(v);
		} else if (strcmp(k, "maintenance_ms") == 0) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
			if (n < 1 || n > (json_int_t)API_MAINT_MAX_MS) {
				snprintf(err, errlen, "field 'maintenance_ms' must be an integer 1..%u",
				    API_MAINT_MAX_MS);
				return -1;
			}
			req->has_maint = 1;
			req->maintenance_ms = (uint32_t)n;
		} else if (strcmp(k, "radius") == 0) {
			if (api_radius_faults(v, req, err, errlen) != 0)
				return -1;
		} else {
			snprintf(err, errlen, "unknown field '%.64s' (refuse_next, action, "
			    "maintenance_ms, radius)", k);
			return -1;
		}
	}
	if (action != NULL) {
		if (!req->has_refuse) {
			snprintf(err, errlen, "field 'action' needs 'refuse_next'");
			return -1;
		}
		if (val_refusal(action, &req->action, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "field 'action': %s", msg);
			return -1;
		}
		if (req->action.kind == TLS_REFUSE_ALERT && req->action.alert == TLS_ALERT_PER_RFC) {
			snprintf(err, errlen, "field 'action': an injected fault has no RFC alert; "
			    "name one (alert:handshake_failure)");
			return -1;
		}
	}
	if (!req->has_refuse && !req->has_maint && !req->has_radius) {
		snprintf(err, errlen, "no fault given (refuse_next with action, maintenance_ms, radius)");
		return -1;
	}
	return 0;
}

int
api_end_mode(const char *s, enum api_end_mode *out, char *err, size_t errlen)
{
	if (s == NULL || strcmp(s, "disconnect") == 0)
		*out = API_END_DISCONNECT;
	else if (strcmp(s, "abort") == 0)
		*out = API_END_ABORT;
	else if (strcmp(s, "reset") == 0)
		*out = API_END_RESET;
	else {
		snprintf(err, errlen, "unknown mode '%.64s' (disconnect, abort, reset)", s);
		return -1;
	}
	return 0;
}

const char *
api_end_mode_name(enum api_end_mode m)
{
	switch (m) {
	case API_END_DISCONNECT: return "disconnect";
	case API_END_ABORT:      return "abort";
	case API_END_RESET:      return "reset";
	}
	return "?";
}

int
api_session_id(const char *s, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i >= 16 || (i == 0 && s[i] == '0'))
			break;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || s[i] != '\0' || v > ((uint64_t)1 << 53)) {
		snprintf(err, errlen, "'%.64s' is not a session id (a positive integer)", s);
		return -1;
	}
	*out = v;
	return 0;
}

int
api_query_bool(const char *name, const char *s, int *out, char *err, size_t errlen)
{
	if (s == NULL || *s == '\0' || strcmp(s, "0") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "no") == 0)
		*out = 0;
	else if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
		*out = 1;
	else {
		snprintf(err, errlen, "query '%s' must be 1 or 0 (true/false), not '%.32s'", name, s);
		return -1;
	}
	return 0;
}

int
api_netfault_request(json_t *body, struct sc_netfault *f, char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	char text[64], msg[256];

	sc_netfault_init(f);
	if (!json_is_object(body)) {
		snprintf(err, errlen, "body must be a JSON object such as "
		    "{\"type\": \"latency\", \"latency\": \"200ms\", \"direction\": \"down\"}");
		return -1;
	}
	json_object_foreach(body, k, v) {
		if (json_is_string(v))
			snprintf(text, sizeof(text), "%s", json_string_value(v));
		else if (json_is_integer(v) && json_integer_value(v) >= 0)
			snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
		else {
			snprintf(err, errlen, "field '%.40s' must be a string or a whole number "
			    "(durations as \"200ms\", rates as \"1Mbit\")", k);
			return -1;
		}
		if (sc_netfault_set(f, k, text, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "field '%.40s': %s", k, msg);
			return -1;
		}
	}
	if (sc_netfault_check(f, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s", msg);
		return -1;
	}
	return 0;
}
