/*
 * The 9P server's connections: the upcalls, framing, and the procs
 * (see <lux/9psrv.h> for the shape, docs/9p.md for the bounds).
 *
 * Who owns a slot: lux_conn_opened takes a free one (PENDING) and pauses
 * the connection, since no buffer exists yet and upcalls cannot allocate.
 * The listener proc gives it a proc (SERVED), which allocates the buffers
 * and resumes reading.  The slot is given back by that proc when it ends,
 * after lux_conn_closed has said the arch is done with the id; a slot
 * without a proc (PENDING, or ORPHAN when proc_create failed) is given
 * back by lux_conn_closed itself.
 */
#include <lux/9psrv.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/pebble.h>
#include <lux/string.h>

static struct ninep_conn conns[NINEP_MAXCONN];
static struct waitq listenq = WAITQ_INIT(listenq);
static bool serving;

static struct ninep_conn *slot_of(int conn)
{
	if (conn < 0)
		return 0;
	for (size_t i = 0; i < NINEP_MAXCONN; i++)
		if (conns[i].state != NS_FREE && conns[i].conn == conn)
			return &conns[i];
	return 0;
}

/* ---- Upcalls: record, pause, wake; never allocate or block ------------ */

void lux_conn_opened(int conn, const char *peer)
{
	if (!serving) {
		arch_conn_close(conn);
		return;
	}
	for (size_t i = 0; i < NINEP_MAXCONN; i++) {
		struct ninep_conn *s = &conns[i];
		if (s->state != NS_FREE)
			continue;
		kmemset(s, 0, sizeof *s);
		waitq_init(&s->wq);
		s->id = (int)i;
		s->conn = conn;
		kstrlcpy(s->peer, peer ? peer : "?", sizeof s->peer);
		s->state = NS_PENDING;
		s->paused = true;
		arch_conn_pause(conn, 1);
		wakeup(&listenq);
		return;
	}
	arch_conn_close(conn);	/* NINEP_MAXCONN served already */
}

void lux_conn_received(int conn, const void *buf, size_t n)
{
	struct ninep_conn *s = slot_of(conn);

	if (s == 0 || s->gone || s->in == 0)
		return;	/* being closed by us: nobody will read it */
	if (n > NINEP_INBUF - (s->inlen - s->inoff)) {
		/* the arch broke LUX_CONN_CHUNK: refuse to guess, close */
		s->overflow = true;
	} else {
		if (n > NINEP_INBUF - s->inlen) {	/* make room: see inoff */
			kmemmove(s->in, s->in + s->inoff, s->inlen - s->inoff);
			s->inlen -= s->inoff;
			s->inoff = 0;
		}
		kmemcpy(s->in + s->inlen, buf, n);
		s->inlen += n;
		/* paused only while more than msize is unread, so the first
		 * message is whole and the proc will make room */
		if (NINEP_INBUF - (s->inlen - s->inoff) < LUX_CONN_CHUNK && !s->paused) {
			s->paused = true;
			arch_conn_pause(conn, 1);
		}
	}
	wakeup(&s->wq);
}

void lux_conn_closed(int conn)
{
	struct ninep_conn *s = slot_of(conn);

	if (s == 0)
		return;
	s->conn = -1;
	s->gone = true;
	if (s->state == NS_PENDING || s->state == NS_ORPHAN)
		s->state = NS_FREE;
	wakeup(&s->wq);
}

void lux_conn_sent(int conn, size_t queued)
{
	struct ninep_conn *s = slot_of(conn);

	if (s == 0)
		return;
	s->queued = queued;
	if (queued <= NINEP_SENDLOW)
		wakeup(&s->wq);
}

/* ---- The connection's proc -------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool ready(void *arg)
{
	struct ninep_conn *s = arg;
	uint32_t size;

	if (s->gone || s->overflow || s->inlen - s->inoff < 4)
		return s->gone || s->overflow;
	size = le32(s->in + s->inoff);
	return size < P9_HDRSZ || size > s->msize || s->inlen - s->inoff >= size;
}

static bool drained(void *arg)
{
	struct ninep_conn *s = arg;

	return s->gone || s->queued <= NINEP_SENDLOW;
}

/* Send the reply; if the peer is not reading them, wait until it has.
 * 0, or a negative code to close. */
static int reply(struct ninep_conn *s, size_t n)
{
	arch_irqstate is;
	long q = arch_conn_send(s->conn, s->out, n);

	if (q < 0) {
		kprintf("9p: connection %d (%s): cannot queue a reply (over %u bytes waiting?); "
		        "closing\n", s->id, s->peer, LUX_CONN_SENDMAX);
		return E_IO;
	}
	is = arch_irq_save();
	s->queued = (size_t)q;
	arch_irq_restore(is);
	if ((size_t)q > NINEP_SENDHIGH)
		return sleep_on(&s->wq, drained, s);
	return 0;
}

static bool is_gone(void *arg)
{
	return ((struct ninep_conn *)arg)->gone;
}

/* Tell the peer why it is being closed, if the message can carry it. */
static void say_goodbye(struct ninep_conn *s, int err, uint32_t size)
{
	struct p9_msg r = { .tag = P9_NOTAG };
	char why[160];
	int n;

	if (err == P9_E_MSIZE)
		ksnprintf(why, sizeof why, "9p: message of %u bytes exceeds msize %u; "
		          "closing the connection", size, s->msize);
	else
		ksnprintf(why, sizeof why, "9p: message of %u bytes is shorter than the "
		          "%u-byte header; closing the connection", size, P9_HDRSZ);
	kprintf("9p: connection %d (%s): %s\n", s->id, s->peer, why + 4);	/* no "9p: " twice */
	if (s->d == P9_2000L) {
		r.type = P9_RLERROR;
		r.u.rlerror.ecode = 90;	/* EMSGSIZE */
	} else {
		r.type = P9_RERROR;
		r.u.rerror.ename = p9_str_c(why);
	}
	n = p9_encode(&r, s->out, s->msize, s->d);
	if (n > 0)
		arch_conn_send(s->conn, s->out, (size_t)n);
}

/* Wait for the next whole message and move it to s->req.  Returns its
 * length, 0 when the peer is gone, or a negative code to close. */
static long next_message(struct ninep_conn *s)
{
	arch_irqstate is;
	uint32_t size;
	long r;

	if (sleep_on(&s->wq, ready, s) < 0)
		return E_INTR;
	is = arch_irq_save();
	if (s->gone) {
		r = 0;
	} else if (s->overflow) {
		kprintf("9p: connection %d (%s): the arch delivered more than LUX_CONN_CHUNK; closing\n",
		        s->id, s->peer);
		r = E_IO;
	} else {
		size = le32(s->in + s->inoff);
		if (size < P9_HDRSZ || size > s->msize) {
			arch_irq_restore(is);
			say_goodbye(s, size < P9_HDRSZ ? P9_E_SHORT : P9_E_MSIZE, size);
			return E_INVAL;
		}
		kmemcpy(s->req, s->in + s->inoff, size);
		s->inoff += size;
		if (s->inoff == s->inlen)
			s->inoff = s->inlen = 0;
		if (s->paused && NINEP_INBUF - (s->inlen - s->inoff) >= LUX_CONN_CHUNK) {
			s->paused = false;
			arch_conn_pause(s->conn, 0);
		}
		r = (long)size;
	}
	arch_irq_restore(is);
	return r;
}

static void serve(void *arg)
{
	struct ninep_conn *s = arg;
	arch_irqstate is;
	long n;
	int rlen;

	s->msize = NINEP_MSIZE;
	s->d = P9_NONE;
	s->req = kmalloc(NINEP_MSIZE);
	s->out = kmalloc(NINEP_MSIZE);
	s->data = kmalloc(NINEP_MSIZE);
	if (s->req && s->out && s->data) {
		uint8_t *in = kmalloc(NINEP_INBUF);
		is = arch_irq_save();
		s->in = in;
		if (in && !s->gone) {
			s->paused = false;
			arch_conn_pause(s->conn, 0);
		}
		arch_irq_restore(is);
	}
	if (s->in == 0)
		kprintf("9p: connection %d (%s): out of memory for its buffers; closing\n",
		        s->id, s->peer);
	while (s->in && (n = next_message(s)) > 0) {
		rlen = ninep_handle(s, (size_t)n);
		if (rlen < 0 || reply(s, (size_t)rlen) < 0)
			break;
	}
	/* Close (unless the peer did), and keep the slot until the arch
	 * says the id is free again. */
	is = arch_irq_save();
	if (!s->gone)
		arch_conn_close(s->conn);
	arch_irq_restore(is);
	sleep_on_unint(&s->wq, is_gone, s);
	ninep_fid_clunk_all(s);
	kfree(s->req);
	kfree(s->out);
	kfree(s->data);
	is = arch_irq_save();
	uint8_t *in = s->in;
	s->in = 0;
	s->state = NS_FREE;
	arch_irq_restore(is);
	kfree(in);
	proc_exit(0);
}

/* ---- The listener ----------------------------------------------------- */

static bool any_pending(void *arg)
{
	USED(arg);
	for (size_t i = 0; i < NINEP_MAXCONN; i++)
		if (conns[i].state == NS_PENDING)
			return true;
	return false;
}

static void listener(void *arg)
{
	USED(arg);
	for (;;) {
		if (sleep_on(&listenq, any_pending, 0) < 0)
			break;
		for (size_t i = 0; i < NINEP_MAXCONN; i++) {
			struct ninep_conn *s = &conns[i];
			arch_irqstate is = arch_irq_save();
			if (s->state != NS_PENDING) {
				arch_irq_restore(is);
				continue;
			}
			s->state = NS_SERVED;
			arch_irq_restore(is);
			/* paid for by our budget (its stack); its own budget
			 * holds only crypto pebbles, for keyed crypto sessions */
			static const struct pebbles conngrant = { .n = { [PB_CRYPTO] = NINEP_CONN_CRYPTO } };
			int err;
			if (proc_spawn("9psrv", PRIO_NORMAL, serve, s, PROC_DETACHED, &conngrant, &err) == 0) {
				kprintf("9p: connection %zu (%s): no proc for it (%s); closing\n",
				        i, s->peer, proc_errstr(err));
				is = arch_irq_save();
				if (s->gone) {
					s->state = NS_FREE;
				} else {
					s->state = NS_ORPHAN;
					arch_conn_close(s->conn);
				}
				arch_irq_restore(is);
			}
		}
	}
	/* killed: serve nobody new (those being served keep their procs) */
	serving = false;
	proc_exit(0);
}

void ninep_start(void)
{
	/* The listener's budget pays for every connection's proc: at most
	 * NINEP_MAXCONN of them, each with its stack. */
	struct pebbles grant = { .n = { [PB_PROCS] = NINEP_MAXCONN,
	                                [PB_PAGES] = NINEP_MAXCONN * NINEP_CONN_PAGES,
	                                [PB_CRYPTO] = NINEP_MAXCONN * NINEP_CONN_CRYPTO } };
	int err;

	if (!(lux_bootinfo->caps & LUX_CAP_CONN) || serving)
		return;
	if (proc_spawn("9plisten", PRIO_NORMAL, listener, 0, PROC_DETACHED, &grant, &err) == 0) {
		kprintf("9p: cannot start the listener (%s); not serving\n", proc_errstr(err));
		return;
	}
	serving = true;
	if (lux_bootinfo->listening && !lux_bootinfo->quiet)
		kprintf("9p: serving / on %s\n", lux_bootinfo->listening);
}
