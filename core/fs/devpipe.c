/*
 * #pipe, after Plan 9's devpipe: each attach is a new pipe, a directory
 * of two files, data and data1.  Bytes written on one are read from the
 * other, in both directions; a byte stream, so write boundaries are not
 * kept, and writers to one end at once may interleave.
 *
 * Ends: an end counts as there from its first open until every open of it
 * is closed (an end never opened yet is presumed coming, as in Plan 9, so
 * a reader may open data before the writer opens data1).  With the writing
 * end gone, a read gets what is buffered, then 0 (end of file); with the
 * reading end gone, what was buffered for it is dropped and a write fails
 * with E_PIPE.  Opening a gone end again brings it back.
 *
 * Blocking: a read waits for bytes and a write for room, interruptibly
 * (sleep_on), so a killed proc leaves with E_INTR: the 9P server flushes
 * a request by killing the worker blocked in it.  A write that is stopped
 * after some bytes went in reports those bytes; only a write that moved
 * nothing returns the error.
 *
 * Bounds: PIPE_QMAX bytes wait in each direction, in 2 KiB blocks taken
 * as bytes arrive and freed as they are read, so an idle pipe holds only
 * its struct; at most PIPE_MAX pipes live at once (PIPE_PER_USER of one
 * user's making), so pipes hold at most
 * PIPE_MAX * 2 * PIPE_QMAX bytes of buffers (4 MiB).  They are bounded
 * machine-wide rather than charged to a budget because a pipe outlives
 * the proc that made it (it lives in a namespace), and a budget must
 * close holding nothing.
 *
 * Lifetime: the pipe lives while any chan on it does (attach, clone,
 * close).  State changes under the pipe's qlock, never held across a
 * sleep; sleepers test their conditions with upcalls off, so a wakeup
 * between unlock and sleep is not lost.
 */
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/proc.h>
#include <lux/string.h>

enum { Qdir, Qdata, Qdata1 };

/* qid.path: the pipe's number and the file, so every file of every pipe
 * has its own path (9P clients key their caches on it). */
#define QID(id, f) (((id) << 2) | (f))
#define QFILE(path) ((int)((path)&3))
#define END(c) (QFILE((c)->qid.path) - Qdata)	/* 0: data, 1: data1 */

/* 16 bytes of header make a block exactly one 2 KiB allocation. */
#define PBLKDATA (2048 - 16)

struct pblock {
	struct pblock *next;
	uint32_t rd, wr;	/* unread bytes are data[rd, wr) */
	uint8_t data[PBLKDATA];
};
_Static_assert(sizeof(struct pblock) == 2048, "a pipe block is one 2 KiB allocation");

/* One direction: bytes written on one end, waiting for the other. */
struct pqueue {
	struct pblock *head, *tail;
	size_t len;		/* bytes waiting */
	bool nowriter;		/* the writing end is gone: reads end at len 0 */
	bool noreader;		/* the reading end is gone: writes fail */
	struct waitq wq;	/* readers wait for bytes, writers for room */
};

struct pipe {
	struct qlock lk;
	uint64_t id;
	uint64_t mtime;		/* the attach, seconds since the epoch */
	char owner[LUX_UIDMAX];	/* who attached: the files are theirs, 0660 */
	int ref;		/* chans on the pipe */
	int slot;		/* its entry in live[] */
	int opens[2];		/* opens of data, data1 */
	struct pqueue q[2];	/* q[e]: written on end e, read on end 1-e */
};

static int npipes;		/* live pipes */
static struct pipe *live[PIPE_MAX];	/* them, for each owner's share; the same */
static uint64_t nextid;
/* npipes, live[] and nextid (each pipe's own state is under its qlock) */
static struct spinlock pipes_lock = SPINLOCK_INIT("pipes");

static const char *const names[] = { [Qdir] = "pipe", [Qdata] = "data", [Qdata1] = "data1" };

static void q_drop(struct pqueue *q)
{
	while (q->head) {
		struct pblock *b = q->head;
		q->head = b->next;
		kfree(b);
	}
	q->tail = 0;
	q->len = 0;
}

/* Copy up to n waiting bytes out, freeing the blocks emptied. */
static size_t q_take(struct pqueue *q, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n && q->head) {
		struct pblock *b = q->head;
		size_t k = MIN(n - got, (size_t)(b->wr - b->rd));

		kmemcpy(buf + got, b->data + b->rd, k);
		b->rd += (uint32_t)k;
		got += k;
		if (b->rd == b->wr) {
			q->head = b->next;
			if (q->head == 0)
				q->tail = 0;
			kfree(b);
		}
	}
	q->len -= got;
	return got;
}

/* Append up to n bytes (the caller leaves them room): how many went in,
 * or E_NOMEM if none did. */
static long q_put(struct pqueue *q, const uint8_t *buf, size_t n)
{
	size_t put = 0;

	while (put < n) {
		struct pblock *b = q->tail;
		size_t k;

		if (b == 0 || b->wr == PBLKDATA) {
			if ((b = kmalloc(sizeof *b)) == 0)
				break;
			b->next = 0;
			b->rd = b->wr = 0;
			if (q->tail)
				q->tail->next = b;
			else
				q->head = b;
			q->tail = b;
		}
		k = MIN(n - put, (size_t)(PBLKDATA - b->wr));
		kmemcpy(b->data + b->wr, buf + put, k);
		b->wr += (uint32_t)k;
		put += k;
	}
	q->len += put;
	return put > 0 || n == 0 ? (long)put : E_NOMEM;
}

static uint64_t now(void)
{
	int64_t ns = arch_wallclock_ns();
	return ns > 0 ? (uint64_t)ns / 1000000000u : 0;
}

/* A slot of live[] for p, within its owner's share: 0, E_BUDGET or
 * E_NOSPC.  PIPE_MAX alone let one user -- none, every unauthenticated
 * 9P client, binding '#pipe' in 32 connections' namespaces -- take every
 * pipe, and nobody else could make one until they hung up
 * (tests/attacks/j_pipes.py). */
static int take_slot(struct pipe *p)
{
	spin_lock(&pipes_lock);
	int mine = 0, fr = -1;

	for (int i = 0; i < PIPE_MAX; i++) {
		if (live[i] == 0 && fr < 0)
			fr = i;
		else if (live[i] && kstrcmp(live[i]->owner, p->owner) == 0)
			mine++;
	}
	if (mine < PIPE_PER_USER && fr >= 0) {
		live[fr] = p;
		p->slot = fr;
		npipes++;
	}
	spin_unlock(&pipes_lock);
	if (mine >= PIPE_PER_USER)
		return E_BUDGET;
	return fr < 0 ? E_NOSPC : 0;
}

static int pipe_attach(struct chan *c, const char *spec)
{
	struct pipe *p;
	int err;

	USED(spec);
	if ((p = kzalloc(sizeof *p)) == 0)
		return E_NOMEM;
	/* a pipe is its maker's: others (a 9P client whose namespace copy
	 * has it bound) are refused by the one permission check */
	kstrlcpy(p->owner, curproc() ? curproc()->cred.user : "eve", sizeof p->owner);
	if ((err = take_slot(p)) < 0) {
		kfree(p);
		if (err == E_BUDGET)
			return proc_seterr(E_BUDGET, "#pipe: budget exhausted: pipes %d/%d (%s's)",
			                   PIPE_PER_USER, PIPE_PER_USER,
			                   curproc() ? curproc()->cred.user : "eve");
		return proc_seterr(E_NOSPC, "#pipe: all %d pipes are in use", PIPE_MAX);
	}
	qlock_init(&p->lk, "pipe");
	for (int e = 0; e < 2; e++)
		waitq_init(&p->q[e].wq);
	spin_lock(&pipes_lock);
	p->id = ++nextid;
	spin_unlock(&pipes_lock);
	p->mtime = now();
	p->ref = 1;
	c->aux = p;
	c->qid.path = QID(p->id, Qdir);
	c->qid.type = QTDIR;
	return 0;
}

static void pipe_clone(struct chan *from, struct chan *to)
{
	struct pipe *p = to->aux;

	USED(from);
	qlock(&p->lk);
	p->ref++;
	qunlock(&p->lk);
}

static int pipe_walk(struct chan *c, const char *name)
{
	struct pipe *p = c->aux;

	if (QFILE(c->qid.path) != Qdir)
		return E_NOTDIR;
	for (int f = Qdata; f <= Qdata1; f++) {
		if (kstrcmp(names[f], name) == 0) {
			c->qid.path = QID(p->id, (uint64_t)f);
			c->qid.type = QTFILE;
			return 0;
		}
	}
	return E_NOENT;
}

/* File f of p; the length of a data file is what waits to be read there. */
static void fill(struct pipe *p, int f, struct lux_dir *d)
{
	kmemset(d, 0, sizeof *d);
	d->qid.path = QID(p->id, (uint64_t)f);
	d->qid.type = f == Qdir ? QTDIR : QTFILE;
	d->mode = f == Qdir ? DMDIR | 0770 : 0660;
	d->mtime = d->atime = p->mtime;
	kstrlcpy(d->uid, p->owner, sizeof d->uid);
	kstrlcpy(d->gid, p->owner, sizeof d->gid);
	kstrlcpy(d->muid, p->owner, sizeof d->muid);
	kstrlcpy(d->name, names[f], sizeof d->name);
	if (f != Qdir) {
		qlock(&p->lk);
		d->length = p->q[1 - (f - Qdata)].len;
		qunlock(&p->lk);
	}
}

static int pipe_stat(struct chan *c, struct lux_dir *d)
{
	fill(c->aux, QFILE(c->qid.path), d);
	return 0;
}

static int pipe_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	if (QFILE(c->qid.path) != Qdir)
		return E_NOTDIR;
	if (i >= 2)
		return 0;
	fill(c->aux, Qdata + (int)i, d);
	return 1;
}

static int pipe_open(struct chan *c, int mode)
{
	struct pipe *p = c->aux;
	int e;

	if (QFILE(c->qid.path) == Qdir)
		return (mode & OMODE) == OREAD ? 0 : E_ISDIR;
	if ((mode & OMODE) == OEXEC)
		return E_PERM;
	e = END(c);
	qlock(&p->lk);
	p->opens[e]++;
	p->q[e].nowriter = false;	/* an end opened again is back */
	p->q[1 - e].noreader = false;
	qunlock(&p->lk);
	return 0;
}

static bool readable(void *arg)
{
	struct pqueue *q = arg;
	return q->len > 0 || q->nowriter;
}

static long pipe_read(struct chan *c, void *buf, size_t n, uint64_t off)
{
	struct pipe *p = c->aux;
	struct pqueue *q;
	int err;

	USED(off);
	if (QFILE(c->qid.path) == Qdir)
		return E_ISDIR;
	q = &p->q[1 - END(c)];
	if (n == 0)
		return 0;
	for (;;) {
		qlock(&p->lk);
		if (q->len > 0 || q->nowriter) {
			size_t got = q_take(q, buf, n);
			qunlock(&p->lk);
			if (got > 0)
				wakeup(&q->wq);	/* room for writers */
			return (long)got;
		}
		qunlock(&p->lk);
		if ((err = sleep_on(&q->wq, readable, q)) < 0)
			return err;
	}
}

static bool writable(void *arg)
{
	struct pqueue *q = arg;
	return q->len < PIPE_QMAX || q->noreader;
}

static long pipe_write(struct chan *c, const void *buf, size_t n, uint64_t off)
{
	struct pipe *p = c->aux;
	struct pqueue *q;
	size_t done = 0;
	long r;
	int err = 0;

	USED(off);
	if (QFILE(c->qid.path) == Qdir)
		return E_ISDIR;
	q = &p->q[END(c)];
	while (done < n) {
		qlock(&p->lk);
		if (q->noreader) {
			qunlock(&p->lk);
			err = E_PIPE;
			break;
		}
		if (q->len < PIPE_QMAX) {
			r = q_put(q, (const uint8_t *)buf + done,
			          MIN(n - done, PIPE_QMAX - q->len));
			qunlock(&p->lk);
			if (r < 0) {
				err = (int)r;
				break;
			}
			done += (size_t)r;
			wakeup(&q->wq);	/* bytes for readers */
			continue;
		}
		qunlock(&p->lk);
		if ((err = sleep_on(&q->wq, writable, q)) < 0)
			break;
	}
	return done > 0 ? (long)done : err;
}

/* The last open of end e closed: its readers see the end of the file,
 * its writers' reader is gone (and nobody will read what waits). */
static void hangup(struct pipe *p, int e)
{
	p->q[e].nowriter = true;
	p->q[1 - e].noreader = true;
	q_drop(&p->q[1 - e]);
}

static void pipe_close(struct chan *c)
{
	struct pipe *p = c->aux;
	bool last;
	int e = -1;

	qlock(&p->lk);
	if (QFILE(c->qid.path) != Qdir && c->mode >= 0) {
		e = END(c);
		kassert(p->opens[e] > 0);
		if (--p->opens[e] == 0)
			hangup(p, e);
		else
			e = -1;
	}
	last = --p->ref == 0;
	qunlock(&p->lk);
	if (e >= 0) {
		wakeup(&p->q[e].wq);
		wakeup(&p->q[1 - e].wq);
	}
	if (!last)
		return;
	/* No chan is left, so no proc can be asleep on the pipe. */
	q_drop(&p->q[0]);
	q_drop(&p->q[1]);
	spin_lock(&pipes_lock);
	live[p->slot] = 0;
	npipes--;
	spin_unlock(&pipes_lock);
	kfree(p);
}

const struct dev pipe_dev = {
	.name = "pipe",
	.attach = pipe_attach,
	.clone = pipe_clone,
	.walk = pipe_walk,
	.stat = pipe_stat,
	.open = pipe_open,
	.read = pipe_read,
	.write = pipe_write,
	.dirent = pipe_dirent,
	.close = pipe_close,
};
