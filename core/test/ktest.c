/*
 * In-kernel scheduler tests (see <lux/ktest.h>).
 *  stress: 100 procs take 4 qlocks and a rwlock in random order, yield
 *	while holding them, sleep between rounds; every protected counter must
 *	add up and every reader must see a consistent pair; everything
 *	returns (procs, pages, objects).
 *  wakeup: sleepers with staggered deadlines wake no earlier than asked,
 *	in deadline order.
 *  kill: a busy proc and a long sleeper are killed; both exit promptly
 *	with PROC_KILLED and give back what they held.
 */
#include <lux/error.h>
#include <lux/exchange.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ktest.h>
#include <lux/lock.h>
#include <lux/page.h>
#include <lux/proc.h>
#include <lux/rand.h>
#include <lux/string.h>
#include <lux/timer.h>

/* ---- stress ------------------------------------------------------------ */

enum { NSTRESS = 100, ROUNDS = 20, NLOCKS = 4 };

static struct {
	struct qlock locks[NLOCKS];
	uint64_t counters[NLOCKS];
	struct rwlock pairlock;
	uint64_t a, b;		/* invariant under pairlock: a == b */
	int torn;		/* readers that saw a != b */
	uint64_t ops;		/* qlock rounds done */
} st;

static void stress_worker(void *arg)
{
	USED(arg);
	for (int r = 0; r < ROUNDS; r++) {
		int i = (int)krand_below(NLOCKS);
		uint64_t c;

		qlock(&st.locks[i]);
		c = st.counters[i];
		if (krand_below(4) == 0)
			proc_yield();	/* hold it across a switch: others must wait */
		st.counters[i] = c + 1;
		st.ops++;
		qunlock(&st.locks[i]);

		if (krand_below(3) == 0) {
			wlock(&st.pairlock);
			st.a++;
			proc_yield();	/* a reader now would see a torn pair */
			st.b++;
			wunlock(&st.pairlock);
		} else {
			rlock(&st.pairlock);
			if (st.a != st.b)
				st.torn++;
			runlock(&st.pairlock);
		}
		if (krand_below(4) == 0)
			tsleep_ns(krand_below(2000000));
	}
}

struct baseline {
	size_t pages, procs, objects;
	bool alone;	/* no other proc ran: the counts are ours alone */
};

static void snap(struct baseline *b)
{
	struct kalloc_stats ks;

	kalloc_stats(&ks);
	b->pages = page_free_count();
	b->procs = proc_count();
	b->objects = ks.live_objects;
	b->alone = b->procs == 1;
}

/* Everything a test made must be gone: 0, or a message.  With other procs
 * running (background commands) the counts move for their reasons too,
 * so the check is skipped and the message says so. */
static const char *compare(const struct baseline *before)
{
	struct baseline now;

	snap(&now);
	if (!before->alone || !now.alone)
		return "(leak check skipped: other procs were running)";
	if (now.procs != before->procs)
		return "procs were left behind";
	if (now.objects != before->objects)
		return "kernel objects leaked";
	if (now.pages != before->pages)
		return "pages leaked";
	return 0;
}

static int stress(char *msg, size_t size)
{
	static struct proc *p[NSTRESS];
	struct baseline before;
	uint64_t sum = 0;
	const char *leak;
	int n = 0;

	kmemset(&st, 0, sizeof st);
	for (int i = 0; i < NLOCKS; i++)
		qlock_init(&st.locks[i], "ktest");
	rwlock_init(&st.pairlock, "ktest pair");
	snap(&before);
	for (; n < NSTRESS; n++)
		if ((p[n] = proc_create("stress", (int)krand_below(NPRIO - 2) + 1, stress_worker, 0,
		                        0)) == 0)
			break;
	for (int i = 0; i < n; i++)
		proc_join(p[i]);
	for (int i = 0; i < NLOCKS; i++)
		sum += st.counters[i];
	leak = compare(&before);
	ksnprintf(msg, size,
	          "%d procs x %d rounds: %llu lock rounds, %llu counted, %d torn reads%s%s", n,
	          ROUNDS, (unsigned long long)st.ops, (unsigned long long)sum, st.torn,
	          leak ? ", " : "", leak ? leak : "");
	return n == NSTRESS && sum == (uint64_t)NSTRESS * ROUNDS && st.ops == sum && st.torn == 0 &&
	               st.a == st.b && (!leak || *leak == '(')
	           ? 0
	           : -1;
}

/* ---- wakeup ------------------------------------------------------------ */

enum { NWAKE = 10 };

static struct {
	uint64_t start, want[NWAKE], woke[NWAKE];
	int order[NWAKE], norder;
} wk;

static void sleeper(void *arg)
{
	int i = (int)(uintptr_t)arg;
	uint64_t now = arch_time_ns() - wk.start;

	/* The deadline is absolute (from the test's start), not from when
	 * this proc first ran: on a loaded host the sleepers may start
	 * milliseconds apart, and relative sleeps would then legitimately
	 * wake out of order. */
	tsleep_ns(wk.want[i] > now ? wk.want[i] - now : 0);
	wk.woke[i] = arch_time_ns() - wk.start;
	wk.order[wk.norder++] = i;
}

static int wakeup_test(char *msg, size_t size)
{
	struct proc *p[NWAKE];
	int early = -1, misordered = -1, n = 0;

	kmemset(&wk, 0, sizeof wk);
	wk.start = arch_time_ns();
	/* created in reverse so wake order cannot come from creation order */
	for (int i = NWAKE - 1; i >= 0; i--) {
		wk.want[i] = (uint64_t)(i + 1) * 3000000u;
		if ((p[i] = proc_create("sleeper", PRIO_NORMAL, sleeper, (void *)(uintptr_t)i,
		                        0)) == 0)
			break;
		n++;
	}
	for (int i = NWAKE - n; i < NWAKE; i++)
		proc_join(p[i]);
	for (int i = 0; i < NWAKE && n == NWAKE; i++) {
		if (wk.woke[i] < wk.want[i] && early < 0)
			early = i;
		if (wk.order[i] != i && misordered < 0)
			misordered = i;
	}
	ksnprintf(msg, size, "%d sleepers of 3..30 ms: %s, %s", n,
	          early < 0 ? "none woke early" : "one woke EARLY",
	          misordered < 0 ? "woke in deadline order" : "woke OUT of order");
	return n == NWAKE && early < 0 && misordered < 0 ? 0 : -1;
}

/* ---- kill -------------------------------------------------------------- */

static void spinner(void *arg)
{
	uint64_t end = arch_time_ns() + 10000000000ull;	/* gives up after 10 s */

	USED(arg);
	while (arch_time_ns() < end)
		if (preempt_point() < 0)
			proc_exit(PROC_KILLED);
	proc_exit(0);
}

static void long_sleeper(void *arg)
{
	USED(arg);
	if (tsleep_ns(60000000000ull) < 0)
		proc_exit(PROC_KILLED);
	proc_exit(0);
}

static int kill_test(char *msg, size_t size)
{
	struct baseline before;
	struct proc *busy, *asleep;
	int sbusy = -1, sasleep = -1;
	uint64_t t0;
	const char *leak;

	snap(&before);
	busy = proc_create("spinner", PRIO_NORMAL, spinner, 0, 0);
	asleep = proc_create("sleeper", PRIO_NORMAL, long_sleeper, 0, 0);
	if (busy == 0 || asleep == 0) {
		ksnprintf(msg, size, "could not create procs");
		return -1;
	}
	tsleep_ns(20000000);	/* let the spinner spin and the sleeper sleep */
	t0 = arch_time_ns();
	proc_kill(busy->pid);
	proc_kill(asleep->pid);
	sbusy = proc_join(busy);
	sasleep = proc_join(asleep);
	leak = compare(&before);
	ksnprintf(msg, size,
	          "busy proc exit %d, sleeping proc exit %d, gone %llu ms after kill%s%s", sbusy,
	          sasleep, (unsigned long long)((arch_time_ns() - t0) / 1000000u), leak ? ", " : "",
	          leak ? leak : "");
	return sbusy == PROC_KILLED && sasleep == PROC_KILLED && (!leak || *leak == '(') ? 0 : -1;
}

/* ---- latency ----------------------------------------------------------- */

/* How late tsleep wakes past its deadline, measured by the kernel itself,
 * so the same number exists on every arch (on QEMU it is TCG time, to be
 * reported and not compared).  Fails only if a sleeper woke early. */
static int latency_test(char *msg, size_t size)
{
	enum { N = 50 };
	uint64_t late[N];
	int early = 0;

	for (int i = 0; i < N; i++) {
		uint64_t want = 1000000 + krand_below(2000000), t0 = arch_time_ns(), got;
		tsleep_ns(want);
		got = arch_time_ns() - t0;
		if (got < want) {
			early++;
			late[i] = 0;
		} else {
			late[i] = got - want;
		}
	}
	for (int i = 1; i < N; i++)	/* insertion sort: N is small */
		for (int j = i; j > 0 && late[j - 1] > late[j]; j--) {
			uint64_t t = late[j];
			late[j] = late[j - 1];
			late[j - 1] = t;
		}
	ksnprintf(msg, size,
	          "%d one-shot sleeps of 1..3 ms: late by median %llu us, max %llu us, %d early", N,
	          (unsigned long long)(late[N / 2] / 1000),
	          (unsigned long long)(late[N - 1] / 1000), early);
	return early ? -1 : 0;
}

/* ---- exchange ---------------------------------------------------------- */

/* 1 MiB moves from one proc to another by ownership transfer: the
 * receiver maps the very pages the sender wrote (no copy), and the
 * sender's handle is refused once sent.  Pages come back at the end. */
enum { XPAGES = 256 };

static struct {
	bhandle h;
	uint8_t *wrote, *read;
	int stale, recv, bad;
} xk;

static void xreceiver(void *arg)
{
	bhandle h;
	void *p;

	USED(arg);
	if ((xk.recv = exchange_recv(&h)) < 0)
		return;
	if (exchange_map_ro(h, &p) == 0) {
		xk.read = p;
		for (size_t i = 0; i < XPAGES * PAGE_SIZE; i++)
			xk.bad += xk.read[i] != (uint8_t)(i ^ i >> 12);
		exchange_unmap(h);
	}
	exchange_free(h);
}

static void xsender(void *arg)
{
	struct proc *to = arg;
	void *p;

	if (exchange_alloc(XPAGES, &xk.h) < 0 || exchange_map(xk.h, &p) < 0)
		return;
	xk.wrote = p;
	for (size_t i = 0; i < XPAGES * PAGE_SIZE; i++)
		xk.wrote[i] = (uint8_t)(i ^ i >> 12);
	exchange_unmap(xk.h);
	if (exchange_send(xk.h, to) < 0)
		return;
	xk.stale = exchange_map_ro(xk.h, &p);	/* must be refused: it is not ours */
}

static int exchange_test(char *msg, size_t size)
{
	struct baseline before;
	struct proc *rx, *tx;
	const char *leak;

	kmemset(&xk, 0, sizeof xk);
	snap(&before);
	rx = proc_create("xrecv", PRIO_NORMAL, xreceiver, 0, 0);
	tx = rx ? proc_create("xsend", PRIO_NORMAL, xsender, rx, 0) : 0;
	if (tx == 0) {
		if (rx)
			proc_kill(rx->pid), proc_join(rx);
		ksnprintf(msg, size, "could not create procs");
		return -1;
	}
	proc_join(tx);
	proc_join(rx);
	leak = compare(&before);
	ksnprintf(msg, size, "%u KiB moved: %s, %d bytes differ, dead handle %s%s%s",
	          XPAGES * PAGE_SIZE / 1024,
	          xk.wrote && xk.wrote == xk.read ? "same pages (no copy)" : "DIFFERENT pages",
	          xk.bad, xk.stale == E_STALE ? "refused" : "NOT refused", leak ? ", " : "",
	          leak ? leak : "");
	return xk.recv == 0 && xk.wrote && xk.wrote == xk.read && xk.bad == 0 &&
	               xk.stale == E_STALE && (!leak || *leak == '(')
	           ? 0
	           : -1;
}

static const struct ktest tests[] = {
	{ "stress", "100 procs with qlocks, a rwlock, yields and sleeps", stress },
	{ "wakeup", "sleepers wake on time and in deadline order", wakeup_test },
	{ "kill", "killed busy and sleeping procs exit and give back everything", kill_test },
	{ "latency", "how late one-shot sleeps wake (never early)", latency_test },
	{ "exchange", "1 MiB moves between two procs: same pages, sender's handle refused",
	  exchange_test },
	{ "cryptobench", "/secure/crypto against the same lc_* calls in-process (ratios)",
	  ktest_cryptobench },
	{ "keystore", "key pins over a rotate, delete in use, a crypto budget run out",
	  ktest_keystore },
	{ "lockdep", "the lock-order checker is on and accepts a consistent order", ktest_lockdep },
	/* these end the kernel on purpose (ktest_fault.c) */
	{ "fault-null", "read through a null pointer: the arch's panic names it",
	  ktest_fault_null },
	{ "fault-stack", "a proc overflows its stack: the panic names the proc",
	  ktest_fault_stack },
	{ "fault-rodata", "write to read-only data: the panic names it", ktest_fault_rodata },
	{ "fault-nx", "call into writable data: the panic names it", ktest_fault_nx },
	{ "lockdep-inversion", "two locks in both orders: the checker's panic names both",
	  ktest_lockdep_inversion },
};

const struct ktest *ktests(size_t *n)
{
	*n = nelem(tests);
	return tests;
}
