/*
 * Namespaces and path resolution (see <lux/ns.h>).
 *
 * namec keeps the chans it walked through on a stack: ".." pops it, which
 * gives the Plan 9 answer for mounts (back to the covered directory) and
 * for the root (stays put) without any device knowing about either.
 * The mount table itself is core/fs/mount.c; unions core/fs/union.c.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/fmt.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/perm.h>
#include <lux/string.h>

#define MAXDEPTH 64

/* If a mount covers c, return a clone of its first member instead (c is
 * put); the clone keeps a reference to the mount, so walks from it and
 * reads of it see every member of a union. */
static int cross_mount(struct ns *ns, struct chan **c)
{
	struct mhead *m = ns_find(ns, *c);
	struct chan *to;

	if (m == 0)
		return 0;
	if ((to = chan_clone(m->m[0].to)) == 0) {
		mhead_put(m);
		return E_NOMEM;
	}
	to->umh = m;
	chan_put(*c);
	*c = to;
	return 0;
}

/* Split off the next element of *p into elem; 0 at the end. */
static int next_elem(const char **p, char elem[LUX_NAMEMAX])
{
	const char *s = *p, *e;

	while (*s == '/')
		s++;
	if (*s == 0)
		return 0;
	for (e = s; *e && *e != '/'; e++)
		;
	if ((size_t)(e - s) >= LUX_NAMEMAX)
		return E_NAMETOOLONG;
	kmemcpy(elem, s, (size_t)(e - s));
	elem[e - s] = 0;
	*p = e;
	return 1;
}

static bool is_last(const char *p)
{
	while (*p == '/')
		p++;
	return *p == 0;
}

struct walkstack {
	struct chan *c[MAXDEPTH];
	int n;
};

static void stack_clear(struct walkstack *st)
{
	while (st->n > 0)
		chan_put(st->c[--st->n]);
}

/* One step of a walk from the top of the stack. */
static int walk_step(struct ns *ns, struct walkstack *st, const char *elem)
{
	struct chan *c;
	int err;

	if (kstrcmp(elem, ".") == 0)
		return 0;
	if (kstrcmp(elem, "..") == 0) {
		if (st->n > 1)
			chan_put(st->c[--st->n]);
		return 0;
	}
	if (st->n == MAXDEPTH)
		return E_BADPATH;
	if ((st->c[st->n - 1]->qid.type & QTDIR) == 0)
		return E_NOTDIR;
	if ((err = chan_may_walk(st->c[st->n - 1])) < 0)
		return err;
	if ((err = union_walk(st->c[st->n - 1], elem, &c)) < 0)
		return err;
	if ((err = cross_mount(ns, &c)) < 0) {
		chan_put(c);
		return err;
	}
	st->c[st->n++] = c;
	return 0;
}

static int create_last(struct chan *dir, const char *elem, int omode, uint32_t perm,
                       struct chan **out)
{
	struct chan *c;
	int err;

	if ((err = union_create_dir(dir, &c)) < 0)
		return err;
	err = chan_create(c, elem, omode, perm);
	if (err < 0) {
		chan_put(c);
		return err;
	}
	c->mode = omode & OMODE;
	*out = c;
	return 0;
}

int namec(struct ns *ns, const char *path, int what, int omode, uint32_t perm,
          struct chan **out)
{
	struct walkstack st = { .n = 0 };
	char elem[LUX_NAMEMAX];
	const char *p = path;
	struct chan *c;
	int r, err = 0;

	if (path[0] != '/')
		return E_BADPATH;
	if (kstrnlen(path, LUX_PATHMAX) == LUX_PATHMAX)
		return E_NAMETOOLONG;
	st.c[st.n++] = chan_clone(ns->root);
	if (st.c[0] == 0)
		return E_NOMEM;
	if ((err = cross_mount(ns, &st.c[0])) < 0)
		goto out;
	while ((r = next_elem(&p, elem)) > 0) {
		if (what == NAMEC_CREATE && is_last(p) && kstrcmp(elem, ".") && kstrcmp(elem, "..")) {
			err = walk_step(ns, &st, elem);
			if (err == E_NOENT) {
				err = create_last(st.c[st.n - 1], elem, omode, perm, out);
				goto out;
			}
			if (err < 0)
				goto out;
			if (omode & OEXCL) {
				err = E_EXIST;
				goto out;
			}
			break;	/* exists: open it below */
		}
		if ((err = walk_step(ns, &st, elem)) < 0)
			goto out;
	}
	if (r < 0) {
		err = r;
		goto out;
	}
	c = st.c[--st.n];
	if (what != NAMEC_WALK) {
		err = chan_open(c, omode);
		if (err < 0) {
			chan_put(c);
			goto out;
		}
		c->mode = omode & OMODE;
	}
	*out = c;
out:
	stack_clear(&st);
	return err;
}
