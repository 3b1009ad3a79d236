/*
 * x86_start: bring the machine up after ExitBootServices, on the kernel
 * boot stack, interrupts off, then hand it to the core.  Order matters:
 *   the console first (port I/O only; every report needs it),
 *   FPU/SSE state (compiled C may use XMM registers anywhere),
 *   GDT and IDT (so any later fault is reported, not a triple fault),
 *   clocks (TSC against the PIT, then the LAPIC timer against the TSC),
 *   interrupt controllers, then the UART's receive interrupt,
 * and lux_main() last, with interrupts enabled: lux_main is not an
 * upcall, and the core idles with upcalls on.
 */
#include <lux/arch.h>
#include <lux/upcall.h>

#include "cpu.h"
#include "x86.h"

static struct lux_boot boot;
static char detail[128];

static void describe(void)
{
	uint64_t tenths = (tsc_hz() + 50000000) / 100000000;	/* GHz/10 */

	x86_snprintf(detail, sizeof detail, "UEFI (%s rev 0x%x), TSC %lu.%lu GHz%s",
	             x86_bootinfo.fw_vendor[0] ? x86_bootinfo.fw_vendor : "unknown firmware",
	             x86_bootinfo.fw_revision, tenths / 10, tenths % 10,
	             tsc_invariant() ? "" : " (not invariant)");
}

/* No service manager on metal, and no service runs (lux_boot.serve is
 * never set here): the console is the only way in. */
void arch_serving(void)
{
}

void x86_start(void)
{
	uint64_t t0, t1;
	int real;

	x86_console_init();
	x86_fpu_init();
	gdt_init();
	idt_init();
	t0 = rdtsc();
	paging_init();		/* after the IDT: a mistake here is reported */
	t1 = rdtsc();
	tsc_calibrate();
	pic_init();
	lapic_init();
	pci_init();
	boot.listening = x86_virtio_init();	/* before boot.regions: it takes pages */
	x86_console_enable_input();

	boot.version = LUX_ARCH_VERSION;
	boot.caps = LUX_CAP_CONSOLE_RAW | LUX_CAP_GUARDED;
	boot.arch_name = "x86_64";
	boot.entropy_source = x86_entropy_init(&real);
	if (real)
		boot.caps |= LUX_CAP_ENTROPY;
	if (boot.listening)
		boot.caps |= LUX_CAP_CONN;	/* the 9P server starts */
	else
		x86_printf("x86_64: WARNING: no entropy source (no RDSEED, no "
		           "RDRAND, no EFI_RNG_PROTOCOL): random numbers are NOT "
		           "secure\n");
	describe();
	boot.arch_detail = detail;
	boot.regions = x86_ram.r;
	boot.nregions = x86_ram.n;
	x86_printf("x86_64: paging: own 4-level tables, W^X (checked: %lu "
	           "executable pages, all text, none writable), page 0 and stack "
	           "guards unmapped; %lu KiB of page tables built in %lu us, %lu KiB "
	           "of boot-services memory reclaimed\n",
	           paging_exec_pages(), x86_ram.taken >> 10, tsc_to_ns(t1 - t0) / 1000,
	           paging_reclaimed() >> 10);
	if (x86_ram.dropped + x86_reclaim.dropped)
		x86_printf("x86_64: WARNING: %lu KiB of RAM in more than %d runs "
		           "not used\n",
		           (x86_ram.dropped + x86_reclaim.dropped) >> 10, X86_MAXREGIONS);
	boot.commands = 0;
	boot.quiet = 0;
	boot.hostowner_uid = -1;	/* no host users: eve is whoever has the console */
	if (boot.nregions == 0)
		x86_panic("no conventional memory above 1 MiB in the EFI map");
	sti();
	lux_main(&boot);
}
