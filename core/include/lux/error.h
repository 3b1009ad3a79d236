/*
 * Errors are small negative integers inside the core, each with one
 * message a person can act on (defined once, in core/lib/error.c).  The
 * 9P server maps them to strings for 9P2000 and to errno for 9P2000.L.
 */
#ifndef LUX_ERROR_H
#define LUX_ERROR_H

enum lux_err {
	LUX_OK = 0,
	E_NOENT = -1,	/* file does not exist */
	E_EXIST = -2,	/* file already exists */
	E_NOTDIR = -3,	/* not a directory */
	E_ISDIR = -4,	/* is a directory */
	E_NOMEM = -5,	/* out of memory */
	E_PERM = -6,	/* permission denied */
	E_INVAL = -7,	/* bad argument */
	E_NAMETOOLONG = -8,	/* name too long */
	E_NOTEMPTY = -9,	/* directory not empty */
	E_BADFD = -10,	/* bad file descriptor */
	E_MFILE = -11,	/* too many open files */
	E_IO = -12,	/* i/o error */
	E_BADMODE = -13,	/* file not open for that mode */
	E_NOSPC = -14,	/* no space left */
	E_INUSE = -15,	/* file in use */
	E_BADPATH = -16,	/* bad path name */
	E_TOOBIG = -17,	/* file too large */
	E_NOCMD = -18,	/* command not found */
	E_SYNTAX = -19,	/* syntax error */
	E_CRYPTO = -20,	/* crypto operation failed */
	E_INTR = -21,	/* interrupted: the proc was killed */
	E_NOPROC = -22,	/* no such process */
	E_BORROWED = -23,	/* object is borrowed */
	E_STALE = -24,	/* stale handle: moved or dropped */
	E_NOTOWNER = -25,	/* not the object's owner */
	E_NOTBORROWED = -26,	/* no borrow of it to return */
	E_BUDGET = -27,	/* budget exhausted (errstr names the kind and numbers) */
	E_NOCONN = -28,	/* this machine makes no connections */
	E_UNREACH = -29,	/* connection refused or unreachable */
	E_NOTSUP = -30,	/* operation not supported by this device */
	E_XDEV = -31,	/* rename across devices */
	E_NOCREATE = -32,	/* mounted directory forbids creation */
	E_PIPE = -33,	/* write to a pipe nobody reads */
	E_QUOTA = -34,	/* quota exceeded (errstr names the user and the numbers) */
	E_DIRLINK = -35,	/* a hard link to a directory (link(2)'s EPERM) */
	E_LAST = -36
};

/* The message for an error code; never null. */
const char *lux_errstr(int err);

#endif
