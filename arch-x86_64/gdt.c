/*
 * Our own GDT, replacing the firmware's: flat 64-bit kernel code and data
 * and a TSS whose interrupt stack table gives the exceptions that must not
 * run on a possibly broken stack their own: IST1 double fault, IST2 NMI,
 * IST3 machine check, IST4 page fault (see idt.c).  Selectors:
 *   0x08 kernel code, 0x10 kernel data, 0x18 TSS (two slots).
 * User segments come with ring 3.
 */
#include "x86.h"

enum { SEL_KCODE = 0x08, SEL_KDATA = 0x10, SEL_TSS = 0x18 };

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iopb;
} __attribute__((packed));

struct gdtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct tss tss __attribute__((aligned(16)));
static uint64_t gdt[5] __attribute__((aligned(16)));

void gdt_init(void)
{
	uint64_t base = (uint64_t)&tss;
	uint64_t limit = sizeof tss - 1;
	struct gdtr gdtr;
	int i;

	for (i = 0; i < X86_NIST; i++)
		tss.ist[i] = x86_bootinfo.ist_stack_top[i];
	tss.iopb = sizeof tss;		/* no I/O permission bitmap */

	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFull;	/* code: P, DPL0, L, exec/read */
	gdt[2] = 0x00CF92000000FFFFull;	/* data: P, DPL0, read/write */
	/* 64-bit available TSS (type 9), present, 16 bytes. */
	gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
	         (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	gdt[4] = base >> 32;

	gdtr.limit = sizeof gdt - 1;
	gdtr.base = (uint64_t)gdt;
	__asm__ volatile("lgdt %0\n\t"
	                 "pushq %1\n\t"
	                 "leaq 1f(%%rip), %%rax\n\t"
	                 "pushq %%rax\n\t"
	                 "lretq\n"
	                 "1:\n\t"
	                 "movw %w2, %%ax\n\t"
	                 "movw %%ax, %%ds\n\t"
	                 "movw %%ax, %%es\n\t"
	                 "movw %%ax, %%ss\n\t"
	                 "xorl %%eax, %%eax\n\t"
	                 "movw %%ax, %%fs\n\t"
	                 "movw %%ax, %%gs\n\t"
	                 "ltr %w3"
	                 :
	                 : "m"(gdtr), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS)
	                 : "rax", "memory");
}
