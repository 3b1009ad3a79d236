/*
 * The 9P client's fids and reconnection (see mntsess.h).
 *
 * A fid is remembered by its path from the attach root and the mode it
 * was opened with, so when the connection breaks the first operation
 * that needs the wire redials (10 ms doubling to 1 s between attempts,
 * MNT_DIAL_TRIES of them), versions, attaches fid 0 again, and re-walks
 * and re-opens every fid the server knew.  A fid whose file is gone (or
 * that cannot be opened as before) is marked stale: it answers E_STALE
 * from then on, and its number is free.  Only one proc redials; the
 * others sleep until it is done, and then see its result.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include "mntsess.h"
#include <lux/string.h>
#include <lux/timer.h>

/* The table is changed under mnt_lock: on metal a proc can be
 * preempted anywhere, and two must never take the same number. */
int mnt_fid_number(struct mnt_sess *s, struct mnt_fid *f)
{
	spin_lock(&mnt_lock);
	for (uint32_t i = 1; i < MNT_MAXFID; i++)
		if (s->fids[i] == 0) {
			s->fids[i] = f;
			spin_unlock(&mnt_lock);
			return (int)i;
		}
	spin_unlock(&mnt_lock);
	return proc_seterr(E_MFILE, "9p: %s: too many fids: %d/%d on this mount", s->addr,
	                   MNT_MAXFID - 1, MNT_MAXFID - 1);
}

void mnt_fid_release_locked(struct mnt_sess *s, uint32_t fid)
{
	if (fid > 0 && fid < MNT_MAXFID)
		s->fids[fid] = 0;
}

void mnt_fid_release(struct mnt_sess *s, uint32_t fid)
{
	spin_lock(&mnt_lock);
	mnt_fid_release_locked(s, fid);
	spin_unlock(&mnt_lock);
}

uint32_t mnt_lflags(int omode)
{
	static const uint32_t acc[4] = { 0, 1, 2, 0 };	/* O_RDONLY O_WRONLY O_RDWR; exec reads */
	uint32_t fl = acc[omode & OMODE];

	if (omode & OTRUNC)
		fl |= 01000;	/* Linux O_TRUNC */
	return fl;
}

int mnt_walk_path(struct mnt_sess *s, uint32_t newfid, const char *path, struct qid *qid,
                  bool setup)
{
	static const int maxnames = LUX_PATHMAX / 2;
	char *copy = kmalloc(LUX_PATHMAX);
	const char **names = kmalloc(sizeof(char *) * (size_t)maxnames);
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TWALK }, r;
	uint32_t from = 0;
	int n, done = 0, err = 0;

	if (copy == 0 || names == 0) {
		err = E_NOMEM;
		goto out;
	}
	if ((n = mnt_split_path(path, copy, LUX_PATHMAX, names, maxnames)) < 0) {
		err = n;
		goto out;
	}
	if (qid)
		*qid = s->rootqid;
	/* Up to 16 names per Twalk; the first makes newfid, the rest move it. */
	do {
		int k = n - done > P9_MAXWELEM ? P9_MAXWELEM : n - done;
		t.u.twalk.fid = from;
		t.u.twalk.newfid = newfid;
		t.u.twalk.nwname = (uint16_t)k;
		for (int i = 0; i < k; i++)
			t.u.twalk.wname[i] = p9_str_c(names[done + i]);
		err = mnt_rpc(s, &t, rbuf, sizeof rbuf, &r, setup);
		if (err == 0 && r.u.rwalk.nwqid < k) {
			/* walk(5): a partial walk makes no newfid -- but diod
			 * (1.0.24) makes one for the part walked, and would keep
			 * it for the life of the connection; clunk it, and a
			 * correct server just answers "unknown fid" */
			err = E_NOENT;
			if (from != newfid) {
				struct p9_msg c = { .type = P9_TCLUNK, .u.tfid.fid = newfid };
				if (mnt_rpc(s, &c, rbuf, sizeof rbuf, &r, setup) == MNT_E_BROKEN)
					err = MNT_E_BROKEN;
			}
		}
		if (err < 0) {
			if (from == newfid && err != MNT_E_BROKEN) {
				/* newfid still names the part walked: clunk it */
				struct p9_msg c = { .type = P9_TCLUNK, .u.tfid.fid = newfid };
				mnt_rpc(s, &c, rbuf, sizeof rbuf, &r, setup);
			}
			goto out;
		}
		if (k > 0 && qid)
			*qid = r.u.rwalk.wqid[k - 1];
		from = newfid;
		done += k;
	} while (done < n);
out:
	kfree(copy);
	kfree(names);
	return err;
}

/* ---- Redialing --------------------------------------------------------- */

/* The afid of an authenticated mount: a number no fid of ours takes. */
#define MNT_AFID (MNT_MAXFID + 1)

static int attach(struct mnt_sess *s)
{
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TATTACH,
		            .u.tattach = { 0, P9_NOFID, p9_str_c(s->uname), p9_str_c(s->aname),
		                           s->n_uname } },
		      r;
	int err;

	if (s->key[0]) {	/* mount -k: prove who we are first (mnt_auth.c) */
		if ((err = mnt_authenticate(s, MNT_AFID)) < 0)
			return err;
		t.u.tattach.afid = MNT_AFID;
		t.u.tattach.n_uname = P9_NONUNAME;
	}
	err = mnt_rpc(s, &t, rbuf, sizeof rbuf, &r, true);
	if (err == 0 && s->key[0]) {
		/* the Rattach was the last message in the clear: from here on
		 * records, both ways (nothing else is in flight during setup) */
		spin_lock(&mnt_lock);
		s->secure = true;
		spin_unlock(&mnt_lock);
	}
	if (err == 0)
		s->rootqid = r.u.rqid.qid;
	else if (err != MNT_E_BROKEN)
		err = proc_seterr(err, "9p: %s: attach to '%s' refused: %s", s->addr, s->aname,
		                  lux_errstr(err));
	return err;
}

/* Re-walk fid n (and re-open it) on the new connection.  0, MNT_E_BROKEN,
 * or another error: the fid is stale. */
static int restore(struct mnt_sess *s, uint32_t n, struct mnt_fid *f)
{
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TLOPEN }, r;
	char *path = kstrdup(f->path);
	int omode = f->omode, err;

	if (path == 0)
		return E_NOMEM;
	err = mnt_walk_path(s, n, path, 0, true);	/* f may be closed meanwhile */
	kfree(path);
	if (err == 0 && omode >= 0) {
		t.u.tlopen.fid = n;
		t.u.tlopen.flags = mnt_lflags(omode & ~OTRUNC);	/* not a second time */
		err = mnt_rpc(s, &t, rbuf, sizeof rbuf, &r, true);
		if (err < 0 && err != MNT_E_BROKEN) {
			struct p9_msg c = { .type = P9_TCLUNK, .u.tfid.fid = n };
			mnt_rpc(s, &c, rbuf, sizeof rbuf, &r, true);
		}
	}
	return err;
}

/* Restore every fid; stale the ones that cannot be.  0 or MNT_E_BROKEN. */
static int restore_all(struct mnt_sess *s)
{
	uint8_t *walked = kzalloc(MNT_MAXFID);
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg r;
	int err = 0;

	if (walked == 0)
		return E_NOMEM;
	for (uint32_t n = 1; n < MNT_MAXFID && err != MNT_E_BROKEN; n++) {
		struct mnt_fid *f = s->fids[n];
		if (f == 0 || f == MNT_ZOMBIE || f == MNT_TEMP)
			continue;
		err = restore(s, n, f);
		if (err == MNT_E_BROKEN || err == E_NOMEM || err == E_INTR)
			break;
		if (s->fids[n] != f) {	/* closed while we walked it */
			if (err == 0)
				walked[n] = 1;
			err = 0;
			continue;
		}
		if (err < 0) {
			f->stale = true;
			f->fid = P9_NOFID;
			s->fids[n] = 0;
			kprintf("9p: mount %s: /%s is stale: %s\n", s->addr, f->path,
			        lux_errstr(err));
			err = 0;
		}
	}
	/* Fids closed while down: forget them, or clunk those walked above. */
	for (uint32_t n = 1; n < MNT_MAXFID && err == 0; n++) {
		if (s->fids[n] != MNT_ZOMBIE && !(walked[n] && s->fids[n] == 0))
			continue;
		if (walked[n]) {
			struct p9_msg c = { .type = P9_TCLUNK, .u.tfid.fid = n };
			err = mnt_rpc(s, &c, rbuf, sizeof rbuf, &r, true);
			if (err == MNT_E_BROKEN)
				break;
			err = 0;
		}
		if (s->fids[n] == MNT_ZOMBIE)
			s->fids[n] = 0;
	}
	kfree(walked);
	return err;
}

/* One attempt: dial, version, attach, restore.  0 or an error (errstr). */
static int redial_once(struct mnt_sess *s)
{
	struct ktimer timer = { 0 };	/* ktimer_start reads armed */
	int err;

	s->timedout = false;
	ktimer_start(&timer, arch_time_ns() + MNT_SETUP_NS, mnt_setup_expired, s);
	err = mnt_connect(s);

	if (err == 0 && (err = attach(s)) < 0 && err != MNT_E_BROKEN && err != E_INTR) {
		/* the server is there but refuses the tree: nothing can be restored */
		for (uint32_t n = 1; n < MNT_MAXFID; n++) {
			struct mnt_fid *f = s->fids[n];
			if (f == 0 || f == MNT_ZOMBIE || f == MNT_TEMP)
				continue;
			f->stale = true;
			f->fid = P9_NOFID;
		}
		for (uint32_t n = 1; n < MNT_MAXFID; n++)
			s->fids[n] = 0;	/* zombies and temps: the server has none of them */
	}
	if (err == 0)
		err = restore_all(s);
	ktimer_cancel(&timer);
	spin_lock(&mnt_lock);
	if (err == 0 && s->state == MS_SETUP)
		s->state = MS_UP;
	else if (err == 0)
		err = MNT_E_BROKEN;	/* it broke under us */
	spin_unlock(&mnt_lock);
	if (err < 0) {
		mnt_break(s, s->gen, "setting up failed");
		if (s->timedout && err != E_INTR)
			err = proc_seterr(E_IO, "9p: %s: no answer within %llu s while setting up",
			                  s->addr, MNT_SETUP_NS / 1000000000ull);
		else if (err == MNT_E_BROKEN)
			err = proc_seterr(E_IO,
			                  "9p: %s: the connection broke while setting up (%s)",
			                  s->addr, s->why);
	}
	return err;
}

static bool redial_over(void *arg)
{
	return !((struct mnt_sess *)arg)->redialing;
}

int mnt_ensure_up(struct mnt_sess *s, int tries)
{
	uint64_t backoff = MNT_BACKOFF_MIN_NS;
	bool other;
	int err = 0;

	if (s->state == MS_UP)
		return 0;
	spin_lock(&mnt_lock);	/* test and take, with no preemption between */
	other = s->redialing;
	s->redialing = true;
	spin_unlock(&mnt_lock);
	if (other) {
		if ((err = sleep_on(&s->wq, redial_over, s)) < 0)
			return err;
		if (s->state == MS_UP)
			return 0;
		return proc_seterr(s->redial_err ? s->redial_err : E_IO,
		                   "9p: %s: reconnecting failed", s->addr);
	}
	for (int i = 0; i < tries; i++) {
		if (i > 0) {
			if ((err = tsleep_ns(backoff)) < 0)
				break;
			backoff = backoff * 2 > MNT_BACKOFF_MAX_NS ? MNT_BACKOFF_MAX_NS
			                                           : backoff * 2;
		}
		if ((err = redial_once(s)) == 0 || err == E_INTR)
			break;
	}
	s->redialing = false;
	s->redial_err = err;
	wakeup(&s->wq);
	if (err < 0 && err != E_INTR && tries > 1)
		kprintf("9p: mount %s: cannot reconnect after %d attempts: %s\n", s->addr, tries,
		        proc_errstr(err));
	return err;
}
