/*
 * The TSC is the kernel's clock.  Its rate is measured once at boot
 * against the 8254 PIT's channel 2 (the speaker channel, which counts
 * without an interrupt and whose count we can latch and read):
 *
 *   - the PIT counts down from 0xFFFF in mode 0 (55 ms to zero);
 *   - a "sample" is a PIT count read between two TSC reads; of 8 tries we
 *     keep the tightest pair, so the endpoints of a measurement are exact
 *     even if the CPU was taken away (a VM's or an emulator's vCPU thread
 *     descheduled for milliseconds) right then;
 *   - a measurement is two samples WINDOW PIT ticks apart; preemption
 *     between them only lengthens the window, which costs nothing unless
 *     the counter passed zero (OUT2 high), and then the measurement is
 *     thrown away;
 *   - the rate is the median of three measurements.
 *
 * Polling the PIT's OUT2 from before/after one-shot reads instead (the
 * classic gate method) was 20% off under load: one late poll is the whole
 * error.  QEMU's TSC under TCG follows the host's and its PIT follows host
 * time, so the figure is the host TSC rate.
 *
 * Conversions use 32.32 fixed point with a 128-bit product, so no 128-bit
 * division (a libgcc call) is ever needed and ns stays monotonic in ticks.
 */
#include "cpu.h"
#include "portio.h"
#include "x86.h"

#define PIT_HZ 1193182ull
#define WINDOW 5966u /* PIT ticks per measurement: 5 ms */
#define SAMPLE_TRIES 8
#define MEASUREMENTS 3
#define MAX_TRIES 12

static uint64_t hz;
static uint64_t ns_per_tick_32;		/* 1e9 / hz, 32.32 */
static uint64_t ticks_per_ns_32;	/* hz / 1e9, 32.32 */

static uint16_t pit2_count(void)
{
	uint8_t lo, hi;

	outb(0x43, 0x80);		/* latch channel 2 */
	lo = inb(0x42);
	hi = inb(0x42);
	return (uint16_t)(lo | hi << 8);
}

static int pit2_done(void)
{
	return (inb(0x61) & 0x20) != 0;	/* OUT2: the count reached zero */
}

/* The tightest of SAMPLE_TRIES (TSC, PIT count) pairs; the TSC value is
 * the midpoint of the two reads around the PIT read. */
static void sample(uint64_t *tsc, uint16_t *count)
{
	uint64_t a, b, best = ~0ull;
	uint16_t c;
	int i;

	for (i = 0; i < SAMPLE_TRIES; i++) {
		a = rdtsc();
		c = pit2_count();
		b = rdtsc();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*count = c;
		}
	}
}

/* One measurement of the TSC rate in Hz, or 0 when it must be retried. */
static uint64_t measure(void)
{
	uint64_t t0, t1;
	uint16_t c0, c1;
	unsigned spins = 0;

	/* Gate high, speaker off; channel 2, lo/hi, mode 0, count 0xFFFF. */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xB0);
	outb(0x42, 0xFF);
	outb(0x42, 0xFF);
	sample(&t0, &c0);
	/* The bound is an escape from a machine without a PIT. */
	while ((uint16_t)(c0 - pit2_count()) < WINDOW && !pit2_done())
		if (++spins > 10000000u)
			x86_panic("the PIT does not count: cannot calibrate "
			          "the TSC");
	sample(&t1, &c1);
	if (pit2_done() || (uint16_t)(c0 - c1) < WINDOW || t1 <= t0)
		return 0;
	return (t1 - t0) * PIT_HZ / (uint16_t)(c0 - c1);
}

void tsc_calibrate(void)
{
	uint64_t m[MEASUREMENTS], t;
	int n = 0, tries, i, j;

	for (tries = 0; tries < MAX_TRIES && n < MEASUREMENTS; tries++)
		if ((t = measure()) != 0)
			m[n++] = t;
	if (n < MEASUREMENTS)
		x86_panic("TSC calibration against the PIT failed %d times", MAX_TRIES);
	for (i = 1; i < n; i++)		/* sort three */
		for (j = i; j > 0 && m[j - 1] > m[j]; j--) {
			t = m[j];
			m[j] = m[j - 1];
			m[j - 1] = t;
		}
	hz = m[MEASUREMENTS / 2];
	if (hz < 1000000)
		x86_panic("TSC runs at %lu Hz: too slow to be a clock", hz);
	ns_per_tick_32 = (1000000000ull << 32) / hz;
	ticks_per_ns_32 = ((hz / 1000000000ull) << 32) +
	                  ((hz % 1000000000ull) << 32) / 1000000000ull;
}

uint64_t tsc_hz(void)
{
	return hz;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * ns_per_tick_32) >> 32);
}

uint64_t ns_to_tsc(uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns * ticks_per_ns_32) >> 32);
}

/* CPUID 0x80000007 EDX bit 8: the TSC ticks at a constant rate through
 * P- and C-states, so it is a clock and not a cycle counter. */
int tsc_invariant(void)
{
	uint32_t r[4];

	cpuid(0x80000000, 0, r);
	if (r[0] < 0x80000007)
		return 0;
	cpuid(0x80000007, 0, r);
	return (r[3] >> 8) & 1;
}
