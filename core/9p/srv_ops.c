/*
 * The 9P server's requests: decode, three steps per request (STYLE 7),
 * encode.  Handlers get a decoded struct p9_msg, never bytes, and fill
 * the reply; an error becomes Rerror (9P2000: the sentence) or Rlerror
 * (.L: the errno) in one place, ninep_handle.
 *
 * Fids name paths in the served namespace (the proc's ns): a walk
 * resolves each prefix with namec, so mounts are crossed exactly as the
 * shell crosses them, and ".." is a textual step back that stops at the
 * attach root.
 */
#include <lux/9psrv.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/page.h>
#include <lux/proc.h>
#include <lux/string.h>

/* Linux mode bits for Rgetattr, and the statfs magic v9fs reports. */
#define L_S_IFDIR 0040000u
#define L_S_IFREG 0100000u
#define L_O_ACCMODE 3u
#define L_O_TRUNC 01000u
#define L_DT_DIR 4
#define L_DT_REG 8
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
static int check_name(struct p9_str n, bool dotdot_ok)
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
static int join(const char *path, struct p9_str name, char **out)
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

static int walk_to(const char *path, struct chan **out)
{
	return namec(myns(), pathname(path), NAMEC_WALK, 0, 0, out);
}

static bool is_open(const struct ninep_fid *f)
{
	return f->c->mode >= 0;
}

/* ---- Stat conversions ------------------------------------------------- */

static void to_stat(const struct lux_dir *d, struct p9_stat *st)
{
	kmemset(st, 0, sizeof *st);
	st->qid = d->qid;
	st->mode = d->mode;
	st->atime = st->mtime = (uint32_t)d->mtime;
	st->length = d->length;
	st->name = p9_str_c(d->name);
	st->uid = st->gid = p9_str_c(curproc()->cred.user);
	st->muid = p9_str_c("");
}

static uint8_t dirent_type(const struct lux_dir *d)
{
	return (d->mode & DMDIR) ? L_DT_DIR : L_DT_REG;
}

/* Make the file c names len bytes long, as far as devices allow today:
 * to 0 (open with OTRUNC), longer (a zero-byte write at len), same. */
static int set_length(struct chan *c, uint64_t len)
{
	struct lux_dir d;
	struct chan *t;
	int err;

	if ((err = c->dev->stat(c, &d)) < 0)
		return err;
	if (d.mode & DMDIR)
		return E_ISDIR;
	if (len == d.length)
		return 0;
	if (len == 0) {
		if ((t = chan_clone(c)) == 0)
			return E_NOMEM;
		err = t->dev->open(t, OWRITE | OTRUNC);
		chan_put(t);
		return err;
	}
	if (len < d.length)
		return NINEP_E_TRUNC;
	if (c->dev->write == 0)
		return E_PERM;
	err = (int)c->dev->write(c, "", 0, len);
	return err < 0 ? err : 0;
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
	struct ninep_fid *f;
	struct chan *c;
	char *path;
	int err;

	if (t->u.tattach.afid != P9_NOFID)
		return NINEP_E_AFID;
	if (ninep_fid_get(s, t->u.tattach.fid))
		return NINEP_E_FIDINUSE;
	/* "" or "/": the root; "/a/b": that directory; anything else
	 * (diod's "ctl" among them) does not exist here yet */
	while (a.len > 1 && a.s[a.len - 1] == '/')
		a.len--;
	if (a.len == 1 && a.s[0] == '/')
		a.len = 0;
	if (a.len > 0 && a.s[0] != '/')
		return E_NOENT;
	if (a.len >= LUX_PATHMAX)
		return E_NAMETOOLONG;
	for (size_t i = 0; i + 1 < a.len; i++)	/* no "." or ".." elements */
		if (a.s[i] == '/' && a.s[i + 1] == '.' &&
		    (i + 2 == a.len || a.s[i + 2] == '/' ||
		     (a.s[i + 2] == '.' && (i + 3 == a.len || a.s[i + 3] == '/'))))
			return E_BADPATH;
	if ((err = ninep_fid_new(s, t->u.tattach.fid, &f)) < 0)
		return err;
	if ((path = kstrndup0(a.s, a.len)) == 0) {
		kfree(f);
		return E_NOMEM;
	}
	if ((err = walk_to(path, &c)) == 0 && !(c->qid.type & QTDIR)) {
		chan_put(c);
		err = E_NOTDIR;
	}
	if (err < 0) {
		kfree(path);
		kfree(f);
		return err;
	}
	f->c = c;
	f->path = path;
	f->rootlen = a.len;
	ninep_fid_insert(s, f);
	r->u.rqid.qid = c->qid;
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
	if (f == 0)
		return NINEP_E_NOFID;
	/* walk(5) wants an unopened fid; Linux and diod walk from open
	 * directories (ls -l), which is harmless when the result is a new fid */
	if (is_open(f) && (s->d != P9_2000L || newfid == f->fid))
		return NINEP_E_OPEN;
	if (newfid != f->fid && ninep_fid_get(s, newfid))
		return NINEP_E_FIDINUSE;
	for (i = 0; i < t->u.twalk.nwname; i++)
		if ((err = check_name(t->u.twalk.wname[i], true)) < 0)
			return err;
	if (newfid != f->fid && (err = ninep_fid_new(s, newfid, &nf)) < 0)
		return err;
	/* 2. the walk: each step resolved from the namespace root */
	if ((path = kstrndup0(f->path, kstrlen(f->path))) == 0) {
		kfree(nf);
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
			if ((err = join(path, n, &np)) < 0)
				break;
			kfree(path);
			path = np;
		}
		chan_put(c);
		c = 0;
		if ((err = walk_to(path, &c)) < 0)
			break;
		r->u.rwalk.wqid[i] = c->qid;
	}
	r->u.rwalk.nwqid = (uint16_t)i;
	if (i < t->u.twalk.nwname) {
		/* walk(5): a partial walk returns the qids that succeeded and
		 * makes no newfid; failing on the first name is an error */
		chan_put(c);
		kfree(path);
		kfree(nf);
		return i == 0 ? err : 0;
	}
	if (c == 0 && (err = walk_to(path, &c)) < 0) {	/* nwname == 0: a clone */
		kfree(path);
		kfree(nf);
		return err;
	}
	/* 3. bookkeeping */
	if (nf == 0) {
		nf = f;
		chan_put(f->c);
		kfree(f->path);
	} else {
		nf->rootlen = f->rootlen;
		ninep_fid_insert(s, nf);
	}
	nf->c = c;
	nf->path = path;
	return 0;
}

static int rclunk(struct ninep_conn *s, const struct p9_msg *t, bool remove)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tfid.fid);
	int err = 0;

	if (f == 0)
		return NINEP_E_NOFID;
	if (remove || f->orclose)
		err = f->c->dev->remove ? f->c->dev->remove(f->c) : E_PERM;
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
	if ((mode & OMODE) == OEXEC)
		mode = (mode & ~OMODE) | OREAD;
	if ((mode & OTRUNC) && (err = f->c->dev->stat(f->c, &d)) == 0 && (d.mode & DMDIR))
		return E_ISDIR;
	if ((err = f->c->dev->open(f->c, mode)) < 0)
		return err;
	f->c->mode = mode & OMODE;
	f->diroff = 0;
	f->diridx = 0;
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
static int do_create(struct ninep_conn *s, struct ninep_fid *f, struct p9_str name,
                     int mode, uint32_t perm, struct p9_msg *r)
{
	char *path, cname[LUX_NAMEMAX];
	struct chan *c;
	int err;

	if (is_open(f))
		return NINEP_E_OPEN;
	if ((err = check_name(name, false)) < 0)
		return err;
	if (!(f->c->qid.type & QTDIR))
		return E_NOTDIR;
	if (f->c->dev->create == 0)
		return E_PERM;
	if ((err = join(f->path, name, &path)) < 0)
		return err;
	if ((c = chan_clone(f->c)) == 0) {
		kfree(path);
		return E_NOMEM;
	}
	kmemcpy(cname, name.s, name.len);
	cname[name.len] = 0;
	if ((err = c->dev->create(c, cname, mode, perm)) < 0) {
		chan_put(c);
		kfree(path);
		return err;
	}
	c->mode = mode & OMODE;
	chan_put(f->c);
	kfree(f->path);
	f->c = c;
	f->path = path;
	f->diroff = 0;
	f->diridx = 0;
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
	if ((err = check_name(t->u.tmkdir.name, false)) < 0)
		return err;
	if (!(f->c->qid.type & QTDIR))
		return E_NOTDIR;
	if (f->c->dev->create == 0)
		return E_PERM;
	if ((c = chan_clone(f->c)) == 0)
		return E_NOMEM;
	kmemcpy(cname, t->u.tmkdir.name.s, t->u.tmkdir.name.len);
	cname[t->u.tmkdir.name.len] = 0;
	err = c->dev->create(c, cname, OREAD | OEXCL, DMDIR | (t->u.tmkdir.mode & 0777u));
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
	if ((err = check_name(t->u.tunlinkat.name, false)) < 0)
		return err;
	if ((err = join(f->path, t->u.tunlinkat.name, &path)) < 0)
		return err;
	err = walk_to(path, &c);
	kfree(path);
	if (err < 0)
		return err;
	if (rmdir && !(c->qid.type & QTDIR))
		err = E_NOTDIR;
	else if (!rmdir && (c->qid.type & QTDIR))
		err = E_ISDIR;
	else
		err = c->dev->remove ? c->dev->remove(c) : E_PERM;
	chan_put(c);
	return err;
}

/* 9P2000 directory read: whole stat entries, offsets continuing. */
static long read_dir_stat(struct ninep_fid *f, uint64_t off, uint8_t *buf, size_t count)
{
	struct lux_dir d;
	struct p9_stat st;
	size_t n = 0, idx;
	int r;

	if (off == 0) {
		f->diroff = 0;
		f->diridx = 0;
	} else if (off != f->diroff) {
		return NINEP_E_DIROFF;
	}
	for (idx = f->diridx;; idx++) {
		if ((r = f->c->dev->dirent(f->c, idx, &d)) < 0)
			return r;
		if (r == 0)
			break;
		to_stat(&d, &st);
		if (p9_stat_len(&st) > count - n) {
			if (n == 0)
				return NINEP_E_DIRFIT;
			break;
		}
		if ((r = p9_stat_encode(&st, buf + n, count - n)) < 0)
			return r;
		n += (size_t)r;
	}
	f->diridx = idx;
	f->diroff = off + n;
	return (long)n;
}

static int rread(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tread.fid);
	uint32_t count = t->u.tread.count;
	long n;

	/* 1. checks: open for reading; count clipped to what fits msize */
	if (f == 0)
		return NINEP_E_NOFID;
	if (f->c->mode != OREAD && f->c->mode != ORDWR)
		return NINEP_E_NOTOPEN;
	if (count > s->msize - P9_IOHDRSZ)
		count = s->msize - P9_IOHDRSZ;
	/* 2. the read */
	if ((f->c->qid.type & QTDIR) && s->d == P9_2000)
		n = f->c->dev->dirent ? read_dir_stat(f, t->u.tread.offset, s->data, count)
		                      : E_NOTDIR;
	else
		n = f->c->dev->read(f->c, s->data, count, t->u.tread.offset);
	if (n < 0)
		return (int)n;
	r->u.rread.count = (uint32_t)n;
	r->u.rread.data = s->data;
	return 0;
}

static int rreaddir(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tread.fid);
	uint32_t count = t->u.tread.count;
	uint64_t idx = t->u.tread.offset;	/* offsets are entry index + 1 */
	struct p9_dirent de;
	struct lux_dir d;
	size_t n = 0;
	int rc;

	if (f == 0)
		return NINEP_E_NOFID;
	if (f->c->mode != OREAD && f->c->mode != ORDWR)
		return NINEP_E_NOTOPEN;
	if (!(f->c->qid.type & QTDIR) || f->c->dev->dirent == 0)
		return E_NOTDIR;
	if (count > s->msize - P9_IOHDRSZ)
		count = s->msize - P9_IOHDRSZ;
	for (;; idx++) {
		if (idx > (uint64_t)1 << 32)
			break;	/* no device has that many entries */
		if ((rc = f->c->dev->dirent(f->c, (size_t)idx, &d)) < 0)
			return rc;
		if (rc == 0)
			break;
		de.qid = d.qid;
		de.offset = idx + 1;
		de.type = dirent_type(&d);
		de.name = p9_str_c(d.name);
		if (p9_dirent_len(&de) > count - n)
			break;	/* the client asks again from de.offset - 1 */
		if ((rc = p9_dirent_encode(&de, s->data + n, count - n)) < 0)
			return rc;
		n += (size_t)rc;
	}
	r->u.rread.count = (uint32_t)n;
	r->u.rread.data = s->data;
	return 0;
}

static int rwrite(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.twrite.fid);
	long n;

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

static int rstat(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r,
                 struct lux_dir *d)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tfid.fid);
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = f->c->dev->stat(f->c, d)) < 0)
		return err;
	to_stat(d, &r->u.rstat.stat);
	return 0;
}

static int rwstat(struct ninep_conn *s, const struct p9_msg *t)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.twstat.fid);
	const struct p9_stat *st = &t->u.twstat.stat;
	struct lux_dir d;
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = f->c->dev->stat(f->c, &d)) < 0)
		return err;
	/* wstat(5) is all or nothing: check every field, then change.
	 * ~0 and "" mean "leave it"; times are set by the device itself. */
	if (st->name.len && !p9_str_eq(st->name, d.name))
		return NINEP_E_WSTAT;
	if (st->mode != ~0u && st->mode != d.mode)
		return NINEP_E_WSTAT;
	if (st->uid.len || st->gid.len || st->muid.len)
		return NINEP_E_WSTAT;
	if (st->length != ~0ull)
		return set_length(f->c, st->length);
	return 0;
}

static int rgetattr(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tgetattr.fid);
	struct lux_dir d;
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = f->c->dev->stat(f->c, &d)) < 0)
		return err;
	r->u.rgetattr.valid = P9_GETATTR_BASIC;
	r->u.rgetattr.qid = d.qid;
	r->u.rgetattr.mode = ((d.mode & DMDIR) ? L_S_IFDIR : L_S_IFREG) | (d.mode & 0777u);
	r->u.rgetattr.nlink = (d.mode & DMDIR) ? 2 : 1;
	r->u.rgetattr.size = d.length;
	r->u.rgetattr.blksize = 4096;
	r->u.rgetattr.blocks = (d.length + 511) / 512;
	r->u.rgetattr.atime_sec = r->u.rgetattr.mtime_sec = r->u.rgetattr.ctime_sec = d.mtime;
	return 0;
}

static int rsetattr(struct ninep_conn *s, const struct p9_msg *t)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tsetattr.fid);
	uint32_t v = t->u.tsetattr.valid;
	struct lux_dir d;
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if ((err = f->c->dev->stat(f->c, &d)) < 0)
		return err;
	/* no device changes permissions or owners yet: only a no-op passes;
	 * times are kept by the device (set on every change) and ignored */
	if ((v & P9_SETATTR_MODE) && (t->u.tsetattr.mode & 0777u) != (d.mode & 0777u))
		return E_PERM;
	if ((v & P9_SETATTR_UID) && t->u.tsetattr.uid != 0)
		return E_PERM;
	if ((v & P9_SETATTR_GID) && t->u.tsetattr.gid != 0)
		return E_PERM;
	if (v & P9_SETATTR_SIZE)
		return set_length(f->c, t->u.tsetattr.size);
	return 0;
}

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
	switch (t->type) {
	case P9_TVERSION:	return rversion(s, t, r);
	case P9_TAUTH:		return NINEP_E_NOAUTH;
	case P9_TATTACH:	return rattach(s, t, r);
	case P9_TFLUSH:		return 0;	/* one request at a time: nothing in flight */
	case P9_TWALK:		return rwalk(s, t, r);
	case P9_TCLUNK:		return rclunk(s, t, false);
	case P9_TREMOVE:	return rclunk(s, t, true);
	case P9_TOPEN:		return ropen(s, t, r);
	case P9_TLOPEN:		return rlopen(s, t, r);
	case P9_TCREATE:	return rcreate(s, t, r);
	case P9_TLCREATE:	return rlcreate(s, t, r);
	case P9_TREAD:		return rread(s, t, r);
	case P9_TREADDIR:	return rreaddir(s, t, r);
	case P9_TWRITE:		return rwrite(s, t, r);
	case P9_TWSTAT:		return rwstat(s, t);
	case P9_TGETATTR:	return rgetattr(s, t, r);
	case P9_TSETATTR:	return rsetattr(s, t);
	case P9_TMKDIR:		return rmkdir(s, t, r);
	case P9_TUNLINKAT:	return runlinkat(s, t);
	case P9_TSTATFS:	return rstatfs(s, t, r);
	case P9_TFSYNC:
		return ninep_fid_get(s, t->u.tfsync.fid) ? 0 : NINEP_E_NOFID;
	default:	/* Tstat is ninep_handle's (its reply points into a lux_dir) */
		return NINEP_E_NOTSUP;	/* symlink, rename, xattr, lock, ... */
	}
}

static const char *detail(int err)
{
	struct proc *p = curproc();

	return p && err < 0 && p->errcode == err && p->errstr[0] ? p->errstr : ninep_errstr(err);
}

static int error_reply(struct ninep_conn *s, uint16_t tag, int err, const char *why)
{
	struct p9_msg r = { .tag = tag };

	if (s->d == P9_2000L) {
		r.type = P9_RLERROR;
		r.u.rlerror.ecode = ninep_errno(err);
	} else {
		r.type = P9_RERROR;
		/* the file call's detailed error (errstr) when it set one for
		 * this request: "aead: authentication failed", not "crypto
		 * operation failed" */
		r.u.rerror.ename = p9_str_c(why ? why : detail(err));
	}
	return p9_encode(&r, s->out, s->msize, s->d);
}

int ninep_handle(struct ninep_conn *s, size_t len)
{
	struct p9_msg t, r;
	char why[160];
	int err, n;

	kmemset(&t, 0, sizeof t);
	err = p9_decode(s->req, len, s->msize, s->d, P9_TMSG, &t);
	if (err < 0) {
		/* a well-framed message the codec rejects: answer it (the tag
		 * is where the header says), keep the connection */
		uint16_t tag = (uint16_t)(s->req[5] | s->req[6] << 8);
		p9_explain(why, sizeof why, err, &t);
		n = error_reply(s, tag, err, why);
		if (n < 0)	/* e.g. a tag the encoder refuses: nothing to say */
			n = error_reply(s, P9_NOTAG, err, why);
		return n;
	}
	kmemset(&r, 0, sizeof r);
	r.type = t.type + 1;
	r.tag = t.tag;
	proc_seterr(0, "%s", "");	/* only this request's errors are detailed in its Rerror */
	if (t.type == P9_TVERSION) {
		enum p9_dialect asked = p9_dialect_of(t.u.version.version.s, t.u.version.version.len);
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
		return p9_encode(&r, s->out, s->msize, P9_NONE);
	}
	if (t.type == P9_TSTAT) {
		struct lux_dir d;
		err = rstat(s, &t, &r, &d);	/* the stat's name lives in d */
		n = err < 0 ? error_reply(s, t.tag, err, 0) : p9_encode(&r, s->out, s->msize, s->d);
	} else {
		err = dispatch(s, &t, &r);
		n = err < 0 ? error_reply(s, t.tag, err, 0) : p9_encode(&r, s->out, s->msize, s->d);
	}
	if (n < 0)	/* a reply that does not encode is our bug: say which */
		n = error_reply(s, t.tag, n, 0);
	return n;
}
