/* File calls over the current proc's namespace and fd table. */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/perm.h>
#include <lux/proc.h>
#include <lux/sysfile.h>

struct fdtab *fdtab_new(void)
{
	struct fdtab *t = kzalloc(sizeof *t);

	if (t) {
		t->ref = 1;
		spinlock_init(&t->lock, "fdtab");
	}
	return t;
}

void fdtab_put(struct fdtab *t)
{
	if (t == 0 || __atomic_sub_fetch(&t->ref, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int i = 0; i < NFD; i++)
		chan_put(t->fd[i]);
	kfree(t);
}

static struct chan *fd_chan(int fd)
{
	struct fdtab *t = curproc()->fds;

	if (fd < 0 || fd >= NFD)
		return 0;
	return t->fd[fd];
}

/* The table is shared by procs that may preempt each other, so slots are
 * taken and given back under its lock. */
static int fd_install(struct chan *c)
{
	struct fdtab *t = curproc()->fds;

	spin_lock(&t->lock);
	for (int i = 0; i < NFD; i++) {
		if (t->fd[i] == 0) {
			t->fd[i] = c;
			spin_unlock(&t->lock);
			return i;
		}
	}
	spin_unlock(&t->lock);
	chan_put(c);
	return E_MFILE;
}

static bool fd_free_slot(void)
{
	struct fdtab *t = curproc()->fds;

	for (int i = 0; i < NFD; i++)
		if (t->fd[i] == 0)
			return true;
	return false;
}

static int open_as(const char *path, int what, int omode, uint32_t perm)
{
	struct chan *c;
	int err;

	/* check first: a create must not leave a file behind when the open
	 * then fails for want of a descriptor */
	if (!fd_free_slot())
		return E_MFILE;
	err = namec(curproc()->ns, path, what, omode, perm, &c);
	return err < 0 ? err : fd_install(c);
}

int sys_open(const char *path, int omode)
{
	return open_as(path, NAMEC_OPEN, omode, 0);
}

int sys_create(const char *path, int omode, uint32_t perm)
{
	return open_as(path, NAMEC_CREATE, omode, perm);
}

/* The chan on fd with a reference of the caller's own: a read or write
 * may sleep for as long as it likes (a pipe, the console), and another
 * proc sharing the table may close fd meanwhile; the chan, and what its
 * device counts as open, must last until the call is done. */
static struct chan *fd_get(int fd)
{
	struct fdtab *t = curproc()->fds;
	struct chan *c;

	spin_lock(&t->lock);
	c = fd_chan(fd);
	if (c)
		__atomic_add_fetch(&c->ref, 1, __ATOMIC_ACQ_REL);
	spin_unlock(&t->lock);
	return c;
}

long sys_read(int fd, void *buf, size_t n)
{
	struct chan *c = fd_get(fd);
	long r;

	if (c == 0)
		return E_BADFD;
	if (c->mode != OREAD && c->mode != ORDWR)
		r = E_BADMODE;
	else if ((r = c->dev->read(c, buf, n, c->offset)) > 0)
		c->offset += (uint64_t)r;
	chan_put(c);
	return r;
}

long sys_write(int fd, const void *buf, size_t n)
{
	struct chan *c = fd_get(fd);
	long r;

	if (c == 0)
		return E_BADFD;
	if (c->mode != OWRITE && c->mode != ORDWR)
		r = E_BADMODE;
	else if (c->dev->write == 0)
		r = E_PERM;
	else if ((r = c->dev->write(c, buf, n, c->offset)) > 0)
		c->offset += (uint64_t)r;
	chan_put(c);
	return r;
}

int sys_seek_end(int fd)
{
	struct chan *c = fd_chan(fd);
	struct lux_dir d;
	int err;

	if (c == 0)
		return E_BADFD;
	if ((err = c->dev->stat(c, &d)) < 0)
		return err;
	c->offset = d.length;
	return 0;
}

int sys_close(int fd)
{
	struct fdtab *t = curproc()->fds;
	struct chan *c;

	spin_lock(&t->lock);
	c = fd_chan(fd);
	if (c)
		t->fd[fd] = 0;
	spin_unlock(&t->lock);
	if (c == 0)
		return E_BADFD;
	chan_put(c);
	return 0;
}

int sys_stat(const char *path, struct lux_dir *d)
{
	struct chan *c;
	int err = namec(curproc()->ns, path, NAMEC_WALK, 0, 0, &c);

	if (err < 0)
		return err;
	err = c->dev->stat(c, d);
	chan_put(c);
	return err;
}

int sys_fstat(int fd, struct lux_dir *d)
{
	struct chan *c = fd_chan(fd);

	return c ? c->dev->stat(c, d) : E_BADFD;
}

int sys_dirent(int fd, size_t i, struct lux_dir *d)
{
	struct chan *c = fd_chan(fd);

	uint64_t cookie = 0;
	size_t at = 0;
	int r;

	if (c == 0)
		return E_BADFD;
	if (!(c->qid.type & QTDIR))
		return E_NOTDIR;
	/* by cookie (chan_dirnext): reading on from the last entry is one
	 * step; any other index starts over and skips */
	if (i != 0 && i == c->diridx) {
		cookie = c->dircookie;
		at = i;
	}
	do {
		if ((r = chan_dirnext(c, &cookie, d)) <= 0)
			return r;
	} while (at++ < i);
	c->dircookie = cookie;
	c->diridx = i + 1;
	return 1;
}

int sys_remove(const char *path)
{
	struct chan *c;
	int err = namec(curproc()->ns, path, NAMEC_WALK, 0, 0, &c);

	if (err < 0)
		return err;
	err = chan_remove_at(curproc()->ns, path, c);
	chan_put(c);
	return err;
}
