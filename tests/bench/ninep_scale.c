/*
 * bench-9pscale: many 9P connections at once against one server (issue
 * 11, "no client can hurt another").  Two modes, both over one epoll with
 * non-blocking sockets (scale_conn.c):
 *
 * --idle N: an honest client (one blocking connection, lux9p's client)
 *   times Tgetattr on its root fid for S seconds alone (the baseline),
 *   then N more connections each say Tversion and Tattach and stay idle,
 *   and the honest client is timed again while they are held.  Reported:
 *   how each of the N ended (held, refused in 9P and with what, closed
 *   without an answer), both latency lines (count, p50, p99, max), the
 *   server's VmRSS before and after (--pid: bytes per idle connection), its
 *   /9p/status total line, and whether every held connection still
 *   answers a Tgetattr at the end.
 * --active N: N clients (scale_active.c) do random create, walk+open,
 *   read, write, clunk and remove on files of their own for S seconds,
 *   each checking every answer against its own copy; refusals at the door
 *   are counted apart, and any protocol error (an unexpected Rlerror, a
 *   wrong count or byte, a malformed reply, a hang-up) makes the exit
 *   status 1.
 *
 * Handshakes run at most --window at once (16), so a server that answers
 * its refusals a few at a time (the core: 16) is not asked for more
 * answers than it keeps; a larger window measures the burst instead.
 *
 * --also ADDR sends every other connection (idle or active) to a second
 * address: a second peer, since the server caps what one peer may hold.
 *
 * usage: bench-9pscale -s ADDR [--also ADDR] (--idle N | --active N) [--seconds S]
 *                      [--pid PID] [--window W] [--maxsize BYTES]
 * prints `9pscale ...` lines (scale_bench.py makes the tables of them);
 * exit 0, 1 (protocol errors), 2 (could not run)
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "dial.h"
#include "p9client.h"
#include "scale_active.h"
#include "scale_conn.h"

#define PHASE_MAX_NS (120ull * 1000000000u)	/* a handshake phase that long: stop waiting */

struct opts {
	const char *addr;
	const char *also;	/* --also: every other connection goes here */
	int idle, active, seconds, window, pid;
	uint32_t maxsize;
};

/* ---- The honest client ------------------------------------------------------ */

struct lat {
	uint64_t n;
	double secs, p50, p99, max;	/* microseconds */
};

static int honest_open(const char *addr, struct p9c *c, uint32_t *root)
{
	char err[512];
	int fd = dial(addr, err, sizeof err);

	if (fd < 0) {
		fprintf(stderr, "bench-9pscale: %s\n", err);
		return -1;
	}
	if (p9c_start(c, fd, P9_2000L, SC_MSIZE) < 0 ||
	    p9c_attach(c, "", P9_NONUNAME, "", root) < 0) {
		fprintf(stderr, "bench-9pscale: the honest client: %s\n", c->err);
		p9c_close(c);
		return -1;
	}
	return 0;
}

static int getattr_loop(struct p9c *c, uint32_t root, int secs, struct lat *out)
{
	size_t cap = 1 << 16, n = 0;
	double *us = malloc(cap * sizeof *us);
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)secs * 1000000000u, t = t0;
	struct p9c_stat st;

	if (us == NULL)
		return -1;
	while (t < end) {
		uint64_t a = t;

		if (p9c_stat(c, root, &st) < 0) {
			fprintf(stderr, "bench-9pscale: the honest client's getattr: %s\n", c->err);
			free(us);
			return -1;
		}
		t = now_ns();
		if (n == cap) {
			double *more = realloc(us, 2 * cap * sizeof *us);
			if (more == NULL)
				break;
			us = more, cap *= 2;
		}
		us[n++] = (double)(t - a) / 1e3;
	}
	qsort(us, n, sizeof *us, cmp_double);
	out->n = n;
	out->secs = (double)(t - t0) / 1e9;
	out->p50 = n ? us[n / 2] : 0;
	out->p99 = n ? us[n * 99 / 100] : 0;
	out->max = n ? us[n - 1] : 0;
	free(us);
	return 0;
}

static void print_lat(const char *what, const struct lat *l)
{
	printf("9pscale getattr %s: n %llu persec %.0f p50_us %.1f p99_us %.1f max_us %.1f\n", what,
	       (unsigned long long)l->n, l->n / l->secs, l->p50, l->p99, l->max);
}

/* The server's own view: the total line of /9p/status, if it has one. */
static void print_status(struct p9c *c, uint32_t root)
{
	static char buf[1 << 20];
	uint32_t fid;
	ssize_t n, got = 0;
	char *total;

	if (p9c_walk(c, root, "9p/status", &fid) < 0 || p9c_open(c, fid, OREAD, NULL) < 0)
		return;
	while (got < (ssize_t)sizeof buf - 1 &&
	       (n = p9c_read(c, fid, (uint64_t)got, buf + got, SC_MSIZE - P9_IOHDRSZ)) > 0)
		got += n;
	p9c_clunk(c, fid);
	buf[got > 0 ? got : 0] = 0;
	if ((total = strstr(buf, "total ")) != NULL) {
		total[strcspn(total, "\n")] = 0;
		printf("9pscale status: %s\n", total);
	}
}

static long rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ---- How connections ended -------------------------------------------------- */

#define NREASONS 8

struct ends {
	int count[SC_NEND];
	int held;
	struct { char why[200]; int n; } reason[NREASONS + 1];	/* the last: any other */
};

static void tally(struct ends *e, const struct sconn *c)
{
	char why[200];
	int i;

	if (c->st == SC_READY || c->st == SC_BUSY) {
		e->held++;
		return;
	}
	e->count[c->end]++;
	if (c->end == SC_CLOSED || c->end == SC_DROPPED || c->end == SC_MALFORMED)
		return;
	snprintf(why, sizeof why, "%s: %s", sc_end_names[c->end], c->why);
	for (i = 0; i < NREASONS && e->reason[i].n && strcmp(e->reason[i].why, why); i++)
		;
	if (i < NREASONS && e->reason[i].n == 0)
		memcpy(e->reason[i].why, why, sizeof why);
	e->reason[i].n++;
}

static void print_ends(const char *mode, int asked, const struct ends *e, const char *held)
{
	printf("9pscale %s: asked %d %s %d refused %d silent %d noconnect %d dropped %d malformed %d\n",
	       mode, asked, held, e->held, e->count[SC_REFUSED], e->count[SC_SILENT],
	       e->count[SC_NOCONNECT], e->count[SC_DROPPED], e->count[SC_MALFORMED]);
	for (int i = 0; i <= NREASONS && e->reason[i].n; i++)
		printf("9pscale why: %d x %s\n", e->reason[i].n, i < NREASONS ? e->reason[i].why : "other");
}

/* Start connections `window` at a time until all n were tried and none
 * is still shaking hands (or the phase takes too long). */
static void open_all(struct scale *s, struct sconn *(*at)(void *, int), void *arg, int n,
                     int window)
{
	uint64_t deadline = now_ns() + PHASE_MAX_NS;
	int next = 0;

	while ((next < n || s->handshakes > 0) && now_ns() < deadline) {
		while (next < n && s->handshakes < window)
			sc_open(s, at(arg, next++));
		sc_poll(s, 50);
	}
}

/* ---- --idle ------------------------------------------------------------------ */

static struct sconn *idle_at(void *arg, int i)
{
	return &((struct sconn *)arg)[i];
}

static void idle_reply(struct scale *s, struct sconn *c)
{
	(void)s;
	c->owner = c->r.type == P9_RGETATTR ? (void *)1 : NULL;	/* the last sweep's answer */
}

static const struct scale_ops idle_ops = { NULL, idle_reply, NULL };

static int run_idle(const struct opts *o)
{
	struct scale s;
	struct sconn *conns = calloc((size_t)o->idle, sizeof *conns);
	struct p9c hc;
	struct lat base, held;
	struct ends e = { 0 };
	uint32_t root;
	long rss0 = -1, rss1 = -1;
	int alive = 0, sent = 0;

	if (conns == NULL || sc_init(&s, o->addr, &idle_ops) < 0 ||
	    (o->also && sc_also(&s, o->also) < 0) || honest_open(o->addr, &hc, &root) < 0)
		return 2;
	s.msize = 512;	/* an idle connection's replies are small: memory is the point */
	/* a second untimed: a server just started is still settling */
	if (getattr_loop(&hc, root, 1, &base) < 0 || getattr_loop(&hc, root, o->seconds, &base) < 0)
		return 2;
	if (o->pid)
		rss0 = rss_kb(o->pid);
	open_all(&s, idle_at, conns, o->idle, o->window);
	for (uint64_t t = now_ns() + 1000000000u; now_ns() < t;)	/* late drops show up */
		sc_poll(&s, 100);
	if (o->pid)
		rss1 = rss_kb(o->pid);
	print_status(&hc, root);
	if (getattr_loop(&hc, root, o->seconds, &held) < 0)
		return 2;
	/* Every held connection must still answer. */
	sc_poll(&s, 0);
	for (int i = 0; i < o->idle; i++) {
		struct p9_msg t = { .type = P9_TGETATTR };

		t.u.tgetattr.fid = 1;
		t.u.tgetattr.request_mask = P9_GETATTR_BASIC;
		conns[i].owner = NULL;
		sent += conns[i].st == SC_READY && sc_send(&s, &conns[i], &t) == 0;
	}
	for (uint64_t t = now_ns() + 30ull * 1000000000u; now_ns() < t;) {
		int busy = 0;
		for (int i = 0; i < o->idle; i++)
			busy += conns[i].st == SC_BUSY;
		if (busy == 0)
			break;
		sc_poll(&s, 100);
	}
	for (int i = 0; i < o->idle; i++) {
		alive += conns[i].st == SC_READY && conns[i].owner != NULL;
		tally(&e, &conns[i]);
	}
	print_ends("idle", o->idle, &e, "held");
	print_lat("0", &base);
	printf("9pscale held: %d\n", e.held);
	print_lat("held", &held);
	if (rss0 >= 0 && rss1 >= 0)
		printf("9pscale rss_kb: before %ld after %ld per_conn_bytes %.0f\n", rss0, rss1,
		       e.held ? (double)(rss1 - rss0) * 1024 / e.held : 0.0);
	printf("9pscale alive: %d of %d asked answered Tgetattr at the end\n", alive, sent);
	for (int i = 0; i < o->idle; i++)
		sc_close(&s, &conns[i]);
	p9c_close(&hc);
	free(conns);
	return alive == sent && e.count[SC_DROPPED] + e.count[SC_MALFORMED] == 0 ? 0 : 1;
}

/* ---- --active ------------------------------------------------------------------ */

static struct sconn *active_at(void *arg, int i)
{
	struct aclient *cl = &((struct aclient *)arg)[i];

	cl->id = i;
	cl->c.owner = cl;
	return &cl->c;
}

static int run_active(const struct opts *o)
{
	struct scale s;
	struct aclient *cl = calloc((size_t)o->active, sizeof *cl);
	struct astats st = { 0 };
	struct ends e = { 0 };
	uint64_t t0, t1, total = 0;
	int left;

	if (cl == NULL || sc_init(&s, o->addr, &active_ops) < 0 || (o->also && sc_also(&s, o->also) < 0))
		return 2;
	active_setup(o->maxsize, &st);
	open_all(&s, active_at, cl, o->active, o->window);
	for (int i = 0; i < o->active; i++)
		tally(&e, &cl[i].c);	/* how the handshakes went, before any op */
	t0 = now_ns();
	active_go(&s, cl, o->active);
	while (now_ns() - t0 < (uint64_t)o->seconds * 1000000000u)
		sc_poll(&s, 50);
	t1 = now_ns();
	active_drain(&s, cl, o->active);
	for (uint64_t t = now_ns() + 30ull * 1000000000u; now_ns() < t;) {
		for (left = 0; left < o->active && cl[left].c.st == SC_ENDED; left++)
			;
		if (left == o->active)
			break;
		sc_poll(&s, 50);
	}
	print_ends("active", o->active, &e, "served");
	printf("9pscale ops:");
	for (int i = A_CREATE; i < A_NOPS; i++) {
		printf(" %s %llu", aop_names[i], (unsigned long long)st.ops[i]);
		total += st.ops[i];
	}
	printf("\n9pscale total: %llu ops in %.1f s: %.0f ops/s\n", (unsigned long long)total,
	       (double)(t1 - t0) / 1e9, (double)total / ((double)(t1 - t0) / 1e9));
	printf("9pscale protocol_errors: %llu%s%s\n", (unsigned long long)st.errors,
	       st.errors ? " first: " : "", st.first);
	for (int i = 0; i < o->active; i++) {
		sc_close(&s, &cl[i].c);
		for (int k = 0; k < A_FILES; k++)
			free(cl[i].f[k].data);
	}
	free(cl);
	return st.errors ? 1 : 0;
}

/* ---- main ------------------------------------------------------------------------ */

/* Every connection is a descriptor: take what the hard limit allows, and
 * say so if that is fewer than asked. */
static void raise_nofile(int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)want + 32)
		fprintf(stderr, "bench-9pscale: only %llu file descriptors (ulimit -n): connections "
		        "past that fail with 'Too many open files'\n", (unsigned long long)rl.rlim_cur);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "idle", required_argument, 0, 'i' }, { "active", required_argument, 0, 'a' },
		{ "seconds", required_argument, 0, 'r' }, { "pid", required_argument, 0, 'p' },
		{ "window", required_argument, 0, 'w' }, { "maxsize", required_argument, 0, 'm' },
		{ "also", required_argument, 0, 'A' },
		{ 0, 0, 0, 0 },
	};
	struct opts o = { .seconds = 5, .window = 16, .maxsize = 8192 };
	int opt;

	while ((opt = getopt_long(argc, argv, "s:", lo, NULL)) != -1) {
		switch (opt) {
		case 's': o.addr = optarg; break;
		case 'A': o.also = optarg; break;
		case 'i': o.idle = atoi(optarg); break;
		case 'a': o.active = atoi(optarg); break;
		case 'r': o.seconds = atoi(optarg); break;
		case 'p': o.pid = atoi(optarg); break;
		case 'w': o.window = atoi(optarg); break;
		case 'm': o.maxsize = (uint32_t)strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!o.addr || (o.idle > 0) == (o.active > 0) || o.idle < 0 || o.active < 0 ||
	    o.seconds < 1 || o.window < 1 || o.maxsize < 1 || o.maxsize > (1u << 20))
		goto usage;
	signal(SIGPIPE, SIG_IGN);	/* a server that hangs up is counted, not fatal */
	raise_nofile(o.idle + o.active);
	return o.idle ? run_idle(&o) : run_active(&o);
usage:
	fprintf(stderr, "usage: bench-9pscale -s ADDR [--also ADDR] (--idle N | --active N) [--seconds S] "
	        "[--pid PID] [--window W] [--maxsize BYTES]\n");
	return 2;
}
