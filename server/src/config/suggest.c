/*
 * suggest: closest known word to an unknown one, for error messages.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config/suggest.h"

#define SUGGEST_MAX_LEN 96 /* longer words are not compared */

/* Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions), case-insensitive, with three rolling rows.
 * Both lengths <= SUGGEST_MAX_LEN. */
static size_t
osa_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t rows[3][SUGGEST_MAX_LEN + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		int ca = tolower((unsigned char)a[i - 1]);
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int cb = tolower((unsigned char)b[j - 1]);
			size_t best = prev[j] + 1;                    /* deletion */
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;                /* insertion */
			if (prev[j - 1] + (ca != cb) < best)
				best = prev[j - 1] + (ca != cb);      /* substitution */
			if (i > 1 && j > 1 &&
			    ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;              /* transposition */
			cur[j] = best;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *
config_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t lw = strlen(word);
	if (lw == 0 || lw > SUGGEST_MAX_LEN)
		return NULL;
	/* A third of the word may be wrong: "rst" -> "reset", "versoins" -> "versions". */
	size_t limit = (lw + 3) / 3;

	const char *best = NULL;
	size_t best_d = limit + 1;
	for (size_t i = 0; i < n; i++) {
		if (cands[i] == NULL)
			continue;
		size_t lc = strlen(cands[i]);
		if (lc > SUGGEST_MAX_LEN)
			continue;
		size_t diff = lc > lw ? lc - lw : lw - lc;
		if (diff >= best_d)
			continue;
		size_t dist = osa_distance(word, lw, cands[i], lc);
		if (dist < best_d) {
			best_d = dist;
			best = cands[i];
		}
	}
	return best;
}

void
config_append_suggestion(char *buf, size_t buflen, const char *word,
                         const char *const *cands, size_t n)
{
	const char *s = config_suggest(word, cands, n);
	size_t used = strlen(buf);

	if (s == NULL || used >= buflen)
		return;
	/* Truncation only shortens an error message. */
	(void)snprintf(buf + used, buflen - used, " (did you mean '%s'?)", s);
}
