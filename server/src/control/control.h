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

/* Listen on addr (ADDR:PORT) and serve the API; bound gets the address
 * actually bound. A non-loopback addr requires a token. NULL with err. */
struct control *control_start(struct server *s, const char *addr, const char *token,
                              char *bound, size_t boundlen, char *err, size_t errlen);
/* The API without a listening address (control_start uses it): nothing is
 * served until a socket is given to it. token NULL or "": no token asked. */
struct control *control_new(struct server *s, const char *token, char *err, size_t errlen);
/* Serve the clients of fd, a socket already listening (e.g. a UNIX socket,
 * so tests need no TCP port). 0 (the control owns fd and closes it in
 * control_stop), or -1 with err (fd is still the caller's). */
int             control_listen_fd(struct control *c, int fd, char *err, size_t errlen);
void            control_stop(struct control *c);

#endif
