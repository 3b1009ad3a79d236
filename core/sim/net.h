/*
 * Scenario "net" (net.c) and its simulated 9P clients (net_client.c):
 * what the two share.  A client is one connection's peer: the requests it
 * encoded and has not sent yet, the replies the server sent and it has not
 * read yet, and what it has in flight.
 */
#ifndef LUX_SIM_NET_H
#define LUX_SIM_NET_H

#include <lux/9p.h>
#include <lux/types.h>

enum {
	NET_OUTMAX = 16384,		/* a client's unsent request bytes */
	NET_NETMAX = 512 << 10,		/* replies a client has not read */
	NET_MAXREQ = 96,		/* requests a client has in flight */
	NET_BIGFILE = 320 << 10,	/* /big: more than NINEP_SENDHIGH in replies */
};

/* What /a/file holds: a read of it must return exactly this. */
extern const char net_filetext[];

struct creq {
	uint16_t tag;
	uint8_t type;
	bool live;		/* sent whole, not answered */
	bool fileread;		/* a Tread of /a/file at offset 0 */
	bool flushed;
	uint16_t oldtag;	/* Tflush */
	size_t end;		/* out-stream offset just past it */
};

struct client {
	int conn;		/* 0: slot free */
	int n;			/* client number, for names and messages */
	enum p9_dialect want, d;	/* asked for; in force */
	uint32_t msize;		/* asked for, then in force */
	uint8_t *out;		/* NET_OUTMAX: encoded requests */
	size_t outlen, outsent;
	uint8_t *net;		/* NET_NETMAX: replies sent, not read */
	size_t netlen;
	struct creq reqs[NET_MAXREQ];
	size_t nreq;
	uint16_t nexttag;
	uint32_t nextfid;
	bool paused, server_closed, finishing, slow, overfull;
	bool badframe;		/* sent a size field the server must refuse */
	uint64_t finish_steps;
};

/* net.c: the seeded generator, the scenario's failure (the first one
 * wins; returns -1), and what the clients count. */
uint64_t net_rnd(uint64_t n);
int net_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct net_counts {
	size_t requests, replies, flushes;
};
extern struct net_counts net_counts;

/* net_client.c */
/* A new session on c (conn and n set): Tversion in a random dialect and
 * msize, Tattach of fid 0. */
void netc_begin(struct client *c);
/* Queue a random chain of requests (what room allows). */
void netc_more(struct client *c);
/* n more bytes of c->out went to the server. */
void netc_sent(struct client *c, size_t n);
/* Read whole replies, up to want bytes (at least one), checking each.
 * Returns the bytes read, or -1 when a check failed. */
long netc_read(struct client *c, size_t want);
/* Everything sent and answered, nothing left to read. */
bool netc_done(const struct client *c);
/* The oldest request still waiting for its answer, or 0. */
const struct creq *netc_waiting(const struct client *c);

#endif
