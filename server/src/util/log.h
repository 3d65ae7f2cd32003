/*
 * Diagnostics on stderr. log_warn appends strerror(errno), log_warnx does
 * not; fatal* are for start-up and impossible states only.
 */
#ifndef P2SGW_LOG_H
#define P2SGW_LOG_H

#define P2SGW_PRINTF(a, b) __attribute__((__format__(printf, a, b)))

void log_set_verbose(int v);
void log_warn(const char *fmt, ...) P2SGW_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) P2SGW_PRINTF(1, 2);
void log_info(const char *fmt, ...) P2SGW_PRINTF(1, 2);
void log_debug(const char *fmt, ...) P2SGW_PRINTF(1, 2);
_Noreturn void fatal(const char *fmt, ...) P2SGW_PRINTF(1, 2);
_Noreturn void fatalx(const char *fmt, ...) P2SGW_PRINTF(1, 2);

#endif
