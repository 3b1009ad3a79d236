/*
 * Physical memory as the arch sees it after ExitBootServices: two sorted,
 * merged lists of page runs, filled by efi_boot.c from the firmware's map.
 *
 *   x86_ram      EfiConventionalMemory above 1 MiB: free now.  Page-table
 *                pages are taken from it (memmap_take_page) while paging.c
 *                builds the kernel's tables; the rest goes to the core.
 *   x86_reclaim  EfiBootServicesCode/Data above 1 MiB: the firmware's page
 *                tables, its stack and its pool live there until our own
 *                CR3 is loaded, so nothing may be taken from it before;
 *                paging_init then moves it into x86_ram (reclaimed for the
 *                core).
 *
 * Both lists are only changed before lux_main, on one CPU, interrupts off.
 */
#include <lux/upcall.h>

#include "x86.h"

struct x86_memlist x86_ram, x86_reclaim, x86_ram_boot;
struct x86_memlist x86_drivers, x86_mmio;

/* Add [base, base + len) to l, keeping it sorted and merging neighbours.
 * A run past X86_MAXREGIONS fragments is dropped (counted): OVMF gives a
 * handful. */
void memlist_add(struct x86_memlist *l, uint64_t base, uint64_t len)
{
	size_t i, j;

	if (len == 0)
		return;
	for (i = 0; i < l->n && l->r[i].base < base; i++)
		;
	if (i > 0 && l->r[i - 1].base + l->r[i - 1].len == base) {
		l->r[i - 1].len += len;
		if (i < l->n && base + len == l->r[i].base) {
			l->r[i - 1].len += l->r[i].len;
			for (j = i; j + 1 < l->n; j++)
				l->r[j] = l->r[j + 1];
			l->n--;
		}
	} else if (i < l->n && base + len == l->r[i].base) {
		l->r[i].base = base;
		l->r[i].len += len;
	} else if (l->n < X86_MAXREGIONS) {
		for (j = l->n; j > i; j--)
			l->r[j] = l->r[j - 1];
		l->r[i].base = base;
		l->r[i].len = len;
		l->n++;
	} else {
		l->dropped += len;
		return;
	}
	l->bytes += len;
}

/* One zeroed page off the top of the largest free run, for a page table.
 * Only before lux_main: after that every free page is the core's. */
void *memmap_take_page(void)
{
	size_t i, best = 0;
	uint64_t *p;
	int k;

	for (i = 1; i < x86_ram.n; i++)
		if (x86_ram.r[i].len > x86_ram.r[best].len)
			best = i;
	if (x86_ram.n == 0 || x86_ram.r[best].len < X86_PAGE)
		x86_panic("out of memory for page tables");
	x86_ram.r[best].len -= X86_PAGE;
	x86_ram.bytes -= X86_PAGE;
	x86_ram.taken += X86_PAGE;
	p = (uint64_t *)(x86_ram.r[best].base + x86_ram.r[best].len);
	if (x86_ram.r[best].len == 0) {	/* the core wants no empty run */
		for (i = best; i + 1 < x86_ram.n; i++)
			x86_ram.r[i] = x86_ram.r[i + 1];
		x86_ram.n--;
	}
	for (k = 0; k < 512; k++)
		p[k] = 0;
	return p;
}

/* n zeroed, contiguous pages off the top of the largest free run, for a
 * driver's rings and buffers (devices see physical addresses, and the
 * identity map makes ours the same).  Only before lux_main; counted apart
 * from the page tables. */
void *memmap_take_run(size_t n)
{
	size_t i, best = 0;
	uint64_t len = n * X86_PAGE, k;
	uint8_t *p;

	for (i = 1; i < x86_ram.n; i++)
		if (x86_ram.r[i].len > x86_ram.r[best].len)
			best = i;
	if (x86_ram.n == 0 || x86_ram.r[best].len < len + X86_PAGE)
		x86_panic("out of memory for a driver's %lu pages", (unsigned long)n);
	x86_ram.r[best].len -= len;	/* never empties the run: one page is left */
	x86_ram.bytes -= len;
	x86_ram.drivers += len;
	p = (uint8_t *)(x86_ram.r[best].base + x86_ram.r[best].len);
	memlist_add(&x86_drivers, (uint64_t)(uintptr_t)p, len);	/* for /dev/memmap */
	for (k = 0; k < len; k++)
		p[k] = 0;
	return p;
}

/* Boot services' memory becomes the core's: called once our page tables
 * are loaded and nothing of the firmware's is in use any more. */
void memmap_reclaim(void)
{
	size_t i;

	x86_ram_boot = x86_ram;	/* for /dev/memmap: what was free at boot */
	for (i = 0; i < x86_reclaim.n; i++)
		memlist_add(&x86_ram, x86_reclaim.r[i].base, x86_reclaim.r[i].len);
}
