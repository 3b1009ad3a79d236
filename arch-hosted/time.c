/*
 * Time: CLOCK_MONOTONIC since boot, CLOCK_REALTIME for the wall clock,
 * and the one-shot timer on a libuv timer.  libuv timers have millisecond
 * resolution, so deadlines are rounded up: the timer may fire late by
 * under a millisecond, never early.
 */
#include <time.h>
#include <uv.h>

#include <lux/arch.h>
#include <lux/upcall.h>

#include "hostcalls.h"
#include "internal.h"

static uint64_t boot_ns;
static uv_timer_t timer;

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	hostcalls.clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t arch_time_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC) - boot_ns;
}

int64_t arch_wallclock_ns(void)
{
	return (int64_t)clock_ns(CLOCK_REALTIME);
}

static void on_timer(uv_timer_t *t)
{
	(void)t;
	hosted_upcall_begin();
	lux_timer_expired();
	hosted_upcall_end();
}

void hosted_timer_init(uv_loop_t *loop)
{
	boot_ns = clock_ns(CLOCK_MONOTONIC);
	uv_timer_init(loop, &timer);
}

void arch_timer_arm(uint64_t deadline)
{
	uint64_t now = arch_time_ns(), ms;

	if (deadline == 0) {
		uv_timer_stop(&timer);
		return;
	}
	ms = deadline > now ? (deadline - now + 999999) / 1000000 : 0;
	uv_update_time(hosted_loop());
	uv_timer_start(&timer, on_timer, ms, 0);
}
