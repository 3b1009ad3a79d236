/*
 * Exchange pages: a run of pages that moves between procs by ownership
 * transfer, never by copying.  An exchange buffer is a borrow-checked
 * object (<lux/borrow.h>) of class "exchange": the owner maps it through a
 * borrow, sends it to another proc (after which every copy of the
 * sender's handle is dead, and using one is refused and audited), and the
 * receiver collects a fresh handle with exchange_recv.  The pages
 * themselves never move: the receiver sees the same addresses.
 */
#ifndef LUX_EXCHANGE_H
#define LUX_EXCHANGE_H

#include <lux/borrow.h>

struct proc;

extern const struct bclass exchange_class;

/* A buffer of npages zeroed pages owned by the current proc.  E_NOMEM when
 * the pages or a table slot are not there. */
int exchange_alloc_at(size_t npages, bhandle *out, const char *file, int line);
/* Hand h to proc `to`: owner only, nothing mapped.  Wakes the receiver. */
int exchange_send_at(bhandle h, struct proc *to, const char *file, int line);
/* The oldest buffer sent to the current proc.  exchange_recv sleeps until
 * one comes (E_INTR if killed); exchange_tryrecv returns E_NOENT. */
int exchange_recv(bhandle *out);
int exchange_tryrecv(bhandle *out);

#define exchange_alloc(n, out) exchange_alloc_at((n), (out), __FILE__, __LINE__)
#define exchange_send(h, to) exchange_send_at((h), (to), __FILE__, __LINE__)
/* Map for writing (exclusive) or reading (shared); unmap gives it back. */
#define exchange_map(h, ptr) borrow_exclusive((h), (ptr))
#define exchange_map_ro(h, ptr) borrow_shared((h), (ptr))
#define exchange_unmap(h) borrow_return(h)
#define exchange_free(h) borrow_drop(h)

/* Pages held by exchange buffers now (for page accounting). */
size_t exchange_pages(void);

#endif
