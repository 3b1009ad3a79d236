/*
 * Scenario "hostile": the hostile clients (net.c runs the scenario: the
 * same world and checks as "net", with honest clients among these).  Each
 * is a small state machine fed by the replies it reads (hostc_reply) and
 * stepped once per step (hostc_act).  What each does, and what is checked
 * of the server:
 *  - TRICKLE sends its Tversion and Tattach a byte per step, then stops
 *    for good inside a Twalk.  The partial clock must close it within its
 *    time (HOSTILE_PARTIAL_MS in net.c, from the message's first byte; 100 ms
 *    of slack), after a NOTAG goodbye saying why (9P2000: "still
 *    incomplete"; .L: ETIMEDOUT).
 *  - SILENT connects and sends nothing: the handshake clock must close
 *    it, with a 9P2000 goodbye saying "no Tversion".
 *  - NOREAD (msize 65560) pipelines 64 KiB reads of /big and never reads
 *    a reply: what waits for it must stay within the server's bound (the
 *    scenario's check for every client), which needs the server to stop
 *    admitting its requests and starting its queued ones, and the arch to
 *    pause it.
 *  - FIDS walks fid 0 to new fids, up to 60 in flight, until refused: the
 *    refusal must be the fids budget ("budget exhausted: fids" / EMFILE)
 *    and come after exactly NINEP_MAXFID - 1 new fids; a clunk then makes
 *    room for one more walk, which must succeed.
 *  - SESSIONS opens /secure/crypto/KIND/clone on new fids until refused:
 *    never more than 8 sessions (per proc: a connection's principal), and
 *    the refusal (9P2000) names sessions.
 *  - PWHASH loops Argon2id on one /secure/crypto/pwhash session: salt,
 *    ops 1-2 and mem 8-64 KiB chosen per client, the same password each
 *    time, so every answer must be 64 hex digits and a newline, the same
 *    each loop.  Why so small: a --seed run has no threads, so
 *    koffload runs the hash in place (core/kern/offload.c; docs/crypto.md,
 *    "Fair shares"), and nothing preempts it: a large setting would only
 *    stall the whole simulation for real seconds.  What is checked is
 *    therefore not the fair share of CPU but that the looper's work is
 *    answered, charged and given back (its session and crypto pebbles go
 *    with its connection: budgets and objects back at the end) while
 *    honest clients keep finishing within their bound.  A clone refused
 *    (the hoarders hold the user's 16 sessions) is retried later.
 *  - SELFMOUNT reads /dev/pid, then writes "mount unix!/sim/self /tmp" to
 *    its own /proc/PID/ns: a mount of the server's own export.  The
 *    scenario plays that dial (net_bridge.c: arch v11), so the mount is a
 *    second served connection through the kernel's 9P client; a read of
 *    /tmp/a/file through it must return /a/file.  Half of them then read
 *    /tmp/pipe/data, which sleeps on the far side of the mount, and hang
 *    up: the end check finds both connections gone.  With every bridge
 *    (3) or mount (8) taken, the write must fail saying so.  Never a
 *    deadlock: every step of it is answered within HOST_PATIENCE.
 *  - BLOCKED reads /pipe/data (a pipe nobody writes: the read sleeps in
 *    a worker), then either hangs up with the read blocked (the end job
 *    must kill the worker and clunk the fid) or flushes it (an Rflush
 *    must come, and no Rread), and then hangs up.
 * The scripts go one request at a time, waiting for each answer (the
 * server runs a connection's requests concurrently, so a pipelined open
 * could overtake its walk), except the fid hoarder's walks and the
 * non-reader's reads, which do not depend on each other.  Every hostile
 * client but NOREAD, SILENT and a BLOCKED read must see a reply within
 * HOST_PATIENCE steps of the last while it waits for one.  The server
 * may close only TRICKLE and SILENT.
 */
#include <lux/9p.h>
#include "9p/srv/9psrv.h"
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kern.h>
#include <lux/string.h>
#include <lux/upcall.h>

#include "net.h"

enum {
	HOST_PATIENCE = 300,	/* steps a waiting client may go without a reply */
	HOST_FIDBATCH = 60,	/* walks a fid hoarder keeps in flight, at most */
	HOST_SESSMAX = 8,	/* DEVCRYPTO_CLONES_PER_PROC */
	L_EMFILE = 24,
	L_ETIMEDOUT = 110,
};

static const char *const kind_names[CK_NKINDS] = {
	"honest",   "trickle", "silent",    "noread",  "fids",
	"sessions", "pwhash",  "selfmount", "blocked",
};

static struct {
	size_t made[CK_NKINDS];
	size_t most_fids, mounts, mount_reads, mount_hangups;
	size_t closed_by_clock, fid_refusals, sess_refusals, hashes, mounts_refused, flushed_reads,
	    blocked_hangups;
} hs;

static int fail(struct client *c, const char *what)
{
	return net_fail("client %d (%s, phase %d): %s", c->n, kind_names[c->kind], c->phase, what);
}

/* ... naming the error it was answered with */
static int fail_r(struct client *c, const char *what, const struct p9_msg *r)
{
	char why[160];

	if (r->type == P9_RERROR)
		ksnprintf(why, sizeof why, "%s: %.*s", what, (int)r->u.rerror.ename.len,
		          r->u.rerror.ename.s);
	else if (r->type == P9_RLERROR)
		ksnprintf(why, sizeof why, "%s: errno %u", what, r->u.rlerror.ecode);
	else
		ksnprintf(why, sizeof why, "%s: %s", what, p9_type_name(r->type));
	return fail(c, why);
}

enum ckind hostc_kind(void)
{
	uint64_t r = net_rnd(16);

	return r < 8 ? CK_HONEST : (enum ckind)(1 + (r - 8));
}

/* Does the reply's text (9P2000) contain s?  .L replies have no text. */
static bool says(const struct client *c, const struct p9_msg *r, const char *s)
{
	size_t n = kstrlen(s);

	if (c->d != P9_2000 || r->type != P9_RERROR)
		return false;
	for (size_t i = 0; i + n <= r->u.rerror.ename.len; i++)
		if (kmemcmp(r->u.rerror.ename.s + i, s, n) == 0)
			return true;
	return false;
}

/* Is the reply (9P2000) the word for err, what a client that sent no
 * Tauth reads instead of the sentence (docs/9p.md, "Errors")? */
static bool says_word(const struct client *c, const struct p9_msg *r, int err)
{
	const char *w = ninep_word(err);

	return c->d == P9_2000 && r->type == P9_RERROR && w &&
	       r->u.rerror.ename.len == kstrlen(w) &&
	       kmemcmp(r->u.rerror.ename.s, w, r->u.rerror.ename.len) == 0;
}

static bool is_error(const struct p9_msg *r)
{
	return r->type == P9_RERROR || r->type == P9_RLERROR;
}

/* A new session at msize (the Tversion netc_begin queued is replaced). */
static void session(struct client *c, uint32_t msize)
{
	c->outlen = c->outsent = c->nreq = 0;
	c->msize = msize;
	netc_hello(c);
}

void hostc_begin(struct client *c)
{
	static const char *const walk_a[] = { "a", "file", 0 };

	hs.made[c->kind]++;
	c->quiet = c->timer = 0;
	c->stall = 0;
	c->readtag = 0;
	c->refused = false;
	c->word[0] = c->hash[0] = 0;
	c->fid = 0;
	c->since = net_now_ms();
	switch (c->kind) {
	case CK_TRICKLE: {
		size_t start;
		session(c, 8192);
		start = c->outlen;
		netc_walk(c, 0, 1, walk_a);	/* the message it never finishes */
		c->stall = (uint32_t)(start + 1 + net_rnd(c->outlen - start - 1));
		c->badframe = true;	/* a NOTAG goodbye is expected */
		break;
	}
	case CK_SILENT:
		c->outlen = c->outsent = c->nreq = 0;
		c->d = P9_2000;	/* before a Tversion the server speaks 9P2000 */
		c->badframe = true;
		break;
	case CK_NOREAD:
		session(c, NINEP_MSIZE);
		c->timer = 50 + net_rnd(200);	/* then it hangs up */
		break;
	case CK_PWHASH:
		for (int i = 0; i < 32; i++)
			c->salt[i] = "0123456789abcdef"[net_rnd(16)];
		c->salt[32] = 0;
		c->ops = 1 + (uint32_t)net_rnd(2);
		c->mem = 8192u << net_rnd(4);	/* 8-64 KiB */
		session(c, 8192);
		break;
	default: session(c, 8192); break;
	}
}

/* ---- Scripts: the request of each phase ------------------------------------ */

enum { F_DIR = 101, F_CTL, F_DATA, F_PID, F_NS, F_TMP, F_PIPE };

static void pwhash_next(struct client *c)
{
	static const char *const clone[] = { "secure", "crypto", "pwhash", "clone", 0 };
	static const char *const ctl[] = { "ctl", 0 }, *const data[] = { "data", 0 };
	const char *sess[] = { "secure", "crypto", "pwhash", c->word, 0 };
	char cmd[96];

	switch (c->phase) {
	case 0:
		c->fid = c->nextfid++;
		netc_walk(c, 0, c->fid, clone);
		break;
	case 1:
		netc_open(c, c->fid, OREAD); /* clone opens read-only */
		break;
	case 2: netc_readreq(c, c->fid, 0, 32); break;
	case 3: netc_walk(c, 0, F_DIR, sess); break;
	case 4: netc_walk(c, F_DIR, F_CTL, ctl); break;
	case 5: netc_open(c, F_CTL, OWRITE); break;
	case 6:
		ksnprintf(cmd, sizeof cmd, "salt %s\nops %u\nmem %u\n", c->salt, c->ops, c->mem);
		netc_write(c, F_CTL, cmd, (uint32_t)kstrlen(cmd));
		break;
	case 7: netc_walk(c, F_DIR, F_DATA, data); break;
	case 8: netc_open(c, F_DATA, ORDWR); break;
	case 9: netc_write(c, F_DATA, "a hostile password", 18); break;
	default: netc_readreq(c, F_DATA, 0, 256); break;
	}
}

static void selfmount_next(struct client *c)
{
	static const char *const pid[] = { "dev", "pid", 0 }, *const tmp[] = { "tmp", 0 };
	static const char *const file[] = { "tmp", "a", "file", 0 };
	static const char *const mpipe[] = { "tmp", "pipe", "data", 0 };
	const char *ns[] = { "proc", c->word, "ns", 0 };
	static const char cmd[] = "mount " NET_SELF_ADDR " /tmp\n";

	switch (c->phase) {
	case 0: netc_walk(c, 0, F_PID, pid); break;
	case 1: netc_open(c, F_PID, OREAD); break;
	case 2: netc_readreq(c, F_PID, 0, sizeof c->word - 1); break;
	case 3: netc_walk(c, 0, F_NS, ns); break;
	case 4: netc_open(c, F_NS, OWRITE); break;
	case 5: netc_write(c, F_NS, cmd, sizeof cmd - 1); break;
	/* into the mount: /tmp/a/file is the export's /a/file, through
	 * the kernel's client and a second connection of the server */
	case 6: netc_walk(c, 0, F_TMP, c->refused ? tmp : file); break;
	case 7: netc_open(c, F_TMP, OREAD); break;
	case 8: netc_readreq(c, F_TMP, 0, 256); break;
	/* a read that sleeps on the far side of the mount, then a hang-up */
	case 10: netc_walk(c, 0, F_PIPE, mpipe); break;
	case 11: netc_open(c, F_PIPE, OREAD); break;
	case 12:
		netc_readreq(c, F_PIPE, 0, 64);
		c->readtag = c->nexttag;
		c->timer = 5 + net_rnd(60);
		c->phase = 13;
		break;
	default: break;
	}
}

static void blocked_next(struct client *c)
{
	static const char *const pipe[] = { "pipe", "data", 0 };
	struct p9_msg m = { .type = P9_TFLUSH };

	switch (c->phase) {
	case 0: netc_walk(c, 0, F_PIPE, pipe); break;
	case 1: netc_open(c, F_PIPE, OREAD); break;
	case 2:
		netc_readreq(c, F_PIPE, 0, 64);	/* sleeps: nobody writes */
		c->readtag = c->nexttag;
		c->timer = 5 + net_rnd(60);
		c->phase = 3;
		break;
	case 4:
		m.u.tflush.oldtag = c->readtag;
		netc_put(c, &m, false);
		c->phase = 5;
		break;
	default: break;
	}
}

static void sessions_next(struct client *c)
{
	static const char *const kinds[] = { "aead", "mac", "kdf", "pwhash", "sign" };
	const char *names[] = { "secure", "crypto", kinds[net_rnd(nelem(kinds))], "clone", 0 };

	if (c->refused)
		return;
	if (c->phase % 2 == 0) {
		c->fid = c->nextfid++;
		netc_walk(c, 0, c->fid, names);
	} else {
		netc_open(c, c->fid, OREAD);	/* clone opens read-only */
	}
}

void hostc_more(struct client *c)
{
	static const char *const big[] = { "big", 0 }, *const none[] = { 0 };

	if (c->server_closed || c->timer > 0)
		return;
	switch (c->kind) {
	case CK_NOREAD:	/* its replies are never read: a race does not matter */
		if (c->phase == 0) {
			netc_walk(c, 0, 1, big);
			netc_open(c, 1, OREAD);
			c->phase = 1;
		}
		for (int i = 0; i < 8; i++)
			netc_readreq(c, 1, net_rnd(NET_BIGFILE), c->msize - P9_IOHDRSZ);
		return;
	case CK_FIDS:	/* independent walks: up to 2 x 30 at once */
		if (c->phase == 0 && c->nreq < HOST_FIDBATCH / 2)
			for (int i = 0; i < HOST_FIDBATCH / 2; i++)
				netc_walk(c, 0, c->nextfid++, none);
		return;
	case CK_BLOCKED:
		if (c->phase == 4) {	/* its flush goes while the read sleeps */
			blocked_next(c);
			return;
		}
		break;
	default: break;
	}
	if (netc_waiting(c) || c->outsent < c->outlen)
		return;	/* one at a time */
	switch (c->kind) {
	case CK_SESSIONS: sessions_next(c); break;
	case CK_PWHASH: pwhash_next(c); break;
	case CK_SELFMOUNT: selfmount_next(c); break;
	case CK_BLOCKED: blocked_next(c); break;
	default: break;
	}
}

/* ---- What each reads ------------------------------------------------------- */

static void fids_reply(struct client *c, const struct creq *q, const struct p9_msg *r)
{
	if (q->type == P9_TCLUNK) {
		c->phase = 3;	/* then one more walk */
		return;
	}
	if (!is_error(r)) {
		if (++c->got > hs.most_fids)
			hs.most_fids = c->got;
		if (c->phase == 4)
			c->phase = 5;	/* the walk after a clunk worked */
		return;
	}
	if (!(c->d == P9_2000
	          ? says(c, r, "budget exhausted: fids") || says_word(c, r, NINEP_E_NFIDS)
	          : r->u.rlerror.ecode == L_EMFILE)) {
		fail_r(c, "a walk refused, but not for the fids budget", r);
		return;
	}
	if (c->phase >= 2) {
		fail_r(c, "a walk refused after a clunk made room", r);
		return;
	}
	if (!c->refused)
		hs.fid_refusals++;
	c->refused = true;
	c->phase = 1;
}

static void sessions_reply(struct client *c, const struct creq *q, const struct p9_msg *r)
{
	if (q->type == P9_TWALK) {
		if (is_error(r))
			fail_r(c, "the walk to a crypto clone file failed", r);
		c->phase++;
		return;
	}
	c->phase++;
	if (!is_error(r)) {
		if (++c->got > HOST_SESSMAX)
			fail(c, "more than 8 crypto sessions on one connection");
		return;
	}
	if (c->d == P9_2000 && !says(c, r, "session") && !says_word(c, r, E_NOSPC) &&
	    !says_word(c, r, E_BUDGET)) {
		fail_r(c, "a clone refused, but not for its sessions", r);
		return;
	}
	hs.sess_refusals++;
	c->refused = true;
	c->timer = 20 + net_rnd(100);	/* holds them, then hangs up */
}

static void pwhash_reply(struct client *c, const struct creq *q, const struct p9_msg *r)
{
	size_t n;

	if (is_error(r)) {
		if (c->phase != 1) {
			fail_r(c, "a step of its Argon2id loop failed", r);
			return;
		}
		netc_fidop(c, P9_TCLUNK, c->fid);	/* the user's sessions are all */
		c->timer = 10 + net_rnd(50);		/* held: try again later */
		c->phase = -1;
		return;
	}
	switch (c->phase) {
	case -1:
		c->phase = 0;	/* the clunk after a refused clone */
		return;
	case 2:
		n = r->u.rread.count;
		while (n > 0 && (r->u.rread.data[n - 1] == '\n' || r->u.rread.data[n - 1] == ' '))
			n--;
		if (n == 0 || n >= sizeof c->word) {
			fail(c, "pwhash/clone did not read as a number");
			return;
		}
		kmemcpy(c->word, r->u.rread.data, n);
		c->word[n] = 0;
		break;
	case 10:
		if (q->type != P9_TREAD || r->u.rread.count != 65 || r->u.rread.data[64] != '\n') {
			fail(c, "an Argon2id answer that is not 64 hex digits and a newline");
			return;
		}
		if (c->hash[0] == 0) {
			kmemcpy(c->hash, r->u.rread.data, 64);
			c->hash[64] = 0;
		} else if (kmemcmp(c->hash, r->u.rread.data, 64) != 0) {
			fail(c,
			     "Argon2id gave another hash for the same password, salt and settings");
			return;
		}
		hs.hashes++;
		c->got++;
		c->phase = 9;	/* again */
		return;
	default: break;
	}
	c->phase++;
}

static void selfmount_reply(struct client *c, const struct creq *q, const struct p9_msg *r)
{
	size_t n;

	if (q->type == P9_TREAD && q->tag == c->readtag && c->phase == 13) {
		fail_r(c, "a read of a pipe nobody writes, through its mount, was answered", r);
		return;
	}
	if (c->phase == 5) {	/* the mount: works, or fails saying why */
		if (is_error(r)) {
			/* the bridges (3) or the client's mounts (8) all taken */
			if (c->d == P9_2000 && !says(c, r, "mount") && !says(c, r, "file")) {
				fail_r(c, "the self-mount failed, and not for want of room", r);
				return;
			}
			c->refused = true;
			hs.mounts_refused++;
		} else {
			hs.mounts++;
		}
		c->phase = 6;
		return;
	}
	if (is_error(r)) {
		fail_r(c,
		       c->phase >= 6 ? "a step into its mount failed"
		                     : "a step before its mount failed",
		       r);
		return;
	}
	if (c->phase == 2) {
		n = r->u.rread.count;
		while (n > 0 && (r->u.rread.data[n - 1] == '\n' || r->u.rread.data[n - 1] == ' '))
			n--;
		if (n == 0 || n >= sizeof c->word) {
			fail(c, "/dev/pid is not a number");
			return;
		}
		kmemcpy(c->word, r->u.rread.data, n);
		c->word[n] = 0;
	}
	if (c->phase == 8) {
		if (r->u.rread.count != kstrlen(net_filetext) ||
		    kmemcmp(r->u.rread.data, net_filetext, r->u.rread.count) != 0) {
			fail(c, "/a/file read through its self-mount is not the file");
			return;
		}
		hs.mount_reads++;
	}
	if (c->phase == 8 && net_rnd(2) == 0) {
		c->phase = 10;	/* then a read that sleeps in there */
		return;
	}
	if ((c->phase == 6 && c->refused) || c->phase == 8) {
		c->phase = 9;
		c->timer = 5 + net_rnd(50);	/* then hangs up */
		return;
	}
	c->phase++;
	(void)q;
}

static void blocked_reply(struct client *c, const struct creq *q, const struct p9_msg *r)
{
	if (q->tag == c->readtag && q->type == P9_TREAD) {
		fail_r(c, "a read of a pipe nobody writes was answered", r);
		return;
	}
	if (q->type == P9_TFLUSH) {
		hs.flushed_reads++;
		c->timer = 1 + net_rnd(20);
		c->phase = 6;
		return;
	}
	if (is_error(r)) {
		fail_r(c, "a step before its read failed", r);
		return;
	}
	c->phase++;
}

void hostc_reply(struct client *c, const struct creq *q, const struct p9_msg *r)
{
	c->quiet = 0;
	if (q == 0) {	/* the NOTAG goodbye before the server closes */
		if (c->kind == CK_SILENT && !says(c, r, "no Tversion"))
			fail(c, "closed, but the goodbye does not say 'no Tversion'");
		else if (c->kind == CK_TRICKLE &&
		         !(c->d == P9_2000
		               ? says(c, r, "still incomplete")
		               : r->type == P9_RLERROR && r->u.rlerror.ecode == L_ETIMEDOUT))
			fail(c, "closed, but the goodbye does not say the message is incomplete");
		else
			c->phase = 99;	/* said goodbye */
		return;
	}
	if (q->type == P9_TVERSION || q->type == P9_TATTACH) {
		if (is_error(r))
			fail_r(c, "its Tversion or Tattach was refused", r);
		return;
	}
	switch (c->kind) {
	case CK_FIDS: fids_reply(c, q, r); break;
	case CK_SESSIONS: sessions_reply(c, q, r); break;
	case CK_PWHASH: pwhash_reply(c, q, r); break;
	case CK_SELFMOUNT: selfmount_reply(c, q, r); break;
	case CK_BLOCKED: blocked_reply(c, q, r); break;
	default: break;
	}
}

/* ---- Each step ------------------------------------------------------------- */

/* The server closed c: only the clocks may, after their goodbye. */
static int closed(struct client *c)
{
	if (c->kind != CK_TRICKLE && c->kind != CK_SILENT)
		return fail(c, "the server closed it");
	if (c->phase != 99)
		return fail(c, "closed without a goodbye");
	hs.closed_by_clock++;
	return 0;
}

/* TRICKLE and SILENT: each must be closed by its clock's deadline. */
static int clocks(struct client *c)
{
	uint64_t now = net_now_ms(), limit;
	char why[120];

	if (c->kind == CK_TRICKLE && c->outsent < c->stall) {
		if (!c->midmsg)
			c->since = now;	/* a message begins with this byte */
		if (!c->paused)
			net_deliver(c, 1);
		return 0;
	}
	limit = c->kind == CK_SILENT ? lux_bootinfo->ninep_handshake_ms
	                             : lux_bootinfo->ninep_partial_ms;	/* in force */
	if (now > c->since + limit + 100) {
		ksnprintf(why, sizeof why,
		          "still open %llu ms after its %s began (the clock is %u ms)",
		          (unsigned long long)(now - c->since),
		          c->kind == CK_SILENT ? "connection" : "message", (unsigned)limit);
		return fail(c, why);
	}
	return 0;
}

static bool patient(const struct client *c)
{
	return c->kind == CK_NOREAD ||
	       (c->kind == CK_BLOCKED && (c->phase == 3 || c->phase == 4)) ||
	       (c->kind == CK_SELFMOUNT && c->phase == 13);
}

int hostc_act(struct client *c)
{
	const struct creq *q;

	if (c->server_closed)
		return closed(c);
	if (c->kind == CK_TRICKLE || c->kind == CK_SILENT)
		return clocks(c);
	if ((q = netc_waiting(c)) != 0 && !patient(c) && ++c->quiet > HOST_PATIENCE) {
		char why[96];
		ksnprintf(why, sizeof why, "%s tag %u not answered in %d steps",
		          p9_type_name(q->type), q->tag, HOST_PATIENCE);
		return fail(c, why);
	}
	if (c->timer > 0 && --c->timer > 0)
		return 0;
	switch (c->kind) {
	case CK_NOREAD: return c->timer == 0 && c->phase == 1;
	case CK_FIDS:
		if (c->phase == 1 && netc_waiting(c) == 0 && c->outsent == c->outlen) {
			char why[96];
			if (c->got != NINEP_MAXFID - 1) {
				ksnprintf(why, sizeof why, "refused after %u new fids, not %d",
				          c->got, NINEP_MAXFID - 1);
				return fail(c, why);
			}
			netc_fidop(c, P9_TCLUNK, 1 + (uint32_t)net_rnd(c->got));
			c->phase = 2;
		} else if (c->phase == 3) {
			static const char *const none[] = { 0 };
			netc_walk(c, 0, c->nextfid++, none);	/* room for one again */
			c->phase = 4;
		}
		return c->phase == 5 && net_rnd(10) == 0;
	case CK_SESSIONS: return c->refused && c->timer == 0;
	case CK_PWHASH: return c->got >= 3 && net_rnd(8) == 0;
	case CK_SELFMOUNT:
		if (c->phase == 13 && c->timer == 0)
			hs.mount_hangups++;
		return c->phase == 9 || (c->phase == 13 && c->timer == 0);
	case CK_BLOCKED:
		if (c->phase == 3 && c->timer == 0) {
			if (net_rnd(2) == 0) {
				hs.blocked_hangups++;
				return 1;	/* hangs up with its read asleep */
			}
			c->phase = 4;	/* flushes it (blocked_next) */
		}
		return c->phase == 6 && c->timer == 0;
	default: return 0;
	}
}

void hostc_summary(void)
{
	kprintf("sim hostile: %llu ms of virtual time; made", (unsigned long long)net_now_ms());
	for (int k = 1; k < CK_NKINDS; k++)
		kprintf(" %s %zu", kind_names[k], hs.made[k]);
	kprintf("; %zu closed by the edge clocks, %zu fid refusals (most fids held %zu), "
	        "%zu session refusals, %zu Argon2id hashes, %zu self-mounts (%zu refused, "
	        "%zu reads through one, %zu hang-ups with a read asleep beyond one), "
	        "%zu blocked reads flushed, %zu hang-ups with a read blocked\n",
	        hs.closed_by_clock, hs.fid_refusals, hs.most_fids, hs.sess_refusals, hs.hashes,
	        hs.mounts, hs.mounts_refused, hs.mount_reads, hs.mount_hangups, hs.flushed_reads,
	        hs.blocked_hangups);
}
