/*
 * A page fault in words: the first line of its panic says what happened,
 * so a reader (and a boot test) need not decode CR2 and the error code:
 *
 *   x86_64: PANIC: null dereference: read of 0x8 at rip 0x...
 *   x86_64: PANIC: stack overflow in proc 7 (deep): write of 0x... in the
 *       guard page below its stack, at rip 0x...
 *   x86_64: PANIC: write to read-only memory (kernel read-only data) ...
 *   x86_64: PANIC: execute of non-executable memory (kernel data) ...
 *
 * The register dump (trap.c) follows.  Only the page tables' own facts are
 * used, plus one read-only walk of the core's proc list
 * (lux_stack_owner) for a guard page that is not one of the arch's.
 */
#include <lux/upcall.h>

#include "x86.h"

#define PF_P (1u << 0) /* protection violation (else not present) */
#define PF_W (1u << 1)
#define PF_RSVD (1u << 3)
#define PF_I (1u << 4) /* instruction fetch */

extern char ImageBase[], _text[], _etext[], _rodata[], _erodata[];
extern char _data[], _edata[];

static int within(uint64_t a, const char *lo, const char *hi)
{
	return a >= (uint64_t)lo && a < (uint64_t)hi;
}

/* What lives at a, as far as the arch knows. */
static const char *where(uint64_t a)
{
	size_t i;

	if (within(a, _text, _etext))
		return "kernel text";
	if (within(a, _rodata, _erodata))
		return "kernel read-only data";
	if (within(a, _data, _edata))
		return "kernel data";
	if (a >= (uint64_t)ImageBase && a - (uint64_t)ImageBase < x86_bootinfo.image_size)
		return "kernel image, read-only";
	for (i = 0; i < x86_ram.n; i++)
		if (a >= x86_ram.r[i].base && a - x86_ram.r[i].base < x86_ram.r[i].len)
			return "the core's RAM: heap, stacks, pages";
	return "memory outside the image and the core's RAM";
}

void fault_explain(const struct trapframe *tf, uint64_t cr2)
{
	uint64_t e = tf->error;
	const char *how = e & PF_I ? "execute" : e & PF_W ? "write" : "read";
	const char *stack, *name;
	uintptr_t base;
	int pid;

	if (e & PF_RSVD) {
		x86_printf("\nx86_64: PANIC: reserved bit set in the page tables "
		           "(a paging bug): %s of 0x%lx at rip 0x%lx\n",
		           how, cr2, tf->rip);
	} else if (cr2 < X86_PAGE) {
		x86_printf("\nx86_64: PANIC: null dereference: %s of 0x%lx at rip "
		           "0x%lx\n",
		           how, cr2, tf->rip);
	} else if (!(e & PF_P) && (stack = paging_guard_name(cr2)) != 0) {
		x86_printf("\nx86_64: PANIC: stack overflow on %s: %s of 0x%lx in "
		           "its guard page, at rip 0x%lx\n",
		           stack, how, cr2, tf->rip);
	} else if (!(e & PF_P) && (pid = lux_stack_owner(cr2, &name, &base)) >= 0 &&
	           cr2 - base < X86_PAGE) {
		x86_printf("\nx86_64: PANIC: stack overflow in proc %d (%s): %s of "
		           "0x%lx in the guard page below its stack, at rip 0x%lx\n",
		           pid, name, how, cr2, tf->rip);
	} else if ((e & PF_P) && (e & PF_I)) {
		x86_printf("\nx86_64: PANIC: execute of non-executable memory (%s): "
		           "0x%lx, at rip 0x%lx\n",
		           where(cr2), cr2, tf->rip);
	} else if ((e & PF_P) && (e & PF_W)) {
		x86_printf("\nx86_64: PANIC: write to read-only memory (%s): 0x%lx, "
		           "at rip 0x%lx\n",
		           where(cr2), cr2, tf->rip);
	} else {
		x86_printf("\nx86_64: PANIC: %s of %s memory (%s): 0x%lx, at "
		           "rip 0x%lx\n",
		           how, e & PF_P ? "protected" : "unmapped", where(cr2), cr2, tf->rip);
	}
}
