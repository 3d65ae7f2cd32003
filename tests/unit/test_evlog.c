/*
 * The event stream's pump: with a notify hook, events wait in the stream's
 * buffer and one pump request is made per pump; evlog_pump() flushes them,
 * feeds subscribers and says how many came; the pump interval is 2 ms while
 * events are sparse and 10 ms in a storm, with hysteresis.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/evlog.h"

static int notified;
static void on_notify(void) { notified++; }

static int fed;
static void on_line(void *arg, const char *line, size_t len) { (void)arg; (void)line; (void)len; fed++; }

static void
test_pump_batches_and_counts(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t blen = 0;
	FILE *out = open_memstream(&buf, &blen);
	assert_non_null(out);
	evlog_setup(out, EVLOG_JSON);
	evlog_set_notify(on_notify);
	(void)evlog_pump(); /* start counting from here */
	int slot = evlog_subscribe(on_line, NULL);
	assert_true(slot >= 0);

	notified = fed = 0;
	for (int i = 0; i < 5; i++)
		evlog_emit(evlog_new("accept", (uint64_t)i + 1));
	assert_int_equal(notified, 1);	/* one pump request for the five */
	assert_int_equal(fed, 0);	/* subscribers wait for the pump */
	assert_int_equal(blen, 0);	/* so does the stream */
	assert_int_equal(evlog_pump(), 5);
	assert_int_equal(fed, 5);
	assert_true(blen > 0 && strstr(buf, "\"event\":\"accept\",\"conn\":5") != NULL);
	assert_int_equal(evlog_pump(), 0);

	evlog_emit(evlog_new("close", 9));
	assert_int_equal(notified, 2);	/* the next event asks again */
	assert_int_equal(evlog_pump(), 1);
	assert_int_equal(fed, 6);

	evlog_unsubscribe(slot);
	evlog_set_notify(NULL);
	evlog_setup(NULL, EVLOG_JSON);
	fclose(out);
	free(buf);
	evlog_clear();
}

static void
test_pump_interval(void **state)
{
	(void)state;
	/* sparse: a few events, or the first pump after a quiet spell */
	assert_int_equal(evlog_pump_interval(EVLOG_PUMP_MS, 1, 5000), EVLOG_PUMP_MS);
	assert_int_equal(evlog_pump_interval(EVLOG_PUMP_MS, 2, 2), EVLOG_PUMP_MS);
	assert_int_equal(evlog_pump_interval(EVLOG_PUMP_MS, 1, 0), EVLOG_PUMP_MS);
	assert_int_equal(evlog_pump_interval(0, 1, 0), EVLOG_PUMP_MS); /* the first pump */
	/* more than one a millisecond: a storm */
	assert_int_equal(evlog_pump_interval(EVLOG_PUMP_MS, 3, 2), EVLOG_PUMP_BUSY_MS);
	assert_int_equal(evlog_pump_interval(EVLOG_PUMP_MS, 2, 0), EVLOG_PUMP_BUSY_MS);
	/* the storm goes on through its quieter stretches... */
	assert_int_equal(evlog_pump_interval(EVLOG_PUMP_BUSY_MS, 3, 10), EVLOG_PUMP_BUSY_MS);
	assert_int_equal(evlog_pump_interval(EVLOG_PUMP_BUSY_MS, 45, 12), EVLOG_PUMP_BUSY_MS);
	/* ...and ends under one event in four milliseconds */
	assert_int_equal(evlog_pump_interval(EVLOG_PUMP_BUSY_MS, 2, 10), EVLOG_PUMP_MS);
	assert_int_equal(evlog_pump_interval(EVLOG_PUMP_BUSY_MS, 1, 34), EVLOG_PUMP_MS);
	assert_int_equal(evlog_pump_interval(EVLOG_PUMP_BUSY_MS, 0, 10), EVLOG_PUMP_MS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pump_batches_and_counts),
		cmocka_unit_test(test_pump_interval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
