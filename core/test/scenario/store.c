/*
 * Scenario "store": the store (core/store) on the simulated device
 * (blkdev.c), crashed again and again.
 *
 * A worker puts, deletes, reads and commits values of every shape under
 * a few dozen keys; the scenario proc plays the device (ending requests,
 * a crash in one step of 40), so the power goes out in the middle of
 * value writes, tree writes, superblock writes and flushes.  A shadow
 * kept apart from the device records what each commit holds: the state
 * the worker is building, each completed commit's (by sequence number),
 * and the commit in flight when the power went, if any.
 *
 * After every crash a checker proc opens the store again.  Invariants:
 *  - it opens, at the last completed commit or the one in flight; at the
 *    one before only when the store says which block it passed over for
 *    damage, and a fault was injected there; not at all only when faults
 *    were injected in at least two blocks;
 *  - every key holds exactly its value in that commit, or is absent if
 *    it was; or fails with E_CRYPTO, and then the store names a block
 *    that a fault was injected in (since the last format).  Never other
 *    bytes, never a value missing that a completed commit holds;
 *  - the worker's own reads see what it put, and it never meets damage.
 * A store found damaged is formatted afresh (as an operator restores
 * from a backup), else the worker goes on from the state it opened.
 * The run ends with a crash and its check; then every proc, object and
 * budget must be back to what it was.
 *
 * --break-invariant lose-flushed: halfway, a commit is made on a device
 * told to lose one write its flush should make durable; the crash after
 * must be caught (damage or an old commit, where no fault was injected).
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
#include <lux/store.h>
#include <lux/string.h>
#include <lux/timer.h>

#include "blkdev.h"
#include "held.h"

enum {
	SSZ = 512,
	NSECT = 4096,			/* 512 blocks of 4 KiB */
	SPB = STORE_BSIZE / SSZ,
	NKEYS = 24,
	HIST = 4,			/* completed commits remembered */
	MAXBAD = 256,			/* faulted blocks remembered */
	CRASH_ODDS = 40,
	AIM_ODDS = 6,			/* crashes that also flip a superblock bit */
	VALMAX = 70000,
};

static const char pass[] = "sim store";

struct state {
	uint64_t seq;		/* 0: none */
	uint64_t v[NKEYS];	/* each key's version (0: absent) */
};

static struct {
	struct simblk *dev;
	struct blkdev *d;
	struct store *st;
	struct proc *worker;
	uint8_t *buf, *want;	/* VALMAX bytes each */
	uint64_t cur[NKEYS];	/* what the worker's open store holds */
	struct state hist[HIST];	/* by seq % HIST */
	struct state attempt;	/* a commit in flight (seq 0: none) */
	uint64_t committed;	/* the last completed commit's seq */
	uint64_t version;
	uint64_t bad[MAXBAD];	/* blocks faults were injected in, since the last format */
	size_t nbad;
	bool crashed, helping;
	char why[160];
	uint32_t breakflags;
	struct simblk_fault log[SIMBLK_MAXFAULTS];
	uint64_t crashes, puts, dels, gets, commits, formats, damaged, fallbacks, inflight_won;
	uint64_t nospc, faulthash, aimed;
} sc;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (sc.why[0])
		return;
	va_start(ap, fmt);
	kvsnprintf(sc.why, sizeof sc.why, fmt, ap);
	va_end(ap);
}

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Version v of key k: its length, and its bytes (a pattern of k, v). */
static size_t vlen(uint64_t k, uint64_t v)
{
	static const size_t sizes[] = { 0, 1, 50, 300, 4032, 4033, 9000, 20000, 30000, VALMAX };
	uint64_t r = mix(k << 32 ^ v);

	return sizes[r % nelem(sizes)] - (r >> 40) % 7 * (r % nelem(sizes) > 5);
}

static void vfill(uint8_t *b, size_t n, uint64_t k, uint64_t v)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t z = mix(k << 48 ^ v << 20 ^ i);

		for (size_t j = 0; j < 8 && i + j < n; j++)
			b[i + j] = (uint8_t)(z >> (8 * j));
	}
}

static struct state *hist_at(uint64_t seq)
{
	struct state *s = &sc.hist[seq % HIST];

	return s->seq == seq ? s : 0;
}

static void hist_put(uint64_t seq, const uint64_t *v)
{
	sc.hist[seq % HIST].seq = seq;
	kmemcpy(sc.hist[seq % HIST].v, v, sizeof sc.hist[0].v);
}

static bool faulted(uint64_t block)
{
	for (size_t i = 0; i < sc.nbad; i++)
		if (sc.bad[i] == block)
			return true;
	return false;
}

/* ---- the worker ------------------------------------------------------ */

static int w_put(uint64_t k)
{
	uint64_t v = ++sc.version;
	size_t n = vlen(k, v);
	int err;

	vfill(sc.buf, n, k, v);
	if ((err = store_put(sc.st, k, sc.buf, n)) == 0) {
		sc.cur[k] = v;
		sc.puts++;
	} else if (err == E_NOSPC) {
		sc.nospc++;
		err = 0;	/* said before anything was written: go on */
	}
	return err;
}

static int w_del(uint64_t k)
{
	int err = store_del(sc.st, k);

	if (err == E_NOENT && sc.cur[k] == 0)
		return 0;
	if (err == 0 && sc.cur[k] == 0)
		fail("worker: deleted key %llu, which it never put", (unsigned long long)k);
	if (err == 0) {
		sc.cur[k] = 0;
		sc.dels++;
	}
	return err;
}

static int w_get(uint64_t k)
{
	size_t n = 0;
	int err = store_get(sc.st, k, sc.buf, VALMAX, &n);

	if (err == E_NOENT && sc.cur[k] == 0)
		return 0;
	if (err < 0)
		return err;
	vfill(sc.want, vlen(k, sc.cur[k]), k, sc.cur[k]);
	if (sc.cur[k] == 0 || n != vlen(k, sc.cur[k]) || kmemcmp(sc.buf, sc.want, n) != 0)
		fail("worker: key %llu does not read back as version %llu", (unsigned long long)k,
		     (unsigned long long)sc.cur[k]);
	sc.gets++;
	return 0;
}

static int w_commit(void)
{
	int err;

	sc.attempt.seq = sc.committed + 1;
	kmemcpy(sc.attempt.v, sc.cur, sizeof sc.cur);
	if ((err = store_commit(sc.st)) < 0)
		return err;	/* the attempt stays: it may be on the drive */
	{
		struct store_stat ss;

		store_stat(sc.st, &ss);
		if (ss.seq == sc.committed)	/* nothing had changed */
			return sc.attempt.seq = 0, 0;
	}
	sc.committed++;
	hist_put(sc.committed, sc.cur);
	sc.attempt.seq = 0;
	sc.commits++;
	return 0;
}

static void worker_main(void *arg)
{
	USED(arg);
	while (!sc.crashed && !sc.why[0]) {
		uint64_t k = krand_below(NKEYS), op = krand_below(20);
		int err;

		if (op < 10)
			err = w_put(k);
		else if (op < 13)
			err = w_del(k);
		else if (op < 17)
			err = w_get(k);
		else
			err = w_commit();
		if (err == E_IO && sc.crashed)
			break;	/* the power went */
		if (err < 0)
			fail("worker: %s", proc_errstr(err));
	}
}

/* ---- the checker ----------------------------------------------------- */

static int format_fresh(void)
{
	int err;

	if (sc.st)
		store_close(sc.st);
	sc.st = 0;
	if ((err = store_format(sc.d, pass, sizeof pass - 1, 1, 8192)) < 0 ||
	    (err = store_open(sc.d, pass, sizeof pass - 1, &sc.st)) < 0)
		return err;
	kmemset(sc.hist, 0, sizeof sc.hist);
	kmemset(sc.cur, 0, sizeof sc.cur);
	sc.attempt.seq = 0;
	sc.committed = 1;
	hist_put(1, sc.cur);
	sc.nbad = 0;
	sc.formats++;
	return 0;
}

static void format_main(void *arg)
{
	int err;

	USED(arg);
	if ((err = format_fresh()) < 0)
		fail("format: %s", proc_errstr(err));
	sc.helping = false;
}

/* The state the store opened at, or 0 (and a failure said). */
static const struct state *opened_state(const struct store_stat *ss)
{
	if (ss->bad && !faulted(ss->badblock))
		fail("the store passed over block %llu for damage, but no fault was injected there",
		     (unsigned long long)ss->badblock);
	if (ss->seq == sc.committed)
		return hist_at(ss->seq);
	if (sc.attempt.seq && ss->seq == sc.attempt.seq) {
		sc.inflight_won++;
		return &sc.attempt;
	}
	if (ss->seq + 1 == sc.committed && ss->bad && hist_at(ss->seq)) {
		sc.fallbacks++;
		return hist_at(ss->seq);
	}
	fail("the store opened at commit %llu; the last completed is %llu%s",
	     (unsigned long long)ss->seq, (unsigned long long)sc.committed,
	     ss->bad ? "" : ", and it reports no damage");
	return 0;
}

/* Key k as the checker reads it against version v: 0 intact, 1 damaged. */
static int check_key(uint64_t k, uint64_t v)
{
	struct store_stat ss;
	size_t n = 0;
	int err = store_get(sc.st, k, sc.buf, VALMAX, &n);

	if (err == E_CRYPTO) {
		store_stat(sc.st, &ss);
		if (!faulted(ss.badblock))
			fail("key %llu: block %llu failed authentication, and no fault was "
			     "injected there",
			     (unsigned long long)k, (unsigned long long)ss.badblock);
		return 1;
	}
	if (v == 0) {
		if (err != E_NOENT)
			fail("key %llu is absent in the commit opened, but reads %s",
			     (unsigned long long)k, err == 0 ? "a value" : proc_errstr(err));
		return 0;
	}
	if (err < 0) {
		fail("key %llu (version %llu): %s", (unsigned long long)k, (unsigned long long)v,
		     proc_errstr(err));
		return 0;
	}
	vfill(sc.want, vlen(k, v), k, v);
	if (n != vlen(k, v) || kmemcmp(sc.buf, sc.want, n) != 0)
		fail("key %llu reads other bytes than version %llu: wrong data",
		     (unsigned long long)k, (unsigned long long)v);
	return 0;
}

static void checker_main(void *arg)
{
	const struct state *s;
	struct store_stat ss;
	int err, damaged = 0;

	USED(arg);
	if ((err = store_open(sc.d, pass, sizeof pass - 1, &sc.st)) < 0) {
		if (sc.nbad < 2)
			fail("the store does not open (%s), with faults in %zu blocks",
			     proc_errstr(err), sc.nbad);
		damaged = 1;
	} else {
		store_stat(sc.st, &ss);
		if ((s = opened_state(&ss)) != 0) {
			for (uint64_t k = 0; k < NKEYS && !sc.why[0]; k++)
				damaged |= check_key(k, s->v[k]);
			kmemcpy(sc.cur, s->v, sizeof sc.cur);
			sc.committed = s->seq;
			hist_put(s->seq, s->v);
			sc.attempt.seq = 0;
		}
	}
	if (damaged && !sc.why[0]) {
		sc.damaged++;
		if ((err = format_fresh()) < 0)
			fail("checker: format: %s", proc_errstr(err));
	}
	sc.helping = false;
}

/* ---- the scenario proc ----------------------------------------------- */

/* A helper proc beside the scenario proc, which plays the device. */
static void run_helper(const char *name, void (*fn)(void *))
{
	simblk_serve_beside(sc.dev, name, fn, &sc.helping);
}

static void note_faults(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t words[3] = { (uint64_t)sc.log[i].kind, sc.log[i].sector, sc.log[i].at };
		const uint8_t *b = (const uint8_t *)words;

		for (size_t k = 0; k < sizeof words; k++)
			sc.faulthash = (sc.faulthash ^ b[k]) * 0x100000001b3ull;
		if (!faulted(sc.log[i].sector / SPB) && sc.nbad < MAXBAD)
			sc.bad[sc.nbad++] = sc.log[i].sector / SPB;
	}
}

/* One crash in AIM_ODDS also flips a bit of a superblock, the one
 * sector whose damage costs a commit: the fallback to the commit before,
 * which must then be whole, is exercised on purpose, not by luck. */
static size_t aim(size_t n)
{
	uint64_t sector = krand_below(2) * SPB;
	uint32_t bit = (uint32_t)krand_below(8 * 480);	/* inside what the MAC covers */

	if (krand_below(AIM_ODDS) != 0 || n == SIMBLK_MAXFAULTS)
		return n;
	for (size_t i = 0; i < n; i++)
		if (sc.log[i].sector == sector)
			return n;
	simblk_flip(sc.dev, sector, bit);
	sc.log[n] = (struct simblk_fault){ SIMBLK_FLIP, sector, bit };
	sc.aimed++;
	return n + 1;
}

static void crash(void)
{
	sc.crashed = true;
	note_faults(aim(simblk_crash(sc.dev, sc.log)));
	sc.crashes++;
	if (sc.worker) {
		proc_join(sc.worker);	/* it ends at its next request: E_IO */
		sc.worker = 0;
	}
	if (sc.st)
		store_close(sc.st);
	sc.st = 0;
	simblk_reboot(sc.dev);
	run_helper("storecheck", checker_main);
	sc.crashed = false;
}

static void start_worker(void)
{
	if (sc.worker || sc.why[0])
		return;
	if ((sc.worker = proc_create("storeworker", PRIO_NORMAL, worker_main, 0, 0)) == 0)
		panic("sim store: cannot start the worker");
}

/* --break-invariant lose-flushed: a commit on a device that loses one
 * of the writes its first flush should make durable. */
static void breaker_main(void *arg)
{
	int err;

	USED(arg);
	for (uint64_t k = 0; k < NKEYS; k++)
		if ((err = w_put(k)) < 0)
			fail("breaker: %s", proc_errstr(err));
	simblk_break_flush(sc.dev);
	if ((err = w_commit()) < 0)
		fail("breaker: %s", proc_errstr(err));
	sc.helping = false;
}

static int check(struct sim_ctx *ctx)
{
	const char *bad;

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

static void step(struct sim_ctx *ctx)
{
	start_worker();
	if ((sc.breakflags & SIM_BREAK_LOSE_FLUSHED) && ctx->step == ctx->steps / 2) {
		crash();
		run_helper("storebreak", breaker_main);
		crash();
		return;
	}
	if (krand_below(CRASH_ODDS) == 0) {
		crash();
		return;
	}
	/* a step is a burst of device work: the worker's requests are one
	 * at a time, and a commit is a few dozen of them */
	for (uint64_t i = 1 + krand_below(24); i > 0; i--) {
		tsleep_ns(1 + krand_below(20000));
		simblk_step(sc.dev, (size_t)krand_below(simblk_pending(sc.dev) + 1));
	}
}

static int setup(void)
{
	struct simblk_odds odds = { 512, 300, 400 };
	struct arch_blk_info info;
	struct blk_driver drv;
	int err;

	sc.dev = simblk_new(NSECT, SSZ, 1 + (uint32_t)krand_below(4), &odds);
	sc.buf = kmalloc(VALMAX);
	sc.want = kmalloc(VALMAX);
	if (sc.dev == 0 || sc.buf == 0 || sc.want == 0)
		panic("sim store: out of memory");
	simblk_describe(sc.dev, "simstore0", &info, &drv);
	if ((err = blk_attach_driver(&info, &drv, &sc.d)) < 0)
		panic("sim store: attach: %s", proc_errstr(err));
	run_helper("storeformat", format_main);
	return sc.st ? 0 : -1;
}

static void teardown(void)
{
	if (sc.st)
		store_close(sc.st);
	blk_detach(sc.d);
	simblk_free(sc.dev);
	kfree(sc.buf);
	kfree(sc.want);
}

int sim_store_run(struct sim_ctx *ctx)
{
	struct scen_held held;
	int err = 0;

	kmemset(&sc, 0, sizeof sc);
	sc.faulthash = 0xcbf29ce484222325ull;
	sc.breakflags = ctx->breakflags;
	scen_held_now(&held);
	if (setup() < 0)
		panic("sim store: the first format failed");
	for (ctx->step = 1; ctx->step <= ctx->steps && err == 0; ctx->step++) {
		step(ctx);
		err = check(ctx);
	}
	if (err)
		return err;
	ctx->step = ctx->steps;
	crash();	/* every run ends with one, checked */
	if ((err = check(ctx)) < 0)
		return err;
	teardown();
	if (scen_held_back(ctx, &held) < 0)
		return -1;
	kprintf("sim store: %llu crashes; %llu puts, %llu deletes, %llu reads, %llu commits "
	        "completed; reopened at the commit in flight %llu times, at the one before %llu; "
	        "damage found %llu times, %llu formats; %llu superblock bits flipped on purpose; "
	        "%llu puts refused for space; fault hash %016llx\n",
	        (unsigned long long)sc.crashes, (unsigned long long)sc.puts,
	        (unsigned long long)sc.dels, (unsigned long long)sc.gets,
	        (unsigned long long)sc.commits, (unsigned long long)sc.inflight_won,
	        (unsigned long long)sc.fallbacks, (unsigned long long)sc.damaged,
	        (unsigned long long)sc.formats, (unsigned long long)sc.aimed,
	        (unsigned long long)sc.nospc, (unsigned long long)sc.faulthash);
	return 0;
}
