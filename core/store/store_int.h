/*
 * The store's insides (the files of core/store), shared by its files only.  The
 * byte-by-byte layout is docs/store.md, "The format on the drive".
 */
#ifndef LUX_STORE_INT_H
#define LUX_STORE_INT_H

#include <lux/crypto.h>
#include <lux/lock.h>
#include <lux/store.h>

#define ST_FANOUT 64		/* pointers in a tree node or an indirect block */
#define ST_PTRSZ 64		/* bytes of a pointer on the drive */
#define ST_HEADSZ 64		/* bytes of a value head before its pointers */
#define ST_HEADPTRS 63		/* pointers in a value head */
#define ST_INLINE (STORE_BSIZE - ST_HEADSZ)	/* a value kept in its head */
#define ST_HMAX 3		/* levels of pointers under a value head */
#define ST_DEPTHMAX 11		/* tree levels: 6 bits of key each, 64 bits */
#define ST_SBSZ 512		/* bytes of a superblock */
#define ST_SBMAC 480		/* where its MAC starts */
#define ST_HDRSZ 80		/* the header part: the wrapped key's associated data */
#define ST_WRAPSZ (LC_AEAD_NONCE_MAX + LC_AEAD_KEY + LC_AEAD_TAG)
#define ST_VERSION 1
#define ST_FIRST 2		/* blocks 0 and 1 hold the superblocks */
#define ST_RESERVE 32		/* blocks puts leave free for deletes' commits */

/* What a block is: bound into its seal, checked against where it hangs. */
enum { K_NODE = 1, K_HEAD = 2, K_IND = 3, K_DATA = 4 };

/* A pointer to a block: where, which commit wrote it, what it is, and
 * what opens it (its random nonce and its tag).  addr 0 is no block. */
struct sbptr {
	uint64_t addr, gen;
	uint32_t kind;
	uint8_t nonce[LC_AEAD_NONCE_MAX];
	uint8_t tag[LC_AEAD_TAG];
};

/* A tree node in RAM: its pointers as on the drive, and the children
 * loaded so far (owned; null when not loaded or no child). */
struct snode {
	struct sbptr ptr[ST_FANOUT];
	struct snode *child[ST_FANOUT];
	bool dirty;		/* changed since it was read or written */
};

/* A superblock, decoded. */
struct ssuper {
	uint8_t hdr[ST_HDRSZ];	/* magic .. kdf salt, as on the drive */
	uint8_t uuid[16];
	uint64_t nblocks, ops, mem, seq, keys;
	uint8_t salt[LC_PWHASH_SALT];
	uint8_t wrap[ST_WRAPSZ];
	uint32_t depth;
	struct sbptr root;
	uint8_t mac[LC_MAC_BYTES];
};

struct store {
	struct blkdev *d;
	struct qlock lock;
	uint32_t spb;		/* device sectors per block */
	uint64_t nblocks;
	struct ssuper sb;	/* the last commit's, and the fields the next keeps */
	uint8_t *keys;		/* secure: block key, then superblock MAC key */
	uint32_t depth;
	struct sbptr root;	/* the root's pointer as last written (addr 0: none yet) */
	struct snode *rootn;	/* the root in RAM, or 0 for an empty tree */
	uint64_t seq, nkeys, ndirty;
	/* space (see store_space.c): used has a bit for every block that
	 * is in use or held back; freed_cur/freed_prev those freed by the
	 * commit being built and by the last one, still held back */
	uint8_t *used, *freed_cur, *freed_prev;
	uint64_t nused, cursor;
	bool bad;		/* a block failed authentication: badblock says which */
	uint64_t badblock;
	bool broken;
	uint8_t *buf;		/* STORE_BSIZE + tag: the sealed bytes of one block */
};

#define BKEY(st) ((st)->keys)
#define MKEY(st) ((st)->keys + LC_AEAD_KEY)

/* store_codec.c: the edge.  Every decoder checks every field it reads. */
void st_put64(uint8_t *p, uint64_t v);
void st_put32(uint8_t *p, uint32_t v);
uint64_t st_get64(const uint8_t *p);
uint32_t st_get32(const uint8_t *p);
void st_ptr_enc(uint8_t *p, const struct sbptr *b);
/* 0, or -1 when the bytes are no pointer to a block of kind on a drive
 * of nblocks blocks written by commit maxgen or before (all zeros is the
 * null pointer and fine). */
int st_ptr_dec(const uint8_t *p, struct sbptr *b, uint32_t kind, uint64_t nblocks, uint64_t maxgen);
void st_super_enc(uint8_t *p, const struct ssuper *s);
/* s->hdr from s's nblocks, uuid, ops, mem and salt (a new store). */
void st_header_enc(struct ssuper *s);
/* 0, or -1 when the sector is no superblock of version 1 fit for a drive
 * of nblocks (its MAC is checked by the caller, with the key). */
int st_super_dec(const uint8_t *p, struct ssuper *s, uint64_t nblocks);

/* store_block.c: sealed blocks.  st_seal allocates, encrypts and
 * writes plain (STORE_BSIZE bytes) as a block of kind, at the generation
 * of the commit being built; st_unseal reads and opens what p points at. */
int st_seal(struct store *st, uint32_t kind, const void *plain, struct sbptr *out);
int st_unseal(struct store *st, const struct sbptr *p, void *plain);
int st_bad(struct store *st, uint64_t addr, const char *what);

/* store_space.c */
int st_space_init(struct store *st);
void st_space_fini(struct store *st);
int st_alloc(struct store *st, uint64_t *addr);
void st_free(struct store *st, const struct sbptr *p);
void st_mark(struct store *st, uint64_t addr, bool older);
bool st_marked(const struct store *st, uint64_t addr);
uint64_t st_free_blocks(const struct store *st);
void st_space_committed(struct store *st);

/* store_value.c: a value's blocks under its head. */
int st_value_write(struct store *st, const void *val, size_t len, struct sbptr *out);
int st_value_read(struct store *st, const struct sbptr *head, void *buf, size_t cap, size_t *len);
/* Visit every block of the value at head: fn for each pointer, parents
 * first; a nonzero return skips that block's children.  An error reading
 * a parent ends the visit with it. */
typedef int (*st_visit_fn)(struct store *st, const struct sbptr *p, void *arg);
int st_value_visit(struct store *st, const struct sbptr *head, st_visit_fn fn, void *arg);
uint64_t st_value_blocks(size_t len);

/* store_tree.c */
int st_node_load(struct store *st, const struct sbptr *p, uint32_t level, struct snode **out);
void st_node_free(struct snode *n);
int st_tree_visit(struct store *st, const struct sbptr *root, uint32_t depth, st_visit_fn fn,
                  void *arg);
int st_tree_write(struct store *st);

/* store_keys.c: kek and mk are LC_AEAD_KEY bytes, keys 2 x 32 */
int st_kek(const struct ssuper *s, const void *pass, size_t passlen, uint8_t *kek);
int st_wrap(struct ssuper *s, const uint8_t *kek, const uint8_t *mk);
int st_unwrap(const struct ssuper *s, const uint8_t *kek, uint8_t *mk);	/* 0, or -1 */
int st_derive(uint8_t *keys, const uint8_t *mk);
void st_super_seal(const uint8_t *mackey, uint8_t *sb);	/* its MAC, at ST_SBMAC */
bool st_super_ok(const uint8_t *mackey, const uint8_t *sb);

#endif
