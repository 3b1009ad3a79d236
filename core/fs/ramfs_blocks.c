/*
 * ramfs's file contents: a copy-on-write tree of page-sized blocks.
 *
 * Why a tree: a version of a file is a red-blue payload (docs/redblue.md),
 * so every write starts by copying the version.  With a flat block map
 * that copy, and the map's regrowth on every append, cost O(file size) per
 * write: writing a file in 64 KiB pieces was quadratic, and the map of a
 * big file was one contiguous allocation.  Here a version is a pointer to
 * the top of a tree (a ZFS-style block pointer tree): copying it takes a
 * reference on the top, and a write copies only the maps on the paths to
 * the blocks it changes, each shared one once per write.  Reads, writes
 * and truncations cost O(depth) per block; depth is at most 8.
 *
 * Why page blocks: each block's data is one page of the page allocator,
 * so a file of N bytes holds N/4 KiB pages and no slab rounding (the old
 * 2 KiB blocks took a page each).  The reference count lives in a 16-byte
 * descriptor, since a shared page has no room for one.
 *
 * Who pays: each map counts the blocks and maps beneath it, so the cost
 * of a version (its bytes in the owner's quota, docs/quotas.md) is read
 * off the top.  A write charges the owner for each block or map it adds,
 * as it adds it; copies of shared blocks and maps are not charged (the
 * version they replace gives its own back at commit) but, like every
 * page file data takes, they must leave the kernel's reserve free.
 * Everything runs under the ramfs lock.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/page.h>
#include <lux/quota.h>
#include <lux/string.h>

#include "ramfs.h"

#define MAXDEPTH 8	/* RAMFS_FAN^8 blocks > 2^63 bytes */

static size_t npages;	/* block pages allocated (ramfs_pages) */

size_t ramfs_pages(void)
{
	return npages;
}

struct rblock {
	int32_t refs;	/* versions (maps) pointing at it */
	uint8_t pad[4];
	uint8_t *data;	/* one page */
};

/* A map at level L >= 1: its slots point at maps of level L - 1, or at
 * blocks when L is 1; 0 is a hole. */
struct rmap {
	int32_t refs;
	uint8_t pad[4];
	uint64_t blocks;	/* blocks beneath */
	uint64_t nodes;		/* maps beneath, this one included */
	void *slot[RAMFS_FAN];
};

/* own_map takes references on a map's children without knowing their
 * kind: the count leads both. */
_Static_assert(offsetof(struct rblock, refs) == 0 && offsetof(struct rmap, refs) == 0,
               "refs first");
_Static_assert(sizeof(struct rmap) == RAMFS_NODE_COST, "a map is one 1 KiB allocation");
_Static_assert(sizeof(struct rblock) + PAGE_SIZE == RAMFS_BLOCK_COST, "a block's cost");
_Static_assert(RAMFS_BLK == PAGE_SIZE, "a block is a page");

/* Blocks one slot of a level-L map covers: RAMFS_FAN^(L-1). */
static uint64_t span(unsigned level)
{
	uint64_t s = 1;

	while (level-- > 1)
		s *= RAMFS_FAN;
	return s;
}

uint64_t ramfs_cost(const struct content *c)
{
	const struct rmap *m = c->top;

	return m ? m->blocks * RAMFS_BLOCK_COST + m->nodes * RAMFS_NODE_COST : 0;
}

/* Drop a reference to a block (level 0) or a map and what it alone holds.
 * Recursion is at most MAXDEPTH deep. */
static void put_tree(void *p, unsigned level)
{
	if (p == 0)
		return;
	if (level == 0) {
		struct rblock *b = p;
		if (--b->refs == 0) {
			page_free(b->data, 1);
			npages--;
			kfree(b);
		}
		return;
	}
	struct rmap *m = p;
	if (--m->refs > 0)
		return;
	for (size_t i = 0; i < RAMFS_FAN; i++)
		put_tree(m->slot[i], level - 1);
	kfree(m);
}

static int content_copy(void *dst, const void *src)
{
	struct content *d = dst;

	*d = *(const struct content *)src;
	if (d->top)
		((struct rmap *)d->top)->refs++;	/* shared until a write owns a path */
	return 0;
}

static void content_release(void *p)
{
	struct content *c = p;

	put_tree(c->top, c->depth);
	c->top = 0;
}

const struct rb_ops ramfs_content_ops = { sizeof(struct content), content_copy, content_release };

/* Pay for something new in the file: the owner's quota, then the
 * machine's reserve.  0, or the refusal (nothing charged). */
static int pay(struct rwctx *w, uint64_t cost)
{
	int err;

	if ((err = quota_charge(w->owner, cost)) < 0)
		return err;
	if ((err = quota_room(1)) < 0) {
		quota_release(w->owner, cost);
		return err;
	}
	w->charged += cost;
	return 0;
}

/* Room for a copy of something the file already has (the version being
 * replaced gives it back at commit). */
static int room(const struct rwctx *w)
{
	return w->shrinking ? 0 : quota_room(1);
}

static void unpay(struct rwctx *w, uint64_t cost)
{
	quota_release(w->owner, cost);
	w->charged -= cost;
}

/* Make *pp, a map of red at level, private: allocate a hole (charged),
 * copy a shared one (taking a reference on each of its children). */
static int own_map(void **pp, struct rwctx *w, bool *made)
{
	struct rmap *m = *pp, *n;
	int err;

	*made = false;
	if (m && m->refs == 1)
		return 0;
	if ((err = m ? room(w) : pay(w, RAMFS_NODE_COST)) < 0)
		return err;
	if (rb_fault() || (n = kmalloc(sizeof *n)) == 0) {
		if (!m)
			unpay(w, RAMFS_NODE_COST);
		return E_NOMEM;
	}
	if (m) {
		*n = *m;
		n->refs = 1;
		for (size_t i = 0; i < RAMFS_FAN; i++)
			if (n->slot[i])
				++*(int32_t *)n->slot[i];	/* refs leads blocks and maps alike */
		m->refs--;	/* still held by blue: refs was > 1 */
	} else {
		kmemset(n, 0, sizeof *n);
		n->refs = 1;
		n->nodes = 1;
		*made = true;
	}
	*pp = n;
	return 0;
}

/* The same for a block: a hole gets a zeroed page, a shared block a copy. */
static int own_block(void **pp, struct rwctx *w, bool *made)
{
	struct rblock *b = *pp, *nb;
	int err;

	*made = false;
	if (b && b->refs == 1)
		return 0;
	if ((err = b ? room(w) : pay(w, RAMFS_BLOCK_COST)) < 0)
		return err;
	nb = rb_fault() ? 0 : kmalloc(sizeof *nb);
	if (nb && (nb->data = page_alloc_top()) == 0) {
		kfree(nb);
		nb = 0;
	}
	if (nb == 0) {
		if (!b)
			unpay(w, RAMFS_BLOCK_COST);
		return E_NOMEM;
	}
	npages++;
	nb->refs = 1;
	if (b) {
		kmemcpy(nb->data, b->data, PAGE_SIZE);
		b->refs--;	/* still held by blue */
	} else {
		*made = true;	/* page_alloc_top zeroed it */
	}
	*pp = nb;
	return 0;
}

/* Deepen red until block bi fits: the old top becomes slot 0 of a new one. */
static int deepen(struct content *r, uint64_t bi, struct rwctx *w)
{
	while (r->depth < MAXDEPTH && bi / span(r->depth) >= RAMFS_FAN) {
		struct rmap *n;
		int err;
		if (r->top == 0) {	/* nothing yet: the top comes with the first write */
			r->depth = r->depth ? r->depth + 1 : 1;
			continue;
		}
		if ((err = pay(w, RAMFS_NODE_COST)) < 0)
			return err;
		if (rb_fault() || (n = kzalloc(sizeof *n)) == 0) {
			unpay(w, RAMFS_NODE_COST);
			return E_NOMEM;
		}
		n->refs = 1;
		n->slot[0] = r->top;	/* red's reference moves into the new top */
		n->blocks = ((struct rmap *)r->top)->blocks;
		n->nodes = ((struct rmap *)r->top)->nodes + 1;
		r->top = n;
		r->depth++;
	}
	if (r->depth == 0)
		r->depth = 1;
	return 0;
}

/* Block bi of red, private and present (a hole becomes a zeroed block):
 * the maps on its path are owned first, and every map on the path counts
 * what was added beneath it. */
static int own_path(struct content *r, uint64_t bi, struct rwctx *w, struct rblock **out)
{
	struct rmap *path[MAXDEPTH];
	void **pp = &r->top;
	unsigned np = 0;
	bool made;
	int err;

	if ((err = deepen(r, bi, w)) < 0)
		return err;
	for (unsigned level = r->depth; level >= 1; level--) {
		if ((err = own_map(pp, w, &made)) < 0)
			return err;
		for (unsigned k = 0; made && k < np; k++)
			path[k]->nodes++;
		path[np++] = *pp;
		pp = &path[np - 1]->slot[bi / span(level) % RAMFS_FAN];
	}
	if ((err = own_block(pp, w, &made)) < 0)
		return err;
	for (unsigned k = 0; made && k < np; k++)
		path[k]->blocks++;
	*out = *pp;
	return 0;
}

/* Block bi of v, or 0 for a hole. */
static const struct rblock *find(const struct content *v, uint64_t bi)
{
	const struct rmap *m = v->top;

	if (m == 0 || bi / span(v->depth) >= RAMFS_FAN)
		return 0;
	for (unsigned level = v->depth; level > 1 && m; level--)
		m = m->slot[bi / span(level) % RAMFS_FAN];
	return m ? m->slot[bi % RAMFS_FAN] : 0;
}

size_t ramfs_blk_read(const struct content *v, void *buf, size_t count, uint64_t off)
{
	uint8_t *out = buf;
	size_t done = 0;

	if (off >= v->len)
		return 0;
	if (count > v->len - off)
		count = (size_t)(v->len - off);
	while (done < count) {
		uint64_t bi = (off + done) / RAMFS_BLK;
		size_t at = (size_t)((off + done) % RAMFS_BLK),
		       k = MIN(count - done, RAMFS_BLK - at);
		const struct rblock *b = find(v, bi);
		if (b)
			kmemcpy(out + done, b->data + at, k);
		else
			kmemset(out + done, 0, k);	/* a hole */
		done += k;
	}
	return done;
}

int ramfs_blk_write(struct content *r, const void *buf, size_t count, uint64_t off, struct rwctx *w)
{
	const uint8_t *in = buf;
	size_t done = 0;
	int err;

	while (done < count) {
		uint64_t bi = (off + done) / RAMFS_BLK;
		size_t at = (size_t)((off + done) % RAMFS_BLK),
		       k = MIN(count - done, RAMFS_BLK - at);
		struct rblock *b;
		if ((err = own_path(r, bi, w, &b)) < 0)
			return err;
		kmemcpy(b->data + at, in + done, k);
		done += k;
	}
	if (off + count > r->len)
		r->len = off + count;
	return 0;
}

/* Recount a map from its children (after some were dropped). */
static void recount(struct rmap *m, unsigned level)
{
	m->blocks = 0;
	m->nodes = 1;
	for (size_t i = 0; i < RAMFS_FAN; i++) {
		const struct rmap *c = m->slot[i];
		if (c == 0)
			continue;
		if (level == 1) {
			m->blocks++;
		} else {
			m->blocks += c->blocks;
			m->nodes += c->nodes;
		}
	}
}

/* Drop every block from index keep on beneath *pp, a map at level whose
 * first block is base.  Maps on the boundary are owned first (a copy may
 * fail: red is then aborted whole); a map left with nothing goes. */
static int cut(void **pp, unsigned level, uint64_t base, uint64_t keep, struct rwctx *w)
{
	uint64_t s = span(level);
	struct rmap *m;
	bool made;
	int err;

	if (*pp == 0 || base + s * RAMFS_FAN <= keep)
		return 0;	/* a hole, or wholly kept */
	if (keep <= base) {
		put_tree(*pp, level);	/* wholly dropped */
		*pp = 0;
		return 0;
	}
	if ((err = own_map(pp, w, &made)) < 0)
		return err;
	m = *pp;
	for (size_t i = (size_t)((keep - base) / s); i < RAMFS_FAN; i++) {
		if (level == 1) {
			if (base + i >= keep) {
				put_tree(m->slot[i], 0);
				m->slot[i] = 0;
			}
		} else if ((err = cut(&m->slot[i], level - 1, base + i * s, keep, w)) < 0) {
			return err;
		}
	}
	recount(m, level);
	if (m->blocks == 0 && m->nodes == 1) {
		put_tree(m, level);
		*pp = 0;
	}
	return 0;
}

/* After a cut: a top whose only child is slot 0 gives way to it, so a
 * file that was once far out costs and walks as little as its size. */
static void shallow(struct content *r)
{
	struct rmap *m;

	while (r->depth > 1 && (m = r->top) != 0 && m->refs == 1) {
		for (size_t i = 1; i < RAMFS_FAN; i++)
			if (m->slot[i])
				return;
		r->top = m->slot[0];	/* m's reference on it becomes red's */
		r->depth--;
		kfree(m);
	}
	if (r->top == 0)
		r->depth = 0;	/* the next write starts shallow */
}

int ramfs_resize(struct content *r, uint64_t len, struct rwctx *w)
{
	uint64_t keep = len / RAMFS_BLK + (len % RAMFS_BLK != 0);
	int err;

	if (len > RAMFS_MAXLEN)
		return E_TOOBIG;
	if (len < r->len) {
		/* the last kept block's tail must read as zeros if the file
		 * grows again: own it and clear it */
		w->shrinking = true;
		size_t at = (size_t)(len % RAMFS_BLK);
		struct rblock *b;
		if (at && find(r, len / RAMFS_BLK)) {
			if ((err = own_path(r, len / RAMFS_BLK, w, &b)) < 0)
				return err;
			kmemset(b->data + at, 0, RAMFS_BLK - at);
		}
		if ((err = cut(&r->top, r->depth, 0, keep, w)) < 0)
			return err;
		shallow(r);
	}
	/* growing: the new bytes are holes, or zeros already in the last block */
	r->len = len;
	return 0;
}
