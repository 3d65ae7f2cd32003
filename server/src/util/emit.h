/*
 * How sans-I/O cores report events without knowing the event log, the
 * clock or the connection: they build the fields, the owner adds the
 * timestamp and connection id and writes the line.
 */
#ifndef P2SGW_EMIT_H
#define P2SGW_EMIT_H

#include <jansson.h>

struct emitter {
	void *ctx;
	/* type: event name ("sstp_connect_request", ...); fields: owned by the callee */
	void (*fn)(void *ctx, const char *type, json_t *fields);
};

static inline void
emit(const struct emitter *e, const char *type, json_t *fields)
{
	if (e != NULL && e->fn != NULL)
		e->fn(e->ctx, type, fields);
	else
		json_decref(fields);
}

#endif
