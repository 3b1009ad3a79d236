/*
 * bench-9pscale --active: a client that does random walk, create, open,
 * read, write, clunk and remove on files of its own in /tmp, one request
 * at a time, and knows at every step what the answer must be: it keeps a
 * copy of each file, so a read checks the bytes as well as the count.
 * Since no other client touches its files, any Rlerror, short count,
 * wrong byte or hang-up is a protocol error: another client hurt it, or
 * the server did.
 */
#ifndef LUX_BENCH_SCALE_ACTIVE_H
#define LUX_BENCH_SCALE_ACTIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "scale_conn.h"

enum aop { A_WALKTMP, A_CREATE, A_OPEN, A_READ, A_WRITE, A_CLUNK, A_REMOVE, A_NOPS };

#define A_FILES 4		/* files per client */

struct afile {
	bool exists, open;
	uint32_t size;
	uint8_t *data;		/* the copy: maxsize bytes, made at the first create */
};

struct aclient {
	struct sconn c;
	int id;
	uint64_t rng;
	bool tmp;		/* fid 2 is /tmp */
	bool done;		/* finished (cleaned up) or given up */
	enum aop op;
	int step, k;		/* the op's step, and which file */
	uint32_t off, count;	/* the read's or write's */
	struct afile f[A_FILES];
};

struct astats {
	uint64_t ops[A_NOPS];
	uint64_t errors;	/* protocol errors (see above) */
	char first[240];	/* the first one, as a sentence */
};

extern const char *const aop_names[A_NOPS];

/* Set before the clients start: the file size bound, and the stats. */
void active_setup(uint32_t maxsize, struct astats *st);
/* Called by the scale_ops: see scale_active.c. */
extern const struct scale_ops active_ops;
/* Begin the ops on every attached client (the clock starts), or end
 * them: each removes its files and hangs up. */
void active_go(struct scale *s, struct aclient *cl, int n);
void active_drain(struct scale *s, struct aclient *cl, int n);

#endif
