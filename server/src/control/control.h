/*
 * Control API (HTTP/JSON on evhttp). Loopback by default; bound anywhere
 * else it requires a bearer token. Endpoints and their files: control_int.h;
 * reference: docs/api.md.
 */
#ifndef P2SGW_CONTROL_H
#define P2SGW_CONTROL_H

#include <stddef.h>

struct server;
struct control;

struct control *control_start(struct server *s, const char *addr, const char *token,
                              char *bound, size_t boundlen, char *err, size_t errlen);
void            control_stop(struct control *c);

#endif
