/*
 * Deterministic mode (luxsim --seed N).  Every source of nondeterminism
 * the core sees comes from here, and from N:
 *  - time is virtual: it advances by a fixed quantum at each preemption
 *    point (arch_poll), and jumps to the next timer deadline when every
 *    proc sleeps (arch_idle);
 *  - entropy is a splitmix64 stream from the seed (so libsodium's
 *    generator, and the core's scheduling choices, repeat);
 *  - console input is read only when the kernel is idle with no timer
 *    pending, so when it arrives depends on the kernel, not on the pipe.
 * The same seed and the same input therefore give the same run, and the
 * same trace hash at halt.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <lux/arch.h>
#include <lux/upcall.h>

#include "internal.h"

#define QUANTUM_NS 10000	/* virtual time per preemption point: 10 us */

int hosted_deterministic;

static struct {
	uint64_t now;
	uint64_t deadline;	/* armed one-shot, 0 if none */
	uint64_t rng;
	int eof;
	char buf[4096];
} sim;

void hosted_sim_init(unsigned long long seed)
{
	hosted_deterministic = 1;
	sim.rng = seed ^ 0x6a09e667f3bcc908ull;
	sim.now = 0;
}

uint64_t hosted_sim_now(void)
{
	return sim.now;
}

void hosted_sim_arm(uint64_t deadline)
{
	sim.deadline = deadline;
}

static void fire_if_due(void)
{
	if (sim.deadline && sim.now >= sim.deadline) {
		sim.deadline = 0;
		hosted_upcall_begin();
		lux_timer_expired();
		hosted_upcall_end();
	}
}

void hosted_sim_poll(void)
{
	sim.now += QUANTUM_NS;
	fire_if_due();
}

void hosted_sim_idle(void)
{
	ssize_t n;

	if (sim.deadline) {	/* everyone sleeps: jump to the next deadline */
		if (sim.now < sim.deadline)
			sim.now = sim.deadline;
		fire_if_due();
		return;
	}
	if (sim.eof)
		lux_panic("idle with nothing to wait for (no input, no timers)");
	if (lux_console_room() == 0)
		lux_panic("idle with a full console buffer nobody reads");
	do
		n = read(0, sim.buf,
		         lux_console_room() < sizeof sim.buf ? lux_console_room() : sizeof sim.buf);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		n = 0;
		sim.eof = 1;
	}
	hosted_upcall_begin();
	lux_console_input(sim.buf, (size_t)n);
	hosted_upcall_end();
}

int hosted_sim_entropy(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		uint64_t z = (sim.rng += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		for (int i = 0; i < 8 && n > 0; i++, n--, z >>= 8)
			*p++ = (unsigned char)z;
	}
	return 0;
}
