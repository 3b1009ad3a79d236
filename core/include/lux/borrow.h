/*
 * The borrow checker: kernel objects that matter (exchange buffers, pages,
 * keys, crypto sessions) have one owner, and are reached only through a
 * borrow: shared (many) or exclusive (one, and no shared).  Only the owner
 * moves or drops, and only when nothing is borrowed.  A violation is an
 * error returned to the caller plus an audit record (<lux/audit.h>); in
 * strict mode it also panics with both call sites.  docs/borrow.md has the
 * rules in full.
 *
 * Objects are named by handles: slot index in the low 32 bits, the slot's
 * generation in the high 32.  Moving or freeing an object changes the
 * generation, so an old handle is detected (E_STALE), never followed.
 * Handle 0 is never valid.
 *
 * Every operation is a macro that records its call site (__FILE__,
 * __LINE__): a borrow keeps its site, so a refusal can name the site of
 * the borrow it conflicts with.
 */
#ifndef LUX_BORROW_H
#define LUX_BORROW_H

#include <lux/types.h>

typedef uint64_t bhandle;

#define BORROW_MAXOBJ 512	/* objects alive at once */
#define BORROW_MAXREC 1024	/* borrows outstanding at once */

struct proc;

/* What kind of object a slot holds, and how it goes away. */
struct bclass {
	const char *name;	/* "exchange", "page", "key", "session" */
	const char *unit;	/* what size counts: "pages", "bytes" */
	/* Free the object: called once, by drop or by the last return of a
	 * dying object, never while anything is borrowed.  Upcalls are off
	 * (it may run from proc_exit): it must not sleep. */
	void (*release)(void *obj, size_t size);
};

/* A new object owned by the current proc.  E_NOMEM when the table is full. */
int borrow_new_at(const struct bclass *cls, void *obj, size_t size, bhandle *out, const char *file,
                  int line);
/* Borrow h; *obj (may be 0) receives the object.  0 or an error. */
int borrow_shared_at(bhandle h, void **obj, const char *file, int line);
int borrow_exclusive_at(bhandle h, void **obj, const char *file, int line);
/* Give back one borrow the current proc holds on h (its exclusive one,
 * else one shared). */
int borrow_return_at(bhandle h, const char *file, int line);
/* Owner only, nothing borrowed: ownership goes to proc `to`, every copy
 * of h dies, and `to` collects the new handle with borrow_receive. */
int borrow_move_at(bhandle h, struct proc *to, const char *file, int line);
/* Owner only, nothing borrowed: release the object. */
int borrow_drop_at(bhandle h, const char *file, int line);

#define borrow_new(cls, obj, size, out) \
	borrow_new_at((cls), (obj), (size), (out), __FILE__, __LINE__)
#define borrow_shared(h, obj) borrow_shared_at((h), (obj), __FILE__, __LINE__)
#define borrow_exclusive(h, obj) borrow_exclusive_at((h), (obj), __FILE__, __LINE__)
#define borrow_return(h) borrow_return_at((h), __FILE__, __LINE__)
#define borrow_move(h, to) borrow_move_at((h), (to), __FILE__, __LINE__)
#define borrow_drop(h) borrow_drop_at((h), __FILE__, __LINE__)

/* The oldest object of class cls (0: any) moved to the current proc and
 * not yet received: 0 and *out, or E_NOENT. */
int borrow_receive(const struct bclass *cls, bhandle *out);
/* Does proc p have an object of class cls (0: any) waiting?  For sleepers. */
bool borrow_pending(const struct proc *p, const struct bclass *cls);

/* proc_exit's hook, upcalls off: return p's borrows, drop what p owns
 * (deferring objects others still borrow).  Audited. */
void borrow_proc_exit(struct proc *p);

/* Strict mode: violations panic with both call sites.  Off by default. */
void borrow_set_strict(bool on);
bool borrow_strict(void);

/* Is h live, and who owns it (0: the kernel, for a dying object)? */
bool borrow_live(bhandle h);
struct proc *borrow_owner(bhandle h);

struct borrow_stats {
	size_t objects;		/* live slots (dying ones included) */
	size_t dying;		/* owner exited while borrowed */
	size_t borrows;		/* outstanding borrow records */
	uint64_t refused;	/* violations so far */
	uint64_t released;	/* objects released so far */
};
/* The borrow checker's counters now (the `borrow` console command). */
void borrow_stats(struct borrow_stats *st);

/* The table's invariants (docs/borrow.md): 0, or what is wrong. */
const char *borrow_check(void);

/* Test hook: empty the table without releasing anything. */
void borrow_reset(void);

#endif
