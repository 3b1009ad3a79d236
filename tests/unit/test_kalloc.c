/*
 * The small-object allocator (core/lib/kalloc.c) on a deliberately small
 * machine (64 pages), so running out of memory is real and quick.  Every
 * test returns the allocator to its baseline: no live objects, no pages
 * held, all pages free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <lux/kalloc.h>
#include <lux/page.h>

#include "fake_arch.h"

#define MEM_PAGES 64

static size_t pages_free_at_start;
static _Alignas(4096) unsigned char foreign[PAGE_SIZE];

static int setup(void **state)
{
	(void)state;
	pages_free_at_start = fake_boot(MEM_PAGES, false);
	return pages_free_at_start == MEM_PAGES - 1 ? 0 : -1;
}

static struct kalloc_stats stats(void)
{
	struct kalloc_stats st;

	kalloc_stats(&st);
	return st;
}

static void expect_baseline(void)
{
	struct kalloc_stats st = stats();

	assert_int_equal(st.live_objects, 0);
	assert_int_equal(st.live_bytes, 0);
	assert_int_equal(st.slab_pages, 0);
	assert_int_equal(st.large_pages, 0);
	assert_int_equal(page_free_count(), pages_free_at_start);
	assert_int_equal(fake_irq_disabled(), 0);
}

static size_t block_of(size_t n)
{
	size_t b = 16;

	while (b < n)
		b *= 2;
	return b;
}

static size_t large_pages_of(size_t n)
{
	return (n + 64 + PAGE_SIZE - 1) / PAGE_SIZE;	/* 64: the block header */
}

static void test_size_classes(void **state)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128,
	                                129, 255, 256, 257, 511, 512, 513, 1023, 1024,
	                                1025, 2047, 2048 };

	(void)state;
	expect_baseline();
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n = sizes[i], b = block_of(n ? n : 1);
		unsigned char *p = kmalloc(n);
		struct kalloc_stats st = stats();

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		assert_int_equal((uintptr_t)p % b, 0);	/* blocks are aligned to their size */
		assert_int_equal(st.live_objects, 1);
		assert_int_equal(st.live_bytes, b);	/* slabs account whole blocks */
		assert_int_equal(st.slab_pages, 1);
		assert_int_equal(st.large_pages, 0);
		memset(p, 0x5a, b);			/* the whole block is ours */
		kfree(p);
		expect_baseline();
	}
}

static void test_large_blocks(void **state)
{
	static const size_t sizes[] = { 2049, 4032, 4033, 3 * PAGE_SIZE, 100000 };

	(void)state;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n = sizes[i];
		unsigned char *p = kmalloc(n);
		struct kalloc_stats st = stats();

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		assert_int_equal(st.live_objects, 1);
		assert_int_equal(st.live_bytes, n);	/* large blocks account the request */
		assert_int_equal(st.large_pages, large_pages_of(n));
		assert_int_equal(st.slab_pages, 0);
		assert_int_equal(page_free_count(), pages_free_at_start - large_pages_of(n));
		memset(p, 0xa5, n);
		kfree(p);
		expect_baseline();
	}
	assert_int_equal(large_pages_of(4032), 1);	/* the boundary, spelled out */
	assert_int_equal(large_pages_of(4033), 2);
}

/* Allocate a mix of sizes, fill each with its own pattern, check none was
 * disturbed by the others, free in a scrambled order. */
static void test_no_overlap(void **state)
{
	enum { N = 200 };
	static unsigned char *p[N];
	static size_t len[N];
	uint32_t seed = 12345;
	size_t bytes = 0;

	(void)state;
	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		len[i] = (i % 40 == 39) ? 2100 + seed % 3000 : 1 + (seed >> 16) % 700;
		p[i] = kmalloc(len[i]);
		if (p[i] == 0)
			fail_msg("kmalloc(%zu) failed at %d", len[i], i);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		memset(p[i], i & 0xff, len[i]);
		bytes += len[i] > 2048 ? len[i] : block_of(len[i]);
	}
	assert_int_equal(stats().live_objects, N);
	assert_int_equal(stats().live_bytes, bytes);
	for (int i = 0; i < N; i++)
		for (size_t k = 0; k < len[i]; k++)
			if (p[i][k] != (i & 0xff))
				fail_msg("block %d (%zu bytes) byte %zu was overwritten", i, len[i], k);
	for (int step = 0; step < 7; step++)
		for (int i = step; i < N; i += 7)
			kfree(p[i]);
	expect_baseline();
}

static void test_slab_growth(void **state)
{
	enum { CAP16 = (PAGE_SIZE - 64) / 16 };	/* blocks in a page of 16-byte class */
	static void *p[CAP16 + 1];
	void *big[3];

	(void)state;
	for (int i = 0; i < CAP16; i++)
		p[i] = kmalloc(16);
	assert_int_equal(stats().slab_pages, 1);
	p[CAP16] = kmalloc(16);		/* the page is full: a second one */
	assert_int_equal(stats().slab_pages, 2);
	kfree(p[CAP16]);		/* an empty slab goes back at once */
	assert_int_equal(stats().slab_pages, 1);
	for (int i = 0; i < CAP16; i++)
		kfree(p[i]);
	expect_baseline();

	/* 2048-byte blocks: one per page (the header takes the first half) */
	for (int i = 0; i < 3; i++)
		big[i] = kmalloc(2048);
	assert_int_equal(stats().slab_pages, 3);
	for (int i = 0; i < 3; i++)
		kfree(big[i]);
	expect_baseline();
}

static void test_kzalloc_and_reuse(void **state)
{
	unsigned char *p, *q, *keep;

	(void)state;
	keep = kmalloc(100);	/* keeps the slab when p goes back */
	p = kmalloc(100);
	memset(p, 0xff, 100);
	kfree(p);
	q = kzalloc(100);
	assert_ptr_equal(q, p);		/* the block just freed is the next one out */
	for (int i = 0; i < 100; i++)
		assert_int_equal(q[i], 0);
	kfree(q);
	kfree(keep);
	p = kmalloc(5000);
	memset(p, 0xff, 5000);
	kfree(p);
	q = kzalloc(5000);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(q[i], 0);
	kfree(q);
	kfree(0);
	expect_baseline();
}

static void test_out_of_memory(void **state)
{
	static void *big[MEM_PAGES];
	void *p, *keep;
	int n = 0;

	(void)state;
	/* fault injection: a class with no slab, and a large block */
	page_fail_next(1);
	assert_null(kmalloc(100));
	expect_baseline();
	page_fail_next(1);
	assert_null(kmalloc(5000));
	expect_baseline();
	page_fail_next(1);
	assert_null(kzalloc(64));
	expect_baseline();

	/* a class with a partial slab needs no page */
	keep = kmalloc(100);
	page_fail_next(1);
	p = kmalloc(100);
	assert_non_null(p);
	page_fail_next(0);
	kfree(p);
	kfree(keep);
	expect_baseline();

	/* sizes no machine has, including ones whose page count would wrap */
	assert_null(kmalloc((size_t)1 << 40));
	assert_null(kmalloc(SIZE_MAX));
	assert_null(kmalloc(SIZE_MAX - 64));
	assert_null(kmalloc(SIZE_MAX - 4000));
	assert_null(kzalloc(SIZE_MAX - 100));
	expect_baseline();

	/* real exhaustion: two-page blocks, then single pages, then nothing */
	while ((p = kmalloc(4096)) != 0)
		big[n++] = p;
	assert_int_equal(n, (MEM_PAGES - 1) / 2);
	while ((p = kmalloc(2048)) != 0)	/* a whole slab page each */
		big[n++] = p;
	assert_int_equal(page_free_count(), 0);
	assert_null(kmalloc(1));
	assert_null(kmalloc(3000));
	assert_null(kstrdup("no room"));
	assert_int_equal(stats().live_objects, (size_t)n);
	while (n > 0)
		kfree(big[--n]);
	expect_baseline();
}

static void test_kstrdup(void **state)
{
	char *s, *e;
	const char *lit = "hello, kernel";

	(void)state;
	s = kstrdup(lit);
	assert_non_null(s);
	assert_ptr_not_equal(s, lit);
	assert_string_equal(s, lit);
	assert_int_equal(stats().live_bytes, 16);	/* 14 bytes in the 16 class */
	e = kstrdup("");
	assert_string_equal(e, "");
	kfree(s);
	kfree(e);
	expect_baseline();
	page_fail_next(1);
	assert_null(kstrdup("x"));
	expect_baseline();
}

static void test_bad_free_panics(void **state)
{
	unsigned char *p, *q, *big, *pg;

	(void)state;
	/* double free while the slab is still in use */
	p = kmalloc(32);
	q = kmalloc(32);
	kfree(p);
	EXPECT_PANIC(kfree(p), "freed twice");
	kfree(q);
	expect_baseline();

	/* double free after the slab went back to the page allocator */
	p = kmalloc(32);
	kfree(p);
	EXPECT_PANIC(kfree(p), "was not allocated by kmalloc");

	/* double free of a large block */
	big = kmalloc(10000);
	kfree(big);
	EXPECT_PANIC(kfree(big), "was not allocated by kmalloc");
	expect_baseline();

	/* memory kmalloc never gave out */
	EXPECT_PANIC(kfree(foreign + 64), "was not allocated by kmalloc");
	pg = page_alloc(1);
	EXPECT_PANIC(kfree(pg + 64), "was not allocated by kmalloc");
	page_free(pg, 1);

	/* pointers into a block rather than to it, and to a slab's header */
	p = kmalloc(16);
	EXPECT_PANIC(kfree(p + 8), "was not allocated by kmalloc");
	EXPECT_PANIC(kfree(p + 1), "was not allocated by kmalloc");
	EXPECT_PANIC(kfree((void *)((uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1))),
	             "was not allocated by kmalloc");
	big = kmalloc(10000);
	EXPECT_PANIC(kfree(big + 16), "was not allocated by kmalloc");
	kfree(big);
	kfree(p);
	expect_baseline();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_classes),
		cmocka_unit_test(test_large_blocks),
		cmocka_unit_test(test_no_overlap),
		cmocka_unit_test(test_slab_growth),
		cmocka_unit_test(test_kzalloc_and_reuse),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_kstrdup),
		cmocka_unit_test(test_bad_free_panics),
	};

	return cmocka_run_group_tests(tests, setup, 0);
}
