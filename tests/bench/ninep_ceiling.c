/*
 * bench-9pceiling: a stateless 9P2000.L responder, the ceiling baseline.
 *
 * What is the most a given 9P client can get out of this machine?  Not
 * what diod gets (diod is a real file server with costs of its own), but
 * what a server that does nothing gets: this program answers every
 * request with a canned valid reply for its type -- a qid for an attach
 * or a walk, fixed attributes for a getattr, count zero bytes for a read,
 * count for a write, an empty reply for a clunk -- and keeps no fids, no
 * files, no state but the negotiated msize.  The client and the host's
 * loopback and wakeups are all that remain, so luxsim / ceiling says how
 * much of the client's reach a server leaves on the table, and the
 * ceiling's CPU per request is the floor a server's CPU per request is
 * held against (docs/performance.md).
 *
 * Requests are decoded by the kernel's codec (core/9p/codec.c, style rule
 * 5), so a malformed one is refused as strictly as luxsim refuses it:
 * a frame that cannot be framed (size < 7 or > msize) closes the
 * connection with a line on stderr; a frame that frames but does not
 * decode, or a type with no canned answer, gets an Rlerror.  Replies are
 * encoded by the same codec; the data of an Rread is not copied but sent
 * from one zero-filled buffer with writev, so a 64 KiB read costs the
 * responder the system call and nothing else.
 *
 * As many threads as the host has online CPUs (or -t N), each with an
 * epoll of its own; every thread watches the one listening socket
 * (EPOLLEXCLUSIVE: one of them wakes per new connection) and keeps the
 * connections it accepted.  A connection is served by one thread, in
 * order, one batch of complete requests per read.
 *
 * usage: bench-9pceiling -l ADDR [-t THREADS]
 *   ADDR: HOST:PORT, tcp!HOST!PORT (IPv4) or unix!PATH
 * Runs until killed (SIGTERM); errors on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <lux/9p.h>

/* Linux errno values, as 9P2000.L carries them (this program is Linux's). */
enum { L_ENOENT = 2, L_EINVAL = 22, L_ENOSYS = 38, L_ENODATA = 61 };

#define PREVERSION_MAX 8192u	/* the largest frame taken before Tversion */
#define OUT_CAP 65536u		/* encoded replies (never data) per batch */
#define IOV_CAP 64		/* iovecs per writev */
#define REPLY_MAX 512u		/* the largest canned reply (Rgetattr: 160) */

/* What every Rread's data is: never written to after start. */
static uint8_t *zeros;
static uint32_t zeros_len;

struct conn {
	int fd;
	enum p9_dialect d;	/* P9_NONE until a Tversion picks .L */
	uint32_t msize;		/* frames larger than this close the conn */
	uint8_t *in;		/* in[0..have): bytes received, not handled */
	size_t have, cap;
	uint8_t out[OUT_CAP];	/* the batch's encoded replies */
	size_t outlen;
	struct iovec iov[IOV_CAP];
	int niov;
};

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c);
}

/* Send the batch.  The socket is non-blocking for reads; a full send
 * buffer (a client slow to read 64 KiB replies) waits here in poll,
 * which holds up this thread's other connections: acceptable for a
 * bench, whose clients read their replies at once. */
static int flush(struct conn *c)
{
	struct iovec *v = c->iov;
	int n = c->niov;

	while (n > 0) {
		ssize_t w = writev(c->fd, v, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = {c->fd, POLLOUT, 0};

				poll(&p, 1, -1);
				continue;
			}
			return -1;
		}
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++, n--;
		}
		if (n > 0) {
			v->iov_base = (uint8_t *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	c->niov = 0;
	c->outlen = 0;
	return 0;
}

static void add_iov(struct conn *c, const void *p, size_t len)
{
	struct iovec *last = c->niov ? &c->iov[c->niov - 1] : NULL;

	if (last && (const uint8_t *)last->iov_base + last->iov_len == p)
		last->iov_len += len;	/* replies encoded back to back */
	else
		c->iov[c->niov++] = (struct iovec){(void *)p, len};
}

/* Room for one more reply (and its data): flush first if not. */
static int make_room(struct conn *c)
{
	if (c->outlen + REPLY_MAX > OUT_CAP || c->niov + 2 > IOV_CAP)
		return flush(c);
	return 0;
}

static struct qid file_qid(uint64_t path)
{
	return (struct qid){.path = path, .vers = 0, .type = QTFILE};
}

/* The canned reply for t in r (r->type set to t's reply, or Rlerror). */
static void answer(struct conn *c, const struct p9_msg *t, struct p9_msg *r)
{
	r->type = (uint8_t)(t->type + 1);
	r->tag = t->tag;
	switch (t->type) {
	case P9_TATTACH:
		r->u.rqid.qid = (struct qid){.path = 1, .vers = 0, .type = QTDIR};
		break;
	case P9_TWALK:
		r->u.rwalk.nwqid = t->u.twalk.nwname;
		for (unsigned i = 0; i < t->u.twalk.nwname; i++)
			r->u.rwalk.wqid[i] = file_qid(2 + i);
		break;
	case P9_TLOPEN:
	case P9_TLCREATE:
		r->u.ropen.qid = file_qid(2);
		r->u.ropen.iounit = c->msize - P9_IOHDRSZ;
		break;
	case P9_TGETATTR:
		r->u.rgetattr.valid = t->u.tgetattr.request_mask & P9_GETATTR_BASIC;
		r->u.rgetattr.qid = file_qid(2);
		r->u.rgetattr.mode = 0100644;	/* S_IFREG | 0644 */
		r->u.rgetattr.nlink = 1;
		r->u.rgetattr.blksize = 4096;
		break;
	case P9_TREAD:	/* count zero bytes, up to the iounit we gave */
		r->u.rread.count = t->u.tread.count < c->msize - P9_IOHDRSZ ?
		                   t->u.tread.count : c->msize - P9_IOHDRSZ;
		r->u.rread.data = zeros;
		break;
	case P9_TREADDIR:	/* every directory is empty */
		r->u.rread.count = 0;
		break;
	case P9_TWRITE:
		r->u.rwrite.count = t->u.twrite.count;
		break;
	case P9_TSTATFS:
		r->u.rstatfs.type = 0x01021997;	/* V9FS_MAGIC */
		r->u.rstatfs.bsize = 4096;
		r->u.rstatfs.namelen = 255;
		break;
	case P9_TMKDIR:
	case P9_TSYMLINK:
	case P9_TMKNOD:
		r->u.rqid.qid = file_qid(3);
		break;
	case P9_TLOCK:
		r->u.rlock.status = P9_LOCK_SUCCESS;
		break;
	case P9_TGETLOCK:
		r->u.rgetlock.type = P9_LOCK_TYPE_UNLCK;
		r->u.rgetlock.start = t->u.tgetlock.start;
		r->u.rgetlock.length = t->u.tgetlock.length;
		r->u.rgetlock.proc_id = t->u.tgetlock.proc_id;
		r->u.rgetlock.client_id = t->u.tgetlock.client_id;
		break;
	case P9_TCLUNK: case P9_TREMOVE: case P9_TFLUSH: case P9_TSETATTR:
	case P9_TFSYNC: case P9_TRENAME: case P9_TRENAMEAT: case P9_TUNLINKAT:
	case P9_TLINK: case P9_TXATTRCREATE:
		break;	/* no body */
	case P9_TAUTH:	/* no authentication here: ENOENT is how diod says so,
			 * and diod's client (diodload) then attaches */
		r->type = P9_RLERROR;
		r->u.rlerror.ecode = L_ENOENT;
		break;
	case P9_TXATTRWALK:	/* no extended attributes */
		r->type = P9_RLERROR;
		r->u.rlerror.ecode = L_ENODATA;
		break;
	default:	/* Treadlink (nothing is a link) and the rest */
		r->type = P9_RLERROR;
		r->u.rlerror.ecode = t->type == P9_TREADLINK ? L_EINVAL : L_ENOSYS;
		break;
	}
}

/* Tversion: the only state there is.  Returns -1 to close (no memory). */
static int version(struct conn *c, const struct p9_msg *t, struct p9_msg *r)
{
	struct p9_version v;
	int e = p9_version_pick(t->u.version.version.s, t->u.version.version.len,
	                        t->u.version.msize, P9_MSIZE_MAX, P9_SPEAK(P9_2000L), &v);

	r->tag = t->tag;
	if (e < 0) {	/* a known version with msize below the floor */
		r->type = P9_RLERROR;
		r->u.rlerror.ecode = L_EINVAL;
		return 0;
	}
	r->type = P9_RVERSION;
	r->u.version.msize = v.msize;
	r->u.version.version = p9_str_c(v.version);
	c->d = v.dialect;
	c->msize = v.dialect == P9_NONE ? PREVERSION_MAX : v.msize;
	if (c->msize > c->cap) {
		uint8_t *in = realloc(c->in, c->msize);

		if (!in)
			return -1;
		c->in = in;
		c->cap = c->msize;
	}
	return 0;
}

/* One whole frame req[0..len): encode its reply into the batch. */
static int handle(struct conn *c, const uint8_t *req, size_t len)
{
	struct p9_msg t, r;
	int e, n;

	memset(&r, 0, sizeof r);
	e = p9_decode(req, len, c->msize, c->d, P9_TMSG, &t);
	if (e < 0) {	/* it framed, so its tag is where a tag is */
		char why[200];

		p9_explain(why, sizeof why, e, &t);
		fprintf(stderr, "bench-9pceiling: refused: %s\n", why);
		r.type = P9_RLERROR;
		r.tag = (uint16_t)(req[5] | req[6] << 8);
		r.u.rlerror.ecode = L_EINVAL;
	} else if (t.type == P9_TVERSION) {
		if (version(c, &t, &r) < 0)
			return -1;
	} else {
		answer(c, &t, &r);
	}
	if (make_room(c) < 0)
		return -1;
	if (r.type == P9_RREAD && r.u.rread.count) {
		/* The header by the codec with no data, then the count and
		 * size patched: the data goes out of `zeros` by writev. */
		uint32_t count = r.u.rread.count;

		r.u.rread.count = 0;
		n = p9_encode(&r, c->out + c->outlen, OUT_CAP - c->outlen, c->d);
		if (n != P9_HDRSZ + 4)
			return -1;
		uint8_t *h = c->out + c->outlen;
		uint32_t size = (uint32_t)n + count;

		for (int i = 0; i < 4; i++) {
			h[i] = (uint8_t)(size >> 8 * i);
			h[P9_HDRSZ + i] = (uint8_t)(count >> 8 * i);
		}
		add_iov(c, h, (size_t)n);
		c->outlen += (size_t)n;
		add_iov(c, zeros, count);
		return 0;
	}
	/* A reply to a request that did not decode is encoded in the dialect
	 * negotiated so far; before Tversion the codec allows Rlerror. */
	n = p9_encode(&r, c->out + c->outlen, OUT_CAP - c->outlen, c->d);
	if (n < 0) {
		fprintf(stderr, "bench-9pceiling: cannot encode %s: %s\n", p9_type_name(r.type),
		        p9_strerror(n));
		return -1;
	}
	add_iov(c, c->out + c->outlen, (size_t)n);
	c->outlen += (size_t)n;
	return 0;
}

/* Readable: take what came, answer every whole frame, send the batch.
 * Returns -1 when the connection is to be closed. */
static int serve(struct conn *c)
{
	ssize_t got = recv(c->fd, c->in + c->have, c->cap - c->have, 0);
	size_t off = 0;

	if (got < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (got == 0)
		return -1;	/* the client hung up */
	c->have += (size_t)got;
	while (c->have - off >= 4) {
		const uint8_t *p = c->in + off;
		uint32_t size = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;

		if (size < P9_HDRSZ || size > c->msize) {
			fprintf(stderr, "bench-9pceiling: frame of %u bytes (msize %u): closing\n",
			        size, c->msize);
			return -1;
		}
		if (c->have - off < size)
			break;
		if (handle(c, p, size) < 0)
			return -1;
		off += size;
	}
	if (flush(c) < 0)
		return -1;
	/* Keep the partial frame; the buffer holds a whole msize frame. */
	memmove(c->in, c->in + off, c->have - off);
	c->have -= off;
	return 0;
}

static int listen_fd;

static void accept_one(int ep)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
	struct conn *c;

	if (fd < 0)
		return;	/* another thread took it, or a transient error */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);	/* fails on unix: fine */
	if (!(c = calloc(1, sizeof *c)) || !(c->in = malloc(PREVERSION_MAX))) {
		fprintf(stderr, "bench-9pceiling: out of memory for a connection\n");
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->d = P9_NONE;
	c->msize = c->cap = PREVERSION_MAX;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("bench-9pceiling: epoll_ctl");
		close(fd);
		free(c->in);
		free(c);
	}
}

static void *worker(void *arg)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL}, evs[64];

	(void)arg;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) < 0) {
		perror("bench-9pceiling: epoll");
		exit(1);
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c)
				accept_one(ep);
			else if (serve(c) < 0)
				conn_close(ep, c);
		}
	}
	return NULL;
}

/* HOST:PORT or tcp!HOST!PORT (IPv4 literal) or unix!PATH. */
static int listen_on(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[64];
	unsigned port;
	int fd, one = 1;

	memset(&ss, 0, sizeof ss);
	if (strncmp(addr, "unix!", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;

		if (strlen(addr + 5) >= sizeof un->sun_path)
			return fprintf(stderr, "bench-9pceiling: socket path too long\n"), -1;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, addr + 5);
		unlink(un->sun_path);
		len = sizeof *un;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		if (sscanf(addr, "tcp!%63[^!]!%u", host, &port) != 2 &&
		    sscanf(addr, "%63[^:]:%u", host, &port) != 2)
			return fprintf(stderr, "bench-9pceiling: address '%s': want HOST:PORT, "
			               "tcp!HOST!PORT or unix!PATH\n", addr), -1;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (port > 65535 || inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return fprintf(stderr, "bench-9pceiling: '%s' is not IPv4:port\n", addr), -1;
		len = sizeof *in;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return perror("bench-9pceiling: socket"), -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0) {
		fprintf(stderr, "bench-9pceiling: listen on %s: %s\n", addr, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	long nthreads = sysconf(_SC_NPROCESSORS_ONLN);
	int opt;

	while ((opt = getopt(argc, argv, "l:t:")) != -1) {
		switch (opt) {
		case 'l': addr = optarg; break;
		case 't': nthreads = atol(optarg); break;
		default: addr = NULL, nthreads = 0; break;
		}
	}
	if (!addr || nthreads < 1 || nthreads > 256 || optind != argc) {
		fprintf(stderr, "usage: bench-9pceiling -l HOST:PORT|tcp!HOST!PORT|unix!PATH "
		        "[-t THREADS (1..256)]\n");
		return 64;
	}
	/* a client that hangs up with replies unsent is an EPIPE for its
	 * connection, not a signal that ends the responder */
	signal(SIGPIPE, SIG_IGN);
	zeros_len = P9_MSIZE_MAX;
	if (!(zeros = calloc(1, zeros_len)))
		return perror("bench-9pceiling: calloc"), 1;
	if ((listen_fd = listen_on(addr)) < 0)
		return 1;
	for (long i = 1; i < nthreads; i++) {
		pthread_t t;

		if ((errno = pthread_create(&t, NULL, worker, NULL)) != 0)
			return perror("bench-9pceiling: pthread_create"), 1;
	}
	worker(NULL);	/* this thread is a worker too */
	return 0;
}
