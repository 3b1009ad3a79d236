/*
 * Where every interrupt and exception lands (from trap.S), interrupts off.
 *
 * CPU exceptions are fatal for now (no user mode, no demand paging): they
 * print a register dump on the serial line themselves and halt with
 * ARCH_PANIC_STATUS.  They do not go through the core's lux_panic():
 * the fault may be inside the core, with its console lock held or its
 * formatter broken, and the one thing this path must do is get the report
 * out.  A fault while reporting a fault halts at once with a short line.
 *
 * Device interrupts (the 8259's IRQs, the LAPIC timer) end in
 * lux_preempt(): the core may switch to another proc right there, on the
 * interrupted proc's own stack, which then holds this handler's frames
 * (trap.S's trapframe and fxsave area) until the proc runs again and the
 * switch returns here to unwind them.  That is why the EOI comes first: a
 * switch with the interrupt still in service would block its line (and
 * every lower-priority one) until this proc ran again.  The core ignores
 * the call when the interrupt hit no proc (the idle loop, early boot).
 */
#include <lux/arch.h>

#include "cpu.h"
#include "x86.h"

static const char *const excname[32] = {
	"#DE divide error",
	"#DB debug",
	"NMI",
	"#BP breakpoint",
	"#OF overflow",
	"#BR bound range exceeded",
	"#UD invalid opcode",
	"#NM device not available",
	"#DF double fault",
	"coprocessor segment overrun",
	"#TS invalid TSS",
	"#NP segment not present",
	"#SS stack-segment fault",
	"#GP general protection",
	"#PF page fault",
	"reserved 15",
	"#MF x87 floating-point error",
	"#AC alignment check",
	"#MC machine check",
	"#XM SIMD floating-point",
	"#VE virtualization",
	"#CP control protection",
	"reserved 22",
	"reserved 23",
	"reserved 24",
	"reserved 25",
	"reserved 26",
	"reserved 27",
	"#HV hypervisor injection",
	"#VC VMM communication",
	"#SX security",
	"reserved 31",
};

static volatile int in_exception;

/* Base of the loaded image (GNU-EFI's linker script): rip - ImageBase is
 * the address to give addr2line with the unstripped .so. */
extern char ImageBase[];

static void exception_report(struct trapframe *tf)
{
	unsigned v = (unsigned)tf->vector;

	if (v == 14)
		fault_explain(tf, read_cr2());
	x86_printf("\nx86_64: PANIC: CPU exception %u: %s\n", v, excname[v]);
	x86_printf("  error  0x%lx", tf->error);
	if (v == 14)
		x86_printf("  [%s, %s, %s%s]",
		           tf->error & 16  ? "execute"
		           : tf->error & 2 ? "write"
		                           : "read",
		           tf->error & 1 ? "protection violation" : "page not present",
		           tf->error & 4 ? "user" : "kernel",
		           tf->error & 8 ? ", reserved bit" : "");
	x86_printf("\n");
	if (v == 14)
		x86_printf("  cr2    0x%016lx  (faulting address)\n", read_cr2());
	x86_printf("  rip    0x%016lx  cs  0x%lx  rflags 0x%lx\n", tf->rip, tf->cs, tf->rflags);
	x86_printf("  image  0x%016lx  (rip - image = 0x%lx: addr2line -e "
	           "<image>.so)\n",
	           (uint64_t)ImageBase, tf->rip - (uint64_t)ImageBase);
	x86_printf("  rsp    0x%016lx  ss  0x%lx\n", tf->rsp, tf->ss);
	x86_printf("  rax 0x%016lx  rbx 0x%016lx  rcx 0x%016lx\n", tf->rax, tf->rbx, tf->rcx);
	x86_printf("  rdx 0x%016lx  rsi 0x%016lx  rdi 0x%016lx\n", tf->rdx, tf->rsi, tf->rdi);
	x86_printf("  rbp 0x%016lx  r8  0x%016lx  r9  0x%016lx\n", tf->rbp, tf->r8, tf->r9);
	x86_printf("  r10 0x%016lx  r11 0x%016lx  r12 0x%016lx\n", tf->r10, tf->r11, tf->r12);
	x86_printf("  r13 0x%016lx  r14 0x%016lx  r15 0x%016lx\n", tf->r13, tf->r14, tf->r15);
	x86_printf("  cr0 0x%016lx  cr3 0x%016lx  cr4 0x%016lx\n", read_cr0(), read_cr3(),
	           read_cr4());
	x86_printf("x86_64: halting with status %d\n", ARCH_PANIC_STATUS);
}

void trap_dispatch(struct trapframe *tf)
{
	uint64_t v = tf->vector;

	if (v < 32) {
		if (in_exception++) {
			x86_printf("\nx86_64: PANIC: exception %lu at rip 0x%lx "
			           "while reporting an exception\n",
			           v, tf->rip);
			arch_halt(ARCH_PANIC_STATUS);
		}
		exception_report(tf);
		arch_halt(ARCH_PANIC_STATUS);
	}
	if (v >= VEC_PIC_BASE && v < VEC_PIC_END) {
		int irq = (int)(v - VEC_PIC_BASE);

		if (pic_spurious(irq))
			return;
		if (irq == 4)
			x86_console_irq();
		else
			x86_panic("unexpected IRQ %d (vector %lu)", irq, v);
		pic_eoi(irq);
		lux_preempt();
		return;
	}
	if (v == VEC_LAPIC_TIMER) {
		lapic_timer_irq();	/* EOIs first */
		lux_preempt();
		return;
	}
	if (v == VEC_VIRTIO) {
		x86_virtio_irq();
		lapic_eoi();	/* an MSI, or our own kick: both are the LAPIC's */
		lux_preempt();
		return;
	}
	if (v == VEC_LAPIC_SPURIOUS)
		return;		/* no EOI for a spurious LAPIC interrupt */
	x86_panic("unexpected interrupt vector %lu at rip 0x%lx", v, tf->rip);
}
