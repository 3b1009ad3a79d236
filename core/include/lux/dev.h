/*
 * Devices and channels, after Plan 9's Dev and Chan.
 *
 * Every device is a file server: one table of operations (struct dev),
 * one file implementing it.  A chan is a reference to one file of one
 * device instance: the device's qid names the file, aux is the device's
 * own state.  Walks happen on a fresh clone, so a failed walk never
 * disturbs the chan it started from.  Directory reads go through dirent()
 * by index: the shell lists entries with it, and the 9P server packs the
 * same entries into stat or dirent records for its dialect.
 */
#ifndef LUX_DEV_H
#define LUX_DEV_H

#include <lux/types.h>

#define LUX_NAMEMAX 128		/* longest path element, bytes */
#define LUX_UIDMAX 28		/* a user name, NUL included (USER_NAMEMAX) */
#define LUX_PATHMAX 1024	/* longest path, bytes */

/* qid.type bits (9P's) */
#define QTDIR 0x80
#define QTFILE 0x00
#define QTSYMLINK 0x02		/* 9P2000.u/.L: a symbolic link */

/* dir.mode bits */
#define DMDIR 0x80000000u
#define DMSYMLINK 0x02000000u	/* 9P2000.u's bit: a symbolic link */
/* Special files (9P2000.u's bits, Linux's mknod(2)): nodes whose meaning is
 * the client's (its kernel makes a fifo, socket or device of them); the
 * server keeps the kind, the mode and a device's numbers, and opens them
 * for reading nothing.  DMBLOCK (not .u's) tells a block device from a
 * character one. */
#define DMDEVICE 0x00800000u
#define DMBLOCK 0x00400000u	/* with DMDEVICE */
#define DMNAMEDPIPE 0x00200000u
#define DMSOCKET 0x00100000u
#define DMSPECIAL (DMDEVICE | DMBLOCK | DMNAMEDPIPE | DMSOCKET)
#define DMSETUID 0x00080000u	/* set-user-id, set-group-id (9P2000.u's bits): */
#define DMSETGID 0x00040000u	/* kept for the client, whose kernel honours them */
#define DMSTICKY \
	01000u /* POSIX's sticky bit: in a directory, a file
				 * is removed or renamed by its owner or the
				 * directory's only; kept but meaningless on
				 * other files, as on Linux */
#define DMCHMOD (0777u | DMSTICKY | DMSETUID | DMSETGID)	/* what chmod changes */

/* open modes (9P's values) */
enum {
	OREAD = 0,
	OWRITE = 1,
	ORDWR = 2,
	OEXEC = 3,
	OMODE = 3,	/* mask for the four above */
	OTRUNC = 0x10,
	OEXCL = 0x1000,	/* create only: fail with E_EXIST if it exists */
};

struct qid {
	uint64_t path;		/* unique within the device instance */
	uint32_t vers;		/* bumped on every change */
	uint8_t type;		/* QT* */
};

struct lux_dir {
	struct qid qid;
	uint32_t mode;		/* permission bits | DMDIR */
	uint64_t mtime;		/* seconds since the epoch */
	uint64_t length;
	char name[LUX_NAMEMAX];
	uint64_t atime;		/* seconds; devices without one leave it 0 */
	/* Owner, group, last modifier: names in the user table.  A device
	 * that keeps none leaves them "" and the file is eve's (<lux/perm.h>). */
	char uid[LUX_UIDMAX], gid[LUX_UIDMAX], muid[LUX_UIDMAX];
	uint32_t major, minor;	/* a device node's numbers (DMDEVICE), else 0 */
	uint64_t ctime;		/* seconds: the last change of data or attributes;
				 * 0 for devices that keep none (read as mtime) */
	uint32_t nlink;		/* POSIX's link count, when nlink_kept: a file's
				 * names, a directory's 2 + its subdirectories,
				 * 0 once removed (still open) */
	bool nlink_kept;	/* false: the device keeps none, and 9P2000.L
				 * says 1 (2 for a directory) */
};

/* A change of several attributes at once (Plan 9's wstat): every field
 * holds a new value or says "leave it" (LUX_KEEP32/64, name 0).  A device
 * applies all of them or none (docs/redblue.md). */
#define LUX_KEEP32 0xffffffffu
#define LUX_KEEP64 0xffffffffffffffffull

struct lux_wstat {
	const char *name;	/* new name in the same directory, or 0 */
	uint32_t mode;		/* the whole new mode: permission bits change, DMDIR,
				 * DMSYMLINK and DMSPECIAL must stay what they are */
	uint64_t length;	/* truncate or extend (zeros) to this length */
	uint64_t mtime, atime;	/* seconds since the epoch */
	const char *uid, *gid;	/* a new owner or group (chown), or 0 */
	bool times_now;		/* the times are "now" (utimes(NULL)): whoever may
				 * write may set them; a chosen time is the owner's */
};

struct mhead;

struct dev;

struct chan {
	const struct dev *dev;
	struct qid qid;
	int mode;		/* open mode, or -1 while not open */
	uint64_t offset;	/* for sequential reads and writes */
	void *aux;		/* the device's per-file state */
	int ref;
	/* Namespace state, not the device's (core/ns/mount.c, union.c): */
	struct mhead *umh;	/* the mount whose root this is (a reference), or 0;
				 * a union directory walks and reads all its members */
	struct chan *ucur;	/* union reads: the member open for reading */
	uint64_t dircookie;	/* sys_dirent's cursor: the cookie after ... */
	size_t diridx;		/* ... entry diridx - 1 */
};

struct dev {
	const char *name;
	/* Fill c with the root of a new attach. */
	int (*attach)(struct chan *c, const char *spec);
	/* Make `to` (a copy of from's fields) hold its own reference to aux. */
	void (*clone)(struct chan *from, struct chan *to);
	/* Move c to the child `name` of the directory c ("." and ".." are the
	 * namespace's business and never reach a device). */
	int (*walk)(struct chan *c, const char *name);
	int (*stat)(struct chan *c, struct lux_dir *d);
	int (*open)(struct chan *c, int mode);
	/* Create `name` in directory c; c becomes the new file, open in mode. */
	int (*create)(struct chan *c, const char *name, int mode, uint32_t perm);
	long (*read)(struct chan *c, void *buf, size_t n, uint64_t off);
	long (*write)(struct chan *c, const void *buf, size_t n, uint64_t off);
	/* Entry i of directory c: 1 and *d filled, 0 past the end, or error. */
	int (*dirent)(struct chan *c, size_t i, struct lux_dir *d);
	/* The last reference to c is going away. */
	void (*close)(struct chan *c);
	int (*remove)(struct chan *c);

	/* Optional operations: 0 means the device does not do it, and the
	 * caller answers E_NOTSUP ("operation not supported by this device"). */

	/* Change the attributes w names, all of them or none. */
	int (*wstat)(struct chan *c, const struct lux_wstat *w);
	/* Move c into directory newdir (same device) under name, replacing a
	 * file of that name as rename(2) does. */
	int (*rename)(struct chan *c, struct chan *newdir, const char *name);
	/* Make a symbolic link name -> target in directory c; c becomes it. */
	int (*symlink)(struct chan *c, const char *name, const char *target);
	/* Make a special file name (mode: one DMSPECIAL kind | permission
	 * bits; major, minor for a device) in directory c; c becomes it. */
	int (*mknod)(struct chan *c, const char *name, uint32_t mode, uint32_t major,
	             uint32_t minor);
	/* Give the file c another name: name in directory dir (same device),
	 * link(2)'s hard link.  A directory has one name (E_DIRLINK), a
	 * taken name is E_EXIST, another device or attach E_XDEV. */
	int (*link)(struct chan *c, struct chan *dir, const char *name);
	/* The target of the link c: its length, at most n bytes copied. */
	long (*readlink)(struct chan *c, char *buf, size_t n);
	/* The entry of directory c after *cookie (0: the first): 1 with *d and
	 * *cookie set to resume after it, 0 at the end.  Cookies stay valid
	 * while entries come and go (dirent's indexes shift). */
	int (*dirnext)(struct chan *c, uint64_t *cookie, struct lux_dir *d);
};

/* The read of a file whose contents are the text [0, len): up to n bytes
 * from offset off, 0 at or past the end (Plan 9's readstr). */
long dev_readstr(uint64_t off, void *buf, size_t n, const char *text, size_t len);

/* A device whose tree is one directory of fixed files (core/fs/dirtab.c,
 * Plan 9's Dirtab): t[0] is the directory, a file's qid.path its index. */
struct dirtab {
	const char *name;
	uint32_t perm;		/* owner and group are eve's */
};
int dirtab_attach(struct chan *c);
int dirtab_walk(const struct dirtab *t, size_t n, struct chan *c, const char *name);
int dirtab_stat(const struct dirtab *t, struct chan *c, struct lux_dir *d);
/* The permission check of an open: E_PERM when perm lacks mode's access. */
int dirtab_open(const struct dirtab *t, struct chan *c, int mode);
int dirtab_dirent(const struct dirtab *t, size_t n, struct chan *c, size_t i, struct lux_dir *d);

/* Channels (core/fs/chan.c) */
struct chan *chan_new(const struct dev *dev);
struct chan *chan_clone(struct chan *c);
void chan_put(struct chan *c);
int dev_attach(const struct dev *dev, const char *spec, struct chan **out);
/* The entry after *cookie of directory c, union directories merged (a
 * name seen in an earlier member hides later ones), through dirnext or,
 * for devices without it, dirent by index (core/ns/union.c). */
int chan_dirnext(struct chan *c, uint64_t *cookie, struct lux_dir *d);
/* The device by its name ("ramfs", "cons", ...), or 0 (core/ns/nsctl.c). */
const struct dev *dev_lookup(const char *name);

/* The devices of the foundation */
extern const struct dev ramfs_dev;
/* Pages holding ramfs file data (its blocks come straight from the page
 * allocator): for the page accounting of simulations and the fuzzer. */
size_t ramfs_pages(void);
extern const struct dev cons_dev;
extern const struct dev proc_dev;
extern const struct dev crypto_dev;	/* /secure: docs/crypto.md */
extern const struct dev pipe_dev;	/* #pipe: docs/namespaces.md */

#define PIPE_QMAX (64u * 1024)	/* #pipe: bytes waiting in one direction */
#define PIPE_MAX 32		/* #pipe: pipes alive at once, machine-wide */
#define PIPE_PER_USER (PIPE_MAX / 4)	/* ... of one user's making */

#endif
