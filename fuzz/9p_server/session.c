/*
 * The session driver of the 9P server fuzzer (see session.h for the input
 * layout).
 *
 * One kernel boots once per process (kernel.c: core, crypto, our fake
 * arch), with a namespace like luxsim's -- a ramfs root with a few files
 * and directories, /dev and /secure mounted -- and the real server started
 * on it by ninep_start(), its ctl tree mounted at /9p.  Each input is then
 * one connection, played the way an arch plays it: lux_conn_opened, the
 * bytes in chunks through lux_conn_received (only while the server has
 * not paused us), lux_conn_sent as a slow reader drains, and
 * lux_conn_closed.  Every step
 * happens in arch_idle, with every proc asleep, so a run is deterministic
 * and a step's effects are complete when the next one starts.
 *
 * What makes the harness abort (an AFL crash), beside ASan and UBSan:
 *  - a reply that does not decode with the codec, whose size field is not
 *    its length, that is larger than the msize in force, or that answers
 *    no request in flight (its tag and type must fit one; NOTAG only for
 *    a failed Tversion or a goodbye);
 *  - a reply to a request that a Tflush already flushed;
 *  - when every byte was delivered, the connection is still up and the
 *    kernel is idle: a complete request never answered (unless a Tflush
 *    or a later Tversion let the server drop it), or the connection left
 *    paused;
 *  - after the connection is closed and the namespace reset: live kernel
 *    objects, pages, procs, budgets or crypto sessions not back to what
 *    they were before the input (fids, chans, buffers and procs are all
 *    kernel objects or pages, so a leaked one shows), or the server's own
 *    counters (ninep_status) not all zero.
 * Why not luxsim underneath: its arch is a libuv loop with sockets and
 * real time; a fake arch gives the driver a quiescent point (arch_idle)
 * and costs nothing per input, so one boot serves thousands of inputs and
 * the per-input state is fresh where it matters -- a new connection
 * (slot, proc, fid table, buffers) and a namespace put back exactly, which
 * the leak check proves.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lux/9p.h>
#include "9p/srv/9psrv.h"
#include <lux/proc.h>
#include <lux/upcall.h>

#include "session.h"

#define MAXREQ (FUZZ_MAXINPUT / P9_HDRSZ + 8)
#define PRE_MSIZE 8192u
#define ATTACH_TAG 0xFFF0u

static const size_t chunks[8] = { LUX_CONN_CHUNK, 1, 2, 3, 7, 13, 100, 4096 };

/* ---- The peer's side of one connection ----------------------------------- */

struct req {
	uint16_t tag;
	uint8_t type;
	bool live;		/* sent, not answered yet */
	bool optional;		/* a later Tversion lets the server drop it */
	bool flushed;		/* a Tflush for it was answered */
	bool vok;		/* Tversion: the codec accepts it (else the server
				 * answers an error and the session goes on) */
	uint32_t vmsize;	/* Tversion: the msize asked for */
	uint16_t oldtag;	/* Tflush: the tag it flushes */
};

static struct {
	fuzz_next_fn next;
	struct fuzz_held base;
	/* the harness proc's reset, requested from the idle loop */
	struct waitq resetq;
	bool reset_wanted;
	int phase;
	/* the connection of the current input */
	int conn;		/* its id; a new one per input */
	uint8_t mode;
	uint8_t *stream;	/* preamble + input: what the peer sends */
	size_t len, sent, framed;	/* bytes; framed: requests registered up to here */
	bool framing_broken;	/* a size field the server must refuse */
	bool paused, server_closed, hung_up;
	size_t queued;		/* slow reader: reply bytes not read yet */
	uint32_t msize;		/* in force, as the replies say */
	enum p9_dialect d;
	bool uncertain;		/* a Tversion may have failed: d and msize unknown */
	struct req reqs[MAXREQ];
	size_t nreq, first_live;
	bool trace;		/* FUZZ_TRACE=1: print requests and replies */
} f;

static int warmup_done(const uint8_t **data, size_t *len);

enum { P_BOOT, P_NEXT, P_FEED, P_CLOSE, P_RESET, P_CHECK };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *type_name(uint8_t t)
{
	const char *n = p9_type_name(t);
	return n ? n : "?";
}

static void settle_all(size_t before);

/* Register the requests complete in stream[0..sent), framing as the
 * server does (a size below the header or past any msize ends it). */
static void frame_requests(void)
{
	while (!f.framing_broken && f.sent - f.framed >= 4) {
		uint32_t size = le32(f.stream + f.framed);
		struct p9_msg m;
		struct req *r;

		if (size < P9_HDRSZ || size > NINEP_MSIZE) {
			f.framing_broken = true;	/* the server says goodbye */
			return;
		}
		if (f.sent - f.framed < size)
			return;
		if (f.nreq == MAXREQ)
			fuzz_fail("more than %zu requests in one input", (size_t)MAXREQ);
		r = &f.reqs[f.nreq++];
		memset(r, 0, sizeof *r);
		r->type = f.stream[f.framed + 4];
		r->tag = (uint16_t)(f.stream[f.framed + 5] | f.stream[f.framed + 6] << 8);
		r->live = true;
		if (f.trace)
			fprintf(stderr, "  -> %s tag %u, %u bytes\n", type_name(r->type), r->tag, size);
		if (r->type == P9_TVERSION &&
		    p9_decode(f.stream + f.framed, size, NINEP_MSIZE, P9_NONE, P9_TMSG, &m) == 0) {
			r->vok = true;
			r->vmsize = m.u.version.msize;
		}
		if (r->type == P9_TVERSION) {
			/* version(5): a new session aborts all outstanding I/O (the
			 * server does so for anything typed Tversion): what came
			 * before may go unanswered */
			settle_all(f.nreq - 1);
			for (size_t i = f.first_live; i + 1 < f.nreq; i++)
				f.reqs[i].optional = true;
		}
		if (r->type == P9_TFLUSH && size == P9_HDRSZ + 2)
			r->oldtag = (uint16_t)(f.stream[f.framed + 7] | f.stream[f.framed + 8] << 8);
		f.framed += size;
	}
}

static bool is_error(uint8_t type)
{
	return type == P9_RERROR || type == P9_RLERROR;
}

/*
 * Matching replies to requests.  A well-behaved client never has two
 * requests with one tag in flight; a fuzzed one does, and then which of
 * them an error answers is not knowable from the bytes (the server
 * refuses a duplicate at once, "tag N is already in flight", while the
 * first is still running).  So a success reply takes the oldest request
 * in flight with its tag and the type it answers, and an error reply
 * becomes a credit on its tag: it answers one of them, and the tag must
 * never have more errors than requests.  That is exact: errors fit any
 * request, so greedy type matching plus the count decides whether some
 * assignment exists.
 */
static uint32_t credits[65536];	/* error replies per tag, not tied to a request */
static uint16_t credited[MAXREQ];	/* tags with credits, to clear */
static size_t ncredited;

static size_t live_with_tag(uint16_t tag)
{
	size_t n = 0;

	for (size_t i = f.first_live; i < f.nreq; i++)
		n += f.reqs[i].live && f.reqs[i].tag == tag;
	return n;
}

static void answered(struct req *q)
{
	q->live = false;
	while (f.first_live < f.nreq && !f.reqs[f.first_live].live)
		f.first_live++;
}

/* Requests with tag `tag` from before index `before` take the tag's
 * credits, oldest first (their error replies came already). */
static void settle(uint16_t tag, size_t before)
{
	for (size_t i = f.first_live; i < before && credits[tag] > 0; i++)
		if (f.reqs[i].live && f.reqs[i].tag == tag) {
			credits[tag]--;
			answered(&f.reqs[i]);
		}
}

/* Every request before index `before` takes its tag's credits: those
 * the server had to answer first, then those a Tversion let it drop. */
static void settle_all(size_t before)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = f.first_live; i < before; i++)
			if (f.reqs[i].live && f.reqs[i].optional == (pass == 1) &&
			    credits[f.reqs[i].tag] > 0) {
				credits[f.reqs[i].tag]--;
				answered(&f.reqs[i]);
			}
}

static bool fits(const struct req *q, const struct p9_msg *r)
{
	if (!q->live || q->tag != r->tag || q->type % 2 != 0 || r->type != q->type + 1)
		return false;
	if (r->type != P9_RVERSION)
		return true;
	/* an Rversion answers a Tversion the codec accepts, with no larger
	 * msize, and no smaller than the floor unless it says "unknown" */
	return q->vok && r->u.version.msize <= q->vmsize &&
	       (q->vmsize >= P9_MSIZE_MIN ||
	        p9_dialect_of(r->u.version.version.s, r->u.version.version.len) == P9_NONE);
}

static void error_reply(const struct p9_msg *r)
{
	if (live_with_tag(r->tag) <= credits[r->tag]) {
		if (r->tag == P9_NOTAG)
			return;	/* a goodbye before closing: no request of its own */
		fuzz_fail("%s tag %u answers no request in flight (%u errors for it already)",
		          type_name(r->type), r->tag, credits[r->tag]);
	}
	if (credits[r->tag]++ == 0 && ncredited < MAXREQ)
		credited[ncredited++] = r->tag;
	/* a failed Tversion ends the session: which dialect and msize are in
	 * force is not certain until the next Rversion */
	for (size_t i = f.first_live; i < f.nreq && r->tag == P9_NOTAG; i++)
		if (f.reqs[i].live && f.reqs[i].type == P9_TVERSION && f.reqs[i].vok)
			f.uncertain = true;
}

static void success_reply(const struct p9_msg *r)
{
	struct req *q = 0;

	for (size_t i = f.first_live; i < f.nreq && !q; i++)
		if (fits(&f.reqs[i], r))
			q = &f.reqs[i];
	if (q == 0) {
		for (size_t i = 0; i < f.nreq; i++)
			if (f.reqs[i].flushed && f.reqs[i].tag == r->tag)
				fuzz_fail("%s tag %u answers a request already flushed", type_name(r->type),
				          r->tag);
		fuzz_fail("%s tag %u answers no request in flight", type_name(r->type), r->tag);
	}
	answered(q);
	if (live_with_tag(r->tag) < credits[r->tag])
		fuzz_fail("tag %u has more replies than requests", r->tag);
	if (r->type == P9_RVERSION) {
		f.d = p9_dialect_of(r->u.version.version.s, r->u.version.version.len);
		f.msize = f.d == P9_NONE ? NINEP_MSIZE : r->u.version.msize;
		f.uncertain = false;
	}
	if (r->type == P9_RFLUSH) {
		/* the flushed request's reply, if any, came before the Rflush;
		 * after it nothing may answer it */
		size_t at = (size_t)(q - f.reqs);
		settle(q->oldtag, at);
		for (size_t i = f.first_live; i < at; i++)
			if (f.reqs[i].live && f.reqs[i].tag == q->oldtag) {
				f.reqs[i].flushed = true;
				answered(&f.reqs[i]);
			}
	}
}

static int decode_reply(const uint8_t *buf, size_t n, struct p9_msg *r)
{
	static const enum p9_dialect all[] = { P9_NONE, P9_2000, P9_2000L };
	uint32_t msize = f.uncertain ? NINEP_MSIZE : f.msize;
	int err;

	/* version replies are encoded before any dialect is in force, and so
	 * is the error for a failed Tversion */
	if (buf[4] == P9_RVERSION || (is_error(buf[4]) && buf[5] == 0xFF && buf[6] == 0xFF))
		if (p9_decode(buf, n, msize, P9_NONE, P9_RMSG, r) == 0)
			return 0;
	if ((err = p9_decode(buf, n, msize, f.d, P9_RMSG, r)) == 0 || !f.uncertain)
		return err;
	for (size_t i = 0; i < nelem(all); i++)
		if (p9_decode(buf, n, msize, all[i], P9_RMSG, r) == 0)
			return 0;
	return err;
}

static void check_reply(const uint8_t *buf, size_t n)
{
	struct p9_msg r;
	int err;

	if (n < P9_HDRSZ || le32(buf) != n)
		fuzz_fail("reply of %zu bytes with size field %u", n, n >= 4 ? le32(buf) : 0);
	if (n > (f.uncertain ? NINEP_MSIZE : f.msize))
		fuzz_fail("a %s of %zu bytes exceeds msize %u", type_name(buf[4]), n, f.msize);
	if ((err = decode_reply(buf, n, &r)) < 0) {
		char why[200];
		p9_explain(why, sizeof why, err, &r);
		fuzz_fail("a reply the codec rejects (dialect %d): %s", (int)f.d, why);
	}
	if (f.trace)
		fprintf(stderr, "  <- %s tag %u, %zu bytes %.*s\n", type_name(r.type), r.tag, n,
		        r.type == P9_RERROR ? (int)r.u.rerror.ename.len : 0,
		        r.type == P9_RERROR ? r.u.rerror.ename.s : "");
	if (is_error(r.type))
		error_reply(&r);
	else
		success_reply(&r);
}

long fuzz_conn_send(int conn, const void *buf, size_t n)
{
	if (conn != f.conn || f.hung_up || f.server_closed)
		return -1;	/* as an arch answers for a closed connection */
	check_reply(buf, n);
	if (f.mode & 0x20) {
		f.queued += n;
		return (long)f.queued;
	}
	return 0;
}

void fuzz_conn_close(int conn)
{
	if (conn == f.conn)
		f.server_closed = true;
}

void fuzz_conn_pause(int conn, int paused)
{
	if (conn == f.conn)
		f.paused = paused != 0;
}

/* ---- Inputs ------------------------------------------------------------- */

static size_t put_msg(uint8_t *out, struct p9_msg *m, enum p9_dialect d)
{
	int n = p9_encode(m, out, PRE_MSIZE, d);

	if (n < 0)
		fuzz_fail("cannot encode the preamble: %s", p9_strerror(n));
	return (size_t)n;
}

static size_t preamble(uint8_t *out, int kind)
{
	static const char *const versions[] = { "9P2000", "9P2000.L", "9P2000" };
	struct p9_msg m = { .type = P9_TVERSION, .tag = P9_NOTAG };
	enum p9_dialect d = kind == 1 ? P9_2000L : P9_2000;
	size_t n;

	if (kind == 3)
		return 0;
	m.u.version.msize = PRE_MSIZE;
	m.u.version.version = p9_str_c(versions[kind]);
	n = put_msg(out, &m, P9_NONE);
	if (kind == 2)
		return n;
	m = (struct p9_msg){ .type = P9_TATTACH, .tag = ATTACH_TAG };
	m.u.tattach.fid = 0;
	m.u.tattach.afid = P9_NOFID;
	m.u.tattach.uname = p9_str_c("fuzz");
	m.u.tattach.aname = p9_str_c("");
	m.u.tattach.n_uname = P9_NONUNAME;
	return n + put_msg(out + n, &m, d);
}

static void begin_input(const uint8_t *data, size_t len)
{
	static uint8_t stream[FUZZ_MAXINPUT + 256];

	if (len > FUZZ_MAXINPUT)
		len = FUZZ_MAXINPUT;
	f.mode = len ? data[0] : 0;
	f.len = preamble(stream, f.mode & 3);
	if (len > 1)
		memcpy(stream + f.len, data + 1, len - 1);
	f.len += len > 1 ? len - 1 : 0;
	f.stream = stream;
	f.sent = f.framed = f.nreq = f.first_live = f.queued = 0;
	f.framing_broken = f.paused = f.server_closed = f.hung_up = false;
	f.msize = NINEP_MSIZE;
	f.d = P9_NONE;
	f.uncertain = false;
	while (ncredited > 0)
		credits[credited[--ncredited]] = 0;
	f.conn = (int)(fuzz_inputs++ % 1000000) + 1;	/* never reused while open */
	{	/* the host owner on a local socket: it may do everything the
		 * server serves, so every handler is within the fuzzer's reach */
		struct lux_peer peer = { "fuzz!peer", LUX_PEER_LOCAL, 0 };
		lux_conn_opened(f.conn, &peer);
	}
}

static void check_all_answered(void)
{
	settle_all(f.nreq);
	for (size_t i = f.first_live; i < f.nreq; i++) {
		const struct req *q = &f.reqs[i];
		if (q->live && !q->optional)
			fuzz_fail("request %zu (%s tag %u) never answered; the kernel is idle", i,
			          type_name(q->type), q->tag);
	}
	if (f.paused)
		fuzz_fail("the connection stays paused with nothing running");
}

/* One chunk, then back to the kernel.  false when there is nothing left. */
static bool feed(void)
{
	size_t n = chunks[(f.mode >> 2) & 7];

	if (f.queued) {	/* the slow reader reads everything now */
		f.queued = 0;
		lux_conn_sent(f.conn, 0);
		return true;
	}
	if (f.server_closed || f.sent == f.len)
		return false;
	if (f.paused)
		fuzz_fail("the connection stays paused with nothing running");
	if (n > f.len - f.sent)
		n = f.len - f.sent;
	{	/* as the arch reads: no more than the room the server has; none
		 * pauses us, and the kernel must make room and resume us before
		 * it goes idle (the check above, next time round) */
		size_t room = lux_conn_room(f.conn);
		if (room == 0) {
			f.paused = true;
			return true;
		}
		if (n > room)
			n = room;
	}
	lux_conn_received(f.conn, f.stream + f.sent, n);
	f.sent += n;
	frame_requests();
	if (f.sent == f.len && (f.mode & 0x40)) {	/* hang up with requests in flight */
		f.hung_up = true;
		lux_conn_closed(f.conn);
	}
	return true;
}

/* ---- The driver ----------------------------------------------------------- */

void fuzz_session_step(void)
{
	const uint8_t *data;
	size_t len;

	for (;;) {
		switch (f.phase) {
		case P_BOOT:
			fuzz_fail("the kernel went idle before the harness proc was ready");
		case P_NEXT:
			if (!f.next(&data, &len))
				exit(0);
			begin_input(data, len);
			f.phase = P_FEED;
			return;
		case P_FEED:
			if (feed())
				return;
			if (!f.server_closed && !f.hung_up && !f.framing_broken)
				check_all_answered();
			f.phase = P_CLOSE;
			continue;
		case P_CLOSE:
			f.phase = P_RESET;
			if (!f.hung_up) {	/* the peer hangs up; or the arch confirms our close */
				f.hung_up = true;
				lux_conn_closed(f.conn);
				return;
			}
			continue;
		case P_RESET:
			f.phase = P_CHECK;
			f.reset_wanted = true;
			wakeup(&f.resetq);
			return;
		case P_CHECK:
			if (f.reset_wanted)
				fuzz_fail("the namespace reset did not finish");
			if (f.next != warmup_done)	/* the warm-up sets the baseline */
				fuzz_check_held(&f.base);
			f.phase = P_NEXT;
			continue;
		}
	}
}

static bool reset_requested(void *arg)
{
	(void)arg;
	return f.reset_wanted;
}

/* The harness proc: builds and serves the namespace, then puts it back
 * whenever the driver asks. */
static void harness_proc(void *arg)
{
	(void)arg;
	fuzz_build_namespace();
	ninep_start();
	ninep_mount_ctl();
	f.phase = P_NEXT;
	for (;;) {
		sleep_on_unint(&f.resetq, reset_requested, 0);
		fuzz_reset_namespace();
		f.reset_wanted = false;
	}
}

/* The first input warms the kernel up (slabs, the listener's first
 * spawn); the baseline is what it holds afterwards. */
static int warmup(const uint8_t **data, size_t *len)
{
	static uint8_t in[512];
	struct p9_msg m = { .type = P9_TWALK, .tag = 1 };
	size_t n = 1;

	in[0] = 0;	/* 9P2000 version + attach */
	m.u.twalk.fid = 0;
	m.u.twalk.newfid = 1;
	m.u.twalk.nwname = 2;
	m.u.twalk.wname[0] = p9_str_c("a");
	m.u.twalk.wname[1] = p9_str_c("file");
	n += put_msg(in + n, &m, P9_2000);
	m = (struct p9_msg){ .type = P9_TOPEN, .tag = 2 };
	m.u.topen.fid = 1;
	n += put_msg(in + n, &m, P9_2000);
	m = (struct p9_msg){ .type = P9_TREAD, .tag = 3 };
	m.u.tread.fid = 1;
	m.u.tread.count = 100;
	n += put_msg(in + n, &m, P9_2000);
	*data = in;
	*len = n;
	f.next = warmup_done;
	return 1;
}

static fuzz_next_fn user_next;

static int warmup_done(const uint8_t **data, size_t *len)
{
	fuzz_count_held(&f.base);
	f.next = user_next;
	return f.next(data, len);
}

_Noreturn void fuzz_run(fuzz_next_fn next)
{
	fuzz_boot();
	waitq_init(&f.resetq);
	user_next = next;
	f.trace = getenv("FUZZ_TRACE") != 0;
	f.next = warmup;
	f.phase = P_BOOT;
	if (proc_create("fuzz", PRIO_NORMAL, harness_proc, 0, PROC_DETACHED) == 0)
		fuzz_fail("cannot create the harness proc");
	sched_idle_loop();
}
