/*
 * Interrupt and exception entry.
 *
 * Every one of the 256 vectors has a 16-byte entry at trap_entries + 16 * v
 * (idt.c relies on the fixed size).  An entry pushes a zero where the CPU
 * pushes no error code, then the vector number, and joins trap_common,
 * which completes a struct trapframe (x86.h) and calls
 * trap_dispatch(tf) with the full FPU/SSE state saved around the call:
 * compiled C is free to use XMM registers, and the interrupted code's must
 * survive.  The 512-byte fxsave area lives below the trapframe on the same
 * stack, 64-byte aligned (fxsave needs 16).
 *
 * Stack at the call (high to low):
 *   ss, rsp, rflags, cs, rip	pushed by the CPU (16-byte aligned base)
 *   error, vector		pushed by the entry
 *   r15 ... rbx, rax		pushed here; rsp == tf == %rbx
 *   (padding to 64)
 *   fxsave area, 512 bytes	<- rsp at the call (16-byte aligned)
 *
 * Kernel code is compiled with -mno-red-zone, so an interrupt landing on
 * the current stack cannot clobber a leaf function's locals.
 */

	.text

/* One entry for the vector `vec` currently .set.  The CPU pushes an error
 * code for vectors 8, 10-14, 17, 21, 29, 30; for the others we push 0. */
	.macro vector_entry
	.balign 16
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	.else
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.endm

	.balign 16
	.globl trap_entries
	.hidden trap_entries
trap_entries:
	.set vec, 0
	.rept 256
	vector_entry
	.set vec, vec + 1
	.endr
	.balign 16
	.globl trap_entries_end
	.hidden trap_entries_end
trap_entries_end:

	.balign 16
trap_common:
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rbx
	pushq %rax
	cld
	movq %rsp, %rbx
	subq $512, %rsp
	andq $-64, %rsp
	fxsave64 (%rsp)
	movq %rbx, %rdi
	call trap_dispatch@PLT
	fxrstor64 (%rsp)
	movq %rbx, %rsp
	popq %rax
	popq %rbx
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	popq %r8
	popq %r9
	popq %r10
	popq %r11
	popq %r12
	popq %r13
	popq %r14
	popq %r15
	addq $16, %rsp		/* vector, error */
	iretq

	.section .note.GNU-stack,"",@progbits
