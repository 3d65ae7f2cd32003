/*
 * suggest: "did you mean ...?" for unknown keys and names, by edit distance.
 */
#ifndef P2SGW_SUGGEST_H
#define P2SGW_SUGGEST_H

#include <stddef.h>

/* Closest candidate to word by edit distance (case-insensitive optimal string
 * alignment), or NULL when none is close enough to be a useful suggestion. */
const char *config_suggest(const char *word, const char *const *cands, size_t n);

/* Appends " (did you mean 'X'?)" to buf when a suggestion exists. */
void config_append_suggestion(char *buf, size_t buflen, const char *word,
                              const char *const *cands, size_t n);

#endif
