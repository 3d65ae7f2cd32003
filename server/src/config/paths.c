/*
 * paths: search directories for scenarios and chain profiles, name lookup
 * with suggestions, scenario_resolve.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/paths.h"
#include "config/scenario.h"
#include "config/suggest.h"
#include "config/values.h"

#define MAX_SUGGEST_NAMES 256

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

bool
config_is_path(const char *s)
{
	return strchr(s, '/') != NULL || has_suffix(s, ".yaml") || has_suffix(s, ".yml");
}

static void
dir_add(char dirs[][CONFIG_PATH_MAX], size_t max, int *n, const char *base, const char *kind)
{
	char d[CONFIG_PATH_MAX];

	if (base == NULL || base[0] == '\0' || (size_t)*n >= max)
		return;
	if (kind != NULL) {
		if ((size_t)snprintf(d, sizeof(d), "%s/%s", base, kind) >= sizeof(d))
			return;
	} else if ((size_t)snprintf(d, sizeof(d), "%s", base) >= sizeof(d)) {
		return;
	}
	for (int i = 0; i < *n; i++)
		if (strcmp(dirs[i], d) == 0)
			return;
	memcpy(dirs[*n], d, sizeof(d));
	(*n)++;
}

int
config_dirs(const char *kind, char dirs[][CONFIG_PATH_MAX], size_t max)
{
	const char *env;
	int n = 0;

	if (strcmp(kind, "scenarios") == 0)
		env = getenv("P2SGW_SCENARIO_DIR");
	else if (strcmp(kind, "certs") == 0)
		env = getenv("P2SGW_CERTS_DIR");
	else
		return -1;
	dir_add(dirs, max, &n, env, NULL);
	dir_add(dirs, max, &n, P2SGW_DATADIR, kind);
	dir_add(dirs, max, &n, getenv("P2SGW_SOURCE_DIR"), kind);
	dir_add(dirs, max, &n, P2SGW_SOURCE_DIR, kind);
	return n;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

size_t
config_list_names(const char *kind, char names[][64], size_t max)
{
	char dirs[CONFIG_MAX_DIRS][CONFIG_PATH_MAX];
	char msg[160];
	size_t found = 0, stored = 0;
	int nd = config_dirs(kind, dirs, CONFIG_MAX_DIRS);

	for (int i = 0; i < nd; i++) {
		DIR *dir = opendir(dirs[i]);
		struct dirent *de;
		if (dir == NULL)
			continue;
		while ((de = readdir(dir)) != NULL) {
			size_t len = strlen(de->d_name);
			char stem[64];
			if (!has_suffix(de->d_name, ".yaml") || len - 5 >= sizeof(stem))
				continue;
			memcpy(stem, de->d_name, len - 5);
			stem[len - 5] = '\0';
			if (val_name(stem, msg, sizeof(msg)) != 0)
				continue;
			bool dup = false;
			for (size_t j = 0; j < stored && !dup; j++)
				dup = strcmp(names[j], stem) == 0;
			if (dup)
				continue;
			found++;
			if (stored < max)
				memcpy(names[stored++], stem, sizeof(stem));
		}
		closedir(dir);
	}
	qsort(names, stored, sizeof(names[0]), name_cmp);
	return found;
}

int
config_find_file(const char *kind, const char *name, char *path, size_t pathlen,
                 char *err, size_t errlen)
{
	char dirs[CONFIG_MAX_DIRS][CONFIG_PATH_MAX];
	char msg[160];
	const char *what = strcmp(kind, "certs") == 0 ? "chain profile" : "scenario";
	int nd = config_dirs(kind, dirs, CONFIG_MAX_DIRS);

	if (nd < 0) {
		(void)snprintf(err, errlen, "unknown kind of configuration file '%s'", kind);
		return -1;
	}
	if (val_name(name, msg, sizeof(msg)) != 0) {
		(void)snprintf(err, errlen, "%s name %s", what, msg);
		return -1;
	}
	for (int i = 0; i < nd; i++) {
		struct stat st;
		if ((size_t)snprintf(path, pathlen, "%s/%s.yaml", dirs[i], name) >= pathlen)
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	path[0] = '\0';

	int used = snprintf(err, errlen, "%s '%s' not found in", what, name);
	for (int i = 0; i < nd && used >= 0 && (size_t)used < errlen; i++)
		used += snprintf(err + used, errlen - (size_t)used, "%s %s", i ? "," : "", dirs[i]);

	char names[MAX_SUGGEST_NAMES][64];
	const char *cands[MAX_SUGGEST_NAMES];
	size_t n = config_list_names(kind, names, MAX_SUGGEST_NAMES);
	if (n > MAX_SUGGEST_NAMES)
		n = MAX_SUGGEST_NAMES;
	for (size_t i = 0; i < n; i++)
		cands[i] = names[i];
	config_append_suggestion(err, errlen, name, cands, n);
	return -1;
}

int
scenario_resolve(const char *name_or_path, char *path, size_t pathlen, char *err, size_t errlen)
{
	struct stat st;

	if (!config_is_path(name_or_path))
		return config_find_file("scenarios", name_or_path, path, pathlen, err, errlen);
	if (stat(name_or_path, &st) != 0) {
		(void)snprintf(err, errlen, "%s: %s", name_or_path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", name_or_path);
		return -1;
	}
	if ((size_t)snprintf(path, pathlen, "%s", name_or_path) >= pathlen) {
		(void)snprintf(err, errlen, "%.64s...: path too long", name_or_path);
		return -1;
	}
	return 0;
}
