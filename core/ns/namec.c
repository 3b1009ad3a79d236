/*
 * Namespaces and path resolution (see <lux/ns.h>).
 *
 * namec keeps the chans it walked through on a stack: ".." pops it, which
 * gives the Plan 9 answer for mounts (back to the covered directory) and
 * for the root (stays put) without any device knowing about either.
 * The mount table itself is core/ns/mount.c; unions core/ns/union.c.
 *
 * The only bound on a path is LUX_PATHMAX bytes (up to 511 elements), the
 * same for every walk and create, so anything a create makes a walk
 * reaches.  The stack holds only the deepest NAMEC_KEEP chans, not one per
 * element: each may hold a server's fid through a mount, and a lookup
 * should not hold 511 of them.  When ".." pops past what is held, the
 * parent is found again by walking from the root along the path so far,
 * cleaned (each ".." cancels the name before it; at the root it cancels
 * nothing): exactly the chans the full stack would have held, walked the
 * same way.  Each such walk is at most the path's depth, and it refills
 * the window, so a path costs at most depth x (its ".."s / NAMEC_KEEP)
 * steps more: a few thousand at LUX_PATHMAX.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/fmt.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/perm.h>
#include <lux/string.h>

#define NAMEC_KEEP 16	/* chans held per lookup: the deepest ones */

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

/* The walk's stack of chans: depth levels (the root is level 1), of
 * which the deepest held are in the ring c, level l at c[(l - 1) % KEEP]. */
struct walkstack {
	struct chan *c[NAMEC_KEEP];
	int depth;
	int held;
};

static struct chan *top(struct walkstack *st)
{
	return st->c[(st->depth - 1) % NAMEC_KEEP];
}

static void push(struct walkstack *st, struct chan *c)
{
	struct chan **slot = &st->c[st->depth % NAMEC_KEEP];

	if (st->held == NAMEC_KEEP)
		chan_put(*slot);	/* the shallowest held: a ".." past here walks again */
	else
		st->held++;
	*slot = c;
	st->depth++;
}

static void stack_clear(struct walkstack *st)
{
	while (st->held > 0) {
		chan_put(top(st));
		st->held--;
		st->depth--;
	}
	st->depth = 0;
}

/* The root of ns, pushed on an empty stack. */
static int start(struct ns *ns, struct walkstack *st)
{
	struct chan *c = chan_clone(ns->root);
	int err;

	if (c == 0)
		return E_NOMEM;
	if ((err = cross_mount(ns, &c)) < 0) {
		chan_put(c);
		return err;
	}
	push(st, c);
	return 0;
}

static int walk_step(struct ns *ns, struct walkstack *st, const char *elem);

/* ".." left nothing held (depth is still right): walk from the root along
 * path[0, end) cleaned, which names the depth levels the stack lost. */
static int rewalk(struct ns *ns, struct walkstack *st, const char *path, size_t end)
{
	char *clean, elem[LUX_NAMEMAX];
	const char *p;
	size_t pos = LUX_PATHMAX - 1, i = end, j;
	int want = st->depth, skip = 0, r, err;

	kassert(st->held == 0);
	if ((clean = kmalloc(LUX_PATHMAX)) == 0)	/* end < LUX_PATHMAX: it fits */
		return E_NOMEM;
	clean[pos] = 0;
	/* from the end back: a ".." cancels the nearest name before it */
	while (i > 0) {
		for (j = i; j > 0 && path[j - 1] != '/'; j--)
			;
		if (i - j == 2 && path[j] == '.' && path[j + 1] == '.') {
			skip++;
		} else if (i - j > 0 && !(i - j == 1 && path[j] == '.')) {
			if (skip > 0) {
				skip--;
			} else {
				pos -= i - j;
				kmemcpy(clean + pos, path + j, i - j);
				clean[--pos] = '/';
			}
		}
		i = j > 0 ? j - 1 : 0;
	}
	st->depth = 0;
	err = start(ns, st);
	for (p = clean + pos; err == 0 && (r = next_elem(&p, elem)) > 0;)
		err = walk_step(ns, st, elem);
	kfree(clean);
	if (err < 0)
		return err;	/* the caller clears what is held */
	kassert(st->depth == want);
	return 0;
}

/* One step of a walk from the top of the stack (held: need_top). */
static int walk_step(struct ns *ns, struct walkstack *st, const char *elem)
{
	struct chan *c;
	int err;

	if (kstrcmp(elem, ".") == 0)
		return 0;
	if (kstrcmp(elem, "..") == 0) {
		if (st->depth > 1) {
			if (st->held > 0) {
				chan_put(top(st));
				st->held--;
			}
			st->depth--;
		}
		return 0;
	}
	if ((err = namec_walk1(ns, top(st), elem, &c)) < 0)
		return err;
	push(st, c);
	return 0;
}

int namec_walk1(struct ns *ns, struct chan *from, const char *elem, struct chan **out)
{
	struct chan *c;
	int err;

	if ((from->qid.type & QTDIR) == 0)
		return E_NOTDIR;
	if ((err = chan_may_walk(from)) < 0)
		return err;
	if ((err = union_walk(from, elem, &c)) < 0)
		return err;
	if ((err = cross_mount(ns, &c)) < 0) {
		chan_put(c);
		return err;
	}
	*out = c;
	return 0;
}

/* The top of the stack, walked again if ".." popped past what was held;
 * path[0, done) is what was walked so far. */
static int need_top(struct ns *ns, struct walkstack *st, const char *path, const char *done)
{
	return st->held > 0 ? 0 : rewalk(ns, st, path, (size_t)(done - path));
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

int namec(struct ns *ns, const char *path, int what, int omode, uint32_t perm, struct chan **out)
{
	struct walkstack st = { .depth = 0, .held = 0 };
	char elem[LUX_NAMEMAX];
	const char *p = path, *before = path;
	struct chan *c;
	bool name;
	int r, err = 0;

	if (path[0] != '/')
		return E_BADPATH;
	/* the one bound on a path, walk or create alike (see the top) */
	if (kstrnlen(path, LUX_PATHMAX) == LUX_PATHMAX)
		return E_NAMETOOLONG;
	if ((err = start(ns, &st)) < 0)
		goto out;
	while ((r = next_elem(&p, elem)) > 0) {
		name = kstrcmp(elem, ".") && kstrcmp(elem, "..");
		if (name && (err = need_top(ns, &st, path, before)) < 0)
			goto out;
		before = p;
		if (what == NAMEC_CREATE && is_last(p) && name) {
			err = walk_step(ns, &st, elem);
			if (err == E_NOENT) {
				err = create_last(top(&st), elem, omode, perm, out);
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
	if ((err = need_top(ns, &st, path, p)) < 0)
		goto out;
	c = top(&st);	/* the answer: taken off the stack, not put */
	st.held--;
	st.depth--;
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
