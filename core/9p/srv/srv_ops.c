/*
 * The 9P server's requests: decode, three steps per request (style rule 7),
 * encode.  Handlers get a decoded struct p9_msg, never bytes, and fill
 * the reply; an error becomes Rerror (9P2000: the sentence) or Rlerror
 * (.L: the errno) in one place, ninep_handle.
 *
 * Fids name paths in the served namespace (the proc's ns): a walk
 * resolves each prefix with namec, so mounts are crossed exactly as the
 * shell crosses them, and ".." is a textual step back that stops at the
 * attach root.  Attributes, rename and links are srv_meta.c, directory
 * reads srv_dir.c, locks srv_lock.c.
 */
#include "9psrv.h"
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/page.h>
#include <lux/perm.h>
#include <lux/users.h>
#include <lux/proc.h>
#include <lux/storesync.h>
#include <lux/string.h>

/* Linux open flags for Tlopen/Tlcreate, and the statfs magic v9fs reports. */
#define L_O_ACCMODE 3u
#define L_O_TRUNC 01000u
#define V9FS_MAGIC 0x01021997u

static struct ns *myns(void)
{
	return curproc()->ns;
}

static const char *pathname(const char *p)
{
	return *p ? p : "/";
}

/* A walk or create name: one element, not empty, no '/', not "." or "..". */
int ninep_check_name(struct p9_str n, bool dotdot_ok)
{
	if (n.len == 0 || kmemchr(n.s, '/', n.len))
		return NINEP_E_NAME;
	if (n.len >= LUX_NAMEMAX)
		return E_NAMETOOLONG;
	if (n.len == 1 && n.s[0] == '.')
		return NINEP_E_NAME;
	if (!dotdot_ok && n.len == 2 && n.s[0] == '.' && n.s[1] == '.')
		return NINEP_E_NAME;
	return 0;
}

/* path + "/" + name, kmalloc'd. */
int ninep_join(const char *path, struct p9_str name, char **out)
{
	size_t pl = kstrlen(path);
	char *p;

	if (pl + 1 + name.len >= LUX_PATHMAX)
		return E_NAMETOOLONG;
	if ((p = kmalloc(pl + name.len + 2)) == 0)
		return E_NOMEM;
	kmemcpy(p, path, pl);
	p[pl] = '/';
	kmemcpy(p + pl + 1, name.s, name.len);
	p[pl + 1 + name.len] = 0;
	*out = p;
	return 0;
}

static char *kstrndup0(const char *s, size_t n)
{
	char *p = kmalloc(n + 1);

	if (p) {
		kmemcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

int ninep_walk_to(const char *path, struct chan **out)
{
	return namec(myns(), pathname(path), NAMEC_WALK, 0, 0, out);
}

static bool is_open(const struct ninep_fid *f)
{
	return f->c->mode >= 0;
}

/* ---- Stat conversions ------------------------------------------------- */

void ninep_to_stat(const struct lux_dir *d, struct p9_stat *st)
{
	kmemset(st, 0, sizeof *st);
	st->qid = d->qid;
	st->mode = d->mode;
	st->mtime = (uint32_t)d->mtime;
	st->atime = d->atime ? (uint32_t)d->atime : st->mtime;
	st->length = d->length;
	st->name = p9_str_c(d->name);
	st->uid = p9_str_c(d->uid[0] ? d->uid : eve);
	st->gid = p9_str_c(d->gid[0] ? d->gid : eve);
	st->muid = p9_str_c(d->muid);
}

/* ---- Session ---------------------------------------------------------- */

static int rversion(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct p9_version v;
	int err = p9_version_pick(t->u.version.version.s, t->u.version.version.len,
	                          t->u.version.msize, NINEP_MSIZE,
	                          P9_SPEAK(P9_2000) | P9_SPEAK(P9_2000L), &v);

	if (err < 0)
		return err;
	/* version(5): a new session; every fid of the old one is clunked */
	ninep_fid_clunk_all(s);
	s->d = v.dialect;
	s->msize = v.dialect == P9_NONE ? NINEP_MSIZE : v.msize;
	r->u.version.msize = v.msize;
	r->u.version.version = p9_str_c(v.version);
	return 0;
}

static int rattach(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct p9_str a = t->u.tattach.aname;
	char user[LUX_UIDMAX];
	struct ninep_fid *f;
	struct chan *c;
	char *path;
	int err;

	/* attach(5): NOFID is what afid says when there is none; a fid that
	 * were NOFID could never be told from "no fid" (an afid, a Twalk's
	 * newfid).  Checked first: nothing, an afid's proof included, is spent. */
	if (t->u.tattach.fid == P9_NOFID)
		return proc_seterr(E_INVAL,
		                   "attach: fid may not be NOFID (0xffffffff means no fid); "
		                   "pick another number");
	if (ninep_fid_get(s, t->u.tattach.fid) || ninep_afid_get(s, t->u.tattach.fid))
		return NINEP_E_FIDINUSE;
	/* "" or "/": the root; "/a/b": that directory; "ctl" (diod's):
	 * the server's own files, whose ".." stops at them; anything else
	 * does not exist */
	if (a.len == 3 && kmemcmp(a.s, "ctl", 3) == 0)
		a = p9_str_c(NINEP_CTL_PATH);
	while (a.len > 1 && a.s[a.len - 1] == '/')
		a.len--;
	if (a.len == 1 && a.s[0] == '/')
		a.len = 0;
	if (a.len > 0 && a.s[0] != '/')
		return E_NOENT;
	if (a.len >= LUX_PATHMAX)
		return E_NAMETOOLONG;
	/* who: decided before the walk, which is checked as that user; an
	 * afid says it by what it proved (srv_secure.c) */
	for (size_t i = 0; i + 1 < a.len; i++)	/* no "." or ".." elements */
		if (a.s[i] == '/' && a.s[i + 1] == '.' &&
		    (i + 2 == a.len || a.s[i + 2] == '/' ||
		     (a.s[i + 2] == '.' && (i + 3 == a.len || a.s[i + 3] == '/'))))
			return E_BADPATH;
	if ((path = kstrndup0(a.s, a.len)) == 0)
		return E_NOMEM;
	/* a token's connection: its PATH caveat bounds the attach root (an
	 * afid's token is checked by ninep_afid_attach, before it commits) */
	if (t->u.tattach.afid == P9_NOFID && s->tok && !ninep_caveats_within(s->tok, path)) {
		err = ninep_token_outside(s, s->tok, "Tattach", path);
		kfree(path);
		return err;
	}
	if (t->u.tattach.afid != P9_NOFID)
		err = ninep_afid_attach(s, t->u.tattach.afid, t->u.tattach.uname, path, user);
	else
		err = ninep_attach_user(s, t->u.tattach.uname, t->u.tattach.n_uname, user);
	if (err < 0) {
		kfree(path);
		return err;
	}
	kstrlcpy(curproc()->cred.user, user, sizeof curproc()->cred.user);
	if ((err = ninep_fid_new(s, t->u.tattach.fid, &f)) < 0) {
		kfree(path);
		return err;
	}
	if ((err = ninep_walk_to(path, &c)) == 0 && !(c->qid.type & QTDIR)) {
		chan_put(c);
		err = E_NOTDIR;
	}
	if (err < 0) {
		kfree(path);
		ninep_fid_free(s, f);
		return err;
	}
	f->c = c;
	f->rootlen = a.len;
	f->cav = s->tok;
	kstrlcpy(f->user, user, sizeof f->user);
	if ((err = ninep_fid_setpath(s, f, path)) < 0 || (err = ninep_fid_insert(s, f)) < 0) {
		ninep_fid_free(s, f);
		return err;
	}
	r->u.rqid.qid = c->qid;
	spin_lock(&ninep_lock);
	s->fresh = 0;	/* in: from now on it takes its turn like the others */
	spin_unlock(&ninep_lock);
	return 0;
}

static int rwalk(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.twalk.fid), *nf = 0;
	uint32_t newfid = t->u.twalk.newfid;
	struct chan *c = 0;
	char *path;
	size_t i;
	int err = 0;

	/* 1. protocol checks */
	if (newfid == P9_NOFID)	/* walk(5): NOFID names no fid (see rattach) */
		return proc_seterr(E_INVAL,
		                   "walk: newfid may not be NOFID (0xffffffff means no fid); "
		                   "pick another number");
	if (f == 0)
		return NINEP_E_NOFID;
	/* walk(5) wants an unopened fid; Linux and diod walk from open
	 * directories (ls -l), which is harmless when the result is a new fid */
	if (is_open(f) && (s->d != P9_2000L || newfid == f->fid))
		return NINEP_E_OPEN;
	if (newfid != f->fid && ninep_fid_get(s, newfid))
		return NINEP_E_FIDINUSE;
	for (i = 0; i < t->u.twalk.nwname; i++)
		if ((err = ninep_check_name(t->u.twalk.wname[i], true)) < 0)
			return err;
	if (newfid == f->fid && (err = ninep_fid_excl(s, f)) < 0)
		return err;	/* it changes f: nobody else may be using it */
	if (newfid != f->fid && (err = ninep_fid_new(s, newfid, &nf)) < 0)
		return err;
	/* 2. the walk: each name one step from where the last one led (the
	 * fid's chan at first), crossing mounts as namec does; ".." by the
	 * path from the namespace root, which knows what a mount covers.  A
	 * step from the root each time would cost a walk of the whole path
	 * per name, and through a chain of mounts of servers that do the
	 * same, the depth to the power of the chain's length. */
	if ((path = kstrndup0(f->path, kstrlen(f->path))) == 0) {
		ninep_fid_free(s, nf);
		return E_NOMEM;
	}
	for (i = 0; i < t->u.twalk.nwname; i++) {
		struct p9_str n = t->u.twalk.wname[i];
		char *np;
		if (n.len == 2 && n.s[0] == '.' && n.s[1] == '.') {
			size_t l = kstrlen(path);
			while (l > f->rootlen && path[l - 1] != '/')
				l--;
			if (l > f->rootlen)
				l--;	/* the '/' */
			if (l < f->rootlen)
				l = f->rootlen;
			path[l] = 0;
		} else {
			if ((err = ninep_join(path, n, &np)) < 0)
				break;
			kfree(path);
			path = np;
		}
		if (!ninep_caveats_within(f->cav, path)) {
			err = ninep_token_outside(s, f->cav, "Twalk", path);
			break;
		}
		if (n.len == 2 && n.s[0] == '.' && n.s[1] == '.') {
			chan_put(c);
			c = 0;
			err = ninep_walk_to(path, &c);
		} else {
			char elem[LUX_NAMEMAX];
			struct chan *from = c ? c : f->c, *nc;
			kmemcpy(elem, n.s, n.len);	/* < LUX_NAMEMAX: ninep_check_name */
			elem[n.len] = 0;
			if ((err = namec_walk1(myns(), from, elem, &nc)) == 0) {
				chan_put(c);
				c = nc;
			}
		}
		if (err < 0)
			break;
		r->u.rwalk.wqid[i] = c->qid;
	}
	r->u.rwalk.nwqid = (uint16_t)i;
	if (i < t->u.twalk.nwname) {
		/* walk(5): a partial walk returns the qids that succeeded and
		 * makes no newfid; failing on the first name is an error, and
		 * so is a walk cut short by its flush (E_INTR), which found
		 * nothing missing and must not be answered as if it had */
		chan_put(c);
		kfree(path);
		ninep_fid_free(s, nf);
		return i == 0 || err == E_INTR ? err : 0;
	}
	if (c == 0 && (err = ninep_walk_to(path, &c)) < 0) {	/* nwname == 0: a clone */
		kfree(path);
		ninep_fid_free(s, nf);
		return err;
	}
	/* 3. bookkeeping (the path is charged to the connection) */
	if (nf == 0) {
		if ((err = ninep_fid_setpath(s, f, path)) < 0) {
			chan_put(c);
			return err;
		}
		chan_put(f->c);
		f->c = c;
		return 0;
	}
	nf->rootlen = f->rootlen;
	nf->cav = f->cav;
	nf->c = c;
	kstrlcpy(nf->user, f->user, sizeof nf->user);
	if ((err = ninep_fid_setpath(s, nf, path)) < 0 || (err = ninep_fid_insert(s, nf)) < 0) {
		ninep_fid_free(s, nf);
		return err;
	}
	return 0;
}

static int rclunk(struct ninep_conn *s, const struct p9_msg *t, bool remove)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tfid.fid);
	int err = 0;

	if (f == 0 && (f = ninep_afid_get(s, t->u.tfid.fid)) != 0) {
		ninep_fid_clunk(s, f);	/* the handshake goes, wiped */
		return remove ? E_PERM : 0;
	}
	if (f == 0)
		return NINEP_E_NOFID;
	if (remove || f->orclose)
		err = chan_remove_at(myns(), pathname(f->path), f->c);
	ninep_fid_clunk(s, f);	/* remove(5): clunked even when it fails */
	return remove ? err : 0;
}

/* ---- Open, create, read, write ---------------------------------------- */

static int do_open(struct ninep_conn *s, struct ninep_fid *f, int mode, struct p9_msg *r)
{
	struct lux_dir d;
	int err;

	if (is_open(f))
		return NINEP_E_OPEN;
	if ((err = ninep_fid_excl(s, f)) < 0)
		return err;
	if ((mode & OMODE) == OEXEC)
		mode = (mode & ~OMODE) | OREAD;
	if ((mode & OTRUNC) && (err = f->c->dev->stat(f->c, &d)) == 0 && (d.mode & DMDIR))
		return E_ISDIR;
	if ((err = chan_open(f->c, mode)) < 0)
		return err;
	f->c->mode = mode & OMODE;
	f->diroff = 0;
	f->dircookie = 0;
	r->u.ropen.qid = f->c->qid;
	r->u.ropen.iounit = s->msize - P9_IOHDRSZ;
	return 0;
}

static int ropen(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.topen.fid);
	uint8_t m = t->u.topen.mode;
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = do_open(s, f, (m & OMODE) | (m & OTRUNC), r)) == 0)
		f->orclose = m & P9_ORCLOSE;
	return err;
}

static int rlopen(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tlopen.fid);
	uint32_t fl = t->u.tlopen.flags;

	if (f == 0)
		return NINEP_E_NOFID;
	/* O_RDONLY/O_WRONLY/O_RDWR are 0/1/2 like OREAD/OWRITE/ORDWR */
	if ((fl & L_O_ACCMODE) == 3)
		return E_INVAL;
	return do_open(s, f, (int)(fl & L_O_ACCMODE) | ((fl & L_O_TRUNC) ? OTRUNC : 0), r);
}

/* Create name in the directory f names; f becomes the new file, open. */
static int do_create(struct ninep_conn *s, struct ninep_fid *f, struct p9_str name, int mode,
                     uint32_t perm, struct p9_msg *r)
{
	char *path, cname[LUX_NAMEMAX];
	struct chan *c;
	size_t grow;
	int err;

	if (is_open(f))
		return NINEP_E_OPEN;
	if ((err = ninep_fid_excl(s, f)) < 0)
		return err;
	if ((err = ninep_check_name(name, false)) < 0)
		return err;
	if (!(f->c->qid.type & QTDIR))
		return E_NOTDIR;
	if ((err = ninep_join(f->path, name, &path)) < 0)
		return err;
	/* the longer path is paid for before the file exists */
	grow = kstrlen(path) - kstrlen(f->path);
	if ((err = ninep_charge(s, grow)) < 0) {
		kfree(path);
		return err;
	}
	if ((err = union_create_dir(f->c, &c)) < 0) {	/* a union: its -c member */
		ninep_uncharge(s, grow);
		kfree(path);
		return err;
	}
	kmemcpy(cname, name.s, name.len);
	cname[name.len] = 0;
	if ((err = chan_create(c, cname, mode, perm)) < 0) {
		chan_put(c);
		ninep_uncharge(s, grow);
		kfree(path);
		return err;
	}
	c->mode = mode & OMODE;
	chan_put(f->c);
	kfree(f->path);
	f->c = c;
	f->path = path;
	f->charged += grow;
	f->diroff = 0;
	f->dircookie = 0;
	r->u.ropen.qid = c->qid;
	r->u.ropen.iounit = s->msize - P9_IOHDRSZ;
	return 0;
}

static int rcreate(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tcreate.fid);
	uint32_t perm = t->u.tcreate.perm;
	uint8_t m = t->u.tcreate.mode;
	int mode = (m & OMODE) == OEXEC ? OREAD : (m & OMODE);
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((perm & ~(DMDIR | 0777u)) != 0)
		return NINEP_E_NOTSUP;	/* append-only, exclusive, ... */
	if ((err = do_create(s, f, t->u.tcreate.name, mode | OEXCL, perm, r)) == 0)
		f->orclose = m & P9_ORCLOSE;
	return err;
}

static int rlcreate(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tlcreate.fid);
	uint32_t fl = t->u.tlcreate.flags;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((fl & L_O_ACCMODE) == 3)
		return E_INVAL;
	return do_create(s, f, t->u.tlcreate.name, (int)(fl & L_O_ACCMODE) | OEXCL,
	                 t->u.tlcreate.mode & 0777u, r);
}

static int rmkdir(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tmkdir.dfid);
	char cname[LUX_NAMEMAX];
	struct chan *c;
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = ninep_check_name(t->u.tmkdir.name, false)) < 0)
		return err;
	if (!(f->c->qid.type & QTDIR))
		return E_NOTDIR;
	if ((err = union_create_dir(f->c, &c)) < 0)	/* a union: its -c member */
		return err;
	kmemcpy(cname, t->u.tmkdir.name.s, t->u.tmkdir.name.len);
	cname[t->u.tmkdir.name.len] = 0;
	err = chan_create(c, cname, OREAD | OEXCL, DMDIR | (t->u.tmkdir.mode & 0777u));
	if (err == 0)
		r->u.rqid.qid = c->qid;
	chan_put(c);
	return err;
}

static int runlinkat(struct ninep_conn *s, const struct p9_msg *t)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tunlinkat.dirfid);
	bool rmdir = t->u.tunlinkat.flags & P9_AT_REMOVEDIR;
	struct chan *c;
	char *path;
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = ninep_check_name(t->u.tunlinkat.name, false)) < 0)
		return err;
	if ((err = ninep_join(f->path, t->u.tunlinkat.name, &path)) < 0)
		return err;
	if ((err = ninep_walk_to(path, &c)) < 0) {
		kfree(path);
		return err;
	}
	if (rmdir && !(c->qid.type & QTDIR))
		err = E_NOTDIR;
	else if (!rmdir && (c->qid.type & QTDIR))
		err = E_ISDIR;
	else
		err = chan_remove_at(myns(), path, c);
	kfree(path);
	chan_put(c);
	return err;
}

static int rread(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tread.fid);
	uint8_t *buf = (uint8_t *)r->u.rread.data;	/* in the reply: see ninep_handle */
	uint32_t count = t->u.tread.count;
	struct ninep_fid *af;
	long n;

	if (count > s->msize - P9_IOHDRSZ)
		count = s->msize - P9_IOHDRSZ;
	if (f == 0 && (af = ninep_afid_get(s, t->u.tread.fid)) != 0) {
		if ((n = ninep_afid_read(s, af, buf, count)) < 0)	/* the handshake */
			return (int)n;
		r->u.rread.count = (uint32_t)n;
		return 0;
	}
	/* 1. checks: open for reading; count clipped to what fits msize */
	if (f == 0)
		return NINEP_E_NOFID;
	if (f->c->mode != OREAD && f->c->mode != ORDWR)
		return NINEP_E_NOTOPEN;
	if (count > s->msize - P9_IOHDRSZ)
		count = s->msize - P9_IOHDRSZ;
	/* 2. the read */
	if ((f->c->qid.type & QTDIR) && s->d == P9_2000) {
		/* the directory offset lives in the fid: one reader at a time */
		if ((n = ninep_fid_excl(s, f)) == 0)
			n = ninep_read_dir_stat(f, t->u.tread.offset, buf, count);
	} else {
		n = f->c->dev->read(f->c, buf, count, t->u.tread.offset);
	}
	if (n < 0)
		return (int)n;
	r->u.rread.count = (uint32_t)n;
	return 0;
}

static int rwrite(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.twrite.fid), *af;
	long n;

	if (f == 0 && (af = ninep_afid_get(s, t->u.twrite.fid)) != 0) {
		if ((n = ninep_afid_write(s, af, t->u.twrite.data, t->u.twrite.count)) < 0)
			return (int)n;
		r->u.rwrite.count = t->u.twrite.count;
		return 0;
	}
	if (f == 0)
		return NINEP_E_NOFID;
	if (f->c->mode != OWRITE && f->c->mode != ORDWR)
		return NINEP_E_NOTOPEN;
	if (f->c->dev->write == 0)
		return E_PERM;
	n = f->c->dev->write(f->c, t->u.twrite.data, t->u.twrite.count, t->u.twrite.offset);
	if (n < 0)
		return (int)n;
	r->u.rwrite.count = (uint32_t)n;
	return 0;
}

/* ---- Attributes ------------------------------------------------------- */

static int rstatfs(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	if (ninep_fid_get(s, t->u.tfid.fid) == 0)
		return NINEP_E_NOFID;
	/* ramfs lives in the kernel's pages: report those */
	r->u.rstatfs.type = V9FS_MAGIC;
	r->u.rstatfs.bsize = PAGE_SIZE;
	r->u.rstatfs.blocks = page_total();
	r->u.rstatfs.bfree = r->u.rstatfs.bavail = page_free_count();
	r->u.rstatfs.namelen = LUX_NAMEMAX - 1;
	return 0;
}

/* ---- Dispatch --------------------------------------------------------- */

static int dispatch(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	/* clang-format off */
	switch (t->type) {
	case P9_TVERSION:	return rversion(s, t, r);
	case P9_TAUTH:		return ninep_rauth(s, t, r);
	case P9_TATTACH:	return rattach(s, t, r);
	case P9_TFLUSH:		return 0;	/* the framer answers Tflush (srv.c) */
	case P9_TWALK:		return rwalk(s, t, r);
	case P9_TCLUNK:		return rclunk(s, t, false);
	case P9_TREMOVE:	return rclunk(s, t, true);
	case P9_TOPEN:		return ropen(s, t, r);
	case P9_TLOPEN:		return rlopen(s, t, r);
	case P9_TCREATE:	return rcreate(s, t, r);
	case P9_TLCREATE:	return rlcreate(s, t, r);
	case P9_TREAD:		return rread(s, t, r);
	case P9_TREADDIR:	return ninep_rreaddir(s, t, r);
	case P9_TWRITE:		return rwrite(s, t, r);
	case P9_TWSTAT:		return ninep_rwstat(s, t);
	case P9_TGETATTR:	return ninep_rgetattr(s, t, r);
	case P9_TSETATTR:	return ninep_rsetattr(s, t);
	case P9_TRENAME:	return ninep_rrename(s, t);
	case P9_TRENAMEAT:	return ninep_rrenameat(s, t);
	case P9_TSYMLINK:	return ninep_rsymlink(s, t, r);
	case P9_TMKNOD:		return ninep_rmknod(s, t, r);
	case P9_TREADLINK:	return ninep_rreadlink(s, t, r);
	case P9_TLINK:		return ninep_rlink(s, t);
	case P9_TXATTRWALK:	return ninep_rxattrwalk(s, t);
	case P9_TXATTRCREATE:	return ninep_rxattrwalk(s, t);
	case P9_TLOCK:		return ninep_rlock(s, t, r);
	case P9_TGETLOCK:	return ninep_rgetlock(s, t, r);
	case P9_TMKDIR:		return rmkdir(s, t, r);
	case P9_TUNLINKAT:	return runlinkat(s, t);
	case P9_TSTATFS:	return rstatfs(s, t, r);
	case P9_TFSYNC:
		return ninep_fid_get(s, t->u.tfsync.fid) ? ninep_sync() : NINEP_E_NOFID;
	default:	/* Tstat is ninep_handle's (its reply points into a lux_dir) */
		return NINEP_E_NOTSUP;
	}
	/* clang-format on */
}

/* Tfsync, and 9P2000's wstat that changes nothing: the root tree written
 * back to the machine's store.  Without a store there is nothing more
 * durable than RAM, and the answer is what it always was: done. */
int ninep_sync(void)
{
	int err = storesync_now(0);

	return err == E_NOENT ? 0 : err;
}

static const char *detail(int err)
{
	struct proc *p = curproc();

	return p && err < 0 && p->errcode == err && p->errstr[0] ? p->errstr : ninep_errstr(err);
}

static int error_reply(struct ninep_conn *s, uint8_t *out, size_t cap, uint16_t tag, int err,
                       const char *why)
{
	struct p9_msg r = { .tag = tag };

	/* a budget's sentence ("budget exhausted: fids 4096/4096") is in the
	 * errstr of the proc whose charge failed: the one answering */
	if (why == 0 && (err == E_BUDGET || err == NINEP_E_NFIDS || err == NINEP_E_NREQS))
		why = proc_errstr(E_BUDGET);
	if (s->d == P9_2000L) {
		r.type = P9_RLERROR;
		r.u.rlerror.ecode = ninep_errno(err);
	} else {
		const char *w = s->sentences ? 0 : ninep_word(err);

		r.type = P9_RERROR;
		/* the word Linux's client maps to the errno (docs/9p.md,
		 * "Errors"); where there is none, or for a client that sent
		 * a Tauth (a Plan 9 client), the detailed error: the
		 * file call's errstr when it set one for this request, e.g.
		 * "aead: authentication failed", not "crypto operation failed" */
		r.u.rerror.ename = p9_str_c(w ? w : why ? why : detail(err));
	}
	return p9_encode(&r, out, cap < s->msize ? cap : s->msize, s->d);
}

int ninep_error_reply(struct ninep_conn *s, uint8_t *out, size_t cap, uint16_t tag, int err,
                      const char *why)
{
	return error_reply(s, out, cap, tag, err, why);
}

/* Rread and Rreaddir are size[4] type[1] tag[2] count[4] data, and
 * Rreadlink size[4] type[1] tag[2] target[s]: the handlers read straight
 * into the reply, after where that header goes. */
#define RREAD_HDR (P9_HDRSZ + 4)
#define RREADLINK_HDR (P9_HDRSZ + 2)

static void put_le(uint8_t *p, uint32_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int encode_reply(struct ninep_conn *s, struct ninep_ctx *x, const struct p9_msg *r)
{
	size_t cap = x->cap < s->msize ? x->cap : s->msize;
	uint32_t n;

	if (r->type == P9_RREADLINK) {
		n = RREADLINK_HDR + (uint32_t)r->u.rreadlink.target.len;
		if (n > cap || r->u.rreadlink.target.len > 0xffff)
			return P9_E_MSIZE;
		put_le(x->out + P9_HDRSZ, (uint32_t)r->u.rreadlink.target.len, 2);
	} else if (r->type == P9_RREAD || r->type == P9_RREADDIR) {
		n = RREAD_HDR + r->u.rread.count;
		if (n > cap)
			return P9_E_MSIZE;
		put_le(x->out + P9_HDRSZ, r->u.rread.count, 4);
	} else {
		return p9_encode(r, x->out, cap, s->d);
	}
	put_le(x->out, n, 4);
	x->out[4] = r->type;
	put_le(x->out + 5, r->tag, 2);
	return (int)n;
}

int ninep_handle(struct ninep_conn *s, struct ninep_ctx *x, const uint8_t *req, size_t len)
{
	size_t cap = x->cap < s->msize ? x->cap : s->msize;
	const struct ninep_caveats *cav;
	struct p9_msg t, r;
	char why[160];
	int err, n;

	x->err = 0;
	x->newfid = 0;
	kmemset(&t, 0, sizeof t);
	err = p9_decode(req, len, s->msize, s->d, P9_TMSG, &t);
	if (err < 0) {
		/* a well-framed message the codec rejects: answer it (the tag
		 * is where the header says), keep the connection */
		uint16_t tag = (uint16_t)(req[5] | req[6] << 8);
		x->err = err;
		p9_explain(why, sizeof why, err, &t);
		n = error_reply(s, x->out, cap, tag, err, why);
		if (n < 0)	/* e.g. a tag the encoder refuses: nothing to say */
			n = error_reply(s, x->out, cap, P9_NOTAG, err, why);
		return n;
	}
	kmemset(&r, 0, sizeof r);
	r.type = t.type + 1;
	r.tag = t.tag;
	proc_seterr(0, "%s", "");	/* only this request's errors are detailed in its Rerror */
	/* as the user of its fid: every check below is theirs, and so are
	 * the caveats of the token it came through */
	cav = ninep_act_for(s, req);
	if ((err = ninep_token_check(s, cav, &t)) < 0) {
		x->err = err;
		return error_reply(s, x->out, cap, t.tag, err, 0);
	}
	if (t.type == P9_TVERSION) {
		enum p9_dialect asked = p9_dialect_of(t.u.version.version.s,
		                                      t.u.version.version.len);
		err = rversion(s, &t, &r);
		if (err < 0) {
			/* a failed Tversion: answer in the dialect asked for */
			s->d = P9_NONE;
			r.type = asked == P9_2000L ? P9_RLERROR : P9_RERROR;
			r.tag = P9_NOTAG;
			if (r.type == P9_RLERROR)
				r.u.rlerror.ecode = ninep_errno(err);
			else
				r.u.rerror.ename = p9_str_c(p9_strerror(err));
		}
		x->err = err;
		return p9_encode(&r, x->out, x->cap, P9_NONE);
	}
	if (t.type == P9_TREAD || t.type == P9_TREADDIR) {
		if (cap < RREAD_HDR)
			return E_INVAL;	/* no reply buffer: our bug */
		if (t.u.tread.count > cap - RREAD_HDR)
			t.u.tread.count = (uint32_t)(cap - RREAD_HDR);
		r.u.rread.data = x->out + RREAD_HDR;
	}
	if (t.type == P9_TREADLINK) {	/* target.len: the room for it */
		if (cap < RREADLINK_HDR)
			return E_INVAL;	/* no reply buffer: our bug */
		r.u.rreadlink.target.s = (const char *)x->out + RREADLINK_HDR;
		r.u.rreadlink.target.len = cap - RREADLINK_HDR;
	}
	if (t.type == P9_TSTAT) {
		struct lux_dir d;
		err = ninep_rstat(s, &t, &r, &d);	/* the stat's name lives in d */
		n = err < 0 ? 0 : p9_encode(&r, x->out, cap, s->d);
	} else {
		err = dispatch(s, &t, &r);
		n = err < 0 ? 0 : encode_reply(s, x, &r);
	}
	if (err == NINEP_E_NOFID && x->busy)
		err = NINEP_E_FIDBUSY;	/* it exists, but another request is changing it */
	if (err < 0)
		n = error_reply(s, x->out, cap, t.tag, err, 0);
	else if (n < 0)	/* a reply that does not encode is our bug: say which */
		n = error_reply(s, x->out, cap, t.tag, err = n, 0);
	x->err = err;
	return n;
}
