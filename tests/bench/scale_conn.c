/* Many 9P2000.L connections on one epoll (see scale_conn.h). */
#include "scale_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <unistd.h>

const char *const sc_end_names[SC_NEND] = {
	[SC_CLOSED] = "closed by us",
	[SC_REFUSED] = "refused in 9P",
	[SC_SILENT] = "closed without a 9P answer",
	[SC_NOCONNECT] = "connect failed",
	[SC_DROPPED] = "dropped after being served",
	[SC_MALFORMED] = "malformed or unexpected reply",
};

/* addr into *sa: 0, or -1 with a sentence on stderr. */
static int parse_addr(const char *addr, struct sockaddr_storage *sa, socklen_t *salen)
{
	memset(sa, 0, sizeof *sa);
	if (strncmp(addr, "unix!", 5) == 0 && strlen(addr + 5) < sizeof(((struct sockaddr_un *)0)->sun_path)) {
		struct sockaddr_un *sun = (struct sockaddr_un *)sa;

		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, addr + 5);
		*salen = sizeof *sun;
	} else if (strncmp(addr, "tcp!", 4) == 0 && strchr(addr + 4, '!')) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;
		char host[64];
		const char *bang = strrchr(addr, '!');

		snprintf(host, sizeof host, "%.*s", (int)(bang - addr - 4), addr + 4);
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)atoi(bang + 1));
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
			fprintf(stderr, "bench-9pscale: %s: want a numeric IPv4 host\n", addr);
			return -1;
		}
		*salen = sizeof *sin;
	} else {
		fprintf(stderr, "bench-9pscale: bad address '%s': want unix!PATH or tcp!HOST!PORT\n", addr);
		return -1;
	}
	return 0;
}

int sc_also(struct scale *s, const char *addr)
{
	return parse_addr(addr, &s->sa2, &s->salen2);
}

int sc_init(struct scale *s, const char *addr, const struct scale_ops *ops)
{
	memset(s, 0, sizeof *s);
	s->ops = ops;
	s->msize = SC_MSIZE;
	if (parse_addr(addr, &s->sa, &s->salen) < 0)
		return -1;
	if ((s->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		perror("bench-9pscale: epoll_create1");
		return -1;
	}
	return 0;
}

static void watch(struct scale *s, struct sconn *c, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };

	if (c->st == SC_CONNECTING || c->outoff < c->outlen)
		ev.events |= EPOLLOUT;
	epoll_ctl(s->ep, op, c->fd, &ev);
}

static void release(struct scale *s, struct sconn *c)
{
	if (c->st != SC_READY && c->st != SC_BUSY && c->st != SC_ENDED)
		s->handshakes--;
	if (c->fd >= 0)
		close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->st = SC_ENDED;
}

static void end(struct scale *s, struct sconn *c, enum sc_end how, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void end(struct scale *s, struct sconn *c, enum sc_end how, const char *fmt, ...)
{
	va_list ap;

	if (c->st == SC_ENDED)
		return;
	c->end = how;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	release(s, c);
	if (s->ops->ended)
		s->ops->ended(s, c);
}

void sc_close(struct scale *s, struct sconn *c)
{
	if (c->st == SC_ENDED)
		return;
	c->end = SC_CLOSED;
	release(s, c);
}

static void flush(struct scale *s, struct sconn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			watch(s, c, EPOLL_CTL_MOD);	/* the rest when it drains */
			return;
		}
		if (w < 0) {
			end(s, c, c->st == SC_BUSY ? SC_DROPPED : SC_SILENT, "send: %s", strerror(errno));
			return;
		}
		c->outoff += (size_t)w;
		if (c->outoff == c->outlen)
			watch(s, c, EPOLL_CTL_MOD);
	}
}

static int put(struct scale *s, struct sconn *c, struct p9_msg *t, enum p9_dialect d)
{
	int n = p9_encode(t, c->out, s->msize, d);

	if (n < 0) {	/* ours is wrong, not the server: say so and stop */
		fprintf(stderr, "bench-9pscale: cannot encode %s: %s\n", p9_type_name(t->type),
		        p9_strerror(n));
		exit(2);
	}
	c->rtype = t->type;
	c->outlen = (size_t)n;
	c->outoff = 0;
	flush(s, c);
	return c->st == SC_ENDED ? -1 : 0;
}

static void say_version(struct scale *s, struct sconn *c)
{
	struct p9_msg t = { .type = P9_TVERSION, .tag = P9_NOTAG };

	t.u.version.msize = s->msize;
	t.u.version.version = p9_str_c("9P2000.L");
	c->st = SC_VERSION;
	put(s, c, &t, P9_NONE);
}

void sc_open(struct scale *s, struct sconn *c)
{
	struct sockaddr_storage *sa;
	socklen_t salen;
	int one = 1;

	s->handshakes++;
	c->st = SC_CONNECTING;
	c->in = malloc(s->msize);
	c->out = malloc(s->msize);
	/* with a second address, every other connection goes there */
	{
		int second = s->salen2 && s->opened++ % 2;
		sa = second ? &s->sa2 : &s->sa;
		salen = second ? s->salen2 : s->salen;
	}
	c->fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->in == NULL || c->out == NULL || c->fd < 0) {
		end(s, c, SC_NOCONNECT, "%s", c->fd < 0 ? strerror(errno) : "out of memory");
		return;
	}
	if (sa->ss_family == AF_INET)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);	/* request/response */
	if (connect(c->fd, (struct sockaddr *)sa, salen) == 0) {
		watch(s, c, EPOLL_CTL_ADD);
		say_version(s, c);
		return;
	}
	if (errno != EINPROGRESS) {	/* a unix socket says EAGAIN when its queue is full */
		end(s, c, SC_NOCONNECT, "%s", strerror(errno));
		return;
	}
	watch(s, c, EPOLL_CTL_ADD);
}

int sc_send(struct scale *s, struct sconn *c, struct p9_msg *t)
{
	if (c->st != SC_READY)
		return -1;
	t->tag = 1;	/* one request at a time: one tag */
	c->st = SC_BUSY;
	return put(s, c, t, P9_2000L);
}

static void refused(struct scale *s, struct sconn *c, const char *to)
{
	if (c->r.type == P9_RLERROR) {
		c->refusal = (int)c->r.u.rlerror.ecode;
		end(s, c, SC_REFUSED, "%s: Rlerror %d (%s)", to, c->refusal, strerror(c->refusal));
	} else {
		c->refusal = 0;
		end(s, c, SC_REFUSED, "%s: Rerror '%.*s'", to, (int)c->r.u.rerror.ename.len,
		    c->r.u.rerror.ename.s);
	}
}

/* One whole reply, decoded into c->r. */
static void handle(struct scale *s, struct sconn *c)
{
	struct p9_msg t = { .type = P9_TATTACH };
	bool err = c->r.type == P9_RLERROR || c->r.type == P9_RERROR;

	switch (c->st) {
	case SC_VERSION:
		if (err)
			return refused(s, c, "Tversion");
		if (c->r.type != P9_RVERSION || c->r.u.version.msize < P9_MSIZE_MIN ||
		    c->r.u.version.msize > s->msize ||
		    p9_dialect_of(c->r.u.version.version.s, c->r.u.version.version.len) != P9_2000L)
			return end(s, c, SC_MALFORMED, "Tversion answered with %s", p9_type_name(c->r.type));
		c->msize = c->r.u.version.msize;
		t.u.tattach.fid = 1;
		t.u.tattach.afid = P9_NOFID;
		t.u.tattach.uname = p9_str_c("");
		t.u.tattach.aname = p9_str_c("");
		t.u.tattach.n_uname = P9_NONUNAME;	/* who the connection is (a unix socket: its uid) */
		t.tag = 1;
		c->st = SC_ATTACH;
		put(s, c, &t, P9_2000L);
		return;
	case SC_ATTACH:
		if (err)
			return refused(s, c, "Tattach");
		if (c->r.type != P9_RATTACH || c->r.tag != 1)
			return end(s, c, SC_MALFORMED, "Tattach answered with %s", p9_type_name(c->r.type));
		c->st = SC_READY;
		s->handshakes--;
		if (s->ops->ready)
			s->ops->ready(s, c);
		return;
	case SC_BUSY:
		if (c->r.tag != 1)
			return end(s, c, SC_MALFORMED, "%s answered with tag %u", p9_type_name(c->rtype),
			           c->r.tag);
		c->st = SC_READY;
		s->ops->reply(s, c);
		return;
	default:	/* nothing asked: the server has nothing to say */
		end(s, c, SC_MALFORMED, "unsolicited %s", p9_type_name(c->r.type));
	}
}

/* Frame and handle what has arrived; stop when c ends. */
static void frame(struct scale *s, struct sconn *c)
{
	size_t off = 0;

	while (c->st != SC_ENDED && c->inlen - off >= 4) {
		const uint8_t *p = c->in + off;
		uint32_t size = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		                (uint32_t)p[3] << 24;
		enum p9_dialect d = c->st == SC_VERSION ? P9_NONE : P9_2000L;
		int e;

		if (size < P9_HDRSZ || size > s->msize)
			return end(s, c, SC_MALFORMED, "a %u-byte message (msize %u)", size, s->msize);
		if (c->inlen - off < size)
			break;
		if ((e = p9_decode(p, size, s->msize, d, P9_RMSG, &c->r)) < 0) {
			char why[100];

			p9_explain(why, sizeof why, e, &c->r);
			return end(s, c, SC_MALFORMED, "bad reply: %s", why);
		}
		off += size;
		handle(s, c);	/* c->r points into c->in: moved only after */
	}
	if (c->st != SC_ENDED && off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
}

static void readable(struct scale *s, struct sconn *c)
{
	while (c->st != SC_ENDED) {
		ssize_t r = read(c->fd, c->in + c->inlen, s->msize - c->inlen);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {	/* EOF or a reset: after whatever came before it */
			bool served = c->st == SC_READY || c->st == SC_BUSY;

			end(s, c, served ? SC_DROPPED : SC_SILENT, "%s", r < 0 ? strerror(errno) : "EOF");
			return;
		}
		c->inlen += (size_t)r;
		frame(s, c);
	}
}

void sc_poll(struct scale *s, int ms)
{
	struct epoll_event ev[256];
	int n = epoll_wait(s->ep, ev, 256, ms);

	for (int i = 0; i < n; i++) {
		struct sconn *c = ev[i].data.ptr;
		int soerr = 0;
		socklen_t len = sizeof soerr;

		if (c->st == SC_ENDED)
			continue;	/* ended by an earlier event in this batch: the fd is closed */
		if (c->st == SC_CONNECTING) {
			if (!(ev[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				continue;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
			if (soerr) {
				end(s, c, SC_NOCONNECT, "%s", strerror(soerr));
				continue;
			}
			say_version(s, c);
			continue;
		}
		if ((ev[i].events & EPOLLOUT) && c->outoff < c->outlen)
			flush(s, c);
		if (c->st != SC_ENDED && (ev[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
			readable(s, c);
	}
}
