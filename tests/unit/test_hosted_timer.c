/*
 * arch-hosted's one-shot timer (time.c, driven through irq.c's arch_idle
 * and arch_poll as the core drives them): each deadline is delivered
 * exactly once and never before it, whether the kernel idles (the
 * timerfd) or runs (arch_poll's clock check); the timerfd is written only
 * for an earlier deadline, and a stale expiry of an earlier one is no
 * upcall; a disarmed timer keeps nothing alive; --seed's virtual clock
 * gets the deadline and the host timer is never touched.  Real time,
 * deadlines of a few ms: what is asserted does not depend on how late
 * the host is (a stall past a deadline before the test reaches the idle
 * loop is a delivery at once, checked as such).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <uv.h>

#include <lux/arch.h>
#include <lux/upcall.h>

#include "hostcalls.h"
#include "internal.h"

/* ---- What time.c and irq.c call outside themselves ---- */

static uv_loop_t loop;
int hosted_deterministic;
static uint64_t sim_armed;

uv_loop_t *hosted_loop(void) { return &loop; }
void hosted_console_poll(uv_loop_t *l) { (void)l; }
uint64_t hosted_sim_now(void) { return 0; }
void hosted_sim_arm(uint64_t d) { sim_armed = d; }
void hosted_sim_poll(void) { }
void hosted_sim_idle(void) { }

void hosted_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

_Noreturn void lux_panic(const char *fmt, ...)
{
	fail_msg("arch panicked: %s", fmt);
	abort();
}

/* The core's side: when each upcall came. */
static int delivered;
static uint64_t delivered_at;

void lux_timer_expired(void)
{
	delivered++;
	delivered_at = arch_time_ns();
}

/* The host call, counted. */
static int settimes;
static int (*real_settime)(int, int, const struct itimerspec *, struct itimerspec *);

static int counting_settime(int fd, int flags, const struct itimerspec *n, struct itimerspec *o)
{
	settimes++;
	return real_settime(fd, flags, n, o);
}

static int setup(void **state)
{
	(void)state;
	real_settime = hostcalls.timerfd_settime;
	hostcalls.timerfd_settime = counting_settime;
	assert_int_equal(uv_loop_init(&loop), 0);
	hosted_timer_init(&loop);
	return 0;
}

static void reset(void)
{
	delivered = 0;
	delivered_at = 0;
	settimes = 0;
}

/* The core's idle loop: upcalls off around arch_idle, until one came. */
static void idle_until_delivered(void)
{
	for (int i = 0; i < 10000 && !delivered; i++) {
		arch_irqstate s = arch_irq_save();

		arch_idle();
		arch_irq_restore(s);
	}
}

static void test_idle_once_never_early(void **state)
{
	uint64_t d;

	(void)state;
	reset();
	d = arch_time_ns() + 2000000;
	arch_timer_arm(d);
	idle_until_delivered();
	assert_int_equal(delivered, 1);
	assert_true(delivered_at >= d);
	/* one write, or none when a host stall let the deadline pass before
	 * the first arch_idle (then it delivers at once) */
	assert_in_range(settimes, 0, 1);
	/* disarmed by the delivery: nothing keeps the loop alive */
	assert_false(uv_loop_alive(&loop));
}

/* hosted_timer_idle before a deadline: 0 (programmed, or kept); a host
 * stall past it: 1, delivered then and there.  Returns whether it was in
 * time, so a test checks the timerfd only when it could have been used. */
static int prepare_idle(uint64_t d)
{
	if (hosted_timer_idle() == 0)
		return 1;
	assert_int_equal(delivered, 1);
	assert_true(delivered_at >= d);
	return 0;
}

static void test_later_deadline_keeps_timerfd(void **state)
{
	uint64_t d1, d2;

	(void)state;
	reset();
	d1 = arch_time_ns() + 30000000;
	arch_timer_arm(d1);
	if (!prepare_idle(d1))
		return;
	assert_int_equal(settimes, 1);	/* programs d1 */
	d2 = d1 + 20000000;
	arch_timer_arm(d2);	/* later: the timerfd keeps d1 */
	if (!prepare_idle(d2))
		return;
	assert_int_equal(settimes, 1);
	idle_until_delivered();	/* d1's expiry is no upcall; d2 is */
	assert_int_equal(delivered, 1);
	assert_true(delivered_at >= d2);
	/* 2: d1's stale expiry, then d2 programmed; 1: the host woke us for
	 * d1 only after d2 had passed too */
	assert_in_range(settimes, 1, 2);
}

static void test_earlier_deadline_reprograms(void **state)
{
	uint64_t d1, d2;

	(void)state;
	reset();
	d1 = arch_time_ns() + 500000000;
	arch_timer_arm(d1);
	if (!prepare_idle(d1))
		return;
	d2 = arch_time_ns() + 20000000;
	arch_timer_arm(d2);
	if (!prepare_idle(d2))
		return;
	assert_int_equal(settimes, 2);
	idle_until_delivered();
	assert_int_equal(delivered, 1);
	assert_true(delivered_at >= d2 && delivered_at < d1);
}

/* A busy kernel: arch_poll at every preemption point, no system call. */
static void test_poll_delivers(void **state)
{
	uint64_t d;

	(void)state;
	reset();
	d = arch_time_ns() + 1000000;
	arch_timer_arm(d);
	while (!delivered && arch_time_ns() < d + 1000000000)
		arch_poll();
	assert_int_equal(delivered, 1);
	assert_true(delivered_at >= d);
	assert_int_equal(settimes, 0);
	for (uint64_t end = arch_time_ns() + 2000000; arch_time_ns() < end;)
		arch_poll();
	assert_int_equal(delivered, 1);	/* once */
}

static void test_disarm(void **state)
{
	uint64_t d;

	(void)state;
	reset();
	d = arch_time_ns() + 1000000;
	arch_timer_arm(d);
	assert_true(uv_loop_alive(&loop));
	arch_timer_arm(0);
	assert_false(uv_loop_alive(&loop));
	for (uint64_t end = d + 2000000; arch_time_ns() < end;)
		arch_poll();
	assert_int_equal(delivered, 0);
}

/* --seed: the virtual clock has the deadline, the host timer nothing. */
static void test_deterministic(void **state)
{
	(void)state;
	reset();
	hosted_deterministic = 1;
	arch_timer_arm(12345);
	hosted_deterministic = 0;
	assert_int_equal(sim_armed, 12345);
	assert_false(uv_loop_alive(&loop));
	assert_int_equal(hosted_timer_idle(), 0);
	assert_int_equal(settimes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* in this order: a stall can leave an expiry programmed (time.c
		 * keeps no way to forget it), and only the poll, disarm and
		 * seeded tests, which never count timerfd writes, come after
		 * the one that can leave it already past */
		cmocka_unit_test(test_idle_once_never_early),
		cmocka_unit_test(test_earlier_deadline_reprograms),
		cmocka_unit_test(test_later_deadline_keeps_timerfd),
		cmocka_unit_test(test_poll_delivers),
		cmocka_unit_test(test_disarm),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
