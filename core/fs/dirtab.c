/*
 * Devices whose tree is one directory of fixed files (Plan 9's Dirtab and
 * devgen): entry 0 of the table is the directory itself, and a file's
 * qid.path is its index.  #cons and the 9P server's /9p are such devices;
 * these are their walk, stat, open check and directory read, written once.
 */
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/string.h>
#include <lux/users.h>

int dirtab_attach(struct chan *c)
{
	c->qid.path = 0;
	c->qid.type = QTDIR;
	return 0;
}

int dirtab_walk(const struct dirtab *t, size_t n, struct chan *c, const char *name)
{
	if (c->qid.path != 0)
		return E_NOTDIR;
	for (size_t i = 1; i < n; i++) {
		if (kstrcmp(t[i].name, name) == 0) {
			c->qid.path = i;
			c->qid.type = QTFILE;
			return 0;
		}
	}
	return E_NOENT;
}

static void fill(const struct dirtab *t, size_t i, struct lux_dir *d)
{
	kmemset(d, 0, sizeof *d);
	d->qid.path = i;
	d->qid.type = i == 0 ? QTDIR : QTFILE;
	d->mode = t[i].perm;
	kstrlcpy(d->name, t[i].name, sizeof d->name);
	kstrlcpy(d->uid, eve, sizeof d->uid);	/* devices are the host owner's */
	kstrlcpy(d->gid, eve, sizeof d->gid);
	kstrlcpy(d->muid, eve, sizeof d->muid);
}

int dirtab_stat(const struct dirtab *t, struct chan *c, struct lux_dir *d)
{
	fill(t, (size_t)c->qid.path, d);
	return 0;
}

int dirtab_open(const struct dirtab *t, struct chan *c, int mode)
{
	uint32_t perm = t[c->qid.path].perm;
	int m = mode & OMODE;

	if ((m == OREAD || m == ORDWR) && !(perm & 0444))
		return E_PERM;
	if ((m == OWRITE || m == ORDWR) && !(perm & 0222))
		return E_PERM;
	return 0;
}

int dirtab_dirent(const struct dirtab *t, size_t n, struct chan *c, size_t i, struct lux_dir *d)
{
	if (c->qid.path != 0)
		return E_NOTDIR;
	if (i + 1 >= n)
		return 0;
	fill(t, i + 1, d);
	return 1;
}
