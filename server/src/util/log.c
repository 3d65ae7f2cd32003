#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int log_verbose;

void
log_set_verbose(int v)
{
	log_verbose = v;
}

static void vlog(const char *prefix, const char *fmt, va_list ap, const char *err)
    P2SGW_PRINTF(2, 0);

static void
vlog(const char *prefix, const char *fmt, va_list ap, const char *err)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err != NULL)
		fprintf(stderr, "p2sgw: %s%s: %s\n", prefix, msg, err);
	else
		fprintf(stderr, "p2sgw: %s%s\n", prefix, msg);
}

#define LOGFN(fn, prefix, witherr, gate)                              \
	void fn(const char *fmt, ...)                                 \
	{                                                             \
		int saved = errno;                                    \
		if (!(gate))                                          \
			return;                                       \
		va_list ap;                                           \
		va_start(ap, fmt);                                    \
		vlog(prefix, fmt, ap, witherr ? strerror(saved) : NULL); \
		va_end(ap);                                           \
		errno = saved;                                        \
	}

LOGFN(log_warn, "", 1, 1)
LOGFN(log_warnx, "", 0, 1)
LOGFN(log_info, "", 0, log_verbose >= 1)
LOGFN(log_debug, "debug: ", 0, log_verbose >= 2)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
