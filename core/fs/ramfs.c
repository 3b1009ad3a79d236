/*
 * ramfs: an in-memory file tree; the root device and /tmp.
 *
 * Ownership: a node is referenced by its parent's child list (while it is
 * linked) and by every chan whose aux points at it.  A removed node is
 * unlinked at once and freed when the last chan lets go, so an open file
 * that is removed stays readable through the chans that had it.
 *
 * A file's contents are red-blue versions (<lux/redblue.h>): a block map
 * plus length, mtime and version.  A write or a truncation stages a red
 * copy (sharing every block it does not touch, copying the ones it does),
 * and commits it whole or not at all: a fault halfway through a write
 * that spans blocks leaves the file exactly as it was.  Bytes past the
 * length in the last block are kept zero, so extending reads zeros.
 */
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/list.h>
#include <lux/lock.h>
#include <lux/redblue.h>
#include <lux/string.h>

#define RAMFS_MAXFILE (64u << 20)	/* 64 MiB: one file may not eat the machine */

/* A data block, shared by the versions that did not change it.  2040
 * bytes of data make the block exactly a 2 KiB allocation. */
#define BLKDATA 2040

struct rblock {
	int32_t refs;
	uint8_t pad[4];
	uint8_t data[BLKDATA];
};

/* One version of a file's contents. */
struct content {
	uint64_t len;
	uint64_t mtime;
	uint32_t vers;
	size_t nblk;		/* entries in blk; 0 entries are holes */
	struct rblock **blk;
};

struct rnode {
	char name[LUX_NAMEMAX];
	struct qid qid;		/* files: vers lives in the content */
	uint32_t mode;
	uint64_t mtime;		/* directories; files keep theirs in content */
	struct rnode *parent;	/* 0 for the root */
	struct list children;	/* directories: struct rnode.sibling */
	struct list sibling;
	struct redblue content;	/* files */
	int ref;		/* chans + 1 while linked into the tree */
	bool linked;
};

static int content_copy(void *dst, const void *src)
{
	struct content *d = dst;
	const struct content *c = src;

	*d = *c;
	d->blk = 0;
	if (c->nblk == 0)
		return 0;
	if (rb_fault() || (d->blk = kmalloc(c->nblk * sizeof *d->blk)) == 0) {
		d->nblk = 0;
		return E_NOMEM;
	}
	for (size_t i = 0; i < c->nblk; i++) {
		d->blk[i] = c->blk[i];
		if (d->blk[i])
			d->blk[i]->refs++;	/* under the ramfs lock */
	}
	return 0;
}

static void block_put(struct rblock *b)
{
	if (b && --b->refs == 0)
		kfree(b);
}

static void content_release(void *p)
{
	struct content *c = p;

	for (size_t i = 0; i < c->nblk; i++)
		block_put(c->blk[i]);
	kfree(c->blk);
}

static const struct rb_ops content_ops = { sizeof(struct content), content_copy, content_release };

static uint64_t nextpath = 1;

static uint64_t now_s(void)
{
	int64_t ns = arch_wallclock_ns();
	return ns > 0 ? (uint64_t)ns / 1000000000u : 0;
}

static struct rnode *node_new(const char *name, uint32_t mode)
{
	struct rnode *n = kzalloc(sizeof *n);
	struct content empty = { .mtime = now_s() };

	if (n == 0)
		return 0;
	if (!(mode & DMDIR) && rb_init(&n->content, &content_ops, &empty) < 0) {
		kfree(n);
		return 0;
	}
	kstrlcpy(n->name, name, sizeof n->name);
	n->mode = mode;
	n->qid.path = nextpath++;
	n->qid.type = (mode & DMDIR) ? QTDIR : QTFILE;
	n->mtime = empty.mtime;
	list_init(&n->children);
	list_init(&n->sibling);
	return n;
}

static void node_put(struct rnode *n)
{
	if (--n->ref > 0)
		return;
	kassert(list_empty(&n->children));
	if (!(n->mode & DMDIR))
		rb_destroy(&n->content);
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

static void fill_dir(struct rnode *n, struct lux_dir *d)
{
	d->qid = n->qid;
	d->mode = n->mode;
	d->mtime = n->mtime;
	d->length = 0;
	if (!(n->mode & DMDIR)) {	/* length, mtime and version: one version */
		const struct content *c = rb_read(&n->content);
		d->length = c->len;
		d->mtime = c->mtime;
		d->qid.vers = c->vers;
		rb_done(&n->content, c);
	}
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

/* Truncate to 0 as one red-blue update. */
static int truncate_file(struct rnode *n)
{
	int err;
	struct content *r = rb_begin(&n->content, &err);

	if (r == 0)
		return err;
	content_release(r);
	r->blk = 0;
	r->nblk = 0;
	r->len = 0;
	r->vers++;
	r->mtime = now_s();
	rb_commit(&n->content);
	return 0;
}

static int do_open(struct chan *c, int mode)
{
	struct rnode *n = c->aux;

	if ((n->mode & DMDIR) && (mode & OMODE) != OREAD)
		return E_ISDIR;
	if ((mode & OTRUNC) && !(n->mode & DMDIR))
		return truncate_file(n);
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
	const struct content *v;
	uint8_t *out = buf;
	size_t done = 0;

	if (n->mode & DMDIR)
		return E_ISDIR;
	v = rb_read(&n->content);
	if (off < v->len) {
		if (count > v->len - off)
			count = (size_t)(v->len - off);
		while (done < count) {
			size_t i = (size_t)((off + done) / BLKDATA), at = (size_t)((off + done) % BLKDATA);
			size_t k = MIN(count - done, BLKDATA - at);
			if (i < v->nblk && v->blk[i])
				kmemcpy(out + done, v->blk[i]->data + at, k);
			else
				kmemset(out + done, 0, k);	/* a hole */
			done += k;
		}
	}
	rb_done(&n->content, v);
	return (long)done;
}

/* Make block i of the red version private and present: a hole gets a
 * zeroed block, a block shared with blue gets a copy.  Each allocation is
 * a step where a fault may be injected. */
static int own_block(struct content *r, size_t i)
{
	struct rblock *b = r->blk[i], *nb;

	if (b && b->refs == 1)
		return 0;
	if (rb_fault() || (nb = kmalloc(sizeof *nb)) == 0)
		return E_NOMEM;
	nb->refs = 1;
	if (b) {
		kmemcpy(nb->data, b->data, BLKDATA);
		b->refs--;	/* still held by blue: refs was > 1 */
	} else {
		kmemset(nb->data, 0, BLKDATA);
	}
	r->blk[i] = nb;
	return 0;
}

/* Grow the red block map to at least nblk entries (new entries are holes). */
static int grow_map(struct content *r, size_t nblk)
{
	struct rblock **m;

	if (nblk <= r->nblk)
		return 0;
	if (rb_fault() || (m = kmalloc(nblk * sizeof *m)) == 0)
		return E_NOMEM;
	for (size_t i = 0; i < nblk; i++)
		m[i] = i < r->nblk ? r->blk[i] : 0;
	kfree(r->blk);
	r->blk = m;
	r->nblk = nblk;
	return 0;
}

static long do_write(struct chan *c, const void *buf, size_t count, uint64_t off)
{
	struct rnode *n = c->aux;
	const uint8_t *in = buf;
	struct content *r;
	size_t done = 0;
	int err;

	if (n->mode & DMDIR)
		return E_ISDIR;
	if (off > RAMFS_MAXFILE || count > RAMFS_MAXFILE - off)
		return E_TOOBIG;
	if ((r = rb_begin(&n->content, &err)) == 0)
		return err;
	if ((err = grow_map(r, (size_t)((off + count + BLKDATA - 1) / BLKDATA))) < 0)
		goto abort;
	while (done < count) {
		size_t i = (size_t)((off + done) / BLKDATA), at = (size_t)((off + done) % BLKDATA);
		size_t k = MIN(count - done, BLKDATA - at);
		if ((err = own_block(r, i)) < 0)
			goto abort;
		kmemcpy(r->blk[i]->data + at, in + done, k);
		done += k;
	}
	if (off + count > r->len)
		r->len = off + count;
	r->vers++;
	r->mtime = now_s();
	rb_commit(&n->content);	/* data, length, mtime, version: at once */
	return (long)count;
abort:
	rb_abort(&n->content);	/* the file is as it was */
	return err;
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

	/* Removed already (through another chan: two 9P clients racing) is
	 * "does not exist"; test it first, since removal also clears parent
	 * and would otherwise read as the root's "permission denied". */
	if (!n->linked)
		return E_NOENT;
	if (dir == 0)
		return E_PERM;	/* the root of the tree */
	if (!list_empty(&n->children))
		return E_NOTEMPTY;
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
