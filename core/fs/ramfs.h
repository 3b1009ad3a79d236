/*
 * ramfs's insides, shared by its files: ramfs.c (the tree, data) and
 * ramfs_meta.c (attributes, rename, symlinks).  Everything here runs
 * under the one ramfs lock (ramfs.c says why).
 */
#ifndef LUX_FS_RAMFS_H
#define LUX_FS_RAMFS_H

#include <lux/dev.h>
#include <lux/list.h>
#include <lux/redblue.h>

#define RAMFS_MAXFILE (64u << 20)	/* 64 MiB: one file may not eat the machine */

/* A data block, shared by the versions that did not change it.  2040
 * bytes of data make the block exactly a 2 KiB allocation. */
#define BLKDATA 2040

struct rblock {
	int32_t refs;
	uint8_t pad[4];
	uint8_t data[BLKDATA];
};

/* One version of a file's contents. */
struct content {
	uint64_t len;
	uint64_t mtime, atime;
	uint32_t vers;
	size_t nblk;		/* entries in blk; 0 entries are holes */
	struct rblock **blk;
};

/* One attach: a tree is freed whole when the last chan on any of its
 * nodes goes (mount '#ramfs', then unmount, leaves nothing behind). */
struct rtree {
	size_t chans;		/* chans whose aux is a node of this tree */
	struct rnode *root;
};

struct rnode {
	struct rtree *tree;
	char name[LUX_NAMEMAX];
	struct qid qid;		/* files: vers lives in the content */
	uint32_t mode;
	char uid[LUX_UIDMAX];	/* owner: its creator (or a chown) */
	char gid[LUX_UIDMAX];	/* group: its directory's at create (Plan 9) */
	char muid[LUX_UIDMAX];	/* who last changed it */
	uint64_t mtime, atime;	/* directories; files keep theirs in content */
	uint32_t major, minor;	/* device nodes (DMDEVICE) */
	uint64_t ctime;		/* the last wstat or rename; a write's is its mtime */
	uint64_t seq;		/* order in the parent: readdir cookies (dirnext) */
	uint64_t lastseq;	/* directories: the last seq given to a child */
	struct rnode *parent;	/* 0 for the root */
	struct list children;	/* directories: struct rnode.sibling */
	struct list sibling;
	struct redblue content;	/* files */
	int ref;		/* chans + 1 while linked into the tree */
	bool linked;
};

/* ramfs.c */
uint64_t ramfs_now(void);
struct rnode *ramfs_lookup(struct rnode *dir, const char *name);
struct rnode *ramfs_node_new(const char *name, uint32_t mode);
void ramfs_node_put(struct rnode *n);
/* Link n (ref 0, or already counted by the caller) into dir as its last child. */
void ramfs_link(struct rnode *dir, struct rnode *n);
/* Take n out of its directory (the tree's reference is the caller's to drop). */
void ramfs_unlink(struct rnode *n);
void ramfs_touch(struct rnode *n);
/* A new n belongs to the running proc's user and to dir's group. */
void ramfs_own(struct rnode *n, const struct rnode *dir);
/* Make red len bytes long: drop or zero what lies past it (holes stay holes). */
int ramfs_resize(struct content *r, uint64_t len);
long ramfs_write_locked(struct rnode *n, const void *buf, size_t count, uint64_t off);
long ramfs_read_locked(struct rnode *n, void *buf, size_t count, uint64_t off);
/* May the running proc do need (owner bits: 0400 read, 0200 write,
 * 0100 search) to n?  The one permission check (<lux/perm.h>), asked again
 * at the device so a direct caller cannot skip it. */
bool ramfs_may(const struct rnode *n, uint32_t need);

/* ramfs_meta.c: the optional operations, called with the lock held */
int ramfs_do_wstat(struct chan *c, const struct lux_wstat *w);
int ramfs_do_rename(struct chan *c, struct chan *newdir, const char *name);
int ramfs_do_symlink(struct chan *c, const char *name, const char *target);
long ramfs_do_readlink(struct chan *c, char *buf, size_t n);
int ramfs_do_mknod(struct chan *c, const char *name, uint32_t mode, uint32_t major,
                   uint32_t minor);

#endif
