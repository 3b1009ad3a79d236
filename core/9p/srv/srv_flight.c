/*
 * The 9P server's requests in flight (see 9psrv.h, docs/9p.md):
 * the tag table and the queue the framer fills, the workers that empty
 * it, how a request ends (complete: its answer, the Rflushes that waited
 * for it, its pebbles given back), Tflush and Tversion.
 *
 * The framer, the workers and complete() share the tag table, the queue,
 * the runners and the pool's ring: all of it changes with ninep_lock held,
 * which is what keeps a preempting timer out.  A worker's pid is read and
 * killed in the same such section, so a kill meant for one request never
 * hits the next one that worker takes.
 */
#include "9psrv.h"
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
	if (r->reserve) {
		spin_lock(&ninep_lock);
		s->flushreserve--;
		spin_unlock(&ninep_lock);
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
	struct ninep_req *fl;
	bool answer, undo = false;

	if (x && rlen < 0)
		s->fatal = true;	/* ninep_handle's "close it" */
	if (x) {
		/* finished before the flush reached it: a walk's or attach's
		 * new fid we can take back, and do, so the client may forget
		 * the request; decided while we still hold the fid */
		spin_lock(&ninep_lock);
		undo = r->flushed && x->err == 0 && x->newfid != 0;
		spin_unlock(&ninep_lock);
		if (undo)
			ninep_fid_clunk(s, x->newfid);
		/* before the answer too: the client may use the fid at once */
		ninep_fid_release_all(s, x);
	}
	spin_lock(&ninep_lock);
	answer = x && rlen > 0 && !s->aborting;
	if (r->flushed && answer)	/* answer only what changed something */
		answer = !undo && (x->err == 0 || irrevocable(r));
	req_unlink(s, r);	/* before the answer: the client may reuse the tag at once */
	fl = r->flushes;
	for (struct ninep_req *f = fl; f; f = f->flushes)
		req_unlink(s, f);
	spin_unlock(&ninep_lock);
	if (answer)
		ninep_send_reserved(s, x->out, (size_t)rlen, x->reserved);
	else if (x && x->reserved)
		ninep_uncharge(s, x->reserved);
	if (x)
		x->reserved = 0;
	if (x && r->room == NINEP_ROOM_FREE) {	/* the next may take its turn */
		spin_lock(&ninep_lock);
		s->freerun = false;
		if (s->replywait && s->queued == 0) {
			s->replywait = false;
			ninep_ring_offer(s);
		}
		spin_unlock(&ninep_lock);
	}
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

/* ---- The worker pool ------------------------------------------------- */

/* One pool for every connection.  Connections with a queued request and
 * room to run one (fewer than NINEP_RUNNING running) wait in the ring;
 * a worker takes one request of the head connection, which goes to the
 * back if it has more: round robin, so a client with a deep queue takes
 * its turn like the others.  All of it changes with ninep_lock held. */
static struct {
	struct waitq wq;		/* idle workers wait here */
	struct waitq *tend;		/* the listener's: workers wanted */
	struct budget *budget;		/* the listener's: pays every worker */
	struct ninep_conn *head, *tail;	/* the ring */
	struct ninep_worker w[NINEP_POOL_MAX];
	size_t max, live, idle;
	size_t busy;			/* workers running a request or a control job */
	size_t keep;			/* idle workers kept (ninep_pool_keep) */
} pool = { .wq = WAITQ_INIT(pool.wq) };

#define REPLY_PAGES ((NINEP_MSIZE + 4095) / 4096)

static bool ctl_waiting(const struct ninep_conn *s)
{
	return s->ctl != NINEP_CTL_NONE && !s->ctlrun;
}

/* A connection whose replies wait past NINEP_SENDHIGH starts no more of
 * its queued requests (only its control jobs) until they drain to
 * NINEP_SENDLOW: the framer stopping admission is not enough, since up
 * to NINEP_MAXREQ requests may already be queued, and their replies
 * (64 of 64 KiB) would pass LUX_CONN_SENDMAX and get the connection
 * closed instead of paused.  So what waits stays within NINEP_SENDHIGH
 * plus one reply per request running. */
static bool runnable(const struct ninep_conn *s)
{
	return ctl_waiting(s) || (s->qhead != 0 && s->nrunning < NINEP_RUNNING && !s->closing &&
	                          !s->aborting && !s->sendwait && !s->replywait && !s->parked);
}

/* Connections whose peer runs its share of the workers, oldest first. */
static struct ninep_conn *parkedq, **parkedtail = &parkedq;

static void park(struct ninep_conn *s)
{
	s->parked = true;
	s->pnext = 0;
	*parkedtail = s;
	parkedtail = &s->pnext;
}

static void unlink_parked(struct ninep_conn **pp, struct ninep_conn *s)
{
	*pp = s->pnext;
	if (parkedtail == &s->pnext)
		parkedtail = pp;
	s->pnext = 0;
	s->parked = false;
}

static void unpark(struct ninep_conn *s)
{
	for (struct ninep_conn **pp = &parkedq; *pp; pp = &(*pp)->pnext)
		if (*pp == s) {
			unlink_parked(pp, s);
			return;
		}
}

/* What ninep_peer_may_run counts as free: workers not running a job,
 * started or not. */
static size_t pool_free(void)
{
	return pool.max > pool.busy ? pool.max - pool.busy : 0;
}

/* Put s at the back of the ring if it has work to run (a fresh
 * connection at the front: its handshake waits for no busy client's
 * turn); wake a worker, or the listener when none is idle. */
static void ring_offer(struct ninep_conn *s)
{
	if (s->onring || !runnable(s))
		return;
	s->rnext = 0;
	s->onring = true;
	if (s->fresh && pool.head) {
		s->rnext = pool.head;
		pool.head = s;
	} else if (pool.tail) {
		pool.tail->rnext = s;
		pool.tail = s;
	} else {
		pool.head = pool.tail = s;
	}
	wakeup(&pool.wq);
	if (pool.idle == 0 && pool.tend)
		wakeup(pool.tend);
}

void ninep_ring_offer(struct ninep_conn *s)
{
	kassert(spin_held(&ninep_lock));
	ring_offer(s);
}

/* A job ended: parked connections whose peer may run again go back on
 * the ring, oldest first, as many as there are free workers (each is
 * asked again when a worker takes it).  ninep_lock held. */
static void unpark_ready(void)
{
	struct ninep_conn **pp = &parkedq, *s;
	size_t room = pool_free();

	while (room > 0 && (s = *pp) != 0) {
		if (!ninep_peer_may_run(s, pool.max, pool_free())) {
			pp = &s->pnext;
			continue;
		}
		unlink_parked(pp, s);
		ring_offer(s);
		room--;
	}
}

static struct ninep_conn *ring_pop(void)
{
	struct ninep_conn *s = pool.head;

	if (s) {
		pool.head = s->rnext;
		if (pool.head == 0)
			pool.tail = 0;
		s->rnext = 0;
		s->onring = false;
	}
	return s;
}

static void ring_remove(struct ninep_conn *s)
{
	struct ninep_conn *prev = 0;

	if (!s->onring)
		return;
	for (struct ninep_conn *q = pool.head; q; prev = q, q = q->rnext) {
		if (q != s)
			continue;
		if (prev)
			prev->rnext = s->rnext;
		else
			pool.head = s->rnext;
		if (pool.tail == s)
			pool.tail = prev;
		break;
	}
	s->rnext = 0;
	s->onring = false;
}

/* Room for r's reply before it runs (docs/9p.md, "Unread replies"):
 * charged to the connection, so replies its client does not read are
 * bounded by the pool like everything else.  When the pool is spent, a
 * client that reads what it is sent (nothing of its waits) still gets
 * one small reply at a time uncharged, and a large one is refused; one
 * whose replies wait unread waits with them.  false: s waits (replywait).
 * ninep_lock held. */
static bool reply_room(struct ninep_conn *s, struct ninep_req *r)
{
	size_t need = ninep_reply_bound(s, r->msg, r->len);

	r->replyres = 0;
	if (ninep_charge(s, need) == 0) {
		r->room = NINEP_ROOM_RESERVED;
		r->replyres = need;
		return true;
	}
	if (s->queued > 0 || s->freerun) {
		s->replywait = true;	/* lux_conn_sent or complete() wakes it */
		return false;
	}
	if (need <= NINEP_REPLY_SMALL) {
		r->room = NINEP_ROOM_FREE;
		s->freerun = true;
	} else {
		r->room = NINEP_ROOM_NONE;	/* the charge's errstr says why */
	}
	return true;
}

/* What take() returns for a control job (its connection in *out). */
static struct ninep_req ctljob;

/* Take the next request to run, for worker w: its connection is *out and
 * the runner entry naming us is taken; or &ctljob, a control job of
 * *out's (first: it may be what lets the requests run).  ninep_lock held. */
static struct ninep_req *take(struct ninep_worker *w, struct ninep_conn **out,
                              struct ninep_runner **slot)
{
	struct ninep_conn *s;
	struct ninep_req *r;

	while ((s = ring_pop()) != 0) {
		if (!runnable(s))
			continue;	/* its queue went (a flush, the end) */
		if (ctl_waiting(s)) {
			s->ctlrun = true;
			pool.busy++;
			ring_offer(s);	/* its requests, if any, meanwhile */
			*out = s;
			return &ctljob;
		}
		if (!ninep_peer_may_run(s, pool.max, pool_free())) {
			park(s);	/* off the ring until a job ends */
			continue;
		}
		r = s->qhead;
		if (!reply_room(s, r))
			continue;	/* off the ring until its client reads */
		queue_remove(s, r);
		ninep_peer_ran(s, 1);
		r->pid = curproc()->pid;
		for (size_t i = 0; i < NINEP_RUNNING; i++) {
			if (s->runners[i].p == 0) {
				s->runners[i].p = curproc();
				s->runners[i].x = &w->x;
				*slot = &s->runners[i];
				break;
			}
		}
		s->nrunning++;
		pool.busy++;
		ring_offer(s);	/* the back of the ring, if it has more */
		*out = s;
		return r;
	}
	return 0;
}

/* May w leave, idle?  When idle workers are more than kept and it has
 * lingered (or nobody is connected: then at once, so everything the
 * server held is given back). */
static bool may_leave(const struct ninep_worker *w)
{
	return pool.idle > pool.keep && (w->expired || pool.keep == 0);
}

/* Work to take, or w may leave. */
static bool pool_work(void *arg)
{
	return pool.head != 0 || may_leave(arg);
}

/* An idle worker is leaving: no longer counted.  ninep_lock held. */
static void count_out(void)
{
	pool.idle--;
	pool.live--;
}

/* Leave, if w may: decided and counted out in one section with upcalls
 * off, so two leaving at once cannot both take the last one too many.
 * ninep_lock held. */
static bool too_many(const struct ninep_worker *w)
{
	if (!may_leave(w))
		return false;
	count_out();
	return true;
}

static void lingered(void *arg)
{
	struct ninep_worker *w = arg;

	w->expired = true;
	wakeup(&pool.wq);
}

/* w is idle from now: its linger clock starts.  ninep_lock held. */
static void idle_from_now(struct ninep_worker *w)
{
	w->expired = false;
	ktimer_start(&w->linger, arch_time_ns() + NINEP_POOL_LINGER_MS * 1000000ull, lingered, w);
}

/* Run r of connection s as its principal, in its namespace. */
static void run(struct ninep_worker *w, struct ninep_conn *s, struct ninep_req *r)
{
	struct proc *me = curproc();
	struct ns *own = me->ns;
	int rlen;

	/* the client's per-proc state (crypto sessions) is its principal's, so
	 * it is the same whichever worker runs a request (<lux/proc.h>) */
	me->ns = s->rx.p->ns;
	me->principal = s->rx.p;
	me->actlock = &s->actlock;
	w->x.err = 0;
	w->x.newfid = 0;
	w->x.cap = s->msize;
	w->x.reserved = r->replyres;
	if (r->room == NINEP_ROOM_NONE) {	/* take() found no room for its reply */
		w->x.err = E_BUDGET;
		rlen = ninep_error_reply(s, w->x.out, w->x.cap, r->tag, E_BUDGET, 0);
	} else {
		rlen = ninep_handle(s, &w->x, r->msg, r->len);
	}
	complete(s, r, &w->x, rlen);
	me->ns = own;
	me->principal = 0;
	me->actlock = 0;
}

/* Run s's control job (ninep_control) as its principal, if it has one
 * yet; free the connection after, when that was its end. */
static void run_ctl(struct ninep_worker *w, struct ninep_conn *s)
{
	struct proc *me = curproc(), *pr = s->rx.p;
	struct ns *own = me->ns;
	bool freeit;

	/* the job answers in our reply buffer (one job of s at a time) */
	s->rx.out = w->x.out;
	s->rx.cap = NINEP_MSIZE;
	if (pr) {
		me->ns = pr->ns;
		me->principal = pr;
		me->actlock = &s->actlock;
		kstrlcpy(me->cred.user, s->user, sizeof me->cred.user);
	}
	freeit = ninep_control(s);
	if (!freeit) {
		s->rx.out = 0;
		s->rx.cap = 0;
	}
	me->ns = own;
	me->principal = 0;
	me->actlock = 0;
	if (freeit)
		ninep_conn_free(s);
}

void ninep_ctl_post(struct ninep_conn *s, enum ninep_ctl c, struct ninep_req *r)
{
	kassert(spin_held(&ninep_lock));
	kassert(s->ctl == NINEP_CTL_NONE);
	s->ctl = c;
	s->ctlreq = r;
	s->ctlrun = false;
	s->hold = true;
	ring_offer(s);
}

static void worker(void *arg)
{
	struct ninep_worker *w = arg;

	/* never the console's, whoever started the pool: each request then
	 * acts for its fid's user (ninep_act_for) */
	curproc()->cred.flags &= ~CRED_CONSOLE;
	spin_lock(&ninep_lock);
	idle_from_now(w);
	spin_unlock(&ninep_lock);
	for (;;) {
		struct ninep_runner *slot = 0;
		struct ninep_conn *s = 0;
		struct ninep_req *r;
		bool leave;
		if (sleep_on(&pool.wq, pool_work, w) < 0) {
			spin_lock(&ninep_lock);
			count_out();	/* killed while idle */
			spin_unlock(&ninep_lock);
			break;
		}
		spin_lock(&ninep_lock);
		if ((r = take(w, &s, &slot)) != 0 && --pool.idle == 0 && pool.head && pool.tend)
			wakeup(pool.tend);	/* the last idle one: more work waits */
		leave = r == 0 && too_many(w);
		spin_unlock(&ninep_lock);
		if (leave)
			break;
		if (r == 0)
			continue;	/* another worker took it */
		if (r == &ctljob) {
			run_ctl(w, s);	/* s may be gone after */
			spin_lock(&ninep_lock);
			pool.busy--;
			unpark_ready();
			pool.idle++;
			idle_from_now(w);
			leave = too_many(w);
			if (!leave && curproc()->killed) {
				count_out();
				leave = true;
			}
			spin_unlock(&ninep_lock);
			if (leave)
				break;
			continue;
		}
		run(w, s, r);
		spin_lock(&ninep_lock);
		slot->p = 0;
		slot->x = 0;
		s->nrunning--;
		pool.busy--;
		ninep_peer_ran(s, -1);
		unpark_ready();
		ring_offer(s);
		wakeup(&s->wq);	/* ninep_stop_all waits for its runners */
		pool.idle++;
		idle_from_now(w);
		leave = too_many(w);
		if (!leave && curproc()->killed) {	/* kill is for good */
			count_out();
			leave = true;
		}
		spin_unlock(&ninep_lock);
		if (leave)
			break;	/* a flush killed us (kill is for good), or idle enough */
	}
	ktimer_cancel(&w->linger);
	kfree(w->x.out);
	budget_release(pool.budget, PB_PAGES, REPLY_PAGES);
	spin_lock(&ninep_lock);
	w->x.out = 0;
	w->used = false;
	if (pool.head && pool.idle == 0 && pool.tend)
		wakeup(pool.tend);	/* work waits: another in our place */
	spin_unlock(&ninep_lock);
	proc_exit(0);
}

void ninep_pool_init(struct waitq *tend, size_t max)
{
	pool.tend = tend;
	pool.budget = curproc()->budget;
	pool.max = max < NINEP_POOL_MAX ? max : NINEP_POOL_MAX;
}

void ninep_pool_keep(size_t nconns)
{
	spin_lock(&ninep_lock);
	pool.keep = nconns < NINEP_POOL_IDLE ? nconns : NINEP_POOL_IDLE;
	spin_unlock(&ninep_lock);
	wakeup(&pool.wq);	/* the idle ones too many leave */
}

bool ninep_pool_wanted(void)
{
	return pool.head != 0 && pool.idle == 0 && pool.live < pool.max;
}

void ninep_pool_counts(size_t *live, size_t *idle)
{
	spin_lock(&ninep_lock);
	*live = pool.live;
	*idle = pool.idle;
	spin_unlock(&ninep_lock);
}

/* No worker runs and none can be started: answer what waits with why, so
 * no client hangs on a request nobody will run.  The listener's. */
static void starve(int err)
{
	uint8_t buf[256];

	for (;;) {
		spin_lock(&ninep_lock);
		struct ninep_conn *s = ring_pop();
		struct ninep_req *r = s ? s->qhead : 0;
		if (r)
			queue_remove(s, r);
		spin_unlock(&ninep_lock);
		if (s == 0)
			break;
		if (r == 0)
			continue;
		int n = ninep_error_reply(s, buf, sizeof buf, r->tag, err, 0);
		if (n > 0)
			ninep_send(s, buf, (size_t)n);
		r->flushed = true;
		complete(s, r, 0, 0);
		spin_lock(&ninep_lock);
		ring_offer(s);	/* its next request, if any, the same way */
		spin_unlock(&ninep_lock);
	}
}

/* Start one worker in slot w: 0, or why not. */
static int spawn(struct ninep_worker *w)
{
	static const struct pebbles none;	/* workers create nothing */
	int err;

	if ((err = budget_charge(pool.budget, PB_PAGES, REPLY_PAGES)) < 0)
		return err;
	if ((w->x.out = kmalloc(NINEP_MSIZE)) == 0) {
		budget_release(pool.budget, PB_PAGES, REPLY_PAGES);
		return E_NOMEM;
	}
	w->x.cap = NINEP_MSIZE;
	if (proc_spawn("9pwork", PRIO_NORMAL, worker, w, PROC_DETACHED, &none, &err) == 0) {
		kfree(w->x.out);
		w->x.out = 0;
		budget_release(pool.budget, PB_PAGES, REPLY_PAGES);
		return err;
	}
	return 0;
}

void ninep_pool_tend(void)
{
	for (;;) {
		spin_lock(&ninep_lock);
		struct ninep_worker *w = 0;
		bool none;
		int err;
		if (ninep_pool_wanted()) {
			for (size_t i = 0; i < NINEP_POOL_MAX && w == 0; i++)
				if (!pool.w[i].used)
					w = &pool.w[i];
		}
		if (w) {	/* counted idle from now: it will be, at once */
			w->used = true;
			pool.live++;
			pool.idle++;
		}
		spin_unlock(&ninep_lock);
		if (w == 0)
			return;
		if ((err = spawn(w)) == 0)
			continue;
		spin_lock(&ninep_lock);
		w->used = false;
		pool.live--;
		pool.idle--;
		none = pool.live == 0;
		spin_unlock(&ninep_lock);
		if (none) {
			kprintf("9p: no worker can be started (%s); answering what waits\n",
			        proc_errstr(err));
			starve(err);
		}
		return;	/* the live ones will get to it */
	}
}

/* Drop every request in flight unanswered (a Tversion, or the end): the
 * queued at once, the running by killing their workers; wait for them.
 * Under ninep_lock, then (waiting) without it. */
static bool all_stopped(void *arg)
{
	struct ninep_conn *s = arg;

	return s->reqs == 0 && s->nrunning == 0;
}

/* Stop s's running requests, their replies unwanted: killed here, with
 * ninep_lock held, so a kill meant for this connection's request never hits
 * the next one its worker takes.  Also at a hang-up, before the end job
 * runs: a request asleep (on an empty pipe) holds its worker until
 * killed, and the end job itself may be waiting for a worker. */
void ninep_kill_runners(struct ninep_conn *s)
{
	for (size_t i = 0; i < NINEP_RUNNING; i++)
		if (s->runners[i].p)
			proc_kill(s->runners[i].p->pid);
	for (struct ninep_req *r = s->reqs; r; r = r->next)
		r->flushed = true;
}

void ninep_stop_all(struct ninep_conn *s)
{
	spin_lock(&ninep_lock);
	ring_remove(s);
	unpark(s);
	spin_unlock(&ninep_lock);
	for (;;) {
		spin_lock(&ninep_lock);
		struct ninep_req *q = s->qhead;
		if (q)
			queue_remove(s, q);
		spin_unlock(&ninep_lock);
		if (q == 0)
			break;
		q->flushed = true;
		complete(s, q, 0, 0);
	}
	spin_lock(&ninep_lock);
	ninep_kill_runners(s);
	spin_unlock(&ninep_lock);
	sleep_on_unint(&s->wq, all_stopped, s);
}

/* ---- Tversion (a control job) and Tflush (the framer's) --------------- */

void ninep_version(struct ninep_conn *s, struct ninep_req *r)
{
	int n;

	/* version(5): a new session aborts all outstanding I/O */
	s->aborting = true;
	ninep_stop_all(s);
	s->aborting = false;
	n = ninep_handle(s, &s->rx, r->msg, r->len);	/* rx.out: the worker's (run_ctl) */
	ninep_fid_release_all(s, &s->rx);
	if (n > 0)
		ninep_send(s, s->rx.out, (size_t)n);
	req_free(s, r);
}

void ninep_flush(struct ninep_conn *s, struct ninep_req *r)
{
	uint16_t old = (uint16_t)(r->msg[7] | r->msg[8] << 8);
	spin_lock(&ninep_lock);
	struct ninep_req *t = ninep_req_find(s, old), **tail;
	bool unrun = false;

	/* a flush of a flush waits for the same; a Tflush the framer did not
	 * take (malformed, NOTAG, before Tversion) is a request like others */
	while (t && t->type == P9_TFLUSH && t->target)
		t = t->target;
	if (t == 0) {
		spin_unlock(&ninep_lock);
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
	spin_unlock(&ninep_lock);
	if (unrun)
		complete(s, t, 0, 0);
}

/* Into the tag table and the queue; an idle worker takes it. */
void ninep_enqueue(struct ninep_conn *s, struct ninep_req *r)
{
	spin_lock(&ninep_lock);
	r->next = s->reqs;
	s->reqs = r;
	r->queued = true;
	if (s->qtail)
		s->qtail->qnext = r;
	else
		s->qhead = r;
	s->qtail = r;
	ring_offer(s);
	spin_unlock(&ninep_lock);
}
