/*
 * Close reasons: each has a unique name and text, and each is documented in
 * docs/events.md's "Close reasons" table (a new reason without docs fails).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/reason.h"

static char *
read_doc(void)
{
	const char *src = getenv("P2SGW_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/docs/events.md", src ? src : P2SGW_SOURCE_DIR);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 17];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void
test_names_unique_and_set(void **state)
{
	(void)state;
	for (int i = 0; i < CR__COUNT; i++) {
		const struct reason_info *a = reason_info((enum close_reason)i);
		assert_non_null(a->name);
		assert_non_null(a->text);
		assert_true(a->name[0] != '\0' && a->text[0] != '\0');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(a->name, reason_info((enum close_reason)j)->name);
	}
	/* out of range falls back to a named reason, never NULL */
	assert_non_null(reason_info(CR__COUNT)->name);
}

static void
test_every_reason_documented(void **state)
{
	(void)state;
	char *doc = read_doc();
	char *sec = strstr(doc, "## Close reasons");
	assert_non_null(sec);
	char *end = strstr(sec + 1, "\n## ");
	if (end != NULL)
		*end = '\0';
	for (int i = 0; i < CR__COUNT; i++) {
		const struct reason_info *r = reason_info((enum close_reason)i);
		char row[96];
		snprintf(row, sizeof(row), "| `%s` |", r->name);
		if (strstr(sec, row) == NULL)
			fail_msg("close reason '%s' is not in docs/events.md's Close reasons table",
			    r->name);
		if (strstr(sec, r->text) == NULL)
			fail_msg("the text of '%s' in docs/events.md differs from reason.c", r->name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_unique_and_set),
		cmocka_unit_test(test_every_reason_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
