/*
 * Many 9P2000.L connections on one epoll, for bench-9pscale: each
 * connects without blocking, says Tversion and Tattach, and then carries
 * one request at a time for its owner.  Messages are built and checked by
 * the kernel's codec (<lux/9p.h>); framing, refusals and hang-ups are
 * told apart here, since telling them apart is what the bench measures.
 */
#ifndef LUX_BENCH_SCALE_CONN_H
#define LUX_BENCH_SCALE_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <lux/9p.h>

enum sc_state {
	SC_CONNECTING,		/* connect(2) under way */
	SC_VERSION,		/* Tversion sent */
	SC_ATTACH,		/* Tattach sent */
	SC_READY,		/* attached, nothing in flight: the server must say nothing */
	SC_BUSY,		/* one request in flight */
	SC_ENDED,		/* closed; `end` says how */
};

/* How a connection ended, for the tables. */
enum sc_end {
	SC_CLOSED,		/* we closed it */
	SC_REFUSED,		/* Rlerror/Rerror to Tversion or Tattach: why has it */
	SC_SILENT,		/* closed before the handshake was answered at all */
	SC_NOCONNECT,		/* connect(2) failed (why: strerror) */
	SC_DROPPED,		/* closed or reset after it was served */
	SC_MALFORMED,		/* a reply the codec or the protocol rejects */
	SC_NEND
};

#define SC_MSIZE 8192		/* the active clients' reads and writes fit */

struct sconn {
	int fd;
	enum sc_state st;
	enum sc_end end;
	uint32_t msize;		/* Rversion's */
	uint8_t *in;		/* struct scale's msize bytes, allocated at connect */
	size_t inlen;
	uint8_t *out;		/* the request being sent */
	size_t outlen, outoff;
	struct p9_msg r;	/* the reply, valid in the reply callback only */
	uint8_t rtype;		/* the request in flight's type, for messages */
	int refusal;		/* SC_REFUSED: the errno, or 0 for an Rerror */
	char why[128];		/* SC_REFUSED's text, SC_NOCONNECT's, SC_MALFORMED's */
	void *owner;
};

struct scale;
struct scale_ops {
	void (*ready)(struct scale *s, struct sconn *c);	/* attached */
	void (*reply)(struct scale *s, struct sconn *c);	/* c->r answers the request */
	void (*ended)(struct scale *s, struct sconn *c);	/* not after sc_close */
};

struct scale {
	int ep;
	struct sockaddr_storage sa;
	socklen_t salen;
	struct sockaddr_storage sa2;	/* sc_also's, or salen2 0 */
	socklen_t salen2;
	unsigned long opened;
	uint32_t msize;		/* asked for, and each buffer's size (SC_MSIZE unless changed
				 * before the first sc_open: idle connections need less) */
	const struct scale_ops *ops;
	int handshakes;		/* connections not READY or ENDED yet */
};

/* addr: unix!PATH or tcp!HOST!PORT (numeric IPv4).  0, or -1 with a
 * sentence on stderr. */
int sc_init(struct scale *s, const char *addr, const struct scale_ops *ops);
/* A second address: connections alternate between the two (peers of two
 * kinds, since the server caps each peer).  0, or -1 with a sentence. */
int sc_also(struct scale *s, const char *addr);
/* Start one connection (c zeroed by the caller, owner set). */
void sc_open(struct scale *s, struct sconn *c);
/* Send t (tag filled in) on a READY connection: 0, or -1 (c ended). */
int sc_send(struct scale *s, struct sconn *c, struct p9_msg *t);
/* Close it: no callback follows. */
void sc_close(struct scale *s, struct sconn *c);
/* Wait up to ms for events and handle them. */
void sc_poll(struct scale *s, int ms);

extern const char *const sc_end_names[SC_NEND];

#endif
