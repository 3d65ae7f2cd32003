/*
 * Network faults (docs/faults.md): one parser of their fields, from text,
 * for the control API (JSON scalars) and the timeline (YAML scalars).
 */
#include "config/scenario.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/values.h"

static const char *const type_names[SC_NF__COUNT] = {
	[SC_NF_LATENCY] = "latency", [SC_NF_BANDWIDTH] = "bandwidth", [SC_NF_LOSS] = "loss",
	[SC_NF_LIMIT_DATA] = "limit_data", [SC_NF_TIMEOUT] = "timeout",
	[SC_NF_RESET_PEER] = "reset_peer", [SC_NF_SLICER] = "slicer",
	[SC_NF_SLOW_CLOSE] = "slow_close",
};

const char *
sc_netfault_type_name(enum sc_nf_type t)
{
	return (unsigned)t < SC_NF__COUNT && type_names[t] ? type_names[t] : "?";
}

const char *
sc_netfault_dir_name(unsigned dir)
{
	return dir == SC_NF_UP ? "up" : dir == SC_NF_DOWN ? "down" : "both";
}

void
sc_netfault_init(struct sc_netfault *f)
{
	memset(f, 0, sizeof(*f));
	f->type = SC_NF__COUNT; /* not given yet */
	f->dir = SC_NF_UP | SC_NF_DOWN;
	f->share = 100;
}

#define DUR_MAX (24u * 3600 * 1000)

int
sc_netfault_set(struct sc_netfault *f, const char *key, const char *v, char *msg, size_t msglen)
{
	uint64_t n;
	uint8_t prefix;

	if (strcmp(key, "type") == 0) {
		for (int t = 0; t < SC_NF__COUNT; t++)
			if (strcasecmp(v, type_names[t]) == 0) {
				f->type = (enum sc_nf_type)t;
				return 0;
			}
		snprintf(msg, msglen, "unknown fault type '%.40s' (latency, bandwidth, loss, "
		    "limit_data, timeout, reset_peer, slicer, slow_close)", v);
		return -1;
	}
	if (strcmp(key, "direction") == 0) {
		if (strcasecmp(v, "up") == 0)
			f->dir = SC_NF_UP;
		else if (strcasecmp(v, "down") == 0)
			f->dir = SC_NF_DOWN;
		else if (strcasecmp(v, "both") == 0)
			f->dir = SC_NF_UP | SC_NF_DOWN;
		else {
			snprintf(msg, msglen, "direction '%.40s' is not up, down or both", v);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "share") == 0 || strcmp(key, "percent") == 0 ||
	    strcmp(key, "bytes") == 0) {
		uint64_t max = key[0] == 'b' ? (1ULL << 40) : 100;
		if (val_uint(v, key[0] == 'b' ? 1 : 0, max, &n, msg, msglen) != 0)
			return -1;
		if (key[0] == 's')
			f->share = (unsigned)n;
		else if (key[0] == 'p')
			f->percent = (unsigned)n;
		else
			f->bytes = n;
		return 0;
	}
	if (strcmp(key, "clients") == 0) {
		if (val_cidr(v, 0, 32, &f->net, &prefix, msg, msglen) != 0)
			return -1;
		f->mask = val_prefix_mask(prefix);
		f->has_clients = true;
		return 0;
	}
	if (strcmp(key, "rate") == 0)
		return val_rate(v, &f->rate, msg, msglen);
	uint32_t *ms = strcmp(key, "latency") == 0 ? &f->latency_ms :
	    strcmp(key, "jitter") == 0 ? &f->jitter_ms :
	    strcmp(key, "after") == 0 ? &f->after_ms :
	    strcmp(key, "gap") == 0 ? &f->gap_ms :
	    strcmp(key, "duration") == 0 ? &f->duration_ms : NULL;
	if (ms != NULL)
		return val_duration_ms(v, 0, DUR_MAX, ms, msg, msglen);
	snprintf(msg, msglen, "unknown field '%.40s' (type, direction, share, clients, duration, "
	    "latency, jitter, rate, percent, bytes, after, gap)", key);
	return -1;
}

int
sc_netfault_check(const struct sc_netfault *f, char *msg, size_t msglen)
{
	switch (f->type) {
	case SC_NF_LATENCY:
		if (f->latency_ms == 0 && f->jitter_ms == 0)
			break;
		if (f->jitter_ms > f->latency_ms) {
			snprintf(msg, msglen, "jitter (%u ms) may not exceed latency (%u ms)",
			    f->jitter_ms, f->latency_ms);
			return -1;
		}
		return 0;
	case SC_NF_BANDWIDTH:
		if (f->rate != 0)
			return 0;
		break;
	case SC_NF_LOSS:
		if (f->percent != 0)
			return 0;
		break;
	case SC_NF_LIMIT_DATA:
		if (f->bytes != 0)
			return 0;
		break;
	case SC_NF_TIMEOUT:
	case SC_NF_RESET_PEER:
	case SC_NF_SLOW_CLOSE:
		return 0; /* after 0: at once (timeout: stop forwarding, never close) */
	case SC_NF_SLICER:
		if (f->dir != SC_NF_DOWN) {
			snprintf(msg, msglen, "a slicer cuts what the gateway sends: direction down");
			return -1;
		}
		if (f->bytes >= 1 && f->bytes <= 16384)
			return 0;
		break;
	case SC_NF__COUNT:
		snprintf(msg, msglen, "a network fault needs a type (latency, bandwidth, loss, "
		    "limit_data, timeout, reset_peer, slicer, slow_close)");
		return -1;
	}
	static const char *const need[SC_NF__COUNT] = {
		[SC_NF_LATENCY] = "latency (and optionally jitter)", [SC_NF_BANDWIDTH] = "rate",
		[SC_NF_LOSS] = "percent (1..100)", [SC_NF_LIMIT_DATA] = "bytes",
		[SC_NF_SLICER] = "bytes (the size of a piece, 1..16384) and optionally gap",
	};
	snprintf(msg, msglen, "a %s fault needs %s", type_names[f->type], need[f->type]);
	return -1;
}
