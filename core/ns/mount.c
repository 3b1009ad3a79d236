/*
 * The mount table of a namespace (see <lux/ns.h>): binds, mounts, union
 * directories and unmounts, at run time.
 *
 * References: the table holds one reference to each mount head; a head
 * holds one to its covered file and one to each member's root.  A walk
 * that crosses a mount takes a reference to the head (ns_find) and keeps
 * it in the chan it makes (chan.umh), so an unmount meanwhile frees
 * nothing that walk still uses.  Heads are never changed once in the
 * table: a change builds a new head (copy on write) and swaps it in.  A
 * head taken out is put after the table's lock is released: the last put
 * of a 9P mount's chan sends a Tclunk, and the server answering it may be
 * this kernel's own, walking this namespace.
 */
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/string.h>

struct ns *ns_new(struct chan *root)
{
	struct ns *ns = kzalloc(sizeof *ns);

	if (ns) {
		ns->root = root;
		ns->ref = 1;
		qlock_init(&ns->lock, "ns");
	}
	return ns;
}

struct ns *ns_copy(struct ns *from)
{
	struct chan *root = chan_clone(from->root);
	struct ns *ns;

	if (root == 0)
		return 0;
	if ((ns = ns_new(root)) == 0) {
		chan_put(root);
		return 0;
	}
	qlock(&from->lock);
	for (size_t i = 0; i < from->nmount; i++) {
		mhead_get(from->mounts[i]);
		ns->mounts[i] = from->mounts[i];
	}
	ns->nmount = from->nmount;
	qunlock(&from->lock);
	return ns;
}

void mhead_get(struct mhead *m)
{
	__atomic_add_fetch(&m->ref, 1, __ATOMIC_ACQ_REL);
}

void mhead_put(struct mhead *m)
{
	if (m == 0 || __atomic_sub_fetch(&m->ref, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < m->n; i++)
		chan_put(m->m[i].to);
	chan_put(m->from);
	kfree(m);
}

void ns_put(struct ns *ns)
{
	if (ns == 0 || __atomic_sub_fetch(&ns->ref, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < ns->nmount; i++)
		mhead_put(ns->mounts[i]);
	chan_put(ns->root);
	kfree(ns);
}

bool chan_same_file(const struct chan *a, const struct chan *b)
{
	return a->dev == b->dev && a->qid.path == b->qid.path && a->aux == b->aux;
}

/* Index of the head covering c, or -1; under ns->lock. */
static int find_locked(struct ns *ns, const struct chan *c)
{
	for (size_t i = 0; i < ns->nmount; i++)
		if (chan_same_file(ns->mounts[i]->from, c))
			return (int)i;
	return -1;
}

struct mhead *ns_find(struct ns *ns, const struct chan *c)
{
	struct mhead *m = 0;
	int i;

	qlock(&ns->lock);
	if ((i = find_locked(ns, c)) >= 0) {
		m = ns->mounts[i];
		mhead_get(m);
	}
	qunlock(&ns->lock);
	return m;
}

static struct chan *chan_ref(struct chan *c)
{
	__atomic_add_fetch(&c->ref, 1, __ATOMIC_ACQ_REL);
	return c;
}

/* A copy of old (or an empty head covering from), every chan referenced. */
static struct mhead *head_copy(const struct mhead *old, struct chan *from, const char *path)
{
	struct mhead *m = kmalloc(sizeof *m);

	if (m == 0)
		return 0;
	if (old) {
		*m = *old;
		for (size_t i = 0; i < m->n; i++)
			chan_ref(m->m[i].to);
	} else {
		kmemset(m, 0, sizeof *m);
		kstrlcpy(m->path, path, sizeof m->path);
	}
	m->from = chan_ref(old ? old->from : from);
	m->ref = 1;
	return m;
}

static void member_set(struct mmember *mm, struct chan *to, int flags, const struct ns_src *src)
{
	kmemset(mm, 0, sizeof *mm);
	mm->to = chan_ref(to);
	mm->flags = (uint8_t)(flags & MCREATE);
	if (src) {
		mm->mounted = src->mounted;
		kstrlcpy(mm->src, src->src, sizeof mm->src);
		if (src->aname)
			kstrlcpy(mm->aname, src->aname, sizeof mm->aname);
		if (src->key)
			kstrlcpy(mm->key, src->key, sizeof mm->key);
	}
}

/* Put `to` into head m (a private copy) as flags say. */
static int head_add(struct mhead *m, struct chan *to, int flags, const struct ns_src *src)
{
	size_t at;

	if ((flags & MORDER) == MREPL) {
		for (size_t i = 0; i < m->n; i++)
			chan_put(m->m[i].to);
		m->n = 0;
	} else if (m->n == 0) {
		/* the first union on a file keeps the file itself as a member,
		 * so bind -a adds to what was there (Plan 9's cmount) */
		member_set(&m->m[0], m->from, 0, 0);
		m->m[0].covered = true;
		m->n = 1;
	}
	if (m->n == NS_MAXUNION)
		return E_NOSPC;
	at = (flags & MORDER) == MAFTER ? m->n : 0;
	for (size_t i = m->n; i > at; i--)
		m->m[i] = m->m[i - 1];
	member_set(&m->m[at], to, flags, src);
	m->n++;
	return 0;
}

static int check_kinds(const struct chan *from, const struct chan *to, int flags)
{
	bool fdir = from->qid.type & QTDIR, tdir = to->qid.type & QTDIR;

	if ((flags & MORDER) == MORDER || (flags & ~MFLAGS))
		return E_INVAL;
	if ((flags & MORDER) != MREPL && (!fdir || !tdir))
		return E_NOTDIR;	/* unions are of directories */
	if (fdir != tdir)
		return fdir ? E_NOTDIR : E_ISDIR;
	return 0;
}

int ns_bind(struct ns *ns, struct chan *to, const char *path, int flags, const struct ns_src *src)
{
	struct mhead *old, *m, *drop = 0;
	struct chan *at, *from;
	int err, i;

	if (kstrnlen(path, NS_PATHMAX) == NS_PATHMAX)
		return E_NAMETOOLONG;
	if ((err = namec(ns, path, NAMEC_WALK, 0, 0, &at)) < 0)
		return err;
	/* at is what the path shows now: a mounted root (at->umh says which
	 * mount) or the plain file, which the new mount will cover */
	from = at->umh ? at->umh->from : at;
	if ((err = check_kinds(from, to, flags)) < 0) {
		chan_put(at);
		return err;
	}
	qlock(&ns->lock);
	i = find_locked(ns, from);
	old = i >= 0 ? ns->mounts[i] : 0;
	if (old == 0 && ns->nmount == NS_MAXMOUNT) {
		err = E_NOSPC;
		goto out;
	}
	if ((m = head_copy(old, from, path)) == 0) {
		err = E_NOMEM;
		goto out;
	}
	if ((err = head_add(m, to, flags, src)) < 0) {
		mhead_put(m);
		goto out;
	}
	if (old) {
		ns->mounts[i] = m;
		drop = old;	/* walks holding it keep it until they finish */
	} else {
		ns->mounts[ns->nmount++] = m;
	}
out:
	qunlock(&ns->lock);
	mhead_put(drop);	/* outside the lock: closing a chan may talk to a server */
	chan_put(at);
	return err;
}

int ns_mount(struct ns *ns, const char *path, struct chan *to)
{
	char src[NS_SRCMAX];
	struct ns_src s = { .src = src, .mounted = true };

	ksnprintf(src, sizeof src, "#%s", to->dev->name);
	return ns_bind(ns, to, path, MREPL | MCREATE, &s);
}

/* Take head i out of the table (under the lock), keeping the order of the
 * rest: a later mount may lie inside an earlier one, and /proc/N/ns
 * replays them in this order. */
static struct mhead *remove_head(struct ns *ns, int i)
{
	struct mhead *h = ns->mounts[i];

	for (size_t j = (size_t)i; j + 1 < ns->nmount; j++)
		ns->mounts[j] = ns->mounts[j + 1];
	ns->nmount--;
	return h;
}

/* Drop member k of head i (under the lock): a new head without it, or no
 * head when nothing but the covered file itself would be left.  The head
 * that goes is left in *drop, for the caller to put after unlocking. */
static int drop_member(struct ns *ns, int i, size_t k, struct mhead **drop)
{
	struct mhead *old = ns->mounts[i], *m;
	size_t left = old->n - 1;
	bool only_covered = left == 1 && old->m[k == 0 ? 1 : 0].covered;

	if (left == 0 || only_covered) {
		*drop = remove_head(ns, i);
		return 0;
	}
	if ((m = head_copy(old, 0, 0)) == 0)
		return E_NOMEM;
	chan_put(m->m[k].to);	/* the copy's; old still holds one, so no close here */
	for (size_t j = k; j + 1 < m->n; j++)
		m->m[j] = m->m[j + 1];
	m->n--;
	ns->mounts[i] = m;
	*drop = old;
	return 0;
}

int ns_unmount(struct ns *ns, const char *old, const char *path)
{
	struct chan *at, *which = 0;
	struct mhead *h, *drop = 0;
	int err = E_NOENT, i;

	if ((err = namec(ns, path, NAMEC_WALK, 0, 0, &at)) < 0)
		return err;
	if (old && (err = namec(ns, old, NAMEC_WALK, 0, 0, &which)) < 0) {
		chan_put(at);
		return err;
	}
	err = E_NOENT;
	qlock(&ns->lock);
	if (at->umh && (i = find_locked(ns, at->umh->from)) >= 0) {
		h = ns->mounts[i];
		if (which == 0) {
			drop = remove_head(ns, i);
			err = 0;
		} else {
			for (size_t k = 0; k < h->n; k++) {
				if (!h->m[k].covered && chan_same_file(h->m[k].to, which)) {
					err = drop_member(ns, i, k, &drop);
					break;
				}
			}
		}
	}
	qunlock(&ns->lock);
	mhead_put(drop);	/* outside the lock: closing a chan may talk to a server */
	chan_put(which);
	chan_put(at);
	return err;
}

/* One line: "bind -bc /a /b" or "mount #cons /dev" (+ " aname"). */
static size_t format_member(const struct mmember *mm, const char *path, int order, char *buf,
                            size_t size)
{
	char flags[5] = "", *f = flags;

	if (order != MREPL || (mm->flags & MCREATE)) {
		*f++ = '-';
		if (order == MBEFORE)
			*f++ = 'b';
		if (order == MAFTER)
			*f++ = 'a';
		if (mm->flags & MCREATE)
			*f++ = 'c';
		*f++ = ' ';
		*f = 0;
	}
	return (size_t)ksnprintf(buf, size, "%s %s%s%s%s%s %s%s%s\n",
	                         mm->mounted ? "mount" : "bind", flags, mm->key[0] ? "-k " : "",
	                         mm->key, mm->key[0] ? " " : "", mm->src[0] ? mm->src : "?", path,
	                         mm->aname[0] ? " " : "", mm->aname);
}

/*
 * Lines that rebuild the head when replayed in order: with the covered
 * file at index c in the union, the members before it are bound -b from
 * the nearest outwards and those after it -a; without it, the first
 * member replaces and the rest are bound -a.
 */
static size_t format_head(const struct mhead *h, char *buf, size_t size)
{
	size_t n = 0, c = h->n;
	int first = 1;

#define OUT(k, order) \
	(n += format_member(&h->m[k], h->path, order, n < size ? buf + n : 0, \
	                    n < size ? size - n : 0))
	for (size_t k = 0; k < h->n; k++)
		if (h->m[k].covered)
			c = k;
	if (c == h->n) {
		for (size_t k = 0; k < h->n; k++, first = 0)
			OUT(k, first ? MREPL : MAFTER);
		return n;
	}
	for (size_t k = c; k-- > 0;)
		OUT(k, MBEFORE);
	for (size_t k = c + 1; k < h->n; k++)
		OUT(k, MAFTER);
#undef OUT
	return n;
}

size_t ns_format(struct ns *ns, char *buf, size_t size)
{
	size_t n = (size_t)ksnprintf(buf, size, "bind #%s /\n", ns->root->dev->name);

	qlock(&ns->lock);
	for (size_t i = 0; i < ns->nmount; i++)
		n += format_head(ns->mounts[i], n < size ? buf + n : 0, n < size ? size - n : 0);
	qunlock(&ns->lock);
	return n;
}
