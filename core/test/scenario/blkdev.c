/*
 * The simulated block device (see blkdev.h; docs/store.md, "The
 * simulated device").
 *
 * Model.  The medium is what survives a crash.  A write's done puts its
 * sectors in a volatile cache, in the order dones happen (each with the
 * device's ack sequence number); reads see the newest cached copy of a
 * sector, else the medium.  A flush submitted when the ack sequence was
 * M makes every cached write with sequence <= M durable, oldest first,
 * when it is done.  A full cache destages its oldest write to the medium
 * early (a real disk does too: durable without a flush is allowed).
 * Pending requests end only in simblk_step, chosen by the seed, so
 * requests in flight together finish in any order.
 *
 * A crash: pending writes may have reached the cache (they are cached
 * first), every pending request ends with E_IO, then each cached write is
 * kept with the `persist` odds; the kept ones land in a shuffled order
 * (so an older write may land after a newer one of another sector, and
 * the parts of one request independently: tearing across sectors); the
 * last write to land on a sector may be torn inside it, visibly (the
 * result differs from both what was there and what was written); then
 * sectors get one flipped bit each, with the `flip` odds.  Each sector
 * gets at most one fault per crash, and every fault is logged.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/rand.h>
#include <lux/string.h>
#include <lux/timer.h>
#include <lux/upcall.h>

#include "blkdev.h"

struct pend {
	int op;
	uint64_t sector;
	void *buf;
	uint32_t nsect;
	void *cookie;
	uint64_t mark;		/* a flush: the ack sequence at submit */
};

/* One cached sector of a write that was done. */
struct centry {
	uint64_t sector;
	uint64_t seq;
	uint8_t data[];
};

#define CACHEMAX 64	/* cached sectors before the oldest is destaged: small, so it happens */
#define FLIPTRIES 2	/* flip attempts per crash */

struct simblk {
	uint64_t sectors;
	uint32_t ssz, inflight;
	struct simblk_odds odds;
	uint8_t *medium;
	struct pend *pend;	/* in submit order */
	size_t npend;
	struct centry *cache[CACHEMAX];	/* in ack order */
	size_t ncache;
	uint64_t ackseq;
	bool dead, break_flush;
	struct simblk_counts n;
};

static bool chance(uint32_t per1024)
{
	return krand_below(1024) < per1024;
}

struct simblk *simblk_new(uint64_t sectors, uint32_t sector_size, uint32_t inflight,
                          const struct simblk_odds *odds)
{
	struct simblk *s = kzalloc(sizeof *s);

	if (s == 0)
		return 0;
	s->sectors = sectors;
	s->ssz = sector_size;
	s->inflight = inflight;
	s->odds = *odds;
	s->medium = kzalloc(sectors * sector_size);
	s->pend = kzalloc(inflight * sizeof *s->pend);
	if (s->medium == 0 || s->pend == 0) {
		simblk_free(s);
		return 0;
	}
	return s;
}

static void drop_cache(struct simblk *s)
{
	for (size_t i = 0; i < s->ncache; i++)
		kfree(s->cache[i]);
	s->ncache = 0;
}

void simblk_free(struct simblk *s)
{
	if (s->npend)
		panic("simblk: freed with %zu requests pending", s->npend);
	drop_cache(s);
	kfree(s->medium);
	kfree(s->pend);
	kfree(s);
}

static uint8_t *medium(struct simblk *s, uint64_t sector)
{
	return s->medium + sector * s->ssz;
}

/* Cache entry i to the medium, and out of the cache. */
static void destage(struct simblk *s, size_t i)
{
	kmemcpy(medium(s, s->cache[i]->sector), s->cache[i]->data, s->ssz);
	kfree(s->cache[i]);
	kmemmove(&s->cache[i], &s->cache[i + 1], (s->ncache - i - 1) * sizeof s->cache[0]);
	s->ncache--;
}

/* A write reached the cache: sector by sector, one sequence number. */
static void cache_write(struct simblk *s, const struct pend *p, uint64_t seq)
{
	for (uint32_t k = 0; k < p->nsect; k++) {
		struct centry *e;

		if (s->ncache == CACHEMAX) {
			destage(s, 0);
			s->n.destaged++;
		}
		if ((e = kmalloc(sizeof *e + s->ssz)) == 0)
			panic("simblk: out of memory for the cache");
		e->sector = p->sector + k;
		e->seq = seq;
		kmemcpy(e->data, (const uint8_t *)p->buf + (size_t)k * s->ssz, s->ssz);
		s->cache[s->ncache++] = e;
	}
	if (s->ncache > s->n.cached_max)
		s->n.cached_max = s->ncache;
}

static void read_sectors(struct simblk *s, const struct pend *p)
{
	for (uint32_t k = 0; k < p->nsect; k++) {
		const uint8_t *src = medium(s, p->sector + k);

		for (size_t i = s->ncache; i-- > 0;)
			if (s->cache[i]->sector == p->sector + k) {
				src = s->cache[i]->data;
				break;
			}
		kmemcpy((uint8_t *)p->buf + (size_t)k * s->ssz, src, s->ssz);
	}
}

static void flush(struct simblk *s, uint64_t mark)
{
	size_t i = 0;

	while (i < s->ncache && s->cache[i]->seq <= mark) {
		if (s->break_flush) {	/* test-only: lose it, say nothing */
			s->break_flush = false;
			kfree(s->cache[i]);
			kmemmove(&s->cache[i], &s->cache[i + 1],
			         (s->ncache - i - 1) * sizeof s->cache[0]);
			s->ncache--;
			continue;
		}
		destage(s, i);
	}
}

static int submit(void *arg, int op, uint64_t sector, void *buf, uint32_t nsect, void *cookie)
{
	struct simblk *s = arg;
	struct pend *p;

	if (s->dead)
		return E_IO;	/* the power is off: nothing follows */
	if (op == ARCH_BLK_FLUSH ? (sector != 0 || nsect != 0)
	                         : (op != ARCH_BLK_READ && op != ARCH_BLK_WRITE) || nsect == 0 ||
	                               nsect > ARCH_BLK_MAXSECT || sector > s->sectors ||
	                               nsect > s->sectors - sector)
		return E_INVAL;
	if (s->npend == s->inflight)
		return E_MFILE;
	p = &s->pend[s->npend++];
	p->op = op;
	p->sector = sector;
	p->buf = buf;
	p->nsect = nsect;
	p->cookie = cookie;
	p->mark = s->ackseq;
	return 0;
}

void simblk_describe(struct simblk *s, const char *name, struct arch_blk_info *info,
                     struct blk_driver *drv)
{
	info->sectors = s->sectors;
	info->sector_size = s->ssz;
	info->inflight = s->inflight;
	info->name = name;
	info->created = 1;
	drv->submit = submit;
	drv->arg = s;
}

size_t simblk_pending(const struct simblk *s)
{
	return s->npend;
}

size_t simblk_step(struct simblk *s, size_t n)
{
	size_t done = 0;

	for (; done < n && s->npend > 0; done++) {
		size_t i = (size_t)krand_below(s->npend);
		struct pend p = s->pend[i];
		arch_irqstate is;

		kmemmove(&s->pend[i], &s->pend[i + 1], (s->npend - i - 1) * sizeof s->pend[0]);
		s->npend--;
		s->n.reordered += i != 0;	/* an older one is still pending */
		if (p.op == ARCH_BLK_READ)
			read_sectors(s, &p);
		else if (p.op == ARCH_BLK_WRITE)
			cache_write(s, &p, ++s->ackseq);
		else
			flush(s, p.mark);
		s->n.done++;
		/* bare masking kept: the simulated device plays the arch, which
		 * delivers lux_blk_done with upcalls masked (irq_masking.sh) */
		is = arch_irq_save();
		lux_blk_done(p.cookie, 0);
		arch_irq_restore(is);
	}
	return done;
}

static bool faulted(const struct simblk_fault *log, size_t n, uint64_t sector)
{
	for (size_t i = 0; i < n; i++)
		if (log[i].sector == sector)
			return true;
	return false;
}

/* Land e on the medium, torn if the seed says and the tear can show. */
static void land(struct simblk *s, const struct centry *e, bool last, struct simblk_fault *log,
                 size_t *nlog)
{
	uint8_t *m = medium(s, e->sector);
	uint32_t first = s->ssz, lastdiff = 0;

	for (uint32_t i = 0; i < s->ssz; i++)
		if (m[i] != e->data[i]) {
			if (first == s->ssz)
				first = i;
			lastdiff = i;
		}
	/* torn at byte k, first < k <= lastdiff: the result keeps a new byte
	 * (first) and an old one (lastdiff), so it is neither */
	if (last && first < lastdiff && *nlog < SIMBLK_MAXFAULTS && chance(s->odds.tear)) {
		uint32_t k = first + 1 + (uint32_t)krand_below(lastdiff - first);

		kmemcpy(m, e->data, k);
		log[(*nlog)++] = (struct simblk_fault){ SIMBLK_TORN, e->sector, k };
		s->n.torn++;
		return;
	}
	kmemcpy(m, e->data, s->ssz);
}

size_t simblk_crash(struct simblk *s, struct simblk_fault *log)
{
	struct centry *kept[CACHEMAX];
	size_t nkept = 0, nlog = 0;
	arch_irqstate is;

	/* a pending write may have reached the cache before the power went */
	for (size_t i = 0; i < s->npend; i++)
		if (s->pend[i].op == ARCH_BLK_WRITE && chance(s->odds.persist))
			cache_write(s, &s->pend[i], ++s->ackseq);
	/* bare masking kept: the arch's side, delivering upcalls (above) */
	is = arch_irq_save();
	for (size_t i = 0; i < s->npend; i++)
		lux_blk_done(s->pend[i].cookie, E_IO);
	arch_irq_restore(is);
	s->npend = 0;
	s->dead = true;

	for (size_t i = 0; i < s->ncache; i++) {
		if (chance(s->odds.persist))
			kept[nkept++] = s->cache[i];
		else
			s->n.dropped++;
	}
	for (size_t i = nkept; i > 1; i--) {	/* Fisher-Yates: the landing order */
		size_t j = (size_t)krand_below(i);
		struct centry *t = kept[i - 1];
		kept[i - 1] = kept[j];
		kept[j] = t;
	}
	for (size_t i = 0; i < nkept; i++) {
		bool last = true;

		for (size_t j = i + 1; j < nkept && last; j++)
			last = kept[j]->sector != kept[i]->sector;
		land(s, kept[i], last, log, &nlog);
		s->n.kept++;
	}
	drop_cache(s);

	for (int t = 0; t < FLIPTRIES && nlog < SIMBLK_MAXFAULTS; t++) {
		uint64_t sector = krand_below(s->sectors);
		uint32_t bit = (uint32_t)krand_below((uint64_t)s->ssz * 8);

		if (!chance(s->odds.flip) || faulted(log, nlog, sector))
			continue;
		medium(s, sector)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		log[nlog++] = (struct simblk_fault){ SIMBLK_FLIP, sector, bit };
		s->n.flipped++;
	}
	return nlog;
}

void simblk_flip(struct simblk *s, uint64_t sector, uint32_t bit)
{
	medium(s, sector)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	s->n.flipped++;
}

void simblk_reboot(struct simblk *s)
{
	s->dead = false;
}

void simblk_break_flush(struct simblk *s)
{
	s->break_flush = true;
}

void simblk_counts(const struct simblk *s, struct simblk_counts *out)
{
	*out = s->n;
}

void simblk_serve_beside(struct simblk *s, const char *name, void (*fn)(void *), bool *running)
{
	struct proc *p;

	*running = true;
	if ((p = proc_create(name, PRIO_NORMAL, fn, 0, 0)) == 0)
		panic("sim: cannot start the %s", name);
	while (*running) {
		tsleep_ns(1000);
		simblk_step(s, simblk_pending(s));
	}
	proc_join(p);
}
