/*
 * The cons device, mounted on /dev: the console and a few plain files.
 *   cons	read: a line of console input; write: console output
 *   null	reads as empty, swallows writes
 *   zero	reads as zeros
 *   time	"<wall-clock ns since the epoch> <monotonic ns since boot>\n"
 *   audit	the audit ring (<lux/audit.h>); write "strict" or "lenient"
 *   user	who the reader acts for (Plan 9's /dev/user)
 *   hostowner	the host owner's name
 *   pid	the reader's pid: for a 9P client, its connection's proc,
 *		whose /proc/N/ns is the namespace it is served
 *   blk	the block devices: name, size, requests done, errors
 *		(core/blk/blkboot.c; docs/store.md)
 *   pci	the PCI functions the arch found (core/fs/pcilist.c)
 *   memmap	the address space as the arch laid it out, and W^X
 *		(core/fs/memmap.c); the host owner's only
 * Console input belongs to the console's owner: only procs that carry
 * CRED_CONSOLE (the boot shell and what it starts) may open cons for
 * reading; a 9P client, even the host owner's, may not (docs/security.md).
 * A fixed table, so qid.path is the index (0 is the directory).
 */
#include <lux/audit.h>
#include <lux/blk.h>
#include <lux/cons.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/memmap.h>
#include <lux/pci.h>
#include <lux/perm.h>
#include <lux/proc.h>
#include <lux/users.h>
#include <lux/string.h>

enum {
	Qdir,
	Qcons,
	Qnull,
	Qzero,
	Qtime,
	Qaudit,
	Quser,
	Qhostowner,
	Qpid,
	Qblk,
	Qpci,
	Qmemmap,
	Qmax
};

static const struct dirtab files[Qmax] = {
	[Qdir] = { "dev", DMDIR | 0555 },
	[Qcons] = { "cons", 0660 },
	[Qnull] = { "null", 0666 },
	[Qzero] = { "zero", 0444 },
	[Qtime] = { "time", 0444 },
	[Qaudit] = { "audit", 0600 },	/* who did what: the host owner's */
	[Quser] = { "user", 0444 },
	[Qhostowner] = { "hostowner", 0444 },
	[Qpid] = { "pid", 0444 },
	[Qblk] = { "blk", 0444 },
	[Qpci] = { "pci", 0444 },
	[Qmemmap] = { "memmap", 0400 },	/* the kernel's addresses: the host owner's
					 * (Linux shows /proc/iomem's to root only) */
};

static int cons_attach(struct chan *c, const char *spec)
{
	USED(spec);
	return dirtab_attach(c);
}

static int cons_walk(struct chan *c, const char *name)
{
	return dirtab_walk(files, Qmax, c, name);
}

static int cons_stat(struct chan *c, struct lux_dir *d)
{
	return dirtab_stat(files, c, d);
}

static int cons_open(struct chan *c, int mode)
{
	struct proc *p = curproc();
	int m = mode & OMODE;

	if (c->qid.path == Qcons && (m == OREAD || m == ORDWR) && p &&
	    !(p->cred.flags & CRED_CONSOLE))
		return perm_deny("read", "/dev/cons: console input is the console owner's");
	return dirtab_open(files, c, mode);
}

static long str_read(const char *s, void *buf, size_t n, uint64_t off)
{
	return dev_readstr(off, buf, n, s, kstrlen(s));
}

static long time_read(void *buf, size_t n, uint64_t off)
{
	char tmp[64];
	int len = ksnprintf(tmp, sizeof tmp, "%lld %llu\n", (long long)arch_wallclock_ns(),
	                    (unsigned long long)arch_time_ns());

	return dev_readstr(off, buf, n, tmp, (size_t)len);
}

static long cons_read(struct chan *c, void *buf, size_t n, uint64_t off)
{
	switch (c->qid.path) {
	case Qdir: return E_ISDIR;
	case Qcons: return cons_read_line(buf, n);
	case Qnull: return 0;
	case Qzero: kmemset(buf, 0, n); return (long)n;
	case Qtime: return time_read(buf, n, off);
	case Qblk: return blk_status_read(buf, n, off);
	case Qpci: return pci_list_read(buf, n, off);
	case Qmemmap: return memmap_read(buf, n, off);
	case Qaudit: return audit_read(buf, n, off);
	case Quser: return str_read(curproc() ? curproc()->cred.user : eve, buf, n, off);
	case Qhostowner: return str_read(eve, buf, n, off);
	case Qpid: {
		char num[16];
		ksnprintf(num, sizeof num, "%d", curproc() ? proc_principal(curproc())->pid : 0);
		return str_read(num, buf, n, off);
	}
	}
	return E_NOENT;
}

static long cons_writef(struct chan *c, const void *buf, size_t n, uint64_t off)
{
	USED(off);
	switch (c->qid.path) {
	case Qcons: cons_write(buf, n); return (long)n;
	case Qnull: return (long)n;
	case Qaudit: return audit_write(buf, n);
	}
	return E_PERM;
}

static int cons_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	return dirtab_dirent(files, Qmax, c, i, d);
}

const struct dev cons_dev = {
	.name = "cons",
	.attach = cons_attach,
	.walk = cons_walk,
	.stat = cons_stat,
	.open = cons_open,
	.read = cons_read,
	.write = cons_writef,
	.dirent = cons_dirent,
};
