/*
 * The 9P client's reply checks (see mntsess.h): framing, decoding
 * against the request the reply answers, and turning replies into the
 * core's types.  Pure functions on bytes: no proc, no arch, so the fuzzer
 * (fuzz/9p_client) runs them as they are.  Everything a server sends
 * passes here before the client believes any of it (style rule 6: check once,
 * at the edge).
 */
#include <lux/error.h>
#include "mntsess.h"
#include <lux/string.h>

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int mnt_frame(const uint8_t *buf, size_t len, uint32_t msize, uint32_t *size)
{
	uint32_t n;

	if (len < 4)
		return 0;
	n = le32(buf);
	if (n < P9_HDRSZ)
		return P9_E_SHORT;
	if (n > msize)
		return P9_E_MSIZE;
	if (len < n)
		return 0;
	*size = n;
	return 1;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int mnt_take(uint8_t *in, size_t *inlen, uint32_t msize, struct mnt_rpc *const *tags, size_t ntags,
             struct mnt_rpc *vrpc, struct mnt_bad *bad)
{
	size_t off = 0;
	uint32_t size;
	int r;

	while ((r = mnt_frame(in + off, *inlen - off, msize, &size)) == 1) {
		const uint8_t *m = in + off;
		uint16_t tag = le16(m + 5);
		struct mnt_rpc *rpc = tag == P9_NOTAG ? vrpc : tag < ntags ? tags[tag] : 0;

		*bad = (struct mnt_bad){ size, m[4], tag };
		if (rpc == 0 || rpc->done)
			return P9_E_TAG;
		if (size > rpc->rcap) {
			rpc->err = E_IO;
			rpc->done = true;
			return P9_E_COUNT;
		}
		kmemcpy(rpc->rbuf, m, size);
		rpc->rlen = size;
		rpc->done = true;
		off += size;
	}
	if (r < 0) {
		*bad = (struct mnt_bad){ le32(in + off), 0, 0 };
		return r;
	}
	if (off > 0) {	/* a peer dribbling bytes must not cost a move per byte */
		kmemmove(in, in + off, *inlen - off);
		*inlen -= off;
	}
	return 0;
}

int mnt_reply_check(const uint8_t *buf, size_t len, uint32_t msize, uint8_t ttype, uint16_t tag,
                    uint16_t nwname, struct p9_msg *r)
{
	enum p9_dialect d = ttype == P9_TVERSION ? P9_NONE : P9_2000L;
	int err = p9_decode(buf, len, msize, d, P9_RMSG, r);

	if (err < 0)
		return err;
	if (r->tag != tag)
		return P9_E_TAG;
	if (r->type == P9_RLERROR)
		return 1;
	/* Rerror is 9P2000's: a .L server never sends it, but before
	 * negotiation a server may answer Tversion with one */
	if (r->type == P9_RERROR && ttype == P9_TVERSION)
		return 1;
	if (r->type != ttype + 1)
		return P9_E_TYPE;
	if (r->type == P9_RWALK && r->u.rwalk.nwqid > nwname)
		return P9_E_NWQID;
	return 0;
}

/* Linux errno values (the .L wire format, not this machine's). */
static const struct {
	uint16_t lerrno;
	int8_t err;
} errnos[] = {
	{ 1, E_PERM },         { 2, E_NOENT },     { 4, E_INTR },    { 5, E_IO },
	{ 9, E_BADFD },        { 12, E_NOMEM },    { 13, E_PERM },   { 16, E_INUSE },
	{ 17, E_EXIST },       { 20, E_NOTDIR },   { 21, E_ISDIR },  { 22, E_INVAL },
	{ 24, E_MFILE },       { 27, E_TOOBIG },   { 28, E_NOSPC },  { 30, E_PERM },
	{ 36, E_NAMETOOLONG }, { 39, E_NOTEMPTY }, { 116, E_STALE }, { 122, E_NOSPC },
};

int mnt_errno(uint32_t ecode)
{
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (errnos[i].lerrno == ecode)
			return errnos[i].err;
	return E_IO;
}

void mnt_dir_of_attr(const struct p9_msg *r, const char *name, struct lux_dir *d)
{
	kmemset(d, 0, sizeof *d);
	d->qid = r->u.rgetattr.qid;
	d->mode = r->u.rgetattr.mode & 0777;
	if (d->qid.type & QTDIR)
		d->mode |= DMDIR;
	d->length = (d->qid.type & QTDIR) ? 0 : r->u.rgetattr.size;
	d->mtime = r->u.rgetattr.mtime_sec;
	kstrlcpy(d->name, name, sizeof d->name);
}

int mnt_dir_of_dirent(const struct p9_dirent *de, struct lux_dir *d)
{
	size_t n = de->name.len;

	if (n >= LUX_NAMEMAX)
		return E_NAMETOOLONG;
	if (n == 0 || kmemchr(de->name.s, '/', n))
		return E_INVAL;	/* a server cannot name an entry "" or "a/b" */
	kmemset(d, 0, sizeof *d);
	d->qid = de->qid;
	d->mode = (de->qid.type & QTDIR) ? DMDIR | 0555 : 0444;	/* until getattr */
	kmemcpy(d->name, de->name.s, n);
	d->name[n] = 0;
	return 0;
}

int mnt_split_path(const char *path, char *buf, size_t cap, const char **names, int max)
{
	size_t len = kstrlen(path);
	int n = 0;

	if (len >= cap)
		return E_NAMETOOLONG;
	kmemcpy(buf, path, len + 1);
	for (char *p = buf; *p;) {
		char *e = kstrchr(p, '/');
		if (n == max)
			return E_NAMETOOLONG;
		names[n++] = p;
		if (e == 0)
			break;
		*e = 0;
		p = e + 1;
	}
	return n;
}
