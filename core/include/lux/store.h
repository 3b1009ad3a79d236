/*
 * The store (core/store/; docs/store.md, "The format on the drive"): an
 * encrypted copy-on-write key-value tree on a block device.  Keys are
 * 64-bit numbers (the file system's inode numbers), values byte strings
 * of up to STORE_VALMAX bytes.
 *
 * What a caller may assume:
 *  - nothing put or deleted is on the drive until store_commit returns 0;
 *    after that it survives any crash (a commit is complete only after
 *    the flush that follows its superblock);
 *  - a crash, a torn or lost write, never loses a completed commit: the
 *    drive opens to the last one (or, when its superblock itself was
 *    damaged, the one before, which is kept intact for that);
 *  - every byte read was written by the key's owner at that address and
 *    generation: a damaged, moved, swapped or replayed block is an
 *    E_CRYPTO ("failed authentication") for the values under it, never
 *    other data, and the rest stays readable;
 *  - a failed write or commit (an i/o error, out of memory) makes the
 *    store refuse further changes (E_IO) until it is closed and opened
 *    again, which returns it to its last commit.  Out of space is said
 *    before anything is written (E_NOSPC) and changes nothing.
 * Calls are serialised by the store's qlock; they sleep on the device.
 */
#ifndef LUX_STORE_H
#define LUX_STORE_H

#include <lux/blk.h>
#include <lux/types.h>

#define STORE_BSIZE 4096	/* bytes per block */
/* the largest value: three levels of pointers under a value's head */
#define STORE_VALMAX (63ull * 64 * 64 * STORE_BSIZE)

/* Argon2id cost of the key that wraps the master key (kept in the
 * superblock, so it can grow).  Bounds a drive may ask for: */
#define STORE_KDF_OPSMAX 16
#define STORE_KDF_MEMMAX (256ull << 20)

struct store;

/* Make an empty store on d, its master key random and wrapped under
 * Argon2id(pass) with ops and mem (bytes).  Whatever d held is lost. */
int store_format(struct blkdev *d, const void *pass, size_t passlen, uint64_t ops, uint64_t mem);
/* Open the store on d: 0 and *out, or E_NOENT (a blank drive: both
 * superblocks all zeros), E_INVAL (something that is not a store), E_PERM
 * (no superblock opens with this passphrase: a wrong one, or both
 * damaged), E_CRYPTO (the superblock opened but its tree's root did not
 * authenticate), E_IO, E_NOMEM; the proc's error string says which, in a
 * sentence.  Nothing is written to d by opening it. */
int store_open(struct blkdev *d, const void *pass, size_t passlen, struct store **out);
/* Forget st; what was not committed is lost.  Secrets are wiped. */
void store_close(struct store *st);

/* The value of key: 0 with *len its length and the bytes in buf when
 * cap >= *len; E_TOOBIG with *len set when cap is short; E_NOENT;
 * E_CRYPTO (damaged, st's bad block says where); E_IO. */
int store_get(struct store *st, uint64_t key, void *buf, size_t cap, size_t *len);
/* Set (or replace) key's value; E_TOOBIG beyond STORE_VALMAX. */
int store_put(struct store *st, uint64_t key, const void *val, size_t len);
int store_del(struct store *st, uint64_t key);
/* The least key >= from that has a value: 0 and *key, or E_NOENT. */
int store_next(struct store *st, uint64_t from, uint64_t *key);
/* Make every change so far durable; see the top. */
int store_commit(struct store *st);

struct store_stat {
	uint64_t seq;		/* the last commit's sequence number */
	uint64_t keys;		/* keys with a value */
	uint64_t blocks, used;	/* blocks on the drive, and in use or held back */
	bool bad;		/* a block failed authentication (0, 1: a superblock) */
	uint64_t badblock;	/* the last one that did */
	bool broken;		/* a change failed: closed to changes (see the top) */
};
/* The store's counters and health now (the boot line, sync's answer). */
void store_stat(struct store *st, struct store_stat *out);

struct lux_boot;
/* At boot (core/store/storeboot.c), after blk_boot: open device 0 as the
 * machine's store with the arch's passphrase, making one on a blank
 * drive; or say why not and go on without one. */
void store_boot(const struct lux_boot *b);
/* The machine's store, or 0. */
struct store *store_root(void);

#endif
