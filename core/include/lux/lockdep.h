/*
 * The lock-order checker (in the spirit of FreeBSD's WITNESS and Linux's
 * lockdep; docs/locks.md).  lock.c calls it on every take and release; it
 * is compiled into every image but checks only when lockdep_on is set:
 * lux_main sets it from lockdep_builtin, which the test library
 * (core/test, linked by luxsim, luxsim-asan and lux9-test.img) defines
 * true and notest.c (the production image) false.  Unit tests turn it on
 * with lockdep_enable.
 *
 * A lock's class is its name: every "conn" lock is one class.  The checker
 * records "A held while taking B" edges with both call sites and panics,
 * naming the sites of both orders, on an edge that closes a cycle; and on a
 * sleeping lock (or a sleep) while a spinlock is held or upcalls are
 * masked.  Fixed tables: when one is full it says so once and checks less,
 * never crashes.
 */
#ifndef LUX_LOCKDEP_H
#define LUX_LOCKDEP_H

#include <lux/types.h>

enum lockkind { LD_SPIN, LD_SLEEP, LD_TRY };

extern bool lockdep_on;
extern const bool lockdep_builtin;	/* core/test/lockdep_on.c or notest.c */

/* Check from now on (or stop): lux_main, and the unit tests. */
void lockdep_enable(bool on);
/* A lock (identified by its address) of class name is being taken at
 * file:line; *cls caches the class index in the lock (0: not yet known). */
void lockdep_acquire(const void *lock, const char *name, unsigned short *cls, const char *file,
                     int line, enum lockkind kind);
void lockdep_release(const void *lock, enum lockkind kind);
/* The caller is about to sleep (what, at file:line): panics if a spinlock
 * is held, or if masked is set (upcalls were masked by the caller). */
void lockdep_might_sleep(const char *what, const char *file, int line, bool masked);
/* How many spinlocks this CPU holds (the scheduler's sanity check). */
int lockdep_spin_depth(void);
/* What it has learned: lock classes and distinct orders seen. */
void lockdep_stats(size_t *classes, size_t *orders);
/* Forget everything learned (unit tests). */
void lockdep_reset(void);

#endif
