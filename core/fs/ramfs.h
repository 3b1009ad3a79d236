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

/*
 * A file's data is a copy-on-write tree of page blocks (ramfs_blocks.c).
 * No constant caps a file: its owner's quota and the machine's reserve do
 * (docs/quotas.md).  RAMFS_MAXLEN is the format's own limit (a 9P2000.L
 * offset is a Linux loff_t).
 */
#define RAMFS_MAXLEN ((uint64_t)INT64_MAX)
#define RAMFS_BLK 4096u		/* bytes a block holds: one page */
#define RAMFS_FAN 125		/* slots in a map: a map is 1 KiB */

/* What a file costs its owner's quota, bytes: each block its page plus
 * its 16-byte descriptor, each map its 1 KiB, the entry (the node and its
 * version) 512. */
#define RAMFS_BLOCK_COST (4096u + 16u)
#define RAMFS_NODE_COST 1024u
#define RAMFS_ENTRY_COST 512u

/* One version of a file's contents: the red-blue payload. */
struct content {
	uint64_t len;
	uint64_t mtime, atime;
	uint32_t vers;
	uint32_t depth;		/* levels of maps above the blocks (0: none yet) */
	void *top;		/* struct rmap at level depth; 0: all holes */
};

/* An update in progress: whose quota pays for what it adds, and how much
 * it has charged so far (given back if the update is aborted). */
struct rwctx {
	const char *owner;
	uint64_t charged;
	bool shrinking;		/* a truncation: it gives back more than the copies
				 * it makes take, so they may dip into the reserve
				 * (a full machine must still be able to shrink) */
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
	bool charged;		/* RAMFS_ENTRY_COST and the content's cost are
				 * charged to uid (ramfs_charge_entry) */
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
/* A new node pays for its entry: 0 or the refusal (E_QUOTA). */
int ramfs_charge_entry(struct rnode *n);
long ramfs_write_locked(struct rnode *n, const void *buf, size_t count, uint64_t off);
long ramfs_read_locked(struct rnode *n, void *buf, size_t count, uint64_t off);
/* May the running proc do need (owner bits: 0400 read, 0200 write,
 * 0100 search) to n?  The one permission check (<lux/perm.h>), asked again
 * at the device so a direct caller cannot skip it. */
bool ramfs_may(const struct rnode *n, uint32_t need);

/* ramfs_blocks.c: contents, under the lock */
extern const struct rb_ops ramfs_content_ops;
/* What c costs its owner's quota (its blocks and maps), bytes. */
uint64_t ramfs_cost(const struct content *c);
/* Copy up to count bytes at off out of v: how many (0 at or past the end). */
size_t ramfs_blk_read(const struct content *v, void *buf, size_t count, uint64_t off);
/* Write into red (off + count checked by the caller), charging w->owner
 * for every block and map added: 0, or an error (abort red, then give
 * back w->charged). */
int ramfs_blk_write(struct content *r, const void *buf, size_t count, uint64_t off,
                    struct rwctx *w);
/* Make red len bytes long: drop or zero what lies past it (holes stay
 * holes).  It never adds to the cost; it may copy shared maps on the way. */
int ramfs_resize(struct content *r, uint64_t len, struct rwctx *w);

/* ramfs_meta.c: the optional operations, called with the lock held */
int ramfs_do_wstat(struct chan *c, const struct lux_wstat *w);
int ramfs_do_rename(struct chan *c, struct chan *newdir, const char *name);
int ramfs_do_symlink(struct chan *c, const char *name, const char *target);
long ramfs_do_readlink(struct chan *c, char *buf, size_t n);
int ramfs_do_mknod(struct chan *c, const char *name, uint32_t mode, uint32_t major,
                   uint32_t minor);

#endif
