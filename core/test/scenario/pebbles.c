/*
 * Scenario "pebbles": budgets created, delegated, exhausted and closed,
 * with faults injected (failed allocations, so grants and spawns fail
 * half-way; workers killed while they hold charged pages).
 *
 * The scenario grants itself a budget `top` and grows a tree of budgets
 * under it, keeping a shadow of what it charged to each; worker procs,
 * spawned with explicit grants, allocate charged pages until refused and
 * free them.  After every step:
 *  - the whole tree from the root holds its invariants (budget_check);
 *  - conservation: the pebbles held by every budget plus the root's white
 *    are the root's total, in every kind;
 *  - each scenario budget holds exactly what the shadow says, and each
 *    worker's budget exactly the pages it holds;
 *  - a refused charge changed nothing, said "budget exhausted: KIND",
 *    and an exhaustion left every other budget as it was.
 * At the end everything is closed and budgets, objects and pages must be
 * back where they started.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/page.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/rand.h>
#include <lux/scenario.h>
#include <lux/string.h>
#include <lux/timer.h>

#include "pool.h"

enum { MAXB = 24, MAXW = 6, WHELD = 8 };

struct sb {			/* a scenario budget and its shadow */
	struct budget *b;	/* 0: slot free */
	int parent;		/* slot of the parent, -1: top */
	bool owner;		/* the scenario still holds the owner's reference */
	uint64_t held[PB_NKINDS];
};

struct sw {			/* a worker */
	struct proc *p;
	size_t held;		/* charged pages it holds now */
};

static struct {
	struct budget *top;
	struct sb b[MAXB];
	struct sw w[MAXW];
	size_t grants, refused, exhausts, closes, spawned, killed, faults;
} ps;
/* each worker's held count with the page it shadows (sim-pebbles ->
 * page, pebble), and check()'s view: on one CPU holding it also stops
 * the workers, which is what makes that view consistent */
static struct spinlock ps_lock = SPINLOCK_INIT("sim-pebbles");

static uint64_t rnd(uint64_t n)
{
	return n ? krand_below(n) : 0;
}

static struct budget *bud(int i)
{
	return i < 0 ? ps.top : ps.b[i].b;
}

/* A random open slot, or -1 (meaning top) when asked or none is open. */
static int pick(bool top_ok)
{
	int open[MAXB], n = 0;

	for (int i = 0; i < MAXB; i++)
		if (ps.b[i].b && ps.b[i].owner)
			open[n++] = i;
	if (n == 0 || (top_ok && rnd(4) == 0))
		return -1;
	return open[rnd((uint64_t)n)];
}

static void worker_main(void *arg)
{
	struct sw *w = arg;
	void *pages[WHELD];
	int n = 0, err;

	for (;;) {
		if (n < WHELD && rnd(3)) {
			void *p = pebble_page_alloc(1, &err);	/* refused: full or a fault */
			if (p) {
				spin_lock(&ps_lock);
				pages[n++] = p;
				w->held++;
				spin_unlock(&ps_lock);
			}
		} else if (n > 0) {
			spin_lock(&ps_lock);
			void *p = pages[--n];
			w->held--;
			pebble_page_free(p, 1);	/* page and pebble go together */
			spin_unlock(&ps_lock);
		}
		if (tsleep_ns(rnd(1000000)) < 0 || preempt_point() < 0)
			break;
	}
	while (n > 0) {
		spin_lock(&ps_lock);
		w->held--;
		pebble_page_free(pages[--n], 1);
		spin_unlock(&ps_lock);
	}
}

static void random_grant(struct budget *from, struct pebbles *g, bool greedy)
{
	struct pebbles white;

	budget_white(from, &white);
	for (int k = 0; k < PB_NKINDS; k++)
		g->n[k] = rnd(white.n[k] / 3 + 1);
	if (greedy) {	/* more than there is: must be refused, all or nothing */
		int k = (int)rnd(PB_NKINDS);
		g->n[k] = white.n[k] + 1 + rnd(100);
	}
}

static int grant_step(struct sim_ctx *ctx)
{
	int parent = pick(true), slot = -1, err;
	bool greedy = rnd(5) == 0;
	struct budget_info before, after;
	struct pebbles g;
	struct budget *c;

	for (int i = 0; i < MAXB && slot < 0; i++)
		if (ps.b[i].b == 0)
			slot = i;
	if (slot < 0)
		return 0;
	random_grant(bud(parent), &g, greedy);
	budget_snapshot(bud(parent), &before);
	c = budget_grant(bud(parent), &g, &err);
	if (c == 0) {
		budget_snapshot(bud(parent), &after);
		if (kmemcmp(&before, &after, sizeof before) != 0) {
			ksnprintf(ctx->why, sizeof ctx->why,
			          "a refused grant (%s) changed its parent", proc_errstr(err));
			return -1;
		}
		if (greedy != (err == E_BUDGET) && err != E_NOMEM) {
			ksnprintf(ctx->why, sizeof ctx->why, "grant: %s", proc_errstr(err));
			return -1;
		}
		ps.refused++;
		return 0;
	}
	if (greedy) {
		ksnprintf(ctx->why, sizeof ctx->why,
		          "a grant larger than the parent's white succeeded");
		return -1;
	}
	kmemset(&ps.b[slot], 0, sizeof ps.b[slot]);
	ps.b[slot].b = c;
	ps.b[slot].parent = parent;
	ps.b[slot].owner = true;
	ps.grants++;
	return 0;
}

static int charge_step(struct sim_ctx *ctx, bool exhaust)
{
	int i = pick(false), k = (int)rnd(PB_NKINDS), err;
	struct budget_info others[MAXB], now;
	uint64_t got = 0, n;

	if (i < 0)
		return 0;
	for (int j = 0; j < MAXB; j++)
		if (ps.b[j].b && j != i)
			budget_snapshot(ps.b[j].b, &others[j]);
	for (;;) {
		struct pebbles white;
		budget_white(ps.b[i].b, &white);
		n = exhaust ? 1 : 1 + rnd(white.n[k] + 2);
		err = budget_charge(ps.b[i].b, (enum pebble_kind)k, n);
		if (err < 0) {
			const char *msg = proc_errstr(err);
			char want[48];
			ksnprintf(want, sizeof want, "budget exhausted: %s ", pebble_kind_name(k));
			if (err != E_BUDGET || white.n[k] >= n ||
			    kstrncmp(msg, want, kstrlen(want)) != 0) {
				ksnprintf(
				    ctx->why, sizeof ctx->why, "charge of %llu with %llu white: %s",
				    (unsigned long long)n, (unsigned long long)white.n[k], msg);
				return -1;
			}
			ps.refused++;
			break;
		}
		ps.b[i].held[k] += n;
		got += n;
		if (!exhaust || got > 100000)	/* the root's huge kinds: stop somewhere */
			break;
	}
	if (exhaust)
		ps.exhausts++;
	for (int j = 0; j < MAXB; j++) {
		if (ps.b[j].b == 0 || j == i)
			continue;
		budget_snapshot(ps.b[j].b, &now);
		if (kmemcmp(&now, &others[j], sizeof now) != 0) {
			ksnprintf(ctx->why, sizeof ctx->why, "charging one budget changed another");
			return -1;
		}
	}
	return 0;
}

static void release_step(void)
{
	int i = pick(false), k = (int)rnd(PB_NKINDS);
	uint64_t n;

	if (i < 0 || ps.b[i].held[k] == 0)
		return;
	n = 1 + rnd(ps.b[i].held[k]);
	budget_release(ps.b[i].b, (enum pebble_kind)k, n);
	ps.b[i].held[k] -= n;
}

/* Forget slots whose budget closed: no owner and no open child. */
static void sweep_closed(void)
{
	bool again = true;

	while (again) {
		again = false;
		for (int i = 0; i < MAXB; i++) {
			bool kids = false;
			if (ps.b[i].b == 0 || ps.b[i].owner)
				continue;
			for (int j = 0; j < MAXB; j++)
				kids |= ps.b[j].b && ps.b[j].parent == i;
			if (!kids) {
				ps.b[i].b = 0;
				again = true;
			}
		}
	}
}

static void close_one(int i)
{
	for (int k = 0; k < PB_NKINDS; k++) {
		budget_release(ps.b[i].b, (enum pebble_kind)k, ps.b[i].held[k]);
		ps.b[i].held[k] = 0;
	}
	ps.b[i].owner = false;
	budget_put(ps.b[i].b);	/* closes now, or when its last child does */
	sweep_closed();
	ps.closes++;
}

static const struct sim_pool pool = SIM_POOL(ps.w, struct sw, p);

static int live_workers(void)
{
	return sim_pool_live(&pool);
}

static void spawn(void)
{
	struct pebbles g = { { 0 } };
	struct sw *w = sim_pool_free_slot(&pool);
	int err;

	if (w == 0)
		return;
	g.n[PB_PAGES] = rnd(WHELD + 1);	/* sometimes fewer than it will want */
	w->held = 0;
	w->p = proc_spawn("pebbler", PRIO_NORMAL, worker_main, w, 0, &g, &err);
	if (w->p)
		ps.spawned++;
}

static void kill_one(void)
{
	if (sim_pool_kill_one(&pool))
		ps.killed++;
}

/* Pebbles not lent on, over b's subtree: held + white of every budget.
 * Since lent is the children's totals, this is b's total if nothing was
 * minted or lost anywhere below. */
static uint64_t unlent(struct budget *b, int k, int depth)
{
	uint64_t sum = b->total[k] - b->lent[k];
	struct list *l;

	kassert(depth < 64);
	list_for_each(l, &b->children)
		sum += unlent(list_entry(l, struct budget, sibling), k, depth + 1);
	return sum;
}

static int check(struct sim_ctx *ctx)
{
	struct budget *root = pebble_root();
	uint64_t sum[PB_NKINDS] = { 0 };
	const char *err;
	int bad = -1, worker = -1;

	if ((err = budget_check(root)) != 0) {
		ksnprintf(ctx->why, sizeof ctx->why, "budget tree: %s", err);
		return -1;
	}
	spin_lock(&ps_lock);	/* one consistent view: workers run otherwise */
	for (int k = 0; k < PB_NKINDS && bad < 0; k++)
		if ((sum[k] = unlent(root, k, 0)) != root->total[k])
			bad = k;
	for (int i = 0; i < MAXW && bad < 0 && worker < 0; i++)
		if (ps.w[i].p && ps.w[i].p->budget->held[PB_PAGES] != ps.w[i].held)
			worker = i;
	spin_unlock(&ps_lock);
	if (worker >= 0) {
		ksnprintf(ctx->why, sizeof ctx->why,
		          "worker %d holds pages its budget does not count", worker);
		return -1;
	}
	if (bad >= 0) {
		ksnprintf(ctx->why, sizeof ctx->why,
		          "conservation: %llu %s held or white in all budgets, root total %llu",
		          (unsigned long long)sum[bad], pebble_kind_name(bad),
		          (unsigned long long)root->total[bad]);
		return -1;
	}
	for (int i = 0; i < MAXB; i++) {
		if (ps.b[i].b == 0)
			continue;
		for (int k = 0; k < PB_NKINDS; k++)
			if (ps.b[i].b->held[k] != ps.b[i].held[k]) {
				ksnprintf(ctx->why, sizeof ctx->why,
				          "budget %d holds %llu %s, shadow %llu", i,
				          (unsigned long long)ps.b[i].b->held[k],
				          pebble_kind_name(k), (unsigned long long)ps.b[i].held[k]);
				return -1;
			}
	}
	return 0;
}

static int step(struct sim_ctx *ctx)
{
	int r = 0, i;

	switch (rnd(12)) {
	case 0:
	case 1: r = grant_step(ctx); break;
	case 2:
	case 3: r = charge_step(ctx, false); break;
	case 4: r = charge_step(ctx, true); break;
	case 5: release_step(); break;
	case 6:
		if ((i = pick(false)) >= 0)
			close_one(i);
		break;
	case 7: spawn(); break;
	case 8: kill_one(); break;
	case 9:
		page_fail_next(1 + rnd(3));	/* the next allocations fail */
		ps.faults++;
		break;
	case 10:
		page_fail_next(1);
		ps.faults++;
		if (rnd(2))
			spawn();	/* a spawn that may meet the fault */
		else
			r = grant_step(ctx);
		break;
	default: break;
	}
	tsleep_ns(rnd(1000000));	/* workers run meanwhile */
	return r;
}

int sim_pebbles_run(struct sim_ctx *ctx)
{
	struct pebbles g = { { 256, 16, 4096, 256, 64, 1u << 20, 60000 } };
	struct kalloc_stats ks0, ks1;
	struct budget_info mine0, mine1;
	size_t free0, nb0;
	int err = 0;

	kmemset(&ps, 0, sizeof ps);
	kalloc_stats(&ks0);
	free0 = page_free_count();
	nb0 = budget_count();
	budget_snapshot(curproc()->budget, &mine0);
	if ((ps.top = budget_grant(curproc()->budget, &g, &err)) == 0) {
		ksnprintf(ctx->why, sizeof ctx->why, "cannot grant the scenario a budget: %s",
		          proc_errstr(err));
		return -1;
	}
	for (ctx->step = 1; ctx->step <= ctx->steps && err == 0; ctx->step++)
		if ((err = step(ctx)) == 0)
			err = check(ctx);
	if (err)
		return err;
	ctx->step = ctx->steps;
	page_fail_next(0);
	while (live_workers() > 0)
		kill_one();
	for (int i = 0; i < MAXB; i++)
		if (ps.b[i].b && ps.b[i].owner)
			close_one(i);
	budget_put(ps.top);
	kalloc_stats(&ks1);
	budget_snapshot(curproc()->budget, &mine1);
	if (budget_count() != nb0 || kmemcmp(&mine0, &mine1, sizeof mine0) != 0 ||
	    page_free_count() != free0 || ks1.live_objects != ks0.live_objects) {
		ksnprintf(ctx->why, sizeof ctx->why,
		          "after the end: %zu budgets (%zu at the start), %zu free pages (%zu), "
		          "%zu objects (%zu), own budget %s",
		          budget_count(), nb0, page_free_count(), free0, ks1.live_objects,
		          ks0.live_objects,
		          kmemcmp(&mine0, &mine1, sizeof mine0) ? "changed" : "as before");
		return -1;
	}
	kprintf("sim pebbles: %zu grants, %zu refusals, %zu exhaustions, %zu closes, "
	        "%zu workers (%zu killed), %zu faults injected\n",
	        ps.grants, ps.refused, ps.exhausts, ps.closes, ps.spawned, ps.killed, ps.faults);
	return 0;
}
