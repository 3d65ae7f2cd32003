/*
 * yaml_util: a YAML document as a small tree of positioned nodes, built from
 * libfyaml's event stream, for the strict schema walkers of scenario.c and
 * profile.c.
 *
 * Why not libfyaml's own document tree: its public API in 0.7.12 gives no
 * line/column for mappings and sequences, and resolving aliases there would
 * expand them (billion laughs). Here every node knows where it starts, aliases
 * point at their anchored node (never copied), and the builder caps input
 * size, node count, anchors and depth. Duplicate keys are left to the schema
 * walkers, which know which keys they accept.
 *
 * Nothing is printed: libfyaml's diagnostics are collected and the first one
 * becomes the error message.
 */
#ifndef P2SGW_YAML_UTIL_H
#define P2SGW_YAML_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/log.h"

#define YDOC_MAX_BYTES   (1024 * 1024) /* input file size cap */
#define YDOC_MAX_NODES   10000
#define YDOC_MAX_ANCHORS 256
#define YDOC_MAX_DEPTH   32

enum ynode_type {
	YN_NULL = 0, /* empty plain scalar ("key:" with nothing after it) */
	YN_SCALAR,
	YN_SEQ,
	YN_MAP,
	YN_ALIAS,
};

struct ynode {
	enum ynode_type  yn_type;
	int              yn_line, yn_col;  /* 1-based */
	char            *yn_text;          /* YN_SCALAR: NUL-terminated copy, no inner NUL */
	size_t           yn_len;
	struct ynode   **yn_kids;          /* YN_SEQ: items; YN_MAP: key, value, key, value ... */
	size_t           yn_nkids;
	size_t           yn_cap;
	struct ynode    *yn_target;        /* YN_ALIAS: the anchored node */
	struct ynode    *yn_next;          /* allocation list, for ydoc_free */
};

struct ydoc {
	char          yd_file[512];        /* name used in messages */
	struct ynode *yd_root;             /* NULL when the input holds no document */
	struct ynode *yd_nodes;            /* every node, for ydoc_free */
	size_t        yd_nnodes;
};

/* Parse buf (len bytes, need not be NUL-terminated) as one YAML document.
 * file names the input in messages. 0 on success (yd_root may be NULL for an
 * empty stream); -1 with "file:line:column: YAML syntax error: ..." in err.
 * ydoc_free must be called in both cases. */
int  ydoc_parse(struct ydoc *d, const char *file, const char *buf, size_t len,
                char *err, size_t errlen);
/* Read a regular file of at most YDOC_MAX_BYTES and parse it. */
int  ydoc_load_file(struct ydoc *d, const char *path, char *err, size_t errlen);
void ydoc_free(struct ydoc *d);

/* Read a regular file of at most YDOC_MAX_BYTES into a malloc'd buffer. */
int  config_read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen);

/* Follow an alias to its anchored node (aliases never point at aliases). */
const struct ynode *ynode_deref(const struct ynode *n);
/* "a mapping", "a list", "a scalar", "an empty value". */
const char *ynode_kind(const struct ynode *n);

/* err = "file:line:col: key 'keypath': message" (", key..." left out when
 * keypath is NULL or empty). Always returns -1. */
int  yerr(char *err, size_t errlen, const char *file, const struct ynode *at,
          const char *keypath, const char *fmt, ...) P2SGW_PRINTF(6, 7);

/* The keys of mapping node map (keypath names it in messages; "" for the top
 * level) must be plain scalars among keys[0..n-1], each at most once. On
 * success vals[i] / knodes[i] hold the value and key node of keys[i], or NULL
 * when absent. Errors: not a mapping, unknown key (with a suggestion),
 * duplicate key, non-scalar key. */
int  ymap_keys(const struct ydoc *d, const struct ynode *map, const char *keypath,
               const char *const *keys, size_t n, const struct ynode **vals,
               const struct ynode **knodes, char *err, size_t errlen);

/* The text of scalar node n (aliases followed); errors for an empty value or
 * a collection. */
int  yscalar(const struct ydoc *d, const struct ynode *n, const char *keypath,
             const char **text, char *err, size_t errlen);

/* n (aliases followed) must be a list of at most max items; *seq gets it. */
int  yseq(const struct ydoc *d, const struct ynode *n, const char *keypath, size_t max,
          const struct ynode **seq, char *err, size_t errlen);

#endif
