/*
 * New contexts for arch_ctx_switch (switch.S, where the frame layout is
 * described), and their end.  The lowest page of a page-aligned stack of
 * two pages or more becomes its guard (LUX_CAP_GUARDED): unmapped until
 * arch_ctx_destroy, so an overflow faults there (fault.c names the proc)
 * instead of writing over whatever the page allocator put below.  The
 * core's procs get 8-page runs from its page allocator, always in RAM
 * paging.c mapped with 4 KiB pages, so this never allocates or fails.
 * A stack that is not page-aligned (archtest's static ones) or not in
 * such RAM simply has no guard.
 */
#include <lux/arch.h>
#include <lux/upcall.h>

#include "x86.h"

extern char x86_ctx_trampoline[];
_Noreturn void x86_ctx_returned(void (*entry)(void *));

struct initframe {
	uint16_t fcw;
	uint16_t pad;
	uint32_t mxcsr;
	uint64_t r15, r14, r13, r12, rbx, rbp;
	uint64_t rip;
};

_Static_assert(sizeof(struct initframe) == 64, "frame layout of switch.S");

static int guardable(void *stack, size_t size)
{
	return ((uintptr_t)stack & (X86_PAGE - 1)) == 0 && size >= 2 * X86_PAGE;
}

void arch_ctx_init(arch_ctx *ctx, void *stack, size_t stack_size, void (*entry)(void *), void *arg)
{
	uintptr_t top = ((uintptr_t)stack + stack_size) & ~(uintptr_t)15;
	struct initframe *f = (struct initframe *)(top - sizeof *f);

	if (stack_size < 256) {
		char why[64];

		x86_snprintf(why, sizeof why,
		             "arch_ctx_init: stack of %lu "
		             "bytes is too small",
		             (unsigned long)stack_size);
		lux_panic("%s", why);
	}
	f->fcw = 0x037F;
	f->pad = 0;
	f->mxcsr = 0x1F80;
	f->r15 = f->r14 = f->rbx = 0;
	f->r13 = (uint64_t)arg;
	f->r12 = (uint64_t)entry;
	f->rbp = 0;			/* ends frame-pointer backtraces */
	f->rip = (uint64_t)x86_ctx_trampoline;
	ctx->sp = f;
	ctx->stack = stack;
	ctx->stack_size = stack_size;
	if (guardable(stack, stack_size))
		paging_guard((uintptr_t)stack, 1);
}

void arch_ctx_destroy(arch_ctx *ctx)
{
	/* The page goes back to the core's allocator mapped, as it came. */
	if (ctx->stack && guardable(ctx->stack, ctx->stack_size))
		paging_guard((uintptr_t)ctx->stack, 0);
	ctx->sp = 0;
	ctx->stack = 0;
	ctx->stack_size = 0;
}

void x86_ctx_returned(void (*entry)(void *))
{
	char why[64];

	/* Formatted here: the core's panic formatter need not know %p. */
	x86_snprintf(why, sizeof why, "context entry %p returned", (void *)entry);
	lux_panic("%s", why);
}
