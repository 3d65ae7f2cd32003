/* Client address pool: leases, exhaustion, no reuse of the gateway. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vnet/pool.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void
test_lease_order_and_exhaustion(void **state)
{
	/* /29: .1-.6 usable, .1 is the gateway -> five leases */
	struct addr_pool *p = pool_new(IP(172, 16, 201, 0), 29, IP(172, 16, 201, 1));
	assert_non_null(p);
	uint32_t got[5];
	for (int i = 0; i < 5; i++) {
		got[i] = pool_take(p);
		assert_int_equal(got[i], IP(172, 16, 201, 2 + i));
	}
	assert_int_equal(pool_take(p), 0);
	assert_int_equal(p->in_use, 5);
	pool_put(p, got[1]);
	pool_put(p, got[1]); /* a double put is ignored */
	assert_int_equal(p->in_use, 4);
	assert_int_equal(pool_take(p), got[1]);
	for (int i = 0; i < 5; i++)
		pool_put(p, got[i]);
	assert_int_equal(p->in_use, 0);
	assert_int_equal(p->refs, 1);
	pool_unref(p);
}

static void
test_leases_outlive_the_server_reference(void **state)
{
	struct addr_pool *p = pool_new(IP(10, 0, 0, 0), 24, IP(10, 0, 0, 1));
	uint32_t a = pool_take(p);
	pool_unref(p);          /* the server moved to another pool */
	assert_int_equal(p->refs, 1);
	pool_put(p, a);         /* the last lease frees it (LeakSanitizer checks) */
}

static void
test_bad_prefix(void **state)
{
	assert_null(pool_new(IP(10, 0, 0, 0), 31, 0));
	assert_null(pool_new(IP(10, 0, 0, 0), 4, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lease_order_and_exhaustion),
		cmocka_unit_test(test_leases_outlive_the_server_reference),
		cmocka_unit_test(test_bad_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
