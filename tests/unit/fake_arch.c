/*
 * The fake arch for the unit tests (see fake_arch.h).  arch_ctx_init and
 * arch_ctx_switch are in fake_context.c, on arch-hosted's switch_x86_64.S,
 * so procs switch stacks for real.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <lux/arch.h>
#include <lux/cons.h>
#include <lux/error.h>
#include <lux/lockdep.h>
#include <lux/dev.h>
#include <lux/ns.h>
#include <lux/page.h>
#include <lux/proc.h>
#include <lux/sysfile.h>
#include <lux/upcall.h>

#include "fake_arch.h"

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
	if (getenv("FAKE_ARCH_ECHO"))	/* for debugging a test by hand */
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
int64_t fake_wallclock_ns = -1;
uint64_t fake_timer_deadline;
unsigned fake_timer_arms;

uint64_t arch_time_ns(void) { return fake_time_ns; }
int64_t arch_wallclock_ns(void) { return fake_wallclock_ns; }

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

int arch_conn_dial(const char *addr)
{
	int err = fake_dial_hook ? fake_dial_hook(addr) : E_UNREACH;

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

/* Procs here are driven by the tests' own hooks: nothing to poll. */
void arch_poll(void)
{
}

void arch_idle(void)
{
	if (!irq_disabled)
		lux_panic("arch_idle called with upcalls enabled (the contract wants them off)");
	fake_idle_calls++;
	if (fake_peer_deliver())
		return;
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

/* ---- Entropy, halt, and the v1 stubs ---------------------------------- */

int arch_entropy(void *buf, size_t n)
{
	unsigned char *p = buf;

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
	fprintf(stderr, "fake arch_halt(%d) outside EXPECT_PANIC; console:\n%s\n", status,
	        console);
	abort();
}

long arch_conn_send(int conn, const void *buf, size_t n)
{
	int *st = id_state(conn);

	if (st == 0 || *st != ID_UP)
		return -1;
	if (fake_send_hook)
		fake_send_hook(conn, buf, n);
	return 0;	/* the peer takes everything at once */
}

void arch_conn_close(int conn)
{
	int *st = id_state(conn);

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
void arch_conn_pause(int conn, int paused) { (void)conn, (void)paused; }
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

/* ---- EXPECT_PANIC plumbing -------------------------------------------- */

static int panic_pipe[2] = { -1, -1 };

pid_t fake_panic_fork(void)
{
	pid_t pid;

	if (pipe(panic_pipe) < 0) {
		perror("fake_panic_fork: pipe");
		abort();
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fake_panic_fork: fork");
		abort();
	}
	if (pid == 0) {
		close(panic_pipe[0]);
		fake_console_clear();
	} else {
		close(panic_pipe[1]);
	}
	return pid;
}

/* In the child: send the console text, then exit with the halt status.
 * _exit: no atexit handlers (LeakSanitizer, cmocka) in the child. */
_Noreturn void fake_panic_child_exit(int status)
{
	const char *p = console;
	size_t n = console_len;

	while (n > 0) {
		ssize_t w = write(panic_pipe[1], p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	_exit(status);
}

void fake_panic_check(pid_t pid, const char *stmt, const char *substr, const char *file,
                      int line)
{
	static char text[FAKE_CONSOLE_SIZE + 1];
	size_t len = 0;
	ssize_t r;
	int wstatus;

	while (len < FAKE_CONSOLE_SIZE &&
	       ((r = read(panic_pipe[0], text + len, FAKE_CONSOLE_SIZE - len)) > 0 ||
	        (r < 0 && errno == EINTR)))
		if (r > 0)
			len += (size_t)r;
	text[len] = 0;
	close(panic_pipe[0]);
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR) {
			print_error("waitpid: %s\n", strerror(errno));
			_fail(file, line);
		}
	if (!WIFEXITED(wstatus)) {
		print_error("%s: the child died of signal %d instead of panicking\n", stmt,
		            WTERMSIG(wstatus));
		_fail(file, line);
	}
	if (WEXITSTATUS(wstatus) == FAKE_NO_PANIC) {
		print_error("%s: returned without a panic; console:\n%s\n", stmt, text);
		_fail(file, line);
	}
	if (WEXITSTATUS(wstatus) != 99) {	/* LUX_PANIC_STATUS */
		print_error("%s: halted with status %d, want 99 (a sanitizer report?); "
		            "console:\n%s\n", stmt, WEXITSTATUS(wstatus), text);
		_fail(file, line);
	}
	if (strstr(text, "panic: ") == 0 || strstr(text, substr) == 0) {
		print_error("%s: panic message lacks \"%s\"; console:\n%s\n", stmt, substr, text);
		_fail(file, line);
	}
}

/* ---- Namespaces -------------------------------------------------------- */

void fake_namespace(void)
{
	struct proc *p = curproc();
	struct chan *root;

	assert_non_null(p);
	assert_int_equal(dev_attach(&ramfs_dev, "", &root), 0);
	p->ns = ns_new(root);
	p->fds = fdtab_new();
	assert_non_null(p->ns);
	assert_non_null(p->fds);
}

void fake_mount(const struct dev *dev, const char *path)
{
	struct chan *c;
	int fd = sys_create(path, OREAD, DMDIR | 0777);

	assert_true(fd >= 0);
	assert_int_equal(sys_close(fd), 0);
	if (dev == 0)
		return;	/* just the directory */
	assert_int_equal(dev_attach(dev, "", &c), 0);
	assert_int_equal(ns_mount(curproc()->ns, path, c), 0);
	chan_put(c);
}

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
