/*
 * Split virtqueues (virtio 1.x, 2.7): see virtq.h.  x86 orders stores
 * with stores and loads with loads (TSO), so the ring protocol needs only
 * compiler barriers, plus one full fence between publishing avail->idx
 * and anything the device may act on (the notify write is uncached MMIO,
 * which the CPU does not reorder before earlier stores anyway; the fence
 * keeps the compiler and any weaker model honest).
 */
#include "virtq.h"

#define PAGE 4096u
#define AVAIL_OFF 1024u		/* after 64 descriptors of 16 bytes */
#define USED_OFF 2048u		/* 4-aligned; 4 + 8 * 64 + 2 bytes fit */

static inline void barrier(void)
{
	__asm__ volatile("" : : : "memory");
}

void virtq_init(struct virtq *q, uint16_t index, uint16_t size, void *page)
{
	uint8_t *p = page;

	q->index = index;
	q->size = size;
	q->desc = (volatile struct virtq_desc *)p;
	q->avail = (volatile uint16_t *)(p + AVAIL_OFF);
	q->used = p + USED_OFF;
	q->avail_idx = 0;
	q->used_seen = 0;
	q->notify = 0;
}

uint64_t virtq_desc_addr(const struct virtq *q)
{
	return (uint64_t)(uintptr_t)q->desc;
}
uint64_t virtq_avail_addr(const struct virtq *q)
{
	return (uint64_t)(uintptr_t)q->avail;
}
uint64_t virtq_used_addr(const struct virtq *q)
{
	return (uint64_t)(uintptr_t)q->used;
}

void virtq_post(struct virtq *q, uint16_t id, const void *buf, uint32_t len, int device_writes)
{
	volatile struct virtq_desc *d = &q->desc[id & (q->size - 1)];

	d->addr = (uint64_t)(uintptr_t)buf;	/* identity map: virtual is physical */
	d->len = len;
	d->flags = device_writes ? VIRTQ_DESC_F_WRITE : 0;
	d->next = 0;
	q->avail[2 + (q->avail_idx & (q->size - 1))] = id;
	barrier();	/* the ring entry before the index that shows it */
	q->avail_idx++;
	q->avail[1] = q->avail_idx;
}

void virtq_kick(struct virtq *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->notify)
		*q->notify = q->index;
}

int virtq_used(struct virtq *q, uint16_t *id, uint32_t *len)
{
	volatile uint16_t *uidx = (volatile uint16_t *)(q->used + 2);
	volatile uint32_t *elem;
	uint16_t idx = *uidx;
	uint32_t e_id;

	if (idx == q->used_seen)
		return 0;
	if ((uint16_t)(idx - q->used_seen) > q->size)
		return -1;	/* more given back than was ever offered */
	barrier();	/* the index before the entries it covers */
	elem = (volatile uint32_t *)(q->used + 4 + 8u * (q->used_seen & (q->size - 1)));
	e_id = elem[0];
	*len = elem[1];
	if (e_id >= q->size)
		return -1;
	*id = (uint16_t)e_id;
	q->used_seen++;
	return 1;
}
