/*
 * Superblocks: making a store, opening one, and the commit point.
 *
 * Two superblocks, in the first sector of blocks 0 and 1; commit n goes
 * to block n % 2, so the drive always holds the last two commits.  A
 * commit writes the changed tree to free blocks, flushes, writes its
 * superblock, flushes again, and only then is complete.  Opening reads
 * both, takes the one with the higher sequence that authenticates (MAC
 * under the master key) and whose root node authenticates, else the
 * other: a torn or lost superblock write is a commit that did not happen,
 * and a damaged newest superblock costs one commit, never the store.
 * Opening writes nothing.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "store_int.h"

#define KEYS (LC_AEAD_KEY + LC_MAC_KEY)

static void store_free(struct store *st)
{
	st_node_free(st->rootn);
	st_space_fini(st);
	lc_secure_free(st->keys, KEYS);
	kfree(st->buf);
	kfree(st);
}

static int store_new(struct blkdev *d, struct store **out)
{
	struct store *st;

	if (d->sector_size > STORE_BSIZE || d->sectors / (STORE_BSIZE / d->sector_size) < 16)
		return proc_seterr(E_INVAL,
		                   "store: %s is too small for a store (16 blocks of %u bytes)",
		                   d->name, STORE_BSIZE);
	if ((st = kzalloc(sizeof *st)) == 0)
		return proc_seterr(E_NOMEM, "store: out of memory");
	st->d = d;
	st->spb = STORE_BSIZE / d->sector_size;
	st->nblocks = d->sectors / st->spb;
	qlock_init(&st->lock, "store");
	st->buf = kmalloc(STORE_BSIZE + LC_AEAD_TAG);
	st->keys = lc_secure_alloc(KEYS);
	if (st->buf == 0 || st->keys == 0) {
		store_free(st);
		return proc_seterr(E_NOMEM, "store: out of memory");
	}
	*out = st;
	return 0;
}

/* Write superblock s to its slot (s->seq % 2), MAC'd with st's key. */
static int super_write(struct store *st, const struct ssuper *s)
{
	uint8_t *sec = kzalloc(st->d->sector_size);
	int err;

	if (sec == 0)
		return proc_seterr(E_NOMEM, "store: out of memory");
	st_super_enc(sec, s);
	st_super_seal(MKEY(st), sec);
	err = blk_write(st->d, (s->seq % 2) * st->spb, sec, 1);
	kfree(sec);
	return err;
}

static int format(struct store *st, const void *pass, size_t passlen, uint64_t ops, uint64_t mem)
{
	uint8_t *kek = lc_secure_alloc(LC_AEAD_KEY), *mk = lc_secure_alloc(LC_AEAD_KEY);
	uint8_t *zero = kzalloc(st->d->sector_size);
	struct ssuper *s = &st->sb;
	int err = 0;

	if (kek == 0 || mk == 0 || zero == 0)
		err = proc_seterr(E_NOMEM, "store: out of memory");
	s->nblocks = st->nblocks;
	s->ops = ops;
	s->mem = mem;
	s->seq = 1;
	lc_random(s->uuid, sizeof s->uuid);
	lc_random(s->salt, sizeof s->salt);
	st_header_enc(s);
	if (err == 0) {
		lc_random(mk, LC_AEAD_KEY);
		err = st_kek(s, pass, passlen, kek);
	}
	if (err == 0 && (err = st_wrap(s, kek, mk)) == 0 && (err = st_derive(st->keys, mk)) == 0 &&
	    (err = blk_write(st->d, 0, zero, 1)) == 0 && (err = super_write(st, s)) == 0)
		err = blk_flush(st->d);
	lc_secure_free(kek, LC_AEAD_KEY);
	lc_secure_free(mk, LC_AEAD_KEY);
	kfree(zero);
	return err;
}

int store_format(struct blkdev *d, const void *pass, size_t passlen, uint64_t ops, uint64_t mem)
{
	struct store *st;
	int err;

	if (ops < LC_PWHASH_OPSMIN || ops > STORE_KDF_OPSMAX || mem < LC_PWHASH_MEMMIN ||
	    mem > STORE_KDF_MEMMAX)
		return proc_seterr(E_INVAL,
		                   "store: Argon2id costs %llu passes over %llu bytes: "
		                   "1..%d passes over 8 KiB..256 MiB",
		                   (unsigned long long)ops, (unsigned long long)mem,
		                   STORE_KDF_OPSMAX);
	if ((err = store_new(d, &st)) < 0)
		return err;
	err = format(st, pass, passlen, ops, mem);
	store_free(st);
	return err;
}

/* One superblock as found at open. */
struct cand {
	bool blank;		/* all zeros: never written (format clears slot 0) */
	bool found;		/* decodes as a superblock */
	bool opened;		/* its wrapped key opened with the passphrase */
	bool valid;		/* and its MAC holds */
	struct ssuper s;
	uint8_t *keys;		/* secure, KEYS bytes */
};

/* Read slot i and try the passphrase on it; kek is reused when slot 0
 * had the same salt and costs (Argon2id is the slow part of opening). */
static int cand_read(struct store *st, int i, struct cand *c, const struct cand *c0,
                     const void *pass, size_t passlen, uint8_t *kek, uint8_t *mk)
{
	uint8_t *sec = kmalloc(st->d->sector_size);
	int err;

	if (sec == 0)
		return proc_seterr(E_NOMEM, "store: out of memory");
	if ((err = blk_read(st->d, (uint64_t)i * st->spb, sec, 1)) == 0) {
		uint8_t acc = 0;

		for (uint32_t k = 0; k < st->d->sector_size; k++)
			acc |= sec[k];
		c->blank = acc == 0;
	}
	if (err < 0 || st_super_dec(sec, &c->s, st->nblocks) < 0) {
		kfree(sec);
		return err;
	}
	c->found = true;
	if (!(c0 && c0->found && kmemcmp(c0->s.hdr + 48, c->s.hdr + 48, 32) == 0) &&
	    (err = st_kek(&c->s, pass, passlen, kek)) < 0) {
		kfree(sec);
		return err;
	}
	if (st_unwrap(&c->s, kek, mk) == 0) {
		c->opened = true;
		if ((err = st_derive(c->keys, mk)) == 0)
			c->valid = st_super_ok(c->keys + LC_AEAD_KEY, sec);
	}
	lc_wipe(mk, LC_AEAD_KEY);
	kfree(sec);
	return err;
}

/* Take superblock c as the store's state, its root node loaded. */
static int take(struct store *st, const struct cand *c)
{
	kmemcpy(&st->sb, &c->s, sizeof st->sb);
	kmemcpy(st->keys, c->keys, KEYS);
	st->seq = c->s.seq;
	st->depth = c->s.depth;
	st->root = c->s.root;
	st->nkeys = c->s.keys;
	if (st->depth == 0)
		return 0;
	return st_node_load(st, &st->root, st->depth, &st->rootn);
}

static int mark_fn(struct store *st, const struct sbptr *p, void *arg)
{
	if (st_marked(st, p->addr))
		return 1;	/* shared with the newer tree, and so is all below it */
	st_mark(st, p->addr, *(bool *)arg);
	return 0;
}

/* Count every block either superblock's tree uses; a damaged subtree is
 * skipped (its blocks are unreachable anyway), other errors end it. */
static int space_walk(struct store *st, const struct cand *older)
{
	bool old = false;
	int err;

	if ((err = st_space_init(st)) < 0)
		return err;
	err = st_tree_visit(st, &st->root, st->depth, mark_fn, &old);
	if (err == E_CRYPTO)
		err = 0;
	if (err == 0 && older) {
		old = true;
		err = st_tree_visit(st, &older->s.root, older->s.depth, mark_fn, &old);
		if (err == E_CRYPTO)
			err = 0;
	}
	return err;
}

static int choose(struct store *st, struct cand *c)
{
	int first = c[1].valid && (!c[0].valid || c[1].s.seq > c[0].s.seq) ? 1 : 0;
	int err = E_CRYPTO;

	for (int k = 0; k < 2; k++) {
		struct cand *n = &c[k ? 1 - first : first], *o = &c[k ? first : 1 - first];
		bool pair = k == 0 && o->valid && o->s.seq < n->s.seq &&
		            kmemcmp(o->s.uuid, n->s.uuid, 16) == 0 &&
		            lc_equal(o->keys, n->keys, KEYS);

		if (!n->valid)
			continue;
		if ((err = take(st, n)) == 0)
			return space_walk(st, pair ? o : 0);
		st_node_free(st->rootn);
		st->rootn = 0;
		if (err != E_CRYPTO)
			return err;
	}
	return err;
}

static int open_store(struct store *st, const void *pass, size_t passlen)
{
	uint8_t *kek = lc_secure_alloc(LC_AEAD_KEY), *mk = lc_secure_alloc(LC_AEAD_KEY);
	struct cand c[2] = { { .keys = lc_secure_alloc(KEYS) }, { .keys = lc_secure_alloc(KEYS) } };
	int err = 0;

	if (kek == 0 || mk == 0 || c[0].keys == 0 || c[1].keys == 0)
		err = proc_seterr(E_NOMEM, "store: out of memory");
	for (int i = 0; i < 2 && err == 0; i++)
		err = cand_read(st, i, &c[i], i ? &c[0] : 0, pass, passlen, kek, mk);
	for (int i = 0; i < 2 && err == 0; i++)
		if (!c[i].blank && !c[i].valid) {	/* torn, damaged, or not ours */
			st->bad = true;
			st->badblock = (uint64_t)i;
		}
	if (err == 0 && c[0].blank && c[1].blank)
		err = proc_seterr(E_NOENT, "store: no store on %s: a blank drive", st->d->name);
	else if (err == 0 && !c[0].found && !c[1].found)
		err = proc_seterr(E_INVAL,
		                  "store: %s holds something that is not a store (or both "
		                  "its superblocks are damaged)",
		                  st->d->name);
	else if (err == 0 && !c[0].opened && !c[1].opened)
		err = proc_seterr(E_PERM,
		                  "store: the passphrase does not open the store on %s "
		                  "(or both its superblocks are damaged)",
		                  st->d->name);
	else if (err == 0 && (err = choose(st, c)) == E_CRYPTO)
		err = proc_seterr(E_CRYPTO,
		                  "store: the store on %s is damaged: no superblock "
		                  "with a readable root",
		                  st->d->name);
	lc_secure_free(kek, LC_AEAD_KEY);
	lc_secure_free(mk, LC_AEAD_KEY);
	lc_secure_free(c[0].keys, KEYS);
	lc_secure_free(c[1].keys, KEYS);
	return err;
}

int store_open(struct blkdev *d, const void *pass, size_t passlen, struct store **out)
{
	struct store *st;
	int err;

	if ((err = store_new(d, &st)) < 0)
		return err;
	if ((err = open_store(st, pass, passlen)) < 0) {
		store_free(st);
		return err;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	store_free(st);
}

static bool changed(const struct store *st)
{
	return st->ndirty > 0 || st->depth != st->sb.depth || st->root.addr != st->sb.root.addr ||
	       st->nkeys != st->sb.keys;
}

static int commit(struct store *st)
{
	struct ssuper s = st->sb;
	int err;

	if (st->broken)
		return proc_seterr(E_IO, "store: a change failed earlier; open the store again");
	if (!changed(st))
		return 0;
	s.seq = st->seq + 1;
	if ((err = st_tree_write(st)) < 0 || (err = blk_flush(st->d)) < 0)
		goto fail;
	s.depth = st->depth;
	s.root = st->root;
	s.keys = st->nkeys;
	if ((err = super_write(st, &s)) < 0 || (err = blk_flush(st->d)) < 0)
		goto fail;
	st->sb = s;
	st->seq = s.seq;
	st_space_committed(st);
	return 0;
fail:
	st->broken = true;	/* the tree in RAM and the drive may differ now */
	return err;
}

int store_commit(struct store *st)
{
	int err;

	qlock(&st->lock);
	err = commit(st);
	qunlock(&st->lock);
	return err;
}

void store_stat(struct store *st, struct store_stat *out)
{
	qlock(&st->lock);
	out->seq = st->seq;
	out->keys = st->nkeys;
	out->blocks = st->nblocks;
	out->used = st->nused;
	out->bad = st->bad;
	out->badblock = st->badblock;
	out->broken = st->broken;
	qunlock(&st->lock);
}
