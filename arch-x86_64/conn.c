/*
 * Connections on metal: the virtio-serial port virtio.c found (the
 * host's end is QEMU's chardev socket, run-qemu.py --listen).  Each time
 * the host side opens (a client connects to the socket; the device says
 * PORT_OPEN 1) the core gets a new connection; when it closes (PORT_OPEN
 * 0) the core gets lux_conn_closed.  One connection at a time: QEMU's
 * socket chardev takes one client and keeps the next waiting.
 *
 * Everything happens in x86_conn_service, from the device's interrupt
 * (VEC_VIRTIO), with interrupts off.  arch_conn_close and arch_conn_pause
 * may be called from inside the upcalls it makes, so they only record
 * what was asked and kick: the handler runs again once the current one
 * has returned, and the close's lux_conn_closed comes from there.
 *
 * Receiving: bytes go to the core at most lux_conn_room() at a time
 * (v8); a room of 0 pauses the connection, and a buffer whose bytes the
 * core has not taken stays ours, so the device, then QEMU, then the
 * client wait.  Sending: arch_conn_send copies into a ring of
 * LUX_CONN_SENDMAX bytes (4 MiB: a send fails only where the contract
 * says it may) and offers it to the device in chunks; lux_conn_sent
 * reports what still waits each time the device hands chunks back (QEMU
 * does once the socket took them).
 *
 * The core closing a connection cannot close the host's socket (QEMU
 * ignores the guest's PORT_OPEN 0 for a socket chardev): until the host
 * side closes, what it sends is dropped and no new connection starts.
 */
#include <lux/arch.h>
#include <lux/error.h>
#include <lux/upcall.h>

#include "virtio_console.h"
#include "x86.h"

/* The contract's bound on what may wait: a send fails only past it. */
#define RING LUX_CONN_SENDMAX
_Static_assert((RING & (RING - 1)) == 0, "the send ring is a power of two");
#define CHUNK (16u << 10)	/* the most one send descriptor carries */

/* The host is whoever may open QEMU's socket, a path the operator named
 * on the command line: trusted like the host owner, as luxsim's
 * listeners opened by name without authentication are (docs/security.md). */
static const struct lux_peer peer = { "virtio!lux9.9p", LUX_PEER_NET_NOAUTH, -1 };

static struct vcon *vc;
static void (*kick)(void);
static unsigned changes_seen;	/* vc->host_changes handled */
static int cur = -1;		/* the open connection, -1: none */
static int next_id = 1;
static int paused, close_asked;
static int muted;		/* the core closed; the host has not: drop its bytes */

/* The send ring: bytes [tail, head) wait; [tail, posted) are at the
 * device, in the order of fifo[]. */
static uint8_t *ring;
static uint64_t head, posted, tail;
static uint64_t cur_start;	/* head when cur opened: older bytes are not its */
static size_t cur_queued;	/* cur's bytes not yet handed back */
static struct {
	uint32_t len;
	int conn;		/* whose bytes (-1: an ended connection's) */
	uint8_t inuse, done;
} rec[VIRTQ_MAX];
static uint16_t fifo[VIRTQ_MAX];
static unsigned fhead, fcount;

void x86_conn_attach(struct vcon *v, void (*k)(void))
{
	vc = v;
	kick = k;
	ring = memmap_take_run(RING / X86_PAGE);
}

/* Offer waiting bytes to the device while it has free slots; a chunk
 * ends at the ring's end and where cur's bytes start. */
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
		if (posted < cur_start && len > cur_start - posted)
			len = cur_start - posted;
		if (vcon_tx(vc, s, ring + off, (uint32_t)len) < 0)
			return;
		rec[s].len = (uint32_t)len;
		rec[s].conn = posted >= cur_start ? cur : -1;
		rec[s].inuse = 1;
		rec[s].done = 0;
		fifo[(fhead + fcount++) % VIRTQ_MAX] = s;
		posted += len;
	}
}

static void conn_end(void)
{
	int id = cur;

	cur = -1;
	paused = close_asked = 0;
	cur_queued = 0;
	for (unsigned i = 0; i < VIRTQ_MAX; i++)
		if (rec[i].conn == id)
			rec[i].conn = -1;
	x86_upcalls++;
	lux_conn_closed(id);
}

static void conn_open(void)
{
	cur = next_id;
	next_id = next_id == 0x7fffffff ? 1 : next_id + 1;
	paused = close_asked = muted = 0;
	cur_start = head;
	cur_queued = 0;
	x86_upcalls++;
	lux_conn_opened(cur, &peer);	/* may pause or close it at once */
}

/* The host side opened or closed, maybe both since we last looked. */
static void host_changes(void)
{
	if (vc->host_changes == changes_seen)
		return;
	changes_seen = vc->host_changes;
	muted = 0;
	if (cur >= 0)
		conn_end();
	if (vc->host_open)
		conn_open();
}

/* Sends the device finished free ring space, oldest first. */
static void sent(void)
{
	size_t before = cur_queued;
	uint16_t s;

	while (vcon_tx_done(vc, &s) > 0) {
		rec[s].done = 1;
		if (rec[s].conn >= 0 && rec[s].conn == cur)
			cur_queued -= rec[s].len;
	}
	while (fcount > 0 && rec[fifo[fhead]].done) {
		s = fifo[fhead];
		tail += rec[s].len;
		rec[s].inuse = rec[s].done = 0;
		fhead = (fhead + 1) % VIRTQ_MAX;
		fcount--;
	}
	post_pending();
	if (cur >= 0 && cur_queued < before) {
		x86_upcalls++;
		lux_conn_sent(cur, cur_queued);
	}
}

/* Received bytes to the core, as far as it has room. */
static void received(void)
{
	const uint8_t *p;
	uint32_t n;
	size_t room;

	if (cur < 0 || muted) {
		vcon_rx_discard(vc);
		return;
	}
	while (cur >= 0 && !paused && !close_asked && vcon_rx_peek(vc, &p, &n)) {
		if ((room = lux_conn_room(cur)) == 0) {
			paused = 1;	/* the core resumes it with arch_conn_pause(0) */
			break;
		}
		if (n > room)
			n = (uint32_t)room;
		if (n > LUX_CONN_CHUNK)
			n = LUX_CONN_CHUNK;
		x86_upcalls++;
		lux_conn_received(cur, p, n);
		vcon_rx_take(vc, n);
	}
}

/* The order matters.  virtio-serial does not say which host connection
 * received bytes came from, only that the host side closed or opened (on
 * the control queue); QEMU reads a new client's bytes only after it has
 * put that client's PORT_OPEN 1 on the control queue.  So the data queue
 * is drained first, then the control queue read: every byte drained was
 * written before an open we then see, and none of a client whose open we
 * have not seen can be among them.  Bytes drained when no connection is
 * open are dropped (a client that left).  What stays ambiguous: a client
 * that hangs up with bytes still unread, just before the next one
 * connects, may have them read as the start of the next connection's
 * stream (docs/x86_64.md; every client of the socket is trusted alike,
 * so it is confusion, not a way to act as someone else). */
void x86_conn_service(void)
{
	vcon_rx_drain(vc);
	if (vcon_poll(vc) < 0 && cur >= 0 && vc->host_changes == changes_seen)
		vc->host_changes++;	/* a broken device: its host side is gone */
	host_changes();
	if (close_asked && cur >= 0) {
		conn_end();
		muted = vc->host_open;
	}
	sent();
	received();
}

long arch_conn_send(int conn, const void *buf, size_t n)
{
	arch_irqstate s = arch_irq_save();
	const uint8_t *b = buf;
	long r = -1;

	if (conn >= 0 && conn == cur && !close_asked && n <= RING - (head - tail)) {
		for (size_t i = 0; i < n; i++)
			ring[(head + i) & (RING - 1)] = b[i];
		head += n;
		cur_queued += n;
		post_pending();
		r = (long)cur_queued;
	}
	arch_irq_restore(s);
	return r;
}

void arch_conn_close(int conn)
{
	arch_irqstate s = arch_irq_save();

	if (conn >= 0 && conn == cur && !close_asked) {
		close_asked = 1;
		kick();
	}
	arch_irq_restore(s);
}

void arch_conn_pause(int conn, int p)
{
	arch_irqstate s = arch_irq_save();

	if (conn >= 0 && conn == cur && paused != (p != 0)) {
		paused = p != 0;
		if (!paused)
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
