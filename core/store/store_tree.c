/*
 * The key tree: a radix tree of 64-way nodes over the 64-bit key, six
 * bits a level, as deep as the largest key needs (an inode table's keys
 * are small and dense, so a few levels hold them all, with no balancing
 * to get wrong).  A node is 64 pointers (exactly one block); the bottom
 * level's point at value heads (store_value.c), the others' at nodes.
 *
 * Nodes are read once and kept in RAM.  A change marks its path dirty;
 * store_commit writes the dirty nodes bottom-up to new blocks
 * (st_tree_write), each parent taking its children's new pointers, tags
 * included, and frees the blocks they replace (held back: see
 * store_space.c).  Invariant: a node's ptr[i] is what its child i was
 * last written as (or null for a child not written yet), so a clean
 * child needs no rewrite and a dirty one knows which block it replaces.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "store_int.h"

static uint32_t idx(uint64_t key, uint32_t level)
{
	return (uint32_t)(key >> (6 * (level - 1))) & (ST_FANOUT - 1);
}

static bool fits(uint64_t key, uint32_t depth)
{
	return depth * 6 >= 64 || (depth > 0 && key >> (6 * depth) == 0);
}

static uint32_t kind_below(uint32_t level)
{
	return level > 1 ? K_NODE : K_HEAD;
}

/* Read the node block p points at (of tree level `level`) into ptrs. */
static int node_read(struct store *st, const struct sbptr *p, uint32_t level, struct sbptr *ptrs)
{
	uint8_t *b = kmalloc(STORE_BSIZE);
	int err;

	if (b == 0)
		return proc_seterr(E_NOMEM, "store: out of memory for a tree node");
	err = st_unseal(st, p, b);
	for (uint32_t i = 0; err == 0 && i < ST_FANOUT; i++)
		if (st_ptr_dec(b + i * ST_PTRSZ, &ptrs[i], kind_below(level), st->nblocks,
		               st->seq + 1) < 0) {
			st->bad = true;
			st->badblock = p->addr;
			err = proc_seterr(E_CRYPTO,
			                  "store: tree node %llu holds a pointer that is "
			                  "not one",
			                  (unsigned long long)p->addr);
		}
	kfree(b);
	return err;
}

int st_node_load(struct store *st, const struct sbptr *p, uint32_t level, struct snode **out)
{
	struct snode *n = kzalloc(sizeof *n);
	int err;

	if (n == 0)
		return proc_seterr(E_NOMEM, "store: out of memory for a tree node");
	if ((err = node_read(st, p, level, n->ptr)) < 0) {
		kfree(n);
		return err;
	}
	*out = n;
	return 0;
}

void st_node_free(struct snode *n)
{
	if (n == 0)
		return;
	for (int i = 0; i < ST_FANOUT; i++)
		st_node_free(n->child[i]);
	kfree(n);
}

static void dirty(struct store *st, struct snode *n)
{
	if (!n->dirty)
		st->ndirty++;
	n->dirty = true;
}

/* Child i of n (at level > 1), loaded if needed; made empty if absent
 * and create, else E_NOENT. */
static int child(struct store *st, struct snode *n, uint32_t level, uint32_t i, bool create,
                 struct snode **out)
{
	int err;

	if (n->child[i] == 0 && n->ptr[i].addr != 0 &&
	    (err = st_node_load(st, &n->ptr[i], level - 1, &n->child[i])) < 0)
		return err;
	if (n->child[i] == 0 && !create)
		return E_NOENT;
	if (n->child[i] == 0 && (n->child[i] = kzalloc(sizeof *n->child[i])) == 0)
		return proc_seterr(E_NOMEM, "store: out of memory for a tree node");
	*out = n->child[i];
	return 0;
}

/* Walk to key's bottom node, recording the path (path[level]); with
 * create, grow and make what is missing, marking the path dirty. */
static int walk(struct store *st, uint64_t key, bool create, struct snode **path)
{
	int err;

	while (create && !fits(key, st->depth)) {
		struct snode *r = kzalloc(sizeof *r);

		if (r == 0)
			return proc_seterr(E_NOMEM, "store: out of memory for a tree node");
		if (st->depth > 0) {	/* the old root becomes child 0 */
			r->ptr[0] = st->root;
			r->child[0] = st->rootn;
		}
		kmemset(&st->root, 0, sizeof st->root);
		st->rootn = r;
		st->depth++;
		dirty(st, r);
	}
	if (!fits(key, st->depth))
		return E_NOENT;
	path[st->depth] = st->rootn;
	for (uint32_t l = st->depth; l > 1; l--)
		if ((err = child(st, path[l], l, idx(key, l), create, &path[l - 1])) < 0)
			return err;
	for (uint32_t l = 1; create && l <= st->depth; l++)
		dirty(st, path[l]);
	return 0;
}

static int free_fn(struct store *st, const struct sbptr *p, void *arg)
{
	USED(arg);
	st_free(st, p);
	return 0;
}

/* Give back the blocks of the value at head.  A part that fails to
 * authenticate cannot be walked: its blocks were not counted at open
 * either (store_space.c), so nothing is lost but an error to report. */
static void value_drop(struct store *st, const struct sbptr *head)
{
	st_value_visit(st, head, free_fn, 0);
}

int store_get(struct store *st, uint64_t key, void *buf, size_t cap, size_t *len)
{
	struct snode *path[ST_DEPTHMAX + 1];
	int err;

	qlock(&st->lock);
	if ((err = walk(st, key, false, path)) == 0) {
		const struct sbptr *h = &path[1]->ptr[idx(key, 1)];

		err = h->addr ? st_value_read(st, h, buf, cap, len) : E_NOENT;
	}
	qunlock(&st->lock);
	return err;
}

static int put(struct store *st, uint64_t key, const void *val, size_t len)
{
	struct snode *path[ST_DEPTHMAX + 1];
	struct sbptr head, *slot;
	/* the value, the nodes its commit will write, and the reserve that
	 * deletes may dip into (see del) */
	uint64_t need = st_value_blocks(len) + st->ndirty + 2 * (ST_DEPTHMAX + 1) + ST_RESERVE;
	int err;

	if (st->broken)
		return proc_seterr(E_IO, "store: a change failed earlier; open the store again");
	if (len > STORE_VALMAX)
		return proc_seterr(E_TOOBIG, "store: a value of %zu bytes; at most %llu", len,
		                   (unsigned long long)STORE_VALMAX);
	if (st_free_blocks(st) < need)
		return proc_seterr(E_NOSPC, "store: %llu blocks free, %llu needed",
		                   (unsigned long long)st_free_blocks(st),
		                   (unsigned long long)need);
	if ((err = walk(st, key, true, path)) < 0 ||
	    (err = st_value_write(st, val, len, &head)) < 0)
		return err;
	slot = &path[1]->ptr[idx(key, 1)];
	if (slot->addr)
		value_drop(st, slot);
	else
		st->nkeys++;
	*slot = head;
	return 0;
}

int store_put(struct store *st, uint64_t key, const void *val, size_t len)
{
	int err;

	qlock(&st->lock);
	err = put(st, key, val, len);
	qunlock(&st->lock);
	return err;
}

static bool empty(const struct snode *n)
{
	for (int i = 0; i < ST_FANOUT; i++)
		if (n->ptr[i].addr || n->child[i])
			return false;
	return true;
}

/* After a delete: nodes left empty go, bottom-up, their blocks freed. */
static void prune(struct store *st, uint64_t key, struct snode **path)
{
	for (uint32_t l = 1; l <= st->depth && empty(path[l]); l++) {
		struct sbptr *slot = l == st->depth ? &st->root
		                                    : &path[l + 1]->ptr[idx(key, l + 1)];

		if (slot->addr)
			st_free(st, slot);
		kmemset(slot, 0, sizeof *slot);
		if (path[l]->dirty)
			st->ndirty--;
		kfree(path[l]);
		if (l == st->depth) {
			st->rootn = 0;
			st->depth = 0;
			return;
		}
		path[l + 1]->child[idx(key, l + 1)] = 0;
	}
}

static int del(struct store *st, uint64_t key)
{
	struct snode *path[ST_DEPTHMAX + 1];
	struct sbptr *slot;
	int err;

	if (st->broken)
		return proc_seterr(E_IO, "store: a change failed earlier; open the store again");
	if ((err = walk(st, key, false, path)) < 0)
		return err;
	slot = &path[1]->ptr[idx(key, 1)];
	if (slot->addr == 0)
		return E_NOENT;
	/* a delete frees nothing until two commits later, but its commit
	 * writes its path: puts leave ST_RESERVE blocks for this, so a full
	 * store can always be emptied (the copy-on-write full-disk trap) */
	if (st_free_blocks(st) < st->ndirty + st->depth)
		return proc_seterr(E_NOSPC,
		                   "store: %llu blocks free, %llu needed to delete; "
		                   "commit and try again",
		                   (unsigned long long)st_free_blocks(st),
		                   (unsigned long long)(st->ndirty + st->depth));
	for (uint32_t l = 1; l <= st->depth; l++)
		dirty(st, path[l]);
	value_drop(st, slot);
	kmemset(slot, 0, sizeof *slot);
	st->nkeys--;
	prune(st, key, path);
	return 0;
}

int store_del(struct store *st, uint64_t key)
{
	int err;

	qlock(&st->lock);
	err = del(st, key);
	qunlock(&st->lock);
	return err;
}

/* The least key >= from under n (at level, keys base | ...); bounded
 * says from's bits above this level equal base's. */
static int find(struct store *st, struct snode *n, uint32_t level, uint64_t base, uint64_t from,
                bool bounded, uint64_t *out)
{
	uint32_t start = bounded ? idx(from, level) : 0;
	int err;

	for (uint32_t i = start; i < ST_FANOUT; i++) {
		uint64_t k = base | (uint64_t)i << (6 * (level - 1));
		struct snode *c;

		if (level == 1) {
			if (n->ptr[i].addr) {
				*out = k;
				return 0;
			}
			continue;
		}
		if ((err = child(st, n, level, i, false, &c)) == E_NOENT)
			continue;
		if (err < 0 ||
		    (err = find(st, c, level - 1, k, from, bounded && i == start, out)) != E_NOENT)
			return err;
	}
	return E_NOENT;
}

int store_next(struct store *st, uint64_t from, uint64_t *key)
{
	int err = E_NOENT;

	qlock(&st->lock);
	if (st->rootn && fits(from, st->depth))
		err = find(st, st->rootn, st->depth, 0, from, true, key);
	qunlock(&st->lock);
	return err;
}

/* Write n (dirty, at level) and its dirty children to new blocks;
 * *slot, the pointer to n's last block, becomes the new one's. */
static int node_write(struct store *st, struct snode *n, uint32_t level, struct sbptr *slot)
{
	uint8_t *b;
	int err = 0;

	for (uint32_t i = 0; i < ST_FANOUT && err == 0; i++)
		if (level > 1 && n->child[i] && n->child[i]->dirty)
			err = node_write(st, n->child[i], level - 1, &n->ptr[i]);
	if (err < 0)
		return err;
	if ((b = kmalloc(STORE_BSIZE)) == 0)
		return proc_seterr(E_NOMEM, "store: out of memory for a tree node");
	for (uint32_t i = 0; i < ST_FANOUT; i++)
		st_ptr_enc(b + i * ST_PTRSZ, &n->ptr[i]);
	if (slot->addr)
		st_free(st, slot);
	if ((err = st_seal(st, K_NODE, b, slot)) == 0) {
		n->dirty = false;
		st->ndirty--;
	}
	kfree(b);
	return err;
}

int st_tree_write(struct store *st)
{
	if (st->rootn == 0 || !st->rootn->dirty)
		return 0;
	return node_write(st, st->rootn, st->depth, &st->root);
}

static int visit(struct store *st, const struct sbptr *p, uint32_t level, st_visit_fn fn, void *arg)
{
	struct sbptr *ptrs;
	int err, first = 0;

	if (fn(st, p, arg))
		return 0;
	if ((ptrs = kmalloc(ST_FANOUT * sizeof *ptrs)) == 0)
		return proc_seterr(E_NOMEM, "store: out of memory for a tree node");
	if ((err = node_read(st, p, level, ptrs)) < 0) {
		kfree(ptrs);
		return err;
	}
	/* a damaged subtree does not stop the walk of the others */
	for (uint32_t i = 0; i < ST_FANOUT; i++) {
		if (ptrs[i].addr == 0)
			continue;
		err = level > 1 ? visit(st, &ptrs[i], level - 1, fn, arg)
		                : st_value_visit(st, &ptrs[i], fn, arg);
		if (err < 0 && first == 0)
			first = err;
	}
	kfree(ptrs);
	return first;
}

int st_tree_visit(struct store *st, const struct sbptr *root, uint32_t depth, st_visit_fn fn,
                  void *arg)
{
	return depth == 0 ? 0 : visit(st, root, depth, fn, arg);
}
