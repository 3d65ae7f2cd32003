/* Time: X.509 times as epoch seconds, the monotonic clock in milliseconds. */
#ifndef P2SGW_XTIME_H
#define P2SGW_XTIME_H

#include <stdint.h>
#include <time.h>

#include <mbedtls/x509.h>

/* The UTC instant of an mbedTLS X.509 time, as seconds since the epoch. */
time_t x509_time_epoch(const mbedtls_x509_time *t);

/* t minus n calendar months (UTC); a day past the month's end rolls into the
 * next month, as timegm does (May 31 - 3 months = March 3). */
time_t months_before(time_t t, unsigned n);

/* Monotonic milliseconds. */
uint64_t now_ms(void);

/* Real (wall-clock) milliseconds since the epoch. */
int64_t wall_ms(void);

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC): 0, or -1 (buf "") when t cannot be shown. */
#define ISO_UTC_LEN 21
int    iso_utc(time_t t, char buf[ISO_UTC_LEN]);
/* Its inverse: the time, or 0 when s is not exactly that form. */
time_t iso_utc_parse(const char *s);

/* The earlier of two deadlines, where 0 means "none". */
static inline uint64_t
deadline_min(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

#endif
