/*
 * GET /policy: the TLS policy of the current snapshot.
 * PUT /policy: change it for new connections (established ones keep theirs),
 * through the scenario loader's value parsers and checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>

#include "config/values.h"
#include "control/control_int.h"
#include "tls/tls_names.h"

void
ctl_tls_lists(int min_minor, int max_minor, const int *suites, json_t **versions,
    json_t **ciphers)
{
	char buf[40];

	*versions = json_array();
	*ciphers = json_array();
	for (int m = min_minor; m <= max_minor; m++) {
		snprintf(buf, sizeof(buf), "tls1.%d", m - 1);
		json_array_append_new(*versions, json_string(buf));
	}
	for (size_t i = 0; suites[i] != 0; i++) {
		const char *n = tls_suite_name((uint16_t)suites[i]);
		if (n == NULL) {
			snprintf(buf, sizeof(buf), "0x%04x", (unsigned)suites[i]);
			n = buf;
		}
		json_array_append_new(*ciphers, json_string(n));
	}
}

static json_t *
policy_json(const struct snapshot *snap)
{
	const struct scenario *sc = &snap->sc;
	json_t *v, *ci, *h = json_array(), *cu = json_array();

	ctl_tls_lists(sc->min_minor, sc->max_minor, sc->suites, &v, &ci);
	for (size_t i = 0; i < SC_MAX_HASHES && sc->sig_hashes[i] != MBEDTLS_MD_NONE; i++)
		json_array_append_new(h, json_string(val_md_name(sc->sig_hashes[i])));
	for (size_t i = 0; i < SC_MAX_CURVES && sc->curves[i] != MBEDTLS_ECP_DP_NONE; i++) {
		const mbedtls_ecp_curve_info *inf = mbedtls_ecp_curve_info_from_grp_id(sc->curves[i]);
		json_array_append_new(cu, json_string(inf ? inf->name : "?"));
	}
	char a[40], b[40], c[40], d[40];
	return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:b, s:{s:s, s:s, s:s, s:s}}",
	    "scenario", sc->name, "policy_generation", (json_int_t)snap->generation,
	    "versions", v, "ciphers", ci, "signature_hashes", h, "curves", cu,
	    "session_resumption", sc->session_resumption,
	    "refuse",
	    "version", refusal_name(&sc->refuse_version, a, sizeof(a)),
	    "cipher", refusal_name(&sc->refuse_cipher, b, sizeof(b)),
	    "malformed", refusal_name(&sc->refuse_malformed, c, sizeof(c)),
	    "too_large", refusal_name(&sc->refuse_too_large, d, sizeof(d)));
}

static void
put_policy(struct control *ctl, struct evhttp_request *req)
{
	struct api_policy_req *pr = NULL;
	struct scenario *sc = NULL;
	char err[1200];

	json_t *body = ctl_body(req);
	if (body == NULL)
		return;
	pr = malloc(sizeof(*pr));
	sc = malloc(sizeof(*sc));
	if (pr == NULL || sc == NULL) {
		ctl_reply_error(req, 500, "out of memory");
		goto done;
	}
	if (api_policy_request(body, pr, err, sizeof(err)) != 0) {
		ctl_reply_error(req, 400, "%s", err);
		goto done;
	}
	*sc = server_current(ctl->srv)->sc;
	if (scenario_override(sc, "PUT /policy", pr->ov, pr->n, err, sizeof(err)) != 0) {
		ctl_reply_error(req, 400, "%s", err);
		goto done;
	}
	if (server_apply(ctl->srv, sc, "policy", err, sizeof(err)) != 0) {
		ctl_reply_error(req, 500, "%s", err);
		goto done;
	}
	ctl_reply_json(req, 200, policy_json(server_current(ctl->srv)));
done:
	free(sc);
	free(pr);
	json_decref(body);
}

void
ctl_policy(struct control *ctl, struct evhttp_request *req)
{
	if (!ctl_method(req, EVHTTP_REQ_GET | EVHTTP_REQ_PUT, "GET, PUT"))
		return;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET)
		ctl_reply_json(req, 200, policy_json(server_current(ctl->srv)));
	else
		put_policy(ctl, req);
}
