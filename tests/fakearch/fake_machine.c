/*
 * The fake machine under the core for the unit tests and the 9P server
 * fuzzer (fake_machine.h): the whole of <lux/arch.h> over plain memory and
 * hooks.  arch_ctx_init and arch_ctx_switch are arch-hosted's own
 * (context.c and switch_x86_64.S), so procs switch stacks for real.  No
 * test framework here: the unit tests' CMocka helpers are
 * tests/unit/fake_unit.c, the fuzzer's session tests/../fuzz/9p_server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lux/arch.h>
#include <lux/cons.h>
#include <lux/error.h>
#include <lux/lockdep.h>
#include <lux/page.h>
#include <lux/proc.h>
#include <lux/upcall.h>

#include "fake_machine.h"

/* fake_context.c calls this when a new context starts (see arch_ctx_init). */
void hosted_irq_enable(void);

/* ---- Console ---------------------------------------------------------- */

static char console[FAKE_CONSOLE_SIZE + 1];
static size_t console_len;
size_t fake_console_lost;

void arch_console_write(const char *buf, size_t n)
{
	size_t room = FAKE_CONSOLE_SIZE - console_len;
	size_t take = n < room ? n : room;

	memcpy(console + console_len, buf, take);
	console_len += take;
	console[console_len] = 0;
	fake_console_lost += n - take;
	if (getenv("FAKE_ARCH_ECHO") || getenv("FUZZ_ECHO"))	/* debugging by hand */
		fwrite(buf, 1, n, stderr);
}

const char *fake_console_text(void) { return console; }
size_t fake_console_len(void) { return console_len; }

void fake_console_clear(void)
{
	console_len = 0;
	console[0] = 0;
	fake_console_lost = 0;
}

/* ---- Time ------------------------------------------------------------- */

uint64_t fake_time_ns;
bool fake_clock_runs;
int64_t fake_wallclock_ns = -1;
uint64_t fake_timer_deadline;
unsigned fake_timer_arms;

uint64_t arch_time_ns(void) { return fake_time_ns; }
int64_t arch_wallclock_ns(void)
{
	if (fake_wallclock_ns < 0)
		return -1;	/* not known */
	return fake_wallclock_ns + (fake_clock_runs ? (int64_t)fake_time_ns : 0);
}

void arch_timer_arm(uint64_t deadline_ns)
{
	fake_timer_deadline = deadline_ns;
	fake_timer_arms++;
}

void fake_timer_fire(void)
{
	arch_irqstate s = arch_irq_save();

	lux_timer_expired();
	arch_irq_restore(s);
}

/* ---- Upcalls ---------------------------------------------------------- */

static unsigned long irq_disabled;

arch_irqstate arch_irq_save(void)
{
	arch_irqstate s = irq_disabled;

	irq_disabled = 1;
	return s;
}

void arch_irq_restore(arch_irqstate s) { irq_disabled = s; }
void hosted_irq_enable(void) { irq_disabled = 0; }
unsigned long fake_irq_disabled(void) { return irq_disabled; }

/* ---- Memory ----------------------------------------------------------- */

static void *blocks[64];
static size_t nblocks;

void *fake_mem(size_t bytes)
{
	void *p = aligned_alloc(PAGE_SIZE, ROUNDUP(bytes, PAGE_SIZE));

	if (p == 0 || nblocks == sizeof blocks / sizeof blocks[0]) {
		fprintf(stderr, "fake_mem: cannot allocate %zu bytes\n", bytes);
		abort();
	}
	blocks[nblocks++] = p;	/* reachable for LeakSanitizer */
	return p;
}

size_t fake_boot(size_t pages, bool raw)
{
	struct lux_memregion r = { (uintptr_t)fake_mem(pages * PAGE_SIZE), pages * PAGE_SIZE };

	/* unit tests are sanitizer builds: they check lock order as luxsim does */
	lockdep_enable(true);
	cons_init(raw);
	return page_init(&r, 1);
}

/* ---- Dialed connections: a scripted peer ------------------------------ */

int (*fake_dial_hook)(const char *addr);
void (*fake_send_hook)(int conn, const void *buf, size_t n);
unsigned fake_dials, fake_closes;

enum { EV_CONNECTED, EV_DATA, EV_CLOSED };

struct peer_ev {
	struct peer_ev *next;
	int kind, conn, err;
	size_t n;
	unsigned char data[];
};

static struct peer_ev *evhead, **evtail = &evhead;
static int next_dial_id = 100;

/* A dialed id's life: CONNECTING until its connected event is delivered,
 * UP, CLOSING once the core closed it (the closed upcall still to come). */
enum { ID_FREE, ID_CONNECTING, ID_UP, ID_CLOSING };
static struct { int id, state; } ids[64];

static void peer_queue(int kind, int conn, int err, const void *buf, size_t n)
{
	struct peer_ev *e = malloc(sizeof *e + n);

	if (e == 0)
		abort();
	e->next = 0;
	e->kind = kind;
	e->conn = conn;
	e->err = err;
	e->n = n;
	if (n)
		memcpy(e->data, buf, n);
	*evtail = e;
	evtail = &e->next;
}

static int *id_state(int conn)
{
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (ids[i].state != ID_FREE && ids[i].id == conn)
			return &ids[i].state;
	return 0;
}

void fake_peer_send(int conn, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {	/* the contract: at most LUX_CONN_CHUNK per upcall */
		size_t k = n < LUX_CONN_CHUNK ? n : LUX_CONN_CHUNK;
		peer_queue(EV_DATA, conn, 0, p, k);
		p += k;
		n -= k;
	}
}

void fake_peer_hangup(int conn)
{
	peer_queue(EV_CLOSED, conn, 0, 0, 0);
}

/* Deliver one queued event as an arch would (upcalls off).  Events for a
 * connection that is gone, or that the core closed, are dropped, as a
 * real socket would drop them; the core's close ends in one closed. */
static bool fake_peer_deliver(void)
{
	struct peer_ev *e = evhead;
	arch_irqstate s;
	int *st;

	if (e == 0)
		return false;
	if ((evhead = e->next) == 0)
		evtail = &evhead;
	st = id_state(e->conn);
	s = arch_irq_save();
	if (st && e->kind == EV_CONNECTED) {
		int err = *st == ID_CLOSING ? E_INTR : e->err;
		*st = err < 0 ? ID_FREE : ID_UP;
		lux_dial_connected(e->conn, err);
	} else if (st && *st == ID_UP && e->kind == EV_DATA) {
		lux_dial_received(e->conn, e->data, e->n);
	} else if (st && *st != ID_CONNECTING && e->kind == EV_CLOSED &&
	           (*st == ID_UP || e->err == 1)) {
		*st = ID_FREE;
		lux_dial_closed(e->conn);
	}
	arch_irq_restore(s);
	free(e);
	return true;
}

int fake_dial_now;

int arch_conn_dial(const char *addr)
{
	int err = fake_dial_hook ? fake_dial_hook(addr) : E_UNREACH;

	if (fake_dial_now < 0)
		return fake_dial_now;	/* refused at once, no connection made */

	fake_dials++;
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (ids[i].state == ID_FREE) {
			ids[i].id = next_dial_id++;
			ids[i].state = ID_CONNECTING;
			peer_queue(EV_CONNECTED, ids[i].id, err, 0, 0);
			return ids[i].id;
		}
	return E_MFILE;
}

/* ---- Idle and the scheduler ------------------------------------------- */

bool (*fake_idle_hook)(void);
unsigned fake_idle_calls;
static jmp_buf idle_env;
static bool idle_armed;

/* With the clock running (the fuzzer), the timer fires once time passes
 * its deadline; upcalls off, as an arch delivers it. */
static void fire_if_due(void)
{
	if (fake_timer_deadline && fake_time_ns >= fake_timer_deadline) {
		fake_timer_deadline = 0;
		lux_timer_expired();
	}
}

/* A preemption point: with the clock running, 10 us pass (as luxsim
 * --seed counts them); otherwise the tests drive time themselves. */
void arch_poll(void)
{
	arch_irqstate s;

	if (!fake_clock_runs)
		return;
	s = arch_irq_save();
	fake_time_ns += 10000;
	fire_if_due();
	arch_irq_restore(s);
}

void arch_idle(void)
{
	if (!irq_disabled)
		lux_panic("arch_idle called with upcalls enabled (the contract wants them off)");
	fake_idle_calls++;
	if (fake_peer_deliver())
		return;
	if (fake_clock_runs && fake_timer_deadline) {	/* everyone sleeps: to the deadline */
		if (fake_time_ns < fake_timer_deadline)
			fake_time_ns = fake_timer_deadline;
		fire_if_due();
		return;
	}
	if (fake_idle_hook && fake_idle_hook())
		return;
	if (!idle_armed)
		lux_panic("fake arch_idle: the idle loop runs outside fake_run_in_proc");
	idle_armed = false;
	longjmp(idle_env, 1);
}

struct runarg {
	void (*fn)(void *);
	void *arg;
	bool finished;
};

static void run_entry(void *a)
{
	struct runarg *r = a;

	r->fn(r->arg);
	r->finished = true;
}

/*
 * The boot context becomes the core's idle loop, as in lux_main; when the
 * loop has nothing to run and the hook nothing to deliver, arch_idle
 * longjmps back here.  That jump stays on the boot stack (the idle loop
 * runs on it), so no stack is abandoned.  The proc is detached, so the
 * idle loop reaps it (frees its stack and struct) before it goes idle.
 */
bool fake_run_in_proc(void (*fn)(void *), void *arg)
{
	static struct runarg r;
	static size_t before;

	r = (struct runarg){ fn, arg, false };
	before = proc_count();
	if (proc_create("unit", PRIO_NORMAL, run_entry, &r, PROC_DETACHED) == 0)
		return false;
	if (setjmp(idle_env) == 0) {
		idle_armed = true;
		sched_idle_loop();
	}
	irq_disabled = 0;	/* we left the idle loop inside arch_idle, upcalls off */
	fake_idle_hook = 0;
	if (!r.finished || proc_count() != before || curproc() != 0)
		return false;
	return true;
}

/* ---- Entropy and halt ------------------------------------------------- */

int (*fake_entropy_hook)(void *buf, size_t n);

int arch_entropy(void *buf, size_t n)
{
	unsigned char *p = buf;

	if (fake_entropy_hook)
		return fake_entropy_hook(buf, n);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 131 + 7);	/* deterministic: tests only */
	return 0;
}

jmp_buf fake_halt_env;
bool fake_halt_armed;
int fake_halt_status;

_Noreturn void arch_halt(int status)
{
	if (fake_halt_armed) {
		fake_halt_armed = false;
		fake_halt_status = status;
		longjmp(fake_halt_env, 1);
	}
	fprintf(stderr, "fake arch: the kernel halted with status %d (a panic is 99) outside "
	        "EXPECT_PANIC; console:\n%s\n", status, console);
	abort();
}

long (*fake_conn_send_hook)(int conn, const void *buf, size_t n);
void (*fake_conn_close_hook)(int conn);
void (*fake_conn_pause_hook)(int conn, int paused);

long arch_conn_send(int conn, const void *buf, size_t n)
{
	int *st = id_state(conn);

	if (st == 0 && fake_conn_send_hook)
		return fake_conn_send_hook(conn, buf, n);	/* a served connection */
	if (st == 0 || *st != ID_UP)
		return -1;
	if (fake_send_hook)
		fake_send_hook(conn, buf, n);
	return 0;	/* the peer takes everything at once */
}

void arch_conn_close(int conn)
{
	int *st = id_state(conn);

	if (st == 0 && fake_conn_close_hook) {
		fake_conn_close_hook(conn);	/* a served connection */
		return;
	}
	if (st == 0 || *st == ID_CLOSING)
		return;
	fake_closes++;
	if (*st == ID_CONNECTING) {	/* its connected event says E_INTR */
		*st = ID_CLOSING;
		return;
	}
	*st = ID_CLOSING;	/* no more sends; the closed upcall still comes */
	peer_queue(EV_CLOSED, conn, 1, 0, 0);	/* err 1: the core's own close */
}
void arch_conn_pause(int conn, int paused)
{
	if (id_state(conn) == 0 && fake_conn_pause_hook)
		fake_conn_pause_hook(conn, paused);
}
/* No simulated peers in unit tests (the net scenario is luxsim's). */
int arch_conn_simulate(const struct arch_conn_sim *sim) { (void)sim; return -1; }

/* ---- Block devices (arch v12) ------------------------------------------ */

uint64_t fake_blk_sectors;
uint32_t fake_blk_inflight = 4;
int fake_blk_fail_next;
unsigned fake_blk_submits, fake_blk_most_pending;
static uint8_t *blk_medium;
static size_t blk_medium_sectors;
static struct fake_blk_req { int op; uint64_t sector; void *buf; uint32_t nsect; void *cookie; }
	blk_pending[64];
static size_t blk_npending;

int arch_blk_info(int dev, struct arch_blk_info *info)
{
	if (dev != 0 || fake_blk_sectors == 0)
		return E_NOENT;
	if (blk_medium_sectors != fake_blk_sectors) {	/* a new device: all zeros */
		free(blk_medium);
		blk_medium = calloc(fake_blk_sectors, FAKE_BLK_SECTOR);
		blk_medium_sectors = fake_blk_sectors;
	}
	info->sectors = fake_blk_sectors;
	info->sector_size = FAKE_BLK_SECTOR;
	info->inflight = fake_blk_inflight;
	info->name = "fakeblk0";
	info->created = 0;
	return 0;
}

int arch_blk_submit(int dev, int op, uint64_t sector, void *buf, uint32_t nsect, void *cookie)
{
	if (dev != 0 || fake_blk_sectors == 0)
		return E_NOENT;
	if (op == ARCH_BLK_FLUSH ? (sector || nsect)
	    : (op != ARCH_BLK_READ && op != ARCH_BLK_WRITE) || nsect == 0 ||
	      nsect > ARCH_BLK_MAXSECT || sector > fake_blk_sectors || nsect > fake_blk_sectors - sector)
		return E_INVAL;
	if (blk_npending >= fake_blk_inflight || blk_npending == sizeof blk_pending / sizeof blk_pending[0])
		return E_MFILE;
	blk_pending[blk_npending++] = (struct fake_blk_req){ op, sector, buf, nsect, cookie };
	fake_blk_submits++;
	if (blk_npending > fake_blk_most_pending)
		fake_blk_most_pending = (unsigned)blk_npending;
	return 0;
}

size_t fake_blk_pending(void) { return blk_npending; }

bool fake_blk_finish_one(void)
{
	struct fake_blk_req r;
	int err = 0;

	if (blk_npending == 0)
		return false;
	r = blk_pending[0];
	memmove(blk_pending, blk_pending + 1, --blk_npending * sizeof blk_pending[0]);
	if (fake_blk_fail_next) {
		err = fake_blk_fail_next;
		fake_blk_fail_next = 0;
	} else if (r.op == ARCH_BLK_READ) {
		memcpy(r.buf, blk_medium + r.sector * FAKE_BLK_SECTOR, (size_t)r.nsect * FAKE_BLK_SECTOR);
	} else if (r.op == ARCH_BLK_WRITE) {
		memcpy(blk_medium + r.sector * FAKE_BLK_SECTOR, r.buf, (size_t)r.nsect * FAKE_BLK_SECTOR);
	}
	lux_blk_done(r.cookie, err);	/* from arch_idle: upcalls are off */
	return true;
}

uint8_t *fake_blk_medium(void) { return blk_medium; }

/* No unit test boots a service run (arch v10): the integration suite
 * serve_test.py runs luxsim --serve. */
void arch_serving(void) {}

/* Offloaded work (arch v9): in place unless a test installs the hook. */
int (*fake_offload_hook)(void (*fn)(void *), void *arg, void *cookie);

int arch_offload(void (*fn)(void *), void *arg, void *cookie)
{
	return fake_offload_hook ? fake_offload_hook(fn, arg, cookie) : E_NOTSUP;
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
