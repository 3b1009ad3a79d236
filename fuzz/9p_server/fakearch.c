/*
 * The machine under the 9P server fuzzer: the whole of <lux/arch.h>, with
 * nothing real behind it but contexts (arch-hosted's context.c and stack
 * switch, so procs run on their own stacks exactly as in luxsim).
 *
 *  - Console output is dropped (FUZZ_ECHO=1 copies it to stderr).
 *  - Time is virtual: +10 us per preemption point, and a jump to the armed
 *    deadline when every proc sleeps, as in luxsim --seed.
 *  - arch_idle runs with every proc asleep: that is where the session
 *    driver (session.c) takes its next step, so every step starts from a
 *    quiescent kernel and the run is deterministic.
 *  - Connections are the session's: see session.c's fuzz_conn_*.
 *  - A kernel panic or halt is a crash for AFL: abort().
 */
#include <stdio.h>
#include <stdlib.h>

#include <lux/arch.h>
#include <lux/error.h>
#include <lux/upcall.h>

#include "session.h"

/* context.c calls this when a new context starts (see arch_ctx_init). */
void hosted_irq_enable(void);

static uint64_t now_ns, deadline_ns;
static unsigned long irq_disabled;
static int echo = -1;

void arch_console_write(const char *buf, size_t n)
{
	if (echo < 0)
		echo = getenv("FUZZ_ECHO") != NULL;
	if (echo)
		fwrite(buf, 1, n, stderr);
}

uint64_t arch_time_ns(void) { return now_ns; }
int64_t arch_wallclock_ns(void) { return 1767225600ll * 1000000000ll + (int64_t)now_ns; }
void arch_timer_arm(uint64_t deadline) { deadline_ns = deadline; }

arch_irqstate arch_irq_save(void)
{
	arch_irqstate s = irq_disabled;

	irq_disabled = 1;
	return s;
}

void arch_irq_restore(arch_irqstate s) { irq_disabled = s; }
void hosted_irq_enable(void) { irq_disabled = 0; }

static void fire_if_due(void)
{
	if (deadline_ns && now_ns >= deadline_ns) {
		deadline_ns = 0;
		lux_timer_expired();	/* upcalls are disabled where we are called */
	}
}

void arch_poll(void)
{
	arch_irqstate s = arch_irq_save();

	now_ns += 10000;
	fire_if_due();
	arch_irq_restore(s);
}

void arch_idle(void)
{
	if (deadline_ns) {	/* everyone sleeps: jump to the deadline */
		if (now_ns < deadline_ns)
			now_ns = deadline_ns;
		fire_if_due();
		return;
	}
	fuzz_session_step();	/* returns once it delivered an event */
}

int arch_entropy(void *buf, size_t n)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned char *p = buf;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p[i] = (unsigned char)x;
	}
	return 0;
}

_Noreturn void arch_halt(int status)
{
	fprintf(stderr, "9p server fuzz: the kernel halted with status %d (a panic is 99); "
	        "run with FUZZ_ECHO=1 to see its console\n", status);
	abort();
}

long arch_conn_send(int conn, const void *buf, size_t n)
{
	return fuzz_conn_send(conn, buf, n);
}

void arch_conn_close(int conn) { fuzz_conn_close(conn); }
void arch_conn_pause(int conn, int paused) { fuzz_conn_pause(conn, paused); }

/* No block devices here: the fuzzed server never reaches a store. */
int arch_blk_info(int dev, struct arch_blk_info *info)
{
	(void)dev, (void)info;
	return E_NOTSUP;
}

int arch_blk_submit(int dev, int op, uint64_t sector, void *buf, uint32_t nsect, void *cookie)
{
	(void)dev, (void)op, (void)sector, (void)buf, (void)nsect, (void)cookie;
	return E_NOTSUP;
}

int arch_conn_simulate(const struct arch_conn_sim *sim)
{
	(void)sim;
	return -1;	/* the session driver already plays the peer */
}

int arch_conn_dial(const char *addr)
{
	(void)addr;
	return E_NOCONN;	/* the session's only peer is the one it plays */
}

/* Offloaded work runs in place here (arch v9). */
/* The session never boots a service run (arch v10). */
void arch_serving(void) {}

int arch_offload(void (*fn)(void *), void *arg, void *cookie)
{
	(void)fn;
	(void)arg;
	(void)cookie;
	return E_NOTSUP;
}

/* No PCI here (<lux/arch.h> v15): /dev/pci says "no pci devices". */
int arch_pci_dev(int i, struct arch_pci_dev *d)
{
	(void)i;
	(void)d;
	return E_NOENT;
}

/* No memory map here (<lux/arch.h> v16): /dev/memmap says "no memory map". */
int arch_memrange(int i, struct arch_memrange *r)
{
	(void)i;
	(void)r;
	return E_NOENT;
}
