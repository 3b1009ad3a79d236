/*
 * The 9P server's metadata messages: stat/wstat (9P2000), getattr/
 * setattr, rename/renameat, symlink/readlink, link and the xattr pair
 * (9P2000.L).  Each request is turned into one device operation
 * (<lux/dev.h>): a wstat or setattr, however many fields it names, is
 * one dev->wstat, which applies all of them or none; a device without
 * the operation answers "operation not supported by this device".
 *
 * Three steps as in srv_ops.c: protocol checks (fids known, names
 * valid, fields allowed in the dialect), the device call, bookkeeping
 * (fid paths follow a rename).  A rename changes fids, and changing a fid
 * needs it alone (requests run concurrently, srv_flight.c): every fid
 * whose path it moves is taken before the device call and given its new
 * path after (ninep_fid_move_begin/_end), or the rename is refused with
 * "fid in use by another request in flight" and nothing changes.
 */
#include "9psrv.h"
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/perm.h>
#include <lux/users.h>
#include <lux/string.h>

/* Linux mode bits for Rgetattr / Tsetattr */
#define L_S_IFDIR 0040000u
#define L_S_IFREG 0100000u
#define L_S_IFLNK 0120000u
#define L_S_IFIFO 0010000u
#define L_S_IFCHR 0020000u
#define L_S_IFBLK 0060000u
#define L_S_IFSOCK 0140000u
#define L_S_IFMT 0170000u
#define L_S_PERM 07777u
#define L_S_ISVTX 01000u	/* sticky: DMSTICKY */
#define L_S_ISGID 02000u	/* DMSETGID */
#define L_S_ISUID 04000u	/* DMSETUID */

/* Linux's permission bits (07777) as a lux mode's, and back */
static uint32_t dm_of(uint32_t m)
{
	return (m & 0777u) | ((m & L_S_ISVTX) ? DMSTICKY : 0) | ((m & L_S_ISGID) ? DMSETGID : 0) |
	       ((m & L_S_ISUID) ? DMSETUID : 0);
}

static uint32_t l_perm_of(uint32_t dm)
{
	return (dm & 0777u) | ((dm & DMSTICKY) ? L_S_ISVTX : 0) |
	       ((dm & DMSETGID) ? L_S_ISGID : 0) | ((dm & DMSETUID) ? L_S_ISUID : 0);
}

static uint64_t now_s(void)
{
	int64_t ns = arch_wallclock_ns();
	return ns > 0 ? (uint64_t)ns / 1000000000u : 0;
}

static int stat_chan(struct chan *c, struct lux_dir *d)
{
	kmemset(d, 0, sizeof *d);	/* devices without atime leave it 0 */
	return c->dev->stat(c, d);
}

static void parent_of(const char *path, char *out, size_t cap);

/* The checked wstat of fid f (a rename in place needs its directory). */
static int dev_wstat(struct ninep_fid *f, const struct lux_wstat *w)
{
	char parent[LUX_PATHMAX];
	struct chan *dir = 0;
	int err;

	if (w->name) {
		parent_of(f->path, parent, sizeof parent);
		if ((err = ninep_walk_to(parent, &dir)) < 0)
			return err;
	}
	err = chan_wstat(f->c, dir, w);
	if (dir)
		chan_put(dir);
	return err;
}

static bool wstat_empty(const struct lux_wstat *w)
{
	return w->name == 0 && w->mode == LUX_KEEP32 && w->length == LUX_KEEP64 &&
	       w->mtime == LUX_KEEP64 && w->atime == LUX_KEEP64 && w->uid == 0 && w->gid == 0;
}

static const char *owner_or_eve(const char *s)
{
	return *s ? s : eve;
}

/* A user's 9P2000.L id: unknown names (a deleted user's files) read as none's. */
static uint32_t id_of(const char *name)
{
	uint32_t id;

	if (user_id(owner_or_eve(name), &id) < 0 && user_id(none, &id) < 0)
		id = USER_NONE_ID;
	return id;
}

/* The parent of a fid path ("" for a top-level name). */
static void parent_of(const char *path, char *out, size_t cap)
{
	size_t l = kstrlen(path);

	while (l > 0 && path[l - 1] != '/')
		l--;
	if (l > 0)
		l--;
	kstrlcpy(out, path, MIN(cap, l + 1));
}

/* ---- stat, wstat (9P2000) -------------------------------------------- */

int ninep_rstat(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r, struct lux_dir *d)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tfid.fid);
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = stat_chan(f->c, d)) < 0)
		return err;
	ninep_to_stat(d, &r->u.rstat.stat);
	return 0;
}

/* v names a user of the table: copied into out. */
static bool user_of(struct p9_str v, char out[USER_NAMEMAX])
{
	if (v.len >= USER_NAMEMAX)
		return false;
	kmemcpy(out, v.s, v.len);
	out[v.len] = 0;
	return user_exists(out);
}

/* A string field: "" leaves it; else it must say what it says now. */
static bool str_kept(struct p9_str v, const char *now)
{
	return v.len == 0 || p9_str_eq(v, now);
}

int ninep_rwstat(struct ninep_conn *s, const struct p9_msg *t)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.twstat.fid);
	const struct p9_stat *st = &t->u.twstat.stat;
	struct lux_wstat w = { 0, LUX_KEEP32, LUX_KEEP64, LUX_KEEP64, LUX_KEEP64, 0, 0, false };
	char name[LUX_NAMEMAX], *newpath = 0, *oldpath, parent[LUX_PATHMAX];
	char uid[USER_NAMEMAX], gid[USER_NAMEMAX];
	struct ninep_fid *moving;
	struct p9_stat cur;
	struct lux_dir d;
	int err;

	/* 1. checks: wstat(5) lets name, mode, length, mtime and gid change
	 * (and here atime and uid, below);
	 * ~0 and "" mean "don't touch"; everything else must be left alone */
	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = stat_chan(f->c, &d)) < 0)
		return err;
	ninep_to_stat(&d, &cur);
	if ((st->type != 0xffff && st->type != cur.type) || (st->dev != ~0u && st->dev != cur.dev))
		return NINEP_E_WSTAT;
	if ((st->qid.type != 0xff || st->qid.vers != ~0u || st->qid.path != ~0ull) &&
	    (st->qid.path != cur.qid.path || st->qid.type != cur.qid.type))
		return NINEP_E_WSTAT;
	/* owner and group change to users that exist (chan_wstat says who
	 * may); muid is the server's to keep, and a client that sends it
	 * back changed (Linux puts its uname there on a rename) is ignored,
	 * as file servers do */
	if (!str_kept(st->uid, owner_or_eve(d.uid))) {
		if (!user_of(st->uid, uid))
			return NINEP_E_OWNER;
		w.uid = uid;
	}
	if (!str_kept(st->gid, owner_or_eve(d.gid))) {
		if (!user_of(st->gid, gid))
			return NINEP_E_OWNER;
		w.gid = gid;
	}
	if (st->name.len && !p9_str_eq(st->name, d.name)) {
		if ((err = ninep_check_name(st->name, false)) < 0)
			return err;
		if ((size_t)(f->rootlen) >= kstrlen(f->path))
			return E_PERM;	/* the attach root has no directory to rename in */
		kmemcpy(name, st->name.s, st->name.len);
		name[st->name.len] = 0;
		w.name = name;
		parent_of(f->path, parent, sizeof parent);
		if ((err = ninep_join(parent, st->name, &newpath)) < 0)
			return err;
	}
	if (st->mode != ~0u) {
		if ((st->mode & DMDIR) != (d.mode & DMDIR)) {
			kfree(newpath);
			return E_PERM;	/* wstat(5): the directory bit cannot change */
		}
		w.mode = st->mode;
	}
	if (st->length != ~0ull)
		w.length = st->length;
	if (st->mtime != ~0u)
		w.mtime = st->mtime;
	/* wstat(5) keeps atime the server's, but Linux's v9fs sends utimes(2)
	 * in 9P2000 as one wstat of both times (cp -p, mv across
	 * directories); the file keeps it as 9P2000.L's setattr does */
	if (st->atime != ~0u && st->atime != cur.atime)
		w.atime = st->atime;
	if (wstat_empty(&w))
		return ninep_sync();	/* wstat(5): a wstat that changes nothing asks for a sync */
	if (newpath == 0)	/* 2. one device call: all of it or none */
		return dev_wstat(f, &w);
	/* a rename: the fids under the old name are taken first and follow
	 * it (3.); f->path changes on the way, so work on a copy */
	if ((oldpath = kmalloc(kstrlen(f->path) + 1)) == 0) {
		kfree(newpath);
		return E_NOMEM;
	}
	kstrlcpy(oldpath, f->path, kstrlen(f->path) + 1);
	if ((err = ninep_fid_move_begin(s, oldpath, &moving)) == 0) {
		err = dev_wstat(f, &w);
		ninep_fid_move_end(s, moving, oldpath, err == 0 ? newpath : 0);
	}
	kfree(oldpath);
	kfree(newpath);
	return err;
}

/* ---- getattr, setattr (9P2000.L) ------------------------------------- */

static uint32_t l_type(uint32_t mode)
{
	if (mode & DMDIR)
		return L_S_IFDIR;
	if (mode & DMSYMLINK)
		return L_S_IFLNK;
	if (mode & DMDEVICE)
		return (mode & DMBLOCK) ? L_S_IFBLK : L_S_IFCHR;
	if (mode & DMNAMEDPIPE)
		return L_S_IFIFO;
	return (mode & DMSOCKET) ? L_S_IFSOCK : L_S_IFREG;
}

int ninep_rgetattr(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tgetattr.fid);
	struct lux_dir d;
	uint32_t type;
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = stat_chan(f->c, &d)) < 0)
		return err;
	type = l_type(d.mode);
	/* Linux's new_encode_dev: what v9fs decodes into i_rdev */
	r->u.rgetattr.rdev = (d.minor & 0xffu) | ((uint64_t)d.major << 8) |
	                     ((uint64_t)(d.minor & ~0xffu) << 12);
	r->u.rgetattr.valid = P9_GETATTR_BASIC;
	r->u.rgetattr.qid = d.qid;
	r->u.rgetattr.uid = id_of(d.uid);
	r->u.rgetattr.gid = id_of(d.gid);
	r->u.rgetattr.mode = type | l_perm_of(d.mode);
	if (d.nlink_kept)
		r->u.rgetattr.nlink = d.nlink;
	else	/* a device that counts no names: one name, and a directory's "." */
		r->u.rgetattr.nlink = (d.mode & DMDIR) ? 2 : 1;
	r->u.rgetattr.size = d.length;
	r->u.rgetattr.blksize = 4096;
	r->u.rgetattr.blocks = (d.length + 511) / 512;
	r->u.rgetattr.mtime_sec = d.mtime;
	r->u.rgetattr.ctime_sec = d.ctime ? d.ctime : d.mtime;
	r->u.rgetattr.atime_sec = d.atime ? d.atime : d.mtime;
	return 0;
}

int ninep_rsetattr(struct ninep_conn *s, const struct p9_msg *t)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tsetattr.fid);
	uint32_t v = t->u.tsetattr.valid;
	struct lux_wstat w = { 0, LUX_KEEP32, LUX_KEEP64, LUX_KEEP64, LUX_KEEP64, 0, 0, false };
	char uid[USER_NAMEMAX], gid[USER_NAMEMAX];
	struct lux_dir d;
	int err;

	/* 1. checks.  uid and gid are ids of the user table (chan_wstat says
	 * who may change them).  ctime is the server's own and is accepted,
	 * not stored. */
	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = stat_chan(f->c, &d)) < 0)
		return err;
	if ((v & P9_SETATTR_UID) && t->u.tsetattr.uid != id_of(d.uid)) {
		if (user_name(t->u.tsetattr.uid, uid) < 0)
			return proc_seterr(E_INVAL, "chown: no user has id %u", t->u.tsetattr.uid);
		w.uid = uid;
	}
	if ((v & P9_SETATTR_GID) && t->u.tsetattr.gid != id_of(d.gid)) {
		if (user_name(t->u.tsetattr.gid, gid) < 0)
			return proc_seterr(E_INVAL, "chgrp: no group has id %u", t->u.tsetattr.gid);
		w.gid = gid;
	}
	if (v & P9_SETATTR_MODE) {
		uint32_t dm = dm_of(t->u.tsetattr.mode & L_S_PERM);
		if (dm != (d.mode & DMCHMOD))
			w.mode = (d.mode & ~DMCHMOD) | dm;
	}
	if ((v & P9_SETATTR_SIZE) && t->u.tsetattr.size != d.length)
		w.length = t->u.tsetattr.size;
	if (v & P9_SETATTR_ATIME)
		w.atime = (v & P9_SETATTR_ATIME_SET) ? t->u.tsetattr.atime_sec : now_s();
	if (v & P9_SETATTR_MTIME)
		w.mtime = (v & P9_SETATTR_MTIME_SET) ? t->u.tsetattr.mtime_sec : now_s();
	w.times_now = !(v & (P9_SETATTR_ATIME_SET | P9_SETATTR_MTIME_SET));
	/* 2. one device call: all or nothing */
	return wstat_empty(&w) ? 0 : dev_wstat(f, &w);
}

/* ---- rename, renameat ------------------------------------------------ */

/* In a sticky target directory, a file name replaces another's file only
 * if it is the renamer's, or the directory is (rename(2) unlinks it). */
static int may_replace(struct chan *target, const struct lux_dir *td, const char *name)
{
	struct lux_dir fd;
	struct chan *old;
	int err;

	if (!(td->mode & DMSTICKY))
		return 0;
	if ((old = chan_clone(target)) == 0)
		return E_NOMEM;
	if (target->dev->walk(old, name) < 0)
		err = 0;	/* nothing there to replace */
	else if ((err = stat_chan(old, &fd)) == 0)
		err = perm_sticky(td, &fd, "rename onto");
	chan_put(old);
	return err;
}

/* rename(2): write permission in the directory it leaves and in the one
 * it enters; in a sticky one, ownership of what it moves or replaces. */
static int may_rename(struct chan *c, const char *oldpath, struct chan *target, const char *name)
{
	char parent[LUX_PATHMAX];
	struct lux_dir d, fd;
	struct chan *from;
	int err;

	parent_of(oldpath, parent, sizeof parent);
	if ((err = ninep_walk_to(parent, &from)) < 0)
		return err;
	if ((err = stat_chan(from, &d)) == 0)
		err = perm_check(&d, AWRITE, "rename from");
	if (err == 0 && (d.mode & DMSTICKY) && (err = stat_chan(c, &fd)) == 0)
		err = perm_sticky(&d, &fd, "rename");
	chan_put(from);
	if (err == 0 && (err = stat_chan(target, &d)) == 0 &&
	    (err = perm_check(&d, AWRITE, "rename into")) == 0)
		err = may_replace(target, &d, name);
	return err;
}

/* Is name in target another name of c's file?  rename(2) then does
 * nothing and succeeds, before any permission check (Linux's vfs_rename
 * tests source == target first); and no fid may follow, since the old
 * name stays. */
static bool same_file(struct chan *c, struct chan *target, const char *name)
{
	struct chan *t = chan_clone(target);
	bool same;

	if (t == 0)
		return false;	/* the device's rename says it again */
	same = t->dev->walk(t, name) == 0 && t->qid.path == c->qid.path;
	chan_put(t);
	return same;
}

/* Move the file at oldpath (chan c) into the directory dir (a fid) as
 * name; fids follow (taken first: see the top of the file). */
static int do_rename(struct ninep_conn *s, struct chan *c, const char *oldpath,
                     struct ninep_fid *dir, struct p9_str name)
{
	char cname[LUX_NAMEMAX], *newpath;
	struct ninep_fid *moving;
	struct chan *target;
	int err;

	if ((err = ninep_check_name(name, false)) < 0)
		return err;
	if (!(dir->c->qid.type & QTDIR))
		return E_NOTDIR;
	if ((err = ninep_join(dir->path, name, &newpath)) < 0)
		return err;
	if ((err = union_create_dir(dir->c, &target)) < 0) {	/* a union: its -c member */
		kfree(newpath);
		return err;
	}
	kmemcpy(cname, name.s, name.len);
	cname[name.len] = 0;
	if (c->dev->rename == 0) {
		err = E_NOTSUP;
	} else if (target->dev != c->dev) {
		err = E_XDEV;	/* what rename(2) says first: before permission */
	} else if (same_file(c, target, cname)) {
		err = 0;
	} else if ((err = may_rename(c, oldpath, target, cname)) < 0) {
		;
	} else if ((err = ninep_fid_move_begin(s, oldpath, &moving)) == 0) {
		err = c->dev->rename(c, target, cname);
		ninep_fid_move_end(s, moving, oldpath, err == 0 ? newpath : 0);
	}
	chan_put(target);
	kfree(newpath);
	return err;
}

int ninep_rrename(struct ninep_conn *s, const struct p9_msg *t)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.trename.fid);
	struct ninep_fid *dir = ninep_fid_get(s, t->u.trename.dfid);
	char *oldpath;
	int err;

	if (f == 0 || dir == 0)
		return NINEP_E_NOFID;
	if (kstrlen(f->path) <= f->rootlen)
		return E_PERM;	/* the attach root */
	/* f->path is repathed under us: work on a copy */
	if ((oldpath = kmalloc(kstrlen(f->path) + 1)) == 0)
		return E_NOMEM;
	kstrlcpy(oldpath, f->path, kstrlen(f->path) + 1);
	err = do_rename(s, f->c, oldpath, dir, t->u.trename.name);
	kfree(oldpath);
	return err;
}

int ninep_rrenameat(struct ninep_conn *s, const struct p9_msg *t)
{
	struct ninep_fid *od = ninep_fid_get(s, t->u.trenameat.olddirfid);
	struct ninep_fid *nd = ninep_fid_get(s, t->u.trenameat.newdirfid);
	char *oldpath;
	struct chan *c;
	int err;

	if (od == 0 || nd == 0)
		return NINEP_E_NOFID;
	if ((err = ninep_check_name(t->u.trenameat.oldname, false)) < 0)
		return err;
	if ((err = ninep_join(od->path, t->u.trenameat.oldname, &oldpath)) < 0)
		return err;
	if ((err = ninep_walk_to(oldpath, &c)) == 0) {
		err = do_rename(s, c, oldpath, nd, t->u.trenameat.newname);
		chan_put(c);
	}
	kfree(oldpath);
	return err;
}

/* ---- symlink, readlink, link, xattrs ---------------------------------- */

/* The directory of f that a new name goes into (a union's create
 * directory), once the caller may write and search it. */
static int create_dir(struct ninep_fid *f, struct chan **cp)
{
	struct lux_dir d;
	int err;

	if (!(f->c->qid.type & QTDIR))
		return E_NOTDIR;
	if ((err = union_create_dir(f->c, cp)) < 0)
		return err;
	if ((err = stat_chan(*cp, &d)) < 0 ||
	    (err = perm_check(&d, AWRITE | AEXEC, "create in")) < 0)
		chan_put(*cp);
	return err;
}

int ninep_rsymlink(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tsymlink.fid);
	struct p9_str tgt = t->u.tsymlink.symtgt;
	char name[LUX_NAMEMAX], *target;
	struct chan *c;
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = ninep_check_name(t->u.tsymlink.name, false)) < 0)
		return err;
	if (tgt.len == 0)
		return E_INVAL;
	if (tgt.len >= LUX_PATHMAX)
		return E_NAMETOOLONG;
	if ((err = create_dir(f, &c)) < 0)
		return err;
	if (c->dev->symlink == 0) {
		chan_put(c);
		return E_NOTSUP;
	}
	if ((target = kmalloc(tgt.len + 1)) == 0) {
		chan_put(c);
		return E_NOMEM;
	}
	kmemcpy(target, tgt.s, tgt.len);
	target[tgt.len] = 0;
	kmemcpy(name, t->u.tsymlink.name.s, t->u.tsymlink.name.len);
	name[t->u.tsymlink.name.len] = 0;
	if ((err = c->dev->symlink(c, name, target)) == 0)
		r->u.rqid.qid = c->qid;
	kfree(target);
	chan_put(c);
	return err;
}

/* mknod(2) of a fifo, a socket or a device node.  The group is the
 * directory's, as for every file here (Plan 9's rule; POSIX allows it).
 * A device node is the host owner's to make, as CAP_MKNOD is root's: it
 * means a device of the client's kernel to whoever opens it there. */
int ninep_rmknod(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tmknod.dfid);
	uint32_t mode = t->u.tmknod.mode, kind;
	char name[LUX_NAMEMAX];
	struct chan *c;
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = ninep_check_name(t->u.tmknod.name, false)) < 0)
		return err;
	switch (mode & L_S_IFMT) {
	case L_S_IFIFO: kind = DMNAMEDPIPE; break;
	case L_S_IFSOCK: kind = DMSOCKET; break;
	case L_S_IFCHR: kind = DMDEVICE; break;
	case L_S_IFBLK: kind = DMDEVICE | DMBLOCK; break;
	default:
		return proc_seterr(E_INVAL, "mknod: not a fifo, socket or device (mode %#o)", mode);
	}
	kmemcpy(name, t->u.tmknod.name.s, t->u.tmknod.name.len);
	name[t->u.tmknod.name.len] = 0;
	if ((kind & DMDEVICE) && !perm_is_eve())
		return perm_deny_owner("mknod", name);
	if ((err = create_dir(f, &c)) < 0)
		return err;
	if (c->dev->mknod == 0) {
		chan_put(c);
		return E_NOTSUP;
	}
	err = c->dev->mknod(c, name, kind | dm_of(mode & L_S_PERM), t->u.tmknod.major,
	                    t->u.tmknod.minor);
	if (err == 0)
		r->u.rqid.qid = c->qid;
	chan_put(c);
	return err;
}

/* The target goes straight into the reply: ninep_handle points
 * r->u.rreadlink.target at the room after its header, len = that room. */
int ninep_rreadlink(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tfid.fid);
	char *buf = (char *)r->u.rreadlink.target.s;
	size_t cap = r->u.rreadlink.target.len;
	long n;

	if (f == 0)
		return NINEP_E_NOFID;
	if (f->c->dev->readlink == 0)
		return E_INVAL;	/* readlink(2) of something that is not a link */
	if ((n = f->c->dev->readlink(f->c, buf, cap)) < 0)
		return (int)n;
	if ((size_t)n > cap)
		return E_NAMETOOLONG;
	r->u.rreadlink.target.len = (size_t)n;
	return 0;
}

/* link(2): a new name for the file of fid in the directory dfid.  The
 * checks of chan_link (another device first, write and search on the
 * directory, the file's owner or one who may read and write it), then the
 * device, which refuses a directory (EPERM) and a taken name.  Nothing
 * moves, so no fid changes. */
int ninep_rlink(struct ninep_conn *s, const struct p9_msg *t)
{
	struct ninep_fid *dir = ninep_fid_get(s, t->u.tlink.dfid);
	struct ninep_fid *f = ninep_fid_get(s, t->u.tlink.fid);
	struct p9_str pname = t->u.tlink.name;
	char name[LUX_NAMEMAX], *newpath;
	struct chan *c;
	int err;

	if (dir == 0 || f == 0)
		return NINEP_E_NOFID;
	if ((err = ninep_check_name(pname, false)) < 0)
		return err;
	if (!(dir->c->qid.type & QTDIR))
		return E_NOTDIR;
	if ((err = ninep_join(dir->path, pname, &newpath)) < 0)
		return err;	/* a name no walk could reach again */
	kfree(newpath);
	if (f->c->dev->link == 0)
		return NINEP_E_NOLINK;
	if ((err = union_create_dir(dir->c, &c)) < 0)
		return err;
	kmemcpy(name, pname.s, pname.len);
	name[pname.len] = 0;
	err = chan_link(f->c, c, name);
	chan_put(c);
	return err;
}

/* getxattr(2) on a file system without extended attributes fails with
 * ENOTSUP (= EOPNOTSUPP on Linux), and v9fs passes our errno through;
 * ENODATA would claim attributes exist, just not that one. */
int ninep_rxattrwalk(struct ninep_conn *s, const struct p9_msg *t)
{
	uint32_t fid = t->type == P9_TXATTRWALK ? t->u.txattrwalk.fid : t->u.txattrcreate.fid;

	if (ninep_fid_get(s, fid) == 0)
		return NINEP_E_NOFID;
	return NINEP_E_NOXATTR;
}
