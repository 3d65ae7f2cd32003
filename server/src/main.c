/*
 * p2sgw: command dispatch. Each command parses its own options; settings
 * come from options first, then P2SGW_* environment variables, then
 * defaults.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <jansson.h>

#include "app/package.h"
#include "app/server.h"
#include "cli/http_get.h"
#include "config/scenario.h"
#include "control/control.h"
#include "net/worker.h"
#include "pki/pki.h"
#include "util/evlog.h"
#include "util/log.h"

#define DEFAULT_SCENARIO "azure-2018-tls12"
#define DEFAULT_LISTEN   "0.0.0.0:443"
#define DEFAULT_CONTROL  "127.0.0.1:8444"
#define DEFAULT_STATE    "/var/lib/p2sgw"

static const char usage_text[] =
    "usage: p2sgw COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  serve   [--scenario NAME|FILE] [--listen ADDR:PORT] [--control ADDR:PORT]\n"
    "          [--state-dir DIR] [--log-format text|json] [--workers N]\n"
    "          run the gateway; prints 'READY listen=ADDR:PORT control=ADDR:PORT workers=N'\n"
    "          (and ' crl=ADDR:PORT' when the scenario has a CRL distribution point)\n"
    "  check   --scenario NAME|FILE       validate a scenario and exit\n"
    "  pki     create [--state-dir DIR] [--scenario NAME|FILE] [--all]\n"
    "          create the lab PKI for a scenario, or every profile and variant\n"
    "  pki     show [--state-dir DIR] [PROFILE]\n"
    "          print subjects, issuers, validity and thumbprints\n"
    "  package --out FILE.zip [--scenario NAME|FILE] [--state-dir DIR]\n"
    "          [--vpn-type sstp|ikev2-sstp] [--schema single|list]\n"
    "          the VPN client configuration package for the scenario's chain\n"
    "  health  [--control ADDR:PORT]      exit 0 when the gateway answers\n"
    "  report  [--control ADDR:PORT] [--format table|csv|json] [--fails ERA] [--passes ERA]\n"
    "          [--outcome O] [--rehearsal R] [--addr CIDR] [--sni S] [--label TEXT]\n"
    "          the rehearsal report of a running gateway (GET /report, /report.csv)\n"
    "  version                            print the version\n"
    "\n"
    "environment: P2SGW_SCENARIO, P2SGW_LISTEN, P2SGW_CONTROL, P2SGW_STATE_DIR,\n"
    "P2SGW_LOG_FORMAT, P2SGW_TOKEN, P2SGW_WORKERS (default: one per CPU), and the\n"
    "scenario overrides in docs/scenarios.md\n";

static const char *
setting(const char *opt, const char *env, const char *def)
{
	if (opt != NULL)
		return opt;
	const char *e = getenv(env);
	return e != NULL && *e != '\0' ? e : def;
}

static int usage_error(const char *fmt, ...) P2SGW_PRINTF(1, 2);

static int
usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "p2sgw: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n\n%s", usage_text);
	va_end(ap);
	return 2;
}

enum { OPT_SCENARIO = 1, OPT_LISTEN, OPT_CONTROL, OPT_STATE, OPT_LOGFMT, OPT_ALL, OPT_VERBOSE,
	OPT_OUT, OPT_WORKERS, OPT_VPNTYPE, OPT_SCHEMA, OPT_FORMAT, OPT_FILTER };

static const struct option long_opts[] = {
	{ "scenario", required_argument, NULL, OPT_SCENARIO },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "log-format", required_argument, NULL, OPT_LOGFMT },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "vpn-type", required_argument, NULL, OPT_VPNTYPE },
	{ "schema", required_argument, NULL, OPT_SCHEMA },
	{ "format", required_argument, NULL, OPT_FORMAT },
	/* report filters: the query parameters of GET /report */
	{ "fails", required_argument, NULL, OPT_FILTER },
	{ "passes", required_argument, NULL, OPT_FILTER },
	{ "outcome", required_argument, NULL, OPT_FILTER },
	{ "rehearsal", required_argument, NULL, OPT_FILTER },
	{ "addr", required_argument, NULL, OPT_FILTER },
	{ "sni", required_argument, NULL, OPT_FILTER },
	{ "label", required_argument, NULL, OPT_FILTER },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cli {
	const char *scenario, *listen, *control, *state_dir, *log_format, *out, *workers, *vpn_type,
	           *schema, *format;
	char query[1024];   /* the report filters as a query string */
	int all;
	int nargs;
	char **args;
};

/* Parse the options of a command; allowed is a string of OPT_* values. */
static int
parse_cli(int argc, char **argv, const char *allowed, struct cli *cli)
{
	int ch;
	memset(cli, 0, sizeof(*cli));
	optind = 1;
	opterr = 0;
	int li;
	while ((ch = getopt_long(argc, argv, "h", long_opts, &li)) != -1) {
		if (ch == 'h') {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (ch == '?' || ch == ':' || strchr(allowed, ch) == NULL)
			return usage_error("%s: unknown or misplaced option", argv[optind - 1]);
		switch (ch) {
		case OPT_SCENARIO: cli->scenario = optarg; break;
		case OPT_LISTEN: cli->listen = optarg; break;
		case OPT_CONTROL: cli->control = optarg; break;
		case OPT_STATE: cli->state_dir = optarg; break;
		case OPT_LOGFMT: cli->log_format = optarg; break;
		case OPT_ALL: cli->all = 1; break;
		case OPT_VERBOSE: log_set_verbose(1); break;
		case OPT_OUT: cli->out = optarg; break;
		case OPT_WORKERS: cli->workers = optarg; break;
		case OPT_VPNTYPE: cli->vpn_type = optarg; break;
		case OPT_SCHEMA: cli->schema = optarg; break;
		case OPT_FORMAT: cli->format = optarg; break;
		case OPT_FILTER: {
			char *v = evhttp_encode_uri(optarg);
			size_t o = strlen(cli->query);
			int n = v ? snprintf(cli->query + o, sizeof(cli->query) - o, "%s%s=%s",
			    o ? "&" : "", long_opts[li].name, v) : -1;
			free(v);
			if (n < 0 || (size_t)n >= sizeof(cli->query) - o)
				return usage_error("--%s: too long", long_opts[li].name);
			break;
		}
		}
	}
	cli->nargs = argc - optind;
	cli->args = argv + optind;
	return 0;
}

/* The gateway, its control API on top, READY once both listen. */
static int
serve(const struct server_options *o, const char *control, const char *token)
{
	char err[1024], control_at[64], crl[80] = "";
	struct control *ctl = NULL;
	int ran = 0;

	struct server *s = server_new(o, err, sizeof(err));
	if (s == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	if ((ctl = control_start(s, control, token, control_at, sizeof(control_at), err,
	    sizeof(err))) == NULL || server_listen(s, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto done;
	}
	if (*server_crl_address(s) != '\0')
		snprintf(crl, sizeof(crl), " crl=%s", server_crl_address(s));
	printf("READY listen=%s control=%s workers=%u%s", server_listen_address(s), control_at,
	    server_workers(s), crl);
	/* the scenario's listeners: listener.NAME=ADDR:PORT */
	struct snapshot *snap = server_snapshot(s);
	for (unsigned k = 1; server_listener_address(s, k) != NULL; k++)
		printf(" listener.%s=%s", snap->sc.listeners[k - 1].name,
		    server_listener_address(s, k));
	snapshot_unref(snap);
	printf("\n");
	fflush(stdout);
	server_run(s);
	ran = 1;
done:
	server_shutdown(s);
	control_stop(ctl);
	server_free(s, ran);
	return ran ? 0 : 1;
}

static int
cmd_serve(int argc, char **argv)
{
	static const char allowed[] = { OPT_SCENARIO, OPT_LISTEN, OPT_CONTROL, OPT_STATE,
		OPT_LOGFMT, OPT_VERBOSE, OPT_WORKERS, 0 };
	struct cli cli;
	struct server_options o;
	char err[200];
	int rc;

	if ((rc = parse_cli(argc, argv, allowed, &cli)) != 0)
		return rc;
	if (cli.nargs != 0)
		return usage_error("serve: unexpected argument '%s'", cli.args[0]);
	memset(&o, 0, sizeof(o));
	o.scenario = setting(cli.scenario, "P2SGW_SCENARIO", DEFAULT_SCENARIO);
	o.listen = setting(cli.listen, "P2SGW_LISTEN", DEFAULT_LISTEN);
	const char *control = setting(cli.control, "P2SGW_CONTROL", DEFAULT_CONTROL);
	o.state_dir = setting(cli.state_dir, "P2SGW_STATE_DIR", DEFAULT_STATE);
	const char *fmt = setting(cli.log_format, "P2SGW_LOG_FORMAT", "json");
	if (strcmp(fmt, "json") == 0)
		o.log_format = EVLOG_JSON;
	else if (strcmp(fmt, "text") == 0)
		o.log_format = EVLOG_TEXT;
	else
		return usage_error("--log-format: '%s' is neither text nor json", fmt);
	if (workers_count(setting(cli.workers, "P2SGW_WORKERS", NULL), &o.workers, err,
	    sizeof(err)) != 0)
		return usage_error("%s", err);
	evlog_setup(stdout, o.log_format);
	return serve(&o, control, getenv("P2SGW_TOKEN"));
}

/* Load and validate a scenario (file:line:column errors on stderr). */
static int
load_scenario(const char *name, struct scenario *sc)
{
	char path[512], err[1024];
	if (scenario_resolve(name, path, sizeof(path), err, sizeof(err)) != 0 ||
	    scenario_load(path, true, sc, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

/* "650Mbit" from bytes per second, "none" for 0. */
static const char *
rate_text(uint64_t bytes_per_s, char *buf, size_t len)
{
	uint64_t bits = bytes_per_s * 8;
	if (bytes_per_s == 0)
		snprintf(buf, len, "none");
	else if (bits % 1000000000 == 0)
		snprintf(buf, len, "%lluGbit", (unsigned long long)(bits / 1000000000));
	else if (bits >= 1000000000)
		snprintf(buf, len, "%.3gGbit", (double)bits / 1e9);
	else if (bits % 1000000 == 0)
		snprintf(buf, len, "%lluMbit", (unsigned long long)(bits / 1000000));
	else
		snprintf(buf, len, "%.3fMbit", (double)bits / 1e6);
	return buf;
}

/* What gateway.sku expanded to, and what the scenario set over it. */
static void
print_sku(const struct scenario *sc)
{
	const struct sc_sku_info *k = sc_sku_info(sc->sku);
	char a[32], b[32];
	if (k == NULL)
		return;
	printf("gateway.sku %s (%s):\n", k->name, k->source);
	printf("  sstp.max_sessions %u%s", sc->sstp_max_sessions, sc->max_sessions_set ? "" : "\n");
	if (sc->max_sessions_set)
		printf(" (set in the scenario; %s has %u)\n", k->name, k->sstp_sessions);
	printf("  sstp.throughput %s in each direction, all tunnels together%s",
	    rate_text(sc->throughput_bps, a, sizeof(a)), sc->throughput_set ? "" : "\n");
	if (sc->throughput_set)
		printf(" (set in the scenario; %s has %s)\n", k->name,
		    rate_text(k->throughput_bps, b, sizeof(b)));
	printf("  RADIUS authentication: %s\n", k->radius ? "allowed" : "refused");
}

static int
cmd_check(int argc, char **argv)
{
	static const char allowed[] = { OPT_SCENARIO, 0 };
	struct cli cli;
	int rc;

	if ((rc = parse_cli(argc, argv, allowed, &cli)) != 0)
		return rc;
	if (cli.scenario == NULL && cli.nargs == 1)
		cli.scenario = cli.args[0];
	else if (cli.nargs != 0)
		return usage_error("check: unexpected argument '%s'", cli.args[0]);
	if (cli.scenario == NULL)
		return usage_error("%s", "check: --scenario NAME|FILE is required");

	struct scenario *sc = malloc(sizeof(*sc));
	if (sc == NULL || load_scenario(cli.scenario, sc) != 0) {
		free(sc);
		return 1;
	}
	printf("ok %s (%s)\n", sc->name, sc->path);
	print_sku(sc);
	free(sc);
	return 0;
}

static int
pki_create_one(const char *state_dir, const struct scenario *sc, const char *chain,
    enum pki_variant variant, time_t now)
{
	struct pki_profile profile;
	struct pki_leaf_request req;
	struct pki_chain out;
	char err[1024];

	if (profile_load_by_name(chain, &profile, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.hostname = sc->hostname;
	req.variant = variant;
	req.key_set = sc->leaf_key_set;
	req.key = sc->leaf_key;
	req.clock = scenario_clock(sc, now);
	pki_chain_init(&out);
	int rc = pki_ensure(state_dir, &profile, &req, &out, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	else
		printf("%-28s %-22s %s\n", chain, pki_variant_name(variant), out.chain_path);
	pki_chain_free(&out);
	return rc;
}

static int
cmd_pki(int argc, char **argv)
{
	static const char allowed[] = { OPT_SCENARIO, OPT_STATE, OPT_ALL, 0 };
	struct cli cli;
	char err[1024];
	int rc;

	if (argc < 2)
		return usage_error("%s", "pki: say 'create' or 'show'");
	const char *sub = argv[1];
	if ((rc = parse_cli(argc - 1, argv + 1, allowed, &cli)) != 0)
		return rc;
	const char *state_dir = setting(cli.state_dir, "P2SGW_STATE_DIR", DEFAULT_STATE);

	if (strcmp(sub, "show") == 0) {
		if (cli.nargs > 1)
			return usage_error("pki show: unexpected argument '%s'", cli.args[1]);
		if (pki_show(stdout, state_dir, cli.nargs ? cli.args[0] : NULL, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		return 0;
	}
	if (strcmp(sub, "create") != 0)
		return usage_error("pki: unknown subcommand '%s' (create, show)", sub);
	if (cli.nargs != 0)
		return usage_error("pki create: unexpected argument '%s'", cli.args[0]);

	struct scenario *sc = malloc(sizeof(*sc));
	if (sc == NULL || load_scenario(setting(cli.scenario, "P2SGW_SCENARIO", DEFAULT_SCENARIO), sc) != 0) {
		free(sc);
		return 1;
	}
	time_t now = time(NULL);
	rc = 0;
	if (!cli.all) {
		rc = pki_create_one(state_dir, sc, sc->chain, sc->variant, now);
	} else {
		char names[64][64];
		int n = profile_list(names, 64, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "%s\n", err);
			rc = -1;
		}
		for (int i = 0; i < n && rc == 0; i++) {
			struct pki_profile p;
			if (profile_load_by_name(names[i], &p, err, sizeof(err)) != 0) {
				fprintf(stderr, "%s\n", err);
				rc = -1;
				break;
			}
			int last = p.purpose == PKI_PURPOSE_CLIENT ? PKI_VARIANT_VALID
			                                           : PKI_VARIANT_NO_SERVER_AUTH_EKU;
			for (int v = PKI_VARIANT_VALID; v <= last && rc == 0; v++)
				rc = pki_create_one(state_dir, sc, names[i], (enum pki_variant)v, now);
		}
	}
	free(sc);
	return rc == 0 ? 0 : 1;
}

static int
cmd_package(int argc, char **argv)
{
	static const char allowed[] = { OPT_SCENARIO, OPT_STATE, OPT_OUT, OPT_VPNTYPE, OPT_SCHEMA, 0 };
	struct cli cli;
	struct pki_profile profile;
	struct pki_leaf_request req;
	struct pki_chain chain;
	char err[1024], gid[PKI_GATEWAY_ID_LEN + 1];
	int rc;

	if ((rc = parse_cli(argc, argv, allowed, &cli)) != 0)
		return rc;
	if (cli.nargs != 0)
		return usage_error("package: unexpected argument '%s'", cli.args[0]);
	if (cli.out == NULL)
		return usage_error("%s", "package: --out FILE.zip is required");
	int vpn_type = PKG_VPN_SSTP;
	if (cli.vpn_type != NULL && strcmp(cli.vpn_type, "ikev2-sstp") == 0)
		vpn_type = PKG_VPN_IKEV2_SSTP;
	else if (cli.vpn_type != NULL && strcmp(cli.vpn_type, "sstp") != 0)
		return usage_error("package: --vpn-type must be sstp or ikev2-sstp, not '%s'",
		    cli.vpn_type);
	int list_schema = cli.schema != NULL && strcmp(cli.schema, "list") == 0;
	if (cli.schema != NULL && !list_schema && strcmp(cli.schema, "single") != 0)
		return usage_error("package: --schema must be single or list, not '%s'", cli.schema);
	const char *state_dir = setting(cli.state_dir, "P2SGW_STATE_DIR", DEFAULT_STATE);
	struct scenario *sc = malloc(sizeof(*sc));
	if (sc == NULL || load_scenario(setting(cli.scenario, "P2SGW_SCENARIO", DEFAULT_SCENARIO), sc) != 0) {
		free(sc);
		return 1;
	}
	pki_chain_init(&chain);
	memset(&req, 0, sizeof(req));
	req.hostname = sc->hostname;
	req.variant = sc->variant;
	req.key_set = sc->leaf_key_set;
	req.key = sc->leaf_key;
	req.clock = scenario_clock(sc, time(NULL));
	rc = 1;
	if (profile_load_by_name(sc->chain, &profile, err, sizeof(err)) == 0 &&
	    pki_ensure(state_dir, &profile, &req, &chain, err, sizeof(err)) == 0 &&
	    pki_gateway_id(state_dir, 1, gid, err, sizeof(err)) == 0) {
		struct package_input in = { .sc = sc, .chain = &chain, .gateway_id = gid,
			.vpn_type = vpn_type, .list_schema = list_schema };
		if (package_write_file(&in, cli.out, err, sizeof(err)) == 0) {
			printf("%s: package for %s (chain %s, root %s)\n", cli.out, sc->hostname, sc->chain,
			    chain.root_subject);
			rc = 0;
		}
	}
	if (rc != 0)
		fprintf(stderr, "p2sgw: %s\n", err);
	pki_chain_free(&chain);
	free(sc);
	return rc;
}

static int
cmd_health(int argc, char **argv)
{
	static const char allowed[] = { OPT_CONTROL, 0 };
	struct cli cli;
	char err[512];
	int rc;

	if ((rc = parse_cli(argc, argv, allowed, &cli)) != 0)
		return rc;
	const char *addr = setting(cli.control, "P2SGW_CONTROL", DEFAULT_CONTROL);
	if (control_health_check(addr, getenv("P2SGW_TOKEN"), 3000, err, sizeof(err)) != 0) {
		fprintf(stderr, "p2sgw: not healthy: %s\n", err);
		return 1;
	}
	printf("healthy\n");
	return 0;
}

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* p2sgw report: GET /report as a table, or /report.csv and
 * /report?format=json as they are, with the same filters. */
static int
cmd_report(int argc, char **argv)
{
	static const char allowed[] = { OPT_CONTROL, OPT_FORMAT, OPT_FILTER, 0 };
	static const char *const eras[][2] = {
		{ "pre-2018", "era_pre2018" }, { "2018", "era_2018" }, { "2024", "era_2024" },
	};
	struct cli cli;
	char err[1024], path[1200], client[160];
	char *body;
	int rc;

	if ((rc = parse_cli(argc, argv, allowed, &cli)) != 0)
		return rc;
	if (cli.nargs > 0)
		return usage_error("report: unexpected argument '%s'", cli.args[0]);
	const char *format = cli.format ? cli.format : "table";
	int table = strcmp(format, "table") == 0;
	if (!table && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return usage_error("report: --format %s: use table, csv or json", format);
	const char *q = cli.query;
	if (strcmp(format, "csv") == 0)
		snprintf(path, sizeof(path), "/report.csv%s%s", *q ? "?" : "", q);
	else
		snprintf(path, sizeof(path), "/report?format=json%s%s", *q ? "&" : "", q);
	const char *addr = setting(cli.control, "P2SGW_CONTROL", DEFAULT_CONTROL);
	if (control_get(addr, getenv("P2SGW_TOKEN"), path, 30000, &body, err, sizeof(err)) != 0) {
		fprintf(stderr, "p2sgw: report: %s\n", err);
		return 1;
	}
	if (!table) {
		fputs(body, stdout);
		free(body);
		return ferror(stdout) ? 1 : 0;
	}
	json_error_t je;
	json_t *r = json_loads(body, 0, &je);
	free(body);
	const json_t *rows = json_object_get(r, "rows");
	if (!json_is_array(rows)) {
		fprintf(stderr, "p2sgw: report: not a report: %s\n", je.text);
		json_decref(r);
		return 1;
	}
	const json_t *sum = json_object_get(r, "summary");
	size_t i;
	json_t *v;
	printf("%lld clients, %lld shown; scenario %s, chain %s, policy generation %lld\n",
	    (long long)json_integer_value(json_object_get(sum, "clients")),
	    (long long)json_integer_value(json_object_get(sum, "matched")), jstr(r, "scenario"),
	    jstr(r, "chain"), (long long)json_integer_value(json_object_get(r, "policy_generation")));
	json_array_foreach(json_object_get(sum, "headline"), i, v)
		printf("%s\n", json_string_value(v));
	printf("\n%-44s %-36s %-8s %-4s %-4s %-22s %s\n", "CLIENT (address sni)", "LOOKS LIKE",
	    "PRE-2018", "2018", "2024", "LAST OUTCOME", "REHEARSAL");
	json_array_foreach(rows, i, v) {
		snprintf(client, sizeof(client), "%s %s", jstr(v, "address"),
		    jstr(v, "sni")[0] ? jstr(v, "sni") : "-");
		printf("%-44s %-36.36s %-8s %-4s %-4s %-22s %s\n", client, jstr(v, "label"),
		    jstr(v, eras[0][1]), jstr(v, eras[1][1]), jstr(v, eras[2][1]),
		    jstr(v, "last_outcome"), jstr(v, "rehearsal"));
		/* under a client, each era it fails: why, and what to change */
		for (int e = 0; e < 3; e++) {
			char col[32];
			if (strcmp(jstr(v, eras[e][1]), "fail") != 0)
				continue;
			snprintf(col, sizeof(col), "%s_why", eras[e][1]);
			printf("    %s\n", jstr(v, col));
			snprintf(col, sizeof(col), "%s_fix", eras[e][1]);
			if (jstr(v, col)[0])
				printf("      fix: %s\n", jstr(v, col));
		}
	}
	if (json_array_size(rows) == 0)
		printf("(no clients)\n");
	json_decref(r);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("%s", "no command given");
	const char *cmd = argv[1];
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "pki") == 0)
		return cmd_pki(argc - 1, argv + 1);
	if (strcmp(cmd, "health") == 0)
		return cmd_health(argc - 1, argv + 1);
	if (strcmp(cmd, "package") == 0)
		return cmd_package(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("p2sgw %s\n", P2SGW_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	return usage_error("unknown command '%s'", cmd);
}
