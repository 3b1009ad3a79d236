/*
 * The lock-order checker (core/kern/lockdep.c): an inverted pair (A then
 * B, later B then A) panics naming the sites of both orders; a longer
 * cycle too; a qlock under a spinlock, or with upcalls masked, and a sleep
 * under a spinlock panic; a consistent order, two instances of one class,
 * and a try-lock in any order are accepted; a full class table says so
 * once and carries on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/lockdep.h>
#include <lux/proc.h>

#include "fake_arch.h"

static struct spinlock a = SPINLOCK_INIT("test-a");
static struct spinlock b = SPINLOCK_INIT("test-b");
static struct spinlock c = SPINLOCK_INIT("test-c");

static int setup(void **state)
{
	(void)state;
	lockdep_reset();
	lockdep_enable(true);
	fake_console_clear();
	return 0;
}

/* The line of each take, for the messages to be checked against: a dry
 * run only reports them (the real one panics in a child). */
static int line_a, line_ab, line_b, line_ba;

static void a_then_b(void)
{
	line_a = __LINE__ + 1;
	spin_lock(&a);
	line_ab = __LINE__ + 1;
	spin_lock(&b);
	spin_unlock(&b);
	spin_unlock(&a);
}

static void b_then_a_at(bool dry)
{
	int at = __LINE__;

	line_b = at + 6;
	line_ba = at + 7;
	if (dry)
		return;
	spin_lock(&b);
	spin_lock(&a);	/* the inversion */
	spin_unlock(&a);
	spin_unlock(&b);
}

static void b_then_a(void) { b_then_a_at(false); }

static void inverted_pair_panics(void **state)
{
	char now[256], before[256];

	(void)state;
	a_then_b();
	b_then_a_at(true);
	/* both orders, each with both of its sites */
	snprintf(now, sizeof now, "taking test-a at %s:%d while holding test-b (taken at %s:%d)",
	         __FILE__, line_ba, __FILE__, line_b);
	snprintf(before, sizeof before, "test-a held (taken at %s:%d) while taking test-b at %s:%d",
	         __FILE__, line_a, __FILE__, line_ab);
	EXPECT_PANIC(b_then_a(), now);
	EXPECT_PANIC(b_then_a(), before);
}

static void consistent_order_accepted(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		a_then_b();
	spin_lock(&b);
	spin_lock(&c);
	spin_unlock(&c);
	spin_unlock(&b);
	spin_lock(&a);
	spin_lock(&c);	/* a -> c agrees with a -> b -> c */
	spin_unlock(&c);
	spin_unlock(&a);
	assert_int_equal(lockdep_spin_depth(), 0);
	assert_int_equal(fake_irq_disabled(), 0);
}

static void c_then_a(void)
{
	spin_lock(&c);
	spin_lock(&a);
	spin_unlock(&a);
	spin_unlock(&c);
}

static void longer_cycle_panics(void **state)
{
	(void)state;
	a_then_b();
	spin_lock(&b);
	spin_lock(&c);
	spin_unlock(&c);
	spin_unlock(&b);
	EXPECT_PANIC(c_then_a(), "taking test-a at " __FILE__);
	EXPECT_PANIC(c_then_a(), "while taking test-b at " __FILE__);
	EXPECT_PANIC(c_then_a(), "(then test-b -> test-c)");
}

static void same_class_twice_accepted(void **state)
{
	struct spinlock one = SPINLOCK_INIT("test-inst"), two = SPINLOCK_INIT("test-inst");

	(void)state;
	spin_lock(&one);
	spin_lock(&two);
	spin_unlock(&two);
	spin_unlock(&one);
	spin_lock(&two);
	spin_lock(&one);
	spin_unlock(&one);
	spin_unlock(&two);
}

static struct qlock q = QLOCK_INIT(q, "test-q");
static struct qlock q2 = QLOCK_INIT(q2, "test-q2");

/* Outside a proc: the checks come before qlock looks for its owner, and
 * a panic inside a proc would longjmp off its stack (ASan objects). */
static void qlock_under_spin(void)
{
	spin_lock(&a);
	qlock(&q);
}

static void qlock_masked(void)
{
	arch_irq_save();
	qlock(&q);
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

/* A plain sleep (not a lock) under a spinlock: the next proc to take it
 * would find it held for as long as this one sleeps. */
static void sleep_under_spin(void)
{
	static struct waitq q = WAITQ_INIT(q);

	spin_lock(&b);
	sleep_on(&q, never, 0);
}

static void qlock_under_spinlock_panics(void **state)
{
	(void)state;
	EXPECT_PANIC(qlock_under_spin(), "qlock test-q at " __FILE__);
	EXPECT_PANIC(qlock_under_spin(), "while holding spinlock test-a (taken at " __FILE__);
	EXPECT_PANIC(qlock_masked(), "with upcalls masked");
	EXPECT_PANIC(sleep_under_spin(), "while holding spinlock test-b (taken at " __FILE__);
}

static void qlocks_in_order(void *arg)
{
	(void)arg;
	qlock(&q);
	qlock(&q2);
	spin_lock(&a);	/* a spinlock under sleeping locks is fine */
	spin_unlock(&a);
	qunlock(&q2);
	qunlock(&q);
	qlock(&q2);
	if (canqlock(&q)) {	/* a try in the other order never waits */
		qunlock(&q);
	}
	qunlock(&q2);
}

/* The order of sleeping locks, as qlock reports it to the checker (a
 * proc holding q2 while it waits for q), in the boot context. */
static void sleeping_inverted(void)
{
	static unsigned short cq, cq2;

	lockdep_acquire(&q2, "test-q2", &cq2, "here.c", 1, LD_SLEEP);
	lockdep_acquire(&q, "test-q", &cq, "here.c", 2, LD_SLEEP);
}

static void sleeping_locks_checked(void **state)
{
	(void)state;
	assert_true(fake_run_in_proc(qlocks_in_order, 0));
	EXPECT_PANIC(sleeping_inverted(), "taking test-q at here.c:2 while holding test-q2 "
	             "(taken at here.c:1), but the opposite order was seen: test-q held");
}

static void full_table_says_once(void **state)
{
	static char names[300][16];
	static struct spinlock many[300];

	(void)state;
	for (int i = 0; i < 300; i++) {
		snprintf(names[i], sizeof names[i], "test-many%d", i);
		spinlock_init(&many[i], names[i]);
		spin_lock(&many[i]);
		spin_unlock(&many[i]);
	}
	assert_non_null(strstr(fake_console_text(), "lockdep: lock class table full"));
	assert_null(strstr(strstr(fake_console_text(), "table full") + 1, "table full"));
	a_then_b();	/* still works for the classes it has */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(inverted_pair_panics, setup),
		cmocka_unit_test_setup(consistent_order_accepted, setup),
		cmocka_unit_test_setup(longer_cycle_panics, setup),
		cmocka_unit_test_setup(same_class_twice_accepted, setup),
		cmocka_unit_test_setup(qlock_under_spinlock_panics, setup),
		cmocka_unit_test_setup(sleeping_locks_checked, setup),
		cmocka_unit_test_setup(full_table_says_once, setup),
	};

	fake_boot(256, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
