/*
 * /adm: the user table as a file (<lux/users.h>).  Reading users gives
 * the table as `id:name:leader:members` lines; writing it runs `uname`
 * and `deluser` commands.  The file is eve's, mode 0644, so the one
 * permission check lets only the host owner change who exists.
 */
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/users.h>

enum { Qdir, Qusers, Qmax };

static const struct dirtab files[Qmax] = {
	[Qdir] = { "adm", DMDIR | 0555 },
	[Qusers] = { "users", 0644 },
};

static int users_attach(struct chan *c, const char *spec)
{
	USED(spec);
	return dirtab_attach(c);
}

static int users_walk(struct chan *c, const char *name)
{
	return dirtab_walk(files, Qmax, c, name);
}

static int users_stat(struct chan *c, struct lux_dir *d)
{
	return dirtab_stat(files, c, d);
}

static int users_open(struct chan *c, int mode)
{
	return dirtab_open(files, c, mode);
}

static long users_read(struct chan *c, void *buf, size_t n, uint64_t off)
{
	size_t len;
	char *text;
	long r;

	if (c->qid.path == Qdir)
		return E_ISDIR;
	len = users_format(0, 0);
	if ((text = kmalloc(len + 1)) == 0)
		return E_NOMEM;
	len = users_format(text, len + 1);
	r = dev_readstr(off, buf, n, text, len);
	kfree(text);
	return r;
}

static long users_write(struct chan *c, const void *buf, size_t n, uint64_t off)
{
	char why[ERRMAX];
	int err;

	USED(off);
	if (c->qid.path != Qusers)
		return E_ISDIR;
	if ((err = users_ctl(buf, n, why, sizeof why)) < 0)
		return proc_seterr(err, "%s", why);
	return (long)n;
}

static int users_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	return dirtab_dirent(files, Qmax, c, i, d);
}

const struct dev users_dev = {
	.name = "adm",
	.attach = users_attach,
	.walk = users_walk,
	.stat = users_stat,
	.open = users_open,
	.read = users_read,
	.write = users_write,
	.dirent = users_dirent,
};
