/*
 * Fuzz target: the bytes are a control API request body (PUT /policy,
 * POST /faults) and, as a string, a path or query value (session id,
 * DELETE mode, follow flag). Drives the same pure parsers the handlers run,
 * and for a well-formed policy body the scenario loader entry point
 * (scenario_override) over the built-in defaults.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/scenario.h"
#include "control/api_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libfyaml.so\n";
}

static void
body(const uint8_t *data, size_t size)
{
	char err[1200];
	json_t *j;

	err[0] = '\0';
	if (api_body_parse((const char *)data, size, &j, err, sizeof(err)) != 0) {
		if (j != NULL || err[0] == '\0')
			__builtin_trap();
		return;
	}
	struct api_policy_req *pr = malloc(sizeof(*pr));
	struct scenario *sc = malloc(sizeof(*sc));
	if (pr == NULL || sc == NULL)
		abort();
	err[0] = '\0';
	if (api_policy_request(j, pr, err, sizeof(err)) == 0) {
		if (pr->n == 0 || pr->n > API_POLICY_KEYS)
			__builtin_trap();
		scenario_defaults(sc);
		struct scenario before = *sc;
		err[0] = '\0';
		if (scenario_override(sc, "fuzz", pr->ov, pr->n, err, sizeof(err)) == 0) {
			if (sc->n_suites == 0 || sc->n_suites > SC_MAX_SUITES ||
			    sc->suites[sc->n_suites] != 0 || sc->min_minor < 1 || sc->max_minor > 3 ||
			    sc->min_minor > sc->max_minor)
				__builtin_trap();
		} else if (err[0] == '\0' || memcmp(&before, sc, sizeof(before)) != 0) {
			__builtin_trap(); /* failures say why and change nothing */
		}
	} else if (err[0] == '\0') {
		__builtin_trap();
	}
	struct api_faults_req fr;
	err[0] = '\0';
	if (api_faults_request(j, &fr, err, sizeof(err)) == 0) {
		if ((!fr.has_refuse && !fr.has_maint && !fr.has_radius) ||
		    (fr.has_refuse && (fr.refuse_next < 1 || fr.refuse_next > API_REFUSE_MAX)) ||
		    (fr.has_maint && (fr.maintenance_ms < 1 || fr.maintenance_ms > API_MAINT_MAX_MS)) ||
		    (fr.has_radius && (fr.radius_delay_ms > 60000 || fr.radius_drop_percent > 100 ||
		    (fr.radius_down != 0 && fr.radius_down != 1))))
			__builtin_trap();
	} else if (err[0] == '\0') {
		__builtin_trap();
	}
	struct sc_netfault nf;
	err[0] = '\0';
	if (api_netfault_request(j, &nf, err, sizeof(err)) == 0) {
		char msg[256];
		/* accepted means complete, in range, and with a known type */
		if (sc_netfault_check(&nf, msg, sizeof(msg)) != 0 || nf.type >= SC_NF__COUNT ||
		    nf.share > 100 || nf.percent > 100 || nf.dir == 0 || nf.dir > 3 ||
		    nf.jitter_ms > nf.latency_ms || (nf.has_clients && (nf.net & ~nf.mask) != 0))
			__builtin_trap();
	} else if (err[0] == '\0') {
		__builtin_trap();
	}
	free(sc);
	free(pr);
	json_decref(j);
}

static void
strings(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[300];
	enum api_end_mode m;
	uint64_t id;
	int b;

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (api_end_mode(s, &m, err, sizeof(err)) == 0 && strcmp(api_end_mode_name(m), s) != 0)
		__builtin_trap();
	if (api_session_id(s, &id, err, sizeof(err)) == 0 && (id == 0 || id > (uint64_t)1 << 53))
		__builtin_trap();
	(void)api_query_bool("follow", s, &b, err, sizeof(err));
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	body(data, size);
	strings(data, size);
	return 0;
}
