/*
 * The 9P server's own files, mounted at NINEP_CTL_PATH (/9p) and served
 * to clients that attach aname "ctl" (diod's name for its synthetic tree;
 * diodload copies ctl:zero to ctl:null):
 *   status	the counters: docs/9p.md, "Counters" (ninep_status); a reader
 *		who is not the host owner sees the totals and its own line
 *   zero	reads as zeros, as many as asked
 *   null	reads as empty, swallows writes
 * A fixed table, so qid.path is the index (0 is the directory).
 */
#include "9psrv.h"
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/perm.h>
#include <lux/proc.h>
#include <lux/string.h>

enum { Qdir, Qstatus, Qzero, Qnull, Qmax };

/* One line per connection (~140 bytes) and the total line. */
#define STATUS_MAX (NINEP_STATUS_LINES * 160 + 320)

static const struct dirtab files[Qmax] = {
	[Qdir] = { "9p", DMDIR | 0555 },
	[Qstatus] = { "status", 0444 },
	[Qzero] = { "zero", 0444 },
	[Qnull] = { "null", 0666 },
};

static int ctl_attach(struct chan *c, const char *spec)
{
	USED(spec);
	return dirtab_attach(c);
}

static int ctl_walk(struct chan *c, const char *name)
{
	return dirtab_walk(files, Qmax, c, name);
}

static int ctl_stat(struct chan *c, struct lux_dir *d)
{
	return dirtab_stat(files, c, d);
}

static int ctl_open(struct chan *c, int mode)
{
	if ((mode & OTRUNC) && c->qid.path != Qnull)
		return E_PERM;
	return dirtab_open(files, c, mode);
}

static long status_read(void *buf, size_t n, uint64_t off)
{
	char *text = kmalloc(STATUS_MAX);
	size_t len;
	long r;

	if (text == 0)
		return E_NOMEM;
	/* the host owner sees every connection and peer; anyone else the
	 * totals and their own connection: any client, none included, read
	 * every other's address, port and counters (who is connected, from
	 * where, doing how much) */
	len = ninep_status_of(text, STATUS_MAX, perm_is_eve() ? 0 : proc_principal(curproc()));
	if (len >= STATUS_MAX)
		len = STATUS_MAX - 1;
	r = dev_readstr(off, buf, n, text, len);
	kfree(text);
	return r;
}

static long ctl_read(struct chan *c, void *buf, size_t n, uint64_t off)
{
	switch (c->qid.path) {
	case Qdir: return E_ISDIR;
	case Qstatus: return status_read(buf, n, off);
	case Qzero: kmemset(buf, 0, n); return (long)n;
	case Qnull: return 0;
	}
	return E_NOENT;
}

static long ctl_write(struct chan *c, const void *buf, size_t n, uint64_t off)
{
	USED(buf);
	USED(off);
	return c->qid.path == Qnull ? (long)n : E_PERM;
}

static int ctl_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	return dirtab_dirent(files, Qmax, c, i, d);
}

const struct dev ninep_dev = {
	.name = "ninep",
	.attach = ctl_attach,
	.walk = ctl_walk,
	.stat = ctl_stat,
	.open = ctl_open,
	.read = ctl_read,
	.write = ctl_write,
	.dirent = ctl_dirent,
};
