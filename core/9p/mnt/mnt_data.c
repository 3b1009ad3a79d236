/*
 * mnt's data: reads and writes split into iounit-sized Tread/Twrite, and
 * directory listings.  A listing is read whole when entry 0 is asked for
 * (Treaddir until it comes back empty, then a walk-getattr-clunk per entry
 * for the mode, length and time readdir does not carry), kept with the
 * open chan, and served by index from that copy (at most MNT_MAXDENTS
 * entries).  Every request goes through mnt_retry (mnt_dev.c), so a
 * broken connection is redialed under it.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include "mntsess.h"
#include <lux/string.h>

/* ---- read, write ------------------------------------------------------- */

struct ioarg {
	uint8_t *buf;		/* the caller's */
	uint8_t *rbuf;		/* the reply: count + P9_IOHDRSZ */
	uint32_t count;
	uint64_t off;
	uint32_t got;
	bool doubt;	/* the connection broke with this write in flight */
};

static int read_op(struct mnt_fid *f, void *arg)
{
	struct ioarg *io = arg;
	struct p9_msg t = { .type = P9_TREAD, .u.tread = { f->fid, io->off, io->count } }, r;
	int err = mnt_rpc(f->s, &t, io->rbuf, io->count + P9_IOHDRSZ, &r, false);

	if (err < 0)
		return err;
	if (r.u.rread.count > io->count)
		return mnt_bad_reply(f, "Rread with more bytes than asked for");
	kmemcpy(io->buf, r.u.rread.data, r.u.rread.count);
	io->got = r.u.rread.count;
	return 0;
}

static int write_op(struct mnt_fid *f, void *arg)
{
	struct ioarg *io = arg;
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TWRITE,
		            .u.twrite = { f->fid, io->off, io->count, io->buf } },
		      r;
	int err = mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false);

	io->doubt = err == MNT_E_INDOUBT;
	if (err < 0)
		return err;
	if (r.u.rwrite.count > io->count)
		return mnt_bad_reply(f, "Rwrite of more bytes than were sent");
	io->got = r.u.rwrite.count;
	return 0;
}

static long mnt_io(struct chan *c, uint8_t *buf, size_t n, uint64_t off, bool write)
{
	struct mnt_fid *f = mnt_fid_of(c);
	struct ioarg io = { 0 };
	size_t done = 0;
	int err = 0;

	if (f == 0)
		return E_NOMEM;
	if (f->omode < 0)
		return E_BADMODE;
	if (!write && (c->qid.type & QTDIR))
		return E_ISDIR;	/* listings go through dirent */
	if (!write && (io.rbuf = kmalloc(f->iounit + P9_IOHDRSZ)) == 0)
		return E_NOMEM;
	while (done < n) {
		io.buf = buf + done;
		io.count = (uint32_t)(n - done < f->iounit ? n - done : f->iounit);
		io.off = off + done;
		io.got = 0;
		if ((err = mnt_retry(f, write ? write_op : read_op, &io, true)) < 0)
			break;
		done += io.got;
		if (io.got < io.count)
			break;	/* end of file, or a short write */
	}
	kfree(io.rbuf);
	if (write && err == 0 && done < n && done == 0)
		err = proc_seterr(E_IO, "9p: %s: the server wrote nothing", f->s->addr);
	/* A write in doubt is an error even after earlier chunks went: a
	 * short count would invite the caller to send that chunk again. */
	return done > 0 && !io.doubt ? (long)done : err;
}

long mnt_read(struct chan *c, void *buf, size_t n, uint64_t off)
{
	return mnt_io(c, buf, n, off, false);
}

long mnt_write(struct chan *c, const void *buf, size_t n, uint64_t off)
{
	return mnt_io(c, (uint8_t *)buf, n, off, true);
}

/* ---- directories ------------------------------------------------------- */

/* Fill in d's mode, length and time: walk a temporary fid to it, getattr,
 * clunk.  A file removed meanwhile keeps what readdir said. */
static int entry_attr(struct mnt_fid *f, struct lux_dir *d)
{
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TWALK }, r;
	int n = mnt_reserve(f->s), err;

	if (n < 0)
		return n;
	t.u.twalk.fid = f->fid;
	t.u.twalk.newfid = (uint32_t)n;
	t.u.twalk.nwname = 1;
	t.u.twalk.wname[0] = p9_str_c(d->name);
	err = mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false);
	if (err == 0 && r.u.rwalk.nwqid == 1) {
		char name[LUX_NAMEMAX];
		kstrlcpy(name, d->name, sizeof name);
		t = (struct p9_msg){ .type = P9_TGETATTR,
			             .u.tgetattr = { (uint32_t)n, P9_GETATTR_BASIC } };
		err = mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false);
		if (err == 0)
			mnt_dir_of_attr(&r, name, d);
		t = (struct p9_msg){ .type = P9_TCLUNK, .u.tfid.fid = (uint32_t)n };
		if (err != MNT_E_BROKEN)
			mnt_rpc(f->s, &t, rbuf, sizeof rbuf, &r, false);
	}
	mnt_fid_release(f->s, (uint32_t)n);
	return err == MNT_E_BROKEN || err == E_INTR ? err : 0;
}

static int list_op(struct mnt_fid *f, void *arg)
{
	uint32_t count = f->s->msize - P9_IOHDRSZ;
	uint8_t *rbuf = kmalloc(f->s->msize);
	struct lux_dir *dents = 0;
	size_t n = 0, cap = 0;
	uint64_t off = 0;
	int err = 0;

	(void)arg;
	if (rbuf == 0)
		return E_NOMEM;
	/* Every reply but the last holds an entry, and only MNT_MAXDENTS
	 * count, plus "." and "..": a server whose offsets never lead to the
	 * end (say, "." at offset 0 forever) is cut off there. */
	for (int round = 0;; round++) {
		struct p9_msg t = { .type = P9_TREADDIR, .u.tread = { f->fid, off, count } }, r;
		struct p9_iter it;
		struct p9_dirent de;
		int k;

		if (round > MNT_MAXDENTS + 2) {
			err = mnt_bad_reply(f, "a directory listing that never ends");
			goto fail;
		}
		if ((err = mnt_rpc(f->s, &t, rbuf, f->s->msize, &r, false)) < 0)
			goto fail;
		if (r.u.rread.count == 0)
			break;
		p9_iter_init(&it, r.u.rread.data, r.u.rread.count);
		while ((k = p9_dirent_next(&it, &de)) == 1) {
			off = de.offset;
			if (p9_str_eq(de.name, ".") || p9_str_eq(de.name, ".."))
				continue;
			if (n == MNT_MAXDENTS) {
				err = proc_seterr(E_TOOBIG,
				                  "9p: %s: /%s has more than %d entries; "
				                  "listing it is not supported",
				                  f->s->addr, f->path, MNT_MAXDENTS);
				goto fail;
			}
			if (n == cap) {
				struct lux_dir *bigger = kmalloc(sizeof *bigger *
				                                 (cap ? cap * 2 : 32));
				if (bigger == 0) {
					err = E_NOMEM;
					goto fail;
				}
				if (n)
					kmemcpy(bigger, dents, sizeof *dents * n);
				kfree(dents);
				dents = bigger;
				cap = cap ? cap * 2 : 32;
			}
			if (mnt_dir_of_dirent(&de, &dents[n]) < 0) {
				err = mnt_bad_reply(f,
				                    "a directory entry named \"\", or with a '/'");
				goto fail;
			}
			n++;
		}
		if (k < 0) {
			err = mnt_bad_reply(f, "a malformed directory entry in Rreaddir");
			goto fail;
		}
	}
	for (size_t i = 0; i < n; i++)
		if ((err = entry_attr(f, &dents[i])) < 0)
			goto fail;
	kfree(rbuf);
	kfree(f->dents);
	f->dents = dents;
	f->ndents = n;
	return 0;
fail:
	kfree(rbuf);
	kfree(dents);
	return err;
}

int mnt_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	struct mnt_fid *f = mnt_fid_of(c);
	int err;

	if (f == 0)
		return E_NOMEM;
	if (!(c->qid.type & QTDIR))
		return E_NOTDIR;
	if (f->omode < 0)
		return E_BADMODE;
	if (i == 0 || f->dents == 0) {	/* a listing starts over at 0 */
		if ((err = mnt_retry(f, list_op, 0, true)) < 0)
			return err;
	}
	if (i >= f->ndents)
		return 0;
	*d = f->dents[i];
	return 1;
}
