#include "util/xtime.h"

#include <string.h>

time_t
x509_time_epoch(const mbedtls_x509_time *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = t->year - 1900;
	tm.tm_mon = t->mon - 1;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->min;
	tm.tm_sec = t->sec;
	return timegm(&tm);
}

time_t
months_before(time_t t, unsigned n)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return t;
	tm.tm_year -= (int)(n / 12);
	tm.tm_mon -= (int)(n % 12);
	return timegm(&tm);
}

uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
iso_utc(time_t t, char buf[ISO_UTC_LEN])
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, ISO_UTC_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

time_t
iso_utc_parse(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return end != NULL && *end == '\0' ? timegm(&tm) : 0;
}

int64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + (int64_t)ts.tv_nsec / 1000000;
}
