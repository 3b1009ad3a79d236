/*
 * arch_halt: QEMU's isa-debug-exit device (-device isa-debug-exit,
 * iobase=0xf4,iosize=0x04) turns a write of v into exit((v << 1) | 1), so
 * run-qemu.py can recover v.  On a machine without it the write goes
 * nowhere and we stop the CPU for good.
 */
#include <lux/arch.h>

#include "portio.h"
#include "x86.h"

#define DEBUG_EXIT_PORT 0xF4

void arch_halt(int status)
{
	__asm__ volatile("cli");
	x86_console_flush();
	outl(DEBUG_EXIT_PORT, (uint32_t)status);
	for (;;)
		__asm__ volatile("cli; hlt");
}
