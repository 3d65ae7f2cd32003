/*
 * client_id: which known client an offer looks like. The corpus is the
 * recorded hellos of tests/clienthellos (index.tsv), compiled in at build
 * time; each is parsed once with the gateway's own ClientHello parser.
 *
 * The match is a similarity of what a stack fixes and a user rarely
 * changes: the cipher suites (as a set, and their order), the supported
 * groups, the signature algorithms, the extension types and the versions.
 * GREASE values are left out. No I/O, no clock.
 */
#ifndef P2SGW_CLIENT_ID_H
#define P2SGW_CLIENT_ID_H

#include <stddef.h>

#include "app/audit.h"

/* One recorded hello of the corpus (generated from tests/clienthellos). */
struct known_hello {
	const char *file;   /* "ie_8-10_win7" */
	const char *name;   /* the testssl.sh entry: "IE 8-10 Win 7" */
	const char *stack;  /* "schannel", "openssl", ... */
	const char *hex;    /* the TLS record(s) or SSLv2 hello as sent */
};
extern const struct known_hello known_hellos[];
extern const size_t n_known_hellos;
/* The bytes of a recorded hello into out[0..cap): 0 with *len, or -1 (bad
 * hex, too long). */
int known_hello_bytes(const struct known_hello *k, uint8_t *out, size_t cap, size_t *len);

/* Below this confidence (percent) a client is "unknown". */
#define CLIENT_ID_MIN_CONFIDENCE 70
/* Entries of the corpus used (the rest are left out, and counted as
 * errors by client_id_corpus_errors). */
#define CLIENT_ID_MAX_CORPUS 128

struct client_label {
	int  known;          /* 1: confidence >= CLIENT_ID_MIN_CONFIDENCE */
	int  confidence;     /* 0..100, of the nearest entry */
	char label[200];     /* "IE 8-10 Win 7 (SChannel)" or "unknown" */
	char nearest[200];   /* the nearest entry's label (entries that tie joined
	                        with " or "), also when unknown */
	char file[48];       /* its file in tests/clienthellos, "" if none */
};

/* Label an offer. Thread-safe; parses the corpus on first use. */
void client_identify(const struct audit_offer *o, struct client_label *out);

/* The display name of a stack: "schannel" -> "SChannel". */
const char *client_stack_name(const char *stack);

/* Entries of the corpus that failed to parse (a build defect); 0 normally.
 * The first error goes to err. */
size_t client_id_corpus_errors(char *err, size_t errlen);

#endif
