/* Spinlocks, qlocks and reader/writer locks (see <lux/lock.h>). */
#include <lux/kern.h>
#include <lux/lock.h>

void spin_lock(struct spinlock *l)
{
	arch_irqstate s = arch_irq_save();

	if (l->locked)
		panic("spin_lock %s: already held (one CPU: a deadlock)", l->name);
	l->locked = 1;
	l->saved = s;
}

void spin_unlock(struct spinlock *l)
{
	arch_irqstate s = l->saved;

	if (!l->locked)
		panic("spin_unlock %s: not held", l->name);
	l->locked = 0;
	arch_irq_restore(s);
}

void qlock_init(struct qlock *l, const char *name)
{
	l->owner = 0;
	waitq_init(&l->waiters);
	l->name = name;
}

static bool qlock_free(void *arg)
{
	return ((struct qlock *)arg)->owner == 0;
}

/* The test and the take happen with upcalls disabled, so no preemption
 * can slip another owner in between. */
void qlock(struct qlock *l)
{
	struct proc *up = curproc();
	arch_irqstate s = arch_irq_save();

	kassert(up != 0);
	if (l->owner == up)
		panic("qlock %s: taken twice by proc %d (%s)", l->name, up->pid, up->name);
	sleep_on_unint(&l->waiters, qlock_free, l);
	l->owner = up;
	up->nlocks++;
	arch_irq_restore(s);
}

bool canqlock(struct qlock *l)
{
	arch_irqstate s = arch_irq_save();
	bool got = l->owner == 0;

	if (got) {
		l->owner = curproc();
		l->owner->nlocks++;
	}
	arch_irq_restore(s);
	return got;
}

void qunlock(struct qlock *l)
{
	arch_irqstate s = arch_irq_save();

	if (l->owner != curproc())
		panic("qunlock %s: not held by proc %d", l->name, curproc() ? curproc()->pid : 0);
	l->owner = 0;
	curproc()->nlocks--;
	wakeup(&l->waiters);
	arch_irq_restore(s);
}

bool qlock_held(const struct qlock *l)
{
	return l->owner != 0 && l->owner == curproc();
}

void rwlock_init(struct rwlock *l, const char *name)
{
	l->readers = 0;
	l->writer = 0;
	waitq_init(&l->waiters);
	l->name = name;
}

static bool no_writer(void *arg)
{
	return ((struct rwlock *)arg)->writer == 0;
}

static bool unowned(void *arg)
{
	struct rwlock *l = arg;
	return l->writer == 0 && l->readers == 0;
}

void rlock(struct rwlock *l)
{
	arch_irqstate s = arch_irq_save();

	if (l->writer == curproc())
		panic("rlock %s: proc holds it for writing", l->name);
	sleep_on_unint(&l->waiters, no_writer, l);
	l->readers++;
	curproc()->nlocks++;
	arch_irq_restore(s);
}

void runlock(struct rwlock *l)
{
	arch_irqstate s = arch_irq_save();

	if (l->readers <= 0)
		panic("runlock %s: no readers", l->name);
	l->readers--;
	curproc()->nlocks--;
	if (l->readers == 0)
		wakeup(&l->waiters);
	arch_irq_restore(s);
}

void wlock(struct rwlock *l)
{
	arch_irqstate s = arch_irq_save();

	if (l->writer == curproc())
		panic("wlock %s: taken twice", l->name);
	sleep_on_unint(&l->waiters, unowned, l);
	l->writer = curproc();
	curproc()->nlocks++;
	arch_irq_restore(s);
}

void wunlock(struct rwlock *l)
{
	arch_irqstate s = arch_irq_save();

	if (l->writer != curproc())
		panic("wunlock %s: not the writer", l->name);
	l->writer = 0;
	curproc()->nlocks--;
	wakeup(&l->waiters);
	arch_irq_restore(s);
}
