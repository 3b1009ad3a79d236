/*
 * arch_memrange (contract v16): the address space as paging.c mapped it,
 * for /dev/memmap.  Built once, on the first call (the layout is fixed
 * once lux_main runs), from what boot already recorded: the image's
 * section symbols (kernel.lds), the RAM that was free at boot
 * (x86_ram_boot) and what boot services gave back (x86_reclaim), the
 * local APIC's window, and what drivers took after that (x86_drivers:
 * virtio-serial's rings and buffers, cut out of the RAM lines) and the
 * device registers they mapped (x86_mmio).  A proc's stack and its guard page are not listed
 * one by one: they come and go with procs, inside "ram".
 *
 * What it says is what paging.c set, not a reading of the page tables;
 * check_wx walks the tables themselves at boot and panics on a page both
 * writable and executable.
 */
#include <lux/arch.h>
#include <lux/error.h>

#include "cpu.h"
#include "x86.h"

/* RAM runs, each maybe cut in two by a driver's run, the drivers' and the
 * devices' runs, the image's sections, page 0 and the local APIC. */
#define MAXRANGES (4 * X86_MAXREGIONS + 16)
#define SZ_2M (2ull << 20)

extern char ImageBase[], _text[], _etext[], _rodata[], _erodata[];
extern char _data[], _edata[];

static struct arch_memrange ranges[MAXRANGES];
static int nranges = -1;	/* -1: not built yet */

static uint64_t page_up(uint64_t a)
{
	return (a + X86_PAGE - 1) & ~(X86_PAGE - 1);
}

static void add(uint64_t base, uint64_t end, const char *what, unsigned prot)
{
	int i;

	if (end <= base || nranges >= MAXRANGES)
		return;
	for (i = nranges; i > 0 && ranges[i - 1].base > base; i--)
		ranges[i] = ranges[i - 1];	/* keep address order */
	ranges[i].base = base;
	ranges[i].len = end - base;
	ranges[i].what = what;
	ranges[i].prot = prot;
	nranges++;
}

/* [base, end) less the drivers' runs (sorted, merged), piece by piece. */
static void add_ram(uint64_t base, uint64_t end, const char *what)
{
	size_t i;

	for (i = 0; i < x86_drivers.n && base < end; i++) {
		uint64_t db = x86_drivers.r[i].base, de = db + x86_drivers.r[i].len;

		if (de <= base || db >= end)
			continue;
		add(base, db, what, ARCH_MEM_R | ARCH_MEM_W);
		base = de;
	}
	add(base, end, what, ARCH_MEM_R | ARCH_MEM_W);
}

/* RAM runs, the drivers' pages cut out. */
static void add_list(const struct x86_memlist *l, const char *what)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		add_ram(l->r[i].base, l->r[i].base + l->r[i].len, what);
}

/* Runs listed as they are, read/write (drivers' memory, registers). */
static void add_runs(const struct x86_memlist *l, const char *what)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		add(l->r[i].base, l->r[i].base + l->r[i].len, what, ARCH_MEM_R | ARCH_MEM_W);
}

static void build(void)
{
	uint64_t base = (uint64_t)ImageBase, end = base + page_up(x86_bootinfo.image_size);
	uint64_t apic = rdmsr(MSR_APIC_BASE) & 0x000FFFFFFFFFF000ull & ~(SZ_2M - 1);

	nranges = 0;
	add(0, X86_PAGE, "null page", 0);
	add_list(&x86_ram_boot, "ram");
	add_list(&x86_reclaim, "ram reclaimed from boot services");
	add_runs(&x86_drivers, "driver rings and buffers");
	add_runs(&x86_mmio, "device registers (uncached)");
	add(base, (uint64_t)_text, "kernel headers", ARCH_MEM_R);
	add((uint64_t)_text, page_up((uint64_t)_etext), "kernel text", ARCH_MEM_R | ARCH_MEM_X);
	add(page_up((uint64_t)_etext), (uint64_t)_data, "kernel rodata", ARCH_MEM_R);
	add((uint64_t)_data, page_up((uint64_t)_edata), "kernel data and bss",
	    ARCH_MEM_R | ARCH_MEM_W);
	add(page_up((uint64_t)_edata), end, "kernel relocations", ARCH_MEM_R);
	add(apic, apic + SZ_2M, "local apic (uncached)", ARCH_MEM_R | ARCH_MEM_W);
}

int arch_memrange(int i, struct arch_memrange *r)
{
	if (nranges < 0)
		build();
	if (i < 0 || i >= nranges)
		return E_NOENT;
	*r = ranges[i];
	return 0;
}
