/* The per-connection fid table (see 9psrv.h): a small hash of
 * chains, its entries charged to the connection's budget (PB_FIDS, and
 * their bytes as pages).  The framer, the control jobs and the workers share it: every
 * change is made under fids_lock (a leaf: nothing is called under it but
 * the table's own helpers), and frees happen outside, once the last
 * request using a fid lets go.  One lock for every connection's table:
 * each hold is a few pointer moves, and a lock in each connection would
 * not fit its 1 KiB block. */
#include "9psrv.h"
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/pebble.h>
#include <lux/string.h>

/* every connection's fid table, nfids, and every fid's users, excl,
 * clunked and moving */
static struct spinlock fids_lock = SPINLOCK_INIT("ninep-fids");

/* The fid table starts with NINEP_FIDSMALL buckets inside the connection
 * (most connections hold a few fids) and grows once to NINEP_FIDHASH,
 * charged to it, when it holds more (ninep_fid_insert).  fids_lock held. */
static struct ninep_fid **bucket(struct ninep_conn *s, uint32_t fid)
{
	if (s->nbuckets == 0) {
		s->fids = s->fidsmall;
		s->nbuckets = NINEP_FIDSMALL;
	}
	return &s->fids[(fid ^ fid >> 7 ^ fid >> 17) % s->nbuckets];
}

/* Past 4 fids a bucket on average, the large table: allocated here, out of
 * the section, then filled in one.  A failure keeps the small one (only
 * slower). */
static void table_grow(struct ninep_conn *s)
{
	struct ninep_fid **big, **old;
	size_t n;

	if (s->nbuckets > NINEP_FIDSMALL || s->nfids < 4 * NINEP_FIDSMALL)
		return;
	if (ninep_charge(s, NINEP_FIDHASH * sizeof *big) < 0)
		return;
	if ((big = kzalloc(NINEP_FIDHASH * sizeof *big)) == 0) {
		ninep_uncharge(s, NINEP_FIDHASH * sizeof *big);
		return;
	}
	spin_lock(&fids_lock);
	if (s->nbuckets > NINEP_FIDSMALL) {	/* another request grew it */
		spin_unlock(&fids_lock);
		kfree(big);
		ninep_uncharge(s, NINEP_FIDHASH * sizeof *big);
		return;
	}
	old = s->fids;
	n = s->nbuckets;
	s->fids = big;
	s->nbuckets = NINEP_FIDHASH;
	for (size_t i = 0; i < n; i++) {
		while (old[i]) {
			struct ninep_fid *f = old[i], **b;
			old[i] = f->next;
			b = bucket(s, f->fid);
			f->next = *b;
			*b = f;
		}
	}
	spin_unlock(&fids_lock);
}

void ninep_fid_table_free(struct ninep_conn *s)
{
	kassert(s->nfids == 0);
	if (s->nbuckets > NINEP_FIDSMALL) {
		kfree(s->fids);
		ninep_uncharge(s, NINEP_FIDHASH * sizeof *s->fids);
	}
	s->fids = 0;
	s->nbuckets = 0;
}

struct ninep_ctx *ninep_ctx_of(struct ninep_conn *s)
{
	struct proc *me = curproc();

	for (size_t i = 0; i < NINEP_RUNNING; i++)
		if (s->runners[i].p == me)
			return s->runners[i].x;
	return &s->rx;
}

static bool hold(struct ninep_ctx *x, struct ninep_fid *f)
{
	if (x->nheld == sizeof x->held / sizeof x->held[0])
		return false;	/* a handler asking for a 4th fid is our bug */
	x->held[x->nheld++] = f;
	f->users++;
	return true;
}

/* An auth fid has no chan: only the afid paths (ninep_afid_get) see it,
 * so no handler can walk, open or stat one. */
static struct ninep_fid *get(struct ninep_conn *s, uint32_t fid, bool afid)
{
	struct ninep_ctx *x = ninep_ctx_of(s);
	spin_lock(&fids_lock);
	struct ninep_fid *f;

	for (f = *bucket(s, fid); f; f = f->next)
		if (f->fid == fid)
			break;
	if (f && (f->afid != 0) != afid)
		f = 0;
	if (f) {
		for (size_t i = 0; i < x->nheld; i++)
			if (x->held[i] == f)
				goto out;	/* already ours */
		if (f->excl) {
			x->busy = true;
			f = 0;
		} else if (!hold(x, f)) {
			f = 0;
		}
	}
out:
	spin_unlock(&fids_lock);
	return f;
}

struct ninep_fid *ninep_fid_get(struct ninep_conn *s, uint32_t fid)
{
	return get(s, fid, false);
}

struct ninep_fid *ninep_afid_get(struct ninep_conn *s, uint32_t fid)
{
	return get(s, fid, true);
}

bool ninep_fid_user(struct ninep_conn *s, uint32_t fid, char out[LUX_UIDMAX],
                    const struct ninep_caveats **cav)
{
	spin_lock(&fids_lock);
	struct ninep_fid *f;

	for (f = *bucket(s, fid); f; f = f->next)
		if (f->fid == fid)
			break;
	if (f) {
		kstrlcpy(out, f->user, LUX_UIDMAX);
		if (cav)
			*cav = f->cav;
	}
	spin_unlock(&fids_lock);
	return f != 0;
}

int ninep_fid_excl(struct ninep_conn *s, struct ninep_fid *f)
{
	spin_lock(&fids_lock);
	int err = 0;

	USED(s);
	if (f->users > 1)	/* the caller holds f: anyone else is a conflict */
		err = NINEP_E_FIDBUSY;
	else
		f->excl = true;	/* cleared when this request lets go */
	spin_unlock(&fids_lock);
	return err;
}

int ninep_fid_new(struct ninep_conn *s, uint32_t fid, struct ninep_fid **out)
{
	struct ninep_fid *f;
	int err;

	if (budget_charge(s->budget, PB_FIDS, 1) < 0)
		return NINEP_E_NFIDS;	/* errstr: "budget exhausted: fids 4096/4096" */
	if ((err = ninep_charge(s, sizeof *f)) < 0) {
		budget_release(s->budget, PB_FIDS, 1);
		return err;
	}
	if ((f = kzalloc(sizeof *f)) == 0) {
		ninep_uncharge(s, sizeof *f);
		budget_release(s->budget, PB_FIDS, 1);
		return E_NOMEM;
	}
	f->fid = fid;
	f->charged = sizeof *f;
	*out = f;
	return 0;
}

void ninep_fid_free(struct ninep_conn *s, struct ninep_fid *f)
{
	if (f == 0)
		return;
	chan_put(f->c);
	ninep_afid_free(f->afid);
	kfree(f->path);
	ninep_uncharge(s, f->charged);
	budget_release(s->budget, PB_FIDS, 1);
	kfree(f);
}

int ninep_fid_setpath(struct ninep_conn *s, struct ninep_fid *f, char *p)
{
	size_t old = f->path ? kstrlen(f->path) + 1 : 0, new = kstrlen(p) + 1;
	int err;

	if (new > old && (err = ninep_charge(s, new - old)) < 0) {
		kfree(p);
		return err;
	}
	if (new < old)
		ninep_uncharge(s, old - new);
	f->charged = f->charged - old + new;
	kfree(f->path);
	f->path = p;
	return 0;
}

int ninep_fid_insert(struct ninep_conn *s, struct ninep_fid *f)
{
	struct ninep_ctx *x = ninep_ctx_of(s);
	struct ninep_fid **b;
	int err = 0;

	table_grow(s);
	spin_lock(&fids_lock);
	b = bucket(s, f->fid);
	for (struct ninep_fid *o = *b; o; o = o->next)
		if (o->fid == f->fid)
			err = NINEP_E_FIDINUSE;	/* a concurrent request took it */
	if (err == 0 && !hold(x, f))
		err = E_INVAL;
	if (err == 0) {
		f->next = *b;
		*b = f;
		s->nfids++;
		x->newfid = f;
	}
	spin_unlock(&fids_lock);
	return err;
}

/* Out of the table, fids_lock held: 1 when nobody uses it any more (the
 * caller frees it). */
static bool unlink_fid(struct ninep_conn *s, struct ninep_fid *f)
{
	if (f->clunked)
		return false;
	for (struct ninep_fid **p = bucket(s, f->fid); *p; p = &(*p)->next) {
		if (*p == f) {
			*p = f->next;
			s->nfids--;
			break;
		}
	}
	f->clunked = true;
	return f->users == 0;
}

void ninep_fid_clunk(struct ninep_conn *s, struct ninep_fid *f)
{
	spin_lock(&fids_lock);
	bool last = unlink_fid(s, f);

	spin_unlock(&fids_lock);
	if (last)
		ninep_fid_free(s, f);
}

/* Is path from, or below it? */
static bool under(const char *path, const char *from, size_t fl)
{
	size_t pl = kstrlen(path);

	return pl >= fl && kmemcmp(path, from, fl) == 0 && (pl == fl || path[fl] == '/');
}

static bool held_by(const struct ninep_ctx *x, const struct ninep_fid *f)
{
	for (size_t i = 0; i < x->nheld; i++)
		if (x->held[i] == f)
			return true;
	return false;
}

/* Let go of a fid taken by ninep_fid_move_begin (fids_lock not held). */
static void move_put(struct ninep_conn *s, struct ninep_fid *f)
{
	spin_lock(&fids_lock);
	bool last;

	f->users--;
	if (f->users == 0)
		f->excl = false;	/* a request of ours keeps it until its end */
	last = f->clunked && f->users == 0;
	spin_unlock(&fids_lock);
	if (last)
		ninep_fid_free(s, f);
}

/* A fid a rename of from moves: its path is from or below it, and its
 * attach root is not (a fid whose root moved is left alone; its walks
 * fail cleanly). */
static bool moves(const struct ninep_fid *f, const char *from, size_t fl)
{
	return under(f->path, from, fl) && f->rootlen <= fl;
}

/* Fids name paths, so a rename must carry the fids under it along.  Under
 * fids_lock, one pass checks that each fid it moves is used by no other
 * request (the renaming one may hold one or two of them) and a second
 * takes them all, so no request reads a path while it changes, and none
 * is clunked or changed meanwhile; either all are taken or none is. */
int ninep_fid_move_begin(struct ninep_conn *s, const char *from, struct ninep_fid **moving)
{
	struct ninep_ctx *x = ninep_ctx_of(s);
	size_t fl = kstrlen(from);
	struct ninep_fid *list = 0;
	spin_lock(&fids_lock);

	for (size_t i = 0; i < s->nbuckets; i++) {
		for (struct ninep_fid *f = s->fids[i]; f; f = f->next) {
			int mine = held_by(x, f) ? 1 : 0;
			if (moves(f, from, fl) && (f->users > mine || (f->excl && !mine))) {
				spin_unlock(&fids_lock);
				*moving = 0;
				return NINEP_E_FIDBUSY;
			}
		}
	}
	for (size_t i = 0; i < s->nbuckets; i++) {
		for (struct ninep_fid *f = s->fids[i]; f; f = f->next) {
			if (!moves(f, from, fl))
				continue;
			f->users++;
			f->excl = true;
			f->moving = list;
			list = f;
		}
	}
	spin_unlock(&fids_lock);
	*moving = list;
	return 0;
}

/* A fid whose new path cannot be paid for keeps the old one, and its next
 * walk fails cleanly with "file does not exist". */
void ninep_fid_move_end(struct ninep_conn *s, struct ninep_fid *moving, const char *from,
                        const char *to)
{
	size_t fl = kstrlen(from), tl = to ? kstrlen(to) : 0;

	while (moving) {
		struct ninep_fid *f = moving;
		size_t pl = kstrlen(f->path);
		char *np;
		moving = f->moving;
		f->moving = 0;
		if (to && tl + (pl - fl) < LUX_PATHMAX && (np = kmalloc(tl + (pl - fl) + 1))) {
			kmemcpy(np, to, tl);
			kmemcpy(np + tl, f->path + fl, pl - fl + 1);
			ninep_fid_setpath(s, f, np);	/* frees np when it cannot */
		}
		move_put(s, f);
	}
}

void ninep_fid_clunk_all(struct ninep_conn *s)
{
	ninep_locks_drop(s);	/* a new session, or the end: its locks go */
	for (size_t i = 0; i < s->nbuckets; i++) {
		for (;;) {
			spin_lock(&fids_lock);
			struct ninep_fid *f = s->fids[i];
			bool last = f && unlink_fid(s, f);
			spin_unlock(&fids_lock);
			if (f == 0)
				break;
			if (last)
				ninep_fid_free(s, f);
		}
	}
}

void ninep_fid_release_all(struct ninep_conn *s, struct ninep_ctx *x)
{
	for (size_t i = 0; i < x->nheld; i++) {
		struct ninep_fid *f = x->held[i];
		spin_lock(&fids_lock);
		bool last;
		f->users--;
		if (f->users == 0)
			f->excl = false;	/* only a sole user sets it */
		last = f->clunked && f->users == 0;
		spin_unlock(&fids_lock);
		if (last)
			ninep_fid_free(s, f);
	}
	x->nheld = 0;
	x->busy = false;
}
