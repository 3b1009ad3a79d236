/*
 * arch-hosted/conntab.c, the hosted connection table: ids stay small and
 * are reused only once given back, lookups survive the array growing,
 * and the bound follows the open files limit (read through the host call
 * table, which the test replaces: hostcalls.h's reason to exist).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/resource.h>

#include "conntab.h"
#include "hostcalls.h"

static rlim_t fake_nofile = 300;

static int fake_getrlimit(int res, struct rlimit *rl)
{
	assert_int_equal(res, RLIMIT_NOFILE);
	rl->rlim_cur = rl->rlim_max = fake_nofile;
	return 0;
}

/* Fake entries: the table only stores the pointers. */
static char entries[400];
#define E(i) ((struct conn *)&entries[i])

static void test_bound_for(void **state)
{
	(void)state;
	assert_int_equal(conntab_bound_for(20000), 20000 - 64);
	assert_int_equal(conntab_bound_for(128), 64);
	assert_int_equal(conntab_bound_for(64), 32);	/* a tiny limit: half */
	assert_int_equal(conntab_bound_for(0), 0);
	assert_int_equal(conntab_bound_for((unsigned long long)RLIM_INFINITY), 1 << 20);
}

static void test_ids(void **state)
{
	int bound;

	(void)state;
	hostcalls.getrlimit = fake_getrlimit;
	bound = conntab_bound();
	assert_int_equal(bound, 300 - 64);
	/* past the first array (64) several times: every id in order, and
	 * every earlier lookup still right after each growth */
	for (int i = 0; i < bound; i++) {
		assert_int_equal(conntab_add(E(i)), i);
		assert_ptr_equal(conntab_get(0), E(0));
	}
	for (int i = 0; i < bound; i++)
		assert_ptr_equal(conntab_get(i), E(i));
	assert_int_equal(conntab_count(), bound);
	assert_int_equal(conntab_add(E(bound)), CONNTAB_FULL);
	/* unknown ids are nobody's */
	assert_null(conntab_get(-1));
	assert_null(conntab_get(bound));
	assert_null(conntab_get(1 << 30));
	/* given back: free, and the next one takes it (ids stay small) */
	conntab_remove(17);
	conntab_remove(40);
	conntab_remove(40);	/* twice is harmless */
	conntab_remove(-5);
	assert_null(conntab_get(17));
	assert_int_equal(conntab_count(), bound - 2);
	assert_int_equal(conntab_add(E(300)), 40);
	assert_int_equal(conntab_add(E(301)), 17);
	assert_ptr_equal(conntab_get(17), E(301));
	assert_int_equal(conntab_add(E(302)), CONNTAB_FULL);
	for (int i = 0; i < bound; i++)
		conntab_remove(i);
	assert_int_equal(conntab_count(), 0);
	assert_true(conntab_add(E(0)) < bound);	/* never a new id while old ones are free */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound_for),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
