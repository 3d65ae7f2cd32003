/*
 * report: what a QA lead reads after a rehearsal, built from the audit.
 * GET /report (HTML), GET /report.csv, GET /report?format=json and
 * `p2sgw report --format table|csv|json` all come from report_build's
 * object, so the page, the exports and the CLI show the same rows.
 *
 * The object (docs/audit.md "The report"):
 *   scenario, chain, policy_generation, generated_at, filter,
 *   summary   {clients, matched, eras {era: {ok, fail}}, outcomes, rehearsal,
 *              labelled, unknown, headline [sentences]},
 *   matrix    [{label, clients, eras {era: {ok, fail}}}], most clients first,
 *   reasons   [{era, why, fix, clients, labels [{label, clients}]}],
 *   events    [{at, generation, kind, text, succeeded_after, failed_after,
 *              failed_clients}],
 *   activity  {from, bucket_s, ok [...], fail [...]},
 *   rows      [one flat object per client: report_columns],
 *   offers    {offer_key: {format, versions, suites, groups, sigalgs, ...}}.
 * The filter narrows everything but the activity, which counts every
 * connection.
 */
#ifndef P2SGW_REPORT_H
#define P2SGW_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "app/audit.h"

struct report_filter {
	int      fails, passes;    /* an era that must fail / pass; -1: any */
	char     outcome[32];      /* last outcome; "" any */
	char     rehearsal[32];    /* rehearsal state; "" any */
	int      af;               /* addr: AF_INET / AF_INET6, 0 any */
	uint8_t  net[16];
	unsigned prefix;
	char     addr[64];         /* as given, for the page */
	int      has_sni;
	char     sni[256];         /* exact; "" (given as "-") matches no SNI */
	char     label[96];        /* substring of the label, any case; "" any */
	long long client_id;       /* one client (the rows' client_id); 0 any */
};

/* The columns of a row, in order: the CSV header and the JSON keys. */
extern const char *const report_columns[];
extern const size_t n_report_columns;

void report_filter_init(struct report_filter *f);
/* One query parameter: fails, passes (an era name), outcome, rehearsal,
 * addr (an address or CIDR), sni, label, client. -1 with a sentence in err
 * for an unknown key or a bad value. */
int report_filter_set(struct report_filter *f, const char *key, const char *value,
                      char *err, size_t errlen);

struct report_meta {
	const char *scenario, *chain;
	uint64_t    generation;
	time_t      now;
};

/* NULL when out of memory. */
json_t *report_build(struct audit *a, const struct report_filter *f,
                     const struct report_meta *m);
/* The rows as CSV (RFC 4180: CRLF, fields with , " CR LF quoted). */
int report_csv(const json_t *rows, struct evbuffer *out);

#endif
