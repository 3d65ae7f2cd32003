#include "util/evlog.h"

#include <pthread.h>
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
	if (out != NULL)
		setvbuf(out, NULL, _IOFBF, 1 << 16); /* flushed by evlog_pump or per event */
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

/*
 * Events come from every worker thread; one mutex orders them. Subscribers
 * are fed by evlog_pump() on the thread that owns them (the control API's),
 * which the notify hook schedules; without a hook they are fed at once.
 */
static pthread_mutex_t evlog_mu = PTHREAD_MUTEX_INITIALIZER;

static struct {
	char   *line;
	size_t  len;
} ring[EVLOG_RING];
static uint64_t ring_seq;   /* events kept so far; the next one gets this number */
static uint64_t pumped_seq; /* ring_seq at the last pump */
static size_t   ring_count; /* events in the ring */

static struct {
	evlog_sink fn;
	void      *arg;
	uint64_t   next;       /* sequence number of the next event to hand over */
} subs[EVLOG_MAX_SUBSCRIBERS];
static int nsubs;

static void (*pump_notify)(void);
static int pump_pending;     /* subscribers or the output stream wait for a pump */
static int out_dirty;        /* event_out has lines not flushed yet */

void
evlog_set_notify(void (*fn)(void))
{
	pthread_mutex_lock(&evlog_mu);
	pump_notify = fn;
	if (out_dirty && event_out != NULL)
		fflush(event_out);
	out_dirty = 0;
	pump_pending = 0;
	pthread_mutex_unlock(&evlog_mu);
}

int
evlog_subscribe(evlog_sink fn, void *arg)
{
	int slot = -1;
	pthread_mutex_lock(&evlog_mu);
	for (int i = 0; i < EVLOG_MAX_SUBSCRIBERS; i++) {
		if (subs[i].fn == NULL) {
			subs[i].fn = fn;
			subs[i].arg = arg;
			subs[i].next = ring_seq;
			nsubs++;
			slot = i;
			break;
		}
	}
	pthread_mutex_unlock(&evlog_mu);
	return slot;
}

void
evlog_unsubscribe(int slot)
{
	pthread_mutex_lock(&evlog_mu);
	if (slot >= 0 && slot < EVLOG_MAX_SUBSCRIBERS && subs[slot].fn != NULL) {
		subs[slot].fn = NULL;
		subs[slot].arg = NULL;
		nsubs--;
	}
	pthread_mutex_unlock(&evlog_mu);
}

/* A copy of event number seq, or NULL when it has left the ring. Locked. */
static char *
ring_copy(uint64_t seq, size_t *len)
{
	if (seq >= ring_seq || ring_seq - seq > ring_count)
		return NULL;
	size_t k = (size_t)(seq % EVLOG_RING);
	char *line = malloc(ring[k].len + 1);
	if (line != NULL) {
		memcpy(line, ring[k].line, ring[k].len + 1);
		*len = ring[k].len;
	}
	return line;
}

size_t
evlog_history(size_t max, evlog_sink fn, void *arg)
{
	pthread_mutex_lock(&evlog_mu);
	size_t n = ring_count < max ? ring_count : max;
	uint64_t first = ring_seq - n;
	pthread_mutex_unlock(&evlog_mu);
	size_t done = 0;
	for (uint64_t seq = first; seq < first + n; seq++) {
		size_t len = 0;
		pthread_mutex_lock(&evlog_mu);
		char *line = ring_copy(seq, &len);
		pthread_mutex_unlock(&evlog_mu);
		if (line == NULL)
			continue; /* overwritten meanwhile */
		fn(arg, line, len);
		free(line);
		done++;
	}
	return done;
}

uint64_t
evlog_pump(void)
{
	pthread_mutex_lock(&evlog_mu);
	pump_pending = 0;
	if (out_dirty && event_out != NULL)
		fflush(event_out);
	out_dirty = 0;
	uint64_t fresh = ring_seq - pumped_seq;
	pumped_seq = ring_seq;
	pthread_mutex_unlock(&evlog_mu);
	for (int i = 0; i < EVLOG_MAX_SUBSCRIBERS; i++) {
		for (;;) {
			pthread_mutex_lock(&evlog_mu);
			if (subs[i].fn == NULL || subs[i].next >= ring_seq) {
				pthread_mutex_unlock(&evlog_mu);
				break;
			}
			if (ring_seq - subs[i].next > ring_count)
				subs[i].next = ring_seq - ring_count; /* it fell behind the ring */
			size_t len = 0;
			char *line = ring_copy(subs[i].next, &len);
			subs[i].next++;
			evlog_sink fn = subs[i].fn;
			void *arg = subs[i].arg;
			pthread_mutex_unlock(&evlog_mu);
			if (line == NULL)
				return fresh; /* out of memory: the next pump goes on */
			fn(arg, line, len); /* may unsubscribe itself */
			free(line);
		}
	}
	return fresh;
}

unsigned
evlog_pump_interval(unsigned cur_ms, uint64_t fresh, uint64_t span_ms)
{
	int busy = cur_ms == EVLOG_PUMP_BUSY_MS ? fresh * 4 >= span_ms
	    : fresh > (span_ms > 0 ? span_ms : 1);
	return busy ? EVLOG_PUMP_BUSY_MS : EVLOG_PUMP_MS;
}

void
evlog_clear(void)
{
	pthread_mutex_lock(&evlog_mu);
	for (size_t i = 0; i < EVLOG_RING; i++) {
		free(ring[i].line);
		ring[i].line = NULL;
	}
	ring_seq = 0;
	pumped_seq = 0;
	ring_count = 0;
	pthread_mutex_unlock(&evlog_mu);
}

/* Keep the event in the ring. Locked. */
static void
evlog_keep(char *line)
{
	size_t k = (size_t)(ring_seq % EVLOG_RING);
	free(ring[k].line);
	ring[k].line = line;
	ring[k].len = strlen(line);
	ring_seq++;
	if (ring_count < EVLOG_RING)
		ring_count++;
}

/*
 * With a notify hook (the gateway), lines are written to the stream's buffer
 * and flushed by the pump, which the hook runs as soon as the main thread is
 * free: one write for a burst of events instead of one per event, and never
 * more than a loop iteration late. Without one (commands, tests), at once.
 */
void
evlog_emit(json_t *ev)
{
	if (ev == NULL)
		return;
	char *line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	pthread_mutex_lock(&evlog_mu);
	if (line != NULL)
		evlog_keep(line); /* NULL: the history misses one event */
	void (*notify)(void) = pump_notify;
	if (event_out != NULL) {
		if (event_fmt == EVLOG_JSON) {
			if (line != NULL) {
				fputs(line, event_out);
				fputc('\n', event_out);
			}
		} else {
			emit_text(event_out, ev);
		}
		if (notify != NULL)
			out_dirty = 1;
		else
			fflush(event_out);
	}
	int pump = (nsubs > 0 || out_dirty) && !pump_pending;
	if (pump)
		pump_pending = 1;
	pthread_mutex_unlock(&evlog_mu);
	json_decref(ev);
	if (pump) {
		if (notify != NULL)
			notify();
		else
			evlog_pump();
	}
}
