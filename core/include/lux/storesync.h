/*
 * The root RAM tree kept in the machine's store (core/fs/storesync.c;
 * docs/store.md, "The root tree in the store").
 */
#ifndef LUX_STORESYNC_H
#define LUX_STORESYNC_H

#include <lux/types.h>

struct storesync_result {
	uint64_t seq;		/* the commit the store is at */
	uint64_t written, deleted, skipped;	/* names; skipped: too large */
};

/* At boot, after store_boot, from init: load the root tree from the
 * store and start the periodic sync.  Nothing without a store. */
void storesync_boot(void);
/* Write the root tree back and commit: 0, or an error with the proc's
 * error string set (E_NOENT: no store).  Any proc may call it. */
int storesync_now(struct storesync_result *out);
/* Before halting: the last sync, its failure said on the console. */
void storesync_halt(void);

#endif
