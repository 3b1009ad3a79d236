/*
 * The device operations that change or reveal a file, each behind the one
 * permission check (<lux/perm.h>).  Everything that opens, creates, walks
 * through, removes or changes a file for a proc or a 9P client comes here,
 * so a device states owner and mode in its stat and never checks itself.
 */
#include <lux/error.h>
#include <lux/ns.h>
#include <lux/perm.h>
#include <lux/string.h>
#include <lux/users.h>

static int stat_of(struct chan *c, struct lux_dir *d)
{
	kmemset(d, 0, sizeof *d);
	return c->dev->stat(c, d);
}

int chan_open(struct chan *c, int omode)
{
	struct lux_dir d;
	int err;

	if ((err = stat_of(c, &d)) < 0)
		return err;
	if ((err = perm_check(&d, perm_access(omode), "open")) < 0)
		return err;
	return c->dev->open(c, omode);
}

int chan_create(struct chan *dir, const char *name, int omode, uint32_t perm)
{
	struct lux_dir d;
	int err;

	if (dir->dev->create == 0)
		return E_PERM;
	if ((err = stat_of(dir, &d)) < 0)
		return err;
	if ((err = perm_check(&d, AWRITE | AEXEC, "create in")) < 0)
		return err;
	return dir->dev->create(dir, name, omode, perm);
}

int chan_may_walk(struct chan *c)
{
	struct lux_dir d;
	int err;

	if (curproc() == 0)
		return 0;
	if ((err = stat_of(c, &d)) < 0)
		return err;
	return perm_check(&d, AEXEC, "walk in");
}

int chan_remove(struct chan *dir, struct chan *c)
{
	struct lux_dir d;
	int err;

	if (c->dev->remove == 0)
		return E_PERM;
	if (dir) {
		if ((err = stat_of(dir, &d)) < 0)
			return err;
		if ((err = perm_check(&d, AWRITE, "remove from")) < 0)
			return err;
		if (d.mode & DMSTICKY) {
			struct lux_dir fd;
			if ((err = stat_of(c, &fd)) < 0 ||
			    (err = perm_sticky(&d, &fd, "remove")) < 0)
				return err;
		}
	}
	return c->dev->remove(c);
}

int chan_link(struct chan *c, struct chan *dir, const char *name)
{
	struct lux_dir d, f;
	int err;

	if (c->dev->link == 0)
		return E_NOTSUP;
	if (dir->dev != c->dev)
		return E_XDEV;	/* what link(2) says before permission */
	if ((err = stat_of(dir, &d)) < 0)
		return err;
	if ((err = perm_check(&d, AWRITE | AEXEC, "link in")) < 0)
		return err;
	if ((err = stat_of(c, &f)) < 0 || (err = perm_link_source(&f)) < 0)
		return err;
	return c->dev->link(c, dir, name);
}

/* wstat(5) and POSIX agree on the owner's rights: mode and times are the
 * owner's; length needs write permission; a name needs write permission
 * in the directory (and, in a sticky one, the file's or the directory's
 * ownership); the owner may give the file to a group it is in (a
 * group leader: Plan 9) and only the host owner gives it to another user.
 *
 * The host owner may also change any file's mode, group and times, as
 * POSIX's root may (CAP_FOWNER, CAP_CHOWN): she could give the file to
 * herself and then change them as its owner, so refusing it protected
 * nothing and only broke chmod and touch as root through a Linux client
 * (pjdfstest, docs/security.md).  What the mode says about reading and
 * writing binds her as everyone: no superuser for access. */
int chan_wstat(struct chan *c, struct chan *dir, const struct lux_wstat *w)
{
	struct proc *p = curproc();
	struct lux_dir d, dd;
	const char *me;
	bool owner, hostowner;
	int err;

	if (c->dev->wstat == 0)
		return E_NOTSUP;
	if ((err = stat_of(c, &d)) < 0)
		return err;
	if (p == 0)
		return c->dev->wstat(c, w);	/* boot code */
	me = p->cred.user;
	hostowner = perm_is_eve();
	owner = kstrcmp(me, d.uid[0] ? d.uid : eve) == 0;
	if (w->uid && kstrcmp(w->uid, d.uid[0] ? d.uid : eve) != 0 && !hostowner)
		return perm_deny_owner("chown", d.name);
	if (w->gid && kstrcmp(w->gid, d.gid[0] ? d.gid : eve) != 0 && !hostowner &&
	    !(owner && (user_ingroup(me, w->gid) || user_leads(me, w->gid))))
		return perm_deny_owner("chgrp", d.name);
	if (w->mode != LUX_KEEP32 && w->mode != d.mode && !owner && !hostowner)
		return perm_deny_owner("chmod", d.name);
	if ((w->mtime != LUX_KEEP64 || w->atime != LUX_KEEP64) && !owner && !hostowner) {
		if (!w->times_now)	/* utimes(2): a chosen time is the owner's */
			return perm_deny_owner("set times of", d.name);
		if ((err = perm_check(&d, AWRITE, "set times of")) < 0)
			return err;
	}
	if (w->length != LUX_KEEP64 && (err = perm_check(&d, AWRITE, "truncate")) < 0)
		return err;
	if (w->name && dir) {
		if ((err = stat_of(dir, &dd)) < 0)
			return err;
		if ((err = perm_check(&dd, AWRITE, "rename in")) < 0)
			return err;
		/* a sticky directory (/tmp): only the file's or the
		 * directory's owner renames it, as only they remove it */
		if ((dd.mode & DMSTICKY) && (err = perm_sticky(&dd, &d, "rename")) < 0)
			return err;
	}
	return c->dev->wstat(c, w);
}

int chan_remove_at(struct ns *ns, const char *path, struct chan *c)
{
	char parent[LUX_PATHMAX];
	size_t n = kstrnlen(path, LUX_PATHMAX), i;
	struct chan *dir;
	int err;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (i = n; i > 0 && path[i - 1] != '/'; i--)
		;
	if (n == i || n >= LUX_PATHMAX)
		return E_PERM;	/* the root, or nothing to name */
	if ((n - i == 1 && path[i] == '.') || (n - i == 2 && path[i] == '.' && path[i + 1] == '.'))
		return E_INVAL;
	kmemcpy(parent, path, i);
	parent[i] = 0;
	if (i == 0)
		kstrlcpy(parent, "/", sizeof parent);
	if ((err = namec(ns, parent, NAMEC_WALK, 0, 0, &dir)) < 0)
		return err;
	err = chan_remove(dir, c);
	chan_put(dir);
	return err;
}
