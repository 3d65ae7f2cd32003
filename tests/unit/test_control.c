/*
 * The control API end to end, without a TCP port: a server from server_new()
 * (which does not listen), a control from control_new() serving a UNIX
 * socket in the abstract namespace (control_listen_fd), and raw HTTP/1.1
 * requests written by the test. The server's event loop runs with
 * EVLOOP_NONBLOCK until the reply is complete; no sleeps. Status codes come
 * from the raw status line, bodies are parsed with jansson.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>

#include "app/server.h"
#include "control/control.h"

#define LOOP_CAP 5000

static char state_dir[] = "/tmp/p2sgw-test-control-XXXXXX";
static struct server *srv;

/* the control under test and the address of its socket */
static struct control *ctl;
static struct sockaddr_un ctl_addr;
static socklen_t ctl_addrlen;

struct reply {
	int     code;
	char    raw[65536];
	size_t  len;
	char   *body;   /* into raw */
	json_t *json;
};

/* A control with token (NULL: none) on a fresh abstract UNIX socket. */
static void
control_open(const char *token)
{
	char err[256];

	ctl = control_new(srv, token, err, sizeof(err));
	if (ctl == NULL)
		fail_msg("control_new: %s", err);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* autobind: a unique name in the abstract namespace, no file, no port */
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa_family_t)), 0);
	assert_int_equal(listen(fd, 16), 0);
	ctl_addrlen = sizeof(ctl_addr);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ctl_addr, &ctl_addrlen), 0);
	assert_true(ctl_addrlen > sizeof(sa_family_t));
	if (control_listen_fd(ctl, fd, err, sizeof(err)) != 0)
		fail_msg("control_listen_fd: %s", err);
}

static void
reply_free(struct reply *r)
{
	json_decref(r->json);
	r->json = NULL;
}

/* The value of header name in the reply, copied into buf, or NULL. */
static const char *
reply_header(const struct reply *r, const char *name, char *buf, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = strstr(r->raw, "\r\n");
	while (p != NULL && p + 2 < r->body - 2) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			const char *e = strstr(v, "\r\n");
			snprintf(buf, cap, "%.*s", (int)(e - v), v);
			return buf;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

/* One request on its own connection (Connection: close); the reply is read
 * to EOF while the server's loop runs. */
static void
request(const char *method, const char *path, const char *extra_headers, const char *body,
    struct reply *r)
{
	char req[8192];
	size_t blen = body ? strlen(body) : 0;

	memset(r, 0, sizeof(*r));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ctl_addr, ctl_addrlen), 0);
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\n%sContent-Length: %zu\r\n\r\n%s", method, path,
	    extra_headers ? extra_headers : "", blen, body ? body : "");
	assert_true(n > 0 && (size_t)n < sizeof(req));
	assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);

	int eof = 0;
	for (int i = 0; i < LOOP_CAP && !eof; i++) {
		assert_true(event_base_loop(server_base(srv), EVLOOP_NONBLOCK) >= 0);
		for (;;) {
			ssize_t k = recv(fd, r->raw + r->len, sizeof(r->raw) - 1 - r->len, 0);
			if (k > 0) {
				r->len += (size_t)k;
				assert_true(r->len < sizeof(r->raw) - 1);
				continue;
			}
			if (k == 0)
				eof = 1;
			else
				assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			break;
		}
	}
	close(fd);
	if (!eof)
		fail_msg("%s %s: no complete reply (%zu bytes)", method, path, r->len);
	r->raw[r->len] = '\0';

	/* the status code from the raw status line */
	if (sscanf(r->raw, "HTTP/1.1 %3d ", &r->code) != 1)
		fail_msg("%s %s: no status line in: %.200s", method, path, r->raw);
	char *sep = strstr(r->raw, "\r\n\r\n");
	assert_non_null(sep);
	r->body = sep + 4;
	char cl[32];
	assert_non_null(reply_header(r, "Content-Length", cl, sizeof(cl)));
	assert_int_equal(strtoul(cl, NULL, 10), strlen(r->body));
	json_error_t je;
	r->json = json_loads(r->body, 0, &je);
	if (r->json == NULL)
		fail_msg("%s %s: body is not JSON (%s): %.200s", method, path, je.text, r->body);
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("'%s' is not a string", key);
	return json_string_value(v);
}

static json_int_t
jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("'%s' is not an integer", key);
	return json_integer_value(v);
}

/* ---- fixture ------------------------------------------------------------- */

static int
group_setup(void **state)
{
	char err[1024];
	struct server_options opt = {
		.scenario = "azure-2018-tls12",
		.listen = "127.0.0.1:0",
		.log_format = EVLOG_JSON,
		.workers = 1,
	};

	if (mkdtemp(state_dir) == NULL)
		return -1;
	opt.state_dir = state_dir;
	srv = server_new(&opt, err, sizeof(err));
	if (srv == NULL) {
		fprintf(stderr, "server_new: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];
	server_free(srv, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
setup_open(void **state)
{
	control_open(NULL);
	return 0;
}

static int
setup_token(void **state)
{
	control_open("s3cret-token");
	return 0;
}

static int
teardown(void **state)
{
	control_stop(ctl);
	ctl = NULL;
	return 0;
}

/* ---- tests --------------------------------------------------------------- */

/* server_new listens nowhere: no workers, no CRL server for this scenario. */
static void
test_server_new_binds_nothing(void **state)
{
	assert_int_equal(server_workers(srv), 0);
	assert_string_equal(server_crl_address(srv), "");
	assert_string_equal(server_listen_address(srv), "");
}

static void
test_health(void **state)
{
	struct reply r;
	char ct[64];

	request("GET", "/health", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(jstr(r.json, "status"), "ok");
	assert_string_equal(reply_header(&r, "Content-Type", ct, sizeof(ct)), "application/json");
	reply_free(&r);
}

static void
test_status(void **state)
{
	struct reply r;
	const struct snapshot *cur = server_current(srv);

	request("GET", "/status", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(jstr(r.json, "scenario"), "azure-2018-tls12");
	assert_string_equal(jstr(r.json, "scenario"), cur->sc.name);
	assert_string_equal(jstr(r.json, "file"), cur->sc.path);
	assert_string_equal(jstr(r.json, "chain"), cur->sc.chain);
	assert_string_equal(jstr(r.json, "variant"), "valid");
	assert_string_equal(jstr(r.json, "root_file"), cur->chain.root_path);
	assert_string_equal(jstr(r.json, "root"), cur->chain.root_subject);
	assert_int_equal(access(jstr(r.json, "root_file"), R_OK), 0);
	assert_int_equal(jint(r.json, "policy_generation"), (json_int_t)cur->generation);
	const char *sha1 = jstr(r.json, "leaf_sha1");
	assert_int_equal(strlen(sha1), 40);
	assert_int_equal(strspn(sha1, "0123456789ABCDEF"), 40);
	char hex[3];
	snprintf(hex, sizeof(hex), "%02X", cur->chain.leaf_sha1[0]);
	assert_memory_equal(sha1, hex, 2);
	assert_int_equal(jint(r.json, "connections"), 0);
	assert_int_equal(jint(r.json, "half_open"), 0);
	assert_int_equal(jint(r.json, "accepted"), 0);
	assert_int_equal(jint(r.json, "refused"), 0);
	assert_int_equal(jint(r.json, "workers"), 0);
	reply_free(&r);
}

static void
test_unknown_path_404(void **state)
{
	struct reply r;

	request("GET", "/no/such/endpoint", NULL, NULL, &r);
	assert_int_equal(r.code, 404);
	assert_non_null(strstr(jstr(r.json, "error"), "unknown endpoint"));
	reply_free(&r);
	request("GET", "/statusx", NULL, NULL, &r); /* not a prefix match */
	assert_int_equal(r.code, 404);
	reply_free(&r);
}

static void
test_wrong_method_405(void **state)
{
	static const struct {
		const char *method, *path, *allow;
	} cases[] = {
		{ "POST", "/health", "GET" },
		{ "DELETE", "/status", "GET" },
		{ "GET", "/rotate", "POST" },
		{ "PUT", "/faults", "GET, POST, DELETE" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reply r;
		char allow[64], want[80];
		request(cases[i].method, cases[i].path, NULL, cases[i].method[0] == 'G' ? NULL : "{}",
		    &r);
		if (r.code != 405)
			fail_msg("%s %s: %d, want 405", cases[i].method, cases[i].path, r.code);
		assert_non_null(reply_header(&r, "Allow", allow, sizeof(allow)));
		assert_string_equal(allow, cases[i].allow);
		snprintf(want, sizeof(want), "use %s", cases[i].allow);
		assert_string_equal(jstr(r.json, "error"), want);
		reply_free(&r);
	}
}

static void
test_rotate_bad_body_400(void **state)
{
	static const struct {
		const char *body, *error; /* error: how the message starts */
	} cases[] = {
		{ "{\"chain\": ", "body is not JSON: " },
		{ "not json at all", "body is not JSON: " },
		{ "", "a JSON object body is required" },
		{ "[\"chain\"]", "body must be a JSON object" },
		{ "{\"chain\": \"a\", \"chain\": \"b\"}", "body is not JSON: " },
		{ "{\"colour\": \"red\"}", "unknown field 'colour' (chain, variant)" },
		{ "{\"chain\": 7}", "field 'chain' must be a string" },
		{ "{\"variant\": \"valid\"}", "field 'chain' is required" },
	};
	uint64_t gen = server_current(srv)->generation;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reply r;
		request("POST", "/rotate", "Content-Type: application/json\r\n", cases[i].body, &r);
		if (r.code != 400)
			fail_msg("body '%s': %d, want 400", cases[i].body, r.code);
		const char *e = jstr(r.json, "error");
		if (strncmp(e, cases[i].error, strlen(cases[i].error)) != 0)
			fail_msg("body '%s': error '%s', want '%s...'", cases[i].body, e, cases[i].error);
		reply_free(&r);
	}
	/* nothing was applied */
	assert_int_equal(server_current(srv)->generation, gen);
}

static void
test_token_required(void **state)
{
	static const char *const bad[] = {
		NULL,
		"Authorization: Bearer wrong-token\r\n",
		"Authorization: Bearer s3cret-toke\r\n",
		"Authorization: Bearer s3cret-token2\r\n",
		"Authorization: Basic s3cret-token\r\n",
		"Authorization: s3cret-token\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct reply r;
		char www[32];
		request("GET", "/status", bad[i], NULL, &r);
		if (r.code != 401)
			fail_msg("header '%s': %d, want 401", bad[i] ? bad[i] : "(none)", r.code);
		assert_string_equal(reply_header(&r, "WWW-Authenticate", www, sizeof(www)), "Bearer");
		assert_non_null(strstr(jstr(r.json, "error"), "Authorization: Bearer TOKEN"));
		assert_null(json_object_get(r.json, "scenario"));
		reply_free(&r);
	}
	/* even unknown endpoints and wrong methods answer 401 first */
	struct reply r;
	request("GET", "/no/such/endpoint", NULL, NULL, &r);
	assert_int_equal(r.code, 401);
	reply_free(&r);
	request("POST", "/faults", NULL, "{\"refuse_next\": 1}", &r);
	assert_int_equal(r.code, 401);
	reply_free(&r);
	struct server_faults f;
	server_faults(srv, &f);
	assert_int_equal(f.refuse_next, 0);

	request("GET", "/status", "Authorization: Bearer s3cret-token\r\n", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(jstr(r.json, "scenario"), "azure-2018-tls12");
	reply_free(&r);
	/* /health is not behind the token */
	request("GET", "/health", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	reply_free(&r);
}

static void
test_sessions_empty(void **state)
{
	struct reply r;

	request("GET", "/sessions", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(jint(r.json, "count"), 0);
	assert_int_equal(jint(r.json, "sstp_sessions"), 0);
	json_t *a = json_object_get(r.json, "sessions");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 0);
	reply_free(&r);

	request("GET", "/sessions/42", NULL, NULL, &r);
	assert_int_equal(r.code, 404);
	assert_true(json_is_string(json_object_get(r.json, "error")));
	reply_free(&r);
}

static void
assert_faults(json_t *o, json_int_t refuse_next, const char *action)
{
	assert_int_equal(jint(o, "refuse_next"), refuse_next);
	assert_string_equal(jstr(o, "action"), action);
}

static void
test_faults_set_get_clear(void **state)
{
	struct reply r;
	struct server_faults f;

	request("GET", "/faults", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_faults(r.json, 0, "reset");
	assert_int_equal(jint(r.json, "maintenance_ms_left"), 0);
	reply_free(&r);

	request("POST", "/faults", NULL, "{\"refuse_next\": 3, \"action\": \"alert:handshake_failure\"}",
	    &r);
	assert_int_equal(r.code, 200);
	assert_faults(r.json, 3, "alert:handshake_failure");
	reply_free(&r);

	request("GET", "/faults", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_faults(r.json, 3, "alert:handshake_failure");
	reply_free(&r);
	server_faults(srv, &f);
	assert_int_equal(f.refuse_next, 3);
	assert_int_equal(f.action.kind, TLS_REFUSE_ALERT);
	assert_int_equal(f.action.alert, 40);

	/* a maintenance window: no session to end */
	request("POST", "/faults", NULL, "{\"maintenance_ms\": 600000}", &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(jint(r.json, "sessions_ended"), 0);
	json_int_t left = jint(r.json, "maintenance_ms_left");
	assert_true(left > 590000 && left <= 600000);
	assert_faults(r.json, 3, "alert:handshake_failure"); /* the refusal stays */
	reply_free(&r);

	/* bad requests change nothing */
	request("POST", "/faults", NULL, "{\"refuse_next\": 0}", &r);
	assert_int_equal(r.code, 400);
	assert_non_null(strstr(jstr(r.json, "error"), "refuse_next"));
	reply_free(&r);
	request("POST", "/faults", NULL, "{\"refuse_next\": 1, \"action\": \"explode\"}", &r);
	assert_int_equal(r.code, 400);
	assert_non_null(strstr(jstr(r.json, "error"), "field 'action'"));
	reply_free(&r);
	server_faults(srv, &f);
	assert_int_equal(f.refuse_next, 3);

	request("DELETE", "/faults", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_faults(r.json, 0, "reset");
	assert_int_equal(jint(r.json, "maintenance_ms_left"), 0);
	reply_free(&r);

	request("GET", "/faults", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_faults(r.json, 0, "reset");
	assert_int_equal(jint(r.json, "maintenance_ms_left"), 0);
	reply_free(&r);
	server_faults(srv, &f);
	assert_int_equal(f.refuse_next, 0);
	assert_int_equal(f.maintenance_left_ms, 0);
}

/* control_start refuses a non-loopback address without a token before it
 * binds anything. */
static void
test_start_needs_token_off_loopback(void **state)
{
	char bound[64] = "", err[256] = "";
	struct control *c = control_start(srv, "192.0.2.1:8443", NULL, bound, sizeof(bound), err,
	    sizeof(err));
	assert_null(c);
	assert_non_null(strstr(err, "is not loopback: set a token"));
	c = control_start(srv, "192.0.2.1:8443", "", bound, sizeof(bound), err, sizeof(err));
	assert_null(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_new_binds_nothing),
		cmocka_unit_test_setup_teardown(test_health, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_path_404, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_method_405, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_bad_body_400, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_token_required, setup_token, teardown),
		cmocka_unit_test_setup_teardown(test_sessions_empty, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_faults_set_get_clear, setup_open, teardown),
		cmocka_unit_test(test_start_needs_token_off_loopback),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
