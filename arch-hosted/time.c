/*
 * Time: CLOCK_MONOTONIC since boot, CLOCK_REALTIME for the wall clock,
 * and the kernel's one-shot timer at microsecond resolution.
 *
 * libuv's own timers count whole milliseconds, which made every kernel
 * timer fire up to ~1 ms late (issue 12 measured a median of ~1.1 ms).
 * The one-shot is instead kept here as a deadline and met two ways:
 *
 *  - while a proc runs, arch_poll (irq.c) reads the clock at every
 *    preemption point anyway and asks hosted_timer_poll() whether the
 *    deadline has passed: no system call, and lateness is the distance
 *    between two preemption points;
 *  - when the kernel idles, arch_idle asks hosted_timer_idle() first: a
 *    deadline already past is delivered at once, else it is programmed
 *    into a timerfd (TFD_TIMER_ABSTIME on CLOCK_MONOTONIC: the host
 *    never wakes us before it) that libuv's epoll watches, so the wait in
 *    uv_run ends when the host's timer does, as clock_nanosleep would.
 *
 * Arming costs no system call: the timerfd is written only on the way
 * to sleep, and only when the deadline is earlier than the one it holds
 * (or it holds none).  A deadline moved later (a worker's linger timer
 * after each request, the head of the kernel's timer list) leaves the
 * earlier expiry in place: it wakes the loop once for nothing, and the
 * next sleep programs the real deadline -- one spare wakeup where
 * re-programming would have cost a system call per request.
 * Every delivery checks the clock against the deadline, so a stale
 * timerfd expiry (the deadline moved later meanwhile) is never an early
 * upcall.  A deterministic run (--seed) keeps the virtual clock of sim.c
 * and never touches any of this.
 */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <uv.h>

#include <lux/arch.h>
#include <lux/upcall.h>

#include "hostcalls.h"
#include "internal.h"

static uint64_t boot_ns;
static uint64_t deadline;	/* on the arch_time_ns clock; 0: disarmed */
static uint64_t programmed;	/* what the timerfd holds; 0: nothing pending */
static int tfd = -1;
static uv_poll_t tpoll;		/* the timerfd in the loop; referenced only
				 * while armed, so an idle kernel with no timer
				 * and no input is still seen as stuck */

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

/* The deadline has passed: disarm, then the one upcall.  in_loop: called
 * from a libuv callback, so the upcall's end stops the loop (irq.c). */
static void expire(int in_loop)
{
	deadline = 0;
	uv_unref((uv_handle_t *)&tpoll);
	hosted_upcall_begin();
	lux_timer_expired();	/* may re-arm */
	if (in_loop)
		hosted_upcall_end();
	else
		hosted_upcall_end_direct();
}

static void on_timerfd(uv_poll_t *p, int status, int events)
{
	uint64_t n;

	(void)p, (void)status, (void)events;
	/* Empty it (a level-triggered fd would wake the loop again); the
	 * expiry it counted is spent either way. */
	(void)hostcalls.read(tfd, &n, sizeof n);
	programmed = 0;
	if (deadline && arch_time_ns() >= deadline)
		expire(1);
}

void hosted_timer_init(uv_loop_t *loop)
{
	boot_ns = clock_ns(CLOCK_MONOTONIC);
	tfd = hostcalls.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0) {
		hosted_warn("luxsim: cannot make the kernel's timer (timerfd_create: %s)\n",
		            strerror(errno));
		hostcalls.exit(71);
	}
	uv_poll_init(loop, &tpoll, tfd);
	uv_poll_start(&tpoll, UV_READABLE, on_timerfd);
	uv_unref((uv_handle_t *)&tpoll);
}

void arch_timer_arm(uint64_t d)
{
	if (hosted_deterministic) {
		hosted_sim_arm(d);
		return;
	}
	if (d && !deadline)
		uv_ref((uv_handle_t *)&tpoll);
	else if (!d && deadline)
		uv_unref((uv_handle_t *)&tpoll);
	deadline = d;
}

void hosted_timer_poll(uint64_t now)
{
	if (deadline && now >= deadline)
		expire(0);
}

int hosted_timer_idle(void)
{
	struct itimerspec its;
	uint64_t abs;

	if (!deadline)
		return 0;
	if (arch_time_ns() >= deadline) {
		expire(0);
		return 1;
	}
	if (programmed && programmed <= deadline)
		return 0;	/* it wakes us no later than needed */
	/* boot_ns + deadline on CLOCK_MONOTONIC, held below 2^63 ns (292
	 * years) so a far deadline cannot wrap into the past */
	abs = deadline > (UINT64_C(1) << 62) ? UINT64_C(1) << 62 : deadline + boot_ns;
	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = (time_t)(abs / 1000000000u);
	its.it_value.tv_nsec = (long)(abs % 1000000000u);
	if (hostcalls.timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		lux_panic("timerfd_settime: %s", strerror(errno));
	programmed = deadline;
	return 0;
}
