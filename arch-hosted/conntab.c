/*
 * The connection table: the small integers arch_conn_* hands the core,
 * mapped to conn.c's struct conn.  It follows demand: an array of
 * pointers indexed by id, doubled when every id in it is taken, and a
 * stack of ids given back, so an id stays a small int, a lookup is one
 * index and neither a connection nor its end costs a search.
 *
 * An id goes back on the stack only when conn.c says so, which it does
 * after lux_conn_closed (or lux_dial_*) has returned for it: the core may
 * name an id until then (arch.h: "reuses it only after lux_conn_closed()
 * for it has returned"), so reuse before that would hand one client's
 * replies to another.
 *
 * The bound: every entry is a socket, one file descriptor, and a process
 * that runs out of them fails accept for everyone, dialing, and opening
 * its own state files alike.  So the table stops at the open files limit
 * minus CONNTAB_RESERVE, kept for everything else: stdio, libuv's own
 * (epoll, signal pipe, async, the accept reserve), listeners, the state
 * directory, and the refused connections being answered (refuse.c).
 */
#include <stdlib.h>
#include <sys/resource.h>

#include "conntab.h"
#include "hostcalls.h"

#define CONNTAB_FIRST 64	/* the first array: a luxsim with few clients allocates once */
#define CONNTAB_RESERVE 64	/* fds not given to connections (see above) */
/* Past this the ids would not be small any more; no host gives a
 * process this many sockets that it could serve. */
#define CONNTAB_CEILING (1 << 20)

static struct conn **slots;	/* by id; NULL: free, or never used */
static int cap;			/* slots[0..cap) allocated */
static int used;		/* ids handed out so far: slots[0..used) were used */
static int *freeids;		/* ids given back, reused last in first out */
static int nfree;
static int count;		/* entries now */
static int bound;		/* at most this many at once; 0: not computed yet */

int conntab_bound_for(unsigned long long nofile)
{
	unsigned long long b;

	if (nofile == (unsigned long long)RLIM_INFINITY || nofile > CONNTAB_CEILING)
		return CONNTAB_CEILING;
	/* a tiny limit still serves some: half of it, the rest kept */
	b = nofile >= 2 * CONNTAB_RESERVE ? nofile - CONNTAB_RESERVE : nofile / 2;
	return (int)b;
}

static void compute_bound(void)
{
	struct rlimit rl;

	/* read after procsetup.c raised it; unreadable: assume the usual 1024 */
	if (hostcalls.getrlimit(RLIMIT_NOFILE, &rl) != 0)
		rl.rlim_cur = 1024;
	bound = conntab_bound_for((unsigned long long)rl.rlim_cur);
	if (bound < 1)
		bound = 1;
}

int conntab_bound(void)
{
	if (bound == 0)
		compute_bound();
	return bound;
}

int conntab_count(void)
{
	return count;
}

/* Room for one more never-used id: both arrays double together, so the
 * free stack can always hold every id. */
static int grow(void)
{
	int ncap = cap ? cap * 2 : CONNTAB_FIRST;
	struct conn **ns;
	int *nf;

	if (ncap > CONNTAB_CEILING)
		return -1;
	if ((ns = realloc(slots, (size_t)ncap * sizeof *ns)) == NULL)
		return -1;
	slots = ns;
	for (int i = cap; i < ncap; i++)
		slots[i] = NULL;
	if ((nf = realloc(freeids, (size_t)ncap * sizeof *nf)) == NULL)
		return -1;	/* slots is larger, harmlessly: cap still says how much is ours */
	freeids = nf;
	cap = ncap;
	return 0;
}

int conntab_add(struct conn *c)
{
	int id;

	if (count >= conntab_bound())
		return CONNTAB_FULL;
	if (nfree > 0)
		id = freeids[--nfree];
	else {
		if (used == cap && grow() < 0)
			return CONNTAB_NOMEM;
		id = used++;
	}
	slots[id] = c;
	count++;
	return id;
}

struct conn *conntab_get(int id)
{
	if (id < 0 || id >= used)
		return NULL;
	return slots[id];
}

void conntab_remove(int id)
{
	if (id < 0 || id >= used || slots[id] == NULL)
		return;
	slots[id] = NULL;
	freeids[nfree++] = id;	/* never overflows: nfree <= used <= cap */
	count--;
}
