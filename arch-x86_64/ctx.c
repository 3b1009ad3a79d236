/*
 * New contexts for arch_ctx_switch (switch.S, where the frame layout is
 * described), and their end.  No guard pages yet: with UEFI's identity
 * mapping every stack is plain RAM, so arch_ctx_destroy has nothing to
 * release; with our own page tables it will unmap the guard page.
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

void
arch_ctx_init(arch_ctx *ctx, void *stack, size_t stack_size,
              void (*entry)(void *), void *arg)
{
	uintptr_t top = ((uintptr_t)stack + stack_size) & ~(uintptr_t)15;
	struct initframe *f = (struct initframe *)(top - sizeof *f);

	if (stack_size < 256) {
		char why[64];

		x86_snprintf(why, sizeof why, "arch_ctx_init: stack of %lu "
		    "bytes is too small", (unsigned long)stack_size);
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
}

void
arch_ctx_destroy(arch_ctx *ctx)
{
	ctx->sp = 0;
	ctx->stack = 0;
	ctx->stack_size = 0;
}

void
x86_ctx_returned(void (*entry)(void *))
{
	char why[64];

	/* Formatted here: the core's panic formatter need not know %p. */
	x86_snprintf(why, sizeof why, "context entry %p returned", (void *)entry);
	lux_panic("%s", why);
}
