/*
 * Spinlocks, qlocks and reader/writer locks (see <lux/lock.h>).
 *
 * Bare arch_irq_save/arch_irq_restore here is the point: this is the lock
 * implementation every other file uses instead of masking by hand (the
 * bare-masking test, tests/lint/irq_masking.sh, allows this file).
 */
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/lockdep.h>

#undef spin_lock
#undef qlock
#undef canqlock
#undef rlock
#undef wlock

/* Were upcalls masked before this call?  Save twice: the second save
 * returns the masked state, and the first equals it exactly when they were
 * already masked (a state is one value per state on every arch: a flag on
 * hosted, RFLAGS.IF on x86_64). */
static bool upcalls_masked(void)
{
	arch_irqstate before = arch_irq_save();
	arch_irqstate masked = arch_irq_save();

	arch_irq_restore(masked);
	arch_irq_restore(before);
	return before == masked;
}

/* A sleeping lock is about to be taken: not under a spinlock, not with
 * upcalls masked (the caller's atomic section would not be). */
static void sleeping_take(const char *what, const char *name, const char *file, int line)
{
	char why[64];

	if (!lockdep_on)
		return;
	ksnprintf(why, sizeof why, "%s %s", what, name ? name : "unnamed");
	lockdep_might_sleep(why, file, line, upcalls_masked());
}

void spinlock_init(struct spinlock *l, const char *name)
{
	l->locked = 0;
	l->saved = 0;
	l->name = name;
	l->cls = 0;
}

void spin_lock_at(struct spinlock *l, const char *file, int line)
{
	arch_irqstate s = arch_irq_save();

	if (l->locked)
		panic("spin_lock %s at %s:%d: already held (one CPU: a deadlock)", l->name, file,
		      line);
	lockdep_acquire(l, l->name, &l->cls, file, line, LD_SPIN);
	l->locked = 1;
	l->saved = s;
}

void spin_unlock(struct spinlock *l)
{
	arch_irqstate s = l->saved;

	if (!l->locked)
		panic("spin_unlock %s: not held", l->name);
	lockdep_release(l, LD_SPIN);
	l->locked = 0;
	arch_irq_restore(s);
}

bool spin_held(const struct spinlock *l)
{
	return l->locked;
}

void qlock_init(struct qlock *l, const char *name)
{
	l->owner = 0;
	waitq_init(&l->waiters);
	l->name = name;
	l->cls = 0;
}

static bool qlock_free(void *arg)
{
	return ((struct qlock *)arg)->owner == 0;
}

/* The test and the take happen with upcalls disabled, so no preemption
 * can slip another owner in between. */
void qlock_at(struct qlock *l, const char *file, int line)
{
	struct proc *up = curproc();
	arch_irqstate s;

	sleeping_take("qlock", l->name, file, line);
	s = arch_irq_save();
	kassert(up != 0);
	if (l->owner == up)
		panic("qlock %s at %s:%d: taken twice by proc %d (%s)", l->name, file, line,
		      up->pid, up->name);
	lockdep_acquire(l, l->name, &l->cls, file, line, LD_SLEEP);
	sleep_on_unint(&l->waiters, qlock_free, l);
	l->owner = up;
	up->nlocks++;
	arch_irq_restore(s);
}

bool canqlock_at(struct qlock *l, const char *file, int line)
{
	arch_irqstate s = arch_irq_save();
	bool got = l->owner == 0;

	if (got) {
		lockdep_acquire(l, l->name, &l->cls, file, line, LD_TRY);
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
	lockdep_release(l, LD_SLEEP);
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
	l->cls = 0;
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

void rlock_at(struct rwlock *l, const char *file, int line)
{
	arch_irqstate s;

	sleeping_take("rlock", l->name, file, line);
	s = arch_irq_save();
	if (l->writer == curproc())
		panic("rlock %s at %s:%d: proc holds it for writing", l->name, file, line);
	lockdep_acquire(l, l->name, &l->cls, file, line, LD_SLEEP);
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
	lockdep_release(l, LD_SLEEP);
	l->readers--;
	curproc()->nlocks--;
	if (l->readers == 0)
		wakeup(&l->waiters);
	arch_irq_restore(s);
}

void wlock_at(struct rwlock *l, const char *file, int line)
{
	arch_irqstate s;

	sleeping_take("wlock", l->name, file, line);
	s = arch_irq_save();
	if (l->writer == curproc())
		panic("wlock %s at %s:%d: taken twice", l->name, file, line);
	lockdep_acquire(l, l->name, &l->cls, file, line, LD_SLEEP);
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
	lockdep_release(l, LD_SLEEP);
	l->writer = 0;
	curproc()->nlocks--;
	wakeup(&l->waiters);
	arch_irq_restore(s);
}
