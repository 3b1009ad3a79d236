/*
 * Time: CLOCK_MONOTONIC since boot, CLOCK_REALTIME for the wall clock,
 * and the one-shot timer on a libuv timer.  libuv timers have millisecond
 * resolution, so deadlines are rounded up: the timer may fire late by
 * about a millisecond, never early.
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
	if (hosted_deterministic)
		return hosted_sim_now();
	return clock_ns(CLOCK_MONOTONIC) - boot_ns;
}

/* A deterministic run starts its wall clock at a fixed instant. */
#define SIM_EPOCH_NS 1767225600000000000ll	/* 2026-01-01 00:00:00 UTC */

int64_t arch_wallclock_ns(void)
{
	if (hosted_deterministic)
		return SIM_EPOCH_NS + (int64_t)hosted_sim_now();
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
	uint64_t due_ms, loop_ms;

	if (hosted_deterministic) {
		hosted_sim_arm(deadline);
		return;
	}
	if (deadline == 0) {
		uv_timer_stop(&timer);
		return;
	}
	uv_update_time(hosted_loop());
	/* libuv's loop time is CLOCK_MONOTONIC in whole milliseconds, rounded
	 * down, and a timer is due once it reaches uv_now() + ms: so count the
	 * milliseconds from uv_now(), rounding the deadline up, or the timer
	 * fires up to 1 ms early whenever arch_poll runs the loop mid-slice
	 * (found by tests/bench/timer_latency.c). */
	due_ms = (deadline + boot_ns + 999999) / 1000000;
	loop_ms = uv_now(hosted_loop());
	uv_timer_start(&timer, on_timer, due_ms > loop_ms ? due_ms - loop_ms : 0, 0);
}
