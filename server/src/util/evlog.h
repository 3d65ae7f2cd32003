/*
 * Event log: one record per connection event, as a JSON object per line or
 * as a text line, on the configured stream (stdout by default).
 *
 *   json_t *ev = evlog_new("accept", conn_id);
 *   json_object_set_new(ev, "peer", json_string(peer));
 *   evlog_emit(ev);   // takes ownership
 */
#ifndef P2SGW_EVLOG_H
#define P2SGW_EVLOG_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

enum evlog_format { EVLOG_TEXT, EVLOG_JSON };

void    evlog_setup(FILE *out, enum evlog_format fmt);
json_t *evlog_new(const char *type, uint64_t conn_id);
void    evlog_emit(json_t *ev);

/*
 * In-memory history and live subscribers (control API GET /events). Every
 * emitted event is also kept, as one compact JSON line without the newline,
 * in a ring of the last EVLOG_RING events. Any thread may emit. Subscribers
 * are fed, in order, by evlog_pump() on the thread that owns them, which the
 * notify hook is asked to schedule (without a hook, the emitting call feeds
 * them). A sink must not block and must not emit events; it may unsubscribe
 * itself. A subscriber that falls behind by more than the ring skips ahead.
 */
#define EVLOG_RING            1000
#define EVLOG_MAX_SUBSCRIBERS 16

typedef void (*evlog_sink)(void *arg, const char *line, size_t len);

/* A slot number >= 0, or -1 when EVLOG_MAX_SUBSCRIBERS are subscribed. */
int    evlog_subscribe(evlog_sink fn, void *arg);
void   evlog_unsubscribe(int slot);
/* Call fn for up to max of the most recent events, oldest first; returns how many. */
size_t evlog_history(size_t max, evlog_sink fn, void *arg);
/*
 * Flush the output stream and feed subscribers what they have not seen yet
 * (their owner's thread). Returns how many events came since the last pump.
 */
uint64_t evlog_pump(void);
/*
 * The owner's pump interval (ms) after a pump that found `fresh` events in
 * the `span_ms` since the one before, when the interval was `cur_ms`:
 * EVLOG_PUMP_MS while events are sparse; EVLOG_PUMP_BUSY_MS from more than
 * one event a millisecond until fewer than one in four milliseconds (a storm's
 * events come in bursts: a flight of handshakes, then their ends).
 */
#define EVLOG_PUMP_MS      2
#define EVLOG_PUMP_BUSY_MS 10
unsigned evlog_pump_interval(unsigned cur_ms, uint64_t fresh, uint64_t span_ms);
/* fn is called (from any thread) when subscribers need a pump; NULL: none. */
void   evlog_set_notify(void (*fn)(void));
/* Free the history (at exit). */
void   evlog_clear(void);

#endif
