/*
 * Directory reads for the 9P server: 9P2000's packed stat entries and
 * .L's Treaddir, both driven by chan_dirnext cookies (<lux/dev.h>).
 *
 * Why cookies: an index ("the 5th entry") shifts when an entry before it
 * is removed, so a reader resuming at index 5 would skip one.  ramfs
 * gives each entry a sequence number in its directory, in link order,
 * and the cookie is "the entry after sequence number N": creates and
 * removes elsewhere in the directory never move it.  A .L dirent's
 * offset is that cookie, so a client may resume at any offset it was
 * given, also after re-reading; a union directory's cookie packs the
 * member too (core/ns/union.c).
 */
#include "9psrv.h"
#include <lux/error.h>
#include <lux/kern.h>

#define L_DT_DIR 4
#define L_DT_REG 8
#define L_DT_LNK 10
#define L_DT_FIFO 1
#define L_DT_CHR 2
#define L_DT_BLK 6
#define L_DT_SOCK 12

static uint8_t dirent_type(const struct lux_dir *d)
{
	if (d->mode & DMDIR)
		return L_DT_DIR;
	if (d->mode & DMDEVICE)
		return (d->mode & DMBLOCK) ? L_DT_BLK : L_DT_CHR;
	if (d->mode & DMNAMEDPIPE)
		return L_DT_FIFO;
	if (d->mode & DMSOCKET)
		return L_DT_SOCK;
	return (d->mode & DMSYMLINK) ? L_DT_LNK : L_DT_REG;
}

/* 9P2000: whole stat entries; offsets 0 or where the last read ended. */
long ninep_read_dir_stat(struct ninep_fid *f, uint64_t off, uint8_t *buf, size_t count)
{
	struct lux_dir d;
	struct p9_stat st;
	uint64_t cookie, before;
	size_t n = 0;
	int r;

	if (off == 0) {
		f->diroff = 0;
		f->dircookie = 0;
	} else if (off != f->diroff) {
		return NINEP_E_DIROFF;
	}
	for (cookie = f->dircookie;;) {
		before = cookie;
		if ((r = chan_dirnext(f->c, &cookie, &d)) < 0)
			return r;
		if (r == 0)
			break;
		ninep_to_stat(&d, &st);
		if (p9_stat_len(&st) > count - n) {
			if (n == 0)
				return NINEP_E_DIRFIT;
			cookie = before;	/* the next read starts with it */
			break;
		}
		if ((r = p9_stat_encode(&st, buf + n, count - n)) < 0)
			return r;
		n += (size_t)r;
	}
	f->dircookie = cookie;
	f->diroff = off + n;
	return (long)n;
}

int ninep_rreaddir(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tread.fid);
	uint8_t *buf = (uint8_t *)r->u.rread.data;	/* in the reply: see ninep_handle */
	uint32_t count = t->u.tread.count;
	uint64_t cookie = t->u.tread.offset;
	struct p9_dirent de;
	struct lux_dir d;
	size_t n = 0;
	int rc;

	if (f == 0)
		return NINEP_E_NOFID;
	if (f->c->mode != OREAD && f->c->mode != ORDWR)
		return NINEP_E_NOTOPEN;
	if (!(f->c->qid.type & QTDIR))
		return E_NOTDIR;
	if (count > s->msize - P9_IOHDRSZ)
		count = s->msize - P9_IOHDRSZ;
	for (;;) {
		uint64_t at = cookie;
		if ((rc = chan_dirnext(f->c, &at, &d)) < 0)
			return rc;
		if (rc == 0)
			break;
		de.qid = d.qid;
		de.offset = at;
		de.type = dirent_type(&d);
		de.name = p9_str_c(d.name);
		if (p9_dirent_len(&de) > count - n) {
			if (n == 0)
				return NINEP_E_DIRFIT;
			break;	/* the client asks again from the last offset */
		}
		if ((rc = p9_dirent_encode(&de, buf + n, count - n)) < 0)
			return rc;
		n += (size_t)rc;
		cookie = at;
	}
	r->u.rread.count = (uint32_t)n;
	return 0;
}
