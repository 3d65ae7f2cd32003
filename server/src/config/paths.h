/*
 * paths: where scenarios and chain profiles are found (see config_find_file
 * in scenario.h for the search order).
 */
#ifndef P2SGW_PATHS_H
#define P2SGW_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_MAX_DIRS 4
#define CONFIG_PATH_MAX 512

/* The directories searched for kind ("scenarios" or "certs"), in order,
 * without duplicates. Returns the count, or -1 for an unknown kind. */
int config_dirs(const char *kind, char dirs[][CONFIG_PATH_MAX], size_t max);

/* Names (file stems) of every NAME.yaml in the directories of kind, unique
 * and sorted. Returns how many were found, which may exceed max; only the
 * first max are stored. */
size_t config_list_names(const char *kind, char names[][64], size_t max);

/* true when path names a file to be used as given rather than a name to be
 * searched: it contains '/' or ends in .yaml or .yml. */
bool config_is_path(const char *s);

#endif
