/*
 * The IDT: all 256 vectors point at trap.S's entries, so even a vector
 * nobody expected reaches trap_dispatch and a readable panic rather than a
 * triple fault.  Interrupt gates (IF cleared on entry) everywhere; three
 * exceptions switch to their own IST stack because the stack they arrive
 * on may be the broken thing: #DF (IST1), NMI (IST2), #MC (IST3), and #PF
 * (IST4): a stack overflow faults in the guard page below the stack, and
 * the CPU could not push the fault's frame on that same stack (it would
 * be a double fault, its cause lost).  Every page fault is fatal for now,
 * so a nested one overwriting the frame on IST4 does no harm: trap.c
 * halts on a fault while reporting.
 */
#include "x86.h"

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;		/* 0x8E: present, DPL 0, 64-bit interrupt gate */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
} __attribute__((packed));

struct idtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern char trap_entries[], trap_entries_end[];

static struct idt_gate idt[256] __attribute__((aligned(16)));

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");

void idt_init(void)
{
	struct idtr idtr;
	int v;

	/* two linker symbols, not one array: compared as addresses */
	if ((uintptr_t)trap_entries_end - (uintptr_t)trap_entries != 256 * 16)
		x86_panic("trap entries are not 16 bytes each");
	for (v = 0; v < 256; v++) {
		uint64_t off = (uint64_t)(trap_entries + 16 * v);

		idt[v].off_lo = (uint16_t)off;
		idt[v].sel = 0x08;
		idt[v].ist = v == 8 ? 1 : v == 2 ? 2 : v == 18 ? 3 : v == 14 ? 4 : 0;
		idt[v].type = 0x8E;
		idt[v].off_mid = (uint16_t)(off >> 16);
		idt[v].off_hi = (uint32_t)(off >> 32);
		idt[v].zero = 0;
	}
	idtr.limit = sizeof idt - 1;
	idtr.base = (uint64_t)idt;
	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}
