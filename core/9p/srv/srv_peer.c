/*
 * Peers' shares of the connections' pool (docs/9p.md, "Shares of the
 * pool").
 *
 * A peer is what admission calls one (srv_admit.c): a local socket's
 * uid, or a TCP host.  Each connection's capped budget draws from a
 * capped budget of its peer's, which draws from the pool: everything one
 * peer's connections hold -- fids, buffers, requests and the replies it
 * has not read -- stays within its share, and the rest of the pool stays
 * for the others.  The shares follow the slots': the host owner's tools
 * get three quarters of the pool, any other peer half.
 *
 * Why: the pool is what bounds the server's memory, and anything that
 * bounds memory can be spent by one client to lock the others out.  Caps
 * per connection do not stop a client with many connections; caps per
 * peer do, for every resource at once.
 */
#include "9psrv.h"
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/pebble.h>
#include <lux/kern.h>
#include <lux/string.h>

#define PEERHASH 64

struct ninep_peer {
	struct ninep_peer *next;	/* hash chain */
	int transport;
	int64_t uid;			/* a local peer's, or -1 */
	char host[64];			/* a TCP peer's host: "tcp!1.2.3.4" */
	size_t conns;			/* its connections: the last one frees it */
	size_t running;			/* its requests in the pool's workers now */
	struct budget *budget;		/* capped at its share, drawing from the pool */
};

static struct ninep_peer *peers[PEERHASH];
/* peers[], every peer's conns, others and nothers: joins and leaves.  A
 * peer's running count and others_running are the pool's, under
 * ninep_lock (ninep_peer_may_run, ninep_peer_ran).  Taken after
 * ninep_lock, before pebble and kalloc. */
static struct spinlock peers_lock = SPINLOCK_INIT("ninep-peers");
/* Every peer but the host owner draws its share from this one, capped at
 * the pool less the owner's quarter (as the slots keep a quarter for it):
 * half the pool for each peer alone is not enough, since two addresses
 * (127.0.0.2 and 127.0.0.3 are two) would take it all.  Made with the
 * first such peer, put with the last (nothers). */
static struct budget *others;
static size_t nothers;
/* Requests of peers other than the host owner running now: the same
 * shares for the pool's workers (ninep_peer_may_run). */
static size_t others_running;

static size_t host_part(const char *addr)
{
	size_t n = kstrlen(addr), i = n;

	while (i > 0 && addr[i - 1] != '!')
		i--;
	return i > 0 ? i - 1 : n;
}

/* Who s is as a peer, written into key (transport, uid, host). */
static void key_of(const struct ninep_conn *s, struct ninep_peer *key)
{
	size_t n = host_part(s->peer);

	key->transport = s->transport;
	key->uid = s->transport == LUX_PEER_LOCAL ? s->peer_uid : -1;
	key->host[0] = 0;
	if (s->transport != LUX_PEER_LOCAL) {
		if (n >= sizeof key->host)
			n = sizeof key->host - 1;
		kmemcpy(key->host, s->peer, n);
		key->host[n] = 0;
	}
}

static size_t hash(const struct ninep_peer *k)
{
	size_t h = (size_t)k->transport * 31u + (size_t)k->uid;

	for (const char *c = k->host; *c; c++)
		h = h * 31u + (uint8_t)*c;
	return h % PEERHASH;
}

static bool same(const struct ninep_peer *a, const struct ninep_peer *b)
{
	return a->transport == b->transport && a->uid == b->uid && !kstrcmp(a->host, b->host);
}

/* peers_lock held. */
static struct ninep_peer *find(const struct ninep_peer *key)
{
	struct ninep_peer *p = peers[hash(key)];

	while (p && !same(p, key))
		p = p->next;
	return p;
}

bool ninep_peer_is_owner(int transport, int64_t uid)
{
	return transport == LUX_PEER_LOCAL && uid >= 0 && uid == lux_bootinfo->hostowner_uid;
}

/* A peer's share of pool: every kind as the pool has it, pages cut to
 * NINEP_SHARE_OWNER or NINEP_SHARE_OTHER of them. */
static void share_of(const struct ninep_peer *k, struct budget *pool, struct pebbles *cap)
{
	uint64_t pages = pool->total[PB_PAGES];

	for (int i = 0; i < PB_NKINDS; i++)
		cap->n[i] = pool->total[i];
	if (ninep_peer_is_owner(k->transport, k->uid))
		cap->n[PB_PAGES] = pages / 4 * 3;
	else
		cap->n[PB_PAGES] = pages / 2;
	if (cap->n[PB_PAGES] == 0)
		cap->n[PB_PAGES] = pages;
}

/* The budget every peer but the host owner draws from (others), made if
 * need be: 0, with *err, when it cannot be.  peers_lock held. */
static struct budget *others_of(struct budget *pool, int *err)
{
	struct pebbles cap;
	uint64_t pages = pool->total[PB_PAGES];

	if (others != 0)
		return others;
	for (int i = 0; i < PB_NKINDS; i++)
		cap.n[i] = pool->total[i];
	cap.n[PB_PAGES] = pages - pages / 4;
	return others = budget_cap(pool, &cap, err);
}

/* No peer draws from others any more: put it.  peers_lock held. */
static struct budget *others_unused(void)
{
	struct budget *b = others;

	if (nothers != 0)
		return 0;
	others = 0;
	return b;
}

struct budget *ninep_peer_join(struct ninep_conn *s, struct budget *pool, int *err)
{
	struct ninep_peer key, *p, *fresh = 0;
	struct budget *from, *unused;
	struct pebbles cap;
	bool owner;

	key_of(s, &key);
	owner = ninep_peer_is_owner(key.transport, key.uid);
	for (;;) {
		spin_lock(&peers_lock);
		if ((p = find(&key)) != 0 || fresh != 0)
			break;
		from = owner ? pool : others_of(pool, err);
		spin_unlock(&peers_lock);
		if (from == 0)
			return 0;
		/* a new peer: made without the lock (it allocates), then
		 * looked for again, since another start may have made it */
		share_of(&key, pool, &cap);
		if ((fresh = kzalloc(sizeof *fresh)) == 0) {
			*err = E_NOMEM;
			fresh = 0;
		} else if ((fresh->budget = budget_cap(from, &cap, err)) == 0) {
			kfree(fresh);
			fresh = 0;
		}
		if (fresh == 0) {
			spin_lock(&peers_lock);
			unused = owner ? 0 : others_unused();
			spin_unlock(&peers_lock);
			budget_put(unused);
			return 0;
		}
		fresh->transport = key.transport;
		fresh->uid = key.uid;
		kstrlcpy(fresh->host, key.host, sizeof fresh->host);
	}
	if (p == 0) {
		p = fresh;
		fresh = 0;
		p->next = peers[hash(p)];
		peers[hash(p)] = p;
		if (!owner)
			nothers++;
	}
	p->conns++;
	s->peerrec = p;
	unused = fresh && !owner ? others_unused() : 0;
	spin_unlock(&peers_lock);
	if (fresh) {	/* lost the race: another start made it first */
		budget_put(fresh->budget);
		kfree(fresh);
		budget_put(unused);
	}
	return p->budget;
}

void ninep_peer_leave(struct ninep_conn *s)
{
	struct ninep_peer *p = s->peerrec, **pp;
	struct budget *unused = 0;
	bool last;

	if (p == 0)
		return;
	s->peerrec = 0;
	spin_lock(&peers_lock);
	last = --p->conns == 0;
	if (last)
		for (pp = &peers[hash(p)]; *pp; pp = &(*pp)->next)
			if (*pp == p) {
				*pp = p->next;
				break;
			}
	if (last && !ninep_peer_is_owner(p->transport, p->uid)) {
		nothers--;
		unused = others_unused();
	}
	spin_unlock(&peers_lock);
	if (last) {
		budget_put(p->budget);	/* its connections' budgets are gone */
		kfree(p);
		budget_put(unused);	/* after the child it held */
	}
}

/* A request that sleeps (a read of an empty pipe) holds its worker, and
 * the pool has at most max: without shares, 16 connections of one
 * client, 4 such reads each, took every worker, and nobody else's
 * request -- nor a new connection's start -- ever ran.  The shares
 * overlap (the host owner's 3/4 and the others' 3/4 together are more
 * than the pool), so they alone still let the owner and one address
 * fill it between them; the last eighth of the workers (free: those not
 * running a job) therefore go only to a peer's first request, which is
 * how a third peer is served however the others sleep.  The others'
 * share keeps a last eighth of its own the same way (others_full): two
 * addresses, one with its 32 and one with 16, filled the others' 48, and
 * a third peer that is not the host owner -- another host, another local
 * uid, an authenticated user -- was parked for as long as they slept,
 * with 16 workers free (tests/attacks/g_two_peers.py). */
static bool others_full(const struct ninep_peer *p, size_t max)
{
	size_t most = max - max / 4;

	if (others_running >= (most ? most : 1))
		return true;
	return p->running > 0 && others_running >= most - max / 8;
}

bool ninep_peer_may_run(const struct ninep_conn *s, size_t max, size_t free)
{
	const struct ninep_peer *p = s->peerrec;
	size_t cap;

	if (p == 0)
		return true;
	if (p->running > 0 && free <= max / 8)
		return false;
	if (ninep_peer_is_owner(p->transport, p->uid))
		cap = max - max / 4;
	else if (others_full(p, max))
		return false;
	else
		cap = max / 2;
	return p->running < (cap ? cap : 1);
}

void ninep_peer_ran(struct ninep_conn *s, int d)
{
	struct ninep_peer *p = s->peerrec;

	if (p == 0)
		return;
	if (d > 0)
		p->running++;
	else
		p->running--;
	if (!ninep_peer_is_owner(p->transport, p->uid))
		others_running = d > 0 ? others_running + 1 : others_running - 1;
}

size_t ninep_peer_status(char *buf, size_t size, size_t max)
{
	size_t len = 0, shown = 0;
	spin_lock(&peers_lock);

	for (size_t h = 0; h < PEERHASH; h++)
		for (struct ninep_peer *p = peers[h]; p && shown < max; p = p->next, shown++) {
			size_t n;
			if (p->transport == LUX_PEER_LOCAL)
				n = ksnprintf(buf + (len < size ? len : size),
				              len < size ? size - len : 0, "peer local uid %lld",
				              (long long)p->uid);
			else
				n = ksnprintf(buf + (len < size ? len : size),
				              len < size ? size - len : 0, "peer %s", p->host);
			len += n;
			n = ksnprintf(buf + (len < size ? len : size), len < size ? size - len : 0,
			              " conns %zu pages %llu/%llu\n", p->conns,
			              (unsigned long long)p->budget->held[PB_PAGES],
			              (unsigned long long)p->budget->total[PB_PAGES]);
			len += n;
		}
	spin_unlock(&peers_lock);
	return len;
}
