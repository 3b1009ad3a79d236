/*
 * mnt: the 9P client as a device (Plan 9's devmnt), speaking 9P2000.L.
 * A chan's aux is its mount's session and its own state a struct mnt_fid
 * (mnt_fid_of, mntsess.h says why); device operations become requests on the mount's session (mnt_rpc.c), and
 * every operation that needs the wire runs through `retry`, which redials
 * a broken connection (mnt_fid.c) and tries again, MNT_OP_TRIES times.
 * Reads, writes and directory listings are in mnt_data.c.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/mnt.h>
#include "mntsess.h"
#include <lux/string.h>

static size_t chash(const struct chan *c)
{
	return ((uintptr_t)c >> 4) % MNT_CHASH;
}

struct mnt_fid *mnt_fid_of(const struct chan *c)
{
	struct mnt_sess *s = c->aux;
	struct mnt_fid *f = 0;

	if (s == 0)
		return 0;
	spin_lock(&mnt_lock);
	for (f = s->bychan[chash(c)]; f && f->c != c; f = f->cnext)
		;
	spin_unlock(&mnt_lock);
	return f;
}

/* New state for chan c of session s: c->aux = s, or 0 without memory. */
static struct mnt_fid *fid_new(struct mnt_sess *s, const char *path, struct chan *c)
{
	struct mnt_fid *f = kzalloc(sizeof *f);

	c->aux = 0;
	if (f == 0 || (f->path = kstrdup(path)) == 0) {
		kfree(f);
		return 0;
	}
	f->s = s;
	f->c = c;
	f->fid = P9_NOFID;
	f->omode = -1;
	__atomic_add_fetch(&s->ref, 1, __ATOMIC_ACQ_REL);
	spin_lock(&mnt_lock);
	f->cnext = s->bychan[chash(c)];
	s->bychan[chash(c)] = f;
	spin_unlock(&mnt_lock);
	c->aux = s;
	return f;
}

static void fid_free(struct mnt_fid *f)
{
	struct mnt_sess *s = f->s;
	spin_lock(&mnt_lock);

	for (struct mnt_fid **pp = &s->bychan[chash(f->c)]; *pp; pp = &(*pp)->cnext)
		if (*pp == f) {
			*pp = f->cnext;
			break;
		}
	spin_unlock(&mnt_lock);
	kfree(f->dents);
	kfree(f->path);
	kfree(f);
	mnt_sess_put(s);
}

static int stale(struct mnt_fid *f)
{
	return proc_seterr(E_STALE,
	                   "stale handle: /%s on %s could not be restored after a "
	                   "reconnect",
	                   f->path, f->s->addr);
}

/* Reserve a fid number while a walk makes it (the redialer skips it). */
int mnt_reserve(struct mnt_sess *s)
{
	return mnt_fid_number(s, MNT_TEMP);
}

/* The reserved number n now names f on the server, unless the connection
 * broke since gen (then the server has forgotten it: try again). */
static int adopt(struct mnt_fid *f, uint32_t n, uint32_t gen)
{
	int err = 0;

	spin_lock(&mnt_lock);
	if (f->s->gen == gen && f->s->state == MS_UP) {
		f->s->fids[n] = f;
		f->fid = n;
	} else {
		mnt_fid_release_locked(f->s, n);
		err = MNT_E_BROKEN;
	}
	spin_unlock(&mnt_lock);
	return err;
}

/* Make the server fid f stands for: walk from the attach to its path. */
static int fid_ready(struct mnt_fid *f)
{
	uint32_t gen = f->s->gen;
	int n, err;

	if (f->fid != P9_NOFID)
		return 0;
	if ((n = mnt_reserve(f->s)) < 0)
		return n;
	if ((err = mnt_walk_path(f->s, (uint32_t)n, f->path, 0, false)) < 0) {
		mnt_fid_release(f->s, (uint32_t)n);
		return err;
	}
	return adopt(f, (uint32_t)n, gen);
}

/* Run op on f with its server fid ready, redialing a broken connection. */
int mnt_retry(struct mnt_fid *f, int (*op)(struct mnt_fid *, void *), void *arg, bool needfid)
{
	int err = MNT_E_BROKEN;

	if (f == 0)
		return E_NOMEM;	/* its clone could not get one */
	for (int i = 0; i < MNT_OP_TRIES && err == MNT_E_BROKEN; i++) {
		if ((err = mnt_ensure_up(f->s, MNT_DIAL_TRIES)) < 0)
			return f->stale ? stale(f) : err;
		if (f->stale)
			return stale(f);
		if (f->removed)
			return E_NOENT;
		if (needfid && (err = fid_ready(f)) < 0)
			continue;
		err = op(f, arg);
	}
	if (err == MNT_E_BROKEN)
		err = proc_seterr(E_IO, "9p: %s: the connection keeps breaking (%s)", f->s->addr,
		                  f->s->why);
	else if (err == MNT_E_INDOUBT)
		err = E_IO;	/* its errstr says what is in doubt */
	return err;
}

/* A reply that cannot be right for its request: break, and say so. */
int mnt_bad_reply(struct mnt_fid *f, const char *what)
{
	mnt_break(f->s, f->s->gen, what);
	return proc_seterr(E_IO, "9p: %s: bad reply: %s", f->s->addr, what);
}

static int join(const char *path, const char *name, char **out)
{
	size_t a = kstrlen(path), b = kstrlen(name);

	if (b == 0 || kstrchr(name, '/') || !kstrcmp(name, ".") || !kstrcmp(name, ".."))
		return E_INVAL;
	if (b >= LUX_NAMEMAX || a + b + 2 > LUX_PATHMAX)
		return E_NAMETOOLONG;
	if ((*out = kmalloc(a + b + 2)) == 0)
		return E_NOMEM;
	ksnprintf(*out, a + b + 2, "%s%s%s", path, a ? "/" : "", name);
	return 0;
}

static const char *basename(const char *path)
{
	const char *p = kstrrchr(path, '/');

	return *path == 0 ? "/" : p ? p + 1 : path;
}

/* ---- attach, clone, walk ----------------------------------------------- */

static int attach_to(struct chan *c, const char *addr, const char *aname, const char *key)
{
	struct mnt_sess *s;
	struct mnt_fid *f;
	int err;

	if ((s = mnt_sess_new(addr, aname, key, &err)) == 0)
		return err;
	/* one attempt: a mount of a server that is not there fails at once */
	if ((err = mnt_ensure_up(s, 1)) < 0) {
		mnt_sess_put(s);
		return err;
	}
	f = fid_new(s, "", c);
	c->qid = s->rootqid;
	mnt_sess_put(s);	/* f holds it now */
	return f ? 0 : E_NOMEM;
}

/* spec: "ADDR" or "ADDR ANAME". */
static int mnt_devattach(struct chan *c, const char *spec)
{
	char addr[MNT_ADDRMAX + 1];
	const char *sp = kstrchr(spec, ' ');
	size_t n = sp ? (size_t)(sp - spec) : kstrlen(spec);

	if (n == 0 || n > MNT_ADDRMAX)
		return proc_seterr(E_INVAL, "mount: want ADDR [ANAME]");
	kmemcpy(addr, spec, n);
	addr[n] = 0;
	return attach_to(c, addr, sp ? sp + 1 : "", 0);
}

int mnt_attach(const char *addr, const char *aname, const char *key, struct chan **out)
{
	struct chan *c = chan_new(&mnt_dev);
	int err;

	if (c == 0)
		return E_NOMEM;
	if ((err = attach_to(c, addr, aname ? aname : "", key)) < 0) {
		c->aux = 0;
		chan_put(c);
		return err;
	}
	*out = c;
	return 0;
}

static void mnt_clone(struct chan *from, struct chan *to)
{
	struct mnt_fid *f = mnt_fid_of(from), *n;

	/* the clone names the same file but gets its server fid when it
	 * first needs one; without memory it has no aux and answers E_NOMEM */
	to->aux = 0;
	if (f && (n = fid_new(f->s, f->path, to)) && f->stale)
		n->stale = true;	/* a copy of a stale handle is stale too */
}

struct walkarg {
	struct chan *c;
	const char *name;
	char *newpath;
};

static int walk_op(struct mnt_fid *f, void *arg)
{
	struct walkarg *w = arg;
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TWALK }, r;
	uint32_t gen = f->s->gen;
	struct qid qid;
	int n, err;

	if (f->fid == P9_NOFID) {	/* one walk from the attach, into a new fid */
		if ((n = mnt_reserve(f->s)) < 0)
			return n;
		if ((err = mnt_walk_path(f->s, (uint32_t)n, w->newpath, &qid, false)) < 0) {
			mnt_fid_release(f->s, (uint32_t)n);
			return err;
		}
		if ((err = adopt(f, (uint32_t)n, gen)) < 0)
			return err;
	} else {	/* move the fid in place: on failure it stays */
		t.u.twalk.fid = t.u.twalk.newfid = f->fid;
		t.u.twalk.nwname = 1;
		t.u.twalk.wname[0] = p9_str_c(w->name);
		if ((err = mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false)) < 0)
			return err;
		if (r.u.rwalk.nwqid != 1)
			return E_NOENT;
		qid = r.u.rwalk.wqid[0];
	}
	kfree(f->path);
	f->path = w->newpath;
	w->newpath = 0;
	w->c->qid = qid;
	return 0;
}

static int mnt_walk(struct chan *c, const char *name)
{
	struct mnt_fid *f = mnt_fid_of(c);
	struct walkarg w = { c, name, 0 };
	int err;

	if (f == 0)
		return E_NOMEM;
	if (f->omode >= 0)
		return E_INUSE;
	if ((err = join(f->path, name, &w.newpath)) < 0)
		return err;
	err = mnt_retry(f, walk_op, &w, false);
	kfree(w.newpath);
	return err;
}

/* ---- stat, open, create ------------------------------------------------ */

static int stat_op(struct mnt_fid *f, void *arg)
{
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TGETATTR, .u.tgetattr = { f->fid, P9_GETATTR_BASIC } }, r;
	int err = mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false);

	if (err == 0)
		mnt_dir_of_attr(&r, basename(f->path), arg);
	return err;
}

static int mnt_stat(struct chan *c, struct lux_dir *d)
{
	return mnt_retry(mnt_fid_of(c), stat_op, d, true);
}

static void opened(struct mnt_fid *f, int mode, const struct p9_msg *r, struct chan *c)
{
	uint32_t max = f->s->msize - P9_IOHDRSZ;

	f->omode = mode;
	f->iounit = r->u.ropen.iounit && r->u.ropen.iounit < max ? r->u.ropen.iounit : max;
	c->qid = r->u.ropen.qid;
}

struct openarg {
	struct chan *c;
	int mode;
};

static int open_op(struct mnt_fid *f, void *arg)
{
	struct openarg *o = arg;
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TLOPEN, .u.tlopen = { f->fid, mnt_lflags(o->mode) } }, r;
	int err = mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false);

	if (err == 0)
		opened(f, o->mode, &r, o->c);
	return err;
}

static int mnt_open(struct chan *c, int mode)
{
	struct openarg o = { c, mode };
	struct mnt_fid *f = mnt_fid_of(c);

	if (f && f->omode >= 0)
		return E_INUSE;
	return mnt_retry(f, open_op, &o, true);
}

struct createarg {
	struct chan *c;
	const char *name;
	char *newpath;
	int mode;
	uint32_t perm;
};

static int create_op(struct mnt_fid *f, void *arg)
{
	struct createarg *a = arg;
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t, r;
	int err;

	if (a->perm & DMDIR) {	/* .L: mkdir in the directory, then walk in and open */
		t = (struct p9_msg){ .type = P9_TMKDIR,
			             .u.tmkdir = { f->fid, p9_str_c(a->name), a->perm & 0777, 0 } };
		if ((err = mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false)) < 0)
			return err;
		t = (struct p9_msg){ .type = P9_TWALK,
			             .u.twalk = { f->fid, f->fid, 1, { { 0 } } } };
		t.u.twalk.wname[0] = p9_str_c(a->name);
		if ((err = mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false)) < 0)
			return err;
		if (r.u.rwalk.nwqid != 1)
			return E_NOENT;	/* removed at once by someone else */
		t = (struct p9_msg){ .type = P9_TLOPEN,
			             .u.tlopen = { f->fid, mnt_lflags(a->mode) } };
	} else {
		t = (struct p9_msg){ .type = P9_TLCREATE,
			             .u.tlcreate = { f->fid, p9_str_c(a->name),
			                             mnt_lflags(a->mode) | 0100 /* O_CREAT */,
			                             a->perm & 0777, 0 } };
	}
	if ((err = mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false)) < 0)
		return err;
	kfree(f->path);	/* the fid is the new file now */
	f->path = a->newpath;
	a->newpath = 0;
	opened(f, a->mode, &r, a->c);
	return 0;
}

static int mnt_create(struct chan *c, const char *name, int mode, uint32_t perm)
{
	struct mnt_fid *f = mnt_fid_of(c);
	struct createarg a = { c, name, 0, mode, perm };
	int err;

	if (f == 0)
		return E_NOMEM;
	if ((err = join(f->path, name, &a.newpath)) < 0)
		return err;
	err = mnt_retry(f, create_op, &a, true);
	kfree(a.newpath);
	return err;
}

/* ---- close, remove ----------------------------------------------------- */

/* Give the server fid back: Tclunk when up (the number is kept from the
 * redialer meanwhile), else leave the number to the next redial. */
static void forget_fid(struct mnt_fid *f, bool clunk)
{
	struct mnt_sess *s = f->s;
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TCLUNK, .u.tfid.fid = f->fid }, r;
	bool up;

	if (f->fid == P9_NOFID)
		return;
	spin_lock(&mnt_lock);
	up = s->state == MS_UP && !s->redialing;
	s->fids[f->fid] = up ? MNT_TEMP : MNT_ZOMBIE;
	spin_unlock(&mnt_lock);
	if (up) {
		if (clunk)
			mnt_rpc(s, &t, rbuf, sizeof rbuf, &r, false);
		mnt_fid_release(s, f->fid);
	}
	f->fid = P9_NOFID;
}

static void mnt_close(struct chan *c)
{
	struct mnt_fid *f = mnt_fid_of(c);

	if (f == 0)
		return;
	forget_fid(f, true);
	fid_free(f);
	c->aux = 0;
}

static int remove_op(struct mnt_fid *f, void *arg)
{
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TREMOVE, .u.tfid.fid = f->fid }, r;
	int err = mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false);

	(void)arg;
	if (err == MNT_E_BROKEN)
		return err;
	/* remove(5): the fid is clunked whether or not the file went */
	forget_fid(f, false);
	if (err == 0)
		f->removed = true;
	return err;
}

static int mnt_remove(struct chan *c)
{
	return mnt_retry(mnt_fid_of(c), remove_op, 0, true);
}

const struct dev mnt_dev = {
	.name = "mnt",
	.attach = mnt_devattach,
	.clone = mnt_clone,
	.walk = mnt_walk,
	.stat = mnt_stat,
	.open = mnt_open,
	.create = mnt_create,
	.read = mnt_read,
	.write = mnt_write,
	.dirent = mnt_dirent,
	.close = mnt_close,
	.remove = mnt_remove,
};
