/*
 * x86_call_on_stack(top, fn): leave the firmware's stack for good and
 * run fn on ours.  fn must not return.  top is 16-byte aligned (a page
 * end), so after the call fn sees rsp + 8 aligned, as SysV wants.
 */
	.text
	.globl x86_call_on_stack
	.hidden x86_call_on_stack
	.type x86_call_on_stack, @function
x86_call_on_stack:
	movq %rdi, %rsp
	xorl %ebp, %ebp
	call *%rsi
	ud2
	.size x86_call_on_stack, . - x86_call_on_stack

	.section .note.GNU-stack,"",@progbits
