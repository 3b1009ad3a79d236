/*
 * The kernel under the 9P server fuzzer: booting it once (without
 * lux_main, whose init would run the shell), the namespace it serves and
 * how it is put back after every input, and the counts that must come
 * back to where they were (see session.c for the driver).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "9p/srv/9psrv.h"
#include <lux/captoken.h>
#include <lux/cons.h>
#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/page.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/rand.h>
#include <lux/sysfile.h>
#include <lux/upcall.h>

#include "fake_machine.h"
#include "session.h"

#define MEM_BYTES (64u << 20)

uint64_t fuzz_inputs;

_Noreturn void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	const char *log = getenv("FUZZ_FAIL_LOG");	/* AFL hides stderr: keep it */
	FILE *out = log ? fopen(log, "a") : 0;

	for (int i = 0; i < 1 + (out != 0); i++) {
		FILE *to = i ? out : stderr;
		fprintf(to, "9p server fuzz: ");
		va_start(ap, fmt);
		vfprintf(to, fmt, ap);
		va_end(ap);
		fprintf(to, " (input %llu of this process)\n", (unsigned long long)fuzz_inputs);
	}
	if (out)
		fclose(out);
	abort();
}

/* ---- What the kernel holds between inputs ------------------------------ */

void fuzz_count_held(struct fuzz_held *h)
{
	struct kalloc_stats ks;
	struct budget_info bi;

	kalloc_stats(&ks);
	budget_snapshot(pebble_root(), &bi);
	h->objects = ks.live_objects;
	h->bytes = ks.live_bytes;
	h->large_pages = ks.large_pages;
	h->procs = proc_count();
	h->budgets = budget_count();
	for (int k = 0; k < PB_NKINDS; k++)
		h->root_held[k] = bi.held.n[k];
	/* every page is free, a slab, a large block, a stack or file data */
	if (page_free_count() + ks.slab_pages + ks.large_pages + proc_stack_pages() +
	    ramfs_pages() != page_total())
		fuzz_fail("pages unaccounted for: %zu free + %zu slab + %zu large + %zu stacks + "
		          "%zu file data != %zu", page_free_count(), ks.slab_pages, ks.large_pages,
		          proc_stack_pages(), ramfs_pages(), page_total());
}

void fuzz_check_held(const struct fuzz_held *base)
{
	static char status[2048];
	struct fuzz_held now;
	const char *total;
	const char *why;

	fuzz_count_held(&now);
	if (now.objects != base->objects || now.bytes != base->bytes)
		fuzz_fail("kernel objects leaked: %zu objects / %zu bytes live, %zu / %zu before the input",
		          now.objects, now.bytes, base->objects, base->bytes);
	if (now.large_pages != base->large_pages)
		fuzz_fail("large blocks leaked: %zu pages, %zu before", now.large_pages, base->large_pages);
	if (now.procs != base->procs)
		fuzz_fail("procs: %zu alive, %zu before the input", now.procs, base->procs);
	if (now.budgets != base->budgets)
		fuzz_fail("budgets: %zu open, %zu before the input", now.budgets, base->budgets);
	for (int k = 0; k < PB_NKINDS; k++)
		if (now.root_held[k] != base->root_held[k])
			fuzz_fail("pebbles: the root budget holds %llu %s, %llu before the input",
			          (unsigned long long)now.root_held[k], pebble_kind_name(k),
			          (unsigned long long)base->root_held[k]);
	if ((why = budget_check(pebble_root())) != 0)
		fuzz_fail("budgets inconsistent: %s", why);
	if (devcrypto_sessions() != 0 || devcrypto_signs() != 0)
		fuzz_fail("crypto sessions left: %zu hash, %zu sign", devcrypto_sessions(),
		          devcrypto_signs());
	if ((why = sched_check()) != 0)
		fuzz_fail("run queues: %s", why);
	/* the server's own counters (docs/9p.md, "Counters") */
	ninep_status(status, sizeof status);
	total = strstr(status, "total ");
	if (!total || strcmp(total, "total conns 0 fids 0 reqs 0 pages 0 procs 0 bytes 0\n") != 0)
		fuzz_fail("the server still holds: %s", total ? total : status);
}

/* ---- The namespace, put back before every input -------------------------- */

/* Mounted once, never removed: the reset skips them.  The server mounts
 * 9p (its ctl tree, also what aname "ctl" attaches). */
static const char *const mountpoints[] = { "dev", "secure", "9p" };

static void must(int err, const char *what, const char *path)
{
	if (err < 0)
		fuzz_fail("%s %s: %s", what, path, lux_errstr(err));
}

static void make(const char *path, uint32_t perm, const char *text, size_t len)
{
	int fd = sys_create(path, (perm & DMDIR) ? OREAD : ORDWR, perm);

	must(fd, "create", path);
	if (text)
		must((int)sys_write(fd, text, len), "write", path);
	sys_close(fd);
}

static void populate(void)
{
	static char big[9000];

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	make("/tmp", DMDIR | 0777, 0, 0);
	make("/a", DMDIR | 0777, 0, 0);
	make("/a/b", DMDIR | 0777, 0, 0);
	make("/a/file", 0666, "hello, 9p\n", 10);
	make("/big", 0666, big, sizeof big);
	make("/empty", 0666, 0, 0);
}

static bool is_mountpoint(const char *dir, const char *name)
{
	if (dir[0] != 0)
		return false;
	for (size_t i = 0; i < sizeof mountpoints / sizeof mountpoints[0]; i++)
		if (strcmp(name, mountpoints[i]) == 0)
			return true;
	return false;
}

/* An input may chmod the directories it reaches (the root among them):
 * give a ramfs directory its bits back, rwx for the one user as ramfs
 * and populate make them, before the reset lists or empties it. */
static void let_in(const char *path)
{
	struct lux_wstat w = { 0, LUX_KEEP32, LUX_KEEP64, LUX_KEEP64, LUX_KEEP64, 0, 0, false };
	struct lux_dir d;
	struct chan *c;

	must(namec(curproc()->ns, path, NAMEC_WALK, 0, 0, &c), "walk", path);
	if (c->dev == &ramfs_dev && c->dev->stat(c, &d) == 0 && (d.mode & DMDIR) &&
	    (d.mode & 0777u) != 0777u) {
		w.mode = (d.mode & ~0777u) | 0777u;
		must(c->dev->wstat(c, &w), "chmod", path);
	}
	chan_put(c);
}

/* Fill path with the first entry below it that has nothing below it
 * (a file or an empty directory); false when path has none. */
static bool first_leaf(char *path, size_t cap)
{
	for (;;) {
		struct lux_dir d;
		int fd, r = 0;
		size_t i;

		let_in(path[0] ? path : "/");
		fd = sys_open(path[0] ? path : "/", OREAD);
		must(fd, "open", path[0] ? path : "/");
		for (i = 0; (r = sys_dirent(fd, i, &d)) == 1; i++)
			if (!is_mountpoint(path, d.name))
				break;
		sys_close(fd);
		must(r, "read directory", path);
		if (r == 0)
			return path[0] != 0;
		if (strlen(path) + 1 + strlen(d.name) >= cap)
			fuzz_fail("ramfs path too deep to clean: %s/%s", path, d.name);
		strcat(path, "/");
		strcat(path, d.name);
		if (!(d.mode & DMDIR))
			return true;
	}
}

/* Remove everything the last input left (depth first, one leaf at a time:
 * no recursion on a small kernel stack), then put the files back. */
void fuzz_reset_namespace(void)
{
	static char path[LUX_PATHMAX + LUX_NAMEMAX + 2];

	for (;;) {
		path[0] = 0;
		if (!first_leaf(path, sizeof path))
			break;
		must(sys_remove(path), "remove", path);
	}
	populate();
}

void fuzz_build_namespace(void)
{
	const struct dev *devs[] = { &cons_dev, &crypto_dev };
	struct proc *p = curproc();
	struct chan *root, *c;

	must(dev_attach(&ramfs_dev, "", &root), "attach", "ramfs");
	p->ns = ns_new(root);
	p->fds = fdtab_new();
	if (p->ns == 0 || p->fds == 0)
		fuzz_fail("out of memory for the namespace");
	for (size_t i = 0; i < nelem(devs); i++) {
		char path[16];
		snprintf(path, sizeof path, "/%s", mountpoints[i]);
		make(path, DMDIR | 0777, 0, 0);
		must(dev_attach(devs[i], "", &c), "attach", path);
		must(ns_mount(p->ns, path, c), "mount", path);
		chan_put(c);
	}
	populate();
}


static int boot_entropy(void *buf, size_t n)
{
	return arch_entropy(buf, n);
}

/* The fuzzer's entropy: a fixed xorshift stream, so a run replays. */
static int fuzz_entropy(void *buf, size_t n)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned char *p = buf;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p[i] = (unsigned char)x;
	}
	return 0;
}

/* arch_idle with every proc asleep and no timer armed: the session
 * driver's step, so every step starts from a quiescent kernel. */
static bool session_idle(void)
{
	fuzz_session_step();	/* returns once it delivered an event */
	return true;
}

/* The fake machine (tests/fakearch) as the fuzzer plays it: virtual time
 * that runs (+10 us a preemption point, a jump to the deadline when all
 * sleep, as luxsim --seed), a wall clock from 2026-01-01, the session's
 * connections, and no peer to dial. */
static void fuzz_machine(void)
{
	fake_clock_runs = true;
	fake_wallclock_ns = 1767225600ll * 1000000000ll;
	fake_idle_hook = session_idle;
	fake_conn_send_hook = fuzz_conn_send;
	fake_conn_close_hook = fuzz_conn_close;
	fake_conn_pause_hook = fuzz_conn_pause;
	fake_entropy_hook = fuzz_entropy;
	fake_dial_now = E_NOCONN;
}

void fuzz_boot(void)
{
	static struct lux_boot boot = { .version = LUX_ARCH_VERSION, .caps = LUX_CAP_CONN,
	                                .arch_name = "fuzz", .quiet = 1 };
	struct lux_memregion r;
	void *mem = aligned_alloc(PAGE_SIZE, MEM_BYTES);
	arch_irqstate is;

	if (mem == 0)
		fuzz_fail("cannot allocate the kernel's memory");
	fuzz_machine();
	r = (struct lux_memregion){ (uintptr_t)mem, MEM_BYTES };
	lux_bootinfo = &boot;
	cons_init(false);
	page_init(&r, 1);
	if (lc_init(boot_entropy) < 0 || captoken_init() < 0)
		fuzz_fail("crypto did not initialise");
	krand_seed(1);
	is = arch_irq_save();
	lux_console_input("", 0);	/* console EOF: a read of /dev/cons never waits */
	arch_irq_restore(is);
}
