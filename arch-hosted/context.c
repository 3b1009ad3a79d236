/*
 * Contexts for procs: a stack pointer, switched by switch_x86_64.S (a few
 * instructions, no system call; swapcontext saves the signal mask with
 * one).  The initial frame below matches the switch's pop order.
 *
 *   top-8   hosted_ctx_start  (switch's ret lands here; rsp then = top)
 *   top-16  rbp = 0
 *   top-24  rbx = 0
 *   top-32  r12 = entry
 *   top-40  r13 = arg
 *   top-48  r14 = 0
 *   top-56  r15 = 0
 *   top-64  MXCSR (low 4 bytes)	<- the 16-byte FP control area
 *   top-72  x87 control word
 */
#include <stdint.h>
#include <string.h>

#include <lux/arch.h>
#include <lux/upcall.h>

#include "internal.h"

void hosted_ctx_start(void);	/* in switch_x86_64.S */
void hosted_switch(arch_ctx *from, arch_ctx *to);	/* likewise */
void hosted_ctx_enter(void (*entry)(void *), void *arg);

void arch_ctx_init(arch_ctx *ctx, void *stack, size_t size, void (*entry)(void *), void *arg)
{
	uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
	uint64_t *sp = (uint64_t *)top;
	uint32_t mxcsr = 0x1f80;	/* all exceptions masked, round to nearest */
	uint16_t fcw = 0x037f;		/* the x87 default */

	*--sp = (uint64_t)(uintptr_t)hosted_ctx_start;
	*--sp = 0;				/* rbp */
	*--sp = 0;				/* rbx */
	*--sp = (uint64_t)(uintptr_t)entry;	/* r12 */
	*--sp = (uint64_t)(uintptr_t)arg;	/* r13 */
	*--sp = 0;				/* r14 */
	*--sp = 0;				/* r15 */
	*--sp = mxcsr;
	*--sp = fcw;
	ctx->sp = sp;
	ctx->stack = stack;
	ctx->stack_size = size;
}

/*
 * AddressSanitizer tracks which stack is current; switching behind its
 * back makes it misjudge stacks at the first noreturn call and report
 * stale redzones.  The fiber annotations tell it, in the sanitized build
 * only (this is arch code: the core never knows).  The boot context's
 * bounds are not given to arch_ctx_init; they are learned on the far side
 * of the first switch away from it, where ASan's "old stack" really is
 * the boot stack.  (clang, which the AFL++ build uses, does not define
 * __SANITIZE_ADDRESS__: without the __has_feature test its ASan builds
 * got no annotations and reported stale redzones on reused stacks.)
 */
#if defined(__has_feature)	/* clang says it this way, gcc with the macro below */
#if __has_feature(address_sanitizer)
#define HOSTED_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(HOSTED_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

static arch_ctx *switching_from;	/* set just before every switch */

static void switch_finished(void *fake)
{
	const void *old_bottom;
	size_t old_size;

	__sanitizer_finish_switch_fiber(fake, &old_bottom, &old_size);
	if (switching_from && switching_from->stack == 0) {
		switching_from->stack = (void *)old_bottom;
		switching_from->stack_size = old_size;
	}
}

void arch_ctx_switch(arch_ctx *from, arch_ctx *to)
{
	void *fake = 0;

	switching_from = from;
	__sanitizer_start_switch_fiber(&fake, to->stack, to->stack_size);
	hosted_switch(from, to);
	switch_finished(fake);
}

/* A dead proc's stack still carries the redzones of frames that never
 * returned; clear them before the core reuses the pages. */
void arch_ctx_destroy(arch_ctx *ctx)
{
	ASAN_UNPOISON_MEMORY_REGION(ctx->stack, ctx->stack_size);
}
#else
static void switch_finished(void *fake)
{
	(void)fake;
}

void arch_ctx_switch(arch_ctx *from, arch_ctx *to)
{
	hosted_switch(from, to);
}

void arch_ctx_destroy(arch_ctx *ctx)
{
	(void)ctx;	/* nothing attached to a context here */
}
#endif

/* First C code of every context (called from hosted_ctx_start). */
void hosted_ctx_enter(void (*entry)(void *), void *arg)
{
	switch_finished(0);
	hosted_irq_enable();	/* see arch_ctx_init in <lux/arch.h> */
	entry(arg);
	lux_panic("context entry %p returned", (void *)entry);
}
