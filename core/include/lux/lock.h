/*
 * Synchronisation.
 *  spinlock: for data touched by upcalls (interrupt handlers).  Saves and
 *	disables upcalls; on one CPU holding it twice is a deadlock, so that
 *	panics.  The lock word is kept so the code stays right when SMP comes.
 *  qlock: a sleeping mutex (Plan 9's QLock) for data only procs touch.
 *	Not recursive; sleeps uninterruptibly, so a killed proc still gets
 *	and releases the lock before it notices.
 *  rwlock: many readers or one writer, sleeping.
 * Sleeping locks are counted in proc.nlocks: exiting, or sleeping
 * interruptibly, while holding one panics (it would never be released).
 */
#ifndef LUX_LOCK_H
#define LUX_LOCK_H

#include <lux/proc.h>

struct spinlock {
	int locked;
	arch_irqstate saved;	/* upcall state to restore at unlock */
	const char *name;
};

struct qlock {
	struct proc *owner;
	struct waitq waiters;
	const char *name;
};

struct rwlock {
	int readers;
	struct proc *writer;
	struct waitq waiters;
	const char *name;
};

#define SPINLOCK_INIT(n) { 0, 0, n }
#define QLOCK_INIT(l, n) { 0, WAITQ_INIT((l).waiters), n }
#define RWLOCK_INIT(l, n) { 0, 0, WAITQ_INIT((l).waiters), n }

void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);

void qlock_init(struct qlock *l, const char *name);
void qlock(struct qlock *l);
bool canqlock(struct qlock *l);
void qunlock(struct qlock *l);
bool qlock_held(const struct qlock *l);	/* by the current proc */

void rwlock_init(struct rwlock *l, const char *name);
void rlock(struct rwlock *l);
void runlock(struct rwlock *l);
void wlock(struct rwlock *l);
void wunlock(struct rwlock *l);

#endif
