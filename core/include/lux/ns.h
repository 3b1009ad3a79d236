/*
 * Namespaces: a root and a mount table, shared by the procs that hold a
 * reference.  Path names are resolved Plan 9 style: element by element
 * from the root; after each step a mount that covers the file replaces it
 * by the mounted root; ".." goes back along the walked path, so it leaves
 * a mounted tree to the directory the mount covers, and stays at "/".
 */
#ifndef LUX_NS_H
#define LUX_NS_H

#include <lux/dev.h>

#define NS_MAXMOUNT 32

#define NS_PATHMAX 128

struct mount {
	struct chan *from;	/* the file covered */
	struct chan *to;	/* the root that covers it */
	char path[NS_PATHMAX];	/* where, as given to ns_mount (for /proc/N/ns) */
};

struct ns {
	struct chan *root;
	struct mount mounts[NS_MAXMOUNT];
	size_t nmount;
	int ref;
};

struct ns *ns_new(struct chan *root);	/* takes the reference to root */
void ns_put(struct ns *ns);
/* Mount `to` over the file at path (replace semantics). */
int ns_mount(struct ns *ns, const char *path, struct chan *to);
/* The namespace as lines a person can read ("bind #ramfs /", "mount
 * #cons /dev"); returns the length the whole text has (like snprintf). */
size_t ns_format(const struct ns *ns, char *buf, size_t size);

/* What namec should do with the last element. */
enum { NAMEC_WALK, NAMEC_OPEN, NAMEC_CREATE };

/* Resolve path in ns.  WALK returns the file unopened; OPEN opens it in
 * omode; CREATE creates it with perm (or opens and truncates it when it
 * exists, truncating with OTRUNC, or failing with E_EXIST under OEXCL).  *out holds a new reference. */
int namec(struct ns *ns, const char *path, int what, int omode, uint32_t perm,
          struct chan **out);

#endif
