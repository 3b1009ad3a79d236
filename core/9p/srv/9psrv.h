/*
 * The 9P server: serves the namespace of the proc that starts it over the
 * arch's connections (<lux/arch.h>: arch_conn_*, lux_conn_*), in 9P2000
 * and 9P2000.L.  docs/9p.md says what is supported and what is not yet.
 *
 * Shape (no proc of its own per connection: a framer and a pool of
 * workers shared by all):
 *  - the upcalls only copy bytes into the connection's bounded input
 *    buffer, pause the connection when it is full, and put it on the
 *    framer's ring when there is something to do (a whole message, a
 *    clock, the end); they never block (lux_conn_opened allocates the
 *    connection's small state atomically);
 *  - the listener proc (started by ninep_start) is the framer: it frames
 *    each connection's input, admits each request into the connection's
 *    tag table (charging its budget), handles Tflush and queues the rest.
 *    It never sleeps on a connection's behalf, so a Tflush is admitted
 *    however busy the workers are;
 *  - what may sleep is a control job run by a worker (srv_flight.c):
 *    the start (the connection's principal: <lux/proc.h>), a Tversion,
 *    an attach that seals the stream, and the end; the framer leaves the
 *    connection alone while one runs;
 *  - a pool of worker procs shared by every connection runs the queued
 *    requests: connections with work wait in a ring and each worker takes
 *    one request of the connection at the ring's head, which then goes to
 *    the back (round robin), at most NINEP_RUNNING of one connection at
 *    once.  A request that sleeps (a read of a pipe) holds one worker,
 *    never the connection.  The listener starts workers while work waits
 *    and none is idle, up to the pool's bound; idle ones beyond
 *    NINEP_POOL_IDLE (or beyond the connections served) exit;
 *  - Tflush kills the worker running the flushed request: its sleep
 *    returns E_INTR, the request ends, the worker exits (kill is sticky)
 *    and the listener starts another when work waits;
 *  - a connection's principal is a proc that never runs (ps shows it,
 *    "served"): its identity, namespace, crypto sessions and budget, which
 *    is capped (NINEP_CONN_PAGES ...) and drawn from one pool for every
 *    connection as it spends (budget_cap), so an idle one reserves
 *    nothing; everything the connection makes the kernel hold is charged
 *    there: buffers, request copies (PB_PAGES, by the byte), fids
 *    (PB_FIDS), requests in flight (PB_REQS).  Its small state is one
 *    page of that pool.  The workers (procs, stacks, reply buffers) are
 *    the listener's own.
 */
#ifndef LUX_9PSRV_H
#define LUX_9PSRV_H

#include <lux/9p.h>
#include <lux/auth.h>
#include <lux/arch.h>
#include <lux/lock.h>
#include <lux/ninep.h>
#include <lux/proc.h>
#include <lux/timer.h>
#include <lux/upcall.h>

/* Served at once, at most; fewer when memory is short (ninep_start: one
 * page of idle state each, from the connections' pool).  More are
 * refused, in 9P, with the count. */
#define NINEP_MAXCONN 16384
#define NINEP_IDHASH 1024	/* buckets of the arch id -> connection table */
#define NINEP_CONN_IDLE_PAGES 1	/* a connection's own state and principal */
#define NINEP_CONN_SPARE 512	/* bytes of its charges that ride in that page */
/* The connections together may draw this share of what the proc starting
 * the server has (the rest stays for the shell, files and keys). */
#define NINEP_POOL_SHARE_NUM 3
#define NINEP_POOL_SHARE_DEN 4
#define NINEP_MAXFID 4096		/* per connection */
#define NINEP_MSIZE (65536u + P9_IOHDRSZ)	/* the largest msize we offer */
/* Input held per connection (docs/9p.md, "Memory of a connection"): an
 * idle one has only NINEP_SMALLIN bytes inside its slot, enough for the
 * small requests most clients send one at a time (walk, getattr, clunk,
 * a short read's Tread).  A message longer than that, or a client that
 * fills it faster than it is framed, gets a buffer of NINEP_INBUF bytes
 * (one whole message and one more chunk from the arch), charged to the
 * connection and given back as soon as it has been read to the end.  The
 * arch asks how much fits before it reads (lux_conn_room), so nothing it
 * delivers can overflow either. */
#define NINEP_SMALLIN 256
#define NINEP_INBUF (NINEP_MSIZE + LUX_CONN_CHUNK)
#define NINEP_FIDHASH 64	/* fid table buckets, once a connection holds many */
#define NINEP_FIDSMALL 4	/* ... until then, inside the connection */
#define NINEP_RUNNING 4		/* requests of one connection running at once */
/* The worker pool: at most NINEP_POOL_PER_CONN per connection served
 * and NINEP_POOL_MAX in all (what a connection cannot get waits in its
 * queue); idle ones beyond NINEP_POOL_IDLE exit. */
#define NINEP_POOL_PER_CONN 2
#define NINEP_POOL_MAX 64
#define NINEP_POOL_IDLE 4
/* A worker idle beyond those leaves only after this long idle, so a
 * burst's workers are not started again for the next burst. */
#define NINEP_POOL_LINGER_MS 1000
#define NINEP_MAXREQ 64		/* requests in flight per connection (PB_REQS) */
/* A new connection's first messages go to the front of the framer's ring
 * and of the pool's: enough for Tversion, an authentication's Tauth and
 * its reads and writes, and Tattach. */
#define NINEP_FRESH_MSGS 8
/* What a reply other than Rread/Rreaddir may take (an Rerror's sentence,
 * an Rstat's names, an Rreadlink's target): reserved for it before its
 * request runs (see ninep_reply_reserve). */
#define NINEP_REPLY_SMALL 2048
/* The connection's page budget: its input buffers (33 pages each), the
 * copies of requests in flight (diodload's 16 threads of 64 KiB writes
 * take 272) and its fids. */
#define NINEP_CONN_PAGES 512
/* Pages of the listener's budget for one pool worker: its stack (8) and
 * its reply buffer (17 at the largest msize). */
#define NINEP_WORKER_PAGES 25
/* Crypto pebbles a connection gets: its keyed sessions' work (docs/crypto.md,
 * "Pebbles"); NINEP_MAXCONN connections take 2 GiB of the root's 4. */
#define NINEP_CONN_CRYPTO (32ull << 20)
/* Replies waiting in the arch: past HIGH the conn's proc stops handling
 * requests until they drain to LOW (so its input fills, the connection is
 * paused, and a peer that does not read stops being able to send). */
#define NINEP_SENDHIGH (256u << 10)
#define NINEP_SENDLOW (64u << 10)

/* The connection edge (core/9p/srv/srv_admit.c, docs/9p.md "Limits at the
 * connection edge").  Timeouts are defaults: luxsim's --9p-handshake-ms,
 * --9p-partial-ms and --9p-report-ms override them (lux_boot.ninep_*).
 *  - HANDSHAKE: a connection must finish its first Tversion within it;
 *  - PARTIAL: a message begun must arrive whole within it;
 *  - REPORT: refusals and timeouts are summed on the console once per
 *    this interval, never a line each (a flood would be a flood of lines);
 *  - REFUSE_WAIT: a refused connection's first message (its Tversion, to
 *    answer in its dialect) is awaited at most this long (or HANDSHAKE if
 *    shorter), in one of NINEP_MAXREFUSING small slots; past those a
 *    refused connection is closed without a word (and still counted). */
#define NINEP_HANDSHAKE_MS 5000
#define NINEP_PARTIAL_MS 15000
#define NINEP_REPORT_MS 10000
#define NINEP_REFUSE_WAIT_MS 1000
#define NINEP_MAXREFUSING 16
#define NINEP_REFUSE_PEEK 64	/* bytes of a refused connection's first message kept */

/* Errors of the server's own, beside the lux_err codes (<lux/error.h>);
 * a range of their own like the codec's.  Strings and errno values for
 * both kinds are in core/9p/srv/srv_err.c. */
enum ninep_err {
	NINEP_E_NOFID = -200,	/* unknown fid */
	NINEP_E_FIDINUSE = -201,	/* fid already in use */
	NINEP_E_NFIDS = -202,	/* fid table full */
	NINEP_E_NOTSUP = -203,	/* message or operation not supported yet */
	NINEP_E_OPEN = -204,	/* fid is open (walk, open, create on it) */
	NINEP_E_NOTOPEN = -205,	/* fid not open for that */
	NINEP_E_DIROFF = -206,	/* bad directory read offset */
	NINEP_E_NOAUTH = -207,	/* authentication not required */
	NINEP_E_AFID = -208,	/* attach with an afid */
	NINEP_E_NAME = -209,	/* bad walk/create name ("", "/" in it, "..") */
	NINEP_E_DIRFIT = -210,	/* directory entry does not fit count */
	NINEP_E_WSTAT = -211,	/* wstat of a field that cannot change */
	NINEP_E_NOLINK = -212,	/* Tlink: no hard links here */
	NINEP_E_NOXATTR = -213,	/* Txattrwalk/create: no extended attributes */
	NINEP_E_LOCKS = -214,	/* the lock table is full */
	NINEP_E_OWNER = -215,	/* a change of owner or group */
	NINEP_E_FIDBUSY = -216,	/* another request in flight uses the fid */
	NINEP_E_TAG = -217,	/* the tag is already in flight */
	NINEP_E_NREQS = -218,	/* requests budget exhausted (errstr says) */
	NINEP_E_LAST = -219
};

/* The 9P2000 string and the 9P2000.L errno for err (a lux_err, a
 * ninep_err or a codec P9_E_* code).  Never null / never 0. */
const char *ninep_errstr(int err);
uint32_t ninep_errno(int err);
/* What 9P2000's Rerror says for err: a string Linux's 9P client maps to
 * ninep_errno(err) ("file does not exist", "Is a directory"), or 0 where
 * there is none (ESRCH, ESTALE, a protocol violation): then the sentence. */
const char *ninep_word(int err);

/* The server's own device (mounted at /9p; aname "ctl"): status, zero,
 * null.  core/9p/srv/srv_dev.c */
struct dev;
extern const struct dev ninep_dev;
#define NINEP_CTL_PATH "/9p"

/* ---- Server internals (core/9p/srv*.c) -------------------------------- */

/* What a capability token bounds (core/9p/srv/srv_token.c; docs/security.md,
 * "Tokens"): the caveats of the token a connection authenticated with,
 * folded once at its attach.  Every fid of that connection's attaches
 * points at them (walks and new fids inherit the pointer), and every
 * request on such a fid is checked against them before it runs. */
struct ninep_caveats {
	bool on;		/* set last, once: the rest is then read-only */
	uint32_t rights;	/* CT_R_*: the token's root rights & RIGHTS caveats */
	uint64_t expiry_ns;	/* arch_time_ns() from which everything is refused */
	struct ct_cap cap;	/* its slot: revoking it ends the connection's rights */
	bool nopath;		/* PATH caveats that no path satisfies at once */
	char prefix[CT_PATH_MAX + 1];	/* "": no PATH caveat; else the longest */
};

/* A fid: a path in the served namespace plus the chan it names.  The path
 * is what walks and ".." work on (namec resolves it, crossing mounts);
 * the chan is what opens, reads and writes use. */
struct ninep_fid {
	struct ninep_fid *next;	/* hash chain */
	uint32_t fid;
	struct chan *c;		/* a reference; open when c->mode >= 0 */
	char *path;		/* "" for "/", else "/a/b"; kmalloc'd */
	size_t rootlen;		/* the attach root's length: ".." stops there */
	bool orclose;		/* remove at clunk (Topen/Tcreate ORCLOSE) */
	uint64_t diroff;	/* 9P2000 directory reads: the next offset */
	uint64_t dircookie;	/* ... and the chan_dirnext cookie it resumes at */
	/* Concurrency (with upcalls off): requests in flight using it, and
	 * whether one of them changes it (walk in place, open, create, a
	 * 9P2000 directory read, a rename moving its path); a clunked fid is
	 * freed by its last user. */
	int users;
	bool excl;
	bool clunked;		/* out of the table */
	size_t charged;		/* bytes charged for it and its path */
	struct ninep_fid *moving;	/* a rename's list of the fids it moves */
	char user[LUX_UIDMAX];	/* whom its attach acts for: every request on
				 * it runs as this user (docs/security.md) */
	const struct ninep_caveats *cav;	/* the token bounding it, or 0
				 * (its conn's tok: lives as long as it) */
	struct ninep_afid *afid;	/* an auth fid's handshake (srv_secure.c):
				 * such a fid has no chan and only reads,
				 * writes, clunks and attaches see it */
};

/* A request in flight: in the tag table from admission to its answer. */
struct ninep_req {
	struct ninep_req *next;	/* the tag table (s->reqs) */
	struct ninep_req *qnext;	/* the queue of requests waiting for a worker */
	struct ninep_req *flushes;	/* Tflushes waiting for this one to end */
	struct ninep_req *target;	/* a Tflush: the request it waits for */
	uint16_t tag;
	uint8_t type;
	bool queued;		/* waiting for a worker */
	bool flushed;		/* a Tflush or Tversion asked: see docs/9p.md */
	bool reserve;		/* a Tflush held beyond the budget (admit_flush) */
	uint8_t room;		/* room for its reply: NINEP_ROOM_* (take() decides) */
	size_t replyres;	/* bytes of the connection's pages reserved for it */
	int pid;		/* the worker running it, or 0 */
	size_t len;		/* bytes in msg */
	size_t charged;		/* bytes charged for it */
	uint8_t msg[];		/* the request as received */
};

/* Room for a request's reply, decided as a worker takes it (docs/9p.md,
 * "Unread replies"). */
enum {
	NINEP_ROOM_RESERVED,	/* replyres bytes charged to the connection */
	NINEP_ROOM_FREE,	/* the pool is spent but nothing of its is unread: one
				 * small reply at a time goes uncharged */
	NINEP_ROOM_NONE,	/* no room: answered "budget exhausted", not run */
};

/* What one request's handling needs of its own: the reply buffer and
 * what the flush rules must know afterwards. */
struct ninep_ctx {
	struct proc *p;		/* the proc handling with this context */
	uint8_t *out;		/* the reply (cap bytes) */
	size_t cap;
	int err;		/* 0, or the error the request was answered with */
	struct ninep_fid *newfid;	/* the fid it added (walk, attach), or 0 */
	struct ninep_fid *held[3];	/* fids it uses (released at its end) */
	size_t nheld;
	bool busy;		/* a fid it asked for was busy */
	size_t reserved;	/* bytes of the connection's pages held for the reply */
};

/* A pool worker (srv_flight.c): its slot, and its context, whose reply
 * buffer holds NINEP_MSIZE bytes. */
struct ninep_worker {
	bool used;		/* the slot is taken (its proc starting or running) */
	bool expired;		/* idle for NINEP_POOL_LINGER_MS: may leave */
	struct ktimer linger;
	struct ninep_ctx x;
};

/* Who runs a request of a connection now: the worker's proc and its
 * context (ninep_ctx_of finds a request's context by its proc). */
struct ninep_runner {
	struct proc *p;		/* 0: a free entry */
	struct ninep_ctx *x;
};

/* PENDING: opened, its start not run yet; SERVED: it has a principal;
 * ENDING: its end job is posted. */
enum ninep_slotstate { NS_PENDING, NS_SERVED, NS_ENDING };
/* The control jobs (a worker's, one at a time per connection). */
enum ninep_ctl {
	NINEP_CTL_NONE,
	NINEP_CTL_START,
	NINEP_CTL_VERSION,
	NINEP_CTL_ATTACH,
	NINEP_CTL_END
};

/* One connection.  Fields marked (u) are touched by upcalls: procs read
 * and write them under ninep_lock (srv.c), which the upcalls take too. */
extern struct spinlock ninep_lock;
/* A sealed connection's record state, both ways. */
struct ninep_recs {
	struct auth_rec tx, rx;
};

struct ninep_conn {
	enum ninep_slotstate state;	/* (u) */
	struct ninep_conn *hnext;	/* (u) the id table's chain, while conn >= 0 */
	struct list all;	/* (u) every connection (status, admission) */
	struct ninep_conn *fnext;	/* (u) the framer's ring */
	bool onframe;		/* (u) on it */
	/* (u) messages it may still have framed and run ahead of the others
	 * (NINEP_FRESH_MSGS from its start, 0 once it has attached): a new
	 * client's handshake waits for no one's queue (docs/9p.md, "Fresh
	 * connections first"). */
	uint8_t fresh;
	/* (u) bytes of the arch's queue (s->queued) charged to the
	 * connection's pages: its replies the client has not read yet.
	 * Always <= queued; the drain (lux_conn_sent) and the end give them
	 * back. */
	size_t qcharged;
	bool freerun;		/* (u) a NINEP_ROOM_FREE request runs or its reply waits */
	bool replywait;		/* (u) no room for its next reply: run nothing until
				 * the client has read what waits (queued 0) */
	bool hold;		/* (u) a control job runs: the framer waits */
	bool killed;		/* (u) its principal was killed: end it */
	bool charged;		/* (u) its idle page is charged to the pool */
	enum ninep_ctl ctl;	/* (u) the control job posted, or NONE */
	bool ctlrun;		/* (u) ... a worker runs it */
	struct ninep_req *ctlreq;	/* its request (VERSION, ATTACH) */
	int conn;		/* (u) the arch's id; -1 once it is gone */
	bool gone;		/* (u) lux_conn_closed arrived */
	bool paused;		/* (u) we asked the arch to stop reading */
	bool overflow;		/* (u) the arch sent more than it may */
	bool tick;		/* (u) the edge timer fired: check the clocks */
	size_t queued;		/* (u) reply bytes the arch still holds */
	uint8_t *in;		/* (u) incap bytes of received input: small, or
				 * a NINEP_INBUF buffer while a message needs
				 * it (always while sealed); 0 before the
				 * start job and after its end */
	size_t incap;		/* (u) */
	uint8_t small[NINEP_SMALLIN];	/* (u) in, while the connection is idle */
	size_t inoff, inlen;	/* (u) unread input is in[inoff..inlen); the
				 * upcall moves it to the front only when the
				 * room after it is short, so each byte moves
				 * O(1) times however small the messages */
	struct waitq wq;	/* the end job waits here for the arch's close and for its
				 * requests to end */
	/* The framer, control jobs and workers share the rest, under ninep_lock. */
	struct ninep_req *reqs;	/* the tag table: requests in flight */
	struct ninep_req *qhead, *qtail;	/* waiting for a worker */
	struct ninep_runner runners[NINEP_RUNNING];	/* running now */
	size_t nrunning;
	struct ninep_conn *rnext;	/* the pool's ring of connections with work */
	bool onring;
	/* its peer runs its share of the workers: off the ring, on the parked
	 * list, until one of the peer's requests ends (srv_flight.c) */
	struct ninep_conn *pnext;
	bool parked;
	struct ninep_ctx rx;	/* the control jobs' context (Tversion, a sealing
				 * attach; its out is the worker's buffer while
				 * one runs); rx.p is the principal */
	struct qlock actlock;	/* the workers' turns at the principal's
				 * per-proc state (crypto sessions) */
	bool closing;		/* the connection is ending: answer nothing */
	bool aborting;		/* a Tversion: requests in flight are dropped */
	bool sendwait;		/* past NINEP_SENDHIGH: admit nothing until LOW */
	bool fatal;		/* a reply could not be queued: close */
	/* The edge clocks (edge_clocks): the handshake runs from the start job's
	 * start until the first Tversion is answered, the partial clock
	 * while the head of the input is an incomplete message. */
	bool versioned;		/* a Tversion was agreed once */
	uint64_t started;	/* arch_time_ns() when its start job ran */
	uint64_t partial_since;	/* ... when the incomplete head was seen; 0: none */
	uint64_t armed_at;	/* the deadline the timer is armed for; 0: none */
	struct ktimer timer;
	size_t flushreserve;	/* Tflushes held beyond the budget */
	struct budget *budget;	/* its principal's: the connection's pebbles */
	size_t bytes;		/* bytes charged to it (pages: rounded up) */
	enum p9_dialect d;
	uint32_t msize;
	struct ninep_fid **fids;	/* the fid table (srv_fid.c): fidsmall, or
				 * NINEP_FIDHASH buckets once it holds more */
	size_t nbuckets;
	struct ninep_fid *fidsmall[NINEP_FIDSMALL];
	size_t nfids;
	int id;			/* a serial number, for messages */
	char peer[64];		/* who, for messages ("tcp!1.2.3.4!5678") */
	int transport;		/* LUX_PEER_LOCAL or _NET (<lux/upcall.h>) */
	int64_t peer_uid;	/* a local peer's host uid, or -1 */
	struct ninep_peer *peerrec;	/* its peer (srv_peer.c) ... */
	struct budget *share;	/* ... whose share of the pool pays for it all */
	/* Who the connection is (srv_auth.c): the user its transport or its
	 * authentication proved, and whether it may attach as others (the
	 * host owner's own connections: v9fs access=user). */
	char user[LUX_UIDMAX];
	bool trusted;
	/* Sealed (srv_secure.c): after an attach that authenticated, every
	 * byte is a record.  raw holds the ciphertext the arch delivers (u),
	 * in the plaintext the framer opened from it. */
	bool sealing;		/* the attach succeeded: seal after its reply */
	/* The client sent a Tauth: a Plan 9 client (Plan 9's mount and
	 * plan9port's clients try Tauth first, lux9p with a key authenticates;
	 * Linux's v9fs never sends one),
	 * so its 9P2000 errors are the server's sentences, not the words
	 * Linux's client maps to errnos (srv_err.c, docs/9p.md "Errors").
	 * (u) set by the framer as it frames the Tauth; never cleared, so the
	 * requests framed after it see it. */
	bool sentences;
	bool secure;		/* (u) sealed: input lands in raw */
	bool peer_sealed_close;	/* its close record arrived */
	bool gone_sealed;	/* ... so the connection ends */
	uint8_t *raw;		/* (u) NINEP_INBUF bytes */
	size_t rawoff, rawlen;	/* (u) */
	struct ninep_recs *recs;	/* the record keys, while sealed (kept apart:
				 * most connections never seal) */
	/* The token this connection authenticated with, or 0: its attaches'
	 * fids are bounded by it, and it never becomes trusted. */
	const struct ninep_caveats *tok;
};

/* core/9p/srv/srv_ops.c: handle the one message req[0..len) with context x
 * and build the reply in x->out.  Returns the reply's length, or a
 * negative code when the connection must be closed.  x->err says how it
 * ended; the fids it used are released. */
int ninep_handle(struct ninep_conn *s, struct ninep_ctx *x, const uint8_t *req, size_t len);
/* Rerror (9P2000: why, else the error's sentence) or Rlerror for err, in
 * out: its length or a codec error. */
int ninep_error_reply(struct ninep_conn *s, uint8_t *out, size_t cap, uint16_t tag, int err,
                      const char *why);
/* core/9p/srv_peer.c: each peer's share of the connections' pool.  The
 * budget s's principal draws from (its peer's, made on its first
 * connection), or 0 and *err; the peer is let go with its last. */
struct ninep_peer;
struct budget *ninep_peer_join(struct ninep_conn *s, struct budget *pool, int *err);
void ninep_peer_leave(struct ninep_conn *s);
bool ninep_peer_is_owner(int transport, int64_t uid);
/* "peer NAME conns N pages HELD/SHARE" lines, at most max; the full
 * length, as ksnprintf counts it. */
size_t ninep_peer_status(char *buf, size_t size, size_t max);
/* Workers: may s's peer start another request, of a pool of max (the
 * host owner three quarters of them, any other peer half, all others
 * together three quarters), and count one starting (+1) or ending (-1).
 * Upcalls off. */
bool ninep_peer_may_run(const struct ninep_conn *s, size_t max, size_t free);
void ninep_peer_ran(struct ninep_conn *s, int d);

/* The most bytes the reply to request msg[0..len) can take: count plus
 * the header for Tread and Treaddir (within msize), NINEP_REPLY_SMALL
 * for the rest. */
size_t ninep_reply_bound(const struct ninep_conn *s, const uint8_t *msg, size_t len);
/* Queue a reply whose request reserved `reserved` bytes of the
 * connection's pages: what the arch still holds of it stays charged
 * (qcharged) until the client reads it, the rest is given back. */
void ninep_send_reserved(struct ninep_conn *s, const uint8_t *buf, size_t n, size_t reserved);

/* core/9p/srv/srv_ops.c: helpers the handlers share */
int ninep_check_name(struct p9_str n, bool dotdot_ok);	/* one element */
int ninep_join(const char *path, struct p9_str name, char **out);	/* path/name */
int ninep_walk_to(const char *path, struct chan **out);	/* in the served ns */
void ninep_to_stat(const struct lux_dir *d, struct p9_stat *st);

/* core/9p/srv/srv_dir.c: directory reads, by chan_dirnext cookie */
long ninep_read_dir_stat(struct ninep_fid *f, uint64_t off, uint8_t *buf, size_t count);
int ninep_rreaddir(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r);

/* core/9p/srv/srv_meta.c: attributes, rename, links, xattrs */
int ninep_rstat(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r, struct lux_dir *d);
int ninep_rwstat(struct ninep_conn *s, const struct p9_msg *t);
int ninep_rgetattr(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r);
int ninep_rsetattr(struct ninep_conn *s, const struct p9_msg *t);
int ninep_rrename(struct ninep_conn *s, const struct p9_msg *t);
int ninep_rrenameat(struct ninep_conn *s, const struct p9_msg *t);
int ninep_rsymlink(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r);
int ninep_rmknod(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r);
int ninep_rreadlink(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r);
int ninep_rlink(struct ninep_conn *s, const struct p9_msg *t);
int ninep_rxattrwalk(struct ninep_conn *s, const struct p9_msg *t);

/* core/9p/srv/srv_lock.c: advisory byte-range locks (POSIX fcntl semantics),
 * one table for the whole server, NINEP_MAXLOCKS entries, at most
 * NINEP_CONNLOCKS of them a connection's. */
#define NINEP_MAXLOCKS 256
#define NINEP_CONNLOCKS 64	/* of them, per connection */
int ninep_rlock(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r);
int ninep_rgetlock(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r);
/* Drop every lock the connection holds (it is going away). */
void ninep_locks_drop(struct ninep_conn *s);

/* core/9p/srv/srv_auth.c: who is at the other end, and as whom it attaches. */
/* Decide the connection's identity from its transport (the start job);
 * its principal acts for it until an attach says otherwise. */
void ninep_identify(struct ninep_conn *s);
/* The user an attach with uname / n_uname acts for: 0 and out, or E_PERM
 * with the sentence set and an audit record. */
int ninep_attach_user(struct ninep_conn *s, struct p9_str uname, uint32_t n_uname,
                      char out[LUX_UIDMAX]);
/* Make the running proc act for the user of the request's fid (or the
 * connection's before any attach).  Returns the caveats bounding the
 * request (its fid's; an attach: the connection's token), or 0. */
const struct ninep_caveats *ninep_act_for(struct ninep_conn *s, const uint8_t *req);

/* core/9p/srv/srv_token.c: a token's caveats over 9P (docs/security.md,
 * "Tokens").  Pure but for the clock, liveness and the audit. */
/* Fold a verified token (wire form, and the grant captoken_verify gave)
 * into c: CT_OK, or a CT_E* when its PATH caveats cannot all hold. */
int ninep_caveats_fold(struct ninep_caveats *c, const struct ct_grant *g, const uint8_t *tok,
                       size_t n);
/* Is path ("" is the root) within c's PATH caveat? */
bool ninep_caveats_within(const struct ninep_caveats *c, const char *path);
/* The CT_R_* rights a request needs of a token (0: none). */
uint32_t ninep_token_rights(const struct p9_msg *t);
/* May the request t run under c (not expired, not revoked, rights)?  0,
 * or E_PERM with the sentence set and an audit record. */
int ninep_token_check(struct ninep_conn *s, const struct ninep_caveats *c, const struct p9_msg *t);
/* The same refusal for a path outside the prefix (attach, walk). */
int ninep_token_outside(struct ninep_conn *s, const struct ninep_caveats *c, const char *what,
                        const char *path);

/* core/9p/srv/srv_secure.c: the afid and the sealed stream. */
struct ninep_afid;
int ninep_rauth(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r);
int ninep_afid_write(struct ninep_conn *s, struct ninep_fid *f, const uint8_t *data, uint32_t n);
long ninep_afid_read(struct ninep_conn *s, struct ninep_fid *f, uint8_t *buf, uint32_t count);
/* The user a finished afid proved (uname must be it or ""): 0, and the
 * connection will be sealed after this attach's reply. */
int ninep_afid_attach(struct ninep_conn *s, uint32_t afid, struct p9_str uname, const char *aname,
                      char user[LUX_UIDMAX]);
void ninep_afid_free(struct ninep_afid *af);
/* A control job runs a Tattach with an afid, then seals. */
struct ninep_req;
void ninep_attach_inline(struct ninep_conn *s, struct ninep_req *r);
bool ninep_sealed_ready(struct ninep_conn *s);	/* upcalls off */
int ninep_sealed_open(struct ninep_conn *s);	/* raw -> in; E_IO ends it */
/* ninep_lock held */
long ninep_sealed_send(struct ninep_conn *s, const uint8_t *buf, size_t n);
void ninep_sealed_end(struct ninep_conn *s);	/* our close record */
void ninep_sealed_free(struct ninep_conn *s);

/* core/9p/srv/srv_fid.c.  Every fid a request gets is held for it (released
 * by ninep_fid_release_all at its end), so a concurrent clunk never
 * frees a fid under a request using it. */
/* The fid, held; 0 when unknown, or busy (changed by another request:
 * then the context's busy is set, and the answer is NINEP_E_FIDBUSY). */
struct ninep_fid *ninep_fid_get(struct ninep_conn *s, uint32_t fid);
/* Use f alone (to change it): 0, or NINEP_E_FIDBUSY. */
int ninep_fid_excl(struct ninep_conn *s, struct ninep_fid *f);
/* A new fid (not in the table yet), charged to the connection's budget:
 * NINEP_E_NFIDS (errstr: "budget exhausted: fids ...") or E_BUDGET. */
int ninep_fid_new(struct ninep_conn *s, uint32_t fid, struct ninep_fid **out);
/* Free a fid that never entered the table. */
void ninep_fid_free(struct ninep_conn *s, struct ninep_fid *f);
/* Give f the path p (kmalloc'd; f owns it), charging its length. */
int ninep_fid_setpath(struct ninep_conn *s, struct ninep_fid *f, char *p);
/* Enter f (held by the caller's request): NINEP_E_FIDINUSE when its
 * number is taken meanwhile (f is then the caller's to free). */
int ninep_fid_insert(struct ninep_conn *s, struct ninep_fid *f);
/* Take f out of the table; freed (chan put) by its last user. */
void ninep_fid_clunk(struct ninep_conn *s, struct ninep_fid *f);
void ninep_fid_clunk_all(struct ninep_conn *s);
/* The end: give back a grown fid table (every fid clunked). */
void ninep_fid_table_free(struct ninep_conn *s);
/* An auth fid (Tauth's), held like ninep_fid_get's; 0 if fid is none. */
struct ninep_fid *ninep_afid_get(struct ninep_conn *s, uint32_t fid);
/* The user fid acts for, copied into out, and the caveats bounding it
 * (cav may be 0): true, or false when unknown. */
bool ninep_fid_user(struct ninep_conn *s, uint32_t fid, char out[LUX_UIDMAX],
                    const struct ninep_caveats **cav);
/* A rename moves paths (srv_meta.c), and changing a fid needs it alone:
 * ninep_fid_move_begin takes every fid whose path is from or below it,
 * before the device renames anything, and lists them in *moving
 * (NINEP_E_FIDBUSY, and nothing taken, when another request in flight
 * uses one); ninep_fid_move_end gives them to/... (charged like any path)
 * when to is not 0, i.e. the rename happened, and lets them go.  Only this
 * connection's fids move: others keep the old path (docs/9p.md). */
int ninep_fid_move_begin(struct ninep_conn *s, const char *from, struct ninep_fid **moving);
void ninep_fid_move_end(struct ninep_conn *s, struct ninep_fid *moving, const char *from,
                        const char *to);
/* End of a request: drop what the context holds. */
void ninep_fid_release_all(struct ninep_conn *s, struct ninep_ctx *x);
/* The context of the running proc on s (a worker's, by s->runners, or
 * the control job's: s->rx). */
struct ninep_ctx *ninep_ctx_of(struct ninep_conn *s);

/* core/9p/srv/srv.c: the input buffer.  Resume a paused connection whose
 * buffer of cap bytes has only unread bytes waiting, if that leaves room
 * enough (upcalls off); give the connection an input buffer of want bytes
 * (0: as large as its head message needs, or twice what a pipelining
 * client filled), holding what was unread (0, or E_BUDGET / E_NOMEM). */
void ninep_resume(struct ninep_conn *s, size_t cap, size_t unread);
int ninep_input_grow(struct ninep_conn *s, size_t want);
/* A buffer of size bytes charged to the connection (0 and *err: E_BUDGET
 * or E_NOMEM), and its return (b may be 0 or its small buffer): input and
 * sealed ciphertext. */
uint8_t *ninep_inbuf_alloc(struct ninep_conn *s, size_t size, int *err);
void ninep_inbuf_free(struct ninep_conn *s, uint8_t *b, size_t size);
/* core/9p/srv/srv.c: bytes charged to the connection's budget as pages. */
int ninep_charge(struct ninep_conn *s, size_t n);
void ninep_uncharge(struct ninep_conn *s, size_t n);
/* ... and replies: queued whole, or the connection is closed (past
 * LUX_CONN_SENDMAX); nothing once it is closing.  An error answer is
 * built in the framer's buffer (its errstr details budgets). */
void ninep_send(struct ninep_conn *s, const uint8_t *buf, size_t n);
void ninep_send_rflush(struct ninep_conn *s, uint16_t tag);
void ninep_send_error(struct ninep_conn *s, uint16_t tag, int err, const char *why);

/* core/9p/srv/srv_admit.c: admission at the connection edge.  Per-peer caps
 * out of n slots the listener can serve (r = n/4 kept aside):
 *  - the host owner on a local socket: n - r (12 of 16): its own tools
 *    may use most slots, but r stay for everyone else;
 *  - any other peer (a TCP address, another uid): n/2 (8 of 16), and all
 *    of them together n - r, so the host owner always has r slots. */
enum ninep_refusal {
	NINEP_ADMIT = 0,
	NINEP_REFUSE_FULL,	/* every slot taken (9P2000.L: ENFILE) */
	NINEP_REFUSE_PEER,	/* this peer's cap (EMFILE) */
	NINEP_REFUSE_OTHERS,	/* the slots kept for the host owner (ENFILE) */
};
/* May a connection from peer take a slot, out of nslots servable, given
 * the slots in use?  NINEP_ADMIT, or why not in why ("budget exhausted:
 * connections 16/16", "too many connections from tcp!127.0.0.1: 8/8").
 * Upcalls off. */
enum ninep_refusal ninep_admit(struct list *conns, size_t nslots, const struct lux_peer *peer,
                               char *why, size_t cap);
/* Refuse conn (upcall): its first message is awaited, then answered with
 * Rerror why / Rlerror, and the connection closed, by the listener. */
void ninep_refuse(int conn, enum ninep_refusal kind, const char *why);
/* The upcalls for a refused connection: true when conn was one (then the
 * server's own handling is skipped). */
bool ninep_refusal_received(int conn, const void *buf, size_t n);
bool ninep_refusal_closed(int conn);
/* The listener: is there refusal work (upcalls off), and do it.  The
 * listener's waitq is woken when there is (ninep_admit_init). */
void ninep_admit_init(struct waitq *listenq);
bool ninep_admit_due(void);
void ninep_admit_tend(void);
/* A served connection closed for a timeout: counted in the summary. */
enum ninep_timeout { NINEP_TIMEOUT_HANDSHAKE, NINEP_TIMEOUT_PARTIAL };
void ninep_note_timeout(enum ninep_timeout what);
/* A connection closed for what its client sent (why: the console line
 * that would say so): counted into the summary.  Never a line each. */
void ninep_note_closed(const char *why);
/* ninep_status, with only the line of the connection whose principal is
 * only (0: every line, and the peers'): what /9p/status shows a reader
 * who is not the host owner. */
size_t ninep_status_of(char *buf, size_t size, const struct proc *only);
/* The timeouts in force, in ns (lux_boot's, else the defaults). */
uint64_t ninep_handshake_ns(void);
uint64_t ninep_partial_ns(void);

/* core/9p/srv/srv_flight.c: requests in flight.  The framer calls these. */
/* The request in flight with tag, or 0 (upcalls off). */
struct ninep_req *ninep_req_find(struct ninep_conn *s, uint16_t tag);
void ninep_enqueue(struct ninep_conn *s, struct ninep_req *r);
/* Offer s to the workers again: its replies drained (sendwait over). */
void ninep_ring_offer(struct ninep_conn *s);
/* A request the framer or a control job answered (never in the tag table). */
void ninep_req_free(struct ninep_conn *s, struct ninep_req *r);
void ninep_flush(struct ninep_conn *s, struct ninep_req *r);
/* Abort everything in flight, then answer the Tversion r. */
void ninep_version(struct ninep_conn *s, struct ninep_req *r);
/* Post control job c (with its request r, or 0) for a worker; the
 * framer holds off the connection until it is done.  Upcalls off. */
void ninep_ctl_post(struct ninep_conn *s, enum ninep_ctl c, struct ninep_req *r);
/* core/9p/srv/srv.c, for the worker running a control job: run it (as the
 * principal, when there is one).  Returns true when it was the end and
 * the connection may be freed (ninep_conn_free, once the worker no
 * longer acts for the principal). */
bool ninep_control(struct ninep_conn *s);
void ninep_conn_free(struct ninep_conn *s);
/* Put s on the framer's ring (upcalls off; a no-op while it holds). */
void ninep_frame_offer(struct ninep_conn *s);
/* Who a connection's audit records name: its principal, else the
 * running proc. */
struct proc *ninep_who(struct ninep_conn *s);
/* Drop every request unanswered, kill the workers running the rest,
 * wait for them to end. */
void ninep_stop_all(struct ninep_conn *s);
/* Kill s's running requests and mark every one flushed.  Upcalls off. */
void ninep_kill_runners(struct ninep_conn *s);
/* The pool, for the listener: start it (its workers are paid by the
 * running proc's budget, up to max of them; wake tend when workers are
 * wanted), whether workers are wanted (upcalls off), and start them (or,
 * when none can run at all, answer the waiting requests with why). */
void ninep_pool_init(struct waitq *tend, size_t max);
bool ninep_pool_wanted(void);
void ninep_pool_tend(void);
/* Connections are being served: keep that many idle workers, at most
 * NINEP_POOL_IDLE (none once nobody is connected: everything the server
 * held is given back, as the counters say). */
void ninep_pool_keep(size_t nconns);
/* Workers in the pool, and of them idle (for the counters). */
void ninep_pool_counts(size_t *live, size_t *idle);

/* srv_ops.c: Tfsync and the empty wstat: sync the machine's store. */
int ninep_sync(void);

#endif
