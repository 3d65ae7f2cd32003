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

/* ---- history and subscribers ------------------------------------------- */

static struct {
	char   *line;
	size_t  len;
} ring[EVLOG_RING];
static size_t ring_head, ring_count; /* next slot to write; events kept */

static struct {
	evlog_sink fn;
	void      *arg;
} subs[EVLOG_MAX_SUBSCRIBERS];

int
evlog_subscribe(evlog_sink fn, void *arg)
{
	for (int i = 0; i < EVLOG_MAX_SUBSCRIBERS; i++) {
		if (subs[i].fn == NULL) {
			subs[i].fn = fn;
			subs[i].arg = arg;
			return i;
		}
	}
	return -1;
}

void
evlog_unsubscribe(int slot)
{
	if (slot >= 0 && slot < EVLOG_MAX_SUBSCRIBERS) {
		subs[slot].fn = NULL;
		subs[slot].arg = NULL;
	}
}

size_t
evlog_history(size_t max, evlog_sink fn, void *arg)
{
	size_t n = ring_count < max ? ring_count : max;
	size_t first = (ring_head + EVLOG_RING - n) % EVLOG_RING;
	for (size_t i = 0; i < n; i++) {
		size_t k = (first + i) % EVLOG_RING;
		fn(arg, ring[k].line, ring[k].len);
	}
	return n;
}

void
evlog_clear(void)
{
	for (size_t i = 0; i < EVLOG_RING; i++) {
		free(ring[i].line);
		ring[i].line = NULL;
	}
	ring_head = ring_count = 0;
}

static void
evlog_keep(json_t *ev)
{
	char *line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line == NULL)
		return; /* out of memory: the history misses one event */
	size_t len = strlen(line);
	free(ring[ring_head].line);
	ring[ring_head].line = line;
	ring[ring_head].len = len;
	ring_head = (ring_head + 1) % EVLOG_RING;
	if (ring_count < EVLOG_RING)
		ring_count++;
	for (int i = 0; i < EVLOG_MAX_SUBSCRIBERS; i++)
		if (subs[i].fn != NULL)
			subs[i].fn(subs[i].arg, line, len);
}

void
evlog_emit(json_t *ev)
{
	if (ev == NULL)
		return;
	evlog_keep(ev);
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
