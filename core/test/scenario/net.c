/*
 * Scenario "net": simulated 9P clients (net_client.c: their requests and
 * the checks on every reply) against the real server, over
 * connections the scenario plays itself (arch_conn_simulate): it opens
 * them and feeds them through the same upcalls an arch uses
 * (lux_conn_opened/received/sent/closed), and it is the arch's send side,
 * holding what the server sends "in the network" until the client reads
 * it.  Every choice is seeded:
 *  - clients connect, speak 9P2000 or 9P2000.L at a random msize, and
 *    pipeline chains of requests (walk/open/read/clunk, create/write/
 *    remove, stat, big reads, a Tflush, a request on an unknown fid);
 *  - the request bytes go out in pieces cut at random byte boundaries, so
 *    the server sees partial messages, and only while it has not paused
 *    the connection;
 *  - clients read replies at their own pace (some not for a while), so
 *    replies queue and the server meets back-pressure (lux_conn_sent);
 *  - clients hang up at random points: mid-message, with requests in
 *    flight, with replies queued; others finish cleanly; new ones come.
 * After every step:
 *  - every reply read so far decodes, fits the msize in force and answers
 *    exactly one request in flight on its connection (its tag and type);
 *    a file read returns the file's bytes; nothing answers a flushed
 *    request;
 *  - no connection has more replies waiting than the server's bound
 *    (NINEP_SENDHIGH plus one reply per worker);
 *  - the run queues, the budget tree and the page accounting hold, and
 *    procs stay within the listener's grant;
 *  - a client finishing cleanly gets every request answered in bounded
 *    time, or the step fails naming the request.
 * At the end every client finishes, the files they left are removed, the
 * server's own counters must read zero (connections, fids, requests,
 * pages, workers), and procs, kernel objects, pages and budgets must be
 * back to where they were before the first connection.
 * --break-invariant leak-conn forgets one hang-up (no lux_conn_closed), so
 * a connection's proc and buffers stay: the end check must catch it.
 *
 * Scenario "hostile" is this world with 10 slots, half the clients that
 * connect hostile (hostile.c says what they do and what is checked of
 * them), short edge clocks, a namespace with /dev, /proc, /secure and a
 * pipe, and dials of the served address bridged to served connections
 * (net_bridge.c), so a client can mount the server's own export.
 */
#include <stdarg.h>

#include <lux/9p.h>
#include "9p/srv/9psrv.h"
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/page.h>
#include <lux/pebble.h>
#include <lux/upcall.h>
#include <lux/proc.h>
#include <lux/rand.h>
#include <lux/scenario.h>
#include <lux/string.h>
#include <lux/sysfile.h>
#include <lux/timer.h>

#include "held.h"
#include "net.h"

enum {
	NCLI = 10,			/* client slots ("net" uses 6 of them) */
	FINISH_STEPS = 300,		/* steps a clean finish may take */
	/* "hostile": short edge clocks, so stalled clients are closed
	 * within a run (virtual time: a step is about a millisecond) */
	HOSTILE_PARTIAL_MS = 50,
	HOSTILE_HANDSHAKE_MS = 150,
};

static struct {
	struct client c[NCLI];
	int ncli;		/* slots in use: 6, or 10 for "hostile" */
	bool hostile;		/* hostile clients among the honest ones */
	uint32_t breakflags;
	bool leak_done;
	int nextconn, nclients;
	char why[160];		/* a client's check failed */
	size_t connects, drops, finishes, server_closes, pauses;
	size_t peak_queued;	/* the most reply bytes one connection had waiting */
	size_t base_objects, base_procs, base_budgets, base_large, total_pages;
} sc;

struct net_counts net_counts;

uint64_t net_rnd(uint64_t n)
{
	return n ? krand_below(n) : 0;
}

const uint32_t net_partial_ms = HOSTILE_PARTIAL_MS, net_handshake_ms = HOSTILE_HANDSHAKE_MS;

uint64_t net_now_ms(void)
{
	return arch_time_ns() / 1000000u;
}

int net_fail(const char *fmt, ...)
{
	va_list ap;

	if (sc.why[0])
		return -1;	/* the first failure is the one to replay */
	va_start(ap, fmt);
	kvsnprintf(sc.why, sizeof sc.why, fmt, ap);
	va_end(ap);
	return -1;
}

static struct client *client_of(int conn)
{
	for (int i = 0; i < sc.ncli; i++)
		if (sc.c[i].conn == conn && conn != 0)
			return &sc.c[i];
	return 0;
}

/* ---- The arch's side: what the server calls ------------------------------ */

static long sim_send(int conn, const void *buf, size_t n)
{
	struct client *c = client_of(conn);

	if (c == 0 && netb_owns(conn))
		return netb_send(conn, buf, n);
	if (c == 0 || c->server_closed)
		return -1;	/* closed: as an arch answers */
	if (n > NET_NETMAX - c->netlen) {
		c->overfull = true;	/* past any bound the server keeps */
		return -1;
	}
	kmemcpy(c->net + c->netlen, buf, n);
	c->netlen += n;
	if (c->netlen > sc.peak_queued)
		sc.peak_queued = c->netlen;
	return (long)c->netlen;
}

static void sim_close(int conn)
{
	struct client *c = client_of(conn);

	if (c)
		c->server_closed = true;	/* the sim delivers lux_conn_closed later */
	else
		netb_close(conn);
}

static void sim_pause(int conn, int paused)
{
	struct client *c = client_of(conn);

	if (c) {
		sc.pauses += paused && !c->paused;
		c->paused = paused != 0;
	} else {
		netb_pause(conn, paused);
	}
}

static const struct arch_conn_sim simops = { sim_send, sim_close, sim_pause, 0 };
/* "hostile" also plays dials of the served address (net_bridge.c) */
static const struct arch_conn_sim hostileops = { sim_send, sim_close, sim_pause, netb_dial };

/* Upcalls run with upcalls disabled, as the arch calls them: the bare
 * masking in these four is the simulated arch's interrupt entry, kept on
 * purpose (tests/lint/irq_masking.sh allows this file). */
static void up_opened(int conn, const char *addr)
{
	/* simulated clients are local peers of the host owner, as the test
	 * clients of a real luxsim are: they may do what the shell does */
	struct lux_peer peer = { addr, LUX_PEER_LOCAL, lux_bootinfo->hostowner_uid };
	arch_irqstate s = arch_irq_save();
	lux_conn_opened(conn, &peer);
	arch_irq_restore(s);
}

/* As the arch reads: at most the room the server says it has (v8); a
 * room of 0 pauses the connection.  Returns the bytes delivered. */
static size_t up_received(struct client *c, const void *buf, size_t n)
{
	arch_irqstate s = arch_irq_save();
	size_t room = lux_conn_room(c->conn);

	if (room == 0) {
		sc.pauses += !c->paused;
		c->paused = true;
	}
	if (n > room)
		n = room;
	if (n > 0)
		lux_conn_received(c->conn, buf, n);
	arch_irq_restore(s);
	return n;
}

static void up_sent(int conn, size_t queued)
{
	arch_irqstate s = arch_irq_save();
	lux_conn_sent(conn, queued);
	arch_irq_restore(s);
}

static void up_closed(int conn)
{
	arch_irqstate s = arch_irq_save();
	lux_conn_closed(conn);
	arch_irq_restore(s);
}

/* ---- Clients ------------------------------------------------------------- */

static void client_connect(void)
{
	struct client *c = 0;
	char peer[32];

	for (int i = 0; i < sc.ncli && !c; i++)
		if (sc.c[i].conn == 0)
			c = &sc.c[i];
	if (c == 0)
		return;
	c->conn = ++sc.nextconn;
	c->n = ++sc.nclients;
	c->kind = sc.hostile ? hostc_kind() : CK_HONEST;
	netc_begin(c);
	if (c->kind != CK_HONEST)
		hostc_begin(c);
	else if (sc.hostile)
		c->slow = false;	/* the non-readers are the slow ones here */
	sc.connects++;
	ksnprintf(peer, sizeof peer, "sim!client%d", c->n);
	up_opened(c->conn, peer);	/* the server may close it at once */
}

/* The client reads replies; the "arch" reports what still waits. */
static int read_replies(struct client *c, size_t want)
{
	long n = netc_read(c, want);

	if (n > 0)
		up_sent(c->conn, c->netlen);
	return n < 0 ? -1 : 0;
}

static void release(struct client *c)
{
	c->conn = 0;
}

/* The peer hangs up: whatever was in flight or queued is lost. */
static void drop(struct client *c)
{
	int conn = c->conn;

	sc.drops++;
	release(c);
	if ((sc.breakflags & SIM_BREAK_LEAK_CONN) && !sc.leak_done) {
		sc.leak_done = true;	/* test only: the arch "forgets" the close */
		return;
	}
	up_closed(conn);
}

/* Does a whole message of c's end at out-stream offset off? */
static bool at_boundary(const struct client *c, size_t off)
{
	if (off == c->outlen)
		return true;
	for (size_t i = 0; i < c->nreq; i++)
		if (c->reqs[i].end == off)
			return true;
	return false;
}

/* Deliver n of c's unsent bytes (as room allows); remember whether the
 * client stopped mid-message. */
void net_deliver(struct client *c, size_t n)
{
	if (n > LUX_CONN_CHUNK)
		n = LUX_CONN_CHUNK;
	if ((n = up_received(c, c->out + c->outsent, n)) > 0) {
		c->midmsg = !at_boundary(c, c->outsent + n);
		netc_sent(c, n);
	}
}

/* Send the next piece of the request stream, cut at a random byte. */
static void send_some(struct client *c, bool all)
{
	size_t left, n;

	if (c->kind == CK_TRICKLE || c->kind == CK_SILENT)
		return;	/* they send as they please (hostile.c) */
	if (!c->finishing && c->outlen - c->outsent < 64 && c->outlen < NET_OUTMAX / 2)
		c->kind == CK_HONEST ? netc_more(c) : hostc_more(c);
	if (c->paused || c->server_closed || (left = c->outlen - c->outsent) == 0)
		return;
	if (all)
		n = left;
	else if (net_rnd(3) == 0)
		n = 1 + net_rnd(7);
	else
		n = 1 + net_rnd(left);
	if (n > left)
		n = left;
	net_deliver(c, n);
}

/* "hostile" runs short edge clocks, so an honest client never leaves a
 * message half sent past its step: the rest follows at once (as far as
 * the server's room allows; a paused connection's clock does not run). */
static void complete_message(struct client *c)
{
	size_t end = c->outlen;

	if (!sc.hostile || c->kind != CK_HONEST || c->paused || c->server_closed)
		return;
	if (c->d == P9_NONE) {	/* its handshake goes out at once, whole */
		net_deliver(c, c->outlen - c->outsent);
		return;
	}
	if (!c->midmsg)
		return;
	for (size_t i = 0; i < c->nreq; i++)
		if (c->reqs[i].end > c->outsent && c->reqs[i].end < end)
			end = c->reqs[i].end;
	net_deliver(c, end - c->outsent);
}

/* The arch's side of a connection the server closed, and clean finishes. */
static int advance(struct client *c)
{
	if (c->conn == 0)
		return 0;
	if (c->overfull)
		return net_fail("client %d: the server queued more than %u bytes of replies", c->n,
		                NET_NETMAX);
	if (c->server_closed) {
		/* the arch sends what was queued, then says closed */
		if (read_replies(c, NET_NETMAX) < 0)
			return -1;
		if (c->kind != CK_HONEST && hostc_act(c) < 0)
			return -1;	/* was the close one it expected? */
		sc.server_closes++;
		int conn = c->conn;
		release(c);
		up_closed(conn);
		return 0;
	}
	if (c->kind != CK_HONEST) {
		int r = 1;
		/* at the end, those waiting for the edge clocks still wait */
		if (!c->finishing || c->kind == CK_TRICKLE || c->kind == CK_SILENT) {
			/* it sends all it has and reads all it gets */
			send_some(c, true);
			if (c->kind != CK_NOREAD && read_replies(c, NET_NETMAX) < 0)
				return -1;
			r = hostc_act(c);
		}
		if (r < 0)
			return -1;
		if (r > 0)
			drop(c);	/* a hostile client just hangs up */
		return 0;
	}
	complete_message(c);
	if (!c->finishing)
		return 0;
	send_some(c, true);
	if (read_replies(c, NET_NETMAX) < 0)
		return -1;
	if (netc_done(c)) {
		sc.finishes++;
		drop(c);	/* a clean hang-up: nothing in flight */
		sc.drops--;
		return 0;
	}
	if (++c->finish_steps > FINISH_STEPS) {
		const struct creq *q = netc_waiting(c);
		if (q)
			return net_fail("client %d: %s tag %u never answered (%llu steps)", c->n,
			                p9_type_name(q->type), q->tag,
			                (unsigned long long)c->finish_steps);
		return net_fail("client %d: cannot finish: %zu request bytes unsent, paused %d",
		                c->n, c->outlen - c->outsent, c->paused);
	}
	return 0;
}

static struct client *any_client(void)
{
	struct client *live[NCLI];
	int n = 0;

	for (int i = 0; i < sc.ncli; i++)
		if (sc.c[i].conn && !sc.c[i].server_closed)
			live[n++] = &sc.c[i];
	return n ? live[net_rnd((uint64_t)n)] : 0;
}

/* ---- Checks ------------------------------------------------------------- */

static size_t accounted_pages(void)
{
	return scen_pages_accounted();
}

static int check(void)
{
	const char *why;

	if (sc.why[0])
		return -1;
	if ((why = sched_check()) != 0)
		return net_fail("run queues: %s", why);
	if ((why = budget_check(pebble_root())) != 0)
		return net_fail("budgets: %s", why);
	if (accounted_pages() != sc.total_pages)
		return net_fail("pages: %zu accounted for, %zu in all", accounted_pages(),
		                sc.total_pages);
	/* a principal per connection, and a few of those that hung up may
	 * still be ending */
	if (proc_count() > sc.base_procs + 4 * (size_t)sc.ncli + NINEP_POOL_MAX)
		return net_fail(
		    "procs: %zu, more than %zu + principals (%d clients) and %d workers",
		    proc_count(), sc.base_procs, sc.ncli, NINEP_POOL_MAX);
	for (int i = 0; i < sc.ncli; i++) {
		struct client *c = &sc.c[i];
		if (c->conn && c->netlen > NINEP_SENDHIGH + NINEP_RUNNING * c->msize)
			return net_fail(
			    "client %d: %zu reply bytes queued, more than %u + %d x msize %u", c->n,
			    c->netlen, NINEP_SENDHIGH, NINEP_RUNNING, c->msize);
	}
	return 0;
}

/* ---- Setup and the run ----------------------------------------------------- */

static int make(const char *path, uint32_t perm, const void *data, size_t n)
{
	int fd = sys_create(path, (perm & DMDIR) ? OREAD : ORDWR, perm);
	long w = 0;

	if (fd < 0)
		return fd;
	if (n)
		w = sys_write(fd, data, n);
	sys_close(fd);
	return w < 0 ? (int)w : 0;
}

/* "hostile" serves more: /dev (its pid), /proc (its ns file), /secure
 * (crypto sessions, Argon2id) and /pipe (a pipe nobody writes, to block
 * reads in).  Its edge clocks are short, unless luxsim was told others. */
static int hostile_namespace(struct proc *p)
{
	static const struct {
		const struct dev *d;
		const char *path;
	} devs[] = {
		{ &cons_dev, "/dev" },
		{ &proc_dev, "/proc" },
		{ &crypto_dev, "/secure" },
		{ &pipe_dev, "/pipe" },
	};
	/* the boot info is the arch's, writable on hosted (the only arch with
	 * deterministic runs); the server reads it at each clock */
	struct lux_boot *b = (struct lux_boot *)lux_bootinfo;
	struct chan *c;
	int err;

	if (!b->ninep_partial_ms)
		b->ninep_partial_ms = net_partial_ms;
	if (!b->ninep_handshake_ms)
		b->ninep_handshake_ms = net_handshake_ms;
	for (size_t i = 0; i < nelem(devs); i++) {
		if ((err = make(devs[i].path, DMDIR | 0777, 0, 0)) < 0)
			return err;
		if ((err = dev_attach(devs[i].d, "", &c)) < 0)
			return err;
		err = ns_mount(p->ns, devs[i].path, c);
		chan_put(c);
		if (err < 0)
			return err;
	}
	return 0;
}

static int setup(void)
{
	struct proc *p = curproc();
	struct chan *root;
	uint8_t *big;
	int err;

	if ((err = dev_attach(&ramfs_dev, "", &root)) < 0)
		return net_fail("ramfs: %s", lux_errstr(err));
	if ((p->ns = ns_new(root)) == 0 || (p->fds = fdtab_new()) == 0)
		return net_fail("out of memory for the namespace");
	if ((big = kmalloc(NET_BIGFILE)) == 0)
		return net_fail("out of memory");
	for (size_t i = 0; i < NET_BIGFILE; i++)
		big[i] = (uint8_t)(i * 7);
	err = make("/tmp", DMDIR | 0777, 0, 0);
	if (!err)
		err = make("/a", DMDIR | 0777, 0, 0);
	if (!err)
		err = make("/a/file", 0666, net_filetext, kstrlen(net_filetext));
	if (!err)
		err = make("/big", 0666, big, NET_BIGFILE);
	kfree(big);
	if (!err && sc.hostile)
		err = hostile_namespace(p);
	if (err < 0)
		return net_fail("building the namespace: %s", lux_errstr(err));
	for (int i = 0; i < sc.ncli; i++) {
		sc.c[i].out = kmalloc(NET_OUTMAX);
		sc.c[i].net = kmalloc(NET_NETMAX);
		if (!sc.c[i].out || !sc.c[i].net)
			return net_fail("out of memory for the clients");
	}
	if (sc.hostile && netb_setup() < 0)
		return net_fail("out of memory for the bridges");
	if (arch_conn_simulate(sc.hostile ? &hostileops : &simops) < 0)
		return net_fail("the arch cannot simulate connections (not a deterministic run?)");
	ninep_start();
	tsleep_ns(1000000);	/* the listener starts and waits */
	return 0;
}

/* Files the clients left in /tmp (a dropped connection's creates). */
static int clean_tmp(void)
{
	struct lux_dir d;
	char path[LUX_NAMEMAX + 8];
	int fd, r;

	for (;;) {
		if ((fd = sys_open("/tmp", OREAD)) < 0)
			return net_fail("open /tmp: %s", lux_errstr(fd));
		r = sys_dirent(fd, 0, &d);
		sys_close(fd);
		if (r < 0)
			return net_fail("read /tmp: %s", lux_errstr(r));
		if (r == 0)
			return 0;
		ksnprintf(path, sizeof path, "/tmp/%s", d.name);
		if ((r = sys_remove(path)) < 0)
			return net_fail("remove %s: %s", path, lux_errstr(r));
	}
}

static void baseline(void)
{
	struct kalloc_stats ks;

	kalloc_stats(&ks);
	sc.base_objects = ks.live_objects;
	sc.base_large = ks.large_pages;
	sc.base_procs = proc_count();
	sc.base_budgets = budget_count();
	sc.total_pages = accounted_pages();
}

static int step(void)
{
	struct client *c = any_client();
	uint64_t r = net_rnd(100);

	netb_pump();
	if (r < 12 || c == 0)
		client_connect();
	else if (r < 50)
		send_some(c, false);
	else if (r < 72) {
		if (c->kind != CK_NOREAD && (!c->slow || net_rnd(8) == 0))
			read_replies(c, net_rnd(2) ? NET_NETMAX : 1 + net_rnd(4096));
	} else if (c->kind != CK_HONEST)
		;	/* a hostile client hangs up when its script says (hostile.c) */
	else if (r < 78)
		drop(c);	/* mid-message, requests in flight, replies queued */
	else if (r < 84)
		c->finishing = true;
	for (int i = 0; i < sc.ncli; i++)
		if (advance(&sc.c[i]) < 0)
			return -1;
	/* the server's procs run meanwhile ("hostile": longer, so that
	 * its edge clocks run out within a run) */
	tsleep_ns(net_rnd(3) * (sc.hostile ? 1000000 : 500000));
	return check();
}

/* The server's own counters (docs/9p.md, "Counters") must be back to
 * zero once every client has gone: no connection slot, fid, request,
 * page or worker left. */
static int server_totals(void)
{
	static const char want[] = "total conns 0 fids 0 reqs 0 pages 0 procs 0 bytes 0\n";
	static char text[2048];
	size_t len = ninep_status(text, sizeof text);
	const char *total = text;

	for (const char *p = text; *p; p++)
		if (p[0] == '\n' && p[1] == 't')
			total = p + 1;
	if (len < sizeof text && kstrcmp(total, want) == 0)
		return 0;
	return net_fail("after the end the server still holds: %.80s", total);
}

static int finish_all(struct sim_ctx *ctx)
{
	struct kalloc_stats ks;
	int waited = 0;

	for (int i = 0; i < sc.ncli; i++)
		sc.c[i].finishing = true;
	for (;;) {
		bool any = false;
		for (int i = 0; i < sc.ncli; i++) {
			if (advance(&sc.c[i]) < 0)
				return -1;
			any |= sc.c[i].conn != 0;
		}
		if (!any)
			break;
		netb_pump();
		tsleep_ns(500000);
		if (check() < 0)
			return -1;
	}
	if (clean_tmp() < 0)
		return -1;
	/* the connections' procs clunk their fids and exit; a self-mount's
	 * connection closes when its namespace goes */
	while ((proc_count() > sc.base_procs || netb_active()) && waited++ < 1000) {
		netb_pump();
		tsleep_ns(1000000);
	}
	ctx->step = ctx->steps;
	if (netb_active())
		return net_fail("after the end %zu self-mount connections are still open",
		                netb_active());
	if (server_totals() < 0)
		return -1;
	kalloc_stats(&ks);
	if (proc_count() != sc.base_procs || ks.live_objects != sc.base_objects ||
	    ks.large_pages != sc.base_large || budget_count() != sc.base_budgets)
		return net_fail("after the end: %zu procs (%zu before), %zu objects (%zu), "
		                "%zu large pages (%zu), %zu budgets (%zu)",
		                proc_count(), sc.base_procs, ks.live_objects, sc.base_objects,
		                ks.large_pages, sc.base_large, budget_count(), sc.base_budgets);
	return check();
}

static int run(struct sim_ctx *ctx)
{
	int r = -1;

	sc.breakflags = ctx->breakflags;
	if (setup() == 0) {
		baseline();
		for (ctx->step = 0; ctx->step < ctx->steps; ctx->step++)
			if (step() < 0)
				break;
		if (ctx->step == ctx->steps)
			r = finish_all(ctx);
	}
	if (r < 0) {
		kstrlcpy(ctx->why, sc.why, sizeof ctx->why);
		return -1;
	}
	kprintf("sim %s: %zu connections, %zu dropped, %zu finished, %zu closed by the server; "
	        "%zu requests, %zu replies (%zu errors), %zu flushes, %zu pauses, "
	        "at most %zu KiB of replies waiting\n",
	        sc.hostile ? "hostile" : "net", sc.connects, sc.drops, sc.finishes,
	        sc.server_closes, net_counts.requests, net_counts.replies, net_counts.errors,
	        net_counts.flushes, sc.pauses, sc.peak_queued >> 10);
	return 0;
}

int sim_net_run(struct sim_ctx *ctx)
{
	sc.ncli = 6;
	return run(ctx);
}

int sim_hostile_run(struct sim_ctx *ctx)
{
	int r;

	sc.ncli = NCLI;
	sc.hostile = true;
	if ((r = run(ctx)) == 0)
		hostc_summary();
	return r;
}
