/*
 * The page allocator.  The arch hands the core its RAM at boot as a list
 * of regions; the core owns it from then on.  Each region keeps a bitmap
 * of its pages in its own first pages, so nothing is needed before the
 * allocator exists.  Runs of contiguous pages are found first-fit from a
 * hint that moves on past each run found and back to each run freed below
 * it: what was just freed is what is reused (on hosted, a page first
 * touched becomes resident in the host, so a hint that only rotated
 * walked a transient 64 KiB buffer across all of memory); that is
 * O(pages) in the worst case and plenty for a kernel that allocates pages
 * rarely and objects through kalloc.
 */
#ifndef LUX_PAGE_H
#define LUX_PAGE_H

#include <lux/types.h>
#include <lux/upcall.h>

#define PAGE_SIZE 4096u
#define PAGE_SHIFT 12

/* Take ownership of the regions (unaligned edges are trimmed).  Returns
 * the number of pages now free. */
size_t page_init(const struct lux_memregion *regions, size_t n);

/* n contiguous pages, zeroed, or 0 when no run is long enough. */
void *page_alloc(size_t n);
/* One page, zeroed, searched for from the top of memory down: for pages
 * that live long and come one at a time (file data), so they pack at the
 * top and leave the runs below whole for the kernel's multi-page
 * allocations (a 9P connection's 128 KiB buffer), which page_alloc finds
 * from the bottom up.  Without it a full machine's free pages are holes
 * between file pages, and a reserve of free pages buys no buffer. */
void *page_alloc_top(void);
/* Give back n pages from page_alloc or page_alloc_top.  Freeing a page twice or one the
 * allocator does not own panics: that is memory corruption in waiting. */
void page_free(void *p, size_t n);

/* Pages free now, and all the allocator manages. */
size_t page_free_count(void);
size_t page_total(void);

/* Test hook: make the next `count` allocations fail (fault injection). */
void page_fail_next(size_t count);

#endif
