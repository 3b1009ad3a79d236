/*
 * "Interrupts" on hosted: upcalls only ever run from libuv callbacks, and
 * those only run inside arch_idle().  The state is therefore a flag the
 * core saves and restores, and idle asserts it is called with upcalls
 * enabled, as on metal.
 */
#include <lux/arch.h>
#include <lux/upcall.h>

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

void hosted_upcall_begin(void)
{
	disabled = 1;
}

void hosted_upcall_end(void)
{
	disabled = 0;
}

void hosted_irq_enable(void)
{
	disabled = 0;
}

void arch_idle(void)
{
	uv_loop_t *loop = hosted_loop();

	if (disabled)
		lux_panic("arch_idle called with upcalls disabled");
	hosted_console_poll(loop);
	/* With no read in flight and no timer armed, the loop has nothing to
	 * wait for: a kernel with nothing runnable and no input will never
	 * run again.  Say so rather than spin. */
	if (!uv_loop_alive(loop))
		lux_panic("idle with nothing to wait for (no input, no timers)");
	uv_run(loop, UV_RUN_ONCE);
}
