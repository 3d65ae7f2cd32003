/*
 * pl_stats.c - latency samples and percentiles, the table of distinct
 * failure causes, and the report (key/value lines or one JSON object).
 */
#include "p2sload.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double
pl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
samples_add(struct pl_samples *s, double v)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		double *nv = realloc(s->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return;         /* a lost sample is better than a crash */
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = v;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile, p in [0,100]; 0 when there are no samples. */
double
samples_pct(struct pl_samples *s, double p)
{
	size_t k;

	if (s->n == 0)
		return 0;
	qsort(s->v, s->n, sizeof(double), cmp_dbl);
	k = (size_t)ceil(p / 100.0 * (double)s->n);
	if (k < 1)
		k = 1;
	if (k > s->n)
		k = s->n;
	return s->v[k - 1];
}

double
samples_max(const struct pl_samples *s)
{
	double m = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] > m)
			m = s->v[i];
	return m;
}

void
samples_free(struct pl_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

void
pl_error(struct pl_run *r, const char *fmt, ...)
{
	char t[sizeof(r->errs[0].text)];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	/* quotes and control characters would break the output format */
	for (char *p = t; *p != '\0'; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '\'';
	r->nerr_total++;
	for (i = 0; i < r->nerrs; i++)
		if (strcmp(r->errs[i].text, t) == 0)
			break;
	if (i == r->nerrs) {
		if (r->nerrs == PL_MAX_ERRORS) {
			i = PL_MAX_ERRORS - 1;
			snprintf(r->errs[i].text, sizeof(r->errs[i].text), "other errors");
		} else {
			r->nerrs++;
			snprintf(r->errs[i].text, sizeof(r->errs[i].text), "%s", t);
			r->errs[i].count = 0;
		}
	}
	r->errs[i].count++;
}

/* ------------------------------------------------------------------ */
/* Report                                                               */

static int rep_json;
static int rep_n;

static void
emit(const char *key, const char *val, int quoted)
{
	if (rep_json)
		printf("%s\"%s\":%s%s%s", rep_n ? "," : "{", key, quoted ? "\"" : "", val,
		    quoted ? "\"" : "");
	else
		printf("%s %s\n", key, val);
	rep_n++;
}

void
report_begin(int json)
{
	rep_json = json;
	rep_n = 0;
}

void
report_str(const char *key, const char *val)
{
	emit(key, val, 1);
}

void
report_int(const char *key, long long v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", v);
	emit(key, b, 0);
}

void
report_dbl(const char *key, double v, int decimals)
{
	char b[64];

	if (!isfinite(v))
		v = 0;
	snprintf(b, sizeof(b), "%.*f", decimals, v);
	emit(key, b, 0);
}

/* Error lines, then the end of the object. */
void
report_end(struct pl_run *r)
{
	report_int("errors", r->nerr_total);
	if (rep_json) {
		printf(",\"error_causes\":{");
		for (int i = 0; i < r->nerrs; i++)
			printf("%s\"%s\":%ld", i ? "," : "", r->errs[i].text, r->errs[i].count);
		printf("}}\n");
	} else {
		for (int i = 0; i < r->nerrs; i++)
			printf("error \"%s\" %ld\n", r->errs[i].text, r->errs[i].count);
	}
	fflush(stdout);
}
