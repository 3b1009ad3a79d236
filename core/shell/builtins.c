/* The shell's built-in commands. */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/page.h>
#include <lux/proc.h>
#include <lux/string.h>
#include <lux/sysfile.h>

#include <lux/ktest.h>
#include <lux/timer.h>

#include "clock.h"
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
	sh_printf(sh, "Lux9 shell built-ins (separate commands with ';', redirect with > or >>):\n");
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
	for (; i < argc; i++) {
		sh_write(sh, argv[i], kstrlen(argv[i]));
		if (i + 1 < argc)
			sh_write(sh, " ", 1);
	}
	if (newline)
		sh_write(sh, "\n", 1);
	return 0;
}

static int cat_one(struct sh *sh, const char *path)
{
	enum { BUFSIZE = 8192 };	/* not static: background cats run at once */
	char *buf;
	int fd = sys_open(path, OREAD);
	long n;

	if (fd < 0) {
		sh_errorf("cat: %s: %s\n", path, lux_errstr(fd));
		return 1;
	}
	if ((buf = kmalloc(BUFSIZE)) == 0) {
		sys_close(fd);
		sh_errorf("cat: %s: %s\n", path, lux_errstr(E_NOMEM));
		return 1;
	}
	while ((n = sys_read(fd, buf, BUFSIZE)) > 0)
		sh_write(sh, buf, (size_t)n);
	kfree(buf);
	sys_close(fd);
	if (n < 0) {
		sh_errorf("cat: %s: %s\n", path, lux_errstr((int)n));
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
	          (unsigned long long)(ns / 1000000u % 1000u), proc_count(),
	          page_free_count(), page_total());
	return 0;
}

static int b_halt(struct sh *sh, int argc, char **argv)
{
	long long status = 0;

	USED(sh);
	if (argc > 2 || (argc == 2 && (kstrtoll(argv[1], &status) < 0 || status < 0 || status > 127)))
		return usage(argv[0]);
	lux_halt((int)status);
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
		if ((err = proc_kill((int)pid)) < 0) {
			sh_errorf("kill: %s: %s\n", argv[i], lux_errstr(err));
			status = 1;
		}
	}
	return status;
}

static int b_ktest(struct sh *sh, int argc, char **argv)
{
	size_t n;
	const struct ktest *t = ktests(&n);

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
	{ "ls", "[-l] [path ...]", "list directories (default /)", b_ls },
	{ "mkdir", "dir ...", "make directories", b_mkdir },
	{ "rm", "path ...", "remove files or empty directories", b_rm },
	{ "date", "", "print the wall-clock time (UTC)", b_date },
	{ "uptime", "", "time since boot, procs and free memory", b_uptime },
	{ "ps", "", "list the procs", b_ps },
	{ "kill", "pid ...", "end procs at their next preemption point", b_kill },
	{ "sleep", "ms", "sleep for ms milliseconds", b_sleep },
	{ "burn", "ms", "use the CPU for ms milliseconds (try 'burn 3000 &')", b_burn },
	{ "ktest", "name", "run an in-kernel test (stress, wakeup, kill)", b_ktest },
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
