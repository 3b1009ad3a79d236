/*
 * The kernel's own page tables, built once after ExitBootServices and
 * loaded in place of the firmware's.  Still an identity map (virtual ==
 * physical: the core's pointers are physical addresses, and the loader put
 * the image wherever it liked), but with permissions:
 *
 *   page 0                  unmapped: a null dereference faults
 *   image text              read + execute
 *   image rodata, headers,  read-only, NX (kernel.lds puts read-only data
 *     relocation tables       in a page-aligned section of its own)
 *   image data + bss        read + write, NX
 *   the core's RAM          read + write, NX, 4 KiB pages (see below)
 *   stacks (boot, IST,      read + write, NX, with an unmapped guard page
 *     every proc's)           below each
 *   secrets                 read + write, NX, a guard page on each side
 *     (lc_secure_alloc)       (crypto_hooks.c)
 *   everything else below   read + write, NX, 2 MiB pages: firmware
 *     max(4 GiB, top of RAM)  regions, ACPI tables, MMIO (the local APIC's
 *                             2 MiB page uncached)
 *
 * Why 4 KiB pages for all the core's RAM, up front: arch_ctx_init cannot
 * fail, and it must unmap one page below a stack the core took from its
 * page allocator, anywhere in RAM.  With every page of that RAM already a
 * 4 KiB entry, a guard page is one entry cleared and one invlpg: no
 * allocation after boot, no table to split under a running core.  It
 * costs one 4 KiB table per 2 MiB of RAM (0.2%: 512 KiB for 256 MiB).
 * Memory the core never gets needs no finer permission than RW+NX, so
 * 2 MiB pages cover it with a few tables.
 *
 * CR0.WP makes read-only apply to the kernel too, EFER.NXE makes NX mean
 * anything.  No PCID, no global pages: one address space, loaded once.
 */
#include "cpu.h"
#include "x86.h"

#define MSR_EFER 0xC0000080u
#define EFER_NXE (1ull << 11)
#define CR0_WP (1ul << 16)
#define ADDR_MASK 0x000FFFFFFFFFF000ull
#define SZ_2M (2ull << 20)
#define SZ_4G (4ull << 30)

#define PAGE_RW_NX (PTE_P | PTE_W | PTE_NX)
#define PAGE_RO_NX (PTE_P | PTE_NX)
#define PAGE_RX (PTE_P)

/* Linker symbols (kernel.lds): run-time addresses, the image relocated. */
extern char ImageBase[], _text[], _etext[], _rodata[], _erodata[];
extern char _data[], _edata[];

static uint64_t *pml4;
static uint64_t reclaimed;
static uint64_t exec_pages;	/* found by check_wx */

/* The guard pages of the arch's own stacks, for fault.c. */
static struct {
	uintptr_t va;
	const char *name;
} guards[1 + X86_NIST];
static const char *const guard_names[1 + X86_NIST] = {
	"the boot stack",       "the #DF stack (IST1)", "the NMI stack (IST2)",
	"the #MC stack (IST3)", "the #PF stack (IST4)",
};

static uint64_t round_up(uint64_t a, uint64_t to)
{
	return (a + to - 1) & ~(to - 1);
}

/* The table below entry e, made (empty) if absent.  Intermediate entries
 * are present+writable and never NX: the leaf decides. */
static uint64_t *below(uint64_t *e)
{
	if (!(*e & PTE_P))
		*e = (uint64_t)memmap_take_page() | PTE_P | PTE_W;
	else if (*e & PTE_PS)
		x86_panic("paging: a large page where a table was expected");
	return (uint64_t *)(*e & ADDR_MASK);
}

static uint64_t *pd_entry(uint64_t va)
{
	uint64_t *pdpt = below(&pml4[(va >> 39) & 511]);
	uint64_t *pd = below(&pdpt[(va >> 30) & 511]);

	return &pd[(va >> 21) & 511];
}

/* The 4 KiB entry for va, splitting its 2 MiB page (same permissions in
 * 512 small ones) the first time.  Only while building the tables. */
static uint64_t *pte_split(uint64_t va)
{
	uint64_t *pde = pd_entry(va), *pt;
	int i;

	if ((*pde & PTE_P) && (*pde & PTE_PS)) {
		uint64_t base = *pde & ADDR_MASK & ~(SZ_2M - 1);
		uint64_t flags = *pde & ~ADDR_MASK & ~PTE_PS;

		pt = memmap_take_page();
		for (i = 0; i < 512; i++)
			pt[i] = (base + (uint64_t)i * X86_PAGE) | flags;
		*pde = (uint64_t)pt | PTE_P | PTE_W;
	}
	return &below(pde)[(va >> 12) & 511];
}

/* The 4 KiB entry for va in the live tables, or 0 where va is mapped by a
 * large page or not at all.  Never allocates. */
static uint64_t *pte_find(uint64_t va)
{
	uint64_t *t = pml4, e;
	int shift;

	for (shift = 39; shift > 12; shift -= 9) {
		e = t[(va >> shift) & 511];
		if (!(e & PTE_P) || (e & PTE_PS))
			return 0;
		t = (uint64_t *)(e & ADDR_MASK);
	}
	return &t[(va >> 12) & 511];
}

uint64_t paging_pte(uintptr_t va)
{
	uint64_t *pte = pml4 ? pte_find(va) : 0;

	return pte ? *pte : 0;
}

static void set_range(uint64_t start, uint64_t end, uint64_t flags)
{
	uint64_t va;

	for (va = start & ~(X86_PAGE - 1); va < end; va += X86_PAGE)
		*pte_split(va) = va | flags;
}

/* Every 2 MiB page overlapping the list becomes 512 small ones. */
static void split_list(const struct x86_memlist *l)
{
	size_t i;
	uint64_t va;

	for (i = 0; i < l->n; i++)
		for (va = l->r[i].base & ~(SZ_2M - 1); va < l->r[i].base + l->r[i].len; va += SZ_2M)
			pte_split(va);
}

static void map_image(void)
{
	uint64_t base = (uint64_t)ImageBase;
	uint64_t end = base + round_up(x86_bootinfo.image_size, X86_PAGE);
	uint64_t text = (uint64_t)_text, etext = round_up((uint64_t)_etext, X86_PAGE);
	uint64_t data = (uint64_t)_data, edata = round_up((uint64_t)_edata, X86_PAGE);

	/* kernel.lds aligns every section to a page: check, do not assume */
	if ((base | text | data | (uint64_t)_rodata) & (X86_PAGE - 1))
		x86_panic("paging: image sections are not page-aligned "
		          "(kernel.lds not used?)");
	if (x86_bootinfo.image_base != base || end < edata)
		x86_panic("paging: the loader's image (0x%lx, %lu bytes) is not "
		          "the linked one (0x%lx to 0x%lx)",
		          x86_bootinfo.image_base, x86_bootinfo.image_size, base, edata);
	set_range(base, end, PAGE_RO_NX);
	set_range(text, etext, PAGE_RX);
	set_range(data, edata, PAGE_RW_NX);
}

/* Unmap the page below each arch stack, and remember whose it is. */
static void guard_arch_stacks(void)
{
	uintptr_t top[1 + X86_NIST];
	uint64_t pages;
	int i;

	top[0] = x86_bootinfo.boot_stack_top;
	for (i = 0; i < X86_NIST; i++)
		top[1 + i] = x86_bootinfo.ist_stack_top[i];
	for (i = 0; i < 1 + X86_NIST; i++) {
		pages = i == 0 ? X86_BOOT_STACK_PAGES : X86_IST_STACK_PAGES;
		guards[i].va = top[i] - (pages + 1) * X86_PAGE;
		guards[i].name = guard_names[i];
		*pte_split(guards[i].va) = 0;
	}
}

const char *paging_guard_name(uintptr_t va)
{
	size_t i;

	for (i = 0; i < sizeof guards / sizeof guards[0]; i++)
		if (guards[i].name && (va & ~(X86_PAGE - 1)) == guards[i].va)
			return guards[i].name;
	return 0;
}

/* Make the page at va a guard (unmapped) or ordinary RAM again.  0, or -1
 * when va is not a 4 KiB page of the tables (it was never the core's
 * RAM): then nothing changed. */
int paging_guard(uintptr_t va, int guard)
{
	uint64_t *pte = pml4 ? pte_find(va) : 0;

	if (pte == 0)
		return -1;
	*pte = guard ? 0 : (va & ADDR_MASK) | PAGE_RW_NX;
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	return 0;
}

/* Style rule 8: the tables just built are walked once before they are
 * loaded, and W^X is checked, not assumed: no leaf may be both writable
 * and executable, and the only executable pages are the image's text.
 * Returns the executable pages found. */
static uint64_t check_wx(void)
{
	uint64_t text = (uint64_t)_text, etext = round_up((uint64_t)_etext, X86_PAGE);
	uint64_t *pdpt, *pd, *pt, e, va, pva, n = 0;
	int i, j, k, l;

	for (i = 0; i < 512; i++) {
		if (!(pml4[i] & PTE_P))
			continue;
		pdpt = (uint64_t *)(pml4[i] & ADDR_MASK);
		for (j = 0; j < 512; j++) {
			if (!(pdpt[j] & PTE_P))
				continue;
			if (pdpt[j] & PTE_PS)
				x86_panic("paging: a 1 GiB page (none are made)");
			pd = (uint64_t *)(pdpt[j] & ADDR_MASK);
			for (k = 0; k < 512; k++) {
				e = pd[k];
				if (!(e & PTE_P))
					continue;
				va = ((uint64_t)i << 39) | ((uint64_t)j << 30) |
				     ((uint64_t)k << 21);
				if (e & PTE_PS) {
					if (!(e & PTE_NX))
						x86_panic("paging: executable 2 MiB "
						          "page at 0x%lx",
						          va);
					continue;
				}
				pt = (uint64_t *)(e & ADDR_MASK);
				for (l = 0; l < 512; l++) {
					e = pt[l];
					if (!(e & PTE_P) || (e & PTE_NX))
						continue;
					pva = va | (uint64_t)l << 12;
					if ((e & PTE_W) || pva < text || pva >= etext)
						x86_panic("paging: W^X broken at "
						          "0x%lx (entry 0x%lx)",
						          pva, e);
					n++;
				}
			}
		}
	}
	if (n != (etext - text) / X86_PAGE)
		x86_panic("paging: %lu executable pages, text has %lu", n,
		          (unsigned long)((etext - text) / X86_PAGE));
	return n;
}

uint64_t paging_exec_pages(void)
{
	return exec_pages;
}

uint64_t paging_reclaimed(void)
{
	return reclaimed;
}

void paging_init(void)
{
	uint64_t top = x86_bootinfo.phys_top, va, apic, cr4;

	/* All of it, with 2 MiB pages, read+write+NX; refined below. */
	pml4 = memmap_take_page();
	if (top < SZ_4G)
		top = SZ_4G;
	top = round_up(top, SZ_2M);
	apic = rdmsr(MSR_APIC_BASE) & ADDR_MASK & ~(SZ_2M - 1);
	for (va = 0; va < top; va += SZ_2M)
		*pd_entry(va) = va | PAGE_RW_NX | PTE_PS | (va == apic ? PTE_PCD | PTE_PWT : 0);

	*pte_split(0) = 0;		/* page 0: null dereferences fault */
	split_list(&x86_ram);
	split_list(&x86_reclaim);
	map_image();
	guard_arch_stacks();
	exec_pages = check_wx();

	if (read_cr4() & CR4_LA57)
		x86_panic("paging: the firmware runs 5-level paging; the kernel "
		          "builds 4-level tables only");
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);	/* before NX bits count */
	/* Clearing CR4.PGE flushes global entries too, should the firmware
	 * have made any; a CR3 load alone would keep them. */
	cr4 = read_cr4();
	write_cr4(cr4 & ~CR4_PGE);
	write_cr3((uint64_t)pml4);
	write_cr4(cr4);
	write_cr0(read_cr0() | CR0_WP);

	/* The firmware's tables are gone from CR3: its memory is free. */
	reclaimed = x86_reclaim.bytes;
	memmap_reclaim();
}

/* A device's registers at [pa, pa + len): read/write, NX, uncached
 * (PCD+PWT), in 4 KiB pages; tables are made (or a 2 MiB page split) as
 * needed, so only before lux_main, while memmap_take_page may still take.
 * OVMF puts 64-bit BARs far above RAM (0xe000000000), where nothing was
 * mapped. */
void paging_map_mmio(uint64_t pa, uint64_t len)
{
	uint64_t va;

	for (va = pa & ~(X86_PAGE - 1); va < pa + len; va += X86_PAGE) {
		*pte_split(va) = va | PAGE_RW_NX | PTE_PCD | PTE_PWT;
		__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	}
	memlist_add(&x86_mmio, pa & ~(X86_PAGE - 1),
	            round_up(pa + len, X86_PAGE) - (pa & ~(X86_PAGE - 1)));
}
