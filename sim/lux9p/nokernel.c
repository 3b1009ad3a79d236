/*
 * The one piece of the kernel the auth engine drags in without using it:
 * core/auth/server.c names captoken_errstr, so the linker takes
 * core/authority/captoken.c from the core's archive, and captoken.c locks its
 * revocation table with the kernel's spinlock (which would pull the
 * scheduler, the clock and the rest of the kernel after it).  lux9p is
 * one thread and never verifies a token: the lock is a flag, as in
 * tests/bench/auth_bench.c.
 */
#include <lux/lock.h>

void spin_lock_at(struct spinlock *l, const char *file, int line)
{
	(void)file;
	(void)line;
	l->locked = 1;
}

void spin_unlock(struct spinlock *l)
{
	l->locked = 0;
}
