/*
 * bench-ctxswitch: nanoseconds per context switch, in one run, for
 *   (a) the kernel's hosted switch: arch_ctx_switch between two contexts
 *       made by arch_ctx_init (arch-hosted/context.c + switch_x86_64.S,
 *       compiled into this program exactly as luxsim has them);
 *   (b) glibc swapcontext, the named baseline (docs/style.md, "Measuring");
 *   (c) a pthread mutex + condition-variable handoff between two threads
 *       in strict alternation (the cost of "a thread per proc").
 * Each is repeated; the table gives the median and the minimum, and the
 * ratio of medians against the kernel's switch.  Ratios are the result:
 * absolute times on this shared, noisy 2-core machine are not.
 *
 * One switch is one transfer of control: a ping-pong round trip is two.
 * Nothing is pinned, so (c) may hand off across cores (a wakeup through
 * the host scheduler either way).
 *
 * usage: bench-ctxswitch [--quick]   (--quick: tiny counts, for bench-smoke)
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include <lux/arch.h>
#include <lux/upcall.h>

#include "bench.h"

#include "internal.h"

#define STACK_SIZE (64 * 1024)
#define MAXREPS 16
#define GOAL_RATIO 10.0	/* kernel switch >= 10x faster than swapcontext */

/* ---- What context.c needs from the rest of arch-hosted and the core ---- */

void hosted_irq_enable(void)
{
}

_Noreturn void lux_panic(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-ctxswitch: panic: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void die(const char *msg)
{
	fprintf(stderr, "bench-ctxswitch: %s\n", msg);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		die("out of memory");
	memset(p, 0, n);	/* touch the pages before timing */
	return p;
}

/*
 * (a) and (b) share one shape: the main context resumes A; A times n
 * round trips A->B->A (2n switches), records the time, and resumes main.
 * B counts its turns, so a loop that did not really run is caught.
 */

/* ---- (a) the kernel's switch ---- */

static arch_ctx k_main, k_a, k_b;
static volatile uint64_t k_n, k_turns, k_elapsed;

static void k_entry_a(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t n = k_n, t0 = now_ns();

		for (uint64_t i = 0; i < n; i++)
			arch_ctx_switch(&k_a, &k_b);
		k_elapsed = now_ns() - t0;
		arch_ctx_switch(&k_a, &k_main);
	}
}

static void k_entry_b(void *arg)
{
	(void)arg;
	for (;;) {
		k_turns++;
		arch_ctx_switch(&k_b, &k_a);
	}
}

static void k_setup(void)
{
	arch_ctx_init(&k_a, xmalloc(STACK_SIZE), STACK_SIZE, k_entry_a, 0);
	arch_ctx_init(&k_b, xmalloc(STACK_SIZE), STACK_SIZE, k_entry_b, 0);
}

/* ns per switch over n round trips */
static double k_run(uint64_t n)
{
	uint64_t before = k_turns;

	k_n = n;
	arch_ctx_switch(&k_main, &k_a);
	if (k_turns - before != n)
		die("kernel switch: B did not run once per round trip");
	return (double)k_elapsed / (double)(2 * n);
}

/* ---- (b) swapcontext, the baseline ---- */

static ucontext_t u_main, u_a, u_b;
static volatile uint64_t u_n, u_turns, u_elapsed;

static void u_entry_a(void)
{
	for (;;) {
		uint64_t n = u_n, t0 = now_ns();

		for (uint64_t i = 0; i < n; i++)
			swapcontext(&u_a, &u_b);
		u_elapsed = now_ns() - t0;
		swapcontext(&u_a, &u_main);
	}
}

static void u_entry_b(void)
{
	for (;;) {
		u_turns++;
		swapcontext(&u_b, &u_a);
	}
}

static void u_make(ucontext_t *uc, void (*fn)(void))
{
	if (getcontext(uc) != 0)
		die("getcontext failed");
	uc->uc_stack.ss_sp = xmalloc(STACK_SIZE);
	uc->uc_stack.ss_size = STACK_SIZE;
	uc->uc_link = NULL;	/* entries never return */
	makecontext(uc, fn, 0);
}

static void u_setup(void)
{
	u_make(&u_a, u_entry_a);
	u_make(&u_b, u_entry_b);
}

static double u_run(uint64_t n)
{
	uint64_t before = u_turns;

	u_n = n;
	if (swapcontext(&u_main, &u_a) != 0)
		die("swapcontext failed");
	if (u_turns - before != n)
		die("swapcontext: B did not run once per round trip");
	return (double)u_elapsed / (double)(2 * n);
}

/* ---- (c) pthread condvar handoff ---- */

static pthread_mutex_t p_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t p_cv[2] = {PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};
static int p_turn;	/* who may run: 0 main, 1 peer; under p_mu */
static int p_quit;
static uint64_t p_turns;
static pthread_t p_thread;

static void *p_peer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&p_mu);
	for (;;) {
		while (p_turn != 1)
			pthread_cond_wait(&p_cv[1], &p_mu);
		if (p_quit)
			break;
		p_turns++;
		p_turn = 0;
		pthread_cond_signal(&p_cv[0]);
	}
	pthread_mutex_unlock(&p_mu);
	return NULL;
}

static void p_setup(void)
{
	if (pthread_create(&p_thread, NULL, p_peer, NULL) != 0)
		die("pthread_create failed");
}

static double p_run(uint64_t n)
{
	uint64_t before, t0, t;

	pthread_mutex_lock(&p_mu);
	before = p_turns;
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		p_turn = 1;
		pthread_cond_signal(&p_cv[1]);
		while (p_turn != 0)
			pthread_cond_wait(&p_cv[0], &p_mu);
	}
	t = now_ns() - t0;
	if (p_turns - before != n)
		die("pthread: peer did not run once per round trip");
	pthread_mutex_unlock(&p_mu);
	return (double)t / (double)(2 * n);
}

static void p_teardown(void)
{
	pthread_mutex_lock(&p_mu);
	p_quit = 1;
	p_turn = 1;
	pthread_cond_signal(&p_cv[1]);
	pthread_mutex_unlock(&p_mu);
	pthread_join(p_thread, NULL);
}

/* ---- Measurement and the table ---- */

struct result {
	const char *name;
	int reps;
	double median, min;
};

static struct result measure(const char *name, double (*run)(uint64_t), uint64_t n, int reps)
{
	double v[MAXREPS];
	struct result r = {name, reps, 0, 0};

	run(n / 4 + 1);	/* warm up: caches, branch predictors, page faults */
	for (int i = 0; i < reps; i++)
		v[i] = run(n);
	qsort(v, (size_t)reps, sizeof v[0], cmp_double);
	r.min = v[0];
	r.median = reps % 2 ? v[reps / 2] : (v[reps / 2 - 1] + v[reps / 2]) / 2;
	return r;
}

static void row(const struct result *r, const struct result *base)
{
	double ratio = r->median / base->median;
	char rs[32];

	if (r == base)
		snprintf(rs, sizeof rs, "1.00");
	else if (ratio >= 1)
		snprintf(rs, sizeof rs, "%.1fx slower", ratio);
	else
		snprintf(rs, sizeof rs, "%.2fx faster", 1 / ratio);
	printf("%-26s %4d %10.1f %9.1f   %s\n", r->name, r->reps, r->median, r->min, rs);
}

int main(int argc, char **argv)
{
	int quick = 0;
	uint64_t sw_n = 500000;	/* round trips: 1e6 switches per repetition */
	int sw_reps = 7, p_reps = 5;
	uint64_t p_n;
	double budget_ns = 0.3e9;	/* pthread rows in total */
	struct result k, u, p;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else {
			fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
			return 2;
		}
	}
	if (quick) {
		sw_n = 2000;
		sw_reps = 3;
		p_reps = 3;
		budget_ns = 0.01e9;
	}

	k_setup();
	u_setup();
	p_setup();

	k = measure("kernel (arch_ctx_switch)", k_run, sw_n, sw_reps);
	u = measure("swapcontext", u_run, sw_n, sw_reps);

	/* Size the slow one to its time budget from a short calibration. */
	{
		double per = p_run(quick ? 50 : 500);
		double want = budget_ns / (p_reps * 2 * (per > 1 ? per : 1));

		p_n = want < 100 ? 100 : want > 200000 ? 200000 : (uint64_t)want;
		if (quick)
			p_n = 100;
	}
	p = measure("pthread condvar handoff", p_run, p_n, p_reps);
	p_teardown();

	printf("context switch (ns per switch; median and min over reps; lower is better)%s\n",
	       quick ? "  [--quick: counts too small to judge]" : "");
	printf("switches per rep: %llu (kernel, swapcontext), %llu (pthread)\n",
	       (unsigned long long)(2 * sw_n), (unsigned long long)(2 * p_n));
	printf("%-26s %4s %10s %9s   %s\n", "method", "reps", "median", "min", "ratio vs kernel");
	row(&k, &k);
	row(&u, &k);
	row(&p, &k);
	printf("goal: kernel >= %.0fx faster than swapcontext: %s (%.1fx)\n", GOAL_RATIO,
	       u.median / k.median >= GOAL_RATIO ? "met" : "NOT met", u.median / k.median);
	return 0;
}
