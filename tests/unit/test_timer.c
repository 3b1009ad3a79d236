/*
 * Kernel timers (core/kern/timer.c) on the fake arch's one-shot timer:
 * the fake records every arch_timer_arm() and lets the test set the clock
 * and deliver the expiry upcall.  Every test leaves no timer armed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <lux/proc.h>
#include <lux/timer.h>

#include "fake_arch.h"

static char fired[32];	/* names of the timers that ran, in order */
static size_t nfired;

static void record(void *arg)
{
	fired[nfired++] = *(const char *)arg;
	fired[nfired] = 0;
	assert_int_equal(fake_irq_disabled(), 1);	/* callbacks run as upcalls */
}

static int reset(void **state)
{
	(void)state;
	nfired = 0;
	fired[0] = 0;
	fake_timer_arms = 0;
	fake_timer_deadline = 0;
	fake_time_ns = 0;
	return 0;
}

static void fire_at(uint64_t now)
{
	fake_time_ns = now;
	fake_timer_fire();
}

static void expect_idle(void)
{
	assert_int_equal(fake_timer_deadline, 0);	/* nothing left armed */
	assert_int_equal(fake_irq_disabled(), 0);
}

static void test_deadline_order(void **state)
{
	struct ktimer a = { 0 }, b = { 0 }, c = { 0 };

	(void)state;
	ktimer_start(&a, 300, record, "a");
	assert_int_equal(fake_timer_deadline, 300);
	ktimer_start(&b, 100, record, "b");
	assert_int_equal(fake_timer_deadline, 100);	/* earliest is armed */
	ktimer_start(&c, 200, record, "c");
	assert_int_equal(fake_timer_deadline, 100);
	assert_int_equal(fake_timer_arms, 3);
	assert_true(a.armed && b.armed && c.armed);

	fire_at(150);			/* only what is due runs */
	assert_string_equal(fired, "b");
	assert_false(b.armed);
	assert_int_equal(fake_timer_deadline, 200);
	fire_at(1000);			/* all that is due, in deadline order */
	assert_string_equal(fired, "bca");
	assert_false(a.armed || c.armed);
	expect_idle();
}

static void test_equal_deadlines_fifo(void **state)
{
	struct ktimer t[5] = { { 0 } };

	(void)state;
	ktimer_start(&t[0], 100, record, "A");
	ktimer_start(&t[1], 100, record, "B");
	ktimer_start(&t[2], 50, record, "D");
	ktimer_start(&t[3], 100, record, "C");
	ktimer_start(&t[4], 100, record, "E");
	fire_at(100);			/* a deadline equal to now is due */
	assert_string_equal(fired, "DABCE");
	expect_idle();
}

static void test_cancel(void **state)
{
	struct ktimer a = { 0 }, b = { 0 }, never = { 0 };
	unsigned arms;

	(void)state;
	ktimer_start(&a, 100, record, "a");
	ktimer_start(&b, 200, record, "b");
	ktimer_cancel(&a);			/* the head: re-arm for the next */
	assert_false(a.armed);
	assert_int_equal(fake_timer_deadline, 200);
	arms = fake_timer_arms;
	ktimer_cancel(&a);			/* again: harmless, no re-arm */
	ktimer_cancel(&never);			/* never started: likewise */
	assert_int_equal(fake_timer_arms, arms);
	ktimer_cancel(&b);			/* the last: disarm */
	assert_int_equal(fake_timer_deadline, 0);
	fire_at(1000);
	assert_string_equal(fired, "");
	expect_idle();
}

static void test_restart_moves(void **state)
{
	struct ktimer a = { 0 }, b = { 0 };

	(void)state;
	ktimer_start(&a, 100, record, "a");
	ktimer_start(&b, 200, record, "b");
	ktimer_start(&a, 300, record, "a");	/* restart an armed timer: moved, not doubled */
	assert_int_equal(fake_timer_deadline, 200);
	fire_at(1000);
	assert_string_equal(fired, "ba");
	expect_idle();

	/* deadline 0 would mean "disarm" to the arch: it becomes 1 */
	ktimer_start(&a, 0, record, "z");
	assert_int_equal(a.deadline, 1);
	assert_int_equal(fake_timer_deadline, 1);
	fire_at(1);
	assert_string_equal(fired, "baz");
	expect_idle();
}

static void test_early_upcall(void **state)
{
	struct ktimer a = { 0 };

	(void)state;
	ktimer_start(&a, 100, record, "a");
	fire_at(99);				/* spurious or early: nothing runs */
	assert_string_equal(fired, "");
	assert_true(a.armed);
	assert_int_equal(fake_timer_deadline, 100);
	fire_at(100);
	assert_string_equal(fired, "a");
	expect_idle();
}

static struct ktimer periodic, victim;
static int periodic_runs;

static void tick(void *arg)
{
	(void)arg;
	periodic_runs++;
	ktimer_cancel(&victim);			/* callbacks may cancel others... */
	ktimer_start(&periodic, periodic.deadline + 100, tick, 0);	/* ...and re-arm */
}

static void test_callbacks_rearm_and_cancel(void **state)
{
	(void)state;
	periodic_runs = 0;
	ktimer_start(&periodic, 100, tick, 0);
	ktimer_start(&victim, 100, record, "v");	/* due, but cancelled first */
	fire_at(250);		/* runs at 100, re-arms to 200, due too, re-arms to 300 */
	assert_int_equal(periodic_runs, 2);
	assert_string_equal(fired, "");
	assert_int_equal(fake_timer_deadline, 300);
	ktimer_cancel(&periodic);
	expect_idle();
}

/* tsleep_ns in a proc: the proc sleeps, the idle loop reaches arch_idle,
 * and the fake's idle hook plays the arch: it moves the clock to the armed
 * deadline and delivers the expiry, which wakes the proc. */
static bool advance_to_deadline(void)
{
	if (fake_timer_deadline == 0)
		return false;
	fake_time_ns = fake_timer_deadline;
	fake_timer_fire();
	return true;
}

static uint64_t slept[2];

static void sleeper(void *arg)
{
	uint64_t t0 = arch_time_ns();

	(void)arg;
	tsleep_ns(5000);
	slept[0] = arch_time_ns() - t0;
	t0 = arch_time_ns();
	tsleep_ns(1);
	slept[1] = arch_time_ns() - t0;
}

static void test_tsleep(void **state)
{
	unsigned idles = fake_idle_calls;

	(void)state;
	fake_time_ns = 1000000;
	fake_idle_hook = advance_to_deadline;
	assert_true(fake_run_in_proc(sleeper, 0));
	assert_int_equal(slept[0], 5000);
	assert_int_equal(slept[1], 1);
	assert_true(fake_idle_calls - idles >= 2);	/* it really slept, twice */
	expect_idle();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_deadline_order, reset),
		cmocka_unit_test_setup(test_equal_deadlines_fifo, reset),
		cmocka_unit_test_setup(test_cancel, reset),
		cmocka_unit_test_setup(test_restart_moves, reset),
		cmocka_unit_test_setup(test_early_upcall, reset),
		cmocka_unit_test_setup(test_callbacks_rearm_and_cancel, reset),
		cmocka_unit_test_setup(test_tsleep, reset),
	};

	fake_boot(64, false);	/* procs need pages for their stacks */
	return cmocka_run_group_tests(tests, 0, 0);
}
