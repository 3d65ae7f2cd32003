/*
 * yaml_util: libfyaml events -> a tree of positioned nodes (see yaml_util.h).
 *
 * Grammar accepted here: one YAML document whose nodes are untagged
 * scalars, sequences, mappings and aliases to anchors defined earlier.
 * Everything else (a second document, tags, aliases to unknown anchors,
 * more than YDOC_MAX_NODES nodes, YDOC_MAX_ANCHORS anchors or
 * YDOC_MAX_DEPTH levels) is an error with its position.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libfyaml.h>

#include "config/suggest.h"
#include "config/yaml_util.h"
#include "util/file.h"

struct ybuild {
	struct ydoc   *b_doc;
	struct ynode  *b_stack[YDOC_MAX_DEPTH];
	size_t         b_depth;
	struct {
		char         *name;
		struct ynode *node;
	}              b_anchors[YDOC_MAX_ANCHORS];
	size_t         b_nanchors;
	/* anchor of a collection still open, registered when it ends */
	char          *b_pending_anchor[YDOC_MAX_DEPTH];
	int            b_last_line, b_last_col;  /* fallback position, 1-based */
	bool           b_done;                   /* one document was completed */
	char          *b_err;
	size_t         b_errlen;
};

int
yerr(char *err, size_t errlen, const char *file, const struct ynode *at,
     const char *keypath, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	char pos[32] = "";
	if (at != NULL)
		(void)snprintf(pos, sizeof(pos), ":%d:%d", at->yn_line, at->yn_col);
	if (keypath != NULL && keypath[0] != '\0')
		(void)snprintf(err, errlen, "%s%s: key '%s': %s", file, pos, keypath, msg);
	else
		(void)snprintf(err, errlen, "%s%s: %s", file, pos, msg);
	return -1;
}

const struct ynode *
ynode_deref(const struct ynode *n)
{
	if (n != NULL && n->yn_type == YN_ALIAS)
		return n->yn_target;
	return n;
}

const char *
ynode_kind(const struct ynode *n)
{
	switch (ynode_deref(n)->yn_type) {
	case YN_NULL:   return "an empty value";
	case YN_SCALAR: return "a scalar";
	case YN_SEQ:    return "a list";
	case YN_MAP:    return "a mapping";
	case YN_ALIAS:  break;
	}
	return "an alias";
}

static int
berr(struct ybuild *b, int line, int col, const char *fmt, ...) P2SGW_PRINTF(4, 5);

static int
berr(struct ybuild *b, int line, int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)snprintf(b->b_err, b->b_errlen, "%s:%d:%d: %s", b->b_doc->yd_file, line, col, msg);
	return -1;
}

static void
event_position(struct ybuild *b, struct fy_event *ev, int *line, int *col)
{
	const struct fy_mark *m = fy_event_start_mark(ev);

	if (m != NULL) {
		*line = m->line + 1;
		*col = m->column + 1;
	} else {
		*line = b->b_last_line;
		*col = b->b_last_col;
	}
}

static void
remember_end(struct ybuild *b, struct fy_event *ev)
{
	const struct fy_mark *m = fy_event_end_mark(ev);

	if (m != NULL) {
		b->b_last_line = m->line + 1;
		b->b_last_col = m->column + 1;
	}
}

static struct ynode *
node_new(struct ybuild *b, enum ynode_type t, int line, int col)
{
	struct ydoc *d = b->b_doc;

	if (d->yd_nnodes >= YDOC_MAX_NODES) {
		berr(b, line, col, "document too large: more than %d nodes", YDOC_MAX_NODES);
		return NULL;
	}
	struct ynode *n = calloc(1, sizeof(*n));
	if (n == NULL) {
		berr(b, line, col, "out of memory");
		return NULL;
	}
	n->yn_type = t;
	n->yn_line = line;
	n->yn_col = col;
	n->yn_next = d->yd_nodes;
	d->yd_nodes = n;
	d->yd_nnodes++;
	return n;
}

/* Hang n under the open collection, or make it the root. */
static int
node_attach(struct ybuild *b, struct ynode *n)
{
	if (b->b_depth == 0) {
		b->b_doc->yd_root = n;
		return 0;
	}
	struct ynode *p = b->b_stack[b->b_depth - 1];
	if (p->yn_nkids == p->yn_cap) {
		size_t ncap = p->yn_cap ? p->yn_cap * 2 : 8;
		struct ynode **nk = realloc(p->yn_kids, ncap * sizeof(*nk));
		if (nk == NULL)
			return berr(b, n->yn_line, n->yn_col, "out of memory");
		p->yn_kids = nk;
		p->yn_cap = ncap;
	}
	p->yn_kids[p->yn_nkids++] = n;
	return 0;
}

static char *
token_dup(struct fy_token *t)
{
	size_t len = 0;
	const char *s = t ? fy_token_get_text(t, &len) : NULL;
	char *c = malloc(len + 1);

	if (c == NULL)
		return NULL;
	if (len > 0)
		memcpy(c, s, len);
	c[len] = '\0';
	return c;
}

static int
anchor_add(struct ybuild *b, char *name, struct ynode *n)
{
	if (b->b_nanchors >= YDOC_MAX_ANCHORS) {
		free(name);
		return berr(b, n->yn_line, n->yn_col, "too many anchors (more than %d)",
		    YDOC_MAX_ANCHORS);
	}
	b->b_anchors[b->b_nanchors].name = name;
	b->b_anchors[b->b_nanchors].node = n;
	b->b_nanchors++;
	return 0;
}

static struct ynode *
anchor_find(struct ybuild *b, const char *name)
{
	/* Newest first: a redefined anchor hides the older one. */
	for (size_t i = b->b_nanchors; i > 0; i--)
		if (strcmp(b->b_anchors[i - 1].name, name) == 0)
			return b->b_anchors[i - 1].node;
	return NULL;
}

static int
on_scalar(struct ybuild *b, struct fy_event *ev, int line, int col)
{
	size_t len = 0;
	const char *s = fy_token_get_text(ev->scalar.value, &len);
	if (s == NULL && len != 0)
		return berr(b, line, col, "unreadable scalar");

	bool plain = fy_token_scalar_style(ev->scalar.value) == FYSS_PLAIN;
	struct ynode *n = node_new(b, plain && len == 0 ? YN_NULL : YN_SCALAR, line, col);
	if (n == NULL)
		return -1;
	if (len > 0 && memchr(s, '\0', len) != NULL)
		return berr(b, line, col, "scalar contains a NUL character");
	n->yn_text = malloc(len + 1);
	if (n->yn_text == NULL)
		return berr(b, line, col, "out of memory");
	if (len > 0)
		memcpy(n->yn_text, s, len);
	n->yn_text[len] = '\0';
	n->yn_len = len;
	if (ev->scalar.anchor != NULL) {
		char *name = token_dup(ev->scalar.anchor);
		if (name == NULL || anchor_add(b, name, n) != 0)
			return name == NULL ? berr(b, line, col, "out of memory") : -1;
	}
	return node_attach(b, n);
}

static int
on_alias(struct ybuild *b, struct fy_event *ev, int line, int col)
{
	char *name = token_dup(ev->alias.anchor);
	if (name == NULL)
		return berr(b, line, col, "out of memory");
	struct ynode *t = anchor_find(b, name);
	if (t == NULL) {
		berr(b, line, col, "alias '*%.64s' refers to no anchor defined before it", name);
		free(name);
		return -1;
	}
	free(name);
	struct ynode *n = node_new(b, YN_ALIAS, line, col);
	if (n == NULL)
		return -1;
	n->yn_target = t;
	return node_attach(b, n);
}

static int
on_start(struct ybuild *b, struct fy_event *ev, enum ynode_type t, int line, int col)
{
	struct fy_token *anchor = t == YN_MAP ? ev->mapping_start.anchor :
	                                        ev->sequence_start.anchor;

	if (b->b_depth >= YDOC_MAX_DEPTH)
		return berr(b, line, col, "nested too deeply (more than %d levels)", YDOC_MAX_DEPTH);
	struct ynode *n = node_new(b, t, line, col);
	if (n == NULL || node_attach(b, n) != 0)
		return -1;
	char *name = NULL;
	if (anchor != NULL && (name = token_dup(anchor)) == NULL)
		return berr(b, line, col, "out of memory");
	b->b_pending_anchor[b->b_depth] = name;
	b->b_stack[b->b_depth++] = n;
	return 0;
}

static int
on_end(struct ybuild *b, int line, int col)
{
	if (b->b_depth == 0)
		return berr(b, line, col, "unbalanced collection end");
	b->b_depth--;
	struct ynode *n = b->b_stack[b->b_depth];
	char *name = b->b_pending_anchor[b->b_depth];
	b->b_pending_anchor[b->b_depth] = NULL;
	if (n->yn_type == YN_MAP && n->yn_nkids % 2 != 0)
		return berr(b, line, col, "mapping with a key and no value");
	/* Registered only now, so an alias inside its own anchor is undefined
	 * and the tree has no cycles. */
	if (name != NULL)
		return anchor_add(b, name, n);
	return 0;
}

static struct fy_token *
event_tag(struct fy_event *ev)
{
	switch (ev->type) {
	case FYET_SCALAR:         return ev->scalar.tag;
	case FYET_MAPPING_START:  return ev->mapping_start.tag;
	case FYET_SEQUENCE_START: return ev->sequence_start.tag;
	default:                  return NULL;
	}
}

static int
on_event(struct ybuild *b, struct fy_event *ev)
{
	int line, col;

	event_position(b, ev, &line, &col);
	struct fy_token *tag = event_tag(ev);
	if (tag != NULL) {
		const struct fy_mark *m = fy_token_start_mark(tag);
		if (m != NULL) {
			line = m->line + 1;
			col = m->column + 1;
		}
		return berr(b, line, col, "YAML tags are not supported here");
	}
	switch (ev->type) {
	case FYET_DOCUMENT_START:
		if (b->b_done)
			return berr(b, line, col, "more than one YAML document in the file");
		return 0;
	case FYET_DOCUMENT_END:
		b->b_done = true;
		return 0;
	case FYET_SCALAR:
		/* libfyaml marks a quoted scalar at its text; point at the quote. */
		if (col > 1 && (fy_token_scalar_style(ev->scalar.value) == FYSS_SINGLE_QUOTED ||
		                fy_token_scalar_style(ev->scalar.value) == FYSS_DOUBLE_QUOTED))
			col--;
		return on_scalar(b, ev, line, col);
	case FYET_ALIAS:
		/* libfyaml marks an alias at its name; point at the '*'. */
		return on_alias(b, ev, line, col > 1 ? col - 1 : col);
	case FYET_MAPPING_START:
		return on_start(b, ev, YN_MAP, line, col);
	case FYET_SEQUENCE_START:
		return on_start(b, ev, YN_SEQ, line, col);
	case FYET_MAPPING_END:
	case FYET_SEQUENCE_END:
		return on_end(b, line, col);
	default:
		return 0;
	}
}

static void
diag_sink(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	/* Collect mode keeps errors; anything else libfyaml would print is dropped. */
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

/* The first collected libfyaml error, as "file:line:col: YAML syntax error: msg". */
static void
syntax_error(struct ybuild *b, struct fy_diag *diag)
{
	void *iter = NULL;
	struct fy_diag_error *e;

	while ((e = fy_diag_errors_iterate(diag, &iter)) != NULL) {
		if (e->type < FYET_ERROR)
			continue;
		/* libfyaml's collected positions are already 1-based. */
		berr(b, e->line > 0 ? e->line : 1, e->column > 0 ? e->column : 1,
		    "YAML syntax error: %s", e->msg ? e->msg : "invalid YAML");
		return;
	}
	berr(b, b->b_last_line, b->b_last_col, "YAML syntax error");
}

/*
 * Input screen before libfyaml sees a byte. libfyaml 0.7.12 (Debian 12) hangs
 * or reads out of bounds on some invalid UTF-8 and in its directive scanner
 * (upstream pantoniou/libfyaml #101, #175, #189, #370; found again by our
 * fuzz target with "%\xff"). Configuration text has no use for either, so:
 *  - the input must be UTF-8 made of YAML 1.2 printable characters
 *    (TAB, LF, CR, U+0020..U+007E, U+0085, U+00A0..U+D7FF, U+E000..U+FFFD,
 *    U+10000..U+10FFFF), checked strictly (no overlong forms, no surrogates);
 *  - no line may start with '%' (a YAML directive such as %YAML 1.2).
 */
static int
screen_input(struct ybuild *b, const unsigned char *p, size_t len)
{
	int line = 1, col = 1;
	bool line_start = true; /* after LF, CR, NEL, U+2028 or U+2029 */

	for (size_t i = 0; i < len; col++) {
		unsigned c = p[i];
		uint32_t cp;
		size_t n;

		if (c == '%' && line_start)
			return berr(b, line, col,
			    "YAML directives (lines starting with '%%') are not supported");
		if (c < 0x80) {
			cp = c;
			n = 1;
		} else if (c >= 0xc2 && c <= 0xdf) {
			cp = c & 0x1f;
			n = 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			cp = c & 0x0f;
			n = 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			cp = c & 0x07;
			n = 4;
		} else {
			return berr(b, line, col, "not valid UTF-8 (byte 0x%02x)", c);
		}
		if (n > len - i)
			return berr(b, line, col, "not valid UTF-8 (truncated character)");
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return berr(b, line, col, "not valid UTF-8 (byte 0x%02x)", p[i + k]);
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return berr(b, line, col, "not valid UTF-8 (overlong form or surrogate)");
		bool printable = cp == 0x09 || cp == 0x0a || cp == 0x0d ||
		    (cp >= 0x20 && cp <= 0x7e) || cp == 0x85 || (cp >= 0xa0 && cp <= 0xd7ff) ||
		    (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
		if (!printable)
			return berr(b, line, col, "control character U+%04X is not allowed in YAML",
			    (unsigned)cp);
		line_start = cp == 0x0a || cp == 0x0d || cp == 0x85 || cp == 0x2028 ||
		    cp == 0x2029;
		if (cp == 0x0a) {
			line++;
			col = 0;
		}
		i += n;
	}
	return 0;
}

int
ydoc_parse(struct ydoc *d, const char *file, const char *buf, size_t len,
           char *err, size_t errlen)
{
	struct ybuild *b = NULL;
	struct fy_diag *diag = NULL;
	struct fy_parser *fyp = NULL;
	struct fy_event *ev;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if ((size_t)snprintf(d->yd_file, sizeof(d->yd_file), "%s", file) >= sizeof(d->yd_file))
		memcpy(d->yd_file + sizeof(d->yd_file) - 4, "...", 4);
	if (len > YDOC_MAX_BYTES) {
		(void)snprintf(err, errlen, "%s: too large (%zu bytes, limit %d)", d->yd_file,
		    len, YDOC_MAX_BYTES);
		return -1;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", d->yd_file);
		return -1;
	}
	b->b_doc = d;
	b->b_err = err;
	b->b_errlen = errlen;
	b->b_last_line = b->b_last_col = 1;
	if (screen_input(b, (const unsigned char *)buf, len) != 0) {
		free(b);
		return -1;
	}

	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_sink;
	dcfg.colorize = false;
	dcfg.level = FYET_ERROR;
	if ((diag = fy_diag_create(&dcfg)) == NULL)
		goto oom;
	fy_diag_set_collect_errors(diag, true);

	struct fy_parse_cfg pcfg;
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET | FYPCF_JSON_NONE;
	pcfg.diag = diag;
	if ((fyp = fy_parser_create(&pcfg)) == NULL)
		goto oom;
	/* An empty string is a valid empty stream; libfyaml wants a pointer. */
	if (fy_parser_set_string(fyp, len ? buf : "", len) != 0)
		goto oom;

	while ((ev = fy_parser_parse(fyp)) != NULL) {
		int r = on_event(b, ev);
		remember_end(b, ev);
		fy_parser_event_free(fyp, ev);
		if (r != 0)
			goto out;
	}
	if (fy_parser_get_stream_error(fyp)) {
		syntax_error(b, diag);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	(void)snprintf(err, errlen, "%s: cannot set up the YAML parser", d->yd_file);
out:
	if (fyp != NULL)
		fy_parser_destroy(fyp);
	if (diag != NULL)
		fy_diag_destroy(diag);
	for (size_t i = 0; i < b->b_nanchors; i++)
		free(b->b_anchors[i].name);
	for (size_t i = 0; i < YDOC_MAX_DEPTH; i++)
		free(b->b_pending_anchor[i]);
	free(b);
	return rc;
}

int
config_read_file(const char *path, char **bufp, size_t *lenp, char *err, size_t errlen)
{
	return file_read_all(path, YDOC_MAX_BYTES, bufp, lenp, err, errlen) == 0 ? 0 : -1;
}

int
ydoc_load_file(struct ydoc *d, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;

	memset(d, 0, sizeof(*d));
	if (config_read_file(path, &buf, &len, err, errlen) != 0)
		return -1;
	int rc = ydoc_parse(d, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

void
ydoc_free(struct ydoc *d)
{
	struct ynode *n, *next;

	if (d == NULL)
		return;
	for (n = d->yd_nodes; n != NULL; n = next) {
		next = n->yn_next;
		free(n->yn_text);
		free(n->yn_kids);
		free(n);
	}
	d->yd_nodes = NULL;
	d->yd_root = NULL;
	d->yd_nnodes = 0;
}

static void
key_join(char *buf, size_t len, const char *prefix, const char *key)
{
	if (prefix == NULL || prefix[0] == '\0')
		(void)snprintf(buf, len, "%.100s", key);
	else
		(void)snprintf(buf, len, "%s.%.100s", prefix, key);
}

int
ymap_keys(const struct ydoc *d, const struct ynode *map, const char *keypath,
          const char *const *keys, size_t n, const struct ynode **vals,
          const struct ynode **knodes, char *err, size_t errlen)
{
	const struct ynode *m = ynode_deref(map);
	char path[160];

	for (size_t i = 0; i < n; i++)
		vals[i] = knodes[i] = NULL;
	if (m->yn_type != YN_MAP) {
		if (keypath == NULL || keypath[0] == '\0')
			return yerr(err, errlen, d->yd_file, map, NULL,
			    "the top level must be a mapping of settings, not %s", ynode_kind(m));
		return yerr(err, errlen, d->yd_file, map, keypath, "expected a mapping, got %s",
		    ynode_kind(m));
	}
	for (size_t p = 0; p + 1 < m->yn_nkids; p += 2) {
		const struct ynode *k = m->yn_kids[p], *v = m->yn_kids[p + 1];
		if (k->yn_type != YN_SCALAR) {
			return yerr(err, errlen, d->yd_file, k, keypath,
			    "expected a plain key, got %s", ynode_kind(k));
		}
		size_t i;
		for (i = 0; i < n; i++)
			if (strcmp(k->yn_text, keys[i]) == 0)
				break;
		key_join(path, sizeof(path), keypath, k->yn_text);
		if (i == n) {
			if (strcmp(k->yn_text, "<<") == 0)
				return yerr(err, errlen, d->yd_file, k, path,
				    "merge keys ('<<') are not supported");
			char msg[256];
			(void)snprintf(msg, sizeof(msg), "unknown key '%.100s'", k->yn_text);
			config_append_suggestion(msg, sizeof(msg), k->yn_text, keys, n);
			return yerr(err, errlen, d->yd_file, k, path, "%s", msg);
		}
		if (knodes[i] != NULL)
			return yerr(err, errlen, d->yd_file, k, path,
			    "duplicate key '%s' (first at line %d)", keys[i], knodes[i]->yn_line);
		knodes[i] = k;
		vals[i] = v;
	}
	return 0;
}

int
yscalar(const struct ydoc *d, const struct ynode *n, const char *keypath,
        const char **text, char *err, size_t errlen)
{
	const struct ynode *v = ynode_deref(n);

	if (v->yn_type == YN_NULL)
		return yerr(err, errlen, d->yd_file, n, keypath, "missing value");
	if (v->yn_type != YN_SCALAR)
		return yerr(err, errlen, d->yd_file, n, keypath, "expected a single value, got %s",
		    ynode_kind(v));
	*text = v->yn_text;
	return 0;
}

int
yseq(const struct ydoc *d, const struct ynode *n, const char *keypath, size_t max,
     const struct ynode **seq, char *err, size_t errlen)
{
	const struct ynode *v = ynode_deref(n);

	if (v->yn_type != YN_SEQ)
		return yerr(err, errlen, d->yd_file, n, keypath, "expected a list, got %s",
		    ynode_kind(v));
	if (v->yn_nkids > max)
		return yerr(err, errlen, d->yd_file, n, keypath, "too many items (%zu, at most %zu)",
		    v->yn_nkids, max);
	*seq = v;
	return 0;
}
