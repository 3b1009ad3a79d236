/*
 * koffload (core/kern/offload.c): long pure work in turns per user, away
 * from the kernel's CPU where the arch takes it.  The fake arch's hook
 * plays the host's thread pool: it keeps each job until the idle loop
 * (nothing else runnable) and then finishes the oldest, so the test sees
 * which jobs were in the "pool" at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <lux/arch.h>
#include <lux/error.h>
#include <lux/offload.h>
#include <lux/proc.h>
#include <lux/string.h>
#include <lux/upcall.h>

#include "fake_arch.h"

/* A job names the proc that asked; its work records the order it ran. */
struct job {
	char who;		/* 'a'.. : the asking proc */
	char user[28];
};

static struct { void (*fn)(void *); void *arg; void *cookie; } pool[8];
static size_t npool, maxsame;
static char ran[16];
static size_t nran;

static void work(void *arg)
{
	ran[nran++] = ((struct job *)arg)->who;
}

/* Taken into the "pool"; note the most jobs of one user ever in it at once. */
static int take(void (*fn)(void *), void *arg, void *cookie)
{
	size_t same = 1;

	for (size_t i = 0; i < npool; i++)
		same += strcmp(((struct job *)pool[i].arg)->user, ((struct job *)arg)->user) == 0;
	if (same > maxsame)
		maxsame = same;
	pool[npool].fn = fn;
	pool[npool].arg = arg;
	pool[npool].cookie = cookie;
	npool++;
	return 0;
}

/* Nothing runnable: the oldest job in the pool finishes. */
static bool finish_one(void)
{
	if (npool == 0)
		return false;
	pool[0].fn(pool[0].arg);
	void *cookie = pool[0].cookie;
	memmove(pool, pool + 1, --npool * sizeof pool[0]);
	lux_offload_done(cookie);	/* upcalls are off in arch_idle */
	return true;
}

static int results[8];

static void asker(void *arg)
{
	struct job *j = arg;

	kstrlcpy(curproc()->cred.user, j->user, sizeof curproc()->cred.user);
	results[j->who - 'a'] = koffload(work, j);
}

static struct job jobs[] = { { 'a', "bob" }, { 'b', "bob" }, { 'c', "alice" }, { 'd', "bob" } };

static void four_askers(void *arg)
{
	struct proc *p[4];

	USED(arg);
	for (int i = 0; i < 4; i++)
		p[i] = proc_create("asker", PRIO_NORMAL, asker, &jobs[i], 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(proc_join(p[i]), 0);
}

static void test_turns_per_user(void **state)
{
	uint64_t away, inplace;

	(void)state;
	fake_boot(256, true);
	npool = maxsame = nran = 0;
	fake_offload_hook = take;
	fake_idle_hook = finish_one;
	assert_true(fake_run_in_proc(four_askers, 0));
	fake_offload_hook = 0;
	/* every job ran, each once; bob's three one after another, alice's
	 * beside bob's first: it did not wait for bob's turns */
	assert_int_equal(nran, 4);
	assert_int_equal(maxsame, 1);
	assert_memory_equal(ran, "acbd", 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(results[i], 0);
	koffload_counts(&away, &inplace);
	assert_true(away >= 4);
}

static void one_in_place(void *arg)
{
	struct job j = { 'a', "eve" };

	USED(arg);
	nran = 0;
	assert_int_equal(koffload(work, &j), 0);
	assert_int_equal(nran, 1);	/* done by the time it returns */
}

static void test_in_place_without_the_arch(void **state)
{
	uint64_t away0, in0, away, inplace;

	(void)state;
	fake_boot(256, true);
	koffload_counts(&away0, &in0);
	fake_offload_hook = 0;
	assert_true(fake_run_in_proc(one_in_place, 0));
	koffload_counts(&away, &inplace);
	assert_int_equal(inplace, in0 + 1);
	assert_int_equal(away, away0);
}

/* A proc killed while it waits for its user's turn does not run its work. */
static void killed_waiter(void *arg)
{
	struct proc *first, *second;

	USED(arg);
	first = proc_create("asker", PRIO_NORMAL, asker, &jobs[0], 0);	/* bob: holds the turn */
	second = proc_create("asker", PRIO_NORMAL, asker, &jobs[1], 0);	/* bob: waits */
	proc_yield();
	proc_yield();
	assert_int_equal(npool, 1);	/* only the first is in the pool */
	assert_int_equal(proc_kill(second->pid), 0);
	assert_int_equal(proc_join(first), 0);
	assert_int_equal(proc_join(second), PROC_KILLED);
}

static void test_killed_while_waiting_skips_the_work(void **state)
{
	(void)state;
	fake_boot(256, true);
	npool = maxsame = nran = 0;
	memset(results, 0, sizeof results);
	fake_offload_hook = take;
	fake_idle_hook = finish_one;
	assert_true(fake_run_in_proc(killed_waiter, 0));
	fake_offload_hook = 0;
	assert_int_equal(nran, 1);
	assert_int_equal(ran[0], 'a');
	assert_int_equal(results[1], E_INTR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_turns_per_user),
		cmocka_unit_test(test_in_place_without_the_arch),
		cmocka_unit_test(test_killed_while_waiting_skips_the_work),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
