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

#endif
