/*
 * In-kernel tests of the lock-order checker (core/kern/lockdep.c), so the
 * integration suites prove it runs in luxsim and luxsim-asan, not only in
 * the unit test's fake arch.
 *  lockdep: it is on, has classed the boot's locks, and a consistent order
 *	taken twice passes.
 *  lockdep-inversion: two spinlocks taken in both orders: the kernel
 *	panics naming both orders' sites (it ends the kernel on purpose).
 */
#include <lux/fmt.h>
#include <lux/kern.h>
#include <lux/ktest.h>
#include <lux/lock.h>
#include <lux/lockdep.h>

static struct spinlock first = SPINLOCK_INIT("ktest-first");
static struct spinlock second = SPINLOCK_INIT("ktest-second");

static void in_order(void)
{
	spin_lock(&first);
	spin_lock(&second);
	spin_unlock(&second);
	spin_unlock(&first);
}

int ktest_lockdep(char *msg, size_t size)
{
	size_t classes, orders;

	in_order();
	in_order();
	lockdep_stats(&classes, &orders);
	ksnprintf(msg, size, "checker %s, %zu lock classes, %zu orders seen",
	          lockdep_on ? "on" : "OFF", classes, orders);
	return lockdep_on && classes > 2 && orders > 0 ? 0 : -1;
}

int ktest_lockdep_inversion(char *msg, size_t size)
{
	in_order();
	spin_lock(&second);
	spin_lock(&first);	/* the checker panics here */
	spin_unlock(&first);
	spin_unlock(&second);
	ksnprintf(msg, size, "second then first was taken without a panic");
	return -1;
}
