/*
 * Small-object allocator (see <lux/kalloc.h>).
 *
 * A slab is one page: a header, then equal blocks of one class.  A large
 * block is a run of pages whose first 64 bytes are the header.  Either
 * way the header sits at the start of the page holding the pointer (large
 * blocks return header+64, inside their first page), so kfree finds it by
 * rounding down.  The magic catches frees of pointers kmalloc never gave.
 */
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/list.h>
#include <lux/page.h>
#include <lux/string.h>

#define MAGIC_SLAB 0x51ab51ab
#define MAGIC_LARGE 0x1a26e1a2
#define MINSHIFT 4
#define MAXSHIFT 11
#define NCLASS (MAXSHIFT - MINSHIFT + 1)
#define HDRSIZE 64

struct hdr {
	uint32_t magic;
	uint32_t cls;		/* slab: class index; large: page count */
	size_t nfree;		/* slab: blocks free in this page */
	void *freelist;		/* slab: first free block */
	struct list link;	/* slab: on its class's partial list */
	size_t reqsize;		/* large: requested size */
};

struct freeblk {
	struct freeblk *next;
};

static struct list partial[NCLASS];	/* slabs with at least one free block */
static bool ready;
static struct kalloc_stats stats;
static uint32_t blocksize[NCLASS];	/* per-block size in bytes */
/* the slabs (partial lists, free lists, headers), stats and ready; taken
 * before page_lock when a slab comes or goes (kalloc -> page) */
static struct spinlock kalloc_lock = SPINLOCK_INIT("kalloc");

_Static_assert(sizeof(struct hdr) <= HDRSIZE, "kalloc header too big");

static void init(void)
{
	for (int i = 0; i < NCLASS; i++) {
		list_init(&partial[i]);
		blocksize[i] = 1u << (i + MINSHIFT);
	}
	ready = true;
}

static int class_of(size_t n)
{
	int c = 0;

	while ((1u << (c + MINSHIFT)) < n)
		c++;
	return c;
}

static struct hdr *new_slab(int c)
{
	struct hdr *h = page_alloc(1);
	size_t bs = blocksize[c];
	size_t first = ROUNDUP(HDRSIZE, bs);	/* blocks aligned to their size */

	if (h == 0)
		return 0;
	h->magic = MAGIC_SLAB;
	h->cls = (uint32_t)c;
	h->freelist = 0;
	h->nfree = 0;
	for (size_t off = PAGE_SIZE - bs; off >= first; off -= bs) {
		struct freeblk *b = (struct freeblk *)((char *)h + off);
		b->next = h->freelist;
		h->freelist = b;
		h->nfree++;
	}
	list_push_front(&partial[c], &h->link);
	stats.slab_pages++;
	return h;
}

static void *alloc_large(size_t n)
{
	size_t pages = ROUNDUP(n + HDRSIZE, PAGE_SIZE) / PAGE_SIZE;
	struct hdr *h;

	if (n > SIZE_MAX - HDRSIZE - PAGE_SIZE)
		return 0;	/* the page count above wrapped */
	if ((h = page_alloc(pages)) == 0)
		return 0;
	h->magic = MAGIC_LARGE;
	h->cls = (uint32_t)pages;
	h->reqsize = n;
	stats.large_pages += pages;
	return (char *)h + HDRSIZE;
}

void *kmalloc(size_t n)
{
	struct hdr *h;
	struct freeblk *b;
	void *p;
	int c;

	if (n == 0)
		n = 1;
	spin_lock(&kalloc_lock);
	if (!ready)
		init();
	if (n > (1u << MAXSHIFT)) {
		p = alloc_large(n);
		goto out;
	}
	c = class_of(n);
	if (list_empty(&partial[c]) && new_slab(c) == 0) {
		p = 0;
		goto out;
	}
	h = list_entry(partial[c].next, struct hdr, link);
	n = blocksize[c];	/* slabs account whole blocks */
	b = h->freelist;
	h->freelist = b->next;
	if (--h->nfree == 0)
		list_remove(&h->link);
	p = b;
out:
	if (p) {
		stats.live_objects++;
		stats.live_bytes += n;
	}
	spin_unlock(&kalloc_lock);
	return p;
}

void *kzalloc(size_t n)
{
	void *p = kmalloc(n);

	if (p)
		kmemset(p, 0, n);
	return p;
}

static size_t slab_capacity(int c)
{
	size_t bs = blocksize[c];
	return (PAGE_SIZE - ROUNDUP(HDRSIZE, bs)) / bs;
}

void kfree(void *p)
{
	struct hdr *h = (struct hdr *)((uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1));

	if (p == 0)
		return;
	spin_lock(&kalloc_lock);
	if (h->magic == MAGIC_LARGE && (char *)p == (char *)h + HDRSIZE) {
		size_t pages = h->cls;
		stats.live_objects--;
		stats.live_bytes -= h->reqsize;
		stats.large_pages -= pages;
		h->magic = 0;
		spin_unlock(&kalloc_lock);
		page_free(h, pages);
		return;
	}
	/* a slab's blocks start after its header, at multiples of their size */
	if (h->magic != MAGIC_SLAB || ((uintptr_t)p - (uintptr_t)h) % blocksize[h->cls] ||
	    (uintptr_t)p - (uintptr_t)h < ROUNDUP(HDRSIZE, blocksize[h->cls]))
		panic("kfree: %p was not allocated by kmalloc", p);
	{
		int c = (int)h->cls;
		struct freeblk *b = p;
		for (struct freeblk *q = h->freelist; q; q = q->next)
			if (q == b)
				panic("kfree: %p freed twice", p);
		b->next = h->freelist;
		h->freelist = b;
		if (h->nfree++ == 0)
			list_push_front(&partial[c], &h->link);
		stats.live_objects--;
		stats.live_bytes -= blocksize[c];
		if (h->nfree == slab_capacity(c)) {
			list_remove(&h->link);
			h->magic = 0;
			stats.slab_pages--;
			spin_unlock(&kalloc_lock);
			page_free(h, 1);
			return;
		}
	}
	spin_unlock(&kalloc_lock);
}

char *kstrdup(const char *s)
{
	size_t n = kstrlen(s) + 1;
	char *p = kmalloc(n);

	if (p)
		kmemcpy(p, s, n);
	return p;
}

void kalloc_stats(struct kalloc_stats *st)
{
	spin_lock(&kalloc_lock);
	*st = stats;
	spin_unlock(&kalloc_lock);
}
