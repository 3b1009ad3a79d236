/*
 * ramfs's optional operations: wstat (name, mode, length, times at once),
 * rename, symbolic links, special files, hard links.  Called with the
 * ramfs lock held (ramfs.c).  A wstat changes the inode, so every name
 * of the file sees it; a rename moves one name.
 *
 * wstat is all or nothing (docs/redblue.md): first every field is
 * checked with nothing changed; then the steps that can fail (copying
 * the content for red, owning the block a truncation cuts) run on the red
 * version only; last, with nothing left that can fail, red is committed
 * and the name and mode are stored, all under the lock, so no reader sees
 * some fields new and others old.  A fault at any step leaves the file as
 * it was.  A chown moves the file's whole charge (entry and data) to the
 * new owner as the last step that may fail: a new owner without room
 * refuses the wstat with the quota sentence, and nothing changes.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/list.h>
#include <lux/quota.h>
#include <lux/string.h>

#include "ramfs.h"

#define SYMLINK_MAX 1024	/* a link's target, bytes */

static bool is_dir(const struct rnode *n)
{
	return n->ino->mode & DMDIR;
}

/* A name a directory may hold: one element, not "." or "..". */
static int check_name(const char *name)
{
	size_t len = kstrnlen(name, LUX_NAMEMAX);

	if (len == 0 || kstrchr(name, '/') || kstrcmp(name, ".") == 0 || kstrcmp(name, "..") == 0)
		return E_BADPATH;
	if (len == LUX_NAMEMAX)
		return E_NAMETOOLONG;
	return 0;
}

static int check_wstat(const struct rnode *n, const struct lux_wstat *w)
{
	uint32_t mode = n->ino->mode;
	int err;

	if (w->name && kstrcmp(w->name, n->name) != 0) {
		if ((err = check_name(w->name)) < 0)
			return err;
		if (n->parent == 0 || !n->linked)
			return E_PERM;	/* the root, or a removed file: no directory to rename in */
		if (!ramfs_may(n->parent, 0200))
			return E_PERM;
		if (ramfs_lookup(n->parent, w->name))
			return E_EXIST;	/* wstat(5): never replaces */
	}
	if (w->mode != LUX_KEEP32 && (w->mode & ~(DMCHMOD | DMDIR | DMSYMLINK | DMSPECIAL)) != 0)
		return E_INVAL;	/* append-only, exclusive, set-id...: not here */
	if (w->mode != LUX_KEEP32 &&
	    (w->mode & (DMDIR | DMSYMLINK | DMSPECIAL)) != (mode & (DMDIR | DMSYMLINK | DMSPECIAL)))
		return E_PERM;	/* a file does not change its kind */
	if (w->length != LUX_KEEP64) {
		if (is_dir(n) && w->length != 0)
			return E_ISDIR;
		if ((mode & (DMSYMLINK | DMSPECIAL)) || (!is_dir(n) && !ramfs_may(n, 0200)))
			return E_PERM;
		if (w->length > RAMFS_MAXLEN)
			return E_TOOBIG;
	}
	return 0;
}

int ramfs_do_wstat(struct chan *c, const struct lux_wstat *w)
{
	struct rnode *e = c->aux;
	struct rinode *n = e->ino;
	bool rename = w->name && kstrcmp(w->name, e->name) != 0;
	bool content = !is_dir(e) && (w->length != LUX_KEEP64 || w->mtime != LUX_KEEP64 ||
	                              w->atime != LUX_KEEP64);
	bool chown = w->uid && kstrcmp(w->uid, n->uid) != 0 && n->charged;
	struct rwctx ctx = { n->uid, 0, false };
	struct content *r = 0;
	uint64_t oldcost = 0, newcost = 0;
	int err;

	/* 1. checks: nothing has changed yet */
	if ((err = check_wstat(e, w)) < 0)
		return err;
	/* 2. steps that may fail, on red only */
	if (content) {
		if ((r = rb_begin(&n->content, &err)) == 0)
			return err;
		oldcost = newcost = ramfs_cost(r);	/* blue's, which red copies */
		if (w->length != LUX_KEEP64 && w->length != r->len) {
			if ((err = ramfs_resize(r, w->length, &ctx)) < 0) {
				rb_abort(&n->content);	/* the file is as it was */
				return err;
			}
			kassert(ctx.charged == 0);	/* a resize only gives back */
			newcost = ramfs_cost(r);
			r->vers++;
			r->mtime = ramfs_now();
		}
		if (w->mtime != LUX_KEEP64)
			r->mtime = w->mtime;
		if (w->atime != LUX_KEEP64)
			r->atime = w->atime;
	} else if (chown && !is_dir(e)) {
		const struct content *v = rb_read(&n->content);
		oldcost = newcost = ramfs_cost(v);
		rb_done(&n->content, v);
	}
	/* the last step that may fail: the new owner takes the charge */
	if (chown && (err = quota_move(n->uid, w->uid, newcost + RAMFS_ENTRY_COST)) < 0) {
		if (r)
			rb_abort(&n->content);
		return err;
	}
	/* 3. nothing can fail from here: publish every field */
	if (r)
		rb_commit(&n->content);
	if (n->charged && oldcost > newcost)
		quota_release(n->uid, oldcost - newcost);	/* the old owner's, if it moved */
	if (is_dir(e)) {
		if (w->mtime != LUX_KEEP64)
			n->mtime = w->mtime;
		if (w->atime != LUX_KEEP64)
			n->atime = w->atime;
	}
	if (w->mode != LUX_KEEP32)
		n->mode = (n->mode & ~DMCHMOD) | (w->mode & DMCHMOD);
	if (w->uid)
		kstrlcpy(n->uid, w->uid, sizeof n->uid);
	if (w->gid)
		kstrlcpy(n->gid, w->gid, sizeof n->gid);
	if (rename) {
		kstrlcpy(e->name, w->name, sizeof e->name);
		ramfs_touch(e->parent);
	}
	n->ctime = ramfs_now();	/* POSIX: chmod, chown, utimes, truncate */
	n->qid.vers++;
	return 0;
}

/* Is a an ancestor of b (or b itself)? */
static bool contains(const struct rnode *a, const struct rnode *b)
{
	for (; b; b = b->parent)
		if (a == b)
			return true;
	return false;
}

int ramfs_do_rename(struct chan *c, struct chan *newdir, const char *name)
{
	struct rnode *n = c->aux, *nd, *old;
	int err;

	if (newdir->dev != c->dev || ((struct rnode *)newdir->aux)->tree != n->tree)
		return E_XDEV;	/* another device, or another attach of ramfs */
	nd = newdir->aux;
	if ((err = check_name(name)) < 0)
		return err;
	if (!is_dir(nd))
		return E_NOTDIR;
	if (n->parent == 0 || !n->linked || (nd->parent && !nd->linked))
		return E_NOENT;	/* the root, or something already removed */
	if (!ramfs_may(n->parent, 0200) || !ramfs_may(nd, 0200))
		return E_PERM;
	if (contains(n, nd))
		return E_INVAL;	/* a directory into itself */
	old = ramfs_lookup(nd, name);
	if (old && old->ino == n->ino)
		return 0;	/* rename(2): two names of one file, nothing done */
	if (old) {	/* rename(2): replace a file by a file, an empty dir by a dir */
		if (is_dir(old) && !is_dir(n))
			return E_ISDIR;
		if (!is_dir(old) && is_dir(n))
			return E_NOTDIR;
		if (!list_empty(&old->children))
			return E_NOTEMPTY;
		ramfs_unlink(old);
		ramfs_node_put(old);	/* the tree's; chans keep theirs */
	}
	if (nd == n->parent) {
		kstrlcpy(n->name, name, sizeof n->name);	/* keeps its place (and cookie) */
		ramfs_touch(nd);
	} else {
		ramfs_unlink(n);
		n->ref--;	/* the tree's reference, which ramfs_link takes
				 * again; c's keeps n alive in between */
		kstrlcpy(n->name, name, sizeof n->name);
		ramfs_link(nd, n);
	}
	n->ino->ctime = ramfs_now();
	n->ino->qid.vers++;
	return 0;
}

int ramfs_do_symlink(struct chan *c, const char *name, const char *target)
{
	struct rnode *dir = c->aux, *n;
	size_t len = kstrnlen(target, SYMLINK_MAX);
	int err;

	if (!is_dir(dir))
		return E_NOTDIR;
	if ((err = check_name(name)) < 0)
		return err;
	if (len == 0)
		return E_INVAL;
	if (len == SYMLINK_MAX)
		return E_NAMETOOLONG;
	if (ramfs_lookup(dir, name))
		return E_EXIST;
	if (!ramfs_may(dir, 0200))
		return E_PERM;
	if ((n = ramfs_node_new(name, DMSYMLINK | 0777)) == 0)
		return E_NOMEM;
	ramfs_own(n, dir);	/* the owner pays for the entry and the target */
	n->ref = 1;
	if ((err = ramfs_charge_entry(n)) < 0 ||
	    (err = (int)ramfs_write_locked(n, target, len, 0)) < 0) {
		ramfs_node_put(n);
		return err;
	}	/* this chan */
	ramfs_link(dir, n);
	ramfs_node_put(dir);	/* the chan moves from dir to the link */
	c->aux = n;
	c->qid = n->ino->qid;
	return 0;
}

/* A special file: a name, a kind, a mode and a device's numbers; nothing
 * to read or write (the client's kernel gives it its meaning). */
int ramfs_do_mknod(struct chan *c, const char *name, uint32_t mode, uint32_t major, uint32_t minor)
{
	struct rnode *dir = c->aux, *n;
	uint32_t kind = mode & DMSPECIAL;
	int err;

	if (!is_dir(dir))
		return E_NOTDIR;
	if ((err = check_name(name)) < 0)
		return err;
	if ((kind != DMNAMEDPIPE && kind != DMSOCKET && kind != DMDEVICE &&
	     kind != (DMDEVICE | DMBLOCK)) ||
	    (mode & ~(DMSPECIAL | DMCHMOD)))
		return E_INVAL;
	if (ramfs_lookup(dir, name))
		return E_EXIST;
	if (!ramfs_may(dir, 0200))
		return E_PERM;
	if ((n = ramfs_node_new(name, mode)) == 0)
		return E_NOMEM;
	if (kind & DMDEVICE) {
		n->ino->major = major;
		n->ino->minor = minor;
	}
	ramfs_own(n, dir);
	n->ref = 1;	/* this chan */
	if ((err = ramfs_charge_entry(n)) < 0) {	/* a name like any other */
		ramfs_node_put(n);
		return err;
	}
	ramfs_link(dir, n);
	ramfs_node_put(dir);	/* the chan moves from dir to the node */
	c->aux = n;
	c->qid = n->ino->qid;
	return 0;
}

long ramfs_do_readlink(struct chan *c, char *buf, size_t n)
{
	struct rnode *l = c->aux;
	const struct content *v;
	long len, got;

	if (!(l->ino->mode & DMSYMLINK))
		return E_INVAL;	/* readlink(2): not a link */
	v = rb_read(&l->ino->content);
	len = (long)v->len;
	rb_done(&l->ino->content, v);
	if ((got = ramfs_read_locked(l, buf, n, 0)) < 0)
		return got;
	return len;
}

/*
 * link(2): another name for the file c, in directory dirc.  The name is a
 * new rnode sharing c's inode (ramfs.h), so the data stays charged once,
 * to the file's owner; the name itself is charged to whoever makes it
 * (RAMFS_LINK_COST), so linking to another user's file spends only the
 * linker's quota, and a full quota cannot be dodged by making names.
 * A directory keeps one name: a second would make the tree a graph (a
 * walk up by "..", rename's loop check and the iterative tree_free all
 * rest on each directory having one parent).
 */
int ramfs_do_link(struct chan *c, struct chan *dirc, const char *name)
{
	struct rnode *src = c->aux, *dir = dirc->aux, *n;
	const char *who = ramfs_user();
	int err;

	if (dirc->dev != c->dev || dir->tree != src->tree)
		return E_XDEV;	/* another device, or another attach of ramfs */
	if ((err = check_name(name)) < 0)
		return err;
	if (!is_dir(dir))
		return E_NOTDIR;
	if (is_dir(src))
		return E_DIRLINK;
	if (!src->linked || !dir->linked)
		return E_NOENT;	/* removed, still open: no name to add to (Linux
				 * refuses linkat of an unlinked file alike) */
	if (ramfs_lookup(dir, name))
		return E_EXIST;
	if (!ramfs_may(dir, 0300))
		return E_PERM;	/* a new entry: write and search, as for create */
	if ((n = kzalloc(sizeof *n)) == 0)
		return E_NOMEM;
	if ((err = quota_charge(who, RAMFS_LINK_COST)) < 0) {
		kfree(n);
		return err;
	}
	kstrlcpy(n->payer, who, sizeof n->payer);
	kstrlcpy(n->name, name, sizeof n->name);
	n->ino = src->ino;
	n->ino->ref++;
	list_init(&n->children);
	list_init(&n->sibling);
	ramfs_link(dir, n);	/* the tree's reference; counts the name, ctime */
	n->ino->qid.vers++;
	return 0;
}
