/* A blocking 9P client over the core's codec (see p9client.h). */
#include "p9client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Linux open flags and file type bits that 9P2000.L carries as is. */
#define L_O_TRUNC 01000u
#define L_S_IFMT 0170000u
#define L_S_IFDIR 0040000u

static int fail(struct p9c *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return -1;
}

static int send_all(struct p9c *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(c->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			c->dead = true;
			return fail(c, "cannot send to the server: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_all(struct p9c *c, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(c->fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			c->dead = true;
		if (r < 0)
			return fail(c, "cannot read from the server: %s", strerror(errno));
		if (r == 0)
			return fail(c, "the server closed the connection");
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* ---- Records (after an authenticated attach) ----------------------------- */

/* Every record is opened whole into pt, which is only refilled once
 * empty: AUTH_OPEN_BUF takes any record.  Only the record layer's calls
 * here (not the handshake's): bench-9pload links this file without the
 * rest of core/auth. */
#define PT_CAP AUTH_OPEN_BUF

static int sec_send(struct p9c *c, const uint8_t *p, size_t n)
{
	struct p9c_sec *sec = c->sec;
	long r = auth_seal(&sec->tx, p, n, sec->seal, AUTH_REC_SEALED(c->msize));

	if (r < 0) {
		c->dead = true;
		if (sec->tx.why[0])
			return fail(c, "cannot seal a record: %s", auth_rec_why(&sec->tx));
		return fail(c, "cannot seal a %zu-byte record (error %ld)", n, r);
	}
	return send_all(c, sec->seal, (size_t)r);
}

/* Open records until some payload is there; pt is empty on entry. */
static int sec_fill(struct p9c *c)
{
	struct p9c_sec *sec = c->sec;

	sec->ptoff = sec->ptlen = 0;
	for (;;) {
		size_t used = 0, got = 0;
		ssize_t rd;
		int r;

		if (sec->peer_closed) {
			c->dead = true;
			return fail(c, "the server closed the connection");
		}
		r = auth_open(&sec->rx, sec->raw, sec->rawlen, sec->pt, PT_CAP, &used, &got);
		if (used > sec->rawlen)	/* cannot happen; never trust it to */
			used = sec->rawlen;
		memmove(sec->raw, sec->raw + used, sec->rawlen - used);
		sec->rawlen -= used;
		sec->ptlen = got;
		if (r < 0) {
			c->dead = true;
			if (sec->rx.why[0])
				return fail(c, "%s", auth_rec_why(&sec->rx));
			return fail(c, "auth: cannot open a record (error %d)", r);
		}
		if (r == AUTH_REC_CLOSE)
			sec->peer_closed = true;
		if (got > 0)
			return 0;
		if (sec->peer_closed)
			continue;
		if (sec->rawlen >= AUTH_REC_MAX) {
			c->dead = true;
			return fail(c,
			            "protocol error: a whole record is buffered but does not open");
		}
		rd = read(c->fd, sec->raw + sec->rawlen, AUTH_REC_MAX - sec->rawlen);
		if (rd < 0 && errno == EINTR)
			continue;
		if (rd < 0) {
			c->dead = true;
			return fail(c, "cannot read from the server: %s", strerror(errno));
		}
		if (rd == 0) {
			c->dead = true;
			if (auth_open_eof(&sec->rx) == 0)
				return fail(c, "the server closed the connection");
			return fail(c, "the server closed the connection: %s",
			            auth_rec_why(&sec->rx));
		}
		sec->rawlen += (size_t)rd;
	}
}

static int sec_recv(struct p9c *c, uint8_t *p, size_t n)
{
	struct p9c_sec *sec = c->sec;

	while (n > 0) {
		size_t have = sec->ptlen - sec->ptoff, take = have < n ? have : n;

		if (have == 0) {
			if (sec_fill(c) < 0)
				return -1;
			continue;
		}
		memcpy(p, sec->pt + sec->ptoff, take);
		sec->ptoff += take;
		p += take;
		n -= take;
	}
	return 0;
}

static int msg_send(struct p9c *c, const uint8_t *p, size_t n)
{
	return c->sec ? sec_send(c, p, n) : send_all(c, p, n);
}

static int msg_recv(struct p9c *c, uint8_t *p, size_t n)
{
	return c->sec ? sec_recv(c, p, n) : recv_all(c, p, n);
}

static void sec_free(struct p9c *c)
{
	struct p9c_sec *sec = c->sec;

	if (!sec)
		return;
	auth_rec_wipe(&sec->tx);
	auth_rec_wipe(&sec->rx);
	if (sec->pt)
		memset(sec->pt, 0, PT_CAP);
	free(sec->seal);
	free(sec->raw);
	free(sec->pt);
	free(sec);
	c->sec = NULL;
}

int p9c_secure(struct p9c *c, struct auth_rec *tx, struct auth_rec *rx)
{
	struct p9c_sec *sec = calloc(1, sizeof *sec);

	if (sec) {
		c->sec = sec;
		sec->seal = malloc(AUTH_REC_SEALED(c->msize));
		sec->raw = malloc(AUTH_REC_MAX);
		sec->pt = malloc(PT_CAP);
		sec->tx = *tx;
		sec->rx = *rx;
	}
	auth_rec_wipe(tx);
	auth_rec_wipe(rx);
	if (!sec || !sec->seal || !sec->raw || !sec->pt) {
		sec_free(c);
		c->dead = true;
		return fail(c, "out of memory");
	}
	return 0;
}

/* The reply's text as the user should see it. */
static int server_error(struct p9c *c)
{
	if (c->r.type == P9_RERROR)
		return fail(c, "%.*s", (int)c->r.u.rerror.ename.len, c->r.u.rerror.ename.s);
	return fail(c, "%s", strerror((int)c->r.u.rlerror.ecode));
}

int p9c_rpc(struct p9c *c, struct p9_msg *t)
{
	enum p9_dialect d = t->type == P9_TVERSION ? P9_NONE : c->d;
	uint8_t hdr[4];
	uint32_t size;
	int n, err;

	if (t->type != P9_TVERSION) {
		c->tag = c->tag + 1u >= P9_NOTAG ? 1 : (uint16_t)(c->tag + 1u);
		t->tag = c->tag;
	}
	if ((n = p9_encode(t, c->tx, c->msize, c->d)) < 0)
		return fail(c, "cannot encode %s: %s", p9_type_name(t->type), p9_strerror(n));
	if (c->dead)	/* c->err still says why */
		return -1;
	if (msg_send(c, c->tx, (size_t)n) < 0 || msg_recv(c, hdr, 4) < 0)
		return -1;
	size = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
	       (uint32_t)hdr[3] << 24;
	if (size < P9_HDRSZ || size > c->msize) {
		c->dead = true;	/* framing is lost */
		return fail(c, "protocol error: the server sent a %u-byte message (msize %u)", size,
		            c->msize);
	}
	memcpy(c->rx, hdr, 4);
	if (msg_recv(c, c->rx + 4, size - 4) < 0)
		return -1;
	if ((err = p9_decode(c->rx, size, c->msize, d, P9_RMSG, &c->r)) < 0) {
		char why[256];

		p9_explain(why, sizeof why, err, &c->r);
		return fail(c, "protocol error: bad reply to %s: %s", p9_type_name(t->type), why);
	}
	if (c->r.tag != t->tag) {
		c->dead = true;	/* replies and requests no longer pair up */
		return fail(c, "protocol error: %s tag %u answered with tag %u",
		            p9_type_name(t->type), t->tag, c->r.tag);
	}
	if (c->r.type == P9_RERROR || c->r.type == P9_RLERROR)
		return server_error(c);
	if (c->r.type != t->type + 1)
		return fail(c, "protocol error: %s answered with %s", p9_type_name(t->type),
		            p9_type_name(c->r.type));
	return 0;
}

int p9c_start(struct p9c *c, int fd, enum p9_dialect d, uint32_t msize)
{
	struct p9_msg t = { .type = P9_TVERSION, .tag = P9_NOTAG };
	const char *v = d == P9_2000L ? "9P2000.L" : "9P2000";

	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->msize = msize;
	c->nextfid = 1;
	c->d = P9_NONE;
	c->tx = malloc(msize);
	c->rx = malloc(msize);
	if (!c->tx || !c->rx)
		return fail(c, "out of memory");
	t.u.version.msize = msize;
	t.u.version.version = p9_str_c(v);
	if (p9c_rpc(c, &t) < 0)
		return -1;
	if (p9_dialect_of(c->r.u.version.version.s, c->r.u.version.version.len) != d)
		return fail(c, "the server does not speak %s (it answered \"%.*s\")", v,
		            (int)c->r.u.version.version.len, c->r.u.version.version.s);
	if (c->r.u.version.msize < P9_MSIZE_MIN || c->r.u.version.msize > msize)
		return fail(c, "protocol error: Rversion msize %u (asked for %u)",
		            c->r.u.version.msize, msize);
	c->msize = c->r.u.version.msize;
	c->d = d;
	return 0;
}

void p9c_close(struct p9c *c)
{
	/* Our last record says we are done: without it the server sees a
	 * truncated stream. */
	if (c->sec && !c->dead && c->fd >= 0) {
		long n = auth_seal_close(&c->sec->tx, c->sec->seal, AUTH_REC_SEALED(c->msize));

		if (n > 0)
			send_all(c, c->sec->seal, (size_t)n);
	}
	sec_free(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->tx);
	free(c->rx);
	c->tx = c->rx = NULL;
}

int p9c_auth(struct p9c *c, const char *uname, uint32_t n_uname, const char *aname, uint32_t *afid)
{
	struct p9_msg t = { .type = P9_TAUTH };

	t.u.tauth.afid = c->nextfid++;
	t.u.tauth.uname = p9_str_c(uname);
	t.u.tauth.aname = p9_str_c(aname);
	t.u.tauth.n_uname = n_uname;
	if (p9c_rpc(c, &t) < 0)
		return -1;
	*afid = t.u.tauth.afid;
	return 0;
}

int p9c_attach(struct p9c *c, const char *uname, uint32_t n_uname, const char *aname, uint32_t *fid)
{
	return p9c_attach_afid(c, P9_NOFID, uname, n_uname, aname, fid);
}

int p9c_attach_afid(struct p9c *c, uint32_t afid, const char *uname, uint32_t n_uname,
                    const char *aname, uint32_t *fid)
{
	struct p9_msg t = { .type = P9_TATTACH };

	t.u.tattach.fid = c->nextfid++;
	t.u.tattach.afid = afid;
	t.u.tattach.uname = p9_str_c(uname);
	t.u.tattach.aname = p9_str_c(aname);
	t.u.tattach.n_uname = n_uname;
	if (p9c_rpc(c, &t) < 0)
		return -1;
	*fid = t.u.tattach.fid;
	return 0;
}

/* Split path at '/' into at most `max` names (empty names skipped). */
static int split(struct p9c *c, char *path, char **names, int max)
{
	char *save = NULL;	/* strtok_r: bench-9pload runs a client per thread */
	int n = 0;

	for (char *p = strtok_r(path, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return fail(c, "path has more than %d names", max);
		names[n++] = p;
	}
	return n;
}

int p9c_walk(struct p9c *c, uint32_t from, const char *path, uint32_t *newfid)
{
	char copy[4096], *names[512];
	struct p9_msg t = { .type = P9_TWALK };
	uint32_t fid = c->nextfid++;
	int n, done = 0;

	if (strlen(path) >= sizeof copy)
		return fail(c, "path longer than %zu bytes", sizeof copy - 1);
	strcpy(copy, path);
	if ((n = split(c, copy, names, 512)) < 0)
		return -1;
	/* The first Twalk clones from; the next ones walk the clone on. */
	do {
		int k = n - done > P9_MAXWELEM ? P9_MAXWELEM : n - done;

		t.u.twalk.fid = done ? fid : from;
		t.u.twalk.newfid = fid;
		t.u.twalk.nwname = (uint16_t)k;
		for (int i = 0; i < k; i++)
			t.u.twalk.wname[i] = p9_str_c(names[done + i]);
		if (p9c_rpc(c, &t) < 0) {
			if (done)
				p9c_clunk(c, fid);
			return -1;
		}
		if (c->r.u.rwalk.nwqid != k) {
			const char *missing = names[done + c->r.u.rwalk.nwqid];

			if (done)
				p9c_clunk(c, fid);
			/* The server answers a walk that stops after the first
			 * name with the qids so far, not an error: say it in the
			 * dialect's words, naming the name. */
			return fail(c, "'%s': %s", missing,
			            c->d == P9_2000L ? strerror(ENOENT) : "file does not exist");
		}
		done += k;
	} while (done < n);
	*newfid = fid;
	return 0;
}

static int opened(struct p9c *c, uint32_t *iounit)
{
	uint32_t io = c->r.u.ropen.iounit;

	/* iounit 0 means "msize minus the header" (open(5)). */
	if (io == 0 || io > c->msize - P9_IOHDRSZ)
		io = c->msize - P9_IOHDRSZ;
	if (iounit)
		*iounit = io;
	return 0;
}

int p9c_open(struct p9c *c, uint32_t fid, int mode, uint32_t *iounit)
{
	struct p9_msg t;

	if (c->d == P9_2000L) {
		t = (struct p9_msg){ .type = P9_TLOPEN };
		t.u.tlopen.fid = fid;
		t.u.tlopen.flags = (uint32_t)(mode & OMODE) | ((mode & OTRUNC) ? L_O_TRUNC : 0);
	} else {
		t = (struct p9_msg){ .type = P9_TOPEN };
		t.u.topen.fid = fid;
		t.u.topen.mode = (uint8_t)mode;
	}
	if (p9c_rpc(c, &t) < 0)
		return -1;
	return opened(c, iounit);
}

int p9c_create(struct p9c *c, uint32_t fid, const char *name, uint32_t perm, int mode,
               uint32_t *iounit)
{
	struct p9_msg t;

	if (c->d == P9_2000L) {
		t = (struct p9_msg){ .type = P9_TLCREATE };
		t.u.tlcreate.fid = fid;
		t.u.tlcreate.name = p9_str_c(name);
		if (perm & DMDIR)	/* .L makes directories with Tmkdir */
			return fail(c, "create: directories are not made this way under 9P2000.L");
		t.u.tlcreate.flags = (uint32_t)(mode & OMODE);
		t.u.tlcreate.mode = perm & 0777;
		t.u.tlcreate.gid = 0;
	} else {
		t = (struct p9_msg){ .type = P9_TCREATE };
		t.u.tcreate.fid = fid;
		t.u.tcreate.name = p9_str_c(name);
		t.u.tcreate.perm = perm;
		t.u.tcreate.mode = (uint8_t)mode;
	}
	if (p9c_rpc(c, &t) < 0)
		return -1;
	return opened(c, iounit);
}

static ssize_t do_read(struct p9c *c, uint8_t type, uint32_t fid, uint64_t off, void *buf,
                       uint32_t n)
{
	struct p9_msg t = { .type = type };

	if (n > c->msize - P9_IOHDRSZ)
		n = c->msize - P9_IOHDRSZ;
	t.u.tread.fid = fid;
	t.u.tread.offset = off;
	t.u.tread.count = n;
	if (p9c_rpc(c, &t) < 0)
		return -1;
	if (c->r.u.rread.count > n)
		return fail(c, "protocol error: asked for %u bytes, got %u", n, c->r.u.rread.count);
	if (buf)
		memcpy(buf, c->r.u.rread.data, c->r.u.rread.count);
	return c->r.u.rread.count;
}

ssize_t p9c_read(struct p9c *c, uint32_t fid, uint64_t off, void *buf, uint32_t n)
{
	return do_read(c, P9_TREAD, fid, off, buf, n);
}

ssize_t p9c_write(struct p9c *c, uint32_t fid, uint64_t off, const void *buf, uint32_t n)
{
	struct p9_msg t = { .type = P9_TWRITE };

	if (n > c->msize - P9_IOHDRSZ)
		n = c->msize - P9_IOHDRSZ;
	t.u.twrite.fid = fid;
	t.u.twrite.offset = off;
	t.u.twrite.count = n;
	t.u.twrite.data = buf;
	if (p9c_rpc(c, &t) < 0)
		return -1;
	if (c->r.u.rwrite.count > n)
		return fail(c, "protocol error: wrote %u bytes, server says %u", n,
		            c->r.u.rwrite.count);
	return c->r.u.rwrite.count;
}

static int fidmsg(struct p9c *c, uint8_t type, uint32_t fid)
{
	struct p9_msg t = { .type = type };

	t.u.tfid.fid = fid;
	return p9c_rpc(c, &t);
}

int p9c_clunk(struct p9c *c, uint32_t fid)
{
	return fidmsg(c, P9_TCLUNK, fid);
}

int p9c_remove(struct p9c *c, uint32_t fid)
{
	return fidmsg(c, P9_TREMOVE, fid);
}

static void copystr(char *dst, size_t cap, struct p9_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.s, n);
	dst[n] = 0;
}

static void from_stat(struct p9c_stat *st, const struct p9_stat *s)
{
	memset(st, 0, sizeof *st);
	st->qid = s->qid;
	st->mode = s->mode;
	st->length = s->length;
	st->atime = s->atime;
	st->mtime = s->mtime;
	copystr(st->name, sizeof st->name, s->name);
	copystr(st->uid, sizeof st->uid, s->uid);
	copystr(st->gid, sizeof st->gid, s->gid);
	copystr(st->muid, sizeof st->muid, s->muid);
}

int p9c_stat(struct p9c *c, uint32_t fid, struct p9c_stat *st)
{
	struct p9_msg t;

	if (c->d != P9_2000L) {
		if (fidmsg(c, P9_TSTAT, fid) < 0)
			return -1;
		from_stat(st, &c->r.u.rstat.stat);
		return 0;
	}
	t = (struct p9_msg){ .type = P9_TGETATTR };
	t.u.tgetattr.fid = fid;
	t.u.tgetattr.request_mask = P9_GETATTR_BASIC;
	if (p9c_rpc(c, &t) < 0)
		return -1;
	memset(st, 0, sizeof *st);
	st->qid = c->r.u.rgetattr.qid;
	st->mode = c->r.u.rgetattr.mode & 0777;
	if ((c->r.u.rgetattr.mode & L_S_IFMT) == L_S_IFDIR)
		st->mode |= DMDIR;
	st->length = c->r.u.rgetattr.size;
	st->atime = c->r.u.rgetattr.atime_sec;
	st->mtime = c->r.u.rgetattr.mtime_sec;
	snprintf(st->uid, sizeof st->uid, "%u", c->r.u.rgetattr.uid);
	snprintf(st->gid, sizeof st->gid, "%u", c->r.u.rgetattr.gid);
	return 0;
}

static int readdir_chunks(struct p9c *c, uint32_t fid, p9c_dirfn fn, void *arg, uint8_t *chunk,
                          uint32_t count, uint64_t off)
{
	for (;;) {
		struct p9_iter it;
		struct p9c_stat st;
		uint64_t start = off;
		ssize_t n = do_read(c, c->d == P9_2000L ? P9_TREADDIR : P9_TREAD, fid, off, chunk,
		                    count);
		int r;

		if (n <= 0)
			return (int)n;
		p9_iter_init(&it, chunk, (size_t)n);
		if (c->d == P9_2000L) {
			struct p9_dirent de;

			while ((r = p9_dirent_next(&it, &de)) == 1) {
				memset(&st, 0, sizeof st);
				st.qid = de.qid;
				st.mode = de.qid.type & QTDIR ? DMDIR : 0;
				copystr(st.name, sizeof st.name, de.name);
				off = de.offset;
				if ((r = fn(arg, &st)) != 0)
					return r;
			}
		} else {
			struct p9_stat s;

			while ((r = p9_stat_next(&it, &s)) == 1) {
				from_stat(&st, &s);
				if ((r = fn(arg, &st)) != 0)
					return r;
			}
			off += (uint64_t)n;
		}
		if (r < 0)
			return fail(c, "protocol error: bad directory entry: %s", p9_strerror(r));
		/* A server whose offsets do not move on would list forever. */
		if (off == start)
			return fail(c, "protocol error: directory offset %llu did not advance",
			            (unsigned long long)off);
	}
}

/* The entries are copied out of c->rx first: fn may make requests of
 * its own (ls -l under .L stats each entry), which reuse c->rx. */
int p9c_readdir(struct p9c *c, uint32_t fid, p9c_dirfn fn, void *arg)
{
	uint32_t count = c->msize - P9_IOHDRSZ;
	uint8_t *chunk = malloc(count);
	uint64_t off = 0;
	int r;

	if (!chunk)
		return fail(c, "out of memory");
	r = readdir_chunks(c, fid, fn, arg, chunk, count, off);
	free(chunk);
	return r;
}
