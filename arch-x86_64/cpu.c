/*
 * FPU/SSE control state.  The firmware ran with SSE on; we set the bits
 * ourselves rather than trust it, and we turn XSAVE off: with CR4.OSXSAVE
 * clear, CPUID reports no OSXSAVE, so nothing (libsodium's runtime
 * dispatch included) uses AVX, and the 512-byte fxsave area that interrupt
 * entry saves is the whole register state.  XSAVE comes with user
 * processes, when there is state worth its size.
 */
#include "cpu.h"
#include "x86.h"

void x86_fpu_init(void)
{
	uint64_t cr0, cr4;
	uint16_t fcw = 0x037F;		/* x87 default: all masked, 64-bit */
	uint32_t mxcsr = 0x1F80;	/* SSE default: all masked, RN */

	cr0 = read_cr0();
	cr0 &= ~(CR0_EM | CR0_TS);
	cr0 |= CR0_MP | CR0_NE;
	write_cr0(cr0);
	cr4 = read_cr4();
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	cr4 &= ~CR4_OSXSAVE;
	write_cr4(cr4);
	__asm__ volatile("fninit; fldcw %0; ldmxcsr %1" : : "m"(fcw), "m"(mxcsr));
}
