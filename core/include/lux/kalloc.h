/*
 * The small-object allocator: power-of-two size classes from 16 to 2048
 * bytes carved out of single pages, and page runs for anything larger.
 * Every block's page starts with a header naming its class, so kfree needs
 * no size.  kmalloc returns memory aligned to 16 bytes.
 */
#ifndef LUX_KALLOC_H
#define LUX_KALLOC_H

#include <lux/types.h>

void *kmalloc(size_t n);		/* uninitialised; 0 when out of memory */
void *kzalloc(size_t n);		/* zeroed */
void kfree(void *p);			/* kfree(0) is a no-op */
/* A kmalloc'd copy of s, or 0 when out of memory. */
char *kstrdup(const char *s);

struct kalloc_stats {
	size_t live_objects;	/* kmalloc'd and not yet freed */
	size_t live_bytes;	/* their requested sizes, summed */
	size_t slab_pages;	/* pages held by the size classes */
	size_t large_pages;	/* pages held by large blocks */
};
/* The allocator's counters now (the `mem` console command). */
void kalloc_stats(struct kalloc_stats *st);

#endif
