/*
 * Namespaces: a root and a mount table, shared by the procs that hold a
 * reference.  Path names are resolved Plan 9 style: element by element
 * from the root; after each step a mount that covers the file replaces it
 * by the mounted root; ".." goes back along the walked path, so it leaves
 * a mounted tree to the directory the mount covers, and stays at "/".
 *
 * A mount covers one file (`from`) with a list of members: one for a
 * replacing bind or mount, several for a union directory made with
 * before (-b) and after (-a).  A walk from a union looks through the
 * members in order and takes the first that has the name; a directory
 * read merges them, a name seen in an earlier member hiding later ones;
 * a create goes to the first member bound with create (-c).  docs/
 * namespaces.md has the whole story, the command language and the bounds.
 *
 * Mount heads are copied on write: a bind or unmount builds a new head
 * and swaps it into the table under the namespace's lock, so a walk that
 * holds the old head (a reference) keeps a consistent view of it.
 */
#ifndef LUX_NS_H
#define LUX_NS_H

#include <lux/dev.h>
#include <lux/lock.h>

#define NS_MAXMOUNT 32		/* files covered by mounts, per namespace */
#define NS_MAXUNION 8		/* members of one mount (a union directory) */
#define NS_PATHMAX 128		/* where a mount is, as given (for /proc/N/ns) */
#define NS_SRCMAX 128		/* what was bound or mounted, as given */

/* Mount flags (Plan 9's values). */
enum {
	MREPL = 0,		/* replace what is there */
	MBEFORE = 1,		/* union: in front of the members */
	MAFTER = 2,		/* union: behind them */
	MORDER = 3,
	MCREATE = 4,		/* creates in the union may go here */
	MFLAGS = 7,
};

struct mmember {
	struct chan *to;	/* the root of what was bound or mounted */
	uint8_t flags;		/* MCREATE */
	bool covered;		/* the covered directory itself, kept by -a/-b */
	bool mounted;		/* by mount (a device or a 9P address), not bind */
	char src[NS_SRCMAX];	/* "/a", "#cons", "unix!/tmp/s" */
	char aname[NS_SRCMAX];	/* mount's tree name, "" for none */
	char key[32];		/* mount -k: the key it authenticates with, or "" */
};

struct mhead {
	int ref;		/* the table's, and each walk or chan holding it */
	struct chan *from;	/* the file covered */
	char path[NS_PATHMAX];	/* where, as given */
	size_t n;		/* members, 1..NS_MAXUNION */
	struct mmember m[NS_MAXUNION];
};

struct ns {
	struct chan *root;
	struct qlock lock;	/* the table: taken briefly, never across a walk */
	struct mhead *mounts[NS_MAXMOUNT];
	size_t nmount;
	int ref;
};

struct ns *ns_new(struct chan *root);	/* takes the reference to root */
/* Drop a reference; the last one drops its mounts and its root. */
void ns_put(struct ns *ns);
/* A namespace of its own with the same mounts as from (rfork(RFNAMEG)):
 * heads are shared and copied on write, so this is one table; 0 when
 * out of memory. */
struct ns *ns_copy(struct ns *from);

/* Mount `to` over the file at path (replace, creates allowed): what the
 * boot code uses for devices; shown as "mount #dev path". */
int ns_mount(struct ns *ns, const char *path, struct chan *to);

/* What a bind or mount puts in the table. */
struct ns_src {
	const char *src;	/* as the person wrote it */
	const char *aname;	/* mount: the tree asked for, or 0 */
	const char *key;	/* mount -k: the mounting user's key, or 0 */
	bool mounted;
};

/* Bind `to` over the file at path with flags (MREPL, MBEFORE or MAFTER,
 * | MCREATE).  Unions need directories on both sides; a replace needs
 * both of the same kind. */
int ns_bind(struct ns *ns, struct chan *to, const char *path, int flags, const struct ns_src *src);
/* Undo mounts on path: all of them (old == 0), or the member that is the
 * file old names.  E_NOENT when there is no such mount. */
int ns_unmount(struct ns *ns, const char *old, const char *path);

/* The mount covering c, referenced, or 0. */
struct mhead *ns_find(struct ns *ns, const struct chan *c);
void mhead_get(struct mhead *m);
void mhead_put(struct mhead *m);

/* The namespace as lines the ctl file accepts ("bind #ramfs /",
 * "mount #cons /dev", "bind -b /a /b"); replaying them in order rebuilds
 * the table.  Returns the length the whole text has (like snprintf). */
size_t ns_format(struct ns *ns, char *buf, size_t size);

/* Run one namespace command, argv[0] being bind, mount or unmount (the
 * shell's built-ins and the ctl file /proc/N/ns; core/ns/nsctl.c).  On
 * error why holds the sentence to print. */
int ns_command(struct ns *ns, int argc, char **argv, char *why, size_t whylen);
/* Each line of text (bounded, '\n'-separated) as a command: the writes of
 * /proc/N/ns.  Stops at the first failing line. */
int ns_ctl(struct ns *ns, const char *text, size_t len, char *why, size_t whylen);

/* What namec should do with the last element. */
enum { NAMEC_WALK, NAMEC_OPEN, NAMEC_CREATE };

/* Resolve path in ns.  WALK returns the file unopened; OPEN opens it in
 * omode; CREATE creates it with perm (or opens and truncates it when it
 * exists, truncating with OTRUNC, or failing with E_EXIST under OEXCL).  *out holds a new reference. */
int namec(struct ns *ns, const char *path, int what, int omode, uint32_t perm, struct chan **out);

/* One step of namec: walk from the directory from (which the caller
 * keeps) to its entry elem (a name, not "." or ".."), with the search
 * permission check, and across a mount on what it finds.  *out holds a
 * new reference.  For walks that go on from a chan they already hold (a
 * 9P fid's), so a step costs one step, not a walk from the root. */
int namec_walk1(struct ns *ns, struct chan *from, const char *elem, struct chan **out);

/* The directory a create in c goes to: c itself, or for a union the
 * first member bound with MCREATE (E_NOCREATE if none).  A new
 * reference, not open (core/ns/union.c). */
int union_create_dir(struct chan *c, struct chan **out);
/* Walk a fresh clone of c (a union: of each member in turn) to name. */
int union_walk(struct chan *c, const char *name, struct chan **out);

/* Whether a and b name the same file: same device, instance and qid path. */
bool chan_same_file(const struct chan *a, const struct chan *b);

#endif
