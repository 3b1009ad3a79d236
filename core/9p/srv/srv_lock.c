/*
 * Advisory byte-range locks for 9P2000.L's Tlock and Tgetlock, with
 * fcntl(2) semantics: an owner (a connection and the client's proc_id)
 * holds read or write locks on ranges of a file; a read lock conflicts
 * with another owner's write lock, a write lock with any other owner's
 * lock; an owner's new lock replaces its own locks on that range, and an
 * unlock may cut one in two.  Nothing else in the kernel looks at them
 * (advisory), and they go when the owner unlocks, its connection ends or
 * it starts a new session.
 *
 * Blocking: a conflicting Tlock is answered BLOCKED at once, with or
 * without P9_LOCK_FLAGS_BLOCK; the Linux client then waits and asks
 * again (that is how v9fs implements F_SETLKW), so no request of ours
 * ever sleeps holding a connection.
 *
 * Bounded: NINEP_MAXLOCKS entries for the whole server and
 * NINEP_CONNLOCKS per connection, so one client cannot take them all from
 * the others; a lock that would need more is refused with ENOLCK, before
 * anything changed.
 */
#include "9psrv.h"
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/string.h>

struct lk {
	bool used;
	const struct dev *dev;	/* the file: as chan_same_file compares */
	uint64_t qpath;
	void *aux;
	struct ninep_conn *conn;	/* the owner */
	uint32_t proc_id;
	uint8_t type;		/* P9_LOCK_TYPE_RDLCK or _WRLCK */
	uint64_t start, end;	/* inclusive */
};

static struct lk locks[NINEP_MAXLOCKS];
/* locks[]: every connection's byte-range locks (a qlock: only workers
 * and the end job touch them) */
static struct qlock lklock = QLOCK_INIT(lklock, "9plocks");

static bool same_file(const struct lk *l, const struct chan *c)
{
	return l->used && l->dev == c->dev && l->qpath == c->qid.path && l->aux == c->aux;
}

static bool mine(const struct lk *l, const struct ninep_conn *s, uint32_t pid)
{
	return l->conn == s && l->proc_id == pid;
}

/* [start, start + length): length 0 is "to the end of the file". */
static int range(uint64_t start, uint64_t length, uint64_t *end)
{
	if (length == 0) {
		*end = ~0ull;
		return 0;
	}
	if (length - 1 > ~0ull - start)
		return E_INVAL;
	*end = start + length - 1;
	return 0;
}

static struct lk *conflict(const struct chan *c, const struct ninep_conn *s, uint32_t pid,
                           uint8_t type, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < NINEP_MAXLOCKS; i++) {
		struct lk *l = &locks[i];
		if (!same_file(l, c) || mine(l, s, pid) || l->end < start || l->start > end)
			continue;
		if (type == P9_LOCK_TYPE_WRLCK || l->type == P9_LOCK_TYPE_WRLCK)
			return l;
	}
	return 0;
}

static struct lk *free_slot(void)
{
	for (size_t i = 0; i < NINEP_MAXLOCKS; i++)
		if (!locks[i].used)
			return &locks[i];
	return 0;
}

static size_t free_slots(void)
{
	size_t n = 0;

	for (size_t i = 0; i < NINEP_MAXLOCKS; i++)
		n += !locks[i].used;
	return n;
}

/* 1 if one of the owner's locks strictly contains [start, end] (cut
 * splits it and needs a slot), else 0. */
static size_t splits(const struct chan *c, const struct ninep_conn *s, uint32_t pid, uint64_t start,
                     uint64_t end)
{
	for (size_t i = 0; i < NINEP_MAXLOCKS; i++) {
		const struct lk *l = &locks[i];
		if (same_file(l, c) && mine(l, s, pid) && l->start < start && l->end > end)
			return 1;
	}
	return 0;
}

static size_t held_by(const struct ninep_conn *s)
{
	size_t n = 0;

	for (size_t i = 0; i < NINEP_MAXLOCKS; i++)
		n += locks[i].used && locks[i].conn == s;
	return n;
}

/* Take [start, end] out of the owner's locks on c.  Needs at most one
 * free slot (the owner's locks never overlap, so at most one contains
 * the range strictly and is cut in two); the caller made sure. */
static void cut(const struct chan *c, struct ninep_conn *s, uint32_t pid, uint64_t start,
                uint64_t end)
{
	for (size_t i = 0; i < NINEP_MAXLOCKS; i++) {
		struct lk *l = &locks[i], *r;
		if (!same_file(l, c) || !mine(l, s, pid) || l->end < start || l->start > end)
			continue;
		if (l->start < start && l->end > end) {
			r = free_slot();
			*r = *l;
			r->start = end + 1;
			l->end = start - 1;
		} else if (l->start < start) {
			l->end = start - 1;
		} else if (l->end > end) {
			l->start = end + 1;
		} else {
			l->used = false;
		}
	}
}

int ninep_rlock(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tlock.fid);
	uint8_t type = t->u.tlock.type;
	uint32_t pid = t->u.tlock.proc_id;
	uint64_t start = t->u.tlock.start, end;
	struct lk *l;
	size_t need;
	int err = 0;

	if (f == 0)
		return NINEP_E_NOFID;
	if (type > P9_LOCK_TYPE_UNLCK || (t->u.tlock.flags & ~3u))
		return E_INVAL;
	if ((err = range(start, t->u.tlock.length, &end)) < 0)
		return err;
	qlock(&lklock);
	/* slots this needs: the new lock, and one if it cuts a lock in two */
	need = splits(f->c, s, pid, start, end) + (type != P9_LOCK_TYPE_UNLCK);
	if (type != P9_LOCK_TYPE_UNLCK && conflict(f->c, s, pid, type, start, end)) {
		r->u.rlock.status = P9_LOCK_BLOCKED;
	} else if (need > free_slots() || held_by(s) + need > NINEP_CONNLOCKS) {
		err = NINEP_E_LOCKS;	/* refused before anything changed */
	} else {
		cut(f->c, s, pid, start, end);
		if (type != P9_LOCK_TYPE_UNLCK) {
			l = free_slot();
			*l = (struct lk){ true, f->c->dev, f->c->qid.path, f->c->aux, s,
				          pid,  type,      start,          end };
		}
		r->u.rlock.status = P9_LOCK_SUCCESS;
	}
	qunlock(&lklock);
	return err;
}

int ninep_rgetlock(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct ninep_fid *f = ninep_fid_get(s, t->u.tgetlock.fid);
	uint8_t type = t->u.tgetlock.type;
	uint64_t start = t->u.tgetlock.start, end;
	struct lk *l;
	int err;

	if (f == 0)
		return NINEP_E_NOFID;
	if (type > P9_LOCK_TYPE_WRLCK)
		return E_INVAL;	/* F_GETLK asks about a read or a write lock */
	if ((err = range(start, t->u.tgetlock.length, &end)) < 0)
		return err;
	/* fcntl(F_GETLK): the first lock in the way, or UNLCK and the
	 * request echoed */
	r->u.rgetlock.type = P9_LOCK_TYPE_UNLCK;
	r->u.rgetlock.start = start;
	r->u.rgetlock.length = t->u.tgetlock.length;
	r->u.rgetlock.proc_id = t->u.tgetlock.proc_id;
	r->u.rgetlock.client_id = t->u.tgetlock.client_id;
	qlock(&lklock);
	if ((l = conflict(f->c, s, t->u.tgetlock.proc_id, type, start, end)) != 0) {
		r->u.rgetlock.type = l->type;
		r->u.rgetlock.start = l->start;
		r->u.rgetlock.length = l->end == ~0ull ? 0 : l->end - l->start + 1;
		r->u.rgetlock.proc_id = l->proc_id;
		r->u.rgetlock.client_id = p9_str_c("");
	}
	qunlock(&lklock);
	return 0;
}

void ninep_locks_drop(struct ninep_conn *s)
{
	qlock(&lklock);
	for (size_t i = 0; i < NINEP_MAXLOCKS; i++)
		if (locks[i].used && locks[i].conn == s)
			locks[i].used = false;
	qunlock(&lklock);
}
