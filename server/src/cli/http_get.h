/* Blocking client requests of the command-line tool to the control API. */
#ifndef P2SGW_CLI_HTTP_GET_H
#define P2SGW_CLI_HTTP_GET_H

#include <stddef.h>

/* `p2sgw health`: 0 when GET /health answers 200. */
int control_health_check(const char *addr, const char *token, int timeout_ms,
                         char *err, size_t errlen);

/* `p2sgw report`: GET path; *body (free it) is the body of a 200 answer.
 * 0, or -1 with err. */
int control_get(const char *addr, const char *token, const char *path, int timeout_ms,
                char **body, char *err, size_t errlen);

#endif
