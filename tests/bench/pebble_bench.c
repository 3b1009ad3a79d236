/*
 * bench-pebble: the cost of a budget charge/release pair (core/kern/pebble.c
 * compiled in as is, with hosted-like stand-ins for what it calls), against a
 * named baseline measured in the same run.
 *
 * The pair is budget_charge(b, PB_FIDS, 1) then budget_release(b, PB_FIDS,
 * 1), each under the budget tree's spinlock (lock.c's, with the lock-order
 * checker off as in the production image; upcalls masked by a plain flag,
 * as arch-hosted's; on metal cli/sti costs a little more).  Also
 * timed: a refused charge, which formats the error string.
 *
 * Baseline: an atomic add and an atomic subtract on one counter
 * (__atomic_fetch_add/sub, seq_cst): what a lock-free counter would cost.
 *
 * usage: bench-pebble [--quick]   (--quick: tiny counts, for bench-smoke)
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lux/error.h>
#include <lux/lock.h>
#include <lux/pebble.h>
#include <lux/proc.h>

#include "bench.h"

/* ---- what pebble.c needs from the rest of the core ---------------------- */

/* the upcall mask and the spinlock: bench_lock.c */

_Noreturn void lux_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

void *kzalloc(size_t n) { return calloc(1, n); }
void kfree(void *p) { free(p); }
size_t page_total(void) { return 1u << 20; }
void *page_alloc(size_t n) { return calloc(n, 4096); }
void page_free(void *p, size_t n) { (void)n, free(p); }
struct proc *curproc(void) { return 0; }
int kstrcmp(const char *a, const char *b) { return strcmp(a, b); }

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static char errbuf[ERRMAX];

int proc_seterr(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	return err;
}

/* ---- timing ------------------------------------------------------------- */

enum { REPS = 15 };

struct row {
	const char *name;
	double med, min;
};

static struct budget *bud;
static volatile uint64_t counter;

static void pair(long n)
{
	for (long i = 0; i < n; i++) {
		if (budget_charge(bud, PB_FIDS, 1) != 0)
			abort();
		budget_release(bud, PB_FIDS, 1);
	}
}

static void refused(long n)
{
	for (long i = 0; i < n; i++)
		if (budget_charge(bud, PB_PROCS, 1) != E_BUDGET)
			abort();
}

static void atomics(long n)
{
	for (long i = 0; i < n; i++) {
		__atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_sub(&counter, 1, __ATOMIC_SEQ_CST);
	}
}

static struct row measure(const char *name, void (*fn)(long), long n)
{
	double t[REPS];
	struct row r = { name, 0, 0 };

	fn(n / 10 + 1);	/* warm up */
	for (int i = 0; i < REPS; i++) {
		uint64_t t0 = now_ns();
		fn(n);
		t[i] = (double)(now_ns() - t0) / (double)n;
	}
	qsort(t, REPS, sizeof t[0], cmp_double);
	r.med = t[REPS / 2];
	r.min = t[0];
	return r;
}

int main(int argc, char **argv)
{
	struct pebbles g = { { 0 } };
	long n = 2000000;
	struct row rows[3];
	int err;

	if (argc == 2 && strcmp(argv[1], "--quick") == 0)
		n = 1000;
	else if (argc != 1) {
		fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
		return 2;
	}
	g.n[PB_FIDS] = 4096;	/* procs stays 0: every procs charge is refused */
	if ((bud = budget_grant(pebble_root(), &g, &err)) == 0) {
		fprintf(stderr, "bench-pebble: no budget: %d\n", err);
		return 1;
	}
	rows[0] = measure("atomic add+sub (baseline)", atomics, n);
	rows[1] = measure("budget charge+release", pair, n);
	rows[2] = measure("refused charge (errstr)", refused, n / 10 + 1);
	printf("pebbles (ns per operation; median and min over %d reps; lower is better)%s\n",
	       REPS, n < 10000 ? "  [--quick: counts too small to judge]" : "");
	printf("%-28s %10s %9s   %s\n", "operation", "median", "min", "vs baseline");
	for (int i = 0; i < 3; i++)
		printf("%-28s %10.1f %9.1f   %.2fx\n", rows[i].name, rows[i].med, rows[i].min,
		       rows[i].med / rows[0].med);
	printf("last refusal: %s\n", errbuf);
	budget_put(bud);
	return 0;
}
