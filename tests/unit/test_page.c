/*
 * The page allocator (core/lib/page.c).  Its state is global and lives as
 * long as the process, so the group setup hands it its regions once and
 * every test leaves all pages free again.  The regions:
 *
 *   A: 10 pages starting 100 bytes into a page: trimmed to 9 whole pages,
 *      one of them the bitmap, so 8 usable;
 *   B: 256 aligned pages, one bitmap page, 255 usable;
 *
 * and a zero-length, a null-based, a one-page and a one-page-after-
 * trimming region, which must all be ignored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lux/page.h>

#include "fake_arch.h"

#define A_PAGES 8
#define B_PAGES 255
#define TOTAL (A_PAGES + B_PAGES)

static uintptr_t a_bitmap, a_lo, a_hi;	/* A's bitmap page; usable [a_lo, a_hi) */
static uintptr_t b_bitmap, b_lo, b_hi;
static size_t init_ret[6];		/* page_init's return after each region */

static _Alignas(4096) unsigned char foreign[2 * PAGE_SIZE];

static int setup(void **state)
{
	unsigned char *ma = fake_mem(11 * PAGE_SIZE), *mb = fake_mem(256 * PAGE_SIZE);
	unsigned char *tiny = fake_mem(PAGE_SIZE), *tiny2 = fake_mem(3 * PAGE_SIZE);
	struct lux_memregion r[6] = {
		{ (uintptr_t)tiny, 0 },				/* zero length */
		{ 0, 1 << 20 },					/* based at 0 */
		{ (uintptr_t)tiny, PAGE_SIZE },			/* only room for its bitmap */
		{ (uintptr_t)tiny2 + 1, 2 * PAGE_SIZE },	/* one page once trimmed */
		{ (uintptr_t)ma + 100, 10 * PAGE_SIZE },	/* A */
		{ (uintptr_t)mb, 256 * PAGE_SIZE },		/* B */
	};

	(void)state;
	/* dirty everything, so page_alloc's zeroing is visible */
	memset(ma, 0xcc, 11 * PAGE_SIZE);
	memset(mb, 0xcc, 256 * PAGE_SIZE);
	memset(tiny, 0xcc, PAGE_SIZE);
	memset(tiny2, 0xcc, 3 * PAGE_SIZE);
	a_bitmap = (uintptr_t)ma + PAGE_SIZE;
	a_lo = a_bitmap + PAGE_SIZE;
	a_hi = (uintptr_t)ma + 10 * PAGE_SIZE;
	b_bitmap = (uintptr_t)mb;
	b_lo = b_bitmap + PAGE_SIZE;
	b_hi = (uintptr_t)mb + 256 * PAGE_SIZE;
	for (int i = 0; i < 6; i++)
		init_ret[i] = page_init(&r[i], 1);
	return 0;
}

static bool in_a(uintptr_t p, size_t n) { return p >= a_lo && p + n * PAGE_SIZE <= a_hi; }
static bool in_b(uintptr_t p, size_t n) { return p >= b_lo && p + n * PAGE_SIZE <= b_hi; }

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static void expect_all_free(void)
{
	assert_int_equal(page_free_count(), TOTAL);
	assert_int_equal(fake_irq_disabled(), 0);
}

static void test_init_regions(void **state)
{
	(void)state;
	/* the first four add nothing: empty, at 0, bitmap only, trimmed away */
	for (int i = 0; i < 4; i++)
		assert_int_equal(init_ret[i], 0);
	assert_int_equal(init_ret[4], A_PAGES);
	assert_int_equal(init_ret[5], TOTAL);
	assert_int_equal(page_total(), TOTAL);
	/* the bitmaps were cleared where the allocator keeps them; the
	 * usable pages were not touched (zeroing happens on alloc) */
	assert_int_equal(((unsigned char *)a_lo)[0], 0xcc);
	assert_int_equal(((unsigned char *)b_hi)[-1], 0xcc);
	expect_all_free();
}

static void test_alloc_free(void **state)
{
	void *p;

	(void)state;
	assert_null(page_alloc(0));
	assert_int_equal(page_free_count(), TOTAL);
	p = page_alloc(1);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % PAGE_SIZE, 0);
	assert_true(in_a((uintptr_t)p, 1) || in_b((uintptr_t)p, 1));
	assert_true(all_zero(p, PAGE_SIZE));
	assert_int_equal(page_free_count(), TOTAL - 1);
	assert_int_equal(page_total(), TOTAL);
	memset(p, 0xee, PAGE_SIZE);
	page_free(p, 1);
	page_free(0, 1);	/* freeing null is a no-op */
	expect_all_free();
}

/* Take every page one at a time: each is distinct, inside a region, not a
 * bitmap, zeroed; then the allocator says no; then all come back. */
static void test_exhaustion(void **state)
{
	static uintptr_t got[TOTAL];
	void *p;

	(void)state;
	for (size_t i = 0; i < TOTAL; i++) {
		p = page_alloc(1);
		if (p == 0)
			fail_msg("page_alloc(1) failed after %zu of %d pages", i, TOTAL);
		got[i] = (uintptr_t)p;
		assert_true(in_a(got[i], 1) || in_b(got[i], 1));
		assert_true(all_zero(p, PAGE_SIZE));
		memset(p, 0, PAGE_SIZE);
		memcpy(p, &i, sizeof i);	/* a marker: overlap would overwrite it */
		memset((char *)p + sizeof i, 0xab, PAGE_SIZE - sizeof i);
	}
	assert_int_equal(page_free_count(), 0);
	assert_null(page_alloc(1));
	assert_null(page_alloc(2));
	assert_int_equal(page_free_count(), 0);
	for (size_t i = 0; i < TOTAL; i++) {
		size_t mark;
		memcpy(&mark, (void *)got[i], sizeof mark);
		assert_int_equal(mark, i);
	}
	for (size_t i = 0; i < TOTAL; i++)
		page_free((void *)got[i], 1);
	expect_all_free();
	/* every page was left dirty: a new one is zeroed again */
	p = page_alloc(1);
	assert_true(all_zero(p, PAGE_SIZE));
	page_free(p, 1);
	expect_all_free();
}

static void test_runs(void **state)
{
	void *p, *q;

	(void)state;
	/* enough free pages in total, but no run of 256 anywhere */
	assert_null(page_alloc(256));
	assert_null(page_alloc(TOTAL));
	expect_all_free();

	p = page_alloc(9);	/* too long for A: comes from B */
	assert_non_null(p);
	assert_true(in_b((uintptr_t)p, 9));
	assert_true(all_zero(p, 9 * PAGE_SIZE));
	q = page_alloc(A_PAGES);	/* exactly A */
	assert_non_null(q);
	assert_ptr_equal(q, (void *)a_lo);
	assert_int_equal(page_free_count(), TOTAL - 9 - A_PAGES);
	memset(p, 1, 9 * PAGE_SIZE);	/* ASan would catch a run past the arena */
	memset(q, 2, A_PAGES * PAGE_SIZE);
	page_free(p, 9);
	page_free(q, A_PAGES);
	expect_all_free();

	/* part of a run may be given back on its own */
	p = page_alloc(4);
	assert_non_null(p);
	page_free((char *)p + PAGE_SIZE, 2);
	assert_int_equal(page_free_count(), TOTAL - 2);
	page_free(p, 1);
	page_free((char *)p + 3 * PAGE_SIZE, 1);
	expect_all_free();
}

/* The search for a run starts at a rotating hint; a free run that
 * straddles the hint must still be found.  Two allocations in B leave its
 * hint in the middle; once both are freed, B is one free run of 255. */
static void test_run_across_hint(void **state)
{
	void *a, *p1, *p2, *all;

	(void)state;
	a = page_alloc(A_PAGES);	/* keep A out of the way */
	assert_ptr_equal(a, (void *)a_lo);
	p1 = page_alloc(10);
	p2 = page_alloc(10);
	assert_non_null(p1);
	assert_non_null(p2);
	page_free(p1, 10);
	page_free(p2, 10);
	assert_int_equal(page_free_count(), B_PAGES);
	all = page_alloc(B_PAGES);
	if (all == 0)
		fail_msg("page_alloc(%d) failed with %zu pages free in one run", B_PAGES,
		         page_free_count());
	assert_ptr_equal(all, (void *)b_lo);
	assert_int_equal(page_free_count(), 0);
	page_free(all, B_PAGES);
	page_free(a, A_PAGES);
	expect_all_free();
}

static void test_fault_injection(void **state)
{
	void *p;

	(void)state;
	page_fail_next(2);
	assert_null(page_alloc(1));
	assert_null(page_alloc(3));
	assert_int_equal(page_free_count(), TOTAL);	/* a failure takes nothing */
	p = page_alloc(1);
	assert_non_null(p);
	page_free(p, 1);

	/* page_alloc(0) is refused before the injection counts */
	page_fail_next(1);
	assert_null(page_alloc(0));
	assert_null(page_alloc(1));
	p = page_alloc(1);
	assert_non_null(p);
	page_free(p, 1);

	/* 0 cancels a pending injection */
	page_fail_next(5);
	page_fail_next(0);
	p = page_alloc(1);
	assert_non_null(p);
	page_free(p, 1);
	expect_all_free();
}

/* page_alloc_top packs single pages at the top of the last region, so a
 * run page_alloc needs stays whole below them; freed ones are refilled
 * before going lower; it reaches every page, A's too, then says no. */
static void test_alloc_top(void **state)
{
	static uintptr_t got[TOTAL];
	void *run;

	(void)state;
	for (size_t i = 0; i < 100; i++) {
		got[i] = (uintptr_t)page_alloc_top();
		assert_int_equal(got[i], b_hi - (i + 1) * PAGE_SIZE);	/* downward, no gaps */
		assert_true(all_zero((void *)got[i], PAGE_SIZE));
		memset((void *)got[i], 0xee, PAGE_SIZE);
	}
	run = page_alloc(150);	/* the 155 pages below are one run */
	assert_non_null(run);
	assert_true(in_b((uintptr_t)run, 150));
	page_free(run, 150);
	/* holes among the top pages are refilled first */
	page_free((void *)got[10], 1);
	page_free((void *)got[20], 1);
	assert_int_equal((uintptr_t)page_alloc_top(), got[10]);
	assert_int_equal((uintptr_t)page_alloc_top(), got[20]);
	for (size_t i = 100; i < TOTAL; i++) {
		got[i] = (uintptr_t)page_alloc_top();
		assert_true(got[i] != 0);
		assert_true(in_a(got[i], 1) || in_b(got[i], 1));
	}
	assert_int_equal(page_free_count(), 0);
	assert_null(page_alloc_top());
	for (size_t i = 0; i < TOTAL; i++)
		page_free((void *)got[i], 1);
	expect_all_free();
	page_fail_next(1);
	assert_null(page_alloc_top());
	run = page_alloc_top();
	assert_non_null(run);
	page_free(run, 1);
	expect_all_free();
}

static void test_double_free_panics(void **state)
{
	void *p, *q;

	(void)state;
	p = page_alloc(1);
	page_free(p, 1);
	EXPECT_PANIC(page_free(p, 1), "freed twice");

	/* a run with one page already back is a double free too */
	q = page_alloc(3);
	page_free((char *)q + 2 * PAGE_SIZE, 1);
	EXPECT_PANIC(page_free(q, 3), "freed twice");
	page_free(q, 2);
	expect_all_free();
}

static void test_foreign_free_panics(void **state)
{
	void *heap = aligned_alloc(PAGE_SIZE, PAGE_SIZE), *p;

	(void)state;
	EXPECT_PANIC(page_free(foreign, 1), "is not in any region");
	EXPECT_PANIC(page_free(heap, 1), "is not in any region");
	free(heap);
	p = page_alloc(1);
	EXPECT_PANIC(page_free((char *)p + 8, 1), "is not page aligned");
	EXPECT_PANIC(page_free((void *)(b_hi - PAGE_SIZE), 2), "run past their region");
	/* the allocator's own bitmap pages are not allocations to give back */
	EXPECT_PANIC(page_free((void *)a_bitmap, 1), "bitmap");
	EXPECT_PANIC(page_free((void *)b_bitmap, 2), "bitmap");
	page_free(p, 1);
	expect_all_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_regions),
		cmocka_unit_test(test_alloc_free),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_run_across_hint),
		cmocka_unit_test(test_fault_injection),
		cmocka_unit_test(test_alloc_top),
		cmocka_unit_test(test_double_free_panics),
		cmocka_unit_test(test_foreign_free_panics),
	};

	return cmocka_run_group_tests(tests, setup, 0);
}
