/*
 * archtest: a stand-in core for the x86_64 arch, linked instead of the
 * real core into a second UEFI image (archtest.img).  It exercises every
 * function of <lux/arch.h> the arch implements and prints its findings in
 * the core's own output format (banner "Lux9 ", "self-check: " lines, the
 * "lux% " prompt), so the same runner and test scripts drive both images.
 *
 * Its shell knows: echo WORDS, halt [N], time, fault (read an unmapped
 * address: page fault), ud (invalid opcode), and it exists to give the
 * boot tests a way to provoke a CPU exception without a crash command in
 * the real shell.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <lux/arch.h>
#include <lux/upcall.h>

/* Arch internals this test reports: clock rates, ExitBootServices tries,
 * page-table entries. */
#include "cpu.h"
#include "x86.h"

/* The compiler may emit these; the real kernel gets them from the libc
 * shim, which this image does not link. */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *
memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *
memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp < sp)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

void *
memset(void *d, int c, size_t n)
{
	unsigned char *dp = d;

	while (n--)
		*dp++ = (unsigned char)c;
	return d;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *ap = a, *bp = b;

	for (; n; n--, ap++, bp++)
		if (*ap != *bp)
			return *ap - *bp;
	return 0;
}

/* The arch's own printf serves the stand-in core too. */
#define say x86_printf

void
lux_panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	arch_irq_save();
	va_start(ap, fmt);
	x86_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	say("\npanic: %s\n", buf);
	arch_halt(2);
}

/* ---- upcalls ----------------------------------------------------------- */

/* Console input: the line being typed, and completed lines waiting for
 * the shell (type-ahead from a pipe arrives all at once). */
#define NLINES 8
static char cur[128];
static size_t curlen;
static char lines[NLINES][128];
static volatile unsigned lhead, ltail;	/* ltail - lhead lines queued */
static volatile unsigned timer_fired;
static volatile uint64_t fired_at;	/* arch_time_ns() of the last upcall */
static volatile int preempting;		/* check_preempt is running */
static volatile int slice_due;		/* its time slice ran out */

void
lux_console_input(const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\n') {
			arch_console_write("\n", 1);
			if (ltail - lhead < NLINES) {
				memcpy(lines[ltail % NLINES], cur, curlen);
				lines[ltail % NLINES][curlen] = '\0';
				ltail++;
			}
			curlen = 0;
		} else if ((c == 0x7F || c == 0x08) && curlen > 0) {
			curlen--;
			arch_console_write("\b \b", 3);
		} else if (c >= ' ' && curlen + 1 < sizeof cur) {
			cur[curlen++] = c;
			arch_console_write(&c, 1);
		}
	}
}

size_t
lux_console_room(void)
{
	return ltail - lhead < NLINES ? sizeof cur : 0;
}

void
lux_timer_expired(void)
{
	timer_fired++;
	fired_at = arch_time_ns();
	if (preempting) {
		slice_due = 1;
		arch_timer_arm(fired_at + 500000);
	}
	/* Trash every XMM register, as compiled C in a handler may: the
	 * interrupted code's must come back intact (fxsave in trap.S). */
	__asm__ volatile(
	    "pcmpeqd %%xmm0, %%xmm0\n\t"
	    "pcmpeqd %%xmm1, %%xmm1\n\t"
	    "pcmpeqd %%xmm7, %%xmm7\n\t"
	    "pcmpeqd %%xmm8, %%xmm8\n\t"
	    "pcmpeqd %%xmm15, %%xmm15\n\t"
	    "ldmxcsr %0"
	    : : "m"((uint32_t){ 0x7F80 })
	    : "xmm0", "xmm1", "xmm7", "xmm8", "xmm15");
}

/* ---- preemption from the timer interrupt ---------------------------------
 * Two worker contexts share the CPU in 0.5 ms slices: the timer upcall
 * marks the slice over and lux_preempt, called by the arch at the end of
 * the interrupt, switches to the other worker from inside the interrupt
 * handler, on the interrupted worker's stack.  Each worker keeps running
 * sums in XMM registers and its own MXCSR rounding mode; the handler
 * trashes both (lux_timer_expired), so only trap.S's fxsave/fxrstor and
 * the switch's MXCSR save keep them right. */
static arch_ctx pw_ctx[2], pm_ctx;
static _Alignas(16) uint8_t pw_stack[2][16384];
static volatile int pw_cur;
static volatile unsigned pw_switches, pw_rounds[2], pw_bad[2];
static volatile unsigned pw_iters = 20000;

#define PW_SWITCHES 40

void
lux_preempt(void)
{
	int from = pw_cur, to = !pw_cur;

	if (!preempting || !slice_due)
		return;
	slice_due = 0;
	pw_cur = to;
	pw_switches++;
	arch_ctx_switch(&pw_ctx[from], &pw_ctx[to]);
}

/* No procs here: a fault in a guard page is never a proc's. */
int
lux_stack_owner(uintptr_t addr, const char **name, uintptr_t *stack)
{
	(void)addr;
	(void)name;
	(void)stack;
	return -1;
}

static void
pworker(void *arg)
{
	int me = (int)(uintptr_t)arg;
	uint32_t mode = me ? 0x7F80 : 0x1F80, m;

	__asm__ volatile("ldmxcsr %0" : : "m"(mode));
	while (pw_switches < PW_SWITCHES) {
		double acc = 0;
		uint64_t isum = 0;
		unsigned i, n = pw_iters;

		for (i = 0; i < n; i++) {
			acc += (double)(i & 1023) * 0.5;
			isum += i & 1023;
		}
		__asm__ volatile("stmxcsr %0" : "=m"(m));
		if (acc != (double)isum * 0.5 || m != mode)
			pw_bad[me]++;
		pw_rounds[me]++;
	}
	arch_irq_save();		/* the main context turns them back on */
	preempting = 0;
	arch_timer_arm(0);
	arch_ctx_switch(&pw_ctx[me], &pm_ctx);
	for (;;)
		;			/* never switched to again */
}

void lux_conn_opened(int conn, const struct lux_peer *peer);
size_t lux_conn_room(int conn);
void lux_conn_received(int conn, const void *buf, size_t n);
void lux_conn_closed(int conn);
void lux_conn_sent(int conn, size_t queued);
void lux_blk_done(void *cookie, int err);
void lux_conn_opened(int conn, const struct lux_peer *peer) { (void)conn; (void)peer; }
size_t lux_conn_room(int conn) { (void)conn; return 0; }
void lux_conn_received(int conn, const void *buf, size_t n)
{ (void)conn; (void)buf; (void)n; }
void lux_conn_closed(int conn) { (void)conn; }
void lux_conn_sent(int conn, size_t queued) { (void)conn; (void)queued; }
void lux_blk_done(void *cookie, int err) { (void)cookie; (void)err; }

/* ---- checks ------------------------------------------------------------ */

static int failures;

static void
check(int ok, const char *what, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	x86_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	say("self-check: %s %s: %s\n", what, ok ? "ok" : "FAILED", buf);
	if (!ok)
		failures++;
}

static void
spin_ns(uint64_t ns)
{
	uint64_t end = arch_time_ns() + ns;

	while (arch_time_ns() < end)
		;
}

static void
check_time(void)
{
	uint64_t a = arch_time_ns(), b, up;
	int64_t w = arch_wallclock_ns();
	int mono = 1, i;

	for (i = 0; i < 100000; i++) {
		b = arch_time_ns();
		if (b < a)
			mono = 0;
		a = b;
	}
	up = arch_time_ns();
	spin_ns(1000000);
	b = arch_time_ns() - up;
	/* The upper bound is loose: the host may deschedule QEMU. */
	check(mono && b >= 1000000 && b < 50000000 &&
	    w > 1600000000ll * 1000000000, "time",
	    "uptime %lu us, monotonic, 1 ms spin measured %lu ns, "
	    "wall clock %ld s since 1970", up / 1000, b, w / 1000000000);
}

/* Wait for the timer, idling.  The check runs with interrupts off so a
 * timer interrupt between it and the hlt cannot be missed (arch_idle
 * enables them atomically with hlt).  A timer that never fires would hang
 * here: the 500 ms bound is for a timer that fires wrongly. */
static int
wait_fired(unsigned want, uint64_t limit_ns)
{
	uint64_t end = arch_time_ns() + limit_ns;
	arch_irqstate s = arch_irq_save();

	while (timer_fired < want && arch_time_ns() < end)
		arch_idle();
	arch_irq_restore(s);
	return timer_fired >= want;
}

static void
check_timer(void)
{
	uint64_t t0, late, worst = 0, best = ~0ull;
	uint64_t keep = 0x0123456789ABCDEFull, seen;
	arch_irqstate s;
	unsigned i, f0;
	uint32_t mxcsr;

	/* One-shot deadlines: fire once, not before the deadline. */
	for (i = 0; i < 5; i++) {
		f0 = timer_fired;
		t0 = arch_time_ns() + 2000000;
		arch_timer_arm(t0);
		if (!wait_fired(f0 + 1, 500000000)) {
			check(0, "timer", "2 ms deadline never fired");
			return;
		}
		late = arch_time_ns() - t0;
		if ((int64_t)late < 0) {
			check(0, "timer", "fired %ld ns early", -(int64_t)late);
			return;
		}
		if (late > worst)
			worst = late;
		if (late < best)
			best = late;
	}
	spin_ns(5000000);
	if (timer_fired != f0 + 1) {
		check(0, "timer", "one-shot fired %u times", timer_fired - f0);
		return;
	}
	/* A past deadline fires at once; 0 disarms. */
	f0 = timer_fired;
	arch_timer_arm(1);
	if (!wait_fired(f0 + 1, 100000000)) {
		check(0, "timer", "past deadline did not fire");
		return;
	}
	/* Disarm after the countdown ran out but before its interrupt was
	 * taken: the pending interrupt must not become an upcall.  Then
	 * re-arm the same way: only the second deadline fires.  Interrupts
	 * are off around each pair, so a descheduled vCPU cannot make the
	 * first deadline fire legitimately. */
	f0 = timer_fired;
	s = arch_irq_save();
	arch_timer_arm(arch_time_ns() + 1000000);
	spin_ns(2000000);
	arch_timer_arm(0);
	arch_irq_restore(s);
	spin_ns(3000000);
	if (timer_fired != f0) {
		check(0, "timer", "the interrupt of a disarmed deadline became "
		    "an upcall");
		return;
	}
	s = arch_irq_save();
	arch_timer_arm(arch_time_ns() + 1000000);
	spin_ns(2000000);
	t0 = arch_time_ns() + 3000000;
	arch_timer_arm(t0);
	arch_irq_restore(s);
	if (!wait_fired(f0 + 1, 500000000) || fired_at < t0) {
		check(0, "timer", "re-armed deadline: %s",
		    timer_fired == f0 ? "never fired" :
		    "the replaced deadline's interrupt became an upcall");
		return;
	}
	spin_ns(6000000);
	if (timer_fired != f0 + 1) {
		check(0, "timer", "re-armed deadline: %u upcalls, want 1",
		    timer_fired - f0);
		return;
	}
	/* arch_idle called with interrupts on, after an upcall slipped in
	 * since the last idle (the core's check-then-idle pattern), must not
	 * sleep through it.  A 200 ms safety deadline ends a wrong sleep. */
	f0 = timer_fired;
	arch_timer_arm(arch_time_ns() + 1000000);
	/* wait (spinning, interrupts on) until it has fired: on a loaded host
	 * TCG can deliver it well after 1 ms, and re-arming first would
	 * replace it, making the idle below rightly sleep */
	{
		uint64_t end = arch_time_ns() + 2000000000ull;
		while (timer_fired == f0 && arch_time_ns() < end)
			spin_ns(100000);	/* not arch_idle: that would consume the upcall */
		if (timer_fired == f0) {
			check(0, "timer", "a 1 ms one-shot never fired");
			return;
		}
	}
	arch_timer_arm(arch_time_ns() + 200000000);
	t0 = arch_time_ns();
	arch_idle();
	late = arch_time_ns() - t0;
	arch_timer_arm(0);
	if (timer_fired != f0 + 1 || late > 100000000) {
		check(0, "timer", "arch_idle slept %lu us through an upcall "
		    "delivered before it", late / 1000);
		return;
	}
	/* XMM registers and MXCSR survive an interrupt whose handler
	 * trashes them. */
	f0 = timer_fired;
	__asm__ volatile("movq %0, %%xmm7" : : "r"(keep) : "xmm7");
	arch_timer_arm(arch_time_ns() + 1000000);
	__asm__ volatile("cli");
	while (timer_fired == f0)
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	__asm__ volatile("sti");
	__asm__ volatile("movq %%xmm7, %0; stmxcsr %1"
	    : "=r"(seen), "=m"(mxcsr));
	check(seen == keep && mxcsr == 0x1F80, "timer",
	    "one-shot 2 ms x 5 late by %lu-%lu us, past deadline "
	    "immediate, disarm and re-arm exact with a stale interrupt pending, "
	    "idle after an upcall returns, xmm7 %s and MXCSR 0x%x "
	    "across the interrupt", best / 1000, worst / 1000,
	    seen == keep ? "kept" : "LOST", mxcsr);
}

/* ---- contexts ---------------------------------------------------------- */

static arch_ctx main_ctx, a_ctx;
static _Alignas(16) uint8_t a_stack[16384];
static volatile unsigned pings;
static volatile uint64_t a_sp_mod16;
static volatile double a_result;

static void
ctx_a(void *arg)
{
	uint32_t mxcsr = 0x7F80;	/* round toward zero: a's own mode */
	volatile double x = 1.0;

	/* The frame address is rsp - 8 at entry (after push rbp), and
	 * SysV wants rsp + 8 at entry 16-byte aligned. */
	a_sp_mod16 = ((uintptr_t)__builtin_frame_address(0) + 16) % 16;
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	for (;;) {
		x = x / 3.0;
		a_result = x * 3.0;
		pings += (unsigned)(uintptr_t)arg;
		arch_ctx_switch(&a_ctx, &main_ctx);
	}
}

static void
check_ctx(void)
{
	uint32_t mxcsr;
	uint64_t t0, t1;
	unsigned i, n = 20000;
	uint64_t rbx_before = 0xB0B0B0B0, rbx_after;

	arch_ctx_init(&a_ctx, a_stack, sizeof a_stack, ctx_a, (void *)1);
	__asm__ volatile("movq %0, %%rbx" : : "r"(rbx_before) : "rbx");
	arch_ctx_switch(&main_ctx, &a_ctx);
	__asm__ volatile("movq %%rbx, %0" : "=r"(rbx_after));
	t0 = arch_time_ns();
	for (i = 0; i < n; i++)
		arch_ctx_switch(&main_ctx, &a_ctx);
	t1 = arch_time_ns();
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	check(pings == n + 1 && mxcsr == 0x1F80 && a_sp_mod16 == 0,
	    "context", "%u round trips, %lu ns per switch, entry stack "
	    "%saligned, MXCSR 0x%x kept (other context 0x7f80)",
	    pings, (t1 - t0) / (2 * n), a_sp_mod16 == 0 ? "" : "MIS",
	    mxcsr);
	(void)rbx_after;
}

static void
check_preempt(void)
{
	arch_irqstate s;
	uint64_t t0 = arch_time_ns();

	arch_ctx_init(&pw_ctx[0], pw_stack[0], sizeof pw_stack[0], pworker,
	    (void *)0);
	arch_ctx_init(&pw_ctx[1], pw_stack[1], sizeof pw_stack[1], pworker,
	    (void *)1);
	s = arch_irq_save();
	preempting = 1;
	arch_timer_arm(arch_time_ns() + 500000);
	arch_ctx_switch(&pm_ctx, &pw_ctx[0]);
	arch_irq_restore(s);
	check(pw_switches >= PW_SWITCHES && pw_rounds[0] && pw_rounds[1] &&
	    !pw_bad[0] && !pw_bad[1], "preempt",
	    "%u switches inside the timer interrupt in %lu ms, %u + %u rounds "
	    "of XMM sums, %u + %u wrong, MXCSR kept per context",
	    pw_switches, (arch_time_ns() - t0) / 1000000, pw_rounds[0],
	    pw_rounds[1], pw_bad[0], pw_bad[1]);
}

static void
check_entropy(const struct lux_boot *b)
{
	uint8_t x[32], y[32];
	int ra = arch_entropy(x, sizeof x), rb = arch_entropy(y, sizeof y);
	int same = memcmp(x, y, sizeof x) == 0;

	check(ra == 0 && rb == 0 && !same && (b->caps & LUX_CAP_ENTROPY),
	    "entropy", "%s, two 32-byte reads %s, first bytes %02x%02x%02x%02x",
	    b->entropy_source, same ? "EQUAL" : "differ", x[0], x[1], x[2],
	    x[3]);
}

/* The page tables as paging.c promises them, read back from the live
 * tables (paging_pte), and a context's guard page: unmapped by
 * arch_ctx_init, mapped again by arch_ctx_destroy (the core frees the run
 * right after, and its allocator writes into it).  The faults themselves
 * are the kernel's boot tests (boot-x86_64-fault-*): each ends a boot. */
extern char _text[], _rodata[];
static _Alignas(4096) uint8_t guarded_stack[4 * 4096];
static arch_ctx guarded_ctx;

static int
perm(uintptr_t va, uint64_t want)
{
	return (paging_pte(va) & (PTE_P | PTE_W | PTE_NX)) == want;
}

static void
check_paging(void)
{
	uintptr_t g = (uintptr_t)guarded_stack;
	int page0 = paging_pte(0) == 0 && paging_pte(4096) != 0;
	int text = perm((uintptr_t)_text, PTE_P);
	int ro = perm((uintptr_t)_rodata, PTE_P | PTE_NX);
	int rw = perm((uintptr_t)&failures, PTE_P | PTE_W | PTE_NX);
	int regs = (read_cr0() & (1ul << 16)) && (rdmsr(0xC0000080) & (1ull << 11));
	int guard, back;

	arch_ctx_init(&guarded_ctx, guarded_stack, sizeof guarded_stack,
	    (void (*)(void *))0, 0);
	guard = paging_pte(g) == 0 && perm(g + 4096, PTE_P | PTE_W | PTE_NX);
	arch_ctx_destroy(&guarded_ctx);
	back = perm(g, PTE_P | PTE_W | PTE_NX);
	check(page0 && text && ro && rw && regs && guard && back &&
	    paging_reclaimed() > 0, "paging",
	    "page 0 %s, text %s, rodata %s, data %s, CR0.WP+EFER.NXE %s, a "
	    "context's guard page %s and %s after destroy, %lu KiB of boot-"
	    "services memory reclaimed", page0 ? "unmapped" : "MAPPED",
	    text ? "r-x" : "WRONG", ro ? "r-- NX" : "WRONG",
	    rw ? "rw- NX" : "WRONG", regs ? "on" : "OFF",
	    guard ? "unmapped" : "NOT unmapped", back ? "mapped" : "NOT mapped",
	    paging_reclaimed() >> 10);
}

static void
check_boot(const struct lux_boot *b)
{
	uint64_t total = 0;
	size_t i;
	int aligned = 1;

	for (i = 0; i < b->nregions; i++) {
		total += b->regions[i].len;
		if ((b->regions[i].base | b->regions[i].len) & 4095 ||
		    b->regions[i].base < 0x100000)
			aligned = 0;
	}
	check(b->version == LUX_ARCH_VERSION && aligned && total > (64u << 20) &&
	    (b->caps & LUX_CAP_CONSOLE_RAW), "boot",
	    "version %u, %lu regions, %lu MiB free, page-aligned above 1 MiB, "
	    "ExitBootServices on try %u, TSC %lu kHz, LAPIC timer %lu kHz",
	    b->version, (unsigned long)b->nregions, total >> 20,
	    x86_bootinfo.exit_tries, tsc_hz() / 1000,
	    lapic_timer_hz() / 1000);
}

/* ---- shell ------------------------------------------------------------- */

static int
starts(const char *s, const char *p)
{
	while (*p)
		if (*s++ != *p++)
			return 0;
	return 1;
}

static void
run(const char *line)
{
	if (starts(line, "echo ")) {
		say("%s\n", line + 5);
	} else if (starts(line, "halt")) {
		int st = 0;
		const char *p = line + 4;

		while (*p == ' ')
			p++;
		while (*p >= '0' && *p <= '9')
			st = st * 10 + (*p++ - '0');
		arch_halt(st);
	} else if (starts(line, "time")) {
		say("uptime %lu ns, wall %ld ns\n", arch_time_ns(),
		    arch_wallclock_ns());
	} else if (starts(line, "fault")) {
		say("reading 0x7f0000000000\n");
		say("got %lx\n", *(volatile uint64_t *)0x7f0000000000ull);
	} else if (starts(line, "ud")) {
		__asm__ volatile("ud2");
	} else if (line[0]) {
		say("%s: unknown command\n", line);
	}
}

void
lux_main(const struct lux_boot *b)
{
	uint64_t t0 = arch_time_ns();
	arch_irqstate s;

	say("Lux9 archtest (the x86_64 arch alone, no core) on %s: %s\n",
	    b->arch_name, b->arch_detail);
	say("arch bring-up: lux_main entered %lu us after efi_main\n",
	    t0 / 1000);
	check_boot(b);
	check_time();
	check_timer();
	check_ctx();
	check_preempt();
	check_entropy(b);
	check_paging();
	say("self-check: %s (%lu us)\n", failures ? "FAILED" : "passed",
	    (arch_time_ns() - t0) / 1000);
	for (;;) {
		char line[128];

		say("lux%% ");
		s = arch_irq_save();
		while (ltail == lhead)
			arch_idle();
		memcpy(line, lines[lhead % NLINES], sizeof line);
		lhead++;
		arch_irq_restore(s);
		run(line);
	}
}
