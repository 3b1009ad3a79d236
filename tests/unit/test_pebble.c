/*
 * Pebble budgets (core/kern/pebble.c, and their use by proc_spawn and
 * proc_free in core/kern/proc.c).  The rules under test are
 * docs/pebbles.md's.  Budget tests build their own trees under a budget
 * granted from the root and close it at the end; every test must leave the
 * root as it found it (checked in the teardown).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lux/error.h>
#include <lux/page.h>
#include <lux/pebble.h>
#include <lux/proc.h>

#include "fake_arch.h"

static struct budget_info root0;
static size_t count0;

static int setup(void **state)
{
	(void)state;
	budget_snapshot(pebble_root(), &root0);
	count0 = budget_count();
	return 0;
}

static int teardown(void **state)
{
	struct budget_info now;

	(void)state;
	budget_snapshot(pebble_root(), &now);
	assert_memory_equal(&now, &root0, sizeof now);
	assert_int_equal(budget_count(), count0);
	assert_null(budget_check(pebble_root()));
	return 0;
}

/* A grant of n of every kind. */
static struct pebbles all(uint64_t n)
{
	struct pebbles g;

	for (int k = 0; k < PB_NKINDS; k++)
		g.n[k] = n;
	return g;
}

static struct budget *grant(struct budget *parent, uint64_t n)
{
	struct pebbles g = all(n);
	int err = 1;
	struct budget *b = budget_grant(parent, &g, &err);

	assert_non_null(b);
	assert_int_equal(err, 0);
	return b;
}

static uint64_t whiteof(struct budget *b, int k)
{
	struct pebbles w;

	budget_white(b, &w);
	return w.n[k];
}

static void test_charge_release_and_message(void **state)
{
	struct budget *b = grant(pebble_root(), 4096);

	(void)state;
	for (int i = 0; i < 4096; i++)
		assert_int_equal(budget_charge(b, PB_FIDS, 1), 0);
	assert_int_equal(whiteof(b, PB_FIDS), 0);
	assert_int_equal(budget_charge(b, PB_FIDS, 1), E_BUDGET);
	assert_string_equal(proc_errstr(E_BUDGET), "budget exhausted: fids 4096/4096");
	assert_string_equal(lux_errstr(E_BUDGET), "budget exhausted");
	/* another error's text is not hijacked by the detailed one */
	assert_string_equal(proc_errstr(E_NOMEM), "out of memory");

	assert_int_equal(budget_charge(b, PB_PAGES, 4000), 0);
	assert_int_equal(budget_charge(b, PB_PAGES, 100), E_BUDGET);
	assert_string_equal(proc_errstr(E_BUDGET), "budget exhausted: pages 4000/4096, 100 wanted");
	assert_int_equal(whiteof(b, PB_PAGES), 96);	/* a refusal changes nothing */
	assert_int_equal(budget_charge(b, PB_PAGES, 96), 0);	/* exactly all: allowed */
	assert_int_equal(budget_charge(b, PB_PAGES, 0), 0);

	budget_release(b, PB_FIDS, 4096);
	budget_release(b, PB_PAGES, 4096);
	assert_int_equal(whiteof(b, PB_FIDS), 4096);
	assert_null(budget_check(b));
	budget_put(b);
}

static void test_grant_all_or_nothing(void **state)
{
	struct budget *p = grant(pebble_root(), 100), *c;
	struct budget_info before, after;
	struct pebbles g = all(10);
	int err;

	(void)state;
	assert_int_equal(budget_charge(p, PB_REQS, 95), 0);
	budget_snapshot(p, &before);
	c = budget_grant(p, &g, &err);	/* requests: 10 > 5 white */
	assert_null(c);
	assert_int_equal(err, E_BUDGET);
	assert_string_equal(proc_errstr(err), "budget exhausted: requests 95/100, 10 wanted");
	budget_snapshot(p, &after);
	assert_memory_equal(&before, &after, sizeof before);

	g.n[PB_REQS] = 5;
	c = budget_grant(p, &g, &err);
	assert_non_null(c);
	assert_int_equal(whiteof(p, PB_REQS), 0);
	assert_int_equal(whiteof(p, PB_PAGES), 90);
	budget_snapshot(p, &after);
	assert_int_equal(after.lent.n[PB_PAGES], 10);
	assert_int_equal(after.held.n[PB_PAGES], 0);
	assert_null(budget_check(p));

	/* the child can never hold more than it was granted */
	assert_int_equal(budget_charge(c, PB_PAGES, 11), E_BUDGET);
	assert_int_equal(budget_charge(c, PB_PAGES, 10), 0);
	budget_release(c, PB_PAGES, 10);
	budget_put(c);	/* closes: everything returns */
	assert_int_equal(whiteof(p, PB_PAGES), 100);
	assert_int_equal(whiteof(p, PB_REQS), 5);
	budget_release(p, PB_REQS, 95);
	budget_put(p);
}

static void test_exhaustion_is_private(void **state)
{
	struct budget *p = grant(pebble_root(), 50);
	struct budget *a = grant(p, 10), *b = grant(p, 10);
	struct budget_info pb, bb, pa, ba;

	(void)state;
	budget_snapshot(p, &pb);
	budget_snapshot(b, &bb);
	while (budget_charge(a, PB_PROCS, 1) == 0)
		;
	assert_string_equal(proc_errstr(E_BUDGET), "budget exhausted: procs 10/10");
	budget_snapshot(p, &pa);
	budget_snapshot(b, &ba);
	assert_memory_equal(&pb, &pa, sizeof pb);	/* the parent lends nothing more */
	assert_memory_equal(&bb, &ba, sizeof bb);	/* the sibling is untouched */
	assert_int_equal(budget_charge(b, PB_PROCS, 10), 0);
	budget_release(a, PB_PROCS, 10);
	budget_release(b, PB_PROCS, 10);
	budget_put(a);
	budget_put(b);
	budget_put(p);
}

/* Capped budgets (budget_cap) reserve nothing: they draw from their
 * parent as they spend, each within its cap, together within what the
 * parent has; a grant from a capped one draws too. */
static void test_capped_children_draw(void **state)
{
	struct budget *p = grant(pebble_root(), 10), *a, *b, *g;
	struct pebbles cap = all(8), two = all(2);
	struct budget_info pi;
	int err;

	(void)state;
	a = budget_cap(p, &cap, &err);
	b = budget_cap(p, &cap, &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(whiteof(p, PB_PAGES), 10);	/* nothing reserved */
	assert_int_equal(budget_charge(a, PB_PAGES, 6), 0);
	budget_snapshot(p, &pi);
	assert_int_equal(pi.held.n[PB_PAGES], 6);	/* drawn from the parent */
	assert_int_equal(budget_charge(b, PB_PAGES, 6), E_BUDGET);	/* the parent is short */
	assert_string_equal(proc_errstr(E_BUDGET), "budget exhausted: pages 6/10, 6 wanted");
	assert_int_equal(budget_charge(b, PB_PAGES, 4), 0);
	assert_int_equal(whiteof(p, PB_PAGES), 0);
	budget_release(a, PB_PAGES, 6);
	assert_int_equal(budget_charge(a, PB_PAGES, 9), E_BUDGET);	/* its own cap */
	assert_string_equal(proc_errstr(E_BUDGET), "budget exhausted: pages 0/8, 9 wanted");
	assert_null(budget_check(p));

	/* a grant out of a capped budget draws what it lends */
	g = budget_grant(a, &two, &err);
	assert_non_null(g);
	budget_snapshot(p, &pi);
	assert_int_equal(pi.held.n[PB_PAGES], 6);	/* b's 4 and g's 2 */
	assert_int_equal(budget_charge(g, PB_PAGES, 2), 0);
	assert_null(budget_check(p));
	budget_release(g, PB_PAGES, 2);
	budget_put(g);
	budget_release(b, PB_PAGES, 4);
	budget_snapshot(p, &pi);
	assert_int_equal(pi.held.n[PB_PAGES], 0);
	budget_put(a);
	budget_put(b);
	assert_null(budget_check(p));
	budget_put(p);
}

static void test_default_grant(void **state)
{
	struct pebbles g = { { 1000, 4000, 100000, 60000, 16000, 1u << 22, 1u << 20 } };
	struct budget *big, *small = grant(pebble_root(), 10);
	struct pebbles d;
	int err;

	(void)state;
	big = budget_grant(pebble_root(), &g, &err);
	assert_non_null(big);
	budget_default_grant(big, &d);
	assert_int_equal(d.n[PB_PAGES], 96);
	assert_int_equal(d.n[PB_PROCS], 8);
	assert_int_equal(d.n[PB_FIDS], 4096);
	assert_int_equal(d.n[PB_CRYPTO], 1u << 20);
	budget_default_grant(small, &d);	/* half of what is white */
	assert_int_equal(d.n[PB_PAGES], 5);
	assert_int_equal(d.n[PB_FIDS], 5);
	budget_put(big);
	budget_put(small);
}

static void test_orphan_keeps_parent_open(void **state)
{
	struct budget *p = grant(pebble_root(), 20), *c = grant(p, 5);

	(void)state;
	assert_int_equal(budget_count(), count0 + 2);
	budget_put(p);	/* the owner goes; the child still has p's pebbles */
	assert_int_equal(budget_count(), count0 + 2);
	assert_null(budget_check(pebble_root()));
	budget_put(c);	/* closes c, then p, returning both */
	assert_int_equal(budget_count(), count0);
}

static void test_invariant_panics(void **state)
{
	struct budget *b = grant(pebble_root(), 10);

	(void)state;
	EXPECT_PANIC(budget_release(b, PB_PAGES, 1), "a double release");
	EXPECT_PANIC((budget_charge(b, PB_FILES, 1), budget_put(b)),
	             "budget closed holding 1 files");
	EXPECT_PANIC(budget_charge(0, PB_PAGES, 1), "budget_charge");
	EXPECT_PANIC(budget_charge(b, PB_NKINDS, 1), "budget_charge");
	budget_put(b);
}

/* ---- Procs ------------------------------------------------------------ */

static bool child_ran;

static void child(void *arg)
{
	(void)arg;
	child_ran = true;
}

static void spawn_body(void *arg)
{
	struct budget *mine = curproc()->budget;
	struct pebbles g = all(0), w;
	struct budget_info bi;
	struct proc *p;
	int err;

	(void)arg;
	/* a default-grant child: the creator pays a proc and 8 stack pages */
	budget_white(mine, &w);
	p = proc_spawn("kid", PRIO_NORMAL, child, 0, 0, 0, &err);
	assert_non_null(p);
	budget_snapshot(mine, &bi);
	assert_int_equal(bi.held.n[PB_PROCS], 1);
	assert_int_equal(bi.held.n[PB_PAGES], 8);
	assert_int_equal(bi.lent.n[PB_PAGES], 96);
	assert_int_equal(p->budget->total[PB_PROCS], 8);
	assert_int_equal(proc_join(p), 0);
	assert_true(child_ran);
	budget_snapshot(mine, &bi);
	assert_int_equal(bi.held.n[PB_PROCS] + bi.lent.n[PB_PROCS], 0);
	assert_int_equal(bi.held.n[PB_PAGES] + bi.lent.n[PB_PAGES], 0);

	/* an explicit grant larger than what is white: refused, nothing spent */
	g.n[PB_FIDS] = w.n[PB_FIDS] + 1;
	assert_null(proc_spawn("kid", PRIO_NORMAL, child, 0, 0, &g, &err));
	assert_int_equal(err, E_BUDGET);
	assert_non_null(strstr(proc_errstr(err), "budget exhausted: fids "));
	budget_snapshot(mine, &bi);
	assert_int_equal(bi.held.n[PB_PROCS] + bi.lent.n[PB_FIDS] + bi.held.n[PB_PAGES], 0);

	/* no stack: the payment is refunded */
	page_fail_next(1);
	g.n[PB_FIDS] = 0;
	assert_null(proc_spawn("kid", PRIO_NORMAL, child, 0, 0, &g, &err));
	assert_int_equal(err, E_NOMEM);
	budget_snapshot(mine, &bi);
	assert_int_equal(bi.held.n[PB_PROCS] + bi.held.n[PB_PAGES], 0);

	/* charged pages: the budget follows, and a failed allocation refunds */
	{
		void *pg = pebble_page_alloc(2, &err);
		assert_non_null(pg);
		budget_snapshot(mine, &bi);
		assert_int_equal(bi.held.n[PB_PAGES], 2);
		pebble_page_free(pg, 2);
		page_fail_next(1);
		assert_null(pebble_page_alloc(1, &err));
		assert_int_equal(err, E_NOMEM);
		budget_snapshot(mine, &bi);
		assert_int_equal(bi.held.n[PB_PAGES], 0);
	}
}

static void test_proc_spawn_pays_and_refunds(void **state)
{
	(void)state;
	assert_true(fake_run_in_proc(spawn_body, 0));
}

static void grandchild(void *arg)
{
	int *err = arg;
	struct pebbles g = all(0);

	g.n[PB_PROCS] = 1000;	/* more than the default grant gave us */
	assert_null(proc_spawn("gc", PRIO_NORMAL, child, 0, 0, &g, err));
}

static void nested_body(void *arg)
{
	int err = 0, jerr;
	struct proc *p = proc_spawn("kid", PRIO_NORMAL, grandchild, &err, 0, 0, &jerr);

	(void)arg;
	assert_non_null(p);
	assert_int_equal(proc_join(p), 0);
	assert_int_equal(err, E_BUDGET);
}

static void test_child_cannot_exceed_grant(void **state)
{
	(void)state;
	assert_true(fake_run_in_proc(nested_body, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_charge_release_and_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion_is_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capped_children_draw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_grant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphan_keeps_parent_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invariant_panics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_spawn_pays_and_refunds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_cannot_exceed_grant, setup, teardown),
	};

	fake_boot(8192, false);	/* procs need pages for their stacks */
	return cmocka_run_group_tests(tests, 0, 0);
}
