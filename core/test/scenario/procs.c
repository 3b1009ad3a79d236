/*
 * Scenario "procs": workers that lock, sleep, allocate and spin, driven by
 * a scenario proc that spawns and kills them and injects faults (failed
 * page allocations, kills at random points, random sleeps that jitter
 * timing on top of the seeded slice jitter).  After every step:
 *  - the run queues are consistent (sched_check);
 *  - no page leaked: free pages + pages under kalloc + proc stacks + pages
 *    workers hold is the number counted at the start;
 *  - every lock's owner is a live worker, and the locks held add up to
 *    the workers' lock counts;
 *  - the procs alive are the workers the scenario knows, plus itself.
 * At the end every worker is killed and joined, and pages, objects and
 * procs must be back where they started, exactly.
 */
#include <lux/dev.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/page.h>
#include <lux/proc.h>
#include <lux/rand.h>
#include <lux/scenario.h>
#include <lux/string.h>
#include <lux/timer.h>

#include "held.h"
#include "pool.h"

enum { MAXWORKERS = 16, NQLOCKS = 3, MAXHELD = 4 };

struct worker {
	struct proc *p;		/* 0: slot free */
	size_t held;		/* pages this worker holds now */
};

static struct {
	struct worker w[MAXWORKERS];
	struct qlock locks[NQLOCKS];
	size_t held_pages;	/* sum of worker held */
	size_t leaked;		/* --break-invariant leak-page */
	size_t baseline;	/* the page total every step must match */
	size_t base_procs;
	size_t spawned, killed, failed_spawns;
	uint32_t breakflags;
} sc;
/* the workers' held counts and held_pages, with the page they shadow */
static struct spinlock sc_lock = SPINLOCK_INIT("sim-procs");

static size_t accounted_pages(void)
{
	return scen_pages_accounted() + sc.held_pages;
}

static void worker_main(void *arg)
{
	struct worker *w = arg;
	void *pages[MAXHELD];
	size_t npages[MAXHELD];
	int n = 0;

	for (;;) {
		int action = (int)krand_below(5), i;

		if (action == 0 && n < MAXHELD) {
			size_t k = 1 + krand_below(3);
			void *p = page_alloc(k);	/* may fail: a fault injected */
			if (p) {
				spin_lock(&sc_lock);
				pages[n] = p;
				npages[n++] = k;
				w->held += k;
				sc.held_pages += k;
				spin_unlock(&sc_lock);
			}
		} else if (action == 1 && n > 0) {
			spin_lock(&sc_lock);
			n--;
			w->held -= npages[n];
			sc.held_pages -= npages[n];
			spin_unlock(&sc_lock);
			page_free(pages[n], npages[n]);
		} else if (action == 2) {
			i = (int)krand_below(NQLOCKS);
			qlock(&sc.locks[i]);
			if (krand_below(2))
				proc_yield();
			if ((sc.breakflags & SIM_BREAK_SKIP_UNLOCK) && krand_below(50) == 0) {
				/* a bookkeeping bug: the count drops, the lock stays */
				curproc()->nlocks--;
				sc.breakflags &= ~(uint32_t)SIM_BREAK_SKIP_UNLOCK;
				continue;
			}
			qunlock(&sc.locks[i]);
		} else if (action == 3) {
			if (tsleep_ns(krand_below(3000000)) < 0)
				break;
		}
		if (preempt_point() < 0)
			break;
	}
	/* killed: give everything back, as a well-behaved proc does */
	while (n > 0) {
		spin_lock(&sc_lock);
		n--;
		w->held -= npages[n];
		sc.held_pages -= npages[n];
		spin_unlock(&sc_lock);
		page_free(pages[n], npages[n]);
	}
}

static const struct sim_pool pool = SIM_POOL(sc.w, struct worker, p);

static int live_workers(void)
{
	return sim_pool_live(&pool);
}

static void spawn(void)
{
	struct worker *w = sim_pool_free_slot(&pool);

	if (w == 0)
		return;
	w->held = 0;
	w->p = proc_create("worker", 1 + (int)krand_below(NPRIO - 2), worker_main, w, 0);
	if (w->p)
		sc.spawned++;
	else
		sc.failed_spawns++;	/* an injected allocation failure */
}

static void kill_one(void)
{
	if (sim_pool_kill_one(&pool))
		sc.killed++;
}

static int check(struct sim_ctx *ctx)
{
	const char *err = sched_check();
	int owners = 0, counted = 0;

	if (err) {
		ksnprintf(ctx->why, sizeof ctx->why, "scheduler: %s", err);
		return -1;
	}
	if (accounted_pages() != sc.baseline) {
		ksnprintf(ctx->why, sizeof ctx->why,
		          "pages leaked: %zu accounted for, %zu at the start", accounted_pages(),
		          sc.baseline);
		return -1;
	}
	for (int i = 0; i < NQLOCKS; i++) {
		struct proc *o = sc.locks[i].owner;
		if (o == 0)
			continue;
		owners++;
		if (o->state == PROC_DEAD) {
			ksnprintf(ctx->why, sizeof ctx->why, "lock %d is owned by dead proc %d", i,
			          o->pid);
			return -1;
		}
	}
	for (int i = 0; i < MAXWORKERS; i++)
		if (sc.w[i].p)
			counted += sc.w[i].p->nlocks;
	if (owners != counted) {
		ksnprintf(ctx->why, sizeof ctx->why,
		          "locks: %d held, but the workers' lock counts add up to %d", owners,
		          counted);
		return -1;
	}
	if (proc_count() != sc.base_procs + (size_t)live_workers()) {
		ksnprintf(ctx->why, sizeof ctx->why, "procs: %zu alive, expected %zu", proc_count(),
		          sc.base_procs + (size_t)live_workers());
		return -1;
	}
	return 0;
}

static void idle_proc(void *arg)
{
	USED(arg);
	while (tsleep_ns(1000000000ull) == 0)
		;
}

/* One step: a random action, maybe a fault, then a breath for workers. */
static void step(struct sim_ctx *ctx)
{
	switch (krand_below(8)) {
	case 0:
	case 1: spawn(); break;
	case 2: kill_one(); break;
	case 3:
		page_fail_next(1 + krand_below(3));	/* the next allocations fail */
		break;
	case 4:
		page_fail_next(1);
		spawn();	/* a spawn that may meet the fault */
		break;
	default: break;
	}
	if ((ctx->breakflags & SIM_BREAK_LEAK_PAGE) && ctx->step == ctx->steps / 2) {
		page_fail_next(0);	/* an injected fault must not hide the leak */
		if (page_alloc(1))
			sc.leaked++;	/* and nobody will ever free it */
	}
	if ((ctx->breakflags & SIM_BREAK_LEAK_PROC) && ctx->step == ctx->steps / 2) {
		page_fail_next(0);	/* likewise */
		proc_create("stray", PRIO_LOW, idle_proc, 0, PROC_DETACHED);
	}
	tsleep_ns(krand_below(2000000));	/* workers run meanwhile */
}

static int procs_run(struct sim_ctx *ctx)
{
	struct kalloc_stats ks0, ks1;
	size_t free0;
	int err = 0;

	kmemset(&sc, 0, sizeof sc);
	for (int i = 0; i < NQLOCKS; i++)
		qlock_init(&sc.locks[i], "sim");
	sc.breakflags = ctx->breakflags;
	kalloc_stats(&ks0);
	free0 = page_free_count();
	sc.baseline = accounted_pages();
	sc.base_procs = proc_count();
	for (ctx->step = 1; ctx->step <= ctx->steps && err == 0; ctx->step++) {
		step(ctx);
		err = check(ctx);
	}
	if (err)
		return err;
	ctx->step = ctx->steps;
	page_fail_next(0);
	while (live_workers() > 0)
		kill_one();
	kalloc_stats(&ks1);
	if (page_free_count() != free0 || ks1.live_objects != ks0.live_objects ||
	    proc_count() != sc.base_procs) {
		ksnprintf(ctx->why, sizeof ctx->why,
		          "after the end: %zu free pages (started with %zu), %zu objects (%zu), "
		          "%zu procs (%zu)",
		          page_free_count(), free0, ks1.live_objects, ks0.live_objects,
		          proc_count(), sc.base_procs);
		return -1;
	}
	kprintf(
	    "sim procs: %zu workers spawned, %zu killed, %zu spawns failed by injected faults\n",
	    sc.spawned, sc.killed, sc.failed_spawns);
	return 0;
}

static const struct scenario scenarios[] = {
	{ "procs",
	  "workers lock, sleep, allocate and spin; spawns, kills and failed allocations injected",
	  200, procs_run },
	{ "pebbles",
	  "budgets granted, charged, exhausted and closed; workers allocate until refused; "
	  "failed allocations and kills injected",
	  300, sim_pebbles_run },
	{ "borrow",
	  "objects created, borrowed, moved, dropped; workers killed holding borrows; faults "
	  "injected",
	  200, sim_borrow_run },
	{ "net",
	  "9P clients connect, send split and pipelined requests, read slowly, hang up and "
	  "reconnect, through simulated connections",
	  300, sim_net_run },
	{ "hostile",
	  "honest 9P clients beside stalled senders, non-readers, fid and crypto session "
	  "hoarders, Argon2id loopers, self-mounts and hang-ups with reads blocked",
	  600, sim_hostile_run },
	{ "blk",
	  "workers write, read and flush a simulated disk that reorders, caches, crashes, "
	  "tears and flips bits; every crash checked against what was flushed",
	  400, sim_blk_run },
	{ "store",
	  "the encrypted store written, committed and crashed on the simulated disk; "
	  "every reopen checked against the last commit and the faults injected",
	  400, sim_store_run },
};

const struct scenario *sim_scenarios(size_t *n)
{
	*n = nelem(scenarios);
	return scenarios;
}
