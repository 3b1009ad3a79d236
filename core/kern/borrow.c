/*
 * The borrow checker (see <lux/borrow.h> and docs/borrow.md).
 *
 * One table of objects and one pool of borrow records, both fixed-size;
 * each object chains its own records, so borrow and return touch one
 * object and its few borrowers, never the whole table.  Free slots and
 * free records are on free lists.  Everything is done under borrow_lock:
 * the sections are a handful of stores, and on metal a proc can be
 * preempted anywhere, so a half-updated object must never be visible.
 *
 * Invariants (checked by panics where they are relied on, and in full by
 * borrow_check() after every simulation step):
 *  - a live slot (cls != 0) has a live owner, or is dying (owner 0) with at
 *    least one borrow: exit drops everything else, so no slot can point at
 *    a freed proc;
 *  - nshared and excl equal the object's records of each mode; excl is 0
 *    or 1 and never together with shared borrows;
 *  - every record in use names a live slot and a live proc;
 *  - release() runs with nothing borrowed, after the slot is emptied, so
 *    no handle can reach the object while or after it is freed.
 */
#include <lux/audit.h>
#include <lux/borrow.h>
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/proc.h>
#include <lux/string.h>

#define NIL 0xffffffffu

struct bobj {
	const struct bclass *cls;	/* 0: slot free */
	void *obj;
	size_t size;
	uint32_t gen;		/* the high half of every live handle; never 0 */
	uint32_t next;		/* free list, while free */
	struct proc *owner;	/* 0 only while dying */
	uint32_t recs;		/* first borrow record, or NIL */
	int nshared;
	int excl;		/* 0 or 1 */
	bool dying;		/* owner exited while borrowed: freed by the last return */
	bool pending;		/* moved to owner, not yet received */
	uint64_t moveseq;	/* order of moves, for borrow_receive */
};

struct brec {
	struct proc *who;	/* 0: record free */
	uint32_t obj;		/* the slot borrowed */
	uint32_t next;		/* next record of the same object, or of the free list */
	bool excl;
	const char *file;	/* where the borrow was taken */
	int line;
};

static struct {
	struct bobj o[BORROW_MAXOBJ];
	struct brec r[BORROW_MAXREC];
	uint32_t freeobj, freerec;
	bool ready;
	bool strict;
	uint64_t moveseq, refused, released;
	size_t nobj, nrec, ndying;
} bt;
/* bt, all of it; a class's release runs under it (borrow -> exchange ->
 * page), as do audit records of refusals (borrow -> audit) */
static struct spinlock borrow_lock = SPINLOCK_INIT("borrow");

static void init_locked(void)
{
	if (bt.ready)
		return;
	for (uint32_t i = 0; i < BORROW_MAXOBJ; i++) {
		bt.o[i].gen = bt.o[i].gen ? bt.o[i].gen : 1;
		bt.o[i].next = i + 1 < BORROW_MAXOBJ ? i + 1 : NIL;
		bt.o[i].cls = 0;
	}
	for (uint32_t i = 0; i < BORROW_MAXREC; i++) {
		bt.r[i].who = 0;
		bt.r[i].next = i + 1 < BORROW_MAXREC ? i + 1 : NIL;
	}
	bt.freeobj = 0;
	bt.freerec = 0;
	bt.nobj = bt.nrec = bt.ndying = 0;
	bt.ready = true;
}

void borrow_reset(void)
{
	spin_lock(&borrow_lock);
	uint32_t gens[BORROW_MAXOBJ];

	/* keep the generations: a handle from before the reset stays stale */
	for (uint32_t i = 0; i < BORROW_MAXOBJ; i++)
		gens[i] = bt.o[i].gen + 1 ? bt.o[i].gen + 1 : 1;
	kmemset(&bt, 0, sizeof bt);
	for (uint32_t i = 0; i < BORROW_MAXOBJ; i++)
		bt.o[i].gen = gens[i];
	init_locked();
	spin_unlock(&borrow_lock);
}

void borrow_set_strict(bool on)
{
	bt.strict = on;
}
bool borrow_strict(void)
{
	return bt.strict;
}

static bhandle mkhandle(uint32_t i)
{
	return (uint64_t)bt.o[i].gen << 32 | i;
}

/* The slot h names, or 0 when h is stale (freed, moved, or never was). */
static struct bobj *lookup(bhandle h)
{
	uint32_t i = (uint32_t)h, gen = (uint32_t)(h >> 32);

	init_locked();
	if (h == 0 || i >= BORROW_MAXOBJ || bt.o[i].cls == 0 || bt.o[i].gen != gen)
		return 0;
	return &bt.o[i];
}

static void describe(const struct bobj *o, char *buf, size_t size)
{
	if (o == 0)
		kstrlcpy(buf, "stale handle", size);
	else
		ksnprintf(buf, size, "%s %zu %s", o->cls->name, o->size, o->cls->unit);
}

static void bump_gen(struct bobj *o)
{
	if (++o->gen == 0)	/* 0 would make handle 0 possible one day */
		o->gen = 1;
}

/*
 * A violation: count it, audit it, and in strict mode panic naming the
 * refused call's site and the conflicting borrow's (csite, may be 0).
 * Returns err so callers can `return refuse(...)`.
 */
static int refuse(int err, const char *op, bhandle h, const struct bobj *o, const char *file,
                  int line, const struct brec *conflict, const char *why)
{
	char desc[32], site[96] = "";

	bt.refused++;
	describe(o, desc, sizeof desc);
	if (conflict)
		audit_log(curproc(), op, (uint32_t)h, desc, "refused: %s proc %d (at %s:%d)", why,
		          conflict->who ? conflict->who->pid : 0, conflict->file, conflict->line);
	else
		audit_log(curproc(), op, (uint32_t)h, desc, "refused: %s", why);
	if (bt.strict) {
		if (conflict)
			ksnprintf(site, sizeof site, " proc %d; conflicting borrow taken at %s:%d",
			          conflict->who ? conflict->who->pid : 0, conflict->file,
			          conflict->line);
		panic("borrow: %s of obj %u (%s) at %s:%d refused: %s%s", op, (uint32_t)h, desc,
		      file, line, why, site);
	}
	return err;
}

/* The first record of o with the given mode, or 0. */
static const struct brec *first_rec(const struct bobj *o, bool excl)
{
	for (uint32_t r = o->recs; r != NIL; r = bt.r[r].next)
		if (bt.r[r].excl == excl)
			return &bt.r[r];
	return 0;
}

static const char *mode_name(bool excl)
{
	return excl ? "exclusively" : "shared";
}

/* Empty slot o and release the object: nothing may be borrowed. */
static void release_locked(struct bobj *o)
{
	const struct bclass *cls = o->cls;
	void *obj = o->obj;
	size_t size = o->size;
	uint32_t i = (uint32_t)(o - bt.o);

	/* freeing a borrowed object is the use-after-free this module exists
	 * to prevent: if the counts say otherwise the table is corrupt */
	if (o->nshared || o->excl || o->recs != NIL)
		panic("borrow: releasing obj %u with %d shared and %d exclusive borrows", i,
		      o->nshared, o->excl);
	if (o->dying)
		bt.ndying--;
	bump_gen(o);
	o->cls = 0;
	o->obj = 0;
	o->owner = 0;
	o->dying = o->pending = false;
	o->next = bt.freeobj;
	bt.freeobj = i;
	bt.nobj--;
	bt.released++;
	cls->release(obj, size);
}

int borrow_new_at(const struct bclass *cls, void *obj, size_t size, bhandle *out, const char *file,
                  int line)
{
	struct bobj *o;
	uint32_t i;

	USED(file);
	USED(line);
	*out = 0;
	if (curproc() == 0)
		return E_NOPROC;	/* an owner must be a proc: exit is how objects die */
	spin_lock(&borrow_lock);
	init_locked();
	if ((i = bt.freeobj) == NIL) {
		spin_unlock(&borrow_lock);
		return E_NOMEM;
	}
	o = &bt.o[i];
	bt.freeobj = o->next;
	o->cls = cls;
	o->obj = obj;
	o->size = size;
	o->owner = curproc();
	o->recs = NIL;
	o->nshared = o->excl = 0;
	o->dying = o->pending = false;
	bt.nobj++;
	*out = mkhandle(i);
	spin_unlock(&borrow_lock);
	return 0;
}

static int borrow_common(bhandle h, void **obj, bool excl, const char *file, int line)
{
	const char *op = excl ? "borrow-exclusive" : "borrow-shared";
	spin_lock(&borrow_lock);
	struct bobj *o = lookup(h);
	const struct brec *c;
	uint32_t r;
	int err;

	if (obj)
		*obj = 0;
	if (o == 0 || o->dying) {
		err = refuse(E_STALE, op, h, o, file, line, 0,
		             o ? "being dropped: its owner exited"
		               : "stale handle: moved or dropped");
		spin_unlock(&borrow_lock);
		return err;
	}
	if (o->excl || (excl && o->nshared)) {
		c = first_rec(o, o->excl != 0);
		kassert(c != 0);
		err = refuse(E_BORROWED, op, h, o, file, line, c,
		             o->excl ? "already borrowed exclusively by"
		                     : "already borrowed shared by");
		spin_unlock(&borrow_lock);
		return err;
	}
	if ((r = bt.freerec) == NIL) {
		err = refuse(E_NOMEM, op, h, o, file, line, 0, "too many borrows outstanding");
		spin_unlock(&borrow_lock);
		return err;
	}
	bt.freerec = bt.r[r].next;
	bt.r[r] = (struct brec){ curproc(), (uint32_t)h, o->recs, excl, file, line };
	o->recs = r;
	if (excl)
		o->excl = 1;
	else
		o->nshared++;
	bt.nrec++;
	if (obj)
		*obj = o->obj;
	spin_unlock(&borrow_lock);
	return 0;
}

int borrow_shared_at(bhandle h, void **obj, const char *file, int line)
{
	return borrow_common(h, obj, false, file, line);
}

int borrow_exclusive_at(bhandle h, void **obj, const char *file, int line)
{
	return borrow_common(h, obj, true, file, line);
}

/* Unlink record *link (of object o) and free it; release o when it was
 * dying and this was its last borrow. */
static void unrecord(struct bobj *o, uint32_t *link)
{
	uint32_t r = *link;

	*link = bt.r[r].next;
	if (bt.r[r].excl)
		o->excl = 0;
	else
		o->nshared--;
	kassert(o->nshared >= 0);
	bt.r[r].who = 0;
	bt.r[r].next = bt.freerec;
	bt.freerec = r;
	bt.nrec--;
	if (o->dying && o->recs == NIL)
		release_locked(o);
}

int borrow_return_at(bhandle h, const char *file, int line)
{
	spin_lock(&borrow_lock);
	struct bobj *o = lookup(h);
	uint32_t *link, *found = 0;
	int err;

	if (o == 0) {
		err = refuse(E_STALE, "return", h, o, file, line, 0,
		             "stale handle: moved or dropped");
		spin_unlock(&borrow_lock);
		return err;
	}
	for (link = &o->recs; *link != NIL; link = &bt.r[*link].next) {
		if (bt.r[*link].who != curproc())
			continue;
		if (bt.r[*link].excl || found == 0)
			found = link;	/* the exclusive one first; it is the only one then */
	}
	if (found == 0) {
		err = refuse(E_NOTBORROWED, "return", h, o, file, line, 0,
		             "this proc holds no borrow of it");
		spin_unlock(&borrow_lock);
		return err;
	}
	unrecord(o, found);
	spin_unlock(&borrow_lock);
	return 0;
}

/* The owner-only checks of move and drop: 0, or the refusal. */
static int owner_check(const char *op, bhandle h, struct bobj *o, const char *file, int line)
{
	char why[64];

	if (o == 0 || o->dying)
		return refuse(E_STALE, op, h, o, file, line, 0, "stale handle: moved or dropped");
	if (o->owner != curproc()) {
		ksnprintf(why, sizeof why, "owned by proc %d (%s)", o->owner->pid, o->owner->name);
		return refuse(E_NOTOWNER, op, h, o, file, line, 0, why);
	}
	if (o->recs != NIL) {
		const struct brec *c = &bt.r[o->recs];
		ksnprintf(why, sizeof why, "borrowed %s by", mode_name(c->excl));
		return refuse(E_BORROWED, op, h, o, file, line, c, why);
	}
	return 0;
}

int borrow_move_at(bhandle h, struct proc *to, const char *file, int line)
{
	spin_lock(&borrow_lock);
	struct bobj *o = lookup(h);
	char why[64];
	int err = owner_check("move", h, o, file, line);

	if (err == 0 && (to == 0 || to->state == PROC_DEAD)) {
		ksnprintf(why, sizeof why, "receiver proc %d is dead", to ? to->pid : 0);
		err = refuse(E_NOPROC, "move", h, o, file, line, 0, why);
	}
	if (err == 0) {
		bump_gen(o);	/* every copy of h dies here */
		o->owner = to;
		o->pending = true;
		o->moveseq = ++bt.moveseq;
	}
	spin_unlock(&borrow_lock);
	return err;
}

int borrow_drop_at(bhandle h, const char *file, int line)
{
	spin_lock(&borrow_lock);
	struct bobj *o = lookup(h);
	int err = owner_check("drop", h, o, file, line);

	if (err == 0)
		release_locked(o);
	spin_unlock(&borrow_lock);
	return err;
}

static struct bobj *oldest_pending(const struct proc *p, const struct bclass *cls)
{
	struct bobj *best = 0;

	init_locked();
	for (uint32_t i = 0; i < BORROW_MAXOBJ; i++) {
		struct bobj *o = &bt.o[i];
		if (o->cls && o->pending && o->owner == p && (cls == 0 || o->cls == cls) &&
		    (best == 0 || o->moveseq < best->moveseq))
			best = o;
	}
	return best;
}

int borrow_receive(const struct bclass *cls, bhandle *out)
{
	spin_lock(&borrow_lock);
	struct bobj *o = curproc() ? oldest_pending(curproc(), cls) : 0;

	*out = 0;
	if (o) {
		o->pending = false;
		*out = mkhandle((uint32_t)(o - bt.o));
	}
	spin_unlock(&borrow_lock);
	return o ? 0 : E_NOENT;
}

bool borrow_pending(const struct proc *p, const struct bclass *cls)
{
	spin_lock(&borrow_lock);
	bool yes = oldest_pending(p, cls) != 0;

	spin_unlock(&borrow_lock);
	return yes;
}

void borrow_proc_exit(struct proc *p)
{
	spin_lock(&borrow_lock);
	char desc[32];

	init_locked();
	/* 1. its borrows come back; a dying object may be freed right here */
	for (uint32_t i = 0; i < BORROW_MAXOBJ; i++) {
		struct bobj *o = &bt.o[i];
		uint32_t *link = &o->recs;
		if (o->cls == 0)
			continue;
		describe(o, desc, sizeof desc);
		while (o->cls && *link != NIL) {
			struct brec *r = &bt.r[*link];
			if (r->who != p) {
				link = &r->next;
				continue;
			}
			audit_log(p, "exit-return", i, desc,
			          "returned at exit: %s borrow taken at %s:%d",
			          r->excl ? "exclusive" : "shared", r->file, r->line);
			unrecord(o, link);	/* may release o: the loop test sees cls 0 */
		}
	}
	/* 2. what it owns goes away, later if someone else still borrows it */
	for (uint32_t i = 0; i < BORROW_MAXOBJ; i++) {
		struct bobj *o = &bt.o[i];
		if (o->cls == 0 || o->owner != p)
			continue;
		describe(o, desc, sizeof desc);
		if (o->recs != NIL) {
			const struct brec *c = &bt.r[o->recs];
			audit_log(p, "exit-orphan", i, desc,
			          "owner exited while borrowed %s by proc %d (at %s:%d): freed at "
			          "the last return",
			          mode_name(c->excl), c->who->pid, c->file, c->line);
			o->owner = 0;
			o->dying = true;
			o->pending = false;
			bt.ndying++;
		} else {
			if (o->pending)
				audit_log(p, "exit-drop", i, desc,
				          "moved to it and never received: dropped");
			release_locked(o);
		}
	}
	spin_unlock(&borrow_lock);
}

bool borrow_live(bhandle h)
{
	spin_lock(&borrow_lock);
	struct bobj *o = lookup(h);
	bool live = o && !o->dying;

	spin_unlock(&borrow_lock);
	return live;
}

struct proc *borrow_owner(bhandle h)
{
	spin_lock(&borrow_lock);
	struct bobj *o = lookup(h);
	struct proc *p = o ? o->owner : 0;

	spin_unlock(&borrow_lock);
	return p;
}

void borrow_stats(struct borrow_stats *st)
{
	spin_lock(&borrow_lock);
	st->objects = bt.nobj;
	st->dying = bt.ndying;
	st->borrows = bt.nrec;
	st->refused = bt.refused;
	st->released = bt.released;
	spin_unlock(&borrow_lock);
}

static const char *check_locked(void)
{
	static char why[96];
	size_t nobj = 0, nrec = 0, ndying = 0;

	init_locked();
	for (uint32_t i = 0; i < BORROW_MAXOBJ; i++) {
		const struct bobj *o = &bt.o[i];
		int sh = 0, ex = 0;
		if (o->cls == 0)
			continue;
		nobj++;
		ndying += o->dying;
		for (uint32_t r = o->recs; r != NIL; r = bt.r[r].next) {
			const struct brec *b = &bt.r[r];
			if (b->who == 0 || b->obj != i)
				return "a borrow record on an object's chain is free or names "
				       "another object";
			if (b->who->state == PROC_DEAD) {
				ksnprintf(why, sizeof why, "obj %u is borrowed by dead proc %d", i,
				          b->who->pid);
				return why;
			}
			b->excl ? ex++ : sh++;
			nrec++;
		}
		if (sh != o->nshared || ex != o->excl) {
			ksnprintf(why, sizeof why,
			          "obj %u counts %d shared/%d exclusive, records say %d/%d", i,
			          o->nshared, o->excl, sh, ex);
			return why;
		}
		if (ex > 1 || (ex && sh))
			return "an object is borrowed exclusively and also otherwise";
		if (o->dying ? o->owner != 0 || o->recs == NIL : o->owner == 0)
			return "an object has no owner and is not dying with borrows outstanding";
		if (o->owner && o->owner->state == PROC_DEAD) {
			ksnprintf(why, sizeof why, "obj %u is owned by dead proc %d", i,
			          o->owner->pid);
			return why;
		}
	}
	if (nobj != bt.nobj || nrec != bt.nrec || ndying != bt.ndying)
		return "the table's counts disagree with its slots";
	return 0;
}

const char *borrow_check(void)
{
	spin_lock(&borrow_lock);
	const char *err = check_locked();

	spin_unlock(&borrow_lock);
	return err;
}
