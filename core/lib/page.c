/*
 * Page allocator (see <lux/page.h>).
 *
 * Invariants, checked where they can break:
 *  - a page is in exactly one region, and its bit is set iff allocated;
 *  - nfree is the number of clear bits over all regions;
 *  - bitmap pages are allocated from their own region at init and never
 *    freed.
 */
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/page.h>
#include <lux/string.h>

#define MAXREGIONS 32

struct region {
	uintptr_t base;		/* first page */
	size_t npages;
	uint64_t *bitmap;	/* one bit per page, 1 = allocated */
	size_t mappages;	/* the bitmap's own pages, at the start */
	size_t hint;		/* where the next search starts */
	size_t tophint;		/* where page_alloc_top's next (downward) one starts */
};

static struct region regions[MAXREGIONS];
static size_t nregions;
static size_t nfree, ntotal;
static size_t failnext;
/* the regions' bitmaps and hints, nfree and failnext: taken from procs and
 * upcalls alike, never while calling out */
static struct spinlock page_lock = SPINLOCK_INIT("page");

static bool bit_get(const struct region *r, size_t i)
{
	return r->bitmap[i / 64] >> (i % 64) & 1;
}

static void bits_set(struct region *r, size_t i, size_t n, bool on)
{
	for (; n; n--, i++) {
		if (on)
			r->bitmap[i / 64] |= 1ULL << (i % 64);
		else
			r->bitmap[i / 64] &= ~(1ULL << (i % 64));
	}
}

size_t page_init(const struct lux_memregion *rs, size_t n)
{
	for (size_t i = 0; i < n && nregions < MAXREGIONS; i++) {
		uintptr_t lo = ROUNDUP(rs[i].base, PAGE_SIZE);
		uintptr_t hi = (rs[i].base + rs[i].len) & ~(uintptr_t)(PAGE_SIZE - 1);
		struct region *r;
		size_t pages, mapbytes, mappages;

		if (hi <= lo || lo == 0)
			continue;
		pages = (hi - lo) / PAGE_SIZE;
		mapbytes = ROUNDUP(pages, 64) / 8;
		mappages = ROUNDUP(mapbytes, PAGE_SIZE) / PAGE_SIZE;
		if (pages <= mappages)
			continue;
		r = &regions[nregions++];
		r->base = lo;
		r->npages = pages;
		r->bitmap = (uint64_t *)lo;
		r->mappages = mappages;
		r->hint = mappages;
		r->tophint = pages - 1;
		kmemset(r->bitmap, 0, mapbytes);
		bits_set(r, 0, mappages, true);
		nfree += pages - mappages;
		ntotal += pages - mappages;
	}
	return nfree;
}

static void *region_alloc(struct region *r, size_t n)
{
	size_t run = 0;

	/* n - 1 steps past a full lap, so a run straddling the hint is seen */
	for (size_t k = 0; k < r->npages + n - 1; k++) {
		size_t i = (r->hint + k) % r->npages;
		if (i == 0)
			run = 0;	/* runs do not wrap around the end */
		if (bit_get(r, i)) {
			run = 0;
			continue;
		}
		if (++run == n) {
			size_t first = i + 1 - n;
			bits_set(r, first, n, true);
			r->hint = (i + 1) % r->npages;
			return (void *)(r->base + first * PAGE_SIZE);
		}
	}
	return 0;
}

void *page_alloc(size_t n)
{
	void *p = 0;

	if (n == 0)
		return 0;
	spin_lock(&page_lock);
	if (failnext) {
		failnext--;
	} else if (n <= nfree) {
		for (size_t i = 0; i < nregions && !p; i++)
			p = region_alloc(&regions[i], n);
		if (p)
			nfree -= n;
	}
	spin_unlock(&page_lock);
	if (p)
		kmemset(p, 0, n * PAGE_SIZE);
	return p;
}

void page_free(void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	if (p == 0)
		return;
	if (a % PAGE_SIZE)
		panic("page_free: %p is not page aligned", p);
	spin_lock(&page_lock);
	for (size_t i = 0; i < nregions; i++) {
		struct region *r = &regions[i];
		size_t first;
		if (a < r->base || a >= r->base + r->npages * PAGE_SIZE)
			continue;
		first = (a - r->base) / PAGE_SIZE;
		if (first < r->mappages)
			panic("page_free: %p is the allocator's own bitmap", p);
		if (first + n > r->npages)
			panic("page_free: %zu pages at %p run past their region", n, p);
		for (size_t k = 0; k < n; k++)
			if (!bit_get(r, first + k))
				panic("page_free: page %p freed twice",
				      (void *)(a + k * PAGE_SIZE));
		bits_set(r, first, n, false);
		nfree += n;
		if (first + n - 1 > r->tophint)
			r->tophint = first + n - 1;	/* refill from the top first */
		if (first < r->hint)
			r->hint = first;	/* reuse what was just freed */
		spin_unlock(&page_lock);
		return;
	}
	panic("page_free: %p is not in any region", p);
}

/* The highest free page at or below tophint, wrapping to the top once. */
static void *region_alloc_top(struct region *r)
{
	size_t i = r->tophint;

	for (size_t k = 0; k < r->npages; k++) {
		if (i >= r->mappages) {
			if (i % 64 == 63 && r->bitmap[i / 64] == ~0ull) {
				i -= 63;	/* a full word: skip it whole */
				k += 63;
			} else if (!bit_get(r, i)) {
				bits_set(r, i, 1, true);
				r->tophint = i > r->mappages ? i - 1 : r->npages - 1;
				return (void *)(r->base + i * PAGE_SIZE);
			}
		}
		i = i > 0 ? i - 1 : r->npages - 1;
	}
	return 0;
}

void *page_alloc_top(void)
{
	spin_lock(&page_lock);
	void *p = 0;

	if (failnext) {
		failnext--;
	} else if (nfree > 0) {
		for (size_t i = nregions; i > 0 && !p; i--)
			p = region_alloc_top(&regions[i - 1]);
		if (p)
			nfree--;
	}
	spin_unlock(&page_lock);
	if (p)
		kmemset(p, 0, PAGE_SIZE);
	return p;
}

size_t page_free_count(void)
{
	return nfree;
}
size_t page_total(void)
{
	return ntotal;
}
void page_fail_next(size_t count)
{
	failnext = count;
}
