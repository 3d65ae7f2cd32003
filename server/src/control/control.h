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

/* Client side for `p2sgw health`: 0 when GET /health answers 200. */
int control_health_check(const char *addr, const char *token, int timeout_ms,
                         char *err, size_t errlen);

/* Client side for `p2sgw report`: GET path; *body (free it) is the body of a
 * 200 answer. 0, or -1 with err. */
int control_get(const char *addr, const char *token, const char *path, int timeout_ms,
                char **body, char *err, size_t errlen);

#endif
