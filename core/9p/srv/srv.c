/*
 * The 9P server's connections: the upcalls, framing, the framer and the
 * control jobs (see 9psrv.h for the shape, docs/9p.md for the
 * bounds).
 *
 * A connection's life: lux_conn_opened admits it (srv_admit.c), makes
 * its small state (one page of the connections' pool, charged there) and
 * posts its start; a worker runs the start (its principal, namespace and
 * identity) and lets the arch read.  From then on the upcalls put it on
 * the framer's ring whenever there is something to do, and the framer
 * (the listener proc) frames and admits what is whole, checks the edge
 * clocks, or posts its end.  The end job stops its requests, closes,
 * waits until the arch says the id is free, lets go of its fids and
 * frees it all.
 *
 * Admission at the edge (srv_admit.c): a connection past the slots the
 * server can serve, or past its peer's cap, is refused, in 9P.  A served
 * one must finish Tversion within the handshake timeout, and each
 * message it begins must arrive whole within the partial timeout
 * (edge_clocks), or it is told why and closed.
 *
 * A request's life: the framer admits it here (tag table, budget) and
 * queues it; srv_flight.c has the rest (workers, Tflush, Tversion).
 */
#include "9psrv.h"
#include <lux/audit.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/pebble.h>
#include <lux/string.h>
#include <lux/sysfile.h>
#include <lux/upcall.h>

/* Bytes a connection holds are charged as the pages they round up to,
 * beyond the first NINEP_CONN_SPARE, which ride in its idle page with its
 * state (an attached idle connection: one page in all). */
#define BYTES_PAGES(n) ((n) <= NINEP_CONN_SPARE ? 0 : ((n)-NINEP_CONN_SPARE + 4095) / 4096)
/* What the idle page holds: the connection (a 1 KiB block of the
 * allocator, three to a page: 1,366 bytes), its principal (512), their
 * budget (256), a namespace (512): 2,646 bytes, and the spare.  The
 * things a client rarely needs stay out of it (the record keys of a
 * sealed connection, a token's caveats, a large fid table, input
 * buffers) and are charged when made. */
_Static_assert(sizeof(struct ninep_conn) <= 1024, "a connection's state outgrew its 1 KiB block");
_Static_assert(sizeof(struct proc) <= 512, "a principal outgrew its 512-byte block");
_Static_assert(2646 + NINEP_CONN_SPARE <= 4096 * NINEP_CONN_IDLE_PAGES, "the idle page overflows");

/* The server's lock: the connection table and list, the counts, the
 * framer's ring, serving/refusing/draining, every connection's fields
 * marked (u) and those "the framer, control jobs and workers share"
 * (9psrv.h), and the pool and its ring (srv_flight.c).  The connection
 * upcalls, the edge timer and a principal's kill take it too.  Never held
 * across a sleep or a handler; taken before ninep-bytes, ninep-peers,
 * ninep-admit, pebble, timer and kalloc. */
struct spinlock ninep_lock = SPINLOCK_INIT("ninep");
/* every connection's bytes (what ninep_charge counts): a leaf but for the
 * budgets (ninep-bytes -> pebble), taken under ninep_lock or not */
static struct spinlock bytes_lock = SPINLOCK_INIT("ninep-bytes");
/* Every connection, and by the arch's id while the arch has it. */
static struct list allconns = LIST_INIT(allconns);
static struct ninep_conn *byid[NINEP_IDHASH];
static size_t nconns, nserved;
static int serial;
/* The framer's ring: connections with something to frame, clock or end. */
static struct ninep_conn *fhead, *ftail;
static struct waitq listenq = WAITQ_INIT(listenq);
static bool serving;
/* The listener failed to start or was killed: connections are refused.
 * Before it starts they wait, paused (the arch listens from boot; the
 * server starts after the self-check), so an early client is not hung
 * up on. */
static bool refusing;
/* The machine is halting (ninep_drain): no new connection, no more input
 * read; what was read is still answered. */
static bool draining;
/* Connections the server may hold (ninep_start: what the pool's memory
 * allows, at most NINEP_MAXCONN). */
static size_t nslots = NINEP_MAXCONN;
/* Every connection's budget is capped and drawn from this one
 * (budget_cap), itself drawn from the budget of the proc that starts the
 * server, capped at NINEP_POOL_SHARE of what that has white then. */
static struct budget *connpool;

/* Charge s's idle state to its peer's share of the pool (srv_peer.c):
 * 0, or E_BUDGET / E_NOMEM, with nothing held.  ninep_lock held; never
 * sleeps (the allocator does not). */
static int charge_idle(struct ninep_conn *s)
{
	int err = 0;

	if (s->share == 0 && (s->share = ninep_peer_join(s, connpool, &err)) == 0)
		return err;
	err = budget_charge(s->share, PB_PAGES, NINEP_CONN_IDLE_PAGES);
	s->charged = err == 0;
	if (err < 0) {
		ninep_peer_leave(s);
		s->share = 0;
	}
	return err;
}

struct proc *ninep_who(struct ninep_conn *s)
{
	return s->rx.p ? s->rx.p : curproc();
}

static size_t idhash(int conn)
{
	return (size_t)conn % NINEP_IDHASH;
}

static bool frame_due(struct ninep_conn *s);
/* The framer's reply buffer (errors, goodbyes): one framer, one buffer. */
static uint8_t framebuf[512];

static struct ninep_conn *slot_of(int conn)
{
	if (conn < 0)
		return 0;
	for (struct ninep_conn *s = byid[idhash(conn)]; s; s = s->hnext)
		if (s->conn == conn)
			return s;
	return 0;
}

/* The arch is done with s's id (it may give it to another): out of the
 * table.  ninep_lock held. */
static void unhash(struct ninep_conn *s)
{
	for (struct ninep_conn **p = &byid[idhash(s->conn)]; *p; p = &(*p)->hnext) {
		if (*p == s) {
			*p = s->hnext;
			break;
		}
	}
	s->hnext = 0;
	s->conn = -1;
}

/* The back of the ring; a fresh connection (s->fresh) the front, so a new
 * client's handshake is framed at the framer's next turn instead of after
 * a round of every busy client's batch. */
void ninep_frame_offer(struct ninep_conn *s)
{
	kassert(spin_held(&ninep_lock));
	if (s->onframe || s->hold || s->state == NS_ENDING)
		return;
	s->onframe = true;
	s->fnext = 0;
	if (s->fresh && fhead) {
		s->fnext = fhead;
		fhead = s;
	} else if (ftail) {
		ftail->fnext = s;
		ftail = s;
	} else {
		fhead = ftail = s;
	}
	wakeup(&listenq);
}

static struct ninep_conn *frame_pop(void)
{
	struct ninep_conn *s = fhead;

	if (s) {
		fhead = s->fnext;
		if (fhead == 0)
			ftail = 0;
		s->fnext = 0;
		s->onframe = false;
	}
	return s;
}

static void frame_remove(struct ninep_conn *s)
{
	struct ninep_conn *prev = 0;

	if (!s->onframe)
		return;
	for (struct ninep_conn *q = fhead; q; prev = q, q = q->fnext) {
		if (q != s)
			continue;
		if (prev)
			prev->fnext = s->fnext;
		else
			fhead = s->fnext;
		if (ftail == s)
			ftail = prev;
		break;
	}
	s->fnext = 0;
	s->onframe = false;
}

/* ---- Upcalls: record, pause, wake; never allocate or block ------------ */

static void conn_opened_locked(int conn, const struct lux_peer *peer)
{
	static const struct lux_peer nobody = { "?", LUX_PEER_NET, -1 };
	enum ninep_refusal no;
	struct ninep_conn *s;
	char why[128];

	if (refusing || draining) {
		arch_conn_close(conn);
		return;
	}
	if (peer == 0)
		peer = &nobody;
	if ((no = ninep_admit(&allconns, nslots, peer, why, sizeof why)) != NINEP_ADMIT) {
		ninep_refuse(conn, no, why);
		return;
	}
	/* its small state, allocated here (the allocator never sleeps) so a
	 * connection needs nobody to run before it has a place */
	/* (before the server starts there is no pool yet: ninep_start
	 * charges those waiting) */
	if ((s = kzalloc(sizeof *s)) == 0) {
		ksnprintf(why, sizeof why, "no memory for another connection (%zu held)", nconns);
		ninep_refuse(conn, NINEP_REFUSE_FULL, why);
		return;
	}
	kstrlcpy(s->peer, peer->addr ? peer->addr : "?", sizeof s->peer);
	s->transport = peer->transport;
	s->peer_uid = peer->transport == LUX_PEER_LOCAL ? peer->uid : -1;
	if (connpool && charge_idle(s) < 0) {
		ksnprintf(why, sizeof why,
		          "budget exhausted: no room for another connection in "
		          "its peer's share of the pool");
		kfree(s);
		ninep_refuse(conn, NINEP_REFUSE_FULL, why);
		return;
	}
	waitq_init(&s->wq);
	s->id = serial++;
	s->conn = conn;
	s->state = NS_PENDING;
	s->fresh = NINEP_FRESH_MSGS;
	s->paused = true;
	arch_conn_pause(conn, 1);
	s->hnext = byid[idhash(conn)];
	byid[idhash(conn)] = s;
	list_push_back(&allconns, &s->all);
	nconns++;
	ninep_ctl_post(s, NINEP_CTL_START, 0);
	wakeup(&listenq);	/* workers may be wanted */
}

/* The upcall: all of it under ninep_lock. */
void lux_conn_opened(int conn, const struct lux_peer *peer)
{
	spin_lock(&ninep_lock);
	conn_opened_locked(conn, peer);
	spin_unlock(&ninep_lock);
}

/* Where the arch's bytes land: ciphertext in raw once sealed (the framer
 * opens it, srv_secure.c), else in. */
static uint8_t *landing(struct ninep_conn *s, size_t **off, size_t **len, size_t *cap)
{
	if (s->secure) {
		*off = &s->rawoff, *len = &s->rawlen, *cap = NINEP_INBUF;
		return s->raw;
	}
	*off = &s->inoff, *len = &s->inlen, *cap = s->incap;
	return s->in;
}

/* How much the arch may deliver now.  0 pauses the connection (the
 * contract says so) and offers it to the framer, which frames, or gives the
 * connection a larger buffer, and then resumes it. */
static size_t conn_room_locked(int conn)
{
	struct ninep_conn *s = slot_of(conn);
	size_t *off, *len, cap, room;

	if (s == 0)	/* a refused connection's (srv_admit.c keeps a peek) */
		return LUX_CONN_CHUNK;
	if (s->gone || s->in == 0 || s->paused) {
		s->paused = true;
		return 0;
	}
	landing(s, &off, &len, &cap);
	room = cap - (*len - *off);
	if (room == 0) {
		s->paused = true;
		ninep_frame_offer(s);
	}
	return room < LUX_CONN_CHUNK ? room : LUX_CONN_CHUNK;
}

/* The upcall: all of it under ninep_lock. */
size_t lux_conn_room(int conn)
{
	size_t r;

	spin_lock(&ninep_lock);
	r = conn_room_locked(conn);
	spin_unlock(&ninep_lock);
	return r;
}

/* Append n bytes to what is unread, moving the unread bytes to the front
 * only when the room after them is short, so each byte moves O(1) times.
 * ninep_lock held. */
static void conn_received_locked(int conn, const void *buf, size_t n)
{
	struct ninep_conn *s = slot_of(conn);
	size_t *off, *len, cap;
	uint8_t *b;

	if (s == 0 && ninep_refusal_received(conn, buf, n))
		return;
	if (s == 0 || s->gone || s->in == 0)
		return;	/* being closed by us: nobody will read it */
	b = landing(s, &off, &len, &cap);
	if (n > cap - (*len - *off)) {
		/* more than lux_conn_room allowed: refuse to guess, close */
		s->overflow = true;
		ninep_frame_offer(s);
		return;
	}
	if (n > cap - *len) {
		kmemmove(b, b + *off, *len - *off);
		*len -= *off;
		*off = 0;
	}
	kmemcpy(b + *len, buf, n);
	*len += n;
	if (frame_due(s))
		ninep_frame_offer(s);
}

/* The upcall: all of it under ninep_lock. */
void lux_conn_received(int conn, const void *buf, size_t n)
{
	spin_lock(&ninep_lock);
	conn_received_locked(conn, buf, n);
	spin_unlock(&ninep_lock);
}

static void conn_closed_locked(int conn)
{
	struct ninep_conn *s = slot_of(conn);

	if (s == 0) {
		ninep_refusal_closed(conn);
		return;
	}
	unhash(s);
	s->gone = true;
	ninep_frame_offer(s);
	wakeup(&s->wq);	/* the end job waits for this */
}

/* The upcall: all of it under ninep_lock. */
void lux_conn_closed(int conn)
{
	spin_lock(&ninep_lock);
	conn_closed_locked(conn);
	spin_unlock(&ninep_lock);
}

static void conn_sent_locked(int conn, size_t queued)
{
	struct ninep_conn *s = slot_of(conn);

	if (s == 0)
		return;
	s->queued = queued;
	if (queued < s->qcharged) {	/* read by the client: its pages are free */
		ninep_uncharge(s, s->qcharged - queued);
		s->qcharged = queued;
	}
	if (queued == 0 && s->replywait && !s->freerun) {	/* read: room again */
		s->replywait = false;
		ninep_ring_offer(s);
	}
	if (queued <= NINEP_SENDLOW && s->sendwait)
		ninep_frame_offer(s);
}

/* The upcall: all of it under ninep_lock. */
void lux_conn_sent(int conn, size_t queued)
{
	spin_lock(&ninep_lock);
	conn_sent_locked(conn, queued);
	spin_unlock(&ninep_lock);
}

/* ---- Pebbles: bytes are charged as the pages they round up to --------- */

int ninep_charge(struct ninep_conn *s, size_t n)
{
	spin_lock(&bytes_lock);
	size_t more = BYTES_PAGES(s->bytes + n) - BYTES_PAGES(s->bytes);
	int err = more ? budget_charge(s->budget, PB_PAGES, more) : 0;

	if (err == 0)
		s->bytes += n;
	spin_unlock(&bytes_lock);
	return err;
}

void ninep_uncharge(struct ninep_conn *s, size_t n)
{
	spin_lock(&bytes_lock);
	size_t less = BYTES_PAGES(s->bytes) - BYTES_PAGES(s->bytes - n);

	kassert(n <= s->bytes);
	s->bytes -= n;
	if (less)
		budget_release(s->budget, PB_PAGES, less);
	spin_unlock(&bytes_lock);
}

/* ---- Replies ---------------------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Queue a reply; a refusal (more than LUX_CONN_SENDMAX waiting) closes
 * the connection.  Past NINEP_SENDHIGH the framer admits nothing more
 * until the peer has read down to NINEP_SENDLOW. */
void ninep_send(struct ninep_conn *s, const uint8_t *buf, size_t n)
{
	ninep_send_reserved(s, buf, n, 0);
}

size_t ninep_reply_bound(const struct ninep_conn *s, const uint8_t *msg, size_t len)
{
	/* Tread and Treaddir: size[4] type[1] tag[2] fid[4] offset[8] count[4] */
	if (len >= P9_HDRSZ + 16 && (msg[4] == P9_TREAD || msg[4] == P9_TREADDIR)) {
		size_t count = le32(msg + P9_HDRSZ + 12);
		size_t most = s->msize > P9_IOHDRSZ ? s->msize - P9_IOHDRSZ : 0;
		return (count < most ? count : most) + P9_IOHDRSZ;
	}
	return NINEP_REPLY_SMALL;
}

/* A reply is queued; what the arch holds of it beyond what is charged
 * already comes out of its reservation (what a sealed record adds past
 * that is not charged: a few bytes per record), the rest of which is
 * given back.  ninep_lock held. */
static void queue_charged(struct ninep_conn *s, size_t reserved)
{
	size_t held = s->queued > s->qcharged ? s->queued - s->qcharged : 0;

	if (held > reserved)
		held = reserved;
	s->qcharged += held;
	if (reserved > held)
		ninep_uncharge(s, reserved - held);
}

/* The console hears of it in the edge's summary (ninep_note_closed), not
 * a line each: any client may repeat it by reconnecting. */
static void note_closed(struct ninep_conn *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note_closed(struct ninep_conn *s, const char *fmt, ...)
{
	char line[160], what[120];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	ksnprintf(line, sizeof line, "connection %d (%s): %s", s->id, s->peer, what);
	ninep_note_closed(line);
}

void ninep_send_reserved(struct ninep_conn *s, const uint8_t *buf, size_t n, size_t reserved)
{
	long q;

	if (s->gone || s->closing || s->fatal) {
		if (reserved)
			ninep_uncharge(s, reserved);
		return;
	}
	/* queued and recorded as one, under ninep_lock: a drain reported in
	 * between (lux_conn_sent(0)) would be overwritten by this q, and
	 * sendwait and replywait would wait for a drain that already came */
	spin_lock(&ninep_lock);
	q = s->secure ? ninep_sealed_send(s, buf, n) : arch_conn_send(s->conn, buf, n);
	if (q < 0) {
		s->fatal = true;
		ninep_frame_offer(s);
	} else {
		s->queued = (size_t)q;
		if ((size_t)q > NINEP_SENDHIGH)
			s->sendwait = true;
	}
	queue_charged(s, q < 0 ? 0 : reserved);
	if (q < 0 && reserved)
		ninep_uncharge(s, reserved);
	if (q == 0 && s->replywait && !s->freerun) {	/* all read already */
		s->replywait = false;
		ninep_ring_offer(s);
	}
	spin_unlock(&ninep_lock);
	if (q < 0)
		note_closed(s, "cannot queue a reply (over %u bytes waiting?); closing",
		            LUX_CONN_SENDMAX);
}

void ninep_send_rflush(struct ninep_conn *s, uint16_t tag)
{
	uint8_t m[P9_HDRSZ] = { P9_HDRSZ, 0, 0, 0, P9_RFLUSH, (uint8_t)tag, (uint8_t)(tag >> 8) };

	ninep_send(s, m, sizeof m);
}

/* An error answer built by the framer (its errstr details budgets). */
void ninep_send_error(struct ninep_conn *s, uint16_t tag, int err, const char *why)
{
	int n = ninep_error_reply(s, framebuf, sizeof framebuf, tag, err, why);

	if (n > 0)
		ninep_send(s, framebuf, (size_t)n);
}

/* ---- The framer: framing and admission --------------------------------- */

/* Resume a paused connection once its buffer (cap bytes, unread of them
 * waiting) is empty or half free: not at every byte, so a fast sender is
 * read in large pieces.  ninep_lock held. */
void ninep_resume(struct ninep_conn *s, size_t cap, size_t unread)
{
	kassert(spin_held(&ninep_lock));
	if (s->paused && !s->gone && !draining && (unread == 0 || cap - unread >= cap / 2)) {
		s->paused = false;
		arch_conn_pause(s->conn, 0);
	}
}

/* Take size bytes of input (one message) off the buffer; resume reading
 * when there is room again.  ninep_lock held. */
static void consume(struct ninep_conn *s, size_t size)
{
	s->inoff += size;
	if (s->inoff == s->inlen)
		s->inoff = s->inlen = 0;
	if (s->secure)
		return;	/* raw's room decides (ninep_sealed_open) */
	ninep_resume(s, s->incap, s->inlen - s->inoff);
}

/* ---- The input buffer: small while idle, as large as a message needs -- */

/* How large the connection's input buffer should be now, or 0 when what
 * it has will do: its head message whole (its size field says), or, when
 * the buffer is full of smaller ones (a pipelining client), twice what it
 * has; in KiB steps, at most NINEP_INBUF.  Sized to the message, not to
 * the largest one: a thousand clients writing 8 KiB each then hold 8 MiB,
 * not 128.  ninep_lock held. */
static size_t input_wanted(struct ninep_conn *s)
{
	size_t avail = s->inlen - s->inoff, want = 0;
	uint32_t size;

	if (s->secure || s->in == 0 || s->incap >= NINEP_INBUF)
		return 0;
	if (avail >= 4) {
		size = le32(s->in + s->inoff);
		if (size > s->incap && size <= s->msize)
			want = size;
	}
	if (want == 0 && avail == s->incap)
		want = 2 * s->incap;
	if (want == 0)
		return 0;
	want = (want + 1023) & ~(size_t)1023;
	return want < NINEP_INBUF ? want : NINEP_INBUF;
}

uint8_t *ninep_inbuf_alloc(struct ninep_conn *s, size_t size, int *err)
{
	uint8_t *b;

	if ((*err = ninep_charge(s, size)) < 0)
		return 0;
	if ((b = kmalloc(size)) == 0) {
		ninep_uncharge(s, size);
		*err = E_NOMEM;
	}
	return b;
}

void ninep_inbuf_free(struct ninep_conn *s, uint8_t *b, size_t size)
{
	if (b == 0 || b == s->small)
		return;
	kfree(b);
	ninep_uncharge(s, size);
}

/* Give the connection an input buffer of want bytes (0: what
 * input_wanted says), charged to it, holding what was unread: 0, or why
 * not (the connection is then closed). */
int ninep_input_grow(struct ninep_conn *s, size_t want)
{
	uint8_t *big, *old;
	size_t oldcap;
	int err;

	spin_lock(&ninep_lock);
	if (want == 0)
		want = input_wanted(s);
	spin_unlock(&ninep_lock);
	if (want <= s->incap)
		return 0;
	if ((big = ninep_inbuf_alloc(s, want, &err)) == 0)
		return err;
	spin_lock(&ninep_lock);
	old = s->in;
	oldcap = s->incap;
	kmemcpy(big, s->in + s->inoff, s->inlen - s->inoff);
	s->inlen -= s->inoff;
	s->inoff = 0;
	s->in = big;
	s->incap = want;
	ninep_resume(s, s->incap, s->inlen);
	spin_unlock(&ninep_lock);
	ninep_inbuf_free(s, old, oldcap);
	return 0;
}

/* Read to the end, and not sealed: back to the small buffer. */
static void input_shrink(struct ninep_conn *s)
{
	spin_lock(&ninep_lock);
	uint8_t *big = s->in;
	size_t cap = s->incap;

	if (big == s->small || big == 0 || s->secure || s->inlen != s->inoff) {
		spin_unlock(&ninep_lock);
		return;
	}
	s->in = s->small;
	s->incap = sizeof s->small;
	s->inoff = s->inlen = 0;
	spin_unlock(&ninep_lock);
	ninep_inbuf_free(s, big, cap);
}

static void drop_input(struct ninep_conn *s, size_t size)
{
	spin_lock(&ninep_lock);
	consume(s, size);
	spin_unlock(&ninep_lock);
}

/* flush(5): a Tflush is never answered with an error, so it is admitted
 * even when the budget is spent: up to NINEP_MAXREQ of them then ride on
 * a reserve of the connection's own (a few bytes each); a client that
 * piles up more is closed. */
static void admit_flush(struct ninep_conn *s, uint16_t tag)
{
	size_t size = P9_HDRSZ + 2;
	struct ninep_req *r = 0;
	bool charged = false;

	if (budget_charge(s->budget, PB_REQS, 1) == 0) {
		if (ninep_charge(s, sizeof *r + size) == 0)
			charged = true;
		else
			budget_release(s->budget, PB_REQS, 1);
	}
	if (charged || s->flushreserve < NINEP_MAXREQ)
		r = kzalloc(sizeof *r + size);
	if (r == 0) {
		if (charged) {
			ninep_uncharge(s, sizeof *r + size);
			budget_release(s->budget, PB_REQS, 1);
		}
		note_closed(s, "a Tflush cannot be held (%s); closing",
		            charged || s->flushreserve < NINEP_MAXREQ
		                ? "out of memory"
		                : "too many waiting beyond its budget");
		spin_lock(&ninep_lock);
		s->fatal = true;
		spin_unlock(&ninep_lock);
		return;
	}
	spin_lock(&ninep_lock);
	if (!charged) {
		r->reserve = true;
		s->flushreserve++;
	}
	r->tag = tag;
	r->type = P9_TFLUSH;
	r->len = size;
	r->charged = charged ? sizeof *r + size : 0;
	kmemcpy(r->msg, s->in + s->inoff, size);
	consume(s, size);
	spin_unlock(&ninep_lock);
	ninep_flush(s, r);
}

/* The whole message of size bytes at the head of the input: admit it
 * (tag table, budget) and hand it on. */
static void admit(struct ninep_conn *s, size_t size)
{
	spin_lock(&ninep_lock);
	uint8_t type = s->in[s->inoff + 4];
	uint16_t tag = (uint16_t)(s->in[s->inoff + 5] | s->in[s->inoff + 6] << 8);
	bool dup = type != P9_TVERSION && ninep_req_find(s, tag) != 0;
	struct ninep_req *r = 0;
	char why[64];
	int err;

	spin_unlock(&ninep_lock);
	if (dup) {
		drop_input(s, size);
		ksnprintf(why, sizeof why, "9p: tag %u is already in flight", tag);
		ninep_send_error(s, tag, NINEP_E_TAG, why);
		return;
	}
	/* before a version is agreed, or tagged NOTAG, a Tflush gets the
	 * codec's error like any other message (from a worker), not an Rflush
	 * the codec would refuse */
	if (type == P9_TFLUSH && size == P9_HDRSZ + 2 && s->d != P9_NONE && tag != P9_NOTAG) {
		admit_flush(s, tag);
		return;
	}
	if (budget_charge(s->budget, PB_REQS, 1) < 0) {
		drop_input(s, size);
		ninep_send_error(s, tag, NINEP_E_NREQS, 0);	/* "budget exhausted: requests 64/64" */
		return;
	}
	if ((err = ninep_charge(s, sizeof *r + size)) == 0 &&
	    (r = kzalloc(sizeof *r + size)) == 0) {
		ninep_uncharge(s, sizeof *r + size);
		err = E_NOMEM;
	}
	if (err < 0) {	/* "budget exhausted: pages 512/512", or out of memory */
		budget_release(s->budget, PB_REQS, 1);
		drop_input(s, size);
		ninep_send_error(s, tag, err, 0);
		return;
	}
	r->tag = tag;
	r->type = type;
	r->len = size;
	r->charged = sizeof *r + size;
	spin_lock(&ninep_lock);
	kmemcpy(r->msg, s->in + s->inoff, size);
	consume(s, size);
	spin_unlock(&ninep_lock);
	/* a Tversion aborts what is in flight, and an attach with an afid
	 * ends in sealing the stream (srv_secure.c): both may sleep, so a
	 * worker runs them, and nothing after them is framed until they are
	 * done (the bytes after a sealing attach are records) */
	spin_lock(&ninep_lock);
	if (type == P9_TAUTH)
		s->sentences = true;	/* a Plan 9 client: docs/9p.md, "Errors" */
	if (type == P9_TVERSION)
		ninep_ctl_post(s, NINEP_CTL_VERSION, r);
	else if (type == P9_TATTACH && size >= P9_HDRSZ + 8 &&
	         le32(r->msg + P9_HDRSZ + 4) != P9_NOFID && !s->secure)
		ninep_ctl_post(s, NINEP_CTL_ATTACH, r);
	spin_unlock(&ninep_lock);
	if (s->hold)
		return;
	ninep_enqueue(s, r);	/* a malformed Tflush too: the codec's error */
}

/* Is there framing to do: the end, a clock, a buffer to grow or a record
 * to open, or (while replies are not piling up) a whole message, or an
 * incomplete one whose clock has not started.  ninep_lock held. */
static bool frame_due(struct ninep_conn *s)
{
	uint32_t size;

	if (s->gone || s->overflow || s->fatal || s->tick || s->killed)
		return true;
	if (s->in == 0)
		return false;	/* not started */
	if (!s->secure && !s->sendwait && input_wanted(s))
		return true;
	if (s->secure && ninep_sealed_ready(s))
		return true;
	if (s->sendwait) {
		if (s->queued > NINEP_SENDLOW)
			return false;
		s->sendwait = false;
		ninep_ring_offer(s);	/* its queued requests may start again */
	}
	/* an incomplete message (or, sealed, record) wakes us once, to start
	 * its clock */
	if (s->secure && s->rawlen > s->rawoff && s->partial_since == 0)
		return true;
	if (s->inlen - s->inoff < 4)
		return s->inlen > s->inoff && s->partial_since == 0;
	size = le32(s->in + s->inoff);
	return size < P9_HDRSZ || size > s->msize || s->inlen - s->inoff >= size ||
	       s->partial_since == 0;
}

/* Tell the peer why it is being closed (why, or .L's errno), with NOTAG:
 * it answers no request of the peer's. */
static void say_goodbye(struct ninep_conn *s, const char *why, uint32_t ecode)
{
	struct p9_msg r = { .tag = P9_NOTAG };
	int n;

	if (s->d == P9_2000L) {
		r.type = P9_RLERROR;
		r.u.rlerror.ecode = ecode;
	} else {
		r.type = P9_RERROR;
		r.u.rerror.ename = p9_str_c(why);
	}
	n = p9_encode(&r, framebuf, sizeof framebuf, s->d == P9_NONE ? P9_2000 : s->d);
	if (n > 0)
		ninep_send(s, framebuf, (size_t)n);
}

/* A message the framing cannot take: say why, on the console too. */
static void bad_frame(struct ninep_conn *s, int err, uint32_t size)
{
	char why[160];

	if (err == P9_E_MSIZE)
		ksnprintf(why, sizeof why,
		          "9p: message of %u bytes exceeds msize %u; "
		          "closing the connection",
		          size, s->msize);
	else
		ksnprintf(why, sizeof why,
		          "9p: message of %u bytes is shorter than the "
		          "%u-byte header; closing the connection",
		          size, P9_HDRSZ);
	note_closed(s, "%s", why + 4);	/* no "9p: " twice */
	say_goodbye(s, why, 90);	/* EMSGSIZE */
}

/* No buffer for a message that needs one: say why and close. */
static void no_room(struct ninep_conn *s, int err)
{
	char why[160];

	ksnprintf(why, sizeof why,
	          "9p: no room for a message of up to %u bytes (%s); "
	          "closing the connection",
	          s->msize, proc_errstr(err));
	note_closed(s, "%s", why + 4);
	say_goodbye(s, why, err == E_NOMEM ? 12 : 122);	/* ENOMEM, EDQUOT */
}

static void on_edge_timer(void *arg)
{
	struct ninep_conn *s = arg;

	spin_lock(&ninep_lock);
	s->tick = true;
	ninep_frame_offer(s);
	spin_unlock(&ninep_lock);
}

/* The edge clocks, after each round: a connection that has not finished
 * Tversion in time, or whose incomplete message has waited too long, is
 * told so and closed (counted in the console's summary, not a line
 * each: idle connections are what a flood is made of).  Otherwise the
 * timer is armed for the nearer deadline.  0, or E_IO: closed. */
static int edge_clocks(struct ninep_conn *s)
{
	spin_lock(&ninep_lock);
	uint64_t now = arch_time_ns(), hs = 0, part = 0, next;
	size_t avail = s->inlen - s->inoff;
	bool partial = false;
	char why[160];

	s->tick = false;
	if (s->d != P9_NONE)
		s->versioned = true;
	if (avail > 0 && !s->sendwait) {
		uint32_t size = avail >= 4 ? le32(s->in + s->inoff) : 0;
		partial = avail < 4 || avail < size;
	}
	/* sealed: a record begun and not finished holds things up the same
	 * way (whole records waiting for room in `in` are our doing, not the
	 * client's: they are not partial) */
	if (!partial && s->secure && s->rawlen > s->rawoff && !s->sendwait) {
		size_t ravail = s->rawlen - s->rawoff;
		uint32_t rlen = ravail >= 4 ? le32(s->raw + s->rawoff) : 0;
		partial = ravail < 4 || ravail < 4 + (size_t)rlen;
	}
	if (!partial)
		s->partial_since = 0;
	else if (s->partial_since == 0)
		s->partial_since = now ? now : 1;	/* 0 means none */
	spin_unlock(&ninep_lock);
	if (!s->versioned)
		hs = s->started + ninep_handshake_ns();
	if (s->partial_since)
		part = s->partial_since + ninep_partial_ns();
	if (hs && now >= hs) {
		ksnprintf(why, sizeof why, "9p: no Tversion within %llu ms; closing the connection",
		          (unsigned long long)(ninep_handshake_ns() / 1000000u));
		audit_log(curproc(), "9p-timeout", (uint32_t)s->id, s->peer, "%s", why + 4);
		say_goodbye(s, why, 110);	/* ETIMEDOUT */
		ninep_note_timeout(NINEP_TIMEOUT_HANDSHAKE);
		return E_IO;
	}
	if (part && now >= part) {
		ksnprintf(why, sizeof why,
		          "9p: a message begun %llu ms ago is still incomplete; "
		          "closing the connection",
		          (unsigned long long)(ninep_partial_ns() / 1000000u));
		audit_log(curproc(), "9p-timeout", (uint32_t)s->id, s->peer, "%s", why + 4);
		say_goodbye(s, why, 110);
		ninep_note_timeout(NINEP_TIMEOUT_PARTIAL);
		return E_IO;
	}
	next = hs && (part == 0 || hs < part) ? hs : part;
	if (next != s->armed_at) {
		s->armed_at = next;
		if (next)
			ktimer_start(&s->timer, next, on_edge_timer, s);
		else
			ktimer_cancel(&s->timer);
	}
	return 0;
}

/* Frame what is due on s: 0 to go on, else end it.  Runs in the framer,
 * which never sleeps for a connection; at most FRAME_BATCH messages at a
 * time, so one busy client takes its turn like the others. */
#define FRAME_BATCH 16

static int frame_one(struct ninep_conn *s, bool *more)
{
	uint32_t size = 0;
	bool whole = false, grow;
	int err;

	*more = false;
	if (s->secure && ninep_sealed_open(s) < 0)
		return E_IO;
	spin_lock(&ninep_lock);
	grow = !s->secure && !s->sendwait && input_wanted(s);
	spin_unlock(&ninep_lock);
	if (grow && (err = ninep_input_grow(s, 0)) < 0) {
		/* only a head message longer than the buffer needs the room; a
		 * pipelining client's buffer full of whole small ones is framed
		 * as it is (closing it for the pages its peer's other
		 * connections hold would let them end it) */
		spin_lock(&ninep_lock);
		grow = s->inlen - s->inoff < 4 || le32(s->in + s->inoff) > s->incap;
		spin_unlock(&ninep_lock);
		if (grow) {
			no_room(s, err);
			return err;
		}
	}
	spin_lock(&ninep_lock);
	if (s->gone || s->fatal || s->killed) {
		spin_unlock(&ninep_lock);
		return E_IO;
	}
	if (s->overflow) {
		spin_unlock(&ninep_lock);
		kprintf("9p: connection %d (%s): the arch delivered more than LUX_CONN_CHUNK; "
		        "closing\n",
		        s->id, s->peer);
		return E_IO;
	}
	if (!s->sendwait && s->inlen - s->inoff >= 4) {
		size = le32(s->in + s->inoff);
		whole = size >= P9_HDRSZ && size <= s->msize && s->inlen - s->inoff >= size;
		if (!whole && (size < P9_HDRSZ || size > s->msize)) {
			spin_unlock(&ninep_lock);
			bad_frame(s, size < P9_HDRSZ ? P9_E_SHORT : P9_E_MSIZE, size);
			return E_INVAL;
		}
	}
	spin_unlock(&ninep_lock);
	if (whole) {
		spin_lock(&ninep_lock);
		if (s->fresh > 0)
			s->fresh--;
		spin_unlock(&ninep_lock);
		admit(s, size);
		*more = !s->hold;
	}
	input_shrink(s);
	return edge_clocks(s);
}

/* Post s's end: answer nothing more, close (unless the peer did); the end
 * job does the rest.  The framer's. */
static void post_end(struct ninep_conn *s)
{
	ninep_sealed_end(s);	/* our close record, so the peer sees no truncation */
	spin_lock(&ninep_lock);
	s->closing = true;
	if (!s->gone)
		arch_conn_close(s->conn);
	ninep_kill_runners(s);	/* their workers now, not when the end job runs */
	frame_remove(s);
	ninep_ctl_post(s, NINEP_CTL_END, 0);
	s->state = NS_ENDING;
	spin_unlock(&ninep_lock);
}

static void frame(struct ninep_conn *s)
{
	bool more = true, due;
	int err = 0;

	for (int n = 0; n < FRAME_BATCH && more && err == 0; n++) {
		spin_lock(&ninep_lock);
		due = frame_due(s) && !s->hold;
		spin_unlock(&ninep_lock);
		if (!due)
			return;
		err = frame_one(s, &more);
	}
	if (err < 0 && s->hold) {
		s->fatal = true;	/* ended after the control job just posted */
		return;
	}
	if (err < 0) {
		post_end(s);
		return;
	}
	spin_lock(&ninep_lock);
	if (!s->hold && frame_due(s))
		ninep_frame_offer(s);	/* the rest, after the others */
	spin_unlock(&ninep_lock);
}

/* ---- Control jobs (a worker's) ---------------------------------------- */

static void on_kill(void *arg)
{
	struct ninep_conn *s = arg;

	spin_lock(&ninep_lock);	/* proc_kill's: the scheduler masks, holds no lock */
	s->killed = true;
	ninep_frame_offer(s);
	spin_unlock(&ninep_lock);
}

static const struct pebbles conn_cap = { .n = { [PB_PAGES] = NINEP_CONN_PAGES,
	                                        [PB_FIDS] = NINEP_MAXFID,
	                                        [PB_REQS] = NINEP_MAXREQ,
	                                        [PB_CRYPTO] = NINEP_CONN_CRYPTO } };

/* The start: its principal (whom it acts for, never the console's; a
 * namespace of its own, as rfork(RFNAMEG) makes: its binds and mounts
 * change nobody else's view), then let the arch read.  0, or why not. */
static int conn_start(struct ninep_conn *s)
{
	struct proc *p;
	struct ns *mine;
	int err;

	s->msize = NINEP_MSIZE;
	s->d = P9_NONE;
	if (s->fatal)
		return E_IO;	/* the machine halts (ninep_drain) */
	if (!s->charged) {	/* came before the server, which had no room for it */
		kprintf("9p: connection %d (%s): no room for it in the connections' budget; "
		        "closing\n",
		        s->id, s->peer);
		return E_BUDGET;
	}
	if ((p = proc_principal_new("9pconn", s->share, &conn_cap, on_kill, s, &err)) == 0) {
		kprintf("9p: connection %d (%s): no memory for it (%s); closing\n", s->id, s->peer,
		        proc_errstr(err));
		return err;
	}
	p->cred.flags = 0;
	s->rx.p = p;
	s->budget = p->budget;
	ninep_identify(s);
	kstrlcpy(p->cred.user, s->user, sizeof p->cred.user);
	if ((mine = ns_copy(p->ns)) == 0) {
		kprintf("9p: connection %d (%s): no memory for its namespace; closing\n", s->id,
		        s->peer);
		return E_NOMEM;
	}
	ns_put(p->ns);
	p->ns = mine;
	qlock_init(&s->actlock, "9pact");
	s->started = arch_time_ns();
	spin_lock(&ninep_lock);
	s->in = s->small;
	s->incap = sizeof s->small;
	s->state = NS_SERVED;
	nserved++;
	if (!s->gone && !draining) {
		s->paused = false;
		arch_conn_pause(s->conn, 0);
	}
	spin_unlock(&ninep_lock);
	ninep_pool_keep(nserved);
	return edge_clocks(s);	/* the handshake clock starts now */
}

static bool is_gone(void *arg)
{
	return ((struct ninep_conn *)arg)->gone;
}

/* The end: stop its requests, wait until the arch is done with the id,
 * let go of its fids, buffers and keys. */
static void conn_end(struct ninep_conn *s)
{
	uint8_t *in;
	size_t cap;

	ktimer_cancel(&s->timer);
	ninep_stop_all(s);
	sleep_on_unint(&s->wq, is_gone, s);
	/* the arch is done with the id: whatever the client left unread is
	 * gone with it */
	spin_lock(&ninep_lock);
	if (s->qcharged)
		ninep_uncharge(s, s->qcharged);
	s->qcharged = 0;
	spin_unlock(&ninep_lock);
	ninep_fid_clunk_all(s);
	ninep_fid_table_free(s);
	ninep_sealed_free(s);
	spin_lock(&ninep_lock);
	in = s->in;
	cap = s->incap;
	s->in = 0;
	spin_unlock(&ninep_lock);
	ninep_inbuf_free(s, in, cap);
	kassert(s->bytes == 0);	/* every charge given back: the budget closes clean */
}

bool ninep_control(struct ninep_conn *s)
{
	struct ninep_req *r = s->ctlreq;
	int err = 0;

	switch (s->ctl) {
	case NINEP_CTL_START: err = conn_start(s); break;
	case NINEP_CTL_VERSION: ninep_version(s, r); break;
	case NINEP_CTL_ATTACH:
		ninep_attach_inline(s, r);
		ninep_req_free(s, r);
		break;
	case NINEP_CTL_END: conn_end(s); return true;
	case NINEP_CTL_NONE: break;
	}
	spin_lock(&ninep_lock);
	if (err < 0)
		s->fatal = true;
	s->ctl = NINEP_CTL_NONE;
	s->ctlreq = 0;
	s->ctlrun = false;
	s->hold = false;
	ninep_frame_offer(s);	/* what came meanwhile, or the end */
	spin_unlock(&ninep_lock);
	return false;
}

void ninep_conn_free(struct ninep_conn *s)
{
	struct proc *p = s->rx.p;
	spin_lock(&ninep_lock);
	bool served = s->rx.p != 0;

	kassert(s->gone && s->conn < 0 && !s->onring);
	frame_remove(s);
	list_remove(&s->all);
	nconns--;
	if (served)
		nserved--;
	spin_unlock(&ninep_lock);
	if (served)
		ninep_pool_keep(nserved);
	s->budget = 0;
	s->rx.p = 0;
	/* its namespace goes here, in a proc: the last chan of a tree closes
	 * under the device's sleeping lock */
	if (p)
		proc_principal_free(p);
	if (s->charged)
		budget_release(s->share, PB_PAGES, NINEP_CONN_IDLE_PAGES);
	ninep_peer_leave(s);	/* last: its budget and idle page drew from the peer's */
	kfree(s);
}

/* ---- The listener: the framer, the pool's tender, the edge ------------ */

static bool any_pending(void *arg)
{
	USED(arg);
	/* framing, workers to start, refusals to answer, a summary to print */
	return fhead != 0 || ninep_pool_wanted() || ninep_admit_due();
}

/* No listener: close the connections waiting for one, and any to come. */
static void refuse_pending(void)
{
	spin_lock(&ninep_lock);
	struct list *l;

	serving = false;
	refusing = true;
	list_for_each(l, &allconns) {
		struct ninep_conn *s = list_entry(l, struct ninep_conn, all);
		if (s->state == NS_PENDING && !s->gone)
			arch_conn_close(s->conn);
	}
	spin_unlock(&ninep_lock);
}

/* The pool's bound: NINEP_POOL_PER_CONN per connection at most (busy
 * clients run up to NINEP_RUNNING at once while others are quiet),
 * within NINEP_POOL_MAX. */
static void listener(void *arg)
{
	ninep_pool_init(&listenq, (size_t)(uintptr_t)arg);
	for (;;) {
		struct ninep_conn *s;
		if (sleep_on(&listenq, any_pending, 0) < 0)
			break;
		ninep_admit_tend();
		ninep_pool_tend();
		/* a round of the ring as it is now: what is offered meanwhile
		 * waits for the next, after the pool and the edge */
		for (size_t n = nconns + 1; n > 0; n--) {
			spin_lock(&ninep_lock);
			s = frame_pop();
			spin_unlock(&ninep_lock);
			if (s == 0)
				break;
			frame(s);
			proc_yield();	/* let the workers at it: queues stay short */
		}
	}
	/* killed: serve nobody new (those being served keep their workers) */
	refuse_pending();
	proc_exit(0);
}

void ninep_mount_ctl(void)
{
	struct chan *c;
	int fd, err;

	if (!serving)
		return;
	fd = sys_create(NINEP_CTL_PATH, OREAD, DMDIR | 0555);
	if (fd >= 0)
		sys_close(fd);
	if ((err = dev_attach(&ninep_dev, "", &c)) == 0) {
		err = ns_mount(curproc()->ns, NINEP_CTL_PATH, c);
		chan_put(c);
	}
	if (err < 0)
		kprintf("9p: cannot mount %s (%s); aname ctl will not attach\n", NINEP_CTL_PATH,
		        lux_errstr(err));
}

void ninep_start(void)
{
	struct pebbles grant, cap;
	size_t n, slots;
	int err = E_BUDGET;

	if (!(lux_bootinfo->caps & LUX_CAP_CONN) || serving)
		return;
	ninep_admit_init(&listenq);
	budget_white(curproc()->budget, &cap);
	for (int k = 0; k < PB_NKINDS; k++)
		cap.n[k] = cap.n[k] / NINEP_POOL_SHARE_DEN * NINEP_POOL_SHARE_NUM;
	cap.n[PB_PROCS] = 0;	/* principals are no procs of its: they never run */
	if ((connpool = budget_cap(curproc()->budget, &cap, &err)) == 0) {
		kprintf("9p: no memory for the connections' budget; not serving\n");
		refuse_pending();
		return;
	}
	{	/* those that came before the pool: charged now, or refused */
		spin_lock(&ninep_lock);
		struct list *l;
		list_for_each(l, &allconns) {
			struct ninep_conn *s = list_entry(l, struct ninep_conn, all);
			if (!s->charged && charge_idle(s) < 0)
				s->fatal = true;	/* its start ends it */
		}
		spin_unlock(&ninep_lock);
	}
	/* as many connections as the pool's memory holds idle, at most
	 * NINEP_MAXCONN (each beyond its idle page draws what it uses as it
	 * uses it, within its cap) */
	budget_white(connpool, &cap);
	slots = cap.n[PB_PAGES] / NINEP_CONN_IDLE_PAGES;
	nslots = slots < NINEP_MAXCONN ? slots : NINEP_MAXCONN;
	if (lux_bootinfo->ninep_maxconn && lux_bootinfo->ninep_maxconn < nslots)
		nslots = lux_bootinfo->ninep_maxconn;
	/* The listener pays for the pool of workers (a proc, its stack and
	 * its reply buffer each): NINEP_POOL_MAX, or as many as a small
	 * machine can give. */
	for (n = NINEP_POOL_MAX; n > 0; n /= 2) {
		kmemset(&grant, 0, sizeof grant);
		grant.n[PB_PROCS] = n;
		grant.n[PB_PAGES] = n * NINEP_WORKER_PAGES;
		if (proc_spawn("9plisten", PRIO_NORMAL, listener, (void *)(uintptr_t)n,
		               PROC_DETACHED, &grant, &err))
			break;
	}
	if (n == 0) {
		kprintf("9p: cannot start the listener (%s); not serving\n", proc_errstr(err));
		refuse_pending();
		return;
	}
	serving = true;
	if (lux_bootinfo->listening && !lux_bootinfo->quiet)
		kprintf("9p: serving / on %s\n", lux_bootinfo->listening);
}

/* ---- Halting: answer what was asked, take nothing new ------------------ */

/* How often ninep_drain looks again.  Polling, not a wakeup: the framer
 * and workers each sleep on queues of their own, and this runs once in a
 * machine's life. */
#define DRAIN_POLL_NS (10ull * 1000 * 1000)

/* Does s still owe its peer an answer: a request in flight, a reply the
 * arch has not handed to the host, or a whole message read but not yet
 * admitted?  (A message only partly arrived is the peer's to finish; it
 * is not waited for.)  ninep_lock held. */
static bool owes(struct ninep_conn *s)
{
	uint32_t size;

	if (s->state != NS_SERVED || s->gone || s->closing)
		return false;
	if (s->reqs || s->queued || (s->secure && ninep_sealed_ready(s)))
		return true;
	if (s->inlen - s->inoff < 4)
		return false;
	size = le32(s->in + s->inoff);
	return size >= P9_HDRSZ && size <= s->msize && s->inlen - s->inoff >= size;
}

int ninep_drain(uint32_t ms)
{
	uint64_t deadline = arch_time_ns() + (uint64_t)ms * 1000000;
	spin_lock(&ninep_lock);
	struct list *l;
	int busy;

	draining = true;
	list_for_each(l, &allconns) {
		struct ninep_conn *s = list_entry(l, struct ninep_conn, all);
		if (s->gone)
			continue;
		if (s->state == NS_SERVED && !s->paused) {
			s->paused = true;
			arch_conn_pause(s->conn, 1);
		} else if (s->state == NS_PENDING) {
			s->fatal = true;	/* never served: its start ends it */
			arch_conn_close(s->conn);
		}
	}
	spin_unlock(&ninep_lock);
	for (;;) {
		busy = 0;
		spin_lock(&ninep_lock);
		list_for_each(l, &allconns)
			busy += owes(list_entry(l, struct ninep_conn, all));
		spin_unlock(&ninep_lock);
		if (busy == 0 || arch_time_ns() >= deadline)
			return busy;
		tsleep_ns(DRAIN_POLL_NS);
	}
}

/* ---- Counters (docs/9p.md, "Counters") -------------------------------- */

/* Connections listed one per line; beyond, only counted (the totals
 * cover them all). */

size_t ninep_status(char *buf, size_t size)
{
	return ninep_status_of(buf, size, 0);
}

size_t ninep_status_of(char *buf, size_t size, const struct proc *only)
{
	static const int kinds[] = { PB_FIDS, PB_REQS, PB_PAGES, PB_PROCS };
	uint64_t tot[4] = { 0 }, totbytes = 0;
	size_t len = 0, nconn = 0;
	struct list *l;

#define PUT(...) \
	(len += ksnprintf(buf + (len < size ? len : size), len < size ? size - len : 0, \
	                  __VA_ARGS__))
	if (!serving) {
		PUT("9p: not serving\n");
		return len;
	}
	/* one section under ninep_lock: a connection cannot end under us */
	spin_lock(&ninep_lock);
	list_for_each(l, &allconns) {
		struct ninep_conn *s = list_entry(l, struct ninep_conn, all);
		struct budget_info bi;
		char peer[sizeof s->peer];
		if (s->state != NS_SERVED || s->budget == 0)
			continue;
		budget_snapshot(s->budget, &bi);
		/* procs: the pool's workers running its requests now */
		bi.held.n[PB_PROCS] = s->nrunning;
		bi.total.n[PB_PROCS] = NINEP_RUNNING;
		nconn++;
		totbytes += s->bytes;
		for (size_t k = 0; k < 4; k++)
			tot[k] += bi.held.n[kinds[k]];
		if (nconn > NINEP_STATUS_LINES || (only && s->rx.p != only))
			continue;
		kstrlcpy(peer, s->peer, sizeof peer);
		for (char *p = peer; *p; p++)
			if (*p == ' ')
				*p = '_';
		PUT("conn %d %s", s->id, peer);
		for (size_t k = 0; k < 4; k++)
			PUT(" %s %llu/%llu",
			    kinds[k] == PB_REQS ? "reqs" : pebble_kind_name(kinds[k]),
			    (unsigned long long)bi.held.n[kinds[k]],
			    (unsigned long long)bi.total.n[kinds[k]]);
		PUT(" bytes %llu unread %zu\n", (unsigned long long)s->bytes, s->qcharged);
	}
	spin_unlock(&ninep_lock);
	if (nconn > NINEP_STATUS_LINES && !only)
		PUT("(%zu more connections, counted below)\n", nconn - NINEP_STATUS_LINES);
	if (!only)
		len += ninep_peer_status(buf + (len < size ? len : size),
		                         len < size ? size - len : 0, NINEP_STATUS_LINES);
	PUT("total conns %zu fids %llu reqs %llu pages %llu procs %llu bytes %llu\n", nconn,
	    (unsigned long long)tot[0], (unsigned long long)tot[1], (unsigned long long)tot[2],
	    (unsigned long long)tot[3], (unsigned long long)totbytes);
#undef PUT
	return len;
}
