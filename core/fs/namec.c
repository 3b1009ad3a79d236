/*
 * Namespaces and path resolution (see <lux/ns.h>).
 *
 * namec keeps the chans it walked through on a stack: ".." pops it, which
 * gives the Plan 9 answer for mounts (back to the covered directory) and
 * for the root (stays put) without any device knowing about either.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/fmt.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/string.h>

#define MAXDEPTH 64

struct ns *ns_new(struct chan *root)
{
	struct ns *ns = kzalloc(sizeof *ns);

	if (ns) {
		ns->root = root;
		ns->ref = 1;
	}
	return ns;
}

void ns_put(struct ns *ns)
{
	if (ns == 0 || __atomic_sub_fetch(&ns->ref, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < ns->nmount; i++) {
		chan_put(ns->mounts[i].from);
		chan_put(ns->mounts[i].to);
	}
	chan_put(ns->root);
	kfree(ns);
}

static bool same_file(const struct chan *a, const struct chan *b)
{
	return a->dev == b->dev && a->qid.path == b->qid.path && a->aux == b->aux;
}

/* If a mount covers c, return a clone of its root instead (c is put). */
static int cross_mount(struct ns *ns, struct chan **c)
{
	for (size_t i = ns->nmount; i-- > 0;) {
		if (same_file(ns->mounts[i].from, *c)) {
			struct chan *to = chan_clone(ns->mounts[i].to);
			if (to == 0)
				return E_NOMEM;
			chan_put(*c);
			*c = to;
			return 0;
		}
	}
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
	c = chan_clone(st->c[st->n - 1]);
	if (c == 0)
		return E_NOMEM;
	err = c->dev->walk(c, elem);
	if (err == 0)
		err = cross_mount(ns, &c);
	if (err < 0) {
		chan_put(c);
		return err;
	}
	st->c[st->n++] = c;
	return 0;
}

static int create_last(struct chan *dir, const char *elem, int omode, uint32_t perm,
                       struct chan **out)
{
	struct chan *c = chan_clone(dir);
	int err;

	if (c == 0)
		return E_NOMEM;
	if (c->dev->create == 0)
		err = E_PERM;
	else
		err = c->dev->create(c, elem, omode, perm);
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
		err = c->dev->open(c, omode);
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

int ns_mount(struct ns *ns, const char *path, struct chan *to)
{
	struct chan *from;
	int err;

	if (ns->nmount == NS_MAXMOUNT)
		return E_NOSPC;
	if (kstrnlen(path, NS_PATHMAX) == NS_PATHMAX)
		return E_NAMETOOLONG;
	err = namec(ns, path, NAMEC_WALK, 0, 0, &from);
	if (err < 0)
		return err;
	if ((from->qid.type & QTDIR) != (to->qid.type & QTDIR)) {
		chan_put(from);
		return E_NOTDIR;
	}
	__atomic_add_fetch(&to->ref, 1, __ATOMIC_ACQ_REL);
	/* fill the slot, then publish it: namec reads the table unlocked */
	ns->mounts[ns->nmount].from = from;
	ns->mounts[ns->nmount].to = to;
	kstrlcpy(ns->mounts[ns->nmount].path, path, NS_PATHMAX);
	__atomic_store_n(&ns->nmount, ns->nmount + 1, __ATOMIC_RELEASE);
	return 0;
}

size_t ns_format(const struct ns *ns, char *buf, size_t size)
{
	size_t n = (size_t)ksnprintf(buf, size, "bind #%s /\n", ns->root->dev->name);
	size_t count = __atomic_load_n(&ns->nmount, __ATOMIC_ACQUIRE);

	for (size_t i = 0; i < count; i++)
		n += (size_t)ksnprintf(n < size ? buf + n : 0, n < size ? size - n : 0,
		                       "mount #%s %s\n", ns->mounts[i].to->dev->name,
		                       ns->mounts[i].path);
	return n;
}
