/*
 * Pebbles: budgets for everything a client can make the kernel hold
 * (docs/pebbles.md states the rules).  A budget counts, per kind, the
 * pebbles it was given (total), those paying for what it holds (held) and
 * those granted on to child budgets (lent); white = total - held - lent is
 * what may still be spent.  Charges and releases are O(1) with upcalls
 * off, so they are safe from any proc on a preemptive kernel.
 */
#ifndef LUX_PEBBLE_H
#define LUX_PEBBLE_H

#include <lux/list.h>
#include <lux/types.h>

enum pebble_kind {
	PB_PAGES,	/* 4 KiB pages */
	PB_PROCS,	/* procs */
	PB_FIDS,	/* 9P fids */
	PB_FILES,	/* open files */
	PB_REQS,	/* 9P requests in flight */
	PB_CRYPTO,	/* bytes held by the crypto server */
	PB_TICKS,	/* ms of CPU */
	PB_NKINDS
};

/* An amount of each kind: a grant, or a snapshot's column. */
struct pebbles {
	uint64_t n[PB_NKINDS];
};

struct budget {
	struct budget *parent;	/* where our total came from; 0 for the root */
	struct list children;	/* budgets granted from us */
	struct list sibling;	/* on parent->children */
	int ref;		/* the owner (proc, connection) + one per child */
	uint64_t total[PB_NKINDS];	/* given to us by parent (fixed) */
	uint64_t held[PB_NKINDS];	/* paying for objects we hold */
	uint64_t lent[PB_NKINDS];	/* the sum of children's totals */
	/* A capped budget (budget_cap) reserves nothing: total is a cap, and
	 * what it spends is drawn from its parent as it is spent (it shows
	 * in the parent's held), so thousands of them share what their
	 * parent has without each holding its cap up front. */
	bool draws;
};

/* A consistent copy, for /proc and the shell. */
struct budget_info {
	struct pebbles total, held, lent;
};

/* The name of kind k, as budgets print it ("pages", "procs", ...). */
const char *pebble_kind_name(enum pebble_kind k);
/* The kind called name, or -1. */
int pebble_kind_lookup(const char *name);

/* The machine's budget; its page total follows the page allocator. */
struct budget *pebble_root(void);

/* Charge n pebbles of kind to b: 0, or E_BUDGET with the proc's error
 * string set to "budget exhausted: KIND SPENT/TOTAL".  Never looks at
 * another budget, but for the parents a capped budget draws from. */
int budget_charge(struct budget *b, enum pebble_kind k, uint64_t n);
/* Give back n pebbles charged to b; more than b holds panics. */
void budget_release(struct budget *b, enum pebble_kind k, uint64_t n);

/* A child of parent holding exactly *grant (all or nothing; a null grant
 * is the default grant, computed atomically).  0 and
 * *err = E_BUDGET (error string set) or E_NOMEM on failure.  The caller
 * owns one reference. */
struct budget *budget_grant(struct budget *parent, const struct pebbles *grant, int *err);
/* A child of parent that reserves nothing: each kind's spending is
 * capped at *cap and drawn from parent's white at the moment it is spent
 * (so a charge to it looks at its parent as well, and the first budget
 * short of white pebbles names itself in the error).  It closes like a
 * granted one.  0 and *err = E_NOMEM on failure; the caller owns one
 * reference. */
struct budget *budget_cap(struct budget *parent, const struct pebbles *cap, int *err);
/* The default grant for a child of b (see docs/pebbles.md), from what b
 * has white now. */
void budget_default_grant(struct budget *b, struct pebbles *out);
/* Everything b has white now. */
void budget_white(struct budget *b, struct pebbles *out);
/* Drop the owner's reference.  The last reference closes b: it must hold
 * nothing (else panic), and its pebbles return to its parent. */
void budget_put(struct budget *b);

/* Copy b's counters into out, consistently (upcalls off while read). */
void budget_snapshot(struct budget *b, struct budget_info *out);
/* Render a snapshot as "KIND white W spent S total T lent L" lines;
 * returns the full length, as ksnprintf does. */
size_t budget_format(const struct budget_info *bi, char *buf, size_t size);

/* Pages charged to the current proc's budget, then allocated: 0 and
 * *err = E_BUDGET or E_NOMEM on failure (nothing stays charged). */
void *pebble_page_alloc(size_t n, int *err);
void pebble_page_free(void *p, size_t n);

/* Tests and simulations: check the invariants of b and its subtree
 * (held + lent <= total, lent = the children's totals, ref = owner +
 * children).  0, or a sentence saying what broke. */
const char *budget_check(struct budget *b);
/* Budgets open now (the root excluded): for leak checks. */
size_t budget_count(void);

#endif
