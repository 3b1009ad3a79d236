/*
 * ramfs: an in-memory file tree; the root device and /tmp.
 *
 * Ownership: a name (struct rnode, a directory entry) is referenced by
 * its parent's child list (while it is linked), by its children, and by
 * every chan whose aux points at it; an inode (struct rinode: what the file
 * is) by each of its names, linked or not.  A removed name is unlinked at
 * once and freed when the last chan lets go, and the inode when its last
 * name goes, so an open file that is removed stays readable through the
 * chans that had it, and a file with another name (a hard link) lives on
 * under it.  Each attach is a tree that counts the chans on its nodes;
 * when the last one goes nothing can reach the tree any more and it is
 * freed whole.
 *
 * A file's contents are red-blue versions (<lux/redblue.h>): a block
 * tree (ramfs_blocks.c) plus length, mtime and version.  A write or a
 * truncation stages a red copy (sharing every block it does not touch,
 * copying the ones it does), and commits it whole or not at all: a fault
 * halfway through a write that spans blocks leaves the file exactly as it
 * was.  Bytes past the length in the last block are kept zero, so
 * extending reads zeros; blocks never written are holes (null in the
 * tree) and read as zeros.
 *
 * Permissions: the one check (<lux/perm.h>): an open needs r/w/x as its
 * mode says, a create or remove needs w on the directory.
 *
 * Quotas (docs/quotas.md): an inode's entry and its content's blocks and
 * maps are charged to its owner (uid) while the inode exists: the entry
 * when it is made, the data as a write adds it; a truncation gives back
 * what it drops, chown moves the whole charge (ramfs_meta.c), and the
 * inode's last name gives back the rest, so a removed file that is still
 * open (or still has another name) is still paid for, as on a disk.  A
 * hard link's name is its maker's to pay for (ramfs_meta.c).
 *
 * Directory entries carry a sequence number in link order; it is the
 * readdir cookie (dirnext).  Attributes, rename and symbolic links are
 * ramfs_meta.c.
 */
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/list.h>
#include <lux/perm.h>
#include <lux/quota.h>
#include <lux/users.h>
#include <lux/lock.h>
#include <lux/redblue.h>
#include <lux/string.h>

#include "ramfs.h"

/* An entry's charge covers its first name and its inode (kmalloc's 256
 * class each), a link's its own name. */
_Static_assert(sizeof(struct rnode) <= RAMFS_LINK_COST, "a name costs its allocation");
_Static_assert(sizeof(struct rnode) + sizeof(struct rinode) <= RAMFS_ENTRY_COST &&
                   sizeof(struct rinode) <= RAMFS_ENTRY_COST - RAMFS_LINK_COST,
               "an entry costs its name and its inode");

static uint64_t nextpath = 1;

uint64_t ramfs_now(void)
{
	int64_t ns = arch_wallclock_ns();
	return ns > 0 ? (uint64_t)ns / 1000000000u : 0;
}

struct rnode *ramfs_node_new(const char *name, uint32_t mode)
{
	struct rnode *n = kzalloc(sizeof *n);
	struct rinode *ino = kzalloc(sizeof *ino);
	struct content empty = { .mtime = ramfs_now(), .atime = ramfs_now() };

	if (n == 0 || ino == 0 ||
	    (!(mode & DMDIR) && rb_init(&ino->content, &ramfs_content_ops, &empty) < 0)) {
		kfree(ino);
		kfree(n);
		return 0;
	}
	ino->mode = mode;
	ino->ctime = empty.mtime;
	ino->qid.path = nextpath++;
	ino->qid.type = (mode & DMDIR) ? QTDIR : (mode & DMSYMLINK) ? QTSYMLINK : QTFILE;
	ino->mtime = ino->atime = empty.mtime;
	ino->ref = 1;
	n->ino = ino;
	kstrlcpy(n->name, name, sizeof n->name);
	list_init(&n->children);
	list_init(&n->sibling);
	return n;
}

int ramfs_charge_entry(struct rnode *n)
{
	int err = quota_charge(n->ino->uid, RAMFS_ENTRY_COST);

	n->ino->charged = err == 0;
	return err;
}

/* Free an inode no name references, giving its owner back what it paid. */
static void inode_put(struct rinode *ino)
{
	if (--ino->ref > 0)
		return;
	if (ino->charged) {
		uint64_t cost = RAMFS_ENTRY_COST;
		if (!(ino->mode & DMDIR)) {
			const struct content *c = rb_read(&ino->content);
			cost += ramfs_cost(c);
			rb_done(&ino->content, c);
		}
		quota_release(ino->uid, cost);
	}
	if (!(ino->mode & DMDIR))
		rb_destroy(&ino->content);
	kfree(ino);
}

/* Free a name no one references: its maker gets back what a link cost,
 * and its inode loses a reference. */
static void node_free(struct rnode *n)
{
	if (n->payer[0])
		quota_release(n->payer, RAMFS_LINK_COST);
	inode_put(n->ino);
	kfree(n);
}

void ramfs_node_put(struct rnode *n)
{
	if (--n->ref > 0)
		return;
	kassert(list_empty(&n->children));
	node_free(n);
}

const char *ramfs_user(void)
{
	struct proc *p = curproc();

	return p && p->cred.user[0] ? p->cred.user : eve;
}

static int do_attach(struct chan *c, const char *spec)
{
	struct rtree *tree;
	struct rnode *root;
	int err;

	USED(spec);
	if ((tree = kzalloc(sizeof *tree)) == 0)
		return E_NOMEM;
	root = ramfs_node_new("/", DMDIR | 0775);
	if (root == 0) {
		kfree(tree);
		return E_NOMEM;
	}
	kstrlcpy(root->ino->uid, ramfs_user(), sizeof root->ino->uid);	/* the attacher's tree */
	kstrlcpy(root->ino->gid, ramfs_user(), sizeof root->ino->gid);
	kstrlcpy(root->ino->muid, ramfs_user(), sizeof root->ino->muid);
	if ((err = ramfs_charge_entry(root)) < 0) {
		node_free(root);
		kfree(tree);
		return err;
	}
	root->ref = 2;	/* the attach, and "linked" as the root of its tree */
	root->linked = true;
	root->ino->nlink = 1;
	root->tree = tree;
	tree->root = root;
	tree->chans = 1;
	c->aux = root;
	c->qid = root->ino->qid;
	return 0;
}

static void do_clone(struct chan *from, struct chan *to)
{
	struct rnode *n = to->aux;

	USED(from);
	n->ref++;
	n->tree->chans++;
}

struct rnode *ramfs_lookup(struct rnode *dir, const char *name)
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

	if (!(dir->ino->mode & DMDIR))
		return E_NOTDIR;
	n = ramfs_lookup(dir, name);
	if (n == 0)
		return E_NOENT;
	n->ref++;
	ramfs_node_put(dir);
	c->aux = n;
	c->qid = n->ino->qid;
	return 0;
}

/* What stat says of a name: its inode's attributes under its own name. */
static void fill_dir(struct rnode *e, struct lux_dir *d)
{
	struct rinode *n = e->ino;

	d->qid = n->qid;
	d->mode = n->mode;
	d->major = n->major;
	d->minor = n->minor;
	d->mtime = n->mtime;
	d->atime = n->atime;
	d->length = 0;
	d->ctime = n->ctime;
	/* POSIX's link counts: a file's names; a directory's its own name,
	 * its "." and each subdirectory's ".."; 0 once removed (fstat of an
	 * open file that was unlinked, or of a removed directory) */
	if (n->mode & DMDIR)
		d->nlink = n->nlink ? 2 + n->subdirs : 0;
	else
		d->nlink = n->nlink;
	d->nlink_kept = true;
	if (!(n->mode & DMDIR)) {	/* length, times and version: one version */
		const struct content *c = rb_read(&n->content);
		d->length = c->len;
		d->mtime = c->mtime;
		d->atime = c->atime;
		d->qid.vers = c->vers;
		rb_done(&n->content, c);
	}
	/* a write moves mtime to now without touching the node, so the
	 * later of the two is the last change (a chosen mtime in the future
	 * shows as ctime too, until the next change) */
	if (d->mtime > d->ctime)
		d->ctime = d->mtime;
	kstrlcpy(d->name, e->name, sizeof d->name);
	kstrlcpy(d->uid, n->uid, sizeof d->uid);
	kstrlcpy(d->gid, n->gid, sizeof d->gid);
	kstrlcpy(d->muid, n->muid, sizeof d->muid);
}

static int do_stat(struct chan *c, struct lux_dir *d)
{
	fill_dir(c->aux, d);
	return 0;
}

void ramfs_touch(struct rnode *n)
{
	n->ino->qid.vers++;
	n->ino->mtime = ramfs_now();
}

bool ramfs_may(const struct rnode *n, uint32_t need)
{
	struct proc *p = curproc();

	return p == 0 ||
	       perm_allows(&p->cred, n->ino->uid, n->ino->gid, n->ino->mode, (int)(need >> 6));
}

void ramfs_own(struct rnode *n, const struct rnode *dir)
{
	kstrlcpy(n->ino->uid, ramfs_user(), sizeof n->ino->uid);
	kstrlcpy(n->ino->gid, dir->ino->gid, sizeof n->ino->gid);
	kstrlcpy(n->ino->muid, ramfs_user(), sizeof n->ino->muid);
}

/* The owner permission bits an open in mode needs. */
static uint32_t open_needs(int mode)
{
	static const uint32_t need[4] = { 0400, 0200, 0600, 0100 };
	return need[mode & OMODE] | ((mode & OTRUNC) ? 0200u : 0);
}

void ramfs_link(struct rnode *dir, struct rnode *n)
{
	n->tree = dir->tree;
	n->parent = dir;
	dir->ref++;	/* a child keeps its parent */
	n->linked = true;
	n->ref++;	/* the tree's */
	n->seq = ++dir->lastseq;
	list_push_back(&dir->children, &n->sibling);
	n->ino->nlink++;
	if (n->ino->mode & DMDIR)
		dir->ino->subdirs++;	/* its ".." */
	n->ino->ctime = ramfs_now();
	ramfs_touch(dir);
}

void ramfs_unlink(struct rnode *n)
{
	struct rnode *dir = n->parent;

	list_remove(&n->sibling);
	n->linked = false;
	n->parent = 0;
	kassert(n->ino->nlink > 0);
	n->ino->nlink--;
	if (n->ino->mode & DMDIR)
		dir->ino->subdirs--;
	n->ino->ctime = ramfs_now();
	ramfs_touch(dir);
	ramfs_node_put(dir);
}

/* Truncate to 0 as one red-blue update; the owner gets the cost back. */
static int truncate_file(struct rinode *n)
{
	int err;
	struct content *r = rb_begin(&n->content, &err);
	uint64_t cost;

	if (r == 0)
		return err;
	cost = ramfs_cost(r);
	ramfs_content_ops.release(r);	/* red's references: blue keeps its own */
	r->depth = 0;
	r->len = 0;
	r->vers++;
	r->mtime = ramfs_now();
	rb_commit(&n->content);
	if (n->charged)
		quota_release(n->uid, cost);
	return 0;
}

static int do_open(struct chan *c, int mode)
{
	struct rnode *e = c->aux;
	struct rinode *n = e->ino;

	if ((n->mode & DMDIR) && (mode & OMODE) != OREAD)
		return E_ISDIR;
	if ((n->mode & (DMSYMLINK | DMSPECIAL)) && (mode & (OMODE | OTRUNC)) != OREAD)
		return E_PERM;	/* a link changes only by being replaced; a special
				 * file's data is the client's, never stored here */
	if (!ramfs_may(e, open_needs(mode)))
		return E_PERM;
	if ((mode & OTRUNC) && !(n->mode & DMDIR))
		return truncate_file(n);
	return 0;
}

static int do_create(struct chan *c, const char *name, int mode, uint32_t perm)
{
	struct rnode *dir = c->aux, *n;
	int err;

	if (!(dir->ino->mode & DMDIR))
		return E_NOTDIR;
	if (ramfs_lookup(dir, name))
		return E_EXIST;
	if ((perm & DMDIR) && (mode & OMODE) != OREAD)
		return E_ISDIR;
	if (!ramfs_may(dir, 0200))
		return E_PERM;
	n = ramfs_node_new(name, perm & (DMDIR | 0777u | ((perm & DMDIR) ? DMSTICKY : 0)));
	if (n == 0)
		return E_NOMEM;
	ramfs_own(n, dir);
	if ((err = ramfs_charge_entry(n)) < 0) {
		node_free(n);
		return err;
	}
	n->ref = 1;	/* this chan */
	ramfs_link(dir, n);
	ramfs_node_put(dir);	/* the chan moves from dir to n */
	c->aux = n;
	c->qid = n->ino->qid;
	return 0;
}

static long do_read(struct chan *c, void *buf, size_t count, uint64_t off)
{
	return ramfs_read_locked(c->aux, buf, count, off);
}

long ramfs_read_locked(struct rnode *e, void *buf, size_t count, uint64_t off)
{
	struct rinode *n = e->ino;
	const struct content *v;
	size_t done;

	if (n->mode & DMDIR)
		return E_ISDIR;
	v = rb_read(&n->content);
	done = ramfs_blk_read(v, buf, count, off);
	rb_done(&n->content, v);
	return (long)done;
}

static long do_write(struct chan *c, const void *buf, size_t count, uint64_t off)
{
	struct rnode *n = c->aux;

	if (n->ino->mode & (DMSYMLINK | DMSPECIAL))
		return E_PERM;
	return ramfs_write_locked(n, buf, count, off);
}

/* A write is one red-blue update: the blocks it adds are charged to the
 * owner as they are made, and given back if anything fails. */
long ramfs_write_locked(struct rnode *e, const void *buf, size_t count, uint64_t off)
{
	struct rinode *n = e->ino;
	struct rwctx w = { n->uid, 0, false };
	struct content *r;
	int err;

	if (n->mode & DMDIR)
		return E_ISDIR;
	if (off > RAMFS_MAXLEN || count > RAMFS_MAXLEN - off)
		return E_TOOBIG;
	if ((r = rb_begin(&n->content, &err)) == 0)
		return err;
	if ((err = ramfs_blk_write(r, buf, count, off, &w)) < 0) {
		rb_abort(&n->content);	/* the file is as it was */
		quota_release(n->uid, w.charged);
		return err;
	}
	r->vers++;
	r->mtime = ramfs_now();
	rb_commit(&n->content);	/* data, length, mtime, version: at once */
	return (long)count;
}

/* The child after cookie: children are in link order, and seq grows
 * along the list, so the cookie of an entry stays its place whatever is
 * created or removed meanwhile. */
static int do_dirnext(struct chan *c, uint64_t *cookie, struct lux_dir *d)
{
	struct rnode *dir = c->aux;
	struct list *l;

	if (!(dir->ino->mode & DMDIR))
		return E_NOTDIR;
	list_for_each(l, &dir->children) {
		struct rnode *n = list_entry(l, struct rnode, sibling);
		if (n->seq > *cookie) {
			fill_dir(n, d);
			*cookie = n->seq;
			return 1;
		}
	}
	return 0;
}

static int do_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	struct rnode *dir = c->aux;
	struct list *l;

	if (!(dir->ino->mode & DMDIR))
		return E_NOTDIR;
	list_for_each(l, &dir->children) {
		if (i-- == 0) {
			fill_dir(list_entry(l, struct rnode, sibling), d);
			return 1;
		}
	}
	return 0;
}

/* Free every node of a tree no chan can reach any more.  Iterative, not
 * recursive: a client may have made the tree as deep as it liked. */
static void tree_free(struct rtree *t)
{
	struct rnode *n = t->root, *up;

	while (n) {
		if (!list_empty(&n->children)) {
			n = list_entry(n->children.next, struct rnode, sibling);
			continue;
		}
		up = n->parent;
		if (up)
			list_remove(&n->sibling);
		node_free(n);
		n = up;
	}
	kfree(t);
}

static void do_close(struct chan *c)
{
	struct rnode *n = c->aux;
	struct rtree *t = n->tree;

	ramfs_node_put(n);	/* a removed node goes here, with its last chan */
	if (--t->chans == 0)
		tree_free(t);	/* no chan left: every node is unreachable */
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
	if (!ramfs_may(dir, 0200))
		return E_PERM;
	ramfs_unlink(n);
	ramfs_node_put(n);	/* the tree's reference; chans keep theirs */
	return 0;
}

/*
 * One lock for every ramfs tree: procs preempt each other, and a tree
 * operation (a walk, a multi-field update, a remove) must not be seen
 * half done.  Each entry point below takes it around the work above.
 */
static struct qlock lock = QLOCK_INIT(lock, "ramfs");

#define LOCKED(expr) \
	do { \
		qlock(&lock); \
		r = (expr); \
		qunlock(&lock); \
	} while (0)

/* For ramfs_store.c, which walks and builds trees under the same lock. */
void ramfs_qlock(void)
{
	qlock(&lock);
}

void ramfs_qunlock(void)
{
	qunlock(&lock);
}

static int ramfs_attach(struct chan *c, const char *spec)
{
	int r;
	LOCKED(do_attach(c, spec));
	return r;
}
static void ramfs_clone(struct chan *from, struct chan *to)
{
	qlock(&lock);
	do_clone(from, to);
	qunlock(&lock);
}
static int ramfs_walk(struct chan *c, const char *name)
{
	int r;
	LOCKED(do_walk(c, name));
	return r;
}
static int ramfs_stat(struct chan *c, struct lux_dir *d)
{
	int r;
	LOCKED(do_stat(c, d));
	return r;
}
static int ramfs_open(struct chan *c, int mode)
{
	int r;
	LOCKED(do_open(c, mode));
	return r;
}
static int ramfs_create(struct chan *c, const char *name, int mode, uint32_t perm)
{
	int r;
	LOCKED(do_create(c, name, mode, perm));
	return r;
}
static long ramfs_read(struct chan *c, void *buf, size_t n, uint64_t off)
{
	long r;
	LOCKED(do_read(c, buf, n, off));
	return r;
}
static long ramfs_write(struct chan *c, const void *buf, size_t n, uint64_t off)
{
	long r;
	LOCKED(do_write(c, buf, n, off));
	return r;
}
static int ramfs_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	int r;
	LOCKED(do_dirent(c, i, d));
	return r;
}
static void ramfs_close(struct chan *c)
{
	qlock(&lock);
	do_close(c);
	qunlock(&lock);
}
static int ramfs_remove(struct chan *c)
{
	int r;
	LOCKED(do_remove(c));
	return r;
}
static int ramfs_wstat(struct chan *c, const struct lux_wstat *w)
{
	int r;
	LOCKED(ramfs_do_wstat(c, w));
	return r;
}
static int ramfs_rename(struct chan *c, struct chan *newdir, const char *name)
{
	int r;
	LOCKED(ramfs_do_rename(c, newdir, name));
	return r;
}
static int ramfs_symlink(struct chan *c, const char *name, const char *target)
{
	int r;
	LOCKED(ramfs_do_symlink(c, name, target));
	return r;
}
static int ramfs_mknod(struct chan *c, const char *name, uint32_t mode, uint32_t major,
                       uint32_t minor)
{
	int r;
	LOCKED(ramfs_do_mknod(c, name, mode, major, minor));
	return r;
}
static int ramfs_hardlink(struct chan *c, struct chan *dir, const char *name)
{
	int r;
	LOCKED(ramfs_do_link(c, dir, name));
	return r;
}
static long ramfs_readlink(struct chan *c, char *buf, size_t n)
{
	long r;
	LOCKED(ramfs_do_readlink(c, buf, n));
	return r;
}
static int ramfs_dirnext(struct chan *c, uint64_t *cookie, struct lux_dir *d)
{
	int r;
	LOCKED(do_dirnext(c, cookie, d));
	return r;
}

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
	.wstat = ramfs_wstat,
	.rename = ramfs_rename,
	.symlink = ramfs_symlink,
	.mknod = ramfs_mknod,
	.link = ramfs_hardlink,
	.readlink = ramfs_readlink,
	.dirnext = ramfs_dirnext,
};
