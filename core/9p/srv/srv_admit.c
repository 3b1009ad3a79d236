/*
 * The 9P server's connection edge: who may take a slot, how a refused
 * connection is told why, and the console's summary of refusals and
 * timeouts (docs/9p.md, "Limits at the connection edge").
 *
 * Why caps per peer: slots are few (16 on a default luxsim), and a peer
 * that holds them all, even idle, locks everyone else out.  A peer is
 * what the host vouches for: a local socket's uid, or a TCP address
 * (without the port: one host's connections are one peer, though not an
 * identity).  The host owner's own tools on the local socket get the
 * most, yet a quarter stays for everyone else; everyone else together
 * leaves the host owner that quarter too.
 *
 * Why refusals speak 9P: a client that sees only EOF or a reset cannot
 * tell a full server from a dead one.  The reason goes in an Rerror
 * (9P2000) or Rlerror (9P2000.L, which carries only an errno), and the
 * dialect is the client's first message's: we wait for that message
 * (bounded: NINEP_REFUSE_WAIT_MS, NINEP_MAXREFUSING connections, the
 * first NINEP_REFUSE_PEEK bytes), answer it with its own tag (NOTAG for a
 * Tversion), and close.  A client that says nothing in time gets the
 * 9P2000 Rerror, the one every client can read, then the close.
 *
 * Why a summary: a line per refusal lets any client flood the console
 * (2,000 connects made 1,940 lines); a line per interval says as much.
 */
#include "9psrv.h"
#include <lux/fmt.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/string.h>

#define MS(x) ((uint64_t)(x)*1000000u)

/* ---- Timeouts --------------------------------------------------------- */

uint64_t ninep_handshake_ns(void)
{
	uint32_t ms = lux_bootinfo->ninep_handshake_ms;

	return MS(ms ? ms : NINEP_HANDSHAKE_MS);
}

uint64_t ninep_partial_ns(void)
{
	uint32_t ms = lux_bootinfo->ninep_partial_ms;

	return MS(ms ? ms : NINEP_PARTIAL_MS);
}

static uint64_t report_ns(void)
{
	uint32_t ms = lux_bootinfo->ninep_report_ms;

	return MS(ms ? ms : NINEP_REPORT_MS);
}

static uint64_t refuse_wait_ns(void)
{
	uint64_t hs = ninep_handshake_ns();

	return hs < MS(NINEP_REFUSE_WAIT_MS) ? hs : MS(NINEP_REFUSE_WAIT_MS);
}

/* ---- Who may take a slot ---------------------------------------------- */

/* The length of addr's host part: "tcp!1.2.3.4!5678" without "!5678". */
static size_t host_len(const char *addr)
{
	size_t n = kstrlen(addr), i = n;

	while (i > 0 && addr[i - 1] != '!')
		i--;
	return i > 0 ? i - 1 : n;
}

static bool same_peer(const struct ninep_conn *s, const struct lux_peer *p)
{
	const char *a = p->addr ? p->addr : "?";
	size_t n;

	if (s->transport != p->transport)
		return false;
	if (p->transport == LUX_PEER_LOCAL)
		return s->peer_uid == p->uid;
	n = host_len(a);
	return host_len(s->peer) == n && kmemcmp(s->peer, a, n) == 0;
}

static void peer_name(const struct lux_peer *p, char *out, size_t cap)
{
	const char *a = p->addr ? p->addr : "?";

	if (p->transport == LUX_PEER_LOCAL && p->uid >= 0)
		ksnprintf(out, cap, "local uid %lld", (long long)p->uid);
	else if (p->transport == LUX_PEER_LOCAL)
		ksnprintf(out, cap, "a local peer of unknown uid");
	else
		ksnprintf(out, cap, "%.*s", (int)host_len(a), a);
}

enum ninep_refusal ninep_admit(struct list *conns, size_t nslots, const struct lux_peer *peer,
                               char *why, size_t cap)
{
	struct list *l;
	size_t used = 0, mine = 0, others = 0, kept = nslots / 4, mycap;
	bool owner = ninep_peer_is_owner(peer->transport, peer->uid);
	char name[64];

	list_for_each(l, conns) {
		const struct ninep_conn *s = list_entry(l, struct ninep_conn, all);
		used++;
		if (same_peer(s, peer))
			mine++;
		if (!ninep_peer_is_owner(s->transport, s->peer_uid))
			others++;
	}
	if (used >= nslots) {
		ksnprintf(why, cap, "budget exhausted: connections %zu/%zu", used, nslots);
		return NINEP_REFUSE_FULL;
	}
	mycap = owner ? nslots - kept : (nslots / 2 ? nslots / 2 : 1);
	if (mine >= mycap) {
		peer_name(peer, name, sizeof name);
		ksnprintf(why, cap, "too many connections from %s: %zu/%zu", name, mine, mycap);
		return NINEP_REFUSE_PEER;
	}
	if (!owner && others >= nslots - kept) {
		ksnprintf(why, cap,
		          "budget exhausted: connections %zu/%zu for peers other than "
		          "the host owner (%zu of %zu kept for it)",
		          others, nslots - kept, kept, nslots);
		return NINEP_REFUSE_OTHERS;
	}
	return NINEP_ADMIT;
}

/* ---- Refused connections ---------------------------------------------- */

enum rstate { R_FREE, R_WAIT, R_DONE };

/* A refused connection until the arch says its id is free (R_DONE: we
 * closed it, lux_conn_closed is still to come). */
struct refusal {
	enum rstate state;
	int conn;
	enum ninep_refusal kind;
	uint64_t deadline;	/* answer by then, first message or not */
	size_t have;
	uint8_t peek[NINEP_REFUSE_PEEK];
	char why[96];
};

static struct refusal refusals[NINEP_MAXREFUSING];
static struct waitq *listenq;
static struct ktimer timer;	/* the earliest refusal deadline or the report */
static bool tick;
static uint64_t report_at;	/* when the summary is due; 0: nothing to say */
/* refusals[], tally, tick, report_at: the connection upcalls refuse and
 * feed refusals, the listener tends them.  A leaf but for the arch's
 * connection calls and the timer's lock (taken after: admit -> timer). */
static struct spinlock admit_lock = SPINLOCK_INIT("ninep-admit");

/* What the summary will say (under admit_lock). */
struct tally {
	size_t refused;		/* every refusal ... */
	size_t silent;		/* ... of which closed without a word (no room) */
	size_t handshake, partial;	/* served connections closed by a clock */
	size_t framing;		/* ... or for what they sent (ninep_note_closed) */
	char last[96];		/* the last refusal's reason */
	char lastframe[160];	/* the last such closing, with its connection */
};
static struct tally tally;

static bool tally_any(void)
{
	return tally.refused || tally.handshake || tally.partial || tally.framing;
}

void ninep_admit_init(struct waitq *q)
{
	listenq = q;
}

static void wake_listener(void)
{
	if (listenq)
		wakeup(listenq);
}

static void on_timer(void *arg)
{
	USED(arg);
	spin_lock(&admit_lock);
	tick = true;
	wake_listener();
	spin_unlock(&admit_lock);
}

static struct refusal *refusal_of(int conn)
{
	for (size_t i = 0; i < NINEP_MAXREFUSING; i++)
		if (refusals[i].state != R_FREE && refusals[i].conn == conn)
			return &refusals[i];
	return 0;
}

/* Is the first message (as much of it as we keep) here? */
static bool whole(const struct refusal *r)
{
	uint32_t size;

	if (r->have >= sizeof r->peek)
		return true;
	if (r->have < 4)
		return false;
	size = (uint32_t)r->peek[0] | (uint32_t)r->peek[1] << 8 | (uint32_t)r->peek[2] << 16 |
	       (uint32_t)r->peek[3] << 24;
	return size < P9_HDRSZ || r->have >= size;
}

void ninep_refuse(int conn, enum ninep_refusal kind, const char *why)
{
	struct refusal *r = 0;

	spin_lock(&admit_lock);
	tally.refused++;
	kstrlcpy(tally.last, why, sizeof tally.last);
	for (size_t i = 0; i < NINEP_MAXREFUSING && r == 0; i++)
		if (refusals[i].state == R_FREE)
			r = &refusals[i];
	if (r == 0) {	/* no room to wait for its Tversion: hang up */
		tally.silent++;
		arch_conn_close(conn);
	} else {
		kmemset(r, 0, sizeof *r);
		r->state = R_WAIT;
		r->conn = conn;
		r->kind = kind;
		r->deadline = arch_time_ns() + refuse_wait_ns();
		kstrlcpy(r->why, why, sizeof r->why);
	}
	wake_listener();	/* arm its clocks */
	spin_unlock(&admit_lock);
}

bool ninep_refusal_received(int conn, const void *buf, size_t n)
{
	struct refusal *r;
	size_t room;

	spin_lock(&admit_lock);
	if ((r = refusal_of(conn)) != 0 && r->state == R_WAIT) {
		room = sizeof r->peek - r->have;
		kmemcpy(r->peek + r->have, buf, n < room ? n : room);
		r->have += n < room ? n : room;
		if (whole(r))
			wake_listener();
	}
	spin_unlock(&admit_lock);
	return r != 0;
}

bool ninep_refusal_closed(int conn)
{
	struct refusal *r;

	spin_lock(&admit_lock);
	if ((r = refusal_of(conn)) != 0)
		r->state = R_FREE;	/* the id is free: so is the slot */
	spin_unlock(&admit_lock);
	return r != 0;
}

/* Tell r why and close it.  admit_lock held, so its id cannot be freed
 * and reused under us (the closed upcall takes it too). */
static void answer(struct refusal *r)
{
	struct p9_msg m = { .tag = P9_NOTAG };
	enum p9_dialect d = P9_2000;
	uint8_t out[160];
	int n;

	if (r->have >= P9_HDRSZ)
		m.tag = (uint16_t)(r->peek[5] | r->peek[6] << 8);
	/* Tversion: size[4] type[1] tag[2] msize[4] version[s] */
	if (r->have >= 13 && r->peek[4] == P9_TVERSION) {
		size_t len = (size_t)(r->peek[11] | r->peek[12] << 8);
		if (len > r->have - 13)
			len = r->have - 13;
		if (p9_dialect_of((const char *)r->peek + 13, len) == P9_2000L)
			d = P9_2000L;
	}
	if (d == P9_2000L) {
		m.type = P9_RLERROR;
		m.u.rlerror.ecode = r->kind == NINEP_REFUSE_PEER ? 24 : 23;	/* EMFILE, ENFILE */
	} else {
		m.type = P9_RERROR;
		m.u.rerror.ename = p9_str_c(r->why);
	}
	n = p9_encode(&m, out, sizeof out, d);
	if (n > 0)
		arch_conn_send(r->conn, out, (size_t)n);
	arch_conn_close(r->conn);
	r->state = R_DONE;
}

static bool due_locked(void)
{
	if (tick)
		return true;
	if (tally_any() && report_at == 0)
		return true;	/* the summary's clock is to be started */
	for (size_t i = 0; i < NINEP_MAXREFUSING; i++)
		if (refusals[i].state == R_WAIT && whole(&refusals[i]))
			return true;
	return false;
}

bool ninep_admit_due(void)
{
	bool due;

	spin_lock(&admit_lock);
	due = due_locked();
	spin_unlock(&admit_lock);
	return due;
}

void ninep_note_timeout(enum ninep_timeout what)
{
	spin_lock(&admit_lock);
	if (what == NINEP_TIMEOUT_HANDSHAKE)
		tally.handshake++;
	else
		tally.partial++;
	wake_listener();
	spin_unlock(&admit_lock);
}

/* A connection closed for what its client sent (a message it could not
 * frame, more Tflushes than can be held, no room for its message or its
 * replies): into the summary, not a console line each, which any client
 * could repeat by reconnecting to flood the operator's console
 * (tests/attacks/k_console.py: 300 lines for 300 connections). */
void ninep_note_closed(const char *why)
{
	spin_lock(&admit_lock);
	tally.framing++;
	kstrlcpy(tally.lastframe, why, sizeof tally.lastframe);
	wake_listener();
	spin_unlock(&admit_lock);
}

static void print_summary(const struct tally *t)
{
	size_t refused = t->refused, silent = t->silent, handshake = t->handshake;
	size_t partial = t->partial;
	const char *last = t->last;
	uint64_t ms = report_ns() / 1000000u;
	char span[32];

	if (ms % 1000 == 0)
		ksnprintf(span, sizeof span, "%llu s", (unsigned long long)(ms / 1000));
	else
		ksnprintf(span, sizeof span, "%llu ms", (unsigned long long)ms);
	if (refused)
		kprintf("9p: refused %zu connection%s in the last %s (%zu without a 9P answer); "
		        "last: %s\n",
		        refused, refused == 1 ? "" : "s", span, silent, last);
	if (handshake)
		kprintf("9p: closed %zu connection%s in the last %s that had not finished Tversion "
		        "within %llu ms\n",
		        handshake, handshake == 1 ? "" : "s", span,
		        (unsigned long long)(ninep_handshake_ns() / 1000000u));
	if (partial)
		kprintf("9p: closed %zu connection%s in the last %s that held a partial message "
		        "over %llu ms\n",
		        partial, partial == 1 ? "" : "s", span,
		        (unsigned long long)(ninep_partial_ns() / 1000000u));
	if (t->framing)
		kprintf("9p: closed %zu connection%s in the last %s for what they sent; last: %s\n",
		        t->framing, t->framing == 1 ? "" : "s", span, t->lastframe);
}

void ninep_admit_tend(void)
{
	spin_lock(&admit_lock);
	uint64_t now = arch_time_ns(), next = 0;
	struct tally said;
	bool report = false;

	tick = false;
	for (size_t i = 0; i < NINEP_MAXREFUSING; i++) {
		struct refusal *r = &refusals[i];
		if (r->state != R_WAIT)
			continue;
		if (whole(r) || now >= r->deadline)
			answer(r);
		else if (next == 0 || r->deadline < next)
			next = r->deadline;
	}
	if (tally_any() && report_at == 0)
		report_at = now + report_ns();
	if (report_at && now >= report_at) {
		said = tally;
		kmemset(&tally, 0, sizeof tally);
		report_at = 0;
		report = true;
	}
	if (report_at && (next == 0 || report_at < next))
		next = report_at;
	if (next)
		ktimer_start(&timer, next, on_timer, 0);
	else
		ktimer_cancel(&timer);
	spin_unlock(&admit_lock);
	if (report)
		print_summary(&said);
}
