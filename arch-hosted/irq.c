/*
 * "Interrupts" on hosted: upcalls only ever run from libuv callbacks, and
 * those only run inside arch_idle() and arch_poll().  The state is
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
static unsigned long upcalls;	/* delivered so far: arch_idle's wake test */

/* Upcalls are delivered from arch_idle or arch_poll, never nested. */
void hosted_upcall_begin(void)
{
	upcall_saved = disabled;
	disabled = 1;
	upcalls++;
}

void hosted_upcall_end(void)
{
	disabled = upcall_saved;
}

void hosted_irq_enable(void)
{
	disabled = 0;
}

/* uv_run(UV_RUN_ONCE) runs the timers already due *before* it polls,
 * then polls for as long as the next timer is away -- forever when none is
 * armed -- even if such a timer's upcall has just made a proc ready (seen
 * under load, when arch_idle is entered after a deadline: the kernel sat
 * in epoll_wait(-1) with init on the run queue).  A prepare handle runs
 * after those timers and just before the poll: if an upcall came in this
 * idle, uv_stop makes the poll not wait and uv_run return.  Unreferenced,
 * so it does not keep the loop alive on its own. */
static uv_prepare_t guard;
static unsigned long idle_mark;
static int idling;	/* only arch_idle's uv_run waits; arch_poll's never */

static void on_prepare(uv_prepare_t *h)
{
	if (idling && upcalls != idle_mark)
		uv_stop(h->loop);
}

void arch_idle(void)
{
	uv_loop_t *loop = hosted_loop();
	static int guarded;

	unsigned long saved = disabled;

	/* Upcalls only run inside uv_run below, so enabling them for its
	 * duration is the atomic "enable and wait" the contract asks for. */
	disabled = 0;
	idle_mark = upcalls;	/* nothing is ready as of here */
	if (hosted_deterministic) {
		hosted_sim_idle();
		disabled = saved;
		return;
	}
	hosted_console_poll(loop);
	/* With no read in flight and no timer armed, the loop has nothing to
	 * wait for: a kernel with nothing runnable and no input will never
	 * run again.  Say so rather than spin. */
	if (!uv_loop_alive(loop))
		lux_panic("idle with nothing to wait for (no input, no timers)");
	if (!guarded && uv_prepare_init(loop, &guard) == 0) {
		uv_prepare_start(&guard, on_prepare);
		uv_unref((uv_handle_t *)&guard);
		guarded = 1;
	}
	idling = 1;
	uv_run(loop, UV_RUN_ONCE);
	idling = 0;
	disabled = saved;
}

/* Called at every preemption point: run the loop without waiting, but at
 * most once a millisecond, so a busy proc pays a clock read per point and
 * an epoll_wait per millisecond. */
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
	if (now < next)
		return;
	next = now + 1000000;
	hosted_console_poll(hosted_loop());
	uv_run(hosted_loop(), UV_RUN_NOWAIT);
}
