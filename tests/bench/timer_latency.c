/*
 * bench-timer: how late the hosted one-shot timer fires, against the named
 * baseline, in one run.
 *
 * The arch path is measured as it is: arch-hosted/time.c and irq.c are
 * compiled into this program (with stand-ins for the core and the console),
 * a stand-in lux_timer_expired records when the upcall arrives, and the loop
 * is driven the two ways the core drives it: idle (the core's idle loop
 * calls arch_idle with upcalls off, which waits in uv_run until the
 * timerfd fires) and busy (a running proc reaches preemption points,
 * where arch_poll compares the clock with the deadline; here they come
 * back to back, so this row is the best case of a busy kernel).
 * Timers are one at a time, random deadlines 1..5 ms away (nanosecond
 * granularity, as the kernel's deadlines are), lateness = the arch clock
 * in the upcall - the deadline.
 *
 * Baseline: clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) to the same
 * deadlines: what the host's own timers give a thread that just sleeps.
 * Goal (issue 12): the idle arch path's median within 2x the baseline's,
 * and never early.  For comparison, the same run also times a libuv
 * millisecond timer armed as arch-hosted did before the timerfd (deadline
 * rounded up to whole ms from uv_now; busy: the loop polled once a ms).
 *
 * It measures wakeup lateness of an otherwise idle process, not the cost
 * of what the upcall does, and not precision under load.  Any early
 * wakeup (negative lateness) breaks the contract and is counted.
 *
 * usage: bench-timer [--quick]   (--quick: a few timers, for bench-smoke)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include <lux/arch.h>
#include <lux/upcall.h>

#include "bench.h"
#include "internal.h"	/* arch-hosted's: hosted_timer_init */

#define MAXN 1000

/* Deterministic delays, the same list for every method, and (busy mode)
 * when the proc arms each one, 0..1 ms after the previous one fired. */
static uint64_t delays[MAXN], phases[MAXN];
static int ntimers;

static void make_delays(int n)
{
	uint64_t x = 0x9e3779b97f4a7c15u;

	for (int i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		delays[i] = 1000000 + x % 4000001;	/* 1..5 ms */
		phases[i] = (x >> 32) % 1000000;
	}
	ntimers = n;
}

/* ---- The baseline: clock_nanosleep to an absolute deadline ---- */

static void run_nanosleep(int64_t *late)
{
	for (int i = 0; i < ntimers; i++) {
		uint64_t deadline = now_ns() + delays[i];
		struct timespec ts = {(time_t)(deadline / 1000000000u),
		                      (long)(deadline % 1000000000u)};
		int e;

		while ((e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
			;
		if (e != 0) {
			fprintf(stderr, "bench-timer: clock_nanosleep: %s\n", strerror(e));
			exit(1);
		}
		late[i] = (int64_t)(now_ns() - deadline);
	}
}

/* ---- Before: a libuv ms timer, armed as arch-hosted/time.c armed it ---- */

static uv_loop_t loop;
static uv_timer_t timer;
static uint64_t deadline, rearm_at;
static int cur, armed, mode;
static int64_t *lateout;

static void on_timer_cb(uv_timer_t *t);

/* How the loop is driven, as arch-hosted/irq.c drives it. */
enum {
	IDLE,	/* no proc runnable: arch_idle blocks in uv_run(UV_RUN_ONCE) */
	BUSY,	/* a proc runs: arch_poll, called at preemption points, runs
		 * uv_run(UV_RUN_NOWAIT) at most once a millisecond */
};

/* arch_timer_arm(deadline) as arch-hosted/time.c did it, minus the boot
 * offset and the sim mode: libuv's loop time is CLOCK_MONOTONIC truncated
 * to ms and a timer is due once it reaches uv_now + ms, so whole ms are
 * counted from uv_now to the deadline rounded up (counting from our own
 * clock instead made timers fire up to 1 ms early under arch_poll: this
 * bench found that). */
static void arm(void)
{
	uint64_t due, ms;

	deadline = now_ns() + delays[cur];
	uv_update_time(&loop);
	due = (deadline + 999999) / 1000000;
	ms = due > uv_now(&loop) ? due - uv_now(&loop) : 0;
	uv_timer_start(&timer, on_timer_cb, ms, 0);
	armed = 1;
}

static void on_timer_cb(uv_timer_t *t)
{
	uint64_t now = now_ns();

	(void)t;
	lateout[cur] = (int64_t)(now - deadline);
	armed = 0;
	if (++cur == ntimers)
		return;
	if (mode == IDLE)
		arm();	/* the woken proc sleeps again at once */
	else		/* the running proc arms its next sleep at some moment
			 * between two polls, not in step with them */
		rearm_at = now + phases[cur];
}

static void run_uv(int64_t *late, int how)
{
	uint64_t next = 0, now;

	lateout = late;
	mode = how;
	cur = 0;
	arm();
	while (cur < ntimers) {
		if (mode == IDLE) {
			uv_run(&loop, UV_RUN_ONCE);
			continue;
		}
		now = now_ns();
		if (!armed && now >= rearm_at)
			arm();
		if (now < next)
			continue;
		next = now + 1000000;
		uv_run(&loop, UV_RUN_NOWAIT);
	}
}

/* ---- The arch path: arch-hosted/time.c and irq.c as compiled in ---- */

/* What they call outside themselves: this program's loop, and stand-ins. */
int hosted_deterministic;
uv_loop_t *hosted_loop(void) { return &loop; }
void hosted_console_poll(uv_loop_t *l) { (void)l; }
uint64_t hosted_sim_now(void) { return 0; }
void hosted_sim_arm(uint64_t d) { (void)d; }
void hosted_sim_poll(void) { }
void hosted_sim_idle(void) { }

void hosted_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

_Noreturn void lux_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench-timer: arch panicked: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(1);
}

static uint64_t arch_deadline;	/* on arch_time_ns's clock */

static void arch_arm(void)
{
	arch_deadline = arch_time_ns() + delays[cur];
	arch_timer_arm(arch_deadline);
	armed = 1;
}

/* The core's side of the upcall: one call per deadline, never before it. */
void lux_timer_expired(void)
{
	uint64_t now = arch_time_ns();

	if (!armed) {
		fprintf(stderr, "bench-timer: lux_timer_expired with no timer armed\n");
		exit(1);
	}
	lateout[cur] = (int64_t)(now - arch_deadline);
	armed = 0;
	if (++cur == ntimers)
		return;
	if (mode == IDLE)
		arch_arm();	/* the woken proc sleeps again at once */
	else
		rearm_at = now + phases[cur];
}

static void run_arch(int64_t *late, int how)
{
	lateout = late;
	mode = how;
	cur = 0;
	arch_arm();
	while (cur < ntimers) {
		if (mode == IDLE) {	/* the core's idle loop: upcalls off */
			arch_irqstate s = arch_irq_save();

			arch_idle();
			arch_irq_restore(s);
			continue;
		}
		if (!armed && arch_time_ns() >= rearm_at)
			arch_arm();
		arch_poll();	/* a preemption point */
	}
}

/* ---- Statistics and the table ---- */

struct result {
	const char *name;
	double median, p99, min, max;	/* microseconds */
	int early;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static struct result stats(const char *name, int64_t *v, int n)
{
	struct result r = {name, 0, 0, 0, 0, 0};
	int i99 = (int)((n - 1) * 0.99 + 0.5);

	qsort(v, (size_t)n, sizeof v[0], cmp_i64);
	for (int i = 0; i < n; i++)
		r.early += v[i] < 0;
	r.median = (n % 2 ? (double)v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) / 1000;
	r.p99 = v[i99] / 1000.0;
	r.min = v[0] / 1000.0;
	r.max = v[n - 1] / 1000.0;
	return r;
}

static void row(const struct result *r, const struct result *base)
{
	char rs[32];

	if (r == base)
		snprintf(rs, sizeof rs, "1.00");
	else
		snprintf(rs, sizeof rs, "%.1fx", r->median / base->median);
	printf("%-40s %8.1f %8.1f %8.1f %8.1f %5d   %s\n", r->name, r->median, r->p99,
	       r->min, r->max, r->early, rs);
}

static void contract(const char *mode, const struct result *r, int n)
{
	if (r->early)
		printf("contract (%s): BROKEN: %d of %d fired before the deadline (earliest %.1f us)\n"
		       "      (core/kern/timer.c re-checks deadlines: a spurious upcall + re-arm,"
		       " not an early ktimer)\n", mode, r->early, n, -r->min);
	else
		printf("contract (%s): never early: held (%d of %d)\n", mode, n, n);
}

int main(int argc, char **argv)
{
	static int64_t late_ns[MAXN], late_idle[MAXN], late_busy[MAXN], late_aidle[MAXN],
		late_abusy[MAXN];
	struct result b, ui, ub, ai, ab;
	int n = 200;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			n = 10;
		else {
			fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
			return 2;
		}
	}
	make_delays(n);
	if (uv_loop_init(&loop) != 0 || uv_timer_init(&loop, &timer) != 0) {
		fprintf(stderr, "bench-timer: libuv init failed\n");
		return 1;
	}
	hosted_timer_init(&loop);	/* the arch's timerfd, on the same loop */

	run_nanosleep(late_ns);
	run_arch(late_aidle, IDLE);
	run_arch(late_abusy, BUSY);
	run_uv(late_idle, IDLE);
	run_uv(late_busy, BUSY);

	b = stats("clock_nanosleep TIMER_ABSTIME (baseline)", late_ns, n);
	ai = stats("arch: idle, arch_idle (timerfd)", late_aidle, n);
	ab = stats("arch: busy, arch_poll at every point", late_abusy, n);
	ui = stats("before: uv ms timer, idle", late_idle, n);
	ub = stats("before: uv ms timer, busy (polled 1/ms)", late_busy, n);

	printf("one-shot timer lateness (us past the deadline; %d timers, random 1..5 ms; lower is better)%s\n",
	       n, n < 200 ? "  [--quick: too few to judge]" : "");
	printf("%-40s %8s %8s %8s %8s %5s   %s\n", "method", "median", "p99", "min", "max",
	       "early", "median vs baseline");
	row(&b, &b);
	row(&ai, &b);
	row(&ab, &b);
	row(&ui, &b);
	row(&ub, &b);
	printf("goal (issue 12): arch idle median within 2.0x the baseline's: %s (%.1fx)\n",
	       ai.median <= 2 * b.median ? "met" : "NOT met", ai.median / b.median);
	printf("note: busy delivers at the first preemption point past the deadline; here they\n"
	       "      come back to back, so the row is a busy kernel's best case.  The contract\n"
	       "      is never early (min >= 0, early = 0; early fires pull a median down).\n");
	contract("arch idle", &ai, n);
	contract("arch busy", &ab, n);
	contract("before, idle", &ui, n);
	contract("before, busy", &ub, n);

	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return ai.early || ab.early ? 1 : 0;
}
