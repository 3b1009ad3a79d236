/*
 * The 9P client's sessions: the mount table, the dialed connection's
 * upcalls, and RPCs multiplexed by tag (see mntsess.h for who owns
 * what).  Many procs share a session: each takes a free tag, sends, and
 * sleeps until the receive upcall has copied its reply into its buffer;
 * it then checks the reply itself.  Anything wrong in the stream (a size
 * field past msize, an unknown tag, a reply too big for its request, the
 * wrong type) ends that caller's request with an error and breaks the
 * connection; the others see MNT_E_BROKEN and redial (mnt_fid.c).
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include "mntsess.h"
#include <lux/string.h>
#include <lux/timer.h>
#include <lux/users.h>

static struct mnt_sess *sessions[MNT_MAXMOUNT];
struct spinlock mnt_lock = SPINLOCK_INIT("mnt");	/* mntsess.h says what it covers */

static struct mnt_sess *sess_of(int conn)
{
	if (conn < 0)
		return 0;
	for (size_t i = 0; i < MNT_MAXMOUNT; i++)
		if (sessions[i] && sessions[i]->conn == conn)
			return sessions[i];
	return 0;
}

/* ---- Breaking ---------------------------------------------------------- */

/* mnt_lock held.  Ends every RPC in flight and closes. */
static void break_locked(struct mnt_sess *s, const char *why)
{
	if (s->state == MS_DOWN)
		return;
	s->state = MS_DOWN;
	s->gen++;
	kstrlcpy(s->why, why, sizeof s->why);
	for (size_t i = 0; i < MNT_MAXTAG; i++)
		if (s->tags[i] && !s->tags[i]->done) {
			s->tags[i]->err = MNT_E_BROKEN;
			s->tags[i]->done = true;
		}
	if (s->vrpc && !s->vrpc->done) {
		s->vrpc->err = MNT_E_BROKEN;
		s->vrpc->done = true;
	}
	s->inlen = 0;
	if (s->conn >= 0)
		arch_conn_close(s->conn);	/* lux_dial_closed clears conn */
	wakeup(&s->wq);
}

void mnt_break(struct mnt_sess *s, uint32_t gen, const char *why)
{
	spin_lock(&mnt_lock);
	if (s->gen == gen && s->state != MS_DOWN) {
		kprintf("9p: mount %s: %s; will reconnect\n", s->addr, why);
		break_locked(s, why);
	}
	spin_unlock(&mnt_lock);
}

/* ---- Upcalls: copy, match by tag, wake; never allocate or block ------- */

void lux_dial_connected(int conn, int err)
{
	struct mnt_sess *s;

	spin_lock(&mnt_lock);
	if ((s = sess_of(conn)) != 0) {
		s->dialed = true;
		s->dial_err = err;
		if (err < 0)
			s->conn = -1;	/* the id is free already */
		wakeup(&s->wq);
	}
	spin_unlock(&mnt_lock);
}

static void received_locked(struct mnt_sess *s, const void *buf, size_t n);

void lux_dial_received(int conn, const void *buf, size_t n)
{
	struct mnt_sess *s;

	spin_lock(&mnt_lock);
	s = sess_of(conn);
	if (s && s->state != MS_DOWN && s->in != 0)
		received_locked(s, buf, n);
	spin_unlock(&mnt_lock);
}

static void received_locked(struct mnt_sess *s, const void *buf, size_t n)
{
	struct mnt_bad bad;
	char why[96];
	int r;

	if (s->secure) {	/* records: open what is whole into in (mnt_auth.c) */
		const char *dead = mnt_sealed_received(s, buf, n);
		if (dead) {
			kprintf("9p: mount %s: %s; will reconnect\n", s->addr, dead);
			break_locked(s, dead);
			return;
		}
	} else if (n > MNT_INBUF - s->inlen) {	/* the arch broke LUX_CONN_CHUNK */
		break_locked(s, "the arch delivered more than LUX_CONN_CHUNK");
		return;
	} else {
		kmemcpy(s->in + s->inlen, buf, n);
		s->inlen += n;
	}
	r = mnt_take(s->in, &s->inlen, s->msize, s->tags, MNT_MAXTAG, s->vrpc, &bad);
	if (r == P9_E_TAG)
		ksnprintf(why, sizeof why, "a reply (%s) with tag %u, which no request has",
		          p9_type_name(bad.type), bad.tag);
	else if (r == P9_E_COUNT)
		ksnprintf(why, sizeof why, "a %u-byte %s, more than the request allows", bad.size,
		          p9_type_name(bad.type));
	else if (r < 0)
		ksnprintf(why, sizeof why, "a reply whose size field says %u bytes (msize %u)",
		          bad.size, s->msize);
	if (r < 0) {
		kprintf("9p: mount %s: %s; will reconnect\n", s->addr, why);
		break_locked(s, why);
	}
	wakeup(&s->wq);
}

void lux_dial_closed(int conn)
{
	struct mnt_sess *s;

	spin_lock(&mnt_lock);
	if ((s = sess_of(conn)) != 0) {
		s->conn = -1;
		break_locked(s, "the server hung up");
		wakeup(&s->wq);
	}
	spin_unlock(&mnt_lock);
}

void lux_dial_sent(int conn, size_t queued)
{
	struct mnt_sess *s;

	spin_lock(&mnt_lock);
	if ((s = sess_of(conn)) != 0) {
		s->queued = queued;
		if (queued <= MNT_SENDLOW)
			wakeup(&s->wq);
	}
	spin_unlock(&mnt_lock);
}

/* ---- The table ---------------------------------------------------------- */

struct mnt_sess *mnt_sess_new(const char *addr, const char *aname, const char *key, int *err)
{
	struct mnt_sess *s;
	int slot = -1;

	if (kstrnlen(addr, MNT_ADDRMAX + 1) > MNT_ADDRMAX ||
	    kstrnlen(aname, MNT_ANAMEMAX + 1) > MNT_ANAMEMAX) {
		*err = proc_seterr(E_NAMETOOLONG, "mount: address over %d or aname over %d bytes",
		                   MNT_ADDRMAX, MNT_ANAMEMAX);
		return 0;
	}
	if ((s = kzalloc(sizeof *s)) == 0 || (s->in = kmalloc(MNT_INBUF)) == 0) {
		kfree(s);
		*err = E_NOMEM;
		return 0;
	}
	s->ref = 1;
	s->conn = -1;
	s->state = MS_DOWN;
	s->msize = MNT_MSIZE;
	waitq_init(&s->wq);
	kstrlcpy(s->addr, addr, sizeof s->addr);
	kstrlcpy(s->aname, aname, sizeof s->aname);
	kstrlcpy(s->key, key ? key : "", sizeof s->key);
	kstrlcpy(s->uname, curproc()->cred.user, sizeof s->uname);
	if (user_id(s->uname, &s->n_uname) < 0)
		s->n_uname = P9_NONUNAME;
	spin_lock(&mnt_lock);
	for (int i = 0; i < MNT_MAXMOUNT && slot < 0; i++)
		if (sessions[i] == 0)
			slot = i;
	if (slot >= 0) {
		s->slot = slot;
		sessions[slot] = s;
	}
	spin_unlock(&mnt_lock);
	if (slot < 0) {
		kfree(s->in);
		kfree(s);
		*err = proc_seterr(E_MFILE, "mount: too many 9P mounts: %d/%d", MNT_MAXMOUNT,
		                   MNT_MAXMOUNT);
		return 0;
	}
	return s;
}

static bool conn_gone(void *arg)
{
	return ((struct mnt_sess *)arg)->conn < 0;
}

void mnt_sess_put(struct mnt_sess *s)
{
	uint8_t *in;

	if (s == 0 || __atomic_sub_fetch(&s->ref, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	spin_lock(&mnt_lock);
	if (s->conn >= 0) {
		s->state = MS_UP;	/* so break_locked closes it */
		break_locked(s, "unmounted");
	}
	spin_unlock(&mnt_lock);
	/* the upcalls write into s until the arch says the id is free */
	sleep_on_unint(&s->wq, conn_gone, s);
	spin_lock(&mnt_lock);
	sessions[s->slot] = 0;
	in = s->in;
	s->in = 0;
	mnt_sealed_reset(s);
	spin_unlock(&mnt_lock);
	kfree(in);
	kfree(s->raw);
	kfree(s);
}

/* ---- RPCs --------------------------------------------------------------- */

struct waitarg {
	struct mnt_sess *s;
	struct mnt_rpc *rpc, *rpc2;
};

static bool tag_free(void *arg)
{
	struct mnt_sess *s = arg;

	if (s->state == MS_DOWN)
		return true;
	for (size_t i = 0; i < MNT_MAXTAG; i++)
		if (s->tags[i] == 0)
			return true;
	return false;
}

static bool rpc_done(void *arg)
{
	struct waitarg *w = arg;

	return w->rpc->done || (w->rpc2 && w->rpc2->done);
}

/* Room to queue on connection gen, or that connection is gone. */
struct sendwait {
	struct mnt_sess *s;
	uint32_t gen;
};

static bool send_room(void *arg)
{
	struct sendwait *w = arg;

	return w->s->state == MS_DOWN || w->s->gen != w->gen || w->s->queued <= MNT_SENDLOW;
}

/* A wait that must not outlast a silent server: when it fires, the
 * connection of generation gen is broken, which ends every RPC on it. */
struct bound {
	struct ktimer t;
	struct mnt_sess *s;
	uint32_t gen;
	const char *why;
};

static void bound_expired(void *arg)
{
	struct bound *b = arg;

	mnt_break(b->s, b->gen, b->why);	/* records, closes and wakes: fine in the upcall */
}

static void bound_start(struct bound *b, struct mnt_sess *s, uint32_t gen, uint64_t ns,
                        const char *why)
{
	b->s = s;
	b->gen = gen;
	b->why = why;
	b->t.armed = false;
	ktimer_start(&b->t, arch_time_ns() + ns, bound_expired, b);
}

/* Take a free tag for rpc if there is one: 0, MNT_E_BROKEN, or 1 when
 * all are in flight. */
static int try_tag(struct mnt_sess *s, struct mnt_rpc *rpc, bool setup, uint32_t *gen)
{
	spin_lock(&mnt_lock);
	if (s->state == MS_DOWN || (s->state == MS_SETUP && !setup)) {
		spin_unlock(&mnt_lock);
		return MNT_E_BROKEN;
	}
	for (uint16_t i = 0; i < MNT_MAXTAG; i++)
		if (s->tags[i] == 0) {
			rpc->tag = i;
			rpc->done = false;
			rpc->err = 0;
			s->tags[i] = rpc;
			*gen = s->gen;
			spin_unlock(&mnt_lock);
			return 0;
		}
	spin_unlock(&mnt_lock);
	return 1;
}

/* Take a tag for rpc (sleeping while all are in flight): 0, E_INTR or
 * MNT_E_BROKEN. */
static int take_tag(struct mnt_sess *s, struct mnt_rpc *rpc, bool setup, uint32_t *gen)
{
	int err;

	while ((err = try_tag(s, rpc, setup, gen)) == 1)
		if ((err = sleep_on(&s->wq, tag_free, s)) < 0)
			return err;
	return err;
}

static void drop_tag(struct mnt_sess *s, struct mnt_rpc *rpc)
{
	spin_lock(&mnt_lock);
	if (s->tags[rpc->tag] == rpc)
		s->tags[rpc->tag] = 0;
	spin_unlock(&mnt_lock);
	wakeup(&s->wq);	/* a tag is free */
}

/* Queue n bytes of buf on connection gen, waiting first while the
 * server is not reading what we already sent.  0, MNT_E_BROKEN, or
 * E_INTR (intr: a kill ends the wait; nothing was sent). */
static int send(struct mnt_sess *s, const uint8_t *buf, size_t n, uint32_t gen, bool intr)
{
	struct sendwait w = { s, gen };
	long q;
	int err;

	if (s->queued > MNT_SENDHIGH) {
		if (!intr)
			sleep_on_unint(&s->wq, send_room, &w);
		else if ((err = sleep_on(&s->wq, send_room, &w)) < 0)
			return err;
	}
	spin_lock(&mnt_lock);
	if (s->gen != gen || s->state == MS_DOWN) {
		spin_unlock(&mnt_lock);
		return MNT_E_BROKEN;
	}
	/* sealed: sequence numbers follow the order of sends, so seal and
	 * queue with upcalls off, as one */
	q = s->secure ? mnt_sealed_send(s, buf, n) : arch_conn_send(s->conn, buf, n);
	if (q < 0) {
		spin_unlock(&mnt_lock);
		mnt_break(s, gen, "cannot queue a request");
		return MNT_E_BROKEN;
	}
	s->queued = (size_t)q;
	spin_unlock(&mnt_lock);
	return 0;
}

/* A tag for a flush of a request on connection gen, or that connection
 * is gone (and the request with it). */
static bool flush_tag_free(void *arg)
{
	struct sendwait *w = arg;

	return w->s->gen != w->gen || tag_free(w->s);
}

/* The caller was killed while waiting: Tflush(oldtag) and wait, without
 * interruption, for the Rflush.  flush(5): the old request may still be
 * answered before it (that reply lands in old, and is dropped), and only
 * after Rflush may oldtag be used again -- so old keeps its tag till then.
 * A server that does not answer the Tflush within MNT_FLUSH_NS (or takes
 * that long to let us send it) loses the connection: that ends old and
 * frees every tag, and a killed proc never waits on a silent server. */
static void flush(struct mnt_sess *s, struct mnt_rpc *old, uint32_t gen)
{
	uint8_t buf[P9_HDRSZ + 2], rbuf[MNT_SMALL];
	struct mnt_rpc fl = { .ttype = P9_TFLUSH, .rbuf = rbuf, .rcap = sizeof rbuf };
	struct p9_msg t = { .type = P9_TFLUSH, .u.tflush.oldtag = old->tag };
	struct waitarg w = { s, &fl, 0 };
	struct sendwait sw = { s, gen };
	struct bound b;
	uint32_t fgen;
	int n, err;

	bound_start(&b, s, gen, MNT_FLUSH_NS, "no Rflush within 5 s");
	while ((err = try_tag(s, &fl, true, &fgen)) == 1 && s->gen == gen)
		sleep_on_unint(&s->wq, flush_tag_free, &sw);
	if (err == 0) {
		t.tag = fl.tag;
		n = p9_encode(&t, buf, sizeof buf, P9_2000L);
		if (fgen == gen && n > 0 && send(s, buf, (size_t)n, gen, false) == 0)
			sleep_on_unint(&s->wq, rpc_done, &w);
		drop_tag(s, &fl);
	}
	/* else: broken, or a new connection: old is done too */
	ktimer_cancel(&b.t);	/* it lives on this stack */
}

static int protocol_error(struct mnt_sess *s, uint32_t gen, int err, const struct p9_msg *r,
                          uint8_t ttype)
{
	char why[96], detail[80];

	if (err == P9_E_TYPE)
		ksnprintf(detail, sizeof detail, "%s answered with %s", p9_type_name(ttype),
		          p9_type_name(r->type));
	else
		p9_explain(detail, sizeof detail, err, r);
	ksnprintf(why, sizeof why, "bad reply: %s", detail);
	mnt_break(s, gen, why);
	return proc_seterr(E_IO, "9p: %s: %s", s->addr, why);
}

bool mnt_once_only(const struct p9_msg *t)
{
	switch (t->type) {
	case P9_TWRITE:
	case P9_TLCREATE:
	case P9_TMKDIR:
	case P9_TSYMLINK:
	case P9_TMKNOD:
	case P9_TLINK:
	case P9_TRENAME:
	case P9_TRENAMEAT:
	case P9_TUNLINKAT:
	case P9_TREMOVE:
	case P9_TCREATE:
	case P9_TWSTAT:
	case P9_TXATTRCREATE: return true;
	case P9_TLOPEN: return (t->u.tlopen.flags & 01000) != 0; /* Linux O_TRUNC */
	case P9_TSETATTR: return (t->u.tsetattr.valid & P9_SETATTR_SIZE) != 0;
	default: return false;
	}
}

/* The connection broke after t had been queued, before its reply (why is
 * on the console already, from mnt_break). */
static int in_doubt(struct mnt_sess *s, const struct p9_msg *t)
{
	proc_seterr(E_IO,
	            "9p: %s: %s in flight at a disconnect: may have been applied, "
	            "not resent",
	            s->addr, p9_type_name(t->type));
	return MNT_E_INDOUBT;
}

int mnt_rpc(struct mnt_sess *s, struct p9_msg *t, uint8_t *rbuf, size_t rcap, struct p9_msg *r,
            bool setup)
{
	uint8_t small[MNT_TBUF], *tbuf = small;
	size_t tcap = sizeof small;
	struct mnt_rpc rpc = { .ttype = t->type, .rbuf = rbuf, .rcap = rcap };
	struct waitarg w = { s, &rpc, 0 };
	struct bound b;
	uint32_t gen;
	int n, err;

	if (t->type == P9_TWRITE) {
		tcap = s->msize;
		if ((tbuf = kmalloc(tcap)) == 0)
			return E_NOMEM;
	}
	if ((err = take_tag(s, &rpc, setup, &gen)) < 0)
		goto out;
	t->tag = rpc.tag;
	n = p9_encode(t, tbuf, tcap, P9_2000L);
	if (n < 0) {
		drop_tag(s, &rpc);
		err = proc_seterr(E_INVAL, "9p: cannot encode %s: %s", p9_type_name(t->type),
		                  p9_strerror(n));
		goto out;
	}
	if ((err = send(s, tbuf, (size_t)n, gen, true)) < 0) {
		drop_tag(s, &rpc);
		goto out;
	}
	/* a clunk is often made by a proc nobody can kill (a 9P connection
	 * ending closes its fids in its reader): bound it.  Breaking the
	 * connection clunks every fid on the server, this one included. */
	if (t->type == P9_TCLUNK)
		bound_start(&b, s, gen, MNT_CLUNK_NS, "no Rclunk within 5 s");
	err = sleep_on(&s->wq, rpc_done, &w);
	if (t->type == P9_TCLUNK)
		ktimer_cancel(&b.t);
	if (err < 0) {
		flush(s, &rpc, gen);
		drop_tag(s, &rpc);
		goto out;
	}
	drop_tag(s, &rpc);
	if ((err = rpc.err) < 0) {
		/* It left: only a request that may run twice is resent.  (One
		 * that never left -- no tag yet, or send refused -- took the
		 * MNT_E_BROKEN exits above and is resent after the redial.) */
		if (err == MNT_E_BROKEN && !setup && mnt_once_only(t))
			err = in_doubt(s, t);
		else if (err == E_IO)
			err = proc_seterr(E_IO, "9p: %s: %s", s->addr, s->why);
		goto out;
	}
	err = mnt_reply_check(rbuf, rpc.rlen, s->msize, t->type, rpc.tag,
	                      t->type == P9_TWALK ? t->u.twalk.nwname : 0, r);
	if (err == 1)
		err = proc_seterr(mnt_errno(r->u.rlerror.ecode), "%s",
		                  lux_errstr(mnt_errno(r->u.rlerror.ecode)));
	else if (err < 0)
		err = protocol_error(s, gen, err, r, t->type);
out:
	if (tbuf != small)
		kfree(tbuf);
	return err;
}

/* ---- Connecting --------------------------------------------------------- */

void mnt_setup_expired(void *arg)
{
	struct mnt_sess *s = arg;

	spin_lock(&mnt_lock);
	s->timedout = true;
	kprintf("9p: mount %s: no answer within %llu s while setting up; giving up\n", s->addr,
	        MNT_SETUP_NS / 1000000000ull);
	if (!s->dialed && s->conn >= 0)
		arch_conn_close(s->conn);	/* abandon the dial: E_INTR follows */
	else if (s->state == MS_SETUP)
		break_locked(s, "no answer while setting up");
	spin_unlock(&mnt_lock);
}

static bool dial_done(void *arg)
{
	return ((struct mnt_sess *)arg)->dialed;
}

static bool vdone(void *arg)
{
	struct mnt_sess *s = arg;

	return s->vrpc == 0 || s->vrpc->done;
}

/* Tversion: NOTAG, so it has its own slot rather than a tag. */
static int version(struct mnt_sess *s)
{
	uint8_t tbuf[64], rbuf[MNT_SMALL];
	struct mnt_rpc rpc = {
		.tag = P9_NOTAG, .ttype = P9_TVERSION, .rbuf = rbuf, .rcap = sizeof rbuf
	};
	struct p9_msg t = { .type = P9_TVERSION,
		            .tag = P9_NOTAG,
		            .u.version = { MNT_MSIZE, p9_str_c("9P2000.L") } },
		      r;
	uint32_t gen;
	int n = p9_encode(&t, tbuf, sizeof tbuf, P9_NONE), err;

	spin_lock(&mnt_lock);
	s->vrpc = &rpc;
	gen = s->gen;
	spin_unlock(&mnt_lock);
	err = n < 0 ? E_INVAL : send(s, tbuf, (size_t)n, gen, true);
	if (err == 0)
		err = sleep_on(&s->wq, vdone, s);
	spin_lock(&mnt_lock);
	s->vrpc = 0;
	spin_unlock(&mnt_lock);
	if (err == 0)
		err = rpc.err;
	if (err < 0)
		return err == MNT_E_BROKEN
		           ? proc_seterr(E_IO, "9p: %s: %s during Tversion", s->addr, s->why)
		           : err;
	err = mnt_reply_check(rbuf, rpc.rlen, MNT_MSIZE, P9_TVERSION, P9_NOTAG, 0, &r);
	if (err == 1) {
		mnt_break(s, gen, "Tversion refused");
		return proc_seterr(E_IO, "9p: %s: the server refused Tversion 9P2000.L", s->addr);
	}
	if (err < 0)
		return protocol_error(s, gen, err, &r, P9_TVERSION);
	if (p9_dialect_of(r.u.version.version.s, r.u.version.version.len) != P9_2000L ||
	    r.u.version.msize < P9_MSIZE_MIN || r.u.version.msize > MNT_MSIZE) {
		mnt_break(s, gen, "no 9P2000.L");
		return proc_seterr(
		    E_IO,
		    "9p: %s: the server answered Tversion with %.*s, msize %u "
		    "(want 9P2000.L, msize %u..%u)",
		    s->addr, (int)(r.u.version.version.len > 20 ? 20 : r.u.version.version.len),
		    r.u.version.version.s, r.u.version.msize, P9_MSIZE_MIN, MNT_MSIZE);
	}
	s->msize = r.u.version.msize;
	return 0;
}

int mnt_connect(struct mnt_sess *s)
{
	int conn, err;

	sleep_on_unint(&s->wq, conn_gone, s);	/* the last connection is closed */
	spin_lock(&mnt_lock);
	mnt_sealed_reset(s);	/* a new connection starts in the clear */
	s->dialed = false;
	s->inlen = 0;
	s->queued = 0;
	s->msize = MNT_MSIZE;
	conn = arch_conn_dial(s->addr);
	if (conn >= 0)
		s->conn = conn;
	spin_unlock(&mnt_lock);
	if (conn < 0) {
		if (conn == E_INVAL)
			return proc_seterr(E_INVAL, "9p: %s: want unix!PATH or tcp!HOST!PORT",
			                   s->addr);
		return proc_seterr(conn, "9p: %s: %s", s->addr, lux_errstr(conn));
	}
	sleep_on_unint(&s->wq, dial_done, s);	/* the arch always answers */
	if (s->dial_err < 0 && s->timedout)
		return proc_seterr(E_IO, "9p: %s: no connection within %llu s", s->addr,
		                   MNT_SETUP_NS / 1000000000ull);
	if (s->dial_err < 0)
		return proc_seterr(s->dial_err, "9p: %s: %s", s->addr, lux_errstr(s->dial_err));
	spin_lock(&mnt_lock);
	if (s->conn >= 0) {
		s->state = MS_SETUP;
		kstrlcpy(s->why, "", sizeof s->why);
	}
	spin_unlock(&mnt_lock);
	if (s->state != MS_SETUP)
		return proc_seterr(E_IO, "9p: %s: hung up at once", s->addr);
	err = version(s);
	return err;
}
