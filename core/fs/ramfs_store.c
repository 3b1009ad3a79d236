/*
 * The root RAM tree in the store (docs/store.md, "The root tree in the
 * store"): each name of the tree is one value of the store, keyed by its
 * inode's qid.path + this boot's key base (past every key the store held
 * at boot, so a key never means two files), holding its attributes, its parent's key, its
 * name and (files, symbolic links) its bytes.  Directories hold no list:
 * loading links each name under its parent's key.
 *
 *   0 version (u32, 1)  4 mode (u32)  8 parent key (u64, 0: the root)
 *  16 mtime (u64)  24 name length  25 uid length  26 gid length (u8 each)
 *  27 zero  28 name, uid, gid, then the contents
 *
 * A sync snapshots what changed since the last (by qid version, mode,
 * times, place and owner) under the ramfs lock, then writes it with the
 * lock released, deletes what is gone, and commits.  Left out: /tmp (by
 * definition scratch), device nodes, pipes and sockets (DMSPECIAL), and a
 * hard link's second name (the file is kept under its first).  The
 * synthetic devices are mounted over empty directories of the tree, so
 * only those directories are kept, never their contents.
 */
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/quota.h>
#include <lux/store.h>
#include <lux/string.h>

#include "ramfs.h"
#include "ramfs_store.h"

#define HDR 28

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

/* ---- what the last sync wrote: key -> signature, sorted by key ------ */

static struct rs_ent *map_find(struct rs_map *m, uint64_t key, size_t *at)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->e[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return lo < m->n && m->e[lo].key == key ? &m->e[lo] : 0;
}

static int map_set(struct rs_map *m, const struct rs_ent *e)
{
	size_t at;
	struct rs_ent *old = map_find(m, e->key, &at);

	if (old) {
		*old = *e;
		return 0;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct rs_ent *ne = kmalloc(cap * sizeof *ne);

		if (ne == 0)
			return E_NOMEM;
		if (m->n)
			kmemcpy(ne, m->e, m->n * sizeof *ne);
		kfree(m->e);
		m->e = ne;
		m->cap = cap;
	}
	kmemmove(&m->e[at + 1], &m->e[at], (m->n - at) * sizeof *m->e);
	m->e[at] = *e;
	m->n++;
	return 0;
}

void rs_map_free(struct rs_map *m)
{
	kfree(m->e);
	kfree(m->pk);
	kmemset(m, 0, sizeof *m);
}

/* ---- keys: a loaded inode keeps the key it was loaded from ------------ */

/* The key of inode ino: the one it was loaded from, else base + its
 * qid.path (past every key the store held at boot: never one of those). */
static uint64_t keyof(const struct rs_map *m, uint64_t base, const struct rinode *ino)
{
	size_t lo = 0, hi = m->npk;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->pk[mid].path < ino->qid.path)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->npk && m->pk[lo].path == ino->qid.path ? m->pk[lo].key
	                                                      : base + ino->qid.path;
}

static int pk_add(struct rs_map *m, uint64_t path, uint64_t key)
{
	size_t at = m->npk;

	if (m->npk == m->cappk) {
		size_t cap = m->cappk ? 2 * m->cappk : 64;
		struct rs_pk *n = kmalloc(cap * sizeof *n);

		if (n == 0)
			return E_NOMEM;
		if (m->npk)
			kmemcpy(n, m->pk, m->npk * sizeof *n);
		kfree(m->pk);
		m->pk = n;
		m->cappk = cap;
	}
	while (at > 0 && m->pk[at - 1].path > path)	/* made in path order: rarely moves */
		at--;
	kmemmove(&m->pk[at + 1], &m->pk[at], (m->npk - at) * sizeof *m->pk);
	m->pk[at] = (struct rs_pk){ path, key };
	m->npk++;
	return 0;
}

/* What a sync compares of name e under parent (held: the ramfs lock);
 * *len its length. */
static void sign(struct rnode *e, uint64_t key, uint64_t parent, struct rs_ent *ent, uint64_t *len)
{
	struct rinode *ino = e->ino;

	*ent = (struct rs_ent){ key, ino->qid.vers, parent, ino->mtime, ino->mode, 0, 1, 0 };
	*len = 0;
	if (!(ino->mode & DMDIR)) {
		const struct content *c = rb_read(&ino->content);

		ent->vers = c->vers;
		ent->mtime = c->mtime;
		*len = c->len;
		rb_done(&ino->content, c);
	}
	ent->names = fnv(fnv(fnv(0xcbf29ce484222325ull, e->name), ino->uid), ino->gid) ^ *len;
}

/* ---- saving ---------------------------------------------------------- */

struct pend {
	uint64_t key;
	uint8_t *val;
	size_t len;
};

struct snap {
	struct rs_map *m;
	uint64_t base;		/* a name's key: base + its inode's qid.path */
	struct pend *p;
	size_t n, cap;
	uint64_t skipped;	/* too large for a value */
	int err;
};

static int encode(struct rnode *e, uint64_t key, uint64_t parent, uint64_t mtime, uint64_t len,
                  struct pend *out)
{
	struct rinode *ino = e->ino;
	size_t nl = kstrlen(e->name), ul = kstrlen(ino->uid), gl = kstrlen(ino->gid);
	size_t n = HDR + nl + ul + gl + (size_t)len;
	uint8_t *v = kmalloc(n ? n : 1);

	if (v == 0)
		return E_NOMEM;
	kmemset(v, 0, HDR);
	v[0] = 1;
	v[4] = (uint8_t)ino->mode, v[5] = (uint8_t)(ino->mode >> 8);
	v[6] = (uint8_t)(ino->mode >> 16), v[7] = (uint8_t)(ino->mode >> 24);
	put64(v + 8, parent);
	put64(v + 16, mtime);
	v[24] = (uint8_t)nl, v[25] = (uint8_t)ul, v[26] = (uint8_t)gl;
	kmemcpy(v + HDR, e->name, nl);
	kmemcpy(v + HDR + nl, ino->uid, ul);
	kmemcpy(v + HDR + nl + ul, ino->gid, gl);
	if (len && ramfs_read_locked(e, v + HDR + nl + ul + gl, (size_t)len, 0) != (long)len) {
		kfree(v);
		return E_IO;
	}
	out->key = key;
	out->val = v;
	out->len = n;
	return 0;
}

static void snap_one(struct snap *s, struct rnode *e, uint64_t parent)
{
	struct rs_ent ent, *old;
	uint64_t len;
	size_t at;

	sign(e, keyof(s->m, s->base, e->ino), parent, &ent, &len);
	old = map_find(s->m, ent.key, &at);
	if (old && old->seen)
		return;		/* a second name of a file already kept */
	if (old && old->vers == ent.vers && old->parent == ent.parent && old->mtime == ent.mtime &&
	    old->mode == ent.mode && old->names == ent.names) {
		old->seen = 1;
		return;
	}
	if (len + HDR + 3 * LUX_NAMEMAX > STORE_VALMAX) {
		s->skipped++;
		return;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct pend *np = kmalloc(cap * sizeof *np);

		if (np == 0) {
			s->err = E_NOMEM;
			return;
		}
		if (s->n)
			kmemcpy(np, s->p, s->n * sizeof *np);
		kfree(s->p);
		s->p = np;
		s->cap = cap;
	}
	if ((s->err = encode(e, ent.key, parent, ent.mtime, len, &s->p[s->n])) == 0 &&
	    (s->err = map_set(s->m, &ent)) == 0)
		s->n++;
	else if (s->p[s->n].val)
		kfree(s->p[s->n].val), s->p[s->n].val = 0;
}

static void snap_tree(struct snap *s, struct rnode *dir, uint64_t parent, bool top)
{
	struct list *l;

	snap_one(s, dir, parent);
	list_for_each(l, &dir->children) {
		struct rnode *c = list_entry(l, struct rnode, sibling);

		if (s->err)
			return;
		if ((top && kstrcmp(c->name, "tmp") == 0) || (c->ino->mode & DMSPECIAL))
			continue;
		if (c->ino->mode & DMDIR)
			snap_tree(s, c, keyof(s->m, s->base, dir->ino), false);
		else
			snap_one(s, c, keyof(s->m, s->base, dir->ino));
	}
}

int rs_save(struct rnode *root, struct store *st, struct rs_map *m, uint64_t base,
            struct rs_result *res)
{
	struct snap s = { .m = m, .base = base };
	int err = 0;

	for (size_t i = 0; i < m->n; i++)
		m->e[i].seen = 0;
	ramfs_qlock();
	snap_tree(&s, root, 0, true);
	ramfs_qunlock();
	for (size_t i = 0; i < s.n; i++) {
		if (err == 0 && s.err == 0)
			err = store_put(st, s.p[i].key, s.p[i].val, s.p[i].len);
		lc_wipe(s.p[i].val, s.p[i].len);	/* file bytes: no copy kept */
		kfree(s.p[i].val);
	}
	kfree(s.p);
	if (err == 0)
		err = s.err;
	for (size_t i = m->n; err == 0 && i-- > 0;)
		if (!m->e[i].seen && !m->e[i].keep) {
			int e = store_del(st, m->e[i].key);

			if (e < 0 && e != E_NOENT) {
				err = e;
				break;
			}
			res->deleted++;
			kmemmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof *m->e);
			m->n--;
		}
	res->written = s.n;
	res->skipped = s.skipped;
	if (err == 0)
		err = store_commit(st);
	if (err < 0)	/* unknown what reached the drive: write every name next time */
		for (size_t i = 0; i < m->n; i++)
			m->e[i].vers = ~0ull;
	return err;
}

/* ---- loading --------------------------------------------------------- */

struct rec {
	uint64_t key, parent;
	uint8_t *val;
	size_t len;
	struct rnode *node;	/* once made (or found) */
};

/* Check a record at the edge: 0 and its parts, or -1. */
static int parse(const struct rec *r, uint32_t *mode, char *name, char *uid, char *gid,
                 size_t *data)
{
	const uint8_t *v = r->val;
	size_t nl, ul, gl;

	if (r->len < HDR || v[0] != 1 || v[1] || v[2] || v[3] || v[27])
		return -1;
	nl = v[24], ul = v[25], gl = v[26];
	*mode = (uint32_t)v[4] | (uint32_t)v[5] << 8 | (uint32_t)v[6] << 16 | (uint32_t)v[7] << 24;
	if (nl >= LUX_NAMEMAX || ul >= LUX_UIDMAX || gl >= LUX_UIDMAX ||
	    HDR + nl + ul + gl > r->len || (*mode & DMSPECIAL) ||
	    ((*mode & DMDIR) && r->len != HDR + nl + ul + gl))
		return -1;
	kmemcpy(name, v + HDR, nl), name[nl] = 0;
	kmemcpy(uid, v + HDR + nl, ul), uid[ul] = 0;
	kmemcpy(gid, v + HDR + nl + ul, gl), gid[gl] = 0;
	if (r->parent != 0 && (nl == 0 || kmemchr(name, '/', nl) || kstrcmp(name, ".") == 0 ||
	                       kstrcmp(name, "..") == 0 || kstrlen(name) != nl))
		return -1;
	*data = HDR + nl + ul + gl;
	return 0;
}

/* A record that did not load (its owner's quota, no parent, damaged,
 * malformed) is kept as it is, never deleted by a sync: the data may be
 * someone's whose user the table lacks at this boot, and only a person
 * should throw it away.  (Its parent keeps its key, so it stays linked.) */
static int keep(struct rs_map *m, uint64_t key)
{
	struct rs_ent e = { key, ~0ull, ~0ull, ~0ull, ~0u, ~0ull, 0, 1 };

	return map_set(m, &e);
}

/* Name n was loaded from key (held: the ramfs lock): it keeps that key. */
static int loaded(struct rs_map *m, struct rnode *n, uint64_t key)
{
	return pk_add(m, n->ino->qid.path, key);
}

/* Once the tree is whole (linking a child changes its directory): the
 * map says the store holds each loaded name as it is now, so the first
 * sync writes only what changes after the boot. */
static int signed_all(struct rs_map *m, const struct rec *r, size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n && err == 0; i++) {
		struct rs_ent ent;
		uint64_t len;

		if (r[i].node == 0)
			continue;
		sign(r[i].node, r[i].key, r[i].parent, &ent, &len);
		ent.seen = 0;
		err = map_set(m, &ent);
	}
	return err;
}

static int read_all(struct store *st, struct rs_map *m, struct rec **out, size_t *nout,
                    uint64_t *maxkey)
{
	struct rec *r = 0;
	size_t n = 0, cap = 0;
	uint64_t k = 2;		/* 1 is the keystore's (storesync_keys.c) */
	int err;

	while ((err = store_next(st, k, &k)) == 0) {
		size_t len = 0;

		if (n == cap) {
			struct rec *nr = kmalloc((cap = cap ? 2 * cap : 64) * sizeof *nr);

			if (nr == 0) {
				err = E_NOMEM;
				break;
			}
			if (n)
				kmemcpy(nr, r, n * sizeof *nr);
			kfree(r);
			r = nr;
		}
		r[n] = (struct rec){ k, 0, 0, 0, 0 };
		*maxkey = k;	/* keys come in order */
		err = store_get(st, k, 0, 0, &len);
		if (err == E_TOOBIG && (r[n].val = kmalloc(len ? len : 1)) == 0)
			err = E_NOMEM;
		else if (err == E_TOOBIG || err == 0)
			err = store_get(st, k, r[n].val, len, &r[n].len);
		if (err == 0 && r[n].len >= 16)
			r[n].parent = get64(r[n].val + 8);
		if (err == 0)
			n++;
		else if (err != E_CRYPTO)
			break;
		else if ((err = keep(m, k)) == 0)	/* damage: that name is not loaded */
			kfree(r[n].val);
		else
			break;
		if (k++ == ~0ull)
			break;
	}
	*out = r;
	*nout = n;
	return err == E_NOENT || err == E_CRYPTO ? 0 : err;
}

/* The time the file was last changed, as it was when it was saved (the
 * load's own write would say now). */
static void set_mtime(struct rnode *n, uint64_t mtime)
{
	struct content *c;
	int err;

	n->ino->mtime = n->ino->atime = mtime;
	if ((n->ino->mode & DMDIR) || (c = rb_begin(&n->ino->content, &err)) == 0)
		return;
	c->mtime = c->atime = mtime;
	rb_commit(&n->ino->content);
}

/* Make record r under dir (held: the ramfs lock): 1 made, 0 skipped. */
static int make(struct rec *r, struct rnode *dir, struct rs_result *res)
{
	char name[LUX_NAMEMAX], uid[LUX_UIDMAX], gid[LUX_UIDMAX];
	uint32_t mode;
	size_t data;
	struct rnode *n;

	if (parse(r, &mode, name, uid, gid, &data) < 0) {
		res->bad++;
		return 0;
	}
	if ((n = ramfs_lookup(dir, name)) != 0) {	/* made at boot: /dev, /tmp, ... */
		r->node = (n->ino->mode & DMDIR) && (mode & DMDIR) ? n : 0;
		return 0;
	}
	if ((n = ramfs_node_new(name, mode)) == 0)
		return E_NOMEM;
	kstrlcpy(n->ino->uid, uid, sizeof n->ino->uid);
	kstrlcpy(n->ino->gid, gid, sizeof n->ino->gid);
	kstrlcpy(n->ino->muid, uid, sizeof n->ino->muid);
	if (ramfs_charge_entry(n) < 0 ||
	    (r->len > data && ramfs_write_locked(n, r->val + data, r->len - data, 0) < 0)) {
		res->refused++;		/* the owner's quota: said, not loaded */
		n->ref = 1;
		ramfs_node_put(n);
		return 0;
	}
	ramfs_link(dir, n);
	set_mtime(n, get64(r->val + 16));
	r->node = n;
	return 1;
}

int rs_load(struct rnode *root, struct store *st, struct rs_map *m, struct rs_result *res)
{
	struct rec *r;
	size_t n, done = 0;
	bool progress = true;
	int err = read_all(st, m, &r, &n, &res->maxkey);

	ramfs_qlock();
	for (size_t i = 0; i < n && err == 0; i++)
		if (r[i].parent == 0) {
			r[i].node = root;	/* the root's own record: the tree it is */
			err = loaded(m, root, r[i].key);
			break;
		}
	while (err == 0 && progress) {	/* parents first, whatever the key order */
		progress = false;
		for (size_t i = 0; i < n && err == 0; i++) {
			size_t at;

			if (r[i].node || r[i].val == 0)
				continue;
			for (at = 0; at < n && !(r[at].key == r[i].parent && r[at].node); at++)
				;
			if (at == n)
				continue;
			if ((err = make(&r[i], r[at].node, res)) > 0)
				done++, err = 0;
			if (err == 0 && r[i].node)
				err = loaded(m, r[i].node, r[i].key);
			progress = true;
			if (r[i].node == 0) {	/* skipped: never again */
				lc_wipe(r[i].val, r[i].len);
				kfree(r[i].val);
				r[i].val = 0;
			}
		}
	}
	if (err == 0)
		err = signed_all(m, r, n);
	ramfs_qunlock();
	for (size_t i = 0; i < n; i++) {
		if (r[i].node == 0 && keep(m, r[i].key) < 0 && err == 0)
			err = E_NOMEM;
		if (r[i].node == 0 && r[i].val)
			res->orphans++;
		if (r[i].val)
			lc_wipe(r[i].val, r[i].len);
		kfree(r[i].val);
	}
	kfree(r);
	res->written = done;
	return err;
}
