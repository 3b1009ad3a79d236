/* The active clients of bench-9pscale (see scale_active.h). */
#include "scale_active.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define L_O_RDWR 2		/* Linux's, as 9P2000.L carries it */
#define IOMAX 2048		/* a read or write moves at most this: well inside SC_MSIZE */

const char *const aop_names[A_NOPS] = {
	[A_WALKTMP] = "walk /tmp", [A_CREATE] = "create", [A_OPEN] = "walk+open",
	[A_READ] = "read", [A_WRITE] = "write", [A_CLUNK] = "clunk", [A_REMOVE] = "remove",
};

static uint32_t maxsize = 8192;
static struct astats *stats;
static bool going, draining;

void active_setup(uint32_t max, struct astats *st)
{
	maxsize = max;
	stats = st;
}

static uint32_t rnd(struct aclient *cl, uint32_t n)
{
	cl->rng ^= cl->rng << 13, cl->rng ^= cl->rng >> 7, cl->rng ^= cl->rng << 17;
	return n ? (uint32_t)(cl->rng % n) : 0;
}

/* A protocol error: counted, the first one kept, and this client stops,
 * since its idea of its files can no longer be trusted. */
static void perr(struct scale *s, struct aclient *cl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct scale *s, struct aclient *cl, const char *fmt, ...)
{
	va_list ap;

	stats->errors++;
	if (stats->first[0] == 0) {
		int n = snprintf(stats->first, sizeof stats->first, "client %d, %s of file %d: ",
		                 cl->id, aop_names[cl->op], cl->k);
		va_start(ap, fmt);
		vsnprintf(stats->first + n, sizeof stats->first - (size_t)n, fmt, ap);
		va_end(ap);
	}
	cl->done = true;
	sc_close(s, &cl->c);
}

static void name_of(struct aclient *cl, int k, char *out, size_t cap)
{
	snprintf(out, cap, "scale-%d-%d-%d", (int)getpid(), cl->id, k);
}

static uint32_t fid_of(int k)
{
	return 10 + (uint32_t)k;
}

/* ---- Starting an op ------------------------------------------------------ */

static void send_walk(struct scale *s, struct aclient *cl, uint32_t from, uint32_t to,
                      const char *name)
{
	struct p9_msg t = { .type = P9_TWALK };

	t.u.twalk.fid = from;
	t.u.twalk.newfid = to;
	t.u.twalk.nwname = name ? 1 : 0;
	if (name)
		t.u.twalk.wname[0] = p9_str_c(name);
	sc_send(s, &cl->c, &t);
}

static void send_io(struct scale *s, struct aclient *cl, bool write)
{
	struct afile *f = &cl->f[cl->k];
	struct p9_msg t = { .type = write ? P9_TWRITE : P9_TREAD };
	uint8_t buf[IOMAX];

	if (write) {
		cl->off = rnd(cl, maxsize);
		cl->count = 1 + rnd(cl, maxsize - cl->off < IOMAX ? maxsize - cl->off : IOMAX);
		for (uint32_t i = 0; i < cl->count; i++)
			buf[i] = (uint8_t)rnd(cl, 256);
		t.u.twrite.fid = fid_of(cl->k);
		t.u.twrite.offset = cl->off;
		t.u.twrite.count = cl->count;
		t.u.twrite.data = buf;
		memcpy(f->data + cl->off, buf, cl->count);	/* what a read must see once it is acked */
	} else {
		cl->off = rnd(cl, f->size + 64 < maxsize ? f->size + 64 : maxsize);
		cl->count = 1 + rnd(cl, IOMAX);
		t.u.tread.fid = fid_of(cl->k);
		t.u.tread.offset = cl->off;
		t.u.tread.count = cl->count;
	}
	sc_send(s, &cl->c, &t);
}

static void send_fid(struct scale *s, struct aclient *cl, uint8_t type)
{
	struct p9_msg t = { .type = type };

	t.u.tfid.fid = fid_of(cl->k);
	sc_send(s, &cl->c, &t);
}

static void next(struct scale *s, struct aclient *cl)
{
	char name[64];
	int k;

	if (cl->done || cl->c.st != SC_READY)
		return;
	cl->step = 0;
	if (!cl->tmp) {
		cl->op = A_WALKTMP;
		send_walk(s, cl, 1, 2, "tmp");
		return;
	}
	if (draining) {	/* remove every file, then hang up */
		for (k = 0; k < A_FILES && !cl->f[k].exists; k++)
			;
		if (k == A_FILES) {
			cl->done = true;
			sc_close(s, &cl->c);
			return;
		}
		cl->k = k;
		cl->op = cl->f[k].open ? A_REMOVE : A_OPEN;
	} else {
		cl->k = (int)rnd(cl, A_FILES);
		if (!cl->f[cl->k].exists)
			cl->op = A_CREATE;
		else if (!cl->f[cl->k].open)
			cl->op = A_OPEN;
		else {
			uint32_t r = rnd(cl, 10);
			cl->op = r < 4 ? A_WRITE : r < 7 ? A_READ : r < 9 ? A_CLUNK : A_REMOVE;
		}
	}
	name_of(cl, cl->k, name, sizeof name);
	switch (cl->op) {
	case A_CREATE: send_walk(s, cl, 2, fid_of(cl->k), NULL); break;
	case A_OPEN: send_walk(s, cl, 2, fid_of(cl->k), name); break;
	case A_WRITE: send_io(s, cl, true); break;
	case A_READ: send_io(s, cl, false); break;
	case A_CLUNK: send_fid(s, cl, P9_TCLUNK); break;
	case A_REMOVE: send_fid(s, cl, P9_TREMOVE); break;
	default: break;
	}
}

/* ---- Checking a reply ------------------------------------------------------ */

static bool want(struct scale *s, struct aclient *cl, uint8_t type)
{
	const struct p9_msg *r = &cl->c.r;

	if (r->type == type)
		return true;
	if (r->type == P9_RLERROR)
		perr(s, cl, "Rlerror %s", strerror((int)r->u.rlerror.ecode));
	else
		perr(s, cl, "answered with %s", p9_type_name(r->type));
	return false;
}

/* The second message of a two-step op (create, walk+open). */
static void step2(struct scale *s, struct aclient *cl)
{
	struct p9_msg t = { .type = cl->op == A_CREATE ? P9_TLCREATE : P9_TLOPEN };
	char name[64];

	cl->step = 1;
	if (cl->op == A_CREATE) {
		name_of(cl, cl->k, name, sizeof name);
		t.u.tlcreate.fid = fid_of(cl->k);
		t.u.tlcreate.name = p9_str_c(name);
		t.u.tlcreate.flags = L_O_RDWR;
		t.u.tlcreate.mode = 0644;
		t.u.tlcreate.gid = (uint32_t)getegid();
	} else {
		t.u.tlopen.fid = fid_of(cl->k);
		t.u.tlopen.flags = L_O_RDWR;
	}
	sc_send(s, &cl->c, &t);
}

static void on_reply(struct scale *s, struct sconn *c)
{
	struct aclient *cl = c->owner;
	struct afile *f = &cl->f[cl->k];
	const struct p9_msg *r = &c->r;
	uint32_t have;

	switch (cl->op) {
	case A_WALKTMP:
		if (!want(s, cl, P9_RWALK))
			return;
		if (r->u.rwalk.nwqid != 1)
			return perr(s, cl, "%u of 1 names walked", r->u.rwalk.nwqid);
		cl->tmp = true;
		break;
	case A_CREATE:
	case A_OPEN:
		if (cl->step == 0) {
			if (!want(s, cl, P9_RWALK))
				return;
			if (r->u.rwalk.nwqid != (cl->op == A_OPEN))
				return perr(s, cl, "walk: %u names walked", r->u.rwalk.nwqid);
			return step2(s, cl);
		}
		if (!want(s, cl, cl->op == A_CREATE ? P9_RLCREATE : P9_RLOPEN))
			return;
		if (cl->op == A_CREATE) {
			if (f->data == NULL && (f->data = calloc(1, maxsize)) == NULL)
				return perr(s, cl, "out of memory for the copy");
			f->exists = true;
			f->size = 0;
		}
		f->open = true;
		break;
	case A_WRITE:
		if (!want(s, cl, P9_RWRITE))
			return;
		if (r->u.rwrite.count != cl->count)
			return perr(s, cl, "Rwrite count %u of %u", r->u.rwrite.count, cl->count);
		if (cl->off + cl->count > f->size) {
			/* a hole between the old end and off reads as zeros */
			memset(f->data + f->size, 0, cl->off > f->size ? cl->off - f->size : 0);
			f->size = cl->off + cl->count;
		}
		break;
	case A_READ:
		if (!want(s, cl, P9_RREAD))
			return;
		have = cl->off < f->size ? f->size - cl->off : 0;
		if (have > cl->count)
			have = cl->count;
		if (r->u.rread.count != have)
			return perr(s, cl, "Rread count %u at %u, want %u (size %u)", r->u.rread.count,
			            cl->off, have, f->size);
		if (memcmp(r->u.rread.data, f->data + cl->off, have) != 0)
			return perr(s, cl, "Rread at %u: not the bytes written", cl->off);
		break;
	case A_CLUNK:
		if (!want(s, cl, P9_RCLUNK))
			return;
		f->open = false;
		break;
	case A_REMOVE:
		if (!want(s, cl, P9_RREMOVE))
			return;
		f->open = f->exists = false;
		f->size = 0;
		break;
	default:
		break;
	}
	if (going && !draining)	/* the clean-up after the clock is not counted */
		stats->ops[cl->op]++;
	next(s, cl);
}

static void on_ready(struct scale *s, struct sconn *c)
{
	struct aclient *cl = c->owner;

	cl->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(cl->id + 1) * 0x2545F4914F6CDD1Dull;
	if (going)
		next(s, cl);
}

/* A client served and then cut off, or answered with nonsense, is a
 * protocol error; one refused at the door is counted by the caller. */
static void on_ended(struct scale *s, struct sconn *c)
{
	struct aclient *cl = c->owner;

	(void)s;
	if (c->end == SC_DROPPED || c->end == SC_MALFORMED) {
		stats->errors++;
		if (stats->first[0] == 0)
			snprintf(stats->first, sizeof stats->first, "client %d, %s of file %d: %s: %s",
			         cl->id, aop_names[cl->op], cl->k, sc_end_names[c->end], c->why);
	}
	cl->done = true;
}

const struct scale_ops active_ops = { on_ready, on_reply, on_ended };

void active_go(struct scale *s, struct aclient *cl, int n)
{
	going = true;
	for (int i = 0; i < n; i++)
		next(s, &cl[i]);
}

void active_drain(struct scale *s, struct aclient *cl, int n)
{
	draining = true;
	for (int i = 0; i < n; i++)
		next(s, &cl[i]);	/* those busy go on from their reply */
}
