/*
 * Free space.  Kept in RAM only, rebuilt at every open by walking the
 * trees of both superblocks (store_super.c): a persistent space map is
 * one more copy-on-write structure to keep consistent with the tree, and
 * the RAM-first file system reads every value head at boot anyway.
 *
 * The rule that makes reuse safe: a block referenced by either
 * superblock on the drive is never written.  The drive holds the last
 * two commits, so a block freed by commit n (in n-1, not in n) is held
 * back until commit n+1 is complete (then the drive holds n and n+1);
 * then it is free.  A block written by the commit being built and freed
 * before it (gen = seq + 1) was never referenced by any superblock and
 * is free at once.
 *
 * Invariants: nused counts the bits of used; every bit of freed_cur and
 * freed_prev is also set in used; blocks 0 and 1 are always used.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "store_int.h"

static bool bit(const uint8_t *m, uint64_t i)
{
	return (m[i / 8] >> (i % 8)) & 1;
}

static void set(uint8_t *m, uint64_t i)
{
	m[i / 8] |= (uint8_t)(1u << (i % 8));
}

static void clr(uint8_t *m, uint64_t i)
{
	m[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

int st_space_init(struct store *st)
{
	size_t n = (size_t)((st->nblocks + 7) / 8);

	st->used = kzalloc(n);
	st->freed_cur = kzalloc(n);
	st->freed_prev = kzalloc(n);
	if (st->used == 0 || st->freed_cur == 0 || st->freed_prev == 0)
		return proc_seterr(E_NOMEM, "store: out of memory for the space map of %llu blocks",
		                   (unsigned long long)st->nblocks);
	set(st->used, 0);
	set(st->used, 1);
	st->nused = 2;
	st->cursor = ST_FIRST;
	return 0;
}

void st_space_fini(struct store *st)
{
	kfree(st->used);
	kfree(st->freed_cur);
	kfree(st->freed_prev);
}

int st_alloc(struct store *st, uint64_t *addr)
{
	uint64_t span = st->nblocks - ST_FIRST;

	for (uint64_t k = 0; k < span; k++) {
		uint64_t a = ST_FIRST + (st->cursor - ST_FIRST + k) % span;

		if (!bit(st->used, a)) {
			set(st->used, a);
			st->nused++;
			st->cursor = a + 1 < st->nblocks ? a + 1 : ST_FIRST;
			*addr = a;
			return 0;
		}
	}
	/* callers check st_free_blocks first: running out here is a bug
	 * of the count, but still no reason to write anywhere */
	st->broken = true;
	return proc_seterr(E_NOSPC, "store: no free block");
}

void st_free(struct store *st, const struct sbptr *p)
{
	/* a block not marked was under one that failed authentication at
	 * open, so it was never counted: nothing to give back */
	if (p->addr < ST_FIRST || p->addr >= st->nblocks || !bit(st->used, p->addr))
		return;
	if (p->gen == st->seq + 1) {	/* never committed: free now */
		clr(st->used, p->addr);
		st->nused--;
	} else {
		set(st->freed_cur, p->addr);
	}
}

/* At open: addr is referenced by a superblock's tree; older says it is
 * only the older one's, so it is free once the next commit completes. */
void st_mark(struct store *st, uint64_t addr, bool older)
{
	if (bit(st->used, addr))
		return;
	set(st->used, addr);
	st->nused++;
	if (older)
		set(st->freed_prev, addr);
}

bool st_marked(const struct store *st, uint64_t addr)
{
	return bit(st->used, addr);
}

uint64_t st_free_blocks(const struct store *st)
{
	return st->nblocks - st->nused;
}

/* A commit completed: what the one before freed is referenced by no
 * superblock now. */
void st_space_committed(struct store *st)
{
	for (uint64_t a = 0; a < st->nblocks; a++)
		if (bit(st->freed_prev, a)) {
			clr(st->used, a);
			st->nused--;
		}
	kmemcpy(st->freed_prev, st->freed_cur, (size_t)((st->nblocks + 7) / 8));
	kmemset(st->freed_cur, 0, (size_t)((st->nblocks + 7) / 8));
}
