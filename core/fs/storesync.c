/*
 * The root RAM tree kept in the machine's store (docs/store.md, "The root
 * tree in the store"): loaded at boot, written back at every sync --
 * fsync/Tfsync, a 9P2000 wstat that changes nothing (Plan 9's sync), the
 * console's `sync`, every STORESYNC_SECS seconds, and at halt.  One sync
 * at a time (synclock); each is a commit, so a crash loses at most what
 * changed since the last.  The keystore goes with it (storesync_keys.c).
 * Without a store (no --store-key, a wrong
 * passphrase) every call here is a no-op that says E_NOENT.
 */
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/ns.h>
#include <lux/proc.h>
#include <lux/string.h>
#include <lux/store.h>
#include <lux/storesync.h>
#include <lux/timer.h>

#include "ramfs.h"
#include "ramfs_store.h"
#include "storesync_keys.h"

#define STORESYNC_SECS 5

static struct qlock synclock = QLOCK_INIT(synclock, "storesync");
static struct rs_map map;
static struct chan *rootc;	/* held for ever: the tree lives while we sync it */
static bool failed;		/* the last periodic sync failed (said once) */
static uint8_t keyshash[SK_HASH];	/* the keystore as last written */
static uint64_t keybase = SK_KEY + 1;	/* past every key the store held at boot */

int storesync_now(struct storesync_result *out)
{
	struct rs_result res = { 0 };
	struct store_stat ss;
	int err;

	if (rootc == 0 || store_root() == 0)
		return proc_seterr(E_NOENT, "sync: this machine has no store");
	qlock(&synclock);
	if ((err = sk_save(store_root(), keyshash)) == 0)	/* committed by rs_save */
		err = rs_save(rootc->aux, store_root(), &map, keybase, &res);
	if (err < 0)
		kmemset(keyshash, 0, sizeof keyshash);	/* write them again next time */
	qunlock(&synclock);
	store_stat(store_root(), &ss);
	if (out) {
		out->seq = ss.seq;
		out->written = res.written;
		out->deleted = res.deleted;
		out->skipped = res.skipped;
	}
	return err;
}

static void periodic(void *arg)
{
	USED(arg);
	while (!curproc()->killed) {
		int err;

		tsleep_ns(STORESYNC_SECS * 1000000000ull);
		if ((err = storesync_now(0)) < 0 && !failed)
			kprintf("store: sync failed: %s\n", proc_errstr(err));
		failed = err < 0;
	}
}

void storesync_boot(void)
{
	struct rs_result res = { 0 };
	uint64_t keys = 0, badkeys = 0;
	struct chan *c;
	int err;

	if (store_root() == 0)
		return;
	if ((err = sk_load(store_root(), &keys, &badkeys)) < 0)
		kprintf("store: loading the keys stopped: %s\n", proc_errstr(err));
	if (keys || badkeys)
		kprintf("store: %llu keys loaded%s\n", (unsigned long long)keys,
		        badkeys ? ", some not (malformed, or their names taken)" : "");
	if (namec(curproc()->ns, "/", NAMEC_WALK, 0, 0, &c) < 0)
		return;
	if (c->dev != &ramfs_dev) {
		chan_put(c);
		return;
	}
	rootc = c;
	if ((err = rs_load(rootc->aux, store_root(), &map, &res)) < 0)
		kprintf("store: loading the root tree stopped: %s\n", proc_errstr(err));
	if (res.maxkey >= keybase)
		keybase = res.maxkey + 1;
	kprintf("store: root tree loaded: %llu names", (unsigned long long)res.written);
	if (res.bad || res.refused || res.orphans)
		kprintf(" (%llu malformed, %llu over their owner's quota, %llu without a parent: "
		        "not loaded)",
		        (unsigned long long)res.bad, (unsigned long long)res.refused,
		        (unsigned long long)res.orphans);
	kprintf("\n");
	if (proc_create("storesync", PRIO_NORMAL, periodic, 0, 0) == 0)
		kprintf("store: no proc for the periodic sync; fsync, sync and halt still sync\n");
}

void storesync_halt(void)
{
	int err;

	if (rootc && store_root() && (err = storesync_now(0)) < 0)
		kprintf("store: the sync at halt failed: %s\n", proc_errstr(err));
}
