#include "util/evlog.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static FILE *event_out;
static enum evlog_format event_fmt = EVLOG_JSON;

void
evlog_setup(FILE *out, enum evlog_format fmt)
{
	event_out = out;
	event_fmt = fmt;
}

json_t *
evlog_new(const char *type, uint64_t conn_id)
{
	struct timeval tv;
	struct tm tm;
	char ts[40];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", (long)(tv.tv_usec / 1000));

	json_t *ev = json_object();
	json_object_set_new(ev, "ts", json_string(ts));
	json_object_set_new(ev, "event", json_string(type));
	if (conn_id != 0)
		json_object_set_new(ev, "conn", json_integer((json_int_t)conn_id));
	return ev;
}

/* text form: "TS EVENT conn=N key=value key="value with spaces" ..." */
static void
emit_text(FILE *out, json_t *ev)
{
	const char *key;
	json_t *val;

	fprintf(out, "%s %s", json_string_value(json_object_get(ev, "ts")),
	    json_string_value(json_object_get(ev, "event")));
	json_object_foreach(ev, key, val) {
		if (strcmp(key, "ts") == 0 || strcmp(key, "event") == 0)
			continue;
		if (json_is_string(val)) {
			const char *s = json_string_value(val);
			if (strpbrk(s, " \"=") != NULL || *s == '\0') {
				char *q = json_dumps(val, JSON_ENCODE_ANY);
				fprintf(out, " %s=%s", key, q ? q : "\"\"");
				free(q);
			} else {
				fprintf(out, " %s=%s", key, s);
			}
		} else {
			char *d = json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
			fprintf(out, " %s=%s", key, d ? d : "?");
			free(d);
		}
	}
	fputc('\n', out);
}

void
evlog_emit(json_t *ev)
{
	if (ev == NULL)
		return;
	if (event_out != NULL) {
		flockfile(event_out);
		if (event_fmt == EVLOG_JSON) {
			json_dumpf(ev, event_out, JSON_COMPACT | JSON_PRESERVE_ORDER);
			fputc('\n', event_out);
		} else {
			emit_text(event_out, ev);
		}
		fflush(event_out);
		funlockfile(event_out);
	}
	json_decref(ev);
}
