/*
 * The proc device, mounted on /proc: a directory per proc.
 *   /proc/N/status	pid, name, state, prio, ticks (1 tick = 1 ms of CPU),
 *			dispatches, parent: one "key value" line each
 *   /proc/N/ns		the proc's namespace as bind/mount lines; writing
 *			bind/mount/unmount lines changes it, for a proc
 *			that shares the writer's namespace (docs/namespaces.md)
 *   /proc/N/pebbles	its budget: "KIND white W spent S total T lent L"
 *			per kind (docs/pebbles.md)
 *   /proc/N/ctl	write "kill": end it (its owner or the host owner)
 * Every file is owned by the user the proc acts for, so the one
 * permission check keeps ns and ctl its owner's (docs/security.md).
 * qid.path packs the pid and the file: (pid << 8) | file.  Nothing is
 * cached: every read asks the scheduler, so a proc that exits simply
 * stops existing here (reads then fail with "no such process").
 */
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/users.h>
#include <lux/string.h>

enum { Qroot, Qpid, Qstatus, Qns, Qpebbles, Qctl, Qmax };

static const char *const names[Qmax] = { "proc", 0, "status", "ns", "pebbles", "ctl" };

#define QID(pid, f) (((uint64_t)(pid) << 8) | (f))
#define QPID(q) ((int)((q) >> 8))
#define QFILE(q) ((int)((q)&0xff))

static int proc_attach(struct chan *c, const char *spec)
{
	USED(spec);
	c->qid.path = QID(0, Qroot);
	c->qid.type = QTDIR;
	return 0;
}

static int parse_pid(const char *name)
{
	long long v;

	if (kstrtoll(name, &v) < 0 || v <= 0 || v > 0x7fffffff || name[0] == '+' || name[0] == '0')
		return -1;
	return (int)v;
}

static int proc_walk(struct chan *c, const char *name)
{
	struct procinfo pi;
	int pid;

	switch (QFILE(c->qid.path)) {
	case Qroot:
		pid = parse_pid(name);
		if (pid < 0 || proc_info(pid, &pi) < 0)
			return E_NOENT;
		c->qid.path = QID(pid, Qpid);
		c->qid.type = QTDIR;
		return 0;
	case Qpid:
		for (int f = Qstatus; f < Qmax; f++) {
			if (kstrcmp(names[f], name) == 0) {
				c->qid.path = QID(QPID(c->qid.path), f);
				c->qid.type = QTFILE;
				return 0;
			}
		}
		return E_NOENT;
	}
	return E_NOTDIR;
}

static void fill(int pid, int f, const char *owner, struct lux_dir *d)
{
	kmemset(d, 0, sizeof *d);
	d->qid.path = QID(pid, f);
	d->qid.type = f == Qroot || f == Qpid ? QTDIR : QTFILE;
	d->mode = f == Qroot || f == Qpid ? DMDIR | 0555
	          : f == Qns              ? 0644
	          : f == Qctl             ? 0200
	                                  : 0444;
	kstrlcpy(d->uid, owner, sizeof d->uid);
	kstrlcpy(d->gid, owner, sizeof d->gid);
	if (f == Qpid)
		ksnprintf(d->name, sizeof d->name, "%d", pid);
	else
		kstrlcpy(d->name, names[f], sizeof d->name);
}

static int proc_stat(struct chan *c, struct lux_dir *d)
{
	struct procinfo pi;
	int pid = QPID(c->qid.path);

	if (pid && proc_info(pid, &pi) < 0)
		return E_NOPROC;
	fill(pid, QFILE(c->qid.path), pid ? pi.user : eve, d);
	return 0;
}

static int proc_open(struct chan *c, int mode)
{
	if ((mode & OMODE) == OREAD)
		return 0;
	if (QFILE(c->qid.path) == Qctl)
		return (mode & OMODE) == OWRITE ? 0 : E_PERM;
	return QFILE(c->qid.path) == Qns && (mode & OMODE) == OWRITE ? 0 : E_PERM;
}

/* /proc/N/ctl: "kill".  The open was checked against the proc's owner;
 * proc_kill_checked asks again, since the proc may have changed hands
 * (a 9P worker acts for each request's user) since. */
static long ctl_write(int pid, const void *buf, size_t n)
{
	const char *s = buf;
	size_t len = n;

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	if (len == 4 && kmemcmp(s, "kill", 4) == 0) {
		int err = proc_kill_checked(pid);
		return err < 0 ? err : (long)n;
	}
	return proc_seterr(E_INVAL, "proc ctl: want kill");
}

/* Commands to a namespace: only one the writer lives in may change this
 * way, so a proc cannot rearrange the names another proc resolves
 * (a 9P client writes as the server's proc: it shares the kernel's
 * namespace it is being served).  One write is a whole number of lines. */
static long proc_write(struct chan *c, const void *buf, size_t n, uint64_t off)
{
	enum { WRITEMAX = 4096 };
	struct ns *ns;
	char why[160];
	int err;

	USED(off);
	if (QFILE(c->qid.path) == Qctl)
		return ctl_write(QPID(c->qid.path), buf, n);
	if (QFILE(c->qid.path) != Qns)
		return E_PERM;
	if (n > WRITEMAX)
		return E_TOOBIG;
	if ((ns = proc_ns(QPID(c->qid.path))) == 0)
		return E_NOPROC;
	if (ns != curproc()->ns) {
		ns_put(ns);
		return E_PERM;
	}
	err = ns_ctl(ns, buf, n, why, sizeof why);
	if (err < 0)
		proc_seterr(err, "%s", why);	/* the sentence, for the writer's errstr */
	ns_put(ns);
	return err < 0 ? err : (long)n;
}

/* Render a file's text into buf (size bytes); returns its full length or
 * an error. */
static long render(int pid, int f, char *buf, size_t size)
{
	struct procinfo pi;
	struct budget_info bi;
	struct ns *ns;
	size_t n;

	if (proc_info(pid, &pi) < 0)
		return E_NOPROC;
	if (f == Qpebbles)
		return proc_pebbles(pid, &bi) < 0 ? E_NOPROC : (long)budget_format(&bi, buf, size);
	if (f == Qstatus)
		return ksnprintf(buf, size,
		                 "pid %d\nname %s\nstate %s\nprio %d\nticks %llu\n"
		                 "dispatches %llu\nparent %d\n",
		                 pi.pid, pi.name, proc_state_name(pi.state), pi.prio,
		                 (unsigned long long)(pi.cpu_ns / 1000000u),
		                 (unsigned long long)pi.dispatches, pi.ppid);
	ns = proc_ns(pid);
	if (ns == 0) {		/* exited meanwhile, or never had one */
		if (size)
			buf[0] = 0;
		return 0;
	}
	n = ns_format(ns, buf, size);
	ns_put(ns);
	return (long)n;
}

static long proc_read(struct chan *c, void *buf, size_t n, uint64_t off)
{
	/* a full namespace (NS_MAXMOUNT mounts of NS_MAXUNION members, lines
	 * under 512 bytes) fits TEXTCAP; the usual text fits TEXTMAX */
	enum { TEXTMAX = 4096, TEXTCAP = 256 * 1024 };
	size_t size = TEXTMAX;
	char *text;
	long len;

	if (c->qid.type & QTDIR)
		return E_ISDIR;
	for (;;) {	/* render; if it did not fit, again with room for all of it */
		if ((text = kmalloc(size)) == 0)
			return E_NOMEM;
		len = render(QPID(c->qid.path), QFILE(c->qid.path), text, size);
		if (len < 0 || (size_t)len < size || size == TEXTCAP)
			break;
		kfree(text);
		size = MIN((size_t)len + 1, (size_t)TEXTCAP);
	}
	if (len > (long)size - 1)
		len = (long)size - 1;	/* cut, never overflowed */
	if (len >= 0)
		len = dev_readstr(off, buf, n, text, (size_t)len);
	kfree(text);
	return len;
}

static int proc_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	struct procinfo *all;
	size_t n;

	switch (QFILE(c->qid.path)) {
	case Qpid: {
		struct procinfo pi;
		if (i >= Qmax - Qstatus)
			return 0;
		if (proc_info(QPID(c->qid.path), &pi) < 0)
			return E_NOPROC;
		fill(QPID(c->qid.path), Qstatus + (int)i, pi.user, d);
		return 1;
	}
	case Qroot:
		/* a snapshot per call: procs come and go between calls */
		all = kmalloc(sizeof *all * 512);
		if (all == 0)
			return E_NOMEM;
		n = proc_list(all, 512);
		if (i < n)
			fill(all[i].pid, Qpid, all[i].user, d);
		kfree(all);
		return i < n;
	}
	return E_NOTDIR;
}

const struct dev proc_dev = {
	.name = "proc",
	.attach = proc_attach,
	.walk = proc_walk,
	.stat = proc_stat,
	.open = proc_open,
	.read = proc_read,
	.write = proc_write,
	.dirent = proc_dirent,
};
