/*
 * A virtio 1.x split virtqueue, the driver's half: the descriptor table,
 * the available ring it writes and the used ring the device writes, all
 * in one page of the driver's (physical == virtual: the kernel's identity
 * map).  Which descriptors are free, and what each buffer means, is the
 * caller's: here a buffer is one descriptor, id == its slot.
 *
 * The used ring is the device's: everything read from it is checked
 * before use (virtq_used), so a broken or hostile device cannot make the
 * driver index past its tables.
 */
#ifndef LUX_DRIVERS_VIRTQ_H
#define LUX_DRIVERS_VIRTQ_H

#include <stdint.h>

#define VIRTQ_MAX 64u		/* the most slots one page holds (below) */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define VIRTQ_DESC_F_WRITE 2	/* the device writes this buffer */

struct virtq {
	uint16_t index;		/* the device's queue number */
	uint16_t size;		/* slots: a power of two, <= VIRTQ_MAX */
	volatile struct virtq_desc *desc;
	volatile uint16_t *avail;	/* flags, idx, ring[size], used_event */
	volatile uint8_t *used;		/* flags, idx, {id, len}[size], avail_event */
	uint16_t avail_idx;	/* our copy of avail->idx */
	uint16_t used_seen;	/* used->idx up to which we have looked */
	volatile uint16_t *notify;	/* where a write of index kicks the device */
};

/* Lay the rings out in page (4 KiB, zeroed, aligned) for size slots. */
void virtq_init(struct virtq *q, uint16_t index, uint16_t size, void *page);
/* Physical addresses of the three parts, for the transport. */
uint64_t virtq_desc_addr(const struct virtq *q);
uint64_t virtq_avail_addr(const struct virtq *q);
uint64_t virtq_used_addr(const struct virtq *q);
/* Offer buf (len bytes; the device writes it when device_writes) as slot
 * id.  Published at once; the device hears of it at virtq_kick. */
void virtq_post(struct virtq *q, uint16_t id, const void *buf, uint32_t len, int device_writes);
void virtq_kick(struct virtq *q);
/* The next buffer the device gave back: 1 with its id and the length it
 * wrote, 0 when there is none, -1 when the device broke the ring's rules
 * (an index that ran ahead by more than the ring, an id past it): the
 * caller stops using the device. */
int virtq_used(struct virtq *q, uint16_t *id, uint32_t *len);

#endif
