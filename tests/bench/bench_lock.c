/*
 * The upcall mask and lock.c's spinlock as the production image runs
 * them (the lock-order checker off: upcalls masked, the word tested and
 * set), for the benches that compile a core file as is (pebble.c,
 * borrow.c) on one host thread.
 */
#include <stdlib.h>

#include <lux/arch.h>
#include <lux/lock.h>

static volatile unsigned long irqflag;

arch_irqstate arch_irq_save(void)
{
	arch_irqstate s = irqflag;

	irqflag = 1;
	return s;
}

void arch_irq_restore(arch_irqstate s)
{
	irqflag = s;
}

void spin_lock_at(struct spinlock *l, const char *file, int line)
{
	arch_irqstate s = arch_irq_save();

	(void)file;
	(void)line;
	if (l->locked)
		abort();
	l->locked = 1;
	l->saved = s;
}

void spin_unlock(struct spinlock *l)
{
	l->locked = 0;
	arch_irq_restore(l->saved);
}
