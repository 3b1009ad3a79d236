/*
 * The local APIC: its one-shot timer is the contract's timer, and its
 * LINT0 pin in ExtINT mode carries the 8259's interrupts (pic.c).
 *
 * The timer counts down from an initial count at the bus clock divided by
 * 16 (62.5 MHz under QEMU, whose APIC "bus" runs at 1 GHz); its rate is
 * measured once against the TSC (timer_calibrate).  A deadline further away than one
 * 32-bit countdown (about 68 s at 62.5 MHz) is reached in several: the
 * interrupt handler compares the deadline with arch_time_ns() and re-arms
 * for the rest, so an early or stale interrupt never reaches the core.
 * TSC-deadline mode would avoid the calibration, but QEMU's TCG does not
 * offer it.
 *
 * Accessed through MMIO at the address in IA32_APIC_BASE, identity-mapped
 * by the firmware's page tables, or through MSRs if the firmware left the
 * APIC in x2APIC mode.
 */
#include <lux/arch.h>
#include <lux/upcall.h>

#include "cpu.h"
#include "x86.h"

enum {
	LAPIC_ID = 0x020,
	LAPIC_TPR = 0x080,
	LAPIC_EOI = 0x0B0,
	LAPIC_SVR = 0x0F0,
	LAPIC_ICR_LO = 0x300,
	LAPIC_LVT_TIMER = 0x320,
	LAPIC_LVT_LINT0 = 0x350,
	LAPIC_LVT_LINT1 = 0x360,
	LAPIC_LVT_ERROR = 0x370,
	LAPIC_TIMER_INIT = 0x380,
	LAPIC_TIMER_CUR = 0x390,
	LAPIC_TIMER_DIV = 0x3E0,

	APIC_BASE_X2APIC = 1 << 10,
	APIC_BASE_ENABLE = 1 << 11,
	SVR_ENABLE = 1 << 8,
	LVT_MASKED = 1 << 16,
	ICR_SELF = 1 << 18,		/* destination shorthand: self */
	LVT_EXTINT = 7 << 8,
	LVT_NMI = 4 << 8,
	TIMER_DIV_16 = 0x3,
};

static volatile uint32_t *mmio;
static int x2apic;
static uint64_t timer_hz;
static uint64_t timer_ticks_per_ns_32;	/* timer_hz / 1e9, 32.32 */
static uint64_t deadline;		/* armed deadline, 0: none */

static uint32_t lapic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(0x800 + (reg >> 4));
	return mmio[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), v);
	else
		mmio[reg / 4] = v;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* This CPU's APIC ID, for an MSI's destination. */
uint32_t lapic_id(void)
{
	if (x2apic)
		return (uint32_t)rdmsr(0x802);
	return lapic_read(LAPIC_ID) >> 24;
}

/* Interrupt ourselves on vector: a driver's deferred work runs in its
 * handler, after the caller (maybe an upcall) has returned. */
void lapic_self_ipi(uint8_t vector)
{
	if (x2apic)
		wrmsr(0x83F, vector);	/* the SELF IPI register */
	else
		lapic_write(LAPIC_ICR_LO, ICR_SELF | vector);	/* fixed, edge */
}

uint64_t lapic_timer_hz(void)
{
	return timer_hz;
}

/* Measure the timer's rate against the TSC over 5 ms.  Both endpoints are
 * taken between two TSC reads close together (a preempted vCPU shows as a
 * wide pair and is retried), so only the TSC's own accuracy counts. */
static void timer_calibrate(void)
{
	uint64_t a, b, t0 = 0, t1 = 0, best = ~0ull, ns;
	uint64_t tight = ns_to_tsc(20000);	/* 20 us */
	uint32_t left = 0, cur;
	int i;

	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
	for (i = 0; i < 8; i++) {
		a = rdtsc();
		lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFFu);
		b = rdtsc();
		t0 = a + (b - a) / 2;
		if (b - a < tight)
			break;
	}
	while (tsc_to_ns(rdtsc() - t0) < 5000000)
		;
	for (i = 0; i < 8; i++) {
		a = rdtsc();
		cur = lapic_read(LAPIC_TIMER_CUR);
		b = rdtsc();
		if (b - a < best) {
			best = b - a;
			t1 = a + (b - a) / 2;
			left = cur;
		}
	}
	lapic_write(LAPIC_TIMER_INIT, 0);
	ns = tsc_to_ns(t1 - t0);
	timer_hz = (uint64_t)(0xFFFFFFFFu - left) * 1000000000ull / ns;
	if (timer_hz < 1000)
		x86_panic("local APIC timer does not count (%lu Hz)", timer_hz);
	timer_ticks_per_ns_32 = ((timer_hz / 1000000000ull) << 32) +
	                        ((timer_hz % 1000000000ull) << 32) / 1000000000ull;
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE)) {
		base |= APIC_BASE_ENABLE;
		wrmsr(MSR_APIC_BASE, base);
	}
	x2apic = (base & APIC_BASE_X2APIC) != 0;
	mmio = (volatile uint32_t *)(uintptr_t)(base & ~0xFFFull);

	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_LAPIC_SPURIOUS);
	lapic_write(LAPIC_LVT_LINT0, LVT_EXTINT);	/* 8259 virtual wire */
	lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	timer_calibrate();
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER);	/* one-shot */
}

/* Start one countdown towards deadline (nonzero), at least one tick long
 * so a deadline already past interrupts at once. */
static void timer_program(uint64_t dl)
{
	uint64_t now = arch_time_ns();
	uint64_t ticks = 1;

	if (dl > now) {
		unsigned __int128 t = ((unsigned __int128)(dl - now) * timer_ticks_per_ns_32 >>
		                       32) +
		                      1;
		ticks = t > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint64_t)t;
	}
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)ticks);
}

void arch_timer_arm(uint64_t deadline_ns)
{
	arch_irqstate s = arch_irq_save();

	deadline = deadline_ns;
	if (deadline_ns == 0)
		lapic_write(LAPIC_TIMER_INIT, 0);
	else
		timer_program(deadline_ns);
	arch_irq_restore(s);
}

/* Vector VEC_LAPIC_TIMER, interrupts off.  The deadline check makes the
 * upcall exactly-once: a countdown that was replaced or disarmed after it
 * had already fired finds no deadline, or one still in the future. */
void lapic_timer_irq(void)
{
	lapic_eoi();
	if (deadline == 0)
		return;
	if (arch_time_ns() < deadline) {
		timer_program(deadline);
		return;
	}
	deadline = 0;
	x86_upcalls++;
	lux_timer_expired();
}
