/*
 * The one table mapping the server's errors onto the wire (style rule 11):
 * 9P2000.L sends a Linux errno; 9P2000 sends the word for that errno, a
 * string Linux's 9P client maps back to it (it compares whole strings,
 * and any other string becomes ESERVERFAULT, 526), or the sentence
 * (lux_errstr's, ours, the codec's) where Linux knows no string for that
 * errno, or the error is a protocol violation.  docs/9p.md ("Errors")
 * reproduces this table and says why.
 */
#include "9psrv.h"
#include <lux/error.h>

/* Linux errno values (asm-generic/errno-base.h, errno.h): the .L wire
 * format, not this machine's. */
enum {
	L_EPERM = 1,
	L_ENOENT = 2,
	L_ESRCH = 3,
	L_EINTR = 4,
	L_EIO = 5,
	L_EBADF = 9,
	L_ENOMEM = 12,
	L_EACCES = 13,
	L_EBUSY = 16,
	L_EEXIST = 17,
	L_ENOTDIR = 20,
	L_EISDIR = 21,
	L_EINVAL = 22,
	L_EMFILE = 24,
	L_EFBIG = 27,
	L_ENOSPC = 28,
	L_EPIPE = 32,
	L_ENAMETOOLONG = 36,
	L_ENOTEMPTY = 39,
	L_EPROTO = 71,
	L_EOPNOTSUPP = 95,
	L_ECONNREFUSED = 111,
	L_EXDEV = 18,
	L_ENOLCK = 37,
	L_EAGAIN = 11,
	L_ESTALE = 116,
	L_EDQUOT = 122,
};

static const uint8_t lux_errnos[] = {
	[-E_NOENT] = L_ENOENT,
	[-E_EXIST] = L_EEXIST,
	[-E_NOTDIR] = L_ENOTDIR,
	[-E_ISDIR] = L_EISDIR,
	[-E_NOMEM] = L_ENOMEM,
	[-E_PERM] = L_EACCES,
	[-E_NOTOWNER] = L_EPERM,	/* chmod/chown/utimes by a non-owner: POSIX's EPERM */
	[-E_INVAL] = L_EINVAL,
	[-E_NAMETOOLONG] = L_ENAMETOOLONG,
	[-E_NOTEMPTY] = L_ENOTEMPTY,
	[-E_BADFD] = L_EBADF,
	[-E_MFILE] = L_EMFILE,
	[-E_IO] = L_EIO,
	[-E_BADMODE] = L_EBADF,
	[-E_NOSPC] = L_ENOSPC,
	[-E_INUSE] = L_EBUSY,
	[-E_BADPATH] = L_EINVAL,
	[-E_TOOBIG] = L_EFBIG,
	[-E_NOCMD] = L_ENOENT,
	[-E_SYNTAX] = L_EINVAL,
	[-E_CRYPTO] = L_EIO,
	[-E_INTR] = L_EINTR,
	[-E_NOPROC] = L_ESRCH,
	[-E_STALE] = L_ESTALE,
	[-E_UNREACH] = L_ECONNREFUSED,
	[-E_NOTSUP] = L_EOPNOTSUPP,
	[-E_XDEV] = L_EXDEV,
	[-E_NOCREATE] = L_EACCES,
	[-E_BUDGET] = L_EDQUOT,	/* a budget is a quota */
	[-E_PIPE] = L_EPIPE,
	[-E_QUOTA] = L_EDQUOT,	/* a file owner's quota (docs/quotas.md) */
	[-E_DIRLINK] = L_EPERM,	/* link(2) of a directory */
};

/* The word 9P2000 sends for each errno above: Plan 9's where Linux's
 * client knows it, else the C library's strerror text, which it knows.
 * ESRCH and ESTALE have none: no string Linux knows means them. */
static const char *const words[] = {
	[L_EPERM] = "Operation not permitted",
	[L_ENOENT] = "file does not exist",
	[L_EINTR] = "Interrupted system call",
	[L_EIO] = "i/o error",
	[L_EBADF] = "Bad file descriptor",
	[L_EAGAIN] = "Resource temporarily unavailable",
	[L_ENOMEM] = "Cannot allocate memory",
	[L_EACCES] = "permission denied",
	[L_EBUSY] = "Device or resource busy",
	[L_EEXIST] = "file already exists",
	[L_EXDEV] = "Invalid cross-device link",
	[L_ENOTDIR] = "not a directory",
	[L_EISDIR] = "Is a directory",
	[L_EINVAL] = "Invalid argument",
	[L_EMFILE] = "Too many open files",
	[L_EFBIG] = "File too large",
	[L_ENOSPC] = "No space left on device",
	[L_EPIPE] = "Broken pipe",
	[L_ENAMETOOLONG] = "File name too long",
	[L_ENOLCK] = "No locks available",
	[L_ENOTEMPTY] = "directory is not empty",
	[L_EOPNOTSUPP] = "Operation not supported",
	[L_ECONNREFUSED] = "Connection refused",
	[L_EDQUOT] = "Disk quota exceeded",
};

static const struct {
	const char *msg;
	uint8_t lerrno;
	const char *word;	/* 9P2000's, when not words[lerrno]'s */
} own[] = {
	/* fossil's words, which Linux knows */
	[-NINEP_E_NOFID - 200] = { "unknown fid", L_EBADF, "fid unknown or out of range" },
	[-NINEP_E_FIDINUSE - 200] = { "fid already in use", L_EBADF, "fid already in use" },
	/* the budget's own sentence ("budget exhausted: fids 4096/4096") is
	 * sent when the charging proc has it (error_reply) */
	[-NINEP_E_NFIDS - 200] = { "budget exhausted: fids", L_EMFILE, 0 },
	[-NINEP_E_NOTSUP - 200] = { "not supported by this server yet", L_EOPNOTSUPP, 0 },
	[-NINEP_E_OPEN - 200] = { "fid is open", L_EBUSY, 0 },
	[-NINEP_E_NOTOPEN - 200] = { "fid not open for that", L_EBADF, "bad use of fid" },
	[-NINEP_E_DIROFF - 200] = { "bad offset in directory read", L_EINVAL, 0 },
	/* the words every 9P2000 client knows (Plan 9's srv, u9fs): Linux
	 * never sends Tauth, so its table's lack of them costs nothing */
	[-NINEP_E_NOAUTH - 200] = { "authentication not required", L_ENOENT,
	                            "authentication not required" },
	[-NINEP_E_AFID - 200] = { "authentication not required: afid must be NOFID", L_EINVAL, 0 },
	[-NINEP_E_NAME - 200] = { "bad file name", L_EINVAL, 0 },
	[-NINEP_E_DIRFIT - 200] = { "directory entry does not fit the read count", L_EINVAL, 0 },
	[-NINEP_E_WSTAT - 200] = { "wstat: qid, type and dev cannot change", L_EPERM, 0 },
	[-NINEP_E_NOLINK - 200] = { "hard links not supported by this device", L_EPERM,
	                            0 }, /* link(2)'s answer for a file system without them */
	[-NINEP_E_NOXATTR - 200] = { "extended attributes not supported", L_EOPNOTSUPP, 0 },
	[-NINEP_E_LOCKS - 200] = { "lock table full: 256 byte-range locks, 64 a connection",
	                           L_ENOLCK, 0 },
	[-NINEP_E_OWNER - 200] = { "owner or group: no such user", L_EINVAL, 0 },
	[-NINEP_E_FIDBUSY - 200] = { "fid in use by another request in flight", L_EBUSY, 0 },
	[-NINEP_E_TAG - 200] = { "tag already in flight", L_EPROTO, 0 },
	[-NINEP_E_NREQS - 200] = { "budget exhausted: requests", L_EAGAIN, 0 },
};

_Static_assert(sizeof own / sizeof own[0] == (size_t)(-NINEP_E_LAST - 200),
               "one entry per ninep_err");

const char *ninep_errstr(int err)
{
	if (err <= NINEP_E_NOFID && err > NINEP_E_LAST)
		return own[-err - 200].msg;
	return p9_strerror(err);	/* codec codes, else lux_errstr */
}

uint32_t ninep_errno(int err)
{
	if (err <= NINEP_E_NOFID && err > NINEP_E_LAST)
		return own[-err - 200].lerrno;
	if (err <= P9_E_ARG && err > P9_E_LAST)
		return L_EPROTO;	/* the codec rejected the message */
	if (err < 0 && (size_t)-err < sizeof lux_errnos && lux_errnos[-err])
		return lux_errnos[-err];
	return L_EIO;	/* a code this table does not know yet: say so, vaguely */
}

const char *ninep_word(int err)
{
	uint32_t e;

	if (err <= NINEP_E_NOFID && err > NINEP_E_LAST && own[-err - 200].word)
		return own[-err - 200].word;
	/* a protocol violation is its client's bug, not a file's state: no
	 * program acts on its errno, its author needs the sentence */
	if ((err <= P9_E_ARG && err > P9_E_LAST) || err == NINEP_E_TAG)
		return 0;
	e = ninep_errno(err);
	return e < sizeof words / sizeof words[0] ? words[e] : 0;
}
