/*
 * ramfs: an in-memory file tree; the root device and /tmp.
 *
 * Ownership: a node is referenced by its parent's child list (while it is
 * linked) and by every chan whose aux points at it.  A removed node is
 * unlinked at once and freed when the last chan lets go, so an open file
 * that is removed stays readable through the chans that had it.
 */
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/list.h>
#include <lux/lock.h>
#include <lux/string.h>

#define RAMFS_MAXFILE (64u << 20)	/* 64 MiB: one file may not eat the machine */

struct rnode {
	char name[LUX_NAMEMAX];
	struct qid qid;
	uint32_t mode;
	uint64_t mtime;
	struct rnode *parent;	/* 0 for the root */
	struct list children;	/* directories: struct rnode.sibling */
	struct list sibling;
	uint8_t *data;		/* files: contents */
	size_t len, cap;
	int ref;		/* chans + 1 while linked into the tree */
	bool linked;
};

static uint64_t nextpath = 1;

static uint64_t now_s(void)
{
	int64_t ns = arch_wallclock_ns();
	return ns > 0 ? (uint64_t)ns / 1000000000u : 0;
}

static struct rnode *node_new(const char *name, uint32_t mode)
{
	struct rnode *n = kzalloc(sizeof *n);

	if (n == 0)
		return 0;
	kstrlcpy(n->name, name, sizeof n->name);
	n->mode = mode;
	n->qid.path = nextpath++;
	n->qid.type = (mode & DMDIR) ? QTDIR : QTFILE;
	n->mtime = now_s();
	list_init(&n->children);
	list_init(&n->sibling);
	return n;
}

static void node_put(struct rnode *n)
{
	if (--n->ref > 0)
		return;
	kassert(list_empty(&n->children));
	kfree(n->data);
	kfree(n);
}

static int do_attach(struct chan *c, const char *spec)
{
	struct rnode *root;

	USED(spec);
	root = node_new("/", DMDIR | 0777);
	if (root == 0)
		return E_NOMEM;
	root->ref = 2;	/* the attach, and "linked" as the root of its tree */
	root->linked = true;
	c->aux = root;
	c->qid = root->qid;
	return 0;
}

static void do_clone(struct chan *from, struct chan *to)
{
	USED(from);
	((struct rnode *)to->aux)->ref++;
}

static struct rnode *lookup(struct rnode *dir, const char *name)
{
	struct list *l;

	list_for_each(l, &dir->children) {
		struct rnode *n = list_entry(l, struct rnode, sibling);
		if (kstrcmp(n->name, name) == 0)
			return n;
	}
	return 0;
}

static int do_walk(struct chan *c, const char *name)
{
	struct rnode *dir = c->aux, *n;

	if (!(dir->mode & DMDIR))
		return E_NOTDIR;
	n = lookup(dir, name);
	if (n == 0)
		return E_NOENT;
	n->ref++;
	node_put(dir);
	c->aux = n;
	c->qid = n->qid;
	return 0;
}

static void fill_dir(const struct rnode *n, struct lux_dir *d)
{
	d->qid = n->qid;
	d->mode = n->mode;
	d->mtime = n->mtime;
	d->length = (n->mode & DMDIR) ? 0 : n->len;
	kstrlcpy(d->name, n->name, sizeof d->name);
}

static int do_stat(struct chan *c, struct lux_dir *d)
{
	fill_dir(c->aux, d);
	return 0;
}

static void touch(struct rnode *n)
{
	n->qid.vers++;
	n->mtime = now_s();
}

static int do_open(struct chan *c, int mode)
{
	struct rnode *n = c->aux;

	if ((n->mode & DMDIR) && (mode & OMODE) != OREAD)
		return E_ISDIR;
	if ((mode & OTRUNC) && !(n->mode & DMDIR)) {
		n->len = 0;
		touch(n);
	}
	return 0;
}

static int do_create(struct chan *c, const char *name, int mode, uint32_t perm)
{
	struct rnode *dir = c->aux, *n;

	if (!(dir->mode & DMDIR))
		return E_NOTDIR;
	if (lookup(dir, name))
		return E_EXIST;
	if ((perm & DMDIR) && (mode & OMODE) != OREAD)
		return E_ISDIR;
	n = node_new(name, perm);
	if (n == 0)
		return E_NOMEM;
	n->parent = dir;
	dir->ref++;	/* a child keeps its parent */
	n->linked = true;
	n->ref = 2;	/* linked, and this chan */
	list_push_back(&dir->children, &n->sibling);
	touch(dir);
	node_put(dir);	/* the chan moves from dir to n */
	c->aux = n;
	c->qid = n->qid;
	return 0;
}

static long do_read(struct chan *c, void *buf, size_t count, uint64_t off)
{
	struct rnode *n = c->aux;

	if (n->mode & DMDIR)
		return E_ISDIR;
	if (off >= n->len)
		return 0;
	if (count > n->len - off)
		count = n->len - (size_t)off;
	kmemcpy(buf, n->data + off, count);
	return (long)count;
}

/* Grow the buffer to hold at least need bytes; doubling keeps appends
 * linear. */
static int reserve(struct rnode *n, size_t need)
{
	size_t cap = n->cap ? n->cap : 64;
	uint8_t *d;

	if (need <= n->cap)
		return 0;
	if (need > RAMFS_MAXFILE)
		return E_TOOBIG;
	while (cap < need)
		cap *= 2;
	if (cap > RAMFS_MAXFILE)
		cap = RAMFS_MAXFILE;
	d = kmalloc(cap);
	if (d == 0)
		return E_NOMEM;
	kmemcpy(d, n->data, n->len);
	kfree(n->data);
	n->data = d;
	n->cap = cap;
	return 0;
}

static long do_write(struct chan *c, const void *buf, size_t count, uint64_t off)
{
	struct rnode *n = c->aux;
	int err;

	if (n->mode & DMDIR)
		return E_ISDIR;
	if (off > RAMFS_MAXFILE || count > RAMFS_MAXFILE - off)
		return E_TOOBIG;
	if ((err = reserve(n, (size_t)off + count)) < 0)
		return err;
	if (off > n->len)	/* a sparse write reads back as zeros */
		kmemset(n->data + n->len, 0, (size_t)off - n->len);
	kmemcpy(n->data + off, buf, count);
	if (off + count > n->len)
		n->len = (size_t)off + count;
	touch(n);
	return (long)count;
}

static int do_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	struct rnode *dir = c->aux;
	struct list *l;

	if (!(dir->mode & DMDIR))
		return E_NOTDIR;
	list_for_each(l, &dir->children) {
		if (i-- == 0) {
			fill_dir(list_entry(l, struct rnode, sibling), d);
			return 1;
		}
	}
	return 0;
}

static void do_close(struct chan *c)
{
	node_put(c->aux);
}

static int do_remove(struct chan *c)
{
	struct rnode *n = c->aux, *dir = n->parent;

	if (dir == 0)
		return E_PERM;	/* the root of the tree */
	if (!list_empty(&n->children))
		return E_NOTEMPTY;
	if (!n->linked)
		return E_NOENT;
	list_remove(&n->sibling);
	n->linked = false;
	n->parent = 0;
	touch(dir);
	node_put(dir);
	node_put(n);	/* the tree's reference; chans keep theirs */
	return 0;
}

/*
 * One lock for every ramfs tree: procs preempt each other, and a tree
 * operation (a walk, a multi-field update, a remove) must not be seen
 * half done.  Each entry point below takes it around the work above.
 */
static struct qlock lock = QLOCK_INIT(lock, "ramfs");

#define LOCKED(expr) do { qlock(&lock); r = (expr); qunlock(&lock); } while (0)

static int ramfs_attach(struct chan *c, const char *spec)
{ int r; LOCKED(do_attach(c, spec)); return r; }
static void ramfs_clone(struct chan *from, struct chan *to)
{ qlock(&lock); do_clone(from, to); qunlock(&lock); }
static int ramfs_walk(struct chan *c, const char *name)
{ int r; LOCKED(do_walk(c, name)); return r; }
static int ramfs_stat(struct chan *c, struct lux_dir *d)
{ int r; LOCKED(do_stat(c, d)); return r; }
static int ramfs_open(struct chan *c, int mode)
{ int r; LOCKED(do_open(c, mode)); return r; }
static int ramfs_create(struct chan *c, const char *name, int mode, uint32_t perm)
{ int r; LOCKED(do_create(c, name, mode, perm)); return r; }
static long ramfs_read(struct chan *c, void *buf, size_t n, uint64_t off)
{ long r; LOCKED(do_read(c, buf, n, off)); return r; }
static long ramfs_write(struct chan *c, const void *buf, size_t n, uint64_t off)
{ long r; LOCKED(do_write(c, buf, n, off)); return r; }
static int ramfs_dirent(struct chan *c, size_t i, struct lux_dir *d)
{ int r; LOCKED(do_dirent(c, i, d)); return r; }
static void ramfs_close(struct chan *c)
{ qlock(&lock); do_close(c); qunlock(&lock); }
static int ramfs_remove(struct chan *c)
{ int r; LOCKED(do_remove(c)); return r; }

const struct dev ramfs_dev = {
	.name = "ramfs",
	.attach = ramfs_attach,
	.clone = ramfs_clone,
	.walk = ramfs_walk,
	.stat = ramfs_stat,
	.open = ramfs_open,
	.create = ramfs_create,
	.read = ramfs_read,
	.write = ramfs_write,
	.dirent = ramfs_dirent,
	.close = ramfs_close,
	.remove = ramfs_remove,
};
