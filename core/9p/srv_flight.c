/*
 * The 9P server's requests in flight (see <lux/9psrv.h>, docs/9p.md):
 * the tag table and the queue the reader fills, the workers that empty
 * it, how a request ends (complete: its answer, the Rflushes that waited
 * for it, its pebbles given back), Tflush and Tversion.
 *
 * The reader, the workers and complete() share the tag table, the queue
 * and the workers' states: all of it changes with upcalls off, which is
 * what keeps a preempting timer out.  A worker's pid is read and killed
 * in the same such section, so a kill meant for one request never hits
 * the next one that worker takes.
 */
#include <lux/9psrv.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/pebble.h>
#include <lux/string.h>

/* ---- Requests in flight ----------------------------------------------- */

struct ninep_req *ninep_req_find(struct ninep_conn *s, uint16_t tag)
{
	for (struct ninep_req *r = s->reqs; r; r = r->next)
		if (r->tag == tag)
			return r;
	return 0;
}

static void req_unlink(struct ninep_conn *s, struct ninep_req *r)
{
	for (struct ninep_req **p = &s->reqs; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			return;
		}
	}
}

static void queue_remove(struct ninep_conn *s, struct ninep_req *r)
{
	struct ninep_req *prev = 0;

	for (struct ninep_req *q = s->qhead; q; prev = q, q = q->qnext) {
		if (q != r)
			continue;
		if (prev)
			prev->qnext = r->qnext;
		else
			s->qhead = r->qnext;
		if (s->qtail == r)
			s->qtail = prev;
		break;
	}
	r->queued = false;
	r->qnext = 0;
}

static void req_free(struct ninep_conn *s, struct ninep_req *r)
{
	arch_irqstate is;

	if (r->reserve) {
		is = arch_irq_save();
		s->flushreserve--;
		arch_irq_restore(is);
	} else {
		ninep_uncharge(s, r->charged);
		budget_release(s->budget, PB_REQS, 1);
	}
	kfree(r);
}

void ninep_req_free(struct ninep_conn *s, struct ninep_req *r)
{
	req_free(s, r);
}

/* Does r do something that cannot be taken back even when it fails?
 * remove(5): the fid is clunked whether or not the file went. */
static bool irrevocable(const struct ninep_req *r)
{
	return r->type == P9_TCLUNK || r->type == P9_TREMOVE;
}

/* r has ended (x: its context and reply; 0 when it never ran).  Answer it
 * unless flush(5) says not to, then the Tflushes that waited for it, in
 * the order they came: the reply, if any, always precedes the Rflush.
 *
 * r stays in the tag table until its fids are let go: letting go of the
 * last user of a clunked fid closes its chan, which may sleep (a mounted
 * file's Tclunk waits for its server), and a Tflush arriving meanwhile
 * must find r and wait for its answer, not be answered at once ahead of
 * it.  It may still kill us there: the close is cut short, the clunk is
 * done all the same and answered. */
static void complete(struct ninep_conn *s, struct ninep_req *r, struct ninep_ctx *x, int rlen)
{
	arch_irqstate is;
	struct ninep_req *fl;
	bool answer, undo = false;

	if (x && rlen < 0)
		s->fatal = true;	/* ninep_handle's "close it" */
	if (x) {
		/* finished before the flush reached it: a walk's or attach's
		 * new fid we can take back, and do, so the client may forget
		 * the request; decided while we still hold the fid */
		is = arch_irq_save();
		undo = r->flushed && x->err == 0 && x->newfid != 0;
		arch_irq_restore(is);
		if (undo)
			ninep_fid_clunk(s, x->newfid);
		/* before the answer too: the client may use the fid at once */
		ninep_fid_release_all(s, x);
	}
	is = arch_irq_save();
	answer = x && rlen > 0 && !s->aborting;
	if (r->flushed && answer)	/* answer only what changed something */
		answer = !undo && (x->err == 0 || irrevocable(r));
	req_unlink(s, r);	/* before the answer: the client may reuse the tag at once */
	fl = r->flushes;
	for (struct ninep_req *f = fl; f; f = f->flushes)
		req_unlink(s, f);
	arch_irq_restore(is);
	if (answer)
		ninep_send(s, x->out, (size_t)rlen);
	while (fl) {
		struct ninep_req *f = fl;
		fl = f->flushes;
		if (!s->aborting)
			ninep_send_rflush(s, f->tag);
		req_free(s, f);
	}
	req_free(s, r);
	wakeup(&s->wq);
}

/* ---- Workers ---------------------------------------------------------- */

static bool has_work(void *arg)
{
	struct ninep_conn *s = arg;

	return s->qhead != 0 || s->closing;
}

static void worker(void *arg)
{
	struct ninep_worker *w = arg;
	struct ninep_conn *s = w->conn;
	arch_irqstate is;

	is = arch_irq_save();
	w->p = curproc();	/* ninep_ctx_of finds us by it, from the start */
	arch_irq_restore(is);
	/* the client's per-proc state (crypto sessions) is the reader's, so
	 * it is the same whichever worker runs a request (<lux/proc.h>) */
	curproc()->principal = s->rx.p;
	curproc()->actlock = &s->actlock;
	for (;;) {
		struct ninep_req *r;
		int rlen;
		if (sleep_on(&s->workq, has_work, s) < 0)
			break;	/* killed while idle: a Tversion or the end */
		is = arch_irq_save();
		if (s->closing || (r = s->qhead) == 0) {
			bool closing = s->closing;
			arch_irq_restore(is);
			if (closing)
				break;
			continue;	/* another worker took it */
		}
		queue_remove(s, r);
		r->pid = curproc()->pid;
		w->idle = false;
		arch_irq_restore(is);
		w->x.err = 0;
		w->x.newfid = 0;
		rlen = ninep_handle(s, &w->x, r->msg, r->len);
		complete(s, r, &w->x, rlen);
		if (curproc()->killed)
			break;	/* a flush interrupted us: kill is for good */
		is = arch_irq_save();
		w->idle = true;
		arch_irq_restore(is);
	}
	is = arch_irq_save();
	w->idle = false;
	w->done = true;
	arch_irq_restore(is);
	wakeup(&s->wq);
	proc_exit(0);
}

static size_t live_workers(struct ninep_conn *s)
{
	size_t n = 0;

	for (size_t i = 0; i < NINEP_WORKERS; i++)
		n += s->workers[i].p != 0 && !s->workers[i].done;
	return n;
}

/* Join the workers that have exited and free their buffers. */
static void reap(struct ninep_conn *s)
{
	for (size_t i = 0; i < NINEP_WORKERS; i++) {
		struct ninep_worker *w = &s->workers[i];
		if (w->p == 0 || !w->done)
			continue;
		proc_join(w->p);
		kfree(w->x.out);
		ninep_uncharge(s, w->x.cap);
		kmemset(w, 0, sizeof *w);
		s->spawnfail = false;
	}
}

/* Queued work and no idle worker: start one, if the budget allows.  When
 * none can run at all, the queued requests are answered with why. */
static void ensure_worker(struct ninep_conn *s)
{
	static const struct pebbles none;	/* workers create nothing */
	struct ninep_worker *w = 0;
	struct proc *p;
	uint8_t *buf = 0;
	int err;

	if (s->qhead == 0 || s->closing || s->aborting || s->spawnfail)
		return;
	for (size_t i = 0; i < NINEP_WORKERS; i++) {
		if (s->workers[i].p && s->workers[i].idle)
			return;
		if (s->workers[i].p == 0 && w == 0)
			w = &s->workers[i];
	}
	if (w == 0)
		return;	/* all busy: the queue waits */
	if ((err = ninep_charge(s, s->msize)) == 0 && (buf = kmalloc(s->msize)) == 0) {
		ninep_uncharge(s, s->msize);
		err = E_NOMEM;
	}
	if (err == 0) {
		w->conn = s;
		w->x.out = buf;
		w->x.cap = s->msize;
		w->idle = true;
		p = proc_spawn("9pwork", PRIO_NORMAL, worker, w, 0, &none, &err);
		if (p) {
			arch_irqstate is = arch_irq_save();
			w->p = p;
			arch_irq_restore(is);
			return;
		}
		kfree(buf);
		ninep_uncharge(s, s->msize);
		kmemset(w, 0, sizeof *w);
	}
	s->spawnfail = true;	/* until a worker is joined */
	if (live_workers(s) > 0)
		return;
	/* nobody can serve the queue: answer it (the reader's errstr says why) */
	for (;;) {
		arch_irqstate is = arch_irq_save();
		struct ninep_req *r = s->qhead;
		if (r)
			queue_remove(s, r);
		arch_irq_restore(is);
		if (r == 0)
			break;
		ninep_send_error(s, r->tag, err, 0);
		r->flushed = true;
		complete(s, r, 0, 0);
	}
	s->spawnfail = false;
}

/* Drop every request in flight unanswered (a Tversion, or the end) and
 * stop every worker; wait for them.  With upcalls off, then on. */
static bool all_stopped(void *arg)
{
	struct ninep_conn *s = arg;

	return s->reqs == 0 && live_workers(s) == 0;
}

void ninep_stop_all(struct ninep_conn *s)
{
	for (;;) {
		arch_irqstate is = arch_irq_save();
		struct ninep_req *q = s->qhead;
		if (q)
			queue_remove(s, q);
		arch_irq_restore(is);
		if (q == 0)
			break;
		q->flushed = true;
		complete(s, q, 0, 0);
	}
	arch_irqstate is = arch_irq_save();
	for (size_t i = 0; i < NINEP_WORKERS; i++)
		if (s->workers[i].p && !s->workers[i].done)
			proc_kill(s->workers[i].p->pid);
	for (struct ninep_req *r = s->reqs; r; r = r->next)
		r->flushed = true;
	arch_irq_restore(is);
	wakeup(&s->workq);
	sleep_on_unint(&s->wq, all_stopped, s);
	reap(s);
}

/* ---- Tversion and Tflush, for the reader ------------------------------ */

void ninep_version(struct ninep_conn *s, struct ninep_req *r)
{
	int n;

	/* version(5): a new session aborts all outstanding I/O */
	s->aborting = true;
	ninep_stop_all(s);
	s->aborting = false;
	s->rx.out = s->rbuf;
	s->rx.cap = sizeof s->rbuf;
	n = ninep_handle(s, &s->rx, r->msg, r->len);
	ninep_fid_release_all(s, &s->rx);
	if (n > 0)
		ninep_send(s, s->rbuf, (size_t)n);
	req_free(s, r);
}

void ninep_flush(struct ninep_conn *s, struct ninep_req *r)
{
	uint16_t old = (uint16_t)(r->msg[7] | r->msg[8] << 8);
	arch_irqstate is = arch_irq_save();
	struct ninep_req *t = ninep_req_find(s, old), **tail;
	bool unrun = false;

	/* a flush of a flush waits for the same; a Tflush the reader did not
	 * take (malformed, NOTAG, before Tversion) is a request like others */
	while (t && t->type == P9_TFLUSH && t->target)
		t = t->target;
	if (t == 0) {
		arch_irq_restore(is);
		ninep_send_rflush(s, r->tag);	/* unknown or finished: nothing to wait for */
		req_free(s, r);
		return;
	}
	r->target = t;
	for (tail = &t->flushes; *tail; tail = &(*tail)->flushes)
		;
	*tail = r;
	r->next = s->reqs;
	s->reqs = r;
	if (t->queued) {
		queue_remove(s, t);
		unrun = true;
	} else if (!t->flushed && t->pid) {
		proc_kill(t->pid);	/* here, so the pid cannot move on to another request */
	}
	t->flushed = true;
	arch_irq_restore(is);
	if (unrun)
		complete(s, t, 0, 0);
}

/* Into the tag table and the queue; an idle worker takes it. */
void ninep_enqueue(struct ninep_conn *s, struct ninep_req *r)
{
	arch_irqstate is = arch_irq_save();

	r->next = s->reqs;
	s->reqs = r;
	r->queued = true;
	if (s->qtail)
		s->qtail->qnext = r;
	else
		s->qhead = r;
	s->qtail = r;
	arch_irq_restore(is);
	wakeup(&s->workq);
}

static bool idle_worker(struct ninep_conn *s)
{
	for (size_t i = 0; i < NINEP_WORKERS; i++)
		if (s->workers[i].p && s->workers[i].idle)
			return true;
	return false;
}

bool ninep_workers_wanted(struct ninep_conn *s)
{
	for (size_t i = 0; i < NINEP_WORKERS; i++)
		if (s->workers[i].done)
			return true;
	return s->qhead && !s->spawnfail && !idle_worker(s) && live_workers(s) < NINEP_WORKERS;
}

void ninep_workers_tend(struct ninep_conn *s)
{
	reap(s);
	ensure_worker(s);
}
