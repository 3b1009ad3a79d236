/*
 * Permission: one check for every device, for procs and 9P clients alike
 * (Plan 9's devpermcheck, with POSIX's owner/group/other bits).  Devices
 * report owner, group and mode in their stat; the namespace and the 9P
 * server ask here before they open, create, walk through, remove or
 * change a file, so no device can forget.  docs/security.md says who is
 * who and why the host owner passes every mode check.
 */
#ifndef LUX_PERM_H
#define LUX_PERM_H

#include <lux/dev.h>
#include <lux/proc.h>

/* What an operation needs of a file's mode (Unix's access(2) bits). */
enum { AEXEC = 1, AWRITE = 2, AREAD = 4 };

/* The access an open in omode needs (OTRUNC needs write). */
int perm_access(int omode);

/* Does cr get access to a file owned by uid and gid with mode?  An empty
 * uid or gid is eve's (devices that keep none belong to the host owner). */
bool perm_allows(const struct cred *cr, const char *uid, const char *gid, uint32_t mode,
                 int access);

/* The running proc's check of d for access: 0, or E_PERM with the
 * sentence "permission denied: OP NAME" as its error string and a
 * /dev/audit record.  Boot code (no proc) passes. */
int perm_check(const struct lux_dir *d, int access, const char *op);

/* In a sticky directory dir, only f's owner or dir's removes or renames
 * f: 0, or E_PERM as perm_check says it. */
int perm_sticky(const struct lux_dir *dir, const struct lux_dir *f, const char *op);

/* May the running proc give the file f another name (link(2))?  Linux's
 * protected_hardlinks rule, on in Debian (and so what diod does there):
 * the file's owner and the host owner may; anyone else only for a regular
 * file that is not set-id and that they may read and write.  Without it a
 * user could keep another's file, and its charge on that user's quota,
 * alive under a name of their own after its owner removed it.  0, or
 * E_NOTOWNER (EPERM, as Linux) with the sentence and an audit record. */
int perm_link_source(const struct lux_dir *f);

/* Is the running proc the host owner (or boot code)? */
bool perm_is_eve(void);

/* The same for what only a file's owner may do (chmod, chown, chosen
 * times): E_NOTOWNER, which 9P2000.L says as EPERM, as POSIX does. */
int perm_deny_owner(const char *op, const char *what);

/* Refuse op with E_PERM, the sentence and an audit record (for checks
 * that are not about a file's mode: keys, procs, dialing). */
int perm_deny(const char *op, const char *what);

/* Checked versions of the device operations (core/authority/devperm.c): the
 * check, then the device's op. */
int chan_open(struct chan *c, int omode);
/* Create name in directory dir (write and search permission on dir). */
int chan_create(struct chan *dir, const char *name, int omode, uint32_t perm);
/* Search permission to walk out of directory c. */
int chan_may_walk(struct chan *c);
/* Remove c, whose directory is dir (write permission on dir). */
int chan_remove(struct chan *dir, struct chan *c);
/* Remove the file c that path names in ns: write permission on the
 * directory path leads to. */
struct ns;
int chan_remove_at(struct ns *ns, const char *path, struct chan *c);
/* Give the file c the name name in directory dir (link(2)): the same
 * device (E_XDEV first, as rename), write and search on dir as for
 * create, and perm_link_source of c. */
int chan_link(struct chan *c, struct chan *dir, const char *name);
/* Change attributes (the rules of wstat(5) and chmod/chown/utimes). */
int chan_wstat(struct chan *c, struct chan *dir, const struct lux_wstat *w);

#endif
