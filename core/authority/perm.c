/*
 * The permission check (<lux/perm.h>): Plan 9's devpermcheck with POSIX
 * groups.  Owner bits if the proc's user owns the file, else group bits if
 * it is in the file's group, else other bits.  There is no superuser for a
 * file's contents (Plan 9's rule): a mode the owner set protects a file
 * from eve's mistakes too.  The host owner's powers are administrative:
 * giving files away and changing their modes (devperm.c), speaking for
 * other users on a trusted connection, the user table, any proc, and the
 * names of the tree: she lists, searches, creates in and removes from any
 * directory, as POSIX's root does (pjdfstest, through Linux's v9fs, has
 * root make and clean up files in directories it gave to other users).
 * none is an ordinary user whom nothing is given: it gets the other bits.
 */
#include <lux/audit.h>
#include <lux/error.h>
#include <lux/perm.h>
#include <lux/string.h>
#include <lux/users.h>

int perm_access(int omode)
{
	static const int need[4] = { AREAD, AWRITE, AREAD | AWRITE, AEXEC };
	int a = need[omode & OMODE];

	if (omode & OTRUNC)
		a |= AWRITE;
	return a;
}

static const char *orv(const char *s)
{
	return s && *s ? s : eve;
}

bool perm_allows(const struct cred *cr, const char *uid, const char *gid, uint32_t mode, int access)
{
	uint32_t bits;

	if ((mode & DMDIR) && kstrcmp(cr->user, eve) == 0)
		return true;	/* the names are the administrator's */
	if (kstrcmp(cr->user, orv(uid)) == 0)
		bits = mode >> 6;
	else if (user_ingroup(cr->user, orv(gid)))
		bits = mode >> 3;
	else
		bits = mode;
	return ((uint32_t)access & ~bits & 7) == 0;
}

bool perm_is_eve(void)
{
	struct proc *p = curproc();

	return p == 0 || kstrcmp(p->cred.user, eve) == 0;
}

int perm_deny(const char *op, const char *what)
{
	struct proc *p = curproc();

	audit_log(p, op, 0, what, "refused: permission denied to %s", p ? p->cred.user : "?");
	return proc_seterr(E_PERM, "permission denied: %s %s", op, what);
}

int perm_sticky(const struct lux_dir *dir, const struct lux_dir *f, const char *op)
{
	struct proc *p = curproc();

	if (p == 0 || !(dir->mode & DMSTICKY) || kstrcmp(p->cred.user, orv(f->uid)) == 0 ||
	    kstrcmp(p->cred.user, orv(dir->uid)) == 0 || kstrcmp(p->cred.user, eve) == 0)
		return 0;
	return perm_deny(op, f->name);
}

int perm_deny_owner(const char *op, const char *what)
{
	struct proc *p = curproc();

	audit_log(p, op, 0, what, "refused: %s is not the owner", p ? p->cred.user : "?");
	return proc_seterr(E_NOTOWNER, "permission denied: %s %s (not the owner)", op, what);
}

int perm_link_source(const struct lux_dir *f)
{
	struct proc *p = curproc();
	bool regular = !(f->mode & (DMDIR | DMSYMLINK | DMSPECIAL));
	bool setid = (f->mode & DMSETUID) || ((f->mode & DMSETGID) && (f->mode & 0010));

	if (p == 0 || kstrcmp(p->cred.user, eve) == 0 || kstrcmp(p->cred.user, orv(f->uid)) == 0)
		return 0;
	if (regular && !setid && perm_allows(&p->cred, f->uid, f->gid, f->mode, AREAD | AWRITE))
		return 0;
	return perm_deny_owner("link", f->name);
}

int perm_check(const struct lux_dir *d, int access, const char *op)
{
	struct proc *p = curproc();

	if (p == 0 || perm_allows(&p->cred, d->uid, d->gid, d->mode, access))
		return 0;
	return perm_deny(op, d->name[0] ? d->name : "/");
}
