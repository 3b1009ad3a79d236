/*
 * The 9P codec: one decoder and one encoder for 9P2000 (Plan 9) and
 * 9P2000.L (Linux v9fs, diod), shared by the server, the client, the lux9p
 * tool and the fuzzer (style rule 5).
 *
 * Zero-copy, no allocation: p9_decode fills a caller-provided struct p9_msg
 * whose strings and data point INTO the message buffer, with explicit
 * lengths (9P strings are not NUL-terminated).  The decoded message is
 * valid only as long as that buffer is.
 *
 * Strict: the decoder rejects, never clamps (style rule 6).  Every message it
 * accepts re-encodes to exactly the same bytes, and every message the
 * encoder produces is accepted by the decoder; the fuzzer checks both.
 * What it rejects, each with its own error code (see enum p9_err):
 *  - size field != bytes received, size < 7, size > msize;
 *  - unknown type numbers, Terror (106) and Tlerror (6) included;
 *  - an R-message where a T-message is expected and vice versa;
 *  - a type outside the negotiated dialect.  9P2000 gets the Plan 9 set;
 *    9P2000.L gets the .L set plus version, auth, attach (both with the
 *    .u n_uname field), flush, walk, read, write, clunk and remove -- the
 *    set diod implements and Linux v9fs sends.  Topen, Tcreate, Tstat,
 *    Twstat and Rerror are NOT valid under .L: v9fs never sends them in .L
 *    (Tlopen/Tlcreate/Tgetattr/Tsetattr replace them), diod does not know
 *    them, and a v9fs client would misparse an Rerror.  (QEMU accepts
 *    them only because it shares handlers with 9P2000.u.)  Before
 *    negotiation (P9_NONE) only Tversion, Rversion, Rerror, Rlerror pass;
 *  - tags: Tversion/Rversion must carry NOTAG (version(5); Plan 9 and
 *    Linux both send it), other T-messages and R-messages must not (NOTAG
 *    can never match a request), except Rerror/Rlerror, which answer a
 *    failed Tversion with NOTAG;
 *  - a string, fixed field or count running past the end; trailing bytes;
 *  - nwname or nwqid > 16; Twrite/Rread/Rreaddir count != bytes present;
 *  - a 9P2000 stat whose two size fields disagree with each other or with
 *    the entry's contents;
 *  - a string containing a NUL byte: "a\0b" would alias "a" once a server
 *    turns it into a C string.
 * UTF-8 validity and the meaning of names ("/", "..") are the server's
 * business, not the codec's.
 */
#ifndef LUX_9P_H
#define LUX_9P_H

#include <lux/dev.h>	/* struct qid, QTDIR, QTFILE, DMDIR, OREAD... */
#include <lux/types.h>

#define P9_NOTAG 0xFFFFu
#define P9_NOFID 0xFFFFFFFFu
#define P9_NONUNAME 0xFFFFFFFFu	/* .L n_uname: "use uname" */
#define P9_MAXWELEM 16		/* walk(5): at most 16 names per Twalk */
#define P9_HDRSZ 7		/* size[4] type[1] tag[2] */
#define P9_QIDSZ 13		/* type[1] vers[4] path[8] */
#define P9_STATFIXLEN 49	/* a 9P2000 stat with four empty strings */
#define P9_DIRENTFIXLEN 24	/* a .L dirent with an empty name */
/* Room for the header of Twrite/Rread: size type tag fid offset count = 23,
 * rounded up as Plan 9 does; iounit = msize - P9_IOHDRSZ. */
#define P9_IOHDRSZ 24
/* 256, Plan 9 lib9p's floor: holds the largest fixed message (Rgetattr,
 * 160 bytes) and an Rread/Rerror with a useful payload. */
#define P9_MSIZE_MIN 256u
/* 1 MiB of data per read or write plus the header: large enough that a
 * stream is not bound by round trips, small enough that the buffers one
 * connection may pin (a pebble budget) stay bounded. */
#define P9_MSIZE_MAX ((1u << 20) + P9_IOHDRSZ)

/* qid.type bits not in <lux/dev.h> (QTDIR, QTFILE live there). */
#define QTAPPEND 0x40
#define QTEXCL 0x20
#define QTMOUNT 0x10
#define QTAUTH 0x08
#define QTTMP 0x04

/* dir.mode bits not in <lux/dev.h> (DMDIR lives there). */
#define DMAPPEND 0x40000000u
#define DMEXCL 0x20000000u
#define DMMOUNT 0x10000000u
#define DMAUTH 0x08000000u
#define DMTMP 0x04000000u

#define P9_ORCLOSE 0x40		/* Topen/Tcreate mode: remove on clunk */

/* .L Tgetattr request_mask / Rgetattr valid */
#define P9_GETATTR_MODE 0x00000001ull
#define P9_GETATTR_NLINK 0x00000002ull
#define P9_GETATTR_UID 0x00000004ull
#define P9_GETATTR_GID 0x00000008ull
#define P9_GETATTR_RDEV 0x00000010ull
#define P9_GETATTR_ATIME 0x00000020ull
#define P9_GETATTR_MTIME 0x00000040ull
#define P9_GETATTR_CTIME 0x00000080ull
#define P9_GETATTR_INO 0x00000100ull
#define P9_GETATTR_SIZE 0x00000200ull
#define P9_GETATTR_BLOCKS 0x00000400ull
#define P9_GETATTR_BTIME 0x00000800ull
#define P9_GETATTR_GEN 0x00001000ull
#define P9_GETATTR_DATA_VERSION 0x00002000ull
#define P9_GETATTR_BASIC 0x000007ffull
#define P9_GETATTR_ALL 0x00003fffull

/* .L Tsetattr valid */
#define P9_SETATTR_MODE 0x001u
#define P9_SETATTR_UID 0x002u
#define P9_SETATTR_GID 0x004u
#define P9_SETATTR_SIZE 0x008u
#define P9_SETATTR_ATIME 0x010u
#define P9_SETATTR_MTIME 0x020u
#define P9_SETATTR_CTIME 0x040u
#define P9_SETATTR_ATIME_SET 0x080u
#define P9_SETATTR_MTIME_SET 0x100u

/* .L Tlock/Tgetlock type, Tlock flags, Rlock status, Tunlinkat flags */
enum {
	P9_LOCK_TYPE_RDLCK = 0,
	P9_LOCK_TYPE_WRLCK = 1,
	P9_LOCK_TYPE_UNLCK = 2,
	P9_LOCK_FLAGS_BLOCK = 1,
	P9_LOCK_FLAGS_RECLAIM = 2,
	P9_LOCK_SUCCESS = 0,
	P9_LOCK_BLOCKED = 1,
	P9_LOCK_ERROR = 2,
	P9_LOCK_GRACE = 3,
	P9_AT_REMOVEDIR = 0x200,
};

/* Message types: even T (client to server), odd R (the reply). */
/* clang-format off */
enum p9_type {
	P9_RLERROR = 7,
	P9_TSTATFS = 8, P9_RSTATFS,
	P9_TLOPEN = 12, P9_RLOPEN,
	P9_TLCREATE = 14, P9_RLCREATE,
	P9_TSYMLINK = 16, P9_RSYMLINK,
	P9_TMKNOD = 18, P9_RMKNOD,
	P9_TRENAME = 20, P9_RRENAME,
	P9_TREADLINK = 22, P9_RREADLINK,
	P9_TGETATTR = 24, P9_RGETATTR,
	P9_TSETATTR = 26, P9_RSETATTR,
	P9_TXATTRWALK = 30, P9_RXATTRWALK,
	P9_TXATTRCREATE = 32, P9_RXATTRCREATE,
	P9_TREADDIR = 40, P9_RREADDIR,
	P9_TFSYNC = 50, P9_RFSYNC,
	P9_TLOCK = 52, P9_RLOCK,
	P9_TGETLOCK = 54, P9_RGETLOCK,
	P9_TLINK = 70, P9_RLINK,
	P9_TMKDIR = 72, P9_RMKDIR,
	P9_TRENAMEAT = 74, P9_RRENAMEAT,
	P9_TUNLINKAT = 76, P9_RUNLINKAT,
	P9_TVERSION = 100, P9_RVERSION,
	P9_TAUTH = 102, P9_RAUTH,
	P9_TATTACH = 104, P9_RATTACH,
	P9_RERROR = 107,
	P9_TFLUSH = 108, P9_RFLUSH,
	P9_TWALK = 110, P9_RWALK,
	P9_TOPEN = 112, P9_ROPEN,
	P9_TCREATE = 114, P9_RCREATE,
	P9_TREAD = 116, P9_RREAD,
	P9_TWRITE = 118, P9_RWRITE,
	P9_TCLUNK = 120, P9_RCLUNK,
	P9_TREMOVE = 122, P9_RREMOVE,
	P9_TSTAT = 124, P9_RSTAT,
	P9_TWSTAT = 126, P9_RWSTAT,
};
/* clang-format on */

/* Array index as well as a name: keep the values. */
enum p9_dialect {
	P9_NONE = 0,		/* not negotiated yet: only version traffic */
	P9_2000 = 1,		/* "9P2000" (Plan 9) */
	P9_2000L = 2,		/* "9P2000.L" (Linux) */
	P9_NDIALECT
};

/* Which direction the bytes being decoded travel. */
enum p9_side {
	P9_TMSG,		/* client to server: the server decodes T-messages */
	P9_RMSG,		/* server to client: the client decodes R-messages */
};

/* Codec errors: a range of their own, so they never read as an E_* code. */
enum p9_err {
	P9_E_ARG = -100,	/* null pointer, bad dialect */
	P9_E_SHORT = -101,	/* fewer than 7 bytes, or size field < 7 */
	P9_E_SIZE = -102,	/* size field != bytes received */
	P9_E_MSIZE = -103,	/* size > negotiated msize */
	P9_E_TYPE = -104,	/* unknown type number */
	P9_E_WANT_T = -105,	/* R-message where a T-message was expected */
	P9_E_WANT_R = -106,	/* T-message where an R-message was expected */
	P9_E_DIALECT = -107,	/* type not in the negotiated dialect */
	P9_E_NOVERSION = -108,	/* not version traffic before negotiation */
	P9_E_TAG = -109,	/* NOTAG misuse */
	P9_E_TRUNC = -110,	/* a fixed-size field runs past the end */
	P9_E_STR = -111,	/* a string runs past the end */
	P9_E_STRNUL = -112,	/* a string contains a NUL byte */
	P9_E_NWNAME = -113,	/* nwname > 16 */
	P9_E_NWQID = -114,	/* nwqid > 16 */
	P9_E_COUNT = -115,	/* count != data bytes present */
	P9_E_TRAILING = -116,	/* bytes after the last field */
	P9_E_STATSIZE = -117,	/* stat size fields disagree */
	P9_E_STATLONG = -118,	/* encode: stat entry > 65535 bytes */
	P9_E_STRLONG = -119,	/* encode: string > 65535 bytes */
	P9_E_NOSPACE = -120,	/* encode: does not fit the buffer */
	P9_E_MSIZE_MIN = -121,	/* version: msize below P9_MSIZE_MIN */
	P9_E_LAST = -122
};

/* A 9P string: len bytes at s, NOT NUL-terminated.  len is a size_t so the
 * encoder can refuse a string longer than 65535 instead of truncating it. */
struct p9_str {
	const char *s;
	size_t len;
};

/* The 9P2000 stat(5) entry, without its size field (computed on encode,
 * checked on decode). */
struct p9_stat {
	uint16_t type;		/* for kernel use */
	uint32_t dev;		/* for kernel use */
	struct qid qid;
	uint32_t mode;		/* permissions | DM* */
	uint32_t atime, mtime;	/* seconds since the epoch */
	uint64_t length;
	struct p9_str name, uid, gid, muid;
};

/* One 9P2000.L directory entry in Rreaddir data. */
struct p9_dirent {
	struct qid qid;
	uint64_t offset;	/* where the next Treaddir resumes */
	uint8_t type;		/* Linux DT_* */
	struct p9_str name;
};

/* Where and why p9_decode failed; p9_explain turns it into a sentence. */
struct p9_bad {
	uint32_t off;		/* byte offset in the message */
	uint64_t got;		/* the offending value */
	uint64_t limit;		/* what it was checked against */
};

/*
 * Every T- and R-message of both dialects.  `type` selects the union
 * member; members shared by several types say so.  Messages with no body
 * (Rflush, Rclunk, Rremove, Rwstat, Rrename, Rsetattr, Rxattrcreate,
 * Rfsync, Rlink, Rrenameat, Runlinkat) use none.
 */
struct p9_msg {
	uint8_t type;		/* enum p9_type */
	uint16_t tag;
	union {
		struct {
			uint32_t msize;
			struct p9_str version;
		} version; /* T/Rversion */
		struct {
			uint32_t afid;
			struct p9_str uname, aname;
			uint32_t n_uname;	/* .L only */
		} tauth;
		struct {
			uint32_t fid, afid;
			struct p9_str uname, aname;
			uint32_t n_uname;	/* .L only */
		} tattach;
		/* Rauth (aqid), Rattach, Rsymlink, Rmknod, Rmkdir */
		struct {
			struct qid qid;
		} rqid;
		struct {
			struct p9_str ename;
		} rerror;
		struct {
			uint32_t ecode;
		} rlerror; /* a Linux errno */
		struct {
			uint16_t oldtag;
		} tflush;
		struct {
			uint32_t fid, newfid;
			uint16_t nwname;
			struct p9_str wname[P9_MAXWELEM];
		} twalk;
		struct {
			uint16_t nwqid;
			struct qid wqid[P9_MAXWELEM];
		} rwalk;
		struct {
			uint32_t fid;
			uint8_t mode;
		} topen;
		/* Ropen, Rcreate, Rlopen, Rlcreate */
		struct {
			struct qid qid;
			uint32_t iounit;
		} ropen;
		struct {
			uint32_t fid;
			struct p9_str name;
			uint32_t perm;
			uint8_t mode;
		} tcreate;
		/* Tread, Treaddir */
		struct {
			uint32_t fid;
			uint64_t offset;
			uint32_t count;
		} tread;
		/* Rread, Rreaddir: count bytes at data */
		struct {
			uint32_t count;
			const uint8_t *data;
		} rread;
		struct {
			uint32_t fid;
			uint64_t offset;
			uint32_t count;
			const uint8_t *data;
		} twrite;
		struct {
			uint32_t count;
		} rwrite;
		/* Tclunk, Tremove, Tstat, Tstatfs, Treadlink */
		struct {
			uint32_t fid;
		} tfid;
		struct {
			struct p9_stat stat;
		} rstat;
		struct {
			uint32_t fid;
			struct p9_stat stat;
		} twstat;
		struct {
			uint32_t type, bsize;
			uint64_t blocks, bfree, bavail, files, ffree, fsid;
			uint32_t namelen;
		} rstatfs;
		struct {
			uint32_t fid, flags;
		} tlopen;
		struct {
			uint32_t fid;
			struct p9_str name;
			uint32_t flags, mode, gid;
		} tlcreate;
		struct {
			uint32_t fid;
			struct p9_str name, symtgt;
			uint32_t gid;
		} tsymlink;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t mode, major, minor, gid;
		} tmknod;
		struct {
			uint32_t fid, dfid;
			struct p9_str name;
		} trename;
		struct {
			struct p9_str target;
		} rreadlink;
		struct {
			uint32_t fid;
			uint64_t request_mask;
		} tgetattr;
		struct {
			uint64_t valid;
			struct qid qid;
			uint32_t mode, uid, gid;
			uint64_t nlink, rdev, size, blksize, blocks;
			uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
			uint64_t ctime_sec, ctime_nsec, btime_sec, btime_nsec;
			uint64_t gen, data_version;
		} rgetattr;
		struct {
			uint32_t fid, valid, mode, uid, gid;
			uint64_t size;
			uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
		} tsetattr;
		struct {
			uint32_t fid, newfid;
			struct p9_str name;
		} txattrwalk;
		struct {
			uint64_t size;
		} rxattrwalk;
		struct {
			uint32_t fid;
			struct p9_str name;
			uint64_t attr_size;
			uint32_t flags;
		} txattrcreate;
		struct {
			uint32_t fid, datasync;
		} tfsync;
		struct {
			uint32_t fid;
			uint8_t type;
			uint32_t flags;
			uint64_t start, length;
			uint32_t proc_id;
			struct p9_str client_id;
		} tlock;
		struct {
			uint8_t status;
		} rlock;
		struct {
			uint32_t fid;
			uint8_t type;
			uint64_t start, length;
			uint32_t proc_id;
			struct p9_str client_id;
		} tgetlock;
		struct {
			uint8_t type;
			uint64_t start, length;
			uint32_t proc_id;
			struct p9_str client_id;
		} rgetlock;
		struct {
			uint32_t dfid, fid;
			struct p9_str name;
		} tlink;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t mode, gid;
		} tmkdir;
		struct {
			uint32_t olddirfid;
			struct p9_str oldname;
			uint32_t newdirfid;
			struct p9_str newname;
		} trenameat;
		struct {
			uint32_t dirfid;
			struct p9_str name;
			uint32_t flags;		/* P9_AT_REMOVEDIR */
		} tunlinkat;
	} u;
	struct p9_bad bad;	/* set by p9_decode when it fails */
};

/* ---- Messages (core/9p/codec/codec.c) --------------------------------- */

/*
 * Decode the one message in buf[0..len) (len must be the whole message:
 * the caller frames with the size field first) into *out.  Returns 0, or
 * a P9_E_* code with out->bad saying where.  msize bounds the size field.
 */
int p9_decode(const uint8_t *buf, size_t len, uint32_t msize, enum p9_dialect d, enum p9_side side,
              struct p9_msg *out);

/*
 * Encode *m into buf[0..cap).  Returns the message length, or a P9_E_*
 * code: P9_E_NOSPACE when it does not fit, P9_E_STRLONG, P9_E_NWNAME,
 * P9_E_NWQID, P9_E_STRNUL, P9_E_TAG, P9_E_TYPE/DIALECT for a field or type
 * the decoder would reject.
 */
int p9_encode(const struct p9_msg *m, uint8_t *buf, size_t cap, enum p9_dialect d);

/* One 9P2000 stat entry (size[2] first) at the start of buf[0..len):
 * returns the bytes it occupies, or a P9_E_* code. */
int p9_stat_decode(const uint8_t *buf, size_t len, struct p9_stat *st);
int p9_stat_encode(const struct p9_stat *st, uint8_t *buf, size_t cap);
/* Bytes p9_stat_encode would write (size[2] included). */
size_t p9_stat_len(const struct p9_stat *st);

/* One .L dirent at the start of buf[0..len), likewise. */
int p9_dirent_decode(const uint8_t *buf, size_t len, struct p9_dirent *de);
int p9_dirent_encode(const struct p9_dirent *de, uint8_t *buf, size_t cap);
size_t p9_dirent_len(const struct p9_dirent *de);

/* ---- Directory data (core/9p/codec/dirread.c) -------------------------- */

/* Walks the packed entries of a 9P2000 directory Rread or a .L Rreaddir.
 * An entry cut short or malformed is an error, not the end: read(5) says a
 * directory read returns whole entries. */
struct p9_iter {
	const uint8_t *p, *end;
	int err;		/* sticky: once set, next() keeps returning it */
};

/* Iterate over the stat entries packed in data[0, len) (a directory's
 * read); nothing is copied, entries point into data. */
void p9_iter_init(struct p9_iter *it, const uint8_t *data, size_t len);
/* 1 with *st filled, 0 at the end, or a P9_E_* code. */
int p9_stat_next(struct p9_iter *it, struct p9_stat *st);
int p9_dirent_next(struct p9_iter *it, struct p9_dirent *de);

/* ---- Layouts (core/9p/codec/layout.c) ---------------------------------- */

/* A message body is a list of fields, in wire order, at offsets in struct
 * p9_msg (struct p9_stat for P9F_STAT's contents).  The codec walks the
 * lists; a debugging printer may too. */
enum p9_fkind {
	P9F_END,
	P9F_U8,
	P9F_U16,
	P9F_U32,
	P9F_U64,
	P9F_STR,		/* struct p9_str */
	P9F_QID,		/* struct qid */
	P9F_WNAMES,		/* nwname[2] (uint16_t at off), wname[s]s at off2 */
	P9F_WQIDS,		/* nwqid[2] (uint16_t at off), qids at off2 */
	P9F_DATA,		/* count[4] (uint32_t at off), bytes (pointer at off2) */
	P9F_STAT,		/* n[2] then a stat entry (struct p9_stat at off) */
};

struct p9_field {
	uint8_t kind;		/* enum p9_fkind */
	uint16_t off, off2;
	const char *name;	/* for printing */
};

/* The body of `type` in dialect d, or null when d has no such message. */
const struct p9_field *p9_layout(unsigned type, enum p9_dialect d);
/* The contents of a stat entry after its size field (struct p9_stat). */
extern const struct p9_field p9_stat_fields[];
/* A .L dirent (struct p9_dirent). */
extern const struct p9_field p9_dirent_fields[];

/* ---- Names, errors, versions ------------------------------------------ */

/* "Twalk", "Rlerror", ... or "unknown" (core/9p/codec/msg_names.c). */
const char *p9_type_name(unsigned type);
/* "9P2000", "9P2000.L" or "unknown". */
const char *p9_dialect_name(enum p9_dialect d);

/* The sentence for a P9_E_* code (any other code: lux_errstr's). */
const char *p9_strerror(int err);
/* The sentence with the values of a failed decode filled in, e.g.
 * "9p: nwname 17 > 16 (byte 15 of Twalk)".  m may be null.  Returns what
 * ksnprintf returns. */
int p9_explain(char *buf, size_t cap, int err, const struct p9_msg *m);

/* Make a p9_str of a C string; compare one with a C string. */
struct p9_str p9_str_c(const char *s);
bool p9_str_eq(struct p9_str a, const char *s);

/* What a server answers a Tversion with (core/9p/codec/version.c). */
struct p9_version {
	enum p9_dialect dialect;	/* P9_NONE: reply "unknown", keep no state */
	const char *version;	/* for Rversion: "9P2000", "9P2000.L", "unknown" */
	uint32_t msize;		/* for Rversion */
};

/* Bits of the `speak` argument: the dialects a server offers. */
#define P9_SPEAK(d) (1u << (d))

/*
 * version(5) for a server: "9P2000.L" picks .L (if spoken); "9P2000" or
 * "9P2000.<anything>" (.u, or .L when .L is not spoken) picks 9P2000;
 * "9Pnnnn[.x]" with nnnn > 2000 also picks 9P2000 (a server may answer
 * with a lower version); anything else is "unknown".  msize is the least
 * of client_msize, server_max and P9_MSIZE_MAX.  Returns 0, P9_E_MSIZE_MIN
 * if a known version came with client_msize < P9_MSIZE_MIN (answer with
 * Rerror/Rlerror), or P9_E_ARG (server_max < P9_MSIZE_MIN, no dialect).
 */
int p9_version_pick(const char *client_version, size_t n, uint32_t client_msize,
                    uint32_t server_max, unsigned speak, struct p9_version *out);
/* For a client: the dialect an Rversion string names exactly, or P9_NONE. */
enum p9_dialect p9_dialect_of(const char *version, size_t n);

#endif
