/*
 * The "hostile" scenario's dials (arch contract v11, arch_conn_sim.dial):
 * a dial of NET_SELF_ADDR, the served address, becomes a bridge, a dialed
 * connection (the kernel's 9P client: lux_dial_*) joined to a connection
 * the server accepts (lux_conn_*), so a client's mount of the server's own
 * export works in a --seed run as it does on a socket.  What one side
 * sends waits in the bridge until netb_pump, each step, delivers it to the
 * other as that side's rules say: the server's input as its room allows
 * (lux_conn_room), the client's in chunks (dialed connections always
 * take them), and the drains reported back (lux_dial_sent, lux_conn_sent).
 * A close by either side delivers what was sent before it, then closes
 * both, each with its close upcall exactly once.  Other addresses are
 * unreachable; more than NBRIDGE bridges at once is E_MFILE (no free id).
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/string.h>
#include <lux/upcall.h>

#include "net.h"

enum {
	NBRIDGE = 3,
	BR_BUF = NET_NETMAX + LUX_CONN_CHUNK,	/* what may wait each way */
	BR_IDS = 1 << 20,			/* ids apart from the clients' */
};

struct bridge {
	bool used;
	int d, s;		/* the dialed id, the served id */
	bool up;		/* lux_dial_connected and lux_conn_opened delivered */
	bool dclose, sclose;	/* arch_conn_close of d, of s */
	bool dpaused;		/* the client asked for no more input */
	uint8_t *tos, *tod;	/* bytes for the server, for the client */
	size_t toslen, todlen;
};

static struct bridge br[NBRIDGE];
static int nextid = BR_IDS;
size_t netb_dials, netb_bridged;

int netb_setup(void)
{
	for (int i = 0; i < NBRIDGE; i++)
		if ((br[i].tos = kmalloc(BR_BUF)) == 0 || (br[i].tod = kmalloc(BR_BUF)) == 0)
			return E_NOMEM;
	return 0;
}

static struct bridge *of(int conn, bool *dialed)
{
	for (int i = 0; i < NBRIDGE; i++)
		if (br[i].used && (br[i].d == conn || br[i].s == conn)) {
			*dialed = br[i].d == conn;
			return &br[i];
		}
	return 0;
}

bool netb_owns(int conn)
{
	bool d;

	return of(conn, &d) != 0;
}

size_t netb_active(void)
{
	size_t n = 0;

	for (int i = 0; i < NBRIDGE; i++)
		n += br[i].used;
	return n;
}

/* From a proc (the mount's): ids now, the events at the next pump. */
int netb_dial(const char *addr)
{
	netb_dials++;
	if (kstrcmp(addr, NET_SELF_ADDR) != 0)
		return E_NOCONN;	/* nobody else is simulated */
	for (int i = 0; i < NBRIDGE; i++) {
		struct bridge *b = &br[i];
		if (b->used)
			continue;
		/* bare masking kept: the bridge is the simulated arch, and its
		 * state is what netb_pump reads while delivering upcalls */
		arch_irqstate is = arch_irq_save();
		b->used = true;
		b->d = nextid++;
		b->s = nextid++;
		b->up = b->dclose = b->sclose = b->dpaused = false;
		b->toslen = b->todlen = 0;
		arch_irq_restore(is);
		netb_bridged++;
		return b->d;
	}
	return E_MFILE;
}

long netb_send(int conn, const void *buf, size_t n)
{
	bool dialed;
	struct bridge *b = of(conn, &dialed);
	uint8_t *to;
	size_t *len;

	if (b == 0 || (dialed ? b->dclose : b->sclose))
		return -1;	/* closed: as an arch answers */
	if (dialed ? b->sclose : b->dclose)
		return 0;	/* the peer is gone: dropped, the close follows */
	to = dialed ? b->tos : b->tod;
	len = dialed ? &b->toslen : &b->todlen;
	if (n > BR_BUF - *len)
		return -1;	/* past what the bridge holds: LUX_CONN_SENDMAX's stand-in */
	kmemcpy(to + *len, buf, n);
	*len += n;
	return (long)*len;
}

void netb_close(int conn)
{
	bool dialed;
	struct bridge *b = of(conn, &dialed);

	if (b)
		*(dialed ? &b->dclose : &b->sclose) = true;
}

void netb_pause(int conn, int paused)
{
	bool dialed;
	struct bridge *b = of(conn, &dialed);

	if (b && dialed)
		b->dpaused = paused != 0;	/* the server's side asks lux_conn_room */
}

/* Deliver what waits for the server, as its room allows. */
static void to_server(struct bridge *b)
{
	size_t moved = 0, room, n;

	while (b->toslen > moved && (room = lux_conn_room(b->s)) > 0) {
		n = b->toslen - moved;
		if (n > room)
			n = room;
		if (n > LUX_CONN_CHUNK)
			n = LUX_CONN_CHUNK;
		lux_conn_received(b->s, b->tos + moved, n);
		moved += n;
	}
	if (moved == 0)
		return;
	kmemmove(b->tos, b->tos + moved, b->toslen - moved);
	b->toslen -= moved;
	if (!b->dclose)
		lux_dial_sent(b->d, b->toslen);
}

/* ... and for the client, in chunks, unless it paused. */
static void to_client(struct bridge *b)
{
	size_t moved = 0, n;

	while (b->todlen > moved && !b->dpaused && !b->dclose) {
		n = b->todlen - moved;
		if (n > LUX_CONN_CHUNK)
			n = LUX_CONN_CHUNK;
		lux_dial_received(b->d, b->tod + moved, n);
		moved += n;
	}
	if (moved == 0)
		return;
	kmemmove(b->tod, b->tod + moved, b->todlen - moved);
	b->todlen -= moved;
	if (!b->sclose)
		lux_conn_sent(b->s, b->todlen);
}

static void pump1(struct bridge *b)
{
	struct lux_peer peer = { "sim!self", LUX_PEER_LOCAL, lux_bootinfo->hostowner_uid };

	if (!b->up) {
		if (b->dclose) {	/* abandoned before it came up */
			b->used = false;
			lux_dial_connected(b->d, E_INTR);
			return;
		}
		b->up = true;
		lux_conn_opened(b->s, &peer);	/* the server accepts, */
		lux_dial_connected(b->d, 0);	/* the dial comes up */
	}
	to_server(b);
	to_client(b);
	if (b->dclose || b->sclose) {
		/* close is final: what was sent before it went first (a
		 * server that will not take the rest loses it, as a peer's
		 * reset would) */
		b->used = false;
		lux_conn_closed(b->s);
		lux_dial_closed(b->d);
	}
}

void netb_pump(void)
{
	for (int i = 0; i < NBRIDGE; i++) {
		if (!br[i].used)
			continue;
		/* bare masking kept: the arch's interrupt entry (upcalls are
		 * delivered with upcalls masked) */
		arch_irqstate is = arch_irq_save();
		pump1(&br[i]);
		arch_irq_restore(is);
	}
}
