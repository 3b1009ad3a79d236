/*
 * The root RAM tree saved to and loaded from the store
 * (core/fs/ramfs_store.c), for storesync.c.  Under the ramfs lock only
 * inside; the store calls happen with it released.
 */
#ifndef LUX_FS_RAMFS_STORE_H
#define LUX_FS_RAMFS_STORE_H

#include <lux/store.h>

struct rnode;

/* What the last sync wrote for one key, to skip what has not changed. */
struct rs_ent {
	uint64_t key, vers, parent, mtime;
	uint32_t mode;
	uint64_t names;		/* a hash of name, owner, group and length */
	uint8_t seen;		/* met by the sync under way */
	uint8_t keep;		/* a record that did not load at boot: never deleted */
};

/* A loaded inode and the key it was loaded from. */
struct rs_pk {
	uint64_t path, key;
};

struct rs_map {
	struct rs_ent *e;	/* sorted by key */
	size_t n, cap;
	struct rs_pk *pk;	/* sorted by path: names keep their keys across boots */
	size_t npk, cappk;
};

struct rs_result {
	uint64_t written, deleted, skipped, bad, refused, orphans;
	uint64_t maxkey;	/* rs_load: the greatest key read */
};

/* Write what changed in the tree under root (each name at the key it was
 * loaded from, or a new one: base + its inode's qid.path) since m was
 * filled, delete
 * what is gone, commit; m is what the store then holds.  0, or an error
 * (m is emptied: the next sync writes everything). */
int rs_save(struct rnode *root, struct store *st, struct rs_map *m, uint64_t base,
            struct rs_result *res);
/* Link every name the store holds into the tree under root (names the
 * tree has already, /dev and /tmp, are kept as they are), filling m with
 * what the store holds: loaded names keep their keys, and records that
 * did not load are kept by every sync.  0, or an error; res counts what
 * was made and what was not. */
int rs_load(struct rnode *root, struct store *st, struct rs_map *m, struct rs_result *res);
void rs_map_free(struct rs_map *m);

#endif
