/*
 * Scenario "blk": the block layer (core/blk/blk.c) over the simulated
 * device (blkdev.c), crashed again and again.
 *
 * Workers own disjoint ranges of sectors (so each sector's writes are one
 * at a time, as the contract asks) and write numbered patterns, read them
 * back, and flush, through blk_write/blk_read/blk_flush; the scenario
 * proc plays the device, ending pending requests in a seeded order, kills
 * workers wherever they are (a kill while waiting for a turn ends the
 * call with E_INTR; one while a request is at the device waits for it),
 * and now and then cuts the power.  A shadow of what was written is kept
 * apart from the device: per sector, the versions it may hold after a
 * crash ("candidates": the last one a flush made durable, and every one
 * submitted since, whether it was done or not).
 *
 * After every step:
 *  - the requests the block layer counts in flight are those pending at
 *    the device, and never more than the device's bound;
 *  - a worker's read saw the last version it wrote (the cache answers
 *    reads);
 *  - the run queues (sched_check) and the budgets (budget_check) hold.
 * After every crash (the workers gone, the device rebooted), a checker
 * proc reads every sector back through the block layer:
 *  - a sector holding a candidate exactly has no fault logged for it;
 *  - any other sector has a fault logged, and holds exactly what that
 *    fault makes: torn at byte k (the first k bytes of one candidate, the
 *    rest of another) or one bit flipped (flipped back, a candidate);
 * so every flushed write survived unless a fault was injected for its
 * sector, unflushed ones are old or new (or torn where the log says),
 * and the faults happened as the seed says.  It then rewrites the
 * faulted sectors and flushes, and a new epoch of workers starts.
 * The run ends with a crash and its check; then every proc, object and
 * budget must be back to what it was.
 */
#include <lux/blk.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/rand.h>
#include <lux/scenario.h>
#include <lux/string.h>
#include <lux/timer.h>

#include "blkdev.h"
#include "held.h"

enum {
	SSZ = 512,
	NWORKERS = 4,
	RANGE = 64,			/* sectors per worker */
	NSECT = NWORKERS * RANGE,
	MAXIO = 8,			/* sectors per worker request */
	MAXCAND = 16,			/* versions a sector may hold */
	CRASH_ODDS = 40,		/* a crash in 1 of this many steps */
	KILL_ODDS = 25,			/* a worker killed in 1 of this many */
};

struct cand {
	uint64_t v;		/* the version written (0: the zeros it started with) */
	uint64_t ack;		/* the shadow's ack number once its write returned 0 */
};

struct worker {
	struct proc *p;		/* 0: slot free */
	int n;
	uint8_t *buf;		/* MAXIO sectors */
};

static struct {
	struct simblk *dev;
	struct blkdev *d;
	struct cand cand[NSECT][MAXCAND];
	int ncand[NSECT];
	uint64_t version, ackseq;	/* the shadow's counters */
	struct worker w[NWORKERS];
	bool crashed;		/* the power is off: workers leave */
	char why[160];		/* a worker's or the checker's failure */
	struct simblk_fault log[SIMBLK_MAXFAULTS];
	size_t nlog;
	bool helping;		/* a helper proc (run_helper) runs */
	uint64_t crashes, faults_seen, reads, writes, flushes, repairs;
	uint64_t kills, intr;	/* workers killed; of them, left waiting for a turn */
	uint64_t faulthash;	/* FNV-1a of every fault logged */
	uint32_t breakflags;
} sc;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (sc.why[0])
		return;	/* the first failure is the one to replay */
	va_start(ap, fmt);
	kvsnprintf(sc.why, sizeof sc.why, fmt, ap);
	va_end(ap);
}

/* The bytes of version v of sector s: 0 is the zeros the device starts
 * with; any other is a pseudo-random pattern of (s, v). */
static void pattern(uint8_t *out, uint64_t s, uint64_t v)
{
	for (uint32_t i = 0; i < SSZ; i += 8) {
		uint64_t z = v ? (s << 40 ^ v << 12 ^ i) + 0x9e3779b97f4a7c15ull : 0;

		if (v) {
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			z ^= z >> 31;
		}
		for (int b = 0; b < 8; b++)
			out[i + b] = (uint8_t)(z >> (8 * b));
	}
}

static void add_cand(uint64_t s, uint64_t v)
{
	if (sc.ncand[s] == MAXCAND)
		panic("sim blk: sector %llu has %d versions in doubt", (unsigned long long)s,
		      MAXCAND);
	sc.cand[s][sc.ncand[s]++] = (struct cand){ v, 0 };
}

/* A flush that was called when the shadow's ack number was mark returned
 * 0: each sector's last version acked by then is durable, and nothing
 * older can come back. */
static void flushed(uint64_t mark)
{
	for (int s = 0; s < NSECT; s++) {
		int keep = -1;

		for (int i = 0; i < sc.ncand[s]; i++)
			if (sc.cand[s][i].ack && sc.cand[s][i].ack <= mark)
				keep = i;
		if (keep > 0) {
			kmemmove(sc.cand[s], sc.cand[s] + keep,
			         (size_t)(sc.ncand[s] - keep) * sizeof sc.cand[s][0]);
			sc.ncand[s] -= keep;
		}
	}
}

static int do_flush(void)
{
	uint64_t mark = sc.ackseq;
	int err = blk_flush(sc.d);

	if (err == 0) {
		flushed(mark);
		sc.flushes++;
	}
	return err;
}

/* One write of n sectors at s0 from the worker's range. */
static int do_write(struct worker *w, uint64_t s0, uint32_t n)
{
	uint64_t v = ++sc.version;
	int err;

	for (uint32_t k = 0; k < n; k++) {
		if (sc.ncand[s0 + k] == MAXCAND && (err = do_flush()) < 0)
			return err;
	}
	for (uint32_t k = 0; k < n; k++) {
		pattern(w->buf + k * SSZ, s0 + k, v);
		add_cand(s0 + k, v);	/* before submitting: it may land from now on */
	}
	if ((err = blk_write(sc.d, s0, w->buf, n)) < 0) {
		if (err == E_INTR)	/* killed waiting for a turn: never sent */
			for (uint32_t k = 0; k < n; k++)
				sc.ncand[s0 + k]--;
		return err;
	}
	sc.ackseq++;
	for (uint32_t k = 0; k < n; k++)
		sc.cand[s0 + k][sc.ncand[s0 + k] - 1].ack = sc.ackseq;
	sc.writes++;
	return 0;
}

/* Read n sectors at s0 back: each must be the last version written. */
static int do_read(struct worker *w, uint64_t s0, uint32_t n)
{
	uint8_t want[SSZ];
	int err = blk_read(sc.d, s0, w->buf, n);

	if (err < 0)
		return err;
	for (uint32_t k = 0; k < n; k++) {
		uint64_t s = s0 + k, v = sc.cand[s][sc.ncand[s] - 1].v;

		pattern(want, s, v);
		if (kmemcmp(want, w->buf + k * SSZ, SSZ) != 0)
			fail("worker %d: sector %llu read back is not version %llu, the last "
			     "written",
			     w->n, (unsigned long long)s, (unsigned long long)v);
	}
	sc.reads++;
	return 0;
}

static void worker_main(void *arg)
{
	struct worker *w = arg;

	while (!sc.crashed && !curproc()->killed) {
		uint32_t n = 1 + (uint32_t)krand_below(MAXIO);
		uint64_t s0 = (uint64_t)w->n * RANGE + krand_below(RANGE - n + 1);
		uint64_t op = krand_below(10);
		int err;

		if (op < 6)
			err = do_write(w, s0, n);
		else if (op < 9)
			err = do_read(w, s0, n);
		else
			err = do_flush();
		if (err == E_IO && sc.crashed)
			break;	/* the power went: this epoch is over */
		if (err == E_INTR && curproc()->killed) {
			sc.intr++;	/* killed waiting for a turn: nothing was sent */
			break;
		}
		if (err < 0)
			fail("worker %d: %s", w->n, proc_errstr(err));
	}
}

static void start_workers(void)
{
	for (int i = 0; i < NWORKERS; i++) {
		struct worker *w = &sc.w[i];

		if (w->p)
			continue;
		w->n = i;
		if (w->buf == 0 && (w->buf = kmalloc(MAXIO * SSZ)) == 0)
			panic("sim blk: no memory for a worker's buffer");
		w->p = proc_create("blkworker", PRIO_NORMAL, worker_main, w, 0);
		if (w->p == 0)
			panic("sim blk: cannot start a worker");
	}
}

/* Kill a worker wherever it is.  Not joined here: it may be waiting for
 * a request only this proc can end (that wait is not interruptible), so
 * it is reaped by reap_workers once it has left. */
static void kill_worker(void)
{
	struct worker *w = &sc.w[krand_below(NWORKERS)];

	if (w->p && !w->p->killed) {
		proc_kill(w->p->pid);
		sc.kills++;
	}
}

static void reap_workers(void)
{
	for (int i = 0; i < NWORKERS; i++)
		if (sc.w[i].p && sc.w[i].p->state == PROC_DEAD) {
			proc_join(sc.w[i].p);
			sc.w[i].p = 0;
		}
}

static void join_workers(void)
{
	for (int i = 0; i < NWORKERS; i++)
		if (sc.w[i].p) {
			proc_join(sc.w[i].p);
			sc.w[i].p = 0;
		}
}

static const struct simblk_fault *fault_for(uint64_t s)
{
	for (size_t i = 0; i < sc.nlog; i++)
		if (sc.log[i].sector == s)
			return &sc.log[i];
	return 0;
}

/* The index of the candidate of s whose bytes [from, to) equal got's, or -1. */
static int match(uint64_t s, const uint8_t *got, uint32_t from, uint32_t to)
{
	uint8_t want[SSZ];

	for (int i = 0; i < sc.ncand[s]; i++) {
		pattern(want, s, sc.cand[s][i].v);
		if (kmemcmp(want + from, got + from, to - from) == 0)
			return i;
	}
	return -1;
}

/* Check sector s as read after a crash; 1 if it needs rewriting. */
static int check_sector(uint64_t s, uint8_t *got)
{
	const struct simblk_fault *f = fault_for(s);
	int i = match(s, got, 0, SSZ);

	if (i >= 0) {
		if (f) {
			fail("sector %llu holds version %llu intact, but a %s was logged for it",
			     (unsigned long long)s, (unsigned long long)sc.cand[s][i].v,
			     f->kind == SIMBLK_TORN ? "tear" : "flip");
			return 0;
		}
		sc.cand[s][0] = sc.cand[s][i];	/* what it holds is durable now */
		sc.ncand[s] = 1;
		return 0;
	}
	if (f == 0) {
		fail("sector %llu holds none of its %d possible versions (last %llu), and no "
		     "fault was injected there",
		     (unsigned long long)s, sc.ncand[s],
		     (unsigned long long)sc.cand[s][sc.ncand[s] - 1].v);
		return 0;
	}
	if (f->kind == SIMBLK_TORN) {
		if (f->at == 0 || f->at >= SSZ || match(s, got, 0, f->at) < 0 ||
		    match(s, got, f->at, SSZ) < 0)
			fail("sector %llu is not torn at byte %u as logged", (unsigned long long)s,
			     f->at);
	} else {
		got[f->at / 8] ^= (uint8_t)(1u << (f->at % 8));
		if (match(s, got, 0, SSZ) < 0)
			fail("sector %llu is not one flipped bit (%u) from a version",
			     (unsigned long long)s, f->at);
	}
	sc.faults_seen++;
	return 1;
}

/* --break-invariant lose-flushed: write a new version of sector 0 and
 * flush it on a device told to lose it; the crash after must be caught. */
static void breaker_main(void *arg)
{
	int err;

	USED(arg);
	if ((err = do_write(&sc.w[0], 0, 1)) < 0 || (err = do_flush()) < 0)
		fail("breaker: %s", proc_errstr(err));
	sc.helping = false;
}

/* After a crash: read every sector back, check it, rewrite the faulted
 * ones and flush.  A proc of its own, since the scenario proc must keep
 * stepping the device while it waits. */
static void checker_main(void *arg)
{
	uint8_t *buf = sc.w[0].buf;
	uint64_t repair[NSECT];
	size_t nrepair = 0;
	int err;

	USED(arg);
	for (uint64_t s0 = 0; s0 < NSECT && !sc.why[0]; s0 += MAXIO) {
		if ((err = blk_read(sc.d, s0, buf, MAXIO)) < 0) {
			fail("checker: %s", proc_errstr(err));
			break;
		}
		for (uint32_t k = 0; k < MAXIO; k++)
			if (check_sector(s0 + k, buf + k * SSZ))
				repair[nrepair++] = s0 + k;
	}
	for (size_t i = 0; i < nrepair && !sc.why[0]; i++) {
		uint64_t v = ++sc.version;

		pattern(buf, repair[i], v);
		if ((err = blk_write(sc.d, repair[i], buf, 1)) < 0)
			fail("checker: repair: %s", proc_errstr(err));
		sc.cand[repair[i]][0] = (struct cand){ v, ++sc.ackseq };
		sc.ncand[repair[i]] = 1;
		sc.repairs++;
	}
	if (nrepair && !sc.why[0] && (err = do_flush()) < 0)
		fail("checker: flush: %s", proc_errstr(err));
	sc.helping = false;
}

/* A helper proc beside the scenario proc, which plays the device. */
static void run_helper(const char *name, void (*fn)(void *))
{
	simblk_serve_beside(sc.dev, name, fn, &sc.helping);
}

static void crash(void)
{
	sc.crashed = true;
	sc.nlog = simblk_crash(sc.dev, sc.log);
	sc.crashes++;
	for (size_t i = 0; i < sc.nlog; i++) {	/* FNV-1a over (kind, sector, at) */
		uint64_t words[3] = { (uint64_t)sc.log[i].kind, sc.log[i].sector, sc.log[i].at };
		const uint8_t *b = (const uint8_t *)words;
		for (size_t k = 0; k < sizeof words; k++)
			sc.faulthash = (sc.faulthash ^ b[k]) * 0x100000001b3ull;
	}
	join_workers();		/* each ends at its next request: E_IO */
	simblk_reboot(sc.dev);
	run_helper("blkcheck", checker_main);
	sc.crashed = false;
}

static int check(struct sim_ctx *ctx)
{
	const char *bad;

	if (!sc.why[0] && sc.d->inflight != simblk_pending(sc.dev))
		fail("the block layer counts %u requests in flight, the device has %zu",
		     sc.d->inflight, simblk_pending(sc.dev));
	if (!sc.why[0] && sc.d->inflight > sc.d->maxinflight)
		fail("%u requests in flight, the bound is %u", sc.d->inflight, sc.d->maxinflight);
	if (!sc.why[0] && (bad = sched_check()) != 0)
		fail("%s", bad);
	if (!sc.why[0] && (bad = budget_check(pebble_root())) != 0)
		fail("%s", bad);
	if (sc.why[0]) {
		kstrlcpy(ctx->why, sc.why, sizeof ctx->why);
		return -1;
	}
	return 0;
}

int sim_blk_run(struct sim_ctx *ctx)
{
	struct simblk_odds odds = { 512, 300, 400 };
	struct arch_blk_info info;
	struct blk_driver drv;
	struct scen_held held;
	struct simblk_counts c;
	int err = 0;

	kmemset(&sc, 0, sizeof sc);
	sc.faulthash = 0xcbf29ce484222325ull;
	sc.breakflags = ctx->breakflags;
	for (int s = 0; s < NSECT; s++)
		add_cand((uint64_t)s, 0);
	scen_held_now(&held);
	/* the bound on requests in flight is seeded too: 1 makes every
	 * request wait its turn, 8 lets every worker's be pending at once */
	sc.dev = simblk_new(NSECT, SSZ, 1 + (uint32_t)krand_below(2 * NWORKERS), &odds);
	if (sc.dev == 0)
		panic("sim blk: no memory for the device");
	simblk_describe(sc.dev, "simblk0", &info, &drv);
	if ((err = blk_attach_driver(&info, &drv, &sc.d)) < 0)
		panic("sim blk: attach: %s", proc_errstr(err));
	for (ctx->step = 1; ctx->step <= ctx->steps && err == 0; ctx->step++) {
		reap_workers();
		start_workers();
		if ((sc.breakflags & SIM_BREAK_LOSE_FLUSHED) && ctx->step == ctx->steps / 2) {
			crash();	/* a quiet device: the breaker's write is all it caches */
			simblk_break_flush(sc.dev);
			run_helper("blkbreak", breaker_main);
			crash();
		} else if (krand_below(CRASH_ODDS) == 0) {
			crash();
		} else {
			if (krand_below(KILL_ODDS) == 0)
				kill_worker();
			tsleep_ns(1 + krand_below(50000));	/* the workers submit */
			simblk_step(sc.dev, (size_t)krand_below(simblk_pending(sc.dev) + 1));
		}
		err = check(ctx);
	}
	if (err)
		return err;
	ctx->step = ctx->steps;
	crash();	/* every run ends with one, checked */
	if ((err = check(ctx)) < 0)
		return err;
	blk_detach(sc.d);
	simblk_counts(sc.dev, &c);
	simblk_free(sc.dev);
	for (int i = 0; i < NWORKERS; i++)
		kfree(sc.w[i].buf);
	if (scen_held_back(ctx, &held) < 0)
		return -1;
	kprintf("sim blk: %llu crashes, %llu workers killed (%llu waiting for a turn); %llu "
	        "writes, %llu reads, %llu flushes acknowledged; "
	        "%llu requests done, %llu out of order; unflushed at the crashes: %llu kept, "
	        "%llu dropped; %llu torn, %llu flipped (all seen), %llu destaged early; "
	        "fault hash %016llx\n",
	        (unsigned long long)sc.crashes, (unsigned long long)sc.kills,
	        (unsigned long long)sc.intr, (unsigned long long)sc.writes,
	        (unsigned long long)sc.reads, (unsigned long long)sc.flushes,
	        (unsigned long long)c.done, (unsigned long long)c.reordered,
	        (unsigned long long)c.kept, (unsigned long long)c.dropped,
	        (unsigned long long)c.torn, (unsigned long long)c.flipped,
	        (unsigned long long)c.destaged, (unsigned long long)sc.faulthash);
	return 0;
}
