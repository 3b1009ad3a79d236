/* The shell's built-in commands. */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ninep.h>
#include <lux/page.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/storesync.h>
#include <lux/string.h>
#include <lux/sysfile.h>

#include <lux/ktest.h>
#include <lux/timer.h>

#include "blkcmd.h"
#include "clock.h"
#include "hexcmd.h"
#include "shell.h"

static int usage(const char *name)
{
	const struct sh_builtin *b = sh_find(name);

	sh_errorf("usage: %s %s\n", name, b ? b->usage : "");
	return 2;
}

static int b_help(struct sh *sh, int argc, char **argv)
{
	size_t n;
	const struct sh_builtin *b = sh_builtins(&n);

	USED(argc), USED(argv);
	sh_printf(sh,
	          "Lux9 shell built-ins (separate commands with ';', redirect with > or >>):\n");
	for (size_t i = 0; i < n; i++) {
		char head[48];
		ksnprintf(head, sizeof head, "%s %s", b[i].name, b[i].usage);
		sh_printf(sh, "  %-24s %s\n", head, b[i].help);
	}
	return 0;
}

static int b_echo(struct sh *sh, int argc, char **argv)
{
	int i = 1;
	bool newline = true;

	if (argc > 1 && kstrcmp(argv[1], "-n") == 0) {
		newline = false;
		i++;
	}
	/* one write for the whole line: a ctl file (/proc/N/ns, /adm/users)
	 * takes a write as whole commands, so "echo bind -b /a /b > ns" must
	 * not arrive as four words */
	size_t len = 0, at = 0;
	char *line;

	for (int j = i; j < argc; j++)
		len += kstrlen(argv[j]) + 1;
	if ((line = kmalloc(len + 1)) == 0) {
		sh_errorf("echo: out of memory\n");
		return 1;
	}
	for (; i < argc; i++) {
		size_t n = kstrlen(argv[i]);
		kmemcpy(line + at, argv[i], n);
		at += n;
		if (i + 1 < argc)
			line[at++] = ' ';
	}
	if (newline)
		line[at++] = '\n';
	if (at)
		sh_write(sh, line, at);
	kfree(line);
	return 0;
}

static int cat_one(struct sh *sh, const char *path)
{
	enum { BUFSIZE = 8192 };	/* not static: background cats run at once */
	char *buf;
	int fd = sys_open(path, OREAD);
	long n;

	if (fd < 0) {
		sh_errorf("cat: %s: %s\n", path, proc_errstr(fd));
		return 1;
	}
	if ((buf = kmalloc(BUFSIZE)) == 0) {
		sys_close(fd);
		sh_errorf("cat: %s: %s\n", path, lux_errstr(E_NOMEM));
		return 1;
	}
	/* a preemption point per chunk: an endless file (/dev/zero) neither
	 * hogs hosted's CPU nor outlives a kill or a ^C */
	while ((n = preempt_point()) == 0 && (n = sys_read(fd, buf, BUFSIZE)) > 0)
		sh_write(sh, buf, (size_t)n);
	kfree(buf);
	sys_close(fd);
	if (n < 0) {
		if (!(n == E_INTR && proc_interrupted()))	/* ^C was echoed: enough */
			sh_errorf("cat: %s: %s\n", path, proc_errstr((int)n));
		return 1;
	}
	return 0;
}

static int b_cat(struct sh *sh, int argc, char **argv)
{
	int status = 0;

	if (argc < 2)
		return usage(argv[0]);
	for (int i = 1; i < argc; i++)
		status |= cat_one(sh, argv[i]);
	return status;
}

static void mode_string(uint32_t mode, char out[12])
{
	const char *rwx = "rwxrwxrwx";

	out[0] = (mode & DMDIR) ? 'd' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode >> (8 - i) & 1) ? rwx[i] : '-';
	out[10] = 0;
}

static void ls_entry(struct sh *sh, const struct lux_dir *d, bool longform)
{
	char m[12];

	if (!longform) {
		sh_printf(sh, "%s%s\n", d->name, (d->mode & DMDIR) ? "/" : "");
		return;
	}
	mode_string(d->mode, m);
	sh_printf(sh, "%s %10llu %s%s\n", m, (unsigned long long)d->length, d->name,
	          (d->mode & DMDIR) ? "/" : "");
}

static int ls_one(struct sh *sh, const char *path, bool longform)
{
	struct lux_dir d;
	int fd, r, err = sys_stat(path, &d);

	if (err < 0) {
		sh_errorf("ls: %s: %s\n", path, lux_errstr(err));
		return 1;
	}
	if (!(d.mode & DMDIR)) {
		kstrlcpy(d.name, path, sizeof d.name);
		ls_entry(sh, &d, longform);
		return 0;
	}
	fd = sys_open(path, OREAD);
	if (fd < 0) {
		sh_errorf("ls: %s: %s\n", path, lux_errstr(fd));
		return 1;
	}
	for (size_t i = 0; (r = sys_dirent(fd, i, &d)) > 0; i++)
		ls_entry(sh, &d, longform);
	sys_close(fd);
	if (r < 0) {
		sh_errorf("ls: %s: %s\n", path, lux_errstr(r));
		return 1;
	}
	return 0;
}

static int b_ls(struct sh *sh, int argc, char **argv)
{
	bool longform = false;
	int i = 1, status = 0;

	if (argc > 1 && kstrcmp(argv[1], "-l") == 0) {
		longform = true;
		i++;
	}
	if (i == argc)
		return ls_one(sh, "/", longform);
	for (; i < argc; i++)
		status |= ls_one(sh, argv[i], longform);
	return status;
}

static int b_mkdir(struct sh *sh, int argc, char **argv)
{
	int status = 0;

	USED(sh);
	if (argc < 2)
		return usage(argv[0]);
	for (int i = 1; i < argc; i++) {
		int fd = sys_create(argv[i], OREAD | OEXCL, DMDIR | 0775);
		if (fd < 0) {
			sh_errorf("mkdir: %s: %s\n", argv[i], lux_errstr(fd));
			status = 1;
			continue;
		}
		sys_close(fd);
	}
	return status;
}

static int b_rm(struct sh *sh, int argc, char **argv)
{
	int status = 0;

	USED(sh);
	if (argc < 2)
		return usage(argv[0]);
	for (int i = 1; i < argc; i++) {
		int err = sys_remove(argv[i]);
		if (err < 0) {
			sh_errorf("rm: %s: %s\n", argv[i], lux_errstr(err));
			status = 1;
		}
	}
	return status;
}

static int b_date(struct sh *sh, int argc, char **argv)
{
	int64_t ns = arch_wallclock_ns();
	char buf[40];

	USED(argc), USED(argv);
	if (ns < 0) {
		sh_errorf("date: this machine has no wall clock\n");
		return 1;
	}
	clock_format(ns / 1000000000, buf, sizeof buf);
	sh_printf(sh, "%s\n", buf);
	return 0;
}

static int b_uptime(struct sh *sh, int argc, char **argv)
{
	uint64_t ns = arch_time_ns();

	USED(argc), USED(argv);
	sh_printf(sh, "up %llu.%03llu s, %zu procs, %zu of %zu pages free\n",
	          (unsigned long long)(ns / 1000000000u),
	          (unsigned long long)(ns / 1000000u % 1000u), proc_count(), page_free_count(),
	          page_total());
	return 0;
}

static int b_halt(struct sh *sh, int argc, char **argv)
{
	long long status = 0;

	USED(sh);
	if (argc > 2 ||
	    (argc == 2 && (kstrtoll(argv[1], &status) < 0 || status < 0 || status > 127)))
		return usage(argv[0]);
	storesync_halt();	/* the root tree to the store, if there is one */
	lux_halt((int)status);
}

static int b_sync(struct sh *sh, int argc, char **argv)
{
	struct storesync_result r;
	int err;

	if (argc != 1)
		return usage(argv[0]);
	if ((err = storesync_now(&r)) < 0) {
		sh_errorf("%s\n", proc_errstr(err));
		return 1;
	}
	sh_printf(sh, "sync: commit %llu: %llu names written, %llu deleted%s\n",
	          (unsigned long long)r.seq, (unsigned long long)r.written,
	          (unsigned long long)r.deleted, r.skipped ? " (some too large to keep)" : "");
	return 0;
}

/* Parse a count of milliseconds: 0 .. 1 day. */
static int parse_ms(const char *s, uint64_t *ns)
{
	long long v;

	if (kstrtoll(s, &v) < 0 || v < 0 || v > 86400000)
		return -1;
	*ns = (uint64_t)v * 1000000u;
	return 0;
}

static int b_sleep(struct sh *sh, int argc, char **argv)
{
	uint64_t ns;

	USED(sh);
	if (argc != 2 || parse_ms(argv[1], &ns) < 0)
		return usage(argv[0]);
	return tsleep_ns(ns) < 0 ? PROC_KILLED : 0;
}

/* Spin on the CPU for MS milliseconds: a CPU-bound proc for testing the
 * scheduler.  The preemption points are where hosted preempts it and
 * where it learns it was killed. */
static int b_burn(struct sh *sh, int argc, char **argv)
{
	uint64_t sink = 0;
	uint64_t ns, end;

	USED(sh);
	if (argc != 2 || parse_ms(argv[1], &ns) < 0)
		return usage(argv[0]);
	end = arch_time_ns() + ns;
	while (arch_time_ns() < end) {
		for (int i = 0; i < 256; i++)
			sink += (uint64_t)i * 2654435761u;
		__asm__ volatile("" : : "r"(sink));	/* keep the work */
		if (preempt_point() < 0)
			return PROC_KILLED;
	}
	return 0;
}

static int b_ps(struct sh *sh, int argc, char **argv)
{
	enum { MAXPS = 512 };
	struct procinfo *pi = kmalloc(sizeof *pi * MAXPS);
	size_t n;

	USED(argc), USED(argv);
	if (pi == 0) {
		sh_errorf("ps: %s\n", lux_errstr(E_NOMEM));
		return 1;
	}
	n = proc_list(pi, MAXPS);
	sh_printf(sh, "%5s %5s %3s %-8s %8s %s\n", "PID", "PPID", "PRI", "STATE", "TICKS", "NAME");
	for (size_t i = 0; i < n; i++)
		sh_printf(sh, "%5d %5d %3d %-8s %8llu %s\n", pi[i].pid, pi[i].ppid, pi[i].prio,
		          proc_state_name(pi[i].state),
		          (unsigned long long)(pi[i].cpu_ns / 1000000u), pi[i].name);
	kfree(pi);
	return 0;
}

static int b_kill(struct sh *sh, int argc, char **argv)
{
	int status = 0;

	USED(sh);
	if (argc < 2)
		return usage(argv[0]);
	for (int i = 1; i < argc; i++) {
		long long pid;
		int err;
		if (kstrtoll(argv[i], &pid) < 0 || pid <= 0 || pid > 0x7fffffff) {
			sh_errorf("kill: %s: not a process id\n", argv[i]);
			status = 1;
			continue;
		}
		if ((err = proc_kill_checked((int)pid)) < 0) {
			sh_errorf("kill: %s: %s\n", argv[i], proc_errstr(err));
			status = 1;
		}
	}
	return status;
}

static int b_pebbles(struct sh *sh, int argc, char **argv)
{
	struct budget_info bi;
	long long pid = curproc()->pid;
	int err;

	if (argc > 2 ||
	    (argc == 2 && (kstrtoll(argv[1], &pid) < 0 || pid <= 0 || pid > 0x7fffffff)))
		return usage(argv[0]);
	if ((err = proc_pebbles((int)pid, &bi)) < 0) {
		sh_errorf("pebbles: %lld: %s\n", pid, lux_errstr(err));
		return 1;
	}
	sh_printf(sh, "%-9s %12s %12s %12s %12s\n", "KIND", "WHITE", "SPENT", "TOTAL", "LENT");
	for (int k = 0; k < PB_NKINDS; k++) {
		unsigned long long spent = bi.held.n[k] + bi.lent.n[k];
		sh_printf(sh, "%-9s %12llu %12llu %12llu %12llu\n", pebble_kind_name(k),
		          (unsigned long long)bi.total.n[k] - spent, spent,
		          (unsigned long long)bi.total.n[k], (unsigned long long)bi.lent.n[k]);
	}
	return 0;
}

/* ninep: the 9P server's counters (docs/9p.md, "Counters"). */
static int b_ninep(struct sh *sh, int argc, char **argv)
{
	size_t cap = NINEP_STATUS_LINES * 160 + 320, n;
	char *text;

	if (argc != 1)
		return usage(argv[0]);
	if ((text = kmalloc(cap)) == 0) {
		sh_errorf("ninep: %s\n", lux_errstr(E_NOMEM));
		return 1;
	}
	n = ninep_status(text, cap);
	sh_write(sh, text, n < cap ? n : cap - 1);
	kfree(text);
	return 0;
}

/* hog: a child proc takes one pebble's worth of a kind at a time until
 * its budget refuses, then gives everything back (docs/pebbles.md).  The
 * shared state is counted: the shell, the child and the child's sleepers
 * each hold a reference, so none of them can be left pointing at freed
 * memory when another is killed. */
enum { HOG_MAXPROCS = 64 };

struct hog {
	int ref;
	int kind;
	uint64_t taken;
	int err;			/* the refusal */
	char why[ERRMAX];		/* its sentence (the child's errstr) */
	bool done;			/* the child has given everything back */
	bool stop;			/* the sleepers it made may leave */
	struct waitq q, doneq;
};

static void hog_put(struct hog *h)
{
	if (__atomic_sub_fetch(&h->ref, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(h);
}

static bool hog_stopped(void *arg)
{
	return ((struct hog *)arg)->stop;
}
static bool hog_done(void *arg)
{
	return ((struct hog *)arg)->done;
}

static void hog_sleeper(void *arg)
{
	struct hog *h = arg;

	sleep_on_unint(&h->q, hog_stopped, h);
	hog_put(h);
}

static void hog_main(void *arg)
{
	static const struct pebbles none;	/* sleepers need no budget */
	struct hog *h = arg;
	struct proc *procs[HOG_MAXPROCS];
	void *pages = 0;	/* a stack of pages, linked through their first word */
	int err = 0;

	while (err == 0 && preempt_point() == 0) {
		if (h->kind == PB_PAGES) {
			void **pg = pebble_page_alloc(1, &err);
			if (pg) {
				*pg = pages;
				pages = pg;
			}
		} else if (h->kind == PB_PROCS) {
			if (h->taken == HOG_MAXPROCS)
				break;
			__atomic_add_fetch(&h->ref, 1, __ATOMIC_ACQ_REL);
			procs[h->taken] = proc_spawn("hogged", PRIO_LOW, hog_sleeper, h, 0, &none,
			                             &err);
			if (err)
				hog_put(h);
		} else {
			err = budget_charge(curproc()->budget, (enum pebble_kind)h->kind, 1);
		}
		if (err == 0)
			h->taken++;
	}
	h->err = err;
	kstrlcpy(h->why, err ? proc_errstr(err) : "interrupted", sizeof h->why);
	while (pages) {
		void *next = *(void **)pages;
		pebble_page_free(pages, 1);
		pages = next;
	}
	if (h->kind == PB_PROCS) {
		h->stop = true;
		wakeup(&h->q);
		for (uint64_t i = 0; i < h->taken; i++)
			proc_join(procs[i]);	/* killed: they finish detached */
	} else if (h->kind != PB_PAGES && h->taken) {
		budget_release(curproc()->budget, (enum pebble_kind)h->kind, h->taken);
	}
	h->done = true;
	wakeup(&h->doneq);
	hog_put(h);
}

static int b_hog(struct sh *sh, int argc, char **argv)
{
	int kind = argc == 2 ? pebble_kind_lookup(argv[1]) : -1, err, status;
	struct hog *h;
	struct proc *p;

	if (kind < 0)
		return usage(argv[0]);
	if ((h = kzalloc(sizeof *h)) == 0) {
		sh_errorf("hog: %s\n", lux_errstr(E_NOMEM));
		return 1;
	}
	h->ref = 2;	/* us and the child */
	h->kind = kind;
	waitq_init(&h->q);
	waitq_init(&h->doneq);
	if ((p = proc_spawn("hog", PRIO_NORMAL, hog_main, h, 0, 0, &err)) == 0) {
		sh_errorf("hog: cannot start: %s\n", proc_errstr(err));
		kfree(h);
		return 1;
	}
	if (sleep_on(&h->doneq, hog_done, h) < 0) {
		proc_kill(p->pid);	/* it gives everything back and exits */
		proc_join(p);		/* we are killed: this detaches it */
		hog_put(h);
		return PROC_KILLED;
	}
	sh_printf(sh, "hog: %llu %s taken, then refused: %s\n", (unsigned long long)h->taken,
	          argv[1], h->why);
	sh_printf(sh, "hog: all %llu given back\n", (unsigned long long)h->taken);
	status = h->err == E_BUDGET ? 0 : 1;
	proc_join(p);
	hog_put(h);
	return status;
}

static int b_ktest(struct sh *sh, int argc, char **argv)
{
	size_t n;
	const struct ktest *t = ktests(&n);

	if (n == 0) {	/* an image without the test library (core/kern/notest.c) */
		sh_errorf("ktest: this image has no in-kernel tests (built without core/test)\n");
		return 1;
	}
	if (argc != 2) {
		usage(argv[0]);
		for (size_t i = 0; i < n; i++)
			sh_errorf("  %-10s %s\n", t[i].name, t[i].help);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (kstrcmp(t[i].name, argv[1]) == 0) {
			char msg[160];
			int ok = t[i].run(msg, sizeof msg) == 0;
			sh_printf(sh, "ktest %s: %s: %s\n", t[i].name, msg, ok ? "ok" : "FAILED");
			return ok ? 0 : 1;
		}
	}
	sh_errorf("ktest: %s: no such test (run 'ktest' for the list)\n", argv[1]);
	return 1;
}

static const struct sh_builtin builtins[] = {
	{ "help", "", "list the built-in commands", b_help },
	{ "echo", "[-n] [word ...]", "print the words", b_echo },
	{ "cat", "file ...", "print files", b_cat },
	{ "hex", "[-c count] file ...", "print files (their first count bytes) as hex", sh_hex },
	{ "unhex", "[-r count] hex ...", "write the bytes hex spells (count times)", sh_unhex },
	{ "ls", "[-l] [path ...]", "list directories (default /)", b_ls },
	{ "mkdir", "dir ...", "make directories", b_mkdir },
	{ "rm", "path ...", "remove files or empty directories", b_rm },
	{ "date", "", "print the wall-clock time (UTC)", b_date },
	{ "uptime", "", "time since boot, procs and free memory", b_uptime },
	{ "ps", "", "list the procs", b_ps },
	{ "kill", "pid ...", "end procs at their next preemption point", b_kill },
	{ "sleep", "ms", "sleep for ms milliseconds", b_sleep },
	{ "burn", "ms", "use the CPU for ms milliseconds (try 'burn 3000 &')", b_burn },
	{ "pebbles", "[pid]", "print a proc's budget (default: the shell's)", b_pebbles },
	{ "ninep", "", "the 9P server's connections and their pebbles", b_ninep },
	{ "blk", "[read S | write S text | flush]",
	  "block device 0: status, a sector as text, "
	  "write one, flush",
	  sh_blk },
	{ "hog", "kind", "a child takes pebbles of a kind until refused, then gives them back",
	  b_hog },
	{ "bind", "[-abc] new old", "bind a path or '#dev' over old (-b/-a: union)", sh_nscmd },
	{ "mount", "[-abc] [-k key] spec old [aname]",
	  "mount '#dev' or a 9P address on old (-k: authenticated)", sh_nscmd },
	{ "unmount", "[new] old", "undo the mounts on old (or only new)", sh_nscmd },
	{ "ktest", "name",
	  "run an in-kernel test (stress, wakeup, kill, latency, exchange,\n"
	  "                           cryptobench, keystore)",
	  b_ktest },
	{ "sync", "", "write the root file tree to the store now (a commit)", b_sync },
	{ "halt", "[status]", "stop the machine with status 0-127", b_halt },
};

const struct sh_builtin *sh_builtins(size_t *n)
{
	*n = nelem(builtins);
	return builtins;
}

const struct sh_builtin *sh_find(const char *name)
{
	for (size_t i = 0; i < nelem(builtins); i++)
		if (kstrcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return 0;
}
