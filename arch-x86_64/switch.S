/*
 * arch_ctx_switch(from, to): save the callee-saved state of the running
 * context on its stack, store its stack pointer in from->sp, load
 * to->sp, and pop to's state.  The caller-saved registers (including all
 * XMM registers) are the compiler's to preserve around the call; the
 * SysV ABI makes MXCSR's control bits and the x87 control word
 * callee-saved, so they travel with the context.
 *
 * Saved frame, at the context's sp (lowest address first), 64 bytes:
 *
 *   sp + 0    x87 control word (2 bytes, then 2 unused)
 *   sp + 4    MXCSR (4 bytes)
 *   sp + 8    r15
 *   sp + 16   r14
 *   sp + 24   r13
 *   sp + 32   r12
 *   sp + 40   rbx
 *   sp + 48   rbp
 *   sp + 56   return address
 *
 * arch_ctx_init (ctx.c) builds the same frame for a new context with the
 * return address pointing at x86_ctx_trampoline, r12 = entry, r13 = arg.
 */

	.text
	.globl arch_ctx_switch
	.type arch_ctx_switch, @function
arch_ctx_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
	stmxcsr 4(%rsp)
	fnstcw (%rsp)
	movq %rsp, (%rdi)
	movq (%rsi), %rsp
	ldmxcsr 4(%rsp)
	fldcw (%rsp)
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size arch_ctx_switch, . - arch_ctx_switch

/*
 * First code of a new context.  The switch into it ran with interrupts
 * off and there is no saved state here to restore, so the contract has
 * the arch enable them before entry.  rsp is 16-byte aligned here (ctx.c
 * puts the frame so), so after the call pushes its return address the
 * entry sees rsp + 8 aligned, as the SysV ABI wants.  entry must not
 * return; if it does, x86_ctx_returned panics.
 */
	.globl x86_ctx_trampoline
	.hidden x86_ctx_trampoline
	.type x86_ctx_trampoline, @function
x86_ctx_trampoline:
	sti
	movq %r13, %rdi
	call *%r12
	movq %r12, %rdi
	call x86_ctx_returned@PLT
	ud2
	.size x86_ctx_trampoline, . - x86_ctx_trampoline

	.section .note.GNU-stack,"",@progbits
