/*
 * The lock-order checker (see <lux/lockdep.h> and docs/locks.md).
 *
 * State, all in fixed tables:
 *  - classes: one per lock name, the index cached in each lock;
 *  - edges: "A held while B was taken", as a bit matrix for the cycle
 *    search and a list with the two call sites for the messages;
 *  - held spinlocks: a stack for the CPU (a spinlock is never held across
 *    a switch, which might_sleep checks, so one stack per CPU is right);
 *  - held sleeping locks: a table of (proc, lock), since a proc sleeps
 *    holding them and others run meanwhile.
 * Bare masking here is the point: this is part of the lock implementation
 * and its tables are touched from procs and upcalls alike.
 */
#include <lux/kern.h>
#include <lux/lockdep.h>
#include <lux/proc.h>
#include <lux/string.h>

#define NCLASS 256	/* lock names; a fixed matrix of NCLASS^2 bits */
#define NEDGE 1024	/* distinct orders remembered with their sites */
#define NSPIN 16	/* spinlocks held at once on the CPU */
#define NSLEEP 256	/* sleeping locks held at once, over every proc */

struct site {
	const char *file;
	int line;
};

struct edge {
	unsigned short from, to;
	struct site held;	/* where from was taken */
	struct site taken;	/* where to was taken, from held */
};

struct held {
	const void *lock;
	struct proc *owner;	/* sleeping locks only */
	unsigned short cls;
	struct site at;
};

bool lockdep_on;
/* [0]: the class of a lock not classed (the table was full) */
static const char *classes[NCLASS] = { "?" };
static size_t nclasses = 1;
static uint8_t order[NCLASS][NCLASS / 8];	/* order[a] bit b: a before b */
static struct edge edges[NEDGE];
static size_t nedges;
static struct held spin[NSPIN];
static int nspin;
static struct held sleeping[NSLEEP];	/* [0, nsleeping): kept dense */
static size_t nsleeping;
static bool said_full[4];

void lockdep_enable(bool on)
{
	lockdep_on = on;
}
int lockdep_spin_depth(void)
{
	return nspin;
}

void lockdep_stats(size_t *classes, size_t *orders)
{
	*classes = nclasses - 1;
	*orders = nedges;
}

/* The classes stay: locks cache their index. */
void lockdep_reset(void)
{
	kmemset(order, 0, sizeof order);
	kmemset(sleeping, 0, sizeof sleeping);
	kmemset(said_full, 0, sizeof said_full);
	nsleeping = 0;
	nedges = 0;
	nspin = 0;
}

/* Say once that table `which` is full: from then on the checker sees less,
 * which is worth knowing but not worth stopping the machine for. */
static void full(int which, const char *what)
{
	if (!said_full[which]) {
		said_full[which] = true;
		kprintf("lockdep: %s table full: checking less from now on\n", what);
	}
}

/* The path from the tree's top (".../core/kern/x.c" -> "core/kern/x.c"):
 * the build passes absolute paths, the reader wants the tree's. */
static const char *shortfile(const char *f)
{
	const char *best = f ? f : "?";

	for (const char *p = best; *p; p++)
		if (kstrncmp(p, "/core/", 6) == 0)
			best = p + 1;
	return best;
}

static unsigned short class_of(const char *name, unsigned short *cache)
{
	unsigned short known = *cache;

	if (known != 0)
		return known;
	if (name == 0)
		name = "unnamed";
	for (size_t i = 1; i < nclasses; i++)
		if (classes[i] == name || kstrcmp(classes[i], name) == 0) {
			*cache = (unsigned short)i;
			return *cache;
		}
	if (nclasses == NCLASS) {
		full(0, "lock class");
		return 0;
	}
	classes[nclasses] = name;
	*cache = (unsigned short)nclasses++;
	return *cache;
}

static bool ordered(unsigned a, unsigned b)
{
	return order[a][b / 8] & (1u << (b % 8));
}

static const struct edge *edge_find(unsigned a, unsigned b)
{
	for (size_t i = 0; i < nedges; i++)
		if (edges[i].from == a && edges[i].to == b)
			return &edges[i];
	return 0;
}

/* Breadth-first from `from`; true if `to` is reachable, with prev[] the
 * way back.  Static scratch: callers hold upcalls masked. */
static unsigned short prev[NCLASS];
static bool reaches(unsigned from, unsigned to)
{
	static unsigned short queue[NCLASS];
	static uint8_t seen[NCLASS / 8];
	size_t head = 0, tail = 0;

	kmemset(seen, 0, sizeof seen);
	queue[tail++] = (unsigned short)from;
	seen[from / 8] |= 1u << (from % 8);
	while (head < tail) {
		unsigned c = queue[head++];
		for (unsigned n = 1; n < nclasses; n++) {
			if (!ordered(c, n) || (seen[n / 8] & (1u << (n % 8))))
				continue;
			seen[n / 8] |= 1u << (n % 8);
			prev[n] = (unsigned short)c;
			if (n == to)
				return true;
			queue[tail++] = (unsigned short)n;
		}
	}
	return false;
}

/* Taking b at `at` while holding h would close the cycle b -> ... -> h.
 * Name the new order's two sites, the old order's first step's two, and
 * the rest of the old path by class. */
static _Noreturn void inversion(const struct held *h, unsigned b, struct site at)
{
	unsigned short path[NCLASS];
	size_t n = 0, len = 0;
	char chain[160];
	const struct edge *old;

	for (unsigned c = h->cls; c != b && n < NCLASS; c = prev[c])
		path[n++] = (unsigned short)c;	/* h back to b's successor */
	chain[0] = 0;
	for (size_t i = n; i-- > 0 && len < sizeof chain;)
		len += ksnprintf(chain + len, sizeof chain - len, "%s%s", i + 1 == n ? "" : " -> ",
		                 classes[path[i]]);
	old = edge_find(b, path[n - 1]);
	panic("lock order: taking %s at %s:%d while holding %s (taken at %s:%d), but the "
	      "opposite order was seen: %s held (taken at %s:%d) while taking %s at %s:%d%s%s%s",
	      classes[b], shortfile(at.file), at.line, classes[h->cls], shortfile(h->at.file),
	      h->at.line, classes[b], old ? shortfile(old->held.file) : "?",
	      old ? old->held.line : 0, classes[path[n - 1]],
	      old ? shortfile(old->taken.file) : "?", old ? old->taken.line : 0,
	      n > 1 ? " (then " : "", n > 1 ? chain : "", n > 1 ? ")" : "");
}

static void edge_add(const struct held *h, unsigned b, struct site at)
{
	if (h->cls == 0 || h->cls == b || ordered(h->cls, b))
		return;	/* unknown, the same class (two instances), or known */
	if (reaches(b, h->cls))
		inversion(h, b, at);
	order[h->cls][b / 8] |= 1u << (b % 8);
	if (nedges == NEDGE) {
		full(1, "lock order edge");
		return;
	}
	edges[nedges++] = (struct edge){ (unsigned short)h->cls, (unsigned short)b, h->at, at };
}

static void order_check(unsigned b, struct site at)
{
	struct proc *up = curproc();

	for (int i = 0; i < nspin; i++)
		edge_add(&spin[i], b, at);
	for (size_t i = 0; i < nsleeping; i++)	/* up 0: the boot context (tests) */
		if (sleeping[i].owner == up)
			edge_add(&sleeping[i], b, at);
}

static void hold(const void *lock, unsigned cls, struct site at, enum lockkind kind)
{
	struct held h = { lock, kind == LD_SPIN ? 0 : curproc(), (unsigned short)cls, at };

	if (kind == LD_SPIN) {
		if (nspin < NSPIN)
			spin[nspin] = h;
		else
			full(2, "held spinlock");
		nspin++;	/* counted even untracked: might_sleep needs it */
		return;
	}
	if (nsleeping < NSLEEP)
		sleeping[nsleeping++] = h;
	else
		full(3, "held sleeping lock");
}

void lockdep_acquire(const void *lock, const char *name, unsigned short *cls, const char *file,
                     int line, enum lockkind kind)
{
	arch_irqstate s;
	unsigned c;
	struct site at = { file, line };

	if (!lockdep_on)
		return;
	s = arch_irq_save();
	c = class_of(name, cls);
	if (kind != LD_TRY && c)	/* a try never waits, so it orders nothing */
		order_check(c, at);
	hold(lock, c, at, kind);
	arch_irq_restore(s);
}

/* Spinlocks usually go last in first out; search from the top anyway. */
static bool unhold_spin(const void *lock)
{
	int top = nspin < NSPIN ? nspin : NSPIN;

	for (int i = top - 1; i >= 0; i--)
		if (spin[i].lock == lock) {
			for (int j = i; j + 1 < top; j++)
				spin[j] = spin[j + 1];
			nspin--;
			return true;
		}
	return false;
}

void lockdep_release(const void *lock, enum lockkind kind)
{
	arch_irqstate s;
	struct proc *up = curproc();

	if (!lockdep_on)
		return;
	s = arch_irq_save();
	if (kind == LD_SPIN) {
		if (!unhold_spin(lock) && nspin > NSPIN)
			nspin--;	/* one of the untracked ones */
	} else {
		for (size_t i = 0; i < nsleeping; i++)
			if (sleeping[i].lock == lock && sleeping[i].owner == up) {
				sleeping[i] = sleeping[--nsleeping];	/* stays dense */
				break;
			}
		/* not found: taken before the checker was on, or untracked */
	}
	arch_irq_restore(s);
}

void lockdep_might_sleep(const char *what, const char *file, int line, bool masked)
{
	const struct held *h;

	if (!lockdep_on)
		return;
	if (nspin > 0) {	/* first: a spinlock masks upcalls too */
		h = &spin[(nspin < NSPIN ? nspin : NSPIN) - 1];
		panic("%s at %s:%d while holding spinlock %s (taken at %s:%d): sleeping under a "
		      "spinlock",
		      what, shortfile(file), line, classes[h->cls], shortfile(h->at.file),
		      h->at.line);
	}
	if (masked)
		panic("%s at %s:%d with upcalls masked: a sleep there breaks the caller's atomic "
		      "section (use a sleeping lock outside it)",
		      what, shortfile(file), line);
}
