/*
 * Connections on metal: the virtio-serial port virtio.c found, whose one
 * host client is the runner (run-qemu.py --listen).  The runner accepts
 * the 9P clients and multiplexes them over the port in framed records
 * (drivers/connmux.h, docs/x86_64.md "The mux protocol"): each OPEN is a
 * new connection for the core, its DATA what the client sent, its CLOSE
 * the client's hang-up; our CLOSE makes the runner hang up on the
 * client.  A record names its connection, so no byte of one client can
 * be read as another's.
 *
 * Everything happens in x86_conn_service, from the device's interrupt
 * (VEC_VIRTIO), with interrupts off.  arch_conn_close and arch_conn_pause
 * may be called from inside the upcalls it makes, so they only record
 * what was asked and kick: the handler runs again once the current one
 * has returned, and the close's lux_conn_closed comes from there.
 *
 * Receiving: the port's bytes are always read to the end and parsed;
 * DATA goes to its connection's buffer (MUX_WINDOW bytes), which the
 * runner never overfills (it sends only the credit we granted).  From
 * there bytes go to the core at most lux_conn_room() at a time (v8); a
 * room of 0, or arch_conn_pause, stops that connection only: its buffer
 * fills, we grant no more, and the runner stops forwarding its client.
 *
 * Sending: arch_conn_send writes DATA records into one ring of
 * LUX_CONN_SENDMAX bytes shared by all connections, offered to the
 * device in chunks; as the device hands chunks back (QEMU does once the
 * runner's socket took them) whole records leave the ring, and
 * lux_conn_sent reports each connection's bytes still waiting.
 */
#include <lux/arch.h>
#include <lux/error.h>
#include <lux/upcall.h>

#include "connmux.h"
#include "virtio_console.h"
#include "x86.h"

/* The contract's bound on what may wait: a send fails only past it. */
#define RING LUX_CONN_SENDMAX
_Static_assert((RING & (RING - 1)) == 0, "the send ring is a power of two");
#define CHUNK (16u << 10)	/* the most one send descriptor carries */
/* Kept free of DATA for our CLOSE, WINDOW and SYNC records, so that a
 * ring full of replies still lets a connection end or be granted. */
#define RESERVE (64u << 10)
#define BAD_SHOWN 16		/* refused records printed; then only counted */

/* The host is whoever may open the runner's socket, a path the operator
 * named on the command line: trusted like the host owner, as luxsim's
 * listeners opened by name without authentication are
 * (docs/security.md).  The runner is the only client of QEMU's socket. */
static const struct lux_peer peer = { "virtio!lux9.9p", LUX_PEER_NET_NOAUTH, -1 };

static struct vcon *vc;
static void (*kick)(void);
static unsigned changes_seen;	/* vc->host_changes handled */
static struct mux mux;
static int next_id = 1;

/* What the arch keeps per mux id, beside the parser's state. */
static struct slot {
	int conn;		/* the core's id, -1: none */
	uint8_t paused, close_asked, report;
	size_t queued;		/* conn's payload bytes in the ring */
	size_t stale;		/* earlier connections' bytes on this id, still there */
} slot[MUX_CONNS];

/* The send ring: bytes [tail, head) wait; [done, posted) are at the
 * device; [tail, done) were handed back but end inside a record, which
 * leaves the ring whole.  fifo[] is the device's chunks in order. */
static uint8_t *ring;
static uint64_t head, posted, done, tail;
static unsigned long ctl_dropped;
static struct {
	uint32_t len;
	uint8_t inuse, done;
} rec[VIRTQ_MAX];
static uint16_t fifo[VIRTQ_MAX];
static unsigned fhead, fcount;

static void ev_opened(void *u, unsigned id);
static void ev_hangup(void *u, unsigned id);
static void ev_lost(void *u, int flag);
static void ev_bad(void *u, const char *why, unsigned id);
static const struct mux_ev events = { ev_opened, ev_hangup, ev_lost, ev_bad, 0 };

void x86_conn_attach(struct vcon *v, void (*k)(void))
{
	uint8_t *bufs[MUX_CONNS], *b = memmap_take_run(MUX_CONNS * MUX_WINDOW / X86_PAGE);

	vc = v;
	kick = k;
	ring = memmap_take_run(RING / X86_PAGE);
	for (unsigned i = 0; i < MUX_CONNS; i++) {
		bufs[i] = b + i * MUX_WINDOW;
		slot[i].conn = -1;
	}
	mux_init(&mux, bufs, &events);
}

static void put(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ring[(head + i) & (RING - 1)] = p[i];
	head += n;
}

static size_t ring_free(void)
{
	return RING - (size_t)(head - tail);
}

/* A record of ours: CLOSE (no payload), WINDOW (the credit, u32) or
 * SYNC (its magic; arg is the flag). */
static void control(uint8_t type, unsigned id, uint32_t arg)
{
	uint8_t h[MUX_SYNCLEN];
	size_t n = MUX_HDR;

	if (type == MUX_SYNC) {
		mux_sync(h, (uint8_t)arg);
		n = MUX_SYNCLEN;
	} else if (type == MUX_WIN) {
		mux_header(h, type, id, 4);
		h[8] = (uint8_t)arg, h[9] = (uint8_t)(arg >> 8);
		h[10] = (uint8_t)(arg >> 16), h[11] = (uint8_t)(arg >> 24);
		n = MUX_HDR + 4;
	} else {
		mux_header(h, type, id, 0);
	}
	if (ring_free() < n) {
		ctl_dropped++;	/* only a runner that stopped reading gets here */
		return;
	}
	put(h, n);
}

/* Offer waiting bytes to the device while it has free slots; a chunk
 * ends at the ring's end. */
static void post_pending(void)
{
	unsigned slots = vcon_tx_slots(vc);

	while (posted < head && fcount < slots) {
		uint64_t len = head - posted, off = posted & (RING - 1);
		uint16_t s = 0;

		while (rec[s].inuse)
			s++;	/* fcount < slots: one is free */
		if (len > CHUNK)
			len = CHUNK;
		if (len > RING - off)
			len = RING - off;
		if (vcon_tx(vc, s, ring + off, (uint32_t)len) < 0)
			return;
		rec[s].len = (uint32_t)len;
		rec[s].inuse = 1;
		rec[s].done = 0;
		fifo[(fhead + fcount++) % VIRTQ_MAX] = s;
		posted += len;
	}
}

/* The core's connection on id ends: it hears lux_conn_closed, and the
 * runner our CLOSE unless the whole mux went (tell 0). */
static void conn_end(unsigned id, int tell)
{
	struct slot *s = &slot[id];
	int conn = s->conn;

	s->conn = -1;
	s->stale += s->queued;
	s->queued = 0;
	s->paused = s->close_asked = s->report = 0;
	if (tell) {
		control(MUX_CLOSE, id, 0);
		mux_kclose(&mux, id);
	}
	x86_upcalls++;
	lux_conn_closed(conn);
}

static void ev_opened(void *u, unsigned id)
{
	struct slot *s = &slot[id];

	(void)u;
	s->conn = next_id;
	next_id = next_id == 0x7fffffff ? 1 : next_id + 1;
	s->paused = s->close_asked = s->report = 0;
	s->queued = 0;
	x86_upcalls++;
	lux_conn_opened(s->conn, &peer);	/* may pause or close it at once */
}

/* The client hung up: its buffered bytes still go first (conn_serve). */
static void ev_hangup(void *u, unsigned id)
{
	(void)u, (void)id;
}

static void ev_lost(void *u, int flag)
{
	(void)u;
	for (unsigned i = 0; i < MUX_CONNS; i++)
		if (slot[i].conn >= 0)
			conn_end(i, 0);
	control(MUX_SYNC, 0, (uint32_t)flag);
}

static void ev_bad(void *u, const char *why, unsigned id)
{
	(void)u;
	if (mux.bad <= BAD_SHOWN)
		x86_printf("x86_64: 9p mux: refused a record from the runner: %s (id %u)%s\n", why,
		           id, mux.bad == BAD_SHOWN ? "; further ones are only counted" : "");
}

static uint8_t ring_at(uint64_t off)
{
	return ring[off & (RING - 1)];
}

/* Whole records the device has sent leave the ring; DATA uncharges its
 * connection (an earlier connection's bytes on the id first).  The
 * headers are ours, written whole: trusted. */
static void account(void)
{
	while (tail + MUX_HDR <= done) {
		uint32_t len = ring_at(tail + 4) | (uint32_t)ring_at(tail + 5) << 8 |
		               (uint32_t)ring_at(tail + 6) << 16 |
		               (uint32_t)ring_at(tail + 7) << 24;
		uint8_t type = ring_at(tail);
		struct slot *s = &slot[(ring_at(tail + 2) | ring_at(tail + 3) << 8) % MUX_CONNS];
		size_t d;

		if (tail + MUX_HDR + len > done)
			break;
		tail += MUX_HDR + len;
		if (type != MUX_DATA)
			continue;
		d = s->stale < len ? s->stale : len;
		s->stale -= d;
		s->queued -= len - d;
		s->report |= len > d;
	}
}

/* Sends the device finished: chunks back in order, then records. */
static void sent(void)
{
	uint16_t s;

	while (vcon_tx_done(vc, &s) > 0)
		rec[s].done = 1;
	while (fcount > 0 && rec[fifo[fhead]].done) {
		s = fifo[fhead];
		done += rec[s].len;
		rec[s].inuse = rec[s].done = 0;
		fhead = (fhead + 1) % VIRTQ_MAX;
		fcount--;
	}
	account();
}

static void report(void)
{
	for (unsigned i = 0; i < MUX_CONNS; i++)
		if (slot[i].report && slot[i].conn >= 0) {
			slot[i].report = 0;
			x86_upcalls++;
			lux_conn_sent(slot[i].conn, slot[i].queued);
		}
}

/* id's buffered bytes to the core, as far as it has room. */
static void deliver(unsigned id)
{
	struct slot *s = &slot[id];
	const uint8_t *p;
	uint32_t n;
	size_t room;

	while (s->conn >= 0 && !s->paused && !s->close_asked && (n = mux_peek(&mux, id, &p)) > 0) {
		if ((room = lux_conn_room(s->conn)) == 0) {
			s->paused = 1;	/* the core resumes it with arch_conn_pause(0) */
			break;
		}
		if (n > room)
			n = (uint32_t)room;
		if (n > LUX_CONN_CHUNK)
			n = LUX_CONN_CHUNK;
		x86_upcalls++;
		lux_conn_received(s->conn, p, n);
		mux_take(&mux, id, n);
	}
}

/* One connection's turn: a close asked for, bytes to deliver, the
 * client's hang-up once they are delivered, credit to grant. */
static void conn_serve(unsigned id)
{
	struct mux_conn *c = &mux.c[id];
	const uint8_t *p;
	uint32_t g;

	if (slot[id].conn < 0)
		return;
	if (slot[id].close_asked || c->overrun) {
		conn_end(id, 1);
		return;
	}
	deliver(id);
	if (slot[id].conn >= 0 && c->rclosed && mux_peek(&mux, id, &p) == 0)
		conn_end(id, 1);
	else if ((g = mux_grant(&mux, id)) > 0)
		control(MUX_WIN, id, g);
}

/* The runner's end of the port opened or closed: every connection it
 * carried is gone, and a new runner starts with a SYNC. */
static void host_changes(void)
{
	if (vc->host_changes == changes_seen)
		return;
	changes_seen = vc->host_changes;
	for (unsigned i = 0; i < MUX_CONNS; i++)
		if (slot[i].conn >= 0)
			conn_end(i, 0);
	mux_reset(&mux);
}

static void received(void)
{
	const uint8_t *p;
	uint32_t n;

	while (vcon_rx_peek(vc, &p, &n)) {
		mux_input(&mux, p, n);
		vcon_rx_take(vc, n);
	}
}

void x86_conn_service(void)
{
	vcon_rx_drain(vc);
	if (vcon_poll(vc) < 0 && vc->host_changes == changes_seen)
		vc->host_changes++;	/* a broken device: its host side is gone */
	host_changes();
	sent();
	if (vc->host_open)
		received();
	else
		vcon_rx_discard(vc);
	for (unsigned i = 0; i < MUX_CONNS; i++)
		conn_serve(i);
	post_pending();
	report();
}

static int slot_of(int conn)
{
	for (unsigned i = 0; conn >= 0 && i < MUX_CONNS; i++)
		if (slot[i].conn == conn)
			return (int)i;
	return -1;
}

/* Records of at most MUX_MAXDATA; the ring's last RESERVE bytes are for
 * control records.  A client that hung up gets nothing (v6: dropped). */
static long send_records(unsigned id, const uint8_t *b, size_t n)
{
	size_t k = (n + MUX_MAXDATA - 1) / MUX_MAXDATA, need = n + k * MUX_HDR;
	uint8_t h[MUX_HDR];

	if (mux.c[id].rclosed)
		return (long)slot[id].queued;
	if (ring_free() < RESERVE || need > ring_free() - RESERVE)
		return -1;
	while (n > 0) {
		uint32_t len = n > MUX_MAXDATA ? MUX_MAXDATA : (uint32_t)n;

		mux_header(h, MUX_DATA, id, len);
		put(h, MUX_HDR);
		put(b, len);
		b += len, n -= len;
		slot[id].queued += len;
	}
	post_pending();
	return (long)slot[id].queued;
}

long arch_conn_send(int conn, const void *buf, size_t n)
{
	arch_irqstate s = arch_irq_save();
	int id = slot_of(conn);
	long r = -1;

	if (id >= 0 && !slot[id].close_asked)
		r = send_records((unsigned)id, buf, n);
	arch_irq_restore(s);
	return r;
}

void arch_conn_close(int conn)
{
	arch_irqstate s = arch_irq_save();
	int id = slot_of(conn);

	if (id >= 0 && !slot[id].close_asked) {
		slot[id].close_asked = 1;
		kick();
	}
	arch_irq_restore(s);
}

void arch_conn_pause(int conn, int p)
{
	arch_irqstate s = arch_irq_save();
	int id = slot_of(conn);

	if (id >= 0 && slot[id].paused != (p != 0)) {
		slot[id].paused = p != 0;
		if (!slot[id].paused)
			kick();		/* deliver what waits */
	}
	arch_irq_restore(s);
}

/* Metal has no network: nothing to dial (the 9P client reports it). */
int arch_conn_dial(const char *addr)
{
	(void)addr;
	return E_NOCONN;
}

int arch_conn_simulate(const struct arch_conn_sim *sim)
{
	(void)sim;
	return -1;	/* no deterministic simulation on metal */
}

/* One CPU and no threads yet (v9): offloaded work runs in place, in the
 * caller, which still takes its user's turn (core/kern/offload.c). */
int arch_offload(void (*fn)(void *), void *arg, void *cookie)
{
	(void)fn;
	(void)arg;
	(void)cookie;
	return E_NOTSUP;
}
