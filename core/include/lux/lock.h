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
 *
 * Every lock has a name, which is its class for the lock-order checker
 * (<lux/lockdep.h>, docs/locks.md): the take calls are macros passing
 * their call site, so an order violation names the lines on both sides.
 * Which locks exist, what each protects and their order: docs/locks.md.
 */
#ifndef LUX_LOCK_H
#define LUX_LOCK_H

#include <lux/proc.h>

struct spinlock {	/* 24 bytes: it sits in size-bounded structures */
	arch_irqstate saved;	/* upcall state to restore at unlock */
	const char *name;
	int locked;
	unsigned short cls;	/* the checker's class index, 0 until first taken */
};

struct qlock {
	struct proc *owner;
	struct waitq waiters;
	const char *name;
	unsigned short cls;
};

struct rwlock {
	int readers;
	struct proc *writer;
	struct waitq waiters;
	const char *name;
	unsigned short cls;
};

#define SPINLOCK_INIT(n) \
	{ \
		.saved = 0, .name = n, .locked = 0, .cls = 0 \
	}
#define QLOCK_INIT(l, n) \
	{ \
		0, WAITQ_INIT((l).waiters), n, 0 \
	}
#define RWLOCK_INIT(l, n) \
	{ \
		0, 0, WAITQ_INIT((l).waiters), n, 0 \
	}

#define spin_lock(l) spin_lock_at((l), __FILE__, __LINE__)
#define qlock(l) qlock_at((l), __FILE__, __LINE__)
#define canqlock(l) canqlock_at((l), __FILE__, __LINE__)
#define rlock(l) rlock_at((l), __FILE__, __LINE__)
#define wlock(l) wlock_at((l), __FILE__, __LINE__)

/* A spinlock named name (its class for the checker), free; take and
 * release it (upcalls masked in between, restored as they were). */
void spinlock_init(struct spinlock *l, const char *name);
void spin_lock_at(struct spinlock *l, const char *file, int line);
void spin_unlock(struct spinlock *l);
bool spin_held(const struct spinlock *l);	/* by this CPU (one CPU: by anyone) */

/* A qlock named name, free; take it (sleeping until it is), take it only
 * if free (true if taken), release it. */
void qlock_init(struct qlock *l, const char *name);
void qlock_at(struct qlock *l, const char *file, int line);
bool canqlock_at(struct qlock *l, const char *file, int line);
void qunlock(struct qlock *l);
bool qlock_held(const struct qlock *l);	/* by the current proc */

/* A reader/writer lock named name, free; take and release it to read
 * (many at once) or to write (alone), sleeping until it may. */
void rwlock_init(struct rwlock *l, const char *name);
void rlock_at(struct rwlock *l, const char *file, int line);
void runlock(struct rwlock *l);
void wlock_at(struct rwlock *l, const char *file, int line);
void wunlock(struct rwlock *l);

#endif
