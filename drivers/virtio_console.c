/*
 * virtio console, multiport: see virtio_console.h (virtio 1.x 5.3).
 */
#include "virtio_console.h"

enum {
	DEVICE_READY = 0,
	DEVICE_ADD = 1,
	DEVICE_REMOVE = 2,
	PORT_READY = 3,
	CONSOLE_PORT = 4,
	RESIZE = 5,
	PORT_OPEN = 6,
	PORT_NAME = 7,

	CTL_RXQ = 2,
	CTL_TXQ = 3,
	CTL_TXSLOT = 64,	/* bytes per control send slot */
	CFG_MAX_PORTS = 4,	/* le32 max_nr_ports in the device config */
};

/* A power of two, at most want and what the device allows. */
static uint16_t qsize(struct virtio_pci *vp, unsigned index, unsigned want)
{
	unsigned max = virtio_pci_queue_max(vp, index), n = 1;

	while (n * 2 <= want && n * 2 <= max)
		n *= 2;
	return (uint16_t)(max ? n : 0);
}

static int queue(struct vcon *c, struct virtq *q, unsigned index, unsigned want,
                 void *(*page)(void), uint16_t vec)
{
	uint16_t n = qsize(c->vp, index, want);

	if (n == 0) {
		c->vp->why = "a queue the console needs is missing";
		return -1;
	}
	virtq_init(q, (uint16_t)index, n, page());
	return virtio_pci_queue(c->vp, q, vec);
}

/* Port p's receive queue; its transmit queue is the next (5.3.2). */
static unsigned port_rxq(unsigned p)
{
	return p == 0 ? 0 : 2 * p + 2;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v, b[1] = (uint8_t)(v >> 8), b[2] = (uint8_t)(v >> 16),
	b[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *b)
{
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Control sends come back quickly; a finished one frees its slot. */
static void ctl_reap(struct vcon *c)
{
	uint16_t id;
	uint32_t len;
	int r;

	while ((r = virtq_used(&c->ctl_tx, &id, &len)) > 0)
		c->ctl_busy[id] = 0;
	if (r < 0)
		c->broken = 1;
}

static void ctl_send(struct vcon *c, uint32_t id, uint16_t event, uint16_t value)
{
	uint8_t *m;
	uint16_t s;

	ctl_reap(c);
	for (s = 0; s < c->ctl_tx.size && c->ctl_busy[s]; s++)
		;
	if (s == c->ctl_tx.size || (unsigned)(s + 1) * CTL_TXSLOT > 4096) {
		c->dropped_ctl++;
		return;
	}
	m = c->ctl_txbuf + s * CTL_TXSLOT;
	put32(m, id);
	m[4] = (uint8_t)event, m[5] = (uint8_t)(event >> 8);
	m[6] = (uint8_t)value, m[7] = (uint8_t)(value >> 8);
	c->ctl_busy[s] = 1;
	virtq_post(&c->ctl_tx, s, m, 8, 0);
	virtq_kick(&c->ctl_tx);
}

int vcon_init(struct vcon *c, struct virtio_pci *vp, const char *name, void *(*page)(void),
              uint16_t vec)
{
	uint32_t maxports;

	c->vp = vp;
	c->name = name;
	c->port = -1;
	if (virtio_pci_negotiate(vp, VIRTIO_F_VERSION_1 | VIRTIO_CONSOLE_F_MULTIPORT) < 0)
		return -1;
	maxports = virtio_pci_devcfg32(vp, CFG_MAX_PORTS);
	c->nports = maxports < VCON_NPORTS ? maxports : VCON_NPORTS;
	if (queue(c, &c->ctl_rx, CTL_RXQ, 16, page, vec) < 0 ||
	    queue(c, &c->ctl_tx, CTL_TXQ, 16, page, vec) < 0)
		return -1;
	for (unsigned p = 0; p < c->nports; p++)
		if (queue(c, &c->prx[p], port_rxq(p), VCON_RXBUFS, page, vec) < 0 ||
		    queue(c, &c->ptx[p], port_rxq(p) + 1, VIRTQ_MAX, page, vec) < 0)
			return -1;
	c->ctl_rxbuf = page();
	c->ctl_txbuf = page();
	for (unsigned i = 0; i < VCON_RXBUFS; i++)
		c->rxbuf[i] = page();
	virtio_pci_config_vector(vp, VIRTIO_NO_VECTOR);
	virtio_pci_ready(vp);
	for (uint16_t s = 0; s < c->ctl_rx.size && (s + 1u) * VCON_CTLBUF <= 4096; s++)
		virtq_post(&c->ctl_rx, s, c->ctl_rxbuf + s * VCON_CTLBUF, VCON_CTLBUF, 1);
	virtq_kick(&c->ctl_rx);
	ctl_send(c, 0, DEVICE_READY, 1);
	return 0;
}

/* The named port's receive buffers go to the device: it may now fill
 * them (and, once we say the port is open, it will). */
static void rx_start(struct vcon *c)
{
	struct virtq *q = &c->prx[c->port];

	for (uint16_t i = 0; i < VCON_RXBUFS && i < q->size; i++) {
		c->rx_posted[i] = 1;
		virtq_post(q, i, c->rxbuf[i], VCON_RXBUF, 1);
	}
	virtq_kick(q);
}

static int is_name(const struct vcon *c, const uint8_t *s, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n && c->name[i] && c->name[i] == (char)s[i]; i++)
		;
	/* QEMU sends the name without its terminator; allow one anyway */
	return c->name[i] == 0 && (i == n || (i + 1 == n && s[i] == 0));
}

static void host_side(struct vcon *c, int open)
{
	if (open == c->host_open)
		return;
	c->host_open = open;
	c->host_changes++;
}

static void named(struct vcon *c, uint32_t id, const uint8_t *s, uint32_t n)
{
	if (c->port >= 0 || id >= c->nports || !is_name(c, s, n))
		return;
	c->port = (int)id;
	rx_start(c);
	ctl_send(c, id, PORT_OPEN, 1);	/* the guest side is open: send us bytes */
	host_side(c, c->hopen[id]);
}

static void control(struct vcon *c, const uint8_t *m, uint32_t len)
{
	uint32_t id = get32(m);
	uint16_t event = (uint16_t)(m[4] | m[5] << 8), value = (uint16_t)(m[6] | m[7] << 8);

	switch (event) {
	case DEVICE_ADD:
		ctl_send(c, id, PORT_READY, id < c->nports);	/* 0: we cannot take it */
		break;
	case DEVICE_REMOVE:
		if (id < c->nports)
			c->hopen[id] = 0;
		if ((int)id == c->port)
			host_side(c, 0);
		break;
	case PORT_NAME: named(c, id, m + 8, len - 8); break;
	case PORT_OPEN:
		if (id < c->nports)
			c->hopen[id] = value != 0;
		if ((int)id == c->port)
			host_side(c, value != 0);
		break;
	default: /* CONSOLE_PORT, RESIZE: nothing for a 9P port */ break;
	}
}

int vcon_poll(struct vcon *c)
{
	uint16_t id;
	uint32_t len;
	int r, got = 0;

	while (!c->broken && (r = virtq_used(&c->ctl_rx, &id, &len)) != 0) {
		if (r < 0 || (uint32_t)(id + 1) * VCON_CTLBUF > 4096 || len > VCON_CTLBUF) {
			c->broken = 1;	/* an id we never offered, or overfilled */
			break;
		}
		if (len >= 8)
			control(c, c->ctl_rxbuf + id * VCON_CTLBUF, len);
		virtq_post(&c->ctl_rx, id, c->ctl_rxbuf + id * VCON_CTLBUF, VCON_CTLBUF, 1);
		got = 1;
	}
	if (got)
		virtq_kick(&c->ctl_rx);
	ctl_reap(c);
	if (c->broken) {
		virtio_pci_fail(c->vp);
		host_side(c, 0);
		return -1;
	}
	return 0;
}

/* Filled receive buffers move from the used ring to our queue, each
 * checked: one we offered and not yet got back, no longer than itself. */
void vcon_rx_drain(struct vcon *c)
{
	struct virtq *q;
	uint16_t id;
	uint32_t len;
	int r;

	if (c->port < 0 || c->broken)
		return;
	q = &c->prx[c->port];
	while ((r = virtq_used(q, &id, &len)) > 0) {
		if (id >= VCON_RXBUFS || !c->rx_posted[id] || len > VCON_RXBUF ||
		    c->fcount == VCON_RXBUFS) {
			r = -1;
			break;
		}
		c->rx_posted[id] = 0;
		c->flen[id] = len;
		c->fifo[(c->fhead + c->fcount++) % VCON_RXBUFS] = id;
	}
	if (r < 0)
		c->broken = 1;
}

int vcon_rx_peek(struct vcon *c, const uint8_t **p, uint32_t *n)
{
	uint16_t id;

	while (c->fcount > 0) {
		id = c->fifo[c->fhead];
		if (c->foff < c->flen[id]) {
			*p = c->rxbuf[id] + c->foff;
			*n = c->flen[id] - c->foff;
			return 1;
		}
		vcon_rx_take(c, 0);	/* an empty buffer: straight back */
	}
	return 0;
}

void vcon_rx_take(struct vcon *c, uint32_t n)
{
	struct virtq *q = &c->prx[c->port];
	uint16_t id;

	if (c->fcount == 0)
		return;
	id = c->fifo[c->fhead];
	c->foff += n;
	if (c->foff < c->flen[id])
		return;
	c->foff = 0;
	c->fhead = (c->fhead + 1) % VCON_RXBUFS;
	c->fcount--;
	c->rx_posted[id] = 1;
	virtq_post(q, id, c->rxbuf[id], VCON_RXBUF, 1);
	virtq_kick(q);
}

void vcon_rx_discard(struct vcon *c)
{
	while (c->fcount > 0) {
		c->foff = c->flen[c->fifo[c->fhead]];
		vcon_rx_take(c, 0);
	}
}

unsigned vcon_tx_slots(const struct vcon *c)
{
	return c->port < 0 ? 0 : c->ptx[c->port].size;
}

int vcon_tx(struct vcon *c, uint16_t slot, const void *p, uint32_t n)
{
	if (c->port < 0 || c->broken || slot >= vcon_tx_slots(c) || c->tx_busy[slot])
		return -1;
	c->tx_busy[slot] = 1;
	virtq_post(&c->ptx[c->port], slot, p, n, 0);
	virtq_kick(&c->ptx[c->port]);
	return 0;
}

int vcon_tx_done(struct vcon *c, uint16_t *slot)
{
	uint32_t len;
	int r;

	if (c->port < 0 || c->broken)
		return c->broken ? -1 : 0;
	r = virtq_used(&c->ptx[c->port], slot, &len);
	if (r > 0 && !c->tx_busy[*slot])
		r = -1;		/* a slot we did not give it */
	if (r < 0) {
		c->broken = 1;
		return -1;
	}
	if (r > 0)
		c->tx_busy[*slot] = 0;
	return r;
}
