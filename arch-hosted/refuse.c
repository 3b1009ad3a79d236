/*
 * Connections the host cannot keep: the connection table is at its
 * bound (conntab.c: the open files limit, less a reserve), so a new one
 * is taken off the listen queue, told why in 9P and closed, the way the
 * core answers the connections it refuses (docs/9p.md, "Refusals speak
 * 9P"): a client sees a reason, not a bare hang-up it might retry at once.
 *
 * The answer waits (REFUSE_WAIT_MS at most) for the first message, to
 * answer in its dialect: a Tversion asking for 9P2000.L gets Rlerror
 * ENFILE (.L carries only an errno), anything else, or nothing in time,
 * the 9P2000 Rerror, which every client can read before Tversion.  Then
 * the write side is shut and the rest read and dropped until the peer
 * hangs up (or the wait ends): closing a socket with unread input resets
 * it, and a reset may destroy the answer before the client reads it.
 *
 * Each one being answered holds a file descriptor from the reserve, so
 * only REFUSE_MAX at once; more are closed without a word.  What a
 * person needs to know goes to stderr, once when refusals start and then
 * one summary per REPORT_MS, never a line per connection (any client
 * could flood the console).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "conntab.h"
#include "hostcalls.h"
#include "internal.h"

#define REFUSE_MAX 16		/* answered at once (fds from the reserve) */
#define REFUSE_WAIT_MS 1000	/* for the first message; then for the hang-up */
#define REPORT_MS 10000		/* one summary line per this */
/* size[4] type[1] tag[2] msize[4] len[2] "9P2000.L": enough to know a .L Tversion */
#define PEEK 21

#define T_VERSION 100
#define R_LERROR 7
#define R_ERROR 107
#define NOTAG 0xFFFF
#define L_ENFILE 23		/* Linux's errno: the server's table is full */

struct refused {
	union hosted_stream h;
	uv_timer_t wait;
	uv_shutdown_t shut;
	uint8_t peek[PEEK];
	size_t have;
	int answered;
	int open_handles;	/* freed when both h and wait are closed */
};

static int refusing;
static char sink[4096];	/* what a refused client sends after its first message */

static struct {
	unsigned long refused, silent;	/* since the last report */
	int timer_on;
	uv_timer_t timer;
} tally;

/* ---- The console ------------------------------------------------------ */

static unsigned long long nofile(void)
{
	struct rlimit rl;

	if (hostcalls.getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	return (unsigned long long)rl.rlim_cur;
}

static void on_report(uv_timer_t *t)
{
	if (tally.refused == 0) {	/* a quiet interval: the next refusal speaks at once */
		tally.timer_on = 0;
		return;
	}
	hosted_warn(
	    "luxsim: refused %lu connections in the last %d s for lack of file "
	    "descriptors (%lu without a 9P answer); %d/%d connections open, ulimit -n %llu\n",
	    tally.refused, REPORT_MS / 1000, tally.silent, conntab_count(), conntab_bound(),
	    nofile());
	tally.refused = tally.silent = 0;
	uv_timer_start(t, on_report, REPORT_MS, 0);
}

static void count(int silent)
{
	tally.refused++;
	tally.silent += silent != 0;
	if (!tally.timer_on) {
		hosted_warn(
		    "luxsim: refusing connections: out of file descriptors: %d/%d "
		    "connections open (ulimit -n %llu; raise it with 'ulimit -Hn' as root)\n",
		    conntab_count(), conntab_bound(), nofile());
		uv_timer_init(hosted_loop(), &tally.timer);
		uv_unref((uv_handle_t *)&tally.timer);	/* never keeps the loop alive */
		uv_timer_start(&tally.timer, on_report, REPORT_MS, 0);
		tally.timer_on = 1;
	}
}

void hosted_refuse_nofd(int err)
{
	(void)err;	/* EMFILE or ENFILE alike: libuv closed what was queued */
	count(1);
}

/* ---- One refused connection ------------------------------------------- */

static void on_freed(uv_handle_t *h)
{
	struct refused *r = h->data;

	if (--r->open_handles == 0) {
		free(r);
		refusing--;
	}
}

static void finish(struct refused *r)
{
	if (uv_is_closing(&r->h.handle))
		return;
	uv_close(&r->h.handle, on_freed);
	uv_close((uv_handle_t *)&r->wait, on_freed);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xFFFF), put16(p + 2, v >> 16);
}

/* The answer for what was peeked (perhaps nothing) into out: its length. */
static size_t answer(const struct refused *r, uint8_t *out, size_t cap)
{
	static const char dotl[] = "9P2000.L";
	unsigned tag = r->have >= 7 ? (unsigned)(r->peek[5] | r->peek[6] << 8) : NOTAG;
	char ename[160];
	size_t n;

	if (r->have >= PEEK && r->peek[4] == T_VERSION && r->peek[11] == sizeof dotl - 1 &&
	    r->peek[12] == 0 && memcmp(r->peek + 13, dotl, sizeof dotl - 1) == 0) {
		put32(out, 11), out[4] = R_LERROR, put16(out + 5, tag), put32(out + 7, L_ENFILE);
		return 11;
	}
	snprintf(ename, sizeof ename,
	         "no file descriptors: connections %d/%d (luxsim's "
	         "ulimit -n is %llu)",
	         conntab_count(), conntab_bound(), nofile());
	n = strlen(ename);
	if (9 + n > cap)
		n = cap - 9;
	put32(out, (uint32_t)(9 + n)), out[4] = R_ERROR, put16(out + 5, tag),
				       put16(out + 7, (unsigned)n);
	memcpy(out + 9, ename, n);
	return 9 + n;
}

static void on_tmp_closed(uv_handle_t *h)
{
	free(h);
}

static void on_shut(uv_shutdown_t *req, int status)
{
	(void)req, (void)status;	/* reading on until the hang-up or the wait's end */
}

static void on_wait(uv_timer_t *t);

static void reply(struct refused *r)
{
	uint8_t out[200];
	uv_buf_t b;

	r->answered = 1;
	b = uv_buf_init((char *)out, (unsigned)answer(r, out, sizeof out));
	/* a fresh socket's send buffer takes 200 bytes whole; if it does not, the
	 * peer is gone or broken and there is nobody to tell */
	if (uv_try_write(&r->h.stream, &b, 1) != (int)b.len) {
		finish(r);
		return;
	}
	r->shut.data = r;
	if (uv_shutdown(&r->shut, &r->h.stream, on_shut) != 0) {
		finish(r);
		return;
	}
	uv_timer_start(&r->wait, on_wait, REFUSE_WAIT_MS, 0);
}

static void on_wait(uv_timer_t *t)
{
	struct refused *r = t->data;

	if (r->answered)
		finish(r);	/* it never hung up: enough */
	else
		reply(r);	/* it said nothing: the 9P2000 form */
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct refused *r = h->data;

	(void)suggested;
	if (r->answered)
		*b = uv_buf_init(sink, sizeof sink);
	else
		*b = uv_buf_init((char *)r->peek + r->have, (unsigned)(PEEK - r->have));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct refused *r = s->data;
	uint32_t size;

	(void)b;
	if (n < 0) {
		finish(r);	/* gone, or hung up after the answer */
		return;
	}
	if (r->answered || n == 0)
		return;
	r->have += (size_t)n;
	size = r->have >= 4 ? (uint32_t)(r->peek[0] | r->peek[1] << 8 | r->peek[2] << 16 |
	                                 (uint32_t)r->peek[3] << 24)
	                    : 0;
	/* the first message is here, or as much of it as decides the dialect */
	if (r->have == PEEK || (r->have >= 7 && size <= r->have))
		reply(r);
}

int hosted_refuse(uv_stream_t *server, int is_unix)
{
	struct refused *r;

	if (refusing >= REFUSE_MAX || (r = calloc(1, sizeof *r)) == NULL) {
		union hosted_stream *tmp = malloc(sizeof *tmp);

		if (tmp == NULL)	/* not even that: the caller must not leave it queued */
			return -1;
		count(1);
		if (is_unix)
			uv_pipe_init(hosted_loop(), &tmp->pipe, 0);
		else
			uv_tcp_init(hosted_loop(), &tmp->tcp);
		uv_accept(server, &tmp->stream);
		uv_close(&tmp->handle, on_tmp_closed);
		return 0;
	}
	count(0);
	refusing++;
	if (is_unix)
		uv_pipe_init(hosted_loop(), &r->h.pipe, 0);
	else
		uv_tcp_init(hosted_loop(), &r->h.tcp);
	r->h.handle.data = r;
	uv_timer_init(hosted_loop(), &r->wait);
	r->wait.data = r;
	r->open_handles = 2;
	if (uv_accept(server, &r->h.stream) != 0 ||
	    uv_read_start(&r->h.stream, on_alloc, on_read) != 0) {
		finish(r);
		return 0;
	}
	uv_timer_start(&r->wait, on_wait, REFUSE_WAIT_MS, 0);
	return 0;
}
