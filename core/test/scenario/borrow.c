/*
 * Scenario "borrow": worker procs create borrow-checked objects (each
 * holding a page run), publish their handles on a board, borrow shared
 * and exclusive from it, return, move objects to each other, receive and
 * drop; the scenario spawns and kills workers (who then exit holding
 * borrows and owning objects) and makes allocations fail.  Each worker
 * keeps a shadow of the borrows it holds.  After every step:
 *  - the table's own invariants hold (borrow_check: every object has one
 *    live owner or is dying with borrows, counts equal records, nobody
 *    dead owns or borrows anything);
 *  - the borrows outstanding equal the workers' shadows, and every object
 *    a worker believes it owns is owned by it;
 *  - no object was released while a live worker still borrowed it;
 *  - no page leaked (free + kalloc + stacks is the starting total).
 * At the end every worker is killed: no object, borrow or page remains.
 */
#include <lux/borrow.h>
#include <lux/dev.h>
#include <lux/error.h>
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

enum { MAXW = 8, MAXOWN = 8, MAXBOR = 8, BOARD = 32, MAGIC = 0x5b0bb0b5 };

struct simobj {
	uint32_t magic;		/* cleared at release: a second release is caught */
	void *pages;
	size_t npages;
};

struct bor {
	bhandle h;
	struct simobj *o;
};

struct worker {
	struct proc *p;		/* 0: slot free */
	bool exiting;		/* past its last operation: the exit hook runs next */
	bhandle own[MAXOWN];
	int nown;
	struct bor bor[MAXBOR];
	int nbor;
};

static struct {
	struct worker w[MAXW];
	bhandle board[BOARD];	/* published handles; many go stale, on purpose */
	size_t baseline, base_procs, live;
	size_t obj_pages;	/* pages the live objects hold */
	uint64_t created, moved, dropped, refused_ok, kills, bad_release, failed_return;
} sb;
/* sb's workers' handles and the counts, changed with the borrow each
 * shadows (sim-borrow -> borrow); release() changes its fields under
 * borrow's own lock, with this one held by the caller or (at exit) not
 * at all, which one CPU makes safe and the step's checks verify */
static struct spinlock sb_lock = SPINLOCK_INIT("sim-borrow");

static size_t accounted_pages(void)
{
	return scen_pages_accounted() + sb.obj_pages;
}

/* Runs with upcalls off (borrow.c calls it inside its section). */
static void release(void *obj, size_t size)
{
	struct simobj *o = obj;
	int holders = 0;

	USED(size);
	/* a live worker that still has it in its shadow would now read freed
	 * memory: exactly what the checker must make impossible */
	for (int i = 0; i < MAXW; i++)
		for (int k = 0; sb.w[i].p && !sb.w[i].exiting && k < sb.w[i].nbor; k++)
			holders += sb.w[i].bor[k].o == o;
	if (holders || o->magic != MAGIC)
		sb.bad_release++;
	o->magic = 0;
	sb.obj_pages -= o->npages;
	page_free(o->pages, o->npages);
	kfree(o);
	sb.live--;
}

static const struct bclass simclass = { "simobj", "pages", release };

static void create(struct worker *w)
{
	struct simobj *o;
	size_t n = 1 + krand_below(2);
	bhandle h;

	if (w->nown == MAXOWN || (o = kmalloc(sizeof *o)) == 0)
		return;
	if ((o->pages = page_alloc(n)) == 0) {	/* an injected fault, maybe */
		kfree(o);
		return;
	}
	o->magic = MAGIC;
	o->npages = n;
	spin_lock(&sb_lock);
	sb.obj_pages += n;
	if (borrow_new(&simclass, o, n, &h) == 0) {
		sb.live++;
		sb.created++;
		w->own[w->nown++] = h;
		sb.board[krand_below(BOARD)] = h;
		spin_unlock(&sb_lock);
		return;
	}
	sb.obj_pages -= n;
	spin_unlock(&sb_lock);
	page_free(o->pages, n);
	kfree(o);
}

static void take(struct worker *w, bool excl)
{
	bhandle h = sb.board[krand_below(BOARD)];
	void *o;

	if (w->nbor == MAXBOR)
		return;
	spin_lock(&sb_lock);	/* the borrow and its shadow change together */
	if ((excl ? borrow_exclusive(h, &o) : borrow_shared(h, &o)) == 0)
		w->bor[w->nbor++] = (struct bor){ h, o };
	else
		sb.refused_ok++;
	spin_unlock(&sb_lock);
}

static void give_back(struct worker *w)
{
	bhandle h;
	int k;

	if (w->nbor == 0)
		return;
	k = (int)krand_below((uint64_t)w->nbor);
	spin_lock(&sb_lock);
	h = w->bor[k].h;
	w->bor[k] = w->bor[--w->nbor];	/* first: the return may release it */
	if (borrow_return(h) < 0)
		sb.failed_return++;	/* a borrow we hold must come back */
	spin_unlock(&sb_lock);
}

static void move_or_drop(struct worker *w, bool drop)
{
	struct worker *to = &sb.w[krand_below(MAXW)];
	int k;

	if (w->nown == 0 || (!drop && (to->p == 0 || to == w)))
		return;
	k = (int)krand_below((uint64_t)w->nown);
	spin_lock(&sb_lock);
	if ((drop ? borrow_drop(w->own[k]) : borrow_move(w->own[k], to->p)) == 0) {
		drop ? sb.dropped++ : sb.moved++;
		w->own[k] = w->own[--w->nown];
	} else {
		sb.refused_ok++;	/* borrowed by someone, or the receiver is dying */
	}
	spin_unlock(&sb_lock);
}

static void receive(struct worker *w)
{
	bhandle h;

	if (w->nown == MAXOWN)
		return;
	spin_lock(&sb_lock);
	if (borrow_receive(&simclass, &h) == 0) {
		w->own[w->nown++] = h;
		sb.board[krand_below(BOARD)] = h;
	}
	spin_unlock(&sb_lock);
}

static void worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		switch (krand_below(9)) {
		case 0: create(w); break;
		case 1:
		case 2: take(w, false); break;
		case 3: take(w, true); break;
		case 4:
		case 5: give_back(w); break;
		case 6: move_or_drop(w, false); break;
		case 7: move_or_drop(w, true); break;
		default: receive(w); break;
		}
		if (krand_below(8) == 0 && tsleep_ns(krand_below(1000000)) < 0)
			break;
		if (preempt_point() < 0)
			break;
	}
	/* killed: leave with whatever it holds; the exit hook must clean up */
	w->exiting = true;
}

static const struct sim_pool pool = SIM_POOL(sb.w, struct worker, p);

static int live_workers(void)
{
	return sim_pool_live(&pool);
}

static void spawn(void)
{
	struct worker *w = sim_pool_free_slot(&pool);

	if (w == 0)
		return;
	kmemset(w, 0, sizeof *w);
	w->p = proc_create("bworker", 1 + (int)krand_below(NPRIO - 2), worker_main, w, 0);
}

static void kill_one(void)
{
	struct worker *w = sim_pool_kill_one(&pool);

	if (w) {
		w->nbor = w->nown = 0;	/* its shadow went with it */
		sb.kills++;
	}
}

static int check(struct sim_ctx *ctx)
{
	const char *err = borrow_check();
	struct borrow_stats st;
	size_t shadow = 0;

	if (err == 0)
		err = sched_check();
	if (err) {
		ksnprintf(ctx->why, sizeof ctx->why, "%s", err);
		return -1;
	}
	borrow_stats(&st);
	for (int i = 0; i < MAXW; i++) {
		struct worker *w = &sb.w[i];
		if (w->p == 0)
			continue;
		shadow += (size_t)w->nbor;
		for (int k = 0; k < w->nown; k++) {
			if (borrow_owner(w->own[k]) != w->p || !borrow_live(w->own[k])) {
				ksnprintf(ctx->why, sizeof ctx->why,
				          "proc %d believes it owns obj %u, the table disagrees",
				          w->p->pid, (uint32_t)w->own[k]);
				return -1;
			}
		}
	}
	if (shadow != st.borrows) {
		ksnprintf(ctx->why, sizeof ctx->why,
		          "borrows: %zu outstanding, the workers hold %zu", st.borrows, shadow);
		return -1;
	}
	if (st.objects != sb.live) {
		ksnprintf(ctx->why, sizeof ctx->why, "objects: %zu in the table, %zu alive",
		          st.objects, sb.live);
		return -1;
	}
	if (sb.bad_release || sb.failed_return) {
		ksnprintf(
		    ctx->why, sizeof ctx->why,
		    "%llu objects released while borrowed (or twice), %llu held borrows refused",
		    (unsigned long long)sb.bad_release, (unsigned long long)sb.failed_return);
		return -1;
	}
	if (accounted_pages() != sb.baseline) {
		ksnprintf(ctx->why, sizeof ctx->why,
		          "pages leaked: %zu accounted for, %zu at the start", accounted_pages(),
		          sb.baseline);
		return -1;
	}
	return 0;
}

int sim_borrow_run(struct sim_ctx *ctx)
{
	struct borrow_stats st;
	int err = 0;

	kmemset(&sb, 0, sizeof sb);
	sb.baseline = accounted_pages();
	sb.base_procs = proc_count();
	for (ctx->step = 1; ctx->step <= ctx->steps && err == 0; ctx->step++) {
		switch (krand_below(8)) {
		case 0:
		case 1: spawn(); break;
		case 2: kill_one(); break;
		case 3: page_fail_next(1 + krand_below(3)); break;
		default: break;
		}
		tsleep_ns(krand_below(2000000));	/* workers run meanwhile */
		err = check(ctx);
	}
	if (err)
		return err;
	ctx->step = ctx->steps;
	page_fail_next(0);
	while (live_workers() > 0)
		kill_one();
	borrow_stats(&st);
	if (st.objects || st.borrows || sb.live || accounted_pages() != sb.baseline ||
	    proc_count() != sb.base_procs || sb.bad_release) {
		ksnprintf(ctx->why, sizeof ctx->why,
		          "after the end: %zu objects, %zu borrows, %zu procs (%zu), pages %s",
		          st.objects, st.borrows, proc_count(), sb.base_procs,
		          accounted_pages() == sb.baseline ? "balanced" : "LEAKED");
		return -1;
	}
	kprintf("sim borrow: %llu objects created, %llu moved, %llu dropped, %llu refusals, "
	        "%llu workers killed holding what they held\n",
	        (unsigned long long)sb.created, (unsigned long long)sb.moved,
	        (unsigned long long)sb.dropped, (unsigned long long)sb.refused_ok,
	        (unsigned long long)sb.kills);
	return 0;
}
