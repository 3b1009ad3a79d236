/*
 * The 9P client (core/9p/mnt*.c) against a scripted peer.
 *
 * The peer is a small 9P2000.L server written here, independently of the
 * kernel's: it decodes each T-message the client sends through the fake
 * arch (fake_send_hook), keeps a tree of a few files, and answers through
 * fake_peer_send, which the fake arch delivers as lux_dial_received when
 * the client sleeps.  A fault armed for one message type replaces the
 * answer: an Rlerror, a reply with the wrong tag or type, a size field too
 * short or past msize, silence and a hang-up.  The peer can also "restart":
 * it hangs up, forgets its fids, and its tree may lose a file, which is
 * what a reconnecting client must cope with.
 *
 * Every body runs in a proc (the client sleeps) and must give back every
 * byte it took: kalloc's live objects are compared around it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <lux/9p.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/mnt.h>
#include "9p/mnt/mntsess.h"
#include <lux/proc.h>

#include "fake_arch.h"
#include "proc_test.h"

/* ---- the peer ----------------------------------------------------------- */

#define NNODE 16
#define NPFID 1024

struct node {
	bool used, dir;
	int parent;
	char name[32];
	char data[8192];
	size_t len;
};

enum fault_kind {
	F_NONE, F_ERRNO, F_WRONG_TAG, F_WRONG_TYPE, F_SHORT, F_OVERSIZE, F_SILENT_HANGUP,
	F_TRUNCATED, F_BIG_RREAD, F_SWALLOW, F_DOT_FOREVER,
	F_APPLY_HANGUP,		/* do what it asks, then hang up before the reply */
};

static struct {
	struct node tree[NNODE];
	int fids[NPFID];	/* node + 1, or 0 */
	bool open[NPFID];
	uint32_t msize;		/* offered in Rversion */
	bool versioned;
	bool mute;		/* replies are lost (F_APPLY_HANGUP) */
	int conn;
	unsigned seen[256];	/* T-messages by type */
	struct { uint8_t ttype; enum fault_kind kind; uint32_t arg; } fault;
	bool hold;		/* keep replies back (see flush_held) */
	uint8_t held[4][512];
	size_t heldlen[4];
	int nheld;
	int refuse_dials;	/* dials to refuse before accepting */
	bool swallowed;		/* F_SWALLOW took a request: nothing answers it */
	int dead;		/* a connection the peer hung up: what the
				 * client sends on it before it notices is lost */
} peer;

static int node_add(int parent, const char *name, bool dir, const char *data)
{
	for (int i = 0; i < NNODE; i++)
		if (!peer.tree[i].used) {
			struct node *n = &peer.tree[i];
			memset(n, 0, sizeof *n);
			n->used = true;
			n->dir = dir;
			n->parent = parent;
			snprintf(n->name, sizeof n->name, "%s", name);
			if (data) {
				n->len = strlen(data);
				memcpy(n->data, data, n->len);
			}
			return i;
		}
	fail_msg("peer tree full");
	return -1;
}

static int node_find(int dir, const char *name, size_t len)
{
	for (int i = 1; i < NNODE; i++)
		if (peer.tree[i].used && peer.tree[i].parent == dir &&
		    strlen(peer.tree[i].name) == len && memcmp(peer.tree[i].name, name, len) == 0)
			return i;
	return -1;
}

static struct qid qid_of(int n)
{
	return (struct qid){ .path = (uint64_t)n + 1000, .type = peer.tree[n].dir ? QTDIR : QTFILE };
}

/* A fresh peer: / with hello ("hello world\n"), dir/a, dir/b. */
static void peer_reset(void)
{
	int d;

	memset(&peer, 0, sizeof peer);
	peer.msize = 8192 + P9_IOHDRSZ;
	node_add(0, "/", true, 0);
	peer.tree[0].parent = -1;
	node_add(0, "hello", false, "hello world\n");
	d = node_add(0, "dir", true, 0);
	node_add(d, "a", false, "aaa");
	node_add(d, "b", false, "bb");
}

/* The peer restarts: hangs up and forgets every fid (its files stay). */
static void peer_restart(void)
{
	fake_peer_hangup(peer.conn);
	peer.dead = peer.conn;
	memset(peer.fids, 0, sizeof peer.fids);
	memset(peer.open, 0, sizeof peer.open);
	peer.versioned = false;
}

static void peer_out(const uint8_t *buf, size_t n)
{
	if (peer.mute)
		return;
	if (peer.hold && buf[4] == P9_RREAD && peer.nheld < 4 && n <= sizeof peer.held[0]) {
		memcpy(peer.held[peer.nheld], buf, n);
		peer.heldlen[peer.nheld++] = n;
		return;
	}
	fake_peer_send(peer.conn, buf, n);
}

/* Send the held replies, last first. */
static void flush_held(void)
{
	while (peer.nheld > 0) {
		peer.nheld--;
		fake_peer_send(peer.conn, peer.held[peer.nheld], peer.heldlen[peer.nheld]);
	}
	peer.hold = false;
}

static void reply(struct p9_msg *r, enum p9_dialect d)
{
	static uint8_t buf[70000];
	int n = p9_encode(r, buf, sizeof buf, d);

	if (n < 0)
		fail_msg("peer: cannot encode %s: %s", p9_type_name(r->type), p9_strerror(n));
	peer_out(buf, (size_t)n);
}

static void lerror(uint16_t tag, uint32_t ecode)
{
	struct p9_msg r = { .type = P9_RLERROR, .tag = tag, .u.rlerror.ecode = ecode };

	reply(&r, P9_2000L);
}

static void getattr_of(int n, struct p9_msg *r)
{
	r->type = P9_RGETATTR;
	r->u.rgetattr.valid = P9_GETATTR_BASIC;
	r->u.rgetattr.qid = qid_of(n);
	r->u.rgetattr.mode = peer.tree[n].dir ? 040755 : 0100644;
	r->u.rgetattr.size = peer.tree[n].len;
	r->u.rgetattr.mtime_sec = 1795461989;
}

/* Answer one T-message as a correct server would. */
static void serve(const struct p9_msg *t)
{
	static uint8_t data[70000];
	struct p9_msg r = { .type = (uint8_t)(t->type + 1), .tag = t->tag };
	int n, cur;

	switch (t->type) {
	case P9_TVERSION:
		r.u.version.msize = t->u.version.msize < peer.msize ? t->u.version.msize : peer.msize;
		r.u.version.version = p9_str_c("9P2000.L");
		peer.versioned = true;
		reply(&r, P9_NONE);
		return;
	case P9_TATTACH:
		peer.fids[t->u.tattach.fid] = 1;
		r.u.rqid.qid = qid_of(0);
		break;
	case P9_TWALK:
		cur = peer.fids[t->u.twalk.fid] - 1;
		if (cur < 0)
			return lerror(t->tag, 9);
		for (int i = 0; i < t->u.twalk.nwname; i++) {
			if ((cur = node_find(cur, t->u.twalk.wname[i].s, t->u.twalk.wname[i].len)) < 0) {
				if (i == 0)
					return lerror(t->tag, 2);
				break;
			}
			r.u.rwalk.wqid[r.u.rwalk.nwqid++] = qid_of(cur);
		}
		if (r.u.rwalk.nwqid == t->u.twalk.nwname)
			peer.fids[t->u.twalk.newfid] = cur + 1;
		break;
	case P9_TLOPEN:
		if ((n = peer.fids[t->u.tlopen.fid] - 1) < 0)
			return lerror(t->tag, 9);
		if (t->u.tlopen.flags & 01000)
			peer.tree[n].len = 0;
		peer.open[t->u.tlopen.fid] = true;
		r.u.ropen.qid = qid_of(n);
		break;
	case P9_TLCREATE:
		if ((cur = peer.fids[t->u.tlcreate.fid] - 1) < 0)
			return lerror(t->tag, 9);
		if (node_find(cur, t->u.tlcreate.name.s, t->u.tlcreate.name.len) >= 0)
			return lerror(t->tag, 17);
		snprintf((char *)data, 64, "%.*s", (int)t->u.tlcreate.name.len, t->u.tlcreate.name.s);
		n = node_add(cur, (char *)data, false, "");
		peer.fids[t->u.tlcreate.fid] = n + 1;
		peer.open[t->u.tlcreate.fid] = true;
		r.u.ropen.qid = qid_of(n);
		break;
	case P9_TMKDIR:
		if ((cur = peer.fids[t->u.tmkdir.dfid] - 1) < 0)
			return lerror(t->tag, 9);
		snprintf((char *)data, 64, "%.*s", (int)t->u.tmkdir.name.len, t->u.tmkdir.name.s);
		r.u.rqid.qid = qid_of(node_add(cur, (char *)data, true, 0));
		break;
	case P9_TREAD:
		if ((n = peer.fids[t->u.tread.fid] - 1) < 0 || !peer.open[t->u.tread.fid])
			return lerror(t->tag, 9);
		r.u.rread.data = (uint8_t *)peer.tree[n].data + (t->u.tread.offset < peer.tree[n].len ?
		                 t->u.tread.offset : peer.tree[n].len);
		r.u.rread.count = t->u.tread.offset >= peer.tree[n].len ? 0 :
		                  (uint32_t)(peer.tree[n].len - t->u.tread.offset);
		if (r.u.rread.count > t->u.tread.count)
			r.u.rread.count = t->u.tread.count;
		break;
	case P9_TWRITE:
		if ((n = peer.fids[t->u.twrite.fid] - 1) < 0 || !peer.open[t->u.twrite.fid])
			return lerror(t->tag, 9);
		if (t->u.twrite.offset + t->u.twrite.count > sizeof peer.tree[n].data)
			return lerror(t->tag, 27);
		memcpy(peer.tree[n].data + t->u.twrite.offset, t->u.twrite.data, t->u.twrite.count);
		if (t->u.twrite.offset + t->u.twrite.count > peer.tree[n].len)
			peer.tree[n].len = t->u.twrite.offset + t->u.twrite.count;
		r.u.rwrite.count = t->u.twrite.count;
		break;
	case P9_TREADDIR: {
		size_t len = 0;
		uint64_t idx = 0;
		if ((cur = peer.fids[t->u.tread.fid] - 1) < 0)
			return lerror(t->tag, 9);
		for (int i = 1; i < NNODE; i++) {
			if (!peer.tree[i].used || peer.tree[i].parent != cur)
				continue;
			if (++idx <= t->u.tread.offset)
				continue;
			struct p9_dirent de = { qid_of(i), idx, 0, p9_str_c(peer.tree[i].name) };
			if (len + p9_dirent_len(&de) > t->u.tread.count)
				break;
			len += (size_t)p9_dirent_encode(&de, data + len, sizeof data - len);
		}
		r.u.rread.count = (uint32_t)len;
		r.u.rread.data = data;
		break;
	}
	case P9_TGETATTR:
		if ((n = peer.fids[t->u.tgetattr.fid] - 1) < 0)
			return lerror(t->tag, 9);
		getattr_of(n, &r);
		break;
	case P9_TCLUNK:
		peer.fids[t->u.tfid.fid] = 0;
		peer.open[t->u.tfid.fid] = false;
		break;
	case P9_TREMOVE:
		n = peer.fids[t->u.tfid.fid] - 1;
		peer.fids[t->u.tfid.fid] = 0;
		if (n <= 0)
			return lerror(t->tag, n == 0 ? 16 : 9);
		peer.tree[n].used = false;
		break;
	case P9_TFLUSH:
		break;
	default:
		return lerror(t->tag, 95);
	}
	reply(&r, P9_2000L);
}

/* Answer t with the armed fault instead. */
static void misbehave(const struct p9_msg *t)
{
	static uint8_t buf[70000];
	struct p9_msg r = { .type = (uint8_t)(t->type + 1), .tag = t->tag };
	enum fault_kind k = peer.fault.kind;
	int n;

	peer.fault.kind = F_NONE;	/* one shot */
	switch (k) {
	case F_ERRNO:
		return lerror(t->tag, peer.fault.arg);
	case F_WRONG_TAG:
		r.type = P9_RCLUNK;
		r.tag = (uint16_t)(t->tag + 7);
		return reply(&r, P9_2000L);
	case F_WRONG_TYPE:
		r.type = P9_RCLUNK;	/* a well-formed reply to another request */
		return reply(&r, P9_2000L);
	case F_SHORT:
		memcpy(buf, "\x05\x00\x00\x00\x00", 5);
		return peer_out(buf, 5);
	case F_OVERSIZE:
		memcpy(buf, "\x00\x00\x10\x00", 4);	/* 1 MiB: past any msize */
		buf[4] = P9_RREAD;
		buf[5] = (uint8_t)t->tag;
		buf[6] = 0;
		return peer_out(buf, 7);
	case F_TRUNCATED:	/* the right header, a body too short for it */
		n = 11;
		memcpy(buf, "\x0b\x00\x00\x00", 4);
		buf[4] = (uint8_t)(t->type + 1);
		buf[5] = (uint8_t)t->tag;
		buf[6] = (uint8_t)(t->tag >> 8);
		memset(buf + 7, 0, 4);
		return peer_out(buf, (size_t)n);
	case F_BIG_RREAD:
		r.type = P9_RREAD;
		r.u.rread.count = 4000;
		r.u.rread.data = buf + 100;
		memset(buf + 100, 'x', 4000);
		return reply(&r, P9_2000L);
	case F_SILENT_HANGUP:
		return peer_restart();
	case F_APPLY_HANGUP:
		peer.mute = true;
		serve(t);
		peer.mute = false;
		return peer_restart();
	case F_SWALLOW:
		peer.swallowed = true;
		return;
	case F_DOT_FOREVER: {	/* "." at offset 0, whatever the offset asked */
		struct p9_dirent de = { qid_of(0), 0, 0, p9_str_c(".") };
		peer.fault.kind = F_DOT_FOREVER;	/* for every Treaddir */
		r.u.rread.count = (uint32_t)p9_dirent_encode(&de, buf, sizeof buf);
		r.u.rread.data = buf;
		return reply(&r, P9_2000L);
	}
	default:
		return serve(t);
	}
}

static void on_send(int conn, const void *buf, size_t n)
{
	struct p9_msg t;
	int err;

	if (conn == peer.dead)
		return;
	peer.conn = conn;
	err = p9_decode(buf, n, peer.msize, peer.versioned ? P9_2000L : P9_NONE, P9_TMSG, &t);
	if (err < 0)
		fail_msg("peer: the client sent a message the codec rejects: %s", p9_strerror(err));
	peer.seen[t.type]++;
	if (peer.fault.kind != F_NONE && peer.fault.ttype == t.type)
		misbehave(&t);
	else
		serve(&t);
}

static int on_dial(const char *addr)
{
	if (strcmp(addr, "unix!/peer") != 0)
		return E_UNREACH;
	if (peer.refuse_dials > 0) {
		peer.refuse_dials--;
		return E_UNREACH;
	}
	return 0;
}

static void arm(uint8_t ttype, enum fault_kind kind, uint32_t arg)
{
	peer.fault.ttype = ttype;
	peer.fault.kind = kind;
	peer.fault.arg = arg;
}

/* The idle loop found nothing to run: let time pass to the next timer
 * (the redial backoff sleeps on one). */
static bool time_passes(void)
{
	if (fake_timer_deadline <= fake_time_ns)
		return false;
	fake_time_ns = fake_timer_deadline;
	fake_timer_fire();
	return true;
}

/* ---- the harness ---------------------------------------------------------- */

/* a fresh scripted peer, and the fake arch's hooks pointed at it */
static void peer_setup(void)
{
	peer_reset();
	fake_dial_hook = on_dial;
	fake_send_hook = on_send;
	fake_dials = fake_closes = 0;
	fake_idle_hook = time_passes;
}

static const struct proc_test_hooks proc_test_hooks_of_this_file = { peer_setup, 0, 0 };

/* ---- helpers (in the proc) ------------------------------------------------ */

static struct chan *mount_peer(void)
{
	struct chan *root;
	int err = mnt_attach("unix!/peer", "", 0, &root);

	if (err < 0)
		fail_msg("mount: %s", proc_errstr(err));
	return root;
}

/* Walk a clone of c along "a/b" (as namec does: one name per step). */
static int walk(struct chan *c, const char *path, struct chan **out)
{
	char buf[256], *save = 0;
	struct chan *n = chan_clone(c);
	int err = 0;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *e = strtok_r(buf, "/", &save); e && err == 0; e = strtok_r(0, "/", &save))
		err = n->dev->walk(n, e);
	if (err < 0) {
		chan_put(n);
		return err;
	}
	*out = n;
	return 0;
}

static struct chan *open_path(struct chan *root, const char *path, int mode)
{
	struct chan *c;
	int err = walk(root, path, &c);

	if (err < 0)
		fail_msg("walk %s: %s", path, proc_errstr(err));
	if ((err = c->dev->open(c, mode)) < 0)
		fail_msg("open %s: %s", path, proc_errstr(err));
	c->mode = mode & OMODE;
	return c;
}

static void expect_read(struct chan *c, const char *want)
{
	char buf[9000] = { 0 };
	long n = c->dev->read(c, buf, sizeof buf - 1, 0);

	if (n < 0)
		fail_msg("read: %s", proc_errstr((int)n));
	assert_int_equal(n, (long)strlen(want));
	assert_string_equal(buf, want);
}

/* ---- success paths -------------------------------------------------------- */

PROC_TEST(test_mount_walk_read_stat)
{
	struct chan *root = mount_peer(), *c;
	struct lux_dir d;

	assert_true(root->qid.type & QTDIR);
	c = open_path(root, "hello", OREAD);
	expect_read(c, "hello world\n");
	assert_int_equal(c->dev->stat(c, &d), 0);
	assert_string_equal(d.name, "hello");
	assert_int_equal(d.length, 12);
	assert_int_equal(d.mode, 0644);
	chan_put(c);
	assert_int_equal(root->dev->stat(root, &d), 0);
	assert_true(d.mode & DMDIR);
	assert_string_equal(d.name, "/");
	assert_int_equal(walk(root, "nothing", &c), E_NOENT);
	assert_int_equal(walk(root, "dir/a/deeper", &c), E_NOENT);	/* a file has no children */
	chan_put(root);
	assert_int_equal(peer.seen[P9_TVERSION], 1);
	assert_int_equal(peer.seen[P9_TATTACH], 1);
	/* every fid the client made was clunked: only the attach remains */
	for (int i = 1; i < NPFID; i++)
		assert_int_equal(peer.fids[i], 0);
}

PROC_TEST(test_write_split_into_iounit_chunks)
{
	struct chan *root, *c;
	char big[3000];

	peer.msize = 1024 + P9_IOHDRSZ;	/* iounit 1024 */
	root = mount_peer();
	c = open_path(root, "hello", OWRITE | OTRUNC);
	memset(big, 'z', sizeof big);
	assert_int_equal(c->dev->write(c, big, sizeof big, 0), (long)sizeof big);
	assert_int_equal(peer.seen[P9_TWRITE], 3);
	assert_int_equal(peer.tree[1].len, sizeof big);
	chan_put(c);
	c = open_path(root, "hello", OREAD);
	big[sizeof big - 1] = 0;
	char buf[3000];
	assert_int_equal(c->dev->read(c, buf, sizeof buf, 0), (long)sizeof buf);
	assert_int_equal(peer.seen[P9_TREAD], 3);
	assert_memory_equal(buf, big, sizeof big - 1);
	chan_put(c);
	chan_put(root);
}

PROC_TEST(test_listing_create_mkdir_remove)
{
	struct chan *root = mount_peer(), *dir, *c;
	struct lux_dir d;

	dir = open_path(root, "dir", OREAD);
	assert_int_equal(dir->dev->dirent(dir, 0, &d), 1);
	assert_string_equal(d.name, "a");
	assert_int_equal(d.length, 3);	/* from Tgetattr, not the readdir entry */
	assert_int_equal(dir->dev->dirent(dir, 1, &d), 1);
	assert_string_equal(d.name, "b");
	assert_int_equal(d.length, 2);
	assert_int_equal(dir->dev->dirent(dir, 2, &d), 0);
	assert_int_equal(peer.seen[P9_TREADDIR], 2);	/* the entries, then the end */
	chan_put(dir);

	assert_int_equal(walk(root, "dir", &c), 0);
	assert_int_equal(c->dev->create(c, "new", OWRITE, 0600), 0);
	assert_int_equal(c->dev->write(c, "fresh", 5, 0), 5);
	chan_put(c);
	c = open_path(root, "dir/new", OREAD);
	expect_read(c, "fresh");
	chan_put(c);

	assert_int_equal(walk(root, "", &c), 0);
	assert_int_equal(c->dev->create(c, "sub", OREAD, DMDIR | 0755), 0);
	assert_true(c->qid.type & QTDIR);
	chan_put(c);
	assert_int_equal(walk(root, "sub", &c), 0);
	assert_int_equal(c->dev->remove(c), 0);
	chan_put(c);
	assert_int_equal(walk(root, "sub", &c), E_NOENT);
	chan_put(root);
}

/* Two procs read at once; the peer answers the second request first. */
static struct chan *shared_root;
static char got[2][64];

static void reader(void *arg)
{
	int i = (int)(uintptr_t)arg;
	struct chan *c = open_path(shared_root, i ? "dir/a" : "dir/b", OREAD);

	c->dev->read(c, got[i], sizeof got[i] - 1, 0);
	chan_put(c);
}

static bool release_held(void)
{
	if (peer.nheld == 2) {
		flush_held();
		return true;
	}
	return time_passes();
}

PROC_TEST(test_tags_multiplex_out_of_order)
{
	struct proc *a, *b;

	shared_root = mount_peer();
	memset(got, 0, sizeof got);
	peer.hold = true;	/* hold both Rread replies, then send them backwards */
	fake_idle_hook = release_held;
	b = proc_create("rb", PRIO_NORMAL, reader, (void *)1, 0);
	a = proc_create("ra", PRIO_NORMAL, reader, (void *)0, 0);
	assert_non_null(a);
	assert_non_null(b);
	proc_join(b);
	proc_join(a);
	assert_string_equal(got[0], "bb");
	assert_string_equal(got[1], "aaa");
	chan_put(shared_root);
}

/* ---- failures of each T-message --------------------------------------------- */

PROC_TEST(test_errno_of_each_request)
{
	struct chan *root = mount_peer(), *c;
	struct lux_dir d;
	char buf[8];

	arm(P9_TWALK, F_ERRNO, 13);
	assert_int_equal(walk(root, "hello", &c), E_PERM);
	assert_int_equal(walk(root, "hello", &c), 0);
	arm(P9_TGETATTR, F_ERRNO, 5);
	assert_int_equal(c->dev->stat(c, &d), E_IO);
	arm(P9_TLOPEN, F_ERRNO, 21);
	assert_int_equal(c->dev->open(c, OREAD), E_ISDIR);
	assert_int_equal(c->dev->open(c, ORDWR), 0);
	arm(P9_TREAD, F_ERRNO, 5);
	assert_int_equal(c->dev->read(c, buf, sizeof buf, 0), E_IO);
	arm(P9_TWRITE, F_ERRNO, 28);
	assert_int_equal(c->dev->write(c, "x", 1, 0), E_NOSPC);
	arm(P9_TREMOVE, F_ERRNO, 1);
	assert_int_equal(c->dev->remove(c), E_PERM);
	chan_put(c);
	assert_int_equal(walk(root, "dir", &c), 0);
	arm(P9_TLCREATE, F_ERRNO, 17);
	assert_int_equal(c->dev->create(c, "x", OWRITE, 0644), E_EXIST);
	arm(P9_TMKDIR, F_ERRNO, 122);
	assert_int_equal(c->dev->create(c, "x", OREAD, DMDIR | 0755), E_NOSPC);
	assert_int_equal(c->dev->open(c, OREAD), 0);
	arm(P9_TREADDIR, F_ERRNO, 20);
	assert_int_equal(c->dev->dirent(c, 0, &d), E_NOTDIR);
	chan_put(c);
	chan_put(root);
	assert_int_equal(fake_dials, 1);	/* errors are answers: no reconnect */
}

PROC_TEST(test_attach_and_version_failures)
{
	struct chan *root;

	assert_int_equal(mnt_attach("unix!/nobody", "", 0, &root), E_UNREACH);
	assert_string_equal(proc_errstr(E_UNREACH),
	                    "9p: unix!/nobody: connection refused or address unreachable");
	assert_int_equal(mnt_attach("bogus", "", 0, &root), E_UNREACH);
	arm(P9_TATTACH, F_ERRNO, 2);
	assert_int_equal(mnt_attach("unix!/peer", "nosuch", 0, &root), E_NOENT);
	assert_non_null(strstr(proc_errstr(E_NOENT), "attach to 'nosuch' refused"));
	arm(P9_TVERSION, F_ERRNO, 95);
	assert_int_equal(mnt_attach("unix!/peer", "", 0, &root), E_IO);
	assert_non_null(strstr(proc_errstr(E_IO), "refused Tversion"));
	peer.msize = 100;	/* below P9_MSIZE_MIN */
	assert_int_equal(mnt_attach("unix!/peer", "", 0, &root), E_IO);
	assert_non_null(strstr(proc_errstr(E_IO), "want 9P2000.L"));
}

PROC_TEST(test_server_that_never_answers)
{
	struct chan *root;
	uint64_t t0 = fake_time_ns;

	arm(P9_TVERSION, F_SWALLOW, 0);	/* accepts, then silence */
	assert_int_equal(mnt_attach("unix!/peer", "", 0, &root), E_IO);
	assert_non_null(strstr(proc_errstr(E_IO), "no answer within 10 s while setting up"));
	assert_true(fake_time_ns - t0 >= MNT_SETUP_NS);
	assert_int_equal(fake_closes, 1);
}

/* ---- hostile replies ---------------------------------------------------------- */

PROC_TEST(test_wrong_type_is_an_error_and_a_reconnect)
{
	struct chan *root = mount_peer(), *c;
	struct lux_dir d;

	assert_int_equal(walk(root, "hello", &c), 0);
	arm(P9_TGETATTR, F_WRONG_TYPE, 0);
	assert_int_equal(c->dev->stat(c, &d), E_IO);
	assert_non_null(strstr(proc_errstr(E_IO), "Tgetattr answered with Rclunk"));
	assert_int_equal(fake_closes, 1);
	assert_int_equal(c->dev->stat(c, &d), 0);	/* redialed, fid re-walked */
	assert_int_equal(fake_dials, 2);
	assert_int_equal(d.length, 12);
	chan_put(c);
	chan_put(root);
}

PROC_TEST(test_stream_faults_reconnect_and_retry)
{
	static const enum fault_kind kinds[] = { F_WRONG_TAG, F_SHORT, F_OVERSIZE };
	struct chan *root = mount_peer(), *c;
	struct lux_dir d;

	assert_int_equal(walk(root, "hello", &c), 0);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		/* nobody can tell whose reply it was: the stream is broken,
		 * and every request in flight is retried on a new one */
		arm(P9_TGETATTR, kinds[i], 0);
		assert_int_equal(c->dev->stat(c, &d), 0);
		assert_int_equal(d.length, 12);
		assert_int_equal(fake_dials, 2 + i);
	}
	chan_put(c);
	chan_put(root);
}

PROC_TEST(test_truncated_reply)
{
	struct chan *root = mount_peer(), *c;
	struct lux_dir d;

	assert_int_equal(walk(root, "hello", &c), 0);
	arm(P9_TGETATTR, F_TRUNCATED, 0);
	assert_int_equal(c->dev->stat(c, &d), E_IO);
	assert_non_null(strstr(proc_errstr(E_IO), "bad reply"));
	assert_int_equal(c->dev->stat(c, &d), 0);
	assert_int_equal(fake_dials, 2);
	chan_put(c);
	chan_put(root);
}

PROC_TEST(test_reply_bigger_than_asked)
{
	struct chan *root = mount_peer(), *c = open_path(root, "hello", OREAD);
	char buf[16];

	arm(P9_TREAD, F_BIG_RREAD, 0);	/* 4000 bytes for a 16-byte read */
	assert_int_equal(c->dev->read(c, buf, sizeof buf, 0), E_IO);
	assert_int_equal(c->dev->read(c, buf, 5, 0), 5);	/* after the reconnect */
	assert_memory_equal(buf, "hello", 5);
	chan_put(c);
	chan_put(root);
}

PROC_TEST(test_listing_that_never_ends)
{
	struct chan *root = mount_peer(), *dir = open_path(root, "dir", OREAD);
	struct lux_dir d;

	arm(P9_TREADDIR, F_DOT_FOREVER, 0);
	assert_int_equal(dir->dev->dirent(dir, 0, &d), E_IO);
	assert_non_null(strstr(proc_errstr(E_IO), "a directory listing that never ends"));
	assert_int_equal(peer.seen[P9_TREADDIR], MNT_MAXDENTS + 3);
	peer.fault.kind = F_NONE;
	assert_int_equal(dir->dev->dirent(dir, 0, &d), 1);	/* reconnected, reopened */
	assert_string_equal(d.name, "a");
	chan_put(dir);
	chan_put(root);
}

/* ---- reconnecting ---------------------------------------------------------- */

PROC_TEST(test_reconnect_restores_open_files)
{
	struct chan *root = mount_peer(), *c = open_path(root, "dir/a", OREAD);

	expect_read(c, "aaa");
	peer_restart();
	peer.refuse_dials = 3;	/* 10 + 20 + 40 ms of backoff */
	expect_read(c, "aaa");
	assert_int_equal(fake_dials, 5);
	assert_int_equal(peer.seen[P9_TVERSION], 2);
	assert_true(peer.open[mnt_fid_of(c)->fid]);
	chan_put(c);
	chan_put(root);
}

PROC_TEST(test_vanished_file_is_stale)
{
	struct chan *root = mount_peer(), *c = open_path(root, "dir/b", OREAD), *c2;
	char buf[8];

	peer_restart();
	peer.tree[node_find(2, "b", 1)].used = false;	/* gone while we were away */
	assert_int_equal(c->dev->read(c, buf, sizeof buf, 0), E_STALE);
	assert_non_null(strstr(proc_errstr(E_STALE), "stale handle: /dir/b on unix!/peer"));
	assert_int_equal(c->dev->read(c, buf, sizeof buf, 0), E_STALE);	/* and stays so */
	c2 = chan_clone(c);
	assert_int_equal(c2->dev->open(c2, OREAD), E_STALE);
	chan_put(c2);
	c2 = open_path(root, "dir/a", OREAD);	/* the rest of the mount works */
	expect_read(c2, "aaa");
	chan_put(c2);
	chan_put(c);
	chan_put(root);
}

PROC_TEST(test_server_gone_for_good)
{
	struct chan *root = mount_peer(), *c = open_path(root, "hello", OREAD);
	char buf[8];

	peer_restart();
	peer.refuse_dials = 1000;
	assert_int_equal(c->dev->read(c, buf, sizeof buf, 0), E_UNREACH);
	assert_int_equal(fake_dials, 1 + MNT_DIAL_TRIES);	/* bounded */
	peer.refuse_dials = 0;
	assert_int_equal(c->dev->read(c, buf, 5, 0), 5);	/* it came back */
	chan_put(c);
	chan_put(root);
}

PROC_TEST(test_hangup_mid_request)
{
	struct chan *root = mount_peer(), *c = open_path(root, "hello", OREAD);

	arm(P9_TREAD, F_SILENT_HANGUP, 0);	/* the request is lost with the server */
	expect_read(c, "hello world\n");	/* redialed and asked again */
	assert_int_equal(fake_dials, 2);
	chan_put(c);
	chan_put(root);
}

/* A write the server applied, lost with the connection before its reply:
 * it fails with an error that says it may have been applied, and is never
 * sent again (the server saw one Twrite); the mount goes on. */
PROC_TEST(test_write_in_doubt_is_not_resent)
{
	struct chan *root = mount_peer(), *c = open_path(root, "hello", OWRITE);

	arm(P9_TWRITE, F_APPLY_HANGUP, 0);
	assert_int_equal(c->dev->write(c, "HELLO", 5, 0), E_IO);
	assert_non_null(strstr(curproc()->errstr, "Twrite in flight at a disconnect: may have been "
	                       "applied, not resent"));
	assert_int_equal(peer.seen[P9_TWRITE], 1);
	assert_memory_equal(peer.tree[1].data, "HELLO world\n", 12);	/* applied once */
	arm(0, F_NONE, 0);
	chan_put(c);
	c = open_path(root, "hello", OREAD);
	expect_read(c, "HELLO world\n");
	assert_int_equal(fake_dials, 2);
	chan_put(c);
	chan_put(root);
}

/* The same for a remove: a second Tremove would say "does not exist" about
 * a file the first one removed. */
PROC_TEST(test_remove_in_doubt_is_not_resent)
{
	struct chan *root = mount_peer(), *c = open_path(root, "hello", OREAD);

	arm(P9_TREMOVE, F_APPLY_HANGUP, 0);
	assert_int_equal(c->dev->remove(c), E_IO);
	assert_int_equal(peer.seen[P9_TREMOVE], 1);
	assert_false(peer.tree[1].used);
	chan_put(c);
	chan_put(root);
}

static void test_once_only_requests(void **state)
{
	struct p9_msg t = { .type = P9_TLOPEN };

	(void)state;
	assert_false(mnt_once_only(&t));
	t.u.tlopen.flags = 01000;	/* O_TRUNC: a second truncate could cut later writes */
	assert_true(mnt_once_only(&t));
	t = (struct p9_msg){ .type = P9_TSETATTR };
	assert_false(mnt_once_only(&t));
	t.u.tsetattr.valid = P9_SETATTR_SIZE;
	assert_true(mnt_once_only(&t));
	static const uint8_t once[] = { P9_TWRITE, P9_TLCREATE, P9_TMKDIR, P9_TSYMLINK, P9_TMKNOD,
	                                P9_TLINK, P9_TRENAME, P9_TRENAMEAT, P9_TUNLINKAT,
	                                P9_TREMOVE, P9_TCREATE, P9_TWSTAT, P9_TXATTRCREATE };
	static const uint8_t again[] = { P9_TWALK, P9_TREAD, P9_TGETATTR, P9_TREADDIR, P9_TCLUNK,
	                                 P9_TSTATFS, P9_TREADLINK, P9_TFSYNC, P9_TXATTRWALK };
	for (size_t i = 0; i < sizeof once; i++) {
		t = (struct p9_msg){ .type = once[i] };
		assert_true(mnt_once_only(&t));
	}
	for (size_t i = 0; i < sizeof again; i++) {
		t = (struct p9_msg){ .type = again[i] };
		assert_false(mnt_once_only(&t));
	}
}

/* A proc killed while its request has no answer: it flushes the tag and
 * returns E_INTR; the mount is none the worse. */
static int victim_pid;
static long victim_result;
static struct chan *victim_chan;

static void victim(void *arg)
{
	char buf[16];

	(void)arg;
	victim_result = victim_chan->dev->read(victim_chan, buf, sizeof buf, 0);
}

static bool kill_when_stuck(void)
{
	if (peer.swallowed && victim_pid) {
		assert_int_equal(proc_kill(victim_pid), 0);
		victim_pid = 0;
		return true;
	}
	return time_passes();
}

PROC_TEST(test_killed_reader_flushes)
{
	struct chan *root = mount_peer();
	struct proc *p;

	victim_chan = open_path(root, "hello", OREAD);
	arm(P9_TREAD, F_SWALLOW, 0);
	fake_idle_hook = kill_when_stuck;
	p = proc_create("victim", PRIO_NORMAL, victim, 0, 0);
	assert_non_null(p);
	victim_pid = p->pid;
	proc_join(p);
	assert_int_equal(victim_result, E_INTR);
	assert_int_equal(peer.seen[P9_TFLUSH], 1);
	expect_read(victim_chan, "hello world\n");	/* same fid, same connection */
	assert_int_equal(fake_dials, 1);
	chan_put(victim_chan);
	chan_put(root);
}

PROC_TEST(test_mount_cap)
{
	struct chan *roots[MNT_MAXMOUNT], *extra;

	for (int i = 0; i < MNT_MAXMOUNT; i++)
		roots[i] = mount_peer();
	assert_int_equal(mnt_attach("unix!/peer", "", 0, &extra), E_MFILE);
	assert_non_null(strstr(proc_errstr(E_MFILE), "too many 9P mounts: 8/8"));
	for (int i = 0; i < MNT_MAXMOUNT; i++)
		chan_put(roots[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_walk_read_stat),
		cmocka_unit_test(test_write_split_into_iounit_chunks),
		cmocka_unit_test(test_listing_create_mkdir_remove),
		cmocka_unit_test(test_tags_multiplex_out_of_order),
		cmocka_unit_test(test_errno_of_each_request),
		cmocka_unit_test(test_attach_and_version_failures),
		cmocka_unit_test(test_server_that_never_answers),
		cmocka_unit_test(test_wrong_type_is_an_error_and_a_reconnect),
		cmocka_unit_test(test_stream_faults_reconnect_and_retry),
		cmocka_unit_test(test_truncated_reply),
		cmocka_unit_test(test_reply_bigger_than_asked),
		cmocka_unit_test(test_listing_that_never_ends),
		cmocka_unit_test(test_reconnect_restores_open_files),
		cmocka_unit_test(test_vanished_file_is_stale),
		cmocka_unit_test(test_server_gone_for_good),
		cmocka_unit_test(test_hangup_mid_request),
		cmocka_unit_test(test_write_in_doubt_is_not_resent),
		cmocka_unit_test(test_remove_in_doubt_is_not_resent),
		cmocka_unit_test(test_once_only_requests),
		cmocka_unit_test(test_killed_reader_flushes),
		cmocka_unit_test(test_mount_cap),
	};

	fake_boot(1024, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
