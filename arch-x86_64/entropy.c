/*
 * arch_entropy: the best source the CPU or firmware offers, chosen once at
 * boot and named in lux_boot.entropy_source:
 *   RDSEED   (CPUID.7.0:EBX[18]) the conditioned entropy source itself;
 *            a word it cannot deliver after SEED_TRIES is taken from
 *            RDRAND when the CPU has it,
 *   RDRAND   (CPUID.1:ECX[30]) the DRBG reseeded from that source,
 *   EFI_RNG_PROTOCOL  a 64-byte pool read before ExitBootServices; it is
 *            spent once (enough to seed the core's generator) and then
 *            arch_entropy fails rather than repeat it,
 *   none     arch_entropy returns -1 and the boot is flagged.
 * Retry bounds follow Intel's guidance (10 for RDRAND; RDSEED may run dry
 * under load, hence more tries with a pause between them).
 */
#include <lux/arch.h>

#include "cpu.h"
#include "x86.h"

#define SEED_TRIES 128
#define RAND_TRIES 10

enum { SRC_NONE, SRC_RDSEED, SRC_RDRAND, SRC_EFI };

static int source;
static int have_rdrand;
static size_t efi_used;

static int rdseed64(uint64_t *v)
{
	unsigned char ok;
	int i;

	for (i = 0; i < SEED_TRIES; i++) {
		__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return 0;
		cpu_relax();
	}
	return -1;
}

static int rdrand64(uint64_t *v)
{
	unsigned char ok;
	int i;

	for (i = 0; i < RAND_TRIES; i++) {
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return 0;
	}
	return -1;
}

static int word(uint64_t *v)
{
	if (source == SRC_RDSEED && rdseed64(v) == 0)
		return 0;
	if (have_rdrand)
		return rdrand64(v);
	return -1;
}

const char *x86_entropy_init(int *real)
{
	uint32_t r[4];
	uint64_t probe;

	cpuid(0, 0, r);
	if (r[0] >= 7) {
		cpuid(7, 0, r);
		if ((r[1] >> 18) & 1)
			source = SRC_RDSEED;
	}
	cpuid(1, 0, r);
	have_rdrand = (r[2] >> 30) & 1;
	if (source == SRC_NONE && have_rdrand)
		source = SRC_RDRAND;
	/* A CPU may advertise an instruction that always fails (AMD
	 * parts with broken RDRAND firmware): try it once. */
	if (source == SRC_RDSEED && rdseed64(&probe) != 0)
		source = have_rdrand ? SRC_RDRAND : SRC_NONE;
	if (have_rdrand && rdrand64(&probe) != 0) {
		have_rdrand = 0;
		if (source == SRC_RDRAND)
			source = SRC_NONE;
	}
	if (source == SRC_NONE && x86_bootinfo.rng_len > 0)
		source = SRC_EFI;
	*real = source != SRC_NONE;
	switch (source) {
	case SRC_RDSEED: return "RDSEED";
	case SRC_RDRAND: return "RDRAND";
	case SRC_EFI: return "EFI_RNG_PROTOCOL";
	default: return "none";
	}
}

int arch_entropy(void *buf, size_t n)
{
	uint8_t *p = buf;
	uint64_t v;
	size_t k;

	if (source == SRC_EFI) {
		if (n > x86_bootinfo.rng_len - efi_used)
			return -1;
		for (k = 0; k < n; k++) {
			p[k] = x86_bootinfo.rng_pool[efi_used + k];
			x86_bootinfo.rng_pool[efi_used + k] = 0;
		}
		efi_used += n;
		return 0;
	}
	if (source == SRC_NONE)
		return -1;
	while (n > 0) {
		if (word(&v) != 0)
			return -1;
		k = n < 8 ? n : 8;
		__builtin_memcpy(p, &v, k);
		p += k;
		n -= k;
	}
	v = 0;
	return 0;
}
