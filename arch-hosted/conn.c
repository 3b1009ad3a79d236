/*
 * Connections on hosted: listening sockets on libuv (unix and TCP), one
 * small integer per accepted stream (see arch_conn_* in <lux/arch.h>).
 *
 * Flow control: a stream is read only while the core has not paused it,
 * and an accepted one only as far as the core has room (lux_conn_room,
 * v8: a room of 0 pauses it).  Every read lands in one buffer shared by
 * all connections and goes to the core at once, so an idle connection
 * costs the host no buffer at all.  Sends go out at once as far as the socket takes them;
 * only the rest is copied into a uv_write; what waits is reported back by arch_conn_send and
 * by lux_conn_sent as it drains, and a send that would make it pass
 * LUX_CONN_SENDMAX fails.
 * Closing: arch_conn_close shuts the write side down after the queued
 * sends (for at most LINGER_MS), then closes; a peer's EOF or error closes at once; either way
 * lux_conn_closed runs from the close callback, once, and only then is
 * the id free again.
 * Dialing (arch_conn_dial, v4): the same struct conn in the same id space,
 * marked `dialed`, so every event of it goes to the lux_dial_* upcalls
 * instead (the server never sees the client's connections).  A failed or
 * abandoned dial closes the handle and reports lux_dial_connected(id, err)
 * from the close callback, when the id is free again.
 * In a deterministic run a simulation scenario may play the peers
 * instead (arch_conn_simulate, v4): the three calls then go to it.  The
 * two never meet: a deterministic run dials nothing (E_NOCONN).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <grp.h>
#include <unistd.h>
#include <uv.h>

#include <lux/arch.h>
#include <lux/error.h>
#include <lux/upcall.h>

#include "conntab.h"
#include "hosted.h"
#include "hostcalls.h"
#include "internal.h"

/* The listen queue: a burst of thousands of clients connecting at once
 * waits there instead of being refused by the host's kernel (which caps
 * it at net.core.somaxconn). */
#define BACKLOG 4096
/* How long a listener rests when accept fails for lack of file
 * descriptors even after libuv's reserve (see pause_listener). */
#define LISTEN_PAUSE_MS 1000

/* How long a closing connection may take to flush its replies to a peer
 * that does not read them, before it is closed anyway. */
#define LINGER_MS 5000

struct conn {
	union hosted_stream h;
	uv_shutdown_t shut;
	uv_timer_t linger;	/* bounds the shutdown's wait */
	int id;
	int closing;		/* no more reads or sends; close under way */
	int paused;		/* the core asked us not to read */
	int reading;		/* uv_read_start is in effect */
	int dialed;		/* ours (arch_conn_dial): lux_dial_* upcalls */
	int connecting;		/* dialed, not up yet: no sends, no reads */
	int dial_err;		/* a failed dial: reported when closed */
	int broken;		/* the peer is gone: sends are dropped (v6) */
	uv_connect_t connect;
};

/* The one read buffer: libuv asks for it (on_alloc) and hands it back
 * filled (on_read) before it reads another stream, and the core copies
 * what it takes before on_read returns. */
static char readbuf[LUX_CONN_CHUNK];

struct wreq {
	uv_write_t req;
	int id;
	char data[];
};

struct listener {
	union hosted_stream h;
	int is_unix;
	int noauth;		/* --listen-noauth: peers trusted unauthenticated */
	int ok;			/* listening */
	int paused;		/* out of fds: handle closed, spare keeps the socket */
	int spare;		/* a dup of the listening socket, or -1 (see pause_listener) */
	uv_timer_t resume;
	char name[HOSTED_ADDRMAX + 8];	/* "unix!PATH", "tcp!HOST!PORT" */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* unix: to unlink */
};

/* A simulation scenario's peers (arch_conn_simulate), or 0. */
static const struct arch_conn_sim *simulated;
/* every attempt gets its own slot: a failed one is still closing */
static struct listener listeners[HOSTED_MAXLISTEN + 2];
static int nslots;
static int nlisteners;
static char listening[HOSTED_MAXLISTEN * (HOSTED_ADDRMAX + 9)];

static struct conn *get(int id)
{
	struct conn *c = conntab_get(id);

	return c == NULL || c->closing ? NULL : c;
}

/* The upcalls, by who owns the connection: the server or the client. */
static void up_received(struct conn *c, size_t n)
{
	hosted_upcall_begin();
	if (c->dialed)
		lux_dial_received(c->id, readbuf, n);
	else
		lux_conn_received(c->id, readbuf, n);
	hosted_upcall_end();
}

static void up_sent(struct conn *c, size_t queued)
{
	hosted_upcall_begin();
	if (c->dialed)
		lux_dial_sent(c->id, queued);
	else
		lux_conn_sent(c->id, queued);
	hosted_upcall_end();
}

/* ---- Reading ------------------------------------------------------------ */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct conn *c = h->data;
	size_t room = sizeof readbuf;

	(void)suggested;
	if (!c->dialed) {
		hosted_upcall_begin();
		room = lux_conn_room(c->id);
		hosted_upcall_end();
		if (room > sizeof readbuf)
			room = sizeof readbuf;
		if (room == 0)
			c->paused = 1;	/* the contract: as arch_conn_pause(id, 1) */
	}
	/* a length of 0 makes libuv call on_read with UV_ENOBUFS, reading nothing */
	*b = uv_buf_init(readbuf, (unsigned)room);
}

static void free_conn(uv_handle_t *h)
{
	free(h->data);
}

static void on_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	int id = c->id;

	hosted_upcall_begin();
	if (c->dialed && c->connecting)
		lux_dial_connected(id, c->dial_err);	/* never came up */
	else if (c->dialed)
		lux_dial_closed(id);
	else
		lux_conn_closed(id);
	hosted_upcall_end();
	conntab_remove(id);	/* only now may the id be reused */
	uv_close((uv_handle_t *)&c->linger, free_conn);
}

static void close_now(struct conn *c)
{
	if (c->reading)
		uv_read_stop(&c->h.stream);
	c->reading = 0;
	c->closing = 1;
	if (!uv_is_closing(&c->h.handle))
		uv_close(&c->h.handle, on_closed);
}

static void update_reading(struct conn *c);

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;

	(void)b;
	if (n == UV_ENOBUFS) {	/* the core had no room: paused, stop reading */
		update_reading(c);
		return;
	}
	if (n < 0) {	/* EOF or an error: the peer is gone */
		c->broken = 1;
		close_now(c);
		return;
	}
	if (n == 0 || c->closing)
		return;
	up_received(c, (size_t)n);
}

static void update_reading(struct conn *c)
{
	int want = !c->paused && !c->closing && !c->connecting;

	if (want && !c->reading) {
		if (uv_read_start(&c->h.stream, on_alloc, on_read) == 0)
			c->reading = 1;
		else
			close_now(c);
	} else if (!want && c->reading) {
		uv_read_stop(&c->h.stream);
		c->reading = 0;
	}
}

void arch_conn_pause(int id, int paused)
{
	struct conn *c = get(id);

	if (simulated) {
		simulated->pause(id, paused);
		return;
	}
	if (c == NULL)
		return;
	c->paused = paused != 0;
	update_reading(c);
}

/* ---- Sending and closing ---------------------------------------------- */

/* The peer is gone (a reset, a write error): close this connection, and
 * only it.  Sends meanwhile are dropped, not errors (see arch_conn_send). */
static void peer_gone(struct conn *c)
{
	c->broken = 1;
	close_now(c);
}

static void on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct conn *c = get(w->id);

	free(w);
	if (c == NULL)
		return;	/* closing: nobody waits for the queue to drain */
	/* A failed write is a peer that is gone: a paused connection is not
	 * reading, so no read error would ever tell us. */
	if (status < 0 && status != UV_ECANCELED) {
		peer_gone(c);
		return;
	}
	up_sent(c, uv_stream_get_write_queue_size(&c->h.stream));
}

/* Write at once what the socket takes (uv_try_write refuses while
 * anything is queued, so order is kept); only the rest is copied into a
 * uv_write.  Most replies leave nothing behind, so they cost one write(2)
 * and no copy, no allocation and no completion callback.  The write
 * queue size is what is left, the number the contract asks for. */
long arch_conn_send(int id, const void *buf, size_t n)
{
	struct conn *c = get(id);
	struct wreq *w;
	uv_buf_t b;
	int done;

	if (simulated)
		return simulated->send(id, buf, n);
	if (c == NULL && conntab_get(id) && conntab_get(id)->broken)
		return 0;	/* the peer is gone: dropped; the close is on its way */
	if (c == NULL || c->connecting)
		return -1;
	if (n > LUX_CONN_SENDMAX - uv_stream_get_write_queue_size(&c->h.stream))
		return -1;
	b = uv_buf_init((char *)buf, (unsigned)n);
	done = uv_try_write(&c->h.stream, &b, 1);
	if (done == (int)n)
		return (long)uv_stream_get_write_queue_size(&c->h.stream);
	/* A peer that is gone (EPIPE, ECONNRESET: SIGPIPE is ignored, see
	 * procsetup.c) closes this connection and drops the bytes; only
	 * EAGAIN and a part written queue the rest. */
	if (done < 0 && done != UV_EAGAIN) {
		peer_gone(c);
		return 0;
	}
	if (done > 0) {
		buf = (const char *)buf + done;
		n -= (size_t)done;
	}
	if ((w = malloc(sizeof *w + n)) == NULL)
		return -1;
	memcpy(w->data, buf, n);
	w->id = id;
	b = uv_buf_init(w->data, (unsigned)n);
	if (uv_write(&w->req, &c->h.stream, &b, 1, on_written) != 0) {
		free(w);
		return -1;
	}
	return (long)uv_stream_get_write_queue_size(&c->h.stream);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;

	(void)status;
	if (!uv_is_closing(&c->h.handle))
		uv_close(&c->h.handle, on_closed);
}

static void on_linger(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (!uv_is_closing(&c->h.handle))
		uv_close(&c->h.handle, on_closed);
}

void arch_conn_close(int id)
{
	struct conn *c = get(id);

	if (simulated) {
		simulated->close(id);
		return;
	}
	if (c == NULL)
		return;
	if (c->connecting) {	/* abandon the dial: see arch_conn_dial */
		c->dial_err = E_INTR;
		close_now(c);
		return;
	}
	if (c->reading)
		uv_read_stop(&c->h.stream);
	c->reading = 0;
	c->closing = 1;
	c->shut.data = c;
	/* after the queued replies (an error saying why, often) */
	if (uv_shutdown(&c->shut, &c->h.stream, on_shutdown) != 0)
		uv_close(&c->h.handle, on_closed);
	else
		uv_timer_start(&c->linger, on_linger, LINGER_MS, 0);
}

/* Only a deterministic run has no sockets (see hosted_boot), so only
 * there may a scenario take the connections over. */
int arch_conn_simulate(const struct arch_conn_sim *sim)
{
	if (!hosted_deterministic)
		return -1;
	simulated = sim;
	return 0;
}

/* ---- Accepting -------------------------------------------------------- */

static void peer_name(struct listener *l, struct conn *c, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	char host[64] = "?";

	if (l->is_unix) {
		snprintf(out, cap, "%s", l->name);
		return;
	}
	if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof host);
			snprintf(out, cap, "tcp!%s!%u", host,
			         ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
		} else {
			uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof host);
			snprintf(out, cap, "tcp!%s!%u", host,
			         ntohs(((struct sockaddr_in *)&ss)->sin_port));
		}
		return;
	}
	snprintf(out, cap, "tcp!?");
}

/* A unix socket's peer uid as the host kernel saw it at connect time
 * (SO_PEERCRED): the only identity a local connection has without
 * authenticating.  -1 when the kernel will not say. */
static int64_t peer_uid(struct conn *c)
{
	struct ucred uc;
	socklen_t len = sizeof uc;
	uv_os_fd_t fd;

	if (uv_fileno(&c->h.handle, &fd) != 0)
		return -1;
	if (hostcalls.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 || len != sizeof uc)
		return -1;
	return (int64_t)uc.uid;
}

static void on_refused(uv_handle_t *h)
{
	free(h);
}

static void on_connection(uv_stream_t *server, int status);

/*
 * Resting a listener.  Two things would wedge it otherwise:
 * - accept failing for lack of file descriptors (EMFILE, or ENFILE for
 *   the whole host) even after libuv spent its own reserve descriptor
 *   accepting and closing what was queued: libuv then calls on_connection
 *   with the error and at once tries accept again, in a loop that never
 *   returns to the event loop, so the process would spin at 100% CPU and
 *   nothing that could free a descriptor (a close, a timer) would run;
 * - no memory to take (or refuse) a connection libuv accepted: one that
 *   is not uv_accept'ed stops libuv polling the listener for good.
 * Closing the listening handle ends both (the one connection libuv holds,
 * if any, is closed with it).  The spare dup made at listen time keeps the
 * socket itself listening, so clients wait in the kernel's queue
 * meanwhile, and after LISTEN_PAUSE_MS a dup of the spare is listened on
 * again.
 */
static void on_resume(uv_timer_t *t);

static void on_paused(uv_handle_t *h)
{
	struct listener *l = h->data;

	uv_timer_start(&l->resume, on_resume, LISTEN_PAUSE_MS, 0);
}

static int open_listener(struct listener *l, int fd)
{
	int r;

	if (l->is_unix) {
		uv_pipe_init(hosted_loop(), &l->h.pipe, 0);
		r = uv_pipe_open(&l->h.pipe, fd);
	} else {
		uv_tcp_init(hosted_loop(), &l->h.tcp);
		r = uv_tcp_open(&l->h.tcp, fd);
	}
	l->h.handle.data = l;
	if (r == 0)
		r = uv_listen(&l->h.stream, BACKLOG, on_connection);
	return r;
}

static void on_resume(uv_timer_t *t)
{
	struct listener *l = t->data;
	int fd = hostcalls.fcntl(l->spare, F_DUPFD_CLOEXEC, 0);

	if (fd < 0) {	/* still none to spare: rest another while */
		uv_timer_start(t, on_resume, LISTEN_PAUSE_MS, 0);
		return;
	}
	if (open_listener(l, fd) != 0) {
		if (uv_fileno(&l->h.handle, &(uv_os_fd_t){ 0 }) != 0)
			hostcalls.close(fd);	/* the handle never took it */
		uv_close(&l->h.handle, on_paused);	/* and try again */
		return;
	}
	l->paused = 0;
}

static void pause_listener(struct listener *l)
{
	if (l->paused || uv_is_closing(&l->h.handle))
		return;
	l->paused = 1;
	if (l->spare < 0) {	/* nothing would keep the socket: give it up, loudly */
		hosted_warn("luxsim: stopped listening on %s: out of file descriptors\n", l->name);
		uv_close(&l->h.handle, NULL);
		return;
	}
	uv_close(&l->h.handle, on_paused);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct listener *l = server->data;
	struct conn *c;
	char peer[HOSTED_ADDRMAX + 16];
	struct lux_peer who;
	int id;

	if (status < 0) {
		if (status == UV_EMFILE || status == UV_ENFILE) {
			hosted_refuse_nofd(status);
			pause_listener(l);
		}
		return;	/* anything else: that one connection failed */
	}
	/* Not taking a connection off the queue (uv_accept) would stop libuv
	 * polling this listener for good, so every way out takes it: a
	 * connection, a refusal, or (no memory even for that) a rest. */
	if ((c = calloc(1, sizeof *c)) == NULL || (id = conntab_add(c)) == CONNTAB_NOMEM) {
		free(c);
		pause_listener(l);
		return;
	}
	if (id == CONNTAB_FULL) {	/* every descriptor we may spend is spent */
		free(c);
		if (hosted_refuse(server, l->is_unix) < 0)
			pause_listener(l);
		return;
	}
	if (l->is_unix)
		uv_pipe_init(hosted_loop(), &c->h.pipe, 0);
	else
		uv_tcp_init(hosted_loop(), &c->h.tcp);
	c->h.handle.data = c;
	c->id = id;
	if (uv_accept(server, &c->h.stream) != 0) {
		conntab_remove(id);	/* the core never saw it */
		uv_close(&c->h.handle, on_refused);	/* c is the handle's memory */
		return;
	}
	uv_timer_init(hosted_loop(), &c->linger);
	c->linger.data = c;
	if (!l->is_unix)
		uv_tcp_nodelay(&c->h.tcp, 1);	/* 9P is request/response */
	peer_name(l, c, peer, sizeof peer);
	who.addr = peer;
	who.transport = l->is_unix  ? LUX_PEER_LOCAL
	                : l->noauth ? LUX_PEER_NET_NOAUTH
	                            : LUX_PEER_NET;
	who.uid = l->is_unix ? peer_uid(c) : -1;
	hosted_upcall_begin();
	lux_conn_opened(id, &who);	/* may pause or close it at once */
	hosted_upcall_end();
	if (conntab_get(id) == c && !c->closing)
		update_reading(c);
}

/* ---- Listening and dialing -------------------------------------------- */

/* "unix!PATH" or "tcp!HOST!PORT": 0, or -1 with why in err. */
static int parse(const char *addr, int *is_unix, char *path, size_t pathcap,
                 struct sockaddr_storage *sa, char *err, size_t errcap)
{
	if (strncmp(addr, "unix!", 5) == 0) {
		const char *p = addr + 5;
		if (*p == 0 || strlen(p) >= pathcap) {
			snprintf(err, errcap, "%s: the path must be 1 to %zu bytes", addr,
			         pathcap - 1);
			return -1;
		}
		*is_unix = 1;
		snprintf(path, pathcap, "%s", p);
		return 0;
	}
	if (strncmp(addr, "tcp!", 4) == 0) {
		const char *h = addr + 4, *bang = strrchr(h, '!');
		char host[64], *end;
		unsigned long port;
		if (bang == NULL || bang == h || (size_t)(bang - h) >= sizeof host) {
			snprintf(err, errcap, "%s: want tcp!HOST!PORT", addr);
			return -1;
		}
		memcpy(host, h, (size_t)(bang - h));
		host[bang - h] = 0;
		errno = 0;
		port = strtoul(bang + 1, &end, 10);
		if (bang[1] == 0 || *end || errno || port > 65535) {
			snprintf(err, errcap, "%s: the port must be a number from 0 to 65535",
			         addr);
			return -1;
		}
		if (strcmp(host, "localhost") == 0)
			strcpy(host, "127.0.0.1");
		if (strcmp(host, "*") == 0)
			strcpy(host, "0.0.0.0");
		if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)sa) != 0 &&
		    uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)sa) != 0) {
			snprintf(err, errcap, "%s: '%s' is not a numeric IPv4 or IPv6 address",
			         addr, host);
			return -1;
		}
		*is_unix = 0;
		return 0;
	}
	snprintf(err, errcap, "%s: want unix!PATH or tcp!HOST!PORT", addr);
	return -1;
}

int hosted_listen_check(const char *addr, char *err, size_t errcap)
{
	struct sockaddr_storage sa;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int is_unix;

	if (strlen(addr) > HOSTED_ADDRMAX) {
		snprintf(err, errcap, "listen address longer than %d bytes", HOSTED_ADDRMAX);
		return -1;
	}
	return parse(addr, &is_unix, path, sizeof path, &sa, err, errcap);
}

/* A socket file nobody accepts on is left over from a luxsim that was
 * killed: remove it.  One somebody answers on is in use: leave it. */
static void clear_stale(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (hostcalls.stat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return;
	if ((fd = hostcalls.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if (hostcalls.connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0 &&
	    errno == ECONNREFUSED)
		hostcalls.unlink(path);
	hostcalls.close(fd);
}

/* --socket-group: members of group may reach the socket (0660) and its
 * directory (0750, when it is ours and not a shared sticky one like /tmp).
 * Who they are is still their uid, mapped through the user table. */
static void open_to_group(const char *path, const char *group)
{
	char dir[HOSTED_ADDRMAX];
	struct group *g = getgrnam(group);
	struct stat st;
	char *slash;

	if (g == NULL) {
		hosted_warn("luxsim: warning: --socket-group %s: no such group; %s stays "
		            "the owner's only\n",
		            group, path);
		return;
	}
	if (hostcalls.chown(path, (uid_t)-1, g->gr_gid) != 0 || hostcalls.chmod(path, 0660) != 0)
		hosted_warn("luxsim: warning: cannot open %s to group %s: %s\n", path, group,
		            strerror(errno));
	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = 0;
	if (hostcalls.stat(dir, &st) != 0 || st.st_uid != getuid() || (st.st_mode & S_ISVTX))
		return;
	if (hostcalls.chown(dir, (uid_t)-1, g->gr_gid) != 0 || hostcalls.chmod(dir, 0750) != 0)
		hosted_warn("luxsim: warning: cannot open %s to group %s: %s\n", dir, group,
		            strerror(errno));
}

static const char *socket_group;

/* A unix socket bound here rather than by uv_pipe_bind: libuv unlinks
 * the path of a pipe it bound when that handle closes, and a resting
 * listener (pause_listener) closes its handle while the socket, so its
 * path, stays.  hosted_conn_cleanup unlinks it at the end instead.
 * A descriptor, or a libuv error. */
static int bind_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = hostcalls.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return uv_translate_sys_error(errno);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if (hostcalls.bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		e = errno;
		hostcalls.close(fd);
		return uv_translate_sys_error(e);
	}
	return fd;
}

static int listen_one(const char *addr, int noauth)
{
	struct listener *l;
	struct sockaddr_storage sa;
	char err[256];
	int r, fd;

	if (nslots == (int)(sizeof listeners / sizeof listeners[0]))
		return -1;
	l = &listeners[nslots++];
	if (parse(addr, &l->is_unix, l->path, sizeof l->path, &sa, err, sizeof err) < 0) {
		hosted_warn("luxsim: warning: cannot listen on %s\n", err);
		return -1;
	}
	snprintf(l->name, sizeof l->name, "%s", addr);
	l->noauth = noauth;
	l->spare = -1;
	if (l->is_unix) {
		clear_stale(l->path);
		uv_pipe_init(hosted_loop(), &l->h.pipe, 0);
		if ((fd = bind_unix(l->path)) < 0)
			r = fd;
		else if ((r = uv_pipe_open(&l->h.pipe, fd)) != 0)
			hostcalls.close(fd);
	} else {
		uv_tcp_init(hosted_loop(), &l->h.tcp);
		r = uv_tcp_bind(&l->h.tcp, (struct sockaddr *)&sa, 0);
	}
	l->h.handle.data = l;
	if (r == 0)
		r = uv_listen(&l->h.stream, BACKLOG, on_connection);
	if (r != 0) {
		hosted_warn("luxsim: warning: cannot listen on %s: %s; 9P is not served there\n",
		            addr, uv_strerror(r));
		uv_close(&l->h.handle, NULL);
		return -1;
	}
	l->ok = 1;
	nlisteners++;
	/* made now, while descriptors are plentiful: pause_listener needs it
	 * exactly when there are none */
	uv_timer_init(hosted_loop(), &l->resume);
	l->resume.data = l;
	if (uv_fileno(&l->h.handle, &fd) == 0)
		l->spare = hostcalls.fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (l->is_unix && socket_group)
		open_to_group(l->path, socket_group);
	if (noauth)	/* loudly: this gives the machine away to the network */
		hosted_warn("luxsim: WARNING: %s serves 9P WITHOUT AUTHENTICATION: anyone who "
		            "can connect acts as any user, eve included\n",
		            addr);
	return 0;
}

/* $XDG_RUNTIME_DIR/lux9/luxsim.sock, or /tmp/luxsim-$UID/9p.sock. */
static void default_unix(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char dir[HOSTED_ADDRMAX - 32];

	if (xdg && *xdg)
		snprintf(dir, sizeof dir, "%s/lux9", xdg);
	else
		snprintf(dir, sizeof dir, "/tmp/luxsim-%u", (unsigned)getuid());
	if (hostcalls.mkdir(dir, 0700) != 0 && errno != EEXIST)
		hosted_warn("luxsim: warning: cannot make %s: %s\n", dir, strerror(errno));
	snprintf(out, cap, "unix!%s/%s", dir, xdg && *xdg ? "luxsim.sock" : "9p.sock");
}

const char *hosted_conn_listen(const struct hosted_config *cfg)
{
	char def[HOSTED_ADDRMAX + 32];
	size_t n = 0;

	socket_group = cfg->socket_group;
	if (cfg->nlisten == 0) {
		default_unix(def, sizeof def);
		listen_one(def, 0);
		listen_one("tcp!127.0.0.1!5640", 0);
	}
	for (int i = 0; i < cfg->nlisten; i++)
		listen_one(cfg->listen[i], cfg->listen_noauth[i]);
	if (nlisteners == 0)
		return NULL;
	for (int i = 0; i < nslots; i++)
		if (listeners[i].ok)
			n += (size_t)snprintf(listening + n, sizeof listening - n, "%s%s",
			                      n ? " " : "", listeners[i].name);
	return listening;
}

/* ---- Dialing (arch v4) ------------------------------------------------ */

static void on_dialed(uv_connect_t *req, int status)
{
	struct conn *c = req->data;

	if (c->closing)
		return;	/* abandoned: on_closed reports it */
	if (status < 0) {
		c->dial_err = E_UNREACH;
		close_now(c);
		return;
	}
	c->connecting = 0;
	if (c->h.handle.type == UV_TCP)
		uv_tcp_nodelay(&c->h.tcp, 1);	/* 9P is request/response */
	hosted_upcall_begin();
	lux_dial_connected(c->id, 0);	/* may pause or close it at once */
	hosted_upcall_end();
	if (conntab_get(c->id) == c && !c->closing)
		update_reading(c);
}

int arch_conn_dial(const char *addr)
{
	struct sockaddr_storage sa;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], err[256];
	struct conn *c;
	int is_unix, id, r;

	if (hosted_deterministic)	/* a seeded run's only input is stdin */
		return simulated && simulated->dial ? simulated->dial(addr) : E_NOCONN;
	if (strlen(addr) > HOSTED_ADDRMAX ||
	    parse(addr, &is_unix, path, sizeof path, &sa, err, sizeof err) < 0)
		return E_INVAL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return E_NOMEM;
	if ((id = conntab_add(c)) < 0) {
		free(c);
		return E_MFILE;
	}
	c->id = id;
	c->dialed = 1;
	c->connecting = 1;
	c->connect.data = c;
	if (is_unix)
		r = uv_pipe_init(hosted_loop(), &c->h.pipe, 0);
	else
		r = uv_tcp_init(hosted_loop(), &c->h.tcp);
	if (r != 0) {
		conntab_remove(id);	/* the core never saw it */
		free(c);
		return E_NOMEM;
	}
	c->h.handle.data = c;
	uv_timer_init(hosted_loop(), &c->linger);
	c->linger.data = c;
	if (is_unix) {
		uv_pipe_connect(&c->connect, &c->h.pipe, path, on_dialed);
		return id;	/* errors arrive in on_dialed */
	}
	if ((r = uv_tcp_connect(&c->connect, &c->h.tcp, (struct sockaddr *)&sa, on_dialed)) != 0) {
		c->dial_err = E_UNREACH;	/* reported from the close callback */
		close_now(c);
	}
	return id;
}

void hosted_conn_cleanup(void)
{
	for (int i = 0; i < nslots; i++)
		if (listeners[i].ok && listeners[i].is_unix)
			hostcalls.unlink(listeners[i].path);
}
