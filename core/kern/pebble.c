/*
 * Pebble budgets (see <lux/pebble.h> and docs/pebbles.md).
 *
 * Invariants, checked where they can break and in full by budget_check:
 *  - held + lent <= total in every kind of every budget;
 *  - lent is the sum of the granted children's totals, and held is at
 *    least what the capped children (budget_cap) have spent, since they
 *    draw it from their parent as they spend: pebbles only move between
 *    a parent and its children and are conserved;
 *  - ref counts the owner and each child; a budget closes once, at 0,
 *    holding nothing, and only then returns its total to its parent;
 *  - every counter is touched under pebble_lock: a proc can be preempted
 *    anywhere on metal, and a torn read-modify-write would mint pebbles.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/page.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/string.h>

static const char *const kindnames[PB_NKINDS] = {
	"pages", "procs", "fids", "files", "requests", "crypto", "ticks",
};

/* The default grant's fixed part (docs/pebbles.md). */
static const uint64_t defgrant[PB_NKINDS] = {
	96, 8, 4096, 256, 64, 1u << 20, 60000,
};

/* The machine.  Its page total follows page_total() (root_sync); the
 * other kinds are large enough never to be the limit on their own. */
static struct budget root = {
	.children = LIST_INIT(root.children),
	.sibling = LIST_INIT(root.sibling),
	.ref = 1,
	.total = { 0, 4096, 1u << 20, 1u << 16, 1u << 14, 1ull << 32, 1ull << 40 },
};
static size_t nbudgets;
/* the whole budget tree (totals, held, lent, refs, children lists, nbudgets):
 * one lock, since a charge walks up the parents; kfree is called under it
 * (pebble -> kalloc) */
static struct spinlock pebble_lock = SPINLOCK_INIT("pebble");

const char *pebble_kind_name(enum pebble_kind k)
{
	return (unsigned)k < PB_NKINDS ? kindnames[k] : "?";
}

int pebble_kind_lookup(const char *name)
{
	for (int k = 0; k < PB_NKINDS; k++)
		if (kstrcmp(kindnames[k], name) == 0)
			return k;
	return -1;
}

/* pebble_lock held.  Pages join the allocator after boot in tests (page_init
 * more than once), so the root's page total is refreshed, never lowered. */
static void root_sync(void)
{
	if (page_total() > root.total[PB_PAGES])
		root.total[PB_PAGES] = page_total();
}

struct budget *pebble_root(void)
{
	spin_lock(&pebble_lock);
	root_sync();
	spin_unlock(&pebble_lock);
	return &root;
}

static uint64_t white(const struct budget *b, int k)
{
	return b->total[k] - b->held[k] - b->lent[k];
}

static int exhausted(const struct budget *b, int k, uint64_t n)
{
	unsigned long long spent = b->held[k] + b->lent[k], total = b->total[k];

	if (n == 1)
		return proc_seterr(E_BUDGET, "budget exhausted: %s %llu/%llu", kindnames[k], spent,
		                   total);
	return proc_seterr(E_BUDGET, "budget exhausted: %s %llu/%llu, %llu wanted", kindnames[k],
	                   spent, total, (unsigned long long)n);
}

/* Can n of kind k be spent in b: its white, and for a capped budget its
 * parent's, which pays as it is spent (and so on up).  0, or E_BUDGET
 * naming the first budget short.  pebble_lock held. */
static int fits(const struct budget *b, int k, uint64_t n)
{
	for (; b != 0; b = b->parent) {
		if (white(b, k) < n)
			return exhausted(b, k, n);
		if (!b->draws)
			break;
	}
	return 0;
}

/* n of kind k spent (add) or given back (!add) in b's parents that paid
 * for it: the chain of capped budgets above b, and the one they draw
 * from.  pebble_lock held. */
static void drawn(struct budget *b, int k, uint64_t n, bool add)
{
	for (; b->draws; b = b->parent) {
		if (add)
			b->parent->held[k] += n;
		else
			b->parent->held[k] -= n;
	}
}

int budget_charge(struct budget *b, enum pebble_kind k, uint64_t n)
{
	int err;

	/*
	 * A charge to no budget or of no kind is a caller's bug that would
	 * otherwise index past the counters: stop here, not in memory.
	 */
	if (b == 0 || (unsigned)k >= PB_NKINDS)
		panic("budget_charge: budget %p, kind %d", (void *)b, (int)k);
	spin_lock(&pebble_lock);
	if ((err = fits(b, k, n)) < 0) {
		spin_unlock(&pebble_lock);
		return err;
	}
	b->held[k] += n;
	drawn(b, k, n, true);
	spin_unlock(&pebble_lock);
	return 0;
}

void budget_release(struct budget *b, enum pebble_kind k, uint64_t n)
{
	/*
	 * Releasing more than is held means something was released twice or
	 * against the wrong budget: the counters would wrap and mint pebbles.
	 */
	if (b == 0 || (unsigned)k >= PB_NKINDS)
		panic("budget_release: budget %p, kind %d", (void *)b, (int)k);
	spin_lock(&pebble_lock);
	if (b->held[k] < n)
		panic("budget_release: %llu %s released, %llu held: a double release",
		      (unsigned long long)n, kindnames[k], (unsigned long long)b->held[k]);
	b->held[k] -= n;
	drawn(b, k, n, false);
	spin_unlock(&pebble_lock);
}

void budget_white(struct budget *b, struct pebbles *out)
{
	spin_lock(&pebble_lock);
	if (b == &root)
		root_sync();
	for (int k = 0; k < PB_NKINDS; k++)
		out->n[k] = white(b, k);
	spin_unlock(&pebble_lock);
}

void budget_default_grant(struct budget *b, struct pebbles *out)
{
	budget_white(b, out);
	for (int k = 0; k < PB_NKINDS; k++)
		out->n[k] = MIN(defgrant[k], out->n[k] / 2);
}

struct budget *budget_grant(struct budget *parent, const struct pebbles *g, int *err)
{
	struct budget *c = kzalloc(sizeof *c);
	struct pebbles def;

	/* A grant out of nothing would mint pebbles outside the root. */
	if (parent == 0)
		panic("budget_grant: no parent budget");
	if (c == 0) {
		*err = E_NOMEM;
		return 0;
	}
	spin_lock(&pebble_lock);
	if (parent == &root)
		root_sync();
	if (g == 0) {	/* computed here, so nothing is spent in between */
		for (int k = 0; k < PB_NKINDS; k++)
			def.n[k] = MIN(defgrant[k], white(parent, k) / 2);
		g = &def;
	}
	for (int k = 0; k < PB_NKINDS; k++) {
		if ((*err = fits(parent, k, g->n[k])) < 0) {	/* all or nothing */
			spin_unlock(&pebble_lock);
			kfree(c);
			return 0;
		}
	}
	for (int k = 0; k < PB_NKINDS; k++) {
		parent->lent[k] += g->n[k];
		drawn(parent, k, g->n[k], true);
		c->total[k] = g->n[k];
	}
	c->parent = parent;
	c->ref = 1;
	parent->ref++;
	list_init(&c->children);
	list_push_back(&parent->children, &c->sibling);
	nbudgets++;
	spin_unlock(&pebble_lock);
	*err = 0;
	return c;
}

struct budget *budget_cap(struct budget *parent, const struct pebbles *cap, int *err)
{
	struct budget *c = kzalloc(sizeof *c);

	if (parent == 0)
		panic("budget_cap: no parent budget");
	if (c == 0) {
		*err = E_NOMEM;
		return 0;
	}
	for (int k = 0; k < PB_NKINDS; k++)
		c->total[k] = cap->n[k];
	c->draws = true;
	c->ref = 1;
	list_init(&c->children);
	spin_lock(&pebble_lock);
	c->parent = parent;
	parent->ref++;
	list_push_back(&parent->children, &c->sibling);
	nbudgets++;
	spin_unlock(&pebble_lock);
	*err = 0;
	return c;
}

void budget_put(struct budget *b)
{
	spin_lock(&pebble_lock);
	while (b != 0 && b != &root) {
		struct budget *parent = b->parent;
		/*
		 * A reference count below zero is a double put; a budget that
		 * closes still holding pebbles had an object created and never
		 * destroyed: both would break conservation silently.
		 */
		if (b->ref <= 0)
			panic("budget_put: budget %p put with %d references", (void *)b, b->ref);
		if (--b->ref > 0)
			break;
		for (int k = 0; k < PB_NKINDS; k++) {
			if (b->held[k] || b->lent[k])
				panic("budget closed holding %llu %s (%llu lent): a resource was "
				      "never released",
				      (unsigned long long)b->held[k], kindnames[k],
				      (unsigned long long)b->lent[k]);
			if (b->draws)
				continue;	/* it drew, and gave back, as it spent */
			kassert(parent->lent[k] >= b->total[k]);
			parent->lent[k] -= b->total[k];
			drawn(parent, k, b->total[k], false);
		}
		list_remove(&b->sibling);
		nbudgets--;
		kfree(b);
		b = parent;	/* drop the reference the child held */
	}
	spin_unlock(&pebble_lock);
}

void budget_snapshot(struct budget *b, struct budget_info *out)
{
	spin_lock(&pebble_lock);
	if (b == &root)
		root_sync();
	for (int k = 0; k < PB_NKINDS; k++) {
		out->total.n[k] = b->total[k];
		out->held.n[k] = b->held[k];
		out->lent.n[k] = b->lent[k];
	}
	spin_unlock(&pebble_lock);
}

size_t budget_format(const struct budget_info *bi, char *buf, size_t size)
{
	size_t len = 0;

	for (int k = 0; k < PB_NKINDS; k++) {
		uint64_t spent = bi->held.n[k] + bi->lent.n[k];
		int n = ksnprintf(len < size ? buf + len : 0, len < size ? size - len : 0,
		                  "%s white %llu spent %llu total %llu lent %llu\n", kindnames[k],
		                  (unsigned long long)(bi->total.n[k] - spent),
		                  (unsigned long long)spent, (unsigned long long)bi->total.n[k],
		                  (unsigned long long)bi->lent.n[k]);
		len += (size_t)n;
	}
	return len;
}

void *pebble_page_alloc(size_t n, int *err)
{
	struct proc *p = curproc();
	struct budget *b = p ? p->budget : pebble_root();
	void *pages;

	if ((*err = budget_charge(b, PB_PAGES, n)) < 0)
		return 0;
	if ((pages = page_alloc(n)) == 0) {
		budget_release(b, PB_PAGES, n);
		*err = E_NOMEM;
	}
	return pages;
}

void pebble_page_free(void *pages, size_t n)
{
	struct proc *p = curproc();

	if (pages == 0)
		return;
	page_free(pages, n);
	budget_release(p ? p->budget : pebble_root(), PB_PAGES, n);
}

static const char *check_one(struct budget *b, int depth)
{
	uint64_t sum[PB_NKINDS] = { 0 }, draw[PB_NKINDS] = { 0 };
	int nchildren = 0;
	struct list *l;
	const char *err;

	if (depth > 64)
		return "the budget tree is deeper than 64 (a cycle?)";
	list_for_each(l, &b->children) {
		struct budget *c = list_entry(l, struct budget, sibling);
		if (c->parent != b)
			return "a child budget names another parent";
		for (int k = 0; k < PB_NKINDS; k++) {
			if (c->draws)
				draw[k] += c->held[k] + c->lent[k];
			else
				sum[k] += c->total[k];
		}
		nchildren++;
		if ((err = check_one(c, depth + 1)) != 0)
			return err;
	}
	for (int k = 0; k < PB_NKINDS; k++) {
		if (b->held[k] + b->lent[k] > b->total[k] || b->held[k] > b->total[k])
			return "a budget has spent more pebbles than it was given";
		if (b->lent[k] != sum[k])
			return "a budget's lent pebbles differ from its children's totals";
		if (b->held[k] < draw[k])
			return "a budget holds less than its capped children drew from it";
	}
	if (b != &root && b->ref != 1 + nchildren && b->ref != nchildren)
		return "a budget's reference count is not its owner plus its children";
	return 0;
}

const char *budget_check(struct budget *b)
{
	spin_lock(&pebble_lock);
	const char *err;

	if (b == &root)
		root_sync();
	err = check_one(b, 0);
	spin_unlock(&pebble_lock);
	return err;
}

size_t budget_count(void)
{
	return nbudgets;
}
