/*
 * virtio console (virtio-serial) with VIRTIO_CONSOLE_F_MULTIPORT, over
 * the modern PCI transport.  The device announces its ports on the
 * control queues; this driver takes one of them by name (QEMU's
 * `virtserialport,name=lux9.9p`) and follows whether the host side is
 * open (PORT_OPEN), so the arch can make each host open a connection.
 *
 * What it keeps: the control queues, a pair of queues for each of the
 * first VCON_NPORTS ports (queues must exist before DRIVER_OK, and the
 * port's number is learnt only later, with its name), and VCON_RXBUFS
 * receive buffers of a page for the named port.  Received bytes are
 * handed out in the order the device filled the buffers; a buffer goes
 * back to the device only once all its bytes were taken, so a reader
 * that stops taking stops the host (QEMU stops reading the socket).
 *
 * Interrupts off around every call (the arch's handler and its
 * arch_conn_* calls share this state).
 */
#ifndef LUX_DRIVERS_VIRTIO_CONSOLE_H
#define LUX_DRIVERS_VIRTIO_CONSOLE_H

#include "virtio_pci.h"

#define VIRTIO_CONSOLE_F_MULTIPORT (1ull << 1)

#define VCON_NPORTS 4
#define VCON_RXBUFS 16
#define VCON_RXBUF 4096u
#define VCON_CTLBUF 256u	/* a control message: 8 bytes and a name */

struct vcon {
	struct virtio_pci *vp;
	const char *name;	/* the port wanted */
	struct virtq ctl_rx, ctl_tx;
	struct virtq prx[VCON_NPORTS], ptx[VCON_NPORTS];
	unsigned nports;	/* with queues: min(VCON_NPORTS, the device's) */
	uint8_t *ctl_rxbuf, *ctl_txbuf;	/* a page each, in slots */
	uint8_t ctl_busy[VIRTQ_MAX];	/* control send slots in flight */
	uint8_t *rxbuf[VCON_RXBUFS];
	uint8_t rx_posted[VCON_RXBUFS];	/* 1: the device has it */
	uint16_t fifo[VCON_RXBUFS];	/* filled buffers, in order */
	uint32_t flen[VCON_RXBUFS];	/* bytes the device wrote, by buffer */
	unsigned fhead, fcount;
	uint32_t foff;			/* taken of the first filled one */
	uint8_t tx_busy[VIRTQ_MAX];	/* data send slots in flight */
	uint8_t hopen[VCON_NPORTS];	/* the host side, by port */
	int port;			/* the named port, or -1 */
	int host_open;			/* its host side is open */
	unsigned host_changes;		/* times host_open changed */
	int broken;			/* the device broke the rules: unused */
	unsigned dropped_ctl;		/* control messages we had no slot for */
};

/* Set the device up: features, queues (MSI-X table entry vec for all;
 * VIRTIO_NO_VECTOR to poll), DRIVER_OK, DEVICE_READY.  page() gives a
 * zeroed 4 KiB page (identity-mapped).  0, or -1 with vp->why set. */
int vcon_init(struct vcon *c, struct virtio_pci *vp, const char *name, void *(*page)(void),
              uint16_t vec);
/* Handle what the device sent on the control queue.  -1 once broken. */
int vcon_poll(struct vcon *c);
/* Move what the device has filled so far into our queue of received
 * buffers (vcon_rx_peek shows only those): the caller decides when, so it
 * can order what it sees against the control queue (see conn.c). */
void vcon_rx_drain(struct vcon *c);
/* The oldest received bytes drained and not yet taken: 1 with p and n,
 * 0 when none wait. */
int vcon_rx_peek(struct vcon *c, const uint8_t **p, uint32_t *n);
/* n of the bytes vcon_rx_peek showed are taken. */
void vcon_rx_take(struct vcon *c, uint32_t n);
/* Drop everything drained and not yet taken. */
void vcon_rx_discard(struct vcon *c);
/* Send slots of the named port (0 before it is named). */
unsigned vcon_tx_slots(const struct vcon *c);
/* Send n bytes at p (left alone until vcon_tx_done gives slot back) in
 * free slot.  0, or -1 (no port, a busy or bad slot). */
int vcon_tx(struct vcon *c, uint16_t slot, const void *p, uint32_t n);
/* A send the device finished: 1 and its slot, 0 when none, -1 broken. */
int vcon_tx_done(struct vcon *c, uint16_t *slot);

#endif
