/*
 * Interrupt state and idle.  "Upcalls disabled" on this arch is RFLAGS.IF
 * clear: every upcall comes from an interrupt handler.
 */
#include <lux/arch.h>

#include "cpu.h"
#include "x86.h"

arch_irqstate arch_irq_save(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f) : : "memory");
	return f & RFLAGS_IF;
}

void arch_irq_restore(arch_irqstate s)
{
	if (s & RFLAGS_IF)
		sti();
}

/*
 * Wait until something may have happened: an upcall was delivered since
 * the last arch_idle returned, or one arrives now.
 *
 * The contract lets the core call this with interrupts enabled, after it
 * found nothing to do; an interrupt between that check and the hlt would
 * otherwise be handled and then slept through (hlt waits for the *next*
 * one, which may never come).  So the handlers count upcalls
 * (x86_upcalls), and we hlt only when none was delivered since we last
 * returned; the caller re-checks its queues after we return, which covers
 * everything counted until then.  The check and the hlt are atomic: sti
 * takes effect only after the next instruction, so an interrupt cannot
 * slip in between sti and hlt.  We return with the caller's interrupt
 * state, so the stricter pattern works too:
 *
 *	s = arch_irq_save();
 *	while (!work())
 *		arch_idle();
 *	arch_irq_restore(s);
 */
volatile unsigned long x86_upcalls;
static unsigned long idle_seen;

void arch_idle(void)
{
	uint64_t f = read_rflags();

	cli();
	x86_console_resume();	/* the core may have made room for input */
	x86_virtio_start();	/* the core is up: connections may come */
	if (x86_upcalls == idle_seen)
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	idle_seen = x86_upcalls;
	if (f & RFLAGS_IF)
		sti();
}

/* Interrupts arrive by themselves here: nothing to poll. */
void arch_poll(void)
{
}
