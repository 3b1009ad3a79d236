/*
 * Union directories (see <lux/ns.h>): a chan whose umh names a mount with
 * several members walks, reads and creates through them in order.
 *
 * Directory reads go by cookie, not index, so they survive entries coming
 * and going: a device with dirnext gives stable cookies (ramfs: the
 * entry's sequence number in its directory); one without gets index + 1.
 * A union's cookie is the member's index in the top 8 bits and the
 * member's own cookie below.  An entry is shown only if no earlier member
 * has its name (looked up by a walk), so the first member wins, as a walk
 * would find it.
 */
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/string.h>

#define MEMBER_SHIFT 56
#define MEMBER_MASK ((1ull << MEMBER_SHIFT) - 1)

static int walk_one(struct chan *dir, const char *name, struct chan **out)
{
	struct chan *c = chan_clone(dir);
	int err;

	if (c == 0)
		return E_NOMEM;
	if ((err = c->dev->walk(c, name)) < 0) {
		chan_put(c);
		return err;
	}
	*out = c;
	return 0;
}

int union_walk(struct chan *c, const char *name, struct chan **out)
{
	struct mhead *m = c->umh;
	int err, first = E_NOENT;

	if (m == 0 || m->n == 1)
		return walk_one(c, name, out);
	for (size_t k = 0; k < m->n; k++) {
		if ((err = walk_one(m->m[k].to, name, out)) == 0)
			return 0;
		if (first == E_NOENT)	/* a member that is not there: the next may be */
			first = err;
	}
	return first;
}

int union_create_dir(struct chan *c, struct chan **out)
{
	struct mhead *m = c->umh;

	if (m && m->n > 1) {
		for (size_t k = 0; k < m->n; k++) {
			if (m->m[k].flags & MCREATE) {
				if ((*out = chan_clone(m->m[k].to)) == 0)
					return E_NOMEM;
				return 0;
			}
		}
		return E_NOCREATE;
	}
	if (m && !(m->m[0].flags & MCREATE))
		return E_NOCREATE;
	if ((*out = chan_clone(c)) == 0)
		return E_NOMEM;
	return 0;
}

static int dev_dirnext(struct chan *c, uint64_t *cookie, struct lux_dir *d)
{
	int r;

	kmemset(d, 0, sizeof *d);
	if (c->dev->dirnext)
		return c->dev->dirnext(c, cookie, d);
	if (c->dev->dirent == 0)
		return E_NOTDIR;
	if (*cookie > MEMBER_MASK)
		return 0;
	if ((r = c->dev->dirent(c, (size_t)*cookie, d)) == 1)
		(*cookie)++;
	return r;
}

/* Member k of c's union, open for reading: the cached one if it is that
 * member, else a new clone.  Taken out of the cache while in use, so two
 * procs reading one chan never share it. */
static int member_open(struct chan *c, size_t k, struct chan **out)
{
	struct chan *to = c->umh->m[k].to;
	struct chan *mc = __atomic_exchange_n(&c->ucur, 0, __ATOMIC_ACQ_REL);
	int err;

	if (mc && chan_same_file(mc, to)) {
		*out = mc;
		return 0;
	}
	chan_put(mc);
	if ((mc = chan_clone(to)) == 0)
		return E_NOMEM;
	if ((err = mc->dev->open(mc, OREAD)) < 0) {
		chan_put(mc);
		return err;
	}
	mc->mode = OREAD;
	*out = mc;
	return 0;
}

static void member_done(struct chan *c, struct chan *mc)
{
	chan_put(__atomic_exchange_n(&c->ucur, mc, __ATOMIC_ACQ_REL));
}

/* Does a member before k have name? */
static bool hidden(struct mhead *m, size_t k, const char *name)
{
	struct chan *x;

	for (size_t j = 0; j < k; j++) {
		if (walk_one(m->m[j].to, name, &x) == 0) {
			chan_put(x);
			return true;
		}
	}
	return false;
}

int chan_dirnext(struct chan *c, uint64_t *cookie, struct lux_dir *d)
{
	struct mhead *m = c->umh;
	size_t k = (size_t)(*cookie >> MEMBER_SHIFT);
	uint64_t sub = *cookie & MEMBER_MASK;
	struct chan *mc;
	int r;

	if (m == 0 || m->n == 1)
		return dev_dirnext(c, cookie, d);
	for (; k < m->n; k++, sub = 0) {
		if ((r = member_open(c, k, &mc)) < 0)
			return r;
		while ((r = dev_dirnext(mc, &sub, d)) == 1 && hidden(m, k, d->name))
			;
		member_done(c, mc);
		if (r < 0)
			return r;
		if (r == 1) {
			if (sub > MEMBER_MASK)
				return E_INVAL;	/* a device cookie too wide to share */
			*cookie = (uint64_t)k << MEMBER_SHIFT | sub;
			return 1;
		}
	}
	*cookie = (uint64_t)m->n << MEMBER_SHIFT;
	return 0;
}
