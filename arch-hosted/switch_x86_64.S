/*
 * hosted_switch(from, to), behind arch_ctx_switch (context.c), for x86_64 System V: save the callee-saved
 * registers and the FP control words on the current stack, store the
 * stack pointer in from->sp, load to->sp, restore the same set, return
 * into the other context.  Layout: see context.c.
 *
 * arch-x86_64/switch.S is the same dozen instructions for the same ABI.
 * They stay two files on purpose: arches depend on the core, never on
 * each other, and the hosted one must follow the host's ABI (a future
 * aarch64 host gets its own file here) while metal follows the kernel's.
 */
	.text
	.globl hosted_switch
	.type hosted_switch, @function
hosted_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $16, %rsp
	stmxcsr 8(%rsp)
	fnstcw (%rsp)
	movq %rsp, (%rdi)
	movq (%rsi), %rsp
	ldmxcsr 8(%rsp)
	fldcw (%rsp)
	addq $16, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size hosted_switch, .-hosted_switch

/* A new context's first return lands here with rsp 16-byte aligned. */
	.globl hosted_ctx_start
	.type hosted_ctx_start, @function
hosted_ctx_start:
	movq %r12, %rdi
	movq %r13, %rsi
	call hosted_ctx_enter
	ud2
	.size hosted_ctx_start, .-hosted_ctx_start

	.section .note.GNU-stack,"",@progbits
