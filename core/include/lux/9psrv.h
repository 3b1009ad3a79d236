/*
 * The 9P server: serves the namespace of the proc that starts it over the
 * arch's connections (<lux/arch.h>: arch_conn_*, lux_conn_*), in 9P2000
 * and 9P2000.L.  docs/9p.md says what is supported and what is not yet.
 *
 * Shape (9front lib9p's, one proc per connection):
 *  - the upcalls only copy bytes into the connection's bounded input
 *    buffer, pause the connection when it is nearly full, and wake its
 *    proc; they never allocate and never block;
 *  - a listener proc (started by ninep_start) creates one proc per
 *    connection; that proc frames, decodes (the codec, <lux/9p.h>),
 *    handles one request at a time (requests may sleep on qlocks) and
 *    replies;
 *  - each request goes through three steps (STYLE 7): protocol checks
 *    (fid known, open mode, count clipped to msize - P9_IOHDRSZ), the
 *    handler, then bookkeeping after the reply is built.
 *
 * Everything a client can make the kernel hold is bounded: NINEP_MAXCONN
 * connections, NINEP_MAXFID fids and one request in flight per
 * connection, NINEP_INBUF bytes of unread input, NINEP_SENDHIGH + msize
 * bytes of unsent replies.
 */
#ifndef LUX_9PSRV_H
#define LUX_9PSRV_H

#include <lux/9p.h>
#include <lux/arch.h>
#include <lux/proc.h>

#define NINEP_MAXCONN 16		/* served at once; more are closed at once */
#define NINEP_MAXFID 4096		/* per connection */
#define NINEP_MSIZE (65536u + P9_IOHDRSZ)	/* the largest msize we offer */
/* Input held per connection: one whole message and one more chunk from
 * the arch (which must always fit: see LUX_CONN_CHUNK). */
#define NINEP_INBUF (NINEP_MSIZE + LUX_CONN_CHUNK)
#define NINEP_FIDHASH 64
/* Pages of the listener's budget set aside per connection: its proc's
 * stack (8 pages today) with room to spare.  Buffers and fids are not
 * charged to budgets yet (docs/9p.md). */
#define NINEP_CONN_PAGES 16
/* Crypto pebbles a connection's proc gets: its keyed sessions' work
 * (docs/crypto.md, "Pebbles"); 16 connections take 2 GiB of the root's 4. */
#define NINEP_CONN_CRYPTO (128ull << 20)
/* Replies waiting in the arch: past HIGH the conn's proc stops handling
 * requests until they drain to LOW (so its input fills, the connection is
 * paused, and a peer that does not read stops being able to send). */
#define NINEP_SENDHIGH (256u << 10)
#define NINEP_SENDLOW (64u << 10)

/* Errors of the server's own, beside the lux_err codes (<lux/error.h>);
 * a range of their own like the codec's.  Strings and errno values for
 * both kinds are in core/9p/srv_err.c. */
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
	NINEP_E_TRUNC = -212,	/* truncate to a non-zero shorter length */
	NINEP_E_LAST = -213
};

/* The 9P2000 string and the 9P2000.L errno for err (a lux_err, a
 * ninep_err or a codec P9_E_* code).  Never null / never 0. */
const char *ninep_errstr(int err);
uint32_t ninep_errno(int err);

/* Start serving the current proc's namespace on the arch's connections
 * (does nothing when the arch has no LUX_CAP_CONN).  Called once, by init. */
void ninep_start(void);

/* ---- Server internals (core/9p/srv*.c) -------------------------------- */

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
	size_t diridx;		/* ... and the entry it corresponds to */
};

enum ninep_slotstate { NS_FREE, NS_PENDING, NS_SERVED, NS_ORPHAN };

/* One connection.  Fields marked (u) are touched by upcalls: procs read
 * and write them with upcalls disabled. */
struct ninep_conn {
	enum ninep_slotstate state;	/* (u) */
	int conn;		/* (u) the arch's id; -1 once it is gone */
	bool gone;		/* (u) lux_conn_closed arrived */
	bool paused;		/* (u) we asked the arch to stop reading */
	bool overflow;		/* (u) the arch sent more than it may */
	size_t queued;		/* (u) reply bytes the arch still holds */
	uint8_t *in;		/* (u) NINEP_INBUF bytes of received input */
	size_t inoff, inlen;	/* (u) unread input is in[inoff..inlen); the
				 * upcall moves it to the front only when the
				 * room after it is short, so each byte moves
				 * O(1) times however small the messages */
	struct waitq wq;	/* the conn's proc waits here for input */
	/* Only the conn's proc touches the rest. */
	uint8_t *req;		/* the request being handled (msize) */
	uint8_t *out;		/* the reply being built (msize) */
	uint8_t *data;		/* Rread/Rreaddir payload (msize) */
	enum p9_dialect d;
	uint32_t msize;
	struct ninep_fid *fids[NINEP_FIDHASH];
	size_t nfids;
	int id;			/* slot index, for messages */
	char peer[64];		/* who, for messages ("tcp!1.2.3.4!5678") */
};

/* core/9p/srv_ops.c: handle the one message in req[0..len) and build the
 * reply in s->out.  Returns the reply's length, or a negative code when
 * the connection must be closed. */
int ninep_handle(struct ninep_conn *s, size_t len);
/* core/9p/srv_fid.c */
struct ninep_fid *ninep_fid_get(struct ninep_conn *s, uint32_t fid);
/* A new fid (not in the table yet): NINEP_E_NFIDS when full. */
int ninep_fid_new(struct ninep_conn *s, uint32_t fid, struct ninep_fid **out);
void ninep_fid_free(struct ninep_fid *f);
void ninep_fid_insert(struct ninep_conn *s, struct ninep_fid *f);
/* Take f out of the table and free it (chan put). */
void ninep_fid_clunk(struct ninep_conn *s, struct ninep_fid *f);
void ninep_fid_clunk_all(struct ninep_conn *s);

#endif
