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
 * its 16-byte descriptor, each map its 1 KiB, the entry (its first name
 * and its inode, 256 bytes each, and the version riding along) 512.  A
 * further name (a hard link) costs its own allocation, RAMFS_LINK_COST,
 * to whoever made it: the file's data is charged to its owner once, never
 * per name, and nobody can spend another user's quota by linking to a
 * file of theirs. */
#define RAMFS_BLOCK_COST (4096u + 16u)
#define RAMFS_NODE_COST 1024u
#define RAMFS_ENTRY_COST 512u
#define RAMFS_LINK_COST 256u

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

/*
 * A file is two objects: its inode (what it is: kind, owner, mode, times,
 * contents) and its names (struct rnode: a directory entry).  A chan
 * holds a name, never an inode, because what a chan removes or renames is
 * the name it walked to; every name of a file shares the one inode, so a
 * chmod through one name shows through all, and the data is the inode's,
 * charged once.  A directory has exactly one name (link(2) to a directory
 * is refused), so its children hang off that name.
 */
struct rinode {
	struct qid qid;		/* files: vers lives in the content */
	uint32_t mode;
	uint32_t nlink;		/* names linked into the tree (a directory: 0 or 1) */
	uint32_t subdirs;	/* directories: linked children that are directories */
	int ref;		/* names (struct rnode) pointing here, linked or not */
	char uid[LUX_UIDMAX];	/* owner: its creator (or a chown) */
	char gid[LUX_UIDMAX];	/* group: its directory's at create (Plan 9) */
	char muid[LUX_UIDMAX];	/* who last changed it */
	uint64_t mtime, atime;	/* directories; files keep theirs in content */
	uint32_t major, minor;	/* device nodes (DMDEVICE) */
	uint64_t ctime;		/* the last wstat, rename, link or unlink; a
				 * write's is its mtime */
	struct redblue content;	/* files */
	bool charged;		/* RAMFS_ENTRY_COST and the content's cost are
				 * charged to uid (ramfs_charge_entry) */
};

struct rnode {
	struct rtree *tree;
	struct rinode *ino;	/* the file this name is of (a reference) */
	char name[LUX_NAMEMAX];
	uint64_t seq;		/* order in the parent: readdir cookies (dirnext) */
	uint64_t lastseq;	/* directories: the last seq given to a child */
	struct rnode *parent;	/* 0 for the root, and once unlinked */
	struct list children;	/* directories: struct rnode.sibling */
	struct list sibling;
	int ref;		/* chans + children + 1 while linked into the tree */
	bool linked;
	char payer[LUX_UIDMAX];	/* a hard link's maker, who pays RAMFS_LINK_COST
				 * for it; "" for a first name (the inode's
				 * charge covers it) */
};

/* ramfs.c */
uint64_t ramfs_now(void);
void ramfs_qlock(void);		/* the one ramfs lock (ramfs.c says why) */
void ramfs_qunlock(void);
struct rnode *ramfs_lookup(struct rnode *dir, const char *name);
/* A new name with a new inode of its own (ref 0: the caller counts). */
struct rnode *ramfs_node_new(const char *name, uint32_t mode);
void ramfs_node_put(struct rnode *n);
/* Who the running proc acts for: a new file's owner, a link's payer. */
const char *ramfs_user(void);
/* Link n (ref 0, or already counted by the caller) into dir as its last child. */
void ramfs_link(struct rnode *dir, struct rnode *n);
/* Take n out of its directory (the tree's reference is the caller's to
 * drop).  Linking and unlinking keep the link counts (the inode's names,
 * the directory's subdirectories) and change the inode's ctime, as POSIX
 * wants of link(2), unlink(2) and rename(2). */
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
int ramfs_do_mknod(struct chan *c, const char *name, uint32_t mode, uint32_t major, uint32_t minor);
int ramfs_do_link(struct chan *c, struct chan *dir, const char *name);

#endif
