/*
 * A blocking 9P client over one connected socket, one request at a time,
 * for lux9p.  Every message is built and parsed by the core's codec
 * (<lux/9p.h>): this file only frames, matches tags and turns replies
 * into results.  Both dialects: 9P2000 (Topen/Tstat/directory reads of
 * stat entries) and 9P2000.L (Tlopen/Tgetattr/Treaddir); callers see one
 * interface.
 */
#ifndef LUX9P_P9CLIENT_H
#define LUX9P_P9CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <lux/9p.h>
#include <lux/auth.h>

/* After an authenticated attach the stream is records (<lux/auth.h>):
 * every message we send is sealed into one, replies are opened from
 * however the bytes arrive. */
struct p9c_sec {
	struct auth_rec tx, rx;
	uint8_t *seal;		/* AUTH_REC_SEALED(msize): one sealed message */
	uint8_t *raw;		/* AUTH_REC_MAX: record bytes not yet opened */
	size_t rawlen;
	uint8_t *pt;		/* PT_CAP: opened payload not yet consumed */
	size_t ptoff, ptlen;
	bool peer_closed;	/* the server's close record came */
};

struct p9c {
	int fd;			/* the connection; owned, closed by p9c_close */
	enum p9_dialect d;	/* what Rversion agreed to */
	uint32_t msize;		/* what Rversion agreed to */
	uint16_t tag;		/* the last tag used (never NOTAG) */
	uint32_t nextfid;	/* fids are handed out in order, never reused */
	uint8_t *tx, *rx;	/* msize bytes each */
	struct p9_msg r;	/* the last reply; points into rx */
	char err[512];		/* why the last call failed */
	bool dead;		/* the connection failed: no more requests */
	struct p9c_sec *sec;	/* null: plaintext */
};

/* What stat says about a file, in Plan 9 terms whatever the dialect:
 * mode has DMDIR for a directory; uid/gid are names (9P2000) or numbers
 * (.L) as text. */
struct p9c_stat {
	struct qid qid;
	uint32_t mode;
	uint64_t length;
	uint64_t atime, mtime;
	char name[256], uid[64], gid[64], muid[64];
};

/* Tversion on fd (owned from here on, also on failure): d is the dialect
 * to ask for, msize the largest message wanted. */
int p9c_start(struct p9c *c, int fd, enum p9_dialect d, uint32_t msize);
void p9c_close(struct p9c *c);

/* Send t (its tag is filled in) and wait for the answer in c->r: 0, or -1
 * with c->err set (the server's Rerror text, strerror of an Rlerror's
 * errno, or what went wrong with the connection or the reply). */
int p9c_rpc(struct p9c *c, struct p9_msg *t);

/* A new fid for the root of aname.  n_uname (.L only): the numeric user,
 * or P9_NONUNAME to go by uname. */
int p9c_attach(struct p9c *c, const char *uname, uint32_t n_uname, const char *aname,
               uint32_t *fid);
/* The same with an authentication fid (P9_NOFID: none). */
int p9c_attach_afid(struct p9c *c, uint32_t afid, const char *uname, uint32_t n_uname,
                    const char *aname, uint32_t *fid);
/* Tauth: a new afid (its aqid in c->r.u.rqid.qid). */
int p9c_auth(struct p9c *c, const char *uname, uint32_t n_uname, const char *aname, uint32_t *afid);
/* From the next byte on, both directions are records under tx and rx
 * (moved in, and wiped from the caller's copies).  p9c_close then ends
 * our direction with a close record. */
int p9c_secure(struct p9c *c, struct auth_rec *tx, struct auth_rec *rx);
/* A new fid for path ("a/b", "/a/b", "" for from itself) walked from
 * `from`, more than 16 names at a time if need be.  A walk that stops
 * early is an error naming the first name that was not found. */
int p9c_walk(struct p9c *c, uint32_t from, const char *path, uint32_t *newfid);
/* Open fid with OREAD/OWRITE/ORDWR, optionally | OTRUNC.  *iounit gets the
 * largest useful read/write count. */
int p9c_open(struct p9c *c, uint32_t fid, int mode, uint32_t *iounit);
/* Create name in the directory fid (which then names the new file, open
 * with mode).  perm: permission bits, DMDIR for a directory. */
int p9c_create(struct p9c *c, uint32_t fid, const char *name, uint32_t perm, int mode,
               uint32_t *iounit);
/* At most n bytes: the count read (0 at the end of the file), or -1. */
ssize_t p9c_read(struct p9c *c, uint32_t fid, uint64_t off, void *buf, uint32_t n);
ssize_t p9c_write(struct p9c *c, uint32_t fid, uint64_t off, const void *buf, uint32_t n);
int p9c_clunk(struct p9c *c, uint32_t fid);
int p9c_remove(struct p9c *c, uint32_t fid);
int p9c_stat(struct p9c *c, uint32_t fid, struct p9c_stat *st);

/* Read the open directory fid to its end, calling fn for each entry: a
 * full stat under 9P2000; under .L only name and qid are filled
 * (a caller wanting more walks to the entry and stats it).  fn returning
 * non-zero stops the listing with that value. */
typedef int (*p9c_dirfn)(void *arg, const struct p9c_stat *st);
int p9c_readdir(struct p9c *c, uint32_t fid, p9c_dirfn fn, void *arg);

#endif
