/*
 * "Interrupts" on hosted: upcalls only ever run inside arch_idle() and
 * arch_poll(): from libuv callbacks, which only run there, or for the
 * timer, when either finds its deadline past (time.c).  The state is
 * therefore a flag the core saves and restores.
 */
#include <lux/arch.h>
#include <lux/upcall.h>
#include <stdint.h>

#include "internal.h"

static unsigned long disabled;

arch_irqstate arch_irq_save(void)
{
	arch_irqstate s = disabled;

	disabled = 1;
	return s;
}

void arch_irq_restore(arch_irqstate s)
{
	disabled = s;
}

static unsigned long upcall_saved;

/* Upcalls are delivered from arch_idle or arch_poll, never nested. */
void hosted_upcall_begin(void)
{
	upcall_saved = disabled;
	disabled = 1;
}

/* An upcall may have made a proc runnable, so the loop must not go on to
 * wait: libuv 1.44 runs due timers before it computes the poll timeout,
 * and a timer upcall that woke the only proc was followed by an endless
 * epoll_wait (seen as a shell that stopped answering, with its proc ready
 * and the idle loop asleep).  uv_stop makes the poll of this iteration
 * not wait, and uv_run returns; the idle loop then looks again. */
void hosted_upcall_end(void)
{
	disabled = upcall_saved;
	uv_stop(hosted_loop());
}

/* The same end for an upcall delivered outside uv_run (time.c, from
 * arch_poll or arch_idle before they run the loop): no loop to stop, and
 * a uv_stop left pending would make the next uv_run return at once,
 * doing nothing, which holds I/O back for a poll interval. */
void hosted_upcall_end_direct(void)
{
	disabled = upcall_saved;
}

void hosted_irq_enable(void)
{
	disabled = 0;
}

void arch_idle(void)
{
	uv_loop_t *loop = hosted_loop();

	unsigned long saved = disabled;

	/* Upcalls only run inside uv_run below, so enabling them for its
	 * duration is the atomic "enable and wait" the contract asks for. */
	disabled = 0;
	if (hosted_deterministic) {
		hosted_sim_idle();
		disabled = saved;
		return;
	}
	/* A timer deadline already past is delivered here; a later one is
	 * programmed for the wait below (time.c). */
	if (hosted_timer_idle()) {
		disabled = saved;
		return;
	}
	hosted_console_poll(loop);
	/* With no read in flight and no timer armed, the loop has nothing to
	 * wait for: a kernel with nothing runnable and no input will never
	 * run again.  Say so rather than spin. */
	if (!uv_loop_alive(loop))
		lux_panic("idle with nothing to wait for (no input, no timers)");
	uv_run(loop, UV_RUN_ONCE);
	disabled = saved;
}

/* Called at every preemption point: deliver the timer if its deadline
 * has passed (the clock is read here anyway, so a busy kernel's timers
 * are as late as the gap between two preemption points, not a
 * millisecond), then run the loop without waiting, but at most once a
 * millisecond, so a busy proc pays a clock read per point and an
 * epoll_wait per millisecond. */
void arch_poll(void)
{
	static uint64_t next;
	uint64_t now;

	if (disabled)
		return;	/* a preemption point inside a critical section */
	if (hosted_deterministic) {
		hosted_sim_poll();
		return;
	}
	now = arch_time_ns();
	hosted_timer_poll(now);
	if (now < next)
		return;
	next = now + 1000000;
	hosted_console_poll(hosted_loop());
	uv_run(hosted_loop(), UV_RUN_NOWAIT);
}
