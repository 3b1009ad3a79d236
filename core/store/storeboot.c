/*
 * The machine's store at boot: device 0 opened with the passphrase the
 * arch was given (luxsim --store-key), or made on a blank drive.  Never
 * a reason not to boot: a drive that does not open is said in one line
 * and the machine boots with its RAM root only; opening writes nothing,
 * so a wrong passphrase or a damaged drive leaves the file as it was.
 * A drive that holds something other than a store is never formatted.
 */
#include <lux/blk.h>
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/store.h>
#include <lux/string.h>
#include <lux/upcall.h>

/* Argon2id costs of a new store: about a tenth of a second here, and
 * kept in its superblocks, so a later format may ask for more. */
#define BOOT_OPS 2
#define BOOT_MEM (32ull << 20)

static struct store *root;

struct store *store_root(void)
{
	return root;
}

static int open_or_make(struct blkdev *d, const uint8_t *pass, size_t n, bool *made)
{
	int err = store_open(d, pass, n, &root);

	if (err != E_NOENT)
		return err;
	if ((err = store_format(d, pass, n, BOOT_OPS, BOOT_MEM)) < 0)
		return err;
	*made = true;
	return store_open(d, pass, n, &root);
}

void store_boot(const struct lux_boot *b)
{
	struct blkdev *d = blk_get(0);
	struct store_stat ss;
	uint8_t *pass;
	size_t n = b->store_keylen;
	bool made = false;
	int err;

	if (b->store_key == 0 || d == 0)
		return;
	if ((pass = lc_secure_alloc(n)) == 0) {
		lc_wipe(b->store_key, n);
		kprintf(
		    "store: out of memory for the passphrase; booting with the RAM root only\n");
		return;
	}
	kmemcpy(pass, b->store_key, n);
	lc_wipe(b->store_key, n);	/* the arch's copy: ours now */
	err = open_or_make(d, pass, n, &made);
	lc_secure_free(pass, n);
	if (err < 0) {
		root = 0;
		kprintf("%s; booting with the RAM root only, the drive left as it was\n",
		        proc_errstr(err));
		return;
	}
	store_stat(root, &ss);
	kprintf("store: %s: %s, commit %llu, %llu keys, %llu of %llu blocks in use%s\n", d->name,
	        made ? "made a new store" : "opened", (unsigned long long)ss.seq,
	        (unsigned long long)ss.keys, (unsigned long long)ss.used,
	        (unsigned long long)ss.blocks, ss.bad ? " (a damaged block was passed over)" : "");
}
