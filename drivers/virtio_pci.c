/*
 * virtio-pci modern transport: see virtio_pci.h.  Register offsets are
 * the common configuration structure's (virtio 1.x 4.1.4.3).
 */
#include "pcicfg.h"
#include "virtio_pci.h"

enum {
	CAP_VENDOR = 0x09,
	CFG_COMMON = 1,
	CFG_NOTIFY = 2,
	CFG_ISR = 3,
	CFG_DEVICE = 4,

	C_DFSELECT = 0x00,
	C_DF = 0x04,
	C_GFSELECT = 0x08,
	C_GF = 0x0c,
	C_MSIX = 0x10,
	C_NUMQ = 0x12,
	C_STATUS = 0x14,
	C_GEN = 0x15,
	C_QSELECT = 0x16,
	C_QSIZE = 0x18,
	C_QMSIX = 0x1a,
	C_QENABLE = 0x1c,
	C_QNOFF = 0x1e,
	C_QDESC = 0x20,
	C_QDRIVER = 0x28,
	C_QDEVICE = 0x30,
	COMMON_LEN = 0x38,

	S_ACK = 1,
	S_DRIVER = 2,
	S_DRIVER_OK = 4,
	S_FEATURES_OK = 8,
	S_FAILED = 128,
};

static uint8_t r8(volatile uint8_t *b, unsigned o)
{
	return b[o];
}
static uint16_t r16(volatile uint8_t *b, unsigned o)
{
	return *(volatile uint16_t *)(b + o);
}
static uint32_t r32(volatile uint8_t *b, unsigned o)
{
	return *(volatile uint32_t *)(b + o);
}
static void w8(volatile uint8_t *b, unsigned o, uint8_t v)
{
	b[o] = v;
}
static void w16(volatile uint8_t *b, unsigned o, uint16_t v)
{
	*(volatile uint16_t *)(b + o) = v;
}
static void w32(volatile uint8_t *b, unsigned o, uint32_t v)
{
	*(volatile uint32_t *)(b + o) = v;
}

/* A 64-bit field as two 32-bit writes, low first: the spec allows it and
 * some devices take nothing wider. */
static void w64(volatile uint8_t *b, unsigned o, uint64_t v)
{
	w32(b, o, (uint32_t)v);
	w32(b, o + 4, (uint32_t)(v >> 32));
}

static uint32_t cfg(const struct virtio_pci *vp, unsigned reg)
{
	return pcicfg_read32(vp->bus, vp->dev, vp->fn, reg);
}

/* One vendor capability at config offset at: its structure's address if
 * it lies inside a memory BAR the arch mapped, else 0. */
static volatile uint8_t *locate(const struct virtio_pci *vp, const struct arch_pci_dev *d,
                                unsigned at, uint32_t *len)
{
	/* cap_vndr, cap_next, cap_len, cfg_type; bar, id, pad[2]; offset; length */
	unsigned bar = pcicfg_read8(vp->bus, vp->dev, vp->fn, at + 4);
	uint32_t off = cfg(vp, at + 8), n = cfg(vp, at + 12);

	if (bar > 5 || d->bar[bar].addr == 0 || d->bar[bar].io)
		return 0;
	if ((uint64_t)off + n > d->bar[bar].size)
		return 0;	/* a structure past its BAR's end */
	*len = n;
	return (volatile uint8_t *)(uintptr_t)(d->bar[bar].addr + off);
}

/* The first structure of each type wins (virtio 1.x 4.1.4: later ones
 * are alternatives).  The walk is bounded like pci.c's. */
int virtio_pci_probe(struct virtio_pci *vp, const struct arch_pci_dev *d)
{
	unsigned at;
	uint32_t len;

	vp->bus = d->bus, vp->dev = d->dev, vp->fn = d->fn;
	vp->common = vp->notify = vp->isr = vp->device = 0;
	vp->why = "no virtio capabilities";
	if (!(cfg(vp, 0x04) & (1u << 20)))
		return -1;
	at = cfg(vp, 0x34) & 0xfc;
	for (int hops = 0; at >= 0x40 && hops < 48; hops++) {
		uint32_t w = cfg(vp, at);
		unsigned type = (w >> 24) & 0xff;
		volatile uint8_t *p;

		if ((w & 0xff) == CAP_VENDOR && (p = locate(vp, d, at, &len)) != 0) {
			if (type == CFG_COMMON && !vp->common && len >= COMMON_LEN)
				vp->common = p;
			else if (type == CFG_NOTIFY && !vp->notify && len >= 2) {
				vp->notify = p, vp->notify_len = len;
				vp->notify_mult = cfg(vp, at + 16);
			} else if (type == CFG_ISR && !vp->isr && len >= 1)
				vp->isr = p;
			else if (type == CFG_DEVICE && !vp->device)
				vp->device = p, vp->device_len = len;
		}
		at = (w >> 8) & 0xfc;
	}
	if (!vp->common || !vp->notify || !vp->isr) {
		vp->why = "a virtio capability is missing or lies outside its BAR";
		return -1;
	}
	return 0;
}

void virtio_pci_fail(struct virtio_pci *vp)
{
	w8(vp->common, C_STATUS, r8(vp->common, C_STATUS) | S_FAILED);
}

int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t want)
{
	uint64_t has;
	int tries = 0;

	w8(vp->common, C_STATUS, 0);	/* reset: reads 0 once it is done */
	while (r8(vp->common, C_STATUS) != 0 && tries++ < 1000000)
		;
	w8(vp->common, C_STATUS, S_ACK);
	w8(vp->common, C_STATUS, S_ACK | S_DRIVER);
	w32(vp->common, C_DFSELECT, 0);
	has = r32(vp->common, C_DF);
	w32(vp->common, C_DFSELECT, 1);
	has |= (uint64_t)r32(vp->common, C_DF) << 32;
	if ((has & want) != want) {
		vp->why = "the device lacks a feature the driver needs";
		virtio_pci_fail(vp);
		return -1;
	}
	w32(vp->common, C_GFSELECT, 0);
	w32(vp->common, C_GF, (uint32_t)want);
	w32(vp->common, C_GFSELECT, 1);
	w32(vp->common, C_GF, (uint32_t)(want >> 32));
	w8(vp->common, C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(r8(vp->common, C_STATUS) & S_FEATURES_OK)) {
		vp->why = "the device refused the features";
		virtio_pci_fail(vp);
		return -1;
	}
	return 0;
}

unsigned virtio_pci_num_queues(struct virtio_pci *vp)
{
	return r16(vp->common, C_NUMQ);
}

unsigned virtio_pci_queue_max(struct virtio_pci *vp, unsigned index)
{
	w16(vp->common, C_QSELECT, (uint16_t)index);
	return r16(vp->common, C_QSIZE);
}

int virtio_pci_queue(struct virtio_pci *vp, struct virtq *q, uint16_t vec)
{
	uint32_t noff;

	w16(vp->common, C_QSELECT, q->index);
	if (r16(vp->common, C_QSIZE) < q->size) {
		vp->why = "a queue is smaller than the driver's";
		return -1;
	}
	w16(vp->common, C_QSIZE, q->size);
	w64(vp->common, C_QDESC, virtq_desc_addr(q));
	w64(vp->common, C_QDRIVER, virtq_avail_addr(q));
	w64(vp->common, C_QDEVICE, virtq_used_addr(q));
	w16(vp->common, C_QMSIX, vec);
	if (r16(vp->common, C_QMSIX) != vec) {
		vp->why = "the device refused a queue's MSI-X vector";
		return -1;
	}
	noff = (uint32_t)r16(vp->common, C_QNOFF) * vp->notify_mult;
	if ((uint64_t)noff + 2 > vp->notify_len) {
		vp->why = "a queue's notify address lies outside the notify area";
		return -1;
	}
	q->notify = (volatile uint16_t *)(vp->notify + noff);
	w16(vp->common, C_QENABLE, 1);
	return 0;
}

void virtio_pci_config_vector(struct virtio_pci *vp, uint16_t vec)
{
	w16(vp->common, C_MSIX, vec);
}

void virtio_pci_ready(struct virtio_pci *vp)
{
	w8(vp->common, C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

uint32_t virtio_pci_devcfg32(struct virtio_pci *vp, unsigned off)
{
	if (!vp->device || (uint64_t)off + 4 > vp->device_len)
		return 0;
	return r32(vp->device, off);
}
