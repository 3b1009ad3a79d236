/*
 * Scenarios "net" and "hostile" (net.c), their honest 9P clients
 * (net_client.c) and hostile ones (hostile.c): what they share.  A client
 * is one connection's peer: the requests it encoded and has not sent yet,
 * the replies the server sent and it has not read yet, and what it has in
 * flight.
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

/* What a client is ("hostile" mixes them; "net" has only honest ones). */
enum ckind {
	CK_HONEST,
	CK_TRICKLE,	/* a byte at a time, then stalls mid-message */
	CK_SILENT,	/* connects and never sends a Tversion */
	CK_NOREAD,	/* pipelines big reads and never reads a reply */
	CK_FIDS,	/* walks to new fids until the fids budget refuses */
	CK_SESSIONS,	/* opens crypto clone sessions until refused */
	CK_PWHASH,	/* loops Argon2id through /secure/crypto/pwhash */
	CK_SELFMOUNT,	/* mounts the server's own export in its namespace */
	CK_BLOCKED,	/* reads a pipe nobody writes, then hangs up or flushes */
	CK_NKINDS
};

struct client {
	int conn;		/* 0: slot free */
	enum ckind kind;
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
	bool midmsg;		/* its last send stopped inside a message */
	/* a hostile client's progress (hostile.c) */
	int phase;		/* where its script is */
	uint32_t got;		/* fids, sessions or hashes it has */
	uint32_t fid;		/* the fid its script works on */
	uint64_t since;		/* net_now_ms() when its clock began */
	uint64_t quiet;		/* steps waiting with no reply */
	uint64_t timer;		/* steps before its next move */
	uint32_t stall;		/* TRICKLE: stops at this out offset */
	uint16_t readtag;	/* BLOCKED: its pipe read's tag */
	bool refused;		/* its hoard was refused */
	char word[24];		/* SELFMOUNT: its pid; PWHASH: its session */
	char salt[33];		/* PWHASH: its salt, ops and mem */
	uint32_t ops, mem;
	char hash[65];		/* its first Argon2id answer: later ones must match */
};

/* net.c: the seeded generator, the scenario's failure (the first one
 * wins; returns -1), and what the clients count. */
uint64_t net_rnd(uint64_t n);
int net_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct net_counts {
	size_t requests, replies, errors, flushes;
};
extern struct net_counts net_counts;

/* net.c: the world the scenarios share.  "hostile" runs the edge clocks
 * at these (virtual) times; net_deliver sends c's next n bytes (as room
 * allows). */
extern const uint32_t net_partial_ms, net_handshake_ms;
uint64_t net_now_ms(void);
void net_deliver(struct client *c, size_t n);

/* net_client.c */
/* Encode m (its tag chosen here) after c's unsent bytes; false when there
 * is no room.  fileread: a read of /a/file at 0, checked. */
bool netc_put(struct client *c, struct p9_msg *m, bool fileread);
/* Queue the session's start: Tversion at c->msize in c->want, Tattach of
 * fid 0 as the connection's own user. */
void netc_hello(struct client *c);
/* A walk of up to 4 names from fid to newfid (names: 0-terminated). */
void netc_walk(struct client *c, uint32_t fid, uint32_t newfid, const char *const *names);
void netc_fidop(struct client *c, uint8_t type, uint32_t fid);
void netc_open(struct client *c, uint32_t fid, int mode);
void netc_readreq(struct client *c, uint32_t fid, uint64_t off, uint32_t count);
void netc_write(struct client *c, uint32_t fid, const void *data, uint32_t n);
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

/* net_bridge.c: dials of the served address (a mount of the server's own
 * export, "hostile") joined to connections the server accepts.  Setup
 * before the baseline; the arch's calls for the ids it owns; and the pump,
 * each step, that delivers what waits both ways. */
#define NET_SELF_ADDR "unix!/sim/self"
extern size_t netb_dials, netb_bridged;
int netb_setup(void);
int netb_dial(const char *addr);
bool netb_owns(int conn);
long netb_send(int conn, const void *buf, size_t n);
void netb_close(int conn);
void netb_pause(int conn, int paused);
void netb_pump(void);
size_t netb_active(void);

/* hostile.c: what a hostile client does.  begin: its session's first
 * requests (or none); more: what it queues when it has room; act: each
 * step, whatever it does of its own (trickle, stall, hang up) and its
 * checks -- -1 when one failed, 1 when it hung up; reply: every reply
 * it reads (q 0: the server's NOTAG goodbye). */
enum ckind hostc_kind(void);
void hostc_begin(struct client *c);
void hostc_more(struct client *c);
int hostc_act(struct client *c);
void hostc_reply(struct client *c, const struct creq *q, const struct p9_msg *r);
/* The run's counts, for its last line. */
void hostc_summary(void);

#endif
