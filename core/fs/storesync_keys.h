/*
 * The keystore's value in the machine's store (core/fs/storesync_keys.c),
 * for storesync.c.
 */
#ifndef LUX_FS_STORESYNC_KEYS_H
#define LUX_FS_STORESYNC_KEYS_H

#include <lux/store.h>

#define SK_KEY 1	/* its key in the store; the root tree's start at 2 */
#define SK_HASH 32	/* bytes of the last written blob's hash kept */

/* Put the keystore's keys at SK_KEY unless they hash to last (then
 * updated); the caller commits.  0, or an error. */
int sk_save(struct store *st, uint8_t last[SK_HASH]);
/* Make the keys kept at SK_KEY again: counts in *made and *bad. */
int sk_load(struct store *st, uint64_t *made, uint64_t *bad);

#endif
