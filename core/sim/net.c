/*
 * Scenario "net": simulated 9P clients against the real server, over
 * connections the scenario plays itself (arch_conn_simulate): it opens
 * them and feeds them through the same upcalls an arch uses
 * (lux_conn_opened/received/sent/closed), and it is the arch's send side,
 * holding what the server sends "in the network" until the client reads
 * it.  Every choice is seeded:
 *  - clients connect, speak 9P2000 or 9P2000.L at a random msize, and
 *    pipeline chains of requests (walk/open/read/clunk, create/write/
 *    remove, stat, big reads, a Tflush, a request on an unknown fid);
 *  - the request bytes go out in pieces cut at random byte boundaries, so
 *    the server sees partial messages, and only while it has not paused
 *    the connection;
 *  - clients read replies at their own pace (some not for a while), so
 *    replies queue and the server meets back-pressure (lux_conn_sent);
 *  - clients hang up at random points: mid-message, with requests in
 *    flight, with replies queued; others finish cleanly; new ones come.
 * After every step:
 *  - every reply read so far decodes, fits the msize in force and answers
 *    exactly one request in flight on its connection (its tag and type);
 *    a file read returns the file's bytes; nothing answers a flushed
 *    request;
 *  - no connection has more replies waiting than the server's bound
 *    (NINEP_SENDHIGH plus one reply per worker);
 *  - the run queues, the budget tree and the page accounting hold, and
 *    procs stay within the listener's grant;
 *  - a client finishing cleanly gets every request answered in bounded
 *    time, or the step fails naming the request.
 * At the end every client finishes, the files they left are removed, and
 * procs, kernel objects, pages and budgets must be back to where they
 * were before the first connection.
 * --break-invariant leak-conn forgets one hang-up (no lux_conn_closed), so
 * a connection's proc and buffers stay: the end check must catch it.
 */
#include <stdarg.h>

#include <lux/9p.h>
#include <lux/9psrv.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/page.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/rand.h>
#include <lux/sim.h>
#include <lux/string.h>
#include <lux/sysfile.h>
#include <lux/timer.h>

enum {
	NCLI = 6,			/* clients at once */
	OUTMAX = 16384,			/* a client's unsent request bytes */
	NETMAX = 512 << 10,		/* replies a client has not read */
	MAXREQ = 96,			/* requests a client has in flight */
	FINISH_STEPS = 300,		/* steps a clean finish may take */
	BIGFILE = 320 << 10,		/* more than NINEP_SENDHIGH in replies */
};

static const char filetext[] = "hello from the net scenario\n";

struct creq {
	uint16_t tag;
	uint8_t type;
	bool live;		/* sent whole, not answered */
	bool fileread;		/* a Tread of /a/file at offset 0 */
	bool flushed;
	uint16_t oldtag;	/* Tflush */
	size_t end;		/* Out-stream offset just past it */
};

struct client {
	int conn;		/* 0: slot free */
	int n;			/* client number, for names and messages */
	enum p9_dialect want, d;	/* asked for; in force */
	uint32_t msize;		/* asked for, then in force */
	uint8_t *out;		/* OUTMAX: encoded requests */
	size_t outlen, outsent;
	uint8_t *net;		/* NETMAX: replies sent, not read */
	size_t netlen;
	struct creq reqs[MAXREQ];
	size_t nreq;
	uint16_t nexttag;
	uint32_t nextfid;
	bool paused, server_closed, finishing, slow, overfull;
	bool badframe;		/* sent a size field the server must refuse */
	uint64_t finish_steps;
};

static struct {
	struct client c[NCLI];
	uint32_t breakflags;
	bool leak_done;
	int nextconn, nclients;
	char why[160];		/* a client's check failed */
	size_t connects, drops, finishes, server_closes, replies, requests, flushes, pauses;
	size_t peak_queued;	/* the most reply bytes one connection had waiting */
	size_t base_objects, base_procs, base_budgets, base_large, total_pages;
} sc;

static uint64_t rnd(uint64_t n) { return n ? krand_below(n) : 0; }

static int failf(const char *fmt, ...)
{
	va_list ap;

	if (sc.why[0])
		return -1;	/* the first failure is the one to replay */
	va_start(ap, fmt);
	kvsnprintf(sc.why, sizeof sc.why, fmt, ap);
	va_end(ap);
	return -1;
}

static struct client *client_of(int conn)
{
	for (int i = 0; i < NCLI; i++)
		if (sc.c[i].conn == conn && conn != 0)
			return &sc.c[i];
	return 0;
}

/* ---- The arch's side: what the server calls ------------------------------ */

static long sim_send(int conn, const void *buf, size_t n)
{
	struct client *c = client_of(conn);

	if (c == 0 || c->server_closed)
		return -1;	/* closed: as an arch answers */
	if (n > NETMAX - c->netlen) {
		c->overfull = true;	/* past any bound the server keeps */
		return -1;
	}
	kmemcpy(c->net + c->netlen, buf, n);
	c->netlen += n;
	if (c->netlen > sc.peak_queued)
		sc.peak_queued = c->netlen;
	return (long)c->netlen;
}

static void sim_close(int conn)
{
	struct client *c = client_of(conn);

	if (c)
		c->server_closed = true;	/* the sim delivers lux_conn_closed later */
}

static void sim_pause(int conn, int paused)
{
	struct client *c = client_of(conn);

	if (c) {
		sc.pauses += paused && !c->paused;
		c->paused = paused != 0;
	}
}

static const struct arch_conn_sim simops = { sim_send, sim_close, sim_pause };

/* Upcalls run with upcalls disabled, as the arch calls them. */
static void up_opened(int conn, const char *peer)
{
	arch_irqstate s = arch_irq_save();
	lux_conn_opened(conn, peer);
	arch_irq_restore(s);
}

static void up_received(int conn, const void *buf, size_t n)
{
	arch_irqstate s = arch_irq_save();
	lux_conn_received(conn, buf, n);
	arch_irq_restore(s);
}

static void up_sent(int conn, size_t queued)
{
	arch_irqstate s = arch_irq_save();
	lux_conn_sent(conn, queued);
	arch_irq_restore(s);
}

static void up_closed(int conn)
{
	arch_irqstate s = arch_irq_save();
	lux_conn_closed(conn);
	arch_irq_restore(s);
}

/* ---- Requests ----------------------------------------------------------- */

static bool tag_live(struct client *c, uint16_t tag)
{
	for (size_t i = 0; i < c->nreq; i++)
		if (c->reqs[i].tag == tag && (c->reqs[i].live || c->reqs[i].end > c->outsent))
			return true;
	return false;
}

/* Queue one request; false when the client has no room for it. */
static bool put(struct client *c, struct p9_msg *m, bool fileread)
{
	struct creq *q;
	int n;

	if (c->nreq == MAXREQ)
		return false;
	if (m->type != P9_TVERSION) {
		do
			c->nexttag = (uint16_t)(c->nexttag % 0xFFF0u + 1);
		while (tag_live(c, c->nexttag));
		m->tag = c->nexttag;
	}
	n = p9_encode(m, c->out + c->outlen, OUTMAX - c->outlen,
	              m->type == P9_TVERSION ? P9_NONE : c->want);
	if (n == P9_E_NOSPACE)
		return false;
	if (n < 0) {
		failf("client %d: cannot encode %s: %s", c->n, p9_type_name(m->type), p9_strerror(n));
		return false;
	}
	c->outlen += (size_t)n;
	q = &c->reqs[c->nreq++];
	kmemset(q, 0, sizeof *q);
	q->tag = m->tag;
	q->type = m->type;
	q->fileread = fileread;
	q->end = c->outlen;
	if (m->type == P9_TFLUSH)
		q->oldtag = m->u.tflush.oldtag;
	sc.requests++;
	return true;
}

static void walk(struct client *c, uint32_t fid, uint32_t newfid, const char *a, const char *b)
{
	struct p9_msg m = { .type = P9_TWALK };

	m.u.twalk.fid = fid;
	m.u.twalk.newfid = newfid;
	if (a)
		m.u.twalk.wname[m.u.twalk.nwname++] = p9_str_c(a);
	if (b)
		m.u.twalk.wname[m.u.twalk.nwname++] = p9_str_c(b);
	put(c, &m, false);
}

static void fidop(struct client *c, uint8_t type, uint32_t fid)
{
	struct p9_msg m = { .type = type };

	m.u.tfid.fid = fid;
	put(c, &m, false);
}

static void open_(struct client *c, uint32_t fid, int mode)
{
	struct p9_msg m = { .type = c->want == P9_2000L ? P9_TLOPEN : P9_TOPEN };

	if (c->want == P9_2000L) {
		m.u.tlopen.fid = fid;
		m.u.tlopen.flags = (uint32_t)mode;
	} else {
		m.u.topen.fid = fid;
		m.u.topen.mode = (uint8_t)mode;
	}
	put(c, &m, false);
}

static void read_(struct client *c, uint32_t fid, uint64_t off, uint32_t count, bool fileread)
{
	struct p9_msg m = { .type = P9_TREAD };

	m.u.tread.fid = fid;
	m.u.tread.offset = off;
	m.u.tread.count = count;
	put(c, &m, fileread);
}

static void create_write(struct client *c, uint32_t fid)
{
	char name[32];
	static const char data[] = "written by a simulated client";
	struct p9_msg m;

	ksnprintf(name, sizeof name, "c%d-f%u", c->n, fid);
	walk(c, 0, fid, "tmp", 0);
	if (c->want == P9_2000L) {
		m = (struct p9_msg){ .type = P9_TLCREATE };
		m.u.tlcreate.fid = fid;
		m.u.tlcreate.name = p9_str_c(name);
		m.u.tlcreate.flags = ORDWR;
		m.u.tlcreate.mode = 0644;
	} else {
		m = (struct p9_msg){ .type = P9_TCREATE };
		m.u.tcreate.fid = fid;
		m.u.tcreate.name = p9_str_c(name);
		m.u.tcreate.perm = 0644;
		m.u.tcreate.mode = ORDWR;
	}
	put(c, &m, false);
	m = (struct p9_msg){ .type = P9_TWRITE };
	m.u.twrite.fid = fid;
	m.u.twrite.count = sizeof data - 1;
	m.u.twrite.data = (const uint8_t *)data;
	put(c, &m, false);
	fidop(c, rnd(2) ? P9_TREMOVE : P9_TCLUNK, fid);
}

/* A chain of pipelined requests; each chain uses fids of its own. */
static void more_requests(struct client *c)
{
	uint32_t fid = c->nextfid++;
	uint32_t iounit = c->msize - P9_IOHDRSZ;
	struct p9_msg m;

	switch (rnd(8)) {
	case 0:
	case 1:	/* read a file we know */
		walk(c, 0, fid, "a", "file");
		open_(c, fid, OREAD);
		read_(c, fid, 0, iounit, true);
		fidop(c, P9_TCLUNK, fid);
		break;
	case 2:
		create_write(c, fid);
		break;
	case 3:	/* stat the root */
		if (c->want == P9_2000L) {
			m = (struct p9_msg){ .type = P9_TGETATTR };
			m.u.tgetattr.fid = 0;
			m.u.tgetattr.request_mask = P9_GETATTR_BASIC;
			put(c, &m, false);
		} else {
			fidop(c, P9_TSTAT, 0);
		}
		break;
	case 4:	/* big reads: replies pile up if the client does not read */
		walk(c, 0, fid, "big", 0);
		open_(c, fid, OREAD);
		for (uint32_t off = 0; off < BIGFILE; off += iounit)
			read_(c, fid, off, iounit, false);
		fidop(c, P9_TCLUNK, fid);
		break;
	case 5:	/* flush something that may still be in flight */
		if (c->nreq > 0) {
			m = (struct p9_msg){ .type = P9_TFLUSH };
			m.u.tflush.oldtag = c->reqs[rnd(c->nreq)].tag;
			put(c, &m, false);
		}
		break;
	case 6:	/* a directory listing */
		walk(c, 0, fid, 0, 0);
		open_(c, fid, OREAD);
		m = (struct p9_msg){ .type = c->want == P9_2000L ? P9_TREADDIR : P9_TREAD };
		m.u.tread.fid = fid;
		m.u.tread.count = iounit;
		put(c, &m, false);
		fidop(c, P9_TCLUNK, fid);
		break;
	default:	/* an unknown fid: an error, and the connection stays */
		if (rnd(10) == 0 && OUTMAX - c->outlen >= P9_HDRSZ) {
			/* a size field below the header: the server says why
			 * (NOTAG) and closes the connection */
			static const uint8_t bad[P9_HDRSZ] = { 3, 0, 0, 0, P9_TREAD, 1, 0 };
			kmemcpy(c->out + c->outlen, bad, sizeof bad);
			c->outlen += sizeof bad;
			c->badframe = true;
			break;
		}
		fidop(c, P9_TCLUNK, 100000 + fid);
		break;
	}
}

/* ---- Replies ------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool is_error(uint8_t t) { return t == P9_RERROR || t == P9_RLERROR; }

static struct creq *match(struct client *c, const struct p9_msg *r)
{
	for (size_t i = 0; i < c->nreq; i++) {
		struct creq *q = &c->reqs[i];
		if (q->live && q->tag == r->tag && (is_error(r->type) || r->type == q->type + 1))
			return q;
	}
	return 0;
}

/* Drop answered requests from the front (their bytes are all sent). */
static void compact_reqs(struct client *c)
{
	size_t k = 0;

	for (size_t i = 0; i < c->nreq; i++)
		if (c->reqs[i].live || c->reqs[i].end > c->outsent)
			c->reqs[k++] = c->reqs[i];
	c->nreq = k;
}

static int one_reply(struct client *c, const uint8_t *buf, size_t n)
{
	enum p9_dialect d = buf[4] == P9_RVERSION ? P9_NONE : c->d;
	struct p9_msg r;
	struct creq *q;
	char why[120];
	int err;

	if (n > c->msize)
		return failf("client %d: a %s of %zu bytes exceeds msize %u", c->n,
		             p9_type_name(buf[4]), n, c->msize);
	if ((err = p9_decode(buf, n, c->msize, d, P9_RMSG, &r)) < 0) {
		p9_explain(why, sizeof why, err, &r);
		return failf("client %d: a reply the codec rejects: %s", c->n, why);
	}
	sc.replies++;
	if ((q = match(c, &r)) == 0 && c->badframe && r.tag == P9_NOTAG && is_error(r.type))
		return 0;	/* the goodbye before the server closes */
	if (q == 0) {
		for (size_t i = 0; i < c->nreq; i++)
			if (c->reqs[i].flushed && c->reqs[i].tag == r.tag)
				return failf("client %d: %s tag %u answers a flushed request", c->n,
				             p9_type_name(r.type), r.tag);
		return failf("client %d: %s tag %u answers no request in flight", c->n,
		             p9_type_name(r.type), r.tag);
	}
	q->live = false;
	if (r.type == P9_RVERSION) {
		c->d = p9_dialect_of(r.u.version.version.s, r.u.version.version.len);
		if (c->d != c->want || r.u.version.msize > c->msize)
			return failf("client %d: Rversion %.*s msize %u for %s msize %u", c->n,
			             (int)r.u.version.version.len, r.u.version.version.s,
			             r.u.version.msize, p9_dialect_name(c->want), c->msize);
		c->msize = r.u.version.msize;
	}
	if (q->fileread && r.type == P9_RREAD &&
	    (r.u.rread.count != sizeof filetext - 1 ||
	     kmemcmp(r.u.rread.data, filetext, sizeof filetext - 1) != 0))
		return failf("client %d: reading /a/file gave %u bytes, not the file's %zu", c->n,
		             r.u.rread.count, sizeof filetext - 1);
	if (q->type == P9_TFLUSH && r.type == P9_RFLUSH) {
		sc.flushes++;
		for (struct creq *o = c->reqs; o < q; o++)
			if (o->live && o->tag == q->oldtag) {
				o->live = false;	/* flushed: no reply may follow */
				o->flushed = true;
			}
	}
	return 0;
}

/* The client reads up to `want` bytes of whole replies. */
static int read_replies(struct client *c, size_t want)
{
	size_t off = 0;

	while (c->netlen - off >= 4) {
		uint32_t size = le32(c->net + off);
		if (size < P9_HDRSZ || size > c->netlen - off)
			break;	/* a send is always whole: this is a broken size */
		if (off + size > want && off > 0)
			break;
		if (one_reply(c, c->net + off, size) < 0)
			return -1;
		off += size;
	}
	if (c->netlen - off >= 4 &&
	    (le32(c->net + off) < P9_HDRSZ || le32(c->net + off) > c->netlen - off))
		return failf("client %d: a reply whose size field says %u with %zu bytes there", c->n,
		             le32(c->net + off), c->netlen - off);
	if (off == 0)
		return 0;
	kmemmove(c->net, c->net + off, c->netlen - off);
	c->netlen -= off;
	compact_reqs(c);
	up_sent(c->conn, c->netlen);
	return 0;
}

/* ---- Clients ------------------------------------------------------------- */

static void client_connect(void)
{
	struct client *c = 0;
	struct p9_msg m = { .type = P9_TVERSION, .tag = P9_NOTAG };
	static const uint32_t msizes[] = { 512, 8192, 65536 + P9_IOHDRSZ };
	char peer[32];

	for (int i = 0; i < NCLI && !c; i++)
		if (sc.c[i].conn == 0)
			c = &sc.c[i];
	if (c == 0)
		return;
	c->conn = ++sc.nextconn;
	c->n = ++sc.nclients;
	c->want = rnd(2) ? P9_2000L : P9_2000;
	c->d = P9_NONE;
	c->msize = msizes[rnd(nelem(msizes))];
	c->outlen = c->outsent = c->netlen = c->nreq = 0;
	c->nexttag = 0;
	c->nextfid = 1;
	c->paused = c->server_closed = c->finishing = c->overfull = c->badframe = false;
	c->slow = rnd(4) == 0;
	c->finish_steps = 0;
	m.u.version.msize = c->msize;
	m.u.version.version = p9_str_c(p9_dialect_name(c->want));
	put(c, &m, false);
	m = (struct p9_msg){ .type = P9_TATTACH };
	m.u.tattach.fid = 0;
	m.u.tattach.afid = P9_NOFID;
	m.u.tattach.uname = p9_str_c("sim");
	m.u.tattach.aname = p9_str_c("");
	m.u.tattach.n_uname = P9_NONUNAME;
	put(c, &m, false);
	sc.connects++;
	ksnprintf(peer, sizeof peer, "sim!client%d", c->n);
	up_opened(c->conn, peer);	/* the server may close it at once */
}

static void release(struct client *c)
{
	c->conn = 0;
}

/* The peer hangs up: whatever was in flight or queued is lost. */
static void drop(struct client *c)
{
	int conn = c->conn;

	sc.drops++;
	release(c);
	if ((sc.breakflags & SIM_BREAK_LEAK_CONN) && !sc.leak_done) {
		sc.leak_done = true;	/* test only: the arch "forgets" the close */
		return;
	}
	up_closed(conn);
}

/* Send the next piece of the request stream, cut at a random byte. */
static void send_some(struct client *c, bool all)
{
	size_t left, n;

	if (!c->finishing && c->outlen - c->outsent < 64 && c->outlen < OUTMAX / 2)
		more_requests(c);
	if (c->paused || c->server_closed || (left = c->outlen - c->outsent) == 0)
		return;
	if (all)
		n = left;
	else if (rnd(3) == 0)
		n = 1 + rnd(7);
	else
		n = 1 + rnd(left);
	if (n > left)
		n = left;
	if (n > LUX_CONN_CHUNK)
		n = LUX_CONN_CHUNK;
	for (size_t i = 0; i < c->nreq; i++)
		if (c->reqs[i].end > c->outsent && c->reqs[i].end <= c->outsent + n)
			c->reqs[i].live = true;	/* whole now: it will be answered */
	up_received(c->conn, c->out + c->outsent, n);
	c->outsent += n;
	if (c->outsent == c->outlen) {
		compact_reqs(c);
		c->outlen = c->outsent = 0;
		for (size_t i = 0; i < c->nreq; i++)
			c->reqs[i].end = 0;
	}
}

static bool done(struct client *c)
{
	for (size_t i = 0; i < c->nreq; i++)
		if (c->reqs[i].live)
			return false;
	return c->outsent == c->outlen && c->netlen == 0;
}

/* The arch's side of a connection the server closed, and clean finishes. */
static int advance(struct client *c)
{
	if (c->conn == 0)
		return 0;
	if (c->overfull)
		return failf("client %d: the server queued more than %u bytes of replies", c->n, NETMAX);
	if (c->server_closed) {
		/* the arch sends what was queued, then says closed */
		if (read_replies(c, NETMAX) < 0)
			return -1;
		sc.server_closes++;
		int conn = c->conn;
		release(c);
		up_closed(conn);
		return 0;
	}
	if (!c->finishing)
		return 0;
	send_some(c, true);
	if (read_replies(c, NETMAX) < 0)
		return -1;
	if (done(c)) {
		sc.finishes++;
		drop(c);	/* a clean hang-up: nothing in flight */
		sc.drops--;
		return 0;
	}
	if (++c->finish_steps > FINISH_STEPS) {
		for (size_t i = 0; i < c->nreq; i++)
			if (c->reqs[i].live)
				return failf("client %d: %s tag %u never answered (%llu steps)", c->n,
				             p9_type_name(c->reqs[i].type), c->reqs[i].tag,
				             (unsigned long long)c->finish_steps);
		return failf("client %d: cannot finish: %zu request bytes unsent, paused %d", c->n,
		             c->outlen - c->outsent, c->paused);
	}
	return 0;
}

static struct client *any_client(void)
{
	struct client *live[NCLI];
	int n = 0;

	for (int i = 0; i < NCLI; i++)
		if (sc.c[i].conn && !sc.c[i].server_closed)
			live[n++] = &sc.c[i];
	return n ? live[rnd((uint64_t)n)] : 0;
}

/* ---- Checks ------------------------------------------------------------- */

static size_t accounted_pages(void)
{
	struct kalloc_stats ks;

	kalloc_stats(&ks);
	return page_free_count() + ks.slab_pages + ks.large_pages + proc_stack_pages();
}

static int check(void)
{
	const char *why;

	if (sc.why[0])
		return -1;
	if ((why = sched_check()) != 0)
		return failf("run queues: %s", why);
	if ((why = budget_check(pebble_root())) != 0)
		return failf("budgets: %s", why);
	if (accounted_pages() != sc.total_pages)
		return failf("pages: %zu accounted for, %zu in all", accounted_pages(), sc.total_pages);
	if (proc_count() > sc.base_procs + NINEP_MAXCONN * (1 + NINEP_WORKERS))
		return failf("procs: %zu, more than %zu + a reader and %d workers per connection",
		             proc_count(), sc.base_procs, NINEP_WORKERS);
	for (int i = 0; i < NCLI; i++) {
		struct client *c = &sc.c[i];
		if (c->conn && c->netlen > NINEP_SENDHIGH + NINEP_WORKERS * c->msize)
			return failf("client %d: %zu reply bytes queued, more than %u + %d x msize %u",
			             c->n, c->netlen, NINEP_SENDHIGH, NINEP_WORKERS, c->msize);
	}
	return 0;
}

/* ---- Setup and the run ----------------------------------------------------- */

static int make(const char *path, uint32_t perm, const void *data, size_t n)
{
	int fd = sys_create(path, (perm & DMDIR) ? OREAD : ORDWR, perm);
	long w = 0;

	if (fd < 0)
		return fd;
	if (n)
		w = sys_write(fd, data, n);
	sys_close(fd);
	return w < 0 ? (int)w : 0;
}

static int setup(void)
{
	struct proc *p = curproc();
	struct chan *root;
	uint8_t *big;
	int err;

	if ((err = dev_attach(&ramfs_dev, "", &root)) < 0)
		return failf("ramfs: %s", lux_errstr(err));
	if ((p->ns = ns_new(root)) == 0 || (p->fds = fdtab_new()) == 0)
		return failf("out of memory for the namespace");
	if ((big = kmalloc(BIGFILE)) == 0)
		return failf("out of memory");
	for (size_t i = 0; i < BIGFILE; i++)
		big[i] = (uint8_t)(i * 7);
	err = make("/tmp", DMDIR | 0777, 0, 0);
	if (!err)
		err = make("/a", DMDIR | 0777, 0, 0);
	if (!err)
		err = make("/a/file", 0666, filetext, sizeof filetext - 1);
	if (!err)
		err = make("/big", 0666, big, BIGFILE);
	kfree(big);
	if (err < 0)
		return failf("building the namespace: %s", lux_errstr(err));
	for (int i = 0; i < NCLI; i++) {
		sc.c[i].out = kmalloc(OUTMAX);
		sc.c[i].net = kmalloc(NETMAX);
		if (!sc.c[i].out || !sc.c[i].net)
			return failf("out of memory for the clients");
	}
	if (arch_conn_simulate(&simops) < 0)
		return failf("the arch cannot simulate connections (not a deterministic run?)");
	ninep_start();
	tsleep_ns(1000000);	/* the listener starts and waits */
	return 0;
}

/* Files the clients left in /tmp (a dropped connection's creates). */
static int clean_tmp(void)
{
	struct lux_dir d;
	char path[LUX_NAMEMAX + 8];
	int fd, r;

	for (;;) {
		if ((fd = sys_open("/tmp", OREAD)) < 0)
			return failf("open /tmp: %s", lux_errstr(fd));
		r = sys_dirent(fd, 0, &d);
		sys_close(fd);
		if (r < 0)
			return failf("read /tmp: %s", lux_errstr(r));
		if (r == 0)
			return 0;
		ksnprintf(path, sizeof path, "/tmp/%s", d.name);
		if ((r = sys_remove(path)) < 0)
			return failf("remove %s: %s", path, lux_errstr(r));
	}
}

static void baseline(void)
{
	struct kalloc_stats ks;

	kalloc_stats(&ks);
	sc.base_objects = ks.live_objects;
	sc.base_large = ks.large_pages;
	sc.base_procs = proc_count();
	sc.base_budgets = budget_count();
	sc.total_pages = accounted_pages();
}

static int step(void)
{
	struct client *c = any_client();
	uint64_t r = rnd(100);

	if (r < 12 || c == 0)
		client_connect();
	else if (r < 50)
		send_some(c, false);
	else if (r < 72) {
		if (!c->slow || rnd(8) == 0)
			read_replies(c, rnd(2) ? NETMAX : 1 + rnd(4096));
	} else if (r < 78)
		drop(c);	/* mid-message, requests in flight, replies queued */
	else if (r < 84)
		c->finishing = true;
	for (int i = 0; i < NCLI; i++)
		if (advance(&sc.c[i]) < 0)
			return -1;
	tsleep_ns(rnd(3) * 500000);	/* the server's procs run meanwhile */
	return check();
}

static int finish_all(struct sim_ctx *ctx)
{
	struct kalloc_stats ks;
	int waited = 0;

	for (int i = 0; i < NCLI; i++)
		sc.c[i].finishing = true;
	for (;;) {
		bool any = false;
		for (int i = 0; i < NCLI; i++) {
			if (advance(&sc.c[i]) < 0)
				return -1;
			any |= sc.c[i].conn != 0;
		}
		if (!any)
			break;
		tsleep_ns(500000);
		if (check() < 0)
			return -1;
	}
	if (clean_tmp() < 0)
		return -1;
	/* the connections' procs clunk their fids and exit */
	while (proc_count() > sc.base_procs && waited++ < 100)
		tsleep_ns(10000000);
	ctx->step = ctx->steps;
	kalloc_stats(&ks);
	if (proc_count() != sc.base_procs || ks.live_objects != sc.base_objects ||
	    ks.large_pages != sc.base_large || budget_count() != sc.base_budgets)
		return failf("after the end: %zu procs (%zu before), %zu objects (%zu), "
		             "%zu large pages (%zu), %zu budgets (%zu)",
		             proc_count(), sc.base_procs, ks.live_objects, sc.base_objects,
		             ks.large_pages, sc.base_large, budget_count(), sc.base_budgets);
	return check();
}

int sim_net_run(struct sim_ctx *ctx)
{
	int r = -1;

	sc.breakflags = ctx->breakflags;
	if (setup() == 0) {
		baseline();
		for (ctx->step = 0; ctx->step < ctx->steps; ctx->step++)
			if (step() < 0)
				break;
		if (ctx->step == ctx->steps)
			r = finish_all(ctx);
	}
	if (r < 0) {
		kstrlcpy(ctx->why, sc.why, sizeof ctx->why);
		return -1;
	}
	kprintf("sim net: %zu connections, %zu dropped, %zu finished, %zu closed by the server; "
	        "%zu requests, %zu replies, %zu flushes, %zu pauses, at most %zu KiB of replies waiting\n",
	        sc.connects, sc.drops, sc.finishes, sc.server_closes, sc.requests,
	        sc.replies, sc.flushes, sc.pauses, sc.peak_queued >> 10);
	return 0;
}
