/*
 * Inside the 9P client (core/9p/mnt*.c): a session per mount, RPCs
 * multiplexed by tag, fids remembered by path so a broken connection can
 * be redialed and every fid restored.  <lux/mnt.h> is the public side;
 * docs/9p.md "Client (mnt)" the behaviour and the bounds.
 *
 * Who owns what:
 *  - A session (one mount) is referenced by each of its fids; the last
 *    put closes the connection, waits for the arch's closed upcall (the
 *    upcalls write into the session) and frees it.
 *  - A chan's aux is its mount's session, so chans of one mount with the
 *    same qid are the same file to the namespace (chan_same_file compares
 *    aux), and a mount on a directory inside a 9P mount is crossed.  Each
 *    chan's own state is a struct mnt_fid, found by the chan's address in
 *    the session's table (mnt_fid_of): chans never share one (clone makes
 *    a new one holding only the path).  Its server fid is made lazily,
 *    when an operation first needs it, by walking from the attach fid
 *    (number 0) along the path; close clunks it.
 *  - An RPC (struct mnt_rpc) lives on its caller's stack; the session's
 *    tag table points at it while it is in flight.  The receive upcall
 *    only copies the reply into the caller's buffer and wakes; the caller
 *    decodes and checks it (mnt_reply_check), in its own proc.
 *
 * Fields marked (u) are touched by upcalls: procs change them under
 * mnt_lock, which the upcalls take too.  It is one lock for the client
 * (the mount table, and every session's (u) fields, fid table, bychan
 * chains and redialing flag), since an upcall finds its session through
 * the table by connection id; it is never held across a sleep, an RPC
 * or a kmalloc, only across arch_conn_* calls (which never call back).
 */
#ifndef LUX_MNTSESS_H
#define LUX_MNTSESS_H

#include <lux/9p.h>
#include <lux/auth.h>
#include <lux/lock.h>
#include <lux/arch.h>
#include <lux/proc.h>

#define MNT_MAXMOUNT 8		/* mounts at once, machine-wide */
#define MNT_MAXTAG 16		/* requests in flight per mount */
#define MNT_MAXFID 512		/* server fids per mount, the attach's included */
#define MNT_MSIZE (65536u + P9_IOHDRSZ)	/* what Tversion asks for */
/* Received bytes held: one partial message and one chunk from the arch;
 * whole messages are taken out in the upcall, so it never holds more. */
#define MNT_INBUF (MNT_MSIZE + LUX_CONN_CHUNK)
#define MNT_SMALL 512		/* reply buffer of anything but Rread/Rreaddir */
#define MNT_TBUF (P9_HDRSZ + 6 + P9_MAXWELEM * (2 + LUX_NAMEMAX))	/* a full Twalk */
#define MNT_MAXDENTS 1024	/* entries of one directory listing */
#define MNT_CHASH 64		/* buckets of the chan -> mnt_fid table */
#define MNT_SENDHIGH (256u << 10)	/* unsent requests: wait past this */
#define MNT_SENDLOW (64u << 10)
#define MNT_DIAL_TRIES 8	/* per redial: 10 ms doubling to 1 s, ~2.3 s */
#define MNT_BACKOFF_MIN_NS (10ull * 1000 * 1000)
#define MNT_BACKOFF_MAX_NS (1000ull * 1000 * 1000)
#define MNT_OP_TRIES 3		/* redials one operation may wait for */
/* One dial-version-attach-restore must be over in this time: a server
 * that accepts and never answers (or a dial that hangs) ends it. */
#define MNT_SETUP_NS (10ull * 1000 * 1000 * 1000)
/* A killed proc's Tflush must be answered in this time, and a Tclunk
 * (made by procs nobody kills: a 9P connection's reader closing its
 * fids) too; else the connection is broken (its server forgets every
 * fid, the one clunked included) and the next operation redials.  The
 * messages ("no Rflush within 5 s") name it. */
#define MNT_FLUSH_NS (5ull * 1000 * 1000 * 1000)
#define MNT_CLUNK_NS (5ull * 1000 * 1000 * 1000)
#define MNT_ADDRMAX 200
#define MNT_ANAMEMAX 128
/* Who attaches: the user the mounting proc acts for, by name and (for .L
 * servers) by its id in /adm/users, so a Lux9 server that trusts this
 * connection checks that user's permissions (docs/security.md). */

/* Internal: the connection broke under an RPC; the operation redials and
 * retries (never returned to a user: after MNT_OP_TRIES it is E_IO). */
#define MNT_E_BROKEN (-300)
/* Internal: the connection broke after a request that must not run twice
 * (mnt_once_only) had left for the server, before its reply: it may have
 * been applied, so it is not resent.  The errstr says so; mnt_retry
 * hands it to the user as E_IO. */
#define MNT_E_INDOUBT (-301)

enum mnt_state {
	MS_DOWN,		/* no connection: the next operation redials */
	MS_SETUP,		/* dialed: the redialer versions, attaches, re-walks */
	MS_UP,			/* everyone's requests flow */
};

struct mnt_rpc {
	uint16_t tag;
	uint8_t ttype;		/* the request's type: the reply must match */
	uint8_t *rbuf;		/* the reply lands here (rcap bytes) */
	size_t rcap;
	size_t rlen;		/* (u) reply bytes, once done */
	int err;		/* (u) 0, MNT_E_BROKEN, or E_IO (oversize) */
	bool done;		/* (u) */
};

struct mnt_sess;

struct mnt_fid {
	struct mnt_sess *s;	/* a reference */
	const struct chan *c;	/* whose state this is */
	struct mnt_fid *cnext;	/* hash chain in s->bychan */
	uint32_t fid;		/* the server's, or P9_NOFID until needed */
	char *path;		/* from the attach root: "" or "a/b"; kmalloc'd */
	int omode;		/* -1, or the mode it was opened with */
	uint32_t iounit;	/* bytes per read/write: msize - 24 or the server's */
	bool stale;		/* could not be restored after a redial */
	bool removed;		/* Tremove sent: the server fid is gone */
	struct lux_dir *dents;	/* the cached listing (open directories) */
	size_t ndents;
};

/* s->fids[n] when fid n was closed while the session was not up: the
 * number stays taken until the redialer clunks or forgets it. */
#define MNT_ZOMBIE ((struct mnt_fid *)1)
/* ... and while it is borrowed for one step (a listing's getattr). */
#define MNT_TEMP ((struct mnt_fid *)2)

extern struct spinlock mnt_lock;	/* see the top */

struct mnt_sess {
	int ref;		/* fids, plus the mount table's while attaching */
	int slot;		/* index in the mount table */
	int conn;		/* (u) the arch's id, or -1 */
	enum mnt_state state;	/* (u) */
	uint32_t gen;		/* (u) bumped at every break */
	bool dialed;		/* (u) lux_dial_connected arrived */
	bool timedout;		/* (u) the setup timer fired */
	int dial_err;		/* (u) what it said */
	size_t queued;		/* (u) request bytes the arch still holds */
	uint8_t *in;		/* (u) MNT_INBUF: a partial reply */
	size_t inlen;		/* (u) */
	struct mnt_rpc *tags[MNT_MAXTAG];	/* (u) in flight, by tag */
	struct mnt_rpc *vrpc;	/* (u) the Tversion in flight (NOTAG) */
	struct waitq wq;	/* replies, breaks, free tags, redial ends */
	bool redialing;		/* a proc is redialing: others wait */
	int redial_err;		/* how the last redial ended */
	uint32_t msize;		/* negotiated */
	struct qid rootqid;
	struct mnt_fid *fids[MNT_MAXFID];	/* by number; 0 = the attach */
	struct mnt_fid *bychan[MNT_CHASH];	/* every chan's state, by chan */
	char addr[MNT_ADDRMAX + 1];
	char aname[MNT_ANAMEMAX + 1];
	char uname[28];		/* the mounting proc's user (cred.user) */
	uint32_t n_uname;	/* its id, or P9_NONUNAME */
	/* Authenticated mounts (mount -k KEY, docs/security.md): the
	 * mounting user's Ed25519 key by name, taken at each (re)dial; once
	 * attached, records both ways: the arch's bytes land in raw and are
	 * opened into in before mnt_take sees them. */
	char key[32];		/* KS_NAMELEN; "" for none */
	bool secure;		/* (u) */
	uint8_t *raw;		/* (u) MNT_INBUF of ciphertext */
	size_t rawlen;		/* (u) */
	struct auth_rec tx, rx;	/* (u) */
	char why[96];		/* (u) why the last connection broke */
};

/* ---- Replies: pure checks, no proc, no arch (core/9p/mnt/mnt_reply.c) ----- */

/* The whole message at the front of buf[0..len): 1 and *size when it is
 * all there, 0 when more bytes are needed, or P9_E_SHORT / P9_E_MSIZE
 * when its size field cannot be right (the stream cannot be resynced). */
int mnt_frame(const uint8_t *buf, size_t len, uint32_t msize, uint32_t *size);
/* What mnt_take found wrong, for the message that says so. */
struct mnt_bad {
	uint32_t size;		/* the size field */
	uint8_t type;
	uint16_t tag;
};
/* The receive side's demultiplexer: deliver every whole reply at the
 * front of in[0..*inlen) to the request with its tag (tags[tag], or vrpc
 * for NOTAG): copy it into rbuf, set rlen and done.  A partial reply is
 * moved to the front and kept.  0, or the stream is broken and nothing
 * after the bad reply can be trusted: P9_E_SHORT / P9_E_MSIZE (a size
 * field below 7 or past msize), P9_E_TAG (no request waits for that
 * tag), P9_E_COUNT (bigger than its request allows: that request gets
 * err E_IO and done).  *bad says which message. */
int mnt_take(uint8_t *in, size_t *inlen, uint32_t msize, struct mnt_rpc *const *tags, size_t ntags,
             struct mnt_rpc *vrpc, struct mnt_bad *bad);
/* Decode the reply to a request of type ttype with tag `tag`: 0 and *r,
 * 1 for an Rlerror (*r holds the errno), or a P9_E_* code (the codec's,
 * or P9_E_TYPE when it answers another request, P9_E_TAG for another
 * tag).  Replies to Twalk must have nwqid <= nwname: pass nwname (0 for
 * other types). */
int mnt_reply_check(const uint8_t *buf, size_t len, uint32_t msize, uint8_t ttype, uint16_t tag,
                    uint16_t nwname, struct p9_msg *r);
/* A Linux errno from Rlerror as a lux error (E_IO for unknown ones). */
int mnt_errno(uint32_t ecode);
/* struct lux_dir from an Rgetattr and a name. */
void mnt_dir_of_attr(const struct p9_msg *r, const char *name, struct lux_dir *d);
/* struct lux_dir from a readdir entry, before its attributes are known:
 * 0, or E_NAMETOOLONG / E_INVAL for a name that cannot be one. */
int mnt_dir_of_dirent(const struct p9_dirent *de, struct lux_dir *d);
/* Split "a/b/c" into at most max names (pointers into a copy in buf):
 * how many, or E_NAMETOOLONG. */
int mnt_split_path(const char *path, char *buf, size_t cap, const char **names, int max);

/* ---- Sessions and RPCs (core/9p/mnt/mnt_rpc.c) ------------------------ */

struct mnt_sess *mnt_sess_new(const char *addr, const char *aname, const char *key, int *err);
/* The handshake on an afid and the switch to records (mnt_auth.c): 0, or
 * an error with the errstr set (MNT_E_BROKEN when the connection broke). */
int mnt_authenticate(struct mnt_sess *s, uint32_t afid);
/* Seal n bytes and queue them (upcalls off): arch_conn_send's answer. */
long mnt_sealed_send(struct mnt_sess *s, const uint8_t *buf, size_t n);
/* Ciphertext arrived (upcalls off): open what is whole into in.  0, or
 * a sentence saying why the stream is dead. */
const char *mnt_sealed_received(struct mnt_sess *s, const void *buf, size_t n);
/* Forget the last connection's keys (a break, a redial). */
void mnt_sealed_reset(struct mnt_sess *s);
void mnt_sess_put(struct mnt_sess *s);
/* Whether a second copy of request t could change the server's state
 * again or be answered differently (a write, a create, a remove, a
 * rename, an open that truncates): such a request is resent after a
 * reconnect only when it provably never left (docs/9p.md, "Reconnecting"). */
bool mnt_once_only(const struct p9_msg *t);
/* Send t and wait for its reply in rbuf[0..rcap): 0 with *r decoded, a
 * lux error (Rlerror, E_INTR, a hostile reply: E_IO and a break), or
 * MNT_E_BROKEN.  setup: the redialer's own requests, allowed in MS_SETUP. */
int mnt_rpc(struct mnt_sess *s, struct p9_msg *t, uint8_t *rbuf, size_t rcap, struct p9_msg *r,
            bool setup);
/* Mark the connection broken (with a reason for messages) and close it;
 * every RPC in flight ends with MNT_E_BROKEN.  gen: only if still the
 * connection of that generation. */
void mnt_break(struct mnt_sess *s, uint32_t gen, const char *why);
/* Dial, wait until connected, Tversion: 0 or an error (errstr set). */
int mnt_connect(struct mnt_sess *s);
/* Timer callback (upcalls off): setting up took MNT_SETUP_NS; abandon
 * the dial or break the connection, and say so. */
void mnt_setup_expired(void *arg);

/* ---- Fids and redialing (core/9p/mnt/mnt_fid.c) ----------------------- */

/* The state of chan c of mnt_dev, or 0 (a clone that found no memory). */
struct mnt_fid *mnt_fid_of(const struct chan *c);

/* A fid number for f (P9_NOFID in f->fid before), or E_MFILE. */
int mnt_fid_number(struct mnt_sess *s, struct mnt_fid *f);
void mnt_fid_release(struct mnt_sess *s, uint32_t fid);
void mnt_fid_release_locked(struct mnt_sess *s, uint32_t fid);	/* mnt_lock held */
/* The session is up (redialing, with backoff, if it is not): 0 or an
 * error with the errstr set.  tries: dial attempts if a redial is needed. */
int mnt_ensure_up(struct mnt_sess *s, int tries);
/* Twalk from the attach fid to `path` as fid `newfid`. */
int mnt_walk_path(struct mnt_sess *s, uint32_t newfid, const char *path, struct qid *qid,
                  bool setup);
/* Linux open flags for a lux open mode. */
uint32_t mnt_lflags(int omode);

/* ---- The device (core/9p/mnt/mnt_dev.c, mnt_data.c) -------------------- */

/* Run op(f, arg) with f's server fid made first (needfid), redialing a
 * broken connection and trying again, MNT_OP_TRIES times; E_STALE for a
 * stale fid, E_NOMEM for f == 0. */
int mnt_retry(struct mnt_fid *f, int (*op)(struct mnt_fid *, void *), void *arg, bool needfid);
/* A reply that cannot be right for its request: break, E_IO saying what. */
int mnt_bad_reply(struct mnt_fid *f, const char *what);
/* A fid number held while a walk makes it (MNT_TEMP), or E_MFILE. */
int mnt_reserve(struct mnt_sess *s);
long mnt_read(struct chan *c, void *buf, size_t n, uint64_t off);
long mnt_write(struct chan *c, const void *buf, size_t n, uint64_t off);
int mnt_dirent(struct chan *c, size_t i, struct lux_dir *d);

#endif
