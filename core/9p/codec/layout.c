/*
 * The wire layout of every 9P message body, per dialect: the one place
 * that says which fields a message has and in which order (the codec in
 * codec.c only walks these lists).  Sources: Plan 9 intro(5) and the
 * other section-5 pages for 9P2000; diod's protocol.md and Linux's
 * net/9p/client.c for 9P2000.L (note Tfsync's datasync[4], which Linux
 * and QEMU use and older write-ups omit, and the .u n_uname[4] that .L
 * appends to Tauth and Tattach).
 */
#include <lux/9p.h>

/* clang-format off */
#define M(k, mem, nm) { k, offsetof(struct p9_msg, u.mem), 0, nm }
#define M2(k, mem, mem2, nm) \
	{ k, offsetof(struct p9_msg, u.mem), offsetof(struct p9_msg, u.mem2), nm }
#define U8(mem) M(P9F_U8, mem, #mem)
#define U16(mem) M(P9F_U16, mem, #mem)
#define U32(mem) M(P9F_U32, mem, #mem)
#define U64(mem) M(P9F_U64, mem, #mem)
#define STR(mem) M(P9F_STR, mem, #mem)
#define QID(mem) M(P9F_QID, mem, #mem)
#define END { P9F_END, 0, 0, 0 }

/* Fields of a struct p9_stat / p9_dirent rather than of a p9_msg. */
#define S(k, type, mem) { k, offsetof(type, mem), 0, #mem }

const struct p9_field p9_stat_fields[] = {
	S(P9F_U16, struct p9_stat, type), S(P9F_U32, struct p9_stat, dev),
	S(P9F_QID, struct p9_stat, qid), S(P9F_U32, struct p9_stat, mode),
	S(P9F_U32, struct p9_stat, atime), S(P9F_U32, struct p9_stat, mtime),
	S(P9F_U64, struct p9_stat, length), S(P9F_STR, struct p9_stat, name),
	S(P9F_STR, struct p9_stat, uid), S(P9F_STR, struct p9_stat, gid),
	S(P9F_STR, struct p9_stat, muid), END
};

const struct p9_field p9_dirent_fields[] = {
	S(P9F_QID, struct p9_dirent, qid), S(P9F_U64, struct p9_dirent, offset),
	S(P9F_U8, struct p9_dirent, type), S(P9F_STR, struct p9_dirent, name), END
};

static const struct p9_field none[] = { END };

/* ---- 9P2000 and shared ---- */
static const struct p9_field version[] = { U32(version.msize), STR(version.version), END };
static const struct p9_field tauth[] = { U32(tauth.afid), STR(tauth.uname), STR(tauth.aname), END };
static const struct p9_field tauth_l[] = {
	U32(tauth.afid), STR(tauth.uname), STR(tauth.aname), U32(tauth.n_uname), END
};
static const struct p9_field tattach[] = {
	U32(tattach.fid), U32(tattach.afid), STR(tattach.uname), STR(tattach.aname), END
};
static const struct p9_field tattach_l[] = {
	U32(tattach.fid), U32(tattach.afid), STR(tattach.uname), STR(tattach.aname),
	U32(tattach.n_uname), END
};
static const struct p9_field rqid[] = { QID(rqid.qid), END };
static const struct p9_field rerror[] = { STR(rerror.ename), END };
static const struct p9_field rlerror[] = { U32(rlerror.ecode), END };
static const struct p9_field tflush[] = { U16(tflush.oldtag), END };
static const struct p9_field twalk[] = {
	U32(twalk.fid), U32(twalk.newfid),
	M2(P9F_WNAMES, twalk.nwname, twalk.wname, "wname"), END
};
static const struct p9_field rwalk[] = { M2(P9F_WQIDS, rwalk.nwqid, rwalk.wqid, "wqid"), END };
static const struct p9_field topen[] = { U32(topen.fid), U8(topen.mode), END };
static const struct p9_field ropen[] = { QID(ropen.qid), U32(ropen.iounit), END };
static const struct p9_field tcreate[] = {
	U32(tcreate.fid), STR(tcreate.name), U32(tcreate.perm), U8(tcreate.mode), END
};
static const struct p9_field tread[] = {
	U32(tread.fid), U64(tread.offset), U32(tread.count), END
};
static const struct p9_field rread[] = { M2(P9F_DATA, rread.count, rread.data, "data"), END };
static const struct p9_field twrite[] = {
	U32(twrite.fid), U64(twrite.offset),
	M2(P9F_DATA, twrite.count, twrite.data, "data"), END
};
static const struct p9_field rwrite[] = { U32(rwrite.count), END };
static const struct p9_field tfid[] = { U32(tfid.fid), END };
static const struct p9_field rstat[] = { M(P9F_STAT, rstat.stat, "stat"), END };
static const struct p9_field twstat[] = { U32(twstat.fid), M(P9F_STAT, twstat.stat, "stat"), END };

/* ---- 9P2000.L ---- */
static const struct p9_field rstatfs[] = {
	U32(rstatfs.type), U32(rstatfs.bsize), U64(rstatfs.blocks), U64(rstatfs.bfree),
	U64(rstatfs.bavail), U64(rstatfs.files), U64(rstatfs.ffree), U64(rstatfs.fsid),
	U32(rstatfs.namelen), END
};
static const struct p9_field tlopen[] = { U32(tlopen.fid), U32(tlopen.flags), END };
static const struct p9_field tlcreate[] = {
	U32(tlcreate.fid), STR(tlcreate.name), U32(tlcreate.flags), U32(tlcreate.mode),
	U32(tlcreate.gid), END
};
static const struct p9_field tsymlink[] = {
	U32(tsymlink.fid), STR(tsymlink.name), STR(tsymlink.symtgt), U32(tsymlink.gid), END
};
static const struct p9_field tmknod[] = {
	U32(tmknod.dfid), STR(tmknod.name), U32(tmknod.mode), U32(tmknod.major),
	U32(tmknod.minor), U32(tmknod.gid), END
};
static const struct p9_field trename[] = {
	U32(trename.fid), U32(trename.dfid), STR(trename.name), END
};
static const struct p9_field rreadlink[] = { STR(rreadlink.target), END };
static const struct p9_field tgetattr[] = { U32(tgetattr.fid), U64(tgetattr.request_mask), END };
static const struct p9_field rgetattr[] = {
	U64(rgetattr.valid), QID(rgetattr.qid), U32(rgetattr.mode), U32(rgetattr.uid),
	U32(rgetattr.gid), U64(rgetattr.nlink), U64(rgetattr.rdev), U64(rgetattr.size),
	U64(rgetattr.blksize), U64(rgetattr.blocks),
	U64(rgetattr.atime_sec), U64(rgetattr.atime_nsec),
	U64(rgetattr.mtime_sec), U64(rgetattr.mtime_nsec),
	U64(rgetattr.ctime_sec), U64(rgetattr.ctime_nsec),
	U64(rgetattr.btime_sec), U64(rgetattr.btime_nsec),
	U64(rgetattr.gen), U64(rgetattr.data_version), END
};
static const struct p9_field tsetattr[] = {
	U32(tsetattr.fid), U32(tsetattr.valid), U32(tsetattr.mode), U32(tsetattr.uid),
	U32(tsetattr.gid), U64(tsetattr.size),
	U64(tsetattr.atime_sec), U64(tsetattr.atime_nsec),
	U64(tsetattr.mtime_sec), U64(tsetattr.mtime_nsec), END
};
static const struct p9_field txattrwalk[] = {
	U32(txattrwalk.fid), U32(txattrwalk.newfid), STR(txattrwalk.name), END
};
static const struct p9_field rxattrwalk[] = { U64(rxattrwalk.size), END };
static const struct p9_field txattrcreate[] = {
	U32(txattrcreate.fid), STR(txattrcreate.name), U64(txattrcreate.attr_size),
	U32(txattrcreate.flags), END
};
static const struct p9_field tfsync[] = { U32(tfsync.fid), U32(tfsync.datasync), END };
static const struct p9_field tlock[] = {
	U32(tlock.fid), U8(tlock.type), U32(tlock.flags), U64(tlock.start),
	U64(tlock.length), U32(tlock.proc_id), STR(tlock.client_id), END
};
static const struct p9_field rlock[] = { U8(rlock.status), END };
static const struct p9_field tgetlock[] = {
	U32(tgetlock.fid), U8(tgetlock.type), U64(tgetlock.start), U64(tgetlock.length),
	U32(tgetlock.proc_id), STR(tgetlock.client_id), END
};
static const struct p9_field rgetlock[] = {
	U8(rgetlock.type), U64(rgetlock.start), U64(rgetlock.length),
	U32(rgetlock.proc_id), STR(rgetlock.client_id), END
};
static const struct p9_field tlink[] = { U32(tlink.dfid), U32(tlink.fid), STR(tlink.name), END };
static const struct p9_field tmkdir[] = {
	U32(tmkdir.dfid), STR(tmkdir.name), U32(tmkdir.mode), U32(tmkdir.gid), END
};
static const struct p9_field trenameat[] = {
	U32(trenameat.olddirfid), STR(trenameat.oldname), U32(trenameat.newdirfid),
	STR(trenameat.newname), END
};
static const struct p9_field tunlinkat[] = {
	U32(tunlinkat.dirfid), STR(tunlinkat.name), U32(tunlinkat.flags), END
};

/* Indexed by type, then by enum p9_dialect (P9_NONE, P9_2000, P9_2000L). */
#define ANY(f) { { f, f, f } }		/* version traffic */
#define BOTH(f) { { 0, f, f } }
#define P9(f) { { 0, f, 0 } }		/* 9P2000 only */
#define DOTL(f) { { 0, 0, f } }		/* 9P2000.L only */

static const struct {
	const struct p9_field *f[P9_NDIALECT];
} layouts[256] = {
	[P9_TVERSION] = ANY(version), [P9_RVERSION] = ANY(version),
	/* A failed Tversion is answered before a dialect exists. */
	[P9_RERROR] = { { rerror, rerror, 0 } },
	[P9_RLERROR] = { { rlerror, 0, rlerror } },
	[P9_TAUTH] = { { 0, tauth, tauth_l } }, [P9_RAUTH] = BOTH(rqid),
	[P9_TATTACH] = { { 0, tattach, tattach_l } }, [P9_RATTACH] = BOTH(rqid),
	[P9_TFLUSH] = BOTH(tflush), [P9_RFLUSH] = BOTH(none),
	[P9_TWALK] = BOTH(twalk), [P9_RWALK] = BOTH(rwalk),
	[P9_TREAD] = BOTH(tread), [P9_RREAD] = BOTH(rread),
	[P9_TWRITE] = BOTH(twrite), [P9_RWRITE] = BOTH(rwrite),
	[P9_TCLUNK] = BOTH(tfid), [P9_RCLUNK] = BOTH(none),
	[P9_TREMOVE] = BOTH(tfid), [P9_RREMOVE] = BOTH(none),

	[P9_TOPEN] = P9(topen), [P9_ROPEN] = P9(ropen),
	[P9_TCREATE] = P9(tcreate), [P9_RCREATE] = P9(ropen),
	[P9_TSTAT] = P9(tfid), [P9_RSTAT] = P9(rstat),
	[P9_TWSTAT] = P9(twstat), [P9_RWSTAT] = P9(none),

	[P9_TSTATFS] = DOTL(tfid), [P9_RSTATFS] = DOTL(rstatfs),
	[P9_TLOPEN] = DOTL(tlopen), [P9_RLOPEN] = DOTL(ropen),
	[P9_TLCREATE] = DOTL(tlcreate), [P9_RLCREATE] = DOTL(ropen),
	[P9_TSYMLINK] = DOTL(tsymlink), [P9_RSYMLINK] = DOTL(rqid),
	[P9_TMKNOD] = DOTL(tmknod), [P9_RMKNOD] = DOTL(rqid),
	[P9_TRENAME] = DOTL(trename), [P9_RRENAME] = DOTL(none),
	[P9_TREADLINK] = DOTL(tfid), [P9_RREADLINK] = DOTL(rreadlink),
	[P9_TGETATTR] = DOTL(tgetattr), [P9_RGETATTR] = DOTL(rgetattr),
	[P9_TSETATTR] = DOTL(tsetattr), [P9_RSETATTR] = DOTL(none),
	[P9_TXATTRWALK] = DOTL(txattrwalk), [P9_RXATTRWALK] = DOTL(rxattrwalk),
	[P9_TXATTRCREATE] = DOTL(txattrcreate), [P9_RXATTRCREATE] = DOTL(none),
	[P9_TREADDIR] = DOTL(tread), [P9_RREADDIR] = DOTL(rread),
	[P9_TFSYNC] = DOTL(tfsync), [P9_RFSYNC] = DOTL(none),
	[P9_TLOCK] = DOTL(tlock), [P9_RLOCK] = DOTL(rlock),
	[P9_TGETLOCK] = DOTL(tgetlock), [P9_RGETLOCK] = DOTL(rgetlock),
	[P9_TLINK] = DOTL(tlink), [P9_RLINK] = DOTL(none),
	[P9_TMKDIR] = DOTL(tmkdir), [P9_RMKDIR] = DOTL(rqid),
	[P9_TRENAMEAT] = DOTL(trenameat), [P9_RRENAMEAT] = DOTL(none),
	[P9_TUNLINKAT] = DOTL(tunlinkat), [P9_RUNLINKAT] = DOTL(none),
};

/* clang-format on */

const struct p9_field *p9_layout(unsigned type, enum p9_dialect d)
{
	if (type >= nelem(layouts) || (unsigned)d >= P9_NDIALECT)
		return 0;
	return layouts[type].f[d];
}
