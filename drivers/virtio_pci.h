/*
 * The virtio 1.x PCI transport ("modern", virtio 1.x 4.1): a function's
 * vendor capabilities (ID 0x09) name where, in which BAR, its common
 * configuration, notify area, ISR and device configuration live.  The
 * arch maps the function's memory BARs (uncached) before virtio_pci_probe
 * and passes the PCI function as it enumerated it; this file reads the
 * capability list itself, checks every structure lies inside its BAR, and
 * then speaks only MMIO.
 */
#ifndef LUX_DRIVERS_VIRTIO_PCI_H
#define LUX_DRIVERS_VIRTIO_PCI_H

#include <lux/arch.h>

#include "virtq.h"

#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_NO_VECTOR 0xffff

struct virtio_pci {
	uint8_t bus, dev, fn;
	volatile uint8_t *common;
	volatile uint8_t *notify;
	volatile uint8_t *isr;
	volatile uint8_t *device;
	uint32_t notify_len;
	uint32_t notify_mult;	/* notify_off_multiplier */
	uint32_t device_len;
	const char *why;	/* what went wrong, for the arch's message */
};

/* Find the four structures.  0, or -1 with vp->why set. */
int virtio_pci_probe(struct virtio_pci *vp, const struct arch_pci_dev *d);
/* Reset, acknowledge, and agree on features: the device must offer all of
 * want (VIRTIO_F_VERSION_1 included).  0, or -1 with vp->why set (and the
 * device marked FAILED). */
int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t want);
/* How many queues the device has. */
unsigned virtio_pci_num_queues(struct virtio_pci *vp);
/* Give queue q->index its rings (q already virtq_init'ed with the size
 * wanted, at most what the device offers) and MSI-X table entry vec
 * (VIRTIO_NO_VECTOR: none), and enable it.  0, or -1 with vp->why set. */
int virtio_pci_queue(struct virtio_pci *vp, struct virtq *q, uint16_t vec);
/* The largest queue size the device allows for queue index (0: none). */
unsigned virtio_pci_queue_max(struct virtio_pci *vp, unsigned index);
/* Configuration changes interrupt through MSI-X entry vec (or none). */
void virtio_pci_config_vector(struct virtio_pci *vp, uint16_t vec);
/* All queues set up: the driver is live (DRIVER_OK). */
void virtio_pci_ready(struct virtio_pci *vp);
/* Give up on the device (FAILED), e.g. after it broke a ring's rules. */
void virtio_pci_fail(struct virtio_pci *vp);
/* A 32-bit field of the device configuration at off (0 past its end). */
uint32_t virtio_pci_devcfg32(struct virtio_pci *vp, unsigned off);

#endif
