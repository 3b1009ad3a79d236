/*
 * arch_time_ns and arch_wallclock_ns.  Time 0 is the TSC value efi_main
 * read on entry, so boot time spent in the firmware after loading us is
 * counted; the wall clock is the firmware's RT->GetTime() answer (whole
 * seconds on OVMF) plus the monotonic time elapsed since it was asked.
 */
#include <lux/arch.h>

#include "cpu.h"
#include "x86.h"

uint64_t arch_time_ns(void)
{
	return tsc_to_ns(rdtsc() - x86_bootinfo.tsc_boot);
}

int64_t arch_wallclock_ns(void)
{
	if (!x86_bootinfo.have_time)
		return -1;
	return x86_bootinfo.time_unix_ns + (int64_t)tsc_to_ns(rdtsc() - x86_bootinfo.time_tsc);
}
